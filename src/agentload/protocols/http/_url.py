"""Origins and URL splitting (RFC 9110 §4.3.1, §4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from agentload.protocols.http._encode import build_target

__all__ = ["Origin", "parse_url"]


def _default_port(scheme: str) -> int | None:
    # RFC 9110 §4.2.1 and §4.2.2.
    if scheme == "http":
        return 80
    if scheme == "https":
        return 443
    return None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where requests go: scheme, host and port (RFC 9110 §4.3.1); connections are pooled by it.

    ``host`` is a lower-case DNS name, IPv4 address or IPv6 address (without
    brackets); ``scheme`` is ``"http"`` or ``"https"``.
    """

    scheme: str
    host: str
    port: int

    @property
    def tls(self) -> bool:
        """True for ``https``."""
        return self.scheme == "https"

    @property
    def authority(self) -> str:
        """The ``Host`` header value: ``host[:port]``, port omitted when it is the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if _default_port(self.scheme) == self.port:
            return host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_url(url: str) -> tuple[Origin, str]:
    """Split an absolute ``http``/``https`` URL into its :class:`Origin` and request-target.

    The target is the path and query (``/`` when the path is empty), with
    characters not allowed in a target percent-encoded; the fragment is dropped
    (RFC 9110 §7.1). Raises ``ValueError`` with the reason for anything else.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    default_port = _default_port(scheme)
    if default_port is None:
        what = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ValueError(f"invalid URL {url!r}: {what}; use http:// or https://")
    host = parts.hostname
    if not host:
        raise ValueError(f"invalid URL {url!r}: no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"invalid URL {url!r}: credentials in the URL are not supported; "
            "send an Authorization header"
        )
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"invalid URL {url!r}: host {host!r} is not a valid name") from None
    if port == 0:
        raise ValueError(f"invalid URL {url!r}: port 0")
    origin = Origin(scheme, host, port if port is not None else default_port)
    path = parts.path or "/"
    target = build_target(f"{path}?{parts.query}" if parts.query else path)
    return origin, target
