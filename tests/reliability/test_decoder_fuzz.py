"""Decoder fuzz: seeded random bytes and mutated real files; only the project's DecodeError ever escapes.

Every case goes through what an ingest does with a file (`analyse_file`: chunked decode and fingerprints)
and every fifth one also through `read_audio`, as a query would. A file that decodes must give finite
samples within [-1, 1].
"""

from __future__ import annotations

import numpy as np
import pytest

from config.settings import FingerprintParams
from fingerprint.decoder import read_audio
from fingerprint.errors import DecodeError
from fingerprint.ingest import analyse_file
from tests.audio_files import write_audio
from tests.synth import synth_song

PARAMS = FingerprintParams()
SEED = 2024
RANDOM_CASES = 50
MUTATED_CASES = 250
EXTENSIONS = (".mp3", ".ogg", ".flac", ".wav", ".m4a", ".opus")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> list[bytes]:
    """A 3 s song encoded in every format."""
    folder = tmp_path_factory.mktemp("originals")
    song = synth_song(5, duration_s=3.0, sample_rate=22_050)
    return [write_audio(folder / f"song{ext}", song, sample_rate=22_050).read_bytes() for ext in EXTENSIONS]


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One of: flipped bytes, a truncation, a cut-out, a repeated slice, a zeroed run, a swapped header."""
    array = bytearray(data)
    kind = int(rng.integers(6))
    if kind == 0:
        for position in rng.integers(0, len(array), int(rng.integers(1, 50))):
            array[position] = int(rng.integers(256))
    elif kind == 1:
        array = array[: int(rng.integers(0, len(array)))]
    elif kind == 2:
        start = int(rng.integers(0, len(array)))
        del array[start : start + int(rng.integers(1, 4000))]
    elif kind == 3:
        start = int(rng.integers(0, len(array)))
        array[start:start] = array[start : start + int(rng.integers(1, 4000))] * int(rng.integers(2, 5))
    elif kind == 4:
        start = int(rng.integers(0, len(array)))
        array[start : start + 2000] = bytes(len(array[start : start + 2000]))
    else:
        array[: int(rng.integers(4, 200))] = rng.bytes(200)[: int(rng.integers(4, 200))]
    return bytes(array)


def cases(originals: list[bytes]) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(SEED)
    made = []
    for index in range(RANDOM_CASES):
        size = int(rng.choice([1, 7, 100, 4096, 60_000]))
        made.append((f"random{index}{EXTENSIONS[index % len(EXTENSIONS)]}", rng.bytes(size)))
    for index in range(MUTATED_CASES):
        original = int(rng.integers(len(originals)))
        # A file keeps its format's extension, or gets another one (mislabelled files).
        extension = EXTENSIONS[original if rng.random() < 0.8 else int(rng.integers(len(EXTENSIONS)))]
        made.append((f"mutated{index}{extension}", mutate(originals[original], rng)))
    return made


def test_only_decode_errors_escape_from_broken_files(tmp_path, originals):
    outcomes = {"decoded": 0, "refused": 0}
    errors = []
    for index, (name, data) in enumerate(cases(originals)):
        path = tmp_path / name
        path.write_bytes(data)
        try:
            analysed = analyse_file(str(path), PARAMS, None)
        except DecodeError as error:
            errors.append((str(path), error))
            outcomes["refused"] += 1
        else:
            assert len(analysed.hashes) == len(analysed.offsets) > 0
            assert np.all(analysed.offsets >= 0)
            assert analysed.duration_s > 0
            outcomes["decoded"] += 1
        if index % 5 == 0:
            try:
                samples = read_audio(path, sample_rate=PARAMS.sample_rate)
            except DecodeError:
                pass
            else:
                assert samples.dtype == np.float32
                assert np.all(np.isfinite(samples))
                assert np.all(np.abs(samples) <= 1.0)
        path.unlink()
    # Each refusal names its file and a reason.
    assert all(error.path == path and error.reason for path, error in errors)
    reasons = sorted({error.reason.split(":")[0] for _, error in errors})
    print(f"{RANDOM_CASES + MUTATED_CASES} files fuzzed: {outcomes}; reasons: {reasons}")
    # Both kinds of outcome happened: the mutations are neither all harmless nor all fatal.
    assert outcomes["decoded"] > 20
    assert outcomes["refused"] > 20
