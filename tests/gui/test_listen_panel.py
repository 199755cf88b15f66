import os
import subprocess

import pytest
from PyQt5.QtCore import QSettings, Qt

from fingerprint.audio import clip
from gui.shazam_view import ShazamView
from tests.audio_files import write_audio
from tests.gui.conftest import RATE
from tests.pulse import SINK
from tests.synth import synth_song

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot, filled_config, open_store, tmp_path, pulse):
    widget = ShazamView(
        filled_config, open_store, settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    )
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.listen.devices.count() > 0, timeout=10_000)
    return widget


def test_listening_names_the_song_played_into_the_microphone(qtbot, view, pulse, tmp_path):
    # Beta of the shared store is synth_song(32); play it from 9 s into the null sink the default input hears.
    excerpt = write_audio(
        tmp_path / "beta.wav",
        clip(
            synth_song(32, duration_s=30.0, sample_rate=RATE), sample_rate=RATE, start_s=9.0, duration_s=12.0
        ),
        sample_rate=RATE,
    )
    player = None

    def play() -> None:
        nonlocal player
        player = subprocess.Popen(
            ["paplay", f"--device={SINK}", str(excerpt)], env={**os.environ, **pulse.env}
        )

    view.listen.started.connect(play)
    with qtbot.waitSignal(view.recognised, timeout=40_000) as blocker:
        qtbot.mouseClick(view.listen.button, Qt.LeftButton)
        assert view.listen.button.text() == "Stop"
    player.terminate()
    player.wait()
    recognition = blocker.args[0]
    top = recognition.result.matches[0]
    assert top.song_name == "Beta"
    assert top.offset_seconds == pytest.approx(9.0, abs=1.0)
    assert recognition.source.startswith("Microphone: ")
    assert view.listen.peak_level > 30  # the meter moved with the music
    assert view.listen.button.text() == "Listen"
    assert [card.objectName() for card in view.match_cards()][0] == "match_card"


def test_stop_ends_listening_at_once_and_silence_is_no_match(qtbot, view):
    view.listen.started.connect(view.listen.stop)
    with qtbot.waitSignal(view.recognised, timeout=10_000) as blocker:
        view.listen.start()
    assert not blocker.args[0].result.is_match
    assert len(blocker.args[0].samples) < 3 * blocker.args[0].sample_rate
    assert [card.objectName() for card in view.match_cards()] == ["no_match_card"]


def test_a_device_that_cannot_be_opened_is_a_message(qtbot, view):
    with qtbot.waitSignal(view.failed, timeout=10_000) as blocker:
        view.listen.start(device="no such microphone")
    assert "no input device 'no such microphone'" in blocker.args[0]
    assert "Could not listen" in view.status.text()
    assert view.listen.button.text() == "Listen"
