import numpy as np
import pytest

from gui.playback import MixPlayer

pytestmark = pytest.mark.gui
RATE = 8000


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
