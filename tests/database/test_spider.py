"""The fingerprints table sharded over three MariaDB servers with Spider, the app talking to the head only.

Four throwaway servers on loopback: a head node with the Spider engine and three backends. Songs encoded
by ffmpeg are fingerprinted and recognised through the command line against the head.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import MySQLdb
import numpy as np
import pytest

import main
from database import StoreError, StoreUnavailableError, open_store
from database.shards import server_name, setup_shards
from fingerprint.audio import clip
from tests.audio_files import write_audio
from tests.mariadb import MariaDBServer, missing_binaries
from tests.required import skip_or_fail
from tests.synth import synth_song

RATE = 44_100
SONGS = {"Shard Alpha": ("alpha.mp3", 31), "Shard Beta": ("beta.ogg", 32), "Shard Gamma": ("gamma.mp3", 33)}
SHARDS = 3

pytestmark = [pytest.mark.mysql, pytest.mark.slow]


@dataclass
class Cluster:
    head: MariaDBServer
    backends: list[MariaDBServer]
    head_options: dict[str, object]
    shard_options: list[dict[str, object]]
    config: Path

    def backend_rows(self, index: int, sql: str = "SELECT COUNT(*) FROM fingerprints") -> int:
        connection = MySQLdb.connect(**self.shard_options[index])
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return int(cursor.fetchone()[0])
        finally:
            connection.close()

    def head_sql(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        connection = MySQLdb.connect(**self.head_options, autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, parameters or None)
                return list(cursor.fetchall())
        finally:
            connection.close()


def _start_all(servers: list[MariaDBServer]) -> None:
    """Start the servers side by side (each takes a few seconds to initialise); raise the first failure."""
    failures: list[BaseException] = []

    def start(server: MariaDBServer) -> None:
        try:
            server.start()
        except BaseException as error:  # handed to the main thread below
            failures.append(error)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    missing = missing_binaries()
    if missing:
        skip_or_fail(f"MariaDB server programs not found ({', '.join(missing)})", required_by="REQUIRE_MYSQL")
    servers = [MariaDBServer() for _ in range(SHARDS + 1)]
    try:
        _start_all(servers)
        head, backends = servers[0], servers[1:]
        try:
            head._admin("INSTALL SONAME 'ha_spider'")
        except MySQLdb.Error as error:
            skip_or_fail(
                f"MariaDB's Spider engine cannot be loaded ({error}); install mariadb-plugin-spider",
                required_by="REQUIRE_MYSQL",
            )
        head_options = head.create_database()
        head._admin(f"GRANT FEDERATED ADMIN ON *.* TO '{head.user}'@'%'")
        shard_options = [backend.create_database() for backend in backends]
        config = tmp_path_factory.mktemp("spider") / "dejavu.cnf"
        config.write_text(
            json.dumps({"database_type": "mysql", "database": head_options, "shards": shard_options})
        )
        yield Cluster(head, backends, head_options, shard_options, config)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("music")
    for name, (file_name, seed) in SONGS.items():
        write_audio(folder / f"{name}{Path(file_name).suffix}", song(seed), sample_rate=RATE)
    return folder


def song(seed: int) -> np.ndarray:
    return synth_song(seed, duration_s=30.0, sample_rate=RATE)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def ingested(cluster: Cluster, library: Path) -> Cluster:
    """The shards set up through the CLI, then the library fingerprinted through the head."""
    assert main.main(["--config", str(cluster.config), "--setup-shards"]) == 0
    assert (
        main.main(["--config", str(cluster.config), "--fingerprint", str(library), "--processes", "2"]) == 0
    )
    return cluster


def test_setup_shards_creates_the_tables_and_running_it_again_changes_nothing(capsys, ingested):
    status, out, _ = run_cli(capsys, "--config", str(ingested.config), "--setup-shards")
    assert status == 0
    database = ingested.head_options["database"]
    for index, options in enumerate(ingested.shard_options):
        assert f"shard {index} (tester@127.0.0.1:{options['port']}/{options['database']})" in out
        assert f"server {server_name(database, index)} -> shard {index}" in out
    assert "fingerprints already sharded by hash over 3 shard(s)" in out
    assert f"ready, {len(SONGS)} song(s)" in out
    assert "tester-Pw" not in out
    engines = ingested.head_sql(
        "SELECT ENGINE, CREATE_OPTIONS FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'fingerprints'"
    )
    assert engines == [("SPIDER", "partitioned")]
    partitions = ingested.head_sql(
        "SELECT PARTITION_METHOD, PARTITION_EXPRESSION, PARTITION_COMMENT FROM information_schema.PARTITIONS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'fingerprints' ORDER BY PARTITION_ORDINAL_POSITION"
    )
    assert partitions == [("KEY", "`hash`", f'srv "{server_name(database, i)}"') for i in range(SHARDS)]


def test_every_shard_holds_a_fair_share_of_the_fingerprints(ingested):
    with open_store("mysql", **ingested.head_options) as store:
        songs, total = store.counts()
    assert songs == len(SONGS)
    assert total > 1500
    rows = [ingested.backend_rows(index) for index in range(SHARDS)]
    assert sum(rows) == total
    for count in rows:
        assert total / SHARDS * 0.8 <= count <= total / SHARDS * 1.2, rows
    assert ingested.head_sql("SELECT COUNT(*) FROM fingerprints") == [(total,)]


@pytest.mark.parametrize(
    ("name", "start_s"), [("Shard Alpha", 3.3), ("Shard Beta", 17.05), ("Shard Gamma", 9.0)]
)
def test_clips_are_recognised_through_the_head(capsys, ingested, tmp_path, name, start_s):
    samples = clip(song(SONGS[name][1]), sample_rate=RATE, start_s=start_s, duration_s=5.0)
    path = write_audio(tmp_path / "clip.mp3", samples, sample_rate=RATE)
    status, out, _ = run_cli(
        capsys, "--config", str(ingested.config), "--recognize", "file", str(path), "--json"
    )
    assert status == 0
    top = json.loads(out)["results"][0]
    assert top["song_name"] == name
    assert top["offset_seconds"] == pytest.approx(start_s, abs=0.2)


def test_an_unfinished_song_is_invisible_and_its_row_cleaned_through_the_head(ingested):
    with open_store("mysql", **ingested.head_options) as store:
        stored = store.songs()[0]
        hashes, offsets = store.song_fingerprints(stored.song_id)
        before = [ingested.backend_rows(index) for index in range(SHARDS)]
        # An ingest that died after writing its fingerprints: a song row not marked fingerprinted.
        ingested.head_sql(
            "INSERT INTO songs (name, file_sha1, duration_s) "
            "VALUES ('Half stored', UNHEX(REPEAT('ab', 20)), 30)"
        )
        ((unfinished,),) = ingested.head_sql("SELECT song_id FROM songs WHERE name = 'Half stored'")
        values = ",".join(
            f"({h},{unfinished},{o})" for h, o in zip(hashes.tolist(), offsets.tolist(), strict=True)
        )
        ingested.head_sql(f"INSERT INTO fingerprints (hash, song_id, `offset`) VALUES {values}")
        assert sum(ingested.backend_rows(index) for index in range(SHARDS)) == sum(before) + hashes.size
        found = store.lookup(hashes)[1]
        assert unfinished not in found.tolist()
        assert stored.song_id in found.tolist()
        assert store.clean_unfinished() == 1
        assert store.song_by_sha1("ab" * 20) is None
        # Its rows stay on the shards, unseen: the song id is never given out again (AUTO_INCREMENT), and
        # cleaning never scans the whole fingerprints table for them.
        assert unfinished not in store.lookup(hashes)[1].tolist()


def test_a_shard_failing_in_the_middle_of_a_song_leaves_nothing_on_any_shard(ingested):
    rng = np.random.default_rng(8)
    hashes = rng.choice(2**23, size=20_000, replace=False)
    offsets = rng.integers(0, 9000, hashes.size).astype(np.int32)
    last = int(hashes.max())  # rows go out in hash order: by then every shard has taken rows of this song
    before = [ingested.backend_rows(index) for index in range(SHARDS)]
    for options in ingested.shard_options:
        connection = MySQLdb.connect(**options)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TRIGGER fail_insert BEFORE INSERT ON fingerprints FOR EACH ROW BEGIN IF NEW.hash = "
                f"{last} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END"
            )
        connection.close()
    try:
        with open_store("mysql", **ingested.head_options) as store:
            with pytest.raises(StoreError, match="injected failure"):
                store.add_song("Broken", "cd" * 20, 300.0, hashes, offsets)
            assert [song.name for song in store.songs()] == sorted(SONGS)
    finally:
        for options in ingested.shard_options:
            connection = MySQLdb.connect(**options)
            with connection.cursor() as cursor:
                cursor.execute("DROP TRIGGER IF EXISTS fail_insert")
            connection.close()
    assert [ingested.backend_rows(index) for index in range(SHARDS)] == before


def test_a_stopped_shard_is_a_clear_error_not_a_wrong_answer(capsys, ingested, tmp_path):
    samples = clip(song(SONGS["Shard Beta"][1]), sample_rate=RATE, start_s=4.0, duration_s=5.0)
    path = write_audio(tmp_path / "clip.wav", samples, sample_rate=RATE)
    other = write_audio(
        tmp_path / "other.wav", synth_song(77, duration_s=10.0, sample_rate=RATE), sample_rate=RATE
    )
    before = [ingested.backend_rows(index) for index in range(SHARDS)]
    down = server_name(ingested.head_options["database"], 1)
    ingested.backends[1].halt()
    try:
        status, out, err = run_cli(capsys, "--config", str(ingested.config), "--recognize", "file", str(path))
        assert status == 2
        assert out == ""
        assert "a shard of its fingerprints table is unreachable" in err
        assert down in err
        assert "Traceback" not in err
        status, out, err = run_cli(capsys, "--config", str(ingested.config), "--fingerprint", str(other))
        assert status == 2
        assert down in out + err
    finally:
        ingested.backends[1].resume()
    # The failed ingest left nothing behind, on the head or on any shard, and the store works again.
    assert [ingested.backend_rows(index) for index in range(SHARDS)] == before
    assert ingested.head_sql("SELECT COUNT(*) FROM songs") == [(len(SONGS),)]
    status, out, _ = run_cli(capsys, "--config", str(ingested.config), "--recognize", "file", str(path))
    assert status == 0
    assert out.startswith("1. Shard Beta")


def test_setup_names_a_shard_it_cannot_reach_and_a_head_without_spider(cluster):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    stopped = dict(cluster.shard_options[1], port=closed_port)
    with pytest.raises(StoreUnavailableError) as raised:
        setup_shards(cluster.head_options, [cluster.shard_options[0], stopped])
    assert str(raised.value).startswith(f"Cannot connect to the shard 1 (tester@127.0.0.1:{closed_port}/")
    assert str(raised.value).endswith("Is its MySQL server running?")
    wrong = dict(cluster.shard_options[2], password="wrong-password-51")
    with pytest.raises(StoreUnavailableError) as raised:
        setup_shards(cluster.head_options, [wrong])
    assert str(raised.value).startswith("Cannot connect to the shard 0 (tester@127.0.0.1:")
    assert "Check its user, password and database" in str(raised.value)
    assert "wrong-password-51" not in str(raised.value)
    with pytest.raises(
        StoreUnavailableError, match=r"^The head node \(tester@127\.0\.0\.1:\d+/\w+\) has no Spider"
    ):
        setup_shards(cluster.shard_options[0], [cluster.shard_options[1]])
