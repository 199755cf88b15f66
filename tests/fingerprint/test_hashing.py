import numpy as np
import pytest

from fingerprint.errors import ParameterError
from fingerprint.hashing import (
    HASH_BITS,
    MAX_DF,
    MAX_DT,
    MAX_FREQ_BIN,
    landmark_hashes,
    pack_hashes,
    unpack_hashes,
)
from fingerprint.peaks import Peaks


def _peaks(freqs, times):
    return Peaks(np.array(freqs, np.int32), np.array(times, np.int32), np.zeros(len(freqs), np.float32))


def test_pack_unpack_round_trip_over_the_whole_range():
    rng = np.random.default_rng(0)
    f1 = rng.integers(0, MAX_FREQ_BIN + 1, 10_000)
    df = rng.integers(-MAX_DF, MAX_DF + 1, 10_000)
    dt = rng.integers(1, MAX_DT + 1, 10_000)
    hashes = pack_hashes(f1, df, dt)
    assert hashes.min() >= 0
    assert hashes.max() < 2**HASH_BITS
    for original, unpacked in zip((f1, df, dt), unpack_hashes(hashes), strict=True):
        assert np.array_equal(original, unpacked)
    extremes = pack_hashes([0, MAX_FREQ_BIN], [-MAX_DF, MAX_DF], [1, MAX_DT])
    assert [a.tolist() for a in unpack_hashes(extremes)] == [
        [0, MAX_FREQ_BIN],
        [-MAX_DF, MAX_DF],
        [1, MAX_DT],
    ]


@pytest.mark.parametrize(
    ("f1", "df", "dt"), [(MAX_FREQ_BIN + 1, 0, 1), (-1, 0, 1), (0, MAX_DF + 1, 1), (0, 0, 0)]
)
def test_pack_rejects_values_outside_the_layout(f1, df, dt):
    with pytest.raises(ParameterError):
        pack_hashes([f1], [df], [dt])


def test_each_anchor_pairs_with_its_nearest_targets_in_the_zone():
    # Anchor at frame 0; targets at frames 1, 2, 3 (bin 10 out of the df zone), 70 (out of the dt zone).
    peaks = _peaks([100, 110, 105, 10, 100], [0, 1, 2, 3, 70])
    hashes, offsets = landmark_hashes(peaks, fan_value=2, dt_min=1, dt_max=63, df_max=50)
    pairs = list(zip(*(a.tolist() for a in unpack_hashes(hashes)), offsets.tolist(), strict=True))
    assert (100, 10, 1, 0) in pairs
    assert (100, 5, 2, 0) in pairs
    assert not any(f1 == 100 and off == 0 and dt == 3 for f1, _, dt, off in pairs)  # fan value reached
    assert all(dt <= 63 and abs(df) <= 50 for _, df, dt, _ in pairs)
    assert np.all(np.diff(offsets) >= 0)


def test_no_peaks_no_hashes():
    hashes, offsets = landmark_hashes(_peaks([], []), fan_value=3, dt_min=1, dt_max=10, df_max=10)
    assert len(hashes) == len(offsets) == 0


@pytest.mark.parametrize(
    "kwargs", [{"fan_value": 0}, {"dt_min": 0}, {"dt_max": MAX_DT + 1}, {"df_max": MAX_DF + 1}]
)
def test_bad_parameters_raise(kwargs):
    params = {"fan_value": 3, "dt_min": 1, "dt_max": 10, "df_max": 10} | kwargs
    with pytest.raises(ParameterError):
        landmark_hashes(_peaks([1, 2], [0, 1]), **params)
