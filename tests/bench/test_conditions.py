"""The benchmark's clip alterations do what their names say: exact SNR, pink slope, phone band, speed."""

from __future__ import annotations

import numpy as np
import pytest

from bench.conditions import (
    PHONE_RATE,
    add_noise,
    change_speed,
    phone_channel,
    pink_noise,
    white_noise,
)
from fingerprint.audio import rms

RATE = 44_100


def sine(freq_hz: float, seconds: float = 2.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def peak_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def band_power(samples: np.ndarray, low_hz: float, high_hz: float, rate: int) -> float:
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(power[(freqs >= low_hz) & (freqs < high_hz)].sum())


@pytest.mark.parametrize("snr_db", [-15.0, 0.0, 7.5])
@pytest.mark.parametrize("make_noise", [white_noise, pink_noise])
def test_add_noise_gives_the_exact_snr(snr_db, make_noise):
    clean = sine(440.0)
    noise = make_noise(len(clean), np.random.default_rng(1))
    noisy = add_noise(clean, noise, snr_db=snr_db)
    measured = 20 * np.log10(rms(clean) / rms(noisy - clean))
    assert measured == pytest.approx(snr_db, abs=1e-3)


def test_pink_noise_falls_3_db_per_octave():
    noise = pink_noise(2**20, np.random.default_rng(2))
    octaves = [band_power(noise, f, 2 * f, RATE) for f in (250.0, 500.0, 1000.0, 2000.0, 4000.0)]
    # Power per octave is flat for 1/f noise: each band is twice as wide and -3 dB per Hz.
    per_hz_db = [10 * np.log10(p / f) for p, f in zip(octaves, (250, 500, 1000, 2000, 4000), strict=True)]
    slopes = np.diff(per_hz_db)
    assert slopes == pytest.approx([-3.01] * 4, abs=0.3)


def test_white_noise_is_flat():
    noise = white_noise(2**20, np.random.default_rng(3))
    low, high = band_power(noise, 1000, 2000, RATE), band_power(noise, 10_000, 11_000, RATE)
    assert 10 * np.log10(low / high) == pytest.approx(0.0, abs=0.3)


@pytest.mark.parametrize("factor", [0.97, 1.01, 1.03])
def test_change_speed_shifts_frequency_and_length_by_the_factor(factor):
    faster = change_speed(sine(1000.0), factor=factor, sample_rate=RATE)
    assert peak_frequency(faster, RATE) == pytest.approx(1000.0 * factor, abs=1.0)
    assert len(faster) == pytest.approx(2.0 * RATE / factor, abs=2)


def test_phone_channel_keeps_the_voice_band_and_cuts_outside_it():
    def through_phone_db(freq_hz: float) -> float:
        out = phone_channel(sine(freq_hz), sample_rate=RATE)
        return 20 * np.log10(rms(out[PHONE_RATE // 2 :]) / rms(sine(freq_hz)))

    assert abs(through_phone_db(1000.0)) < 1.0
    assert through_phone_db(100.0) < -20.0
    assert through_phone_db(3900.0) < -10.0  # half an octave from the edge: a 6th-order slope
    assert len(phone_channel(sine(1000.0), sample_rate=RATE)) == 2 * PHONE_RATE
