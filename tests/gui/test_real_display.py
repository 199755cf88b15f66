"""`python main.py` on a real X server (Xvfb, Qt's xcb platform): the window opens and draws."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.required import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]

# Grabs the whole screen with Qt from a second client and prints how varied its pixels are.
GRAB = """
import sys
from PyQt5.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
image = app.primaryScreen().grabWindow(0).toImage()
image.save(sys.argv[1])
colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
print(len(colours))
"""

pytestmark = [pytest.mark.gui, pytest.mark.slow]


@pytest.fixture
def display():
    """A throwaway X server; skipped without Xvfb unless REQUIRE_DISPLAY=1."""
    if shutil.which("Xvfb") is None:
        skip_or_fail("Xvfb not found; install xvfb", required_by="REQUIRE_DISPLAY")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def test_the_window_opens_and_draws_on_a_real_x_server(display, tmp_path):
    config = tmp_path / "dejavu.cnf"
    config.write_text(
        json.dumps({"database_type": "sqlite", "database": {"path": str(tmp_path / "s.sqlite3")}})
    )
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env |= {"DISPLAY": display, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    log = tmp_path / "app.log"
    with log.open("wb") as log_file:
        app = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--config", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    shot = tmp_path / "screen.png"
    colours = 0
    try:
        deadline = time.monotonic() + 60
        while colours < 20 and time.monotonic() < deadline and app.poll() is None:
            time.sleep(0.5)
            grab = subprocess.run(
                [sys.executable, "-c", GRAB, str(shot)], env=env, capture_output=True, text=True, check=True
            )
            colours = int(grab.stdout.strip())
        assert app.poll() is None, log.read_text(errors="replace")
    finally:
        app.terminate()
        app.wait(timeout=20)
    # An empty X screen is one colour; the window brings text, buttons and the plots' axes.
    assert colours >= 20
    assert shot.stat().st_size > 10_000
