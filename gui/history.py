"""The history of recognitions: `History` keeps it in a CSV file, `HistoryView` shows it.

The file has the columns ``when,source,result,confidence`` (UTF-8, written by the csv module), one row per
recognition in the order they happened; `when` is local ISO 8601 time with its UTC offset.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PyQt5.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from config.paths import default_sqlite_path
from fingerprint.types import RecognitionResult, format_position

log = logging.getLogger(__name__)

FIELDS = ("when", "source", "result", "confidence")
NO_MATCH = "No match"
# Text the file cannot hold (lone surrogates of undecodable file names) is written as backslash escapes.
ENCODING_ERRORS = "backslashreplace"


def default_history_path() -> Path:
    """``history.csv`` in the user's data directory (``platformdirs.user_data_path("shazam-clone")``)."""
    # The folder of the default store: the gui package reaches platformdirs only through config.
    return default_sqlite_path().parent / "history.csv"


@dataclass(frozen=True)
class HistoryEntry:
    """One recognition: when (local time, to the second), what was heard, the answer and its confidence."""

    when: datetime
    source: str
    result: str
    confidence: float

    def __post_init__(self) -> None:
        # Naive times are taken as local; every entry holds an aware local time so that entries compare.
        object.__setattr__(self, "when", self.when.astimezone().replace(microsecond=0))

    @classmethod
    def from_result(
        cls, source: str, result: RecognitionResult, when: datetime | None = None
    ) -> HistoryEntry:
        """The entry of `result`: its matches, best first, or "No match"; `when` defaults to now."""
        if result.is_match:
            text = "; ".join(
                f"{m.song_name} ({m.confidence:.2f}, at {format_position(m.offset_seconds)})"
                for m in result.matches
            )
            confidence = result.matches[0].confidence
        else:
            text, confidence = NO_MATCH, 0.0
        return cls(when or datetime.now(), source, text, float(confidence))

    def row(self) -> tuple[str, str, str, str]:
        """The entry as a CSV row (the columns of `FIELDS`)."""
        return (self.when.isoformat(), self.source, self.result, repr(self.confidence))


class History:
    """The recognitions so far, kept in a CSV file: every `add` is written to it at once."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self._entries = _load(self.path)

    def entries(self) -> list[HistoryEntry]:
        """All entries, newest (last added) first."""
        return self._entries[::-1]

    def add(self, entry: HistoryEntry) -> None:
        """Record `entry` and append it to the file (creating its folders).

        Raises OSError if the file cannot be written; the entry is then kept for this session only.
        """
        self._entries.append(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(size - 1, 0))
            # A file cut off in the middle of a row gets a line end first, so the new row stays readable.
            start = b"\r\n" if size and file.read(1) not in b"\r\n" else b""
            file.write(start + _csv_text([entry], header=not size).encode("utf-8", ENCODING_ERRORS))

    def clear(self) -> None:
        """Forget all entries, leaving a file with the header only. Raises OSError if it cannot be written."""
        _write(self.path, [])
        self._entries.clear()

    def export_csv(self, path: str | os.PathLike[str]) -> None:
        """Write all entries, newest first, to `path` in the columns of the history file (raises OSError)."""
        _write(Path(path), self.entries())


def _csv_text(entries: list[HistoryEntry], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(FIELDS)
    writer.writerows(entry.row() for entry in entries)
    return buffer.getvalue()


def _write(path: Path, entries: list[HistoryEntry]) -> None:
    with open(path, "w", encoding="utf-8", errors=ENCODING_ERRORS, newline="") as file:
        file.write(_csv_text(entries, header=True))


def _load(path: Path) -> list[HistoryEntry]:
    """The entries of the file at `path`, oldest first; none if it is missing, unreadable rows skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as error:
        log.warning("history %s cannot be read, starting empty: %s", path, error)
        return []
    lines = data.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
    entries: list[HistoryEntry] = []
    skipped: list[int] = []
    start = 0
    while start < len(lines):
        row, used = _record(lines, start)
        try:
            if row is None:
                raise ValueError("not a CSV record")
            if row and row != list(FIELDS):
                entries.append(_entry(row))
        except (ValueError, OverflowError):
            # Resume on the next line: a stray quote must not take the rows after it along.
            skipped.append(start + 1)
            used = 1
        start += used
    if skipped:
        log.warning(
            "history %s: skipped %d unreadable line(s), kept %d entries; lines %s",
            path,
            len(skipped),
            len(entries),
            ", ".join(map(str, skipped)),
        )
    return entries


def _record(lines: list[bytes], start: int) -> tuple[list[str] | None, int]:
    """The CSV record starting at `lines[start]` (None if malformed or not UTF-8) and the lines it spans."""
    used = 0

    def decoded():
        nonlocal used
        for line in lines[start:]:
            used += 1
            yield line.decode("utf-8")

    try:
        return next(csv.reader(decoded(), strict=True)), used
    except (csv.Error, UnicodeDecodeError):
        return None, used


def _entry(row: list[str]) -> HistoryEntry:
    when, source, result, confidence = row
    value = float(confidence)
    if not math.isfinite(value):
        raise ValueError(f"confidence {confidence!r}")
    return HistoryEntry(datetime.fromisoformat(when), source, result, value)


class HistoryView(QWidget):
    """The history as a table, newest first, with "Export CSV…" and "Clear"; write errors show in a label."""

    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("history")
        self.table.setHorizontalHeaderLabels(["Time", "Source", "Result"])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("export")
        self.export_button.clicked.connect(self.export)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clear")
        self.clear_button.clicked.connect(self._clear)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020")
        self.error.hide()

        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        for entry in history.entries():
            self._show(entry, self.table.rowCount())
        self._update_buttons()

    def add(self, entry: HistoryEntry) -> None:
        """Record `entry` and show it at the top (also when the file cannot be written: the error says so)."""
        self._hide_error()
        try:
            self.history.add(entry)
        except OSError as error:
            self._show_error(f"Could not save the history to {self.history.path}: {error.strerror or error}")
        self._show(entry, 0)
        self._update_buttons()

    def _ask_export_path(self) -> str | None:
        """The file to export to, asked in a dialog; None if cancelled."""
        path, _ = QFileDialog.getSaveFileName(self, "Export history", "history.csv", "CSV files (*.csv)")
        return path or None

    def _confirm_clear(self) -> bool:
        answer = QMessageBox.question(
            self, "Clear history", "Delete all entries of the history?", QMessageBox.Yes | QMessageBox.No
        )
        return answer == QMessageBox.Yes

    def export(self) -> None:
        """Ask for a file and export the history to it as CSV."""
        path = self._ask_export_path()
        if path is None:
            return
        self._hide_error()
        try:
            self.history.export_csv(path)
        except OSError as error:
            self._show_error(f"Could not export to {path}: {error.strerror or error}")

    def _clear(self) -> None:
        if not self._confirm_clear():
            return
        self._hide_error()
        try:
            self.history.clear()
        except OSError as error:
            self._show_error(f"Could not clear {self.history.path}: {error.strerror or error}")
            return
        self.table.setRowCount(0)
        self._update_buttons()

    def _show(self, entry: HistoryEntry, row: int) -> None:
        self.table.insertRow(row)
        texts = (entry.when.strftime("%Y-%m-%d %H:%M:%S"), entry.source, entry.result)
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            self.table.setItem(row, column, item)

    def _update_buttons(self) -> None:
        has_entries = self.table.rowCount() > 0
        self.export_button.setEnabled(has_entries)
        self.clear_button.setEnabled(has_entries)

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _hide_error(self) -> None:
        self.error.clear()
        self.error.hide()
