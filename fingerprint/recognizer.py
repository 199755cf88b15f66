"""The recognition service used by the CLI and the window: audio in, ranked matches (or none) out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config.settings import FingerprintParams
from database.base import SongRecord, Store
from fingerprint.analysis import Fingerprints, query_fingerprints
from fingerprint.audio import Samples, clip, mix, resample, valid_samples
from fingerprint.decoder import read_audio
from fingerprint.matching import Candidate, align_matches, join_hits
from fingerprint.types import Match, RecognitionResult


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

    def __init__(self, store: Store, params: FingerprintParams) -> None:
        self.store = store
        self.params = params

    def recognize_file(
        self, path: str | Path, *, start_s: float = 0.0, duration_s: float | None = None
    ) -> RecognitionResult:
        """Recognise a file, or the part of it from `start_s` lasting `duration_s`."""
        limit = None if duration_s is None else start_s + duration_s
        samples = read_audio(path, sample_rate=self.params.sample_rate, limit_s=limit)
        return self.recognize_samples(
            clip(samples, sample_rate=self.params.sample_rate, start_s=start_s),
            sample_rate=self.params.sample_rate,
        )

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
        """Mix `duration_s` of two files as ``(1 - ratio) * a + ratio * b`` and recognise the mix."""
        rate = self.params.sample_rate
        parts = [
            clip(
                read_audio(path, sample_rate=rate, limit_s=start + duration_s),
                sample_rate=rate,
                start_s=start,
            )
            for path, start in ((path_a, start_a_s), (path_b, start_b_s))
        ]
        samples = mix(parts[0], parts[1], ratio)
        return MixedQuery(samples, rate, self.recognize_samples(samples, sample_rate=rate))

    def recognize_samples(self, samples: object, *, sample_rate: int) -> RecognitionResult:
        """Recognise a mono signal at any sample rate (the microphone's, a mix's)."""
        started = time.perf_counter()
        samples = resample(valid_samples(samples), from_rate=sample_rate, to_rate=self.params.sample_rate)
        query = query_fingerprints(samples, self.params)
        fingerprinted = time.perf_counter()
        hit_hashes, hit_songs, hit_offsets = self.store.lookup(np.unique(query.hashes))
        looked_up = time.perf_counter()
        matches, best_rejected = self._decide(query, hit_hashes, hit_songs, hit_offsets)
        aligned = time.perf_counter()
        return RecognitionResult(
            matches=tuple(matches),
            best_rejected=best_rejected,
            input_total_hashes=len(query),
            query_duration_s=len(samples) / self.params.sample_rate,
            fingerprint_time_s=fingerprinted - started,
            query_time_s=looked_up - fingerprinted,
            align_time_s=aligned - looked_up,
        )

    def _decide(
        self,
        query: Fingerprints,
        hit_hashes: np.ndarray,
        hit_songs: np.ndarray,
        hit_offsets: np.ndarray,
    ) -> tuple[list[Match], Match | None]:
        """The matches that clear the bar, best first, and the best candidate that did not."""
        song_ids, differences, hashes = join_hits(
            query.hashes, query.offsets, hit_hashes, hit_songs, hit_offsets
        )
        candidates = align_matches(
            song_ids,
            differences,
            hashes,
            tolerance=self.params.offset_tolerance_frames,
            max_candidates=self.params.max_matches + 1,
        )
        threshold = self.params.min_aligned_hashes
        accepted = [c for c in candidates if c.significance >= threshold][: self.params.max_matches]
        rejected = next((c for c in candidates if c.significance < threshold), None)
        matches = [self._match(c, len(query)) for c in accepted]
        return matches, (self._match(rejected, len(query)) if rejected and not matches else None)

    def _match(self, candidate: Candidate, input_total_hashes: int) -> Match:
        song: SongRecord = self.store.get_song(candidate.song_id)
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
            confidence=round(confidence(candidate.significance, self.params.min_aligned_hashes), 4),
        )
