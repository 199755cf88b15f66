"""The PyQt5 window. Everything that imports Qt or matplotlib lives in this package."""

from __future__ import annotations

from config.settings import AppConfig


def run_gui(config: AppConfig) -> int:
    """Open the window and run until it is closed; return the exit status."""
    from gui.app import run

    return run(config)
