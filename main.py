"""Shazam clone: composition root and command line.

    python main.py                                     the window
    python main.py --fingerprint ~/Music .mp3 .ogg     fingerprint a folder (recursively)
    python main.py --recognize file clip.wav           name the song in a file
    python main.py --recognize mix a.mp3 b.mp3 --ratio 0.3
    python main.py --recognize mic 10 [--device NAME]   listen to the microphone (--list-devices)
    python main.py --list | --delete NAME_OR_ID
    python main.py --setup-shards                      shard the fingerprints over the "shards" servers

Results go to stdout, logs and progress to stderr. Exit status: 0 a song was recognised (or the command
succeeded), 1 no match, 2 an error (for --fingerprint: any file failed), 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from config import AppConfig, ConfigError, MySQLSettings, default_sqlite_path, load_config
from database import SongNotFoundError, Store, StoreError, open_store
from fingerprint.errors import FingerprintError
from fingerprint.ingest import Ingestor
from fingerprint.recognizer import Recognizer
from fingerprint.types import IngestReport, RecognitionResult, format_local_time, format_position

EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

log = logging.getLogger("shazam")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Recognise songs by their audio fingerprints. With no command, opens the window.",
    )
    parser.add_argument(
        "-c", "--config", metavar="FILE", help="dejavu.cnf to use (default: ./dejavu.cnf if present)"
    )
    commands = parser.add_mutually_exclusive_group()
    commands.add_argument(
        "-f",
        "--fingerprint",
        nargs="+",
        metavar=("PATH", "EXT"),
        help="fingerprint a file or every file below a folder; optional extensions limit which (.mp3 .ogg)",
    )
    commands.add_argument(
        "-r",
        "--recognize",
        nargs="+",
        metavar=("SOURCE", "ARG"),
        help="'file PATH', 'mix PATH_A PATH_B --ratio R' or 'mic SECONDS'",
    )
    commands.add_argument("-l", "--list", action="store_true", help="list the songs in the store")
    commands.add_argument("--list-devices", action="store_true", help="list the audio input devices")
    commands.add_argument("-d", "--delete", metavar="NAME_OR_ID", help="delete a song by name or id")
    commands.add_argument(
        "--setup-shards",
        action="store_true",
        help='create the fingerprints table sharded over the "shards" servers of the config (MariaDB Spider)',
    )
    parser.add_argument("--processes", type=int, metavar="N", help="worker processes for --fingerprint")
    parser.add_argument(
        "--device", metavar="NAME|INDEX", help="mic: the input device (default: the system's)"
    )
    parser.add_argument("--ratio", type=float, default=0.5, help="mix: share of the second song, 0..1 (0.5)")
    parser.add_argument("--start", type=float, default=0.0, metavar="S", help="file: start of the clip (s)")
    parser.add_argument("--start-a", type=float, default=0.0, metavar="S", help="mix: start in song A (s)")
    parser.add_argument("--start-b", type=float, default=0.0, metavar="S", help="mix: start in song B (s)")
    parser.add_argument("--duration", type=float, metavar="S", help="clip length (s); mix default 10")
    parser.add_argument(
        "--timeline", action="store_true", help="file: every song in a long recording, with when it plays"
    )
    parser.add_argument("--csv", metavar="FILE", help="timeline: also write it as CSV (a cue sheet)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--debug", action="store_true", help="verbose logs and full tracebacks")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.captureWarnings(True)
    try:
        return _run(args, parser, out)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (`main.py --list | head`): not an error. Point stdout at
        # /dev/null so that flushing it at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (ConfigError, StoreError, FingerprintError) as error:
        if args.debug:
            log.exception("failed")
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO) -> int:
    config = load_config(args.config)
    if args.list_devices:
        return _list_devices(args, out)
    if args.setup_shards:
        return _setup_shards(config, args, out)
    if not (args.fingerprint or args.recognize or args.list or args.delete):
        from gui import run_gui  # Qt is imported only for the window, so the CLI starts fast.

        return run_gui(config, config_path=args.config, open_store=open_configured_store)
    with open_configured_store(config) as store:
        if args.fingerprint:
            return _fingerprint(store, config, args, out)
        if args.recognize:
            return _recognize(Recognizer(store, config.fingerprint), args, parser, out)
        if args.list:
            return _list(store, args, out)
        return _delete(store, args.delete, args, out)


def open_configured_store(config: AppConfig) -> Store:
    """Open the store the configuration names and check it was built with our fingerprint parameters."""
    if isinstance(config.database, MySQLSettings):
        options = dataclasses.asdict(config.database)
    else:
        options = {"path": str(config.database.path or default_sqlite_path())}
    store = open_store(config.database_type, **options)
    try:
        store.ensure_params(config.fingerprint.store_signature())
    except StoreError:
        store.close()
        raise
    log.debug("using %s", store.description)
    return store


def _setup_shards(config: AppConfig, args: argparse.Namespace, out: TextIO) -> int:
    """Shard the fingerprints table over the configured servers; the "database" server is the head."""
    from database.shards import setup_shards

    if not config.shards:
        raise ConfigError(
            f'{args.config or "dejavu.cnf"}: --setup-shards needs database_type "mysql" (the head node) '
            'and a "shards" list of backend servers (see README, Scaling)'
        )
    lines = setup_shards(
        dataclasses.asdict(config.database), [dataclasses.asdict(shard) for shard in config.shards]
    )
    with open_configured_store(config) as store:
        songs, fingerprints = store.counts()
        lines.append(f"{store.description}: ready, {songs} song(s), {fingerprints} fingerprints")
    _emit(out, args.json, {"done": lines}, lambda: print("\n".join(lines), file=out))
    return EXIT_OK


def _fingerprint(store: Store, config: AppConfig, args: argparse.Namespace, out: TextIO) -> int:
    from tqdm import tqdm

    path, *extensions = args.fingerprint
    cleaned = store.clean_unfinished()
    if cleaned:
        log.info("removed %d song(s) left unfinished by an interrupted ingest", cleaned)
    ingestor = Ingestor(store, config.fingerprint, limit_s=config.fingerprint_limit)
    bar = None

    def progress(done: int, total: int, file_path: str) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="file", file=sys.stderr, disable=None, dynamic_ncols=True)
        bar.set_postfix_str(file_path[-40:], refresh=False)
        bar.update(done - bar.n)

    try:
        report = ingestor.fingerprint_directory(path, extensions, processes=args.processes, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    _emit(out, args.json, report.to_dict(), lambda: _print_report(report, out))
    return EXIT_ERROR if report.failed else EXIT_OK


def _print_report(report: IngestReport, out: TextIO) -> None:
    print(
        f"Added {len(report.added)} song(s) ({format_duration(report.seconds_of_audio)} of audio), "
        f"skipped {len(report.skipped)} already stored, failed {len(report.failed)}"
        + (f", ignored {len(report.ignored)} non-audio file(s)" if report.ignored else "")
        + ".",
        file=out,
    )
    for failure in report.failed:
        print(f"  failed: {failure.path}: {failure.reason}", file=out)


def _recognize(
    recognizer: Recognizer, args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO
) -> int:
    source, *rest = args.recognize
    if source == "file" and len(rest) == 1 and args.timeline:
        return _timeline(recognizer, rest[0], args, out)
    if source == "file" and len(rest) == 1:
        result = recognizer.recognize_file(rest[0], start_s=args.start, duration_s=args.duration)
    elif source == "mic" and len(rest) == 1 and _positive(rest[0]):
        result = _listen(recognizer, float(rest[0]), args.device)
    elif source == "mix" and len(rest) == 2:
        result = recognizer.recognize_mix(
            rest[0],
            rest[1],
            ratio=args.ratio,
            start_a_s=args.start_a,
            start_b_s=args.start_b,
            duration_s=args.duration or 10.0,
        ).result
    else:
        parser.error("--recognize takes 'file PATH', 'mix PATH_A PATH_B' or 'mic SECONDS'")
    _emit(out, args.json, result.to_dict(), lambda: _print_result(result, out))
    return EXIT_OK if result.is_match else EXIT_NO_MATCH


def _timeline(recognizer: Recognizer, path: str, args: argparse.Namespace, out: TextIO) -> int:
    """Every song in a long recording: printed, and written as CSV with --csv."""
    from tqdm import tqdm

    from fingerprint.timeline import analyse_recording

    with tqdm(
        unit="s",
        file=sys.stderr,
        disable=None,
        dynamic_ncols=True,
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s",
    ) as bar:

        def progress(done_s: float, total_s: float) -> None:
            bar.total = total_s
            bar.update(done_s - bar.n)

        timeline = analyse_recording(recognizer, path, progress=progress)
    if args.csv:
        write_timeline_csv(timeline, args.csv)

    def print_timeline() -> None:
        for segment in timeline.segments:
            when = f"{format_clock(segment.start_s)} – {format_clock(segment.end_s)}"
            if segment.is_match:
                where = format_position(segment.song_offset_s)
                print(
                    f"{when}  {segment.song_name}  (from {where} in the song, "
                    f"confidence {segment.confidence:.2f})",
                    file=out,
                )
            else:
                print(f"{when}  no match", file=out)

    _emit(out, args.json, timeline.to_dict(), print_timeline)
    return EXIT_OK if any(segment.is_match for segment in timeline.segments) else EXIT_NO_MATCH


def write_timeline_csv(timeline, path: str) -> None:
    """A cue-sheet-like CSV: start, end, song (empty for no match), where in the song, confidence."""
    import csv

    try:
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["start", "end", "song", "song_offset_s", "confidence"])
            for segment in timeline.segments:
                offset = "" if segment.song_offset_s is None else f"{segment.song_offset_s:.2f}"
                writer.writerow(
                    [
                        format_clock(segment.start_s),
                        format_clock(segment.end_s),
                        segment.song_name or "",
                        offset,
                        f"{segment.confidence:.3f}",
                    ]
                )
    except OSError as error:
        raise FingerprintError(f"cannot write {path}: {error.strerror or error}") from None


def format_clock(seconds: float) -> str:
    """1:02:03 or 2:03 for a time in a recording."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _positive(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False


def _listen(recognizer: Recognizer, seconds: float, device: str | None) -> RecognitionResult:
    """Listen to the microphone, telling on stderr how it goes; stop early on a confident match."""
    from fingerprint.listening import listen

    def report(elapsed_s: float, result: RecognitionResult) -> None:
        best = result.matches[0].song_name if result.matches else "no match yet"
        print(f"listening… {elapsed_s:4.1f} s: {best}", file=sys.stderr)

    def started() -> None:
        print(f"Listening for up to {seconds:g} s…", file=sys.stderr, flush=True)

    return listen(recognizer, seconds=seconds, device=device, on_result=report, on_started=started).result


def _list_devices(args: argparse.Namespace, out: TextIO) -> int:
    from fingerprint.microphone import list_input_devices

    devices = list_input_devices()

    def print_devices() -> None:
        if not devices:
            print("No audio input device.", file=out)
        for device in devices:
            mark = "*" if device.is_default else " "
            print(f"{mark} {device.index:>3}  {device.name}  ({device.default_sample_rate} Hz)", file=out)

    _emit(out, args.json, [dataclasses.asdict(device) for device in devices], print_devices)
    return EXIT_OK


def _print_result(result: RecognitionResult, out: TextIO) -> None:
    for rank, match in enumerate(result.matches, start=1):
        print(f"{rank}. {match.song_name}  (song id {match.song_id})", file=out)
        print(
            f"   heard at {format_position(match.offset_seconds)} in the song, "
            f"confidence {match.confidence:.2f}, "
            f"{match.hashes_matched_in_input} of {match.input_total_hashes} query hashes aligned"
            + ("" if match.loudness_share is None else f", about {match.loudness_share:.0%} of the sound"),
            file=out,
        )
    if not result.is_match:
        print("No match.", file=out)
        if result.best_rejected is not None:
            best = result.best_rejected
            print(
                f"   best candidate below the bar: {best.song_name}, confidence {best.confidence:.2f} "
                f"({best.hashes_matched_in_input} hashes aligned)",
                file=out,
            )
    print(
        f"   {result.query_duration_s:.1f} s of audio recognised in {result.total_time_s * 1000:.0f} ms "
        f"(fingerprint {result.fingerprint_time_s * 1000:.0f}, look-up {result.query_time_s * 1000:.0f}, "
        f"alignment {result.align_time_s * 1000:.0f})",
        file=out,
    )


def _list(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    songs = store.songs()

    def print_table() -> None:
        songs_count, fingerprints_count = store.counts()
        print(f"{songs_count} song(s), {fingerprints_count} fingerprints in {store.description}", file=out)
        if not songs:
            return
        width = max(len(song.name) for song in songs)
        print(f"{'id':>6}  {'name':<{width}}  {'duration':>8}  {'hashes':>8}  added", file=out)
        for song in songs:
            print(
                f"{song.song_id:>6}  {song.name:<{width}}  {format_duration(song.duration_s):>8}  "
                f"{song.total_hashes:>8}  {format_local_time(song.date_created)}",
                file=out,
            )

    _emit(out, args.json, [dataclasses.asdict(song) for song in songs], print_table)
    return EXIT_OK


def _delete(store: Store, name_or_id: str, args: argparse.Namespace, out: TextIO) -> int:
    songs = store.find_songs(name_or_id)
    if not songs and name_or_id.isdigit():
        songs = [store.get_song(int(name_or_id))]
    if not songs:
        raise SongNotFoundError(f"no song is named {name_or_id!r} (see --list)")
    for song in songs:
        store.delete_song(song.song_id)

    def print_deleted() -> None:
        for song in songs:
            print(f"Deleted {song.name} (song id {song.song_id}).", file=out)

    _emit(out, args.json, {"deleted": [dataclasses.asdict(song) for song in songs]}, print_deleted)
    return EXIT_OK


def _emit(out: TextIO, as_json: bool, document: object, print_text: Callable[[], None]) -> None:
    """One JSON document on `out`, or the text `print_text` writes there."""
    if as_json:
        print(json.dumps(document, indent=2), file=out)
    else:
        print_text()


def format_duration(seconds: float) -> str:
    """1h 02m, 3m 25s or 12s."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


if __name__ == "__main__":
    sys.exit(main())
