"""Every song in a long recording, and when: a timeline for DJ mixes, radio captures and playlists.

The recording is decoded in chunks (bounded memory). Each chunk is fingerprinted and looked up once; then
overlapping windows of it are judged on their share of the hits. A song that keeps playing keeps one
alignment (its position in the song minus the time in the recording), so runs of windows with the same
song and alignment are one segment; a jump in alignment or another song starts a new one. Segment edges
come from the first and last hashes that agree with the alignment, not from the window grid; overlapping
edges (crossfades) meet in the middle of the overlap, and stretches no song explains are "no match".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from fingerprint.analysis import query_fingerprints
from fingerprint.decoder import probe_duration, stream_audio
from fingerprint.matching import Pairs, join_hits
from fingerprint.recognizer import Recognizer
from fingerprint.timeline_types import ENVELOPE_RATE, Segment, Timeline
from fingerprint.types import Match, SongEvidence

#: Alignments of one song that differ by less than this are the same continuous play.
SAME_ALIGNMENT_S = 0.5
#: Gaps between segments shorter than this are closed (the music is just quiet there).
MIN_GAP_S = 1.5
#: A window whose best alignment jumps within the song that is playing (music that repeats itself) stays
#: in the current segment when at least this many of its hashes agree with the segment's alignment...
MIN_SUPPORT = 10
#: ...within this many seconds.
SUPPORT_TOLERANCE_S = 0.1
#: Song segments shorter than this are dropped: a window that matched another pass of a looping song,
#: or a stray match in a crossfade; their neighbours take the time.
MIN_SEGMENT_S = 3.0


@dataclass(frozen=True)
class _WindowMatch:
    start_s: float
    match: Match
    alignment_s: float  # position in the song minus time in the recording
    hit_times_s: np.ndarray  # recording times of the aligned hashes
    evidence: SongEvidence


def analyse_recording(
    recognizer: Recognizer,
    path: str | Path,
    *,
    window_s: float = 10.0,
    hop_s: float = 5.0,
    chunk_s: float = 120.0,
    progress: Callable[[float, float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Timeline:
    """The timeline of a recording: segments of songs and of no match, covering it end to end.

    `progress(seconds analysed, total seconds)` is called after each chunk (total from the file's header,
    or the seconds analysed so far when the header does not say); `should_cancel()` stops after a chunk.
    """
    started = time.perf_counter()
    params = recognizer.params
    rate = params.sample_rate
    total_s = probe_duration(path) or 0.0
    window_matches: list[_WindowMatch] = []
    carry = np.zeros(0, np.float32)  # the tail of the previous chunk that later windows still need
    carry_start_s = 0.0
    analysed_s = 0.0
    cancelled = False
    hop = int(hop_s * rate)
    window = int(window_s * rate)
    envelope: list[np.ndarray] = []
    for chunk in stream_audio(path, sample_rate=rate, chunk_s=chunk_s):
        envelope.append(peak_envelope(chunk, sample_rate=rate))
        samples = np.concatenate([carry, chunk])
        analysed_s += len(chunk) / rate
        last = len(chunk) < int(chunk_s * rate)
        starts = list(range(0, max(len(samples) - window, 0) + 1, hop)) if len(samples) >= window else []
        if last and len(samples) and (not starts or starts[-1] + window < len(samples)):
            starts.append(max(len(samples) - window, 0))  # the end of the recording gets a window too
        window_matches += _judge_windows(recognizer, samples, carry_start_s, starts, window)
        next_start = min(starts[-1] + hop, len(samples)) if starts else 0
        carry = samples[next_start:]
        carry_start_s += next_start / rate
        if progress is not None:
            progress(analysed_s, max(total_s, analysed_s))
        if should_cancel is not None and should_cancel():
            cancelled = True
            break
        if last:
            break
    duration_s = analysed_s
    segments = _segments(window_matches, duration_s)
    return Timeline(
        tuple(segments),
        duration_s,
        time.perf_counter() - started,
        cancelled,
        np.concatenate(envelope) if envelope else np.zeros(0, np.float32),
    )


def peak_envelope(samples: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """The peak amplitude of every 1 / ENVELOPE_RATE seconds (chunks are whole seconds, so blocks align)."""
    block = sample_rate // ENVELOPE_RATE
    whole = len(samples) // block * block
    peaks = np.abs(samples[:whole]).reshape(-1, block).max(axis=1) if whole else np.zeros(0, np.float32)
    if whole < len(samples):
        peaks = np.append(peaks, np.abs(samples[whole:]).max())
    return peaks.astype(np.float32)


def _judge_windows(
    recognizer: Recognizer, samples: np.ndarray, offset_s: float, starts: list[int], window: int
) -> list[_WindowMatch]:
    """The best match of each window starting at `starts` (samples) of a chunk that begins at `offset_s`."""
    params = recognizer.params
    if len(samples) < params.n_fft or not starts:
        return []
    fingerprints = query_fingerprints(samples, params)
    pairs = join_hits(
        fingerprints.hashes, fingerprints.offsets, *recognizer.store.lookup(np.unique(fingerprints.hashes))
    )
    found = []
    for start in starts:
        first, end = start // params.hop_length, (start + window) // params.hop_length
        inside = (pairs.query_offsets >= first) & (pairs.query_offsets < end)
        window_pairs = Pairs(
            song_ids=pairs.song_ids[inside],
            hashes=pairs.hashes[inside],
            query_offsets=pairs.query_offsets[inside] - first,
            differences=pairs.differences[inside] + first,
        )
        entries = int(np.count_nonzero((fingerprints.offsets >= first) & (fingerprints.offsets < end)))
        matches, _ = recognizer.decide(
            window_pairs, input_total_hashes=entries, query_duration_s=window / params.sample_rate
        )
        if not matches:
            continue
        match = matches[0]
        window_start_s = offset_s + start / params.sample_rate
        evidence = recognizer.evidence(window_pairs, [match])[match.song_id]
        hit_times = window_start_s + evidence.query_offsets_s[evidence.aligned]
        shifted = SongEvidence(
            song_id=match.song_id,
            query_offsets_s=evidence.query_offsets_s + window_start_s,
            song_offsets_s=evidence.song_offsets_s,
            aligned=evidence.aligned,
        )
        found.append(
            _WindowMatch(window_start_s, match, match.offset_seconds - window_start_s, hit_times, shifted)
        )
    return found


def _segments(window_matches: list[_WindowMatch], duration_s: float) -> list[Segment]:
    """Runs of windows with one song and alignment as segments, their edges reconciled, gaps as no match."""
    runs = [run for block in _blocks_of_one_song(window_matches) for run in _runs_of_one_alignment(block)]
    songs = sorted(map(_song_segment, runs), key=lambda segment: segment.start_s)
    kept = [
        segment for segment in _meet_in_overlaps(songs) if segment.end_s - segment.start_s >= MIN_SEGMENT_S
    ]
    return _close_gaps(kept, duration_s)


def _blocks_of_one_song(window_matches: list[_WindowMatch]) -> list[list[_WindowMatch]]:
    """Consecutive windows grouped by the song they matched."""
    blocks: list[list[_WindowMatch]] = []
    for found in window_matches:
        if blocks and blocks[-1][-1].match.song_id == found.match.song_id:
            blocks[-1].append(found)
        else:
            blocks.append([found])
    return blocks


def _runs_of_one_alignment(block: list[_WindowMatch]) -> list[list[_WindowMatch]]:
    """Split windows of one song into runs of one alignment (one continuous play).

    Music that repeats itself lets another pass of a passage out-vote the true one in some windows. The
    play starts at the alignment most hashes of the whole block agree with, and a window stays in the
    current run whenever enough of its hashes back the run's alignment; only a window that does not
    starts a new run at its own alignment (the song jumped).
    """
    strongest = max(
        {round(found.alignment_s, 1) for found in block},
        key=lambda alignment: sum(_support(found, alignment) for found in block),
    )
    runs: list[list[_WindowMatch]] = []
    alignment = strongest
    for found in block:
        realigned = _realigned(found, alignment)
        if realigned is not None and runs:
            runs[-1].append(realigned)
        elif realigned is not None:
            runs.append([realigned])
        else:
            alignment = found.alignment_s
            runs.append([found])
    return runs


def _support(found: _WindowMatch, alignment_s: float) -> int:
    """How many of a window's hashes agree with `alignment_s`."""
    evidence = found.evidence
    return int(np.count_nonzero(_agreeing(evidence, alignment_s)))


def _agreeing(evidence: SongEvidence, alignment_s: float) -> np.ndarray:
    return np.abs(evidence.song_offsets_s - evidence.query_offsets_s - alignment_s) <= SUPPORT_TOLERANCE_S


def _realigned(found: _WindowMatch, alignment_s: float) -> _WindowMatch | None:
    """`found` read at another alignment of its song, if enough of its hashes agree with that one."""
    agree = _agreeing(found.evidence, alignment_s)
    if np.count_nonzero(agree) < MIN_SUPPORT:
        return None
    return replace(found, alignment_s=alignment_s, hit_times_s=found.evidence.query_offsets_s[agree])


def _song_segment(run: list[_WindowMatch]) -> Segment:
    times = np.concatenate([found.hit_times_s for found in run])
    best = max(run, key=lambda found: found.match.confidence)
    alignment = float(np.median([found.alignment_s for found in run]))
    start, end = float(times.min()), float(times.max())
    return Segment(
        start_s=start,
        end_s=end,
        song_id=best.match.song_id,
        song_name=best.match.song_name,
        song_offset_s=start + alignment,
        confidence=best.match.confidence,
        evidence=best.evidence,
    )


def _meet_in_overlaps(segments: list[Segment]) -> list[Segment]:
    """Where two segments overlap (a crossfade), the boundary goes to the middle of the overlap."""
    out: list[Segment] = []
    for segment in segments:
        if out and segment.start_s < out[-1].end_s:
            previous = out[-1]
            if segment.end_s <= previous.end_s:  # wholly inside the previous one: a stray match
                continue
            middle = (segment.start_s + previous.end_s) / 2
            out[-1] = _with_edges(previous, previous.start_s, middle)
            segment = _with_edges(segment, middle, segment.end_s)
        out.append(segment)
    return out


def _close_gaps(segments: list[Segment], duration_s: float) -> list[Segment]:
    """Cover [0, duration_s]: short gaps join the neighbours, longer ones become no-match segments."""
    out: list[Segment] = []
    cursor = 0.0
    for segment in segments:
        gap = segment.start_s - cursor
        if gap >= MIN_GAP_S:
            out.append(Segment(cursor, segment.start_s, None, None, None, 0.0))
        elif out:
            middle = cursor + gap / 2
            out[-1] = _with_edges(out[-1], out[-1].start_s, middle)
            segment = _with_edges(segment, middle, segment.end_s)
        else:
            segment = _with_edges(segment, 0.0, segment.end_s)
        out.append(segment)
        cursor = segment.end_s
    if duration_s - cursor >= MIN_GAP_S:
        out.append(Segment(cursor, duration_s, None, None, None, 0.0))
    elif out:
        out[-1] = _with_edges(out[-1], out[-1].start_s, duration_s)
    else:
        out.append(Segment(0.0, duration_s, None, None, None, 0.0))
    return out


def _with_edges(segment: Segment, start_s: float, end_s: float) -> Segment:
    """The segment moved to [start_s, end_s), its song position following its new start."""
    offset = None if segment.song_offset_s is None else segment.song_offset_s + (start_s - segment.start_s)
    return Segment(
        start_s, end_s, segment.song_id, segment.song_name, offset, segment.confidence, segment.evidence
    )
