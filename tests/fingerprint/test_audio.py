import numpy as np
import pytest

from fingerprint.audio import add_white_noise, clip, mix, resample, rms, valid_samples
from fingerprint.errors import ParameterError


def test_mix_is_the_weighted_sum_trimmed_to_the_shorter_input():
    a, b = np.ones(10, np.float32), np.full(6, -1.0, np.float32)
    mixed = mix(a, b, 0.3)
    assert mixed.dtype == np.float32
    assert len(mixed) == 6
    assert np.allclose(mixed, 0.7 - 0.3)
    assert np.array_equal(mix(a, b, 0.0), a[:6])
    assert np.array_equal(mix(a, b, 1.0), b)


def test_an_equal_loudness_mix_brings_the_second_song_to_the_first_ones_level():
    rng = np.random.default_rng(2)
    loud, quiet = 0.3 * rng.standard_normal(8000), 0.01 * rng.standard_normal(9000)
    mixed = mix(loud, quiet, 0.3, equal_loudness=True)
    assert np.allclose(mixed, 0.7 * loud + 0.3 * quiet[:8000] * (rms(loud) / rms(quiet[:8000])), atol=1e-6)
    # Silence is not scaled up, and a mix that would clip is scaled down to full scale.
    assert np.array_equal(
        mix(loud, np.zeros(8000), 0.5, equal_loudness=True), (0.5 * loud).astype(np.float32)
    )
    clipping = mix(np.ones(100), np.ones(100) * 0.5, 0.5, equal_loudness=True)
    assert np.allclose(clipping, 1.0)


@pytest.mark.parametrize("ratio", [-0.1, 1.5])
def test_mix_rejects_ratios_outside_0_1(ratio):
    with pytest.raises(ParameterError, match=f"ratio={ratio}"):
        mix(np.zeros(3), np.zeros(3), ratio)


def test_clip_cuts_by_seconds():
    samples = np.arange(100, dtype=np.float32)
    assert clip(samples, sample_rate=10, start_s=2, duration_s=3).tolist() == list(range(20, 50))
    assert len(clip(samples, sample_rate=10, start_s=9.5)) == 5
    with pytest.raises(ParameterError):
        clip(samples, sample_rate=10, start_s=-1)


def test_white_noise_has_the_asked_snr():
    rng = np.random.default_rng(0)
    signal = np.sin(np.linspace(0, 2000, 80_000)).astype(np.float32)
    noisy = add_white_noise(signal, snr_db=0.0, rng=rng)
    assert rms(noisy - signal) == pytest.approx(rms(signal), rel=0.02)


def test_resample_keeps_a_tone_and_changes_the_length():
    tone = np.sin(2 * np.pi * 440 * np.arange(44_100) / 44_100).astype(np.float32)
    out = resample(tone, from_rate=44_100, to_rate=8000)
    assert len(out) == 8000
    spectrum = np.abs(np.fft.rfft(out))
    assert np.argmax(spectrum) == 440  # 1 Hz per bin for one second
    assert resample(tone, from_rate=8000, to_rate=8000) is not None


def test_valid_samples_rejects_non_mono_and_non_finite():
    with pytest.raises(ParameterError, match="1-D"):
        valid_samples(np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="NaN"):
        valid_samples([np.inf])
    assert valid_samples(np.arange(3, dtype=np.int16)).dtype == np.float32
