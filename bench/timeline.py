"""Timeline benchmark: every song in long constructed recordings, scored against the truth.

    python bench/timeline.py                          # game music, throwaway MariaDB, 5 x 25 min + 2 h
    python bench/timeline.py --backend sqlite --music /tmp/music/x --recordings 3 --long-hours 1
    python bench/timeline.py --quick                  # a smoke run

80 % of the songs (seeded) are ingested by the app's Ingestor; the rest are never stored ("unknown").
Recordings at 16 kHz mono are sequences of loud excerpts (60-180 s) of stored songs, some crossfaded
(2-6 s), with unknown songs and repeats mixed in, encoded as mp3. `analyse_recording` runs on each in a
spawned child process (one per file), which reports its wall time and its own peak RSS (VmHWM).
Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the project's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import CorpusError, Song, default_cache_dir, fetch_game_music, load_songs, music_files  # noqa: E402
from bench.costs import peak_rss_kib  # noqa: E402
from bench.evaluate import (  # noqa: E402
    BACKEND_NAMES,
    ingest,
    log,
    loud_enough,
    mysql_options,
    progress_bar,
    rng_for,
    shared_audio_groups,
)
from bench.evaluate import split as split_groups  # noqa: E402
from config.settings import FingerprintParams  # noqa: E402
from database import StoreError, open_store  # noqa: E402
from fingerprint.recognizer import Recognizer  # noqa: E402
from fingerprint.timeline import analyse_recording  # noqa: E402
from tests.audio_files import write_audio  # noqa: E402

RATE = 16_000
EXCERPT_S = (60.0, 180.0)
CROSSFADE_S = (2.0, 6.0)
CROSSFADE_SHARE = 0.5  # of the boundaries between two pieces
UNKNOWN_SHARE = 0.2  # of the pieces
REPEAT_SHARE = 0.15  # of the pieces: a song already heard in the recording, another excerpt
EDGE_S = 3.0  # an excerpt's first and last seconds must be loud enough (a boundary one can hear)
MIN_SONG_S = 40.0
SPLIT_S = 2.0
BOUNDARY_TARGET_S = 1.0
SPEED_TARGET = 100.0


@dataclass(frozen=True)
class Piece:
    """One excerpt placed in a recording; `fade_s` is its crossfade with the piece before."""

    name: str
    known: bool
    start_s: float  # in the recording
    end_s: float
    song_offset_s: float
    fade_s: float = 0.0


@dataclass
class Recording:
    path: Path
    duration_s: float
    pieces: list[Piece] = field(default_factory=list)


# ---- the songs and the store ----------------------------------------------------------------------


def load_corpus(args: argparse.Namespace) -> list[Song]:
    """A seeded sample of `--songs` songs at least MIN_SONG_S long, decoded at RATE."""
    folder = Path(args.music) if args.music else fetch_game_music(default_cache_dir())
    paths = music_files(folder)
    if args.songs < len(paths):
        picked = rng_for(args.seed, "songs").choice(len(paths), args.songs, replace=False)
        paths = [paths[i] for i in sorted(picked)]
    log(f"Decoding {len(paths)} files below {folder} at {RATE} Hz")
    with progress_bar(len(paths), "decode") as bar:
        songs, _ = load_songs(paths, sample_rate=RATE, progress=bar.update)
    songs = [song for song in songs if song.duration_s >= MIN_SONG_S]
    if len(songs) < 4:
        raise CorpusError(f"{folder}: only {len(songs)} songs of at least {MIN_SONG_S:g} s")
    return songs


@contextmanager
def store_options(args: argparse.Namespace, folder: Path) -> Iterator[tuple[str, dict[str, object]]]:
    """(backend, options) of an empty store that child processes can open too."""
    if args.backend == "sqlite":
        yield "sqlite", {"path": str(folder / "timeline.sqlite3")}
        return
    with mysql_options(args) as (options, _):
        yield "mysql", options


# ---- recordings -----------------------------------------------------------------------------------


def plan(stored: list[Song], unknown: list[Song], minutes: float, rng: np.random.Generator) -> list[Piece]:
    """The pieces of one recording of about `minutes`, in order."""
    pieces: list[Piece] = []
    by_name = {song.name: song for song in stored + unknown}
    while not pieces or pieces[-1].end_s < minutes * 60:
        song, known = pick_song(stored, unknown, pieces, rng)
        start, length = pick_excerpt(by_name[song], rng)
        fade = 0.0
        if pieces and rng.random() < CROSSFADE_SHARE:
            fade = float(rng.uniform(*CROSSFADE_S))
        at = pieces[-1].end_s - fade if pieces else 0.0
        pieces.append(Piece(song, known, at, at + length, start, fade))
    return pieces


def pick_song(
    stored: list[Song], unknown: list[Song], pieces: list[Piece], rng: np.random.Generator
) -> tuple[str, bool]:
    """(name, stored?) of the next piece: never the previous song, never two unknown pieces in a row."""
    previous = pieces[-1] if pieces else None
    heard = sorted({p.name for p in pieces if p.known and (previous is None or p.name != previous.name)})
    draw = rng.random()
    if unknown and previous is not None and previous.known and draw < UNKNOWN_SHARE:
        return unknown[rng.integers(len(unknown))].name, False
    if heard and draw < UNKNOWN_SHARE + REPEAT_SHARE:
        return heard[rng.integers(len(heard))], True
    fresh = [song.name for song in stored if song.name not in {p.name for p in pieces}] or [
        song.name for song in stored if previous is None or song.name != previous.name
    ]
    return fresh[rng.integers(len(fresh))], True


def pick_excerpt(song: Song, rng: np.random.Generator) -> tuple[float, float]:
    """(start, length) in seconds of an excerpt whose edges are loud enough (the best of a few tries)."""
    length = min(float(rng.uniform(*EXCERPT_S)), song.duration_s)
    start = 0.0
    for _ in range(20):
        start = float(rng.uniform(0.0, song.duration_s - length))
        if loud_enough(cut(song, start, EDGE_S)) and loud_enough(cut(song, start + length - EDGE_S, EDGE_S)):
            break
    return start, length


def cut(song: Song, start_s: float, length_s: float) -> np.ndarray:
    first = round(start_s * RATE)
    return song.samples[first : first + round(length_s * RATE)]


def render(pieces: list[Piece], songs: dict[str, Song]) -> np.ndarray:
    """The samples of a recording: each piece faded in and out over its crossfades, summed."""
    out = np.zeros(round(pieces[-1].end_s * RATE) + 1, np.float32)
    for index, piece in enumerate(pieces):
        samples = cut(songs[piece.name], piece.song_offset_s, piece.end_s - piece.start_s).copy()
        fade_out = pieces[index + 1].fade_s if index + 1 < len(pieces) else 0.0
        ramp(samples, piece.fade_s, rising=True)
        ramp(samples, fade_out, rising=False)
        first = round(piece.start_s * RATE)
        out[first : first + len(samples)] += samples[: len(out) - first]
    return np.clip(out, -1.0, 1.0)


def ramp(samples: np.ndarray, seconds: float, *, rising: bool) -> None:
    """Fade the start (rising) or the end of `samples` linearly over `seconds`, in place."""
    n = min(round(seconds * RATE), len(samples))
    if n:
        gain = np.linspace(0.0, 1.0, n, dtype=np.float32)
        if rising:
            samples[:n] *= gain
        else:
            samples[-n:] *= gain[::-1]


def build(name: str, folder: Path, songs: dict[str, Song], pieces: list[Piece]) -> Recording:
    """Render `pieces` and encode them as an mp3 in `folder`."""
    samples = render(pieces, songs)
    path = write_audio(folder / f"{name}.mp3", samples, sample_rate=RATE)
    return Recording(path, len(samples) / RATE, pieces)


# ---- analysis (in a child process) ----------------------------------------------------------------


def analyse_in_child(backend: str, options: dict[str, object], path: Path) -> dict[str, object]:
    """analyse_recording in a fresh spawned process: its segments, wall time and peak memory."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(child_analysis, backend, options, str(path)).result()


def child_analysis(backend: str, options: dict[str, object], path: str) -> dict[str, object]:
    """Runs in the child: (start, end, song, offset) of each segment, wall seconds, peak RSS in KiB."""
    with open_store(backend, **options) as store:
        recognizer = Recognizer(store, FingerprintParams())
        started = time.perf_counter()
        timeline = analyse_recording(recognizer, path)
        wall_s = time.perf_counter() - started
    return {
        "segments": [(s.start_s, s.end_s, s.song_name, s.song_offset_s) for s in timeline.segments],
        "duration_s": timeline.duration_s,
        "wall_s": wall_s,
        "peak_rss_kib": peak_rss_kib(),
    }


# ---- scoring --------------------------------------------------------------------------------------


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def boundary_errors(pieces: list[Piece], segments: list[tuple]) -> list[float]:
    """Per true boundary, the distance of the nearest found one (0 inside a crossfade, else to its edges)."""
    found = np.array([segment[1] for segment in segments[:-1]])
    errors = []
    for previous, piece in zip(pieces, pieces[1:], strict=False):
        low, high = piece.start_s, previous.end_s  # equal without a crossfade
        if not len(found):
            errors.append(float("inf"))
            continue
        nearest = found[np.argmin(np.maximum(low - found, 0) + np.maximum(found - high, 0))]
        errors.append(float(max(low - nearest, nearest - high, 0.0)))
    return errors


def missed(pieces: list[Piece], segments: list[tuple]) -> list[Piece]:
    """Stored pieces that no found segment of their song overlaps by more than half."""
    return [
        piece
        for piece in pieces
        if piece.known
        and not any(
            name == piece.name
            and overlap(start, end, piece.start_s, piece.end_s) > (piece.end_s - piece.start_s) / 2
            for start, end, name, _ in segments
        )
    ]


def fragmented(pieces: list[Piece], segments: list[tuple]) -> list[Piece]:
    """Stored pieces found as more than one segment of their song (each overlapping it by over SPLIT_S)."""
    return [
        piece
        for piece in pieces
        if piece.known
        and sum(
            name == piece.name and overlap(start, end, piece.start_s, piece.end_s) > SPLIT_S
            for start, end, name, _ in segments
        )
        > 1
    ]


def invented(pieces: list[Piece], segments: list[tuple]) -> list[tuple]:
    """Found song segments that overlap no true piece of their song."""
    return [
        segment
        for segment in segments
        if segment[2] is not None
        and not any(
            p.name == segment[2] and overlap(segment[0], segment[1], p.start_s, p.end_s) > 0 for p in pieces
        )
    ]


def unknown_seconds(pieces: list[Piece], segments: list[tuple]) -> tuple[float, float]:
    """(seconds of unknown song outside crossfades, of them reported as no match)."""
    total = as_no_match = 0.0
    for index, piece in enumerate(pieces):
        if piece.known:
            continue
        fade_out = pieces[index + 1].fade_s if index + 1 < len(pieces) else 0.0
        low, high = piece.start_s + piece.fade_s, piece.end_s - fade_out
        total += high - low
        as_no_match += sum(overlap(s, e, low, high) for s, e, name, _ in segments if name is None)
    return total, as_no_match


def offset_errors(pieces: list[Piece], segments: list[tuple]) -> list[float]:
    """|found - true| song position at the start of each found segment, against its most overlapped piece."""
    errors = []
    for start, end, name, offset in segments:
        same = [p for p in pieces if p.name == name and overlap(start, end, p.start_s, p.end_s) > 0]
        if name is None or not same:
            continue
        truth = max(same, key=lambda p: overlap(start, end, p.start_s, p.end_s))
        errors.append(abs(offset - (truth.song_offset_s + start - truth.start_s)))
    return errors


def score(recording: Recording, result: dict[str, object], canonical: dict[str, str]) -> dict[str, object]:
    """Every accuracy figure of one recording.

    Songs that share recorded audio (`canonical` maps each to one name of its group) count as the same
    song when judging what was missed, split or invented: the store cannot tell them apart.
    """
    pieces, segments = recording.pieces, result["segments"]
    same_pieces = [replace(p, name=canonical.get(p.name, p.name)) for p in pieces]
    same_segments = [(start, end, canonical.get(name, name), *rest) for start, end, name, *rest in segments]
    unknown_total, unknown_no_match = unknown_seconds(pieces, segments)
    return {
        "boundary_errors_s": boundary_errors(pieces, segments),
        "crossfaded": [p.fade_s > 0 for p in pieces[1:]],
        "known_pieces": sum(p.known for p in pieces),
        "missed": [asdict(p) for p in missed(same_pieces, same_segments)],
        "fragmented": len(fragmented(same_pieces, same_segments)),
        "invented": invented(same_pieces, same_segments),
        "unknown_s": unknown_total,
        "unknown_no_match_s": unknown_no_match,
        "offset_errors_s": offset_errors(pieces, segments),
    }


# ---- the report -----------------------------------------------------------------------------------


def summary(scores: list[dict], long_result: dict[str, object], short_result: dict[str, object]) -> dict:
    """The figures of the table, over every recording."""
    errors = np.concatenate([s["boundary_errors_s"] for s in scores])
    faded = np.concatenate([s["crossfaded"] for s in scores]).astype(bool)
    offsets = np.concatenate([s["offset_errors_s"] for s in scores])
    unknown = sum(s["unknown_s"] for s in scores)
    return {
        "boundaries": len(errors),
        "crossfaded_boundaries": int(faded.sum()),
        "boundary_median_s": float(np.median(errors)),
        "boundary_p95_s": float(np.percentile(errors, 95)),
        "boundaries_within_target": float(np.mean(errors <= BOUNDARY_TARGET_S)),
        "crossfaded_within_fade": float(np.mean(errors[faded] == 0)) if faded.any() else float("nan"),
        "known_pieces": sum(s["known_pieces"] for s in scores),
        "missed": sum(len(s["missed"]) for s in scores),
        "fragmented": sum(s["fragmented"] for s in scores),
        "invented": sum(len(s["invented"]) for s in scores),
        "unknown_no_match_share": sum(s["unknown_no_match_s"] for s in scores) / unknown
        if unknown
        else float("nan"),
        "offset_median_s": float(np.median(offsets)) if len(offsets) else float("nan"),
        "long_duration_s": long_result["duration_s"],
        "long_speed": long_result["duration_s"] / long_result["wall_s"],
        "long_peak_rss_mib": long_result["peak_rss_kib"] / 1024,
        "short_duration_s": short_result["duration_s"],
        "short_peak_rss_mib": short_result["peak_rss_kib"] / 1024,
    }


def table(figures: dict, backend: str) -> str:
    """The Markdown table: figure | measured | target."""
    f = figures
    rows = [
        (
            f"boundary error, {f['boundaries']} boundaries ({f['crossfaded_boundaries']} crossfaded)",
            f"median {f['boundary_median_s']:.2f} s, p95 {f['boundary_p95_s']:.2f} s; "
            f"{f['boundaries_within_target']:.0%} within 1 s, "
            f"{f['crossfaded_within_fade']:.0%} of crossfaded inside the fade",
            "within 1 s (inside the crossfade)",
        ),
        ("songs missed", f"{f['missed']} of {f['known_pieces']}", "0"),
        ("songs split into several segments", f"{f['fragmented']} of {f['known_pieces']}", ""),
        ("segments invented", str(f["invented"]), "0"),
        ("unknown stretches as no match", f"{f['unknown_no_match_share']:.1%} of their seconds", "100 %"),
        ("song offset error (median)", f"{f['offset_median_s']:.3f} s", ""),
        (
            f"speed, {f['long_duration_s'] / 3600:.2f} h recording ({backend})",
            f"{f['long_speed']:.0f}x realtime",
            f"≥ {SPEED_TARGET:g}x realtime (MariaDB)",
        ),
        (
            "peak memory of the analysis (child RSS)",
            f"{f['long_peak_rss_mib']:.0f} MiB on {f['long_duration_s'] / 3600:.2f} h, "
            f"{f['short_peak_rss_mib']:.0f} MiB on {f['short_duration_s'] / 60:.0f} min",
            "bounded on a 2-hour file",
        ),
    ]
    lines = ["| figure | measured | target |", "|---|---|---|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


# ---- main -----------------------------------------------------------------------------------------


def run(args: argparse.Namespace, folder: Path) -> dict:
    """Ingest, build, analyse and score; the figures and every recording's details."""
    params = FingerprintParams()
    with ExitStack() as stack:
        backend, options = stack.enter_context(store_options(args, folder))
        store = stack.enter_context(open_store(backend, **options))
        store.ensure_params(params.store_signature())
        if store.counts()[0]:
            raise StoreError(f"{store.description} already holds songs; the benchmark needs an empty store")
        songs = load_corpus(args)
        groups = shared_audio_groups(songs, params, folder)
        stored_names, _ = split_groups(groups, rng_for(args.seed, "split"))
        stored = [song for song in songs if song.name in stored_names]
        unknown = [song for song in songs if song.name not in stored_names]
        canonical = {name: min(group) for group in groups for name in group}
        report, _ = ingest(store, stored, params, 2, folder)
        added = {Path(path).stem for path in report.added}
        stored = [song for song in stored if song.name in added]
        description = store.description
        store.close()
        by_name = {song.name: song for song in songs}
        details = analyse_all(args, folder, backend, options, stored, unknown, by_name, canonical)
    shared = sum(len(group) for group in groups if len(group) > 1)
    details["store"] = {
        "description": description,
        "stored": len(stored),
        "unknown": len(unknown),
        "sharing_audio": shared,
    }
    return details


def analyse_all(
    args: argparse.Namespace,
    folder: Path,
    backend: str,
    options: dict[str, object],
    stored: list[Song],
    unknown: list[Song],
    by_name: dict[str, Song],
    canonical: dict[str, str],
) -> dict:
    """The constructed recordings scored, then the long one timed."""
    scores, results, children = [], [], []
    for index in range(args.recordings):
        pieces = plan(stored, unknown, args.minutes, rng_for(args.seed, f"recording {index}"))
        recording = build(f"recording-{index}", folder, by_name, pieces)
        log(f"Analysing recording {index}: {recording.duration_s / 60:.1f} min, {len(pieces)} pieces")
        result = analyse_in_child(backend, options, recording.path)
        children.append(result)
        scores.append(score(recording, result, canonical))
        results.append({"pieces": [asdict(p) for p in pieces], "found": result["segments"], **scores[-1]})
        recording.path.unlink()
    pieces = plan(stored, unknown, args.long_hours * 60, rng_for(args.seed, "long"))
    long_recording = build("long", folder, by_name, pieces)
    log(f"Analysing the long recording: {long_recording.duration_s / 3600:.2f} h")
    long_result = analyse_in_child(backend, options, long_recording.path)
    figures = summary(scores, long_result, children[0] if children else long_result)
    return {"figures": figures, "recordings": results}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "mysql"], default="mysql")
    parser.add_argument("--music", help="a folder of songs (default: game music fetched into the cache)")
    parser.add_argument("--songs", type=int, default=100, help="a seeded sample of this many songs")
    parser.add_argument("--recordings", type=int, default=5, help="constructed recordings to score")
    parser.add_argument("--minutes", type=float, default=25.0, help="length of each constructed recording")
    parser.add_argument("--long-hours", type=float, default=2.0, help="length of the speed/memory recording")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 12 songs, 2 x 6 min, 0.2 h")
    parser.add_argument("--json", help="also write the figures and every recording's truth and findings")
    parser.set_defaults(mysql_host=None, mysql_port=None, mysql_user=None, mysql_password=None)
    parser.set_defaults(mysql_database=None)  # bench.evaluate.mysql_options: a throwaway server
    args = parser.parse_args(argv)
    if args.quick:
        args.songs, args.recordings = min(args.songs, 12), min(args.recordings, 2)
        args.minutes, args.long_hours = min(args.minutes, 6.0), min(args.long_hours, 0.2)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="timeline-") as folder:
            details = run(args, Path(folder))
    except (CorpusError, StoreError) as error:
        log(f"error: {error}")
        return 1
    wall_s = time.perf_counter() - started
    print(table(details["figures"], BACKEND_NAMES[args.backend]))
    print()
    store = details["store"]
    print(
        f"- {store['description']}: {store['stored']} songs stored, {store['unknown']} unknown "
        f"(seed {args.seed}); "
        f"{args.recordings} recordings of ~{args.minutes:g} min; run took {wall_s:.0f} s."
    )
    print(
        f"- {store['sharing_audio']} songs share recorded audio with another; each group is kept on one side "
        "of the split and counts as one song when judging missed, split and invented segments."
    )
    print(
        "- Peak memory: VmHWM of the spawned child process that ran analyse_recording alone (its ffmpeg "
        "decoder, a separate process, not included); ru_maxrss is not used because a spawned child's "
        "ru_maxrss includes the RSS of the parent it was forked from, which holds the decoded corpus."
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "wall_s": wall_s, **details}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
