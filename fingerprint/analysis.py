"""From samples to landmark hashes, for the store and for queries."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from config.settings import FingerprintParams
from fingerprint.audio import valid_samples
from fingerprint.hashing import landmark_hashes, unpack_hashes
from fingerprint.peaks import Peaks, find_peaks
from fingerprint.spectrogram import spectrogram


@dataclass(frozen=True)
class Fingerprints:
    """Distinct (hash, offset) pairs of a signal, sorted by offset then hash."""

    hashes: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.hashes)


def constellation(
    samples: object, params: FingerprintParams, *, peaks_per_second: int | None = None
) -> Peaks:
    """The peaks `fingerprint_samples` pairs into hashes (at most `peaks_per_second`, default the store's)."""
    s_db = spectrogram(samples, n_fft=params.n_fft, hop_length=params.hop_length)
    return find_peaks(
        s_db,
        freq_radius=params.peak_freq_radius,
        time_radius=params.peak_time_radius,
        amp_min_db=params.amp_min_db,
        min_freq_bin=int(np.ceil(params.min_freq_hz * params.n_fft / params.sample_rate)),
        max_per_second=peaks_per_second or params.peaks_per_second,
        frames_per_second=params.sample_rate / params.hop_length,
    )


def fingerprint_samples(samples: object, params: FingerprintParams) -> Fingerprints:
    """The hashes a song is stored with."""
    return _fingerprints(samples, params, params.peaks_per_second, params.fan_value)


def _fingerprints(
    samples: object, params: FingerprintParams, peaks_per_second: int, fan_value: int
) -> Fingerprints:
    peaks = constellation(samples, params, peaks_per_second=peaks_per_second)
    hashes, offsets = landmark_hashes(
        peaks,
        fan_value=fan_value,
        dt_min=params.dt_min_frames,
        dt_max=params.dt_max_frames,
        df_max=params.df_max_bins,
    )
    return _distinct(hashes, offsets)


def query_fingerprints(samples: object, params: FingerprintParams) -> Fingerprints:
    """The hashes a query is looked up with: the union over `params.query_shifts` sub-hop shifts.

    A clip rarely starts on the store's frame grid; analysing it at several shifts of a fraction of a hop
    finds the frames that line up best. Offsets of every shift are in frames of the unshifted query.
    """
    samples = valid_samples(samples)
    step = max(params.hop_length // params.query_shifts, 1)
    parts = [
        _fingerprints(samples[shift:], params, params.query_peaks_per_second, params.query_fan_value)
        for shift in range(0, params.hop_length, step)
    ]
    hashes = np.concatenate([p.hashes for p in parts])
    offsets = np.concatenate([p.offsets for p in parts])
    return _distinct(hashes, offsets)


def _distinct(hashes: npt.NDArray[np.int64], offsets: npt.NDArray[np.int32]) -> Fingerprints:
    keys = np.unique((offsets.astype(np.int64) << 32) | hashes)
    return Fingerprints(hashes=keys & 0xFFFFFFFF, offsets=(keys >> 32).astype(np.int32))


def stored_constellation(
    hashes: npt.NDArray[np.int64], offsets: npt.NDArray[np.int32], params: FingerprintParams
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The peaks a song's stored hashes were made of, as (times_s, freqs_hz), rebuilt from the hashes.

    Every hash holds its anchor (offset, f1) and its target (offset + dt, f1 + df); the distinct points are
    the song's constellation as the store knows it.
    """
    f1, df, dt = unpack_hashes(hashes)
    offsets = offsets.astype(np.int64)
    points = np.unique(
        np.stack([np.concatenate([offsets, offsets + dt]), np.concatenate([f1, f1 + df])]), axis=1
    )
    return (
        points[0] * (params.hop_length / params.sample_rate),
        points[1] * (params.sample_rate / params.n_fft),
    )
