from dataclasses import replace

import numpy as np
import pytest

from config.settings import FingerprintParams
from fingerprint.analysis import (
    constellation,
    fingerprint_chunks,
    fingerprint_samples,
    query_fingerprints,
    stored_constellation,
)
from fingerprint.errors import ParameterError
from fingerprint.hashing import DF_BITS, DT_BITS
from tests.synth import synth_song

PARAMS = FingerprintParams()


@pytest.mark.parametrize("hops", [1, 7, 40])
def test_delaying_by_whole_hops_shifts_offsets_and_keeps_hashes(hops):
    song = synth_song(1, duration_s=12.0)
    delayed = np.concatenate([np.zeros(hops * PARAMS.hop_length, np.float32), song])
    original = fingerprint_samples(song, PARAMS)
    shifted = fingerprint_samples(delayed, PARAMS)
    original_pairs = set(zip(original.hashes.tolist(), (original.offsets + hops).tolist(), strict=True))
    shifted_pairs = set(zip(shifted.hashes.tolist(), shifted.offsets.tolist(), strict=True))
    # Away from the edges (where the density window sees other neighbours) every pair is found again.
    last = int(original.offsets.max()) + hops
    inner = {p for p in original_pairs if hops + 64 <= p[1] <= last - 96}
    assert len(inner) > 100
    assert inner <= shifted_pairs


def test_density_matches_the_parameters():
    song = synth_song(2, duration_s=30.0)
    fingerprints = fingerprint_samples(song, PARAMS)
    per_second = len(fingerprints) / 30.0
    assert 5 < per_second <= PARAMS.peaks_per_second * PARAMS.fan_value * 1.2


def test_query_fingerprints_cover_the_stored_ones_for_an_on_grid_clip():
    song = synth_song(3, duration_s=20.0)
    stored = fingerprint_samples(song, PARAMS)
    start = 100 * PARAMS.hop_length
    query = query_fingerprints(song[start : start + 5 * PARAMS.sample_rate], PARAMS)
    stored_pairs = set(zip(stored.hashes.tolist(), (stored.offsets - 100).tolist(), strict=True))
    query_pairs = set(zip(query.hashes.tolist(), query.offsets.tolist(), strict=True))
    inner = {p for p in stored_pairs if 40 <= p[1] <= 100}
    assert len(inner & query_pairs) >= 0.8 * len(inner)
    # The store-like hashes are the store's own analysis: away from the clip's edges they are all there.
    inner_hashes = {h for h, offset in inner if 40 <= offset <= 80}
    assert inner_hashes <= set(query.store_like.tolist())
    assert set(query.store_like.tolist()) <= set(query.hashes.tolist())


def test_silence_and_tiny_input_give_no_fingerprints():
    assert len(fingerprint_samples(np.zeros(80_000, np.float32), PARAMS)) == 0
    assert len(query_fingerprints(np.zeros(10, np.float32), PARAMS)) == 0
    assert len(query_fingerprints(np.zeros(0, np.float32), PARAMS)) == 0


def test_the_stored_constellation_is_the_peaks_the_hashes_were_made_of():
    song = synth_song(4, duration_s=10.0)
    fingerprints = fingerprint_samples(song, PARAMS)
    times_s, freqs_hz = stored_constellation(fingerprints.hashes, fingerprints.offsets, PARAMS)
    peaks = constellation(song, PARAMS)
    frame_s = PARAMS.hop_length / PARAMS.sample_rate
    bin_hz = PARAMS.sample_rate / PARAMS.n_fft
    expected = set(
        zip((peaks.time_frames * frame_s).round(6), (peaks.freq_bins * bin_hz).round(6), strict=True)
    )
    rebuilt = set(zip(times_s.round(6), freqs_hz.round(6), strict=True))
    # Every rebuilt point is a peak; a peak is missing only if it took part in no pair.
    assert rebuilt <= expected
    assert len(rebuilt) >= 0.9 * len(expected)


@pytest.mark.parametrize("seed", [5, 6, 7])
@pytest.mark.parametrize("block_frames", [1, 23, 300, 2048])
def test_fingerprinting_in_chunks_gives_exactly_the_hashes_of_the_whole_signal(seed, block_frames):
    rng = np.random.default_rng(seed)
    song = synth_song(seed, duration_s=float(rng.uniform(20.0, 70.0)))
    cuts = np.sort(rng.integers(0, len(song), 12))  # chunks of any length, some empty
    whole = fingerprint_samples(song, PARAMS)
    chunked = fingerprint_chunks(np.split(song, cuts), PARAMS, block_frames=block_frames)
    assert len(whole) > 500
    np.testing.assert_array_equal(chunked.hashes, whole.hashes)
    np.testing.assert_array_equal(chunked.offsets, whole.offsets)
    assert chunked.profile == whole.profile


@pytest.mark.parametrize("length", [0, 10, PARAMS.n_fft - 1, PARAMS.n_fft, 3 * PARAMS.n_fft])
def test_chunks_of_silence_or_tiny_input_give_no_fingerprints(length):
    assert len(fingerprint_chunks([np.zeros(length, np.float32)], PARAMS, block_frames=1)) == 0
    assert len(fingerprint_chunks([], PARAMS)) == 0


def test_chunks_are_validated_like_samples():
    with pytest.raises(ParameterError, match="NaN"):
        fingerprint_chunks([np.zeros(100, np.float32), np.array([np.nan], np.float32)], PARAMS)
    with pytest.raises(ParameterError, match="block_frames"):
        fingerprint_chunks([], PARAMS, block_frames=0)


def test_a_smaller_query_neighbourhood_keeps_peaks_beside_a_louder_one_and_store_like_ones_do_not():
    # Bursts of a loud 1000 Hz tone with a tone 10 bins above it at a tenth of its level: inside the
    # store's peak neighbourhood (12 bins), outside a query neighbourhood of 6 bins.
    rate = PARAMS.sample_rate
    t = np.arange(6 * rate) / rate
    bursts = (t % 0.4) < 0.1
    tones = np.sin(2 * np.pi * 1000 * t) + 0.1 * np.sin(2 * np.pi * 1078 * t)
    samples = (bursts * tones).astype(np.float32)
    weak_bin = round(1078 * PARAMS.n_fft / rate)

    def anchor_bins(hashes):
        return set((np.asarray(hashes) >> (DF_BITS + DT_BITS)).tolist())

    query = query_fingerprints(samples, replace(PARAMS, query_peak_freq_radius=6, query_peak_time_radius=3))
    assert weak_bin in anchor_bins(query.hashes)
    assert weak_bin not in anchor_bins(query.store_like)
    assert weak_bin not in anchor_bins(fingerprint_samples(samples, PARAMS).hashes)
    # The default query neighbourhood is the store's; a mix's is the smaller one.
    assert weak_bin not in anchor_bins(query_fingerprints(samples, PARAMS).hashes)
    assert weak_bin in anchor_bins(query_fingerprints(samples, PARAMS, mix=True).hashes)
