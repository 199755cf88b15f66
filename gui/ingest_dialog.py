"""The "Fingerprint folder" dialog: ingest a folder off the GUI thread, with progress, Cancel and a summary.

The ingest runs in a worker thread that opens its own store; progress comes back by a queued signal, and
Cancel sets a flag the ingest reads between files (every song finished so far stays stored).
"""

from __future__ import annotations

import os
from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSignal, pyqtSlot
from PyQt5.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from config.settings import AppConfig
from database.base import Store
from fingerprint.ingest import Ingestor
from fingerprint.types import IngestReport
from gui import StoreOpener
from gui.job_dialog import JobDialog, StoreJob
from gui.workers import run_task

#: File types offered, all ticked by default.
EXTENSIONS = ("mp3", "wav", "ogg", "flac", "m4a", "opus")
# Characters of the current file name shown before it is elided.
_NAME_CHARS = 48


class IngestJob(StoreJob):
    """One folder ingest; reports progress by a (queued) signal."""

    progress = pyqtSignal(int, int, str)

    def __init__(
        self, config: AppConfig, open_store: StoreOpener, folder: str, extensions: list[str], processes: int
    ) -> None:
        super().__init__(config, open_store)
        self._folder = folder
        self._extensions = extensions
        self._processes = processes

    def work(self, store: Store) -> IngestReport:
        """Fingerprint the folder into the store."""
        store.clean_unfinished()
        ingestor = Ingestor(store, self._config.fingerprint, limit_s=self._config.fingerprint_limit)
        return ingestor.fingerprint_directory(
            self._folder,
            self._extensions,
            processes=self._processes,
            progress=self.progress.emit,
            should_cancel=self._cancelled.is_set,
        )


def summary_text(report: IngestReport, done: int, total: int) -> str:
    """ "12 added · 3 already known · 1 failed", and how far a cancelled run got."""
    text = f"{len(report.added)} added · {len(report.skipped)} already known · {len(report.failed)} failed"
    if report.cancelled:
        text += f"\nCancelled after {done} of {total} files"
    return text


class FingerprintFolderDialog(JobDialog):
    """Pick a folder and file types, fingerprint it into the configured store, and show what happened."""

    #: The ingest ended having stored new songs (or stopped on an error after some files, when it may have).
    songs_changed = pyqtSignal()
    #: The IngestReport of an ingest that ended (completed or cancelled).
    finished_report = pyqtSignal(object)
    #: (files done, files in total, file just done), on the GUI thread after the bar moved.
    progressed = pyqtSignal(int, int, str)

    def __init__(
        self,
        config: AppConfig,
        open_store: StoreOpener,
        parent: QWidget | None = None,
        folder: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._config = config
        self._open_store = open_store
        self._job: IngestJob | None = None
        self._done = 0
        self._total = 0
        self.setWindowTitle("Fingerprint folder")
        self._build(folder or "")
        self._set_running(False)

    def _build(self, folder: str) -> None:
        self.folder_edit = QLineEdit(folder)
        self.folder_edit.setObjectName("folder")
        self.folder_edit.setToolTip("The folder whose songs are fingerprinted (sub-folders included)")
        browse = QPushButton("&Browse…")
        browse.setObjectName("browse")
        browse.setAutoDefault(False)
        browse.setToolTip("Choose the folder")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit)
        folder_row.addWidget(browse)

        self.extension_boxes = {}
        types_row = QHBoxLayout()
        for extension in EXTENSIONS:
            box = QCheckBox(extension)
            box.setObjectName(f"extension_{extension}")
            box.setChecked(True)
            box.setToolTip(f"Fingerprint .{extension} files")
            self.extension_boxes[extension] = box
            types_row.addWidget(box)
        types_row.addStretch()

        self.processes = QSpinBox()
        self.processes.setObjectName("processes")
        self.processes.setRange(1, max(64, os.cpu_count() or 1))
        self.processes.setValue(os.cpu_count() or 1)
        self.processes.setToolTip("Worker processes that decode and fingerprint files in parallel")

        form = QFormLayout()
        folder_label = QLabel("&Folder:")
        folder_label.setBuddy(self.folder_edit)
        form.addRow(folder_label, folder_row)
        form.addRow("File types:", types_row)
        form.addRow("&Processes:", self.processes)
        self._inputs = [self.folder_edit, browse, *self.extension_boxes.values(), self.processes]

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progress")
        self.progress_bar.setToolTip("Files done of the files found")
        self.status = QLabel()
        self.status.setObjectName("status")
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.failures = QListWidget()
        self.failures.setObjectName("failures")
        self.failures.setToolTip("Files that could not be fingerprinted, with the reason")
        self.failures.setVisible(False)

        self.start_button = QPushButton("&Start")
        self.start_button.setObjectName("start")
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Fingerprint the folder into the store (Return)")
        self.start_button.clicked.connect(lambda: self.start(self.folder_edit.text()))
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Stop after the files in progress; finished songs stay stored (Escape)")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Close).setAutoDefault(False)
        buttons.button(QDialogButtonBox.Close).setToolTip("Close this window")
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.start_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ActionRole)
        self._close_button = buttons.button(QDialogButtonBox.Close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.failures)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)

    def start(self, folder: str) -> None:
        """Fingerprint `folder` in a worker thread (ignored while an ingest runs)."""
        if self.running:
            return
        self.folder_edit.setText(folder)
        extensions = [e for e, box in self.extension_boxes.items() if box.isChecked()]
        problem = self._check(folder, extensions)
        if problem:
            self.summary.setText(problem)
            return
        self._show_progress(0, 0)
        self.progress_bar.setRange(0, 0)  # busy until the files are counted
        self.status.setText("Looking for files…")
        self.summary.clear()
        self.failures.clear()
        self.failures.setVisible(False)
        job = IngestJob(self._config, self._open_store, folder, extensions, self.processes.value())
        job.progress.connect(self._on_progress)
        self._job = job
        self._set_running(True)
        run_task(job.run, self._on_done)

    @staticmethod
    def _check(folder: str, extensions: list[str]) -> str | None:
        if not folder.strip():
            return "Choose a folder to fingerprint."
        if not Path(folder).is_dir():
            return f"{folder} is not a folder."
        if not extensions:
            return "Tick at least one file type."
        return None

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder to fingerprint", self.folder_edit.text())
        if chosen:
            self.folder_edit.setText(chosen)

    @pyqtSlot(int, int, str)
    def _on_progress(self, done: int, total: int, path: str) -> None:
        self._show_progress(done, total)
        if self._job is not None and not self._job.cancelled:
            name = Path(path).name
            elided = self.status.fontMetrics().elidedText(
                name, Qt.ElideMiddle, self.status.fontMetrics().averageCharWidth() * _NAME_CHARS
            )
            self.status.setText(elided)
            self.status.setToolTip(path)
        self.progressed.emit(done, total, path)

    def _on_done(self, report: IngestReport | None, error: BaseException | None) -> None:
        self._job = None
        self._set_running(False)
        self.status.clear()
        self._show_progress(self._done, self._total)
        if report is None:
            self.summary.setText(f"Fingerprinting stopped: {error}")
            # Songs finished before the error stay stored, so the library may have changed.
            if self._done:
                self.songs_changed.emit()
            return
        if not self._total and not report.cancelled:
            self.summary.setText("No files of the ticked types in this folder.")
        else:
            self.summary.setText(summary_text(report, self._done, self._total))
        for failure in report.failed:
            item = QListWidgetItem(f"{Path(failure.path).name}: {failure.reason}")
            item.setToolTip(failure.path)
            self.failures.addItem(item)
        self.failures.setVisible(bool(report.failed))
        self.finished_report.emit(report)
        if report.added:
            self.songs_changed.emit()

    def _show_progress(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(f"{done} of {total}")

    def _set_running(self, running: bool) -> None:
        for widget in self._inputs:
            widget.setEnabled(not running)
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self._close_button.setEnabled(not running)
