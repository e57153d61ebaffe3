"""Artillery scenarios and flows → agentload scenarios (see scenario/artillery.py).

HTTP engine steps: ``get|post|put|patch|delete|head|options`` (url, headers,
json, body, form, formData, qs, capture, expect, name), ``think`` (seconds),
``loop`` (count or over, with ``$loopCount`` 1-based and ``$loopElement``),
``log``. WebSocket engine (``engine: ws``): the flow is one connection —
``connect``, ``send`` (text, or JSON for a mapping or list), ``think`` and
``loop`` with a count. Anything else is one error naming it.
"""

from __future__ import annotations

from collections.abc import Collection

from agentload.scenario._artillery_nodes import mapping, scalar, sequence
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq

__all__ = ["ARTILLERY_STEPS", "FlowTranslator", "is_artillery_step"]

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
ARTILLERY_STEPS = ("function", "parallel", "connect", "send", "emit")
"""Flow step keys only Artillery uses (agentload's flows have no such steps)."""


def is_artillery_step(step: YMap) -> bool:
    """True for a step written the Artillery way, false for agentload's own syntax.

    ``loop`` and ``log`` exist in both: Artillery's loop holds a list (``count``/``over``
    beside it) and its log a text, agentload's hold a mapping. A request is
    Artillery's when it uses ``qs``/``formData`` or a list of expectations.
    """
    names = list(step.names())
    if any(k in ARTILLERY_STEPS for k in names):
        return True
    if isinstance(step.get("loop"), YSeq) or isinstance(step.get("log"), YScalar):
        return True
    for verb in _VERBS:
        spec = step.get(verb)
        if isinstance(spec, YMap) and (
            spec.get("qs") is not None
            or spec.get("formData") is not None
            or isinstance(spec.get("expect"), YSeq)
        ):
            return True
    return False
_HOOKS = ("beforeScenario", "afterScenario", "beforeRequest", "afterResponse")
_REQUEST = {
    "url": "url",
    "headers": "headers",
    "json": "json",
    "body": "body",
    "form": "form",
    "formData": "multipart",
    "qs": "query",
    "name": "name",
}
_UNSUPPORTED_REQUEST = {
    "beforeRequest": "processor hooks (beforeRequest) are not supported",
    "afterResponse": "processor hooks (afterResponse) are not supported",
    "ifTrue": "conditional requests (ifTrue expressions) are not supported; use an if: step",
    "followRedirect": "followRedirect is not supported (redirects are not followed)",
    "auth": "auth is not supported; send an Authorization header",
    "cookie": "cookie is not supported; send a Cookie header",
    "gzip": "gzip is not supported",
    "compression": "compression is not supported",
}
_MAX_UNROLLED_COUNT = 100_000


class FlowTranslator:
    """Translates ``scenarios``; ``ws_target`` is a ws:// ``config.target``, if any.

    ``data_lists`` are feeder names a ``loop: over: NAME`` iterates (payloads
    with ``loadAll`` and list variables).
    """

    def __init__(self, ctx: Ctx, ws_target: YNode | None, data_lists: Collection[str]) -> None:
        self.ctx = ctx
        self.ws_target = ws_target
        self.data_lists = data_lists

    # -- scenarios ------------------------------------------------------------

    def scenarios(self, node: YNode) -> YSeq:
        ctx = self.ctx
        seq = ctx.sequence(node, "scenarios", "a list of scenarios (- flow: […])")
        out: list[YNode] = []
        for i, item in enumerate(seq.items if seq is not None else ()):
            path = f"scenarios[{i}]"
            scenario = ctx.mapping(item, path, "a scenario with a flow")
            if scenario is None:
                continue
            out.append(self.scenario(scenario, path, i))
        return sequence(seq.line if seq is not None else node.line, out)

    def scenario(self, scenario: YMap, path: str, i: int) -> YMap:
        ctx = self.ctx
        engine = "http"
        for key, value in scenario.items:
            if key.text in _HOOKS:
                ctx.error(key.line, f"{path}.{key.text}", "processor hooks are not supported")
            elif key.text == "engine":
                engine = ctx.choice(value, f"{path}.engine", ("http", "ws", "socketio")) or engine
                if engine == "socketio":
                    ctx.error(value.line, f"{path}.engine", "the socket.io engine is not supported")
            elif key.text not in ("name", "weight", "flow"):
                ctx.error(key.line, path, f"unknown scenario key '{key.text}'; use name, weight, "
                          "flow and engine")  # fmt: skip
        name = scenario.get("name") or scalar(f"scenario {i + 1}", scenario.line)
        items: list[tuple[str, YNode]] = [("name", name)]
        if (weight := scenario.get("weight")) is not None:
            items.append(("weight", weight))
        flow = scenario.get("flow")
        if flow is None:
            ctx.error(scenario.line, path, "missing 'flow'")
            flow_out: YNode = sequence(scenario.line, ())
        elif engine == "ws":
            flow_out = self.ws_flow(flow, f"{path}.flow", scenario.line)
        else:
            flow_out = self.steps(flow, f"{path}.flow")
        items.append(("flow", flow_out))
        return mapping(scenario.line, items)

    # -- http flows -----------------------------------------------------------

    def steps(self, node: YNode, path: str) -> YSeq:
        seq = self.ctx.sequence(node, path, "a list of steps")
        if seq is None:
            return sequence(node.line, ())
        out: list[YNode] = []
        for i, item in enumerate(seq.items):
            step = self.step(item, f"{path}[{i}]")
            if step is not None:
                out.append(step)
        return sequence(seq.line, out)

    def step(self, node: YNode, path: str) -> YNode | None:
        ctx = self.ctx
        step = ctx.mapping(node, path, "a step such as {get: {url: /}}")
        if step is None:
            return None
        names = list(step.names())
        kind = next((k for k in names if k in (*_VERBS, "think", "loop", "log")), None)
        if kind is None:
            first = names[0] if names else ""
            if first in ("function", "parallel", "emit", "connect", "send"):
                reason = {
                    "function": "processor functions are not supported",
                    "parallel": "parallel requests are not supported",
                    "emit": "socket.io steps are not supported",
                }.get(first, f"'{first}' belongs to the ws engine; add engine: ws to the scenario")
                ctx.error(step.line, path, reason)
            else:
                ctx.error(step.line, path, f"unknown Artillery step '{first}'")
            return None
        value = step.get(kind)
        assert value is not None
        if kind == "think":
            return mapping(step.line, [("think", self.think(value, f"{path}.think"))])
        if kind == "log":
            return mapping(step.line, [("log", mapping(value.line, [("message", value)]))])
        if kind == "loop":
            return self.loop(step, value, path)
        return self.request(kind, value, path)

    def think(self, node: YNode, path: str) -> YNode:
        value = node.value if isinstance(node, YScalar) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return scalar(f"{value:g}s", node.line)  # Artillery thinks in seconds
        return node

    def loop(self, step: YMap, body: YNode, path: str) -> YNode | None:
        ctx = self.ctx
        for key, _ in step.items:
            if key.text == "whileTrue":
                ctx.error(key.line, path, "whileTrue (a processor function) is not supported")
                return None
            if key.text not in ("loop", "count", "over"):
                ctx.error(key.line, path, f"unknown loop key '{key.text}'; use count or over")
        steps = self.steps(body, f"{path}.loop")
        count, over = step.get("count"), step.get("over")
        items: list[tuple[str, YNode]]
        if count is not None:
            n = count.value if isinstance(count, YScalar) else None
            if isinstance(n, str) and n.isdigit():
                n = int(n)
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= _MAX_UNROLLED_COUNT:
                ctx.error(count.line, f"{path}.count", f"must be a whole number from 1 to "
                          f"{_MAX_UNROLLED_COUNT}")  # fmt: skip
                return None
            # Artillery's $loopCount counts from 1: loop over 1…n rather than count n (from 0).
            numbers = sequence(count.line, (scalar(k, count.line) for k in range(1, n + 1)))
            items = [("over", numbers), ("as", scalar("loopCount", count.line))]
        elif over is not None:
            if isinstance(over, YScalar) and isinstance(over.value, str) and "${" not in over.value:
                name = over.value
                ref = name if name in self.data_lists else "${" + name + "}"
                over = scalar(ref, over.line)
            items = [("over", over), ("as", scalar("loopElement", over.line))]
        else:
            ctx.error(step.line, path, "a loop without count or over runs forever; add count")
            return None
        items.append(("steps", steps))
        return mapping(step.line, [("loop", mapping(step.line, items))])

    def request(self, verb: str, node: YNode, path: str) -> YNode | None:
        ctx = self.ctx
        at = f"{path}.{verb}"
        if isinstance(node, YScalar):
            node = mapping(node.line, [("url", node)])
        spec = ctx.mapping(node, at, "a request mapping with url")
        if spec is None:
            return None
        items: list[tuple[str, YNode]] = []
        for key, value in spec.items:
            if key.text in _REQUEST:
                items.append((_REQUEST[key.text], value))
            elif key.text == "capture":
                captures = self.captures(value, f"{at}.capture")
                if captures is not None:
                    items.append(("capture", captures))
            elif key.text == "expect":
                expect = self.expect(value, f"{at}.expect")
                if expect is not None:
                    items.append(("expect", expect))
            elif key.text in _UNSUPPORTED_REQUEST:
                ctx.error(key.line, f"{at}.{key.text}", _UNSUPPORTED_REQUEST[key.text])
            else:
                ctx.error(key.line, at, f"unknown request key '{key.text}'")
        if verb == "options":
            items = [("method", scalar("OPTIONS", spec.line)), *items]
            return mapping(spec.line, [("request", mapping(spec.line, items))])
        return mapping(spec.line, [(verb, mapping(spec.line, items))])

    def captures(self, node: YNode, path: str) -> YSeq | None:
        ctx = self.ctx
        rules = node.items if isinstance(node, YSeq) else (node,)
        out: list[YNode] = []
        for i, item in enumerate(rules):
            where = f"{path}[{i}]" if isinstance(node, YSeq) else path
            rule = ctx.mapping(item, where, "a capture such as {json: $.id, as: id}")
            if rule is None:
                continue
            captured = self.capture(rule, where)
            if captured is not None:
                out.append(captured)
        return sequence(node.line, out) if out else None

    def capture(self, rule: YMap, path: str) -> YMap | None:
        ctx = self.ctx
        items: list[tuple[str, YNode]] = []
        group: YNode | None = rule.get("group")
        flags = rule.get("flags")
        for key, value in rule.items:
            if key.text in ("json", "header", "as"):
                items.append((key.text, value))
            elif key.text == "regexp":
                items.append(("regex", self.regex(value, group, flags, path)))
            elif key.text in ("group", "flags"):
                continue
            elif key.text == "strict":
                if ctx.boolean(value, f"{path}.strict") is False:
                    ctx.error(
                        key.line,
                        path,
                        "strict: false captures are not supported (a failed capture ends "
                        "the iteration, as Artillery's default)",
                    )
            else:
                ctx.error(key.line, path, f"capture by '{key.text}' is not supported; use json, "
                          "regexp or header")  # fmt: skip
        return mapping(rule.line, items)

    def regex(self, node: YNode, group: YNode | None, flags: YNode | None, path: str) -> YNode:
        """Artillery returns the whole match unless ``group`` is given; ours, group 1 if any."""
        ctx = self.ctx
        pattern = ctx.text(node, f"{path}.regexp", expected="a regular expression") or ""
        prefix = ""
        if flags is not None:
            text = ctx.text(flags, f"{path}.flags") or ""
            if set(text) - set("imsx"):
                ctx.error(flags.line, f"{path}.flags", "use the flags i, m, s and x")
            prefix = f"(?{text})" if text else ""
        if group is None:
            return scalar(f"{prefix}({pattern})", node.line)  # group 1 = the whole match
        n = group.value if isinstance(group, YScalar) else None
        if n not in {1, "1"}:
            ctx.error(group.line, f"{path}.group", "only group 1 is supported; make the part "
                      "you want the first group")  # fmt: skip
        return scalar(prefix + pattern, node.line)

    def expect(self, node: YNode, path: str) -> YMap | None:
        """Artillery's expect plugin → agentload checks."""
        ctx = self.ctx
        rules = node.items if isinstance(node, YSeq) else (node,)
        statuses: list[YNode] = []
        json_checks: list[tuple[str, YNode]] = []
        headers: list[tuple[str, YNode]] = []
        for i, item in enumerate(rules):
            where = f"{path}[{i}]"
            rule = ctx.mapping(item, where, "an expectation such as {statusCode: 200}")
            for key, value in rule.items if rule is not None else ():
                if key.text == "statusCode":
                    statuses += list(value.items) if isinstance(value, YSeq) else [value]
                elif key.text == "hasProperty":
                    prop = ctx.text(value, f"{where}.hasProperty") or ""
                    exists = mapping(value.line, [("exists", scalar(True, value.line))])
                    json_checks.append(("$." + prop, exists))
                elif key.text == "hasHeader":
                    name = ctx.text(value, f"{where}.hasHeader") or ""
                    headers.append((name, scalar(None, value.line)))
                elif (
                    key.text == "headerEquals" and isinstance(value, YSeq) and len(value.items) == 2
                ):
                    name = ctx.text(value.items[0], f"{where}.headerEquals") or ""
                    headers.append((name, value.items[1]))
                else:
                    ctx.error(key.line, where, f"the expectation '{key.text}' is not supported; "
                              "use statusCode, hasProperty, hasHeader or headerEquals")  # fmt: skip
        items: list[tuple[str, YNode]] = []
        if statuses:
            line = statuses[0].line
            items.append(
                ("status", statuses[0] if len(statuses) == 1 else sequence(line, statuses))
            )
        if json_checks:
            items.append(("json", mapping(json_checks[0][1].line, json_checks)))
        if headers:
            items.append(("headers", mapping(headers[0][1].line, headers)))
        return mapping(node.line, items) if items else None

    # -- ws flows -------------------------------------------------------------

    def ws_flow(self, node: YNode, path: str, line: int) -> YSeq:
        """A ws scenario's flow: one ``ws:`` step on one connection."""
        ctx = self.ctx
        seq = ctx.sequence(node, path, "a list of ws steps (- send: …)")
        url: YNode | None = self.ws_target
        actions: list[YNode] = []
        for i, item in enumerate(seq.items if seq is not None else ()):
            where = f"{path}[{i}]"
            step = ctx.mapping(item, where, "a ws step such as {send: hello}")
            if step is None:
                continue
            if (connect := step.get("connect")) is not None:
                if i != 0:
                    ctx.error(step.line, where, "connect must be the first step")
                url = self.ws_connect(connect, f"{where}.connect")
                continue
            action = self.ws_action(step, where)
            if action is not None:
                actions.append(action)
        if url is None:
            ctx.error(line, path, "no WebSocket URL: set config.target to ws://… or add connect")
            url = scalar("ws://invalid", line)
        if not actions:
            ctx.error(line, path, "the ws flow sends nothing; add send steps")
        ws = mapping(line, [("url", url), ("steps", sequence(line, actions))])
        return sequence(line, [mapping(line, [("ws", ws)])])

    def ws_connect(self, node: YNode, path: str) -> YNode | None:
        if isinstance(node, YMap):
            for key in ("target", "url"):
                if (value := node.get(key)) is not None:
                    return value
            self.ctx.error(node.line, path, "connect with a function is not supported; give "
                           "connect: ws://host/path")  # fmt: skip
            return None
        return node

    def ws_action(self, step: YMap, path: str) -> YNode | None:
        ctx = self.ctx
        names = list(step.names())
        kind = names[0] if names else ""
        value = step.get(kind)
        if value is None or (len(names) != 1 and kind != "loop"):
            ctx.error(step.line, path, "a ws step has one key: send, think or loop")
            return None
        if kind == "send":
            if isinstance(value, YMap) and value.get("payload") is not None:
                ctx.error(value.line, f"{path}.send", "send with payload/match (wait for a "
                          "reply) is not supported; send the message itself")  # fmt: skip
                return None
            what = "send_json" if isinstance(value, YMap | YSeq) else "send"
            return mapping(step.line, [(what, value)])
        if kind == "think":
            return mapping(step.line, [("think", self.think(value, f"{path}.think"))])
        if kind == "loop":
            count = step.get("count")
            if count is None or step.get("over") is not None:
                ctx.error(step.line, path, "a ws loop needs count (over is not supported)")
                return None
            body = ctx.sequence(value, f"{path}.loop", "a list of ws steps")
            inner = [
                a
                for j, s in enumerate(body.items if body is not None else ())
                if isinstance(s, YMap) and (a := self.ws_action(s, f"{path}.loop[{j}]")) is not None
            ]
            repeat = mapping(step.line, [("count", count), ("steps", sequence(step.line, inner))])
            return mapping(step.line, [("repeat", repeat)])
        reason = "processor functions are not supported" if kind == "function" else (
            f"the ws step '{kind}' is not supported; use send, think or loop"
        )  # fmt: skip
        ctx.error(step.line, path, reason)
        return None
