"""1,000 recognitions in one process: the right answer every time, and memory that stays flat.

The process holds an SQLite store and a MySQL store and alternates between them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import FingerprintParams
from database import open_store
from fingerprint.ingest import Ingestor
from tests.audio_files import write_audio
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent.parent
RATE = 16_000
RECOGNITIONS = 1000
WARM_UP = 200
#: Growth of the resident memory allowed between recognition WARM_UP (when caches have filled) and the
#: last; measured: about 5 MiB, level after a few hundred recognitions. A leak of 20 KB per
#: recognition (one query's hashes and hits) would exceed it.
GROWTH_LIMIT_MB = 16

pytestmark = pytest.mark.slow

# Recognises in a fresh Python (so that nothing else moves its memory) and prints JSON figures. Every
# tenth recognition decodes the file; the others cut the clip from samples decoded once.
_RECOGNISE_MANY = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from config.settings import FingerprintParams
from database import open_store
from fingerprint.recognizer import Recognizer

def rss_kb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS:")).split()[1])

stores, songs, count, warm_up = json.loads(sys.argv[2])
params = FingerprintParams()
rng = np.random.default_rng(5)
wrong = 0
(type_a, options_a), (type_b, options_b) = stores
with open_store(type_a, **options_a) as first, open_store(type_b, **options_b) as second:
    recognizers = [Recognizer(first, params), Recognizer(second, params)]
    decoded = {name: recognizers[0].read_clip(path) for name, path in songs.items()}
    names = sorted(songs)
    for index in range(count):
        if index == warm_up:
            before = rss_kb()
        recognizer = recognizers[index % 2]
        name = names[index // 2 % len(names)]
        start_s = float(rng.uniform(0.0, 20.0))
        if index % 10 == 0:
            result = recognizer.recognize_file(songs[name], start_s=start_s, duration_s=4.0)
        else:
            first = int(start_s * params.sample_rate)
            clip = decoded[name][first : first + 4 * params.sample_rate]
            result = recognizer.recognize_samples(clip, sample_rate=params.sample_rate)
        wrong += [m.song_name for m in result.matches[:1]] != [name]
    after = rss_kb()
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
print(json.dumps({"before_kb": before, "after_kb": after, "peak_kb": peak, "wrong": wrong}))
"""


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("songs")
    paths = {}
    for index, extension in enumerate([".mp3", ".ogg", ".flac", ".wav"]):
        name = f"song {index}"
        song = synth_song(800 + index, duration_s=25.0, sample_rate=RATE)
        paths[name] = str(write_audio(folder / f"{name}{extension}", song, sample_rate=RATE))
    return paths


@pytest.mark.mysql
def test_a_thousand_recognitions_keep_memory_flat(songs, tmp_path, mysql_settings):
    params = FingerprintParams()
    stores = [("sqlite", {"path": str(tmp_path / "songs.sqlite3")}), ("mysql", dict(mysql_settings))]
    for database_type, options in stores:
        with open_store(database_type, **options) as store:
            store.ensure_params(params.store_signature())
            for path in songs.values():
                assert Ingestor(store, params).fingerprint_file(path).added
    arguments = json.dumps([stores, songs, RECOGNITIONS, WARM_UP])
    result = subprocess.run(
        [sys.executable, "-c", _RECOGNISE_MANY, str(ROOT), arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    before, after, peak = (figures[key] / 1024 for key in ("before_kb", "after_kb", "peak_kb"))
    print(
        f"{RECOGNITIONS} recognitions: RSS {before:.1f} MiB after {WARM_UP}, {after:.1f} MiB after "
        f"{RECOGNITIONS} (peak {peak:.1f} MiB), wrong {figures['wrong']}"
    )
    assert figures["wrong"] == 0
    assert figures["after_kb"] - figures["before_kb"] < GROWTH_LIMIT_MB * 1024
