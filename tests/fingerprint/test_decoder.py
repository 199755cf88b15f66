"""read_audio, file_sha1 and find_ffmpeg on real files encoded by ffmpeg at test time."""

from __future__ import annotations

import hashlib
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from fingerprint.decoder import (
    IN_PROCESS_WAV_MAX_BYTES,
    file_sha1,
    find_ffmpeg,
    read_audio,
    read_audio_chunks,
)
from fingerprint.errors import DecodeError, ParameterError
from tests.audio_files import write_audio, write_tone

TONE_HZ = 1000.0
TONE_S = 2.0
RATE = 8000

# (file name, sample rate of the file, channels, ffmpeg encoder or None for the extension's default)
FORMATS = [
    ("mono44k.wav", 44100, 1, None),
    ("stereo48k.wav", 48000, 2, None),
    ("mono8k.wav", 8000, 1, None),
    ("stereo24bit.wav", 48000, 2, "pcm_s24le"),
    ("mono8bit.wav", 44100, 1, "pcm_u8"),
    ("float32.wav", 44100, 2, "pcm_f32le"),
    ("surround.wav", 44100, 6, None),
    ("stereo48k.flac", 48000, 2, None),
    ("stereo44k.mp3", 44100, 2, None),
    ("mono8k.mp3", 8000, 1, None),
    ("stereo44k.ogg", 44100, 2, None),
    ("mono48k.ogg", 48000, 1, None),
    ("mono8k.ogg", 8000, 1, None),
    ("stereo48k.opus", 48000, 2, None),
    ("mono8k.opus", 8000, 1, None),
    ("mono44k.m4a", 44100, 1, None),
    ("stereo48k.m4a", 48000, 2, None),
]
LOSSY = (".mp3", ".ogg", ".opus", ".m4a")


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 2 s, 1 kHz, -6 dBFS sine in every format of FORMATS."""
    folder = tmp_path_factory.mktemp("tones")
    return {
        name: write_tone(folder / name, frequency_hz=TONE_HZ, duration_s=TONE_S, sample_rate=rate,
                         channels=channels, codec=codec)
        for name, rate, channels, codec in FORMATS
    }  # fmt: skip


@pytest.fixture
def wheel_ffmpeg_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A PATH without ffmpeg, so that find_ffmpeg falls back to imageio-ffmpeg's binary."""
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    find_ffmpeg.cache_clear()
    yield imageio_ffmpeg.get_ffmpeg_exe()
    find_ffmpeg.cache_clear()


@pytest.fixture
def no_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Neither ffmpeg on PATH nor imageio-ffmpeg importable."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    find_ffmpeg.cache_clear()
    yield
    find_ffmpeg.cache_clear()


def dominant_hz(samples: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / sample_rate)[np.argmax(spectrum)])


def sine_amplitude(samples: np.ndarray) -> float:
    """Peak amplitude of a steady sine, from the RMS of its middle half (codecs smear the edges)."""
    middle = samples[len(samples) // 4 : 3 * len(samples) // 4].astype(np.float64)
    return float(np.sqrt(2 * np.mean(middle**2)))


def assert_tone(samples: np.ndarray, *, sample_rate: int, duration_s: float, lossy: bool) -> None:
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    # Lossless formats are sample exact; AAC adds about 16 ms of encoder padding.
    tolerance = 0.03 * sample_rate if lossy else 1
    assert abs(len(samples) - duration_s * sample_rate) <= tolerance
    assert np.all(np.abs(samples) <= 1.0)
    assert dominant_hz(samples, sample_rate) == pytest.approx(TONE_HZ, abs=2.0)
    assert sine_amplitude(samples) == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("name", [name for name, *_ in FORMATS])
def test_every_format_decodes_to_a_mono_tone_at_the_requested_rate(tones: dict[str, Path], name: str) -> None:
    samples = read_audio(tones[name], sample_rate=RATE)
    assert_tone(samples, sample_rate=RATE, duration_s=TONE_S, lossy=name.endswith(LOSSY))


@pytest.mark.parametrize("name", ["mono44k.wav", "mono8k.wav", "stereo44k.mp3", "mono8k.ogg", "mono44k.m4a"])
@pytest.mark.parametrize("rate", [11025, 16000, 44100])
def test_any_input_rate_ends_at_any_requested_rate(tones: dict[str, Path], name: str, rate: int) -> None:
    samples = read_audio(tones[name], sample_rate=rate)
    assert_tone(samples, sample_rate=rate, duration_s=TONE_S, lossy=name.endswith(LOSSY))


def test_a_full_scale_sine_is_not_clipped_and_a_quiet_one_not_lost(tmp_path: Path) -> None:
    loud = read_audio(write_tone(tmp_path / "loud.ogg", amplitude=0.99), sample_rate=RATE)
    quiet = read_audio(write_tone(tmp_path / "quiet.mp3", amplitude=0.01), sample_rate=RATE)
    assert sine_amplitude(loud) == pytest.approx(0.99, abs=0.05)
    assert np.all(np.abs(loud) <= 1.0)
    assert sine_amplitude(quiet) == pytest.approx(0.01, abs=0.002)
    assert dominant_hz(quiet, RATE) == pytest.approx(TONE_HZ, abs=2.0)


@pytest.mark.parametrize("file_rate", [8000, 22050, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
def test_small_wav_read_in_process_matches_the_ffmpeg_path(
    tmp_path: Path, file_rate: int, channels: int
) -> None:
    # Small WAV files are read by scipy; FLAC holds the same samples but always goes through ffmpeg.
    rng = np.random.default_rng(7)
    t = np.arange(int(3 * file_rate)) / file_rate
    music = sum(0.15 * np.sin(2 * np.pi * hz * t) for hz in (220, 440, 1250, 3100))
    frames = np.stack([music + 0.02 * rng.standard_normal(len(t)) for _ in range(channels)], axis=1)
    wav = write_audio(tmp_path / "x.wav", frames, sample_rate=file_rate)
    flac = write_audio(tmp_path / "x.flac", frames, sample_rate=file_rate)
    assert wav.stat().st_size <= IN_PROCESS_WAV_MAX_BYTES
    in_process = read_audio(wav, sample_rate=RATE)
    by_ffmpeg = read_audio(flac, sample_rate=RATE)
    assert len(in_process) == len(by_ffmpeg) == 3 * RATE
    middle = slice(RATE // 10, -RATE // 10)  # the resamplers' filters differ in their first and last ms
    error = in_process[middle] - by_ffmpeg[middle]
    assert np.sqrt(np.mean(error**2)) < 0.02 * np.sqrt(np.mean(by_ffmpeg[middle] ** 2))
    assert np.max(np.abs(error)) < 0.02


@pytest.mark.parametrize("name", ["mono44k.wav", "stereo44k.mp3", "mono48k.ogg", "mono44k.m4a"])
def test_limit_s_caps_the_decoded_seconds(tones: dict[str, Path], name: str) -> None:
    samples = read_audio(tones[name], sample_rate=RATE, limit_s=0.5)
    assert abs(len(samples) - 0.5 * RATE) <= 0.005 * RATE
    assert dominant_hz(samples, RATE) == pytest.approx(TONE_HZ, abs=4.0)


def test_a_limit_beyond_the_end_gives_the_whole_file(tones: dict[str, Path]) -> None:
    assert len(read_audio(tones["stereo48k.flac"], sample_rate=RATE, limit_s=60)) == TONE_S * RATE


def test_a_big_wav_goes_through_ffmpeg_and_honours_the_limit(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "big.wav", duration_s=50, sample_rate=48000, channels=2)
    assert path.stat().st_size > IN_PROCESS_WAV_MAX_BYTES
    samples = read_audio(path, sample_rate=RATE, limit_s=1.5)
    assert_tone(samples, sample_rate=RATE, duration_s=1.5, lossy=False)


def test_find_ffmpeg_prefers_the_one_on_path() -> None:
    assert find_ffmpeg() == shutil.which("ffmpeg")


def test_without_ffmpeg_on_path_the_imageio_ffmpeg_binary_decodes(
    wheel_ffmpeg_only: str, tones: dict[str, Path]
) -> None:
    assert shutil.which("ffmpeg") is None
    assert find_ffmpeg() == wheel_ffmpeg_only
    for name in ("stereo44k.mp3", "mono48k.ogg"):
        samples = read_audio(tones[name], sample_rate=RATE)
        assert_tone(samples, sample_rate=RATE, duration_s=TONE_S, lossy=True)


def test_without_any_ffmpeg_the_error_says_how_to_install_it(no_ffmpeg: None, tones: dict[str, Path]) -> None:
    with pytest.raises(DecodeError) as raised:
        read_audio(tones["stereo44k.mp3"], sample_rate=RATE)
    assert raised.value.path == str(tones["stereo44k.mp3"])
    assert raised.value.reason.startswith("ffmpeg not found")
    assert "apt install ffmpeg" in raised.value.reason
    assert "pip install imageio-ffmpeg" in raised.value.reason
    with pytest.raises(DecodeError, match="not found"):
        find_ffmpeg()


def test_a_small_wav_needs_no_ffmpeg(no_ffmpeg: None, tones: dict[str, Path]) -> None:
    samples = read_audio(tones["stereo24bit.wav"], sample_rate=RATE)
    assert_tone(samples, sample_rate=RATE, duration_s=TONE_S, lossy=False)


@pytest.mark.parametrize("name", ["empty.wav", "empty.flac"])
def test_an_empty_audio_stream_gives_an_empty_array(tmp_path: Path, name: str) -> None:
    path = write_audio(tmp_path / name, np.zeros(0), sample_rate=44100)
    samples = read_audio(path, sample_rate=RATE)
    assert samples.dtype == np.float32
    assert samples.shape == (0,)


@pytest.mark.parametrize("name", ["short.wav", "short.mp3", "short.ogg", "short.flac"])
def test_a_hundredth_of_a_second_gives_a_few_samples(tmp_path: Path, name: str) -> None:
    samples = read_audio(write_tone(tmp_path / name, duration_s=0.01), sample_rate=RATE)
    assert 0 < len(samples) <= 0.03 * RATE
    assert np.all(np.abs(samples) <= 1.0)


def test_a_file_cut_mid_stream_decodes_up_to_the_cut(tones: dict[str, Path], tmp_path: Path) -> None:
    data = tones["stereo44k.mp3"].read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) // 2])
    samples = read_audio(cut, sample_rate=RATE)
    assert 0.4 * TONE_S * RATE < len(samples) < 0.6 * TONE_S * RATE


def _random_bytes(name: str) -> Callable[[Path, dict[str, Path]], Path]:
    def make(folder: Path, tones: dict[str, Path]) -> Path:
        path = folder / name
        path.write_bytes(np.random.default_rng(3).bytes(50_000))
        return path

    return make


def _truncated(name: str, keep_bytes: Callable[[bytes], int]) -> Callable[[Path, dict[str, Path]], Path]:
    def make(folder: Path, tones: dict[str, Path]) -> Path:
        path = folder / f"truncated-{name}"
        data = tones[name].read_bytes()
        path.write_bytes(data[: keep_bytes(data)])
        return path

    return make


def _half(data: bytes) -> int:
    return len(data) // 2


def _wav_header_only(wav: bytes) -> int:
    return wav.index(b"data") + 8 + 1  # and half a sample


def _text(name: str) -> Callable[[Path, dict[str, Path]], Path]:
    def make(folder: Path, tones: dict[str, Path]) -> Path:
        path = folder / name
        path.write_text("These are the lyrics, not the song.\n" * 20)
        return path

    return make


def _empty(folder: Path, tones: dict[str, Path]) -> Path:
    path = folder / "empty.mp3"
    path.touch()
    return path


def _directory(folder: Path, tones: dict[str, Path]) -> Path:
    path = folder / "album.mp3"
    path.mkdir()
    return path


def _missing(folder: Path, tones: dict[str, Path]) -> Path:
    return folder / "missing.mp3"


def _image(folder: Path, tones: dict[str, Path]) -> Path:
    path = folder / "cover.mp3"
    path.write_bytes(bytes.fromhex(  # a 1x1 PNG
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d4944415478da63f8cfc0f01f0005000201a5e3a8a30000000049454e44ae426082"
    ))  # fmt: skip
    return path


UNREADABLE_AS_AUDIO = "not an audio file ffmpeg can read: "


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(_empty, "file is empty", id="empty"),
        pytest.param(_missing, "no such file", id="missing"),
        pytest.param(_directory, "is a directory, not a file", id="directory"),
        pytest.param(_text("lyrics.mp3"), UNREADABLE_AS_AUDIO, id="text-named-mp3"),
        pytest.param(_text("lyrics.wav"), UNREADABLE_AS_AUDIO, id="text-named-wav"),
        pytest.param(_random_bytes("noise.mp3"), UNREADABLE_AS_AUDIO, id="random-mp3"),
        pytest.param(_random_bytes("noise.wav"), UNREADABLE_AS_AUDIO, id="random-wav"),
        pytest.param(_random_bytes("noise.ogg"), UNREADABLE_AS_AUDIO, id="random-ogg"),
        pytest.param(_random_bytes("noise.m4a"), UNREADABLE_AS_AUDIO, id="random-m4a"),
        pytest.param(_truncated("stereo44k.mp3", lambda data: 300), UNREADABLE_AS_AUDIO, id="truncated-mp3"),
        pytest.param(_truncated("stereo44k.ogg", lambda data: 100), UNREADABLE_AS_AUDIO, id="truncated-ogg"),
        # AAC's index (the moov atom) is written at the end, so half a file has none.
        pytest.param(_truncated("mono44k.m4a", _half), UNREADABLE_AS_AUDIO, id="truncated-m4a"),
        pytest.param(_truncated("stereo48k.wav", _wav_header_only), UNREADABLE_AS_AUDIO, id="truncated-wav"),
        pytest.param(_image, UNREADABLE_AS_AUDIO + "it has no audio stream", id="image-named-mp3"),
    ],
)
def test_bad_input_raises_decode_error_naming_the_file(
    tmp_path: Path, tones: dict[str, Path], make: Callable[[Path, dict[str, Path]], Path], reason: str
) -> None:
    path = make(tmp_path, tones)
    with pytest.raises(DecodeError) as raised:
        read_audio(path, sample_rate=RATE)
    assert raised.value.path == str(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert raised.value.reason.startswith(reason)
    if reason == UNREADABLE_AS_AUDIO:  # followed by what ffmpeg said
        assert len(raised.value.reason) > len(reason)


@pytest.mark.parametrize(
    "name", ["mono44k.wav", "surround.wav", "stereo44k.mp3", "mono48k.ogg", "stereo48k.flac"]
)
@pytest.mark.parametrize("limit_s", [None, 1.3])
def test_chunks_joined_are_exactly_what_read_audio_returns(
    tones: dict[str, Path], name: str, limit_s: float | None
) -> None:
    whole = read_audio(tones[name], sample_rate=RATE, limit_s=limit_s)
    chunks = list(read_audio_chunks(tones[name], sample_rate=RATE, limit_s=limit_s, chunk_s=0.3))
    assert len(chunks) > 1
    assert all(len(chunk) == int(0.3 * RATE) for chunk in chunks[:-1])
    np.testing.assert_array_equal(np.concatenate(chunks), whole)


def test_chunks_of_a_big_wav_come_from_ffmpeg_and_equal_read_audio(tmp_path: Path) -> None:
    path = write_tone(tmp_path / "big.wav", duration_s=50.0, sample_rate=48000, channels=2)
    assert path.stat().st_size > IN_PROCESS_WAV_MAX_BYTES
    chunks = list(read_audio_chunks(path, sample_rate=RATE, limit_s=45.0, chunk_s=10.0))
    assert [len(chunk) for chunk in chunks] == [10 * RATE] * 4 + [5 * RATE]
    np.testing.assert_array_equal(np.concatenate(chunks), read_audio(path, sample_rate=RATE, limit_s=45.0))


@pytest.mark.parametrize(
    "make",
    [
        _empty,
        _missing,
        _directory,
        _text("lyrics.mp3"),
        _random_bytes("noise.ogg"),
        _truncated("stereo44k.mp3", lambda data: 300),
        _truncated("stereo48k.wav", _wav_header_only),
        _image,
    ],
)
def test_chunks_of_a_bad_file_raise_the_error_read_audio_raises(
    tmp_path: Path, tones: dict[str, Path], make: Callable[[Path, dict[str, Path]], Path]
) -> None:
    path = make(tmp_path, tones)
    with pytest.raises(DecodeError) as whole:
        read_audio(path, sample_rate=RATE)
    with pytest.raises(DecodeError) as chunked:
        list(read_audio_chunks(path, sample_rate=RATE, chunk_s=0.5))
    assert (chunked.value.path, chunked.value.reason) == (whole.value.path, whole.value.reason)


# Run by a separate Python that drops root's rights (root reads any file) after importing the decoder.
_READ_AS_NOBODY = """
import os, sys
from fingerprint.decoder import file_sha1, read_audio
from fingerprint.errors import DecodeError
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
for action in (lambda: read_audio(sys.argv[1], sample_rate=8000), lambda: file_sha1(sys.argv[1])):
    try:
        action()
        print("no error")
    except DecodeError as err:
        print(err.reason)
"""


@pytest.fixture
def unreadable_file(tones: dict[str, Path]) -> Iterator[Path]:
    """A real MP3 with mode 000 in a folder anyone may enter."""
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        path = folder / "locked.mp3"
        shutil.copy(tones["stereo44k.mp3"], path)
        path.chmod(0)
        yield path
    finally:
        shutil.rmtree(folder)


def test_an_unreadable_file_raises_permission_denied(unreadable_file: Path) -> None:
    repo_root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", _READ_AS_NOBODY, str(unreadable_file)],
        cwd=repo_root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.stdout.splitlines() == ["permission denied", "permission denied"], result.stderr


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_rate": 0}, "sample_rate=0"),
        ({"sample_rate": 8000.0}, "sample_rate=8000.0"),
        ({"sample_rate": RATE, "limit_s": 0}, "limit_s=0"),
        ({"sample_rate": RATE, "limit_s": -1.0}, "limit_s=-1.0"),
        ({"sample_rate": RATE, "limit_s": float("nan")}, "limit_s=nan"),
    ],
)
def test_bad_parameters_raise_parameter_error(
    tones: dict[str, Path], kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        read_audio(tones["mono44k.wav"], **kwargs)  # type: ignore[arg-type]


def test_file_sha1_is_the_sha1_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "song.bin"
    data = np.random.default_rng(5).bytes(3 * 1024 * 1024 + 17)  # several read chunks and a partial one
    path.write_bytes(data)
    assert file_sha1(path) == hashlib.sha1(data).hexdigest()
    empty = tmp_path / "empty.mp3"
    empty.touch()
    assert file_sha1(empty) == "da39a3ee5e6b4b0d3255bfef95601890afd80709"


@pytest.mark.parametrize(("make", "reason"), [(_missing, "no such file"), (_directory, "is a directory")])
def test_file_sha1_errors_are_decode_errors(
    tmp_path: Path, tones: dict[str, Path], make: Callable[[Path, dict[str, Path]], Path], reason: str
) -> None:
    path = make(tmp_path, tones)
    with pytest.raises(DecodeError, match=reason) as raised:
        file_sha1(path)
    assert raised.value.path == str(path)


def test_a_decode_error_survives_the_trip_back_from_a_worker_process(tmp_path: Path) -> None:
    with pytest.raises(DecodeError) as raised:
        read_audio(tmp_path / "missing.mp3", sample_rate=RATE)
    copy = pickle.loads(pickle.dumps(raised.value))
    assert (type(copy), copy.path, copy.reason, str(copy)) == (
        DecodeError,
        raised.value.path,
        "no such file",
        str(raised.value),
    )
