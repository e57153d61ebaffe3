"""The ``llm:`` and ``sse:`` steps (docs/scenario-format.md, "LLM streaming").

``llm:`` sends one OpenAI-compatible chat-completions request and reads the
streamed reply; ``sse:`` reads any server-sent event stream. Both report every
problem with its line, like request steps, and reuse their readers (headers,
query, expect, capture, timeout, think).
"""

from __future__ import annotations

from agentload._redact import redact
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._expect import read_expect
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq
from agentload.scenario._step_fields import (
    http_url,
    read_headers_query,
    read_tail,
    read_url,
    step_name,
)
from agentload.scenario._values import Scope, json_value, tracked
from agentload.scenario.model import (
    FinishReasonCheck,
    JsonBody,
    JsonCheck,
    JsonValue,
    LlmCheck,
    LlmSlo,
    LlmStep,
    RawBody,
    SseStep,
    SseUntil,
    StatusCheck,
    Template,
    Timeouts,
    VarRef,
)

__all__ = ["DEFAULT_LLM_URL", "read_llm_step", "read_sse_step"]

DEFAULT_LLM_URL = "/v1/chat/completions"
"""Where an ``llm`` step posts when it gives no ``url`` (relative to ``config.target``)."""

# Body fields with a key of their own (validated); anything else goes in ``params``.
_PARAM_KEYS = ("max_tokens", "max_completion_tokens", "temperature", "tools", "tool_choice")
_LLM_KEYS = (
    "name",
    "url",
    "model",
    "messages",
    *_PARAM_KEYS,
    "params",
    "stream",
    "headers",
    "query",
    "slo",
    "expect",
    "capture",
    "timeout",
    "think",
)
_RESERVED_PARAMS = ("model", "messages", "stream")
_LLM_EXPECT_KEYS = ("status", "finish_reason", "json", "body_contains", "headers")
_SLO_KEYS = ("ttft", "ttfot", "tpot", "itl", "e2e")
_SSE_KEYS = (
    "name",
    "url",
    "method",
    "headers",
    "query",
    "json",
    "body",
    "max_events",
    "until",
    "expect",
    "timeout",
    "think",
)
_SSE_METHODS = ("GET", "POST")
_UNTIL_KEYS = ("event", "data_contains", "json")


def _only(node: YMap, keys: tuple[str, ...]) -> YMap:
    """``node`` restricted to ``keys``, to hand a shared reader what it knows."""
    return YMap(tuple((k, v) for k, v in node.items if k.text in keys), node.line)


def _messages(ctx: Ctx, scope: Scope, node: YNode, path: str) -> JsonValue | None:
    if isinstance(node, YScalar) and len(node.parts) == 1 and isinstance(node.parts[0], VarRef):
        ok, value = json_value(ctx, scope, node, path)  # "${history}": a list built at run time
        return value if ok else None
    seq = ctx.sequence(
        node, path, 'a list of messages such as [{role: user, content: "Hello"}] or "${history}"'
    )
    if seq is None:
        return None
    if not seq.items:
        ctx.error(seq.line, path, "the list is empty; add a message such as {role: user, …}")
        return None
    for i, item in enumerate(seq.items):
        if isinstance(item, YMap) and item.get("role") is None:
            ctx.error(item.line, f"{path}[{i}]", "missing 'role'; add e.g. role: user")
    ok, value = json_value(ctx, scope, seq, path)
    return value if ok else None


def _param(ctx: Ctx, scope: Scope, key: str, node: YNode, path: str) -> tuple[bool, JsonValue]:
    if key in ("max_tokens", "max_completion_tokens"):
        count = ctx.integer(node, path, minimum=1, what="a number of tokens")
        return count is not None, count
    if key == "temperature":
        value = ctx.number(node, path, what="a temperature such as 0.7")
        return value is not None, value
    if key == "tools" and not isinstance(node, YSeq):
        ctx.wrong_type(node, path, "a list of tools ({type: function, function: {…}})")
        return False, None
    return json_value(ctx, scope, node, path)


def _params(
    ctx: Ctx, scope: Scope, fields: YMap, path: str
) -> tuple[tuple[str, JsonValue], ...] | None:
    ok = True
    out: list[tuple[str, JsonValue]] = []
    for key in _PARAM_KEYS:
        node = fields.get(key)
        if node is not None:
            item_ok, value = _param(ctx, scope, key, node, f"{path}.{key}")
            ok = ok and item_ok
            out.append((key, value))
    node = fields.get("params")
    if node is not None:
        mapping = ctx.mapping(node, f"{path}.params", "a mapping of body fields (top_p: 0.9, …)")
        for extra, extra_node in mapping.items if mapping is not None else ():
            if extra.text in _RESERVED_PARAMS or extra.text in _PARAM_KEYS:
                ctx.error(
                    extra.line,
                    f"{path}.params",
                    f"'{extra.text}' is a key of the llm step itself; "
                    f"write {extra.text}: … next to model, not in params",
                )
                ok = False
                continue
            item_ok, item = json_value(ctx, scope, extra_node, f"{path}.params.{extra.text}")
            ok = ok and item_ok
            out.append((extra.text, item))
        ok = ok and mapping is not None
    return tuple(out) if ok else None


def _slo(ctx: Ctx, node: YNode, path: str) -> LlmSlo | None:
    mapping = ctx.mapping(node, path, "a mapping such as {ttft: 500ms, itl: 50ms}")
    if mapping is None:
        return None
    ctx.check_keys(mapping, path, _SLO_KEYS)
    limits: dict[str, float] = {}
    for key, value in mapping.items:
        if key.text in _SLO_KEYS:
            seconds = ctx.duration(value, f"{path}.{key.text}", positive=True)
            if seconds is not None:
                limits[key.text] = seconds
    if not mapping.items:
        ctx.error(mapping.line, path, "no objective given; add e.g. ttft: 500ms")
    return LlmSlo(**limits) if len(limits) == len(mapping.items) and limits else None


def _finish_reasons(ctx: Ctx, node: YNode, path: str) -> FinishReasonCheck | None:
    items = node.items if isinstance(node, YSeq) else (node,)
    reasons = [ctx.text(item, path, expected="a finish reason such as stop") for item in items]
    if not items:
        ctx.error(node.line, path, "the list is empty; give reasons such as [stop, length]")
    if not items or any(r is None for r in reasons):
        return None
    return FinishReasonCheck(tuple(r for r in reasons if r is not None))


def _llm_expect(ctx: Ctx, node: YNode, path: str) -> tuple[LlmCheck, ...] | None:
    mapping = ctx.mapping(node, path, "a mapping with status, finish_reason, json, …")
    if mapping is None:
        return None
    before = len(ctx.issues)
    ctx.check_keys(mapping, path, _LLM_EXPECT_KEYS)
    checks: list[LlmCheck] = []
    reason = mapping.get("finish_reason")
    if reason is not None:
        check = _finish_reasons(ctx, reason, f"{path}.finish_reason")
        if check is not None:
            checks.append(check)
    shared = _only(mapping, tuple(k for k in _LLM_EXPECT_KEYS if k != "finish_reason"))
    checks.extend(read_expect(ctx, shared, path) or ())
    return tuple(checks) if len(ctx.issues) == before else None


def read_llm_step(
    ctx: Ctx, scope: Scope, fields: YMap, path: str, *, line: int, limits: Timeouts
) -> LlmStep | None:
    """Read the mapping of an ``llm:`` step; ``None`` after recording its issues."""
    before = len(ctx.issues)
    misspelled = ctx.check_keys(fields, path, _LLM_KEYS)
    url_node = fields.get("url")
    url = (
        Template.literal(DEFAULT_LLM_URL)
        if url_node is None
        else http_url(ctx, scope, url_node, f"{path}.url")
    )
    model = messages = None
    if (node := fields.get("model")) is not None:
        model = tracked(ctx, scope, node, f"{path}.model")
    elif "model" not in misspelled:
        ctx.error(fields.line, path, "missing 'model'; add e.g. model: gpt-4o-mini")
    if (node := fields.get("messages")) is not None:
        messages = _messages(ctx, scope, node, f"{path}.messages")
    elif "messages" not in misspelled:
        ctx.error(fields.line, path, 'missing \'messages\'; add e.g. [{role: user, content: "Hi"}]')
    name = step_name(ctx, fields, path)
    params = _params(ctx, scope, fields, path)
    stream: bool | None = True
    if (node := fields.get("stream")) is not None:
        stream = ctx.boolean(node, f"{path}.stream")
    headers, query = read_headers_query(ctx, scope, fields, path)
    slo = checks = None
    if (node := fields.get("slo")) is not None:
        slo = _slo(ctx, node, f"{path}.slo")
    if (node := fields.get("expect")) is not None:
        checks = _llm_expect(ctx, node, f"{path}.expect")
    captures, request_timeouts, think = read_tail(ctx, scope, fields, path, limits)
    if (
        len(ctx.issues) != before
        or url is None
        or model is None
        or messages is None
        or params is None
        or stream is None
    ):
        return None
    return LlmStep(
        name=name or f"llm {model.source}",
        url=url,
        model=model,
        messages=messages,
        params=params,
        stream=stream,
        headers=headers or (),
        query=query or (),
        slo=slo,
        checks=checks or (),
        captures=captures or (),
        timeouts=request_timeouts,
        think=think,
        line=line,
    )


def _until(ctx: Ctx, node: YNode, path: str) -> SseUntil | None:
    mapping = ctx.mapping(node, path, "a mapping with event, data_contains or json")
    if mapping is None:
        return None
    before = len(ctx.issues)
    ctx.check_keys(mapping, path, _UNTIL_KEYS)
    event = data = None
    if (item := mapping.get("event")) is not None:
        event = ctx.text(item, f"{path}.event", expected="an event type such as done")
    if (item := mapping.get("data_contains")) is not None:
        data = ctx.text(item, f"{path}.data_contains", numbers=True)
    checks: tuple[JsonCheck, ...] = ()
    if (item := mapping.get("json")) is not None:
        found = read_expect(ctx, _only(mapping, ("json",)), path) or ()
        checks = tuple(c for c in found if isinstance(c, JsonCheck))
    if not any(k in mapping.names() for k in _UNTIL_KEYS) and len(ctx.issues) == before:
        ctx.error(mapping.line, path, "no condition given; add event, data_contains or json")
    if len(ctx.issues) != before:
        return None
    return SseUntil(event=event, data_contains=data, json=checks)


def _sse_body(
    ctx: Ctx, scope: Scope, fields: YMap, path: str
) -> tuple[bool, JsonBody | RawBody | None]:
    json_node, body_node = fields.get("json"), fields.get("body")
    if json_node is not None and body_node is not None:
        key = fields.key("body")
        assert key is not None
        ctx.error(key.line, path, "json and body both set the body; keep one")
        return False, None
    if json_node is not None:
        ok, value = json_value(ctx, scope, json_node, f"{path}.json")
        return ok, JsonBody(value) if ok else None
    if body_node is not None:
        text = tracked(ctx, scope, body_node, f"{path}.body")
        return text is not None, RawBody(text) if text is not None else None
    return True, None


def read_sse_step(
    ctx: Ctx, scope: Scope, fields: YMap, path: str, *, line: int, limits: Timeouts
) -> SseStep | None:
    """Read the mapping of an ``sse:`` step; ``None`` after recording its issues."""
    before = len(ctx.issues)
    misspelled = ctx.check_keys(fields, path, _SSE_KEYS)
    url = read_url(ctx, scope, fields, path, misspelled, example="/api/events")
    method: str | None = "GET"
    if (node := fields.get("method")) is not None:
        text = ctx.text(node, f"{path}.method", expected="GET or POST")
        method = None if text is None else text.strip().upper()
        if method is not None and method not in _SSE_METHODS:
            guess = did_you_mean(method, _SSE_METHODS)
            hint = f"did you mean {guess}?" if guess else "use GET or POST"
            ctx.error(node.line, f"{path}.method", f"'{text}' cannot open an event stream; {hint}")
            method = None
    name = step_name(ctx, fields, path)
    headers, query = read_headers_query(ctx, scope, fields, path)
    max_events = until = checks = None
    _, body = _sse_body(ctx, scope, fields, path)
    if (node := fields.get("max_events")) is not None:
        max_events = ctx.integer(node, f"{path}.max_events", minimum=1)
    if (node := fields.get("until")) is not None:
        until = _until(ctx, node, f"{path}.until")
    if (node := fields.get("expect")) is not None:
        if isinstance(node, YMap):
            ctx.check_keys(node, f"{path}.expect", ("status",))
        given = _only(node, ("status",)) if isinstance(node, YMap) else node
        found = read_expect(ctx, given, f"{path}.expect")
        checks = tuple(c for c in found or () if isinstance(c, StatusCheck))
    _, request_timeouts, think = read_tail(ctx, scope, fields, path, limits, captures=False)
    if len(ctx.issues) != before or url is None or method is None:
        return None
    return SseStep(
        name=name or redact(f"sse {url.source}"),  # no literal secret in a metric tag
        method=method,
        url=url,
        headers=headers or (),
        query=query or (),
        body=body,
        max_events=max_events,
        until=until,
        checks=checks or (),
        timeouts=request_timeouts,
        think=think,
        line=line,
    )
