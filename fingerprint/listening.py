"""Recognising from the microphone as it listens: every few seconds over everything heard so far."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fingerprint.audio import rms
from fingerprint.microphone import Microphone, Recording
from fingerprint.recognizer import Recognizer
from fingerprint.types import RecognitionResult


@dataclass(frozen=True)
class Heard:
    """The outcome of a listening session: the audio and the last recognition of it."""

    samples: npt.NDArray[np.float32]
    sample_rate: int
    result: RecognitionResult
    stopped_early: bool  # a confident match (or the caller) ended it before the time limit


def level_db(block: npt.NDArray[np.float32]) -> float:
    """RMS level of a block in dB relative to full scale (-120 for silence)."""
    value = rms(block)
    return 20.0 * float(np.log10(value)) if value > 1e-6 else -120.0


def listen(
    recognizer: Recognizer,
    *,
    seconds: float,
    device: str | int | None = None,
    every_s: float = 2.0,
    confident: float = 0.9,
    on_level: Callable[[float], None] | None = None,
    on_result: Callable[[float, RecognitionResult], None] | None = None,
    on_started: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Heard:
    """Listen for up to `seconds`, recognising every `every_s` seconds what was heard so far.

    Stops as soon as the best match reaches `confident`, when `should_stop()` turns true, or at the limit;
    the last recognition covers everything heard. `on_started()` is called once the device records,
    `on_level(dB)` with each block's level (from the audio thread) and `on_result(elapsed_s, result)` with
    each intermediate recognition.
    """
    recording = Recording()

    def on_block(block: npt.NDArray[np.float32]) -> None:
        recording.add(block)
        if on_level is not None:
            on_level(level_db(block))

    microphone = Microphone(device, on_block=on_block)
    rate = microphone.sample_rate
    limit = int(seconds * rate)
    next_check = int(every_s * rate)
    result = None
    confident_match = stopped = False
    with microphone:
        started = time.monotonic()
        if on_started is not None:
            on_started()
        while recording.length < limit:
            if should_stop is not None and should_stop():
                stopped = True
                break
            recording.wait_for_more(0.05)
            if recording.length >= next_check:
                next_check += int(every_s * rate)
                result = recognizer.recognize_samples(recording.samples()[:limit], sample_rate=rate)
                if on_result is not None:
                    on_result(time.monotonic() - started, result)
                if result.matches and result.matches[0].confidence >= confident:
                    confident_match = True
                    break
    samples = recording.samples()[:limit]
    if not confident_match:  # the last word covers everything heard
        result = recognizer.recognize_samples(samples, sample_rate=rate)
    return Heard(samples, rate, result, stopped_early=confident_match or stopped)
