import numpy as np
import pytest

from fingerprint.errors import ParameterError
from fingerprint.matching import Pairs, align_matches, chance_level, join_hits, significance


def _i64(values):
    return np.array(values, dtype=np.int64)


def _pairs(songs, differences, hashes):
    songs, differences = _i64(songs), _i64(differences)
    return Pairs(songs, _i64(hashes), np.zeros(len(songs), np.int64), differences)


def test_join_pairs_every_hit_with_every_query_entry_of_its_hash():
    query_hashes, query_offsets = _i64([5, 7, 5]), np.array([0, 1, 2], np.int32)
    hit_hashes, hit_songs, hit_offsets = _i64([5, 7, 9]), _i64([1, 2, 3]), np.array([10, 20, 30], np.int32)
    pairs = join_hits(query_hashes, query_offsets, hit_hashes, hit_songs, hit_offsets)
    rows = zip(
        *(a.tolist() for a in (pairs.song_ids, pairs.hashes, pairs.query_offsets, pairs.song_offsets)),
        strict=True,
    )
    assert sorted(rows) == [(1, 5, 0, 10), (1, 5, 2, 10), (2, 7, 1, 20)]
    assert sorted(pairs.differences.tolist()) == [8, 10, 19]


def test_consistent_offset_is_significant_and_scattered_hits_are_not():
    rng = np.random.default_rng(1)
    # Song 1: 30 hashes agreeing on offset 100 (one frame of jitter). Song 2: 200 hits at random offsets.
    songs = np.concatenate([np.full(30, 1), np.full(200, 2)])
    diffs = np.concatenate([100 + rng.integers(-1, 2, 30), rng.integers(-500, 500, 200)])
    candidates = align_matches(_pairs(songs, diffs, np.arange(230)), tolerance=1, max_candidates=2)
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
    (candidate,) = align_matches(_pairs([1] * 10, [50] * 10, [42] * 10), tolerance=1, max_candidates=3)
    assert candidate.aligned == 1


def test_the_offset_is_where_most_distinct_hashes_agree_not_most_repeats():
    # Hash 42 repeats ten times at difference 50; three different hashes agree on difference 200.
    pairs = _pairs([1] * 13, [50] * 10 + [200] * 3, [42] * 10 + [1, 2, 3])
    (candidate,) = align_matches(pairs, tolerance=1, max_candidates=3)
    assert (candidate.offset_frames, candidate.aligned) == (200, 3)


def test_no_hits_no_candidates():
    assert align_matches(_pairs([], [], []), tolerance=1, max_candidates=3) == []


def test_chance_level_grows_with_hits_and_is_zero_without():
    assert chance_level(0, n_bins=1000, tolerance=1) == 0.0
    assert 0 < chance_level(100, n_bins=1000, tolerance=1) < chance_level(1000, n_bins=1000, tolerance=1)


def test_bad_arguments_raise():
    with pytest.raises(ParameterError, match="tolerance"):
        align_matches(_pairs([1], [1], [1]), tolerance=-1, max_candidates=1)
    with pytest.raises(ParameterError, match="max_candidates"):
        align_matches(_pairs([1], [1], [1]), tolerance=1, max_candidates=0)
