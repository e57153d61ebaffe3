"""``scenarios`` (or a top-level ``flow``): named, weighted lists of steps.

A step is one of

* ``request: {method, url, …}`` — the full form;
* ``get|post|put|patch|delete|head: /url`` — shorthand; request fields may sit
  next to it (``- get: /health`` / ``  expect: {status: 200}``);
* ``get|post|…: {url, …}`` — the request mapping without ``method``;
* ``think: 1s`` — a pause;
* ``llm: {model, messages, …}`` / ``sse: {url, …}`` — a chat-completions
  request or an event stream (:mod:`agentload.scenario._llm`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, TypeAlias

from agentload._redact import redact
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._control import (
    CONTROL_STEPS,
    SCENARIO_EXTRAS,
    finish_scenario,
    read_control,
)
from agentload.scenario._expect import BODY_KEYS, read_body, read_expect
from agentload.scenario._llm import read_llm_step, read_sse_step
from agentload.scenario._log import read_log_step
from agentload.scenario._nodes import YMap, YNode
from agentload.scenario._python_ref import read_python_step
from agentload.scenario._step_fields import read_headers_query, read_tail, step_name
from agentload.scenario._values import Scope, check_url, think_time, tracked
from agentload.scenario._webhook import read_webhook_step
from agentload.scenario.data import read_data
from agentload.scenario.model import RequestStep, Scenario, Step, ThinkStep, Timeouts
from agentload.scenario.model_flow import DataSource

__all__ = ["FlowResult", "read_flows"]

_VERBS = ("get", "post", "put", "patch", "delete", "head")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_REQUEST_KEYS = (
    "name",
    "method",
    "url",
    "headers",
    "query",
    *BODY_KEYS,
    "expect",
    "capture",
    "timeout",
    "think",
)

# A reader for a step written as ``- kind: {…}``: it gets the inner mapping and
# returns the step, or None after recording its issues on ``ctx``.
MappingStepReader: TypeAlias = Callable[..., Step | None]


def _imported(module: str, name: str) -> MappingStepReader:
    """The reader ``name`` of ``agentload.scenario.<module>``, imported on first use.

    The ws and voice readers pull in picows, jsonpath and the audio code
    (~0.15 s of CPU): a file without those steps never pays it (D21).
    """

    def read(*args: Any, **kwargs: Any) -> Step | None:
        reader: MappingStepReader = getattr(import_module(f"agentload.scenario.{module}"), name)
        return reader(*args, **kwargs)

    return read


# Step kinds whose whole step is one mapping, with what the mapping must hold
# (for the "expected …" message) and its reader. A new protocol's steps are
# registered here: ``kind: (what, reader)``; the reader's signature is
# ``read(ctx, scope, fields, path, *, line, limits)``.
_MAPPING_STEPS: dict[str, tuple[str, MappingStepReader]] = {
    "llm": ("a mapping with model and messages", read_llm_step),
    "sse": ("a mapping with url", read_sse_step),
    "webhook": ("a mapping with url and event or payload", read_webhook_step),
    "ws": ("a mapping with url and steps", _imported("_ws", "read_ws_step")),
    "log": ("a mapping with message", read_log_step),  # scenario/_log.py
    "voice": ("a mapping with dialect, url and audio", _imported("_voice", "read_voice_step")),
}
_STEP_KINDS = ("request", *_VERBS, *_MAPPING_STEPS, "think", "python", *CONTROL_STEPS)
# load: scenario/_user_types.py; on_start, pacing: scenario/_control.py
_SCENARIO_KEYS = ("name", "weight", "flow", "load", *SCENARIO_EXTRAS)


@dataclass(slots=True)
class FlowResult:
    """Scenarios read, with what the loader checks across sections afterwards.

    Attributes:
        scenarios: the valid scenarios, in file order.
        scopes: ``(scenario name, variables used and captured)``, for every
            scenario read, valid or not.
    """

    scenarios: list[Scenario] = field(default_factory=list)
    scopes: list[tuple[str, Scope]] = field(default_factory=list)


def read_flows(ctx: Ctx, root: YMap, limits: Timeouts, *, report_missing: bool) -> FlowResult:
    """Read ``scenarios`` or the top-level ``flow`` shorthand.

    ``report_missing`` is false when a misspelled key was already reported.
    """
    result = FlowResult()
    scenarios_node, flow_node = root.get("scenarios"), root.get("flow")
    if scenarios_node is not None and flow_node is not None:
        key = root.key("flow")
        assert key is not None
        ctx.error(
            key.line,
            "flow",
            "a top-level flow cannot be used with scenarios; move it into a scenario",
        )
        return result
    reader = _Reader(ctx, limits, result)
    reader.data = read_data(ctx, root.get("data"))  # feeders (scenario/data.py)
    if flow_node is not None:
        key = root.key("flow")
        assert key is not None
        reader.scenario_flow("default", 1, flow_node, "flow", key.line)
        return result
    if scenarios_node is None:
        if not report_missing:
            return result
        ctx.error(
            root.line,
            "",
            "missing scenarios; add 'scenarios:' (a list of {name, flow}) "
            "or a top-level 'flow:' with the steps",
        )
        return result
    seq = ctx.sequence(scenarios_node, "scenarios", "a list of scenarios (- name: …, flow: …)")
    if seq is None:
        return result
    if not seq.items:
        ctx.error(seq.line, "scenarios", "the list is empty; add a scenario with a name and flow")
    names: dict[str, int] = {}
    for i, item in enumerate(seq.items):
        path = f"scenarios[{i}]"
        mapping = ctx.mapping(item, path, "a scenario mapping with name and flow")
        if mapping is None:
            continue
        ctx.check_keys(mapping, path, _SCENARIO_KEYS)
        name_node, flow = mapping.get("name"), mapping.get("flow")
        name = None
        if name_node is None:
            ctx.error(mapping.line, path, "missing 'name'; give the scenario a name")
        else:
            name = ctx.text(name_node, f"{path}.name", expected="a name")
            if name is not None and not name.strip():
                ctx.error(name_node.line, f"{path}.name", "the name is empty; write a name")
                name = None
            elif name is not None and name in names:
                ctx.error(
                    name_node.line,
                    f"{path}.name",
                    f"scenario name '{name}' is used twice (first at line {names[name]}); "
                    "give each scenario its own name",
                )
                name = None
            elif name is not None:
                names[name] = name_node.line
        weight: int | None = 1
        weight_node = mapping.get("weight")
        if weight_node is not None:
            weight = ctx.integer(weight_node, f"{path}.weight", minimum=1)
        if flow is None:
            ctx.error(mapping.line, path, "missing 'flow'; add the list of steps")
            continue
        # Read the steps even when name or weight is wrong, to report their problems too.
        reader.scenario_flow(name, weight, flow, f"{path}.flow", mapping.line, mapping=mapping)
    return result


class _Reader:
    def __init__(self, ctx: Ctx, limits: Timeouts, result: FlowResult) -> None:
        self.ctx = ctx
        self.limits = limits
        self.result = result
        self.data: dict[str, DataSource] = {}

    def scenario_flow(
        self,
        name: str | None,
        weight: int | None,
        node: YNode,
        path: str,
        line: int,
        *,
        mapping: YMap | None = None,
    ) -> None:
        scope = Scope()
        steps = self.steps(node, path, scope)
        # Data picks, on_start and pacing (scenario/_control.py).
        steps = finish_scenario(self, mapping, steps, scope, path.removesuffix(".flow"))
        self.result.scopes.append((name or path.removesuffix(".flow"), scope))
        if steps is not None and name is not None and weight is not None:
            self.result.scenarios.append(Scenario(name, steps, weight, line))

    def steps(self, node: YNode, path: str, scope: Scope) -> tuple[Step, ...] | None:
        seq = self.ctx.sequence(node, path, "a list of steps (- get: /path, - think: 1s, …)")
        if seq is None:
            return None
        if not seq.items:
            self.ctx.error(seq.line, path, "the flow is empty; add at least one request")
            return None
        before = len(self.ctx.issues)
        steps = [self.step(item, f"{path}[{i}]", scope) for i, item in enumerate(seq.items)]
        if len(self.ctx.issues) != before:
            return None
        return tuple(s for s in steps if s is not None)

    def step(self, node: YNode, path: str, scope: Scope) -> Step | None:
        ctx = self.ctx
        mapping = ctx.mapping(node, path, "a step such as {get: /health} or {think: 1s}")
        if mapping is None:
            return None
        kinds = [k for k in mapping.names() if k in _STEP_KINDS and k != "think"]
        if not kinds and mapping.get("think") is not None:
            kinds = ["think"]
        if not kinds:
            first = mapping.items[0][0] if mapping.items else None
            guess = did_you_mean(first.text, _STEP_KINDS) if first else None
            hint = f"did you mean '{guess}'?" if guess else "use one of " + ", ".join(_STEP_KINDS)
            what = f"unknown step '{first.text}'" if first else "the step is empty"
            ctx.error(first.line if first else mapping.line, path, f"{what}; {hint}")
            return None
        if len(kinds) > 1:
            key = mapping.key(kinds[1])
            assert key is not None
            ctx.error(
                key.line,
                path,
                f"one step cannot be both '{kinds[0]}' and '{kinds[1]}'; "
                "start a new step with '- '",
            )
            return None
        kind = kinds[0]
        value = mapping.get(kind)
        assert value is not None
        if kind == "think":
            self.only_key(mapping, path, kind)
            think = think_time(ctx, value, f"{path}.think")
            return None if think is None else ThinkStep(think, value.line)
        if kind == "python":  # - python: helpers.py:function (scenario/_python_ref.py)
            self.only_key(mapping, path, kind)
            return read_python_step(ctx, value, f"{path}.python", mapping.line)
        if kind in CONTROL_STEPS:  # loop, if, poll, choose, once (scenario/_control.py)
            return read_control(self, kind, mapping, path, scope)
        if kind in _MAPPING_STEPS:
            self.only_key(mapping, path, kind)
            what, read = _MAPPING_STEPS[kind]
            fields = ctx.mapping(value, f"{path}.{kind}", what)
            if fields is None:
                return None
            return read(ctx, scope, fields, f"{path}.{kind}", line=mapping.line, limits=self.limits)
        if kind == "request":
            self.only_key(mapping, path, kind)
            fields = ctx.mapping(value, f"{path}.request", "a request mapping with method and url")
            if fields is None:
                return None
            return self.request(fields, f"{path}.request", scope, method=None, line=mapping.line)
        method = kind.upper()
        if isinstance(value, YMap):
            self.only_key(mapping, path, kind)
            return self.request(value, f"{path}.{kind}", scope, method=method, line=mapping.line)
        # ``- get: /url`` with request fields next to it.
        return self.request(
            mapping, path, scope, method=method, line=mapping.line, url_node=value, verb=kind
        )

    def request(
        self,
        fields: YMap,
        path: str,
        scope: Scope,
        *,
        method: str | None,
        line: int,
        url_node: YNode | None = None,
        verb: str | None = None,
    ) -> RequestStep | None:
        ctx = self.ctx
        before = len(ctx.issues)
        allowed = [k for k in _REQUEST_KEYS if not (url_node is not None and k == "url")]
        if verb is not None:
            allowed.append(verb)
        misspelled = ctx.check_keys(fields, path, allowed)
        if method is not None:
            key = fields.key("method")
            if key is not None:
                ctx.error(key.line, path, f"the method is already {method}; remove 'method'")
        else:
            method = self.method(fields, path, "method" in misspelled)
        if url_node is None:
            url_node = fields.get("url")
            if url_node is None and "url" not in misspelled:
                ctx.error(fields.line, path, "missing 'url'; add e.g. url: /api/chat")
        url = None
        url_path = f"{path}.{verb}" if verb else f"{path}.url"
        if url_node is not None:
            url = tracked(ctx, scope, url_node, url_path)
            if url is not None:
                check_url(ctx, url, url_node.line, url_path)

        name = step_name(ctx, fields, path)
        headers, query = read_headers_query(ctx, scope, fields, path)
        _, body = read_body(ctx, scope, fields, path)
        checks = None
        if (node := fields.get("expect")) is not None:
            checks = read_expect(ctx, node, f"{path}.expect")
        captures, request_timeouts, think = read_tail(ctx, scope, fields, path, self.limits)
        if len(ctx.issues) != before or method is None or url is None:
            return None
        return RequestStep(
            # A default name comes from the URL as written; a literal secret in it
            # (?api_key=…) must not become a metric tag in every output.
            name=name or redact(f"{method} {url.source}"),
            method=method,
            url=url,
            headers=headers or (),
            query=query or (),
            body=body,
            checks=checks or (),
            captures=captures or (),
            timeouts=request_timeouts,
            think=think,
            line=line,
        )

    def only_key(self, step: YMap, path: str, kind: str) -> None:
        for key, _ in step.items:
            if key.text != kind:
                self.ctx.error(
                    key.line,
                    path,
                    f"'{key.text}' must go inside the {kind} mapping, "
                    "or start a new step with '- '",
                )

    def method(self, fields: YMap, path: str, misspelled: bool) -> str | None:
        node = fields.get("method")
        if node is None:
            if not misspelled:
                self.ctx.error(fields.line, path, "missing 'method'; add e.g. method: POST")
            return None
        text = self.ctx.text(node, f"{path}.method", expected="an HTTP method such as POST")
        if text is None:
            return None
        method = text.strip().upper()
        if method not in _METHODS:
            guess = did_you_mean(method, _METHODS)
            hint = f"did you mean {guess}?" if guess else "use one of " + ", ".join(_METHODS)
            self.ctx.error(node.line, f"{path}.method", f"unknown HTTP method '{text}'; {hint}")
            return None
        return method
