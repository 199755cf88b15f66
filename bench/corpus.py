"""The music the evaluation runs on: any folder of audio, or free game music unpacked from Debian packages.

With no folder given, `apt-get download` fetches the game packages below into a cache folder and
`dpkg-deb -x` unpacks them there (nothing is installed); their soundtracks, about 127 ogg tracks and 5 hours
of music (chiptune, rock, orchestral), are the corpus. Later runs reuse the cache. Audio is read where it
lies and never copied.
"""

from __future__ import annotations

import concurrent.futures
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import platformdirs

from fingerprint.decoder import file_sha1, read_audio
from fingerprint.errors import DecodeError
from fingerprint.ingest import AUDIO_EXTENSIONS, collect_files
from fingerprint.types import FailedFile

_MEGAGLEST = "usr/share/games/megaglest"
# Debian package -> the folders of its soundtrack inside the package.
GAME_MUSIC = {
    "supertux-data": ("usr/share/games/supertux2/music",),
    "hedgewars-data": ("usr/share/games/hedgewars/Data/Music",),
    "wesnoth-1.16-music": ("usr/share/games/wesnoth/1.16/data/core/music",),
    "megaglest-data": (
        f"{_MEGAGLEST}/data/core/menu/music",
        *(
            f"{_MEGAGLEST}/techs/megapack/factions/{faction}/music"
            for faction in ("egypt", "indian", "magic", "norsemen", "persian", "romans", "tech")
        ),
    ),
}


class CorpusError(Exception):
    """The music could not be found or fetched."""


@dataclass(frozen=True)
class Song:
    """One file of the corpus, decoded once to mono float32."""

    name: str  # unique within the corpus: the file name without extension, made unique if needed
    path: Path
    sha1: str
    samples: npt.NDArray[np.float32]
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def default_cache_dir() -> Path:
    """Where the game packages are downloaded and unpacked (``~/.cache/shazam-clone-bench`` on Linux)."""
    return platformdirs.user_cache_path("shazam-clone-bench")


def fetch_game_music(cache: Path) -> Path:
    """The folder the game packages are unpacked in; downloads and unpacks whatever the cache lacks."""
    unpacked = cache / "unpacked"
    for package in GAME_MUSIC:
        done = unpacked / f".{package}.done"
        if done.exists():
            continue
        deb = _downloaded(cache, package) or _download(cache, package)
        _run(["dpkg-deb", "-x", str(deb), str(unpacked)], f"unpack {deb}")
        done.touch()
    return unpacked


def _downloaded(cache: Path, package: str) -> Path | None:
    debs = sorted(cache.glob(f"{package}_*.deb"))
    return debs[-1] if debs else None


def _download(cache: Path, package: str) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", "download", package], f"download {package}", cwd=cache)
    deb = _downloaded(cache, package)
    if deb is None:
        raise CorpusError(f"apt-get download {package} left no .deb in {cache}")
    return deb


def _run(command: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise CorpusError(
            f"cannot {what}: {command[0]} not found (a Debian-based system is needed)"
        ) from None
    except subprocess.CalledProcessError as error:
        reason = error.stderr.decode(errors="replace").strip() or f"exit status {error.returncode}"
        raise CorpusError(f"cannot {what}: {reason}") from None


def music_files(folder: Path) -> list[Path]:
    """The game soundtracks if `folder` holds unpacked game packages, else every audio file below it."""
    soundtracks = [
        folder / music for folders in GAME_MUSIC.values() for music in folders if (folder / music).is_dir()
    ]
    try:
        return [path for root in soundtracks or [folder] for path in collect_files(root, AUDIO_EXTENSIONS)]
    except DecodeError as error:
        raise CorpusError(f"{error.path}: {error.reason}") from None


def unique_names(paths: list[Path]) -> list[str]:
    """File names without extension; names that clash get their folder's name, then a number, added."""
    stems = Counter(path.stem for path in paths)
    names = [path.stem if stems[path.stem] == 1 else f"{path.stem} ({path.parent.name})" for path in paths]
    taken = Counter(names)
    numbered: Counter[str] = Counter()
    unique = []
    for name in names:
        if taken[name] > 1:
            numbered[name] += 1
            name = f"{name} {numbered[name]}"
        unique.append(name)
    return unique


def load_songs(
    paths: list[Path],
    *,
    sample_rate: int,
    threads: int = 2,
    progress: Callable[[], None] | None = None,
) -> tuple[list[Song], list[FailedFile]]:
    """Decode each distinct file (by SHA-1) once at `sample_rate`; files that fail are returned apart."""
    distinct: dict[str, Path] = {}
    for path in paths:
        distinct.setdefault(file_sha1(path), path)
    names = unique_names(list(distinct.values()))
    songs, failed = [], []
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:  # ffmpeg runs outside the GIL
        decoded = pool.map(lambda path: _decode(path, sample_rate), distinct.values())
        for name, (sha1, path), samples in zip(names, distinct.items(), decoded, strict=True):
            if isinstance(samples, DecodeError):
                failed.append(FailedFile(str(path), samples.reason))
            elif len(samples):
                songs.append(Song(name, path, sha1, samples, sample_rate))
            if progress is not None:
                progress()
    return songs, failed


def _decode(path: Path, sample_rate: int) -> npt.NDArray[np.float32] | DecodeError:
    try:
        return read_audio(path, sample_rate=sample_rate)
    except DecodeError as error:
        return error
