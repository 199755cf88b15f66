"""The store interface shared by the SQLite and MySQL implementations, its records and its errors.

A store speaks plain ints, strings and numpy arrays. Hashes are non-negative integers below 2**32 and
offsets are frame indices below 2**24 (149 hours of 32 ms frames). Only songs whose fingerprints are
completely stored (`fingerprinted`) are ever returned by `lookup`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

#: What `Store.lookup` returns: the (hash, song_id, offset) of every stored row hit, as three arrays.
Hits = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32]]


class StoreError(Exception):
    """Base class of every error raised by `database`."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached or opened (server down, wrong password, unwritable file)."""


class ParamsMismatchError(StoreError):
    """The store was built with other fingerprint parameters than the ones asked for."""


class DuplicateSongError(StoreError):
    """A song with the same file SHA-1 is already stored."""


class SongNotFoundError(StoreError):
    """No song has the given id or name."""


class ClaimLostError(StoreError):
    """A worker's claim on a song was taken over (or released) before the worker stored it."""


@dataclass(frozen=True)
class SongRecord:
    song_id: int
    name: str
    file_sha1: str  # 40 lowercase hex digits
    duration_s: float
    total_hashes: int
    fingerprinted: bool
    date_created: str  # ISO 8601, UTC
    # Where the file was when it was fingerprinted ("" if not known); it may have moved since.
    file_path: str = ""


class Store(Protocol):
    """What the recogniser needs from a fingerprint store."""

    #: Where the store lives, for people (never contains a password).
    description: str

    def ensure_params(self, signature: dict[str, object]) -> None:
        """Record `signature` in a new store; raise ParamsMismatchError if an existing one differs."""
        ...

    def clean_unfinished(self) -> int:
        """Delete unfinished songs whose claims are stale (their ingest died); return how many."""
        ...

    def add_song(
        self,
        name: str,
        file_sha1: str,
        duration_s: float,
        hashes: npt.NDArray[np.int64],
        offsets: npt.NDArray[np.int32],
        file_path: str = "",
        *,
        profile: bytes = b"",
    ) -> int:
        """Store a song, all its fingerprints and its loudness profile (if any) atomically; return its id.

        Raises DuplicateSongError if a song with `file_sha1` is already stored.
        """
        ...

    def claim_song(self, name: str, file_sha1: str, file_path: str, worker: str) -> int | None:
        """Claim the file with `file_sha1` for fingerprinting by `worker`; return its new song id.

        Returns None if the song is stored already or claimed by another worker whose claim is not
        stale (see `database.claims`); a stale claim is taken over. A claimed song is invisible to
        `lookup` and `songs` until `finish_song`.
        """
        ...

    def finish_song(
        self,
        song_id: int,
        worker: str,
        duration_s: float,
        hashes: npt.NDArray[np.int64],
        offsets: npt.NDArray[np.int32],
        *,
        profile: bytes = b"",
    ) -> None:
        """Store all fingerprints of a song `worker` claimed, its loudness profile (if any), and mark it
        fingerprinted, atomically.

        Raises ClaimLostError if the claim is no longer `worker`'s.
        """
        ...

    def release_claim(self, song_id: int, worker: str) -> None:
        """Give up `worker`'s claim on an unfinished song (its file failed or the ingest stopped)."""
        ...

    def renew_claims(self, worker: str) -> None:
        """Mark every claim of `worker` as alive now."""
        ...

    def song_by_sha1(self, file_sha1: str) -> SongRecord | None: ...

    def get_song(self, song_id: int) -> SongRecord:
        """Raises SongNotFoundError."""
        ...

    def get_songs(self, song_ids: Sequence[int]) -> list[SongRecord]:
        """The songs with these ids, by id, in one query; ids with no song are left out."""
        ...

    def find_songs(self, name: str) -> list[SongRecord]:
        """Songs whose name is exactly `name`."""
        ...

    def songs(self) -> list[SongRecord]:
        """Every fingerprinted song, by id."""
        ...

    def delete_song(self, song_id: int) -> None:
        """Delete a song and its fingerprints. Raises SongNotFoundError."""
        ...

    def lookup(self, hashes: npt.NDArray[np.int64]) -> Hits:
        """Every stored (hash, song_id, offset) whose hash is in `hashes`, as three equal-length arrays."""
        ...

    def song_profiles(self, song_ids: Sequence[int]) -> dict[int, bytes]:
        """The loudness profiles (fingerprint.loudness) of these songs, by id; songs stored without one
        (or not at all) are left out."""
        ...

    def song_fingerprints(self, song_id: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        """All (hash, offset) pairs of one song."""
        ...

    def get_meta(self, name: str) -> str | None:
        """The value saved under `name` with `set_meta`, or None."""
        ...

    def set_meta(self, name: str, value: str) -> None:
        """Save a small named value with the store (statistics the program keeps about it)."""
        ...

    def counts(self) -> tuple[int, int]:
        """(number of fingerprinted songs, number of stored fingerprints)."""
        ...

    def size_bytes(self) -> int:
        """Bytes the fingerprints and songs take on disk, indexes included."""
        ...

    def close(self) -> None: ...
