"""Running work off the GUI thread and bringing the answer back to it.

`run_task(fn, on_done)` runs `fn()` on Qt's global thread pool and calls ``on_done(result, error)`` on the GUI
thread when it ends: `error` is None on success, else the exception `fn` raised (and `result` None). Widgets
are touched only in `on_done`, never in `fn`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

log = logging.getLogger(__name__)

Done = Callable[[Any, BaseException | None], None]


class _Signals(QObject):
    finished = pyqtSignal(object, object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as error:  # every failure goes back to the GUI thread, none is lost here
            log.debug("background task failed", exc_info=True)
            self.signals.finished.emit(None, error)
        else:
            self.signals.finished.emit(result, None)


# Signal carriers of running tasks, kept alive until their task has reported.
_running: set[_Signals] = set()


def run_task(fn: Callable[[], Any], on_done: Done) -> None:
    """Run `fn` in a worker thread; call ``on_done(result, error)`` on the GUI thread afterwards."""
    signals = _Signals()
    _running.add(signals)

    def deliver(result: Any, error: BaseException | None) -> None:
        _running.discard(signals)
        on_done(result, error)

    # The carrier lives in the GUI thread, so the queued signal runs `deliver` there.
    signals.finished.connect(deliver)
    QThreadPool.globalInstance().start(_Task(fn, signals))
