"""save_config: files that load_config reads back equal, written atomically and privately."""

from __future__ import annotations

import json
import stat
import sys

import pytest

from config.errors import ConfigError
from config.loader import load_config
from config.settings import AppConfig, FingerprintParams, MySQLSettings, SQLiteSettings
from config.writer import default_config_path, save_config

SECRET = "s3cret-Pa55"
TUNED = FingerprintParams(fan_value=6, amp_min_db=-60.5, min_aligned_hashes=8, query_shifts=2)
MYSQL = MySQLSettings(host="db.example", port=3307, user="shazam", password=SECRET, database="songs")


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(AppConfig(), id="defaults"),
        pytest.param(AppConfig(database=SQLiteSettings("/var/lib/prints.sqlite3")), id="sqlite"),
        pytest.param(
            AppConfig(database=SQLiteSettings("/data/x.sqlite3"), fingerprint_limit=45.0, fingerprint=TUNED),
            id="sqlite-tuned",
        ),
        pytest.param(AppConfig(database_type="mysql", database=MYSQL), id="mysql"),
        pytest.param(
            AppConfig(
                database_type="mysql",
                database=MySQLSettings(unix_socket="/run/mysqld.sock", connect_timeout_s=9, password=""),
                fingerprint_limit=20.0,
                fingerprint=TUNED,
            ),
            id="mysql-socket-tuned",
        ),
    ],
)
def test_a_saved_config_loads_back_equal(tmp_path, config):
    path = tmp_path / "dejavu.cnf"
    save_config(config, path)
    assert load_config(path) == config


def test_only_changed_fingerprint_values_are_written(tmp_path):
    path = tmp_path / "dejavu.cnf"
    save_config(AppConfig(fingerprint=TUNED), path)
    document = json.loads(path.read_text())
    assert document["fingerprint"] == {
        "fan_value": 6,
        "amp_min_db": -60.5,
        "min_aligned_hashes": 8,
        "query_shifts": 2,
    }


def test_a_relative_sqlite_path_is_written_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    save_config(AppConfig(database=SQLiteSettings("prints.sqlite3")), tmp_path / "conf" / "dejavu.cnf")
    loaded = load_config(tmp_path / "conf" / "dejavu.cnf")
    assert loaded.database == SQLiteSettings(str(tmp_path / "prints.sqlite3"))


def test_the_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "dejavu.cnf"
    path.write_text("{}")
    path.chmod(0o644)
    save_config(AppConfig(database_type="mysql", database=MYSQL), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["dejavu.cnf"]  # no temporary file is left


def test_comments_of_the_replaced_file_are_kept(tmp_path):
    path = tmp_path / "dejavu.cnf"
    path.write_text(
        json.dumps(
            {
                "_comment": "my store",
                "database": {"_note": "the server", "host": "old"},
                "fingerprint": {"_why": "noisy room", "fan_value": 9},
            }
        )
    )
    save_config(AppConfig(database_type="mysql", database=MYSQL, fingerprint=TUNED), path)
    document = json.loads(path.read_text())
    assert document["_comment"] == "my store"
    assert document["database"]["_note"] == "the server"
    assert document["fingerprint"]["_why"] == "noisy room"
    assert document["database"]["host"] == "db.example"
    assert load_config(path).fingerprint == TUNED


def test_an_unparsable_old_file_is_replaced(tmp_path):
    path = tmp_path / "dejavu.cnf"
    path.write_text("{not json")
    save_config(AppConfig(), path)
    assert load_config(path) == AppConfig()


def test_a_missing_folder_raises_config_error_with_the_path_not_the_password(tmp_path):
    path = tmp_path / "missing" / "dejavu.cnf"
    with pytest.raises(ConfigError, match="missing/dejavu.cnf") as raised:
        save_config(AppConfig(database_type="mysql", database=MYSQL), path)
    assert SECRET not in str(raised.value)
    assert raised.value.__cause__ is None
    assert not path.parent.exists()


def test_a_folder_in_place_of_the_file_raises_config_error(tmp_path):
    path = tmp_path / "dejavu.cnf"
    path.mkdir()
    with pytest.raises(ConfigError, match="dejavu.cnf") as raised:
        save_config(AppConfig(database_type="mysql", database=MYSQL), path)
    assert SECRET not in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["dejavu.cnf"]


@pytest.mark.skipif(sys.platform != "linux", reason="XDG folders are Linux's")
def test_the_default_config_path_is_in_the_user_config_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_config_path() == tmp_path / "shazam-clone" / "dejavu.cnf"
