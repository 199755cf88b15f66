"""A throwaway MariaDB server in a temporary data directory, for the tests and the benchmarks.

    with MariaDBServer() as server:
        options = server.create_database()   # host, port, user, password, database
        ...
        server.drop_database(options["database"])

The server listens on 127.0.0.1 at a free port and on a Unix socket in its directory; root has an empty
password and is used only to create databases. The test user may use only the databases it is granted.
`options` adds server options (e.g. ``--plugin-load-add=ha_spider``); `halt` stops the server but keeps
its files, and `resume` starts it again on the same port and data.
"""

from __future__ import annotations

import itertools
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import MySQLdb

#: Server options that load MyRocks (Debian: mariadb-plugin-rocksdb) with prefix Bloom filters, so that a
#: probe for one hash reads only the files that may hold it. Without the plugin the server starts anyway
#: and stores fall back to InnoDB.
ROCKSDB_OPTIONS = (
    "--plugin-load-add=ha_rocksdb",
    "--rocksdb-default-cf-options=prefix_extractor=capped:8;"
    "block_based_table_factory={filter_policy=bloomfilter:10:false;whole_key_filtering=0}",
    "--rocksdb-block-cache-size=64M",
)
_SEARCH_PATH = ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")


def find_binary(name: str) -> str | None:
    """The path of a MariaDB program on PATH or in the usual system folders, or None."""
    found = shutil.which(name)
    if found:
        return found
    return next((f"{folder}/{name}" for folder in _SEARCH_PATH if Path(folder, name).is_file()), None)


def missing_binaries() -> list[str]:
    """The MariaDB programs the server needs that are not installed."""
    return [name for name in ("mariadb-install-db", "mariadbd") if find_binary(name) is None]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MariaDBServer:
    """Start a private MariaDB server on enter, stop it and delete its files on exit."""

    user = "tester"
    password = "tester-Pw-7c1e"
    start_timeout_s = 30.0
    stop_timeout_s = 30.0

    def __init__(self, options: Sequence[str] = ()) -> None:
        self.options = list(options)
        self.root = Path(tempfile.mkdtemp(prefix="mariadb-"))
        self.datadir = self.root / "data"
        self.socket = str(self.root / "mysqld.sock")
        self.error_log = self.root / "error.log"
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)

    def __enter__(self) -> MariaDBServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Initialise the data directory, launch the server, wait for it and create the test user."""
        missing = missing_binaries()
        if missing:
            raise RuntimeError(f"MariaDB programs not found: {', '.join(missing)}")
        subprocess.run(
            [
                find_binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                f"--tmpdir={self.root}",  # a private one: servers installed at the same time do not collide
            ],
            check=True,
            capture_output=True,
        )
        self._launch()
        self._admin(f"CREATE USER '{self.user}'@'%%' IDENTIFIED BY %s", (self.password,))

    def _launch(self) -> None:
        """Run mariadbd on the data directory and wait until it answers."""
        self._process = subprocess.Popen(
            [
                find_binary("mariadbd"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.root / 'mysqld.pid'}",
                f"--log-error={self.error_log}",
                f"--tmpdir={self.root}",
                "--user=root",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=128M",
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    def halt(self) -> None:
        """Stop the server as `stop` does, but keep its data directory for `resume`."""
        self._terminate()

    def resume(self) -> None:
        """Start a halted server again on the same port and data directory."""
        self._launch()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            try:
                MySQLdb.connect(unix_socket=self.socket, user="root", password="").close()
                return
            except MySQLdb.OperationalError as exc:
                if self._process.poll() is not None:
                    state = f"exited with status {self._process.returncode}"
                elif time.monotonic() > deadline:
                    state = f"did not answer within {self.start_timeout_s:.0f} s"
                else:
                    time.sleep(0.05)
                    continue
                raise RuntimeError(
                    f"The MariaDB server {state} ({exc}). End of {self.error_log}:\n{self.log_tail()}"
                ) from exc

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's error log."""
        if not self.error_log.exists():
            return "(no error log)"
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])

    def _admin(self, sql: str, parameters: tuple[object, ...] | None = None) -> tuple[tuple, ...]:
        """Run one statement as root and return its rows (with parameters, a literal % is written %%)."""
        connection = MySQLdb.connect(unix_socket=self.socket, user="root", password="")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, parameters)
                return cursor.fetchall()
        finally:
            connection.close()

    def connection_options(self, database: str) -> dict[str, object]:
        """Keyword arguments of MySQLStore for the test user and `database`."""
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "database": database,
        }

    def create_database(self) -> dict[str, object]:
        """Create a new empty database the test user may use; return its connection options."""
        name = f"shazam_test_{next(self._names)}"
        self._admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        self._admin(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{self.user}'@'%'")
        return self.connection_options(name)

    def flush_memtables(self) -> None:
        """Write what MyRocks holds in memory to its files, so that their size is the store's."""
        self._admin("SET GLOBAL rocksdb_force_flush_memtable_now = 1")

    def settle(self, *, poll_s: float = 5.0, timeout_s: float = 1800.0) -> float:
        """Flush MyRocks' memory and wait until it has no compaction pending or running (at most
        `timeout_s`); return the seconds waited. A store just filled in bulk compacts for a while after,
        and a write measured during that pays for it."""
        began = time.monotonic()
        self.flush_memtables()
        written = None
        while time.monotonic() - began < timeout_s:
            pending = self._admin(
                "SELECT SUM(VALUE) FROM information_schema.ROCKSDB_CFSTATS WHERE STAT_TYPE IN "
                "('COMPACTION_PENDING', 'MEM_TABLE_FLUSH_PENDING', 'NUM_IMMUTABLE_MEM_TABLE')"
            )[0][0]
            now = self._admin("SHOW GLOBAL STATUS LIKE 'Rocksdb_compact_write_bytes'")[0][1]
            if not pending and now == written:  # nothing queued, nothing written since the last poll
                break
            written = now
            time.sleep(poll_s)
        return time.monotonic() - began

    def drop_database(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS `{name}`")

    def stop(self) -> None:
        """Shut the server down (SIGTERM, then SIGKILL after a timeout) and delete its files."""
        self._terminate()
        shutil.rmtree(self.root, ignore_errors=True)

    def _terminate(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
