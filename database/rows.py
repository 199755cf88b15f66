"""Checks and shapes the values that go into a store's rows and the arrays that come out of them.

Both backends share these so that they accept, reject and return exactly the same things.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from database.base import Hits, SongRecord

MAX_HASH = 2**32 - 1
# Offsets and song ids are 3-byte columns in MySQL (MEDIUMINT UNSIGNED): every byte of a fingerprint row
# counts. 2**24 frames of 32 ms are 149 hours of audio in one song; 2**24 songs are 16.7 million.
MAX_OFFSET = 2**24 - 1
MAX_NAME_CHARS = 512
MAX_PATH_CHARS = 4096
_OFFSET_BITS = 24
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")


def sha1_bytes(file_sha1: str) -> bytes:
    """The 20 bytes of a SHA-1 given as 40 hexadecimal digits (either case)."""
    if not isinstance(file_sha1, str) or not _SHA1.fullmatch(file_sha1):
        raise ValueError(f"file_sha1 must be 40 hexadecimal digits, got {file_sha1!r}")
    return bytes.fromhex(file_sha1)


def check_song(name: str, duration_s: float) -> None:
    """Raise ValueError unless `name` and `duration_s` fit a song row."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
        raise ValueError(f"a song name must be a string of 1 to {MAX_NAME_CHARS} characters, got {name!r}")
    if not isinstance(duration_s, numbers.Real) or not math.isfinite(duration_s) or duration_s < 0:
        raise ValueError(f"duration_s must be a finite number >= 0, got {duration_s!r}")


def stored_path(file_path: str) -> str:
    """The file path as stored: "" (unknown) when it is longer than a path column holds."""
    path = str(file_path)
    return path if len(path) <= MAX_PATH_CHARS else ""


def _int_array(values: npt.ArrayLike, label: str, top: int) -> npt.NDArray[np.int64]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{label} must be a 1-D array, got shape {array.shape}")
    if array.size == 0:
        return np.empty(0, dtype=np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{label} must hold integers, got dtype {array.dtype}")
    bad = (array < 0) | (array > top)
    if bad.any():
        raise ValueError(f"{label} must lie in 0..{top}, got {array[bad][0]}")
    return array.astype(np.int64, copy=False)


def unique_fingerprints(
    hashes: npt.ArrayLike, offsets: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Validate a song's fingerprints; return its distinct (hash, offset) pairs sorted by hash, offset."""
    hash_array = _int_array(hashes, "hashes", MAX_HASH)
    offset_array = _int_array(offsets, "offsets", MAX_OFFSET)
    if hash_array.size != offset_array.size:
        raise ValueError(f"hashes and offsets differ in length ({hash_array.size} and {offset_array.size})")
    keys = np.unique((hash_array << _OFFSET_BITS) | offset_array)
    return keys >> _OFFSET_BITS, keys & MAX_OFFSET


def probe_hashes(hashes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The distinct, sorted hashes of a lookup, validated like stored ones."""
    return np.unique(_int_array(hashes, "hashes", MAX_HASH))


def lookup_arrays(rows: Sequence[tuple[int, int, int]]) -> Hits:
    """Split fetched (hash, song_id, offset) rows into the three arrays `Store.lookup` returns."""
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].astype(np.int32)


def fingerprint_arrays(
    rows: Sequence[tuple[int, int]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Split fetched (hash, offset) rows into the two arrays `Store.song_fingerprints` returns."""
    table = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return table[:, 0].copy(), table[:, 1].astype(np.int32)


#: The columns of `songs` that `song_record` reads, in its order.
SONG_COLUMNS = "song_id, name, file_sha1, duration_s, total_hashes, fingerprinted, date_created, file_path"


def song_record(row: Sequence[object], *, date_created: str) -> SongRecord:
    """A SongRecord from a row of SONG_COLUMNS; the driver's date comes already turned into ISO 8601 UTC."""
    song_id, name, sha1, duration_s, total_hashes, fingerprinted, _, file_path = row
    return SongRecord(
        song_id=song_id,
        name=name,
        file_sha1=sha1.hex(),
        duration_s=duration_s if duration_s is not None else 0.0,
        total_hashes=total_hashes or 0,
        fingerprinted=bool(fingerprinted),
        date_created=date_created,
        file_path=file_path,
    )
