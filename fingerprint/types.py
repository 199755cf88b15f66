"""Result records of ingest and recognition."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np
import numpy.typing as npt


def format_local_time(iso_date: str) -> str:
    """An ISO 8601 time (UTC when it names no zone) as local "YYYY-MM-DD HH:MM", for a song's date added."""
    moment = datetime.fromisoformat(iso_date)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def format_position(seconds: float) -> str:
    """1:02.5 for 62.5 s; negative when the query starts before the song does."""
    minutes, rest = divmod(round(abs(seconds), 1), 60)
    return f"{'-' if seconds < 0 else ''}{int(minutes)}:{rest:04.1f}"


@dataclass(frozen=True)
class Match:
    """One song found in a query, with dejavu's fields and a calibrated confidence."""

    song_id: int
    song_name: str
    file_sha1: str
    # Hashes the query produced, and hashes the song has in the store.
    input_total_hashes: int
    fingerprinted_hashes_in_db: int
    # Query hashes that agree on this song's winning offset.
    hashes_matched_in_input: int
    # dejavu's two ratios: matched / input_total_hashes and matched / fingerprinted_hashes_in_db.
    input_confidence: float
    fingerprinted_confidence: float
    # Where the query starts in the song: in frames of the store, and in seconds.
    offset: int
    offset_seconds: float
    # How sure the recogniser is that this song is in the query, in [0, 1] (see fingerprint.matching).
    confidence: float
    # With two or more matches: the share of the query's sound energy this song explains, in [0, 1]
    # (fingerprint.loudness); matches are then ordered by it. None with one match, or with no profile.
    loudness_share: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class SongEvidence:
    """The hits behind one answer, for the match picture: one element per (query hash, stored hash) pair."""

    song_id: int
    query_offsets_s: npt.NDArray[np.float64]
    song_offsets_s: npt.NDArray[np.float64]
    # True for the pairs on the winning offset (within the tolerance): the diagonal of the picture.
    aligned: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RecognitionResult:
    """The answer to one query: the matches (best first), or none for "no match"."""

    matches: tuple[Match, ...]
    # The best candidate that did not clear the bar, shown with a "no match" answer; None if no hash hit.
    best_rejected: Match | None
    input_total_hashes: int
    # Distinct query hashes looked up, in how many look-ups: 1 when the store-like ones named the song, 2
    # when the rest were looked up too (fingerprint.recognizer).
    probed_hashes: int
    lookups: int
    query_duration_s: float
    fingerprint_time_s: float
    query_time_s: float
    align_time_s: float
    # Hits of each match (and of the best rejected candidate), by song id; not part of `to_dict`.
    evidence: dict[int, SongEvidence] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_match(self) -> bool:
        return bool(self.matches)

    @property
    def total_time_s(self) -> float:
        return self.fingerprint_time_s + self.query_time_s + self.align_time_s

    def to_dict(self) -> dict[str, object]:
        return {
            "match": self.is_match,
            "results": [m.to_dict() for m in self.matches],
            "best_rejected": self.best_rejected.to_dict() if self.best_rejected else None,
            "input_total_hashes": self.input_total_hashes,
            "probed_hashes": self.probed_hashes,
            "lookups": self.lookups,
            "query_duration_s": round(self.query_duration_s, 4),
            "fingerprint_time": round(self.fingerprint_time_s, 4),
            "query_time": round(self.query_time_s, 4),
            "align_time": round(self.align_time_s, 4),
            "total_time": round(self.total_time_s, 4),
        }


@dataclass(frozen=True)
class FailedFile:
    path: str
    reason: str


@dataclass
class IngestReport:
    """What a batch ingest did with each file."""

    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    # Files that are not audio (found when no extensions were asked for).
    ignored: list[str] = field(default_factory=list)
    seconds_of_audio: float = 0.0
    cancelled: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "skipped": self.skipped,
            "failed": [asdict(f) for f in self.failed],
            "ignored": self.ignored,
            "seconds_of_audio": self.seconds_of_audio,
            "cancelled": self.cancelled,
        }
