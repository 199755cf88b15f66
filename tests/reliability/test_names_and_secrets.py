"""Names that are quotes, SQL or emoji go through the CLI exactly; a password never shows; least privilege.

The names are file names of real songs: fingerprinted, listed, recognised and deleted through the CLI on
both backends, so a name that is SQL would break a statement built from strings.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import MySQLdb
import pytest

import main
from tests.audio_files import write_audio
from tests.synth import synth_song

ROOT = Path(__file__).resolve().parent.parent.parent
RATE = 16_000
NAMES = [
    'it\'s "quoted"',
    "semi;colon; and `backticks`",
    "back\\slash\\",
    "100% sure_%s %(x)s",
    "emoji 🎵🦄",
    "שלום עולם مرحبا",  # right-to-left
    "'); DROP TABLE songs; --",
    "Robert'); DELETE FROM fingerprints WHERE ('1'='1",
    "long " + "ab" * 115,  # 235 characters, near the file system's limit of 255 bytes
]
SECRET = "s3cret-Pa55-do-not-show"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def named_songs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("names")
    for index, name in enumerate(NAMES):
        write_audio(folder / f"{name}.ogg", synth_song(900 + index, duration_s=12.0, sample_rate=RATE),
                    sample_rate=RATE)  # fmt: skip
    return folder


def cli(capsys, config: Path, *args: str) -> tuple[int, str]:
    status = main.main(["--config", str(config), *args])
    return status, capsys.readouterr().out


def names_round_trip(capsys, config: Path, folder: Path) -> None:
    status, out = cli(capsys, config, "--fingerprint", str(folder), ".ogg", "--processes", "1", "--json")
    assert status == 0
    assert len(json.loads(out)["added"]) == len(NAMES)
    status, out = cli(capsys, config, "--list", "--json")
    assert sorted(song["name"] for song in json.loads(out)) == sorted(NAMES)
    status, out = cli(capsys, config, "--list")
    for name in NAMES:
        assert name in out
    for name in NAMES:
        status, out = cli(capsys, config, "--recognize", "file", str(folder / f"{name}.ogg"), "--start", "3",
                          "--duration", "5", "--json")  # fmt: skip
        assert status == 0
        assert json.loads(out)["results"][0]["song_name"] == name
    for name in NAMES[6:8]:
        assert cli(capsys, config, "--delete", name)[0] == 0
    status, out = cli(capsys, config, "--list", "--json")
    assert sorted(song["name"] for song in json.loads(out)) == sorted(NAMES[:6] + NAMES[8:])


def test_names_round_trip_through_the_cli_on_sqlite(capsys, tmp_path, named_songs):
    config = tmp_path / "dejavu.cnf"
    config.write_text(json.dumps({"database": {"path": str(tmp_path / "songs.sqlite3")}}))
    names_round_trip(capsys, config, named_songs)


@pytest.mark.mysql
def test_names_round_trip_through_the_cli_on_mysql(capsys, tmp_path, named_songs, mysql_settings):
    config = tmp_path / "dejavu.cnf"
    config.write_text(json.dumps({"database_type": "mysql", "database": mysql_settings}))
    names_round_trip(capsys, config, named_songs)


@pytest.mark.mysql
@pytest.mark.parametrize("mistake", ["wrong password", "no password", "wrong port", "wrong user"])
def test_a_failing_connection_never_shows_the_password_in_output_or_logs(
    capsys, tmp_path, mysql_settings, mariadb_server, mistake, caplog
):
    options = {**mysql_settings, "password": SECRET, "connect_timeout_s": 2}
    if mistake == "no password":
        del options["password"]
    elif mistake == "wrong port":
        options["port"] = next(p for p in range(20000, 30000) if p != mariadb_server.port)
    elif mistake == "wrong user":
        options["user"] = "nobody-here"
    config = tmp_path / "dejavu.cnf"
    config.write_text(json.dumps({"database_type": "mysql", "database": options}))
    # In another process, with --debug (which logs the traceback)...
    command = [sys.executable, str(ROOT / "main.py"), "--config", str(config), "--list", "--debug"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    # ...and in this one, with every log record captured: one line, and no password anywhere.
    with caplog.at_level(logging.DEBUG):
        assert main.main(["--config", str(config), "--list"]) == 2
    out, err = capsys.readouterr()
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ")
    assert ("Is the MySQL server running" if mistake == "wrong port" else "denied access") in line
    assert SECRET not in out + err + caplog.text
    assert all(SECRET not in str(record.args) for record in caplog.records)


@pytest.mark.mysql
def test_the_test_user_has_rights_on_its_own_database_only(mysql_settings):
    """The MySQL tests run as the README's least-privilege user: ALL on one database, nothing else."""
    connection = MySQLdb.connect(
        host=mysql_settings["host"],
        port=mysql_settings["port"],
        user=mysql_settings["user"],
        password=mysql_settings["password"],
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW GRANTS FOR CURRENT_USER()")
            grants = sorted(row[0].split(" TO ")[0] for row in cursor.fetchall())
            cursor.execute("SHOW DATABASES")
            databases = {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()
    # No global privilege (USAGE is the right to connect); ALL on the test databases, this one among them.
    assert "GRANT USAGE ON *.*" in grants
    database_grants = [g for g in grants if g != "GRANT USAGE ON *.*"]
    assert f"GRANT ALL PRIVILEGES ON `{mysql_settings['database']}`.*" in database_grants
    assert all(re.fullmatch(r"GRANT ALL PRIVILEGES ON `shazam_test_\d+`\.\*", g) for g in database_grants)
    assert databases == {"information_schema", mysql_settings["database"]}
