"""Starting the application: checks that a window can be opened, then runs the main window."""

from __future__ import annotations

import logging
import os
import sys
from types import TracebackType

from config.settings import AppConfig
from gui import StoreOpener

log = logging.getLogger(__name__)


def has_display() -> bool:
    """Whether Qt can open a window here (a desktop session, or a platform chosen explicitly)."""
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def report_unexpected_error(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """Log an exception nothing else handled and show it, instead of letting Qt abort the program."""
    log.critical("unexpected error", exc_info=(kind, error, trace))
    from PyQt5.QtWidgets import QMessageBox

    QMessageBox.critical(
        None,
        "Unexpected error",
        f"Something went wrong that the program did not expect:\n\n{kind.__name__}: {error}\n\n"
        "The window keeps running; the details are in the log on the terminal.",
    )


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
    sys.excepthook = report_unexpected_error
    app.setOrganizationName("shazam-clone")
    app.setApplicationName("Shazam clone")
    app.setDesktopFileName("shazam-clone")
    window = MainWindow(config, config_path=config_path, open_store=open_store, history=History())
    window.show()
    return app.exec_()
