import pytest

from fingerprint.types import format_position


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0:00.0"), (62.5, "1:02.5"), (59.96, "1:00.0"), (754.04, "12:34.0"), (-1.5, "-0:01.5")],
)
def test_positions_read_as_minutes_and_seconds(seconds, text):
    assert format_position(seconds) == text
