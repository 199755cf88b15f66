"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Widget tests draw offscreen unless a display is chosen explicitly; Qt reads this when it starts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.mariadb import ROCKSDB_OPTIONS, MariaDBServer, missing_binaries
from tests.pulse import PulseServer, missing_programs
from tests.required import skip_or_fail


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    """A throwaway MariaDB server for the session; skipped without MariaDB unless REQUIRE_MYSQL=1."""
    missing = missing_binaries()
    if missing:
        skip_or_fail(
            f"MariaDB server programs not found ({', '.join(missing)}); install mariadb-server",
            required_by="REQUIRE_MYSQL",
        )
    with MariaDBServer(ROCKSDB_OPTIONS) as server:
        yield server


@pytest.fixture
def mysql_settings(mariadb_server: MariaDBServer) -> Iterator[dict[str, object]]:
    """Connection options (host, port, user, password, database) of a fresh empty database."""
    options = mariadb_server.create_database()
    yield options
    mariadb_server.drop_database(options["database"])


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseServer]:
    """A private PulseAudio server for the session; skipped without it unless REQUIRE_AUDIO=1."""
    missing = missing_programs()
    if missing:
        skip_or_fail(
            f"PulseAudio programs not found ({', '.join(missing)}); install pulseaudio pulseaudio-utils",
            required_by="REQUIRE_AUDIO",
        )
    with PulseServer() as server:
        yield server


@pytest.fixture
def pulse(pulse_server: PulseServer, monkeypatch: pytest.MonkeyPatch) -> PulseServer:
    """The session's PulseAudio server as this process's default sound card."""
    for name, value in pulse_server.env.items():
        monkeypatch.setenv(name, value)
    return pulse_server
