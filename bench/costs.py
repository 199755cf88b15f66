"""What ingesting costs besides the store: the speed of decoding alone, and peak memory on a long file.

`decode_speed` times ffmpeg decoding the same files the ingest read, to mono 8 kHz 16-bit and thrown
away, in as many parallel processes as the ingest used: the speed no ingest that decodes with ffmpeg can
beat. `concatenate` encodes songs one after another into one long mp3; `long_file_ingest` ingests it into
a scratch SQLite store in a spawned child process and reports the child's peak RSS, and that of the
ffmpeg decoder it ran.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
import resource
import subprocess
import time
from pathlib import Path

from bench.corpus import Song
from config.settings import FingerprintParams
from database import open_store
from fingerprint.decoder import find_ffmpeg
from fingerprint.ingest import Ingestor


def decode_speed(paths: list[Path], *, audio_s: float, processes: int) -> float:
    """Seconds of audio per wall second that ffmpeg decodes `paths` (`audio_s` in all) at."""
    ffmpeg = find_ffmpeg()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(processes) as pool:  # each thread waits on one ffmpeg
        list(pool.map(lambda path: decode_to_nothing(ffmpeg, path), paths))
    return audio_s / (time.perf_counter() - started)


def decode_to_nothing(ffmpeg: str, path: Path) -> None:
    """Decode `path` as the app does (mono, 8 kHz, 16-bit) and discard the samples."""
    command = [ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "8000", "-f", "s16le"]
    subprocess.run([*command, "-"], check=True, stdout=subprocess.DEVNULL)


def concatenate(songs: list[Song], hours: float, out: Path) -> Path:
    """An mp3 (mono, 64 kbps) of the decoded `songs` one after another, repeated as needed, `hours` long."""
    rate = songs[0].sample_rate
    left = round(hours * 3600 * rate)
    command = [find_ffmpeg(), "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1"]
    command += ["-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "64k", str(out)]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as encoder:
        for song in itertools.cycle(songs):
            if left <= 0:
                break
            encoder.stdin.write(song.samples[:left].astype("<f4").tobytes())
            left -= min(left, len(song.samples))
        encoder.stdin.close()
    if encoder.returncode != 0:
        raise RuntimeError(f"ffmpeg could not write {out} (exit status {encoder.returncode})")
    return out


def long_file_ingest(path: Path, folder: Path) -> dict[str, float]:
    """Ingest `path` alone in a fresh spawned process: its seconds of audio, wall time and peaks (KiB)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(child_ingest, str(path), str(folder / "long.sqlite3")).result()


def child_ingest(path: str, store_path: str) -> dict[str, float]:
    """Runs in the child: ingest one file into a new SQLite store."""
    params = FingerprintParams()
    with open_store("sqlite", path=store_path) as store:
        store.ensure_params(params.store_signature())
        started = time.perf_counter()
        report = Ingestor(store, params).fingerprint_file(path)
        wall_s = time.perf_counter() - started
    if report.failed:
        raise RuntimeError(f"{path}: {report.failed[0].reason}")
    return {
        "audio_s": report.seconds_of_audio,
        "wall_s": wall_s,
        "peak_rss_kib": peak_rss_kib(),
        "decoder_peak_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def peak_rss_kib() -> int:
    """This process's peak RSS: VmHWM, which exec resets (ru_maxrss keeps the forking parent's RSS)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
