"""Readers for values shared by several sections: templates, pairs, JSON, URLs, time.

Templates read in a flow are recorded in a :class:`Scope` with their line, so
the loader can check afterwards that every run-time variable is defined.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq
from agentload.scenario.model import (
    JsonObject,
    JsonValue,
    Template,
    ThinkKind,
    ThinkTime,
    Timeouts,
)

__all__ = [
    "TOKEN",
    "Scope",
    "UrlKind",
    "check_target",
    "check_url",
    "exists_test",
    "json_value",
    "pairs",
    "plain_value",
    "think_time",
    "timeouts",
    "tracked",
]

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP token (RFC 9110): what header names are made of."""
_THINK_KINDS = ("constant", "uniform", "normal")


class Scope:
    """Variables used and captured in one scenario (or in ``config``).

    Attributes:
        uses: ``(name, line, path)`` for every ``${name}`` read.
        captured: capture variable names → line of the capture.
    """

    def __init__(self) -> None:
        self.uses: list[tuple[str, int, str]] = []
        self.captured: dict[str, int] = {}

    def track(self, template: Template | None, line: int, path: str) -> Template | None:
        """Record the variables ``template`` refers to; returns it unchanged."""
        if template is not None:
            self.uses.extend((name, line, path) for name in template.variables)
        return template


def tracked(ctx: Ctx, scope: Scope, node: YNode, path: str) -> Template | None:
    """A template (text or number) whose variables are recorded in ``scope``."""
    return scope.track(ctx.template(node, path), node.line, path)


def pairs(
    ctx: Ctx, scope: Scope, node: YNode, path: str, *, headers: bool = False
) -> tuple[tuple[str, Template], ...] | None:
    """``name: value`` pairs in file order.

    For headers, names must be HTTP tokens and values one line. Otherwise a list
    value repeats the name (``ids: [1, 2]`` → ``ids=1&ids=2``).
    """
    mapping = ctx.mapping(node, path, "a mapping of names to values")
    if mapping is None:
        return None
    out: list[tuple[str, Template]] = []
    for key, value in mapping.items:
        where = f"{path}.{key.text}"
        if headers and not TOKEN.fullmatch(key.text):
            ctx.error(
                key.line,
                path,
                f"'{key.text}' is not a valid header name; use letters, digits and '-'",
            )
            continue
        values = value.items if isinstance(value, YSeq) and not headers else (value,)
        for item in values:
            template = tracked(ctx, scope, item, where)
            if template is None:
                continue
            if headers and any(
                isinstance(p, str) and ("\r" in p or "\n" in p) for p in template.parts
            ):
                ctx.error(item.line, where, "a header value cannot span lines; keep it on one line")
                continue
            out.append((key.text, template))
    return tuple(out)


def plain_value(ctx: Ctx, node: YNode, path: str) -> tuple[bool, object]:
    """A plain JSON-like value (dict, list, str, number, bool, None).

    Returns ``(ok, value)``; run-time references are not allowed.
    """
    if isinstance(node, YMap):
        result: dict[str, object] = {}
        ok = True
        for key, value in node.items:
            item_ok, item = plain_value(ctx, value, f"{path}.{key.text}")
            ok = ok and item_ok
            result[key.text] = item
        return ok, result
    if isinstance(node, YSeq):
        results = [plain_value(ctx, item, f"{path}[{i}]") for i, item in enumerate(node.items)]
        return all(r[0] for r in results), [r[1] for r in results]
    if isinstance(node.value, str):
        text = ctx.text(node, path)
        return text is not None, text
    scalar = ctx.scalar(node, path, "a value")
    if scalar is None:
        return False, None
    if isinstance(scalar.value, float) and not math.isfinite(scalar.value):
        ctx.error(node.line, path, f"{scalar.value} is not valid JSON; write a finite number")
        return False, None
    return True, scalar.value


def json_value(ctx: Ctx, scope: Scope, node: YNode, path: str) -> tuple[bool, JsonValue]:
    """A JSON value whose strings are templates; ``(ok, value)``."""
    if isinstance(node, YMap):
        members: list[tuple[str, JsonValue]] = []
        ok = True
        for key, value in node.items:
            item_ok, item = json_value(ctx, scope, value, f"{path}.{key.text}")
            ok = ok and item_ok
            members.append((key.text, item))
        return ok, JsonObject(tuple(members))
    if isinstance(node, YSeq):
        items = [json_value(ctx, scope, item, f"{path}[{i}]") for i, item in enumerate(node.items)]
        return all(r[0] for r in items), tuple(r[1] for r in items)
    if isinstance(node.value, str):
        template = tracked(ctx, scope, node, path)
        return template is not None, template
    ok, plain = plain_value(ctx, node, path)
    if isinstance(plain, bool | int | float) or plain is None:
        return ok, plain
    return False, None  # unreachable: scalars are only these types


# Characters that cannot appear in a host name (RFC 3986 §3.2.2) and that urlsplit lets through.
_NOT_IN_HOSTS = frozenset('"<>\\^`{|}')


def exists_test(ctx: Ctx, value: YNode, where: str) -> bool | None:
    """Read ``{exists: true}`` given as a JSONPath's expected value.

    ``None``: the value is no such mapping (compare it as a value); ``True``:
    test only that the path matches; ``False``: nothing to test (an issue was
    recorded).
    """
    if not (isinstance(value, YMap) and "exists" in value.names()):
        return None
    ctx.check_keys(value, where, ("exists",))
    flag = value.get("exists")
    assert flag is not None
    exists = ctx.boolean(flag, f"{where}.exists")
    if exists is False:
        ctx.error(flag.line, where, "exists: false is not supported; use exists: true")
    return bool(exists)


def check_target(text: str) -> str | None:
    """Why ``text`` is not a usable target URL, or ``None`` when it is."""
    problem = "must be an http:// or https:// URL, e.g. http://127.0.0.1:8080"
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        if "port" in str(exc).lower():
            return f"has a bad port ({exc}); use a port from 1 to 65535, e.g. http://127.0.0.1:8080"
        return problem
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return problem
    if any(c.isspace() or not c.isprintable() or c in _NOT_IN_HOSTS for c in parts.hostname):
        return f"has an invalid host {parts.hostname!r}; write e.g. http://127.0.0.1:8080"
    if parts.query or parts.fragment:
        return "cannot have a query or fragment; put those in each request's url"
    return None


class UrlKind:
    """How a request URL is resolved."""

    RELATIVE = "relative"
    ABSOLUTE = "absolute"
    DYNAMIC = "dynamic"


def check_url(ctx: Ctx, url: Template, line: int, path: str) -> str | None:
    """Classify a request URL as a :class:`UrlKind` value, or ``None`` with an issue."""
    if not url.parts:
        ctx.error(line, path, "the url is empty; write a path such as /health")
        return None
    first = url.parts[0]
    if not isinstance(first, str):
        return UrlKind.DYNAMIC  # the whole URL comes from a variable at run time
    if first.startswith("/"):
        return UrlKind.RELATIVE
    lowered = first.lower()
    if lowered.startswith(("http://", "https://")):
        authority_done = len(url.parts) == 1 or any(c in first.split("://", 1)[1] for c in "/?#")
        # Only check the host when it is written out, not built from variables.
        if authority_done and check_target(first.split("?", 1)[0].split("#", 1)[0]) is not None:
            ctx.error(
                line, path, f"'{url.source}' has no valid host; write e.g. http://host:8080/path"
            )
            return None
        return UrlKind.ABSOLUTE
    if "://" in first:
        scheme = first.split("://", 1)[0]
        ctx.error(
            line,
            path,
            f"'{scheme}://' URLs are not supported; use http:// or https://",
        )
        return None
    ctx.error(
        line,
        path,
        f"'{url.source}' is neither a path nor a URL; relative URLs start with / "
        f"(e.g. '/{url.source}'), absolute ones with http:// or https://",
    )
    return None


def timeouts(ctx: Ctx, node: YNode, path: str, base: Timeouts) -> Timeouts | None:
    """``30s`` (the total) or ``{connect, read, total}``; unset fields come from ``base``."""
    if isinstance(node, YScalar):
        total = ctx.duration(node, path, positive=True)
        if total is None:
            return None
        return Timeouts(connect=base.connect, read=base.read, total=total)
    mapping = ctx.mapping(node, path, "a duration or a mapping with connect, read, total")
    if mapping is None:
        return None
    ctx.check_keys(mapping, path, ("connect", "read", "total"))
    values: dict[str, float | None] = {
        "connect": base.connect,
        "read": base.read,
        "total": base.total,
    }
    ok = True
    for name in values:
        value = mapping.get(name)
        if value is None:
            continue
        if isinstance(value, YScalar) and value.value is None:
            values[name] = None  # an empty value means "no limit"
            continue
        seconds = ctx.duration(value, f"{path}.{name}", positive=True)
        ok = ok and seconds is not None
        values[name] = seconds
    if not ok:
        return None
    return Timeouts(connect=values["connect"], read=values["read"], total=values["total"])


def think_time(ctx: Ctx, node: YNode, path: str) -> ThinkTime | None:
    """``1s``, ``{constant: 1s}``, ``{uniform: [1s, 3s]}`` or ``{normal: {mean, stddev}}``."""
    if isinstance(node, YScalar):
        seconds = ctx.duration(node, path)
        return None if seconds is None else ThinkTime(ThinkKind.CONSTANT, seconds)
    expected = "a duration, {uniform: [min, max]} or {normal: {mean: …, stddev: …}}"
    mapping = ctx.mapping(node, path, expected)
    if mapping is None:
        return None
    for key, _ in mapping.items:
        if key.text not in _THINK_KINDS:
            guess = did_you_mean(key.text, _THINK_KINDS)
            hint = f"did you mean '{guess}'?" if guess else "use constant, uniform or normal"
            ctx.error(key.line, path, f"unknown think kind '{key.text}'; {hint}")
    kinds = [k for k in mapping.names() if k in _THINK_KINDS]
    if len(kinds) != 1:
        if len(mapping.items) == len(kinds):  # unknown kinds were reported already
            ctx.error(mapping.line, path, "give exactly one of constant, uniform or normal")
        return None
    kind = kinds[0]
    value = mapping.get(kind)
    assert value is not None
    where = f"{path}.{kind}"
    if kind == "constant":
        seconds = ctx.duration(value, where)
        return None if seconds is None else ThinkTime(ThinkKind.CONSTANT, seconds)
    if kind == "uniform":
        seq = ctx.sequence(value, where, "a list of two durations, e.g. [1s, 3s]")
        if seq is None:
            return None
        if len(seq.items) != 2:
            ctx.error(seq.line, where, f"expected 2 durations [min, max], found {len(seq.items)}")
            return None
        low = ctx.duration(seq.items[0], f"{where}[0]")
        high = ctx.duration(seq.items[1], f"{where}[1]")
        if low is None or high is None:
            return None
        if low > high:
            ctx.error(seq.line, where, "the minimum is larger than the maximum; swap them")
            return None
        return ThinkTime(ThinkKind.UNIFORM, low, high)
    params = ctx.mapping(value, where, "a mapping with mean and stddev")
    if params is None:
        return None
    ctx.check_keys(params, where, ("mean", "stddev"))
    found: list[float | None] = []
    for name in ("mean", "stddev"):
        item = params.get(name)
        if item is None:
            ctx.error(params.line, where, f"missing '{name}'; add e.g. {name}: 1s")
            found.append(None)
        else:
            found.append(ctx.duration(item, f"{where}.{name}"))
    mean, stddev = found
    if mean is None or stddev is None:
        return None
    return ThinkTime(ThinkKind.NORMAL, mean, stddev)
