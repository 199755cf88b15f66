"""A dialog that runs one cancellable background job at a time, and the job it runs."""

from __future__ import annotations

import threading
from typing import Any

from PyQt5.QtCore import QObject, pyqtSlot
from PyQt5.QtGui import QCloseEvent
from PyQt5.QtWidgets import QDialog, QLabel, QPushButton

from config.settings import AppConfig
from database.base import Store
from gui import StoreOpener


class StoreJob(QObject):
    """Work on a store of its own, run by `run` in a worker thread and cancellable from any thread.

    Subclasses do the work in `work(store)`, read `cancelled` (or pass `_cancelled.is_set` on) to stop
    early, and declare their own progress signal.
    """

    def __init__(self, config: AppConfig, open_store: StoreOpener) -> None:
        super().__init__()
        self._config = config
        self._open_store = open_store
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check (thread-safe)."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self) -> Any:
        """Open the store, do the work, close the store."""
        store = self._open_store(self._config)
        try:
            return self.work(store)
        finally:
            store.close()

    def work(self, store: Store) -> Any:
        raise NotImplementedError


class JobDialog(QDialog):
    """Cancel, Escape and closing the window stop a running job first; an idle dialog just closes.

    Subclasses set `_job` while their job runs (None otherwise) and have a `cancel_button` and a
    `status` label.
    """

    _job: StoreJob | None = None
    cancel_button: QPushButton
    status: QLabel

    @property
    def running(self) -> bool:
        return self._job is not None

    @pyqtSlot()
    def cancel(self) -> None:
        """Ask the running job to stop; it ends after the work in flight."""
        if self._job is None:
            return
        self._job.cancel()
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")

    def reject(self) -> None:
        if self.running:
            self.cancel()
        else:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.running:
            self.cancel()
            event.ignore()
        else:
            super().closeEvent(event)
