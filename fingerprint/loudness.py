"""Loudness profiles: a song's energy in a few frequency bands, four times a second.

Fingerprints say which songs a query holds, not how loud each is in it: hashes of peaky, tonal music
survive a mix far better than those of diffuse music, so the weaker song of a mix often has more aligned
hashes than the dominant one. A song's profile is stored beside its fingerprints (`BANDS` bytes per
`STEP_FRAMES` frames: 31 bytes per second at the defaults). Given where each matched song sits in a query,
`loudness_shares` fits the query's band energies as a non-negative sum of the songs' profiles at those
places, and tells how much of the query's energy each song explains.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.optimize

#: Frequency bands, spaced evenly in log frequency from the lowest bin analysed to the top of the spectrum.
BANDS = 8
#: Spectrogram frames averaged into one step of the profile (0.256 s at the defaults).
STEP_FRAMES = 8
#: A step's band level is stored in one byte: half-decibels above this floor.
FLOOR_DB = -127.5
DB_PER_CODE = 0.5


def band_edges(*, min_freq_bin: int, n_bins: int) -> npt.NDArray[np.int64]:
    """The first spectrogram bin of each band, and the end of the last one (BANDS + 1 values)."""
    return np.round(np.geomspace(max(min_freq_bin, 1), n_bins, BANDS + 1)).astype(np.int64)


def band_power(s_db: npt.NDArray[np.float32], *, min_freq_bin: int) -> npt.NDArray[np.float64]:
    """Linear power per band and frame, shape ``(BANDS, n_frames)``, of a dB spectrogram whose bins
    below `min_freq_bin` are not analysed."""
    edges = band_edges(min_freq_bin=min_freq_bin, n_bins=s_db.shape[0])
    power = np.power(10.0, s_db[edges[0] : edges[-1]].astype(np.float64) / 10.0)
    return np.add.reduceat(power, edges[:-1] - edges[0], axis=0)


def encode(power: npt.NDArray[np.float64]) -> bytes:
    """A profile as stored: each `STEP_FRAMES` frames of band power averaged (the last step over the
    frames it has), in half-decibels above FLOOR_DB, one byte per band, step after step."""
    n_frames = power.shape[1]
    starts = np.arange(0, n_frames, STEP_FRAMES)
    if not starts.size:
        return b""
    widths = np.minimum(STEP_FRAMES, n_frames - starts)
    mean = np.add.reduceat(power, starts, axis=1) / widths
    with np.errstate(divide="ignore"):
        codes = (10.0 * np.log10(mean) - FLOOR_DB) / DB_PER_CODE
    return np.clip(np.round(codes), 0, 255).astype(np.uint8).T.tobytes()


def is_profile(blob: bytes) -> bool:
    """Whether `blob` can be a stored profile: one or more whole steps of BANDS bytes."""
    return len(blob) > 0 and len(blob) % BANDS == 0


def decode(profile: bytes) -> npt.NDArray[np.float64]:
    """The band power of a stored profile, shape ``(BANDS, steps)``."""
    codes = np.frombuffer(profile, dtype=np.uint8).reshape(-1, BANDS).T
    return np.power(10.0, (codes * DB_PER_CODE + FLOOR_DB) / 10.0)


def loudness_shares(
    query_power: npt.NDArray[np.float64],
    profiles: Sequence[bytes],
    offsets_frames: Sequence[int],
) -> npt.NDArray[np.float64]:
    """The share of the query's energy each song explains, given its profile and where the query starts
    in it (in frames); the shares sum to 1 (all 0 if none explains anything).

    Sources mix by adding their powers, so the query's band power in each step is fitted, by non-negative
    least squares, as a gain times each song's profile at the same place in the song; each band is
    weighed by its mean level in the query, so that the loud low bands do not decide alone.
    """
    n_frames = query_power.shape[1]
    n_steps = n_frames // STEP_FRAMES
    if n_steps == 0 or not profiles:
        return np.zeros(len(profiles))
    frames = np.arange(n_steps * STEP_FRAMES)

    def in_steps(power: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return power[:, : n_steps * STEP_FRAMES].reshape(BANDS, n_steps, STEP_FRAMES).mean(axis=2)

    target = in_steps(query_power)
    songs = []
    for profile, offset in zip(profiles, offsets_frames, strict=True):
        power = decode(profile)
        steps = np.clip((frames + offset) // STEP_FRAMES, 0, power.shape[1] - 1)
        # Outside the song (a query starting before it, or running past its end) it adds nothing.
        inside = ((frames + offset) >= 0) & ((frames + offset) < power.shape[1] * STEP_FRAMES)
        songs.append(in_steps(power[:, steps] * inside))
    weights = 1.0 / np.maximum(target.mean(axis=1, keepdims=True), np.finfo(float).tiny)
    design = np.stack([(song * weights).ravel() for song in songs], axis=1)
    gains, _ = scipy.optimize.nnls(design, (target * weights).ravel())
    energies = gains * np.array([song.sum() for song in songs])
    total = energies.sum()
    return energies / total if total > 0 else np.zeros(len(profiles))
