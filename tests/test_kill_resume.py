"""A folder ingest SIGKILLed at random moments and run again stores every song exactly once, completely.

Each backend gets TRIALS kills at seeded random moments spread over the time a whole ingest takes. After
every kill, what recognition can see is checked before anything cleans up: every visible song has exactly
the fingerprints of an ingest that was never interrupted, and a look-up of every hash of the folder finds
rows of visible songs only. The next trial is the re-run of the killed one; when a kill came too late to
interrupt anything, the next trial starts from an empty store. A last run completes the store, which must
then equal the uninterrupted one.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from database import open_store
from tests.audio_files import write_audio
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent
RATE = 22_050
SONG_COUNT = 8
TRIALS = 20

pytestmark = pytest.mark.slow

#: name -> the set of (hash, offset) pairs stored for it
Contents = dict[str, set[tuple[int, int]]]


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


@pytest.fixture(scope="module")
def clean(folder, tmp_path_factory) -> tuple[Contents, float]:
    """What an uninterrupted ingest stores, and how long the whole run took (to spread the kills over)."""
    options = {"path": str(tmp_path_factory.mktemp("clean") / "clean.sqlite3")}
    config = write_config(Path(options["path"]).parent / "clean.cnf", "sqlite", options)
    started = time.monotonic()
    result = subprocess.run(ingest_command(config, folder), capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    contents = stored_contents("sqlite", options)
    assert sorted(contents) == [f"song {i}" for i in range(SONG_COUNT)]
    return contents, elapsed


def write_config(path: Path, database_type: str, options: dict) -> Path:
    path.write_text(json.dumps({"database_type": database_type, "database": options}))
    return path


def ingest_command(config: Path, folder: Path) -> list[str]:
    command = [sys.executable, str(ROOT / "main.py"), "--config", str(config)]
    return [*command, "--fingerprint", str(folder), "--processes", "1"]


def stored_contents(database_type: str, options: dict) -> Contents:
    with open_store(database_type, **options) as store:
        songs = store.songs()
        names = [song.name for song in songs]
        assert len(names) == len(set(names)), f"a song is stored twice: {sorted(names)}"
        contents = {}
        for song in songs:
            hashes, offsets = store.song_fingerprints(song.song_id)
            contents[song.name] = set(zip(hashes.tolist(), offsets.tolist(), strict=True))
            assert song.fingerprinted
            assert song.total_hashes == len(contents[song.name])
        return contents


def assert_recognition_sees_only_whole_songs(database_type: str, options: dict, expected: Contents) -> int:
    """Check what a recogniser would see right after a kill; return how many songs it sees."""
    all_hashes = np.unique(np.array([h for pairs in expected.values() for h, _ in pairs], dtype=np.int64))
    with open_store(database_type, **options) as store:
        visible = {song.song_id: song.name for song in store.songs()}
        _hashes, song_ids, _offsets = store.lookup(all_hashes)
    rows_per_song = Counter(song_ids.tolist())
    assert set(rows_per_song) <= set(visible), "a look-up found rows of a song that is not finished"
    for song_id, name in visible.items():
        assert rows_per_song[song_id] == len(expected[name]), f"{name} is visible but not complete"
    contents = stored_contents(database_type, options)
    for name, pairs in contents.items():
        assert pairs == expected[name], f"{name} is stored with other fingerprints than a clean ingest"
    return len(visible)


def kill_and_resume(folder: Path, clean: tuple[Contents, float], new_store, seed: int) -> None:
    expected, clean_s = clean
    database_type, options, config = new_store()
    rng = np.random.default_rng(seed)
    outcomes = Counter()
    for _trial in range(TRIALS):
        process = subprocess.Popen(
            ingest_command(config, folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            process.wait(float(rng.uniform(0.05, 1.1 * clean_s)))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        seen = assert_recognition_sees_only_whole_songs(database_type, options, expected)
        outcomes["finished" if process.returncode == 0 else f"{seen} of {SONG_COUNT} stored"] += 1
        if seen == SONG_COUNT:
            database_type, options, config = new_store()
    finished = subprocess.run(ingest_command(config, folder), capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    assert stored_contents(database_type, options) == expected
    print(f"{database_type}: {TRIALS} kills: {dict(sorted(outcomes.items()))}")
    # The kills did land while songs were being stored.
    assert (
        sum(
            n
            for outcome, n in outcomes.items()
            if outcome not in ("finished", f"{SONG_COUNT} of {SONG_COUNT} stored")
        )
        > 0
    )


def test_killed_sqlite_ingest_resumes_without_loss_or_duplicates(tmp_path, folder, clean):
    stores = iter(range(TRIALS + 1))

    def new_store() -> tuple[str, dict, Path]:
        options = {"path": str(tmp_path / f"songs-{next(stores)}.sqlite3")}
        return "sqlite", options, write_config(tmp_path / "dejavu.cnf", "sqlite", options)

    kill_and_resume(folder, clean, new_store, seed=7)


@pytest.mark.mysql
def test_killed_mysql_ingest_resumes_without_loss_or_duplicates(tmp_path, folder, clean, mariadb_server):
    databases = []

    def new_store() -> tuple[str, dict, Path]:
        options = mariadb_server.create_database()
        databases.append(options["database"])
        return "mysql", options, write_config(tmp_path / "dejavu.cnf", "mysql", options)

    try:
        kill_and_resume(folder, clean, new_store, seed=8)
    finally:
        for name in databases:
            mariadb_server.drop_database(name)
