"""Screenshots of the real window for the README: a Shazam with its result and plots, the library, the
fingerprint dialog, and the timeline of a long recording.

    python bench/screenshots.py --config dejavu.cnf SONG_A SONG_B FOLDER [--recording SET] [--out images/]

The store named by the configuration should hold the two songs; the folder is shown in the dialog.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PyQt5.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402

from config import load_config  # noqa: E402
from gui.history import History  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from main import open_configured_store  # noqa: E402


def wait(app: QApplication, condition, timeout_s: float = 60.0) -> None:
    """Run the event loop until `condition()` holds."""
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    timer.start(50)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec_()
    timer.stop()
    app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", required=True)
    parser.add_argument("song_a")
    parser.add_argument("song_b")
    parser.add_argument("folder")
    parser.add_argument("--recording", help="a long recording to show in the timeline dialog")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "images")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    scratch = args.out / ".screenshots"
    scratch.mkdir(parents=True, exist_ok=True)
    window = MainWindow(
        load_config(args.config),
        config_path=args.config,
        open_store=open_configured_store,
        history=History(scratch / "history.csv"),
        settings=QSettings(str(scratch / "settings.ini"), QSettings.IniFormat),
    )
    window.resize(1400, 860)
    window.show()
    view = window.shazam_view
    view.slot_a.set_path(args.song_a)
    view.slot_b.set_path(args.song_b)
    view.slot_a.start.setValue(40.0)
    view.slot_b.start.setValue(20.0)
    view.ratio.setValue(30)
    done = []
    view.recognised.connect(done.append)
    view.start()
    wait(app, lambda: done and len(window.constellation_view.peak_points()) > 0)
    window.grab().save(str(args.out / "window-shazam.png"))
    window.plots.setCurrentIndex(2)
    app.processEvents()
    window.grab().save(str(args.out / "window-match.png"))
    window.tabs.setCurrentIndex(1)
    wait(app, lambda: window.library_view.model.rowCount() > 0, 10)
    window.grab().save(str(args.out / "window-library.png"))
    dialog = window.fingerprint_folder(args.folder)
    dialog.start(args.folder)
    wait(app, lambda: not dialog.running, 300)
    dialog.grab().save(str(args.out / "window-fingerprint-dialog.png"))
    if args.recording:
        timeline = window.analyse_recording()
        timeline.resize(1100, 760)
        done.clear()
        timeline.finished_timeline.connect(done.append)
        timeline.analyse(args.recording)
        wait(app, lambda: done, 300)
        segments = timeline.timeline.segments
        timeline.show_segment(next((s for s in segments if s.is_match), segments[0]))
        app.processEvents()
        timeline.grab().save(str(args.out / "window-timeline.png"))
    for leftover in scratch.iterdir():
        leftover.unlink()
    scratch.rmdir()


if __name__ == "__main__":
    main()
