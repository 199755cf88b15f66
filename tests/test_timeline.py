"""Every song of a long recording, built at test time from encoded songs with crossfades and repeats."""

from __future__ import annotations

import json

import numpy as np
import pytest

import main
from config.settings import FingerprintParams
from database.sqlite_store import SQLiteStore
from fingerprint.analysis import fingerprint_samples
from fingerprint.audio import resample
from fingerprint.recognizer import Recognizer
from fingerprint.timeline import analyse_recording
from fingerprint.timeline_types import ENVELOPE_RATE
from tests.audio_files import write_audio
from tests.synth import synth_song

RATE = 16_000
PARAMS = FingerprintParams()
SONGS = {"Alpha": 51, "Beta": 52, "Gamma": 53}
UNKNOWN = 59

pytestmark = pytest.mark.slow


def song(seed: int) -> np.ndarray:
    return synth_song(seed, duration_s=60.0, sample_rate=RATE)


def piece(seed: int, start_s: float, length_s: float) -> np.ndarray:
    return song(seed)[int(start_s * RATE) : int((start_s + length_s) * RATE)]


def crossfade(a: np.ndarray, b: np.ndarray, seconds: float) -> np.ndarray:
    n = int(seconds * RATE)
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    return np.concatenate([a[:-n], a[-n:] * (1 - ramp) + b[:n] * ramp, b[n:]])


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("timeline") / "songs.sqlite3"
    with SQLiteStore(path) as store:
        store.ensure_params(PARAMS.store_signature())
        for name, seed in SONGS.items():
            samples = song(seed)
            stored = fingerprint_samples(
                resample(samples, from_rate=RATE, to_rate=PARAMS.sample_rate), PARAMS
            )
            store.add_song(name, f"{seed:040x}", 60.0, stored.hashes, stored.offsets)
    return path


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """Alpha 0-25 s, a 3 s crossfade into Beta from its middle, an unknown song, then Alpha again, Gamma."""
    parts = crossfade(piece(51, 0, 25), piece(52, 30, 20), 3.0)  # Alpha to 25, Beta 22..42 (fade 22-25)
    parts = np.concatenate([parts, piece(UNKNOWN, 0, 15)])  # unknown 42..57
    parts = np.concatenate([parts, piece(51, 10, 15), piece(53, 5, 20)])  # Alpha 57..72, Gamma 72..92
    return write_audio(tmp_path_factory.mktemp("rec") / "set.mp3", parts, sample_rate=RATE)


EXPECTED = [  # (song, start in the recording, end, where in the song it starts)
    ("Alpha", 0.0, 23.5, 0.0),
    ("Beta", 23.5, 42.0, 31.5),
    (None, 42.0, 57.0, None),
    ("Alpha", 57.0, 72.0, 10.0),
    ("Gamma", 72.0, 92.0, 5.0),
]


def test_every_segment_is_found_with_its_boundaries_and_offsets(store_path, recording):
    with SQLiteStore(store_path) as store:
        seen = []
        timeline = analyse_recording(
            Recognizer(store, PARAMS),
            recording,
            chunk_s=30.0,
            progress=lambda done, total: seen.append((done, total)),
        )
    names = [segment.song_name for segment in timeline.segments]
    assert names == [name for name, *_ in EXPECTED]
    for segment, (_, start, end, offset) in zip(timeline.segments, EXPECTED, strict=True):
        # Within 1 s of the truth; the crossfaded boundary lies inside the 3 s overlap (22-25 s).
        assert segment.start_s == pytest.approx(start, abs=1.5)
        assert segment.end_s == pytest.approx(end, abs=1.5)
        if offset is not None:
            assert segment.song_offset_s == pytest.approx(offset + (segment.start_s - start), abs=0.3)
    assert 22.0 <= timeline.segments[0].end_s <= 25.0
    assert timeline.segments[-1].end_s == pytest.approx(92.0, abs=0.1)
    assert timeline.duration_s == pytest.approx(92.0, abs=0.1)
    assert seen[-1][0] == pytest.approx(92.0, abs=0.1)
    assert len(seen) >= 3  # streamed in chunks


def test_the_cli_prints_the_timeline_as_text_json_and_csv(capsys, store_path, recording, tmp_path):
    config = tmp_path / "dejavu.cnf"
    config.write_text(json.dumps({"database_type": "sqlite", "database": {"path": str(store_path)}}))
    assert main.main(["--config", str(config), "--recognize", "file", str(recording), "--timeline"]) == 0
    text = capsys.readouterr().out
    assert "0:00 – 0:2" in text
    assert "no match" in text
    assert (
        main.main(["--config", str(config), "--recognize", "file", str(recording), "--timeline", "--json"])
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert [s["song_name"] for s in document["segments"]] == [name for name, *_ in EXPECTED]
    csv_path = tmp_path / "cues.csv"
    assert main.main(["--config", str(config), "--recognize", "file", str(recording), "--timeline", "--csv",
                      str(csv_path)]) == 0  # fmt: skip
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "start,end,song,song_offset_s,confidence"
    assert len(rows) == 1 + len(EXPECTED)


def test_the_envelope_follows_the_recording(store_path, recording):
    with SQLiteStore(store_path) as store:
        timeline = analyse_recording(Recognizer(store, PARAMS), recording, chunk_s=30.0)
    assert len(timeline.envelope) == pytest.approx(92.0 * ENVELOPE_RATE, abs=2)
    assert 0.3 < float(timeline.envelope.max()) <= 1.0
