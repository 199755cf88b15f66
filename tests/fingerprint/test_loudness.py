import numpy as np
import pytest

from config.settings import FingerprintParams
from fingerprint.analysis import fingerprint_samples, query_fingerprints
from fingerprint.audio import mix, rms
from fingerprint.loudness import BANDS, STEP_FRAMES, decode, encode, loudness_shares
from tests.synth import diffuse_song, synth_song

PARAMS = FingerprintParams()
RATE = PARAMS.sample_rate


def excerpt(song: np.ndarray, start_frame: int, duration_s: float) -> np.ndarray:
    start = start_frame * PARAMS.hop_length
    return song[start : start + int(duration_s * RATE)]


def test_a_profile_keeps_each_steps_band_levels_to_a_quarter_decibel():
    rng = np.random.default_rng(3)
    power = 10 ** rng.uniform(-9.0, -1.0, (BANDS, 5 * STEP_FRAMES + 3))
    profile = encode(power)
    assert len(profile) == BANDS * 6  # the last, partial step is kept too
    starts = np.arange(0, power.shape[1], STEP_FRAMES)
    means = np.add.reduceat(power, starts, axis=1) / np.minimum(STEP_FRAMES, power.shape[1] - starts)
    np.testing.assert_allclose(10 * np.log10(decode(profile)), 10 * np.log10(means), atol=0.26)


def test_a_song_is_stored_with_a_profile_of_its_length():
    song = synth_song(1, duration_s=10.0)
    frames = (len(song) - PARAMS.n_fft) // PARAMS.hop_length + 1
    assert len(fingerprint_samples(song, PARAMS).profile) == BANDS * -(-frames // STEP_FRAMES)


@pytest.mark.parametrize("tonal_share", [0.3, 0.7])
def test_the_louder_song_of_a_mix_explains_more_of_it_whichever_is_peakier(tonal_share):
    tonal, diffuse = synth_song(4, duration_s=40.0), diffuse_song(5, duration_s=40.0)
    tonal_at, diffuse_at = 300, 550  # frames: where the mix starts in each song
    a, b = excerpt(diffuse, diffuse_at, 10.0), excerpt(tonal, tonal_at, 10.0)
    query = mix(a, b * np.float32(rms(a) / rms(b)), tonal_share)
    profiles = [fingerprint_samples(song, PARAMS).profile for song in (diffuse, tonal)]
    shares = loudness_shares(query_fingerprints(query, PARAMS).band_power, profiles, [diffuse_at, tonal_at])
    louder = 1 if tonal_share > 0.5 else 0
    assert shares.sum() == pytest.approx(1.0)
    assert shares[louder] > 0.6


def test_a_song_that_is_not_in_the_query_explains_little_of_it():
    song, other = synth_song(6, duration_s=30.0), synth_song(7, duration_s=30.0)
    query = excerpt(song, 200, 8.0)
    profiles = [fingerprint_samples(s, PARAMS).profile for s in (song, other)]
    shares = loudness_shares(query_fingerprints(query, PARAMS).band_power, profiles, [200, 400])
    assert shares[0] > 0.85


def test_a_query_shorter_than_one_step_gives_no_shares():
    song = synth_song(8, duration_s=5.0)
    profile = fingerprint_samples(song, PARAMS).profile
    query = query_fingerprints(song[: PARAMS.n_fft + PARAMS.hop_length], PARAMS)
    np.testing.assert_array_equal(loudness_shares(query.band_power, [profile, profile], [0, 0]), [0.0, 0.0])
