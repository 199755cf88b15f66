"""Fingerprinting songs into a store: one file, or a whole folder with a process pool.

Workers decode and fingerprint; this process alone writes, one transaction per song, so a killed ingest
leaves no half-stored song and a re-run skips every song already stored (by the SHA-1 of the file). Files
are claimed in the store before they are decoded, so several ingests can share one folder and one store.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from config.settings import FingerprintParams
from database.base import ClaimLostError, Store, StoreError
from database.claims import RENEW_EVERY_S, new_worker_name
from fingerprint.analysis import fingerprint_chunks
from fingerprint.decoder import file_sha1, read_audio_chunks
from fingerprint.errors import DecodeError
from fingerprint.rarity import META_NAME as PRIOR_META_NAME
from fingerprint.rarity import SAMPLE_SONGS as PRIOR_SAMPLE_SONGS
from fingerprint.rarity import HashPrior
from fingerprint.types import FailedFile, IngestReport

#: Songs counted into the store's hash statistics between two saves of them.
PRIOR_SAVE_EVERY = 20

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
    profile: bytes  # fingerprint.loudness


def analyse_file(path: str, params: FingerprintParams, limit_s: float | None) -> AnalysedFile:
    """Decode and fingerprint one file (runs in a worker process).

    The file is decoded and analysed a minute at a time, so a recording of hours never sits in memory
    whole; the hashes are exactly those of the whole file analysed at once. Audio that gives no hashes at
    all (silence, a constant level, a fraction of a second) raises DecodeError: stored, it could never be
    recognised, and its SHA-1 in the store would make every later ingest skip the file.
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
    if len(fingerprints) == 0:
        seconds = n_samples / params.sample_rate
        raise DecodeError(
            path, f"no fingerprints in its {seconds:.1f} s of audio: silent, constant or too short"
        )
    return AnalysedFile(
        path, n_samples / params.sample_rate, fingerprints.hashes, fingerprints.offsets, fingerprints.profile
    )


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


@dataclass(frozen=True)
class Claim:
    """A file this ingest claimed in the store: its path, SHA-1 and song row."""

    path: str
    sha1: str
    song_id: int


class Ingestor:
    """Adds songs to a store, sharing the work with any other ingest into the same store.

    Each file's song row is claimed in the store before the file is decoded, so ingests running at once
    (in other processes, on other machines) never do a file twice; the claims are renewed while the work
    goes on, given back when a file fails or the ingest stops, and taken over from a worker that died.
    """

    def __init__(self, store: Store, params: FingerprintParams, *, limit_s: float | None = None) -> None:
        self.store = store
        self.params = params
        self.limit_s = limit_s
        self.worker = new_worker_name()
        self._held: dict[int, Claim] = {}
        self._renewed = time.monotonic()
        self._prior: HashPrior | None = None  # read from the store at the first song stored
        self._prior_unsaved = 0

    def fingerprint_file(self, path: str | Path, name: str | None = None) -> IngestReport:
        """Fingerprint one file under `name` (default: the file name without its extension)."""
        report = IngestReport()
        try:
            claim = self._claim(Path(path), set(), report, name=name)
            if claim is not None:
                try:
                    analysed = analyse_file(claim.path, self.params, self.limit_s)
                except DecodeError as error:
                    self._fail(claim, error, report)
                else:
                    self._store(claim, analysed, report)
        finally:
            self._release_held()
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
        Files another ingest is working on are skipped.
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

        pending = self._claims(files, seen, report, finished)
        results = (
            self._analyse_here(pending, should_cancel)
            if processes == 1
            else self._analyse_in_pool(pending, processes, should_cancel)
        )
        try:
            for claim, outcome in results:
                if isinstance(outcome, DecodeError):
                    if strict or Path(claim.path).suffix.lower() in AUDIO_EXTENSIONS:
                        self._fail(claim, outcome, report)
                    else:
                        self._release(claim)
                        report.ignored.append(claim.path)
                else:
                    self._store(claim, outcome, report)
                finished(claim.path)
        finally:
            self._release_held()
        report.cancelled = bool(should_cancel and should_cancel())
        return report

    def _claims(
        self, files: list[Path], seen: set[str], report: IngestReport, finished: Callable[[str], None]
    ) -> Iterator[Claim]:
        """A claim on each file that is not stored yet; the others are reported as skipped or failed."""
        for file_path in files:
            claim = self._claim(file_path, seen, report)
            if claim is None:
                finished(str(file_path))
            else:
                yield claim

    def _claim(
        self, path: Path, seen: set[str], report: IngestReport, name: str | None = None
    ) -> Claim | None:
        """Claim the file's song row if it still needs fingerprinting, else None (the report says why)."""
        try:
            sha1 = file_sha1(path)
        except DecodeError as error:
            report.failed.append(FailedFile(str(path), error.reason))
            return None
        song_id = None
        if sha1 not in seen:
            seen.add(sha1)
            stored = self.store.song_by_sha1(sha1)
            if stored is None or not stored.fingerprinted:
                song_id = self.store.claim_song(name or path.stem, sha1, str(path.resolve()), self.worker)
        if song_id is None:
            report.skipped.append(str(path))  # a copy of a file seen, stored, or claimed by another ingest
            return None
        claim = Claim(str(path), sha1, song_id)
        self._held[song_id] = claim
        return claim

    def _renew_if_due(self) -> None:
        if time.monotonic() - self._renewed >= RENEW_EVERY_S:
            self.store.renew_claims(self.worker)
            self._renewed = time.monotonic()

    def _analyse_here(
        self, pending: Iterator[Claim], should_cancel: Callable[[], bool] | None
    ) -> Iterator[tuple[Claim, AnalysedFile | DecodeError]]:
        for claim in pending:
            if should_cancel and should_cancel():
                return
            self._renew_if_due()
            try:
                yield claim, analyse_file(claim.path, self.params, self.limit_s)
            except DecodeError as error:
                yield claim, error

    def _analyse_in_pool(
        self, pending: Iterator[Claim], processes: int, should_cancel: Callable[[], bool] | None
    ) -> Iterator[tuple[Claim, AnalysedFile | DecodeError]]:
        # spawn, not fork: the window runs this from a thread, and forking a threaded Qt process is unsafe.
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
            in_flight: dict[concurrent.futures.Future[AnalysedFile], Claim] = {}
            try:
                while not (should_cancel and should_cancel()):
                    # Keep a few files queued per worker, never the whole folder (bounded memory and claims).
                    while len(in_flight) < 2 * processes:
                        claim = next(pending, None)
                        if claim is None:
                            break
                        in_flight[pool.submit(analyse_file, claim.path, self.params, self.limit_s)] = claim
                    if not in_flight:
                        return
                    completed, _ = concurrent.futures.wait(
                        in_flight, timeout=RENEW_EVERY_S, return_when=concurrent.futures.FIRST_COMPLETED
                    )
                    self._renew_if_due()
                    for future in completed:
                        claim = in_flight.pop(future)
                        error = future.exception()
                        if error is not None and not isinstance(error, DecodeError):
                            raise error
                        yield claim, error if error is not None else future.result()
            finally:
                for future in in_flight:
                    future.cancel()

    def _store(self, claim: Claim, analysed: AnalysedFile, report: IngestReport) -> None:
        try:
            self.store.finish_song(
                claim.song_id,
                self.worker,
                analysed.duration_s,
                analysed.hashes,
                analysed.offsets,
                profile=analysed.profile,
            )
        except ClaimLostError:
            # This ingest stalled past its lease, and another one took the file over.
            report.skipped.append(claim.path)
        else:
            report.added.append(claim.path)
            report.seconds_of_audio += analysed.duration_s
            self._count_hashes(analysed.hashes)
        self._held.pop(claim.song_id, None)

    def _count_hashes(self, hashes: npt.NDArray[np.int64]) -> None:
        """Add a stored song to the store's hash statistics while they still sample too few songs."""
        if self._prior is None:
            self._prior = HashPrior.from_json(self.store.get_meta(PRIOR_META_NAME))
        if self._prior.songs >= PRIOR_SAMPLE_SONGS:
            return
        self._prior = self._prior.with_song(hashes)
        self._prior_unsaved += 1
        if self._prior_unsaved >= PRIOR_SAVE_EVERY:
            self._save_prior()

    def _save_prior(self) -> None:
        # Two ingests at once may each save theirs; one's sample is lost, which only makes it smaller.
        if self._prior is not None and self._prior_unsaved:
            self.store.set_meta(PRIOR_META_NAME, self._prior.to_json())
            self._prior_unsaved = 0

    def _fail(self, claim: Claim, error: DecodeError, report: IngestReport) -> None:
        self._release(claim)
        report.failed.append(FailedFile(claim.path, error.reason))

    def _release(self, claim: Claim) -> None:
        self.store.release_claim(claim.song_id, self.worker)
        self._held.pop(claim.song_id, None)

    def _release_held(self) -> None:
        """Give back the claims of files not finished (cancelled, or stopped by an error); save statistics."""
        with suppress(StoreError):
            self._save_prior()
        for claim in list(self._held.values()):
            with suppress(StoreError):
                self._release(claim)
        self._held.clear()
