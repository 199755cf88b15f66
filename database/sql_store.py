"""What the SQL stores share: song look-ups built on one `_songs_where` query, and the `with` protocol."""

from __future__ import annotations

import operator
from collections.abc import Sequence

from database.base import SongNotFoundError, SongRecord
from database.rows import sha1_bytes


class SQLStore:
    """Base of the SQLite and MySQL stores; they supply `_songs_where`, `_placeholder` and `close`."""

    description: str
    #: The driver's parameter placeholder ("?" or "%s").
    _placeholder: str

    def _songs_where(self, condition: str, parameters: tuple[object, ...]) -> list[SongRecord]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

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
