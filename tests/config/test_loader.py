"""load_config, the dejavu.cnf.SAMPLE and default_sqlite_path, with the messages a user sees."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from config import (
    AppConfig,
    ConfigError,
    FingerprintParams,
    MySQLSettings,
    SQLiteSettings,
    default_sqlite_path,
    load_config,
)
from config.loader import PARAMS_ANY_SIGN, PARAMS_MAY_BE_ZERO
from tests.config.config_files import error_of, write

SAMPLE = Path(__file__).resolve().parents[2] / "dejavu.cnf.SAMPLE"
SECRET = "s3cr3t-Pa55"
BAD_LIMIT = "fingerprint_limit must be a positive number of seconds, or null for whole songs; got "
NOT_TEXT = "not a text file; the config must be JSON text (see dejavu.cnf.SAMPLE)"


def test_no_path_and_no_dejavu_cnf_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None) == AppConfig()
    assert load_config(None).database == SQLiteSettings(path=None)


def test_no_path_reads_dejavu_cnf_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"fingerprint_limit": 30})
    monkeypatch.chdir(tmp_path)
    assert load_config(None).fingerprint_limit == 30.0


def test_no_path_reports_a_broken_dejavu_cnf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "{")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^dejavu\.cnf: invalid JSON"):
        load_config(None)


def test_a_named_file_that_does_not_exist(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.cnf") == f"config file not found: {tmp_path / 'nope.cnf'}"


def test_the_sample_loads_with_mysql_and_every_fingerprint_default() -> None:
    config = load_config(SAMPLE)
    assert config.database_type == "mysql"
    assert config.database == MySQLSettings(
        host="127.0.0.1", port=3306, user="dejavu", password="", database="dejavu"
    )
    assert config.fingerprint_limit is None
    assert config.fingerprint == FingerprintParams()
    listed = {key for key in json.loads(SAMPLE.read_text())["fingerprint"] if not key.startswith("_")}
    assert listed == set(FingerprintParams.field_names())


def test_a_dejavu_file_without_database_type_is_mysql(tmp_path: Path) -> None:
    dejavu = {"database": {"host": "db.example", "user": "root", "password": SECRET, "database": "dejavu"}}
    config = load_config(write(tmp_path, dejavu))
    assert config.database_type == "mysql"
    assert config.database == MySQLSettings(
        host="db.example", user="root", password=SECRET, database="dejavu"
    )
    assert SECRET not in repr(config)


@pytest.mark.parametrize("document", [{}, {"database": {}}, {"database": {"path": None}}, {"_comment": "x"}])
def test_without_mysql_keys_the_store_is_sqlite_in_the_data_folder(tmp_path: Path, document: dict) -> None:
    config = load_config(write(tmp_path, document))
    assert config.database_type == "sqlite"
    assert config.database == SQLiteSettings(path=None)


def test_a_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write(tmp_path, {"database_type": "sqlite", "database": {"path": "stores/fp.sqlite3"}})
    assert load_config(path).database == SQLiteSettings(path=str(tmp_path / "stores" / "fp.sqlite3"))
    absolute = write(tmp_path, {"database": {"path": "/var/lib/fp.sqlite3"}})
    assert load_config(absolute).database == SQLiteSettings(path="/var/lib/fp.sqlite3")


def test_a_home_relative_sqlite_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = write(tmp_path, {"database": {"path": "~/fp.sqlite3"}})
    assert load_config(path).database == SQLiteSettings(path=str(tmp_path / "home" / "fp.sqlite3"))


def test_comments_are_ignored_at_every_level(tmp_path: Path) -> None:
    document = {
        "_comment": "top",
        "database_type": "mysql",
        "database": {"_comment": ["any", "value"], "_port": "the port", "port": 3307},
        "fingerprint": {"_comment": {"nested": 1}, "fan_value": 7},
    }
    config = load_config(write(tmp_path, document))
    assert config.database == MySQLSettings(port=3307)
    assert config.fingerprint == FingerprintParams(fan_value=7)


def test_integers_are_accepted_for_numbers(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, {"fingerprint_limit": 45, "fingerprint": {"min_freq_hz": 50}}))
    assert config.fingerprint_limit == 45.0
    assert isinstance(config.fingerprint_limit, float)
    assert config.fingerprint.min_freq_hz == 50.0
    assert isinstance(config.fingerprint.min_freq_hz, float)


def test_every_mysql_option_is_read(tmp_path: Path) -> None:
    database = {
        "host": "h", "port": 3310, "user": "u", "password": SECRET, "database": "d",
        "unix_socket": "/run/mysqld/mysqld.sock", "connect_timeout_s": 9, "engine": "innodb",
    }  # fmt: skip
    config = load_config(write(tmp_path, {"database_type": "mysql", "database": database}))
    assert dataclasses.asdict(config.database) == database


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + json.dumps({"fingerprint_limit": 10}).encode())
    assert load_config(path).fingerprint_limit == 10.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # the file itself
        ("", "the file is empty; it must hold a JSON object (see dejavu.cnf.SAMPLE)"),
        (" \n\t\n", "the file is empty; it must hold a JSON object (see dejavu.cnf.SAMPLE)"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb", NOT_TEXT),
        (b'{"database": "\xff\xfe"}', NOT_TEXT),
        # JSON syntax
        (
            '{\n  "fingerprint": {\n    "fan_value": 5,\n  }\n}',
            "invalid JSON at line 4, column 3: Expecting property name enclosed in double quotes",
        ),
        (
            "{'database_type': 'mysql'}",
            "invalid JSON at line 1, column 2: Expecting property name enclosed in double quotes",
        ),
        ('{"fingerprint_limit": NaN}', "NaN is not a JSON number"),
        ('{"database": {"port": 1, "port": 2}}', "duplicate key 'port' in one object"),
        ("[1, 2]", "the top level must be a JSON object {...}, got a list"),
        ('"mysql"', 'the top level must be a JSON object {...}, got "mysql"'),
        # keys
        ({"databse": {}}, "unknown key 'databse'; did you mean 'database'?"),
        (
            {"fingerprint": {"fan_valu": 5}},
            "unknown key 'fingerprint.fan_valu'; did you mean 'fan_value'?",
        ),
        ({"fingerprint": {"colour": 5}}, "unknown key 'fingerprint.colour'"),
        (
            {"database": {"host": "h", "passwd": "x"}},
            "unknown key 'database.passwd'; did you mean 'password'?",
        ),
        (
            {"database_type": "mysql", "database": {"path": "fp.sqlite3"}},
            'database.path is an SQLite option, but database_type is "mysql"',
        ),
        (
            {"database_type": "sqlite", "database": {"host": "h"}},
            'database.host is a MySQL option, but database_type is "sqlite"',
        ),
        # types
        ({"fingerprint": {"fan_value": "5"}}, 'fingerprint.fan_value must be an integer, got "5"'),
        ({"fingerprint": {"fan_value": True}}, "fingerprint.fan_value must be an integer, got true"),
        ({"fingerprint": {"fan_value": 5.5}}, "fingerprint.fan_value must be an integer, got 5.5"),
        ({"fingerprint": {"n_fft": None}}, "fingerprint.n_fft must be an integer, got null"),
        ({"fingerprint": {"min_freq_hz": "100"}}, 'fingerprint.min_freq_hz must be a number, got "100"'),
        ({"database": {"port": "3306"}}, 'database.port must be an integer, got "3306"'),
        ({"database": {"host": 127}}, "database.host must be a string, got 127"),
        ({"database": {"unix_socket": 5}}, "database.unix_socket must be a string or null, got 5"),
        ({"database": {"path": 5}}, "database.path must be a string or null, got 5"),
        ({"database": ["host"]}, "database must be an object {...}, got a list"),
        ({"fingerprint": 5}, "fingerprint must be an object {...}, got 5"),
        ({"database_type": "postgres"}, 'database_type must be "sqlite" or "mysql", got "postgres"'),
        ({"database_type": None}, 'database_type must be "sqlite" or "mysql", got null'),
        ({"fingerprint_limit": "60"}, f'{BAD_LIMIT}"60"'),
        ({"fingerprint_limit": True}, f"{BAD_LIMIT}true"),
        # values
        ({"fingerprint_limit": 0}, f"{BAD_LIMIT}0"),
        ({"fingerprint_limit": -1}, f"{BAD_LIMIT}-1"),
        ({"database": {"port": 0}}, "database.port must be between 1 and 65535, got 0"),
        ({"database": {"port": 65536}}, "database.port must be between 1 and 65535, got 65536"),
        ({"database": {"connect_timeout_s": 0}}, "database.connect_timeout_s must be positive, got 0"),
        ({"database": {"path": " "}}, "database.path must not be empty (null means the default location)"),
        ({"fingerprint": {"n_fft": 0}}, "fingerprint.n_fft must be positive, got 0"),
        ({"fingerprint": {"hop_length": -256}}, "fingerprint.hop_length must be positive, got -256"),
        ({"fingerprint": {"sample_rate": 0}}, "fingerprint.sample_rate must be positive, got 0"),
        ({"fingerprint": {"fan_value": 0}}, "fingerprint.fan_value must be positive, got 0"),
        ({"fingerprint": {"df_max_bins": -1}}, "fingerprint.df_max_bins must not be negative, got -1"),
        (
            {"fingerprint": {"hop_length": 2048}},
            "fingerprint.hop_length (2048) must not exceed fingerprint.n_fft (1024)",
        ),
        (
            {"fingerprint": {"dt_min_frames": 9, "dt_max_frames": 8}},
            "fingerprint.dt_min_frames (9) must not exceed fingerprint.dt_max_frames (8)",
        ),
        (
            {"fingerprint": {"min_freq_hz": 4000}},
            "fingerprint.min_freq_hz (4000) must be below half of fingerprint.sample_rate (8000 Hz)",
        ),
    ],
)
def test_each_mistake_is_one_line_starting_with_the_path(
    tmp_path: Path, content: object, message: str
) -> None:
    path = write(tmp_path, content)
    assert error_of(path) == f"{path}: {message}"


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    assert error_of(tmp_path) == f"{tmp_path}: is a directory, not a config file"


@pytest.mark.parametrize(
    "database",
    [
        {"password": 12345},
        {"password": [SECRET]},
        {"password": None},
        {"password": SECRET, "port": 0},
        {"password": SECRET, "passwrd": SECRET},
    ],
)
def test_the_password_never_appears_in_an_error(tmp_path: Path, database: dict) -> None:
    message = error_of(write(tmp_path, {"database_type": "mysql", "database": database}))
    assert SECRET not in message
    assert "12345" not in message
    if not isinstance(database["password"], str):
        assert message.endswith(": database.password must be a string")


def test_every_named_parameter_rule_is_a_fingerprint_field() -> None:
    assert PARAMS_MAY_BE_ZERO | PARAMS_ANY_SIGN <= set(FingerprintParams.field_names())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_DATA_HOME is a Linux convention")
def test_default_sqlite_path_is_in_the_xdg_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_sqlite_path() == tmp_path / "shazam-clone" / "fingerprints.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data_home = tmp_path / "home" / ".local" / "share"
    assert default_sqlite_path() == data_home / "shazam-clone" / "fingerprints.sqlite3"


def test_the_fingerprints_table_engine_is_one_of_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, {"database_type": "mysql", "database": {"engine": "MyISAM"}})
    with pytest.raises(ConfigError, match="database.engine must be one of 'auto', 'innodb', 'rocksdb'"):
        load_config(path)


def _every_key() -> list[tuple[str, dict]]:
    """(key, a document where that key holds a list, which no key accepts) for every key there is."""
    cases = [("database_type", {"database_type": ["mysql"]})]
    cases.append(("fingerprint_limit", {"fingerprint_limit": [60]}))
    cases.append(("database.path", {"database_type": "sqlite", "database": {"path": ["a"]}}))
    for field in dataclasses.fields(MySQLSettings):
        cases.append((f"database.{field.name}", {"database_type": "mysql", "database": {field.name: [1]}}))
    for field in dataclasses.fields(FingerprintParams):
        cases.append((f"fingerprint.{field.name}", {"fingerprint": {field.name: [1]}}))
    return cases


@pytest.mark.parametrize(("key", "document"), _every_key(), ids=[key for key, _ in _every_key()])
def test_every_key_with_a_value_of_the_wrong_type_is_one_line_naming_it(
    tmp_path: Path, key: str, document: dict
) -> None:
    path = write(tmp_path, document)
    message = error_of(path)
    assert message.startswith(f"{path}: {key} must be ")
