"""The evaluation's curves as PNG files (matplotlib, Agg): recall against SNR, and the confidences.

`draw_curves(figures, folder)` draws one recall-against-SNR chart per noise kind (a line per clip length),
a histogram of the confidence of right and wrong answers, and the trade-off a match bar makes between
recall and no-match; it returns the files it wrote, by title.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from bench.conditions import DURATIONS_S, NOISE_KINDS, SNRS_DB, noise_name, seconds  # noqa: E402
from bench.report import NOISE_LABELS, WANG_HALF_RECALL_DB, has_kind, share  # noqa: E402

DPI = 110


def draw_curves(figures: dict, folder: Path) -> dict[str, Path]:
    """Every chart of the report, written into `folder`; their paths by title."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = {}
    for kind in NOISE_KINDS:
        if has_kind(figures, kind):
            title = f"Recall against SNR, {NOISE_LABELS[kind]}"
            drawn[title] = draw_recall_snr(figures["conditions"], kind, folder / f"recall_snr_{kind}.png")
    drawn["Confidence of right and wrong answers"] = draw_confidence(
        figures["confidence"], folder / "confidence.png"
    )
    return drawn


def draw_recall_snr(conditions: dict[str, dict], kind: str, path: Path) -> Path:
    """Top-1 recall against SNR, a line per clip length, with the published 50 % points."""
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for duration_s in DURATIONS_S:
        recalls = [share(conditions.get(noise_name(kind, snr, duration_s)), "top1") for snr in SNRS_DB]
        points = [(snr, 100 * r) for snr, r in zip(SNRS_DB, recalls, strict=True) if r is not None]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=seconds(duration_s))
    for duration_s, snr in WANG_HALF_RECALL_DB.items():
        ax.plot(snr, 50, marker="x", color="black", markersize=9)
        ax.annotate(f"Wang {seconds(duration_s)}", (snr, 50), textcoords="offset points", xytext=(6, -12))
    ax.set(
        xlabel="SNR (dB)",
        ylabel="top-1 recall (%)",
        ylim=(0, 101),
        xticks=SNRS_DB,
        title=f"Recall against SNR, {NOISE_LABELS[kind]}",
    )
    ax.grid(alpha=0.3)
    ax.legend(title="clip", loc="lower right")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def draw_confidence(confidence: dict, path: Path) -> Path:
    """Histograms of the best candidate's confidence by kind of answer, and recall / no-match by bar."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    bins = np.linspace(0.0, 1.0, 41)
    kinds = (
        ("right", "right answers"),
        ("wrong", "wrong answers, stored songs"),
        ("unknown", "never stored"),
    )
    for key, label in kinds:
        if confidence[key]:
            left.hist(confidence[key], bins=bins, alpha=0.55, label=f"{label} ({len(confidence[key])})")
    left.axvline(confidence["bar"], color="black", linestyle="--", label="match bar")
    left.set(xlabel="confidence of the best candidate", ylabel="queries", yscale="log", title="Confidence")
    left.legend()
    bars = np.linspace(0.0, 1.0, 201)
    answered = np.array(confidence["right"])
    queries = confidence["stored_queries"]
    unknown = np.array(confidence["unknown"])
    right.plot(
        bars, [100 * np.sum(answered >= b) / max(queries, 1) for b in bars], label="recall, stored songs"
    )
    right.plot(
        bars,
        [100 * np.mean(unknown < b) if len(unknown) else np.nan for b in bars],
        label="no match, never stored",
    )
    right.axvline(confidence["bar"], color="black", linestyle="--", label="match bar")
    right.set(xlabel="match bar (confidence)", ylabel="%", ylim=(0, 101), title="What a bar keeps and costs")
    right.grid(alpha=0.3)
    right.legend(loc="lower left")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
