"""Records of a recording's timeline: which song plays when."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fingerprint.types import SongEvidence

#: Values per second of `Timeline.envelope`.
ENVELOPE_RATE = 10


@dataclass(frozen=True)
class Segment:
    """A stretch of the recording and the song heard in it (song fields None: no match)."""

    start_s: float  # in the recording
    end_s: float
    song_id: int | None
    song_name: str | None
    # Where in the song the segment begins (seconds), None for no match.
    song_offset_s: float | None
    # The highest confidence of the windows that make up the segment, in [0, 1]; 0 for no match.
    confidence: float
    # The hits of the segment's song in its best window, offsets in seconds of the recording and the song.
    evidence: SongEvidence | None = field(default=None, compare=False, repr=False)

    @property
    def is_match(self) -> bool:
        return self.song_id is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "song_id": self.song_id,
            "song_name": self.song_name,
            "song_offset_s": None if self.song_offset_s is None else round(self.song_offset_s, 3),
            "confidence": round(self.confidence, 4),
        }


@dataclass(frozen=True)
class Timeline:
    """Every segment of a recording, in order, covering it from 0 to `duration_s` without gaps."""

    segments: tuple[Segment, ...]
    duration_s: float
    elapsed_s: float = 0.0
    cancelled: bool = False
    # The recording's loudness for drawing: the peak amplitude of every 1 / ENVELOPE_RATE seconds.
    envelope: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.zeros(0, np.float32), compare=False, repr=False
    )

    def to_dict(self) -> dict[str, object]:
        return {
            "duration_s": round(self.duration_s, 3),
            "elapsed_s": round(self.elapsed_s, 3),
            "cancelled": self.cancelled,
            "segments": [segment.to_dict() for segment in self.segments],
        }
