"""A 2-hour file ingests in bounded memory, with exactly the hashes of a one-shot analysis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from config.settings import FingerprintParams
from database import open_store
from fingerprint.analysis import fingerprint_samples
from fingerprint.decoder import find_ffmpeg, read_audio
from fingerprint.ingest import ANALYSIS_CHUNK_S, analyse_file
from tests.audio_files import write_audio
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent.parent
PARAMS = FingerprintParams()
LONG_S = 2 * 3600
#: Peak resident memory allowed for the ingest of the 2-hour file. Decoded whole, its samples alone are
#: 230 MB of float32 (460 MB in float64) and its spectrogram 460 MB; analysed at once it peaks near 3 GB.
PEAK_RSS_LIMIT_MB = 400

pytestmark = pytest.mark.slow

# Runs the CLI in a fresh Python and prints that process's peak resident memory (VmHWM) last.
_INGEST_AND_MEASURE = """
import sys
sys.path.insert(0, sys.argv[1])
import main
status = main.main(sys.argv[2:])
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("peak_kb", int(peak.split()[1]), "status", status)
"""


@pytest.mark.parametrize(("name", "duration_s"), [("song.mp3", 3.5 * ANALYSIS_CHUNK_S), ("song.wav", 40.0)])
def test_a_file_analysed_in_chunks_has_the_hashes_of_the_whole_file(tmp_path, name, duration_s):
    path = write_audio(
        tmp_path / name, synth_song(11, duration_s=duration_s, sample_rate=22050), sample_rate=22050
    )
    whole = fingerprint_samples(read_audio(path, sample_rate=PARAMS.sample_rate), PARAMS)
    analysed = analyse_file(str(path), PARAMS, None)
    assert len(whole) > 1000
    np.testing.assert_array_equal(analysed.hashes, whole.hashes)
    np.testing.assert_array_equal(analysed.offsets, whole.offsets)
    assert analysed.duration_s == pytest.approx(duration_s, abs=0.1)


def test_fingerprint_limit_gives_the_hashes_of_the_limited_file(tmp_path):
    path = write_audio(tmp_path / "song.ogg", synth_song(12, duration_s=100.0), sample_rate=8000)
    whole = fingerprint_samples(read_audio(path, sample_rate=PARAMS.sample_rate, limit_s=70.0), PARAMS)
    analysed = analyse_file(str(path), PARAMS, 70.0)
    np.testing.assert_array_equal(analysed.hashes, whole.hashes)
    np.testing.assert_array_equal(analysed.offsets, whole.offsets)
    assert analysed.duration_s == pytest.approx(70.0, abs=0.05)


def test_a_two_hour_file_ingests_in_bounded_memory(tmp_path):
    path = tmp_path / "two hours.mp3"
    # Noise with a tone every few seconds, encoded by ffmpeg at 8 kHz (about 14 MB of mp3).
    source = (
        f"anoisesrc=sample_rate=8000:amplitude=0.2:seed=5:duration={LONG_S}[noise];"
        f"sine=frequency=880:sample_rate=8000:beep_factor=3:duration={LONG_S}[tone];"
        "[noise][tone]amix=inputs=2"
    )
    subprocess.run(
        [find_ffmpeg(), "-nostdin", "-v", "error", "-y", "-filter_complex", source, "-ac", "1"]
        + ["-c:a", "libmp3lame", "-b:a", "16k", str(path)],
        check=True,
    )
    config = tmp_path / "dejavu.cnf"
    store_path = tmp_path / "songs.sqlite3"
    config.write_text(json.dumps({"database_type": "sqlite", "database": {"path": str(store_path)}}))
    command = [sys.executable, "-c", _INGEST_AND_MEASURE, str(ROOT), "--config", str(config)]
    result = subprocess.run(
        [*command, "--fingerprint", str(path), "--processes", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    peak_kb, status = (int(word) for word in result.stdout.split()[-3::2])
    assert status == 0
    with open_store("sqlite", path=str(store_path)) as store:
        (song,) = store.songs()
        stored = len(store.song_fingerprints(song.song_id)[0])
    assert song.duration_s == pytest.approx(LONG_S, abs=1.0)
    assert stored == song.total_hashes > 20 * LONG_S
    print(f"2-hour file: {stored} hashes, peak RSS {peak_kb / 1024:.0f} MiB")
    assert peak_kb < PEAK_RSS_LIMIT_MB * 1024
