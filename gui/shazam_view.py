"""The main view: two song slots, a mix ratio, optional noise, the Shazam button and the result cards."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QSettings, Qt, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QShortcut,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from config.settings import AppConfig
from fingerprint.audio import add_white_noise
from fingerprint.listening import Heard
from fingerprint.recognizer import Recognizer
from fingerprint.types import RecognitionResult
from gui import StoreOpener
from gui.listen_panel import ListenPanel
from gui.result_cards import MatchCard, NoMatchCard
from gui.workers import run_task

log = logging.getLogger(__name__)

AUDIO_FILTER = "Audio (*.mp3 *.wav *.ogg *.oga *.opus *.flac *.m4a *.aac);;All files (*)"


@dataclass(frozen=True)
class MixRequest:
    """What the user asked to recognise."""

    path_a: str
    path_b: str | None
    ratio: float  # share of B
    start_a_s: float
    start_b_s: float
    duration_s: float
    snr_db: float | None

    def describe(self) -> str:
        a = Path(self.path_a).stem
        if self.path_b is None:
            return f"{a} from {self.start_a_s:g} s"
        b = Path(self.path_b).stem
        return f"Mix: {a} {1 - self.ratio:.0%} + {b} {self.ratio:.0%}"

    def set_shares(self) -> dict[str, float]:
        """The share of each song in the mix, by file name (empty for a single song)."""
        if self.path_b is None:
            return {}
        return {Path(self.path_a).stem: 1 - self.ratio, Path(self.path_b).stem: self.ratio}


@dataclass(frozen=True)
class Recognition:
    """A finished recognition: where the audio came from, the audio and the answer."""

    source: str  # for people: "Mix: Alpha 70% + Beta 30%", "Microphone: default, 4.0 s"
    samples: np.ndarray
    sample_rate: int
    result: RecognitionResult
    # The share of each song in a mix as set by the user, by name; empty when not a mix.
    set_shares: dict[str, float] = field(default_factory=dict)


class SongSlot(QGroupBox):
    """A song chosen by a file dialog, by dropping a file on it, or from the library; plus a start time."""

    changed = pyqtSignal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setAcceptDrops(True)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Drop an audio file here, browse, or pick a song in the library")
        self.path_edit.setObjectName("path")
        self.path_edit.textChanged.connect(self.changed)
        browse = QPushButton("Browse…")
        browse.setToolTip("Choose an audio file")
        browse.clicked.connect(self._browse)
        self.start = QDoubleSpinBox()
        self.start.setObjectName("start")
        self.start.setRange(0.0, 24 * 3600.0)
        self.start.setSuffix(" s")
        self.start.setToolTip("Where in the song the clip starts")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("File", row)
        form.addRow("Start at", self.start)
        self.last_folder = ""

    def path(self) -> str | None:
        text = self.path_edit.text().strip()
        return text or None

    def set_path(self, path: str) -> None:
        self.path_edit.setText(path)
        self.last_folder = str(Path(path).parent)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Choose {self.title()}", self.last_folder, AUDIO_FILTER)
        if path:
            self.set_path(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        local = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if local:
            self.set_path(local[0])
            event.acceptProposedAction()


class ShazamView(QWidget):
    """Pick two songs and a ratio, press Shazam: the mix is recognised off the GUI thread."""

    #: A recognition ended (a `Recognition`).
    recognised = pyqtSignal(object)
    #: A recognition failed; the message says why.
    failed = pyqtSignal(str)
    #: The user asked to hear the last recognised mix.
    play_requested = pyqtSignal()

    def __init__(
        self,
        config: AppConfig,
        open_store: StoreOpener,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.open_store = open_store
        self.busy = False
        self.listen = ListenPanel(config, open_store, settings or QSettings())
        self.listen.heard.connect(self._heard)
        self.listen.failed.connect(self._listen_failed)
        self.slot_a = SongSlot("Song A")
        self.slot_b = SongSlot("Song B (optional)")
        self.ratio = QSlider(Qt.Horizontal)
        self.ratio.setObjectName("ratio")
        self.ratio.setRange(0, 100)
        self.ratio.setValue(30)
        self.ratio.setToolTip("Share of song B in the mix")
        self.ratio_label = QLabel()
        self.ratio_label.setObjectName("ratio_label")
        self.ratio.valueChanged.connect(self._show_ratio)
        self.duration = QDoubleSpinBox()
        self.duration.setObjectName("duration")
        self.duration.setRange(1.0, 120.0)
        self.duration.setValue(10.0)
        self.duration.setSuffix(" s")
        self.noise = QCheckBox("Add white noise at")
        self.noise.setObjectName("noise")
        self.snr = QDoubleSpinBox()
        self.snr.setObjectName("snr")
        self.snr.setRange(-20.0, 40.0)
        self.snr.setValue(10.0)
        self.snr.setSuffix(" dB SNR")
        self.snr.setToolTip("Signal-to-noise ratio of the noise added to the mix, to test robustness")
        self.shazam = QPushButton("Shazam")
        self.shazam.setObjectName("shazam")
        self.shazam.setDefault(True)
        self.shazam.setMinimumHeight(48)
        self.shazam.setMinimumWidth(160)
        self.shazam.setToolTip("Mix the songs and recognise the mix (Return)")
        self.shazam.clicked.connect(self.start)
        # Return anywhere in this view recognises, as the big button's tooltip promises.
        for key in (Qt.Key_Return, Qt.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self, context=Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.start)
        self.play = QPushButton("Play the mix")
        self.play.setObjectName("play")
        self.play.setToolTip("Hear the mix that was recognised (Ctrl+P)")
        self.play.setEnabled(False)
        self.play.clicked.connect(self.play_requested)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.cards = QVBoxLayout()
        self._build_layout()
        self._show_ratio(self.ratio.value())

    def _build_layout(self) -> None:
        ratio_row = QHBoxLayout()
        ratio_row.addWidget(self.ratio, 1)
        ratio_row.addWidget(self.ratio_label)
        noise_row = QHBoxLayout()
        noise_row.addWidget(self.noise)
        noise_row.addWidget(self.snr)
        noise_row.addStretch(1)
        form = QFormLayout()
        form.addRow("Mix", ratio_row)
        form.addRow("Clip length", self.duration)
        form.addRow("Noise", noise_row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.listen)
        layout.addWidget(self.slot_a)
        layout.addWidget(self.slot_b)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.shazam, 1)
        buttons.addWidget(self.play)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addLayout(self.cards)
        layout.addStretch(1)

    def _show_ratio(self, value: int) -> None:
        self.ratio_label.setText(f"A {100 - value} % · B {value} %")

    def set_config(self, config: AppConfig) -> None:
        self.config = config
        self.listen.set_config(config)

    def request(self) -> MixRequest | None:
        path_a, path_b = self.slot_a.path(), self.slot_b.path()
        if path_a is None:
            path_a, path_b = path_b, None
        if path_a is None:
            return None
        return MixRequest(
            path_a=path_a,
            path_b=path_b,
            ratio=self.ratio.value() / 100.0,
            start_a_s=self.slot_a.start.value() if self.slot_a.path() else self.slot_b.start.value(),
            start_b_s=self.slot_b.start.value(),
            duration_s=self.duration.value(),
            snr_db=self.snr.value() if self.noise.isChecked() else None,
        )

    def start(self) -> None:
        """Recognise the current request in the background (ignored while one is running)."""
        if self.busy:
            return
        request = self.request()
        if request is None:
            self.status.setText(
                "Choose a song first: drop a file on Song A, browse, or pick one in the library."
            )
            return
        self._set_busy(True)
        config, open_store = self.config, self.open_store
        run_task(lambda: recognise(request, config, open_store), self._finished)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.shazam.setEnabled(not busy)
        self.shazam.setText("Recognising…" if busy else "Shazam")
        if busy:
            self.status.setText("Mixing, fingerprinting and looking up…")

    def _finished(self, recognition: Recognition | None, error: BaseException | None) -> None:
        self._set_busy(False)
        if error is not None:
            message = str(error) or type(error).__name__
            self.status.setText(f"Could not recognise: {message}")
            self.failed.emit(message)
            return
        self.status.setText(recognition.source)
        self.play.setEnabled(True)
        self.show_result(recognition)
        self.recognised.emit(recognition)

    def _heard(self, heard: Heard, device: str) -> None:
        duration_s = len(heard.samples) / heard.sample_rate
        recognition = Recognition(
            f"Microphone: {device}, {duration_s:.1f} s", heard.samples, heard.sample_rate, heard.result
        )
        self.status.setText(recognition.source)
        self.play.setEnabled(True)
        self.show_result(recognition)
        self.recognised.emit(recognition)

    def _listen_failed(self, message: str) -> None:
        self.status.setText(f"Could not listen: {message}")
        self.failed.emit(message)

    def show_result(self, recognition: Recognition) -> None:
        while self.cards.count():
            widget = self.cards.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        result = recognition.result
        if not result.is_match:
            self.cards.addWidget(NoMatchCard(result))
            return
        for match in result.matches:
            self.cards.addWidget(
                MatchCard(
                    match,
                    elapsed_s=result.total_time_s,
                    set_share=recognition.set_shares.get(match.song_name),
                )
            )

    def match_cards(self) -> list[QWidget]:
        return [self.cards.itemAt(i).widget() for i in range(self.cards.count())]


def recognise(request: MixRequest, config: AppConfig, open_store: StoreOpener) -> Recognition:
    """Mix, add noise and recognise (runs in a worker thread with its own store)."""
    with open_store(config) as store:
        recognizer = Recognizer(store, config.fingerprint)
        samples = recognizer.load_mix(
            request.path_a,
            request.path_b,
            ratio=request.ratio,
            start_a_s=request.start_a_s,
            start_b_s=request.start_b_s,
            duration_s=request.duration_s,
        )
        if request.snr_db is not None and len(samples):
            samples = add_white_noise(samples, snr_db=request.snr_db, rng=np.random.default_rng())
        rate = config.fingerprint.sample_rate
        # A mix holds two songs: look for the weaker one too even when the louder one is found at once.
        is_mix = request.path_b is not None
        result = recognizer.recognize_samples(samples, sample_rate=rate, exhaustive=is_mix)
        return Recognition(request.describe(), samples, rate, result, request.set_shares())
