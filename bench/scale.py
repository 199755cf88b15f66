"""The MySQL store at scale: ingest cost and query latency as the library grows to 100,000 songs.

    python bench/scale.py                                   # MyRocks, checkpoints at 0, 10,000, 100,000 songs
    python bench/scale.py --engine innodb --checkpoints 0,10000
    python bench/scale.py --music ~/Music --json scale.json

A throwaway MariaDB server holds the store. Most of its songs are synthetic: fingerprints drawn from the
distribution of real ones (the anchor frequency, and the frequency and time differences of the pair, as
measured on real songs; hashes per second and song lengths as in the corpus; offsets uniform over the
song). They are written by the store's own `add_song` from two writer threads; MyRocks' compactions of
them are waited out (as a library that grew over months has no bulk write behind it). At each checkpoint a
batch of real songs (the Debian game music of bench/evaluate.py unless --music is given) is ingested by
the app's Ingestor with 2 processes, and 5 s clips cut at random from the real songs stored so far are
recognised in-process (fingerprinting included). Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

if __package__ in (None, ""):  # run as a script: make the project's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import Song, default_cache_dir, fetch_game_music, load_songs, music_files  # noqa: E402
from config.settings import FingerprintParams  # noqa: E402
from database import open_store  # noqa: E402
from database.mysql_store import MySQLStore  # noqa: E402
from fingerprint.analysis import fingerprint_samples  # noqa: E402
from fingerprint.hashing import DT_BITS, pack_hashes, unpack_hashes  # noqa: E402
from fingerprint.ingest import Ingestor  # noqa: E402
from fingerprint.recognizer import Recognizer  # noqa: E402
from tests.mariadb import ROCKSDB_OPTIONS, MariaDBServer  # noqa: E402

CLIP_S = 5.0
SWEEP_CLIPS = 50  # clips per budget of --budgets
OFFSET_TOLERANCE_S = 0.2
WRITERS = 2
# Caches sized for a 24 GB machine: MyRocks' block cache, InnoDB's buffer pool (songs, and InnoDB runs).
SERVER_OPTIONS = (*ROCKSDB_OPTIONS, "--rocksdb-block-cache-size=2G", "--innodb-buffer-pool-size=2G")


@dataclass(frozen=True)
class HashModel:
    """How real fingerprints are distributed: anchor bins, (bin, frame) differences, hashes per second."""

    f1_values: npt.NDArray[np.int64]
    f1_weights: npt.NDArray[np.float64]
    pair_values: npt.NDArray[np.int64]  # df << DT_BITS | dt, with df made non-negative
    pair_weights: npt.NDArray[np.float64]
    hashes_per_s: float
    frames_per_s: float

    @classmethod
    def fit(cls, songs: list[Song], params: FingerprintParams) -> HashModel:
        hashes = [fingerprint_samples(song.samples, params).hashes for song in songs]
        f1, df, dt = unpack_hashes(np.concatenate(hashes))
        f1_values, f1_counts = np.unique(f1, return_counts=True)
        pair_values, pair_counts = np.unique(((df + 256) << DT_BITS) | dt, return_counts=True)
        seconds = sum(song.duration_s for song in songs)
        return cls(
            f1_values,
            f1_counts / f1_counts.sum(),
            pair_values,
            pair_counts / pair_counts.sum(),
            sum(h.size for h in hashes) / seconds,
            params.sample_rate / params.hop_length,
        )

    def song(self, rng: np.random.Generator, duration_s: float) -> tuple[npt.NDArray, npt.NDArray]:
        """The (hashes, offsets) of a synthetic song of `duration_s` seconds."""
        n = int(duration_s * self.hashes_per_s)
        pairs = rng.choice(self.pair_values, n, p=self.pair_weights)
        hashes = pack_hashes(
            rng.choice(self.f1_values, n, p=self.f1_weights),
            (pairs >> DT_BITS) - 256,
            pairs & ((1 << DT_BITS) - 1),
        )
        return hashes, rng.integers(0, int(duration_s * self.frames_per_s), n).astype(np.int32)


@dataclass
class Checkpoint:
    songs: int
    fill_ms_per_song: float = 0.0  # synthetic songs written just before this checkpoint (median)
    settle_s: float = 0.0  # MyRocks compacting after the fill, waited out before the real ingest
    ingest_audio_s_per_s: float = 0.0
    ingest_ms_per_song_minute: float = 0.0
    query_ms: list[float] = field(default_factory=list)
    lookup_ms: list[float] = field(default_factory=list)  # the store's part of each query
    correct: int = 0
    offset_right: int = 0
    first_lookup_only: int = 0  # queries answered by the store-like hashes alone
    size_bytes_per_audio_s: float = 0.0
    # first_pass_row_budget -> (top-1 share, p95 ms) of the sweep's clips
    budget_sweep: dict[int, tuple[float, float]] = field(default_factory=dict)


def fill(options: dict, model: HashModel, durations: npt.NDArray, start: int, stop: int) -> list[float]:
    """Write synthetic songs start..stop-1 from WRITERS threads; return each song's write time (s)."""
    times: list[float] = []
    lock = threading.Lock()
    bar = tqdm(total=stop - start, desc=f"synthetic songs to {stop:,}", file=sys.stderr, mininterval=10)

    def write(first: int) -> None:
        with open_store("mysql", **options) as store:
            for index in range(first, stop, WRITERS):
                rng = np.random.default_rng(index)
                duration_s = float(durations[index % durations.size])
                hashes, offsets = model.song(rng, duration_s)
                began = time.perf_counter()
                store.add_song(f"Synthetic {index}", f"{index:040x}", duration_s, hashes, offsets)
                with lock:
                    times.append(time.perf_counter() - began)
                    bar.update()

    threads = [threading.Thread(target=write, args=(start + k,)) for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bar.close()
    return times


def ingest(store: MySQLStore, songs: list[Song], params: FingerprintParams, point: Checkpoint) -> list[Song]:
    """Fingerprint the real `songs` with the app's Ingestor (2 processes), note its speed; return the
    songs stored (a silent file has no fingerprints and is not)."""
    with tempfile.TemporaryDirectory() as folder:
        for song in songs:  # named as in the corpus: clips are judged by the song's name
            Path(folder, song.name + song.path.suffix).symlink_to(song.path.resolve())
        began = time.perf_counter()
        report = Ingestor(store, params).fingerprint_directory(folder, processes=2)
        elapsed = time.perf_counter() - began
    point.ingest_audio_s_per_s = report.seconds_of_audio / elapsed
    point.ingest_ms_per_song_minute = 1000 * elapsed / (report.seconds_of_audio / 60)
    by_name = {song.name: song for song in songs}
    return [by_name[Path(path).stem] for path in report.added]


def query(
    recognizer: Recognizer, stored: list[Song], clips: int, rng: np.random.Generator, point: Checkpoint
) -> None:
    """Recognise `clips` 5 s clips of the stored real songs; note latency and answers."""
    for _ in range(clips):
        song = stored[rng.integers(len(stored))]
        start = int(rng.integers(0, max(1, len(song.samples) - int(CLIP_S * song.sample_rate))))
        samples = song.samples[start : start + int(CLIP_S * song.sample_rate)]
        began = time.perf_counter()
        result = recognizer.recognize_samples(samples, sample_rate=song.sample_rate)
        point.query_ms.append(1000 * (time.perf_counter() - began))
        point.lookup_ms.append(1000 * result.query_time_s)
        point.first_lookup_only += result.lookups == 1
        if result.matches and result.matches[0].song_name == song.name:
            point.correct += 1
            point.offset_right += (
                abs(result.matches[0].offset_seconds - start / song.sample_rate) <= OFFSET_TOLERANCE_S
            )


def measure_size(server: MariaDBServer, store: MySQLStore, audio_s: float, point: Checkpoint) -> None:
    """Bytes on disk (data and indexes) per second of stored audio, after MyRocks flushed its memory."""
    if store.engine == "ROCKSDB":
        server.flush_memtables()
    point.size_bytes_per_audio_s = store.size_bytes() / audio_s


def report(
    args: argparse.Namespace, points: list[Checkpoint], engine: str, model: HashModel, first_ms: float
) -> str:
    base = points[0]
    lines = [
        f"Store at scale: MariaDB, fingerprints table on {engine}; synthetic songs at "
        f"{model.hashes_per_s:.1f} hashes/s plus real songs; {args.clips} clips of {CLIP_S:g} s "
        "per checkpoint.",
        "",
        "| songs stored | synthetic write, ms/song | real ingest, s of audio/s | ingest vs empty store | "
        "query median / p95 ms | of which look-up, median | answered by the first look-up | top-1 | "
        "offset right | bytes/s of audio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for point in points:
        median, p95 = np.percentile(point.query_ms, [50, 95]) if point.query_ms else (0.0, 0.0)
        slower = point.ingest_ms_per_song_minute / base.ingest_ms_per_song_minute
        lookup = np.median(point.lookup_ms) if point.lookup_ms else 0.0
        lines.append(
            f"| {point.songs:,} | {point.fill_ms_per_song:.1f} | {point.ingest_audio_s_per_s:.0f} | "
            f"{slower:.2f}x | {median:.1f} / {p95:.1f} | {lookup:.1f} | "
            f"{100 * point.first_lookup_only / max(1, args.clips):.0f} % | "
            f"{100 * point.correct / max(1, args.clips):.1f} % | "
            f"{100 * point.offset_right / max(1, point.correct):.1f} % | {point.size_bytes_per_audio_s:.0f} |"
        )
    sweep = sorted({budget for point in points for budget in point.budget_sweep})
    if sweep:
        lines += [
            "",
            "Top-1 and query p95 by `first_pass_row_budget` (0: none), "
            f"{SWEEP_CLIPS} clips each, the same at every budget:",
            "",
            "| songs stored | " + " | ".join(f"{budget:,}" for budget in sweep) + " |",
            "|---|" + "---|" * len(sweep),
        ]
        for point in points:
            cells = (point.budget_sweep.get(budget) for budget in sweep)
            lines.append(
                f"| {point.songs:,} | "
                + " | ".join(f"{100 * c[0]:.0f} % / {c[1]:.0f} ms" if c else "" for c in cells)
                + " |"
            )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += [
        "",
        f"Synthetic writes take {first_ms:.1f} ms per song (median) for the first 1,000 songs; each row's "
        "figure is the median over the last tenth of the songs written before it.",
    ]
    if engine == "ROCKSDB":
        settled = ", ".join(f"{p.settle_s:.0f} s at {p.songs:,} songs" for p in points if p.songs)
        lines.append(f"Real songs are ingested once MyRocks has compacted what the fill wrote ({settled}).")
    lines += [
        f"Peak memory of the benchmark process: {peak_mib:.0f} MiB.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--music", type=Path, help="a folder of audio files (default: Debian game music)")
    parser.add_argument("--engine", choices=("rocksdb", "innodb"), default="rocksdb")
    parser.add_argument("--checkpoints", default="0,10000,100000", help="library sizes to measure at")
    parser.add_argument("--clips", type=int, default=200, help="clips recognised per checkpoint")
    parser.add_argument(
        "--budgets",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[],
        help="also recognise clips with these first-pass row budgets (0: none), e.g. 5000,20000,0",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    checkpoints = sorted(int(n) for n in args.checkpoints.split(","))
    params = FingerprintParams()
    rng = np.random.default_rng(args.seed)

    files = music_files(args.music or fetch_game_music(default_cache_dir()))
    songs, _ = load_songs(files, sample_rate=params.sample_rate)
    songs = [songs[i] for i in rng.permutation(len(songs))]
    batches = np.array_split(np.arange(len(songs)), len(checkpoints))
    model = HashModel.fit(songs[:20], params)
    durations = np.array([song.duration_s for song in songs])
    print(f"{len(songs)} real songs; {model.hashes_per_s:.1f} hashes/s", file=sys.stderr)

    points = []
    with MariaDBServer(SERVER_OPTIONS) as server:
        options = {**server.create_database(), "engine": args.engine}
        with open_store("mysql", **options) as store:
            store.ensure_params(params.store_signature())
            recognizer = Recognizer(store, params)
            synthetic, stored, audio_s, first_ms = 0, [], 0.0, 0.0
            for checkpoint, batch in zip(checkpoints, batches, strict=True):
                point = Checkpoint(checkpoint)
                if checkpoint > synthetic:
                    times = fill(options, model, durations, synthetic, checkpoint)
                    if synthetic == 0:
                        first_ms = 1000 * float(np.median(times[:1000]))
                    point.fill_ms_per_song = 1000 * float(np.median(times[-max(1, len(times) // 10) :]))
                    audio_s += sum(float(durations[i % durations.size]) for i in range(synthetic, checkpoint))
                    synthetic = checkpoint
                    if store.engine == "ROCKSDB":
                        point.settle_s = server.settle()
                new = ingest(store, [songs[i] for i in batch], params, point)
                stored += new
                audio_s += sum(song.duration_s for song in new)
                query(recognizer, stored, args.clips, rng, point)
                for budget in args.budgets:
                    swept = Checkpoint(checkpoint)
                    tried = Recognizer(store, replace(params, first_pass_row_budget=budget))
                    query(tried, stored, SWEEP_CLIPS, np.random.default_rng(args.seed), swept)
                    p95 = float(np.percentile(swept.query_ms, 95))
                    point.budget_sweep[budget] = (swept.correct / SWEEP_CLIPS, p95)
                measure_size(server, store, audio_s, point)
                points.append(point)
                print(report(args, points, store.engine, model, first_ms), file=sys.stderr)
            engine = store.engine
    print(report(args, points, engine, model, first_ms))
    if args.json:
        args.json.write_text(json.dumps([vars(point) for point in points], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
