"""Redaction of secrets in anything we print or write.

Secrets reach outputs through URLs (``user:pass@host``, ``?api_key=…``) and
free text (``Bearer …`` in an error message). Every renderer passes names,
URLs and messages through :func:`redact`; the fuller sweep over headers and
bodies belongs to the failure samples, which store nothing unredacted.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "redact"]

MASK = "***"

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")
_SECRET_PARAM = re.compile(
    r"(?P<key>[?&;](?:[\w.-]*[_.-])?(?:token|secret|password|passwd|pwd|api[_-]?key|apikey|key"
    r"|auth|signature|sig|session|credentials?|jwt)s?=)[^&#\s]*",
    re.IGNORECASE,
)
_AUTH_SCHEME = re.compile(r"\b(?P<scheme>Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_HEADERISH = re.compile(
    r"(?P<key>\b(?:authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|"
    r"x-vapi-secret|x-retell-signature)\s*[:=]\s*)[^\r\n,;]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Mask credentials in URLs, secret-looking query parameters, auth headers and tokens."""
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m.group('key')}{MASK}", text)
    text = _HEADERISH.sub(lambda m: f"{m.group('key')}{MASK}", text)
    return _AUTH_SCHEME.sub(lambda m: f"{m.group('scheme')} {MASK}", text)
