"""Embedded matplotlib views of a recognition: the query's spectrogram, the song's constellation, the votes.

Each view is a QWidget holding a canvas and a navigation toolbar (zoom, pan, save). It draws only the arrays
it is given, rebuilding its figure on every call, and switches between light and dark chrome with
`set_dark`. Data colours are chosen to read on both backgrounds.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from PyQt5.QtWidgets import QVBoxLayout, QWidget

from config.settings import FingerprintParams
from fingerprint.analysis import constellation
from fingerprint.spectrogram import frame_times_s, frequencies_hz, spectrogram

# (figure background, axes background, text and lines) of each theme.
LIGHT = ("white", "white", "black")
DARK = ("#202124", "#2b2c30", "#e8e8e8")
# dB range of the spectrogram's colour map: quiet hiss to a loud tone (0 dB is a full-scale sine).
DB_RANGE = (-90.0, 0.0)
SPECTROGRAM_CMAP = "magma"
# Peaks over the magma map: cyan with dark edges contrasts with every level of the map (the idea of Sonic
# Visualiser's contrasting overlay colour).
PEAK_STYLE = {"s": 16, "c": "cyan", "edgecolors": "black", "linewidths": 0.6, "zorder": 3}
TIME_LABEL = "time (s)"
FREQ_LABEL = "frequency (Hz)"


class _FigureView(QWidget):
    """A figure with a toolbar; subclasses build their axes in `_build_empty` and their `show_*` method."""

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self._dark = dark
        self.figure = Figure(layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        # Constrained layout warns when the axes have no room: never let the canvas get that small.
        self.canvas.setMinimumSize(360, 240)
        self.toolbar = NavigationToolbar2QT(self.canvas, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.canvas)
        self.clear()

    def set_dark(self, dark: bool) -> None:
        """Switch the figure and axes colours between the light and the dark theme."""
        self._dark = dark
        self._apply_theme()
        self.canvas.draw_idle()

    def clear(self) -> None:
        """Remove everything drawn, leaving empty labelled axes."""
        self._reset()
        self._build_empty()
        self._finish()

    def _reset(self) -> None:
        self.figure.clear()

    def _build_empty(self) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        self._apply_theme()
        # The toolbar's home view becomes the new picture, not the previous one.
        self.toolbar.update()
        self.canvas.draw_idle()

    def _apply_theme(self) -> None:
        figure_bg, axes_bg, fg = DARK if self._dark else LIGHT
        self.figure.set_facecolor(figure_bg)
        for text in self.figure.texts:
            text.set_color(fg)
        for ax in self.figure.axes:
            ax.set_facecolor(axes_bg)
            ax.tick_params(colors=fg, which="both")
            for spine in ax.spines.values():
                spine.set_edgecolor(fg)
            for text in (ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts):
                text.set_color(fg)
            legend = ax.get_legend()
            if legend is not None:
                legend.get_frame().set_facecolor(axes_bg)
                legend.get_frame().set_edgecolor(fg)
                for text in legend.get_texts():
                    text.set_color(fg)


def _points(collection: PathCollection | None) -> npt.NDArray[np.float64]:
    if collection is None:
        return np.empty((0, 2))
    return np.asarray(collection.get_offsets(), dtype=np.float64).reshape(-1, 2)


def _note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center")


class SpectrogramView(_FigureView):
    """The query's spectrogram in dB with the peaks its fingerprints are made of drawn over it."""

    def _reset(self) -> None:
        super()._reset()
        self._image: AxesImage | None = None
        self._peaks: PathCollection | None = None

    def _build_empty(self) -> None:
        self.axes = self.figure.add_subplot()
        self.axes.set(xlabel=TIME_LABEL, ylabel=FREQ_LABEL, title="Query spectrogram")

    def show_query(self, samples: npt.ArrayLike, params: FingerprintParams) -> None:
        """Draw the spectrogram of `samples` (mono, at `params.sample_rate`) and its constellation."""
        s_db = spectrogram(samples, n_fft=params.n_fft, hop_length=params.hop_length)
        peaks = constellation(samples, params)
        self._reset()
        self._build_empty()
        n_bins, n_frames = s_db.shape
        if n_frames == 0:
            _note(self.axes, "Too short for a spectrogram")
            self._finish()
            return
        times = frame_times_s(n_frames, hop_length=params.hop_length, sample_rate=params.sample_rate)
        freqs = frequencies_hz(n_fft=params.n_fft, sample_rate=params.sample_rate)
        # Pixel centres on the frame times and bin frequencies, as the peaks are.
        half_frame = params.hop_length / params.sample_rate / 2
        half_bin = params.sample_rate / params.n_fft / 2
        extent = (times[0] - half_frame, times[-1] + half_frame, freqs[0] - half_bin, freqs[-1] + half_bin)
        self._image = self.axes.imshow(
            s_db,
            origin="lower",
            aspect="auto",
            extent=extent,
            cmap=SPECTROGRAM_CMAP,
            vmin=DB_RANGE[0],
            vmax=DB_RANGE[1],
            interpolation="nearest",
        )
        self._peaks = self.axes.scatter(times[peaks.time_frames], freqs[peaks.freq_bins], **PEAK_STYLE)
        self.axes.set_title(f"Query spectrogram and its {len(peaks)} peaks")
        self.figure.colorbar(self._image, ax=self.axes, label="level (dB)")
        self._finish()

    def image(self) -> AxesImage | None:
        """The spectrogram image, None when nothing is drawn."""
        return self._image

    def peak_points(self) -> npt.NDArray[np.float64]:
        """The drawn peaks as rows of (time s, frequency Hz)."""
        return _points(self._peaks)


class ConstellationView(_FigureView):
    """The peaks of the matched song around the matched offset, with the span the query covers shaded."""

    def _reset(self) -> None:
        super()._reset()
        self._peaks: PathCollection | None = None
        self._span: Rectangle | None = None

    def _build_empty(self) -> None:
        self.axes = self.figure.add_subplot()
        self.axes.set(xlabel=TIME_LABEL, ylabel=FREQ_LABEL, title="Song constellation")

    def show_song(
        self,
        peaks_times_s: npt.ArrayLike,
        peaks_freqs_hz: npt.ArrayLike,
        *,
        title: str,
        highlight: tuple[float, float] | None = None,
    ) -> None:
        """Draw the song's peaks; with `highlight` (start s, end s), shade that span and centre on it."""
        self._reset()
        self._build_empty()
        self._peaks = self.axes.scatter(
            np.asarray(peaks_times_s, dtype=np.float64),
            np.asarray(peaks_freqs_hz, dtype=np.float64),
            s=10,
            color="tab:blue",
            zorder=3,
        )
        self.axes.set_title(title)
        if highlight is not None:
            start_s, end_s = highlight
            self._span = self.axes.axvspan(start_s, end_s, color="tab:orange", alpha=0.3, label="query")
            margin = max(end_s - start_s, 2.0)
            self.axes.set_xlim(max(start_s - margin, 0.0), end_s + margin)
            self.axes.legend(loc="upper right")
        self._finish()

    def peak_points(self) -> npt.NDArray[np.float64]:
        """The drawn peaks as rows of (time s, frequency Hz)."""
        return _points(self._peaks)

    def highlight_span(self) -> tuple[float, float] | None:
        """The shaded span (start s, end s), None when nothing is shaded."""
        if self._span is None:
            return None
        return (self._span.get_x(), self._span.get_x() + self._span.get_width())


class MatchView(_FigureView):
    """Wang's picture of a match: matched hashes (query time against song time) and their offset votes."""

    def _reset(self) -> None:
        super()._reset()
        self._others: PathCollection | None = None
        self._aligned: PathCollection | None = None
        self._order = np.empty(0, dtype=np.int64)
        self._votes: LineCollection | None = None

    def _build_empty(self) -> None:
        self.hits_axes, self.votes_axes = self.figure.subplots(1, 2)
        self.hits_axes.set(
            xlabel="time in the query (s)", ylabel="time in the song (s)", title="Matched hashes"
        )
        self.votes_axes.set(xlabel="song time - query time (s)", ylabel="hashes", title="Votes per offset")

    def show_match(
        self,
        query_offsets_s: npt.ArrayLike,
        song_offsets_s: npt.ArrayLike,
        aligned_mask: npt.ArrayLike,
        offset_s: float,
        *,
        title: str,
    ) -> None:
        """Draw the matched hashes, highlighting the aligned ones, and the votes with `offset_s` marked.

        Each distinct difference (song - query) is one bar of the vote histogram: offsets given in whole
        frames give one bar per frame of difference.
        """
        query_s = np.asarray(query_offsets_s, dtype=np.float64)
        song_s = np.asarray(song_offsets_s, dtype=np.float64)
        aligned = np.asarray(aligned_mask, dtype=bool)
        if not query_s.shape == song_s.shape == aligned.shape or query_s.ndim != 1:
            raise ValueError("query offsets, song offsets and the aligned mask must be 1-D of one length")
        self._reset()
        self._build_empty()
        self.figure.suptitle(title)
        others = ~aligned
        self._order = np.argsort(np.concatenate([np.flatnonzero(others), np.flatnonzero(aligned)]))
        self._others = self.hits_axes.scatter(
            query_s[others], song_s[others], s=8, color="0.55", alpha=0.6, label="other hits"
        )
        self._aligned = self.hits_axes.scatter(
            query_s[aligned],
            song_s[aligned],
            s=14,
            color="tab:orange",
            edgecolors="black",
            linewidths=0.4,
            label="aligned",
            zorder=3,
        )
        self.hits_axes.axline((0.0, offset_s), slope=1.0, color="tab:red", linestyle="--", linewidth=0.8)
        if len(query_s):
            # Around the diagonal: chance hits elsewhere in the song would squash it to a vertical line.
            low, high = query_s.min(), query_s.max()
            margin = max(2.0, (high - low) / 4)
            self.hits_axes.set_ylim(offset_s + low - margin, offset_s + high + margin)
        self.hits_axes.legend(loc="upper left")
        # Rounding to the microsecond merges differences that are equal but for float error.
        differences, counts = np.unique(np.round(song_s - query_s, 6), return_counts=True)
        self._votes = self.votes_axes.vlines(differences, 0, counts, color="tab:blue", linewidth=1.5)
        self.votes_axes.axvline(offset_s, color="tab:red", linestyle="--", linewidth=0.8)
        self.votes_axes.set_title(f"Votes per offset: {offset_s:.2f} s wins")
        self._finish()

    def matched_points(self) -> npt.NDArray[np.float64]:
        """The drawn hashes as rows of (time in the query s, time in the song s), in the order given."""
        return np.concatenate([_points(self._others), _points(self._aligned)])[self._order]

    def aligned_points(self) -> npt.NDArray[np.float64]:
        """The highlighted (aligned) hashes as rows of (time in the query s, time in the song s)."""
        return _points(self._aligned)

    def offset_votes(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """The drawn histogram: each distinct offset difference (s) and its number of hashes."""
        segments = [] if self._votes is None else self._votes.get_segments()
        ends = np.array([segment[1] for segment in segments], dtype=np.float64).reshape(-1, 2)
        return ends[:, 0], ends[:, 1].astype(np.int64)
