"""Reading the ``webhook:`` step (docs/scenario-format.md, "Webhooks").

Every problem is reported with its line, like the other steps; the shared
readers do headers, query, expect, capture, timeout and think.
"""

from __future__ import annotations

from agentload._redact import redact
from agentload.protocols.http.timeouts import Timeouts
from agentload.protocols.webhooks import ALGORITHMS, ENCODINGS, EVENTS, SCHEMES, Signing
from agentload.scenario._context import Ctx
from agentload.scenario._expect import read_expect
from agentload.scenario._nodes import YMap, YNode, YScalar
from agentload.scenario._step_fields import read_headers_query, read_tail, read_url, step_name
from agentload.scenario._values import Scope, json_value, tracked
from agentload.scenario.model_webhook import WebhookStep, WebhookToolCall
from agentload.scenario.parts import JsonObject, JsonValue

__all__ = ["read_webhook_step"]

_KEYS = (
    "name",
    "url",
    "sign",
    "event",
    "call_id",
    "tool_calls",
    "payload",
    "headers",
    "query",
    "expect",
    "capture",
    "timeout",
    "think",
)
_SIGN_KEYS = ("scheme", "secret", "header", "algorithm", "encoding", "prefix", "timestamp_header")
_HMAC_ONLY = ("header", "algorithm", "encoding", "prefix", "timestamp_header")
_TOOL_KEYS = ("name", "arguments", "id")


def _secret(ctx: Ctx, node: YNode, path: str) -> str | None:
    secret = ctx.text(node, path, expected="${env.NAME} holding the secret")
    if secret is None:
        return None
    if not (isinstance(node, YScalar) and "${env." in node.raw):
        ctx.error(
            node.line,
            path,
            "write the secret as ${env.NAME} (set with -e NAME=… or the environment) "
            "so it stays out of the file",
        )
        return None
    if not secret:
        ctx.error(node.line, path, "the secret is empty; set the environment variable")
        return None
    return secret


def _header_name(ctx: Ctx, node: YNode, path: str) -> str | None:
    text = ctx.text(node, path, expected="a header name")
    if text is not None and (not text or not all(c.isalnum() or c in "-_" for c in text)):
        ctx.error(node.line, path, f"'{text}' is not a valid header name; use letters, digits, '-'")
        return None
    return text


def _signing(ctx: Ctx, node: YNode, path: str) -> Signing | None:
    if isinstance(node, YScalar) and node.value == "none":
        return Signing()
    mapping = ctx.mapping(node, path, "none, or a mapping with scheme and secret")
    if mapping is None:
        return None
    before = len(ctx.issues)
    misspelled = ctx.check_keys(mapping, path, _SIGN_KEYS)
    scheme = secret = None
    if (item := mapping.get("scheme")) is not None:
        scheme = ctx.choice(item, f"{path}.scheme", SCHEMES)
    elif "scheme" not in misspelled:
        ctx.error(mapping.line, path, "missing 'scheme'; use one of " + ", ".join(SCHEMES))
    if (item := mapping.get("secret")) is not None:
        secret = _secret(ctx, item, f"{path}.secret")
    elif scheme not in (None, "none") and "secret" not in misspelled:
        ctx.error(mapping.line, path, "missing 'secret'; add secret: ${env.WEBHOOK_SECRET}")
    options: dict[str, str] = {}
    for key in _HMAC_ONLY:
        item = mapping.get(key)
        if item is None:
            continue
        if scheme is not None and scheme != "hmac":
            ctx.error(item.line, f"{path}.{key}", f"'{key}' applies to scheme hmac only; remove it")
            continue
        where = f"{path}.{key}"
        if key in ("header", "timestamp_header"):
            value = _header_name(ctx, item, where)
        elif key == "algorithm":
            value = ctx.choice(item, where, ALGORITHMS)
        elif key == "encoding":
            value = ctx.choice(item, where, ENCODINGS)
        else:
            value = ctx.text(item, where, expected="a prefix such as sha256=")
        if value is not None:
            options[key] = value
    if len(ctx.issues) != before or scheme is None:
        return None
    return Signing(scheme=scheme, secret=secret or "", **options)


def _tool_calls(ctx: Ctx, scope: Scope, node: YNode, path: str) -> tuple[WebhookToolCall, ...]:
    seq = ctx.sequence(node, path, "a list of {name, arguments}")
    if seq is None:
        return ()
    if not seq.items:
        ctx.error(seq.line, path, "the list is empty; add e.g. {name: get_next_question, …}")
    out: list[WebhookToolCall] = []
    for i, item in enumerate(seq.items):
        where = f"{path}[{i}]"
        mapping = ctx.mapping(item, where, "a tool call {name, arguments, id?}")
        if mapping is None:
            continue
        misspelled = ctx.check_keys(mapping, where, _TOOL_KEYS)
        name = call_id = None
        arguments: JsonValue = JsonObject(())
        ok = True
        if (value := mapping.get("name")) is not None:
            name = tracked(ctx, scope, value, f"{where}.name")
        elif "name" not in misspelled:
            ctx.error(mapping.line, where, "missing 'name'; add the tool's name")
        if (value := mapping.get("arguments")) is not None:
            if ctx.mapping(value, f"{where}.arguments", "a mapping of arguments") is None:
                ok = False
            else:
                ok, arguments = json_value(ctx, scope, value, f"{where}.arguments")
        if (value := mapping.get("id")) is not None:
            call_id = tracked(ctx, scope, value, f"{where}.id")
        if name is not None and ok:
            out.append(WebhookToolCall(name, arguments, call_id))
    return tuple(out)


def read_webhook_step(
    ctx: Ctx, scope: Scope, fields: YMap, path: str, *, line: int, limits: Timeouts
) -> WebhookStep | None:
    """Read the mapping of a ``webhook:`` step; ``None`` after recording its issues."""
    before = len(ctx.issues)
    misspelled = ctx.check_keys(fields, path, _KEYS)
    url = read_url(ctx, scope, fields, path, misspelled, example="/webhooks/vapi")
    signing: Signing | None = Signing()
    if (node := fields.get("sign")) is not None:
        signing = _signing(ctx, node, f"{path}.sign")
    event = None
    if (node := fields.get("event")) is not None:
        event = ctx.choice(node, f"{path}.event", EVENTS)
    name = step_name(ctx, fields, path)
    call_id = None
    if (node := fields.get("call_id")) is not None:
        call_id = tracked(ctx, scope, node, f"{path}.call_id")
    tool_calls: tuple[WebhookToolCall, ...] = ()
    if (node := fields.get("tool_calls")) is not None:
        tool_calls = _tool_calls(ctx, scope, node, f"{path}.tool_calls")
        if event is not None and event != "tool-calls":
            ctx.error(node.line, f"{path}.tool_calls", "only event tool-calls takes tool_calls")
    elif event == "tool-calls":
        ctx.error(fields.line, path, "event tool-calls needs tool_calls: [{name, arguments}]")
    payload = None
    if (node := fields.get("payload")) is not None:
        if ctx.mapping(node, f"{path}.payload", "a mapping (a JSON object)") is not None:
            ok, value = json_value(ctx, scope, node, f"{path}.payload")
            payload = value if ok and isinstance(value, JsonObject) else None
    elif event is None and "event" not in misspelled and "payload" not in misspelled:
        ctx.error(fields.line, path, "give an event (e.g. event: tool-calls) or a payload")
    headers, query = read_headers_query(ctx, scope, fields, path)
    checks = None
    if (node := fields.get("expect")) is not None:
        checks = read_expect(ctx, node, f"{path}.expect")
    captures, request_timeouts, think = read_tail(ctx, scope, fields, path, limits)
    if len(ctx.issues) != before or url is None or signing is None:
        return None
    label = event or "payload"
    return WebhookStep(
        # A default name from the URL as written: redacted, as request names are.
        name=name or redact(f"webhook {label} {url.source}"),
        url=url,
        signing=signing,
        event=event,
        call_id=call_id,
        tool_calls=tool_calls,
        payload=payload,
        headers=headers or (),
        query=query or (),
        checks=checks or (),
        captures=captures or (),
        timeouts=request_timeouts,
        think=think,
        line=line,
    )
