import re

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QProgressBar

from gui.shazam_view import ShazamView

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot, filled_config, open_store):
    widget = ShazamView(filled_config, open_store)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def shazam(qtbot, view):
    with qtbot.waitSignals([view.recognised], timeout=30_000, raising=False) as blocker:
        qtbot.mouseClick(view.shazam, Qt.LeftButton)
        assert not view.shazam.isEnabled()  # busy while it works, and the click returned at once
    return blocker


def card_texts(view, name):
    return [card.findChild(QLabel, name).text() for card in view.match_cards()]


def test_a_70_30_mix_gives_a_card_per_song_the_dominant_first(qtbot, view, song_folder):
    view.slot_a.set_path(str(song_folder / "Alpha.mp3"))
    view.slot_b.set_path(str(song_folder / "Gamma.flac"))
    view.slot_a.start.setValue(4.0)
    view.slot_b.start.setValue(9.0)
    view.ratio.setValue(30)
    assert view.ratio_label.text() == "A 70 % · B 30 %"
    shazam(qtbot, view)
    assert view.shazam.isEnabled()
    assert card_texts(view, "song_name") == ["Alpha", "Gamma"]
    assert card_texts(view, "position") == ["heard at 0:04.0 in the song", "heard at 0:09.0 in the song"]
    shares = card_texts(view, "share")
    assert "(set: 70%)" in shares[0]
    assert "(set: 30%)" in shares[1]
    heard = [int(re.match(r"about (\d+)% of the sound", text).group(1)) for text in shares]
    assert heard[0] > heard[1]
    assert sum(heard) == pytest.approx(100, abs=1)
    assert view.match_cards()[0].findChild(QProgressBar, "confidence").value() > 50


def test_unknown_audio_shows_no_match(qtbot, view, unknown_song):
    view.slot_a.set_path(str(unknown_song))
    shazam(qtbot, view)
    assert card_texts(view, "song_name") == ["No match"]


def test_a_corrupt_file_is_a_message_and_the_view_stays_usable(qtbot, view, tmp_path, song_folder):
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"not audio at all" * 100)
    view.slot_a.set_path(str(broken))
    with qtbot.waitSignal(view.failed, timeout=30_000) as blocker:
        view.start()
    assert "broken.mp3" in blocker.args[0]
    assert "broken.mp3" in view.status.text()
    assert view.shazam.isEnabled()
    view.slot_a.set_path(str(song_folder / "Beta.ogg"))
    shazam(qtbot, view)
    assert card_texts(view, "song_name") == ["Beta"]


def test_nothing_chosen_asks_for_a_song(view):
    view.start()
    assert "Choose a song" in view.status.text()
    assert view.shazam.isEnabled()


def test_return_recognises_and_then_the_mix_can_be_played(qtbot, view, song_folder):
    view.slot_a.set_path(str(song_folder / "Gamma.flac"))
    assert not view.play.isEnabled()
    with qtbot.waitSignal(view.recognised, timeout=30_000):
        qtbot.keyClick(view.slot_a.path_edit, Qt.Key_Return)
    assert card_texts(view, "song_name") == ["Gamma"]
    assert view.play.isEnabled()
    with qtbot.waitSignal(view.play_requested, timeout=1000):
        qtbot.mouseClick(view.play, Qt.LeftButton)
