"""Every song in a long recording: a timeline of coloured segments, a table of them and the match picture.

`TimelineCanvas` draws a `Timeline` over the recording's waveform envelope, one span per segment; clicking a
span selects its segment. `TimelineDialog` analyses a recording in a worker thread with a store of its own,
showing progress, and lets a segment be inspected and the list exported.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.backend_bases import MouseEvent
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PyQt5.QtCore import Qt, pyqtSignal, pyqtSlot
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from config.settings import AppConfig
from database.base import Store
from fingerprint.recognizer import Recognizer
from fingerprint.timeline import analyse_recording
from fingerprint.timeline_types import ENVELOPE_RATE, Segment, Timeline
from fingerprint.types import format_position
from gui import StoreOpener
from gui.ingest_dialog import EXTENSIONS
from gui.job_dialog import JobDialog, StoreJob
from gui.plots import DARK, LIGHT, MatchView, _FigureView
from gui.workers import run_task

#: ``analyse(recognizer, path, *, progress, should_cancel) -> Timeline``, as `analyse_recording`.
Analyse = Callable[..., Timeline]
#: CSV columns of an exported timeline.
CSV_COLUMNS = ("start_s", "end_s", "song", "song_offset_s", "confidence")
NO_MATCH = "no match"
# Colours of the songs, in order of first appearance (tab10 reads on light and dark backgrounds).
SONG_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink")
ENVELOPE_COLOUR = "0.8"


def format_clock(seconds: float) -> str:
    """2:05 for 125 s (whole seconds, rounded down)."""
    minutes, rest = divmod(int(max(seconds, 0.0)), 60)
    return f"{minutes}:{rest:02d}"


def _label(segment: Segment) -> str:
    return segment.song_name if segment.is_match else NO_MATCH


def describe(segment: Segment) -> str:
    """One line about a segment: when, which song from where in it, and how sure."""
    when = f"{format_clock(segment.start_s)}–{format_clock(segment.end_s)}"
    if not segment.is_match:
        return f"{when} · {NO_MATCH}"
    return (
        f"{when} · {segment.song_name} from {format_position(segment.song_offset_s)} in the song"
        f" · confidence {segment.confidence:.2f}"
    )


class TimelineCanvas(_FigureView):
    """A recording's segments as coloured spans over its waveform envelope; a click selects a segment."""

    #: The Segment whose span was clicked.
    segment_clicked = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent, dark=dark)
        self.canvas.mpl_connect("button_press_event", self._on_press)

    def _reset(self) -> None:
        super()._reset()
        self._spans: list[tuple[Segment, Rectangle]] = []
        self._selected: Segment | None = None
        self._outline: Rectangle | None = None

    def _build_empty(self) -> None:
        self.axes = self.figure.add_subplot()
        self.axes.set(xlabel="time in the recording (m:ss)", title="Songs in the recording")
        # Whole seconds only: m:ss would print two ticks of one second alike.
        self.axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.axes.xaxis.set_major_formatter(FuncFormatter(lambda seconds, _: format_clock(seconds)))
        self.axes.set_yticks([])
        self.axes.set_ylim(-1.05, 1.05)

    def show_timeline(
        self, timeline: Timeline, envelope: npt.ArrayLike | None = None, envelope_rate: float = 0
    ) -> None:
        """Draw `timeline`'s segments over `envelope` (peak amplitudes, `envelope_rate` a second), if any."""
        self._reset()
        self._build_empty()
        if envelope is not None and envelope_rate > 0:
            peaks = np.abs(np.asarray(envelope, dtype=np.float64))
            scale = peaks.max() if peaks.size and peaks.max() > 0 else 1.0
            times = np.arange(peaks.size) / envelope_rate
            self.axes.fill_between(times, -peaks / scale, peaks / scale, color=ENVELOPE_COLOUR, zorder=1)
        colours: dict[int, str] = {}
        for segment in timeline.segments:
            if segment.is_match:
                colour = colours.setdefault(segment.song_id, SONG_COLOURS[len(colours) % len(SONG_COLOURS)])
                span = self.axes.axvspan(segment.start_s, segment.end_s, color=colour, alpha=0.45, zorder=2)
            else:
                span = self.axes.axvspan(
                    segment.start_s, segment.end_s, facecolor="none", edgecolor="0.55", hatch="//", zorder=2
                )
            self._spans.append((segment, span))
            self.axes.text(
                (segment.start_s + segment.end_s) / 2,
                0.92,
                _label(segment),
                transform=self.axes.get_xaxis_transform(),
                ha="center",
                va="top",
                clip_on=True,
                zorder=4,
            )
        self.axes.set_xlim(0.0, max(timeline.duration_s, 1.0))
        self._finish()

    def segment_spans(self) -> list[tuple[float, float, str]]:
        """The drawn spans as (start s, end s, label), in the timeline's order."""
        return [(span.get_x(), span.get_x() + span.get_width(), _label(s)) for s, span in self._spans]

    def segment_at(self, time_s: float) -> Segment | None:
        """The segment drawn at `time_s` in the recording, None outside every span."""
        for segment, _ in self._spans:
            if segment.start_s <= time_s < segment.end_s:
                return segment
        if self._spans and time_s == self._spans[-1][0].end_s:
            return self._spans[-1][0]
        return None

    def select(self, segment: Segment | None) -> None:
        """Outline `segment`'s span (None: outline nothing)."""
        if self._outline is not None:
            self._outline.remove()
            self._outline = None
        self._selected = segment
        if segment is not None:
            edge = (DARK if self._dark else LIGHT)[2]
            self._outline = self.axes.axvspan(
                segment.start_s, segment.end_s, fill=False, edgecolor=edge, linewidth=2.5, zorder=3
            )
        self.canvas.draw_idle()

    def selected(self) -> Segment | None:
        """The selected segment, None when none is."""
        return self._selected

    def _on_press(self, event: MouseEvent) -> None:
        # While the toolbar zooms or pans, a press belongs to it.
        if event.inaxes is not self.axes or event.xdata is None or self.toolbar.mode:
            return
        segment = self.segment_at(event.xdata)
        if segment is not None:
            self.select(segment)
            self.segment_clicked.emit(segment)


class TimelineJob(StoreJob):
    """One recording's analysis; reports progress by a (queued) signal."""

    #: (seconds analysed, seconds in total)
    progress = pyqtSignal(float, float)

    def __init__(self, config: AppConfig, open_store: StoreOpener, analyse: Analyse, path: str) -> None:
        super().__init__(config, open_store)
        self._analyse = analyse
        self._path = path

    def work(self, store: Store) -> Timeline:
        """Analyse the recording against the store."""
        return self._analyse(
            Recognizer(store, self._config.fingerprint),
            self._path,
            progress=self.progress.emit,
            should_cancel=self._cancelled.is_set,
        )


class TimelineDialog(JobDialog):
    """Choose a recording, find every song in it, inspect a segment's match and export the list.

    `analyse` is called in place of `analyse_recording`, with its arguments.
    """

    #: The Timeline of an analysis that ended (completed or cancelled).
    finished_timeline = pyqtSignal(object)

    def __init__(
        self,
        config: AppConfig,
        open_store: StoreOpener,
        parent: QWidget | None = None,
        *,
        analyse: Analyse = analyse_recording,
    ) -> None:
        super().__init__(parent)
        self._config = config
        self._open_store = open_store
        self._analyse = analyse
        self._job: TimelineJob | None = None
        self._timeline: Timeline | None = None
        self.setWindowTitle("Songs in a recording")
        self._build()
        self._set_running(False)

    def _build(self) -> None:
        self.choose_button = QPushButton("C&hoose recording…")
        self.choose_button.setObjectName("choose")
        self.choose_button.setAutoDefault(False)
        self.choose_button.setToolTip("Choose a long recording and find every song in it")
        self.choose_button.clicked.connect(self._choose)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("progress")
        self.progress_bar.setToolTip("Time of the recording analysed, of its length")
        self._show_progress(0.0, 0.0)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Stop the analysis; the part analysed so far is shown (Escape)")
        self.cancel_button.clicked.connect(self.cancel)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.progress_bar, stretch=1)
        top.addWidget(self.cancel_button)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.timeline_canvas = TimelineCanvas()
        self.timeline_canvas.segment_clicked.connect(self.show_segment)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("segments")
        self.table.setHorizontalHeaderLabels(["Time", "Song", "In the song", "Confidence"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.itemSelectionChanged.connect(self._on_row_selected)
        self.details = QLabel("Click a segment to see its match.")
        self.details.setObjectName("details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.match_view = MatchView()

        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setObjectName("export")
        self.export_button.setAutoDefault(False)
        self.export_button.setToolTip("Save the segments as CSV: " + ",".join(CSV_COLUMNS))
        self.export_button.clicked.connect(self._export)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Close).setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.export_button, QDialogButtonBox.ActionRole)
        self._close_button = buttons.button(QDialogButtonBox.Close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.timeline_canvas, stretch=2)
        layout.addWidget(self.table, stretch=1)
        layout.addWidget(self.details)
        layout.addWidget(self.match_view, stretch=2)
        layout.addWidget(buttons)

    @property
    def timeline(self) -> Timeline | None:
        """The Timeline shown, None before an analysis ended."""
        return self._timeline

    def analyse(self, path: str) -> None:
        """Find every song in the recording at `path` in a worker thread (ignored while one runs)."""
        if self.running:
            return
        self._show_timeline(None)
        self._show_progress(0.0, 0.0)
        self.progress_bar.setRange(0, 0)  # busy until the length is known
        self.status.setText(f"Analysing {Path(path).name}…")
        self.status.setToolTip(path)
        job = TimelineJob(self._config, self._open_store, self._analyse, path)
        job.progress.connect(self._on_progress)
        self._job = job
        self._set_running(True)
        run_task(job.run, self._on_done)

    @pyqtSlot(object)
    def show_segment(self, segment: Segment) -> None:
        """Select `segment` in the timeline and the table, and show its details and match picture."""
        self.timeline_canvas.select(segment)
        row = self._timeline.segments.index(segment)
        self.table.blockSignals(True)
        self.table.selectRow(row)
        self.table.blockSignals(False)
        self.details.setText(describe(segment))
        evidence = segment.evidence
        if evidence is None:
            self.match_view.clear()
            return
        self.match_view.show_match(
            evidence.query_offsets_s,
            evidence.song_offsets_s,
            evidence.aligned,
            segment.song_offset_s - segment.start_s,
            title=f"{segment.song_name} at {format_clock(segment.start_s)} in the recording",
        )

    def export_csv(self, path: str) -> None:
        """Write the shown segments to `path` as CSV (song and song offset empty for no match)."""
        with open(path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(CSV_COLUMNS)
            for segment in self._timeline.segments:
                row = segment.to_dict()
                writer.writerow(
                    [
                        row["start_s"],
                        row["end_s"],
                        segment.song_name or "",
                        "" if row["song_offset_s"] is None else row["song_offset_s"],
                        row["confidence"],
                    ]
                )

    def _ask_path(self) -> str | None:
        patterns = " ".join(f"*.{extension}" for extension in EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(
            self, "Recording to analyse", "", f"Audio ({patterns});;All files (*)"
        )
        return path or None

    def _ask_export_path(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the segments", "timeline.csv", "CSV (*.csv)")
        return path or None

    def _choose(self) -> None:
        path = self._ask_path()
        if path:
            self.analyse(path)

    def _export(self) -> None:
        path = self._ask_export_path()
        if not path:
            return
        try:
            self.export_csv(path)
        except OSError as error:
            self.status.setText(f"Could not export: {error}")
        else:
            self.status.setText(f"Exported {len(self._timeline.segments)} segments to {path}")

    @pyqtSlot(float, float)
    def _on_progress(self, done_s: float, total_s: float) -> None:
        self._show_progress(done_s, total_s)

    def _on_done(self, timeline: Timeline | None, error: BaseException | None) -> None:
        self._job = None
        self._set_running(False)
        if timeline is None:
            self._show_progress(self._done_s, self._total_s)  # no longer busy
            self.status.setText(f"Analysis stopped: {str(error) or type(error).__name__}")
            return
        self._show_timeline(timeline)
        if not timeline.cancelled:
            self._show_progress(timeline.duration_s, timeline.duration_s)
        songs = len({s.song_id for s in timeline.segments if s.is_match})
        text = f"{songs} song{'' if songs == 1 else 's'} in {len(timeline.segments)} segments"
        if timeline.cancelled:
            text += f" (cancelled after {format_clock(self._done_s)})"
        self.status.setText(text)
        self.finished_timeline.emit(timeline)

    def _on_row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and self._timeline is not None:
            self.show_segment(self._timeline.segments[rows[0].row()])

    def _show_timeline(self, timeline: Timeline | None) -> None:
        self._timeline = timeline
        self.table.setRowCount(0)
        self.details.setText("Click a segment to see its match.")
        self.match_view.clear()
        self.export_button.setEnabled(timeline is not None)
        if timeline is None:
            self.timeline_canvas.clear()
            return
        self.timeline_canvas.show_timeline(timeline, timeline.envelope, ENVELOPE_RATE)
        self.table.setRowCount(len(timeline.segments))
        for row, segment in enumerate(timeline.segments):
            cells = [
                f"{format_clock(segment.start_s)}–{format_clock(segment.end_s)}",
                _label(segment),
                format_position(segment.song_offset_s) if segment.is_match else "",
                f"{segment.confidence:.2f}" if segment.is_match else "",
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def _show_progress(self, done_s: float, total_s: float) -> None:
        self._done_s, self._total_s = done_s, total_s
        self.progress_bar.setRange(0, max(round(total_s), 1))
        self.progress_bar.setValue(min(round(done_s), max(round(total_s), 1)))
        self.progress_bar.setFormat(f"{format_clock(done_s)} of {format_clock(total_s)}")

    def _set_running(self, running: bool) -> None:
        self.choose_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self._close_button.setEnabled(not running)
        self.export_button.setEnabled(not running and self._timeline is not None)
