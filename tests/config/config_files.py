"""Config files written for a test, and the one-line error loading one gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import ConfigError, load_config


def write(folder: Path, content: object, name: str = "dejavu.cnf") -> Path:
    """A config file holding `content`: bytes and str as they are, anything else as JSON."""
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return path


def error_of(path: Path) -> str:
    """The message of the ConfigError loading `path` raises; it must be one line."""
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert "\n" not in message
    return message
