"""The "shards" key of dejavu.cnf: the backend servers of a sharded fingerprints table."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import AppConfig, MySQLSettings, ShardSettings, load_config
from config.writer import save_config
from tests.config.config_files import error_of, write

SECRET = "sh4rd-Pa55"
HEAD = {"host": "head.example", "user": "app", "password": "head-pw", "database": "dejavu"}


def test_shards_are_read_in_order_with_defaults(tmp_path: Path) -> None:
    shards = [
        {"host": "10.0.0.1", "user": "spider", "password": SECRET, "database": "fp"},
        {"host": "10.0.0.2", "port": 3307, "_comment": "the second backend"},
    ]
    config = load_config(write(tmp_path, {"database_type": "mysql", "database": HEAD, "shards": shards}))
    assert config.shards == (
        ShardSettings(host="10.0.0.1", user="spider", password=SECRET, database="fp"),
        ShardSettings(host="10.0.0.2", port=3307, user="root", password="", database="dejavu"),
    )
    assert SECRET not in repr(config)


def test_no_shards_key_means_one_server(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, {"database": HEAD})).shards == ()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"shards": [{"host": "a"}]},
            'shards need database_type "mysql" (the head node), but it is "sqlite"',
        ),
        (
            {"database": HEAD, "shards": {"host": "a"}},
            "shards must be a list of servers [{...}, ...], got an object",
        ),
        (
            {"database": HEAD, "shards": []},
            "shards must list at least one server (leave the key out for one server)",
        ),
        ({"database": HEAD, "shards": ["a:3306"]}, 'shards[0] must be an object {...}, got "a:3306"'),
        ({"database": HEAD, "shards": [{"hots": "a"}]}, "unknown key 'shards[0].hots'; did you mean 'host'?"),
        (
            {"database": HEAD, "shards": [{"host": "a"}, {"port": "3306"}]},
            'shards[1].port must be an integer, got "3306"',
        ),
        ({"database": HEAD, "shards": [{"port": 0}]}, "shards[0].port must be between 1 and 65535, got 0"),
        (
            {"database": HEAD, "shards": [{"host": "a"}, {"host": "b"}, {"host": "a", "port": 3306}]},
            "shards[2] is the same server and database as shards[0] (a:3306/dejavu)",
        ),
    ],
)
def test_each_shards_mistake_is_one_line(tmp_path: Path, document: dict, message: str) -> None:
    path = write(tmp_path, document)
    assert error_of(path) == f"{path}: {message}"


@pytest.mark.parametrize("password", [12345, [SECRET], None])
def test_a_shard_password_never_appears_in_an_error(tmp_path: Path, password: object) -> None:
    path = write(tmp_path, {"database": HEAD, "shards": [{"host": "a", "password": password}]})
    message = error_of(path)
    assert SECRET not in message
    assert "12345" not in message
    assert message == f"{path}: shards[0].password must be a string"


def test_saving_a_config_keeps_its_shards(tmp_path: Path) -> None:
    config = AppConfig(
        database_type="mysql",
        database=MySQLSettings(host="head.example"),
        shards=(ShardSettings(host="a", password=SECRET), ShardSettings(host="b", port=3307)),
    )
    path = tmp_path / "dejavu.cnf"
    save_config(config, path)
    assert load_config(path) == config
