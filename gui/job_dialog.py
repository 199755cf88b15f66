"""A dialog that runs one cancellable background job at a time."""

from __future__ import annotations

from typing import Protocol

from PyQt5.QtCore import pyqtSlot
from PyQt5.QtGui import QCloseEvent
from PyQt5.QtWidgets import QDialog, QLabel, QPushButton


class CancellableJob(Protocol):
    def cancel(self) -> None: ...


class JobDialog(QDialog):
    """Cancel, Escape and closing the window stop a running job first; an idle dialog just closes.

    Subclasses set `_job` while their job runs (None otherwise) and have a `cancel_button` and a
    `status` label.
    """

    _job: CancellableJob | None = None
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
