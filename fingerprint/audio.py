"""Operations on sample arrays: validation, mixing, noise, clipping."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.signal

from fingerprint.errors import ParameterError

Samples = npt.NDArray[np.float32]


def valid_samples(samples: object, *, name: str = "samples") -> Samples:
    """Return `samples` as a 1-D float32 array, or raise ParameterError saying what is wrong with it."""
    array = np.asarray(samples)
    if array.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D (mono) array, got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ParameterError(f"{name} must hold numbers, got dtype {array.dtype}")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise ParameterError(f"{name} contains NaN or infinite values")
    return array


def seconds_to_samples(seconds: float, sample_rate: int) -> int:
    return int(round(seconds * sample_rate))


def clip(
    samples: Samples, *, sample_rate: int, start_s: float = 0.0, duration_s: float | None = None
) -> Samples:
    """The part of `samples` from `start_s` lasting `duration_s` (to the end if None)."""
    if start_s < 0:
        raise ParameterError(f"start_s={start_s} must not be negative")
    if duration_s is not None and duration_s <= 0:
        raise ParameterError(f"duration_s={duration_s} must be positive")
    start = seconds_to_samples(start_s, sample_rate)
    stop = None if duration_s is None else start + seconds_to_samples(duration_s, sample_rate)
    return samples[start:stop]


def mix(a: object, b: object, ratio: float, *, equal_loudness: bool = False) -> Samples:
    """Mix two signals of the same sample rate: ``(1 - ratio) * a + ratio * b``.

    ``ratio`` is the share of `b` (0 gives `a` alone, 1 gives `b` alone, 0.5 both equally). The result is
    as long as the shorter input; it is not normalised, so two full-scale inputs stay within [-1, 1].
    With `equal_loudness`, `b` is first scaled to the RMS of `a` (over the part mixed), so that the ratio
    weighs songs mastered at different levels as if they were equally loud; the mix is then scaled down
    if it would leave [-1, 1].
    """
    a = valid_samples(a, name="a")
    b = valid_samples(b, name="b")
    if not 0.0 <= ratio <= 1.0:
        raise ParameterError(f"ratio={ratio} must be in [0, 1]")
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    level_a, level_b = (rms(a), rms(b)) if equal_loudness else (0.0, 0.0)
    if level_a > 0 and level_b > 0:
        b = b * np.float32(level_a / level_b)
    mixed = ((1.0 - ratio) * a + ratio * b).astype(np.float32)
    peak = float(np.max(np.abs(mixed))) if equal_loudness and n else 0.0
    return mixed / np.float32(peak) if peak > 1.0 else mixed


def rms(samples: Samples) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def add_white_noise(samples: object, *, snr_db: float, rng: np.random.Generator) -> Samples:
    """`samples` plus Gaussian white noise whose power is `snr_db` below the signal's."""
    samples = valid_samples(samples)
    noise_rms = rms(samples) / (10.0 ** (snr_db / 20.0))
    return (samples + rng.normal(0.0, noise_rms, len(samples))).astype(np.float32)


def resample(samples: object, *, from_rate: int, to_rate: int) -> Samples:
    """`samples` at `from_rate` resampled to `to_rate` (polyphase, with an anti-aliasing filter)."""
    samples = valid_samples(samples)
    if from_rate <= 0 or to_rate <= 0:
        raise ParameterError(f"sample rates must be positive, got {from_rate} and {to_rate}")
    if from_rate == to_rate:
        return samples
    divisor = math.gcd(from_rate, to_rate)
    return scipy.signal.resample_poly(samples, to_rate // divisor, from_rate // divisor).astype(np.float32)
