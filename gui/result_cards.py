"""Cards that show a recognition: one per matched song, or a "No match" card."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QFrame, QLabel, QProgressBar, QVBoxLayout, QWidget

from fingerprint.types import Match, RecognitionResult, format_position


class _Card(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        self.layout_ = QVBoxLayout(self)

    def add_label(self, text: str, *, name: str, big: bool = False) -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        label.setWordWrap(True)
        if big:
            font = label.font()
            font.setPointSizeF(font.pointSizeF() * 1.5)
            font.setBold(True)
            label.setFont(font)
        self.layout_.addWidget(label)
        return label


class MatchCard(_Card):
    """One recognised song: name, where it was heard, how sure, the evidence and the time taken; with
    other songs heard too, the share of the sound it makes up (`Match.loudness_share`) and, for a mix,
    the share the user set."""

    def __init__(
        self,
        match: Match,
        *,
        elapsed_s: float,
        set_share: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.match = match
        self.setObjectName("match_card")
        self.add_label(match.song_name, name="song_name", big=True)
        self.add_label(f"heard at {format_position(match.offset_seconds)} in the song", name="position")
        bar = QProgressBar()
        bar.setObjectName("confidence")
        bar.setRange(0, 100)
        bar.setValue(round(match.confidence * 100))
        bar.setFormat(f"confidence {match.confidence:.2f}")
        bar.setToolTip(
            "How sure the recogniser is that this song is in the clip: 0.5 at the bar, near 1 far above it"
        )
        self.layout_.addWidget(bar)
        self.add_label(
            f"{match.hashes_matched_in_input} of {match.input_total_hashes} query hashes aligned · "
            f"input confidence {match.input_confidence:.3f} · "
            f"fingerprinted confidence {match.fingerprinted_confidence:.3f} · {elapsed_s * 1000:.0f} ms",
            name="details",
        )
        if match.loudness_share is not None:
            text = f"about {match.loudness_share:.0%} of the sound"
            if set_share is not None:
                text += f" (set: {set_share:.0%})"
            self.add_label(text, name="share")


class NoMatchCard(_Card):
    """No song cleared the bar; the best candidate below it is shown for context."""

    def __init__(self, result: RecognitionResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("no_match_card")
        self.add_label("No match", name="song_name", big=True)
        best = result.best_rejected
        if best is None:
            detail = f"No stored song shares a hash with these {result.input_total_hashes} query hashes."
        else:
            detail = (
                f"Best candidate below the bar: {best.song_name}, confidence {best.confidence:.2f} "
                f"({best.hashes_matched_in_input} hashes aligned)."
            )
        self.add_label(detail, name="details")
