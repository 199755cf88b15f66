"""What the SQL stores share: song look-ups built on one `_songs_where` query, the filter of looked-up rows
to finished songs, reading loudness profiles, and the `with` protocol."""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from database.base import Hits, SongNotFoundError, SongRecord
from database.rows import lookup_arrays, sha1_bytes


class SQLStore:
    """Base of the SQLite and MySQL stores; they supply `_songs_where`, `_song_ids_where`, `_query`,
    `_errors`, `_placeholder` and `close`."""

    description: str
    #: The driver's parameter placeholder ("?" or "%s").
    _placeholder: str

    def _songs_where(self, condition: str, parameters: tuple[object, ...]) -> list[SongRecord]:
        raise NotImplementedError

    def _song_ids_where(self, condition: str, parameters: tuple[object, ...]) -> list[int]:
        raise NotImplementedError

    def _query(self, sql: str, parameters: tuple[object, ...]) -> Sequence[tuple]:
        """The rows of one statement."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _finished_hits(self, rows: Sequence[tuple[int, int, int]], *, batch_size: int) -> Hits:
        """Looked-up (hash, song_id, offset) rows as arrays, less those of songs not completely stored.

        A song's rows and its fingerprinted flag are committed together, so normally none is dropped; but
        rows a crash left behind, or of a song deleted since they were read, must never be matched. One
        query per `batch_size` songs hit costs far less than joining the songs table on every row.
        """
        hashes, song_ids, offsets = lookup_arrays(rows)
        hit = np.unique(song_ids).tolist()
        finished: list[int] = []
        for start in range(0, len(hit), batch_size):
            batch = tuple(hit[start : start + batch_size])
            marks = ",".join([self._placeholder] * len(batch))
            finished += self._song_ids_where(f"fingerprinted = 1 AND song_id IN ({marks})", batch)
        if len(finished) == len(hit):
            return hashes, song_ids, offsets
        keep = np.isin(song_ids, finished)
        return hashes[keep], song_ids[keep], offsets[keep]

    def __enter__(self) -> SQLStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def song_by_sha1(self, file_sha1: str) -> SongRecord | None:
        found = self._songs_where(f"file_sha1 = {self._placeholder}", (sha1_bytes(file_sha1),))
        return found[0] if found else None

    def get_song(self, song_id: int) -> SongRecord:
        found = self._songs_where(f"song_id = {self._placeholder}", (operator.index(song_id),))
        if not found:
            raise SongNotFoundError(f"No song with id {song_id} in {self.description}.")
        return found[0]

    def get_songs(self, song_ids: Sequence[int]) -> list[SongRecord]:
        ids = sorted({operator.index(song_id) for song_id in song_ids})
        if not ids:
            return []
        return self._songs_where(f"song_id IN ({','.join([self._placeholder] * len(ids))})", tuple(ids))

    def songs(self) -> list[SongRecord]:
        return self._songs_where("fingerprinted = 1", ())

    def song_profiles(self, song_ids: Sequence[int]) -> dict[int, bytes]:
        ids = sorted({operator.index(song_id) for song_id in song_ids})
        if not ids:
            return {}
        marks = ",".join([self._placeholder] * len(ids))
        with self._errors("read loudness profiles from"):
            rows = self._query(
                f"SELECT song_id, profile FROM song_profiles WHERE song_id IN ({marks})", tuple(ids)
            )
        return {int(song_id): bytes(profile) for song_id, profile in rows}
