import time

import pytest

from fingerprint.types import format_local_time, format_position


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0:00.0"), (62.5, "1:02.5"), (59.96, "1:00.0"), (754.04, "12:34.0"), (-1.5, "-0:01.5")],
)
def test_positions_read_as_minutes_and_seconds(seconds, text):
    assert format_position(seconds) == text


def test_times_added_read_in_local_time_with_utc_assumed(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert format_local_time("2026-11-25T02:25:05+00:00") == "2026-11-25 02:25"
        assert format_local_time("2026-11-25T02:25:05") == "2026-11-25 02:25"
        assert format_local_time("2026-11-25T03:25:05+01:00") == "2026-11-25 02:25"
    finally:
        monkeypatch.undo()
        time.tzset()
