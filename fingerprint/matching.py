"""Offset-difference voting: which stored songs line up with the query, and where.

Every stored hash that equals a query hash is a hit, and votes for (song, offset difference), where the
difference is the stored offset minus the query offset. For a song that is really in the query, the hits
pile up on one difference (where the query starts in the song); chance hits of other songs spread thin.
Everything is vectorised: hits are grouped with sorts and searches, never a Python loop over hits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fingerprint.errors import ParameterError


@dataclass(frozen=True)
class Candidate:
    """The best offset of one song and how many query hashes agree with it."""

    song_id: int
    # Offset difference (stored frame - query frame) with the most votes: where the query starts in the song.
    offset_frames: int
    # Distinct hash values that agree on that offset (within the tolerance).
    aligned: int
    # All hits of this song, whatever their offset.
    song_hits: int


@dataclass(frozen=True)
class Pairs:
    """Every (stored hit, query entry) pair with the same hash: one element per pair."""

    song_ids: npt.NDArray[np.int64]
    hashes: npt.NDArray[np.int64]
    query_offsets: npt.NDArray[np.int64]
    # Stored offset minus query offset: where the query would start in the song.
    differences: npt.NDArray[np.int64]

    @property
    def song_offsets(self) -> npt.NDArray[np.int64]:
        return self.query_offsets + self.differences


def join_hits(
    query_hashes: npt.NDArray[np.int64],
    query_offsets: npt.NDArray[np.int32],
    hit_hashes: npt.NDArray[np.int64],
    hit_song_ids: npt.NDArray[np.int64],
    hit_offsets: npt.NDArray[np.int32],
) -> Pairs:
    """Pair every stored hit with every query entry of the same hash."""
    order = np.argsort(query_hashes, kind="stable")
    sorted_hashes = query_hashes[order]
    first = np.searchsorted(sorted_hashes, hit_hashes, side="left")
    last = np.searchsorted(sorted_hashes, hit_hashes, side="right")
    per_hit = last - first
    hit_index = np.repeat(np.arange(len(hit_hashes)), per_hit)
    # Position of each pair inside its hit's run of query entries: 0, 1, ... per hit.
    run_start = np.repeat(np.cumsum(per_hit) - per_hit, per_hit)
    query_index = order[np.repeat(first, per_hit) + (np.arange(len(hit_index)) - run_start)]
    pair_query_offsets = query_offsets[query_index].astype(np.int64)
    return Pairs(
        song_ids=hit_song_ids[hit_index].astype(np.int64),
        hashes=hit_hashes[hit_index].astype(np.int64),
        query_offsets=pair_query_offsets,
        differences=hit_offsets[hit_index].astype(np.int64) - pair_query_offsets,
    )


def chance_level(background_hits: int, *, n_bins: int, tolerance: int) -> float:
    """The highest vote count chance alone would give a song with `background_hits` stray hits.

    Hits of a song that is not in the query fall on about `n_bins` offset differences at random (the
    song's length plus the query's, in frames), so each tolerance window holds Poisson(lambda) votes with
    lambda = hits * window / n_bins; the largest of `n_bins` such windows is about
    ``lambda + sqrt(2 * lambda * ln n_bins)``.
    """
    lam = background_hits * min((2 * tolerance + 1) / max(n_bins, 1), 1.0)
    return lam + math.sqrt(2.0 * lam * math.log(max(n_bins, 2)))


def significance(candidate: Candidate, *, n_bins: int, tolerance: int) -> float:
    """Aligned hashes beyond what chance explains, given the song's hits off the winning offset."""
    background = max(candidate.song_hits - candidate.aligned, 0)
    return candidate.aligned - chance_level(background, n_bins=n_bins, tolerance=tolerance)


def align_matches(
    pairs: Pairs,
    *,
    tolerance: int,
    max_candidates: int,
) -> list[Candidate]:
    """The best offset difference of each song; the `max_candidates` songs with most aligned hashes.

    Votes on differences within `tolerance` frames of each other are counted together, and a hash votes
    once per difference, so a hash that repeats in the song or the query (a held chord, a drum loop)
    cannot outvote the offset where many different hashes agree. The aligned count of a candidate is the
    number of distinct hash values in its winning window. `significance` weighs a candidate against
    chance.
    """
    if tolerance < 0:
        raise ParameterError(f"tolerance={tolerance} must not be negative")
    if max_candidates < 1:
        raise ParameterError(f"max_candidates={max_candidates} must be at least 1")
    if len(pairs.song_ids) == 0:
        return []
    song_ids, differences, hashes = pairs.song_ids, pairs.differences, pairs.hashes
    # One sortable key per (song, difference); differences are shifted to be non-negative.
    shift = -int(differences.min()) + tolerance
    span = int(differences.max()) + shift + tolerance + 1
    keys = song_ids * span + (differences + shift)
    # A hash votes once per (song, difference), however often it repeats there in the song or the query.
    order = np.lexsort((hashes, keys))
    sorted_keys, sorted_hashes = keys[order], hashes[order]
    first_vote = np.ones(len(order), dtype=bool)
    first_vote[1:] = (sorted_keys[1:] != sorted_keys[:-1]) | (sorted_hashes[1:] != sorted_hashes[:-1])
    unique_keys, counts = np.unique(sorted_keys[first_vote], return_counts=True)
    # Votes in the window [key - tolerance, key + tolerance] of each key, via a cumulative sum.
    cumulative = np.concatenate(([0], np.cumsum(counts)))
    window_votes = (
        cumulative[np.searchsorted(unique_keys, unique_keys + tolerance, side="right")]
        - cumulative[np.searchsorted(unique_keys, unique_keys - tolerance, side="left")]
    )
    key_songs = unique_keys // span
    # The best window of each song: sort by song, then by votes descending, take the first of each song.
    order = np.lexsort((-window_votes, key_songs))
    is_first = np.ones(len(order), dtype=bool)
    is_first[1:] = key_songs[order][1:] != key_songs[order][:-1]
    best = order[is_first]
    hit_songs, song_hit_counts = np.unique(song_ids, return_counts=True)
    # Keep a generous shortlist by raw votes, then count distinct hashes for those only.
    shortlist = best[np.argsort(-window_votes[best], kind="stable")[: max_candidates * 4]]
    candidates = []
    for key in shortlist:
        song = int(key_songs[key])
        centre = int(unique_keys[key] - song * span) - shift
        in_window = (song_ids == song) & (np.abs(differences - centre) <= tolerance)
        aligned = len(np.unique(hashes[in_window]))
        hits = int(song_hit_counts[np.searchsorted(hit_songs, song)])
        candidates.append(Candidate(song, centre, aligned, hits))
    candidates.sort(key=lambda c: (-c.aligned, c.song_id))
    return candidates[:max_candidates]
