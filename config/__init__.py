"""Configuration: ``dejavu.cnf`` loading and the settings it fills in."""

from config.errors import ConfigError
from config.loader import load_config
from config.paths import default_sqlite_path
from config.settings import AppConfig, FingerprintParams, MySQLSettings, ShardSettings, SQLiteSettings

__all__ = [
    "AppConfig",
    "ConfigError",
    "FingerprintParams",
    "MySQLSettings",
    "SQLiteSettings",
    "ShardSettings",
    "default_sqlite_path",
    "load_config",
]
