"""The package dependency rules of DESIGN.md, checked on the source (an `ast` walk of every import)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

# module (or package prefix) -> top-level names and first-party modules it may import, besides the stdlib.
CORE = {
    "numpy",
    "scipy",
    "fingerprint.errors",
    "fingerprint.audio",
    "fingerprint.spectrogram",
    "fingerprint.peaks",
    "fingerprint.hashing",
    "fingerprint.matching",
    "fingerprint.rarity",
    "fingerprint.loudness",
    "fingerprint.types",
}
RULES = {
    "fingerprint.decoder": {"numpy", "scipy", "pydub", "imageio_ffmpeg", "fingerprint.errors"},
    "fingerprint.analysis": CORE | {"config.settings"},
    "fingerprint.recognizer": CORE
    | {"config.settings", "database.base", "fingerprint.analysis", "fingerprint.decoder"},
    "fingerprint.ingest": CORE
    | {"config.settings", "database.base", "database.claims", "fingerprint.analysis", "fingerprint.decoder"},
    "fingerprint.microphone": {"numpy", "sounddevice", "fingerprint.errors"},
    "fingerprint.listening": CORE | {"fingerprint.microphone", "fingerprint.recognizer"},
    "fingerprint.timeline": CORE
    | {"fingerprint.analysis", "fingerprint.decoder", "fingerprint.recognizer", "fingerprint.timeline_types"},
    "fingerprint": CORE,
    "database": {"numpy", "MySQLdb", "database"},
    "config": {"platformdirs", "config"},
    "gui": {
        "PyQt5",
        "matplotlib",
        "numpy",
        "config",
        "gui",
        "fingerprint.recognizer",
        "fingerprint.types",
        "fingerprint.errors",
        "fingerprint.audio",
        "fingerprint.analysis",
        "fingerprint.spectrogram",
        "fingerprint.peaks",
        "fingerprint.ingest",
        "fingerprint.matching",
        "fingerprint.microphone",
        "fingerprint.listening",
        "fingerprint.timeline",
        "fingerprint.timeline_types",
        "database.base",
    },
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _allowed(module: str) -> set[str]:
    owner = max((key for key in RULES if module == key or module.startswith(key + ".")), key=len)
    return RULES[owner]


def _permitted(name: str, allowed: set[str]) -> bool:
    if name.split(".")[0] in STDLIB:
        return True
    return any(name == rule or name.startswith(rule + ".") for rule in allowed)


@pytest.mark.parametrize(
    "path",
    sorted(
        p for package in ("fingerprint", "database", "config", "gui") for p in (ROOT / package).rglob("*.py")
    ),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_package_imports_follow_the_dependency_rules(path):
    module = _module_name(path)
    allowed = _allowed(module)
    forbidden = sorted(name for name in _imports(path) if not _permitted(name, allowed))
    assert not forbidden, f"{module} may not import {forbidden}"


def test_qt_and_matplotlib_appear_only_in_gui():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {"gui", "tests", ".venv", "bench"}:
            continue
        heavy = {n for n in _imports(path) if n.split(".")[0] in {"PyQt5", "matplotlib"}}
        assert not heavy, f"{relative} imports {sorted(heavy)}"


def test_the_command_line_never_loads_qt_or_matplotlib(tmp_path):
    code = (
        "import sys, main\n"
        "status = main.main(['--list'])\n"
        "assert status == 0, status\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'PyQt5', 'matplotlib'})\n"
        "assert not loaded, loaded\n"
    )
    db = tmp_path / "store.sqlite3"
    config = tmp_path / "dejavu.cnf"
    config.write_text(f'{{"database_type": "sqlite", "database": {{"path": "{db}"}}}}')
    result = subprocess.run(
        [sys.executable, "-c", code.replace("'--list'", f"'--config', '{config}', '--list'")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
