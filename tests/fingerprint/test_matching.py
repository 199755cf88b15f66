import numpy as np
import pytest

from fingerprint.errors import ParameterError
from fingerprint.matching import align_matches, chance_level, join_hits, significance


def _i64(values):
    return np.array(values, dtype=np.int64)


def test_join_pairs_every_hit_with_every_query_entry_of_its_hash():
    query_hashes, query_offsets = _i64([5, 7, 5]), np.array([0, 1, 2], np.int32)
    hit_hashes, hit_songs, hit_offsets = _i64([5, 7, 9]), _i64([1, 2, 3]), np.array([10, 20, 30], np.int32)
    songs, diffs, hashes = join_hits(query_hashes, query_offsets, hit_hashes, hit_songs, hit_offsets)
    assert sorted(zip(songs.tolist(), diffs.tolist(), hashes.tolist(), strict=True)) == [
        (1, 8, 5),
        (1, 10, 5),
        (2, 19, 7),
    ]


def test_consistent_offset_is_significant_and_scattered_hits_are_not():
    rng = np.random.default_rng(1)
    # Song 1: 30 hashes agreeing on offset 100 (one frame of jitter). Song 2: 200 hits at random offsets.
    songs = np.concatenate([np.full(30, 1), np.full(200, 2)])
    diffs = np.concatenate([100 + rng.integers(-1, 2, 30), rng.integers(-500, 500, 200)])
    hashes = np.arange(230)
    candidates = align_matches(songs, diffs, hashes, tolerance=1, max_candidates=2)
    assert [c.song_id for c in candidates] == [1, 2]
    assert candidates[0].offset_frames in (99, 100, 101)
    assert candidates[0].aligned == 30
    assert candidates[0].song_hits == 30
    assert candidates[1].aligned < 10
    assert candidates[1].song_hits == 200
    true, stray = (significance(c, n_bins=1000, tolerance=1) for c in candidates)
    assert true == 30
    assert stray < 3


def test_a_hash_repeated_on_one_offset_votes_once():
    songs, diffs, hashes = _i64([1] * 10), _i64([50] * 10), _i64([42] * 10)
    (candidate,) = align_matches(songs, diffs, hashes, tolerance=1, max_candidates=3)
    assert candidate.aligned == 1


def test_no_hits_no_candidates():
    assert align_matches(_i64([]), _i64([]), _i64([]), tolerance=1, max_candidates=3) == []


def test_chance_level_grows_with_hits_and_is_zero_without():
    assert chance_level(0, n_bins=1000, tolerance=1) == 0.0
    assert 0 < chance_level(100, n_bins=1000, tolerance=1) < chance_level(1000, n_bins=1000, tolerance=1)


def test_bad_arguments_raise():
    with pytest.raises(ParameterError, match="tolerance"):
        align_matches(_i64([1]), _i64([1]), _i64([1]), tolerance=-1, max_candidates=1)
    with pytest.raises(ParameterError, match="max_candidates"):
        align_matches(_i64([1]), _i64([1]), _i64([1]), tolerance=1, max_candidates=0)
