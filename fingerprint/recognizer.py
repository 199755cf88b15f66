"""The recognition service used by the CLI and the window: audio in, ranked matches (or none) out."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from config.settings import FingerprintParams
from database.base import Hits, SongRecord, Store
from fingerprint.analysis import QueryFingerprints, query_fingerprints
from fingerprint.audio import Samples, clip, mix, resample, valid_samples
from fingerprint.decoder import read_audio
from fingerprint.loudness import is_profile, loudness_shares
from fingerprint.matching import Candidate, Pairs, align_matches, join_hits, significance
from fingerprint.rarity import META_NAME as PRIOR_META_NAME
from fingerprint.rarity import HashPrior, probes_within_budget
from fingerprint.types import Match, RecognitionResult, SongEvidence

#: The share of `min_aligned_hashes` a clip of 1 s (or less) must reach; it grows to all of it at 2 s.
SHORT_CLIP_BAR = 2 / 3


def confidence(significance: float, threshold: float) -> float:
    """Map aligned hashes beyond chance to [0, 1]: 0.5 at the match threshold, near 1 far above it."""
    if significance <= 0:
        return 0.0
    return float(1.0 - 0.5 ** (significance / threshold))


@dataclass(frozen=True)
class MixedQuery:
    """A mix of two songs made for recognition, kept so it can be played or plotted."""

    samples: Samples
    sample_rate: int
    result: RecognitionResult


class Recognizer:
    """Recognises files, sample arrays and two-song mixes against a store."""

    #: Seconds the store's hash statistics (fingerprint.rarity) are trusted before they are read again.
    stats_ttl_s = 60.0

    def __init__(self, store: Store, params: FingerprintParams) -> None:
        self.store = store
        self.params = params
        self._stats: tuple[HashPrior, int] | None = None
        self._stats_read = 0.0

    def read_clip(
        self, path: str | Path, *, start_s: float = 0.0, duration_s: float | None = None
    ) -> Samples:
        """The part of a file from `start_s` lasting `duration_s` (None: to its end), at the analysis rate."""
        limit = None if duration_s is None else start_s + duration_s
        samples = read_audio(path, sample_rate=self.params.sample_rate, limit_s=limit)
        return clip(samples, sample_rate=self.params.sample_rate, start_s=start_s)

    def recognize_file(
        self,
        path: str | Path,
        *,
        start_s: float = 0.0,
        duration_s: float | None = None,
        exhaustive: bool = False,
    ) -> RecognitionResult:
        """Recognise a file, or its part from `start_s` lasting `duration_s` (see `recognize_samples`)."""
        samples = self.read_clip(path, start_s=start_s, duration_s=duration_s)
        return self.recognize_samples(samples, sample_rate=self.params.sample_rate, exhaustive=exhaustive)

    def load_mix(
        self,
        path_a: str | Path,
        path_b: str | Path | None,
        *,
        ratio: float,
        start_a_s: float = 0.0,
        start_b_s: float = 0.0,
        duration_s: float = 10.0,
    ) -> Samples:
        """`duration_s` of ``(1 - ratio) * a + ratio * b`` at the analysis rate (`a` alone if `b` is None),
        `b` brought to the loudness of `a` first: the ratio is what the listener hears, whatever the
        levels the two were mastered at."""
        a = self.read_clip(path_a, start_s=start_a_s, duration_s=duration_s)
        if path_b is None:
            return a
        b = self.read_clip(path_b, start_s=start_b_s, duration_s=duration_s)
        return mix(a, b, ratio, equal_loudness=True)

    def recognize_mix(
        self,
        path_a: str | Path,
        path_b: str | Path,
        *,
        ratio: float,
        start_a_s: float = 0.0,
        start_b_s: float = 0.0,
        duration_s: float = 10.0,
    ) -> MixedQuery:
        """Mix `duration_s` of two files as `load_mix` does and recognise the mix."""
        samples = self.load_mix(
            path_a, path_b, ratio=ratio, start_a_s=start_a_s, start_b_s=start_b_s, duration_s=duration_s
        )
        rate = self.params.sample_rate
        return MixedQuery(samples, rate, self.recognize_samples(samples, sample_rate=rate, exhaustive=True))

    def recognize_samples(
        self, samples: object, *, sample_rate: int, exhaustive: bool = False
    ) -> RecognitionResult:
        """Recognise a mono signal at any sample rate (the microphone's, a mix's).

        The query's store-like hashes (`QueryFingerprints.store_like`) are looked up first: they hold most
        of the evidence for a fraction of the rows. The rest are looked up only when those name no song,
        or always with `exhaustive` (a mix, whose weaker song must be found too: its dense peaks are then
        those of the mix neighbourhood, `mix_peak_freq_radius` and `mix_peak_time_radius`).
        """
        started = time.perf_counter()
        samples = resample(valid_samples(samples), from_rate=sample_rate, to_rate=self.params.sample_rate)
        query = query_fingerprints(samples, self.params, mix=exhaustive)
        duration_s = len(samples) / self.params.sample_rate
        fingerprinted = time.perf_counter()
        first, rest = self.probes(query)
        hits = self.store.lookup(first)
        lookup_s = time.perf_counter() - fingerprinted
        pairs, matches, best_rejected = self._judge(query, hits, duration_s)
        probed, lookups = first.size, 1
        if rest.size and (exhaustive or not matches):
            probed, lookups = probed + rest.size, 2
            looking = time.perf_counter()
            more = self.store.lookup(rest)
            lookup_s += time.perf_counter() - looking
            hits = tuple(np.concatenate(both) for both in zip(hits, more, strict=True))
            pairs, matches, best_rejected = self._judge(query, hits, duration_s)
        matches = self.loudest_first(query, matches)
        finished = time.perf_counter()
        return RecognitionResult(
            matches=tuple(matches),
            best_rejected=best_rejected,
            input_total_hashes=len(query),
            probed_hashes=probed,
            lookups=lookups,
            query_duration_s=duration_s,
            fingerprint_time_s=fingerprinted - started,
            query_time_s=lookup_s,
            align_time_s=finished - fingerprinted - lookup_s,
            evidence=self.evidence(pairs, [*matches, *([best_rejected] if best_rejected else [])]),
        )

    def _judge(
        self, query: QueryFingerprints, hits: Hits, duration_s: float
    ) -> tuple[Pairs, list[Match], Match | None]:
        pairs = join_hits(query.hashes, query.offsets, *hits)
        matches, rejected = self.decide(pairs, input_total_hashes=len(query), query_duration_s=duration_s)
        return pairs, matches, rejected

    def loudest_first(self, query: QueryFingerprints, matches: list[Match]) -> list[Match]:
        """Two or more matches ordered by the share of the query's sound each explains, with that share.

        The significance of a match says how sure it is, not how loud the song is: the weaker song of a
        mix often has more aligned hashes when it is the more tonal one. Unchanged when a song was stored
        without a loudness profile (by a version of the program that kept none), or its profile is damaged.
        """
        if len(matches) < 2:
            return matches
        profiles = self.store.song_profiles([match.song_id for match in matches])
        if not all(is_profile(profiles.get(match.song_id, b"")) for match in matches):
            return matches
        shares = loudness_shares(
            query.band_power, [profiles[m.song_id] for m in matches], [m.offset for m in matches]
        )
        ranked = sorted(zip(shares.tolist(), matches, strict=True), key=lambda pair: -pair[0])
        return [replace(match, loudness_share=round(share, 3)) for share, match in ranked]

    def probes(self, query: QueryFingerprints) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The distinct hashes to look up first (store-like ones) and, if need be, after them (the rest).

        In a large library the first look-up keeps the rarest store-like hashes whose expected rows fit
        `first_pass_budget`, and the second the rarest of the others that fit `query_row_budget`; in a
        small one every hash is looked up (see `FingerprintParams`).
        """
        prior, stored_rows = self._hash_stats()
        first_budget = self.first_pass_budget(stored_rows)
        first = probes_within_budget(query.store_like, prior, stored_rows, first_budget)
        rest = np.setdiff1d(query.hashes, first)
        return first, probes_within_budget(rest, prior, stored_rows, self.params.query_row_budget)

    def first_pass_budget(self, stored_rows: int) -> int:
        """The rows the first look-up may read in a library of `stored_rows` (0: no limit)."""
        budget = self.params.first_pass_row_budget
        return budget and max(budget, round(self.params.first_pass_row_share * stored_rows))

    def _hash_stats(self) -> tuple[HashPrior, int]:
        """The store's hash statistics and stored rows, read at most every `stats_ttl_s` seconds."""
        if self._stats is None or time.monotonic() - self._stats_read > self.stats_ttl_s:
            stored_rows = self.store.counts()[1]
            # A library within the budgets is probed whole whatever the prior says: do not read it then.
            budgets = [b for b in (self.params.first_pass_row_budget, self.params.query_row_budget) if b > 0]
            within = not budgets or stored_rows <= min(budgets)
            prior = HashPrior.empty() if within else HashPrior.from_json(self.store.get_meta(PRIOR_META_NAME))
            self._stats = (prior, stored_rows)
            self._stats_read = time.monotonic()
        return self._stats

    def decide(
        self, pairs: Pairs, *, input_total_hashes: int, query_duration_s: float
    ) -> tuple[list[Match], Match | None]:
        """The matches that clear the bar (most significant first) and the best candidate that did not,
        judged on the query's hit pairs (`join_hits`)."""
        params = self.params
        candidates = align_matches(
            pairs,
            tolerance=params.offset_tolerance_frames,
            max_candidates=4 * params.max_matches,
        )
        frames_per_s = params.sample_rate / params.hop_length
        songs = {song.song_id: song for song in self.store.get_songs([c.song_id for c in candidates])}
        scored = []
        for candidate in candidates:
            song = songs.get(candidate.song_id)
            if song is None:  # deleted since the look-up
                continue
            n_bins = int((song.duration_s + query_duration_s) * frames_per_s) + 1
            score = significance(candidate, n_bins=n_bins, tolerance=params.offset_tolerance_frames)
            scored.append((score, candidate, song))
        scored.sort(key=lambda item: (-item[0], item[1].song_id))
        threshold = self.match_bar(query_duration_s)
        matches = [
            self._match(*item, input_total_hashes, threshold) for item in scored if item[0] >= threshold
        ]
        rejected = next(
            (self._match(*item, input_total_hashes, threshold) for item in scored if item[0] < threshold),
            None,
        )
        return matches[: params.max_matches], (None if matches else rejected)

    def evidence(self, pairs: Pairs, answers: list[Match]) -> dict[int, SongEvidence]:
        """The hit pairs behind each answer, in seconds."""
        frame_s = self.params.hop_length / self.params.sample_rate
        evidence = {}
        for answer in answers:
            mine = pairs.song_ids == answer.song_id
            evidence[answer.song_id] = SongEvidence(
                song_id=answer.song_id,
                query_offsets_s=pairs.query_offsets[mine] * frame_s,
                song_offsets_s=pairs.song_offsets[mine] * frame_s,
                aligned=np.abs(pairs.differences[mine] - answer.offset)
                <= self.params.offset_tolerance_frames,
            )
        return evidence

    def match_bar(self, query_duration_s: float) -> float:
        """Aligned hashes beyond chance a match needs: `min_aligned_hashes` for clips of 2 s or more.

        A shorter clip holds too few hashes for chance (or music that merely resembles a stored song) to
        line many of them up, so its bar is lower: two thirds at 1 s and below. Never-stored 1 s clips
        stay well below that bar too (bench/evaluate.py measures both).
        """
        longer = np.log2(max(query_duration_s, 1.0))  # 0 at 1 s, 1 at 2 s
        scale = min(1.0, SHORT_CLIP_BAR + (1.0 - SHORT_CLIP_BAR) * longer)
        return self.params.min_aligned_hashes * scale

    def _match(
        self, score: float, candidate: Candidate, song: SongRecord, input_total_hashes: int, threshold: float
    ) -> Match:
        offset_s = candidate.offset_frames * self.params.hop_length / self.params.sample_rate
        return Match(
            song_id=song.song_id,
            song_name=song.name,
            file_sha1=song.file_sha1,
            input_total_hashes=input_total_hashes,
            fingerprinted_hashes_in_db=song.total_hashes,
            hashes_matched_in_input=candidate.aligned,
            input_confidence=round(candidate.aligned / max(input_total_hashes, 1), 4),
            fingerprinted_confidence=round(candidate.aligned / max(song.total_hashes, 1), 4),
            offset=candidate.offset_frames,
            offset_seconds=round(offset_s, 3),
            confidence=round(confidence(score, threshold), 4),
        )
