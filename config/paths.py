"""Where the app keeps its files by default."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "shazam-clone"


def default_sqlite_path() -> Path:
    """The SQLite store used when the configuration names none, in the user's data directory.

    ``~/.local/share/shazam-clone/fingerprints.sqlite3`` on Linux (``$XDG_DATA_HOME`` is respected), the
    platform's equivalent elsewhere. The folder is not created here; the store creates it when it opens.
    """
    return Path(platformdirs.user_data_dir(APP_NAME)) / "fingerprints.sqlite3"
