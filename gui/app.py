"""The application window (for now: the store in use and how to recognise from the command line)."""

from __future__ import annotations

import os
import sys

from config.settings import AppConfig, MySQLSettings

CLI_HELP = (
    "The recognition window is being built. Meanwhile the command line does everything:\n\n"
    "  python main.py --fingerprint ~/Music .mp3 .ogg\n"
    "  python main.py --recognize file clip.wav\n"
    "  python main.py --recognize mix a.mp3 b.mp3 --ratio 0.3\n"
    "  python main.py --list"
)


def has_display() -> bool:
    """Whether Qt can open a window here (a desktop session, or a platform chosen explicitly)."""
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def store_label(config: AppConfig) -> str:
    if isinstance(config.database, MySQLSettings):
        db = config.database
        return f"MySQL {db.user}@{db.host}:{db.port}/{db.database}"
    return f"SQLite {config.database.path or 'in the user data folder'}"


def build_window(config: AppConfig):
    """The main window (the application object must exist)."""
    from PyQt5.QtWidgets import QLabel, QMainWindow

    window = QMainWindow()
    window.setWindowTitle("Shazam clone")
    label = QLabel(f"Store: {store_label(config)}\n\n{CLI_HELP}")
    label.setObjectName("placeholder")
    label.setMargin(24)
    window.setCentralWidget(label)
    return window


def run(config: AppConfig) -> int:
    if not has_display():
        print(
            "error: no display to open the window on (DISPLAY is not set). "
            "Use the command line (python main.py --help) or run inside a desktop session.",
            file=sys.stderr,
        )
        return 2
    from PyQt5.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = build_window(config)
    window.show()
    return app.exec_()
