"""Saving an AppConfig as ``dejavu.cnf``: JSON in dejavu's shape that `load_config` reads back equal.

Only the fingerprint values that differ from the defaults are written. A relative SQLite path is written
absolute (resolved against the current folder, as the store opener does), because the loader reads a
relative path against the config file's folder. The "_" comment keys of the file being replaced are kept
(at the top level and in "database" and "fingerprint"); comments inside other values are dropped.

The file is replaced atomically (a temporary file in the same folder, then ``os.replace``) and is readable
by its owner only (mode 0600), since it may hold a password.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import typing
from pathlib import Path

import platformdirs

from config.errors import ConfigError
from config.paths import APP_NAME
from config.settings import AppConfig, FingerprintParams, MySQLSettings

CONFIG_FILE_NAME = "dejavu.cnf"
_COMMENTED_OBJECTS = ("database", "fingerprint")


def default_config_path() -> Path:
    """Where the app saves its configuration when none was loaded: ``dejavu.cnf`` in the user config dir."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / CONFIG_FILE_NAME


def save_config(config: AppConfig, path: str | os.PathLike[str]) -> None:
    """Write `config` to `path` atomically, mode 0600; raise ConfigError (never showing the password)."""
    path = os.fspath(path)
    document = _with_comments(config_document(config), _existing_document(path))
    text = json.dumps(document, indent=4) + "\n"
    folder = os.path.dirname(os.path.abspath(path))
    try:
        descriptor, temp_path = tempfile.mkstemp(dir=folder, prefix=".dejavu-", suffix=".tmp")
    except OSError as err:
        raise ConfigError(f"{path}: cannot write the config file: {err.strerror or err}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_path, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        raise ConfigError(f"{path}: cannot write the config file: {err.strerror or err}") from None


def config_document(config: AppConfig) -> dict[str, object]:
    """The JSON object that describes `config`."""
    if isinstance(config.database, MySQLSettings):
        database = dataclasses.asdict(config.database)
    else:
        path = config.database.path
        database = {"path": None if path is None else os.path.abspath(os.path.expanduser(path))}
    defaults = FingerprintParams().to_dict()
    params = config.fingerprint.to_dict()
    fingerprint = {key: value for key, value in params.items() if value != defaults[key]}
    document: dict[str, object] = {
        "database_type": config.database_type,
        "database": database,
        "fingerprint_limit": config.fingerprint_limit,
        "fingerprint": fingerprint,
    }
    if config.shards and config.database_type == "mysql":
        document["shards"] = [dataclasses.asdict(shard) for shard in config.shards]
    return document


def _existing_document(path: str) -> dict[str, object]:
    """The JSON object now at `path`, or {} if there is none that can be read."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _with_comments(document: dict[str, object], old: dict[str, object]) -> dict[str, object]:
    """`document` with the "_" keys of `old` in front (top level, "database" and "fingerprint")."""
    merged = _comments(old) | document
    for key in _COMMENTED_OBJECTS:
        old_object = old.get(key)
        if isinstance(old_object, dict):
            merged[key] = _comments(old_object) | typing.cast(dict[str, object], document[key])
    return merged


def _comments(obj: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in obj.items() if key.startswith("_")}
