"""Tests that need a system program skip without it, unless CI says it must be there."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def skip_or_fail(reason: str, *, required_by: str) -> NoReturn:
    """Skip with `reason`, or fail when the environment variable `required_by` is "1"."""
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{reason}. {required_by}=1 forbids skipping this test.")
    pytest.skip(reason)
