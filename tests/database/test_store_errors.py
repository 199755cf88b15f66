"""What a user sees when a store cannot be opened: the place, the cause and a hint, never a password."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import MySQLdb
import numpy as np
import pytest

from database import StoreError, StoreUnavailableError, open_store
from database.mysql_store import MySQLStore
from database.sqlite_store import SQLiteStore
from tests.mariadb import MariaDBServer

WRONG_PASSWORD = "Wr0ng-Secret-pw"


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.mysql
def test_wrong_password_is_reported_without_the_password(mysql_settings: dict[str, object]) -> None:
    with pytest.raises(StoreUnavailableError) as raised:
        MySQLStore(**{**mysql_settings, "password": WRONG_PASSWORD})
    message = str(raised.value)
    assert "denied" in message
    assert "'tester'" in message
    assert WRONG_PASSWORD not in message
    assert WRONG_PASSWORD not in repr(raised.value.__cause__)


def test_no_server_at_the_port_says_where_and_asks_if_it_is_running() -> None:
    port = _unused_port()
    with pytest.raises(StoreUnavailableError) as raised:
        MySQLStore(host="127.0.0.1", port=port, user="someone", password="pw-xyz", database="shazam")
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message
    assert "running" in message
    assert "pw-xyz" not in message


@pytest.mark.mysql
def test_database_the_user_may_not_see_suggests_create_database(mysql_settings: dict[str, object]) -> None:
    with pytest.raises(StoreUnavailableError, match=r"CREATE DATABASE IF NOT EXISTS `no_such_db`"):
        MySQLStore(**{**mysql_settings, "database": "no_such_db"})


@pytest.mark.mysql
def test_missing_database_suggests_create_database(mariadb_server: MariaDBServer) -> None:
    # root sees every database, so the server says "unknown database" rather than "access denied"
    with pytest.raises(StoreUnavailableError, match="does not exist") as raised:
        MySQLStore(
            host="localhost",
            port=0,
            user="root",
            password="",
            database="no_such_db",
            unix_socket=mariadb_server.socket,
        )
    assert "CREATE DATABASE IF NOT EXISTS `no_such_db`" in str(raised.value)
    assert f"unix:{mariadb_server.socket}" in str(raised.value)


@pytest.mark.mysql
def test_description_and_repr_never_show_the_password(mysql_settings: dict[str, object]) -> None:
    with MySQLStore(**mysql_settings) as store:
        shown = [store.description, repr(store), str(vars(store))]
    port, database = mysql_settings["port"], mysql_settings["database"]
    assert store.description == f"MySQL tester@127.0.0.1:{port}/{database}"
    for text in shown:
        assert str(mysql_settings["password"]) not in text


def test_sqlite_path_under_a_regular_file_names_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    path = blocker / "store.sqlite3"
    with pytest.raises(StoreUnavailableError, match="may write") as raised:
        SQLiteStore(path)
    assert str(path) in str(raised.value)


def test_sqlite_file_that_is_not_a_database_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the droids you are looking for\n" * 200)
    with pytest.raises(StoreUnavailableError, match="not a usable SQLite database") as raised:
        SQLiteStore(path)
    assert str(path) in str(raised.value)


def test_sqlite_store_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    SQLiteStore(path).close()
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    connection.close()
    with pytest.raises(StoreUnavailableError, match="schema version 99"):
        SQLiteStore(path)


def test_open_store_names_the_accepted_types() -> None:
    with pytest.raises(StoreError, match="'sqlite', 'mysql'"):
        open_store("postgres", path="x")


SONG = ("Old song", "ab" * 20, 1.0, np.array([1, 2]), np.array([0, 1]))


def test_a_version_1_sqlite_store_is_migrated_and_keeps_its_songs(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with SQLiteStore(path) as store:
        song_id = store.add_song(*SONG)
    connection = sqlite3.connect(path)
    with connection:  # back to version 1: no file_path column, no claims
        for column in ("file_path", "claimed_by", "claimed_at"):
            connection.execute(f"ALTER TABLE songs DROP COLUMN {column}")
        connection.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")
    connection.close()
    with SQLiteStore(path) as store:
        assert store.get_song(song_id).file_path == ""
        assert (
            store.add_song("New", "cd" * 20, 1.0, np.array([3]), np.array([0]), file_path="/a.mp3") > song_id
        )
        assert store.claim_song("Claimed", "ef" * 20, "", "host:1:ab") is not None
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == ("3",)
    connection.close()


@pytest.mark.mysql
def test_a_version_1_mysql_store_is_migrated_and_keeps_its_songs(mysql_settings: dict[str, object]) -> None:
    with MySQLStore(**mysql_settings) as store:
        song_id = store.add_song(*SONG)
    connection = MySQLdb.connect(**mysql_settings)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE songs DROP COLUMN file_path, DROP COLUMN claimed_by, DROP COLUMN claimed_at"
        )
        cursor.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")
    connection.commit()
    with MySQLStore(**mysql_settings) as store:
        assert store.get_song(song_id).file_path == ""
        assert (
            store.add_song("New", "cd" * 20, 1.0, np.array([3]), np.array([0]), file_path="/a.mp3") > song_id
        )
        assert store.claim_song("Claimed", "ef" * 20, "", "host:1:ab") is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM meta WHERE name = 'schema_version'")
        assert cursor.fetchone() == ("3",)
    connection.close()
