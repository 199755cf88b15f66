"""One MariaDB server against the fingerprints table sharded over three with Spider, on this machine.

Starts throwaway servers (tests/mariadb.py): one server alone, then a head node with the Spider engine and
three backends set up by database/shards.py. Each store is filled through the app's MySQL store with the
synthetic songs of bench/store_speed.py (random 23-bit hashes, 30 per second of audio), then timed on
lookups the size of a 5 s query. Prints a Markdown table.

    python bench/shards.py                      # 334 songs of 200 s (2 M rows) per set-up
    python bench/shards.py --songs 100 --queries 100

Every server runs on this machine, so the shards share its cores and disk with the head: the figures show
what Spider's routing costs, not what more machines would add.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the project's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.store_speed import HASH_BITS, song_fingerprints  # noqa: E402
from database import Store, open_store  # noqa: E402
from database.shards import setup_shards  # noqa: E402
from tests.mariadb import MariaDBServer  # noqa: E402


@contextmanager
def one_server() -> Iterator[Callable[[], Store]]:
    with MariaDBServer() as server:
        options = server.create_database()
        yield lambda: open_store("mysql", **options)


@contextmanager
def spider_shards(count: int, parallel_scans: bool) -> Iterator[Callable[[], Store]]:
    servers = [MariaDBServer() for _ in range(count + 1)]
    try:
        threads = [threading.Thread(target=server.start) for server in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        head, backends = servers[0], servers[1:]
        head._admin("INSTALL SONAME 'ha_spider'")
        if parallel_scans:
            head._admin("SET GLOBAL spider_bgs_mode = 1")  # the shards of one query are read at once
        options = head.create_database()
        head._admin(f"GRANT FEDERATED ADMIN ON *.* TO '{head.user}'@'%'")
        setup_shards(options, [backend.create_database() for backend in backends])
        yield lambda: open_store("mysql", **options)
    finally:
        for server in servers:
            server.stop()


def measure(opener: Callable[[], Store], args: argparse.Namespace) -> dict[str, float]:
    with opener() as store:
        rows = 0
        started = time.perf_counter()
        for index in range(args.songs):
            hashes, offsets = song_fingerprints(index, args.song_seconds, args.hashes_per_second)
            store.add_song(f"Synthetic song {index}", f"{index:040x}", args.song_seconds, hashes, offsets)
            rows += hashes.size
        ingest_s = time.perf_counter() - started
        rng = np.random.default_rng(12345)
        window = int(5 * args.hashes_per_second)
        latencies = []
        for query in range(args.queries + 1):
            hashes, _ = song_fingerprints(
                int(rng.integers(args.songs)), args.song_seconds, args.hashes_per_second
            )
            start = int(rng.integers(hashes.size - window))
            probes = np.concatenate(
                [hashes[start : start + window], rng.integers(0, 2**HASH_BITS, args.probe_hashes - window)]
            )
            started = time.perf_counter()
            store.lookup(probes)
            if query:  # the first one warms the connections up
                latencies.append(1000 * (time.perf_counter() - started))
    latencies.sort()
    return {
        "rows": rows,
        "rows_s": rows / ingest_s,
        "audio_x": args.songs * args.song_seconds / ingest_s,
        "median_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=334, help="songs per set-up (334 x 200 s = 2 M rows)")
    parser.add_argument("--song-seconds", type=float, default=200.0)
    parser.add_argument("--hashes-per-second", type=float, default=30.0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--probe-hashes", type=int, default=4000, help="distinct hashes of a 5 s query")
    parser.add_argument("--shards", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setups = [
        ("one server", one_server),
        (f"{args.shards} Spider shards", lambda: spider_shards(args.shards, parallel_scans=False)),
        (f"{args.shards} Spider shards, spider_bgs_mode=1", lambda: spider_shards(args.shards, True)),
    ]
    print(
        f"{args.songs} songs of {args.song_seconds:.0f} s ({args.hashes_per_second:.0f} hashes/s), "
        f"one writer; {args.queries} lookups of {args.probe_hashes} hashes (5 s of a stored song + random)\n"
    )
    print("| set-up | rows | ingest rows/s | ingest, s of audio per s | lookup median / p95 ms |")
    print("|---|---|---|---|---|")
    for name, setup in setups:
        with setup() as opener:
            figures = measure(opener, args)
        print(
            f"| {name} | {figures['rows']:,} | {figures['rows_s']:,.0f} | {figures['audio_x']:,.0f} | "
            f"{figures['median_ms']:.1f} / {figures['p95_ms']:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
