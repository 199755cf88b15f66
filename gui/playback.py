"""Playing a recognised mix through the default audio output."""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QBuffer, QByteArray, QIODevice, QObject


class MixPlayer(QObject):
    """Plays float samples through Qt Multimedia's audio output; says why when it cannot."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._output = None
        self._buffer: QBuffer | None = None

    def play(self, samples: np.ndarray, sample_rate: int) -> str | None:
        """Start playing `samples` (mono, in [-1, 1]); return an error message, or None when it plays."""
        try:
            from PyQt5.QtMultimedia import QAudio, QAudioDeviceInfo, QAudioFormat, QAudioOutput
        except ImportError as error:
            return f"Playback needs Qt Multimedia and PulseAudio's libraries ({error})."
        self.stop()
        audio_format = QAudioFormat()
        audio_format.setSampleRate(sample_rate)
        audio_format.setChannelCount(1)
        audio_format.setSampleSize(16)
        audio_format.setCodec("audio/pcm")
        audio_format.setByteOrder(QAudioFormat.LittleEndian)
        audio_format.setSampleType(QAudioFormat.SignedInt)
        device = QAudioDeviceInfo.defaultOutputDevice()
        if device.isNull() or not device.isFormatSupported(audio_format):
            return "No audio output device can play the mix."
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(pcm))
        self._buffer.open(QIODevice.ReadOnly)
        self._output = QAudioOutput(device, audio_format, self)
        self._output.start(self._buffer)
        if self._output.error() != QAudio.NoError:
            return "The audio output refused to play the mix."
        return None

    def stop(self) -> None:
        if self._output is not None:
            self._output.stop()
            self._output = None
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None
