"""A folder full of bad and unusual files: nothing crashes, nothing is stored wrongly, each failure is named.

Run as root, the CLI ingest runs without the capabilities that let root read any file, so an unreadable
file is really unreadable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from config.settings import FingerprintParams
from database import open_store
from fingerprint.ingest import Ingestor
from fingerprint.recognizer import Recognizer
from tests.audio_files import write_audio
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent.parent
PARAMS = FingerprintParams()
RATE = 22_050
NOT_AUDIO = "not an audio file ffmpeg can read: "
NO_FINGERPRINTS = "no fingerprints in its "

pytestmark = pytest.mark.slow

# Root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH obeys file permissions like any user.
WITHOUT_ROOTS_READ_RIGHTS = (
    [shutil.which("setpriv") or "setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    if os.geteuid() == 0
    else []
)


def song(seed: int, *, duration_s: float = 20.0, rate: int = RATE) -> np.ndarray:
    return synth_song(seed, duration_s=duration_s, sample_rate=rate)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad-input")


@pytest.fixture(scope="module")
def bad_folder(world: Path) -> dict[str, str]:
    """The folder to ingest; returns file name -> the start of the reason it must fail with, or "added"."""
    music = world / "music"
    music.mkdir()
    expected = {}

    def good(name: str, samples: np.ndarray, rate: int = RATE, codec: str | None = None) -> None:
        write_audio(music / name, samples, sample_rate=rate, codec=codec)
        expected[name] = "added"

    good("eight channels.flac", np.stack([song(1) * (0.3 + 0.1 * c) for c in range(8)], axis=1))
    good("192 kHz.flac", song(2, rate=192_000), rate=192_000)
    good("8-bit.wav", song(3), codec="pcm_u8")
    # A directory named like a song is a folder: the song inside it is found.
    (music / "album.mp3").mkdir()
    write_audio(music / "album.mp3" / "inside.ogg", song(4), sample_rate=RATE)
    expected["album.mp3/inside.ogg"] = "added"
    for name, samples in [
        ("tenth of a second.mp3", song(5, duration_s=0.1)),
        ("silence.ogg", np.zeros(10 * RATE)),
        ("dc.wav", np.full(10 * RATE, 0.5)),
    ]:
        write_audio(music / name, samples, sample_rate=RATE)
        expected[name] = NO_FINGERPRINTS
    (music / "empty.mp3").touch()
    expected["empty.mp3"] = "file is empty"
    rng = np.random.default_rng(11)
    (music / "random.mp3").write_bytes(rng.bytes(40_000))
    expected["random.mp3"] = NOT_AUDIO
    (music / "lyrics.mp3").write_text("Never gonna give you up\n" * 50)
    expected["lyrics.mp3"] = NOT_AUDIO
    for seed, extension in enumerate((".mp3", ".ogg", ".flac"), start=60):
        whole = write_audio(world / f"whole{extension}", song(seed), sample_rate=RATE).read_bytes()
        (music / f"header only {extension[1:]}{extension}").write_bytes(whole[:300])
        expected[f"header only {extension[1:]}{extension}"] = NOT_AUDIO
        # Cut in the middle: the part before the cut is a real song and is stored.
        (music / f"cut {extension[1:]}{extension}").write_bytes(whole[: len(whole) // 2])
        expected[f"cut {extension[1:]}{extension}"] = "added"
    locked = write_audio(music / "locked.mp3", song(7), sample_rate=RATE)
    locked.chmod(0)
    expected["locked.mp3"] = "permission denied"
    # Links that go round in circles, to a file and to a folder, are not followed.
    (music / "loop a.mp3").symlink_to(music / "loop b.mp3")
    (music / "loop b.mp3").symlink_to(music / "loop a.mp3")
    (music / "album.mp3" / "up").symlink_to(music, target_is_directory=True)
    return expected


def run_cli(world: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = world / "dejavu.cnf"
    config.write_text(json.dumps({"database": {"path": str(world / "songs.sqlite3")}}))
    command = [
        *WITHOUT_ROOTS_READ_RIGHTS,
        sys.executable,
        str(ROOT / "main.py"),
        "--config",
        str(config),
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


def test_a_folder_of_bad_files_stores_the_good_ones_and_names_each_problem(world, bad_folder):
    music = world / "music"
    result = run_cli(world, "--fingerprint", str(music), "--processes", "1", "--json")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    outcome = {str(Path(path).relative_to(music)): "added" for path in report["added"]}
    for failure in report["failed"]:
        assert failure["path"] not in outcome
        outcome[str(Path(failure["path"]).relative_to(music))] = failure["reason"]
    assert sorted(outcome) == sorted(bad_folder)
    for name, reason in bad_folder.items():
        assert outcome[name].startswith(reason), (name, outcome[name])
    assert report["skipped"] == []
    # What was stored is complete and is recognised; nothing else was stored.
    with open_store("sqlite", path=str(world / "songs.sqlite3")) as store:
        songs = {s.name: s for s in store.songs()}
        assert sorted(songs) == sorted(Path(name).stem for name, r in bad_folder.items() if r == "added")
        recognizer = Recognizer(store, PARAMS)
        for name, reason in bad_folder.items():
            if reason != "added":
                continue
            stored = songs[Path(name).stem]
            assert stored.total_hashes == len(store.song_fingerprints(stored.song_id)[0]) > 0
            if not name.startswith("cut"):
                assert stored.duration_s == pytest.approx(20.0, abs=0.1)
            result = recognizer.recognize_file(music / name, start_s=3.0, duration_s=5.0)
            assert result.matches[0].song_name == stored.name
    # A second run changes nothing and reports the same failures.
    again = json.loads(run_cli(world, "--fingerprint", str(music), "--processes", "1", "--json").stdout)
    assert again["added"] == []
    assert sorted(again["skipped"]) == sorted(report["added"])
    assert again["failed"] == report["failed"]


def test_a_file_that_disappears_mid_ingest_is_reported_and_the_rest_is_stored(tmp_path):
    for index in range(4):
        write_audio(tmp_path / f"song {index}.mp3", song(20 + index), sample_rate=RATE)
    gone = tmp_path / "song 2.mp3"

    def progress(done: int, total: int, path: str) -> None:
        if path.endswith("song 0.mp3"):
            gone.unlink()

    with open_store("sqlite", path=str(tmp_path / "songs.sqlite3")) as store:
        report = Ingestor(store, PARAMS).fingerprint_directory(
            tmp_path, [".mp3"], processes=1, progress=progress
        )
        assert [(f.path, f.reason) for f in report.failed] == [(str(gone), "no such file")]
        assert sorted(s.name for s in store.songs()) == ["song 0", "song 1", "song 3"]
