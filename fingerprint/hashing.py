"""Landmark hashes: pairs of peaks packed into integers.

Bit layout of a hash (24 bits, stored in an unsigned 32-bit column)::

    bits 23..15  f1  frequency bin of the anchor peak       (9 bits, 0..511)
    bits 14..6   df  target bin - anchor bin, plus 256      (9 bits, -255..255 stored as 1..511)
    bits  5..0   dt  target frame - anchor frame            (6 bits, 1..63)

The offset stored with a hash is the anchor's time frame. `unpack_hashes` inverts `pack_hashes`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fingerprint.errors import ParameterError
from fingerprint.peaks import Peaks

F1_BITS = 9
DF_BITS = 9
DT_BITS = 6
MAX_FREQ_BIN = (1 << F1_BITS) - 1
MAX_DF = (1 << (DF_BITS - 1)) - 1
MAX_DT = (1 << DT_BITS) - 1
HASH_BITS = F1_BITS + DF_BITS + DT_BITS

Landmarks = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def pack_hashes(f1: npt.ArrayLike, df: npt.ArrayLike, dt: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Pack anchor bins, bin differences and frame differences into hashes (see the module doc)."""
    f1, df, dt = (np.asarray(x, dtype=np.int64) for x in (f1, df, dt))
    if np.any((f1 < 0) | (f1 > MAX_FREQ_BIN)):
        raise ParameterError(f"anchor frequency bins must be in [0, {MAX_FREQ_BIN}]")
    if np.any(np.abs(df) > MAX_DF):
        raise ParameterError(f"frequency differences must be in [-{MAX_DF}, {MAX_DF}]")
    if np.any((dt < 1) | (dt > MAX_DT)):
        raise ParameterError(f"time differences must be in [1, {MAX_DT}] frames")
    return (f1 << (DF_BITS + DT_BITS)) | ((df + MAX_DF + 1) << DT_BITS) | dt


def unpack_hashes(hashes: npt.ArrayLike) -> Landmarks:
    """Inverse of `pack_hashes`: (f1, df, dt) arrays."""
    hashes = np.asarray(hashes, dtype=np.int64)
    f1 = hashes >> (DF_BITS + DT_BITS)
    df = ((hashes >> DT_BITS) & ((1 << DF_BITS) - 1)) - (MAX_DF + 1)
    dt = hashes & MAX_DT
    return f1, df, dt


def landmark_hashes(
    peaks: Peaks, *, fan_value: int, dt_min: int, dt_max: int, df_max: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Pair each peak with up to `fan_value` following peaks in its target zone; return (hashes, offsets).

    The target zone of an anchor is ``dt_min <= dt <= dt_max`` frames later and ``|df| <= df_max`` bins
    away; the nearest targets in time are taken first. `peaks` must be sorted by time (as `local_maxima`
    returns them). Offsets are the anchors' time frames; the result is sorted by offset.
    """
    if fan_value < 1:
        raise ParameterError(f"fan_value={fan_value} must be at least 1")
    if not 1 <= dt_min <= dt_max <= MAX_DT:
        raise ParameterError(f"need 1 <= dt_min={dt_min} <= dt_max={dt_max} <= {MAX_DT}")
    if not 0 <= df_max <= MAX_DF:
        raise ParameterError(f"df_max={df_max} must be in [0, {MAX_DF}]")
    freqs = peaks.freq_bins.astype(np.int64)
    times = peaks.time_frames.astype(np.int64)
    if np.any(freqs > MAX_FREQ_BIN):
        raise ParameterError(f"peak frequency bins must be below {MAX_FREQ_BIN + 1}; use n_fft <= 1024")
    n = len(freqs)
    taken = np.zeros(n, dtype=np.int64)
    anchors, targets = [], []
    # Walk the k-th following peak of every anchor at once until no anchor can take another target.
    for k in range(1, n):
        anchor = np.arange(n - k)
        dt = times[k:] - times[:-k]
        reachable = dt <= dt_max
        if not reachable.any():
            break
        open_anchor = reachable & (taken[: n - k] < fan_value)
        if not open_anchor.any():
            break
        pair = open_anchor & (dt >= dt_min) & (np.abs(freqs[k:] - freqs[:-k]) <= df_max)
        chosen = anchor[pair]
        anchors.append(chosen)
        targets.append(chosen + k)
        taken[chosen] += 1
    if not anchors:
        return np.empty(0, np.int64), np.empty(0, np.int32)
    a = np.concatenate(anchors)
    t = np.concatenate(targets)
    order = np.argsort(times[a], kind="stable")
    a, t = a[order], t[order]
    hashes = pack_hashes(freqs[a], freqs[t] - freqs[a], times[t] - times[a])
    return hashes, times[a].astype(np.int32)
