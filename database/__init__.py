"""Fingerprint stores: SQLite (embedded, the default) and MySQL/MariaDB, behind one `Store` interface.

This is the only package that writes SQL. It speaks ints, strings, numpy arrays and its own records.
"""

from __future__ import annotations

from database.base import (
    ClaimLostError,
    DuplicateSongError,
    ParamsMismatchError,
    SongNotFoundError,
    SongRecord,
    Store,
    StoreError,
    StoreUnavailableError,
)

__all__ = [
    "ClaimLostError",
    "DuplicateSongError",
    "ParamsMismatchError",
    "SongNotFoundError",
    "SongRecord",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "open_store",
]

DATABASE_TYPES = ("sqlite", "mysql")


def open_store(database_type: str, **options: object) -> Store:
    """Open the store of `database_type`: "sqlite" takes `path`, "mysql" the MySQLStore keywords."""
    if database_type == "sqlite":
        from database.sqlite_store import SQLiteStore

        return SQLiteStore(path=options["path"])
    if database_type == "mysql":
        from database.mysql_store import MySQLStore

        return MySQLStore(**options)
    raise StoreError(
        f"Unknown database type {database_type!r}; use one of: {', '.join(repr(t) for t in DATABASE_TYPES)}."
    )
