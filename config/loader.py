"""Loading ``dejavu.cnf``: JSON in dejavu's shape, checked key by key into an AppConfig.

The file holds one object; every key is optional (see ``dejavu.cnf.SAMPLE``)::

    {"database_type": "mysql" or "sqlite",
     "database": {"host", "port", "user", "password", "database", "unix_socket", "connect_timeout_s",
                  "engine"} or {"path"},
     "fingerprint_limit": null or seconds,
     "fingerprint": {any field of FingerprintParams},
     "shards": [{"host", "port", "user", "password", "database"}, ...]   (MySQL only: see database/shards.py)}

Keys starting with "_" are comments, at any level. Without "database_type", a "database" object holding
any MySQL key means MySQL (dejavu's own files are written so), anything else SQLite. A relative SQLite
path is relative to the config file's folder; "~" is the home folder. Each mistake raises one ConfigError
whose message starts with the file's path; the password's value is never shown.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import typing
from pathlib import Path

from config.errors import ConfigError
from config.settings import AppConfig, FingerprintParams, MySQLSettings, ShardSettings, SQLiteSettings

DEFAULT_CONFIG_PATH = "dejavu.cnf"
DATABASE_TYPES = ("sqlite", "mysql")
MYSQL_ENGINES = ("auto", "innodb", "rocksdb")
TOP_LEVEL_KEYS = ("database_type", "database", "fingerprint_limit", "fingerprint", "shards")
SECRET_KEYS = frozenset({"database.password"})

# Every number in FingerprintParams must be positive, except these, which may also be zero, and the level
# amp_min_db, which may be anything.
PARAMS_MAY_BE_ZERO = frozenset(
    {"min_freq_hz", "peak_freq_radius", "peak_time_radius", "dt_min_frames", "df_max_bins"}
    | {"query_peak_freq_radius", "query_peak_time_radius", "offset_tolerance_frames"}
    | {"mix_peak_freq_radius", "mix_peak_time_radius"}
    | {"first_pass_row_budget", "first_pass_row_share", "query_row_budget"}
)
PARAMS_ANY_SIGN = frozenset({"amp_min_db"})

_SAMPLE_HINT = "see dejavu.cnf.SAMPLE"

_Settings = typing.TypeVar("_Settings")


def load_config(path: str | os.PathLike[str] | None = None) -> AppConfig:
    """The configuration in the file at `path`.

    With None: ``./dejavu.cnf`` if it exists, else the defaults (an SQLite store in the user's data folder).
    Raises ConfigError for a missing or unreadable file and for any key or value it cannot accept.
    """
    if path is None:
        if not os.path.lexists(DEFAULT_CONFIG_PATH):
            return AppConfig()
        path = DEFAULT_CONFIG_PATH
    return _Loader(str(path)).load()


class _Loader:
    """Reads one file; `fail` builds the error lines, all prefixed with the file's path."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {message}")

    def load(self) -> AppConfig:
        document = self.parse(self.read_text())
        self.check_keys(document, TOP_LEVEL_KEYS, prefix="")
        database = self.object_at(document, "database")
        database_type = self.database_type(document, database)
        self.reject_options_of_the_other_type(database, database_type)
        fingerprint = self.object_at(document, "fingerprint")
        params = self.dataclass_from(FingerprintParams, fingerprint, prefix="fingerprint")
        self.check_params(params)
        return AppConfig(
            database_type=database_type,
            database=self.mysql(database) if database_type == "mysql" else self.sqlite(database),
            fingerprint_limit=self.fingerprint_limit(document.get("fingerprint_limit")),
            fingerprint=params,
            shards=self.shards(document.get("shards"), database_type),
        )

    def read_text(self) -> str:
        try:
            raw = Path(self.path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise ConfigError(f"config file not found: {self.path}") from None
        except IsADirectoryError:
            raise self.fail("is a directory, not a config file") from None
        except PermissionError:
            raise self.fail("permission denied") from None
        except OSError as err:
            raise self.fail(f"cannot read the file: {err.strerror or err}") from None
        if not raw.strip():
            raise self.fail(f"the file is empty; it must hold a JSON object ({_SAMPLE_HINT})")
        try:
            if b"\0" not in raw:
                return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        raise self.fail(f"not a text file; the config must be JSON text ({_SAMPLE_HINT})")

    def parse(self, text: str) -> dict[str, object]:
        try:
            document = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
        except json.JSONDecodeError as err:
            raise self.fail(f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
        except _JSONValueError as err:
            raise self.fail(str(err)) from None
        if not isinstance(document, dict):
            raise self.fail(f"the top level must be a JSON object {{...}}, got {_kind(document)}")
        return document

    def check_keys(self, obj: dict[str, object], allowed: typing.Iterable[str], *, prefix: str) -> None:
        allowed = list(allowed)
        for key in _settings_keys(obj):
            if key not in allowed:
                message = f"unknown key '{prefix}{key}'"
                close = difflib.get_close_matches(key, allowed, n=1)
                if close:
                    message += f"; did you mean '{close[0]}'?"
                raise self.fail(message)

    def object_at(self, document: dict[str, object], key: str) -> dict[str, object]:
        value = document.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{key} must be an object {{...}}, got {_kind(value)}")
        return value

    def database_type(self, document: dict[str, object], database: dict[str, object]) -> str:
        if "database_type" not in document:
            mysql_keys = {f.name for f in dataclasses.fields(MySQLSettings)}
            return "mysql" if mysql_keys.intersection(_settings_keys(database)) else "sqlite"
        value = document["database_type"]
        if value not in DATABASE_TYPES:
            raise self.fail(f'database_type must be "sqlite" or "mysql", got {_shown(value)}')
        return typing.cast(str, value)

    def mysql(self, database: dict[str, object]) -> MySQLSettings:
        settings = self.dataclass_from(MySQLSettings, database, prefix="database")
        if not 1 <= settings.port <= 65535:
            raise self.fail(f"database.port must be between 1 and 65535, got {settings.port}")
        if settings.connect_timeout_s <= 0:
            raise self.fail(f"database.connect_timeout_s must be positive, got {settings.connect_timeout_s}")
        if settings.engine not in MYSQL_ENGINES:
            raise self.fail(
                f"database.engine must be one of {', '.join(repr(e) for e in MYSQL_ENGINES)}, "
                f"got {_shown(settings.engine)}"
            )
        return settings

    def sqlite(self, database: dict[str, object]) -> SQLiteSettings:
        settings = self.dataclass_from(SQLiteSettings, database, prefix="database")
        if settings.path is None:
            return settings
        if not settings.path.strip():
            raise self.fail("database.path must not be empty (null means the default location)")
        store = Path(settings.path).expanduser()
        return SQLiteSettings(path=str(Path(self.path).parent / store))

    def reject_options_of_the_other_type(self, database: dict[str, object], database_type: str) -> None:
        if database_type == "mysql":
            other, kind = SQLiteSettings, "an SQLite"
        else:
            other, kind = MySQLSettings, "a MySQL"
        names = {f.name for f in dataclasses.fields(other)}
        for key in _settings_keys(database):
            if key in names:
                raise self.fail(f'database.{key} is {kind} option, but database_type is "{database_type}"')

    def shards(self, value: object, database_type: str) -> tuple[ShardSettings, ...]:
        if value is None:
            return ()
        if database_type != "mysql":
            raise self.fail(f'shards need database_type "mysql" (the head node), but it is "{database_type}"')
        if not isinstance(value, list):
            raise self.fail(f"shards must be a list of servers [{{...}}, ...], got {_kind(value)}")
        if not value:
            raise self.fail("shards must list at least one server (leave the key out for one server)")
        shards: list[ShardSettings] = []
        for index, server in enumerate(value):
            key = f"shards[{index}]"
            if not isinstance(server, dict):
                raise self.fail(f"{key} must be an object {{...}}, got {_kind(server)}")
            shard = self.dataclass_from(ShardSettings, server, prefix=key)
            if not 1 <= shard.port <= 65535:
                raise self.fail(f"{key}.port must be between 1 and 65535, got {shard.port}")
            for other_index, other in enumerate(shards):
                if (other.host, other.port, other.database) == (shard.host, shard.port, shard.database):
                    raise self.fail(
                        f"{key} is the same server and database as shards[{other_index}] "
                        f"({shard.host}:{shard.port}/{shard.database})"
                    )
            shards.append(shard)
        return tuple(shards)

    def fingerprint_limit(self, value: object) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(
                "fingerprint_limit must be a positive number of seconds, or null for whole songs; "
                f"got {_shown(value)}"
            )
        return float(value)

    def dataclass_from(self, cls: type[_Settings], obj: dict[str, object], *, prefix: str) -> _Settings:
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        self.check_keys(obj, names, prefix=f"{prefix}.")
        values = {key: self.typed(obj[key], hints[key], f"{prefix}.{key}") for key in _settings_keys(obj)}
        return cls(**values)

    def typed(self, value: object, hint: object, key: str) -> object:
        options = typing.get_args(hint) or (hint,)  # (str, NoneType) for "str | None"
        base = next(option for option in options if option is not type(None))
        if value is None and type(None) in options:
            return None
        if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, base) and (base is bool or not isinstance(value, bool)):
            return value
        noun = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}[base]
        if type(None) in options:
            noun += " or null"
        secret = key in SECRET_KEYS or key.startswith("shards[") and key.endswith("].password")
        shown = "" if secret else f", got {_shown(value)}"
        raise self.fail(f"{key} must be {noun}{shown}")

    def check_params(self, params: FingerprintParams) -> None:
        for name, value in params.to_dict().items():
            if not isinstance(value, (int, float)) or name in PARAMS_ANY_SIGN:
                continue
            if name in PARAMS_MAY_BE_ZERO and value < 0:
                raise self.fail(f"fingerprint.{name} must not be negative, got {value}")
            if name not in PARAMS_MAY_BE_ZERO and value <= 0:
                raise self.fail(f"fingerprint.{name} must be positive, got {value}")
        if params.hop_length > params.n_fft:
            raise self.fail(
                f"fingerprint.hop_length ({params.hop_length}) must not exceed "
                f"fingerprint.n_fft ({params.n_fft})"
            )
        if params.dt_min_frames > params.dt_max_frames:
            raise self.fail(
                f"fingerprint.dt_min_frames ({params.dt_min_frames}) must not exceed "
                f"fingerprint.dt_max_frames ({params.dt_max_frames})"
            )
        if params.min_freq_hz >= params.sample_rate / 2:
            raise self.fail(
                f"fingerprint.min_freq_hz ({params.min_freq_hz:g}) must be below half of "
                f"fingerprint.sample_rate ({params.sample_rate} Hz)"
            )


class _JSONValueError(ValueError):
    """Valid JSON syntax that a config still cannot hold (raised from json's hooks)."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj: dict[str, object] = {}
    for key, value in pairs:
        if key in obj:
            raise _JSONValueError(f"duplicate key '{key}' in one object")
        obj[key] = value
    return obj


def _reject_constant(name: str) -> object:
    raise _JSONValueError(f"{name} is not a JSON number")


def _settings_keys(obj: dict[str, object]) -> list[str]:
    """The keys of `obj` that are settings, not "_" comments."""
    return [key for key in obj if not key.startswith("_")]


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return _shown(value)


def _shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
