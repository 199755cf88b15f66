"""Fixtures of the window tests: real encoded songs and a real SQLite store holding them."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import AppConfig, SQLiteSettings
from fingerprint.ingest import Ingestor
from main import open_configured_store
from tests.audio_files import write_audio
from tests.synth import synth_song

RATE = 22_050
#: Song name -> (file name, seed of its synthetic audio).
GUI_SONGS = {"Alpha": ("Alpha.mp3", 31), "Beta": ("Beta.ogg", 32), "Gamma": ("Gamma.flac", 33)}


@pytest.fixture(scope="session")
def song_folder(tmp_path_factory) -> Path:
    """Three 30 s synthetic songs encoded by ffmpeg (mp3, ogg, flac)."""
    folder = tmp_path_factory.mktemp("gui-songs")
    for file_name, seed in GUI_SONGS.values():
        write_audio(folder / file_name, synth_song(seed, duration_s=30.0, sample_rate=RATE), sample_rate=RATE)
    return folder


@pytest.fixture(scope="session")
def unknown_song(tmp_path_factory) -> Path:
    """A song that no store of these tests holds."""
    path = tmp_path_factory.mktemp("gui-unknown") / "Stranger.mp3"
    return write_audio(path, synth_song(77, duration_s=30.0, sample_rate=RATE), sample_rate=RATE)


@pytest.fixture
def open_store():
    """What main.py gives the window to open a configuration's store."""
    return open_configured_store


@pytest.fixture
def empty_config(tmp_path) -> AppConfig:
    """A configuration naming a fresh SQLite store."""
    return AppConfig(database=SQLiteSettings(str(tmp_path / "gui.sqlite3")))


@pytest.fixture
def filled_config(empty_config, song_folder) -> AppConfig:
    """A configuration whose SQLite store holds the three songs of `song_folder`."""
    with open_configured_store(empty_config) as store:
        report = Ingestor(store, empty_config.fingerprint).fingerprint_directory(song_folder, processes=1)
    assert len(report.added) == len(GUI_SONGS)
    return empty_config
