import socket

import pytest
from PyQt5.QtCore import QSettings
from PyQt5.QtWidgets import QLabel

from config.settings import AppConfig, MySQLSettings, SQLiteSettings
from gui.history import History
from gui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def make_window(qtbot, open_store, tmp_path, settings):
    def make(config):
        window = MainWindow(
            config,
            config_path=str(tmp_path / "dejavu.cnf"),
            open_store=open_store,
            history=History(tmp_path / "history.csv"),
            settings=settings,
        )
        qtbot.addWidget(window)
        window.show()
        return window

    return make


def test_the_status_bar_names_the_store_and_counts_its_songs(qtbot, make_window, filled_config):
    window = make_window(filled_config)
    qtbot.waitUntil(lambda: "3 songs" in window.counts_label.text(), timeout=10_000)
    assert window.store_label.text().startswith("SQLite ")
    assert window.library_view.model.rowCount() == 3


def test_a_shazam_fills_the_cards_the_plots_and_the_history(qtbot, make_window, filled_config, song_folder):
    window = make_window(filled_config)
    view = window.shazam_view
    view.slot_a.set_path(str(song_folder / "Beta.ogg"))
    view.slot_b.set_path(str(song_folder / "Alpha.mp3"))
    view.slot_a.start.setValue(6.0)
    view.ratio.setValue(30)
    with qtbot.waitSignal(view.recognised, timeout=30_000) as blocker:
        view.start()
    recognition = blocker.args[0]
    top = recognition.result.matches[0]
    assert top.song_name == "Beta"
    # The plots hold what the recogniser returned.
    assert len(window.spectrogram_view.peak_points()) > 0
    evidence = recognition.result.evidence[top.song_id]
    assert len(window.match_view.matched_points()) == len(evidence.query_offsets_s)
    qtbot.waitUntil(lambda: len(window.constellation_view.peak_points()) > 0, timeout=10_000)
    assert window.constellation_view.highlight_span()[0] == pytest.approx(top.offset_seconds)
    # ...and the history has it at the top.
    (entry, *_) = window.history_view.history.entries()
    assert entry.source == "Mix: Beta 70% + Alpha 30%"
    assert entry.result.startswith("Beta (")


def test_a_library_song_goes_into_the_first_empty_slot(qtbot, make_window, filled_config, song_folder):
    window = make_window(filled_config)
    qtbot.waitUntil(lambda: window.library_view.model.rowCount() == 3, timeout=10_000)
    songs = {window.library_view.model.song(r).name: window.library_view.model.song(r) for r in range(3)}
    window.library_view.song_chosen.emit(songs["Gamma"].song_id, "Gamma")
    window.library_view.song_chosen.emit(songs["Alpha"].song_id, "Alpha")
    assert window.shazam_view.slot_a.path() == str((song_folder / "Gamma.flac").resolve())
    assert window.shazam_view.slot_b.path() == str((song_folder / "Alpha.mp3").resolve())


def test_theme_ratio_and_layout_are_remembered(qtbot, make_window, filled_config, settings):
    window = make_window(filled_config)
    window.set_theme("dark")
    window.shazam_view.ratio.setValue(45)
    window.close()
    again = make_window(filled_config)
    assert settings.value("theme") == "dark"
    assert again.theme_actions["dark"].isChecked()
    assert again.shazam_view.ratio.value() == 45
    again.set_theme("system")


def test_shortcuts_are_listed(make_window, filled_config):
    window = make_window(filled_config)
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString() for a in window.shortcut_actions()}
    assert shortcuts["Shazam"] == "Ctrl+Return"
    assert shortcuts["Quit"] == "Ctrl+Q"
    assert shortcuts["Open song A…"] == "Ctrl+O"


def test_an_unreachable_mysql_server_is_a_message_and_the_window_stays_usable(
    qtbot, make_window, song_folder
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = AppConfig(
        database_type="mysql",
        database=MySQLSettings(port=port, password="hunter2-secret", connect_timeout_s=2),
    )
    window = make_window(config)
    error = window.library_view.findChild(QLabel, "error")
    qtbot.waitUntil(lambda: "running" in error.text(), timeout=15_000)
    view = window.shazam_view
    view.slot_a.set_path(str(song_folder / "Alpha.mp3"))
    with qtbot.waitSignal(view.failed, timeout=15_000) as blocker:
        view.start()
    assert f"127.0.0.1:{port}" in blocker.args[0]
    assert "hunter2-secret" not in blocker.args[0]
    assert view.shazam.isEnabled()
    assert window.isVisible()


def test_fingerprinting_through_the_window_fills_the_library(qtbot, make_window, empty_config, song_folder):
    window = make_window(empty_config)
    qtbot.waitUntil(lambda: "0 songs" in window.counts_label.text(), timeout=10_000)
    dialog = window.fingerprint_folder(str(song_folder))
    dialog.processes.setValue(1)
    dialog.start(str(song_folder))
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.progress_bar.text() == "3 of 3"
    qtbot.waitUntil(lambda: window.library_view.model.rowCount() == 3, timeout=10_000)
    assert "3 songs" in window.counts_label.text()
    dialog.close()


def test_switching_the_store_updates_the_library_and_status(qtbot, make_window, filled_config, tmp_path):
    window = make_window(AppConfig(database=SQLiteSettings(str(tmp_path / "another.sqlite3"))))
    qtbot.waitUntil(lambda: "0 songs" in window.counts_label.text(), timeout=10_000)
    dialog = window.database_settings()
    with qtbot.waitSignal(dialog.config_changed, timeout=1000):
        dialog.config_changed.emit(filled_config)
    qtbot.waitUntil(lambda: window.library_view.model.rowCount() == 3, timeout=10_000)
    assert "3 songs" in window.counts_label.text()
    assert window.shazam_view.config is filled_config
    dialog.close()


def test_a_recording_is_analysed_from_the_window(qtbot, make_window, filled_config, song_folder):
    window = make_window(filled_config)
    dialog = window.analyse_recording()
    with qtbot.waitSignal(dialog.finished_timeline, timeout=60_000) as blocker:
        dialog.analyse(str(song_folder / "Beta.ogg"))
    (segment,) = blocker.args[0].segments
    assert segment.song_name == "Beta"
    assert segment.song_offset_s == pytest.approx(0.0, abs=1.0)
    assert [label for *_, label in dialog.timeline_canvas.segment_spans()] == ["Beta"]
    dialog.close()
