"""Durations as users write them."""

import pytest

from agentload._units import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30", 30.0),
        (30, 30.0),
        (2.5, 2.5),
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("2h", 7200.0),
        ("1h2m3s", 3723.0),
        ("800us", 0.0008),
        ("1.5s", 1.5),
        ("0", 0.0),
    ],
)
def test_parse_duration(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "abc", "10x", "s", "-5s", -1, "1m x", "5 s", True])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(90.0, "1m30s"), (0.25, "250ms"), (30.0, "30s"), (3600.0, "1h"), (1.5, "1.5s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
