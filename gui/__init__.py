"""The PyQt5 window. Everything that imports Qt or matplotlib lives in this package."""

from __future__ import annotations

from collections.abc import Callable

from config.settings import AppConfig
from database.base import Store

#: Opens (and checks) the store a configuration names; raises the store's errors.
StoreOpener = Callable[[AppConfig], Store]


def run_gui(config: AppConfig, *, config_path: str | None, open_store: StoreOpener) -> int:
    """Open the window and run until it is closed; return the exit status.

    `config_path` is the configuration file in use (None: defaults), where the settings dialog saves;
    `open_store` opens a store for a configuration, so that every worker thread can have its own.
    """
    from gui.app import run

    return run(config, config_path=config_path, open_store=open_store)
