"""The embedded fingerprint store: one SQLite file (or memory), nothing to set up.

Use a store from the thread that opened it; open one store per thread or process.
"""

from __future__ import annotations

import operator
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path

import numpy as np
import numpy.typing as npt

from database.base import (
    ClaimLostError,
    DuplicateSongError,
    Hits,
    SongNotFoundError,
    SongRecord,
    StoreError,
    StoreUnavailableError,
)
from database.claims import CLAIM_LEASE_S, claim_is_stale
from database.rows import (
    SONG_COLUMNS,
    check_song,
    fingerprint_arrays,
    probe_hashes,
    sha1_bytes,
    song_record,
    stored_path,
    unique_fingerprints,
)
from database.signature import META_NAME, check_signature, signature_json
from database.sql_store import SQLStore

SCHEMA_VERSION = 3
# Statements that bring a store of the key's version to the next one.
_MIGRATIONS = {
    1: ("ALTER TABLE songs ADD COLUMN file_path TEXT NOT NULL DEFAULT ''",),
    2: ("ALTER TABLE songs ADD COLUMN claimed_by TEXT", "ALTER TABLE songs ADD COLUMN claimed_at REAL"),
}
#: Probe hashes per `IN (...)` query (measured against a temp-table join; see bench/store_speed.py).
LOOKUP_BATCH = 900
BUSY_TIMEOUT_S = 30.0
_NOW = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')"
_NOW_S = "((julianday('now') - 2440587.5) * 86400.0)"  # Unix time in seconds, with fractions
# Seconds since a claim was last renewed.
_CLAIM_AGE = f"{_NOW_S} - claimed_at"
_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS songs (
        song_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        file_sha1 BLOB UNIQUE NOT NULL,
        duration_s REAL,
        file_path TEXT NOT NULL DEFAULT '',
        total_hashes INTEGER,
        fingerprinted INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT,
        claimed_at REAL,
        date_created TEXT NOT NULL DEFAULT ({_NOW}),
        date_modified TEXT NOT NULL DEFAULT ({_NOW}))""",
    """CREATE TABLE IF NOT EXISTS fingerprints (
        hash INTEGER NOT NULL,
        song_id INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        PRIMARY KEY (hash, song_id, "offset")) WITHOUT ROWID""",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)",
    # fingerprint.loudness; stores made before profiles existed get the table, and no profiles, on open.
    "CREATE TABLE IF NOT EXISTS song_profiles (song_id INTEGER PRIMARY KEY, profile BLOB NOT NULL)",
)


class SQLiteStore(SQLStore):
    """A Store in the SQLite database at `path` (created if missing); ":memory:" keeps it in memory."""

    _placeholder = "?"
    #: Seconds after its last renewal that another worker may take a claim over (database.claims).
    claim_lease_s = CLAIM_LEASE_S

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        in_memory = self.path == ":memory:"
        self.description = "SQLite in memory" if in_memory else f"SQLite {self.path}"
        if not in_memory:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailableError(
                    f"Cannot create the folder of the SQLite store {self.path}: {exc.strerror}. "
                    "Choose a path in a folder you may write to."
                ) from exc
        with self._errors("open"):
            # Writers from other processes queue for up to BUSY_TIMEOUT_S; readers never wait (WAL).
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            with self._errors("open"):
                self._prepare()
        except StoreError:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def close(self) -> None:
        self._conn.close()

    def _prepare(self) -> None:
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._transaction():
            for statement in _SCHEMA:
                self._conn.execute(statement)
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            (version,) = self._conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
            while version.isdigit() and int(version) in _MIGRATIONS:
                for statement in _MIGRATIONS[int(version)]:
                    self._conn.execute(statement)
                version = str(int(version) + 1)
                self._conn.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (version,))
        if version != str(SCHEMA_VERSION):
            raise StoreUnavailableError(
                f"The store {self.path} has schema version {version}; this program reads version "
                f"{SCHEMA_VERSION}. Use the program that made it, or a new store."
            )

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn sqlite3 errors into StoreErrors that name the file and suggest a fix."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._translate(exc, action) from exc

    def _translate(self, exc: sqlite3.Error, action: str) -> StoreError:
        text = str(exc).rstrip(".")
        prefix = f"Cannot {action} the SQLite store {self.path}: {text}."
        if "not a database" in text or "encrypted" in text or "malformed" in text:
            return StoreUnavailableError(
                f"{prefix} The file is not a usable SQLite database; choose another path "
                "(a new store is created there) or move this file away."
            )
        if "unable to open" in text or "readonly" in text:
            return StoreUnavailableError(
                f"{prefix} Check that the folder exists and that you may write to it."
            )
        if "locked" in text or "busy" in text:
            return StoreUnavailableError(f"{prefix} Another program is writing to it; try again later.")
        return StoreError(prefix)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction: committed if the block succeeds, rolled back otherwise."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.execute("COMMIT")

    def ensure_params(self, signature: dict[str, object]) -> None:
        with self._errors("record the fingerprint parameters in"), self._transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)",
                (META_NAME, signature_json(signature)),
            )
            (stored,) = self._conn.execute("SELECT value FROM meta WHERE name = ?", (META_NAME,)).fetchone()
        check_signature(stored, signature, self.description)

    def clean_unfinished(self) -> int:
        # Fingerprints are only ever committed with their song's `fingerprinted = 1`, so an unfinished song
        # normally has none; any there are go too, since SQLite may give the song's id out again.
        with self._errors("clean unfinished songs from"), self._transaction():
            unfinished = self._conn.execute(
                f"SELECT song_id, claimed_by, {_CLAIM_AGE} FROM songs WHERE fingerprinted = 0"
            ).fetchall()
            stale = [(song_id,) for song_id, worker, age in unfinished if self._stale(worker, age)]
            self._conn.executemany("DELETE FROM fingerprints WHERE song_id = ?", stale)
            self._conn.executemany("DELETE FROM songs WHERE song_id = ?", stale)
        return len(stale)

    def add_song(
        self,
        name: str,
        file_sha1: str,
        duration_s: float,
        hashes: npt.NDArray[np.int64],
        offsets: npt.NDArray[np.int32],
        file_path: str = "",
        *,
        profile: bytes = b"",
    ) -> int:
        sha1 = sha1_bytes(file_sha1)
        check_song(name, duration_s)
        unique_hashes, unique_offsets = unique_fingerprints(hashes, offsets)
        with self._errors("add a song to"), self._transaction():
            try:
                song_id = self._conn.execute(
                    "INSERT INTO songs (name, file_sha1, duration_s, file_path) VALUES (?, ?, ?, ?)",
                    (name, sha1, float(duration_s), stored_path(file_path)),
                ).lastrowid
            except sqlite3.IntegrityError as exc:
                raise DuplicateSongError(
                    f"A song with SHA-1 {sha1.hex()} is already in {self.description}."
                ) from exc
            self._insert_fingerprints(song_id, duration_s, unique_hashes, unique_offsets, profile)
        return song_id

    def claim_song(self, name: str, file_sha1: str, file_path: str, worker: str) -> int | None:
        sha1 = sha1_bytes(file_sha1)
        check_song(name, 0.0)
        with self._errors("claim a song in"), self._transaction():
            found = self._conn.execute(
                f"SELECT song_id, fingerprinted, claimed_by, {_CLAIM_AGE} FROM songs WHERE file_sha1 = ?",
                (sha1,),
            ).fetchone()
            if found is None:
                return self._conn.execute(
                    f"INSERT INTO songs (name, file_sha1, file_path, claimed_by, claimed_at) "
                    f"VALUES (?, ?, ?, ?, {_NOW_S})",
                    (name, sha1, stored_path(file_path), worker),
                ).lastrowid
            song_id, fingerprinted, holder, age = found
            if fingerprinted or not self._stale(holder, age):
                return None
            self._conn.execute(
                f"UPDATE songs SET claimed_by = ?, claimed_at = {_NOW_S}, name = ?, file_path = ? "
                "WHERE song_id = ?",
                (worker, name, stored_path(file_path), song_id),
            )
        return song_id

    def finish_song(
        self,
        song_id: int,
        worker: str,
        duration_s: float,
        hashes: npt.NDArray[np.int64],
        offsets: npt.NDArray[np.int32],
        *,
        profile: bytes = b"",
    ) -> None:
        song_id = operator.index(song_id)
        check_song("claimed", duration_s)
        unique_hashes, unique_offsets = unique_fingerprints(hashes, offsets)
        with self._errors("store a song in"), self._transaction():
            found = self._conn.execute(
                "SELECT claimed_by FROM songs WHERE song_id = ? AND fingerprinted = 0", (song_id,)
            ).fetchone()
            if found is None or found[0] != worker:
                raise ClaimLostError(f"Song {song_id} in {self.description} is no longer claimed by {worker}")
            self._insert_fingerprints(song_id, duration_s, unique_hashes, unique_offsets, profile)

    def release_claim(self, song_id: int, worker: str) -> None:
        with self._errors("release a claim in"), self._transaction():
            self._conn.execute(
                "DELETE FROM songs WHERE song_id = ? AND claimed_by = ? AND fingerprinted = 0",
                (operator.index(song_id), worker),
            )

    def renew_claims(self, worker: str) -> None:
        with self._errors("renew claims in"), self._transaction():
            self._conn.execute(
                f"UPDATE songs SET claimed_at = {_NOW_S} WHERE claimed_by = ? AND fingerprinted = 0",
                (worker,),
            )

    def _insert_fingerprints(
        self,
        song_id: int,
        duration_s: float,
        hashes: npt.NDArray[np.int64],
        offsets: npt.NDArray[np.int64],
        profile: bytes,
    ) -> None:
        """Insert a song's distinct fingerprints and its profile, and mark it fingerprinted, inside the open
        transaction."""
        self._conn.executemany(
            'INSERT INTO fingerprints (hash, song_id, "offset") VALUES (?, ?, ?)',
            zip(hashes.tolist(), repeat(song_id), offsets.tolist()),
        )
        if profile:
            # OR REPLACE: a song id can be reused after a delete by a program that kept no profiles.
            self._conn.execute(
                "INSERT OR REPLACE INTO song_profiles (song_id, profile) VALUES (?, ?)", (song_id, profile)
            )
        self._conn.execute(
            f"UPDATE songs SET fingerprinted = 1, total_hashes = ?, duration_s = ?, claimed_by = NULL, "
            f"claimed_at = NULL, date_modified = {_NOW} WHERE song_id = ?",
            (hashes.size, float(duration_s), song_id),
        )

    def _stale(self, worker: str | None, age_s: float | None) -> bool:
        return claim_is_stale(worker, age_s or 0.0, self.claim_lease_s)

    def _songs_where(self, condition: str, parameters: tuple[object, ...]) -> list[SongRecord]:
        with self._errors("read songs from"):
            rows = self._conn.execute(
                f"SELECT {SONG_COLUMNS} FROM songs WHERE {condition} ORDER BY song_id", parameters
            ).fetchall()
        return [_record(row) for row in rows]

    def _song_ids_where(self, condition: str, parameters: tuple[object, ...]) -> list[int]:
        return [
            song_id for (song_id,) in self._query(f"SELECT song_id FROM songs WHERE {condition}", parameters)
        ]

    def _query(self, sql: str, parameters: tuple[object, ...]) -> list[tuple]:
        return self._conn.execute(sql, parameters).fetchall()

    def find_songs(self, name: str) -> list[SongRecord]:
        return self._songs_where("name = ?", (name,))

    def delete_song(self, song_id: int) -> None:
        song_id = operator.index(song_id)
        with self._errors("delete a song from"), self._transaction():
            self._conn.execute("DELETE FROM fingerprints WHERE song_id = ?", (song_id,))
            self._conn.execute("DELETE FROM song_profiles WHERE song_id = ?", (song_id,))
            if self._conn.execute("DELETE FROM songs WHERE song_id = ?", (song_id,)).rowcount == 0:
                raise SongNotFoundError(f"No song with id {song_id} in {self.description}.")

    def lookup(self, hashes: npt.NDArray[np.int64]) -> Hits:
        probes = probe_hashes(hashes).tolist()
        rows: list[tuple[int, int, int]] = []
        with self._errors("look up hashes in"):
            for start in range(0, len(probes), LOOKUP_BATCH):
                batch = probes[start : start + LOOKUP_BATCH]
                rows += self._conn.execute(
                    'SELECT hash, song_id, "offset" FROM fingerprints '
                    f"WHERE hash IN ({','.join('?' * len(batch))})",
                    batch,
                ).fetchall()
            return self._finished_hits(rows, batch_size=LOOKUP_BATCH)

    def song_fingerprints(self, song_id: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        song_id = self.get_song(song_id).song_id
        with self._errors("read fingerprints from"):
            rows = self._conn.execute(
                'SELECT hash, "offset" FROM fingerprints WHERE song_id = ? ORDER BY hash, "offset"',
                (song_id,),
            ).fetchall()
        return fingerprint_arrays(rows)

    def get_meta(self, name: str) -> str | None:
        with self._errors("read from"):
            found = self._conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return found[0] if found else None

    def set_meta(self, name: str, value: str) -> None:
        with self._errors("write to"), self._transaction():
            self._conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    def counts(self) -> tuple[int, int]:
        with self._errors("count the songs in"):
            songs, fingerprints = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(total_hashes), 0) FROM songs WHERE fingerprinted = 1"
            ).fetchone()
        return songs, fingerprints

    def size_bytes(self) -> int:
        with self._errors("measure"):
            try:
                (size,) = self._conn.execute(
                    "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN "
                    "(SELECT name FROM sqlite_schema "
                    "WHERE tbl_name IN ('songs', 'fingerprints', 'song_profiles'))"
                ).fetchone()
            except sqlite3.OperationalError as exc:
                if "dbstat" not in str(exc):
                    raise
                ((pages,),) = self._conn.execute("PRAGMA page_count").fetchall()
                ((page_size,),) = self._conn.execute("PRAGMA page_size").fetchall()
                size = pages * page_size
        return size


def _record(row: tuple[object, ...]) -> SongRecord:
    return song_record(row, date_created=row[6])
