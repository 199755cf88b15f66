"""Two ingests at once over overlapping folders, while this process keeps recognising."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from config.settings import FingerprintParams
from database import open_store
from fingerprint.ingest import Ingestor, analyse_file
from fingerprint.recognizer import Recognizer
from tests.audio_files import write_audio
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent.parent
RATE = 16_000
PARAMS = FingerprintParams()

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    """music/a holds songs 0-7; music/b holds songs 8-11 and byte-identical copies of songs 4-7.

    One ingest takes music/a, the other the whole of music/: songs 4-7 reach both three times.
    """
    root = tmp_path_factory.mktemp("music")
    (root / "a").mkdir()
    (root / "b").mkdir()
    for index in range(12):
        folder = root / ("a" if index < 8 else "b")
        song = synth_song(600 + index, duration_s=30.0, sample_rate=RATE)
        write_audio(folder / f"song {index:02}.mp3", song, sample_rate=RATE)
    for index in range(4, 8):
        shutil.copy(root / "a" / f"song {index:02}.mp3", root / "b" / f"copy of song {index:02}.mp3")
    write_audio(root / "resident.mp3", synth_song(699, duration_s=30.0, sample_rate=RATE), sample_rate=RATE)
    return root


def ingest(config: Path, folder: Path) -> subprocess.Popen[str]:
    command = [sys.executable, str(ROOT / "main.py"), "--config", str(config), "--fingerprint", str(folder)]
    return subprocess.Popen(
        [*command, ".mp3", "--processes", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def two_ingests_and_recognitions(music: Path, database_type: str, options: dict, tmp_path: Path) -> None:
    config = tmp_path / "dejavu.cnf"
    config.write_text(json.dumps({"database_type": database_type, "database": options}))
    with open_store(database_type, **options) as store:
        store.ensure_params(PARAMS.store_signature())
        assert Ingestor(store, PARAMS).fingerprint_file(music / "resident.mp3").added
    first, second = ingest(config, music / "a"), ingest(config, music)
    recognitions = 0
    with open_store(database_type, **options) as store:
        recognizer = Recognizer(store, PARAMS)
        rng = np.random.default_rng(3)
        # Recognise for as long as either ingest runs (and at least a few times).
        while recognitions < 5 or first.poll() is None or second.poll() is None:
            start_s = float(rng.uniform(0.0, 24.0))
            result = recognizer.recognize_file(music / "resident.mp3", start_s=start_s, duration_s=5.0)
            assert [m.song_name for m in result.matches[:1]] == ["resident"]
            recognitions += 1
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    expected = {
        path.name: analyse_file(str(path), PARAMS, None) for path in sorted((music / "a").glob("*.mp3"))
    }
    expected |= {
        path.name: analyse_file(str(path), PARAMS, None) for path in sorted((music / "b").glob("song*"))
    }
    with open_store(database_type, **options) as store:
        songs = store.songs()
        by_sha1 = {song.file_sha1: song for song in songs}
        # 12 songs, each once (the copies share their original's SHA-1), plus the resident one.
        assert len(songs) == len(by_sha1) == 13
        for name, analysed in expected.items():
            (song,) = [s for s in songs if Path(s.file_path).name in (name, f"copy of {name}")]
            hashes, offsets = store.song_fingerprints(song.song_id)
            stored = set(zip(hashes.tolist(), offsets.tolist(), strict=True))
            assert stored == set(zip(analysed.hashes.tolist(), analysed.offsets.tolist(), strict=True)), name
            assert song.fingerprinted
            assert song.total_hashes == len(stored)
        _, counted = store.counts()
        assert counted == sum(s.total_hashes for s in songs)
    print(f"{database_type}: {recognitions} recognitions during two ingests, all right")


def test_two_sqlite_ingests_at_once_store_each_song_once(music, tmp_path):
    two_ingests_and_recognitions(music, "sqlite", {"path": str(tmp_path / "songs.sqlite3")}, tmp_path)


@pytest.mark.mysql
def test_two_mysql_ingests_at_once_store_each_song_once(music, tmp_path, mysql_settings):
    two_ingests_and_recognitions(music, "mysql", dict(mysql_settings), tmp_path)
