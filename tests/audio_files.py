"""Real audio files made at test time with ffmpeg (the repository never holds audio).

The encoder follows the file's extension (``.ogg`` is Vorbis, ``.opus`` Opus, ``.m4a`` AAC, ``.mp3``,
``.flac``, ``.wav`` 16-bit PCM); pass ``codec`` (an ffmpeg encoder name such as ``pcm_s24le``, ``pcm_u8``
or ``pcm_f32le``) to choose another.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt

from fingerprint.decoder import find_ffmpeg

DEFAULT_CODECS = {".ogg": "libvorbis", ".opus": "libopus", ".m4a": "aac"}

# lavfi's sine source plays at 1/8 of full scale.
_SINE_SOURCE_AMPLITUDE = 0.125


def write_tone(
    path: str | os.PathLike[str],
    *,
    frequency_hz: float = 1000.0,
    duration_s: float = 2.0,
    sample_rate: int = 44100,
    channels: int = 1,
    amplitude: float = 0.5,
    codec: str | None = None,
) -> Path:
    """A sine of peak `amplitude` (0.5 is -6 dBFS) in every channel, synthesised by ffmpeg (lavfi)."""
    gain = amplitude / _SINE_SOURCE_AMPLITUDE
    graph = f"sine=frequency={frequency_hz}:sample_rate={sample_rate}:duration={duration_s},volume={gain}"
    if channels > 1:
        graph += f",pan={channels}c|" + "|".join(f"c{i}=c0" for i in range(channels))
    return _encode(["-f", "lavfi", "-i", graph], path, codec)


def write_audio(
    path: str | os.PathLike[str], samples: npt.ArrayLike, *, sample_rate: int, codec: str | None = None
) -> Path:
    """Encode float `samples` in [-1, 1], shaped (frames,) or (frames, channels), to `path`."""
    frames = np.asarray(samples, dtype="<f4")
    channels = 1 if frames.ndim == 1 else frames.shape[1]
    source = ["-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0"]
    return _encode(source, path, codec, stdin=frames.tobytes())


def _encode(source: list[str], path: str | os.PathLike[str], codec: str | None, stdin: bytes = b"") -> Path:
    path = Path(path)
    codec = codec or DEFAULT_CODECS.get(path.suffix.lower())
    command = [find_ffmpeg(), "-nostdin", "-v", "error", "-y", *source]
    if codec:
        command += ["-c:a", codec]
    result = subprocess.run([*command, str(path)], input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not write {path}: {result.stderr.decode(errors='replace')}")
    return path
