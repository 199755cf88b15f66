"""A throwaway PulseAudio server whose null sink stands in for speakers (its monitor for a microphone)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SINK = "vsink"


def missing_programs() -> list[str]:
    return [name for name in ("pulseaudio", "pactl", "parec") if shutil.which(name) is None]


class PulseServer:
    """`with PulseServer() as pulse:` runs a private server; `pulse.env` reaches it from other processes."""

    def __init__(self) -> None:
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="pulse-"))
        self.runtime_dir.chmod(0o700)
        self.env = {
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "PULSE_RUNTIME_PATH": str(self.runtime_dir / "pulse"),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PulseServer:
        self.process = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disable-shm=yes",
             "--load=module-native-protocol-unix", f"--load=module-null-sink sink_name={SINK}",
             "--load=module-always-sink"],
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while self._pactl("info").returncode != 0:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError("PulseAudio did not start")
            time.sleep(0.05)
        self._pactl("set-default-sink", SINK)
        self._pactl("set-default-source", f"{SINK}.monitor")
        return self

    def _pactl(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["pactl", *args], env={**os.environ, **self.env}, capture_output=True, check=False
        )

    def record(self, path: Path, *, sample_rate: int) -> subprocess.Popen[bytes]:
        """Start recording what is played (mono 16-bit raw) into `path`; terminate the process to stop."""
        with path.open("wb") as target:
            return subprocess.Popen(
                ["parec", "-d", f"{SINK}.monitor", "--raw", "--format=s16le", f"--rate={sample_rate}",
                 "--channels=1"],
                env={**os.environ, **self.env},
                stdout=target,
            )  # fmt: skip

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
