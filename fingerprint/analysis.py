"""From samples to landmark hashes, for the store and for queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from config.settings import FingerprintParams
from fingerprint.audio import valid_samples
from fingerprint.errors import ParameterError
from fingerprint.hashing import landmark_hashes, unpack_hashes
from fingerprint.loudness import BANDS, band_power, encode
from fingerprint.peaks import Peaks, local_maxima, strongest_per_second
from fingerprint.spectrogram import spectrogram

#: Spectrogram frames `fingerprint_chunks` analyses at a time (65 s at the defaults, 4 MB of float32).
BLOCK_FRAMES = 2048


@dataclass(frozen=True)
class Fingerprints:
    """Distinct (hash, offset) pairs of a signal, sorted by offset then hash."""

    hashes: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.hashes)


@dataclass(frozen=True)
class SongFingerprints(Fingerprints):
    """What a song is stored with: its fingerprints and its loudness profile (fingerprint.loudness)."""

    profile: bytes


def constellation(
    samples: object, params: FingerprintParams, *, peaks_per_second: int | None = None
) -> Peaks:
    """The peaks `fingerprint_samples` pairs into hashes (at most `peaks_per_second`, default the store's)."""
    s_db = spectrogram(samples, n_fft=params.n_fft, hop_length=params.hop_length)
    return _find_peaks(s_db, params, peaks_per_second or params.peaks_per_second)


def _find_peaks(s_db: npt.NDArray[np.float32], params: FingerprintParams, peaks_per_second: int) -> Peaks:
    return _strongest(_local_maxima(s_db, params), params, peaks_per_second)


def _local_maxima(
    s_db: npt.NDArray[np.float32], params: FingerprintParams, radii: tuple[int, int] | None = None
) -> Peaks:
    """The spectrogram's local maxima in the store's neighbourhood, or in `radii` (bins, frames)."""
    freq_radius, time_radius = radii or (params.peak_freq_radius, params.peak_time_radius)
    return local_maxima(
        s_db,
        freq_radius=freq_radius,
        time_radius=time_radius,
        amp_min_db=params.amp_min_db,
        min_freq_bin=_min_freq_bin(params),
    )


def _min_freq_bin(params: FingerprintParams) -> int:
    return int(np.ceil(params.min_freq_hz * params.n_fft / params.sample_rate))


def _band_power(s_db: npt.NDArray[np.float32], params: FingerprintParams) -> npt.NDArray[np.float64]:
    return band_power(s_db, min_freq_bin=_min_freq_bin(params))


def _strongest(maxima: Peaks, params: FingerprintParams, peaks_per_second: int) -> Peaks:
    return strongest_per_second(
        maxima, max_per_second=peaks_per_second, frames_per_second=params.sample_rate / params.hop_length
    )


def fingerprint_samples(samples: object, params: FingerprintParams) -> SongFingerprints:
    """The hashes and the loudness profile a song is stored with."""
    s_db = spectrogram(samples, n_fft=params.n_fft, hop_length=params.hop_length)
    peaks = _find_peaks(s_db, params, params.peaks_per_second)
    return _song_fingerprints(peaks, _band_power(s_db, params), params)


def fingerprint_chunks(
    chunks: Iterable[object], params: FingerprintParams, *, block_frames: int = BLOCK_FRAMES
) -> SongFingerprints:
    """What `fingerprint_samples` gives for the chunks joined end to end, in bounded memory.

    The spectrogram is made and searched for peaks `block_frames` frames at a time; each block is analysed
    with the frames its peaks depend on either side of it (the peak neighbourhood and the density window),
    so every peak, and therefore every hash, is exactly the one the whole signal at once would give. Only
    the peaks (a few per second) and the band powers of the loudness profile are kept until the end, where
    the peaks are paired into hashes.
    """
    if block_frames < 1:
        raise ParameterError(f"block_frames={block_frames} must be positive")
    peaks, power = _streamed_analysis(chunks, params, block_frames)
    return _song_fingerprints(peaks, power, params)


def _song_fingerprints(
    peaks: Peaks, power: npt.NDArray[np.float64], params: FingerprintParams
) -> SongFingerprints:
    found = _hashes(peaks, params, params.fan_value)
    return SongFingerprints(found.hashes, found.offsets, profile=encode(power))


def _streamed_analysis(
    chunks: Iterable[object], params: FingerprintParams, block_frames: int
) -> tuple[Peaks, npt.NDArray[np.float64]]:
    """The peaks `constellation` finds in the joined chunks and their band power per frame, block by block."""
    hop, n_fft = params.hop_length, params.n_fft
    # A peak depends on the frames of its neighbourhood, and on those of every candidate within the half
    # second of its density window: this many frames either side of it.
    margin = params.peak_time_radius + int(np.ceil(params.sample_rate / hop / 2)) + 1
    buffer = np.zeros(0, np.float32)
    buffer_frame = 0  # buffer[0] is the first sample of this frame
    done = 0  # the peaks of the frames before this one are found
    found: list[Peaks] = []
    powers: list[npt.NDArray[np.float64]] = []

    def frames_in_buffer() -> int:
        return buffer_frame + (len(buffer) - n_fft) // hop + 1 if len(buffer) >= n_fft else buffer_frame

    def block(stop: int, spectrogram_stop: int) -> None:
        first = max(done - margin, 0)
        part = buffer[(first - buffer_frame) * hop : (spectrogram_stop - 1 - buffer_frame) * hop + n_fft]
        s_db = spectrogram(part, n_fft=n_fft, hop_length=hop)
        peaks = _find_peaks(s_db, params, params.peaks_per_second)
        times = peaks.time_frames + first
        keep = (times >= done) & (times < stop)
        found.append(Peaks(peaks.freq_bins[keep], times[keep].astype(np.int32), peaks.amps_db[keep]))
        powers.append(_band_power(s_db[:, done - first : stop - first], params))

    for chunk in chunks:
        buffer = np.concatenate([buffer, valid_samples(chunk)])
        while frames_in_buffer() >= done + block_frames + margin:
            block(done + block_frames, done + block_frames + margin)
            done += block_frames
            drop = max(done - margin, 0) - buffer_frame
            buffer, buffer_frame = buffer[drop * hop :], buffer_frame + drop
    total = frames_in_buffer()
    if total > done:
        block(total, total)
    peaks = Peaks(
        freq_bins=np.concatenate([p.freq_bins for p in found] or [np.empty(0, np.int32)]),
        time_frames=np.concatenate([p.time_frames for p in found] or [np.empty(0, np.int32)]),
        amps_db=np.concatenate([p.amps_db for p in found] or [np.empty(0, np.float32)]),
    )
    return peaks, np.concatenate(powers or [np.empty((BANDS, 0))], axis=1)


def _hashes(peaks: Peaks, params: FingerprintParams, fan_value: int) -> Fingerprints:
    hashes, offsets = landmark_hashes(
        peaks,
        fan_value=fan_value,
        dt_min=params.dt_min_frames,
        dt_max=params.dt_max_frames,
        df_max=params.df_max_bins,
    )
    return _distinct(hashes, offsets)


@dataclass(frozen=True)
class QueryFingerprints(Fingerprints):
    """A query's (hash, offset) pairs, and which of its hashes the store's own analysis gives."""

    # The distinct hashes found at the store's peak density and fan value: the ones most likely to be
    # stored, which the recogniser looks up first (fingerprint.recognizer).
    store_like: npt.NDArray[np.int64]
    # Power per loudness band and frame (fingerprint.loudness), to tell how loud each song found is.
    band_power: npt.NDArray[np.float64]


def query_fingerprints(samples: object, params: FingerprintParams, *, mix: bool = False) -> QueryFingerprints:
    """The hashes a query is looked up with: the union over `params.query_shifts` sub-hop shifts.

    A clip rarely starts on the store's frame grid; analysing it at several shifts of a fraction of a hop
    finds the frames that line up best. The peaks of each shift are kept at two densities: the store's
    own, and the query's (more peaks, more targets each, so that stored pairs are found even when noise
    reorders the peaks; maxima of the query's neighbourhood, or of the mix neighbourhood for a `mix`).
    Offsets of every shift are in frames of the unshifted query.
    """
    samples = valid_samples(samples)
    step = max(params.hop_length // params.query_shifts, 1)
    query_radii = (
        (params.mix_peak_freq_radius, params.mix_peak_time_radius)
        if mix
        else (params.query_peak_freq_radius, params.query_peak_time_radius)
    )
    dense, store_like = [], []
    for shift in range(0, params.hop_length, step):
        s_db = spectrogram(samples[shift:], n_fft=params.n_fft, hop_length=params.hop_length)
        if shift == 0:  # the loudness of the unshifted query, on the frames its offsets count
            power = _band_power(s_db, params)
        maxima = _local_maxima(s_db, params)
        peaks = _strongest(maxima, params, params.peaks_per_second)
        store_like.append(_hashes(peaks, params, params.fan_value))
        if query_radii != (params.peak_freq_radius, params.peak_time_radius):
            maxima = _local_maxima(s_db, params, query_radii)
        peaks = _strongest(maxima, params, params.query_peaks_per_second)
        dense.append(_hashes(peaks, params, params.query_fan_value))
    parts = dense + store_like
    union = _distinct(np.concatenate([p.hashes for p in parts]), np.concatenate([p.offsets for p in parts]))
    return QueryFingerprints(
        union.hashes,
        union.offsets,
        store_like=np.unique(np.concatenate([p.hashes for p in store_like])),
        band_power=power,
    )


def _distinct(hashes: npt.NDArray[np.int64], offsets: npt.NDArray[np.int32]) -> Fingerprints:
    keys = np.unique((offsets.astype(np.int64) << 32) | hashes)
    return Fingerprints(hashes=keys & 0xFFFFFFFF, offsets=(keys >> 32).astype(np.int32))


def stored_constellation(
    hashes: npt.NDArray[np.int64], offsets: npt.NDArray[np.int32], params: FingerprintParams
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The peaks a song's stored hashes were made of, as (times_s, freqs_hz), rebuilt from the hashes.

    Every hash holds its anchor (offset, f1) and its target (offset + dt, f1 + df); the distinct points are
    the song's constellation as the store knows it.
    """
    f1, df, dt = unpack_hashes(hashes)
    offsets = offsets.astype(np.int64)
    points = np.unique(
        np.stack([np.concatenate([offsets, offsets + dt]), np.concatenate([f1, f1 + df])]), axis=1
    )
    return (
        points[0] * (params.hop_length / params.sample_rate),
        points[1] * (params.sample_rate / params.n_fft),
    )
