"""The main window: layout, menus and wiring of the views; the work itself happens in the views."""

from __future__ import annotations

import logging
from pathlib import Path

from PyQt5.QtCore import QSettings, Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QActionGroup,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
)

from config.settings import AppConfig
from fingerprint.analysis import stored_constellation
from fingerprint.ingest import AUDIO_EXTENSIONS, Ingestor
from fingerprint.types import IngestReport
from gui import StoreOpener
from gui.history import History, HistoryEntry, HistoryView
from gui.ingest_dialog import FingerprintFolderDialog
from gui.library import LibraryView
from gui.playback import MixPlayer
from gui.plots import ConstellationView, MatchView, SpectrogramView
from gui.settings_dialog import DatabaseSettingsDialog
from gui.shazam_view import AUDIO_FILTER, Recognition, ShazamView
from gui.theme import THEMES, apply_theme
from gui.timeline_view import TimelineDialog
from gui.workers import run_task

log = logging.getLogger(__name__)

ABOUT = (
    "<h3>Shazam clone</h3>"
    "<p>Recognises songs by their audio fingerprints: spectrogram peaks paired into hashes, looked up in a "
    "store, and votes on the time offset.</p>"
    "<p>Fingerprint your music (File → Fingerprint folder), then mix two songs and press Shazam.</p>"
)


class MainWindow(QMainWindow):
    """Shazam, library and history tabs; plots beside the Shazam view; menus and the status bar."""

    def __init__(
        self,
        config: AppConfig,
        *,
        config_path: str | None,
        open_store: StoreOpener,
        history: History,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.config_path = config_path
        self.open_store = open_store
        self.settings = settings or QSettings()
        self.setWindowTitle("Shazam clone")
        self.shazam_view = ShazamView(config, open_store, settings=self.settings)
        self.spectrogram_view = SpectrogramView()
        self.constellation_view = ConstellationView()
        self.match_view = MatchView()
        self.library_view = LibraryView(config, open_store)
        self.history_view = HistoryView(history)
        self.player = MixPlayer(self)
        self.last_recognition: Recognition | None = None
        self.store_label = QLabel()
        self.counts_label = QLabel()
        self._build_tabs()
        self._build_menus()
        self.statusBar().addWidget(self.store_label, 1)
        self.statusBar().addPermanentWidget(self.counts_label)
        self._connect()
        self._restore_state()
        self.library_view.refresh()

    # --- layout -------------------------------------------------------------------------------------

    def _build_tabs(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.shazam_view.sizeHint().width() + 24)
        scroll.setWidget(self.shazam_view)
        self.plots = QTabWidget()
        self.plots.setObjectName("plots")
        self.plots.addTab(self.spectrogram_view, "Query spectrogram")
        self.plots.addTab(self.constellation_view, "Song constellation")
        self.plots.addTab(self.match_view, "Match")
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("splitter")
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.plots)
        self.splitter.setStretchFactor(1, 2)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.addTab(self.splitter, "Shazam")
        self.tabs.addTab(self.library_view, "Library")
        self.tabs.addTab(self.history_view, "History")
        self.setCentralWidget(self.tabs)

    def _action(
        self, menu, text: str, slot, shortcut: str | QKeySequence | None = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(
            file_menu,
            "Open song &A…",
            lambda: self._open_song(self.shazam_view.slot_a),
            "Ctrl+O",
            "Choose the first song of the mix",
        )
        self._action(
            file_menu,
            "Open song &B…",
            lambda: self._open_song(self.shazam_view.slot_b),
            "Ctrl+Shift+O",
            "Choose the second song of the mix",
        )
        file_menu.addSeparator()
        self._action(
            file_menu,
            "&Fingerprint folder…",
            self.fingerprint_folder,
            "Ctrl+Shift+F",
            "Add every song of a folder to the store",
        )
        self._action(file_menu, "Add &files…", self.add_files, "Ctrl+Shift+A", "Add songs to the store")
        self._action(
            file_menu,
            "Analyse &recording…",
            self.analyse_recording,
            "Ctrl+Shift+R",
            "Find every song in a long recording (a DJ mix, a radio capture) and when it plays",
        )
        self._action(
            file_menu,
            "&Database settings…",
            self.database_settings,
            "Ctrl+,",
            "Choose the store: SQLite or MySQL",
        )
        self._action(file_menu, "&Export history…", self.history_view.export, None, "Save the history as CSV")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q", "Close the window")
        recognise = bar.addMenu("&Recognise")
        self._action(
            recognise, "&Shazam", self.shazam_view.start, "Ctrl+Return", "Mix the songs and recognise"
        )
        self._action(
            recognise,
            "&Listen",
            self.shazam_view.listen.toggle,
            "Ctrl+L",
            "Recognise what the microphone hears; again to stop",
        )
        self._action(recognise, "&Play the mix", self.play_mix, "Ctrl+P", "Hear the mix that was recognised")
        view = bar.addMenu("&View")
        themes = QActionGroup(self)
        self.theme_actions = {}
        for name in THEMES:
            action = self._action(
                view,
                name.capitalize(),
                lambda _=False, n=name: self.set_theme(n),
                None,
                f"{name.capitalize()} colours",
            )
            action.setCheckable(True)
            themes.addAction(action)
            self.theme_actions[name] = action
        help_menu = bar.addMenu("&Help")
        self._action(
            help_menu,
            "&Keyboard shortcuts",
            self.show_shortcuts,
            "F1",
            "List the keyboard shortcuts",
        )
        self._action(help_menu, "&About", self.show_about, None, "About this program")

    def _connect(self) -> None:
        self.shazam_view.recognised.connect(self._on_recognised)
        self.shazam_view.play_requested.connect(self.play_mix)
        self.shazam_view.failed.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        self.library_view.counts_changed.connect(
            lambda songs, fingerprints: self.counts_label.setText(
                f"{songs} songs · {fingerprints:,} fingerprints"
            )
        )
        self.library_view.store_described.connect(self.store_label.setText)
        self.library_view.fingerprint_folder_requested.connect(self.fingerprint_folder)
        self.library_view.add_files_requested.connect(self.add_files)
        self.library_view.song_chosen.connect(self._use_library_song)

    # --- actions ------------------------------------------------------------------------------------

    def _open_song(self, slot) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, f"Choose {slot.title()}", self._last_folder("songs"), AUDIO_FILTER
        )
        if path:
            slot.set_path(path)
            self.settings.setValue("folders/songs", str(Path(path).parent))

    def _last_folder(self, kind: str) -> str:
        return self.settings.value(f"folders/{kind}", "", type=str)

    def fingerprint_folder(self, folder: str | None = None) -> FingerprintFolderDialog:
        dialog = FingerprintFolderDialog(
            self.config, self.open_store, self, folder=folder or self._last_folder("ingest") or None
        )
        dialog.songs_changed.connect(self.library_view.refresh)
        dialog.finished_report.connect(
            lambda _report: self.settings.setValue("folders/ingest", dialog.folder_edit.text())
        )
        dialog.show()
        return dialog

    def add_files(self, paths: list[str] | None = None) -> None:
        """Fingerprint the chosen files in the background; the status bar tells how it went."""
        if paths is None:
            patterns = " ".join(f"*{extension}" for extension in sorted(AUDIO_EXTENSIONS))
            paths, _ = QFileDialog.getOpenFileNames(
                self, "Add songs", self._last_folder("songs"), f"Audio ({patterns});;All files (*)"
            )
        if not paths:
            return
        config, open_store = self.config, self.open_store

        def ingest() -> IngestReport:
            report = IngestReport()
            with open_store(config) as store:
                ingestor = Ingestor(store, config.fingerprint, limit_s=config.fingerprint_limit)
                for path in paths:
                    one = ingestor.fingerprint_file(path)
                    report.added += one.added
                    report.skipped += one.skipped
                    report.failed += one.failed
            return report

        self.statusBar().showMessage(f"Fingerprinting {len(paths)} file(s)…")
        run_task(ingest, self._files_added)

    def _files_added(self, report: IngestReport | None, error: BaseException | None) -> None:
        if error is not None:
            self.statusBar().showMessage(f"Could not add the files: {error}", 15_000)
            return
        message = (
            f"Added {len(report.added)}, already known {len(report.skipped)}, failed {len(report.failed)}"
        )
        if report.failed:
            message += ": " + "; ".join(f"{Path(f.path).name}: {f.reason}" for f in report.failed)
        self.statusBar().showMessage(message, 15_000)
        self.library_view.refresh()

    def analyse_recording(self) -> TimelineDialog:
        dialog = TimelineDialog(self.config, self.open_store, self)
        dialog.show()
        return dialog

    def database_settings(self) -> DatabaseSettingsDialog:
        dialog = DatabaseSettingsDialog(self.config, self.config_path, self.open_store, self)
        dialog.config_changed.connect(self.set_config)
        dialog.show()
        return dialog

    def set_config(self, config: AppConfig) -> None:
        """Use another store everywhere."""
        self.config = config
        self.shazam_view.set_config(config)
        self.library_view.set_config(config)

    def play_mix(self) -> None:
        if self.last_recognition is None:
            self.statusBar().showMessage("Nothing to play yet: press Shazam first.", 5000)
            return
        error = self.player.play(self.last_recognition.samples, self.last_recognition.sample_rate)
        if error:
            self.statusBar().showMessage(error, 10_000)

    def set_theme(self, name: str) -> None:
        apply_theme(name)
        dark = name == "dark"
        for view in (self.spectrogram_view, self.constellation_view, self.match_view):
            view.set_dark(dark)
        self.theme_actions[name].setChecked(True)
        self.settings.setValue("theme", name)

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td>{a.text().replace('&', '')}</td><td><b>{a.shortcut().toString()}</b></td></tr>"
            for a in self.shortcut_actions()
        )
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def shortcut_actions(self) -> list[QAction]:
        """The menu actions that have a keyboard shortcut, in menu order."""
        return [
            action
            for menu in self.menuBar().actions()
            for action in menu.menu().actions()
            if not action.shortcut().isEmpty()
        ]

    def show_about(self) -> None:
        QMessageBox.about(self, "About Shazam clone", ABOUT)

    # --- results ------------------------------------------------------------------------------------

    def _on_recognised(self, recognition: Recognition) -> None:
        self.last_recognition = recognition
        self.history_view.add(HistoryEntry.from_result(recognition.source, recognition.result))
        self.spectrogram_view.show_query(recognition.samples, self.config.fingerprint)
        result = recognition.result
        answer = result.matches[0] if result.matches else result.best_rejected
        if answer is None:
            self.constellation_view.clear()
            self.match_view.clear()
            return
        evidence = result.evidence[answer.song_id]
        self.match_view.show_match(
            evidence.query_offsets_s,
            evidence.song_offsets_s,
            evidence.aligned,
            answer.offset_seconds,
            title=f"{answer.song_name}: matching hashes and votes per offset",
        )
        self._show_song_constellation(
            answer.song_id, answer.song_name, answer.offset_seconds, result.query_duration_s
        )

    def _show_song_constellation(self, song_id: int, name: str, offset_s: float, duration_s: float) -> None:
        config, open_store = self.config, self.open_store

        def load():
            with open_store(config) as store:
                return stored_constellation(*store.song_fingerprints(song_id), config.fingerprint)

        def show(points, error) -> None:
            if error is not None:
                self.statusBar().showMessage(f"Could not read the song's fingerprints: {error}", 10_000)
                return
            self.constellation_view.show_song(
                *points, title=f"{name}: stored peaks", highlight=(offset_s, offset_s + duration_s)
            )

        run_task(load, show)

    def _use_library_song(self, song_id: int, name: str) -> None:
        """Put a library song into the first empty slot (or slot B), if its file is still there."""
        model = self.library_view.model
        rows = (model.song(row) for row in range(model.rowCount()))
        song = next((s for s in rows if s.song_id == song_id), None)
        if song is None or not song.file_path or not Path(song.file_path).is_file():
            self.statusBar().showMessage(f"The file of {name} is not where it was fingerprinted.", 10_000)
            return
        slot = self.shazam_view.slot_b if self.shazam_view.slot_a.path() else self.shazam_view.slot_a
        slot.set_path(song.file_path)
        self.tabs.setCurrentIndex(0)

    # --- state --------------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        splitter = self.settings.value("window/splitter")
        if splitter is None or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([520, 880])
        self.shazam_view.ratio.setValue(self.settings.value("mix/ratio", 30, type=int))
        self.set_theme(self.settings.value("theme", "system", type=str))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("mix/ratio", self.shazam_view.ratio.value())
        self.player.stop()
        super().closeEvent(event)
