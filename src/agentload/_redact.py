"""Redaction of secrets in anything we print or write.

Secrets reach outputs through URLs (``user:pass@host``, ``?api_key=…``) and
free text (``Bearer …`` in an error message). Every renderer passes names,
URLs and messages through :func:`redact`; the fuller sweep over headers and
bodies belongs to the failure samples, which store nothing unredacted.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "redact", "redact_body", "redact_header"]

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


# --- failure samples: headers and bodies (docs/results.md, "Failure samples") ---

_SECRET_WORDS = (
    r"authorization|cookie|token|secret|signature|password|passwd|api[_-]?key|apikey"
    r"|session|credential|private[_-]?key|auth"
)
_SECRET_HEADER = re.compile(rf"(?:{_SECRET_WORDS})", re.IGNORECASE)
# One linear pass over name/value pairs; the name decides (a pattern with the
# secret words inside a ``[\w.-]*`` run would backtrack on every word).
_JSON_MEMBER = re.compile(r'(?P<key>"(?P<name>[\w.-]{1,80})"\s*:\s*)"(?:[^"\\]|\\.)*"')
_FORM_FIELD = re.compile(r"(?P<key>(?:^|(?<=[&\s?;]))(?P<name>[\w.-]{1,80})=)[^&\s]*")


def _mask_named(m: re.Match[str], quote: str) -> str:
    if _SECRET_HEADER.search(m.group("name")):
        return f"{m.group('key')}{quote}{MASK}{quote}"
    return m.group(0)


def redact_header(name: str, value: str) -> str:
    """A header's value with secrets masked: whole values of credential-bearing headers
    (Authorization, Cookie, Set-Cookie, X-Api-Key, anything naming a token, secret,
    signature, session or key), and secrets inside any other value."""
    if _SECRET_HEADER.search(name):
        return MASK
    return redact(value)


def redact_body(text: str) -> str:
    """A request or response body with secrets masked: JSON string members and form
    fields whose name names a credential, plus everything :func:`redact` masks."""
    text = _JSON_MEMBER.sub(lambda m: _mask_named(m, '"'), text)
    text = _FORM_FIELD.sub(lambda m: _mask_named(m, ""), text)
    return redact(text)
