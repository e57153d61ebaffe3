"""Compiled checks and captures shared by the request, webhook and llm steps.

A check or capture is compiled once, at compile time, into a function of the
response and a *subject*: what the step reads the response as. For a plain
HTTP response the subject is a :class:`BodyCache` (the body parsed as JSON at
most once, the body decoded as text); an ``llm`` step passes its assembled
reply instead (its document and its content). Labels are the ones
``http_checks`` tags carry (docs/metrics.md, "HTTP"), the same for every step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import orjson

from agentload.protocols.http import Response
from agentload.scenario.model import (
    BodyContainsCheck,
    Capture,
    CaptureSource,
    HeaderCheck,
    JsonCheck,
    StatusCheck,
)

__all__ = ["BodyCache", "Subject", "capture_fn", "check_fn", "run_captures"]


class Subject(Protocol):
    """What checks and captures read besides the response itself."""

    def json(self) -> Any:
        """The JSON document JSONPath checks and captures look into (``None``: not JSON)."""
        ...

    def text(self) -> str:
        """The text regex captures (and text ``body contains`` checks) search."""
        ...


S = TypeVar("S", bound=Subject)


class BodyCache:
    """A response's body parsed as JSON at most once per response."""

    __slots__ = ("_parsed", "response")

    _UNSET: Any = object()

    def __init__(self, response: Response) -> None:
        self.response = response
        self._parsed: Any = self._UNSET

    def json(self) -> Any:
        """The body as JSON, or ``None`` when it is not JSON."""
        if self._parsed is self._UNSET:
            try:
                self._parsed = orjson.loads(self.response.body)
            except orjson.JSONDecodeError:
                self._parsed = None
        return self._parsed

    def text(self) -> str:
        """The body decoded with its charset (``Response.text``)."""
        return self.response.text()


def check_fn(
    check: StatusCheck | JsonCheck | BodyContainsCheck | HeaderCheck,
    *,
    search_text: bool = False,
) -> tuple[str, Callable[[Response, S], bool]]:
    """A check's label and its test on a response and its subject.

    ``body contains`` looks for the text's UTF-8 bytes in the raw response
    body, or, with ``search_text``, for the text in ``subject.text()`` (an llm
    reply's content rather than the SSE frames that carried it).
    """
    if isinstance(check, StatusCheck):
        codes = frozenset(check.expected)
        label = "status is " + "|".join(str(s) for s in check.expected)
        return label, lambda r, _s: r.status in codes
    if isinstance(check, JsonCheck):
        import jsonpath  # noqa: PLC0415 - only runs with a JSONPath load it (D21)

        path = jsonpath.compile(check.path)
        if check.exists_only:
            return f"{check.path} exists", lambda _r, s: path.match(s.json()) is not None
        want = check.expected

        def json_eq(_r: Response, s: S) -> bool:
            m = path.match(s.json())
            return m is not None and bool(m.obj == want)

        return f"{check.path} == {orjson.dumps(want).decode()}", json_eq
    if isinstance(check, BodyContainsCheck):
        label = f"body contains {check.text!r}"
        if search_text:
            text = check.text
            return label, lambda _r, s: text in s.text()
        needle = check.text.encode()
        return label, lambda r, _s: needle in r.body
    name, value = check.name, check.expected
    if value is None:
        return f"header {name} present", lambda r, _s: r.header(name) is not None
    return f"header {name} == {value!r}", lambda r, _s: r.header(name) == value


def capture_fn(capture: Capture) -> Callable[[Response, S], object | None]:
    """JSONPath over ``subject.json()``, a regex over ``subject.text()``, or a header."""
    if capture.source is CaptureSource.JSON:
        import jsonpath  # noqa: PLC0415 - only runs with a JSONPath load it (D21)

        path = jsonpath.compile(capture.expr)

        def from_json(_r: Response, s: S) -> object | None:
            m = path.match(s.json())
            return None if m is None else m.obj

        return from_json
    if capture.source is CaptureSource.REGEX:
        pattern = re.compile(capture.expr)

        def from_regex(_r: Response, s: S) -> object | None:
            m = pattern.search(s.text())
            if m is None:
                return None
            return m.group(1) if pattern.groups else m.group(0)

        return from_regex
    header = capture.expr
    return lambda r, _s: r.header(header)


def run_captures(
    captures: Sequence[tuple[str, Callable[[Response, S], object | None]]],
    response: Response,
    subject: S,
    variables: dict[str, object],
) -> str | None:
    """Store each capture's value in ``variables``, in order.

    Returns ``None`` when every capture found a value; otherwise stops at the
    first that found nothing and returns the message for it (the step records
    a ``capture_failed`` error with it and skips the rest of the iteration).
    """
    for var, capture in captures:
        value = capture(response, subject)
        if value is None:
            return f"capture {var!r} found nothing"
        variables[var] = value
    return None
