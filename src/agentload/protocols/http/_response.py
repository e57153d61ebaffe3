"""The response object handed back by the client."""

from __future__ import annotations

from typing import Any

import orjson

from agentload.protocols.http._fields import head_fields

__all__ = ["Response"]


class Response:
    """One complete HTTP response, with its byte counts and timings.

    Timestamps are ``time.monotonic_ns()`` values (nanoseconds, comparable only
    with each other, within one process); durations are nanoseconds:

    * ``start_ns``: the request bytes were handed to the transport (after any
      connection setup, so it excludes ``dns_ns``/``connect_ns``/``tls_ns``).
    * ``first_byte_ns``: the first read that held bytes of the response returned.
    * ``end_ns``: the read that completed the response returned (for a response
      delimited by the connection closing: when the close was seen).
    * ``dns_ns``: name resolution for the connection this request opened
      (0 for an IP literal or a reused connection).
    * ``connect_ns``: TCP connect (SYN to established) of the connection this
      request opened; 0 when the connection was reused.
    * ``tls_ns``: TLS handshake of the connection this request opened; 0 when
      there was none or the connection was reused.

    So the time to first byte is ``first_byte_ns - start_ns`` (:attr:`ttfb_ns`)
    and the whole request, setup included, took
    ``end_ns - start_ns + dns_ns + connect_ns + tls_ns`` (:attr:`elapsed_ns`).
    ``bytes_sent``/``bytes_received`` count the request and response bytes on the
    wire (HTTP/1.1 framing included, TLS records excluded).

    ``headers`` may be None with ``head`` the raw reads holding the head: the
    fields are then parsed when :attr:`headers` is first read.
    """

    __slots__ = (
        "_head",
        "_headers",
        "body",
        "bytes_received",
        "bytes_sent",
        "connect_ns",
        "dns_ns",
        "end_ns",
        "first_byte_ns",
        "start_ns",
        "status",
        "tls_ns",
    )

    # Positional on purpose: the connection builds one per request.
    def __init__(  # noqa: PLR0917
        self,
        status: int,
        headers: list[tuple[bytes, bytes]] | None,
        body: bytes,
        bytes_sent: int,
        bytes_received: int,
        start_ns: int,
        first_byte_ns: int,
        end_ns: int,
        connect_ns: int = 0,
        tls_ns: int = 0,
        dns_ns: int = 0,
        head: list[bytes] | None = None,
    ) -> None:
        self.status = status
        """The status code of the final response (interim 1xx ones are skipped)."""
        self._headers: list[tuple[bytes, bytes]] | None = headers
        # The raw reads holding the head, parsed on first use when headers is None
        # (the connection's fast path; see _fields.py).
        self._head: list[bytes] = head or []
        self.body = body
        """The body (empty for HEAD, 204 and 304)."""
        self.bytes_sent = bytes_sent
        self.bytes_received = bytes_received
        self.start_ns = start_ns
        self.first_byte_ns = first_byte_ns
        self.end_ns = end_ns
        self.connect_ns = connect_ns
        self.tls_ns = tls_ns
        self.dns_ns = dns_ns

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """Header fields as received: ``(name, value)`` bytes, in order, with duplicates.

        Parsed from the raw head the first time they are read (see ``_fields.py``).
        """
        fields = self._headers
        if fields is None:
            fields = self._headers = head_fields(self._head)
            self._head = []
        return fields

    @property
    def ttfb_ns(self) -> int:
        """Time to first byte: ``first_byte_ns - start_ns``."""
        return self.first_byte_ns - self.start_ns

    @property
    def elapsed_ns(self) -> int:
        """The whole request including connection setup (see the class docstring)."""
        return self.end_ns - self.start_ns + self.dns_ns + self.connect_ns + self.tls_ns

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``.

        Decoded as Latin-1, which maps every byte (RFC 9110 §5.5 obs-text).
        """
        wanted = name.lower().encode("ascii")
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower().encode("ascii")
        return [v.decode("latin-1") for k, v in self.headers if k.lower() == wanted]

    def json(self) -> Any:
        """The body parsed as JSON (orjson); raises ``orjson.JSONDecodeError`` (a ValueError)."""
        return orjson.loads(self.body)

    def text(self) -> str:
        """The body decoded with the ``charset`` of ``Content-Type`` (default UTF-8).

        Undecodable bytes become U+FFFD rather than raising.
        """
        encoding = "utf-8"
        content_type = self.header("content-type")
        if content_type:
            for param in content_type.split(";")[1:]:
                key, _, value = param.partition("=")
                if key.strip().lower() == "charset" and value.strip():
                    encoding = value.strip().strip('"')
        try:
            return self.body.decode(encoding, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")
