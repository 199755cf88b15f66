"""Insert and lookup speed of the fingerprint stores, and their size on disk.

Fills a store with synthetic songs whose fingerprints look like real ones to the store (uniform random
23-bit hashes, about 30 per second of audio, offsets on a 32 ms frame grid), then times lookups of
query-sized probe sets: random hashes plus the hashes of a 10 s window of one stored song.

    python bench/store_speed.py                       # SQLite and a throwaway MariaDB, 334 songs (2 M rows)
    python bench/store_speed.py --backend sqlite --songs 1000
    python bench/store_speed.py --backend mysql --mysql-host 127.0.0.1 --mysql-user u --mysql-database d
        (the password is read from the MYSQL_PASSWORD environment variable)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the project's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from database import Store, open_store  # noqa: E402

FRAMES_PER_SECOND = 8000 / 256
HASH_BITS = 23


def song_fingerprints(index: int, seconds: float, per_second: float) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic (hashes, offsets) of song `index`, the same on every call."""
    rng = np.random.default_rng(index)
    n = int(seconds * per_second)
    hashes = rng.integers(0, 2**HASH_BITS, n)
    offsets = np.sort(rng.integers(0, int(seconds * FRAMES_PER_SECOND), n)).astype(np.int32)
    return hashes, offsets


def fill(store: Store, args: argparse.Namespace) -> dict[str, float]:
    """Add the songs; return overall and final-tenth insert rates (rows/s)."""
    tail_from = int(args.songs * 0.9)
    started = time.perf_counter()
    tail_started, tail_rows, rows = started, 0, 0
    for index in range(args.songs):
        if index == tail_from:
            tail_started, tail_rows = time.perf_counter(), 0
        hashes, offsets = song_fingerprints(index, args.song_seconds, args.hashes_per_second)
        store.add_song(f"Synthetic song {index}", f"{index:040x}", args.song_seconds, hashes, offsets)
        rows += hashes.size
        tail_rows += hashes.size
    ended = time.perf_counter()
    return {
        "insert_rows_s": rows / (ended - started),
        "insert_tail_rows_s": tail_rows / (ended - tail_started),
    }


def probe(store: Store, args: argparse.Namespace) -> dict[str, float]:
    """Time `args.queries` lookups; return ms per query, probes per second and rows per query."""
    rng = np.random.default_rng(12345)
    window = int(10 * args.hashes_per_second)
    queries = []
    for _ in range(args.queries):
        hashes, _offsets = song_fingerprints(
            int(rng.integers(args.songs)), args.song_seconds, args.hashes_per_second
        )
        start = int(rng.integers(hashes.size - window))
        random_part = rng.integers(0, 2**HASH_BITS, args.probe_hashes - window)
        queries.append(np.concatenate([hashes[start : start + window], random_part]))
    store.lookup(queries[0])  # warm up
    returned = 0
    started = time.perf_counter()
    for query in queries:
        returned += store.lookup(query)[0].size
    elapsed = time.perf_counter() - started
    probes = sum(np.unique(query).size for query in queries)
    return {
        "lookup_ms": 1000 * elapsed / len(queries),
        "probes_s": probes / elapsed,
        "rows_per_query": returned / len(queries),
    }


def measure(name: str, opener: Callable[[], Store], args: argparse.Namespace) -> dict[str, object]:
    with opener() as store:
        figures: dict[str, object] = {"backend": name, **fill(store, args), **probe(store, args)}
        songs, rows = store.counts()
        size = store.size_bytes()
        started = time.perf_counter()
        store.delete_song(store.songs()[0].song_id)
        figures["delete_ms"] = 1000 * (time.perf_counter() - started)
    figures.update(
        songs=songs,
        rows=rows,
        size_mb=size / 1e6,
        bytes_per_row=size / rows,
        bytes_per_audio_s=size / (songs * args.song_seconds),
    )
    return figures


@contextmanager
def sqlite_opener(args: argparse.Namespace) -> Iterator[Callable[[], Store]]:
    if args.sqlite_path:
        yield lambda: open_store("sqlite", path=args.sqlite_path)
        return
    with tempfile.TemporaryDirectory(prefix="store-speed-") as folder:
        yield lambda: open_store("sqlite", path=os.path.join(folder, "bench.sqlite3"))


@contextmanager
def mysql_opener(args: argparse.Namespace) -> Iterator[Callable[[], Store]]:
    if args.mysql_host:
        options = {
            "host": args.mysql_host,
            "port": args.mysql_port,
            "user": args.mysql_user,
            "password": os.environ.get("MYSQL_PASSWORD", ""),
            "database": args.mysql_database,
        }
        yield lambda: open_store("mysql", **options)
        return
    from tests.mariadb import MariaDBServer

    with MariaDBServer() as server:
        options = server.create_database()
        yield lambda: open_store("mysql", **options)


COLUMNS = [
    ("backend", "backend", "{}"),
    ("songs", "songs", "{:d}"),
    ("rows", "rows", "{:,d}"),
    ("insert rows/s", "insert_rows_s", "{:,.0f}"),
    ("last 10% rows/s", "insert_tail_rows_s", "{:,.0f}"),
    ("lookup ms", "lookup_ms", "{:.1f}"),
    ("probes/s", "probes_s", "{:,.0f}"),
    ("rows/query", "rows_per_query", "{:.0f}"),
    ("MB", "size_mb", "{:.1f}"),
    ("B/row", "bytes_per_row", "{:.1f}"),
    ("B/audio s", "bytes_per_audio_s", "{:.0f}"),
    ("delete ms", "delete_ms", "{:.0f}"),
]


def print_table(results: list[dict[str, object]]) -> None:
    cells = [[fmt.format(result[key]) for _, key, fmt in COLUMNS] for result in results]
    widths = [max(len(title), *(len(row[i]) for row in cells)) for i, (title, _, _) in enumerate(COLUMNS)]
    print("  ".join(title.rjust(width) for (title, _, _), width in zip(COLUMNS, widths, strict=True)))
    for row in cells:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "mysql", "both"], default="both")
    parser.add_argument("--songs", type=int, default=334, help="songs to add (334 x 200 s = 2 M rows)")
    parser.add_argument("--song-seconds", type=float, default=200.0)
    parser.add_argument("--hashes-per-second", type=float, default=30.0)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--probe-hashes", type=int, default=5000, help="hashes per lookup")
    parser.add_argument("--sqlite-path", help="SQLite file to fill (default: a temporary file)")
    parser.add_argument("--mysql-host", help="use this server instead of a throwaway MariaDB")
    parser.add_argument("--mysql-port", type=int, default=3306)
    parser.add_argument("--mysql-user", default="root")
    parser.add_argument("--mysql-database", default="shazam_bench")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    openers = {"sqlite": sqlite_opener, "mysql": mysql_opener}
    names = list(openers) if args.backend == "both" else [args.backend]
    results = []
    for name in names:
        with openers[name](args) as opener:
            results.append(measure(name, opener, args))
    print(
        f"{args.songs} songs of {args.song_seconds:.0f} s, {args.hashes_per_second:.0f} hashes/s, "
        f"{args.queries} lookups of {args.probe_hashes} hashes (10 s of a stored song + random)"
    )
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
