"""Fingerprinting songs into a store: one file, or a whole folder with a process pool.

Workers decode and fingerprint; this process alone writes, one transaction per song, so a killed ingest
leaves no half-stored song and a re-run skips every song already stored (by the SHA-1 of the file).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from config.settings import FingerprintParams
from database.base import DuplicateSongError, Store
from fingerprint.analysis import fingerprint_chunks
from fingerprint.decoder import file_sha1, read_audio_chunks
from fingerprint.errors import DecodeError
from fingerprint.types import FailedFile, IngestReport

# Files with these extensions are expected to be audio: when one fails to decode it is a failure, while
# any other file that does not decode (a cover image, a playlist) is only ignored.
AUDIO_EXTENSIONS = frozenset(
    ".mp3 .wav .ogg .oga .opus .flac .m4a .aac .mp4 .wma .aif .aiff .ape .wv .mka .webm .mp2 .ac3".split()
)

#: Seconds of audio decoded at a time by `analyse_file` (about 2 MB of float32 at 8 kHz).
ANALYSIS_CHUNK_S = 60.0

#: progress(files done, files in total, the file just done)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class AnalysedFile:
    path: str
    duration_s: float
    hashes: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int32]


def analyse_file(path: str, params: FingerprintParams, limit_s: float | None) -> AnalysedFile:
    """Decode and fingerprint one file (runs in a worker process).

    The file is decoded and analysed a minute at a time, so a recording of hours never sits in memory
    whole; the hashes are exactly those of the whole file analysed at once.
    """
    n_samples = 0

    def counted(chunks: Iterator[npt.NDArray[np.float32]]) -> Iterator[npt.NDArray[np.float32]]:
        nonlocal n_samples
        for chunk in chunks:
            n_samples += len(chunk)
            yield chunk

    decoded = read_audio_chunks(
        path, sample_rate=params.sample_rate, limit_s=limit_s, chunk_s=ANALYSIS_CHUNK_S
    )
    fingerprints = fingerprint_chunks(counted(decoded), params)
    return AnalysedFile(path, n_samples / params.sample_rate, fingerprints.hashes, fingerprints.offsets)


def normalise_extensions(extensions: Iterable[str] | None) -> frozenset[str] | None:
    """``["mp3", ".OGG"]`` -> ``{".mp3", ".ogg"}``; None or empty means every file."""
    cleaned = {("." + e.lower().lstrip(".")) for e in extensions or () if e.strip(".")}
    return frozenset(cleaned) or None


def collect_files(path: str | Path, extensions: Iterable[str] | None = None) -> list[Path]:
    """`path` itself if it is a file, else every file below it (recursively, sorted) with those extensions."""
    root = Path(path)
    if not root.exists():
        raise DecodeError(root, "no such file or folder")
    if root.is_file():
        return [root]
    wanted = normalise_extensions(extensions)
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(names):
            candidate = Path(folder) / name
            if name.startswith(".") or not candidate.is_file():
                continue
            if wanted is None or candidate.suffix.lower() in wanted:
                found.append(candidate)
    return found


class Ingestor:
    """Adds songs to a store."""

    def __init__(self, store: Store, params: FingerprintParams, *, limit_s: float | None = None) -> None:
        self.store = store
        self.params = params
        self.limit_s = limit_s

    def fingerprint_file(self, path: str | Path, name: str | None = None) -> IngestReport:
        """Fingerprint one file under `name` (default: the file name without its extension)."""
        report = IngestReport()
        sha1 = self._new_sha1(Path(path), set(), report)
        if sha1 is not None:
            try:
                analysed = analyse_file(str(path), self.params, self.limit_s)
            except DecodeError as error:
                report.failed.append(FailedFile(str(path), error.reason))
            else:
                self._store(analysed, sha1, report, name=name)
        return report

    def fingerprint_directory(
        self,
        path: str | Path,
        extensions: Iterable[str] | None = None,
        *,
        processes: int | None = None,
        progress: Progress | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> IngestReport:
        """Fingerprint every file below `path` with those extensions (every file that decodes if None).

        One bad file never stops the batch: it goes into the report's `failed` with the reason. A store
        error (the server went away) does stop it, after every song finished so far has been kept.
        """
        files = collect_files(path, extensions)
        strict = normalise_extensions(extensions) is not None
        report = IngestReport()
        processes = max(1, processes or os.cpu_count() or 1)
        seen: set[str] = set()
        done = 0

        def finished(file_path: str) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, len(files), file_path)

        pending = self._files_to_analyse(files, seen, report, finished)
        results = (
            self._analyse_here(pending, should_cancel)
            if processes == 1
            else self._analyse_in_pool(pending, processes, should_cancel)
        )
        for item in results:
            file_path, sha1, outcome = item
            if isinstance(outcome, DecodeError):
                if strict or Path(file_path).suffix.lower() in AUDIO_EXTENSIONS:
                    report.failed.append(FailedFile(file_path, outcome.reason))
                else:
                    report.ignored.append(file_path)
            else:
                self._store(outcome, sha1, report)
            finished(file_path)
        report.cancelled = bool(should_cancel and should_cancel())
        return report

    def _files_to_analyse(
        self, files: list[Path], seen: set[str], report: IngestReport, finished: Callable[[str], None]
    ) -> Iterator[tuple[str, str]]:
        """(path, sha1) of each file that is not stored yet; the others are reported as skipped."""
        for file_path in files:
            sha1 = self._new_sha1(file_path, seen, report)
            if sha1 is None:
                finished(str(file_path))
            else:
                yield str(file_path), sha1

    def _new_sha1(self, path: Path, seen: set[str], report: IngestReport) -> str | None:
        """The file's SHA-1 if it still needs fingerprinting, else None (and the report says why)."""
        try:
            sha1 = file_sha1(path)
        except DecodeError as error:
            report.failed.append(FailedFile(str(path), error.reason))
            return None
        if sha1 in seen or self.store.song_by_sha1(sha1) is not None:
            report.skipped.append(str(path))
            return None
        seen.add(sha1)
        return sha1

    def _analyse_here(
        self, pending: Iterator[tuple[str, str]], should_cancel: Callable[[], bool] | None
    ) -> Iterator[tuple[str, str, AnalysedFile | DecodeError]]:
        for file_path, sha1 in pending:
            if should_cancel and should_cancel():
                return
            try:
                yield file_path, sha1, analyse_file(file_path, self.params, self.limit_s)
            except DecodeError as error:
                yield file_path, sha1, error

    def _analyse_in_pool(
        self, pending: Iterator[tuple[str, str]], processes: int, should_cancel: Callable[[], bool] | None
    ) -> Iterator[tuple[str, str, AnalysedFile | DecodeError]]:
        # spawn, not fork: the window runs this from a thread, and forking a threaded Qt process is unsafe.
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
            in_flight: dict[concurrent.futures.Future[AnalysedFile], tuple[str, str]] = {}
            try:
                while not (should_cancel and should_cancel()):
                    # Keep a few files queued per worker, never the whole folder (bounded memory).
                    while len(in_flight) < 2 * processes:
                        item = next(pending, None)
                        if item is None:
                            break
                        in_flight[pool.submit(analyse_file, item[0], self.params, self.limit_s)] = item
                    if not in_flight:
                        return
                    completed, _ = concurrent.futures.wait(
                        in_flight, return_when=concurrent.futures.FIRST_COMPLETED
                    )
                    for future in completed:
                        file_path, sha1 = in_flight.pop(future)
                        error = future.exception()
                        if error is not None and not isinstance(error, DecodeError):
                            raise error
                        yield file_path, sha1, error if error is not None else future.result()
            finally:
                for future in in_flight:
                    future.cancel()

    def _store(
        self, analysed: AnalysedFile, sha1: str, report: IngestReport, name: str | None = None
    ) -> None:
        try:
            self.store.add_song(
                name or Path(analysed.path).stem,
                sha1,
                analysed.duration_s,
                analysed.hashes,
                analysed.offsets,
                file_path=str(Path(analysed.path).resolve()),
            )
        except DuplicateSongError:
            # Another ingest stored the same file meanwhile.
            report.skipped.append(analysed.path)
            return
        report.added.append(analysed.path)
        report.seconds_of_audio += analysed.duration_s
