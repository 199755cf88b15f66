"""Recording from an input device: the one module that knows sounddevice (PortAudio).

`Microphone` opens an input stream and hands every block of mono float32 samples to a callback, from
PortAudio's own thread, so that a caller can meter the level and collect audio while it does other work;
`record` is the simple blocking form. Anything that goes wrong with devices becomes a `MicrophoneError`
that says what to do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fingerprint.errors import FingerprintError

#: Called with each block of mono samples as it arrives (from the audio thread: keep it short).
BlockCallback = Callable[[npt.NDArray[np.float32]], None]


class MicrophoneError(FingerprintError):
    """No input device, or the device could not be opened or read; the message says which and why."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    default_sample_rate: int
    is_default: bool


def _sounddevice():
    """The sounddevice module, or MicrophoneError when PortAudio is missing."""
    try:
        import sounddevice
    except OSError as error:  # the PortAudio library itself is not installed
        raise MicrophoneError(
            f"cannot use audio input: {error}. Install PortAudio (Debian/Ubuntu: apt install libportaudio2)"
        ) from None
    return sounddevice


def list_input_devices() -> list[InputDevice]:
    """Every device that can record, the default one marked."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        default_input = sd.default.device[0]
    except sd.PortAudioError as error:
        raise MicrophoneError(f"cannot list the audio devices: {error}") from None
    return [
        InputDevice(index, str(info["name"]), int(info["default_samplerate"]), index == default_input)
        for index, info in enumerate(devices)
        if info["max_input_channels"] > 0
    ]


def find_input_device(device: str | int | None) -> InputDevice:
    """The device named (an index, or a name or a unique part of one), or the default input."""
    devices = list_input_devices()
    if not devices:
        raise MicrophoneError(
            "no audio input device found (is a microphone connected, is PulseAudio running?)"
        )
    if device is None or device == "":
        default = next((d for d in devices if d.is_default), None)
        return default or devices[0]
    if isinstance(device, int) or str(device).isdigit():
        found = [d for d in devices if d.index == int(device)]
    else:
        exact = [d for d in devices if d.name == device]
        found = exact or [d for d in devices if str(device).lower() in d.name.lower()]
    names = ", ".join(f"{d.index}: {d.name}" for d in devices)
    if not found:
        raise MicrophoneError(f"no input device {device!r}; the input devices are {names}")
    if len(found) > 1:
        raise MicrophoneError(f"{device!r} names several input devices ({names}); use its number")
    return found[0]


class Microphone:
    """An open input stream on one device; `start` and `stop` it, or use it as a context manager."""

    def __init__(
        self, device: str | int | None = None, *, on_block: BlockCallback, sample_rate: int | None = None
    ):
        self.device = find_input_device(device)
        self.sample_rate = sample_rate or self.device.default_sample_rate
        self._on_block = on_block
        self._stream = None
        self.error: str | None = None

    def start(self) -> None:
        sd = _sounddevice()

        def callback(data: np.ndarray, _frames: int, _time: object, status: object) -> None:
            if status:
                self.error = str(status)
            self._on_block(data[:, 0].astype(np.float32, copy=True))

        try:
            self._stream = sd.InputStream(
                device=self.device.index,
                channels=1,
                samplerate=self.sample_rate,
                dtype="float32",
                callback=callback,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as error:
            self._stream = None
            raise MicrophoneError(f"cannot record from {self.device.name!r}: {error}") from None

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def __enter__(self) -> Microphone:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def record(
    seconds: float,
    *,
    device: str | int | None = None,
    sample_rate: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[npt.NDArray[np.float32], int]:
    """Record up to `seconds` of mono audio (less if `should_stop` turns true); return (samples, rate)."""
    if seconds <= 0:
        raise MicrophoneError(f"seconds={seconds} must be positive")
    recording = Recording()
    microphone = Microphone(device, on_block=recording.add, sample_rate=sample_rate)
    wanted = int(seconds * microphone.sample_rate)
    with microphone:
        while recording.length < wanted and not (should_stop is not None and should_stop()):
            recording.wait_for_more(0.05)
    return recording.samples()[:wanted], microphone.sample_rate


class Recording:
    """Blocks collected from the audio thread; read them from any other thread."""

    def __init__(self) -> None:
        self._blocks: list[npt.NDArray[np.float32]] = []
        self._arrived = threading.Condition()
        self.length = 0

    def add(self, block: npt.NDArray[np.float32]) -> None:
        with self._arrived:
            self._blocks.append(block)
            self.length += len(block)
            self._arrived.notify_all()

    def wait_for_more(self, timeout_s: float) -> None:
        with self._arrived:
            self._arrived.wait(timeout_s)

    def samples(self) -> npt.NDArray[np.float32]:
        with self._arrived:
            blocks = list(self._blocks)
        return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
