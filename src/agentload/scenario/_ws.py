"""The ``ws:`` step reader (docs/scenario-format.md, "WebSocket").

Every problem is recorded with its line and a fix, like the other steps; the
shared readers are reused for headers, JSON values, captures and durations.
"""

from __future__ import annotations

import base64
import binascii
import re

import jsonpath

from agentload._redact import redact
from agentload.protocols.http.timeouts import Timeouts
from agentload.protocols.ws import is_sendable_close_code
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._expect import read_captures
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq
from agentload.scenario._step_fields import read_url, step_name
from agentload.scenario._values import (
    TOKEN,
    Scope,
    check_target,
    exists_test,
    json_value,
    pairs,
    think_time,
    tracked,
)
from agentload.scenario.model_ws import (
    WsAction,
    WsClose,
    WsExpect,
    WsJsonMatch,
    WsKeepalive,
    WsPayload,
    WsRepeat,
    WsSend,
    WsStep,
    WsThink,
)
from agentload.scenario.parts import CaptureSource, Template

__all__ = ["DEFAULT_EXPECT_TIMEOUT", "DEFAULT_PING_EVERY", "read_ws_step"]

DEFAULT_EXPECT_TIMEOUT = 10.0
"""Seconds an ``expect`` waits when it gives no ``timeout``."""
DEFAULT_PING_EVERY = 10.0
"""Seconds between pings of a ``keepalive`` that gives no ``ping``."""

_WS_KEYS = ("name", "url", "headers", "subprotocols", "timeout", "steps", "think")
_ACTIONS = (
    "send", "send_json", "send_binary", "expect", "keepalive", "think", "repeat", "close"
)  # fmt: skip
_REPEAT_KEYS = ("count", "steps")
_MAX_REPEAT = 1_000_000
_EXPECT_KEYS = ("name", "json", "regex", "contains", "timeout", "capture")
_KEEPALIVE_KEYS = ("duration", "ping")
_CLOSE_KEYS = ("code", "reason")
_BINARY_KEYS = ("base64", "hex")
_WS_SCHEMES = ("ws://", "wss://", "http://", "https://")


def _url(ctx: Ctx, scope: Scope, node: YNode, path: str) -> Template | None:
    url = tracked(ctx, scope, node, path)
    if url is None:
        return None
    if not url.parts:
        ctx.error(node.line, path, "the url is empty; write a path such as /ws/chat")
        return None
    first = url.parts[0]
    if not isinstance(first, str) or first.startswith("/"):
        return url  # built from a variable at run time, or relative to config.target
    lowered = first.lower()
    if lowered.startswith(_WS_SCHEMES):
        scheme, rest = first.split("://", 1)
        authority_done = len(url.parts) == 1 or any(c in rest for c in "/?#")
        as_http = ("https" if scheme.lower() in ("wss", "https") else "http") + "://" + rest
        if authority_done and check_target(as_http.split("?", 1)[0].split("#", 1)[0]) is not None:
            ctx.error(
                node.line, path, f"'{url.source}' has no valid host; write e.g. ws://host:8080/ws"
            )
            return None
        return url
    if "://" in first:
        scheme = first.split("://", 1)[0]
        ctx.error(
            node.line,
            path,
            f"'{scheme}://' cannot open a WebSocket; use ws://, wss:// or a path "
            "relative to config.target such as /ws/chat",
        )
        return None
    ctx.error(
        node.line,
        path,
        f"'{url.source}' is neither a path nor a URL; relative URLs start with / "
        f"(e.g. '/{url.source}'), absolute ones with ws:// or wss://",
    )
    return None


def _subprotocols(ctx: Ctx, node: YNode, path: str) -> tuple[str, ...] | None:
    items = node.items if isinstance(node, YSeq) else (node,)
    out: list[str] = []
    ok = True
    for item in items:
        text = ctx.text(item, path, expected="a subprotocol name such as chat.v1")
        if text is None:
            ok = False
        elif not TOKEN.fullmatch(text):
            ctx.error(
                item.line,
                path,
                f"'{text}' is not a valid subprotocol name; use a token "
                "such as chat.v1 (letters, digits, '.', '-', '_')",
            )
            ok = False
        else:
            out.append(text)
    if not items:
        ctx.error(node.line, path, "the list is empty; give names such as [chat.v1]")
        ok = False
    return tuple(out) if ok else None


def _binary(ctx: Ctx, scope: Scope, node: YNode, path: str) -> WsSend | None:
    if not isinstance(node, YMap):
        template = tracked(ctx, scope, node, path)
        if template is None:
            return None
        return WsSend(WsPayload.BINARY, text=template, line=node.line)
    ctx.check_keys(node, path, _BINARY_KEYS)
    given = [k for k in _BINARY_KEYS if node.get(k) is not None]
    if len(given) != 1:
        if len(given) > 1:
            ctx.error(node.line, path, "both base64 and hex are given; keep exactly one of them")
        elif not node.items:
            ctx.error(node.line, path, "no bytes given; add base64: … or hex: …")
        return None
    value = node.get(given[0])
    assert value is not None
    encoded = ctx.text(value, f"{path}.{given[0]}", expected=f"{given[0]} text")
    if encoded is None:
        return None
    try:
        data = (
            base64.b64decode(encoded, validate=True)
            if given[0] == "base64"
            else bytes.fromhex(encoded)
        )
    except (binascii.Error, ValueError) as exc:
        ctx.error(value.line, f"{path}.{given[0]}", f"not valid {given[0]} ({exc}); fix the text")
        return None
    return WsSend(WsPayload.BINARY, data=data, line=node.line)


def _json_matches(ctx: Ctx, scope: Scope, node: YNode, path: str) -> tuple[WsJsonMatch, ...]:
    mapping = ctx.mapping(node, path, 'a mapping of JSONPath to value, e.g. {"$.type": done}')
    out: list[WsJsonMatch] = []
    for key, value in mapping.items if mapping is not None else ():
        where = f"{path}.{key.text}"
        if not key.text.strip():
            ctx.error(key.line, path, "the JSONPath is empty; write e.g. $.type")
            continue
        try:
            jsonpath.compile(key.text)
        except (jsonpath.JSONPathError, RecursionError) as exc:
            reason = str(exc.args[0]) if exc.args else type(exc).__name__
            ctx.error(key.line, path, f"bad JSONPath {key.text!r}: {reason}; write e.g. $.type")
            continue
        if (exists := exists_test(ctx, value, where)) is not None:
            if exists:
                out.append(WsJsonMatch(key.text, exists_only=True))
            continue
        ok, expected = json_value(ctx, scope, value, where)
        if ok:
            out.append(WsJsonMatch(key.text, expected))
    return tuple(out)


def _expect(ctx: Ctx, scope: Scope, node: YNode, path: str, number: int) -> WsExpect | None:
    mapping = ctx.mapping(node, path, "a mapping with json, regex, contains, timeout, name")
    if mapping is None:
        return None
    before = len(ctx.issues)
    ctx.check_keys(mapping, path, _EXPECT_KEYS)
    exchange = f"expect_{number}"
    if (item := mapping.get("name")) is not None:
        text = ctx.text(item, f"{path}.name", expected="an exchange name", numbers=True)
        if text is not None and not text.strip():
            ctx.error(item.line, f"{path}.name", "the name is empty; write a name such as reply")
        elif text is not None:
            exchange = text
    matches: tuple[WsJsonMatch, ...] = ()
    if (item := mapping.get("json")) is not None:
        matches = _json_matches(ctx, scope, item, f"{path}.json")
    regex = contains = None
    if (item := mapping.get("regex")) is not None:
        regex = ctx.text(item, f"{path}.regex", expected="a regular expression", numbers=True)
        if regex is not None:
            try:
                re.compile(regex)
            except (re.error, RecursionError, OverflowError) as exc:
                ctx.error(
                    item.line, f"{path}.regex", f"bad regular expression {regex!r}: {exc}; fix it"
                )
    if (item := mapping.get("contains")) is not None:
        contains = ctx.text(item, f"{path}.contains", numbers=True)
    timeout: float | None = DEFAULT_EXPECT_TIMEOUT
    if (item := mapping.get("timeout")) is not None:
        timeout = ctx.duration(item, f"{path}.timeout", positive=True)
    captures = None
    if (item := mapping.get("capture")) is not None:
        captures = read_captures(ctx, scope, item, f"{path}.capture")
        for c in captures or ():
            if c.source is CaptureSource.HEADER:
                ctx.error(
                    item.line,
                    f"{path}.capture",
                    "a WebSocket message has no headers; capture with json or regex",
                )
    if len(ctx.issues) != before or timeout is None:
        return None
    return WsExpect(
        exchange=exchange,
        timeout=timeout,
        json=matches,
        regex=regex,
        contains=contains,
        captures=captures or (),
        line=mapping.line,
    )


def _keepalive(ctx: Ctx, node: YNode, path: str) -> WsKeepalive | None:
    if isinstance(node, YScalar):
        duration = ctx.duration(node, path, positive=True)
        return None if duration is None else WsKeepalive(duration, DEFAULT_PING_EVERY, node.line)
    mapping = ctx.mapping(node, path, "a duration such as 30s, or {duration: 30s, ping: 10s}")
    if mapping is None:
        return None
    before = len(ctx.issues)
    misspelled = ctx.check_keys(mapping, path, _KEEPALIVE_KEYS)
    duration = None
    if (item := mapping.get("duration")) is not None:
        duration = ctx.duration(item, f"{path}.duration", positive=True)
    elif "duration" not in misspelled:
        ctx.error(mapping.line, path, "missing 'duration'; add e.g. duration: 30s")
    ping: float | None = DEFAULT_PING_EVERY
    if (item := mapping.get("ping")) is not None:
        if isinstance(item, YScalar) and item.value is False:
            ping = None
        else:
            ping = ctx.duration(item, f"{path}.ping", positive=True)
            if ping is None:
                return None
    if len(ctx.issues) != before or duration is None:
        return None
    return WsKeepalive(duration, ping, mapping.line)


def _close(ctx: Ctx, node: YNode, path: str) -> WsClose | None:
    if isinstance(node, YScalar) and node.value is None:
        return WsClose(line=node.line)
    if isinstance(node, YScalar):
        code = ctx.integer(node, path, what="a close code such as 1000")
        mapping = None
    else:
        mapping = ctx.mapping(node, path, "a close code such as 1000, or {code: 1000, reason: …}")
        if mapping is None:
            return None
        ctx.check_keys(mapping, path, _CLOSE_KEYS)
        code = 1000
        if (item := mapping.get("code")) is not None:
            code = ctx.integer(item, f"{path}.code", what="a close code such as 1000")
    if code is None:
        return None
    if not is_sendable_close_code(code):
        ctx.error(
            node.line,
            path,
            f"{code} is not a close code a client may send; use 1000, "
            "another code of RFC 6455 §7.4.1 or an application code 3000-4999",
        )
        return None
    reason = ""
    if mapping is not None and (item := mapping.get("reason")) is not None:
        text = ctx.text(item, f"{path}.reason", numbers=True)
        if text is None:
            return None
        if len(text.encode()) > 123:
            ctx.error(
                item.line,
                f"{path}.reason",
                "a close reason holds at most 123 bytes (RFC 6455 §5.5); shorten it",
            )
            return None
        reason = text
    return WsClose(code, reason, node.line)


class _Counter:
    """Numbers the expects of one step (for default exchange names), nested or not."""

    def __init__(self) -> None:
        self.expects = 0


def _repeat(ctx: Ctx, scope: Scope, node: YNode, path: str, counter: _Counter) -> WsRepeat | None:
    mapping = ctx.mapping(node, path, "a mapping with count and steps")
    if mapping is None:
        return None
    before = len(ctx.issues)
    misspelled = ctx.check_keys(mapping, path, _REPEAT_KEYS)
    count = actions = None
    if (item := mapping.get("count")) is not None:
        count = ctx.integer(item, f"{path}.count", minimum=1, maximum=_MAX_REPEAT)
    elif "count" not in misspelled:
        ctx.error(mapping.line, path, "missing 'count'; add e.g. count: 10")
    if (item := mapping.get("steps")) is not None:
        actions = _actions(ctx, scope, item, f"{path}.steps", counter, nested=True)
    elif "steps" not in misspelled:
        ctx.error(mapping.line, path, "missing 'steps'; add the actions to repeat")
    if len(ctx.issues) != before or count is None or actions is None:
        return None
    return WsRepeat(count, actions, mapping.line)


def _actions(
    ctx: Ctx,
    scope: Scope,
    node: YNode,
    path: str,
    counter: _Counter | None = None,
    *,
    nested: bool = False,
) -> tuple[WsAction, ...] | None:
    seq = ctx.sequence(node, path, "a list of actions (- send: …, - expect: {…}, …)")
    if seq is None:
        return None
    if not seq.items:
        ctx.error(seq.line, path, "the list is empty; add actions such as - send: hello")
        return None
    before = len(ctx.issues)
    out: list[WsAction | None] = []
    closed_at: int | None = None
    counter = counter or _Counter()
    for i, item in enumerate(seq.items):
        where = f"{path}[{i}]"
        mapping = ctx.mapping(item, where, "an action such as {send: hello} or {expect: {…}}")
        if mapping is None:
            continue
        kinds = [k for k in mapping.names() if k in _ACTIONS]
        if len(kinds) != 1 or len(mapping.items) != 1:
            for key, _ in mapping.items:
                if key.text not in _ACTIONS:
                    guess = did_you_mean(key.text, _ACTIONS)
                    hint = (
                        f"did you mean '{guess}'?" if guess else "use one of " + ", ".join(_ACTIONS)
                    )
                    ctx.error(key.line, where, f"unknown action '{key.text}'; {hint}")
            if len(kinds) > 1:
                ctx.error(
                    mapping.line,
                    where,
                    f"one action cannot be both '{kinds[0]}' and "
                    f"'{kinds[1]}'; start a new action with '- '",
                )
            if not mapping.items:
                ctx.error(mapping.line, where, "the action is empty; write e.g. send: hello")
            continue
        kind = kinds[0]
        value = mapping.get(kind)
        assert value is not None
        at = f"{where}.{kind}"
        if closed_at is not None:
            ctx.error(
                mapping.line,
                where,
                f"'{kind}' comes after close (line {closed_at}); move close to the end",
            )
            continue
        if kind == "send":
            if isinstance(value, YMap | YSeq):
                ctx.error(value.line, at, "send takes text; write send_json: for a JSON message")
                continue
            text = tracked(ctx, scope, value, at)
            out.append(
                None if text is None else WsSend(WsPayload.TEXT, text=text, line=mapping.line)
            )
        elif kind == "send_json":
            ok, doc = json_value(ctx, scope, value, at)
            out.append(WsSend(WsPayload.JSON, json=doc, line=mapping.line) if ok else None)
        elif kind == "send_binary":
            out.append(_binary(ctx, scope, value, at))
        elif kind == "expect":
            counter.expects += 1
            out.append(_expect(ctx, scope, value, at, counter.expects))
        elif kind == "repeat":
            out.append(_repeat(ctx, scope, value, at, counter))
        elif kind == "keepalive":
            out.append(_keepalive(ctx, value, at))
        elif kind == "think":
            think = think_time(ctx, value, at)
            out.append(None if think is None else WsThink(think, mapping.line))
        elif nested:
            ctx.error(mapping.line, where, "close cannot be repeated; put it after the repeat")
        else:
            closed_at = mapping.line
            out.append(_close(ctx, value, at))
    if len(ctx.issues) != before or any(a is None for a in out):
        return None
    return tuple(a for a in out if a is not None)


def read_ws_step(
    ctx: Ctx, scope: Scope, fields: YMap, path: str, *, line: int, limits: Timeouts
) -> WsStep | None:
    """Read the mapping of a ``ws:`` step; ``None`` after recording its issues."""
    before = len(ctx.issues)
    misspelled = ctx.check_keys(fields, path, _WS_KEYS)
    url = read_url(ctx, scope, fields, path, misspelled, example="/ws/chat", read=_url)
    name = step_name(ctx, fields, path)
    headers = subprotocols = actions = think = None
    if (node := fields.get("headers")) is not None:
        headers = pairs(ctx, scope, node, f"{path}.headers", headers=True)
    if (node := fields.get("subprotocols")) is not None:
        subprotocols = _subprotocols(ctx, node, f"{path}.subprotocols")
    connect_timeout: float | None = limits.connect or 10.0
    if (node := fields.get("timeout")) is not None:
        connect_timeout = ctx.duration(node, f"{path}.timeout", positive=True)
    if (node := fields.get("steps")) is not None:
        actions = _actions(ctx, scope, node, f"{path}.steps")
    if (node := fields.get("think")) is not None:
        think = think_time(ctx, node, f"{path}.think")
    if len(ctx.issues) != before or url is None or connect_timeout is None:
        return None
    return WsStep(
        name=name or redact(f"ws {url.source}"),  # no literal secret in a metric tag
        url=url,
        headers=headers or (),
        subprotocols=subprotocols or (),
        connect_timeout=connect_timeout,
        actions=actions or (),
        think=think,
        line=line,
    )
