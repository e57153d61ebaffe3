"""Request encoding, sans-I/O: request heads, bodies and request-targets as bytes.

Nothing here touches a socket, so the engine can pre-encode a static request once
and hand the same ``bytes`` to :meth:`HttpClient.send` for every iteration.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

import orjson

from agentload import __version__

__all__ = [
    "FilePart",
    "QueryParams",
    "QueryValue",
    "build_target",
    "default_user_agent",
    "encode_form",
    "encode_json",
    "encode_multipart",
    "encode_request",
    "form_fields",
]

QueryValue = str | int | float | bool
"""A query or form value; booleans are written ``true``/``false`` (like JSON)."""

QueryParams = Mapping[str, QueryValue | Sequence[QueryValue]] | Sequence[tuple[str, QueryValue]]
"""Query or form fields: a mapping (a sequence value repeats the key) or ordered pairs."""

# RFC 9110 §5.6.2: token = 1*tchar. Method and field names are tokens.
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# RFC 9110 §8.6: a user agent SHOULD send Content-Length when the method defines a
# meaning for enclosed content, even when that content is empty.
_METHODS_WITH_CONTENT = frozenset({"POST", "PUT", "PATCH"})

# Characters kept as they are in a path (RFC 3986 §3.3 pchar, plus "/", plus "?"
# so an existing query survives, plus "%" so already-encoded input is not doubled).
_PATH_SAFE = "/?:@!$&'()*+,;=-._~%"


@functools.cache
def default_user_agent() -> str:
    """``agentload/<version>``, sent when the request sets no ``User-Agent``."""
    return f"agentload/{__version__}"


def _check_field(name: str, value: str) -> None:
    # A CR or LF would end the field line early and let the rest be read as
    # another field or as the body: request smuggling (RFC 9110 §5.5, RFC 9112 §11.2).
    if not name or not _TCHAR.issuperset(name):
        raise ValueError(f"invalid header name {name!r}: must be a token (RFC 9110 §5.6.2)")
    if not value.isprintable():
        for ch in value:
            if (ch < " " and ch != "\t") or ch == "\x7f":
                raise ValueError(
                    f"invalid value for header {name}: control character {ch!r} "
                    "(CR, LF and NUL are never allowed, RFC 9110 §5.5)"
                )


def encode_request(
    method: str,
    target: str,
    *,
    host: str,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
) -> bytes:
    """Encode one HTTP/1.1 request (head and body) as bytes ready to write.

    ``target`` is the request-target (``/path?query``, see :func:`build_target`);
    ``host`` is the ``Host`` value (``name`` or ``name:port``). The head gets,
    unless the user already set them: ``Host`` first (RFC 9112 §3.2),
    ``User-Agent: agentload/<version>``, and ``Content-Length`` when there is a
    body or the method is POST/PUT/PATCH (RFC 9110 §8.6). No ``Connection``
    header is added: HTTP/1.1 connections are persistent by default (RFC 9112 §9.3).
    A header the user set is never sent twice. Raises ``ValueError`` for a bad
    method, target, header name or value (CR/LF injection), or a
    ``Content-Length`` that disagrees with the body.
    """
    if not method or not _TCHAR.issuperset(method):
        raise ValueError(f"invalid HTTP method {method!r}: must be a token (RFC 9110 §9.1)")
    # RFC 9112 §3.2: the request-target has no whitespace; non-ASCII must be
    # percent-encoded (build_target does it).
    if not target or not target.isascii() or not target.isprintable() or " " in target:
        raise ValueError(f"invalid request target {target!r}: percent-encode it (build_target)")
    has_host = has_agent = has_length = has_te = False
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    for name, value in headers:
        _check_field(name, value)
        lower = name.lower()
        if lower == "host":
            has_host = True
        elif lower == "user-agent":
            has_agent = True
        elif lower == "content-length":
            if body is not None and value.strip() != str(len(body)):
                raise ValueError(
                    f"Content-Length {value!r} disagrees with the {len(body)}-byte body"
                )
            has_length = True
        elif lower == "transfer-encoding":
            has_te = True
        lines.append(f"{name}: {value}\r\n")
    if not has_host:
        _check_field("Host", host)
        lines.insert(1, f"Host: {host}\r\n")
    if not has_agent:
        lines.append(f"User-Agent: {default_user_agent()}\r\n")
    # RFC 9112 §6.2: never send Content-Length together with Transfer-Encoding.
    if not has_length and not has_te:
        if body is not None:
            lines.append(f"Content-Length: {len(body)}\r\n")
        elif method in _METHODS_WITH_CONTENT:
            lines.append("Content-Length: 0\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode()
    return head + body if body else head


def _query_pairs(params: QueryParams) -> Iterable[tuple[str, QueryValue]]:
    if isinstance(params, Mapping):
        for key, value in params.items():
            if isinstance(value, (list, tuple)):
                for item in value:
                    yield key, item
            else:
                yield key, value  # type: ignore[misc]
    else:
        yield from params


def _text(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def form_fields(fields: QueryParams) -> list[tuple[str, str]]:
    """``fields`` as ordered text pairs (a mapping's sequence values repeat the key)."""
    return [(key, _text(value)) for key, value in _query_pairs(fields)]


def build_target(path: str, params: QueryParams = ()) -> str:
    """Build a request-target: ``path`` plus ``params`` as a percent-encoded query.

    Characters never allowed in a target (space, controls, non-ASCII) are
    percent-encoded as UTF-8 (RFC 3986 §2.1); existing ``%XX`` escapes and an
    existing ``?query`` are kept; a ``#fragment`` is dropped (RFC 9110 §7.1: it
    is never sent). Query keys and values encode everything but the unreserved
    characters (RFC 3986 §2.3), so a space is ``%20``.
    """
    path = path.split("#", 1)[0] or "/"
    if not path.startswith("/") and path != "*":
        path = "/" + path
    target = quote(path, safe=_PATH_SAFE)
    query = "&".join(
        f"{quote(key, safe='')}={quote(_text(value), safe='')}"
        for key, value in _query_pairs(params)
    )
    if not query:
        return target
    if "?" not in target:
        return f"{target}?{query}"
    return f"{target}{query}" if target.endswith(("?", "&")) else f"{target}&{query}"


def encode_json(obj: object) -> tuple[bytes, str]:
    """Serialize ``obj`` with orjson; returns ``(body, "application/json")``.

    Raises ``TypeError`` (``orjson.JSONEncodeError``) for values JSON cannot hold.
    """
    return orjson.dumps(obj), "application/json"


def encode_form(fields: QueryParams) -> tuple[bytes, str]:
    """Encode an HTML form body; returns ``(body, "application/x-www-form-urlencoded")``.

    Uses the WHATWG form serializer's rules: UTF-8, space as ``+``.
    """
    body = "&".join(
        f"{quote_plus(key, safe='')}={quote_plus(_text(value), safe='')}"
        for key, value in _query_pairs(fields)
    )
    return body.encode("ascii"), "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file in a ``multipart/form-data`` body (RFC 7578 §4.2)."""

    name: str
    """The form field name."""
    filename: str
    """The file name the server sees (``filename=`` parameter)."""
    content: bytes
    """The file bytes, sent as they are."""
    content_type: str = "application/octet-stream"
    """The part's ``Content-Type`` (RFC 7578 §4.4 default for files)."""


def _disposition_value(text: str) -> str:
    # RFC 7578 §2 defers to the HTML form-data encoding: percent-escape the
    # characters that would end the quoted-string or the header line.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _new_boundary() -> str:
    # RFC 2046 §5.1.1: 1 to 70 characters; random so it cannot occur in the parts.
    return f"agentload-{secrets.token_hex(16)}"


def encode_multipart(
    fields: Sequence[tuple[str, str | bytes]] = (),
    files: Sequence[FilePart | tuple[str, str, bytes, str]] = (),
    *,
    boundary: str | None = None,
) -> tuple[bytes, str]:
    """Encode a ``multipart/form-data`` body (RFC 7578); returns ``(body, content_type)``.

    Fields come first, then files, each as one part; a file is a :class:`FilePart`
    or a ``(name, filename, content, content_type)`` tuple. The boundary is
    random unless given (tests); a random one is redrawn in the unlikely case it
    occurs in a part.
    """
    parts = [f if isinstance(f, FilePart) else FilePart(*f) for f in files]
    while True:
        mark = boundary or _new_boundary()
        delimiter = f"--{mark}".encode("ascii")
        contents = [v.encode() if isinstance(v, str) else v for _, v in fields]
        contents += [f.content for f in parts]
        if not any(delimiter in c for c in contents):
            break
        if boundary is not None:
            raise ValueError("the multipart boundary occurs in a part's content")
    out: list[bytes] = []
    for (name, _), content in zip(fields, contents, strict=False):
        disposition = f'form-data; name="{_disposition_value(name)}"'
        out.append(b"%s\r\nContent-Disposition: %s\r\n\r\n" % (delimiter, disposition.encode()))
        out.append(content)
        out.append(b"\r\n")
    for part in parts:
        _check_field("Content-Type", part.content_type)
        disposition = (
            f'form-data; name="{_disposition_value(part.name)}"; '
            f'filename="{_disposition_value(part.filename)}"'
        )
        out.append(
            b"%s\r\nContent-Disposition: %s\r\nContent-Type: %s\r\n\r\n"
            % (delimiter, disposition.encode(), part.content_type.encode())
        )
        out.append(part.content)
        out.append(b"\r\n")
    out.append(delimiter + b"--\r\n")
    return b"".join(out), f"multipart/form-data; boundary={mark}"
