import numpy as np
import pytest

from fingerprint.errors import ParameterError
from fingerprint.spectrogram import DB_FLOOR, frame_times_s, frequencies_hz, spectrogram


def test_full_scale_sine_peaks_at_its_bin_near_zero_db():
    rate, n_fft = 8000, 1024
    freq_hz = 1000.0  # exactly bin 128
    samples = np.sin(2 * np.pi * freq_hz * np.arange(rate) / rate)
    s_db = spectrogram(samples, n_fft=n_fft, hop_length=256)
    assert s_db.shape == (n_fft // 2, 1 + (rate - n_fft) // 256)
    assert s_db.dtype == np.float32
    assert np.all(np.argmax(s_db, axis=0) == 128)
    assert frequencies_hz(n_fft=n_fft, sample_rate=rate)[128] == pytest.approx(freq_hz)
    assert s_db[128].mean() == pytest.approx(0.0, abs=0.1)


def test_silence_is_the_floor_and_short_input_has_no_frames():
    assert np.all(spectrogram(np.zeros(4096), n_fft=1024, hop_length=256) == DB_FLOOR)
    assert spectrogram(np.zeros(100), n_fft=1024, hop_length=256).shape == (512, 0)
    assert spectrogram(np.zeros(0), n_fft=1024, hop_length=256).shape == (512, 0)


def test_frame_times_follow_the_hop():
    assert frame_times_s(3, hop_length=256, sample_rate=8000).tolist() == [0.0, 0.032, 0.064]


@pytest.mark.parametrize(
    ("samples", "n_fft", "hop", "message"),
    [
        (np.zeros((2, 100)), 1024, 256, "1-D"),
        (np.array([0.0, np.nan]), 1024, 256, "NaN"),
        (np.zeros(10), 8, 4, "n_fft=8"),
        (np.zeros(10), 1024, 0, "hop_length=0"),
        (np.zeros(10), 1024, 2048, "hop_length=2048"),
        (np.array(["a"]), 1024, 256, "dtype"),
    ],
)
def test_bad_input_raises_parameter_error_naming_the_value(samples, n_fft, hop, message):
    with pytest.raises(ParameterError, match=message):
        spectrogram(samples, n_fft=n_fft, hop_length=hop)
