"""End to end through the command line: songs encoded by ffmpeg, fingerprinted, then recognised."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import main
from fingerprint.audio import clip, mix, resample
from tests.audio_files import write_audio
from tests.synth import synth_song

RATE = 44_100
SONGS = {"Alpha Song": ("alpha.mp3", 11), "Beta Song": ("beta.ogg", 12), "Gamma Song": ("gamma.flac", 13)}
UNKNOWN_SEED = 99

pytestmark = pytest.mark.slow


def song_samples(seed: int) -> np.ndarray:
    return synth_song(seed, duration_s=40.0, sample_rate=RATE)


def write_config(path: Path, database: dict, database_type: str = "sqlite") -> Path:
    path.write_text(json.dumps({"database_type": database_type, "database": database}))
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """A folder of three songs in three formats (and a cover image that is not audio)."""
    folder = tmp_path_factory.mktemp("music")
    (folder / "album").mkdir()
    for name, (file_name, seed) in SONGS.items():
        target = folder / "album" / file_name if file_name.endswith(".flac") else folder / file_name
        write_audio(target.with_name(f"{name}{target.suffix}"), song_samples(seed), sample_rate=RATE)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a picture")
    return folder


@pytest.fixture(scope="module")
def sqlite_config(tmp_path_factory, library) -> Path:
    """A SQLite store holding the library, fingerprinted once through the CLI with two processes."""
    folder = tmp_path_factory.mktemp("store")
    config = write_config(folder / "dejavu.cnf", {"path": str(folder / "songs.sqlite3")})
    assert main.main(["--config", str(config), "--fingerprint", str(library), "--processes", "2"]) == 0
    return config


@pytest.fixture
def clip_file(tmp_path):
    """Write a clip of a song (or of any samples) to a file in a given format."""

    def make(samples: np.ndarray, suffix: str = ".wav", rate: int = RATE) -> Path:
        return write_audio(tmp_path / f"clip{suffix}", samples, sample_rate=rate)

    return make


def test_fingerprinting_a_folder_adds_every_song_once(capsys, sqlite_config, library):
    status, out, _ = run_cli(capsys, "--config", str(sqlite_config), "--list")
    assert status == 0
    for name in SONGS:
        assert name in out
    assert "3 song(s)" in out
    status, out, _ = run_cli(capsys, "--config", str(sqlite_config), "--fingerprint", str(library))
    assert status == 0
    assert "Added 0 song(s)" in out
    assert "skipped 3 already stored" in out


@pytest.mark.parametrize(
    ("name", "start_s"), [("Alpha Song", 7.3), ("Beta Song", 21.05), ("Gamma Song", 0.0)]
)
def test_a_clip_is_recognised_with_its_offset(capsys, sqlite_config, clip_file, name, start_s):
    seed = SONGS[name][1]
    path = clip_file(clip(song_samples(seed), sample_rate=RATE, start_s=start_s, duration_s=5.0), ".mp3")
    status, out, _ = run_cli(
        capsys, "--config", str(sqlite_config), "--recognize", "file", str(path), "--json"
    )
    assert status == 0
    result = json.loads(out)
    top = result["results"][0]
    assert top["song_name"] == name
    assert top["offset_seconds"] == pytest.approx(start_s, abs=0.2)
    assert 0.5 <= top["confidence"] <= 1.0
    assert top["hashes_matched_in_input"] <= top["input_total_hashes"]


def test_phone_rate_audio_is_recognised(capsys, sqlite_config, clip_file):
    phone = resample(
        clip(song_samples(12), sample_rate=RATE, start_s=12.0, duration_s=5.0), from_rate=RATE, to_rate=8000
    )
    path = clip_file(phone, ".wav", rate=8000)
    status, out, _ = run_cli(capsys, "--config", str(sqlite_config), "--recognize", "file", str(path))
    assert status == 0
    assert out.startswith("1. Beta Song")
    assert "heard at 0:12.0" in out


def test_audio_that_is_not_stored_gives_no_match(capsys, sqlite_config, clip_file):
    path = clip_file(
        clip(synth_song(UNKNOWN_SEED, duration_s=10.0, sample_rate=RATE), sample_rate=RATE), ".ogg"
    )
    status, out, _ = run_cli(capsys, "--config", str(sqlite_config), "--recognize", "file", str(path))
    assert status == 1
    assert "No match." in out
    status, out, _ = run_cli(
        capsys, "--config", str(sqlite_config), "--recognize", "file", str(path), "--json"
    )
    assert status == 1
    assert json.loads(out)["match"] is False


def test_silence_gives_no_match(capsys, sqlite_config, clip_file):
    path = clip_file(np.zeros(5 * RATE, np.float32))
    status, out, _ = run_cli(
        capsys, "--config", str(sqlite_config), "--recognize", "file", str(path), "--json"
    )
    assert status == 1
    assert json.loads(out)["results"] == []


def test_a_70_30_mix_names_both_songs_the_louder_first(capsys, sqlite_config, library):
    alpha = next(library.glob("Alpha Song.*"))
    gamma = next(library.rglob("Gamma Song.*"))
    status, out, _ = run_cli(
        capsys, "--config", str(sqlite_config), "--recognize", "mix", str(alpha), str(gamma),
        "--ratio", "0.3", "--start-a", "5", "--start-b", "12", "--json",
    )  # fmt: skip
    assert status == 0
    results = json.loads(out)["results"]
    assert [r["song_name"] for r in results[:2]] == ["Alpha Song", "Gamma Song"]
    assert results[0]["offset_seconds"] == pytest.approx(5.0, abs=0.2)
    assert results[1]["offset_seconds"] == pytest.approx(12.0, abs=0.2)
    assert results[0]["loudness_share"] > results[1]["loudness_share"] > 0.0


def test_mixing_samples_in_memory_agrees_with_the_cli_mix():
    a, b = song_samples(11)[:RATE], song_samples(13)[:RATE]
    assert np.allclose(mix(a, b, 0.3), 0.7 * a + 0.3 * b, atol=1e-6)


def test_a_bad_file_in_a_folder_is_reported_and_the_rest_is_stored(capsys, tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    write_audio(folder / "good.wav", song_samples(21)[: 10 * RATE], sample_rate=RATE)
    (folder / "broken.mp3").write_bytes(b"ID3" + bytes(range(256)) * 4)
    config = write_config(tmp_path / "dejavu.cnf", {"path": str(tmp_path / "s.sqlite3")})
    status, out, _ = run_cli(
        capsys, "--config", str(config), "--fingerprint", str(folder), "--processes", "1"
    )
    assert status == 2
    assert "Added 1 song(s)" in out
    assert "failed: " in out
    assert "broken.mp3" in out


def test_delete_by_name_and_by_id(capsys, tmp_path, library):
    config = write_config(tmp_path / "dejavu.cnf", {"path": str(tmp_path / "s.sqlite3")})
    assert main.main(["--config", str(config), "--fingerprint", str(library), ".mp3", ".ogg"]) == 0
    capsys.readouterr()
    status, out, _ = run_cli(capsys, "--config", str(config), "--list", "--json")
    songs = {song["name"]: song["song_id"] for song in json.loads(out)}
    assert set(songs) == {"Alpha Song", "Beta Song"}
    assert run_cli(capsys, "--config", str(config), "--delete", "Alpha Song")[0] == 0
    assert run_cli(capsys, "--config", str(config), "--delete", str(songs["Beta Song"]))[0] == 0
    status, _, err = run_cli(capsys, "--config", str(config), "--delete", "Nobody")
    assert status == 2
    assert "no song is named 'Nobody'" in err
    assert json.loads(run_cli(capsys, "--config", str(config), "--list", "--json")[1]) == []


def test_a_store_built_with_other_parameters_refuses_to_open(capsys, tmp_path, library):
    database = {"path": str(tmp_path / "s.sqlite3")}
    config = write_config(tmp_path / "dejavu.cnf", database)
    assert main.main(["--config", str(config), "--fingerprint", str(library), ".mp3"]) == 0
    capsys.readouterr()
    other = tmp_path / "other.cnf"
    other.write_text(json.dumps({"database": database, "fingerprint": {"fan_value": 7}}))
    status, _, err = run_cli(capsys, "--config", str(other), "--list")
    assert status == 2
    assert "fan_value" in err
    assert "Traceback" not in err


def test_errors_are_one_line_without_traceback(capsys, tmp_path):
    bad = tmp_path / "dejavu.cnf"
    bad.write_text('{"database_type": "sqlite", "fingerprint": {"fan_valu": 3}}')
    status, out, err = run_cli(capsys, "--config", str(bad), "--list")
    assert status == 2
    assert out == ""
    assert "did you mean 'fan_value'" in err
    assert "Traceback" not in err
    good = write_config(tmp_path / "good.cnf", {"path": str(tmp_path / "s.sqlite3")})
    status, _, err = run_cli(
        capsys, "--config", str(good), "--recognize", "file", str(tmp_path / "missing.mp3")
    )
    assert status == 2
    assert "missing.mp3" in err


@pytest.mark.mysql
def test_the_same_flow_on_mariadb(capsys, tmp_path, library, mysql_settings, clip_file):
    config = write_config(tmp_path / "dejavu.cnf", dict(mysql_settings), database_type="mysql")
    status, out, _ = run_cli(
        capsys, "--config", str(config), "--fingerprint", str(library), "--processes", "2"
    )
    assert status == 0
    assert "Added 3 song(s)" in out
    path = clip_file(clip(song_samples(13), sample_rate=RATE, start_s=30.0, duration_s=5.0), ".flac")
    status, out, _ = run_cli(capsys, "--config", str(config), "--recognize", "file", str(path), "--json")
    assert status == 0
    assert json.loads(out)["results"][0]["song_name"] == "Gamma Song"
    assert json.loads(out)["results"][0]["offset_seconds"] == pytest.approx(30.0, abs=0.2)


def test_no_extension_filter_takes_every_file_that_decodes(capsys, tmp_path, library):
    folder = tmp_path / "copy"
    shutil.copytree(library, folder)
    config = write_config(tmp_path / "dejavu.cnf", {"path": str(tmp_path / "s.sqlite3")})
    status, out, _ = run_cli(capsys, "--config", str(config), "--fingerprint", str(folder), "--json")
    assert status == 0
    report = json.loads(out)
    assert len(report["added"]) == 3
    assert report["failed"] == []
    assert [Path(p).name for p in report["ignored"]] == ["cover.jpg"]


def test_fingerprint_limit_caps_each_song_and_copies_are_stored_once(capsys, tmp_path, library):
    folder = tmp_path / "music"
    folder.mkdir()
    alpha = next(library.glob("Alpha Song.*"))
    shutil.copy(alpha, folder / "Alpha Song.mp3")
    shutil.copy(alpha, folder / "copy of Alpha.mp3")
    config = tmp_path / "dejavu.cnf"
    config.write_text(
        json.dumps({"database": {"path": str(tmp_path / "s.sqlite3")}, "fingerprint_limit": 12})
    )
    status, out, _ = run_cli(capsys, "--config", str(config), "--fingerprint", str(folder), "--json")
    assert status == 0
    report = json.loads(out)
    assert [Path(p).name for p in report["added"]] == ["Alpha Song.mp3"]
    assert [Path(p).name for p in report["skipped"]] == ["copy of Alpha.mp3"]
    (song,) = json.loads(run_cli(capsys, "--config", str(config), "--list", "--json")[1])
    assert song["duration_s"] == pytest.approx(12.0, abs=0.05)


@pytest.mark.mysql
def test_a_wrong_mysql_password_is_one_line_that_does_not_show_it(capsys, tmp_path, mysql_settings):
    wrong = dict(mysql_settings, password="not-the-password-42")
    config = write_config(tmp_path / "dejavu.cnf", wrong, database_type="mysql")
    status, out, err = run_cli(capsys, "--config", str(config), "--list")
    assert status == 2
    assert out == ""
    assert "denied" in err.lower()
    assert "not-the-password-42" not in err
    assert len(err.strip().splitlines()) == 1
