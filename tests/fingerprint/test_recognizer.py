import numpy as np
import pytest

from config.settings import FingerprintParams
from database.sqlite_store import SQLiteStore
from fingerprint.analysis import fingerprint_samples, query_fingerprints
from fingerprint.audio import mix, resample, rms
from fingerprint.recognizer import Recognizer, confidence
from tests.synth import diffuse_song, synth_song

PARAMS = FingerprintParams()
RATE = PARAMS.sample_rate


@pytest.fixture
def recognizer():
    with SQLiteStore(":memory:") as store:
        for seed in (1, 2, 3):
            song = synth_song(seed, duration_s=30.0, sample_rate=RATE)
            fingerprints = fingerprint_samples(song, PARAMS)
            store.add_song(
                f"song {seed}",
                f"{seed:040x}",
                30.0,
                fingerprints.hashes,
                fingerprints.offsets,
                profile=fingerprints.profile,
            )
        yield Recognizer(store, PARAMS)


def test_a_clip_at_any_rate_names_its_song_and_offset(recognizer):
    clip = synth_song(2, duration_s=30.0, sample_rate=RATE)[int(11.37 * RATE) : int(16.37 * RATE)]
    for rate in (RATE, 44_100):
        result = recognizer.recognize_samples(resample(clip, from_rate=RATE, to_rate=rate), sample_rate=rate)
        (match,) = result.matches
        assert match.song_name == "song 2"
        assert match.offset_seconds == pytest.approx(11.37, abs=0.05)
        assert match.confidence > 0.9
        assert result.query_duration_s == pytest.approx(5.0, abs=0.01)


def test_evidence_holds_the_hits_and_the_aligned_diagonal(recognizer):
    clip = synth_song(1, duration_s=30.0, sample_rate=RATE)[8 * RATE : 13 * RATE]
    result = recognizer.recognize_samples(clip, sample_rate=RATE)
    (match,) = result.matches
    evidence = result.evidence[match.song_id]
    on_diagonal = evidence.song_offsets_s[evidence.aligned] - evidence.query_offsets_s[evidence.aligned]
    assert np.allclose(on_diagonal, match.offset_seconds, atol=0.07)
    assert evidence.aligned.sum() >= match.hashes_matched_in_input


def test_unknown_audio_is_no_match_with_the_best_candidate_kept(recognizer):
    result = recognizer.recognize_samples(synth_song(9, duration_s=8.0, sample_rate=RATE), sample_rate=RATE)
    assert not result.is_match
    assert result.best_rejected is None or result.best_rejected.confidence < 0.5


def test_a_mix_names_both_songs_the_louder_first(recognizer):
    a = synth_song(1, duration_s=30.0, sample_rate=RATE)[5 * RATE : 15 * RATE]
    b = synth_song(3, duration_s=30.0, sample_rate=RATE)[12 * RATE : 22 * RATE]
    result = recognizer.recognize_samples(mix(a, b, 0.3), sample_rate=RATE, exhaustive=True)
    assert [m.song_name for m in result.matches[:2]] == ["song 1", "song 3"]


def test_the_louder_song_of_a_mix_comes_first_even_when_the_other_is_peakier(recognizer):
    diffuse = diffuse_song(4, duration_s=30.0)
    stored = fingerprint_samples(diffuse, PARAMS)
    recognizer.store.add_song(
        "diffuse", f"{4:040x}", 30.0, stored.hashes, stored.offsets, profile=stored.profile
    )
    a = diffuse[6 * RATE : 16 * RATE]
    b = synth_song(2, duration_s=30.0, sample_rate=RATE)[10 * RATE : 20 * RATE]
    result = recognizer.recognize_samples(
        mix(a, b * np.float32(rms(a) / rms(b)), 0.4), sample_rate=RATE, exhaustive=True
    )
    first, second = result.matches[:2]
    assert (first.song_name, second.song_name) == ("diffuse", "song 2")
    assert first.loudness_share > 0.55
    assert first.loudness_share + second.loudness_share == pytest.approx(1.0, abs=0.002)
    assert first.hashes_matched_in_input < second.hashes_matched_in_input  # what the votes alone would say


@pytest.mark.parametrize("profile", [b"", b"\x01\x02\x03"], ids=["none", "damaged"])
def test_songs_stored_without_a_usable_profile_keep_the_order_of_their_evidence(profile):
    with SQLiteStore(":memory:") as store:
        for seed in (1, 3):
            stored = fingerprint_samples(synth_song(seed, duration_s=30.0), PARAMS)
            store.add_song(
                f"song {seed}", f"{seed:040x}", 30.0, stored.hashes, stored.offsets, profile=profile
            )
        a = synth_song(1, duration_s=30.0)[5 * RATE : 15 * RATE]
        b = synth_song(3, duration_s=30.0)[12 * RATE : 22 * RATE]
        result = Recognizer(store, PARAMS).recognize_samples(
            mix(a, b, 0.5), sample_rate=RATE, exhaustive=True
        )
    assert len(result.matches) == 2
    assert [m.loudness_share for m in result.matches] == [None, None]
    scores = [m.confidence for m in result.matches]
    assert scores == sorted(scores, reverse=True)


def test_a_clip_named_by_its_store_like_hashes_looks_up_no_others(recognizer):
    clip = synth_song(2, duration_s=30.0, sample_rate=RATE)[int(4.2 * RATE) : int(9.2 * RATE)]
    query = query_fingerprints(clip, PARAMS)
    quick = recognizer.recognize_samples(clip, sample_rate=RATE)
    assert quick.probed_hashes == query.store_like.size < np.unique(query.hashes).size
    assert quick.lookups == 1
    whole = recognizer.recognize_samples(clip, sample_rate=RATE, exhaustive=True)
    assert whole.probed_hashes == np.unique(query_fingerprints(clip, PARAMS, mix=True).hashes).size
    assert whole.lookups == 2
    assert [m.song_name for m in quick.matches] == [m.song_name for m in whole.matches] == ["song 2"]
    assert quick.matches[0].offset_seconds == whole.matches[0].offset_seconds


def test_audio_that_is_not_stored_is_looked_up_whole_before_no_match(recognizer):
    unknown = synth_song(9, duration_s=8.0, sample_rate=RATE)
    result = recognizer.recognize_samples(unknown, sample_rate=RATE)
    assert not result.is_match
    assert result.probed_hashes == np.unique(query_fingerprints(unknown, PARAMS).hashes).size
    assert result.lookups == 2


def test_confidence_is_half_at_the_bar_and_grows_towards_one():
    assert confidence(0.0, 12) == 0.0
    assert confidence(12.0, 12) == pytest.approx(0.5)
    assert 0.9 < confidence(48.0, 12) < 1.0


def test_the_bar_is_lower_for_clips_shorter_than_two_seconds(recognizer):
    full = PARAMS.min_aligned_hashes
    bars = [recognizer.match_bar(d) for d in (0.3, 1.0, 1.2, 1.5, 1.9, 2.0, 5.0, 60.0)]
    assert bars[:2] == [pytest.approx(full * 2 / 3)] * 2
    assert bars[1] < bars[2] < bars[3] < bars[4] < bars[5]
    assert bars[5:] == [full] * 3
    clip = synth_song(3, duration_s=30.0, sample_rate=RATE)[int(12.6 * RATE) : int(13.6 * RATE)]
    (match,) = recognizer.recognize_samples(clip, sample_rate=RATE).matches
    assert match.song_name == "song 3"
    assert match.confidence >= 0.5  # the bar the answer cleared is the 1 s one
