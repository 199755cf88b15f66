"""Reading audio files: the one module that knows pydub and ffmpeg.

Every file is decoded straight to mono at the analysis sample rate by ffmpeg itself (``-ac 1 -ar``), as
16-bit PCM in a WAV stream that pydub parses; the sample width pydub reports is checked against the one
asked for, so 32-bit samples can never be misread as 16-bit ones. ``AudioSegment.from_file`` is not used:
without ``codec=`` it runs ffprobe first (an extra ~50 ms process, and absent with the imageio-ffmpeg
binary), and the ``parameters`` it passes land after the output name, where ffmpeg ignores them, so it
cannot ask for mono at our rate.

Small WAV files (short queries) are read in-process with scipy instead: starting ffmpeg costs more than
the whole decode there. Anything scipy cannot read goes to ffmpeg, which has the last word.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
import shutil
import stat
import subprocess
import tempfile
import warnings
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import scipy.signal
from scipy.io import wavfile

from fingerprint.errors import DecodeError, ParameterError

with warnings.catch_warnings():
    # pydub warns at import when ffmpeg is not on PATH; we locate ffmpeg ourselves (find_ffmpeg).
    warnings.filterwarnings("ignore", "Couldn't find ff", RuntimeWarning)
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

# WAV files up to this size (about 47 s of CD audio) are decoded in-process. Measured: scipy takes about
# 6 ms per MB, ffmpeg 3.6 ms per MB plus its process start (47 ms for Debian's dynamically linked build,
# 8 ms for imageio-ffmpeg's static one), so in-process wins below about 20 MB and 5 MB respectively.
IN_PROCESS_WAV_MAX_BYTES = 8 * 1024 * 1024

# In-process reading accepts these WAV sample rates; others are left to ffmpeg.
MIN_WAV_RATE, MAX_WAV_RATE = 1000, 768_000

FFMPEG_INSTALL_HINT = (
    "install ffmpeg (Debian/Ubuntu: `sudo apt install ffmpeg`, macOS: `brew install ffmpeg`) "
    "or `pip install imageio-ffmpeg`"
)

_SHA1_CHUNK_BYTES = 1 << 20


@functools.cache
def find_ffmpeg() -> str:
    """The ffmpeg binary to use: ``ffmpeg`` on PATH, else the one shipped by the imageio-ffmpeg wheel.

    Chosen once per process. Raises DecodeError when there is neither.
    """
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        reason = f"not found on PATH and imageio-ffmpeg is not installed; {FFMPEG_INSTALL_HINT}"
        raise DecodeError("ffmpeg", reason) from None


def read_audio(
    path: str | os.PathLike[str], *, sample_rate: int, limit_s: float | None = None
) -> npt.NDArray[np.float32]:
    """Decode the file at `path` to mono float32 samples in [-1, 1] at `sample_rate`.

    Any format ffmpeg reads is accepted, whatever its own rate, width and channel count. `limit_s` caps the
    seconds decoded (None: the whole file). A file whose audio stream is empty gives an empty array; a file
    that cannot be read as audio raises DecodeError naming it and the reason.
    """
    samples = _small_wav(path, sample_rate, limit_s)
    return samples if samples is not None else _decode_with_ffmpeg(path, sample_rate, limit_s)


def read_audio_chunks(
    path: str | os.PathLike[str], *, sample_rate: int, limit_s: float | None = None, chunk_s: float = 60.0
) -> Iterator[npt.NDArray[np.float32]]:
    """The samples `read_audio` returns, in chunks of `chunk_s` seconds: bounded memory for any length.

    Joined end to end, the chunks are exactly `read_audio`'s array, and a file it refuses raises the same
    DecodeError (at the latest when the last chunk has been read).
    """
    samples = _small_wav(path, sample_rate, limit_s)
    if samples is None:
        yield from stream_audio(path, sample_rate=sample_rate, chunk_s=chunk_s, limit_s=limit_s)
        return
    step = max(1, int(chunk_s * sample_rate))
    yield from (samples[start : start + step] for start in range(0, len(samples), step))


def _small_wav(
    path: str | os.PathLike[str], sample_rate: int, limit_s: float | None
) -> npt.NDArray[np.float32] | None:
    """Check a decoding request; the samples if the file is a WAV small enough to read in process."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ParameterError(f"sample_rate={sample_rate!r} must be a positive integer")
    if limit_s is not None and not (math.isfinite(limit_s) and limit_s > 0):
        raise ParameterError(f"limit_s={limit_s!r} must be a positive number of seconds or None")
    size = _checked_size(path)
    if size == 0:
        raise DecodeError(path, "file is empty")
    return _read_wav_in_process(path, sample_rate, limit_s) if size <= IN_PROCESS_WAV_MAX_BYTES else None


def file_sha1(path: str | os.PathLike[str]) -> str:
    """SHA-1 of the file's bytes as 40 lowercase hex digits, read in chunks (raises DecodeError)."""
    _checked_size(path)
    digest = hashlib.sha1(usedforsecurity=False)
    try:
        with open(path, "rb") as file:
            while chunk := file.read(_SHA1_CHUNK_BYTES):
                digest.update(chunk)
    except OSError as err:
        raise DecodeError(path, _os_reason(err)) from None
    return digest.hexdigest()


def _checked_size(path: str | os.PathLike[str]) -> int:
    """The size of the regular, readable file at `path`, or DecodeError saying why it is not one."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise DecodeError(path, "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise DecodeError(path, "not a regular file")
        with open(path, "rb"):
            pass
    except OSError as err:
        raise DecodeError(path, _os_reason(err)) from None
    return info.st_size


def _os_reason(err: OSError) -> str:
    if isinstance(err, (FileNotFoundError, NotADirectoryError)):
        return "no such file"
    if isinstance(err, PermissionError):
        return "permission denied"
    return (err.strerror or str(err)).lower()


def _read_wav_in_process(
    path: str | os.PathLike[str], sample_rate: int, limit_s: float | None
) -> npt.NDArray[np.float32] | None:
    """A mono or stereo WAV file decoded like ffmpeg would, or None if scipy cannot read it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", wavfile.WavFileWarning)
            file_rate, data = wavfile.read(path)
    except Exception:  # not a WAV, or a damaged one: scipy then fails in many ways (struct.error, ...)
        return None
    if not MIN_WAV_RATE <= file_rate <= MAX_WAV_RATE or (data.ndim == 2 and data.shape[1] > 2):
        return None  # a damaged header, or surround sound whose downmix is left to ffmpeg
    if limit_s is not None:
        data = data[: round(limit_s * file_rate)]
    mono = data.mean(axis=1, dtype=np.float64) if data.ndim == 2 else data.astype(np.float64)
    if data.dtype == np.uint8:
        mono = (mono - 128.0) / 128.0
    elif data.dtype.kind == "i":
        mono /= -float(np.iinfo(data.dtype).min)  # 24-bit samples come left-justified in int32
    if file_rate != sample_rate and len(mono):
        common = math.gcd(file_rate, sample_rate)
        mono = scipy.signal.resample_poly(mono, sample_rate // common, file_rate // common)
    return np.clip(mono, -1.0, 1.0).astype(np.float32)


def _decode_with_ffmpeg(
    path: str | os.PathLike[str], sample_rate: int, limit_s: float | None
) -> npt.NDArray[np.float32]:
    try:
        exe = find_ffmpeg()
    except DecodeError as err:
        raise DecodeError(path, f"ffmpeg {err.reason}") from None
    url = "file:" + os.fspath(path)  # the file: protocol, so that a name like "x:y.mp3" is not a URL
    limit = ["-t", f"{limit_s:.6f}"] if limit_s is not None else []
    command = [exe, "-nostdin", "-hide_banner", "-v", "error", *limit, "-i", url, "-map", "0:a:0"]
    command += ["-ac", "1", "-ar", str(sample_rate), "-c:a", "pcm_s16le", "-f", "wav", "-"]
    try:
        result = subprocess.run(command, capture_output=True, check=False)
    except OSError as err:
        raise DecodeError(path, f"could not run {exe}: {err.strerror or err}") from None
    complaint = _last_stderr_line(result.stderr, url)
    if result.returncode != 0:
        if b"matches no streams" in result.stderr:  # -map 0:a:0 found nothing (an image, a video)
            complaint = "it has no audio stream"
        detail = complaint or f"exit status {result.returncode}"
        raise DecodeError(path, f"not an audio file ffmpeg can read: {detail}")
    try:
        segment = AudioSegment(data=result.stdout)
    except CouldntDecodeError:
        segment = None
    if segment is None or not segment.raw_data:
        if complaint:  # e.g. a WAV header with no whole sample after it
            raise DecodeError(path, f"not an audio file ffmpeg can read: {complaint}")
        return np.zeros(0, dtype=np.float32)
    got = (segment.sample_width, segment.channels, segment.frame_rate)
    if got != (2, 1, sample_rate):
        wanted = (2, 1, sample_rate)
        raise DecodeError(path, f"ffmpeg gave (bytes per sample, channels, rate) {got}, not {wanted}")
    samples = np.frombuffer(segment.raw_data, dtype="<i2").astype(np.float32)
    samples *= np.float32(1 / 32768)
    return samples


def _last_stderr_line(stderr: bytes, url: str) -> str:
    """ffmpeg's last complaint without its "[demuxer @ 0x...]" and file-name prefixes."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines()]
    lines = [line for line in lines if line and not line.startswith("Last message repeated")]
    if not lines:
        return ""
    line = re.sub(r"^(\[[^\]]*\]\s*)+", "", lines[-1])
    return line.removeprefix(f"{url}: ")


def stream_audio(
    path: str | os.PathLike[str], *, sample_rate: int, chunk_s: float, limit_s: float | None = None
) -> Iterator[npt.NDArray[np.float32]]:
    """Decode a file of any length in chunks of `chunk_s` seconds (the last may be shorter): bounded memory.

    Mono float32 at `sample_rate`, as `read_audio` decodes it with ffmpeg (the first `limit_s` seconds, if
    given); raises DecodeError (when the first chunk is asked for if the file cannot be opened at all, or at
    the end if ffmpeg failed part-way, or complained and gave no audio).
    """
    _checked_size(path)
    try:
        exe = find_ffmpeg()
    except DecodeError as err:
        raise DecodeError(path, f"ffmpeg {err.reason}") from None
    url = "file:" + os.fspath(path)
    limit = ["-t", f"{limit_s:.6f}"] if limit_s is not None else []
    command = [exe, "-nostdin", "-hide_banner", "-v", "error", *limit, "-i", url, "-map", "0:a:0"]
    command += ["-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "-"]
    chunk_bytes = 2 * max(1, int(chunk_s * sample_rate))
    decoded = 0
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        except OSError as err:
            raise DecodeError(path, f"could not run {exe}: {err.strerror or err}") from None
        try:
            while data := process.stdout.read(chunk_bytes):
                decoded += len(data) // 2
                yield np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float32) / 32768
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
            returncode = process.wait()
        errors.seek(0)
        stderr = errors.read()
        if returncode != 0 or (decoded == 0 and _last_stderr_line(stderr, url)):
            complaint = (
                "it has no audio stream"
                if b"matches no streams" in stderr
                else _last_stderr_line(stderr, url)
            )
            raise DecodeError(
                path, f"not an audio file ffmpeg can read: {complaint or f'exit status {returncode}'}"
            )


def probe_duration(path: str | os.PathLike[str]) -> float | None:
    """The duration ffmpeg reads from the file's header, in seconds; None when it does not say."""
    try:
        exe = find_ffmpeg()
        result = subprocess.run(
            [exe, "-nostdin", "-hide_banner", "-i", "file:" + os.fspath(path)],
            capture_output=True,
            check=False,
        )
    except (DecodeError, OSError):
        return None
    found = re.search(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", result.stderr)
    if found is None:
        return None
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
