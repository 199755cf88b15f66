"""Recognition from the microphone through the CLI, with a private PulseAudio server as the sound card:
songs are played into its null sink, whose monitor is the default input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import main
from fingerprint.audio import clip
from tests.audio_files import write_audio
from tests.pulse import SINK, PulseServer
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent
RATE = 22_050
SONGS = {"Alpha": 41, "Beta": 42, "Gamma": 43}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    """A SQLite store holding three synthetic songs."""
    folder = tmp_path_factory.mktemp("mic")
    music = folder / "music"
    music.mkdir()
    for name, seed in SONGS.items():
        write_audio(
            music / f"{name}.flac", synth_song(seed, duration_s=40.0, sample_rate=RATE), sample_rate=RATE
        )
    path = folder / "dejavu.cnf"
    path.write_text(json.dumps({"database_type": "sqlite", "database": {"path": str(folder / "s.sqlite3")}}))
    assert main.main(["--config", str(path), "--fingerprint", str(music), "--processes", "1"]) == 0
    return path


def cli(pulse: PulseServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *args],
        env={**os.environ, **pulse.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def play(pulse: PulseServer, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["paplay", f"--device={SINK}", str(path)], env={**os.environ, **pulse.env})


def test_a_song_played_into_the_microphone_is_named_with_its_offset(pulse_server, config, tmp_path):
    excerpt = write_audio(
        tmp_path / "excerpt.wav", clip(synth_song(42, duration_s=40.0, sample_rate=RATE), sample_rate=RATE,
                                       start_s=12.0, duration_s=10.0), sample_rate=RATE,
    )  # fmt: skip
    listener = cli(pulse_server, "--config", str(config), "--recognize", "mic", "10", "--json")
    # Start playing once the CLI says it listens: the clip then starts within a moment of the recording.
    first_line = listener.stderr.readline()
    assert "Listening" in first_line
    player = play(pulse_server, excerpt)
    out, err = listener.communicate(timeout=60)
    player.terminate()
    player.wait()
    assert listener.returncode == 0, err
    top = json.loads(out)["results"][0]
    assert top["song_name"] == "Beta"
    assert top["offset_seconds"] == pytest.approx(12.0, abs=1.0)


def test_silence_is_no_match(pulse_server, config):
    listener = cli(pulse_server, "--config", str(config), "--recognize", "mic", "3")
    out, err = listener.communicate(timeout=60)
    assert listener.returncode == 1, err
    assert "No match." in out


def test_the_devices_are_listed_with_the_default_marked(pulse_server):
    listener = cli(pulse_server, "--list-devices", "--json")
    out, err = listener.communicate(timeout=60)
    assert listener.returncode == 0, err
    devices = json.loads(out)
    assert any(device["is_default"] for device in devices)
    assert all(device["default_sample_rate"] > 0 for device in devices)


def test_an_unknown_device_or_no_sound_server_is_one_clear_line(pulse_server, config):
    listener = cli(
        pulse_server, "--config", str(config), "--recognize", "mic", "2", "--device", "no such microphone"
    )
    _, err = listener.communicate(timeout=60)
    assert listener.returncode == 2
    assert "no input device 'no such microphone'" in err
    assert "Traceback" not in err
    with tempfile.TemporaryDirectory() as nowhere:  # a runtime folder with no sound server in it
        env = {**os.environ, "XDG_RUNTIME_DIR": nowhere, "PULSE_RUNTIME_PATH": nowhere}
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--config", str(config), "--recognize", "mic", "2"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 2, result.stdout
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 30
