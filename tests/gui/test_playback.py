import numpy as np
import pytest

from gui.playback import MixPlayer
from tests.pulse import PulseServer, missing_programs
from tests.required import skip_or_fail

pytestmark = pytest.mark.gui
RATE = 8000


@pytest.fixture
def pulse(monkeypatch):
    """A private PulseAudio server as the default output; skipped without it unless REQUIRE_AUDIO=1."""
    missing = missing_programs()
    if missing:
        skip_or_fail(
            f"PulseAudio programs not found ({', '.join(missing)}); install pulseaudio pulseaudio-utils",
            required_by="REQUIRE_AUDIO",
        )
    with PulseServer() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


def test_play_sends_the_mix_to_the_audio_output(qtbot, pulse, tmp_path):
    recording = tmp_path / "heard.raw"
    recorder = pulse.record(recording, sample_rate=RATE)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(2 * RATE) / RATE)).astype(np.float32)
    player = MixPlayer()
    try:
        assert player.play(tone, RATE) is None

        def heard_the_tone() -> bool:
            heard = np.fromfile(recording, dtype="<i2").astype(np.float64)
            if len(heard) < RATE // 4:
                return False
            spectrum = np.abs(np.fft.rfft(heard))
            return (
                abs(np.argmax(spectrum) * RATE / len(heard) - 440) < 5 and np.sqrt(np.mean(heard**2)) > 1000
            )

        qtbot.waitUntil(heard_the_tone, timeout=10_000)
    finally:
        player.stop()
        recorder.terminate()
        recorder.wait()
