import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PyQt5.QtGui import QImage

from config.settings import FingerprintParams
from fingerprint.analysis import constellation
from fingerprint.spectrogram import frame_times_s, frequencies_hz, spectrogram
from gui.plots import ConstellationView, MatchView, SpectrogramView
from tests.synth import synth_song

pytestmark = pytest.mark.gui

PARAMS = FingerprintParams()


def _view(qtbot, cls, **kwargs):
    view = cls(**kwargs)
    qtbot.addWidget(view)
    view.resize(900, 500)
    return view


def _saved_png(view, path):
    assert view.grab().save(str(path))
    image = QImage(str(path))
    assert not image.isNull()
    assert image.width() > 100
    assert image.height() > 100
    return image


def test_spectrogram_view_draws_the_spectrogram_and_exactly_its_peaks(qtbot, tmp_path):
    samples = synth_song(5, duration_s=10.0, sample_rate=PARAMS.sample_rate)
    view = _view(qtbot, SpectrogramView)
    view.show_query(samples, PARAMS)

    s_db = spectrogram(samples, n_fft=PARAMS.n_fft, hop_length=PARAMS.hop_length)
    peaks = constellation(samples, PARAMS)
    times = frame_times_s(s_db.shape[1], hop_length=PARAMS.hop_length, sample_rate=PARAMS.sample_rate)
    freqs = frequencies_hz(n_fft=PARAMS.n_fft, sample_rate=PARAMS.sample_rate)
    assert len(peaks) > 20
    expected = np.column_stack([times[peaks.time_frames], freqs[peaks.freq_bins]])
    np.testing.assert_allclose(view.peak_points(), expected)
    assert view.image().get_array().shape == s_db.shape
    np.testing.assert_allclose(view.image().get_array(), s_db)
    assert "(Hz)" in view.axes.get_ylabel()
    assert "(s)" in view.axes.get_xlabel()
    # The image spans the frame times and bin frequencies, so peaks sit on their pixels.
    left, right, bottom, top = view.image().get_extent()
    assert left < 0 < times[-1] < right
    assert bottom < 0 < freqs[-1] < top
    assert any(ax.get_ylabel() == "level (dB)" for ax in view.figure.axes)
    _saved_png(view, tmp_path / "spectrogram.png")

    view.clear()
    assert view.image() is None
    assert view.peak_points().shape == (0, 2)
    _saved_png(view, tmp_path / "cleared.png")


@pytest.mark.parametrize("samples", [np.zeros(8000, dtype=np.float32), np.zeros(100, dtype=np.float32)])
def test_spectrogram_view_draws_silence_and_too_short_clips(qtbot, tmp_path, samples):
    view = _view(qtbot, SpectrogramView)
    view.show_query(samples, PARAMS)
    assert view.peak_points().shape == (0, 2)
    _saved_png(view, tmp_path / "silence.png")


def test_constellation_view_shades_the_query_span(qtbot, tmp_path):
    rng = np.random.default_rng(1)
    times, freqs = rng.uniform(0, 60, 300), rng.uniform(100, 4000, 300)
    view = _view(qtbot, ConstellationView)
    view.show_song(times, freqs, title="Alpha", highlight=(20.0, 25.0))

    np.testing.assert_allclose(view.peak_points(), np.column_stack([times, freqs]))
    assert view.highlight_span() == pytest.approx((20.0, 25.0))
    low, high = view.axes.get_xlim()
    assert low < 20.0 < 25.0 < high
    assert view.axes.get_title() == "Alpha"
    _saved_png(view, tmp_path / "constellation.png")

    view.clear()
    assert view.peak_points().shape == (0, 2)
    assert view.highlight_span() is None


def test_constellation_view_draws_nothing_without_error(qtbot, tmp_path):
    view = _view(qtbot, ConstellationView)
    view.show_song([], [], title="Empty", highlight=(0.0, 5.0))
    assert view.peak_points().shape == (0, 2)
    view.show_song([], [], title="Empty")
    assert view.highlight_span() is None
    _saved_png(view, tmp_path / "empty.png")


def _match(rng, offset_s=12.0, frame_s=0.032):
    """40 aligned hits on `offset_s` and 200 chance hits spread over a 60 s song, in whole frames."""
    query_frames = rng.integers(0, 156, 240)
    song_frames = np.concatenate([query_frames[:40] + round(offset_s / frame_s), rng.integers(0, 1875, 200)])
    aligned = np.arange(240) < 40
    order = rng.permutation(240)
    return query_frames[order] * frame_s, song_frames[order] * frame_s, aligned[order]


def test_match_view_draws_the_given_points_and_the_winning_offset(qtbot, tmp_path):
    query_s, song_s, aligned = _match(np.random.default_rng(2))
    view = _view(qtbot, MatchView)
    view.show_match(query_s, song_s, aligned, 12.0, title="Alpha at 12.0 s")

    np.testing.assert_array_equal(view.matched_points(), np.column_stack([query_s, song_s]))
    np.testing.assert_array_equal(view.aligned_points(), np.column_stack([query_s, song_s])[aligned])
    differences, counts = view.offset_votes()
    assert counts.sum() == len(query_s)
    assert differences[np.argmax(counts)] == pytest.approx(12.0, abs=0.016)
    assert counts.max() >= 40
    assert view.figure.get_suptitle() == "Alpha at 12.0 s"
    _saved_png(view, tmp_path / "match.png")

    view.clear()
    assert view.matched_points().shape == (0, 2)
    assert len(view.offset_votes()[0]) == 0


def test_match_view_draws_no_hits_without_error(qtbot, tmp_path):
    view = _view(qtbot, MatchView)
    view.show_match([], [], np.zeros(0, dtype=bool), 0.0, title="Nothing")
    assert view.matched_points().shape == (0, 2)
    assert len(view.offset_votes()[1]) == 0
    _saved_png(view, tmp_path / "nothing.png")


def test_match_view_refuses_arrays_of_different_lengths(qtbot):
    view = _view(qtbot, MatchView)
    with pytest.raises(ValueError, match="one length"):
        view.show_match([1.0, 2.0], [3.0], [True, False], 2.0, title="Bad")


@pytest.mark.parametrize("cls", [SpectrogramView, ConstellationView, MatchView])
def test_dark_theme_switches_figure_and_axes_colours_and_keeps_through_redraws(qtbot, cls):
    view = _view(qtbot, cls, dark=True)
    dark_bg = view.figure.get_facecolor()
    assert dark_bg != to_rgba("white")
    assert all(ax.get_facecolor() != to_rgba("white") for ax in view.figure.axes)
    view.set_dark(False)
    assert view.figure.get_facecolor() == to_rgba("white")
    assert all(ax.xaxis.label.get_color() == "black" for ax in view.figure.axes)
    view.set_dark(True)
    view.clear()
    assert view.figure.get_facecolor() == dark_bg
