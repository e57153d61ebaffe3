"""Signature headers of webhook deliveries (``protocols.md`` §5.3-5.4). Pure functions.

``vapi``
    Vapi's legacy shared secret: ``x-vapi-secret: <secret>`` (the body is not
    signed). Vapi's newer HMAC credential (``x-vapi-signature``, HMAC-SHA256 of
    the raw body) is the ``hmac`` scheme with ``header: x-vapi-signature``.
``retell``
    ``X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256(secret, raw body + "<unix ms>")>``
    — the timestamp is appended to the body as decimal text before signing,
    as Retell's SDK ``verify`` checks it (five-minute window).
``hmac``
    ``<header>: <prefix><digest>`` with ``digest`` the hex or base64 HMAC
    (SHA-256 or SHA-1) of the raw body; with ``timestamp_header`` the signed
    bytes are ``b"<unix s>." + body`` (the Stripe/Slack style) and the
    timestamp travels in that header.
``none``
    No signature headers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

__all__ = [
    "ALGORITHMS",
    "ENCODINGS",
    "SCHEMES",
    "Signing",
    "hmac_digest",
    "retell_signature",
    "sign",
]

SCHEMES = ("vapi", "retell", "hmac", "none")
"""The signing schemes :func:`sign` knows."""
ALGORITHMS = ("sha256", "sha1")
"""Hash functions of the ``hmac`` scheme."""
ENCODINGS = ("hex", "base64")
"""Digest encodings of the ``hmac`` scheme."""

_HASHES = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}


@dataclass(frozen=True, slots=True)
class Signing:
    """How deliveries are signed. ``secret`` is kept out of ``repr`` (it must not be printed).

    ``header``, ``algorithm``, ``encoding``, ``prefix`` and ``timestamp_header``
    matter to the ``hmac`` scheme only.
    """

    scheme: str = "none"
    secret: str = field(default="", repr=False)
    header: str = "X-Signature"
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""
    timestamp_header: str | None = None

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"unknown signing scheme {self.scheme!r}; use one of {SCHEMES}")
        if self.algorithm not in ALGORITHMS or self.encoding not in ENCODINGS:
            raise ValueError(f"hmac needs an algorithm in {ALGORITHMS} and encoding in {ENCODINGS}")
        if self.scheme != "none" and not self.secret:
            raise ValueError(f"the {self.scheme} scheme needs a secret")


def hmac_digest(
    secret: str, message: bytes, algorithm: str = "sha256", encoding: str = "hex"
) -> str:
    """The HMAC of ``message`` keyed with ``secret`` (UTF-8), as hex or base64 text."""
    mac = hmac.new(secret.encode(), message, _HASHES[algorithm]).digest()
    return mac.hex() if encoding == "hex" else base64.b64encode(mac).decode("ascii")


def retell_signature(body: bytes, secret: str, timestamp_ms: int) -> str:
    """The value of Retell's ``X-Retell-Signature`` header for ``body`` at ``timestamp_ms``."""
    stamp = str(int(timestamp_ms))
    return f"v={stamp},d={hmac_digest(secret, body + stamp.encode())}"


def sign(body: bytes, signing: Signing, timestamp_ms: int) -> tuple[tuple[str, str], ...]:
    """The headers that sign ``body`` under ``signing`` at wall-clock ``timestamp_ms``."""
    scheme = signing.scheme
    if scheme == "none":
        return ()
    if scheme == "vapi":
        return (("x-vapi-secret", signing.secret),)
    if scheme == "retell":
        return (("X-Retell-Signature", retell_signature(body, signing.secret, timestamp_ms)),)
    message = body
    headers: list[tuple[str, str]] = []
    if signing.timestamp_header:
        stamp = str(int(timestamp_ms) // 1000)
        message = stamp.encode() + b"." + body
        headers.append((signing.timestamp_header, stamp))
    digest = hmac_digest(signing.secret, message, signing.algorithm, signing.encoding)
    headers.append((signing.header, signing.prefix + digest))
    return tuple(headers)
