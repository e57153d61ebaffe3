"""Secrets never reach an output: the redaction rules."""

import pytest

from agentload.reports.redact import MASK, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("http://user:hunter2@example.test/x", "hunter2"),
        ("GET /a?api_key=sk-live-123&page=2", "sk-live-123"),
        ("/cb?access_token=abc.def.ghi", "abc.def.ghi"),
        ("/x?apiKey=K123", "K123"),
        ("/x?password=pw1", "pw1"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
        ("failed with Bearer tok_123 at 3", "tok_123"),
        ("x-api-key: KEY-9", "KEY-9"),
        ("Cookie: session=s3cr3t", "s3cr3t"),
    ],
)
def test_secret_is_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    ["/api/analytics/kpi?page=2&monkey=1", "POST send message", "http://127.0.0.1:8080/health"],
)
def test_harmless_text_is_kept(text: str) -> None:
    assert redact(text) == text
