"""End-to-end evaluation on real music: recall under noise and other alterations, no-match, speed and size.

    python bench/evaluate.py                          # Debian game music (downloaded once), SQLite store
    python bench/evaluate.py --backend mysql          # the same on a throwaway MariaDB server (+ SQLite size)
    python bench/evaluate.py --music ~/Music --songs 150 --clips 50 --json figures.json
    python bench/evaluate.py --quick                  # a smoke run: a few songs and clips, no curves

The songs are split (seeded) into stored and never-stored ones. Songs that share recorded audio (a track
re-arranged into another) are found first, by recognising clips of each song in a scratch store of all
of them, and kept on one side of the split. The stored songs are ingested by the app's Ingestor (worker
processes, store writes included). Queries are excerpts cut at random sample positions from the files
decoded at 44.1 kHz, altered as each condition of bench/conditions.py says, written to disk and recognised
with `Recognizer.recognize_file`, so decoding is part of every query. Progress goes to stderr, the
Markdown report (bench/report.py) to stdout, the curves (bench/curves.py) to PNG files.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.signal
from scipy.io import wavfile
from tqdm import tqdm

if __package__ in (None, ""):  # run as a script: make the project's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.conditions import (  # noqa: E402
    DURATIONS_S,
    MAIN_DURATION_S,
    MIX_DURATION_S,
    MIX_RATIOS,
    MIX_WITH_UNKNOWN,
    MP3,
    PHONE,
    PHONE_RATE,
    SILENCE,
    SNRS_DB,
    SPEECH,
    SPEEDS,
    add_noise,
    change_speed,
    clean_name,
    encode_mp3,
    espeak_program,
    mix_name,
    never_stored_name,
    noise_name,
    phone_channel,
    pink_noise,
    seconds,
    speed_name,
    synthesise_speech,
    white_noise,
)
from bench.corpus import (  # noqa: E402
    CorpusError,
    Song,
    default_cache_dir,
    fetch_game_music,
    load_songs,
    music_files,
)
from bench.costs import concatenate, decode_speed, long_file_ingest  # noqa: E402
from bench.curves import draw_curves  # noqa: E402
from bench.report import BACKEND_NAMES, markdown_report  # noqa: E402
from config.settings import FingerprintParams  # noqa: E402
from database import Store, StoreError, open_store  # noqa: E402
from fingerprint.analysis import fingerprint_samples  # noqa: E402
from fingerprint.audio import mix, resample, rms  # noqa: E402
from fingerprint.decoder import find_ffmpeg  # noqa: E402
from fingerprint.ingest import Ingestor  # noqa: E402
from fingerprint.recognizer import Recognizer, confidence  # noqa: E402
from fingerprint.types import IngestReport, Match, RecognitionResult  # noqa: E402

__all__ = ["BACKEND_NAMES"]  # bench/timeline.py takes the backends' names from here

CLIP_RATE = 44_100  # excerpts are cut, altered and written at this rate
DEFAULT_CLIPS = 100
CLEAN_CLIPS_FACTOR = 3  # clean conditions get this many times --clips: their targets are the tightest
HISS_DBFS = -60.0  # the RMS of the hiss queries
MIN_CLIP_DBFS = -45.0  # quieter excerpts (silent intros and outros) are skipped
OFFSET_TOLERANCE_S = 0.2
REPEAT_CORRELATION = 0.9  # two stretches of a song above this normalised correlation are the same audio
HELD_OUT_SHARE = 0.2
GROUPING_CLIPS = 8  # clips of each song recognised to find songs that share audio
GROUPING_CLIP_S = 10.0
# A match between two songs counts as shared audio only if some stretch this long of the clip correlates
# above SHARED_CORRELATION with the other song where it matched (unrelated music stays far below).
SHARED_WINDOW_S = 2.0
SHARED_CORRELATION = 0.5
BAR = confidence(1.0, 1.0)  # the confidence of a candidate exactly at the recogniser's match threshold
IMAGES = Path(__file__).resolve().parents[1] / "images"
SPEECH_VOICES = ("en-gb", "en-us", "de", "fr", "es")
SPEECH_TEXT = (
    "The weather will stay dry this morning, with some sunshine in the east. Later today clouds move in "
    "from the west and bring rain to most places by the evening. Winds will be light at first, becoming "
    "moderate along the coast. Tomorrow starts cold and bright, and temperatures climb to around fifteen "
    "degrees in the afternoon. Now the traffic: the northern bridge is closed for repairs until Friday, so "
    "please allow an extra twenty minutes for your journey into the city centre. And finally, the library "
    "on the main square opens its new reading room on Saturday, with free coffee for every visitor."
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress_bar(total: int, description: str) -> tqdm:
    return tqdm(total=total, desc=description, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True)


def rng_for(seed: int, label: str) -> np.random.Generator:
    """A generator of its own for each use, so that one condition's draws never shift another's."""
    return np.random.default_rng([seed, zlib.crc32(label.encode())])


# ---- the songs and the split ----------------------------------------------------------------------


def corpus(args: argparse.Namespace) -> list[Song]:
    """The songs to evaluate on, decoded at CLIP_RATE (a seeded sample of `--songs` of them)."""
    folder = Path(args.music) if args.music else fetch_game_music(Path(args.cache))
    paths = music_files(folder)
    if args.songs and args.songs < len(paths):
        picked = rng_for(args.seed, "songs").choice(len(paths), args.songs, replace=False)
        paths = [paths[i] for i in sorted(picked)]
    if len(paths) < 2:
        raise CorpusError(f"{folder}: found {len(paths)} audio files, at least 2 are needed")
    log(f"Decoding {len(paths)} files below {folder} at {CLIP_RATE} Hz")
    with progress_bar(len(paths), "decode") as bar:
        songs, failed = load_songs(paths, sample_rate=CLIP_RATE, progress=bar.update)
    for failure in failed:
        log(f"  skipped {failure.path}: {failure.reason}")
    return songs


def shared_audio_groups(songs: list[Song], params: FingerprintParams, folder: Path) -> list[list[str]]:
    """Names of songs grouped by shared recorded audio (a song sharing nothing is a group of one)."""
    log(f"Looking for songs that share audio: a scratch store of {len(songs)}, {GROUPING_CLIPS} clips each")
    with open_store("sqlite", path=str(folder / "scratch.sqlite3")) as store:
        store.ensure_params(params.store_signature())
        with progress_bar(len(songs), "scratch store") as bar:
            for song in songs:
                add_from_memory(store, song, params)
                bar.update()
        recognizer = Recognizer(store, params)
        by_name = {song.name: song for song in songs}
        with progress_bar(len(songs), "shared audio") as bar:
            links = []
            for song in songs:
                links += [(song.name, other) for other in songs_sharing_audio(recognizer, song, by_name)]
                bar.update()
    return connected_groups([song.name for song in songs], links)


def add_from_memory(store: Store, song: Song, params: FingerprintParams) -> None:
    samples = resample(song.samples, from_rate=song.sample_rate, to_rate=params.sample_rate)
    fingerprints = fingerprint_samples(samples, params)
    duration_s = len(samples) / params.sample_rate
    store.add_song(
        song.name,
        song.sha1,
        duration_s,
        fingerprints.hashes,
        fingerprints.offsets,
        profile=fingerprints.profile,
    )


def songs_sharing_audio(recognizer: Recognizer, song: Song, songs: dict[str, Song]) -> set[str]:
    """Other songs that match evenly spread clips of `song` and really hold some of the same audio."""
    length = min(len(song.samples), round(GROUPING_CLIP_S * song.sample_rate))
    found: set[str] = set()
    for start in np.unique(np.linspace(0, len(song.samples) - length, GROUPING_CLIPS).astype(int)):
        result = recognizer.recognize_samples(
            song.samples[start : start + length], sample_rate=song.sample_rate
        )
        for match in result.matches:
            other = songs[match.song_name]
            if other is not song and other.name not in found:
                start_s = start / song.sample_rate
                if shares_audio(song, start_s, other, match.offset_seconds, length / song.sample_rate):
                    found.add(other.name)
    return found


def shares_audio(song: Song, start_s: float, other: Song, other_s: float, duration_s: float) -> bool:
    """Whether a SHARED_WINDOW_S stretch of `song` from `start_s` is also in `other` from `other_s`."""
    steps = np.arange(0.0, max(duration_s - SHARED_WINDOW_S, 0.0) + 1e-9, SHARED_WINDOW_S)
    return any(
        correlation(song, start_s + step, other, other_s + step, SHARED_WINDOW_S) > SHARED_CORRELATION
        for step in steps
    )


def connected_groups(names: list[str], links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The connected components of the graph of `links` between `names` (union-find)."""
    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(root(name), []).append(name)
    return list(groups.values())


def split(groups: list[list[str]], rng: np.random.Generator) -> tuple[set[str], set[str]]:
    """(stored, never stored) names: whole groups, in seeded order, held out up to HELD_OUT_SHARE."""
    total = sum(len(group) for group in groups)
    wanted = max(1, round(HELD_OUT_SHARE * total))
    stored: set[str] = set()
    held_out: set[str] = set()
    for index in rng.permutation(len(groups)):
        group = groups[index]
        (held_out if len(held_out) + len(group) <= wanted else stored).update(group)
    return stored, held_out


# ---- the store ------------------------------------------------------------------------------------


def server_given(args: argparse.Namespace) -> bool:
    given = (args.mysql_host, args.mysql_port, args.mysql_user, args.mysql_password, args.mysql_database)
    return any(value is not None for value in given)


@contextmanager
def mysql_options(args: argparse.Namespace) -> Iterator[tuple[dict[str, object], Callable[[], None]]]:
    """Connection options: the server the options name, else a database on a throwaway MariaDB server
    (with MyRocks); and what writes the server's buffered rows to disk before the store is measured."""
    if server_given(args):
        yield (
            {
                "host": args.mysql_host or "127.0.0.1",
                "port": args.mysql_port or 3306,
                "user": args.mysql_user or "root",
                "password": args.mysql_password or os.environ.get("MYSQL_PASSWORD", ""),
                "database": args.mysql_database or "shazam_bench",
            },
            lambda: None,
        )
        return
    from tests.mariadb import ROCKSDB_OPTIONS, MariaDBServer

    log("Starting a throwaway MariaDB server")
    with MariaDBServer(ROCKSDB_OPTIONS) as server:
        yield server.create_database(), server.flush_memtables


@contextmanager
def empty_store(
    args: argparse.Namespace, params: FingerprintParams, folder: Path
) -> Iterator[tuple[Store, Callable[[], None]]]:
    """An empty store of the chosen backend, thrown away after the run (on a given server: emptied again),
    and what settles its files before it is measured."""
    with ExitStack() as stack:
        settle: Callable[[], None] = lambda: None  # noqa: E731
        if args.backend == "sqlite":
            store = open_store("sqlite", path=str(folder / "evaluate.sqlite3"))
        else:
            options, settle = stack.enter_context(mysql_options(args))
            store = open_store("mysql", **options)
        stack.callback(store.close)
        store.ensure_params(params.store_signature())
        if store.counts()[0]:
            raise StoreError(f"{store.description} already holds songs; the evaluation needs an empty store")
        if args.backend == "mysql" and server_given(args):
            stack.callback(delete_songs, store)
        yield store, settle


def delete_songs(store: Store) -> None:
    for song in store.songs():
        store.delete_song(song.song_id)


def ingest(
    store: Store, songs: list[Song], params: FingerprintParams, processes: int, folder: Path
) -> tuple[IngestReport, float]:
    """Ingest `songs` through a folder of links to their files; the report and the wall time."""
    links = Path(
        tempfile.mkdtemp(prefix="stored-", dir=folder)
    )  # one folder per call: a run may ingest twice
    for song in songs:
        (links / f"{song.name}{song.path.suffix}").symlink_to(song.path.resolve())
    log(f"Ingesting {len(songs)} songs into {store.description} with {processes} processes")
    with progress_bar(len(songs), "ingest") as bar:

        def progress(done: int, total: int, _path: str) -> None:
            bar.update(done - bar.n)

        started = time.perf_counter()
        report = Ingestor(store, params).fingerprint_directory(links, processes=processes, progress=progress)
        wall_s = time.perf_counter() - started
    for failure in report.failed:
        log(f"  failed {failure.path}: {failure.reason}")
    return report, wall_s


# ---- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Excerpt:
    """A stretch of one song, cut where the truth is known."""

    song: Song
    start: int  # first sample, at the song's rate
    length: int

    @property
    def samples(self) -> npt.NDArray[np.float32]:
        return self.song.samples[self.start : self.start + self.length]

    @property
    def start_s(self) -> float:
        return self.start / self.song.sample_rate


@dataclass(frozen=True)
class Outcome:
    """One query and the recogniser's answer."""

    condition: str
    expected: tuple[str, ...]  # the songs in the query, dominant first; () for audio never stored
    start_s: float  # where the first expected song's excerpt starts in it
    duration_s: float
    result: RecognitionResult
    wall_s: float  # recognize_file, decoding included


def loud_enough(samples: npt.NDArray[np.float32]) -> bool:
    return rms(samples) >= 10 ** (MIN_CLIP_DBFS / 20)


def draw_excerpts(
    songs: list[Song], duration_s: float, count: int, rng: np.random.Generator
) -> tuple[list[Excerpt], int]:
    """`count` excerpts at random songs and sample positions, and how many silent ones were skipped."""
    length = round(duration_s * CLIP_RATE)
    pool = [song for song in songs if len(song.samples) >= length]
    excerpts: list[Excerpt] = []
    skipped = 0
    while pool and len(excerpts) < count and skipped <= 10 * count:
        song = pool[rng.integers(len(pool))]
        excerpt = Excerpt(song, int(rng.integers(len(song.samples) - length + 1)), length)
        if loud_enough(excerpt.samples):
            excerpts.append(excerpt)
        else:
            skipped += 1
    return excerpts, skipped


class QueryRunner:
    """Writes query audio to a file and recognises the file, timing the whole call."""

    def __init__(self, recognizer: Recognizer, folder: Path) -> None:
        self.recognizer = recognizer
        self.folder = folder
        self.ffmpeg = find_ffmpeg()

    def run(
        self,
        condition: str,
        samples: npt.NDArray[np.float32],
        *,
        rate: int = CLIP_RATE,
        expected: tuple[str, ...] = (),
        start_s: float = 0.0,
        mp3: bool = False,
        exhaustive: bool = False,
    ) -> Outcome:
        path = self.write(samples, rate, mp3)
        started = time.perf_counter()
        result = self.recognizer.recognize_file(path, exhaustive=exhaustive)
        wall_s = time.perf_counter() - started
        return Outcome(condition, expected, start_s, len(samples) / rate, result, wall_s)

    def write(self, samples: npt.NDArray[np.float32], rate: int, mp3: bool) -> Path:
        """A 16-bit wav file of `samples` (scaled down if they would clip), or a 64 kbps mp3 made of it."""
        peak = float(np.max(np.abs(samples), initial=0.0))
        scaled = samples / peak if peak > 1.0 else samples
        wav = self.folder / "query.wav"
        wavfile.write(wav, rate, np.round(scaled * 32767).astype(np.int16))
        return encode_mp3(wav, ffmpeg=self.ffmpeg) if mp3 else wav


Alteration = Callable[[npt.NDArray[np.float32], np.random.Generator], npt.NDArray[np.float32]]
NoiseSource = Callable[[int, np.random.Generator], npt.NDArray[np.float32]]


def unaltered(samples: npt.NDArray[np.float32], _rng: np.random.Generator) -> npt.NDArray[np.float32]:
    return samples


@dataclass(frozen=True)
class Condition:
    """How the queries of one condition are made from excerpts of stored songs."""

    name: str
    alter: Alteration = unaltered  # the excerpt at CLIP_RATE -> the query's samples at `rate`
    rate: int = CLIP_RATE  # the rate the query file is written at
    mp3: bool = False  # the query file is encoded as mp3


def noisy(
    source: NoiseSource, snr_db: float, samples: npt.NDArray[np.float32], rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    return add_noise(samples, source(len(samples), rng), snr_db=snr_db)


def song_noise(songs: list[Song], length: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """A loud excerpt of `length` samples of one of `songs` (never-stored ones), as noise."""
    excerpts, _ = draw_excerpts(songs, length / CLIP_RATE, 1, rng)
    if not excerpts:
        raise CorpusError(f"no never-stored song has {length / CLIP_RATE:g} s of loud audio to use as noise")
    return excerpts[0].samples


def noise_sources(held_out: list[Song]) -> dict[str, NoiseSource]:
    """Each noise kind's generator; the "song" kind only if some song was never stored."""
    sources: dict[str, NoiseSource] = {"white": white_noise, "pink": pink_noise}
    if held_out:
        sources["song"] = partial(song_noise, held_out)
    return sources


def stored_song_conditions(duration_s: float, sources: dict[str, NoiseSource]) -> list[Condition]:
    """The conditions made from excerpts of stored songs of that length, clean first."""
    conditions = [Condition(clean_name(duration_s))]
    conditions += [
        Condition(noise_name(kind, snr_db, duration_s), partial(noisy, source, snr_db))
        for kind, source in sources.items()
        for snr_db in SNRS_DB
    ]
    if duration_s == MAIN_DURATION_S:
        conditions += [
            Condition(PHONE, lambda samples, _rng: phone_channel(samples, sample_rate=CLIP_RATE), PHONE_RATE),
            Condition(MP3, mp3=True),
        ]
        conditions += [
            Condition(
                speed_name(factor, duration_s),
                partial(
                    lambda f, samples, _rng: change_speed(samples, factor=f, sample_rate=CLIP_RATE), factor
                ),
            )
            for factor in SPEEDS
        ]
    return conditions


def query_stored(
    runner: QueryRunner, stored: list[Song], held_out: list[Song], args: argparse.Namespace
) -> tuple[list[Outcome], int]:
    """Every condition on excerpts of stored songs (the same excerpts for each condition of a length).

    Clean queries use CLEAN_CLIPS_FACTOR times as many excerpts as the others, which use the first ones.
    """
    outcomes, skipped = [], 0
    sources = noise_sources(held_out)
    for duration_s in DURATIONS_S:
        excerpts, silent = draw_excerpts(
            stored, duration_s, CLEAN_CLIPS_FACTOR * args.clips, rng_for(args.seed, f"{duration_s} s")
        )
        skipped += silent
        for index, condition in enumerate(stored_song_conditions(duration_s, sources)):
            rng = rng_for(args.seed, condition.name)
            batch = [
                runner.run(
                    condition.name,
                    condition.alter(excerpt.samples, rng),
                    rate=condition.rate,
                    expected=(excerpt.song.name,),
                    start_s=excerpt.start_s,
                    mp3=condition.mp3,
                )
                for excerpt in bar_over(excerpts if index == 0 else excerpts[: args.clips], condition.name)
            ]
            log_condition(condition.name, batch)
            outcomes += batch
    return outcomes, skipped


def bar_over(items: list, description: str) -> tqdm:
    return tqdm(items, desc=description, file=sys.stderr, disable=None, leave=False)


def query_mixes(
    runner: QueryRunner, stored: list[Song], group_of: dict[str, int], args: argparse.Namespace
) -> tuple[list[Outcome], int]:
    """Two songs of different groups at equal loudness, mixed at each of MIX_RATIOS (the same pairs)."""
    rng = rng_for(args.seed, "mix")
    firsts, skipped = draw_excerpts(stored, MIX_DURATION_S, args.clips, rng)
    batches: dict[float, list[Outcome]] = {ratio: [] for ratio in MIX_RATIOS}
    for first in bar_over(firsts, "mixes"):
        others = [song for song in stored if group_of[song.name] != group_of[first.song.name]]
        seconds, silent = draw_excerpts(others, MIX_DURATION_S, 1, rng)
        skipped += silent
        for second in seconds:
            expected = (first.song.name, second.song.name)
            for ratio, batch in batches.items():
                # As the app's mix does (Recognizer.recognize_mix): both songs are looked for.
                outcome = runner.run(
                    mix_name(ratio),
                    mix(first.samples, second.samples, ratio, equal_loudness=True),
                    expected=expected,
                    start_s=first.start_s,
                    exhaustive=True,
                )
                batch.append(outcome)
    for ratio, batch in batches.items():
        log_condition(mix_name(ratio), batch)
    return [outcome for batch in batches.values() for outcome in batch], skipped


def query_mixes_with_unknown(
    runner: QueryRunner, stored: list[Song], held_out: list[Song], args: argparse.Namespace
) -> tuple[list[Outcome], int]:
    """A stored song mixed 50/50 with a never-stored one at equal loudness: only the first may be named."""
    rng = rng_for(args.seed, MIX_WITH_UNKNOWN)
    firsts, skipped = draw_excerpts(stored, MIX_DURATION_S, args.clips if held_out else 0, rng)
    batch = []
    for first in bar_over(firsts, MIX_WITH_UNKNOWN):
        seconds, silent = draw_excerpts(held_out, MIX_DURATION_S, 1, rng)
        skipped += silent
        batch += [
            runner.run(
                MIX_WITH_UNKNOWN,
                mix(first.samples, second.samples, 0.5, equal_loudness=True),
                expected=(first.song.name,),
                start_s=first.start_s,
                exhaustive=True,
            )
            for second in seconds
        ]
    log_condition(MIX_WITH_UNKNOWN, batch)
    return batch, skipped


def query_unknown(
    runner: QueryRunner, held_out: list[Song], speech: list[Song], args: argparse.Namespace
) -> tuple[list[Outcome], int]:
    """Audio that must not match: never-stored songs, silence and hiss, and synthesised speech."""
    outcomes, skipped = [], 0
    for duration_s in DURATIONS_S:
        condition = never_stored_name(duration_s)
        excerpts, silent = draw_excerpts(held_out, duration_s, args.clips, rng_for(args.seed, condition))
        skipped += silent
        batch = [runner.run(condition, excerpt.samples) for excerpt in bar_over(excerpts, condition)]
        log_condition(condition, batch)
        outcomes += batch
    outcomes += query_silence(runner, rng_for(args.seed, SILENCE))
    if speech:
        outcomes += query_speech(runner, speech, args)
    return outcomes, skipped


def query_silence(runner: QueryRunner, rng: np.random.Generator) -> list[Outcome]:
    """Digital zero, and white and pink hiss at HISS_DBFS RMS, at each clip length."""
    batch = []
    hiss_rms = np.float32(10 ** (HISS_DBFS / 20))
    for duration_s in DURATIONS_S:
        length = round(duration_s * CLIP_RATE)
        batch.append(runner.run(SILENCE, np.zeros(length, dtype=np.float32)))
        batch.append(runner.run(SILENCE, hiss_rms * white_noise(length, rng)))
        batch.append(runner.run(SILENCE, hiss_rms * pink_noise(length, rng)))
    log_condition(SILENCE, batch)
    return batch


def query_speech(runner: QueryRunner, speech: list[Song], args: argparse.Namespace) -> list[Outcome]:
    """Excerpts of synthesised speech, `--clips` in all, their lengths taken in turn from DURATIONS_S."""
    rng = rng_for(args.seed, SPEECH)
    batch = []
    for index in bar_over(list(range(args.clips)), SPEECH):
        excerpts, _ = draw_excerpts(speech, DURATIONS_S[index % len(DURATIONS_S)], 1, rng)
        batch += [runner.run(SPEECH, excerpt.samples) for excerpt in excerpts]
    log_condition(SPEECH, batch)
    return batch


def synthesised_speech(folder: Path) -> list[Song]:
    """SPEECH_TEXT read by each of SPEECH_VOICES with espeak-ng, decoded at CLIP_RATE ([] without it)."""
    program = espeak_program()
    if program is None:
        log("espeak-ng is not installed: speech is not measured")
        return []
    paths = [
        synthesise_speech(SPEECH_TEXT, voice, folder / f"speech-{voice}.wav", program=program)
        for voice in SPEECH_VOICES
    ]
    songs, failed = load_songs(paths, sample_rate=CLIP_RATE)
    for failure in failed:
        log(f"  speech {failure.path}: {failure.reason}")
    return songs


def log_condition(condition: str, outcomes: list[Outcome]) -> None:
    answered = sum(outcome.result.is_match for outcome in outcomes)
    log(f"  {condition}: {len(outcomes)} queries, {answered} answered with a match")


# ---- judging --------------------------------------------------------------------------------------


def judge(outcome: Outcome, songs: dict[str, Song], group_of: dict[str, int]) -> dict[str, bool]:
    """What one answer got right, by figure."""
    matches = outcome.result.matches
    if not outcome.expected:
        return {"no_match": not matches}
    if outcome.condition == MIX_WITH_UNKNOWN:
        named = {match.song_name for match in matches}
        return {"stored_named": outcome.expected[0] in named, "no_other_song": named <= set(outcome.expected)}
    first = matches[0].song_name if matches else None
    top1 = first == outcome.expected[0]
    if len(outcome.expected) == 2:
        return {
            "dominant_first": top1,
            "both_top_two": set(outcome.expected) <= {m.song_name for m in matches[:2]},
        }
    offset = top1 and abs(matches[0].offset_seconds - outcome.start_s) <= OFFSET_TOLERANCE_S
    repeat = offset or (
        top1 and same_audio(songs[first], outcome.start_s, matches[0].offset_seconds, outcome.duration_s)
    )
    grouped = first is not None and not top1 and group_of[first] == group_of[outcome.expected[0]]
    return {"top1": top1, "offset": offset, "offset_or_repeat": repeat, "named_grouped_song": grouped}


def same_audio(song: Song, start_s: float, other_s: float, duration_s: float) -> bool:
    """Whether the song at `other_s` (give or take the offset tolerance) repeats its audio at `start_s`."""
    return correlation(song, start_s, song, other_s, duration_s) > REPEAT_CORRELATION


def correlation(song: Song, start_s: float, other: Song, other_s: float, duration_s: float) -> float:
    """How alike `song` from `start_s` and `other` from `other_s` (+- the offset tolerance) are, at 8 kHz.

    The peak normalised correlation over the lags within the tolerance; 0 when `other` lacks the audio.
    """
    reference = phone_rate_excerpt(song, start_s, duration_s)
    around = phone_rate_excerpt(other, other_s - OFFSET_TOLERANCE_S, duration_s + 2 * OFFSET_TOLERANCE_S)
    if not 0 < len(reference) <= len(around):
        return 0.0
    return peak_correlation(reference, around)


def phone_rate_excerpt(song: Song, start_s: float, duration_s: float) -> npt.NDArray[np.float32]:
    start = max(0, round(start_s * song.sample_rate))
    stop = max(start, round((start_s + duration_s) * song.sample_rate))
    return resample(song.samples[start:stop], from_rate=song.sample_rate, to_rate=PHONE_RATE)


def peak_correlation(reference: np.ndarray, signal: np.ndarray) -> float:
    """The highest normalised correlation of `reference` with a stretch of `signal` of the same length."""
    reference = reference.astype(np.float64)
    signal = signal.astype(np.float64)
    products = scipy.signal.correlate(signal, reference, mode="valid", method="fft")
    energy = np.concatenate(([0.0], np.cumsum(np.square(signal))))
    window_energy = np.maximum(energy[len(reference) :] - energy[: -len(reference)], 0.0)
    norms = np.sqrt(window_energy * np.dot(reference, reference))
    return float(np.max(products / np.maximum(norms, 1e-12)))


def tally(outcomes: list[Outcome], songs: dict[str, Song], group_of: dict[str, int]) -> dict[str, dict]:
    """Per condition: the number of queries and of right answers by figure."""
    conditions: dict[str, dict] = {}
    for outcome in outcomes:
        counts = conditions.setdefault(outcome.condition, {"queries": 0})
        counts["queries"] += 1
        for figure, right in judge(outcome, songs, group_of).items():
            counts[figure] = counts.get(figure, 0) + int(right)
    return conditions


def best_candidate(result: RecognitionResult) -> Match | None:
    """The top match, or the best candidate below the bar when there is none."""
    return result.matches[0] if result.matches else result.best_rejected


def best_confidence(result: RecognitionResult) -> float:
    best = best_candidate(result)
    return best.confidence if best is not None else 0.0


def confidence_figures(outcomes: list[Outcome]) -> dict[str, object]:
    """The best candidate's confidence on each query, by kind of answer, and what the bar costs in recall.

    "right" and "wrong": queries of one stored song whose best candidate (above the bar or not) is or is
    not that song; "unknown": audio never stored. "bar_cost": per clean length and over every query of one
    stored song, top-1 recall with the bar and with every best candidate accepted.
    """
    single = [o for o in outcomes if len(o.expected) == 1]
    right, wrong = [], []
    for outcome in single:
        best = best_candidate(outcome.result)
        if best is not None:
            (right if best.song_name == outcome.expected[0] else wrong).append(best.confidence)
    unknown = [best_confidence(o.result) for o in outcomes if not o.expected]
    groups = {clean_name(d): [o for o in single if o.condition == clean_name(d)] for d in DURATIONS_S}
    groups["every query of one stored song"] = single
    return {
        "bar": BAR,
        "stored_queries": len(single),
        "right": right,
        "wrong": wrong,
        "unknown": unknown,
        "bar_cost": {name: recall_with_and_without_bar(group) for name, group in groups.items() if group},
    }


def recall_with_and_without_bar(outcomes: list[Outcome]) -> tuple[float, float]:
    """Top-1 recall as answered, and if the best candidate below the bar were accepted too."""
    answered = sum(
        bool(o.result.matches) and o.result.matches[0].song_name == o.expected[0] for o in outcomes
    )
    unbarred = sum(
        (best := best_candidate(o.result)) is not None and best.song_name == o.expected[0] for o in outcomes
    )
    return answered / len(outcomes), unbarred / len(outcomes)


def latency(outcomes: list[Outcome]) -> dict[str, object]:
    """Median and p95 wall time of the clean queries by length, and the median split at MAIN_DURATION_S."""
    by_length = {}
    for duration_s in DURATIONS_S:
        wall = [o.wall_s for o in outcomes if o.condition == clean_name(duration_s)]
        if wall:
            by_length[seconds(duration_s)] = (float(np.median(wall)), float(np.percentile(wall, 95)))
    main = [o for o in outcomes if o.condition == clean_name(MAIN_DURATION_S)]
    parts = np.array(
        [
            (
                o.wall_s - o.result.total_time_s,
                o.result.fingerprint_time_s,
                o.result.query_time_s,
                o.result.align_time_s,
            )
            for o in main
        ]
    )
    medians = np.median(parts, axis=0) if len(parts) else np.full(4, np.nan)
    split_s = dict(zip(("decode", "fingerprint", "lookup", "vote"), map(float, medians), strict=True))
    return {"by_length": by_length, "split_s": split_s}


# ---- main -----------------------------------------------------------------------------------------


def evaluate(args: argparse.Namespace, folder: Path) -> tuple[dict, list[Outcome]]:
    """Run every stage; the figures and every query's outcome."""
    params = FingerprintParams()
    with empty_store(args, params, folder) as (store, settle):  # first: a store that fails does so at once
        songs = corpus(args)
        groups = shared_audio_groups(songs, params, folder)
        group_of = {name: index for index, group in enumerate(groups) for name in group}
        stored_names, held_names = split(groups, rng_for(args.seed, "split"))
        by_name = {song.name: song for song in songs}
        to_store = [by_name[name] for name in sorted(stored_names)]
        report, ingest_s = ingest(store, to_store, params, args.processes, folder)
        settle()
        stores = {args.backend: measure_store(store, report, ingest_s)}
        added = {Path(path).stem for path in report.added}
        stored = [song for song in songs if song.name in added]
        held_out = [song for song in songs if song.name in held_names]
        if not stored:
            raise CorpusError("no song could be ingested")
        if args.backend != "sqlite":  # the embedded store's size too, from the same songs
            stores["sqlite"] = sqlite_figures(stored, params, args.processes, folder)
        costs = ingest_costs(stored, report.seconds_of_audio, args, folder)
        speech = synthesised_speech(folder)
        outcomes, skipped = run_queries(
            QueryRunner(Recognizer(store, params), folder), stored, held_out, speech, group_of, args
        )
    figures = {
        "backend": args.backend,
        "music": str(args.music or args.cache),
        "seed": args.seed,
        "clips": args.clips,
        "processes": args.processes,
        "corpus_songs": len(songs),
        "groups": groups,
        "held_out": sorted(held_names),
        "speech_voices": [song.name for song in speech],
        "skipped_silent": skipped,
        "stores": stores,
        "costs": costs,
        "latency": latency(outcomes),
        "conditions": tally(outcomes, by_name, group_of),
        "confidence": confidence_figures(outcomes),
        "method": method(),
        "params": params.to_dict(),
    }
    return figures, outcomes


def method() -> dict[str, object]:
    """The settings of the evaluation that the report's notes quote."""
    return {
        "clip_rate": CLIP_RATE,
        "clean_clips_factor": CLEAN_CLIPS_FACTOR,
        "min_clip_dbfs": MIN_CLIP_DBFS,
        "hiss_dbfs": HISS_DBFS,
        "offset_tolerance_s": OFFSET_TOLERANCE_S,
        "repeat_correlation": REPEAT_CORRELATION,
        "held_out_share": HELD_OUT_SHARE,
        "grouping_clips": GROUPING_CLIPS,
        "grouping_clip_s": GROUPING_CLIP_S,
        "shared_window_s": SHARED_WINDOW_S,
        "shared_correlation": SHARED_CORRELATION,
    }


def measure_store(store: Store, report: IngestReport, ingest_s: float) -> dict[str, object]:
    """Ingest speed and what the stored songs take in the store, per second of audio."""
    songs, hashes = store.counts()
    size = store.size_bytes()
    audio_s = report.seconds_of_audio
    return {
        "description": store.description,
        "songs": songs,
        "hashes": hashes,
        "bytes": size,
        "audio_s": audio_s,
        "ingest_wall_s": ingest_s,
        "ingest_speed": audio_s / ingest_s,
        "hashes_per_audio_s": hashes / audio_s if audio_s else float("nan"),
        "bytes_per_audio_s": size / audio_s if audio_s else float("nan"),
        "failed": [failure.path for failure in report.failed],
    }


def sqlite_figures(songs: list[Song], params: FingerprintParams, processes: int, folder: Path) -> dict:
    """Ingest `songs` into a new SQLite store too, for its size and speed."""
    with open_store("sqlite", path=str(folder / "sizes.sqlite3")) as store:
        store.ensure_params(params.store_signature())
        report, ingest_s = ingest(store, songs, params, processes, folder)
        return measure_store(store, report, ingest_s)


def ingest_costs(stored: list[Song], audio_s: float, args: argparse.Namespace, folder: Path) -> dict:
    """ffmpeg's decode-only speed on the stored files, and the peaks of ingesting one long file."""
    log(f"Timing ffmpeg decoding the {len(stored)} stored files with {args.processes} processes")
    decode = decode_speed([song.path for song in stored], audio_s=audio_s, processes=args.processes)
    log(f"Ingesting one {args.long_hours:g}-hour file for its peak memory")
    long_file = concatenate(stored, args.long_hours, folder / "long.mp3")
    long_ingest = long_file_ingest(long_file, folder)
    long_file.unlink()
    return {"decode_speed": decode, "long_file": long_ingest}


def run_queries(
    runner: QueryRunner,
    stored: list[Song],
    held_out: list[Song],
    speech: list[Song],
    group_of: dict[str, int],
    args: argparse.Namespace,
) -> tuple[list[Outcome], int]:
    """Every query of the evaluation, after one untimed warm-up; and the silent excerpts skipped."""
    runner.run("warm-up", stored[0].samples[: round(MAIN_DURATION_S * CLIP_RATE)])
    log("Querying")
    outcomes, skipped = [], 0
    for more, silent in (
        query_stored(runner, stored, held_out, args),
        query_mixes(runner, stored, group_of, args),
        query_mixes_with_unknown(runner, stored, held_out, args),
        query_unknown(runner, held_out, speech, args),
    ):
        outcomes += more
        skipped += silent
    return outcomes, skipped


def outcome_record(outcome: Outcome) -> dict[str, object]:
    """One query for the JSON file."""
    top = outcome.result.matches[0] if outcome.result.matches else None
    return {
        "condition": outcome.condition,
        "expected": list(outcome.expected),
        "start_s": round(outcome.start_s, 4),
        "answers": [
            [m.song_name, m.offset_seconds, m.confidence, m.loudness_share] for m in outcome.result.matches
        ],
        "best_confidence": best_confidence(outcome.result),
        "offset_error_s": None if top is None else round(top.offset_seconds - outcome.start_s, 4),
        "wall_s": round(outcome.wall_s, 5),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--music", help="a folder of songs (default: game music fetched into the cache)")
    parser.add_argument("--cache", default=str(default_cache_dir()), help="where game music is fetched to")
    parser.add_argument("--backend", choices=["sqlite", "mysql"], default="sqlite")
    parser.add_argument("--processes", type=int, default=2, help="ingest worker processes")
    parser.add_argument(
        "--clips",
        type=int,
        default=DEFAULT_CLIPS,
        help=f"queries per condition (clean: {CLEAN_CLIPS_FACTOR}x)",
    )
    parser.add_argument("--songs", type=int, help="evaluate on a seeded sample of this many songs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--long-hours", type=float, default=2.0, help="length of the peak-memory file")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 12 songs, 4 queries per condition, no curves"
    )
    parser.add_argument("--images", help=f"where the curves are drawn (default {IMAGES}; --quick: none)")
    parser.add_argument("--json", help="also write the figures and every query's outcome to this file")
    parser.add_argument("--mysql-host", help="use this server instead of a throwaway MariaDB")
    parser.add_argument("--mysql-port", type=int)
    parser.add_argument("--mysql-user")
    parser.add_argument("--mysql-password", help="default: the MYSQL_PASSWORD environment variable")
    parser.add_argument("--mysql-database", help="an empty database (default shazam_bench)")
    args = parser.parse_args(argv)
    if args.quick:
        args.songs = min(args.songs or 12, 12)
        args.clips = min(args.clips, 4)
        args.long_hours = min(args.long_hours, 0.1)
    elif args.images is None:
        args.images = str(IMAGES)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="evaluate-") as folder:
            figures, outcomes = evaluate(args, Path(folder))
    except (CorpusError, StoreError) as error:
        log(f"error: {error}")
        return 1
    figures["wall_s"] = time.perf_counter() - started
    images = draw_curves(figures, Path(args.images)) if args.images else {}
    print(markdown_report(figures, images))
    if args.json:
        record = {"figures": figures, "outcomes": [outcome_record(o) for o in outcomes]}
        Path(args.json).write_text(json.dumps(record, indent=1))
    log(f"Done in {figures['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
