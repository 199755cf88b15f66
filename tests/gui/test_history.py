"""The recognition history: its CSV file, the entries made of results, and the table that shows them."""

from __future__ import annotations

import csv
import logging
from datetime import datetime

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QPushButton, QTableWidget

from fingerprint.types import Match, RecognitionResult
from gui.history import FIELDS, History, HistoryEntry, HistoryView, default_history_path

T0 = datetime(2026, 3, 1, 12, 0, 5)


def entry(minute: int, source: str = "File: clip.wav", result: str = "No match", confidence: float = 0.0):
    return HistoryEntry(T0.replace(minute=minute), source, result, confidence)


def match(name: str, confidence: float, offset_seconds: float) -> Match:
    return Match(1, name, "ab" * 20, 100, 500, 40, 0.4, 0.08, 12, offset_seconds, confidence)


def recognition(*matches: Match, best_rejected: Match | None = None) -> RecognitionResult:
    return RecognitionResult(matches, best_rejected, 100, 100, 1, 5.0, 0.1, 0.2, 0.3)


def rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_entries_survive_a_restart_newest_first(tmp_path):
    path = tmp_path / "deep" / "folder" / "history.csv"
    history = History(path)
    first, second = (
        entry(1, "File: a.wav"),
        entry(2, "Mix: Alpha 70 % + Beta 30 %", "Alpha (0.98, at 1:02.5)", 0.98),
    )
    history.add(first)
    history.add(second)
    assert history.entries() == [second, first]
    assert History(path).entries() == [second, first]
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(FIELDS)


def test_a_missing_file_is_an_empty_history(tmp_path):
    assert History(tmp_path / "none.csv").entries() == []


def test_the_default_file_is_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_history_path() == tmp_path / "shazam-clone" / "history.csv"


def test_awkward_names_round_trip(tmp_path):
    names = ['Alpha, "the" song', "Ünïcødé 🎵🎶", "two\nlines", 'only "quotes"', "undecodable \udcff.wav"]
    history = History(tmp_path / "history.csv")
    for minute, name in enumerate(names):
        history.add(entry(minute, f"File: {name}", f"{name} (0.90, at 0:01.0)", 0.9))
    loaded = History(tmp_path / "history.csv").entries()
    assert [e.source for e in loaded[1:]] == [f"File: {name}" for name in reversed(names[:-1])]
    assert loaded[1:] == history.entries()[1:]
    # A lone surrogate (a file name that is not UTF-8) is kept as its escape instead of failing the write.
    assert loaded[0].source == "File: undecodable \\udcff.wav"


def test_export_writes_the_same_rows(tmp_path):
    history = History(tmp_path / "history.csv")
    for minute in range(3):
        history.add(
            entry(minute, f"File: {minute}, 😀.wav", f'"Song {minute}" (0.75, at 0:0{minute}.0)', 0.75)
        )
    target = tmp_path / "export.csv"
    history.export_csv(target)
    exported = rows(target)
    assert list(exported[0]) == list(FIELDS)
    assert exported == [dict(zip(FIELDS, e.row(), strict=True)) for e in history.entries()]


def test_clear_empties_the_file(tmp_path):
    history = History(tmp_path / "history.csv")
    history.add(entry(1))
    history.clear()
    assert history.entries() == []
    assert History(tmp_path / "history.csv").entries() == []
    assert rows(tmp_path / "history.csv") == []


def test_damaged_lines_are_skipped_and_the_rest_kept(tmp_path, caplog):
    path = tmp_path / "history.csv"
    history = History(path)
    for minute in range(3):
        history.add(entry(minute, f"File: {minute}.wav"))
    good = path.read_bytes().splitlines(keepends=True)
    damage = [
        b'2026-03-01T12:09:05+00:00,"File: stray quote.wav,No match,0.0\r\n',
        b"not a date,File: x.wav,No match,0.0\r\n",
        b"2026-03-01T12:09:05+00:00,File: x.wav,No match,nan\r\n",
        b"2026-03-01T12:09:05+00:00,too few fields\r\n",
        b"2026-03-01T12:09:05+00:00,File: \xff\xfe.wav,No match,0.0\r\n",
        b"\r\n",
    ]
    path.write_bytes(good[0] + good[1] + b"".join(damage) + good[2] + good[3])
    with caplog.at_level(logging.WARNING, logger="gui.history"):
        loaded = History(path)
    assert loaded.entries() == history.entries()
    assert "skipped 5 unreadable line(s)" in caplog.text
    assert "lines 3, 4, 5, 6, 7" in caplog.text


def test_a_row_cut_off_by_a_crash_does_not_spoil_the_next_one(tmp_path, caplog):
    path = tmp_path / "history.csv"
    History(path).add(entry(1))
    with open(path, "ab") as file:
        file.write(b'2026-03-01T12:02:05+00:00,"File: cut')
    History(path).add(entry(3))
    with caplog.at_level(logging.WARNING, logger="gui.history"):
        assert History(path).entries() == [entry(3), entry(1)]
    assert "skipped 1 unreadable line(s)" in caplog.text


def test_from_result_lists_the_matches_best_first():
    result = recognition(match("Alpha", 0.983, 62.5), match("Beta", 0.71, 20.0))
    made = HistoryEntry.from_result("Mix: Alpha 70 % + Beta 30 %", result, when=T0.replace(microsecond=123))
    assert made == HistoryEntry(
        T0, "Mix: Alpha 70 % + Beta 30 %", "Alpha (0.98, at 1:02.5); Beta (0.71, at 0:20.0)", 0.983
    )
    assert made.when.microsecond == 0
    assert made.when.tzinfo is not None


def test_from_result_without_a_match():
    before = datetime.now().astimezone().replace(microsecond=0)
    made = HistoryEntry.from_result("File: clip.wav", recognition(best_rejected=match("Gamma", 0.2, 3.0)))
    assert (made.source, made.result, made.confidence) == ("File: clip.wav", "No match", 0.0)
    assert before <= made.when <= datetime.now().astimezone()


@pytest.fixture
def view(qtbot, tmp_path):
    history = History(tmp_path / "history.csv")
    history.add(entry(1, "File: old.wav"))
    widget = HistoryView(history)
    qtbot.addWidget(widget)
    return widget


def table_rows(view: HistoryView) -> list[list[str]]:
    table = view.findChild(QTableWidget, "history")
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


@pytest.mark.gui
def test_the_view_shows_a_new_entry_at_the_top(view, tmp_path):
    table = view.findChild(QTableWidget, "history")
    assert [table.horizontalHeaderItem(c).text() for c in range(3)] == ["Time", "Source", "Result"]
    view.add(entry(2, "Mix: Alpha 70 % + Beta 30 %", "Alpha (0.98, at 1:02.5)", 0.98))
    assert table_rows(view) == [
        ["2026-03-01 12:02:05", "Mix: Alpha 70 % + Beta 30 %", "Alpha (0.98, at 1:02.5)"],
        ["2026-03-01 12:01:05", "File: old.wav", "No match"],
    ]
    assert len(History(tmp_path / "history.csv").entries()) == 2
    assert view.findChild(QLabel, "error").isHidden()


@pytest.mark.gui
def test_export_goes_to_the_chosen_file(view, qtbot, monkeypatch, tmp_path):
    target = tmp_path / "chosen.csv"
    monkeypatch.setattr(view, "_ask_export_path", lambda: str(target))
    qtbot.mouseClick(view.findChild(QPushButton, "export"), Qt.LeftButton)
    assert [r["source"] for r in rows(target)] == ["File: old.wav"]
    assert view.findChild(QLabel, "error").isHidden()


@pytest.mark.gui
def test_cancelling_the_export_writes_nothing(view, qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(view, "_ask_export_path", lambda: None)
    qtbot.mouseClick(view.findChild(QPushButton, "export"), Qt.LeftButton)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]


@pytest.mark.gui
def test_an_unwritable_export_path_shows_the_error(view, qtbot, monkeypatch, tmp_path):
    target = tmp_path / "missing-folder" / "out.csv"
    monkeypatch.setattr(view, "_ask_export_path", lambda: str(target))
    qtbot.mouseClick(view.findChild(QPushButton, "export"), Qt.LeftButton)
    error = view.findChild(QLabel, "error")
    assert not error.isHidden()
    assert str(target) in error.text()
    assert "No such file or directory" in error.text()


@pytest.mark.gui
def test_an_unwritable_history_file_shows_the_error_and_keeps_the_entry(qtbot, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    widget = HistoryView(History(blocker / "history.csv"))
    qtbot.addWidget(widget)
    widget.add(entry(4))
    assert table_rows(widget) == [["2026-03-01 12:04:05", "File: clip.wav", "No match"]]
    assert "Could not save the history" in widget.findChild(QLabel, "error").text()
    assert not widget.findChild(QLabel, "error").isHidden()


@pytest.mark.gui
@pytest.mark.parametrize("confirmed", [True, False])
def test_clear_asks_first(view, qtbot, monkeypatch, tmp_path, confirmed):
    monkeypatch.setattr(view, "_confirm_clear", lambda: confirmed)
    clear = view.findChild(QPushButton, "clear")
    qtbot.mouseClick(clear, Qt.LeftButton)
    remaining = 0 if confirmed else 1
    assert len(table_rows(view)) == remaining
    assert len(History(tmp_path / "history.csv").entries()) == remaining
    assert clear.isEnabled() is not confirmed
    assert view.findChild(QPushButton, "export").isEnabled() is not confirmed


@pytest.mark.gui
def test_an_empty_history_has_nothing_to_export_or_clear(qtbot, tmp_path):
    widget = HistoryView(History(tmp_path / "history.csv"))
    qtbot.addWidget(widget)
    assert table_rows(widget) == []
    assert not widget.findChild(QPushButton, "export").isEnabled()
    assert not widget.findChild(QPushButton, "clear").isEnabled()
