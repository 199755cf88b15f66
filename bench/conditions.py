"""The evaluation's conditions: their names, and how they alter query clips.

The alterations (noise at an exact SNR, a phone channel, a playback speed change, mp3 encoding) work on
mono float32 samples and are for the benchmark only; the app never alters audio this way. Noise is scaled
so that the ratio of the clip's RMS to the noise's RMS over the full band is exactly the SNR asked for.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.signal

from fingerprint.audio import resample, rms

Samples = npt.NDArray[np.float32]

DURATIONS_S = (1.0, 2.0, 3.0, 5.0, 10.0, 15.0)  # clip lengths of the clean, noise and never-stored queries
SNRS_DB = (-15.0, -10.0, -5.0, 0.0, 5.0, 10.0, 15.0)
# Noise kinds: white, pink (1/f), and an excerpt of a never-stored song (so the right answer stays one).
NOISE_KINDS = ("white", "pink", "song")
MAIN_DURATION_S = 5.0  # the clip length of the latency, phone, mp3 and speed figures
SPEEDS = (0.97, 0.99, 1.01, 1.03)  # playback speed factors
MIX_DURATION_S = 10.0
MIX_RATIOS = (0.5, 0.3, 0.2)  # the second song's share of a two-song mix
SILENCE = "silence and hiss"
SPEECH = "speech"
PHONE_RATE = 8_000
PHONE_BAND_HZ = (300.0, 3400.0)
PHONE_FILTER_ORDER = 6  # Butterworth band-pass, like the steep filters of a telephone channel


def seconds(duration_s: float) -> str:
    return f"{duration_s:g} s"


def clean_name(duration_s: float) -> str:
    return f"clean {seconds(duration_s)}"


def noise_name(kind: str, snr_db: float, duration_s: float) -> str:
    return f"{kind} noise {snr_db:g} dB {seconds(duration_s)}"


def speed_name(factor: float, duration_s: float) -> str:
    return f"speed {100 * (factor - 1):+.0f} % {seconds(duration_s)}"


def mix_name(ratio: float) -> str:
    return f"mix {ratio:g} {seconds(MIX_DURATION_S)}"


def never_stored_name(duration_s: float) -> str:
    return f"never stored {seconds(duration_s)}"


PHONE = f"phone {seconds(MAIN_DURATION_S)}"
#: 50/50 mixes of a stored song and a never-stored one: only the stored song may be named.
MIX_WITH_UNKNOWN = f"{mix_name(0.5)} with a never-stored song"
MP3 = f"mp3 64 kbps {seconds(MAIN_DURATION_S)}"


def white_noise(length: int, rng: np.random.Generator) -> Samples:
    """Gaussian noise of unit variance: equal power in every band of equal width."""
    return rng.standard_normal(length).astype(np.float32)


def pink_noise(length: int, rng: np.random.Generator) -> Samples:
    """Noise whose power falls as 1/f (-3 dB per octave): white noise shaped in the frequency domain.

    The amplitude of each frequency bin of white noise's spectrum is divided by sqrt(f); the DC bin is
    zeroed. The result is normalised to unit RMS.
    """
    if length == 0:
        return np.zeros(0, np.float32)
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.fft.rfftfreq(length)
    spectrum[1:] /= np.sqrt(frequencies[1:])
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n=length)
    return (noise / max(rms(noise), 1e-12)).astype(np.float32)


def add_noise(samples: Samples, noise: Samples, *, snr_db: float) -> Samples:
    """`samples` plus `noise` (as long as `samples`) scaled so that the SNR over the full band is `snr_db`."""
    if len(noise) != len(samples):
        raise ValueError(f"noise has {len(noise)} samples, the clip {len(samples)}")
    noise_rms = rms(noise)
    if noise_rms == 0.0:
        raise ValueError("the noise is silent")
    gain = rms(samples) / noise_rms / 10.0 ** (snr_db / 20.0)
    return (samples + gain * noise).astype(np.float32)


def phone_channel(samples: Samples, *, sample_rate: int) -> Samples:
    """`samples` through a telephone channel: band-passed to 300-3400 Hz, then resampled to 8 kHz."""
    sos = scipy.signal.butter(
        PHONE_FILTER_ORDER, PHONE_BAND_HZ, btype="bandpass", fs=sample_rate, output="sos"
    )
    band = scipy.signal.sosfilt(sos, samples).astype(np.float32)
    return resample(band, from_rate=sample_rate, to_rate=PHONE_RATE)


def change_speed(samples: Samples, *, factor: float, sample_rate: int) -> Samples:
    """`samples` played `factor` times as fast, as on a turntable: pitch and tempo change together.

    The samples are taken to be at `factor` times their rate and resampled back to `sample_rate`, so the
    result lasts 1/factor as long and every frequency is multiplied by `factor`.
    """
    return resample(samples, from_rate=round(sample_rate * factor), to_rate=sample_rate)


def encode_mp3(wav: Path, *, ffmpeg: str, bitrate: str = "64k") -> Path:
    """An mp3 encoding (libmp3lame, constant `bitrate`) of the wav file, next to it."""
    encoded = wav.with_suffix(".mp3")
    command = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame"]
    subprocess.run([*command, "-b:a", bitrate, str(encoded)], check=True)
    return encoded


def espeak_program() -> str | None:
    """The path of espeak-ng, or None if it is not installed."""
    return shutil.which("espeak-ng")


def synthesise_speech(text: str, voice: str, path: Path, *, program: str) -> Path:
    """A wav file of `text` spoken by espeak-ng with `voice` (a language code such as "en" or "de")."""
    subprocess.run([program, "-v", voice, "-w", str(path), text], check=True, stdout=subprocess.DEVNULL)
    return path
