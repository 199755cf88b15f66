"""The MySQL store outlives a dropped connection (a server restart, or wait_timeout overnight)."""

from __future__ import annotations

import MySQLdb
import numpy as np
import pytest

from database import StoreError, StoreUnavailableError
from database.mysql_store import MySQLStore
from tests.mariadb import MariaDBServer

pytestmark = pytest.mark.mysql


def _kill_sessions_of(server: MariaDBServer, database: str) -> int:
    """Kill every connection using `database`, as the server does to idle ones; return how many."""
    admin = MySQLdb.connect(unix_socket=server.socket, user="root", password="")
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT id FROM information_schema.processlist WHERE db = %s", (database,))
            ids = [session_id for (session_id,) in cursor.fetchall()]
            for session_id in ids:
                cursor.execute("KILL CONNECTION %s", (session_id,))
        return len(ids)
    finally:
        admin.close()


def test_idle_connection_dropped_by_the_server_is_renewed(
    mysql_settings: dict[str, object], mariadb_server: MariaDBServer
) -> None:
    with MySQLStore(**mysql_settings) as store:
        store.add_song("Song", "ab" * 20, 1.0, np.array([1, 2]), np.array([3, 4]))
        assert _kill_sessions_of(mariadb_server, str(mysql_settings["database"])) == 1
        store.idle_check_s = 0.0  # as if it had been idle for a long time

        assert store.counts() == (1, 2)


def test_a_connection_dropped_between_operations_is_renewed_without_an_error(
    mysql_settings: dict[str, object], mariadb_server: MariaDBServer
) -> None:
    with MySQLStore(**mysql_settings) as store:
        store.add_song("Song", "ab" * 20, 1.0, np.array([1, 2]), np.array([3, 4]))
        assert _kill_sessions_of(mariadb_server, str(mysql_settings["database"])) == 1
        # Every operation pings first (idle_check_s is 0), so the dropped connection is replaced.
        assert store.counts() == (1, 2)


def test_connection_lost_while_busy_fails_once_then_is_renewed(
    mysql_settings: dict[str, object], mariadb_server: MariaDBServer
) -> None:
    with MySQLStore(**mysql_settings) as store:
        store.add_song("Song", "ab" * 20, 1.0, np.array([1, 2]), np.array([3, 4]))
        store.idle_check_s = 60.0  # no ping: the connection breaks under the next statement, as mid-query
        _kill_sessions_of(mariadb_server, str(mysql_settings["database"]))

        with pytest.raises(StoreUnavailableError, match="running"):
            store.counts()
        assert store.counts() == (1, 2)
        assert store.lookup(np.array([2]))[1].tolist() == [1]


def test_closed_store_does_not_reconnect(mysql_settings: dict[str, object]) -> None:
    store = MySQLStore(**mysql_settings)
    store.close()
    store.idle_check_s = 0.0
    with pytest.raises(StoreError, match="closed"):
        store.counts()
