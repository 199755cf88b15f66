"""How common each hash is in a store, so that a query in a large library can probe its rarest hashes first.

Landmark hashes are far from uniform: anchors cluster at low frequencies and pairs at short time and
frequency distances, so at 10,000 songs a 5 s query's common hashes would hit hundreds of thousands of
rows that carry little evidence. A `HashPrior` keeps the counts of the two halves of the hash (the anchor
bin, and the bin and frame differences of the pair) over a sample of stored songs; their product
estimates how many stored rows a hash has. `probes_within_budget` keeps the hashes expected to be rarest
until an expected row budget is spent; below the budget every hash is probed, so small libraries are
queried exactly as before.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fingerprint.hashing import DF_BITS, DT_BITS, F1_BITS

#: The store meta entry the prior is kept under.
META_NAME = "hash_prior"
#: Songs whose hashes the prior counts; the shape of the distribution is settled well before this.
SAMPLE_SONGS = 200
_PAIR_BITS = DF_BITS + DT_BITS
_PAIR_MASK = (1 << _PAIR_BITS) - 1
# Added to every count, so that a hash never seen is estimated rare rather than impossible.
_SMOOTHING = 0.5


@dataclass(frozen=True)
class HashPrior:
    """Counts of anchor bins and of pair shapes over the hashes of `songs` stored songs."""

    anchor_counts: npt.NDArray[np.int64]  # by anchor frequency bin
    pair_counts: npt.NDArray[np.int64]  # by the hash's low bits: bin difference and frame difference
    songs: int

    @classmethod
    def empty(cls) -> HashPrior:
        return cls(np.zeros(1 << F1_BITS, np.int64), np.zeros(1 << _PAIR_BITS, np.int64), 0)

    def with_song(self, hashes: npt.NDArray[np.int64]) -> HashPrior:
        """This prior with one more song's hashes counted."""
        hashes = np.asarray(hashes, dtype=np.int64)
        anchors = np.bincount(hashes >> _PAIR_BITS, minlength=self.anchor_counts.size)
        pairs = np.bincount(hashes & _PAIR_MASK, minlength=self.pair_counts.size)
        return HashPrior(
            self.anchor_counts + anchors[: self.anchor_counts.size],
            self.pair_counts + pairs,
            self.songs + 1,
        )

    def row_share(self, hashes: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The estimated share of all stored rows that have each hash."""
        hashes = np.asarray(hashes, dtype=np.int64)
        anchors = np.minimum(hashes >> _PAIR_BITS, self.anchor_counts.size - 1)
        p_anchor = (self.anchor_counts[anchors] + _SMOOTHING) / (
            self.anchor_counts.sum() + _SMOOTHING * self.anchor_counts.size
        )
        p_pair = (self.pair_counts[hashes & _PAIR_MASK] + _SMOOTHING) / (
            self.pair_counts.sum() + _SMOOTHING * self.pair_counts.size
        )
        return p_anchor * p_pair

    def to_json(self) -> str:
        return json.dumps(
            {"songs": self.songs, "anchors": _pack(self.anchor_counts), "pairs": _pack(self.pair_counts)}
        )

    @classmethod
    def from_json(cls, text: str | None) -> HashPrior:
        """The prior saved by `to_json`; an empty one for None or anything unreadable."""
        try:
            saved = json.loads(text or "")
            prior = cls(_unpack(saved["anchors"]), _unpack(saved["pairs"]), int(saved["songs"]))
        except (ValueError, KeyError, TypeError, zlib.error):
            return cls.empty()
        fresh = cls.empty()
        if prior.anchor_counts.shape != fresh.anchor_counts.shape or prior.pair_counts.shape != (
            fresh.pair_counts.shape
        ):
            return fresh
        return prior


def probes_within_budget(
    probes: npt.NDArray[np.int64], prior: HashPrior, stored_rows: int, budget_rows: int
) -> npt.NDArray[np.int64]:
    """The probes expected to be rarest whose expected rows add up to at most `budget_rows`.

    Every probe is kept when the prior is empty, the budget is 0 (no limit), or all of them fit in it.
    """
    if prior.songs == 0 or budget_rows <= 0 or probes.size == 0:
        return probes
    expected = prior.row_share(probes) * stored_rows
    if expected.sum() <= budget_rows:
        return probes
    order = np.argsort(expected, kind="stable")
    within = np.cumsum(expected[order]) <= budget_rows
    return np.sort(probes[order[within]])


def _pack(counts: npt.NDArray[np.int64]) -> str:
    return base64.b64encode(zlib.compress(counts.astype("<i8").tobytes())).decode("ascii")


def _unpack(text: str) -> npt.NDArray[np.int64]:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype="<i8").astype(np.int64)
