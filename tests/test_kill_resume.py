"""A folder ingest killed at random moments and run again stores every song exactly once, completely."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from database import open_store
from tests.audio_files import write_audio
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent
RATE = 22_050
SONG_COUNT = 8

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    music = tmp_path_factory.mktemp("music")
    for index in range(SONG_COUNT):
        write_audio(
            music / f"song {index}.mp3",
            synth_song(200 + index, duration_s=30.0, sample_rate=RATE),
            sample_rate=RATE,
        )
    return music


def ingest_command(config: Path, folder: Path) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "main.py"),
        "--config",
        str(config),
        "--fingerprint",
        str(folder),
        "--processes",
        "1",
    ]


def stored_songs(database_type: str, options: dict) -> dict[str, tuple[int, int]]:
    """name -> (total_hashes recorded, fingerprints actually stored) for every song."""
    with open_store(database_type, **options) as store:
        songs = store.songs()
        return {
            song.name: (song.total_hashes, len(store.song_fingerprints(song.song_id)[0])) for song in songs
        }


def kill_and_resume(tmp_path: Path, folder: Path, database_type: str, options: dict, trials: int) -> None:
    clean_options = {"path": str(tmp_path / "clean.sqlite3")}
    clean_config = tmp_path / "clean.cnf"
    clean_config.write_text(json.dumps({"database_type": "sqlite", "database": clean_options}))
    config = tmp_path / "dejavu.cnf"
    config.write_text(json.dumps({"database_type": database_type, "database": options}))
    rng = np.random.default_rng(7)
    for _trial in range(trials):
        process = subprocess.Popen(
            ingest_command(config, folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(float(rng.uniform(0.3, 3.0)))
        process.send_signal(signal.SIGKILL)
        process.wait()
        partial = stored_songs(database_type, options)
        # Whatever was visible after the kill is complete.
        assert all(recorded == stored for recorded, stored in partial.values())
    finished = subprocess.run(ingest_command(config, folder), capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    assert (
        subprocess.run(ingest_command(clean_config, folder), capture_output=True, check=False).returncode == 0
    )
    expected = stored_songs("sqlite", clean_options)
    resumed = stored_songs(database_type, options)
    assert sorted(resumed) == [f"song {i}" for i in range(SONG_COUNT)]
    assert all(recorded == stored > 0 for recorded, stored in resumed.values())
    # The same hash counts as an ingest that was never interrupted.
    assert resumed == expected


def test_killed_sqlite_ingest_resumes_without_loss_or_duplicates(tmp_path, folder):
    kill_and_resume(tmp_path, folder, "sqlite", {"path": str(tmp_path / "songs.sqlite3")}, trials=4)


@pytest.mark.mysql
def test_killed_mysql_ingest_resumes_without_loss_or_duplicates(tmp_path, folder, mysql_settings):
    kill_and_resume(tmp_path, folder, "mysql", dict(mysql_settings), trials=3)
