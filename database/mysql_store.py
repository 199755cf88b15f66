"""The server fingerprint store: MySQL or MariaDB through mysqlclient.

The fingerprint table is clustered on its hash and has no foreign key, so a lookup is a range read and
the table can be sharded by hash (Vitess, TiDB, Spider) when one server is not enough. Use a store from
the thread that opened it; open one store per thread or process. The password is used to connect and
then forgotten: it appears in no message, repr or attribute.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timezone

import MySQLdb
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
    1: ("ALTER TABLE songs ADD COLUMN file_path VARCHAR(4096) NOT NULL DEFAULT ''",),
    2: (
        "ALTER TABLE songs ADD COLUMN claimed_by VARCHAR(255) NULL, ADD COLUMN claimed_at DATETIME(3) NULL",
        "ALTER TABLE meta MODIFY value MEDIUMTEXT",
    ),
}
#: Probe hashes per `IN (...)` query and rows per multi-row INSERT (measured; see bench/store_speed.py).
LOOKUP_BATCH = 5000
INSERT_BATCH = 5000
#: The fingerprints table; database/shards.py builds the shards' tables and the head's Spider table from it.
FINGERPRINTS_DDL = """CREATE TABLE IF NOT EXISTS fingerprints (
        hash INT UNSIGNED NOT NULL,
        song_id MEDIUMINT UNSIGNED NOT NULL,
        `offset` MEDIUMINT UNSIGNED NOT NULL,
        PRIMARY KEY (hash, song_id, `offset`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"""
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS songs (
        song_id MEDIUMINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(512) NOT NULL,
        file_sha1 BINARY(20) NOT NULL UNIQUE,
        duration_s FLOAT,
        file_path VARCHAR(4096) NOT NULL DEFAULT '',
        total_hashes INT UNSIGNED,
        fingerprinted TINYINT NOT NULL DEFAULT 0,
        claimed_by VARCHAR(255) NULL,
        claimed_at DATETIME(3) NULL,
        date_created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        date_modified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE IF NOT EXISTS meta (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        value MEDIUMTEXT
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    # fingerprint.loudness; stores made before profiles existed get the table, and no profiles, on open.
    """CREATE TABLE IF NOT EXISTS song_profiles (
        song_id MEDIUMINT UNSIGNED NOT NULL PRIMARY KEY,
        profile LONGBLOB NOT NULL
    ) ENGINE=InnoDB""",
)
#: Storage engines the fingerprints table may use; "auto" takes MyRocks when the server offers it.
ENGINES = ("auto", "innodb", "rocksdb")
# Seconds since a claim was last renewed, by the server's clock (the same for every worker).
_CLAIM_AGE = "TIMESTAMPDIFF(MICROSECOND, claimed_at, NOW(3)) / 1e6"
_SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
# mysqlclient error numbers that mean the server cannot be reached or the connection broke.
_UNREACHABLE = {2002, 2003, 2005, 2006, 2013, 2055}
_ACCESS_DENIED = 1045
_DATABASE_DENIED = 1044
_UNKNOWN_DATABASE = 1049
_DUPLICATE_KEY = 1062
# A head node's Spider table cannot reach one of its shards (database/shards.py).
_SHARD_UNREACHABLE = {1429, 12701}


class MySQLStore(SQLStore):
    """A Store in an existing MySQL/MariaDB database; its tables are created if missing."""

    _placeholder = "%s"

    #: After this many idle seconds the connection is pinged (and renewed) before it is used. With 0 every
    #: operation pings first (one round trip, tens of microseconds on a LAN), so a server restarted since
    #: the last use (or a connection it dropped) is reconnected to instead of being reported gone.
    idle_check_s = 0.0
    #: Seconds after its last renewal that another worker may take a claim over (database.claims).
    claim_lease_s = CLAIM_LEASE_S

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        password: str,
        database: str,
        unix_socket: str | None = None,
        connect_timeout_s: int = 5,
        engine: str = "auto",
    ) -> None:
        if engine not in ENGINES:
            raise StoreError(f"Unknown fingerprints table engine {engine!r}; use one of {', '.join(ENGINES)}")
        self.user = user
        self.database = database
        self.server = f"unix:{unix_socket}" if unix_socket else f"{host}:{port}"
        self.description = f"MySQL {user}@{self.server}/{database}"
        address = (
            {"unix_socket": unix_socket, "host": "localhost"} if unix_socket else {"host": host, "port": port}
        )

        def connect() -> MySQLdb.connections.Connection:
            """A new connection; the password lives only in this closure."""
            try:
                return MySQLdb.connect(
                    **address,
                    user=user,
                    password=password,
                    database=database,
                    connect_timeout=connect_timeout_s,
                    charset="utf8mb4",
                    sql_mode=_SQL_MODE,
                    autocommit=True,
                    multi_statements=False,
                )
            except MySQLdb.Error as exc:
                raise self._translate(exc, "connect to", password) from exc

        self._connect = connect
        self._closed = False
        #: The fingerprints table's storage engine, upper case: INNODB, ROCKSDB or SPIDER (a sharded head).
        self.engine = ""
        self._conn = self._open_session()
        self._used = time.monotonic()
        try:
            with self._errors("prepare"):
                self._create_schema(engine)
        except StoreError:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"MySQLStore({self.description!r})"

    def close(self) -> None:
        self._closed = True
        if self._conn.open:
            self._conn.close()

    def _open_session(self) -> MySQLdb.connections.Connection:
        connection = self._connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET time_zone = '+00:00'")
                # Reads see the latest commits, and a scan (delete_song) locks only the rows it deletes.
                cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                if "MariaDB" in connection.get_server_info():
                    # Keep a long `hash IN (...)` a list instead of a join with a table of its values: the
                    # same speed here, and a Spider table (database/shards.py) can then push it to its shards.
                    cursor.execute("SET SESSION in_predicate_conversion_threshold = 0")
        except MySQLdb.Error as exc:
            connection.close()
            raise self._translate(exc, "set up a session with") from exc
        return connection

    def _revive(self) -> None:
        """Reconnect if the connection was lost, or was idle long enough for the server to drop it."""
        if self._closed:
            raise StoreError(f"The store {self.description} is closed.")
        if self._conn.open and time.monotonic() - self._used < self.idle_check_s:
            return
        try:
            self._conn.ping()
        except MySQLdb.Error:
            with suppress(MySQLdb.Error):
                self._conn.close()
            self._conn = self._open_session()

    def _create_schema(self, engine: str) -> None:
        with self._conn.cursor() as cursor:
            for statement in _SCHEMA:
                cursor.execute(statement)
            cursor.execute(fingerprints_ddl(self._engine_to_create(cursor, engine)))
            cursor.execute(
                "SELECT ENGINE FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'fingerprints'"
            )
            self.engine = cursor.fetchone()[0].upper()
            cursor.execute(
                "INSERT IGNORE INTO meta (name, value) VALUES ('schema_version', %s)", (str(SCHEMA_VERSION),)
            )
            cursor.execute("SELECT value FROM meta WHERE name = 'schema_version'")
            (version,) = cursor.fetchone()
            while version.isdigit() and int(version) in _MIGRATIONS:
                for statement in _MIGRATIONS[int(version)]:
                    cursor.execute(statement)
                version = str(int(version) + 1)
                cursor.execute("UPDATE meta SET value = %s WHERE name = 'schema_version'", (version,))
        if version != str(SCHEMA_VERSION):
            raise StoreUnavailableError(
                f"The store {self.description} has schema version {version}; this program reads version "
                f"{SCHEMA_VERSION}. Use the program that made it, or a new database."
            )

    def _engine_to_create(self, cursor: MySQLdb.cursors.Cursor, engine: str) -> str:
        """The engine a new fingerprints table gets: MyRocks if asked for or offered ("auto"), else InnoDB."""
        if engine == "innodb":
            return "InnoDB"
        cursor.execute("SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'ROCKSDB'")
        found = cursor.fetchone()
        if found is not None and found[0] in ("YES", "DEFAULT"):
            return "ROCKSDB"
        if engine == "rocksdb":
            raise StoreUnavailableError(
                f"MySQL at {self.server} has no MyRocks engine, which the configuration asks for "
                '("engine": "rocksdb"). Install it on the server (Debian: mariadb-plugin-rocksdb, then '
                'INSTALL SONAME \'ha_rocksdb\'), or use "engine": "auto" or "innodb".'
            )
        return "InnoDB"

    def _translate(self, exc: MySQLdb.Error, action: str, password: str = "") -> StoreError:
        """A StoreError for a driver error, with a hint and never the password."""
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if password:
            text = text.replace(password, "***")
        if code in _UNREACHABLE:
            return StoreUnavailableError(
                f"Cannot {action} MySQL at {self.server} ({text}). "
                f"Is the MySQL server running at {self.server}?"
            )
        if code in _SHARD_UNREACHABLE:
            return StoreUnavailableError(
                f"Cannot {action} MySQL at {self.server}: a shard of its fingerprints table is unreachable "
                f"({text}). Is that shard's server running?"
            )
        if code == _ACCESS_DENIED:
            return StoreUnavailableError(
                f"MySQL at {self.server} denied access to user {self.user!r} ({text}). "
                "Check the user name and password in the configuration."
            )
        if code in (_UNKNOWN_DATABASE, _DATABASE_DENIED):
            problem = "does not exist" if code == _UNKNOWN_DATABASE else "does not exist or is not granted to"
            return StoreUnavailableError(
                f"The MySQL database {self.database!r} at {self.server} {problem} user {self.user!r} "
                f"({text}). As an administrator, run: "
                f"CREATE DATABASE IF NOT EXISTS `{self.database}` CHARACTER SET utf8mb4; "
                f"GRANT ALL ON `{self.database}`.* TO '{self.user}'@'%';"
            )
        return StoreError(f"Cannot {action} {self.description}: MySQL error {code}: {text}")

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Run one operation on a live connection; turn mysqlclient errors into StoreErrors."""
        self._revive()
        try:
            yield
        except MySQLdb.Error as exc:
            if exc.args and exc.args[0] in _UNREACHABLE:
                with suppress(MySQLdb.Error):
                    self._conn.close()  # so that the next operation reconnects
            raise self._translate(exc, action) from exc
        finally:
            self._used = time.monotonic()

    @contextmanager
    def _transaction(self) -> Iterator[MySQLdb.cursors.Cursor]:
        """A cursor inside one transaction: committed if the block succeeds, rolled back otherwise."""
        with self._conn.cursor() as cursor:
            cursor.execute("START TRANSACTION")
            try:
                yield cursor
            except BaseException:
                self._conn.rollback()
                raise
            self._conn.commit()

    def _query(self, sql: str, parameters: tuple[object, ...] | list[object] = ()) -> tuple[tuple, ...]:
        with self._conn.cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall()

    def ensure_params(self, signature: dict[str, object]) -> None:
        with self._errors("record the fingerprint parameters in"):
            self._query(
                "INSERT IGNORE INTO meta (name, value) VALUES (%s, %s)",
                (META_NAME, signature_json(signature)),
            )
            ((stored,),) = self._query("SELECT value FROM meta WHERE name = %s", (META_NAME,))
        check_signature(stored, signature, self.description)

    def clean_unfinished(self) -> int:
        # Fingerprints are only ever committed together with their song's `fingerprinted = 1`, so an
        # unfinished song has none to delete (a scan of the whole fingerprints table is never needed).
        with self._errors("clean unfinished songs from"):
            unfinished = self._query(
                f"SELECT song_id, claimed_by, {_CLAIM_AGE} FROM songs WHERE fingerprinted = 0"
            )
            stale = [(song_id, worker) for song_id, worker, age in unfinished if self._stale(worker, age)]
            for song_id, worker in stale:
                self._query(
                    "DELETE FROM songs WHERE song_id = %s AND fingerprinted = 0 AND claimed_by <=> %s",
                    (song_id, worker),
                )
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
        with self._errors("add a song to"), self._transaction() as cursor:
            try:
                cursor.execute(
                    "INSERT INTO songs (name, file_sha1, duration_s, file_path) VALUES (%s, %s, %s, %s)",
                    (name, sha1, float(duration_s), stored_path(file_path)),
                )
            except MySQLdb.IntegrityError as exc:
                if exc.args[0] != _DUPLICATE_KEY:
                    raise
                raise DuplicateSongError(
                    f"A song with SHA-1 {sha1.hex()} is already in {self.description}."
                ) from exc
            song_id = cursor.lastrowid
            _insert_fingerprints(
                cursor, self.engine, song_id, duration_s, unique_hashes, unique_offsets, profile
            )
        return song_id

    def claim_song(self, name: str, file_sha1: str, file_path: str, worker: str) -> int | None:
        sha1 = sha1_bytes(file_sha1)
        check_song(name, 0.0)
        with self._errors("claim a song in"), self._conn.cursor() as cursor:
            try:
                cursor.execute(
                    "INSERT INTO songs (name, file_sha1, file_path, claimed_by, claimed_at) "
                    "VALUES (%s, %s, %s, %s, NOW(3))",
                    (name, sha1, stored_path(file_path), worker),
                )
                return cursor.lastrowid
            except MySQLdb.IntegrityError as exc:
                if exc.args[0] != _DUPLICATE_KEY:
                    raise
            cursor.execute(
                f"SELECT song_id, fingerprinted, claimed_by, {_CLAIM_AGE} FROM songs WHERE file_sha1 = %s",
                (sha1,),
            )
            found = cursor.fetchone()
            if found is None or found[1] or not self._stale(found[2], found[3]):
                return None
            song_id, _, holder, _ = found
            taken = cursor.execute(
                "UPDATE songs SET claimed_by = %s, claimed_at = NOW(3), name = %s, file_path = %s "
                "WHERE song_id = %s AND fingerprinted = 0 AND claimed_by <=> %s",
                (worker, name, stored_path(file_path), song_id, holder),
            )
        return song_id if taken else None

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
        with self._errors("store a song in"), self._transaction() as cursor:
            cursor.execute(
                "SELECT claimed_by FROM songs WHERE song_id = %s AND fingerprinted = 0 FOR UPDATE", (song_id,)
            )
            found = cursor.fetchone()
            if found is None or found[0] != worker:
                raise ClaimLostError(f"Song {song_id} in {self.description} is no longer claimed by {worker}")
            _insert_fingerprints(
                cursor, self.engine, song_id, duration_s, unique_hashes, unique_offsets, profile
            )

    def release_claim(self, song_id: int, worker: str) -> None:
        with self._errors("release a claim in"):
            self._query(
                "DELETE FROM songs WHERE song_id = %s AND claimed_by = %s AND fingerprinted = 0",
                (operator.index(song_id), worker),
            )

    def renew_claims(self, worker: str) -> None:
        with self._errors("renew claims in"):
            self._query(
                "UPDATE songs SET claimed_at = NOW(3) WHERE claimed_by = %s AND fingerprinted = 0", (worker,)
            )

    def _stale(self, worker: str | None, age_s: object) -> bool:
        return claim_is_stale(worker, float(age_s or 0.0), self.claim_lease_s)

    def _songs_where(self, condition: str, parameters: tuple[object, ...]) -> list[SongRecord]:
        with self._errors("read songs from"):
            rows = self._query(
                f"SELECT {SONG_COLUMNS} FROM songs WHERE {condition} ORDER BY song_id", parameters
            )
        return [_record(row) for row in rows]

    def _song_ids_where(self, condition: str, parameters: tuple[object, ...]) -> list[int]:
        return [
            song_id for (song_id,) in self._query(f"SELECT song_id FROM songs WHERE {condition}", parameters)
        ]

    def find_songs(self, name: str) -> list[SongRecord]:
        # The column's collation ignores case, accents and trailing spaces; keep only exact matches.
        return [song for song in self._songs_where("name = %s", (name,)) if song.name == name]

    def delete_song(self, song_id: int) -> None:
        song_id = operator.index(song_id)
        with self._errors("delete a song from"), self._transaction() as cursor:
            cursor.execute("DELETE FROM fingerprints WHERE song_id = %s", (song_id,))
            cursor.execute("DELETE FROM song_profiles WHERE song_id = %s", (song_id,))
            if cursor.execute("DELETE FROM songs WHERE song_id = %s", (song_id,)) == 0:
                raise SongNotFoundError(f"No song with id {song_id} in {self.description}.")

    def lookup(self, hashes: npt.NDArray[np.int64]) -> Hits:
        probes = probe_hashes(hashes).tolist()
        rows: list[tuple[int, int, int]] = []
        with self._errors("look up hashes in"):
            for start in range(0, len(probes), LOOKUP_BATCH):
                batch = probes[start : start + LOOKUP_BATCH]
                rows += self._query(
                    "SELECT hash, song_id, `offset` FROM fingerprints "
                    f"WHERE hash IN ({','.join(['%s'] * len(batch))})",
                    batch,
                )
            return self._finished_hits(rows, batch_size=LOOKUP_BATCH)

    def song_fingerprints(self, song_id: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        song_id = self.get_song(song_id).song_id
        with self._errors("read fingerprints from"):
            rows = self._query(
                "SELECT hash, `offset` FROM fingerprints WHERE song_id = %s ORDER BY hash, `offset`",
                (song_id,),
            )
        return fingerprint_arrays(rows)

    def get_meta(self, name: str) -> str | None:
        with self._errors("read from"):
            found = self._query("SELECT value FROM meta WHERE name = %s", (name,))
        return found[0][0] if found else None

    def set_meta(self, name: str, value: str) -> None:
        with self._errors("write to"):
            self._query(
                "INSERT INTO meta (name, value) VALUES (%s, %s) "
                "ON DUPLICATE KEY UPDATE value = VALUES(value)",
                (name, value),
            )

    def counts(self) -> tuple[int, int]:
        with self._errors("count the songs in"):
            ((songs, fingerprints),) = self._query(
                "SELECT COUNT(*), COALESCE(SUM(total_hashes), 0) FROM songs WHERE fingerprinted = 1"
            )
        return int(songs), int(fingerprints)

    def size_bytes(self) -> int:
        with self._errors("measure"):
            # InnoDB refreshes its size statistics lazily; ANALYZE makes them current (it reads no rows).
            self._query("ANALYZE TABLE songs, fingerprints, song_profiles")
            ((size,),) = self._query(
                "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name IN ('songs', 'fingerprints', 'song_profiles')"
            )
            if self.engine == "ROCKSDB":
                # MyRocks counts only its compacted files; rows written since are still in memory tables
                # (and in its write-ahead log on disk). Count those at their in-memory size, an upper bound.
                ((in_memory,),) = self._query(
                    "SELECT COALESCE(SUM(VALUE), 0) FROM information_schema.ROCKSDB_CFSTATS "
                    "WHERE STAT_TYPE = 'CUR_SIZE_ALL_MEM_TABLES'"
                )
                size += in_memory
        return int(size)


def _insert_fingerprints(
    cursor: MySQLdb.cursors.Cursor,
    engine: str,
    song_id: int,
    duration_s: float,
    hashes: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    profile: bytes,
) -> None:
    """Insert a song's distinct fingerprints and its profile, and mark it fingerprinted, inside the
    caller's transaction."""
    rows = np.column_stack([hashes, np.full_like(hashes, song_id), offsets])
    # A song's rows are new keys by construction (its song id is new), so MyRocks need not read before
    # it writes: that keeps an insert as cheap at 100,000 songs as into an empty table. Only for these
    # statements: the songs table's unique SHA-1 is always checked.
    skip_checks = engine == "ROCKSDB"
    if skip_checks:
        cursor.execute("SET SESSION unique_checks = 0")
    try:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start : start + INSERT_BATCH]
            cursor.execute(
                "INSERT INTO fingerprints (hash, song_id, `offset`) VALUES "
                + ",".join(["(%s,%s,%s)"] * len(batch)),
                batch.ravel().tolist(),
            )
    finally:
        if skip_checks:
            cursor.execute("SET SESSION unique_checks = 1")
    if profile:
        # REPLACE: a song id can be reused after a delete by a program that kept no profiles.
        cursor.execute("REPLACE INTO song_profiles (song_id, profile) VALUES (%s, %s)", (song_id, profile))
    cursor.execute(
        "UPDATE songs SET fingerprinted = 1, total_hashes = %s, duration_s = %s, claimed_by = NULL, "
        "claimed_at = NULL WHERE song_id = %s",
        (len(rows), float(duration_s), song_id),
    )


def fingerprints_ddl(engine: str) -> str:
    """The fingerprints table with the storage engine `engine` (InnoDB or ROCKSDB)."""
    return FINGERPRINTS_DDL.replace("ENGINE=InnoDB", f"ENGINE={engine}")


def _record(row: tuple[object, ...]) -> SongRecord:
    return song_record(row, date_created=row[6].replace(tzinfo=timezone.utc).isoformat())
