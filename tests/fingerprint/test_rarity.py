"""The hash statistics that let a query in a large library probe its rarest hashes first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from config.settings import FingerprintParams
from database.sqlite_store import SQLiteStore
from fingerprint.analysis import query_fingerprints
from fingerprint.hashing import pack_hashes
from fingerprint.ingest import Ingestor
from fingerprint.rarity import META_NAME, HashPrior, probes_within_budget
from fingerprint.recognizer import Recognizer
from tests.audio_files import write_audio
from tests.synth import synth_song

COMMON = int(pack_hashes(20, 3, 5))
RARE = int(pack_hashes(400, -90, 60))


def _prior() -> HashPrior:
    rng = np.random.default_rng(1)
    prior = HashPrior.empty()
    for _ in range(3):
        song = pack_hashes(rng.integers(10, 40, 500), rng.integers(-5, 6, 500), rng.integers(1, 10, 500))
        prior = prior.with_song(np.append(song, [COMMON] * 50))
    return prior


def test_a_hash_made_of_common_halves_is_estimated_to_have_more_rows() -> None:
    prior = _prior()
    share = prior.row_share(np.array([COMMON, RARE]))
    assert prior.songs == 3
    assert share[0] > 100 * share[1] > 0


def test_the_prior_round_trips_through_its_text_and_bad_text_is_an_empty_prior() -> None:
    prior = _prior()
    again = HashPrior.from_json(prior.to_json())
    assert again.songs == 3
    assert np.array_equal(again.anchor_counts, prior.anchor_counts)
    assert np.array_equal(again.pair_counts, prior.pair_counts)
    for bad in (None, "", "{", '{"songs": 2}', '{"songs": 1, "anchors": "AAAA", "pairs": "AAAA"}'):
        assert HashPrior.from_json(bad).songs == 0


def test_over_budget_the_rarest_probes_are_kept_within_it() -> None:
    prior = _prior()
    probes = np.unique(np.append(pack_hashes(np.arange(50, 450), 40, 30), COMMON))
    stored_rows = 10_000_000
    expected = prior.row_share(probes) * stored_rows
    budget = int(expected.sum() / 3)

    kept = probes_within_budget(probes, prior, stored_rows, budget)

    assert 0 < kept.size < probes.size
    assert COMMON not in kept
    assert (prior.row_share(kept) * stored_rows).sum() <= budget
    assert np.max(prior.row_share(kept)) <= np.min(prior.row_share(np.setdiff1d(probes, kept)))


def test_every_probe_is_kept_under_budget_without_a_prior_or_without_a_limit() -> None:
    prior = _prior()
    probes = np.unique(pack_hashes(np.arange(50, 60), 1, 1))
    assert np.array_equal(probes_within_budget(probes, prior, 1000, 10**9), probes)
    assert np.array_equal(probes_within_budget(probes, HashPrior.empty(), 10**9, 10), probes)
    assert np.array_equal(probes_within_budget(probes, prior, 10**9, 0), probes)


def test_an_ingest_keeps_the_store_statistics_and_a_query_probes_within_budget(tmp_path: Path) -> None:
    (tmp_path / "songs").mkdir()
    for seed in range(3):
        song = synth_song(seed, duration_s=12.0)
        write_audio(tmp_path / "songs" / f"song{seed}.wav", song, sample_rate=8000)
    params = FingerprintParams()
    with SQLiteStore(tmp_path / "store.sqlite3") as store:
        report = Ingestor(store, params).fingerprint_directory(tmp_path / "songs", processes=1)
        assert len(report.added) == 3
        prior = HashPrior.from_json(store.get_meta(META_NAME))
        assert prior.songs == 3
        assert prior.anchor_counts.sum() == store.counts()[1]

        query = query_fingerprints(synth_song(1, duration_s=12.0)[8000:48000], params)
        first, rest = Recognizer(store, params).probes(query)
        assert np.array_equal(first, np.unique(query.store_like))
        assert np.array_equal(np.union1d(first, rest), np.unique(query.hashes))
        assert np.intersect1d(first, rest).size == 0
        # A library large enough that probing every hash would cost more than the budget.
        probes = np.unique(query.hashes)
        filler = np.repeat(probes, 400)
        store.add_song("Filler", "f" * 40, 60.0, filler, np.arange(filler.size) % 100_000)
        rows = store.counts()[1]
        first_budget = int(prior.row_share(first).sum() * rows / 2)
        rest_budget = int(prior.row_share(rest).sum() * rows / 2)
        assert first_budget > 10
        assert rest_budget > 10
        budgets = replace(
            params, first_pass_row_budget=first_budget, first_pass_row_share=0.0, query_row_budget=rest_budget
        )
        kept_first, kept_rest = Recognizer(store, budgets).probes(query)
        assert 0 < kept_first.size < first.size
        assert 0 < kept_rest.size < rest.size
        assert prior.row_share(kept_first).sum() * rows <= first_budget
        assert prior.row_share(kept_rest).sum() * rows <= rest_budget
        # The store-like hashes left out of the first look-up are looked up in the second.
        unlimited = replace(budgets, query_row_budget=0)
        kept_first, everything_else = Recognizer(store, unlimited).probes(query)
        assert np.array_equal(everything_else, np.setdiff1d(query.hashes, kept_first))


def test_the_first_look_up_budget_grows_with_the_library():
    with SQLiteStore(":memory:") as store:
        recognizer = Recognizer(store, replace(FingerprintParams(), first_pass_row_budget=10_000))
        assert recognizer.first_pass_budget(1_000_000) == 10_000
        assert recognizer.first_pass_budget(390_000_000) == 19_500
        unlimited = Recognizer(store, replace(FingerprintParams(), first_pass_row_budget=0))
        assert unlimited.first_pass_budget(390_000_000) == 0
