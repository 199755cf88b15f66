"""Draw the README's "how it works" pictures with the real code: spectrogram and peaks, peak pairs, votes.

    python bench/figures.py SONG.ogg [--start 30] [--out images/]

The query is a 5 s clip of the song from `--start` with white noise at `--snr` dB, recognised against an
in-memory store that holds the song.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import FingerprintParams  # noqa: E402
from database.sqlite_store import SQLiteStore  # noqa: E402
from fingerprint.analysis import constellation, fingerprint_samples, query_fingerprints  # noqa: E402
from fingerprint.audio import add_white_noise, clip  # noqa: E402
from fingerprint.decoder import file_sha1, read_audio  # noqa: E402
from fingerprint.hashing import landmark_hashes, unpack_hashes  # noqa: E402
from fingerprint.matching import join_hits  # noqa: E402
from fingerprint.spectrogram import frame_times_s, frequencies_hz, spectrogram  # noqa: E402


def draw_constellation(samples: np.ndarray, params: FingerprintParams, path: Path) -> None:
    """Spectrogram (dB) of 10 s with the peaks kept for the store drawn over it."""
    s_db = spectrogram(samples, n_fft=params.n_fft, hop_length=params.hop_length)
    peaks = constellation(samples, params)
    times = frame_times_s(s_db.shape[1], hop_length=params.hop_length, sample_rate=params.sample_rate)
    freqs = frequencies_hz(n_fft=params.n_fft, sample_rate=params.sample_rate)
    fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
    mesh = ax.pcolormesh(times, freqs, s_db, shading="auto", cmap="magma", vmin=-90, vmax=-10)
    ax.scatter(
        times[peaks.time_frames], freqs[peaks.freq_bins], s=14, c="cyan", edgecolors="black", linewidths=0.4
    )
    ax.set(xlabel="time (s)", ylabel="frequency (Hz)", title=f"Spectrogram and its {len(peaks)} peaks")
    fig.colorbar(mesh, ax=ax, label="dB")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_pairs(samples: np.ndarray, params: FingerprintParams, path: Path) -> None:
    """Each peak joined to the targets it is hashed with."""
    peaks = constellation(samples, params)
    hashes, offsets = landmark_hashes(
        peaks, fan_value=params.fan_value, dt_min=params.dt_min_frames, dt_max=params.dt_max_frames,
        df_max=params.df_max_bins,
    )  # fmt: skip
    f1, df, dt = unpack_hashes(hashes)
    frame_s = params.hop_length / params.sample_rate
    bin_hz = params.sample_rate / params.n_fft
    fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
    for start, freq, d_freq, d_time in zip(offsets, f1, df, dt, strict=True):
        ax.plot([start * frame_s, (start + d_time) * frame_s], [freq * bin_hz, (freq + d_freq) * bin_hz],
                color="tab:blue", alpha=0.35, linewidth=0.8)  # fmt: skip
    ax.scatter(peaks.time_frames * frame_s, peaks.freq_bins * bin_hz, s=10, color="black", zorder=3)
    ax.set(xlabel="time (s)", ylabel="frequency (Hz)", title=f"{len(hashes)} peak pairs, each one hash")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_votes(
    song: np.ndarray, query: np.ndarray, params: FingerprintParams, song_path: Path, path: Path
) -> None:
    """Matched hashes as points (time in song against time in query) and the histogram of their offsets."""
    with SQLiteStore(":memory:") as store:
        stored = fingerprint_samples(song, params)
        store.add_song(
            "song", file_sha1(song_path), len(song) / params.sample_rate, stored.hashes, stored.offsets
        )
        fingerprints = query_fingerprints(query, params)
        hits = store.lookup(np.unique(fingerprints.hashes))
    pairs = join_hits(fingerprints.hashes, fingerprints.offsets, *hits)
    frame_s = params.hop_length / params.sample_rate
    differences = pairs.differences
    votes = np.bincount(differences - differences.min())
    best_s = (np.argmax(votes) + differences.min()) * frame_s
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    left.scatter(pairs.query_offsets * frame_s, pairs.song_offsets * frame_s, s=8, alpha=0.6)
    left.set(xlabel="time in the query (s)", ylabel="time in the song (s)", ylim=(best_s - 2.5, best_s + 7.5),
             title="Matching hashes: the true ones line up on a diagonal")  # fmt: skip
    right.vlines((np.arange(len(votes)) + differences.min()) * frame_s, 0, votes, linewidth=1.2)
    right.set(xlabel="song time - query time (s)", ylabel="hashes",
              title=f"Votes per offset difference: the peak says {best_s:.1f} s")  # fmt: skip
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("song", type=Path)
    parser.add_argument("--start", type=float, default=30.0, help="start of the query clip in the song (s)")
    parser.add_argument("--snr", type=float, default=5.0, help="signal-to-noise ratio of the query (dB)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "images")
    args = parser.parse_args()
    params = FingerprintParams()
    song = read_audio(args.song, sample_rate=params.sample_rate)
    rng = np.random.default_rng(0)
    query = add_white_noise(
        clip(song, sample_rate=params.sample_rate, start_s=args.start, duration_s=5.0),
        snr_db=args.snr,
        rng=rng,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    excerpt = clip(song, sample_rate=params.sample_rate, start_s=args.start, duration_s=10.0)
    draw_constellation(excerpt, params, args.out / "constellation.png")
    draw_pairs(clip(excerpt, sample_rate=params.sample_rate, duration_s=3.0), params, args.out / "pairs.png")
    draw_votes(song, query, params, args.song, args.out / "votes.png")


if __name__ == "__main__":
    main()
