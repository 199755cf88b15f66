"""Starting the application: checks that a window can be opened, then runs the main window."""

from __future__ import annotations

import os
import sys

from config.settings import AppConfig
from gui import StoreOpener


def has_display() -> bool:
    """Whether Qt can open a window here (a desktop session, or a platform chosen explicitly)."""
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run(config: AppConfig, *, config_path: str | None, open_store: StoreOpener) -> int:
    if not has_display():
        print(
            "error: no display to open the window on (DISPLAY is not set). "
            "Use the command line (python main.py --help) or run inside a desktop session.",
            file=sys.stderr,
        )
        return 2
    from PyQt5.QtWidgets import QApplication

    from gui.history import History
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("shazam-clone")
    app.setApplicationName("Shazam clone")
    app.setDesktopFileName("shazam-clone")
    window = MainWindow(config, config_path=config_path, open_store=open_store, history=History())
    window.show()
    return app.exec_()
