"""The MySQL server stops or restarts under a running ingest, a recognising process and the window.

These tests stop and start a MariaDB server of their own, so the session's server is never disturbed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt5.QtCore import QSettings

from config.settings import AppConfig, MySQLSettings
from database import open_store
from database.base import StoreUnavailableError
from fingerprint.ingest import Ingestor
from fingerprint.recognizer import Recognizer
from gui.history import History
from gui.main_window import MainWindow
from main import open_configured_store
from tests.audio_files import write_audio
from tests.mariadb import MariaDBServer, missing_binaries
from tests.required import skip_or_fail
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent.parent
RATE = 16_000
SONG_COUNT = 16
SECRET_FREE = MariaDBServer.password

pytestmark = [pytest.mark.mysql, pytest.mark.slow]


@pytest.fixture(scope="module")
def server() -> Iterator[MariaDBServer]:
    """A MariaDB server these tests may stop and start."""
    missing = missing_binaries()
    if missing:
        skip_or_fail(f"MariaDB server programs not found ({', '.join(missing)})", required_by="REQUIRE_MYSQL")
    with MariaDBServer() as started:
        yield started


@pytest.fixture
def running(server) -> Iterator[MariaDBServer]:
    """The server, running at the start and at the end of the test whatever it did."""
    yield server
    if server._process is None or server._process.poll() is not None:
        server.resume()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    music = tmp_path_factory.mktemp("music")
    for index in range(SONG_COUNT):
        song = synth_song(400 + index, duration_s=40.0, sample_rate=RATE)
        write_audio(music / f"track {index:02}.mp3", song, sample_rate=RATE)
    return music


def mysql_config(options: dict[str, object]) -> AppConfig:
    return AppConfig(database_type="mysql", database=MySQLSettings(**options, connect_timeout_s=2))


def stored(options: dict[str, object]) -> dict[str, tuple[bool, int, int]]:
    """name -> (fingerprinted, hash count recorded, fingerprints stored) of every row in `songs`."""
    with open_store("mysql", **options) as store:
        rows = store._query("SELECT song_id, name, fingerprinted, total_hashes FROM songs")
        return {
            name: (bool(done), total or 0, len(store.song_fingerprints(song_id)[0]))
            for song_id, name, done, total in rows
        }


def finished(options: dict[str, object]) -> int:
    return sum(done for done, _, _ in stored(options).values())


def ingest_command(config: Path, folder: Path) -> list[str]:
    command = [sys.executable, str(ROOT / "main.py"), "--config", str(config)]
    return [*command, "--fingerprint", str(folder), ".mp3", "--processes", "1"]


def test_a_server_stopped_mid_ingest_is_a_clear_error_and_the_rerun_completes(running, folder, tmp_path):
    options = running.create_database()
    config = tmp_path / "dejavu.cnf"
    config.write_text(json.dumps({"database_type": "mysql", "database": {**options, "connect_timeout_s": 2}}))
    process = subprocess.Popen(
        ingest_command(config, folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # Stop the server once the ingest has stored a few songs and is busy with the next ones.
    deadline = time.monotonic() + 60
    while finished(options) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    running.halt()
    out, err = process.communicate(timeout=60)
    running.resume()
    assert process.returncode == 2, (out, err)
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: "), err
    assert f"MySQL at 127.0.0.1:{running.port}" in lines[-1]
    assert f"Is the MySQL server running at 127.0.0.1:{running.port}?" in lines[-1]
    assert "Traceback" not in err
    assert SECRET_FREE not in out + err
    # Whatever was in flight is not marked fingerprinted; every song marked so is complete.
    partial = stored(options)
    assert 3 <= finished(options) < SONG_COUNT
    for name, (done, recorded, rows) in partial.items():
        if done:
            assert recorded == rows > 0, name
    rerun = subprocess.run(ingest_command(config, folder), capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    final = stored(options)
    assert sorted(final) == [f"track {i:02}" for i in range(SONG_COUNT)]
    assert all(done and recorded == rows > 0 for done, recorded, rows in final.values())
    running.drop_database(options["database"])


@pytest.fixture
def filled(running, folder) -> Iterator[dict[str, object]]:
    """A database holding four of the songs."""
    options = running.create_database()
    with open_configured_store(mysql_config(options)) as store:
        ingestor = Ingestor(store, AppConfig().fingerprint)
        for index in range(4):
            assert ingestor.fingerprint_file(folder / f"track {index:02}.mp3").added
    yield options
    if running._process.poll() is None:
        running.drop_database(options["database"])


def test_one_process_recognises_across_a_restart_and_says_clearly_when_the_server_is_down(
    running, filled, folder
):
    config = mysql_config(filled)
    with open_configured_store(config) as store:
        recognizer = Recognizer(store, config.fingerprint)
        clip = folder / "track 02.mp3"
        assert recognizer.recognize_file(clip, start_s=20, duration_s=5).matches[0].song_name == "track 02"
        running.halt()
        running.resume()
        # The next recognition reconnects by itself.
        assert recognizer.recognize_file(clip, start_s=30, duration_s=5).matches[0].song_name == "track 02"
        running.halt()
        with pytest.raises(StoreUnavailableError) as down:
            recognizer.recognize_file(clip, start_s=10, duration_s=5)
        assert str(down.value).endswith(f"Is the MySQL server running at 127.0.0.1:{running.port}?")
        assert SECRET_FREE not in str(down.value)
        running.resume()
        assert recognizer.recognize_file(clip, start_s=25, duration_s=5).matches[0].song_name == "track 02"


@pytest.mark.gui
def test_the_window_recognises_across_a_restart_and_stays_usable_while_the_server_is_down(
    qtbot, running, filled, folder, tmp_path
):
    window = MainWindow(
        mysql_config(filled),
        config_path=str(tmp_path / "dejavu.cnf"),
        open_store=open_configured_store,
        history=History(tmp_path / "history.csv"),
        settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat),
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: "4 songs" in window.counts_label.text(), timeout=15_000)
    view = window.shazam_view
    view.slot_a.set_path(str(folder / "track 01.mp3"))
    view.slot_a.start.setValue(20.0)

    def shazam() -> str:
        with qtbot.waitSignal(view.recognised, timeout=30_000) as blocker:
            view.start()
        return blocker.args[0].result.matches[0].song_name

    assert shazam() == "track 01"
    running.halt()
    running.resume()
    assert shazam() == "track 01"
    running.halt()
    with qtbot.waitSignal(view.failed, timeout=30_000) as blocker:
        view.start()
    assert blocker.args[0].endswith(f"Is the MySQL server running at 127.0.0.1:{running.port}?")
    assert view.status.text().startswith("Could not recognise: ")
    assert view.shazam.isEnabled()
    assert window.isVisible()
    running.resume()
    assert shazam() == "track 01"
