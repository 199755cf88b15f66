"""Listening to the microphone: an input device, Listen/Stop, a live level meter and the elapsed time."""

from __future__ import annotations

import threading
import time

from PyQt5.QtCore import QSettings, QTimer, pyqtSignal
from PyQt5.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from config.settings import AppConfig
from fingerprint.listening import Heard, listen
from fingerprint.microphone import InputDevice, list_input_devices
from fingerprint.recognizer import Recognizer
from fingerprint.types import RecognitionResult
from gui import StoreOpener
from gui.workers import run_task

#: The level meter's range, in dB relative to full scale.
METER_FLOOR_DB = -60.0
LISTEN_SECONDS = 15.0


class ListenPanel(QGroupBox):
    """Listens for up to 15 s, recognising every 2 s; stops on a confident match, at the limit, or on Stop."""

    #: Listening ended with an answer: (Heard, device name).
    heard = pyqtSignal(object, str)
    #: Listening could not start or failed; the message says why.
    failed = pyqtSignal(str)
    #: The device records now.
    started = pyqtSignal()
    # From the worker and audio threads to the GUI thread.
    _level = pyqtSignal(float)
    _partial = pyqtSignal(float, object)

    def __init__(
        self,
        config: AppConfig,
        open_store: StoreOpener,
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Listen", parent)
        self.config = config
        self.open_store = open_store
        self.settings = settings
        self.devices = QComboBox()
        self.devices.setObjectName("device")
        self.devices.setToolTip("The input device to listen to (remembered)")
        self.devices.currentIndexChanged.connect(self._remember_device)
        refresh = QPushButton("↻")
        refresh.setToolTip("Look for input devices again")
        refresh.clicked.connect(self.refresh_devices)
        self.button = QPushButton("Listen")
        self.button.setObjectName("listen")
        self.button.setToolTip("Recognise what the microphone hears (up to 15 s)")
        self.button.clicked.connect(self.toggle)
        self.meter = QProgressBar()
        self.meter.setObjectName("meter")
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setToolTip("Input level")
        self.elapsed = QLabel()
        self.elapsed.setObjectName("elapsed")
        self.peak_level = 0  # the meter's highest reading in this session (for people and tests)
        self._stop = threading.Event()
        self._started_at = 0.0
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._level.connect(self._show_level)
        self._partial.connect(self._show_partial)
        row = QHBoxLayout(self)
        row.addWidget(self.devices, 1)
        row.addWidget(refresh)
        row.addWidget(self.button)
        row.addWidget(self.meter, 1)
        row.addWidget(self.elapsed)
        self.refresh_devices()

    @property
    def listening(self) -> bool:
        return self._clock.isActive()

    def set_config(self, config: AppConfig) -> None:
        self.config = config

    def refresh_devices(self) -> None:
        """Fill the device list (in the background: PortAudio may take a moment)."""
        run_task(list_input_devices, self._show_devices)

    def _show_devices(self, devices: list[InputDevice] | None, error: BaseException | None) -> None:
        remembered = self.settings.value("audio/input_device", "", type=str)
        self.devices.blockSignals(True)
        self.devices.clear()
        for device in devices or []:
            self.devices.addItem(device.name + (" (default)" if device.is_default else ""), device.name)
        if error is not None or not devices:
            self.devices.addItem("No input device", "")
            self.elapsed.setText(str(error) if error else "No input device found.")
        found = self.devices.findData(remembered)
        self.devices.setCurrentIndex(found if found >= 0 else 0)
        self.devices.blockSignals(False)

    def _remember_device(self) -> None:
        self.settings.setValue("audio/input_device", self.devices.currentData() or "")

    def toggle(self) -> None:
        if self.listening:
            self.stop()
        else:
            self.start()

    def stop(self) -> None:
        """End listening now; what was heard so far is recognised."""
        self._stop.set()

    def start(self, device: str | None = None) -> None:
        if self.listening:
            return
        device = device if device is not None else (self.devices.currentData() or None)
        config, open_store = self.config, self.open_store
        self._stop.clear()
        self.peak_level = 0
        self.button.setText("Stop")
        self.elapsed.setText("Starting…")
        self._started_at = time.monotonic()
        self._clock.start(200)

        def work() -> tuple[Heard, str]:
            with open_store(config) as store:
                heard = listen(
                    Recognizer(store, config.fingerprint),
                    seconds=LISTEN_SECONDS,
                    device=device,
                    on_level=self._level.emit,
                    on_result=self._partial.emit,
                    on_started=self.started.emit,
                    should_stop=self._stop.is_set,
                )
            return heard, device or "default input"

        run_task(work, self._finished)

    def _tick(self) -> None:
        self.elapsed.setText(f"{time.monotonic() - self._started_at:4.1f} s")

    def _show_level(self, db: float) -> None:
        value = round(100 * (max(db, METER_FLOOR_DB) - METER_FLOOR_DB) / -METER_FLOOR_DB)
        self.meter.setValue(value)
        self.peak_level = max(self.peak_level, value)

    def _show_partial(self, elapsed_s: float, result: RecognitionResult) -> None:
        best = result.matches[0].song_name if result.matches else "no match yet"
        self.elapsed.setText(f"{elapsed_s:4.1f} s: {best}")

    def _finished(self, outcome: tuple[Heard, str] | None, error: BaseException | None) -> None:
        self._clock.stop()
        self.meter.setValue(0)
        self.button.setText("Listen")
        if error is not None:
            message = str(error) or type(error).__name__
            self.elapsed.setText(message)
            self.failed.emit(message)
            return
        heard, device = outcome
        self.elapsed.setText(f"{len(heard.samples) / heard.sample_rate:.1f} s heard")
        self.heard.emit(heard, device)
