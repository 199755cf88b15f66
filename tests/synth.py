"""Synthetic songs with known content, made from a seed (no audio files are committed)."""

from __future__ import annotations

import numpy as np
import scipy.signal


def synth_song(seed: int, *, duration_s: float = 20.0, sample_rate: int = 8000) -> np.ndarray:
    """A 'song' of random decaying tones (three voices, 150-3500 Hz), peak level about -6 dBFS."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sample_rate)
    song = np.zeros(n, dtype=np.float64)
    t = np.arange(n) / sample_rate
    for _voice in range(3):
        start = 0.0
        while start < duration_s:
            length = rng.uniform(0.1, 0.4)
            freq = rng.uniform(150.0, 3500.0)
            first, last = int(start * sample_rate), min(int((start + length) * sample_rate), n)
            local = t[first:last] - start
            song[first:last] += np.sin(2 * np.pi * freq * local) * np.exp(-local * rng.uniform(2.0, 8.0))
            start += length
    song += rng.normal(0.0, 0.01, n)
    return (0.5 * song / np.max(np.abs(song))).astype(np.float32)


def diffuse_song(seed: int, *, duration_s: float = 20.0, sample_rate: int = 8000) -> np.ndarray:
    """Noise through a band-pass filter that wanders slowly: loud, but with few sharp peaks."""
    rng = np.random.default_rng(seed)
    parts = []
    for _ in range(int(duration_s * 2)):
        low = rng.uniform(150.0, 1500.0)
        sos = scipy.signal.butter(
            4, [low, low * rng.uniform(1.5, 2.5)], "bandpass", fs=sample_rate, output="sos"
        )
        parts.append(scipy.signal.sosfilt(sos, rng.normal(0.0, 1.0, sample_rate // 2)))
    song = np.concatenate(parts)
    return (0.5 * song / np.max(np.abs(song))).astype(np.float32)
