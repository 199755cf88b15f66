"""Spectral peaks: the "constellation" a fingerprint is built from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage

from fingerprint.errors import ParameterError


@dataclass(frozen=True)
class Peaks:
    """Peaks of a spectrogram, sorted by time frame, then by frequency bin."""

    freq_bins: npt.NDArray[np.int32]
    time_frames: npt.NDArray[np.int32]
    amps_db: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.freq_bins)


def local_maxima(
    s_db: npt.NDArray[np.float32],
    *,
    freq_radius: int,
    time_radius: int,
    amp_min_db: float,
    min_freq_bin: int = 0,
) -> Peaks:
    """Every bin that is the maximum of the rectangle of ``+-freq_radius`` bins and ``+-time_radius``
    frames around it (the separable maximum filter makes this fast), at least `amp_min_db` loud and at or
    above `min_freq_bin`."""
    if s_db.ndim != 2:
        raise ParameterError(f"spectrogram must be 2-D (bins x frames), got shape {s_db.shape}")
    if freq_radius < 0 or time_radius < 0:
        raise ParameterError(f"peak radii must not be negative, got {freq_radius} and {time_radius}")
    if s_db.size == 0:
        return _no_peaks()
    neighbourhood_max = scipy.ndimage.maximum_filter(
        s_db, size=(2 * freq_radius + 1, 2 * time_radius + 1), mode="constant", cval=-np.inf
    )
    is_peak = (s_db == neighbourhood_max) & (s_db >= amp_min_db)
    is_peak[:min_freq_bin] = False
    freq_bins, time_frames = np.nonzero(is_peak)
    order = np.lexsort((freq_bins, time_frames))
    return Peaks(
        freq_bins=freq_bins[order].astype(np.int32),
        time_frames=time_frames[order].astype(np.int32),
        amps_db=s_db[freq_bins, time_frames][order].astype(np.float32),
    )


def strongest_per_second(peaks: Peaks, *, max_per_second: int, frames_per_second: float) -> Peaks:
    """The peaks that are among the `max_per_second` loudest within half a second
    (``frames_per_second / 2`` frames) either side of them, which bounds the density on loud, busy music."""
    if max_per_second <= 0:
        raise ParameterError(f"max_per_second={max_per_second} must be positive")
    keep = _strongest_per_window(peaks.time_frames, peaks.amps_db, max_per_second, frames_per_second)
    return Peaks(peaks.freq_bins[keep], peaks.time_frames[keep], peaks.amps_db[keep])


def _strongest_per_window(
    time_frames: npt.NDArray[np.intp], amps: npt.NDArray[np.float32], count: int, frames_per_second: float
) -> npt.NDArray[np.bool_]:
    """Mask keeping each peak that is among the `count` loudest within half a second either side of it.

    The window moves with the peak, so the choice does not depend on where the signal starts: a clip cut
    from a song keeps the same peaks as the song (away from its edges).
    """
    order = np.argsort(time_frames, kind="stable")
    times = time_frames[order].astype(np.float64)
    loud = amps[order]
    half_window = frames_per_second / 2.0
    louder_neighbours = np.zeros(len(order), dtype=np.int64)
    # Compare every peak with its j-th neighbour on each side, for as long as any neighbour is in range.
    for j in range(1, len(order)):
        near = times[j:] - times[:-j] <= half_window
        if not near.any():
            break
        louder_neighbours[:-j] += near & (loud[j:] > loud[:-j])
        louder_neighbours[j:] += near & (loud[:-j] > loud[j:])
    keep = np.zeros(len(order), dtype=bool)
    keep[order] = louder_neighbours < count
    return keep


def _no_peaks() -> Peaks:
    return Peaks(
        freq_bins=np.empty(0, np.int32), time_frames=np.empty(0, np.int32), amps_db=np.empty(0, np.float32)
    )
