"""Log-magnitude spectrogram of a mono signal."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.fft
import scipy.signal

from fingerprint.audio import valid_samples
from fingerprint.errors import ParameterError

# Floor of the dB scale, so that digital silence gives a finite value.
DB_FLOOR = -120.0


def spectrogram(samples: object, *, n_fft: int, hop_length: int) -> npt.NDArray[np.float32]:
    """Power spectrogram in dB relative to a full-scale sine, shape ``(n_fft // 2, n_frames)``.

    Frame ``t`` covers samples ``[t * hop_length, t * hop_length + n_fft)`` under a Hann window; there is no
    padding, so a signal shorter than one window has no frames. The Nyquist bin is dropped so that the
    number of bins is a power of two when `n_fft` is.
    """
    samples = valid_samples(samples)
    if n_fft < 16:
        raise ParameterError(f"n_fft={n_fft} must be at least 16")
    if not 0 < hop_length <= n_fft:
        raise ParameterError(f"hop_length={hop_length} must be in [1, n_fft={n_fft}]")
    n_bins = n_fft // 2
    if len(samples) < n_fft:
        return np.full((n_bins, 0), DB_FLOOR, dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(samples, n_fft)[::hop_length]
    window = scipy.signal.get_window("hann", n_fft).astype(np.float32)
    spectrum = scipy.fft.rfft(frames * window, axis=1)[:, :n_bins]
    # A full-scale sine has amplitude sum(window) / 2 in its bin: scale that to 0 dB.
    power = np.square(np.abs(spectrum)) * (2.0 / window.sum()) ** 2
    with np.errstate(divide="ignore"):
        s_db = 10.0 * np.log10(power, dtype=np.float32)
    return np.maximum(s_db, DB_FLOOR).T.astype(np.float32)


def frequencies_hz(*, n_fft: int, sample_rate: int) -> npt.NDArray[np.float64]:
    """Centre frequency of each bin `spectrogram` returns."""
    return np.arange(n_fft // 2) * (sample_rate / n_fft)


def frame_times_s(n_frames: int, *, hop_length: int, sample_rate: int) -> npt.NDArray[np.float64]:
    """Start time of each frame `spectrogram` returns."""
    return np.arange(n_frames) * (hop_length / sample_rate)
