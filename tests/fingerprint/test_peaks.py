import numpy as np
import pytest

from fingerprint.errors import ParameterError
from fingerprint.peaks import local_maxima, strongest_per_second


def _neighbourhood_max(s_db, f, t, fr, tr):
    return s_db[max(f - fr, 0) : f + fr + 1, max(t - tr, 0) : t + tr + 1].max()


@pytest.mark.parametrize("seed", range(5))
def test_every_peak_is_a_local_maximum_above_the_floor(seed):
    rng = np.random.default_rng(seed)
    s_db = rng.normal(-60, 15, size=(64, 80)).astype(np.float32)
    peaks = local_maxima(s_db, freq_radius=3, time_radius=2, amp_min_db=-55.0, min_freq_bin=4)
    assert len(peaks) > 0
    for f, t, amp in zip(peaks.freq_bins, peaks.time_frames, peaks.amps_db, strict=True):
        assert s_db[f, t] == amp >= -55.0
        assert f >= 4
        assert amp == _neighbourhood_max(s_db, f, t, 3, 2)
    # ...and every local maximum above the floor is reported.
    expected = {
        (f, t)
        for f in range(4, 64)
        for t in range(80)
        if s_db[f, t] >= -55.0 and s_db[f, t] == _neighbourhood_max(s_db, f, t, 3, 2)
    }
    assert set(zip(peaks.freq_bins.tolist(), peaks.time_frames.tolist(), strict=True)) == expected


def test_peaks_are_sorted_by_time_then_frequency():
    rng = np.random.default_rng(3)
    peaks = local_maxima(
        rng.normal(size=(50, 50)).astype(np.float32), freq_radius=2, time_radius=2, amp_min_db=-9
    )
    order = np.lexsort((peaks.freq_bins, peaks.time_frames))
    assert np.array_equal(order, np.arange(len(peaks)))


def test_density_cap_keeps_the_loudest_within_half_a_second():
    rng = np.random.default_rng(4)
    s_db = rng.normal(-40, 10, size=(128, 200)).astype(np.float32)
    all_peaks = local_maxima(s_db, freq_radius=2, time_radius=1, amp_min_db=-100)
    capped = strongest_per_second(all_peaks, max_per_second=5, frames_per_second=10.0)
    assert 0 < len(capped) < len(all_peaks)
    for t, amp in zip(capped.time_frames, capped.amps_db, strict=True):
        near = np.abs(all_peaks.time_frames - t) <= 5
        assert np.sum(all_peaks.amps_db[near] > amp) < 5


def test_silence_and_empty_spectrograms_have_no_peaks():
    assert (
        len(local_maxima(np.full((64, 40), -120.0, np.float32), freq_radius=3, time_radius=3, amp_min_db=-70))
        == 0
    )
    assert len(local_maxima(np.zeros((64, 0), np.float32), freq_radius=3, time_radius=3, amp_min_db=-70)) == 0


def test_bad_arguments_raise():
    with pytest.raises(ParameterError, match="2-D"):
        local_maxima(np.zeros(5, np.float32), freq_radius=1, time_radius=1, amp_min_db=0)
    with pytest.raises(ParameterError, match="radii"):
        local_maxima(np.zeros((5, 5), np.float32), freq_radius=-1, time_radius=1, amp_min_db=0)
    peaks = local_maxima(np.zeros((5, 5), np.float32), freq_radius=1, time_radius=1, amp_min_db=0)
    with pytest.raises(ParameterError, match="max_per_second=0"):
        strongest_per_second(peaks, max_per_second=0, frames_per_second=1.0)
