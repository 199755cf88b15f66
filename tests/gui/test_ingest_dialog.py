"""The "Fingerprint folder" dialog, driven through its widgets against a real SQLite store."""

from __future__ import annotations

import shutil
import socket
import threading

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QLineEdit, QListWidget, QProgressBar, QPushButton

from config.settings import AppConfig, MySQLSettings
from gui.ingest_dialog import FingerprintFolderDialog
from tests.audio_files import write_audio
from tests.gui.conftest import GUI_SONGS, RATE
from tests.synth import synth_song

pytestmark = pytest.mark.gui

# Generous: an ingest encodes nothing but decodes and fingerprints real files (and spawns processes).
TIMEOUT_MS = 60_000
MANY_SONGS = 12


@pytest.fixture
def make_dialog(qtbot, open_store):
    def make(config: AppConfig, processes: int = 1, opener=open_store) -> FingerprintFolderDialog:
        dialog = FingerprintFolderDialog(config, opener)
        qtbot.addWidget(dialog)
        dialog.processes.setValue(processes)
        dialog.show()
        return dialog

    return make


@pytest.fixture(scope="module")
def many_songs(tmp_path_factory):
    """Twelve short encoded songs, enough for a cancel to land half-way."""
    folder = tmp_path_factory.mktemp("many-songs")
    for index in range(MANY_SONGS):
        song = synth_song(100 + index, duration_s=15.0, sample_rate=RATE)
        write_audio(folder / f"Song {index:02d}.mp3", song, sample_rate=RATE)
    return folder


class GatedStore:
    """A real store whose adds after the first wait for `gate`, so that Cancel surely lands half-way."""

    def __init__(self, store, gate: threading.Event) -> None:
        self._store = store
        self._gate = gate
        self._adds = 0

    def add_song(self, *args, **kwargs):
        if self._adds:
            self._gate.wait(TIMEOUT_MS / 1000)
        self._adds += 1
        return self._store.add_song(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._store, name)


def run_ingest(qtbot, dialog: FingerprintFolderDialog, folder) -> object:
    """Start `folder` with the Start button and return the IngestReport the dialog ends with."""
    with qtbot.waitSignal(dialog.finished_report, timeout=TIMEOUT_MS) as blocker:
        dialog.findChild(QLineEdit, "folder").setText(str(folder))
        qtbot.mouseClick(dialog.findChild(QPushButton, "start"), Qt.LeftButton)
    return blocker.args[0]


def summary(dialog: FingerprintFolderDialog) -> str:
    return dialog.findChild(QLabel, "summary").text()


def failures(dialog: FingerprintFolderDialog) -> list[str]:
    listing = dialog.findChild(QListWidget, "failures")
    return [listing.item(row).text() for row in range(listing.count())]


def test_fingerprints_a_folder(qtbot, make_dialog, empty_config, open_store, song_folder):
    dialog = make_dialog(empty_config)
    with qtbot.waitSignal(dialog.songs_changed, timeout=TIMEOUT_MS):
        report = run_ingest(qtbot, dialog, song_folder)

    bar = dialog.findChild(QProgressBar, "progress")
    assert (bar.value(), bar.maximum()) == (3, 3)
    assert bar.text() == "3 of 3"
    assert len(report.added) == 3
    assert summary(dialog) == "3 added · 0 already known · 0 failed"
    assert failures(dialog) == []
    assert dialog.findChild(QPushButton, "start").isEnabled()
    with open_store(empty_config) as store:
        assert sorted(song.name for song in store.songs()) == sorted(GUI_SONGS)


def test_a_second_run_finds_every_song_known(qtbot, make_dialog, filled_config, song_folder):
    dialog = make_dialog(filled_config)
    with qtbot.assertNotEmitted(dialog.songs_changed):
        report = run_ingest(qtbot, dialog, song_folder)
    assert len(report.skipped) == 3
    assert summary(dialog) == "0 added · 3 already known · 0 failed"


def test_two_processes(qtbot, make_dialog, empty_config, open_store, song_folder):
    dialog = make_dialog(empty_config, processes=2)
    report = run_ingest(qtbot, dialog, song_folder)
    assert len(report.added) == 3
    with open_store(empty_config) as store:
        assert len(store.songs()) == 3


def test_a_corrupt_file_is_listed_and_the_good_ones_stored(
    qtbot, make_dialog, empty_config, open_store, song_folder, tmp_path
):
    folder = tmp_path / "mixed"
    shutil.copytree(song_folder, folder)
    (folder / "Broken.mp3").write_bytes(b"these bytes are not audio at all " * 100)
    dialog = make_dialog(empty_config)

    report = run_ingest(qtbot, dialog, folder)

    assert [failure.path for failure in report.failed] == [str(folder / "Broken.mp3")]
    assert summary(dialog) == "3 added · 0 already known · 1 failed"
    (listed,) = failures(dialog)
    assert listed.startswith("Broken.mp3: ")
    assert report.failed[0].reason in listed
    with open_store(empty_config) as store:
        assert len(store.songs()) == 3


def test_unticked_types_are_left_alone(qtbot, make_dialog, empty_config, song_folder):
    dialog = make_dialog(empty_config)
    dialog.extension_boxes["ogg"].setChecked(False)
    report = run_ingest(qtbot, dialog, song_folder)
    assert len(report.added) == 2


def test_cancel_half_way_keeps_complete_songs_and_a_rerun_finishes(
    qtbot, make_dialog, empty_config, open_store, many_songs
):
    gate = threading.Event()
    dialog = make_dialog(empty_config, opener=lambda config: GatedStore(open_store(config), gate))
    cancel = dialog.findChild(QPushButton, "cancel")
    seen_while_cancelling = []

    def cancel_at_first_file(done, total, path):
        if cancel.isEnabled():
            qtbot.mouseClick(cancel, Qt.LeftButton)
            seen_while_cancelling.append(dialog.findChild(QLabel, "status").text())
            gate.set()

    dialog.progressed.connect(cancel_at_first_file)
    report = run_ingest(qtbot, dialog, many_songs)

    assert seen_while_cancelling == ["Cancelling…"]
    assert report.cancelled
    stored = len(report.added)
    assert 1 <= stored < MANY_SONGS
    assert f"Cancelled after {stored} of {MANY_SONGS} files" in summary(dialog)
    with open_store(empty_config) as store:
        assert len(store.songs()) == stored
        for index in range(MANY_SONGS):
            for song in store.find_songs(f"Song {index:02d}"):
                assert song.fingerprinted
                assert song.total_hashes == len(store.song_fingerprints(song.song_id)[0])

    rerun = run_ingest(qtbot, make_dialog(empty_config), many_songs)
    assert not rerun.cancelled
    assert (len(rerun.skipped), len(rerun.added)) == (stored, MANY_SONGS - stored)
    with open_store(empty_config) as store:
        assert len(store.songs()) == MANY_SONGS


def test_escape_cancels_a_running_ingest(qtbot, make_dialog, empty_config, open_store, many_songs):
    gate = threading.Event()
    dialog = make_dialog(empty_config, opener=lambda config: GatedStore(open_store(config), gate))

    def escape(*_):
        qtbot.keyClick(dialog, Qt.Key_Escape)
        gate.set()

    dialog.progressed.connect(escape)
    with qtbot.waitSignal(dialog.finished_report, timeout=TIMEOUT_MS) as blocker:
        dialog.start(str(many_songs))
    assert blocker.args[0].cancelled
    assert dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key_Escape)
    assert not dialog.isVisible()


def test_return_starts(qtbot, make_dialog, empty_config, song_folder):
    dialog = make_dialog(empty_config)
    dialog.folder_edit.setText(str(song_folder))
    with qtbot.waitSignal(dialog.finished_report, timeout=TIMEOUT_MS) as blocker:
        qtbot.keyClick(dialog.folder_edit, Qt.Key_Return)
    assert len(blocker.args[0].added) == 3


def test_an_unreachable_server_is_reported_and_the_dialog_stays_usable(
    qtbot, make_dialog, open_store, song_folder
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = AppConfig(
        database_type="mysql", database=MySQLSettings(host="127.0.0.1", port=port, connect_timeout_s=2)
    )
    dialog = make_dialog(config)
    start = dialog.findChild(QPushButton, "start")

    with qtbot.assertNotEmitted(dialog.finished_report):
        dialog.start(str(song_folder))
        qtbot.waitUntil(start.isEnabled, timeout=TIMEOUT_MS)

    assert f"127.0.0.1:{port}" in summary(dialog)
    assert "server" in summary(dialog)
    assert not dialog.findChild(QPushButton, "cancel").isEnabled()


def test_a_folder_that_is_not_there_is_explained(qtbot, make_dialog, empty_config, tmp_path):
    dialog = make_dialog(empty_config)
    dialog.start(str(tmp_path / "missing"))
    assert "is not a folder" in summary(dialog)
    assert dialog.findChild(QPushButton, "start").isEnabled()


def test_a_folder_without_songs_says_so(qtbot, make_dialog, empty_config, tmp_path):
    dialog = make_dialog(empty_config)
    (tmp_path / "notes.txt").write_text("not a song")
    report = run_ingest(qtbot, dialog, tmp_path)
    assert (report.added, report.failed) == ([], [])
    assert summary(dialog) == "No files of the ticked types in this folder."
