"""One contract for every store: SQLite in memory, SQLite in a file, and MySQL on a real MariaDB server."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import MySQLdb
import numpy as np
import pytest

from database import (
    ClaimLostError,
    DuplicateSongError,
    ParamsMismatchError,
    SongNotFoundError,
    Store,
    StoreError,
    open_store,
)
from database.claims import new_worker_name
from tests.required import skip_or_fail

SIGNATURE = {"sample_rate": 8000, "n_fft": 2048, "hop_length": 256, "amp_min_db": -70.0}


@dataclass
class Backend:
    """How to open a store of one kind, and how another client would run raw SQL on it."""

    open: Callable[[], Store]
    run_sql: Callable[[Store, str, tuple[object, ...]], list[tuple[object, ...]]]
    fail_insert_of_hash_sql: str  # a trigger that makes inserting hash 9000 fail


def _sqlite_run(path: Path | None) -> Callable[[Store, str, tuple[object, ...]], list[tuple[object, ...]]]:
    def run(store: Store, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        if path is None:  # an in-memory database is reachable only through the store's own connection
            return store._conn.execute(sql, parameters).fetchall()
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            return connection.execute(sql, parameters).fetchall()
        finally:
            connection.close()

    return run


def _mysql_run(
    options: dict[str, object],
) -> Callable[[Store, str, tuple[object, ...]], list[tuple[object, ...]]]:
    def run(store: Store, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        connection = MySQLdb.connect(**options, autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s").replace('"offset"', "`offset`"), parameters or None)
                return list(cursor.fetchall())
        finally:
            connection.close()

    return run


SQLITE_TRIGGER = (
    "CREATE TRIGGER fail_insert BEFORE INSERT ON fingerprints WHEN NEW.hash = 9000 "
    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
)
MYSQL_TRIGGER = (
    "CREATE TRIGGER fail_insert BEFORE INSERT ON fingerprints FOR EACH ROW BEGIN "
    "IF NEW.hash = 9000 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END"
)


def _backend(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if kind == "sqlite-memory":
        store = open_store("sqlite", path=":memory:")
        request.addfinalizer(store.close)
        return Backend(lambda: store, _sqlite_run(None), SQLITE_TRIGGER)
    if kind == "sqlite-file":
        path = tmp_path / "stores" / "fingerprints.sqlite3"
        return Backend(lambda: open_store("sqlite", path=str(path)), _sqlite_run(path), SQLITE_TRIGGER)
    options = request.getfixturevalue("mysql_settings")
    engine = kind.partition("-")[2]
    if engine == "rocksdb" and not _has_rocksdb(options):
        skip_or_fail(
            "the MariaDB server has no MyRocks engine; install mariadb-plugin-rocksdb",
            required_by="REQUIRE_MYSQL",
        )
    return Backend(lambda: open_store("mysql", **options, engine=engine), _mysql_run(options), MYSQL_TRIGGER)


def _has_rocksdb(options: dict[str, object]) -> bool:
    connection = MySQLdb.connect(**options)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'ROCKSDB'")
            found = cursor.fetchone()
    finally:
        connection.close()
    return found is not None and found[0] in ("YES", "DEFAULT")


MYSQL = [pytest.param(f"mysql-{engine}", marks=pytest.mark.mysql) for engine in ("innodb", "rocksdb")]
ALL = ["sqlite-memory", "sqlite-file", *MYSQL]
PERSISTENT = ["sqlite-file", *MYSQL]


@pytest.fixture(params=ALL)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return _backend(request.param, request, tmp_path)


@pytest.fixture(params=PERSISTENT)
def persistent_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return _backend(request.param, request, tmp_path)


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as opened:
        yield opened


def _fingerprints(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**23, n), rng.integers(0, 6000, n).astype(np.int32)


def _sha1(n: int) -> str:
    return f"{n:040x}"


def _rows(result: tuple[np.ndarray, ...]) -> list[tuple[int, ...]]:
    return sorted(zip(*(column.tolist() for column in result), strict=True))


def _table_counts(backend: Backend, store: Store) -> tuple[int, int]:
    ((songs,),) = backend.run_sql(store, "SELECT COUNT(*) FROM songs", ())
    ((fingerprints,),) = backend.run_sql(store, "SELECT COUNT(*) FROM fingerprints", ())
    return songs, fingerprints


# --- songs -------------------------------------------------------------------------------------------


def test_added_song_is_found_by_id_sha1_and_name(store: Store) -> None:
    hashes, offsets = _fingerprints(1)
    song_id = store.add_song("First", _sha1(1), 201.5, hashes, offsets)
    other_id = store.add_song("Second", _sha1(2), 30.0, *_fingerprints(2))

    record = store.get_song(song_id)
    assert (record.song_id, record.name, record.file_sha1, record.duration_s) == (
        song_id,
        "First",
        _sha1(1),
        201.5,
    )
    assert record.fingerprinted
    assert record.total_hashes == len(set(zip(hashes.tolist(), offsets.tolist(), strict=True)))
    created = datetime.fromisoformat(record.date_created)
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=10)
    assert store.get_song(np.int64(song_id)) == record
    assert store.song_by_sha1(_sha1(1).upper()) == record
    assert store.song_by_sha1(_sha1(3)) is None
    assert store.find_songs("First") == [record]
    assert store.find_songs("first") == []
    assert [s.song_id for s in store.songs()] == [song_id, other_id]


def test_get_songs_returns_the_existing_ones_by_id(store: Store) -> None:
    first = store.add_song("First", _sha1(1), 10.0, *_fingerprints(1))
    second = store.add_song("Second", _sha1(2), 20.0, *_fingerprints(2))
    found = store.get_songs([second, 99_999, first, second])
    assert [song.song_id for song in found] == [first, second]
    assert found[1] == store.get_song(second)
    assert store.get_songs([]) == []


def test_the_file_path_is_kept_and_an_overlong_one_is_unknown(store: Store) -> None:
    kept = store.add_song("Kept", _sha1(1), 1.0, *_fingerprints(1), file_path="/music/ü's \\ song.mp3")
    unknown = store.add_song("Unknown", _sha1(2), 1.0, *_fingerprints(2), file_path="/x" * 3000)
    plain = store.add_song("Plain", _sha1(3), 1.0, *_fingerprints(3))
    assert store.get_song(kept).file_path == "/music/ü's \\ song.mp3"
    assert store.get_song(unknown).file_path == ""
    assert store.get_song(plain).file_path == ""


def test_missing_song_raises_song_not_found(store: Store) -> None:
    with pytest.raises(SongNotFoundError, match="12345"):
        store.get_song(12345)
    with pytest.raises(SongNotFoundError):
        store.delete_song(12345)
    with pytest.raises(SongNotFoundError):
        store.song_fingerprints(12345)


def test_repeated_pairs_within_a_song_are_stored_once(store: Store) -> None:
    hashes = np.array([7, 7, 7, 3, 2**32 - 1, 3], dtype=np.int64)
    offsets = np.array([1, 1, 2, 5, 9, 5], dtype=np.int32)
    song_id = store.add_song("Repeats", _sha1(1), 1.0, hashes, offsets)

    stored_hashes, stored_offsets = store.song_fingerprints(song_id)
    assert list(zip(stored_hashes.tolist(), stored_offsets.tolist(), strict=True)) == [
        (3, 5),
        (7, 1),
        (7, 2),
        (2**32 - 1, 9),
    ]
    assert stored_offsets.dtype == np.int32
    assert store.get_song(song_id).total_hashes == 4
    assert store.counts() == (1, 4)


def test_delete_song_removes_it_and_only_its_fingerprints(backend: Backend, store: Store) -> None:
    shared = np.array([10, 20, 30])
    kept = store.add_song("Kept", _sha1(1), 1.0, shared, np.array([1, 2, 3]))
    gone = store.add_song("Gone", _sha1(2), 1.0, np.array([10, 40]), np.array([7, 8]))

    store.delete_song(gone)

    with pytest.raises(SongNotFoundError):
        store.get_song(gone)
    assert _rows(store.lookup(np.array([10, 20, 30, 40]))) == [(10, kept, 1), (20, kept, 2), (30, kept, 3)]
    assert _table_counts(backend, store) == (1, 3)
    assert store.counts() == (1, 3)


def test_loudness_profiles_are_kept_with_their_songs_and_deleted_with_them(
    backend: Backend, store: Store
) -> None:
    long_profile = bytes(range(256)) * 900  # a two-hour song's profile is about 225 kB
    with_profile = store.add_song("Profiled", _sha1(1), 1.0, *_fingerprints(1), profile=long_profile)
    without = store.add_song("Plain", _sha1(2), 1.0, *_fingerprints(2))
    worker = new_worker_name()
    claimed = store.claim_song("Claimed", _sha1(3), "", worker)
    assert store.song_profiles([claimed]) == {}
    store.finish_song(claimed, worker, 2.0, *_fingerprints(3), profile=b"\x00\x07")

    assert store.song_profiles([claimed, without, with_profile, 99_999]) == {
        with_profile: long_profile,
        claimed: b"\x00\x07",
    }
    assert store.song_profiles([]) == {}
    store.delete_song(with_profile)
    assert store.song_profiles([with_profile, claimed]) == {claimed: b"\x00\x07"}
    assert backend.run_sql(store, "SELECT song_id FROM song_profiles", ()) == [(claimed,)]


def test_duplicate_sha1_raises_and_stores_nothing(backend: Backend, store: Store) -> None:
    store.add_song("Original", _sha1(1), 1.0, np.array([1, 2]), np.array([0, 1]))

    with pytest.raises(DuplicateSongError, match=_sha1(1)):
        store.add_song("Copy", _sha1(1).upper(), 1.0, np.array([3, 4]), np.array([0, 1]))

    assert store.find_songs("Copy") == []
    assert store.lookup(np.array([3, 4]))[0].size == 0
    assert _table_counts(backend, store) == (1, 2)


@pytest.mark.parametrize(
    ("hashes", "offsets", "message"),
    [
        ([1, 2], [0, -1], "offsets must lie in"),
        ([1, 2**32], [0, 1], "hashes must lie in"),
        ([1, 2], [0, 2**24], "offsets must lie in"),
        ([1, 2, 3], [0, 1], "differ in length"),
        ([1.0, 2.0], [0, 1], "integers"),
    ],
)
def test_invalid_fingerprints_are_rejected_and_store_nothing(
    backend: Backend, store: Store, hashes: list[float], offsets: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.add_song("Bad", _sha1(1), 1.0, np.array(hashes), np.array(offsets))
    assert _table_counts(backend, store) == (0, 0)


@pytest.mark.parametrize(
    ("name", "sha1", "duration_s", "message"),
    [
        ("", _sha1(1), 1.0, "song name"),
        ("x" * 513, _sha1(1), 1.0, "song name"),
        ("Song", "abc", 1.0, "40 hexadecimal"),
        ("Song", "g" * 40, 1.0, "40 hexadecimal"),
        ("Song", _sha1(1), float("nan"), "duration_s"),
        ("Song", _sha1(1), -1.0, "duration_s"),
    ],
)
def test_invalid_song_fields_are_rejected_and_store_nothing(
    backend: Backend, store: Store, name: str, sha1: str, duration_s: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.add_song(name, sha1, duration_s, np.array([1]), np.array([0]))
    assert _table_counts(backend, store) == (0, 0)


def test_failure_in_the_middle_of_add_song_leaves_nothing(backend: Backend, store: Store) -> None:
    backend.run_sql(store, backend.fail_insert_of_hash_sql, ())
    hashes = np.arange(12_000, dtype=np.int64)  # hash 9000 fails after thousands of rows went in
    offsets = np.zeros(12_000, dtype=np.int32)

    with pytest.raises(StoreError, match="injected failure"):
        store.add_song("Interrupted", _sha1(1), 1.0, hashes, offsets)

    assert _table_counts(backend, store) == (0, 0)
    assert store.song_by_sha1(_sha1(1)) is None
    backend.run_sql(store, "DROP TRIGGER fail_insert", ())
    song_id = store.add_song("Interrupted", _sha1(1), 1.0, hashes, offsets)
    assert store.get_song(song_id).total_hashes == 12_000


@pytest.mark.parametrize(
    "name",
    [
        "it's",
        'say "hi"; ok',
        "back\\slash\\",
        "100% sure",
        "emoji 🎵🦄",
        "'); DROP TABLE songs; --",
        "ñ ü 日本",
    ],
)
def test_names_are_stored_and_returned_exactly(store: Store, name: str) -> None:
    song_id = store.add_song(name, _sha1(1), 1.0, np.array([1]), np.array([0]))
    assert store.get_song(song_id).name == name
    assert [s.song_id for s in store.find_songs(name)] == [song_id]
    assert store.counts() == (1, 1)


# --- lookup ------------------------------------------------------------------------------------------


def test_lookup_returns_exactly_the_stored_rows_of_present_hashes(store: Store) -> None:
    songs = {}
    for n in (1, 2, 3):
        hashes, offsets = _fingerprints(n, 2000)
        hashes[:50] = np.arange(50)  # hashes 0..49 are in every song, at different offsets
        songs[store.add_song(f"Song {n}", _sha1(n), 60.0, hashes, offsets)] = (hashes, offsets)
    stored = {
        (h, song_id, o)
        for song_id, (hs, os_) in songs.items()
        for h, o in zip(hs.tolist(), os_.tolist(), strict=True)
    }
    rng = np.random.default_rng(9)
    probes = np.concatenate([np.arange(50), songs[2][0][100:300], rng.integers(2**23, 2**32, 500)])
    probes = np.concatenate([probes, probes[:100]])  # duplicate probes

    hashes, song_ids, offsets = store.lookup(probes)

    assert (hashes.dtype, song_ids.dtype, offsets.dtype) == (np.int64, np.int64, np.int32)
    probe_set = set(probes.tolist())
    assert _rows((hashes, song_ids, offsets)) == sorted(row for row in stored if row[0] in probe_set)


def test_lookup_of_absent_or_no_hashes_is_empty(store: Store) -> None:
    store.add_song("Song", _sha1(1), 1.0, np.array([5, 6]), np.array([0, 1]))
    for probes in (np.array([], dtype=np.int64), np.array([7, 8, 2**32 - 1])):
        result = store.lookup(probes)
        assert [column.size for column in result] == [0, 0, 0]
        assert [column.dtype for column in result] == [np.int64, np.int64, np.int32]


def test_lookup_handles_hash_values_up_to_2_pow_32_minus_1(store: Store) -> None:
    extremes = np.array([0, 2**31 - 1, 2**31, 2**32 - 2, 2**32 - 1], dtype=np.int64)
    offsets = np.array([0, 1, 2, 3, 2**24 - 1], dtype=np.int32)
    song_id = store.add_song("Extremes", _sha1(1), 1.0, extremes, offsets)

    assert _rows(store.lookup(extremes[::-1].astype(np.uint64))) == [
        (h, song_id, o) for h, o in zip(extremes.tolist(), offsets.tolist(), strict=True)
    ]


@pytest.mark.parametrize("n_probes", [899, 900, 901, 4999, 5000, 5001])
def test_lookup_across_batch_boundaries(store: Store, n_probes: int) -> None:
    stored = np.arange(0, 12_000, 2, dtype=np.int64)  # even hashes are stored, odd ones are not
    song_id = store.add_song("Evens", _sha1(1), 1.0, stored, (stored // 2).astype(np.int32))
    probes = np.arange(n_probes, dtype=np.int64) + 1000

    hashes, song_ids, offsets = store.lookup(probes)

    expected = probes[probes % 2 == 0]
    assert sorted(hashes.tolist()) == expected.tolist()
    assert set(song_ids.tolist()) == {song_id}
    assert np.array_equal(offsets.astype(np.int64) * 2, hashes)


def test_duplicate_probes_return_each_row_once(store: Store) -> None:
    song_id = store.add_song("Song", _sha1(1), 1.0, np.arange(3000), np.zeros(3000, dtype=np.int32))
    probes = np.tile(np.arange(4000), 3)  # repeats fall into different batches

    assert _rows(store.lookup(probes)) == [(h, song_id, 0) for h in range(3000)]


@pytest.mark.parametrize("n_hashes", [1, 4999, 5000, 5001, 10_001])
def test_every_fingerprint_is_stored_across_insert_batches(store: Store, n_hashes: int) -> None:
    hashes = np.arange(n_hashes, dtype=np.int64) * 7
    song_id = store.add_song("Song", _sha1(1), 1.0, hashes, np.ones(n_hashes, dtype=np.int32))

    stored_hashes, stored_offsets = store.song_fingerprints(song_id)
    assert np.array_equal(stored_hashes, hashes)
    assert np.all(stored_offsets == 1)
    assert store.counts() == (1, n_hashes)


# --- unfinished songs --------------------------------------------------------------------------------


def test_unfinished_song_is_never_looked_up_and_is_cleaned(backend: Backend, store: Store) -> None:
    done = store.add_song("Done", _sha1(1), 1.0, np.array([100, 200]), np.array([1, 2]))
    backend.run_sql(
        store, "INSERT INTO songs (name, file_sha1) VALUES (?, ?)", ("Killed", bytes.fromhex(_sha1(2)))
    )
    ((killed,),) = backend.run_sql(store, "SELECT song_id FROM songs WHERE name = ?", ("Killed",))
    for hash_value in (100, 300):  # 100 is shared with the finished song
        backend.run_sql(
            store,
            'INSERT INTO fingerprints (hash, song_id, "offset") VALUES (?, ?, ?)',
            (hash_value, killed, 5),
        )

    assert _rows(store.lookup(np.array([100, 200, 300]))) == [(100, done, 1), (200, done, 2)]
    assert [s.name for s in store.songs()] == ["Done"]
    assert not store.get_song(killed).fingerprinted
    assert store.counts() == (1, 2)

    assert store.clean_unfinished() == 1

    with pytest.raises(SongNotFoundError):
        store.get_song(killed)
    assert store.clean_unfinished() == 0
    # The next song never inherits rows written for the unfinished one.
    following = store.add_song("Next", _sha1(3), 1.0, np.array([400]), np.array([7]))
    assert _rows(store.lookup(np.array([100, 200, 300, 400]))) == [
        (100, done, 1),
        (200, done, 2),
        (400, following, 7),
    ]


# --- parameters, counts, size ------------------------------------------------------------------------


def test_ensure_params_accepts_the_same_signature_and_names_a_differing_key(store: Store) -> None:
    store.ensure_params(SIGNATURE)
    store.ensure_params(dict(reversed(SIGNATURE.items())))

    with pytest.raises(ParamsMismatchError) as raised:
        store.ensure_params({**SIGNATURE, "n_fft": 1024})
    message = str(raised.value)
    assert "built with n_fft=2048" in message
    assert "asks for n_fft=1024" in message
    assert "sample_rate" not in message
    assert store.description in message


def test_counts_and_size_grow_as_songs_are_added(store: Store) -> None:
    assert store.counts() == (0, 0)
    size_empty = store.size_bytes()
    for n in range(1, 4):
        store.add_song(
            f"Song {n}", _sha1(n), 1.0, np.arange(n * 20_000), np.zeros(n * 20_000, dtype=np.int32)
        )

    assert store.counts() == (3, 120_000)
    assert store.size_bytes() > size_empty + 120_000 * 8


def test_closed_store_raises_store_error(backend: Backend) -> None:
    with backend.open() as store:
        store.counts()
    with pytest.raises(StoreError):
        store.counts()


def test_data_and_params_survive_closing_and_reopening(persistent_backend: Backend) -> None:
    with persistent_backend.open() as store:
        store.ensure_params(SIGNATURE)
        song_id = store.add_song("Kept 🎵", _sha1(1), 12.5, np.array([1, 2, 3]), np.array([4, 5, 6]))

    with persistent_backend.open() as store:
        assert store.get_song(song_id).name == "Kept 🎵"
        assert _rows(store.lookup(np.array([2, 3]))) == [(2, song_id, 5), (3, song_id, 6)]
        store.ensure_params(SIGNATURE)
        with pytest.raises(ParamsMismatchError, match="hop_length=256"):
            store.ensure_params({**SIGNATURE, "hop_length": 512})


# --- claims: ingests sharing one store ----------------------------------------------------------------


def _dead_worker() -> str:
    """The claim name of a process on this host that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host, _, nonce = new_worker_name().split(":")
    return f"{host}:{child.pid}:{nonce}"


def test_a_claimed_song_is_invisible_until_finished(store: Store) -> None:
    worker, other = new_worker_name(), new_worker_name()
    hashes, offsets = _fingerprints(1)
    song_id = store.claim_song("Claimed", _sha1(1), "/music/claimed.mp3", worker)
    assert song_id is not None
    assert store.claim_song("Claimed", _sha1(1), "/music/claimed.mp3", other) is None
    assert store.songs() == []
    assert store.lookup(hashes)[0].size == 0

    store.finish_song(song_id, worker, 12.5, hashes, offsets)

    (song,) = store.songs()
    assert (song.song_id, song.name, song.duration_s, song.file_path) == (
        song_id,
        "Claimed",
        12.5,
        "/music/claimed.mp3",
    )
    distinct = np.unique(np.c_[hashes, offsets], axis=0).shape[0]
    assert song.total_hashes == store.lookup(hashes)[0].size == distinct
    assert store.claim_song("Claimed", _sha1(1), "", other) is None


def test_a_stale_claim_is_taken_over_and_its_first_worker_cannot_finish(store: Store) -> None:
    first, second = new_worker_name(), new_worker_name()
    song_id = store.claim_song("Slow", _sha1(2), "", first)
    store.claim_lease_s = -1.0  # every claim is past its lease
    assert store.claim_song("Slow", _sha1(2), "", second) == song_id

    with pytest.raises(ClaimLostError):
        store.finish_song(song_id, first, 1.0, np.array([5]), np.array([1]))
    store.finish_song(song_id, second, 1.0, np.array([6]), np.array([2]))
    assert _rows(store.lookup(np.array([5, 6]))) == [(6, song_id, 2)]


def test_a_claim_of_an_exited_process_is_taken_over_at_once(store: Store) -> None:
    song_id = store.claim_song("Killed", _sha1(3), "", _dead_worker())
    assert store.claim_song("Killed", _sha1(3), "", new_worker_name()) == song_id


def test_released_claims_and_dead_claims_are_cleaned_but_live_ones_stay(store: Store) -> None:
    live = new_worker_name()
    released = store.claim_song("Failed", _sha1(4), "", live)
    kept = store.claim_song("Working", _sha1(5), "", live)
    assert store.claim_song("Killed", _sha1(6), "", _dead_worker()) is not None
    store.release_claim(released, live)
    store.renew_claims(live)

    assert store.clean_unfinished() == 1

    assert store.song_by_sha1(_sha1(4)) is None
    assert store.song_by_sha1(_sha1(6)) is None
    assert store.get_song(kept).name == "Working"
    store.finish_song(kept, live, 1.0, np.array([7]), np.array([3]))
    assert [song.name for song in store.songs()] == ["Working"]


def test_meta_values_are_kept_replaced_and_survive_reopening(persistent_backend: Backend) -> None:
    big = "x" * 300_000  # larger than a MySQL TEXT column holds
    with persistent_backend.open() as store:
        assert store.get_meta("statistics") is None
        store.set_meta("statistics", "first")
        store.set_meta("statistics", big)
    with persistent_backend.open() as store:
        assert store.get_meta("statistics") == big
