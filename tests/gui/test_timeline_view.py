"""The timeline canvas and the "songs in a recording" dialog.

Most tests give the dialog analysis functions returning Timeline records built here, in place of
analyse_recording; they run in the dialog's worker thread against a real SQLite store that the dialog opens
and closes. The end-to-end tests run analyse_recording on a recording of two stored songs.
"""

from __future__ import annotations

import csv
import threading
import time

import numpy as np
import pytest
from matplotlib.backend_bases import MouseButton, MouseEvent
from matplotlib.collections import PolyCollection
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QProgressBar, QPushButton, QTableWidget

from database.base import StoreError
from fingerprint.errors import DecodeError
from fingerprint.recognizer import Recognizer
from fingerprint.timeline_types import Segment, Timeline
from fingerprint.types import SongEvidence
from gui.timeline_view import TimelineCanvas, TimelineDialog, describe, format_clock
from tests.audio_files import write_audio
from tests.gui.conftest import GUI_SONGS, RATE
from tests.synth import synth_song

pytestmark = pytest.mark.gui

TIMEOUT_MS = 10_000


def evidence(song_id: int, start_s: float, song_offset_s: float) -> SongEvidence:
    """Six hits on the diagonal of a segment that starts at `start_s` and two chance hits."""
    query = start_s + np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 1.2, 2.7])
    song = query + (song_offset_s - start_s)
    song[-2:] += [40.0, -7.0]
    aligned = np.array([True] * 6 + [False] * 2)
    return SongEvidence(song_id, query, song, aligned)


def make_timeline(cancelled: bool = False) -> Timeline:
    """Alpha 0–40 s, no match 40–55 s, Beta 55–130 s, Alpha again 130–150 s."""
    segments = (
        Segment(0.0, 40.0, 1, "Alpha", 12.5, 0.91, evidence(1, 0.0, 12.5)),
        Segment(40.0, 55.0, None, None, None, 0.0),
        Segment(55.0, 130.0, 2, "Beta", 0.0, 0.77, evidence(2, 55.0, 0.0)),
        Segment(130.0, 150.0, 1, "Alpha", 80.0, 0.64, evidence(1, 130.0, 80.0)),
    )
    return Timeline(segments, duration_s=150.0, elapsed_s=3.2, cancelled=cancelled)


def click(canvas: TimelineCanvas, time_s: float) -> None:
    """Press the left button on the timeline at `time_s`, as matplotlib reports a real click."""
    canvas.canvas.draw()
    x, y = canvas.axes.transData.transform((time_s, 0.0))
    event = MouseEvent("button_press_event", canvas.canvas, x, y, button=MouseButton.LEFT)
    canvas.canvas.callbacks.process("button_press_event", event)


@pytest.fixture
def canvas(qtbot) -> TimelineCanvas:
    view = TimelineCanvas()
    qtbot.addWidget(view)
    return view


class Analysis:
    """An analysis function for the dialog: reports progress, records its call, returns `timeline`."""

    def __init__(self, timeline: Timeline | None = None, error: Exception | None = None) -> None:
        self.timeline = timeline or make_timeline()
        self.error = error
        self.calls: list[tuple[object, str, threading.Thread]] = []

    def __call__(self, recognizer, path, *, progress, should_cancel):
        self.calls.append((recognizer, path, threading.current_thread()))
        progress(0.0, self.timeline.duration_s)
        if self.error is not None:
            raise self.error
        progress(self.timeline.duration_s, self.timeline.duration_s)
        return self.timeline


@pytest.fixture
def make_dialog(qtbot, empty_config, open_store):
    # qtbot holds widgets weakly: kept here, a dialog is not collected while its idle redraws run.
    dialogs = []

    def make(analyse=None, opener=open_store, config=empty_config) -> TimelineDialog:
        extra = {} if analyse is None else {"analyse": analyse}
        dialog = TimelineDialog(config, opener, **extra)
        qtbot.addWidget(dialog)
        dialog.show()
        dialogs.append(dialog)
        return dialog

    return make


def run_analysis(qtbot, dialog: TimelineDialog, path: str = "long.mp3") -> Timeline:
    with qtbot.waitSignal(dialog.finished_timeline, timeout=TIMEOUT_MS) as blocker:
        dialog.analyse(path)
    return blocker.args[0]


def status(dialog: TimelineDialog) -> str:
    return dialog.findChild(QLabel, "status").text()


def table_rows(dialog: TimelineDialog) -> list[list[str]]:
    table = dialog.findChild(QTableWidget, "segments")
    return [
        [table.item(row, col).text() for col in range(table.columnCount())] for row in range(table.rowCount())
    ]


def test_format_clock():
    assert [format_clock(s) for s in (0, 59.9, 60, 125.4, 3600)] == ["0:00", "0:59", "1:00", "2:05", "60:00"]


def test_the_canvas_draws_one_labelled_span_per_segment(canvas):
    canvas.show_timeline(make_timeline())
    assert canvas.segment_spans() == [
        (0.0, 40.0, "Alpha"),
        (40.0, 55.0, "no match"),
        (55.0, 130.0, "Beta"),
        (130.0, 150.0, "Alpha"),
    ]
    labels = [text.get_text() for text in canvas.axes.texts]
    assert labels == ["Alpha", "no match", "Beta", "Alpha"]
    spans = list(canvas.axes.patches)
    # One colour per song: both Alpha spans share theirs, Beta has another; "no match" is hatched.
    assert spans[0].get_facecolor() == spans[3].get_facecolor() != spans[2].get_facecolor()
    assert spans[1].get_hatch() == "//"
    assert spans[1].get_facecolor()[3] == 0
    assert canvas.axes.get_xlim() == (0.0, 150.0)
    assert canvas.axes.xaxis.get_major_formatter()(125.0, 0) == "2:05"
    assert not any(isinstance(c, PolyCollection) for c in canvas.axes.collections)


def test_the_canvas_draws_the_envelope_under_the_spans(canvas):
    envelope = np.abs(np.sin(np.linspace(0, 20, 300)))
    canvas.show_timeline(make_timeline(), envelope, envelope_rate=2.0)
    (filled,) = [c for c in canvas.axes.collections if isinstance(c, PolyCollection)]
    vertices = filled.get_paths()[0].vertices
    assert vertices[:, 0].max() == pytest.approx(149.5)
    assert vertices[:, 1].max() == pytest.approx(1.0, abs=1e-3)
    assert len(canvas.segment_spans()) == 4


def test_a_new_timeline_replaces_the_old_one(canvas):
    canvas.show_timeline(make_timeline())
    canvas.select(make_timeline().segments[0])
    canvas.show_timeline(Timeline((Segment(0.0, 10.0, None, None, None, 0.0),), duration_s=10.0))
    assert canvas.segment_spans() == [(0.0, 10.0, "no match")]
    assert canvas.selected() is None


def test_segment_at_finds_the_span_under_a_time(canvas):
    timeline = make_timeline()
    canvas.show_timeline(timeline)
    assert canvas.segment_at(0.0) == timeline.segments[0]
    assert canvas.segment_at(40.0) == timeline.segments[1]
    assert canvas.segment_at(149.99) == canvas.segment_at(150.0) == timeline.segments[3]
    assert canvas.segment_at(150.5) is None
    assert canvas.segment_at(-1.0) is None


def test_clicking_a_span_selects_and_emits_its_segment(qtbot, canvas):
    timeline = make_timeline()
    canvas.show_timeline(timeline)
    with qtbot.waitSignal(canvas.segment_clicked, timeout=TIMEOUT_MS) as blocker:
        click(canvas, 90.0)
    assert blocker.args == [timeline.segments[2]]
    assert canvas.selected() == timeline.segments[2]
    outlines = [p for p in canvas.axes.patches if not p.get_fill()]
    assert [(p.get_x(), p.get_x() + p.get_width()) for p in outlines][-1] == (55.0, 130.0)

    with qtbot.waitSignal(canvas.segment_clicked, timeout=TIMEOUT_MS) as blocker:
        click(canvas, 45.0)
    assert blocker.args == [timeline.segments[1]]


def test_a_click_while_zooming_belongs_to_the_toolbar(qtbot, canvas):
    canvas.show_timeline(make_timeline())
    canvas.toolbar.zoom()
    with qtbot.assertNotEmitted(canvas.segment_clicked):
        click(canvas, 90.0)
    assert canvas.selected() is None


def test_describe():
    alpha, gap, _, _ = make_timeline().segments
    assert describe(alpha) == "0:00–0:40 · Alpha from 0:12.5 in the song · confidence 0.91"
    assert describe(gap) == "0:40–0:55 · no match"


def test_the_dialog_analyses_in_a_worker_with_its_own_store(qtbot, make_dialog, empty_config, open_store):
    opened, closed = [], []

    def opener(config):
        store = open_store(config)
        opened.append((store, threading.current_thread()))
        close = store.close
        store.close = lambda: (closed.append(threading.current_thread()), close())
        return store

    analysis = Analysis()
    dialog = make_dialog(analysis, opener)
    timeline = run_analysis(qtbot, dialog, "/music/long.mp3")

    assert timeline is analysis.timeline
    ((recognizer, path, worker),) = analysis.calls
    assert path == "/music/long.mp3"
    assert worker is not threading.main_thread()
    assert isinstance(recognizer, Recognizer)
    assert recognizer.params == empty_config.fingerprint
    ((store, opened_in),) = opened
    assert recognizer.store is store
    assert opened_in is worker
    assert closed == [worker]

    bar = dialog.findChild(QProgressBar, "progress")
    assert bar.text() == "2:30 of 2:30"
    assert bar.value() == bar.maximum() == 150
    assert status(dialog) == "2 songs in 4 segments"
    assert table_rows(dialog) == [
        ["0:00–0:40", "Alpha", "0:12.5", "0.91"],
        ["0:40–0:55", "no match", "", ""],
        ["0:55–2:10", "Beta", "0:00.0", "0.77"],
        ["2:10–2:30", "Alpha", "1:20.0", "0.64"],
    ]
    assert dialog.timeline_canvas.segment_spans()[2] == (55.0, 130.0, "Beta")
    assert dialog.findChild(QPushButton, "choose").isEnabled()
    assert not dialog.findChild(QPushButton, "cancel").isEnabled()
    assert dialog.findChild(QPushButton, "export").isEnabled()


def test_clicking_a_segment_shows_its_match(qtbot, make_dialog):
    dialog = make_dialog(Analysis())
    timeline = run_analysis(qtbot, dialog)
    beta = timeline.segments[2]

    with qtbot.waitSignal(dialog.timeline_canvas.segment_clicked, timeout=TIMEOUT_MS):
        click(dialog.timeline_canvas, 100.0)

    details = dialog.findChild(QLabel, "details").text()
    assert details == "0:55–2:10 · Beta from 0:00.0 in the song · confidence 0.77"
    table = dialog.findChild(QTableWidget, "segments")
    assert [index.row() for index in table.selectionModel().selectedRows()] == [2]
    aligned = np.column_stack([beta.evidence.query_offsets_s, beta.evidence.song_offsets_s])[:6]
    np.testing.assert_allclose(dialog.match_view.aligned_points(), aligned)
    np.testing.assert_allclose(dialog.match_view.offset_votes()[0].min(), -55.0 - 7.0)
    assert "-55.00 s wins" in dialog.match_view.votes_axes.get_title()

    # The no-match segment has no picture.
    click(dialog.timeline_canvas, 50.0)
    assert dialog.findChild(QLabel, "details").text() == "0:40–0:55 · no match"
    assert len(dialog.match_view.matched_points()) == 0


def test_choosing_a_table_row_selects_the_segment(qtbot, make_dialog):
    dialog = make_dialog(Analysis())
    timeline = run_analysis(qtbot, dialog)
    table = dialog.findChild(QTableWidget, "segments")
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualItemRect(table.item(3, 1)).center())
    assert dialog.timeline_canvas.selected() == timeline.segments[3]
    assert dialog.findChild(QLabel, "details").text().startswith("2:10–2:30 · Alpha from 1:20.0")
    assert len(dialog.match_view.aligned_points()) == 6


def test_export_writes_one_csv_row_per_segment(qtbot, make_dialog, tmp_path):
    dialog = make_dialog(Analysis())
    run_analysis(qtbot, dialog)
    target = tmp_path / "timeline.csv"
    dialog._ask_export_path = lambda: str(target)
    qtbot.mouseClick(dialog.findChild(QPushButton, "export"), Qt.LeftButton)

    with target.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows == [
        {"start_s": "0.0", "end_s": "40.0", "song": "Alpha", "song_offset_s": "12.5", "confidence": "0.91"},
        {"start_s": "40.0", "end_s": "55.0", "song": "", "song_offset_s": "", "confidence": "0.0"},
        {"start_s": "55.0", "end_s": "130.0", "song": "Beta", "song_offset_s": "0.0", "confidence": "0.77"},
        {
            "start_s": "130.0",
            "end_s": "150.0",
            "song": "Alpha",
            "song_offset_s": "80.0",
            "confidence": "0.64",
        },
    ]
    assert status(dialog) == f"Exported 4 segments to {target}"


def test_an_export_that_cannot_be_written_is_reported(qtbot, make_dialog, tmp_path):
    dialog = make_dialog(Analysis())
    run_analysis(qtbot, dialog)
    dialog._ask_export_path = lambda: str(tmp_path / "missing" / "timeline.csv")
    qtbot.mouseClick(dialog.findChild(QPushButton, "export"), Qt.LeftButton)
    assert status(dialog).startswith("Could not export: ")


def test_export_waits_for_a_timeline(make_dialog):
    dialog = make_dialog(Analysis())
    assert not dialog.findChild(QPushButton, "export").isEnabled()


def test_choose_asks_for_a_recording(qtbot, make_dialog):
    analysis = Analysis()
    dialog = make_dialog(analysis)
    dialog._ask_path = lambda: None
    qtbot.mouseClick(dialog.findChild(QPushButton, "choose"), Qt.LeftButton)
    assert analysis.calls == []
    assert not dialog.running

    dialog._ask_path = lambda: "/music/set.flac"
    with qtbot.waitSignal(dialog.finished_timeline, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.findChild(QPushButton, "choose"), Qt.LeftButton)
    assert [call[1] for call in analysis.calls] == ["/music/set.flac"]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (DecodeError("/music/broken.mp3", "not audio"), "Analysis stopped: /music/broken.mp3: not audio"),
        (RuntimeError(), "Analysis stopped: RuntimeError"),
    ],
)
def test_an_analysis_error_is_shown_and_the_dialog_stays_usable(qtbot, make_dialog, error, message):
    analysis = Analysis(error=error)
    dialog = make_dialog(analysis)
    dialog.analyse("/music/broken.mp3")
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT_MS)
    assert status(dialog) == message
    assert dialog.timeline is None
    assert dialog.findChild(QPushButton, "choose").isEnabled()
    assert not dialog.findChild(QPushButton, "export").isEnabled()

    analysis.error = None
    run_analysis(qtbot, dialog)
    assert len(table_rows(dialog)) == 4


def test_a_store_that_cannot_open_is_shown(qtbot, make_dialog):
    def opener(config):
        raise StoreError("the store is locked")

    analysis = Analysis()
    dialog = make_dialog(analysis, opener)
    dialog.analyse("/music/long.mp3")
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT_MS)
    assert status(dialog) == "Analysis stopped: the store is locked"
    assert dialog.findChild(QProgressBar, "progress").maximum() > 0  # not busy any more
    assert analysis.calls == []
    assert dialog.findChild(QPushButton, "choose").isEnabled()


class Endless:
    """An analysis that reports a third done, then waits for Cancel and returns what it found."""

    def __init__(self) -> None:
        self.timeline = make_timeline(cancelled=True)

    def __call__(self, recognizer, path, *, progress, should_cancel):
        progress(50.0, 150.0)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not should_cancel() and time.monotonic() < deadline:
            time.sleep(0.002)
        return self.timeline


def test_cancel_stops_the_analysis_and_shows_what_it_found(qtbot, make_dialog):
    dialog = make_dialog(Endless())
    bar = dialog.findChild(QProgressBar, "progress")
    cancel = dialog.findChild(QPushButton, "cancel")
    dialog.analyse("/music/long.mp3")
    qtbot.waitUntil(lambda: bar.text() == "0:50 of 2:30", timeout=TIMEOUT_MS)
    assert (bar.value(), bar.maximum()) == (50, 150)
    assert cancel.isEnabled()
    assert not dialog.findChild(QPushButton, "choose").isEnabled()

    with qtbot.waitSignal(dialog.finished_timeline, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(cancel, Qt.LeftButton)
    assert blocker.args[0].cancelled
    assert status(dialog) == "2 songs in 4 segments (cancelled after 0:50)"
    assert bar.text() == "0:50 of 2:30"
    assert len(table_rows(dialog)) == 4


def test_closing_while_analysing_cancels_first(qtbot, make_dialog):
    dialog = make_dialog(Endless())
    bar = dialog.findChild(QProgressBar, "progress")
    dialog.analyse("/music/long.mp3")
    qtbot.waitUntil(lambda: bar.text() == "0:50 of 2:30", timeout=TIMEOUT_MS)
    with qtbot.waitSignal(dialog.finished_timeline, timeout=TIMEOUT_MS):
        dialog.close()
        assert dialog.isVisible()
    dialog.close()
    assert not dialog.isVisible()


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A minute: Alpha's first 30 s, then Beta's (the audio of the stored songs)."""
    samples = np.concatenate(
        [synth_song(GUI_SONGS[name][1], duration_s=30.0, sample_rate=RATE) for name in ("Alpha", "Beta")]
    )
    return write_audio(tmp_path_factory.mktemp("timeline") / "set.wav", samples, sample_rate=RATE)


def test_end_to_end_a_recording_of_two_stored_songs(qtbot, make_dialog, filled_config, recording):
    dialog = make_dialog(config=filled_config)
    timeline = run_analysis(qtbot, dialog, str(recording))

    assert not timeline.cancelled
    assert timeline.duration_s == pytest.approx(60.0, abs=0.5)
    assert [label for _, _, label in dialog.timeline_canvas.segment_spans()] == ["Alpha", "Beta"]
    assert [row[1] for row in table_rows(dialog)] == ["Alpha", "Beta"]
    assert dialog.findChild(QProgressBar, "progress").text() == "1:00 of 1:00"
    assert status(dialog) == "2 songs in 2 segments"

    click(dialog.timeline_canvas, 45.0)
    beta = timeline.segments[1]
    assert dialog.timeline_canvas.selected() == beta
    assert dialog.findChild(QLabel, "details").text() == describe(beta)
    assert len(dialog.match_view.aligned_points()) > 10


def test_end_to_end_a_missing_file_is_reported(qtbot, make_dialog, filled_config, tmp_path):
    dialog = make_dialog(config=filled_config)
    dialog.analyse(str(tmp_path / "nowhere.mp3"))
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT_MS)
    assert status(dialog).startswith("Analysis stopped: ")
    assert "nowhere.mp3" in status(dialog)
    assert dialog.findChild(QPushButton, "choose").isEnabled()
