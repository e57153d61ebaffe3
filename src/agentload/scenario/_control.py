"""Reading control-flow steps: ``loop``, ``if``, ``poll``, ``choose``, ``once``; scenario extras.

The flow reader (:mod:`agentload.scenario._flow`) hands each of these step
kinds here with itself as ``reader``, so nested steps are read by the same
code as top-level ones, with the same scope of variables. The format is in
docs/scenario-format.md ("Control flow").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Protocol

from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._expect import read_expect
from agentload.scenario._nodes import YKey, YMap, YNode, YScalar, YSeq
from agentload.scenario._templates import is_var_name
from agentload.scenario._values import Scope, json_value, plain_value, tracked
from agentload.scenario.model import RequestStep, Step
from agentload.scenario.model_flow import (
    ChooseStep,
    Condition,
    CondOp,
    DataSource,
    DataStep,
    IfStep,
    LoopStep,
    OnceStep,
    PaceStep,
    PollStep,
)
from agentload.scenario.parts import JsonValue, Template, VarRef

__all__ = ["CONTROL_STEPS", "SCENARIO_EXTRAS", "StepReader", "finish_scenario", "read_control"]

CONTROL_STEPS = ("loop", "if", "poll", "choose", "once")
"""Step kinds read here."""
SCENARIO_EXTRAS = ("on_start", "pacing")
"""Scenario keys read here (beside name, weight and flow)."""

_VERBS = ("get", "post", "put", "patch", "delete", "head")
_LOOP_KEYS = ("count", "over", "as", "pacing", "steps")
_IF_KEYS = ("if", "then", "else")
_POLL_KEYS = ("name", "request", *_VERBS, "until", "fail_if", "interval", "timeout")
_CONDITION_OPS = tuple(op.value for op in CondOp)
_MAX_COUNT = 1_000_000
_DEFAULT_INTERVAL = 1.0
_DEFAULT_TIMEOUT = 60.0


class StepReader(Protocol):
    """What this module needs from the flow reader."""

    ctx: Ctx

    @property
    def data(self) -> Mapping[str, DataSource]:
        """The data feeders, by name."""
        ...

    def steps(self, node: YNode, path: str, scope: Scope) -> tuple[Step, ...] | None:
        """A list of steps (``None`` after recording issues)."""
        ...

    def step(self, node: YNode, path: str, scope: Scope) -> Step | None:
        """One step."""
        ...

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
        """A request from its fields."""
        ...


def read_control(reader: StepReader, kind: str, step: YMap, path: str, scope: Scope) -> Step | None:
    """The ``kind`` step written as the mapping ``step`` (``- loop: {…}``)."""
    ctx = reader.ctx
    if kind == "if":
        return _read_if(reader, step, path, scope)
    for key, _ in step.items:
        if key.text != kind:
            ctx.error(
                key.line, path, f"'{key.text}' must go inside {kind}, or start a new step with '- '"
            )
    value = step.get(kind)
    assert value is not None
    where = f"{path}.{kind}"
    if kind == "once":
        body = reader.steps(value, where, scope)
        return None if body is None else OnceStep(body, step.line)
    if kind == "choose":
        return _read_choose(reader, value, where, scope, step.line)
    fields = ctx.mapping(
        value,
        where,
        "a mapping with count or over, and steps"
        if kind == "loop"
        else "a mapping with a request (get: /url), until, interval and timeout",
    )
    if fields is None:
        return None
    if kind == "loop":
        return _read_loop(reader, fields, where, scope, step.line)
    return _read_poll(reader, fields, where, scope, step.line)


# -- loop ------------------------------------------------------------------


def _read_loop(
    reader: StepReader, fields: YMap, path: str, scope: Scope, line: int
) -> LoopStep | None:
    ctx = reader.ctx
    before = len(ctx.issues)
    misspelled = ctx.check_keys(fields, path, _LOOP_KEYS)
    count_node, over_node = fields.get("count"), fields.get("over")
    count: int | None = None
    items: tuple[JsonValue, ...] | None = None
    source: Template | None = None
    data: DataSource | None = None
    if count_node is None and over_node is None and misspelled & {"count", "over"}:
        pass  # the misspelled key was reported
    elif (count_node is None) == (over_node is None):
        ctx.error(
            fields.line,
            path,
            "give exactly one of count (a number of rounds) or over (a list, ${var} "
            "or a data feeder's name)",
        )
    elif count_node is not None:
        count = ctx.integer(count_node, f"{path}.count", minimum=0, maximum=_MAX_COUNT)
    elif over_node is not None:
        items, source, data = _read_over(reader, over_node, f"{path}.over", scope)
    var: str | None = "item" if over_node is not None else None
    if (node := fields.get("as")) is not None:
        var = _var_name(ctx, node, f"{path}.as")
    if var is not None:
        scope.captured.setdefault(var, line)
    pacing = None
    if (node := fields.get("pacing")) is not None:
        pacing = ctx.duration(node, f"{path}.pacing", positive=True)
    steps_node = fields.get("steps")
    body = None
    if steps_node is None:
        ctx.error(fields.line, path, "missing 'steps'; add the list of steps to repeat")
    else:
        body = reader.steps(steps_node, f"{path}.steps", scope)
    if len(ctx.issues) != before or body is None:
        return None
    return LoopStep(
        steps=body,
        count=count,
        items=items,
        source=source,
        data=data,
        var=var,
        pacing=pacing,
        line=line,
    )


def _read_over(
    reader: StepReader, node: YNode, path: str, scope: Scope
) -> tuple[tuple[JsonValue, ...] | None, Template | None, DataSource | None]:
    ctx = reader.ctx
    if isinstance(node, YSeq):
        if not node.items:
            ctx.error(node.line, path, "the list is empty; add the items to loop over")
            return None, None, None
        values = [json_value(ctx, scope, item, f"{path}[{i}]") for i, item in enumerate(node.items)]
        if not all(ok for ok, _ in values):
            return None, None, None
        return tuple(v for _, v in values), None, None
    expected = "a list, a ${variable} holding a list, or the name of a data feeder"
    if not isinstance(node, YScalar) or not isinstance(node.value, str):
        ctx.wrong_type(node, path, expected)
        return None, None, None
    if len(node.parts) == 1 and isinstance(node.parts[0], VarRef):
        return None, tracked(ctx, scope, node, path), None
    name = ctx.text(node, path, expected=expected)
    if name is None:
        return None, None, None
    source = reader.data.get(name)
    if source is None:
        guess = did_you_mean(name, reader.data)
        hint = (
            f"did you mean '{guess}'?"
            if guess
            else "write a list, ${var}, or a name from the data section"
        )
        ctx.error(node.line, path, f"'{name}' is not a data feeder; {hint}")
        return None, None, None
    return None, None, source


def _var_name(ctx: Ctx, node: YNode, path: str) -> str | None:
    name = ctx.text(node, path, expected="a variable name")
    if name is not None and not is_var_name(name):
        ctx.error(
            node.line,
            path,
            f"'{name}' is not a valid variable name; use letters, digits and '_' (e.g. item)",
        )
        return None
    return name


# -- if --------------------------------------------------------------------


def _read_if(reader: StepReader, step: YMap, path: str, scope: Scope) -> IfStep | None:
    ctx = reader.ctx
    before = len(ctx.issues)
    ctx.check_keys(step, path, _IF_KEYS)
    node = step.get("if")
    assert node is not None
    conditions = _read_conditions(ctx, node, f"{path}.if", scope)
    then = otherwise = None
    then_node = step.get("then")
    if then_node is None:
        ctx.error(step.line, path, "missing 'then'; add the steps to run when the condition holds")
    else:
        then = reader.steps(then_node, f"{path}.then", scope)
    if (else_node := step.get("else")) is not None:
        otherwise = reader.steps(else_node, f"{path}.else", scope)
    if len(ctx.issues) != before or conditions is None or then is None:
        return None
    return IfStep(conditions, then, otherwise or (), step.line)


def _read_conditions(
    ctx: Ctx, node: YNode, path: str, scope: Scope
) -> tuple[Condition, ...] | None:
    """One ``{var: x, op: value}`` or a list of them (all must hold)."""
    if isinstance(node, YSeq):
        if not node.items:
            ctx.error(node.line, path, "the list is empty; add a condition such as {var: x, ...}")
            return None
        found = [
            _read_condition(ctx, item, f"{path}[{i}]", scope) for i, item in enumerate(node.items)
        ]
        conditions = [c for c in found if c is not None]
        return tuple(conditions) if len(conditions) == len(found) else None
    condition = _read_condition(ctx, node, path, scope)
    return None if condition is None else (condition,)


def _read_condition(ctx: Ctx, node: YNode, path: str, scope: Scope) -> Condition | None:
    what = "a condition such as {var: status, equals: done}"
    fields = ctx.mapping(node, path, what)
    if fields is None:
        return None
    ctx.check_keys(fields, path, ("var", *_CONDITION_OPS))
    var_node = fields.get("var")
    var = None
    if var_node is None:
        ctx.error(fields.line, path, "missing 'var'; name the variable to test, e.g. var: status")
    else:
        parts = var_node.parts if isinstance(var_node, YScalar) else ()
        if len(parts) == 1 and type(parts[0]) is VarRef:
            var = parts[0].name  # ``var: ${status}`` means the variable status too
        else:
            var = ctx.text(var_node, f"{path}.var", expected="a variable name")
        if var is not None and not is_var_name(var):
            ctx.error(var_node.line, f"{path}.var", f"'{var}' is not a valid variable name")
            var = None
        if var is not None:
            scope.uses.append((var, var_node.line, f"{path}.var"))
    ops = [(k, v) for k, v in fields.items if k.text in _CONDITION_OPS]
    if len(ops) != 1:
        if len(ops) > 1 or all(k.text == "var" for k, _ in fields.items):
            ctx.error(
                fields.line,
                path,
                f"give exactly one test ({len(ops)} given): " + ", ".join(_CONDITION_OPS),
            )
        return None
    key, value = ops[0]
    op, operand = _operand(ctx, key, value, f"{path}.{key.text}")
    if var is None or op is None:
        return None
    return Condition(var, op, operand)


def _operand(ctx: Ctx, key: YKey, node: YNode, path: str) -> tuple[CondOp | None, object]:
    op = CondOp(key.text)
    if op in (CondOp.EXISTS, CondOp.NOT_EXISTS):
        flag = ctx.boolean(node, path)
        if flag is None:
            return None, None
        if not flag:  # ``exists: false`` is ``not_exists: true``
            op = CondOp.NOT_EXISTS if op is CondOp.EXISTS else CondOp.EXISTS
        return op, None
    if op is CondOp.MATCHES:
        pattern = ctx.text(node, path, expected="a regular expression", numbers=True)
        if pattern is None:
            return None, None
        try:
            return op, re.compile(pattern)
        except re.error as exc:
            ctx.error(node.line, path, f"invalid regular expression: {exc}; fix the pattern")
            return None, None
    if op in (CondOp.GT, CondOp.GTE, CondOp.LT, CondOp.LTE):
        scalar = ctx.scalar(node, path, "a number")
        if scalar is None:
            return None, None
        value = scalar.value
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            ctx.wrong_type(node, path, "a number")
            return None, None
        return op, value
    if isinstance(node, YMap | YSeq) and op is CondOp.CONTAINS:
        ctx.wrong_type(node, path, "a single value (text, number, true/false)")
        return None, None
    ok, value = plain_value(ctx, node, path)
    return (op, value) if ok else (None, None)


# -- poll ------------------------------------------------------------------


def _read_poll(
    reader: StepReader, fields: YMap, path: str, scope: Scope, line: int
) -> PollStep | None:
    ctx = reader.ctx
    before = len(ctx.issues)
    misspelled = ctx.check_keys(fields, path, _POLL_KEYS)
    kinds = [k for k in ("request", *_VERBS) if fields.get(k) is not None]
    request: RequestStep | None = None
    if len(kinds) != 1:
        if not (misspelled & {"request", *_VERBS}) or kinds:
            ctx.error(
                fields.line,
                path,
                f"give exactly one request to poll ({len(kinds)} given), "
                "e.g. get: /api/jobs/${job_id}",
            )
    else:
        request = _poll_request(reader, fields, kinds[0], path, scope, line=line)
    until = fail_if = None
    if (node := fields.get("until")) is None:
        if "until" not in misspelled:
            ctx.error(
                fields.line,
                path,
                "missing 'until'; say when polling is done, e.g. until: {json: {$.status: done}}",
            )
    else:
        until = read_expect(ctx, node, f"{path}.until")
    if (node := fields.get("fail_if")) is not None:
        fail_if = read_expect(ctx, node, f"{path}.fail_if")
    interval, timeout = _DEFAULT_INTERVAL, _DEFAULT_TIMEOUT
    if (node := fields.get("interval")) is not None:
        interval = ctx.duration(node, f"{path}.interval", positive=True) or interval
    if (node := fields.get("timeout")) is not None:
        timeout = ctx.duration(node, f"{path}.timeout", positive=True) or timeout
    if interval > timeout:
        ctx.error(
            fields.line,
            path,
            f"the interval ({interval:g}s) is longer than the timeout ({timeout:g}s); "
            "poll more often or wait longer",
        )
    name = None
    if (node := fields.get("name")) is not None:
        name = ctx.text(node, f"{path}.name", expected="a name", numbers=True)
    if len(ctx.issues) != before or request is None or until is None:
        return None
    if not until:
        ctx.error(fields.line, f"{path}.until", "no condition given; add status or json")
        return None
    return PollStep(
        name=name or request.name,
        request=request,
        until=until,
        interval=interval,
        timeout=timeout,
        fail_if=fail_if or (),
        line=line,
    )


def _poll_request(
    reader: StepReader, fields: YMap, kind: str, path: str, scope: Scope, *, line: int
) -> RequestStep | None:
    ctx = reader.ctx
    value = fields.get(kind)
    key = fields.key(kind)
    assert value is not None and key is not None
    where = f"{path}.{kind}"
    if kind == "request":
        mapping = ctx.mapping(value, where, "a request mapping with method and url")
        if mapping is None:
            return None
        request = reader.request(mapping, where, scope, method=None, line=line)
    elif isinstance(value, YMap):
        request = reader.request(value, where, scope, method=kind.upper(), line=line)
    else:
        # ``get: /url``: a request whose only field is its URL.
        only = YMap(((key, value),), fields.line)
        request = reader.request(
            only, path, scope, method=kind.upper(), line=line, url_node=value, verb=kind
        )
    if request is not None and request.think is not None:
        ctx.error(
            value.line,
            where,
            "a polled request cannot have 'think'; the poll's 'interval' is its pause",
        )
        return None
    return request


# -- choose ----------------------------------------------------------------


def _read_choose(
    reader: StepReader, node: YNode, path: str, scope: Scope, line: int
) -> ChooseStep | None:
    ctx = reader.ctx
    seq = ctx.sequence(node, path, "a list of branches ({weight: 2, steps: […]}) or steps")
    if seq is None:
        return None
    if len(seq.items) < 2:
        ctx.error(seq.line, path, "give at least two branches to choose from")
        return None
    before = len(ctx.issues)
    branches: list[tuple[int, tuple[Step, ...]]] = []
    for i, item in enumerate(seq.items):
        where = f"{path}[{i}]"
        if isinstance(item, YMap) and item.get("steps") is not None:
            ctx.check_keys(item, where, ("weight", "steps"))
            weight: int | None = 1
            if (w := item.get("weight")) is not None:
                weight = ctx.integer(w, f"{where}.weight", minimum=1)
            steps_node = item.get("steps")
            assert steps_node is not None
            body = reader.steps(steps_node, f"{where}.steps", scope)
            if weight is not None and body is not None:
                branches.append((weight, body))
        else:
            step = reader.step(item, where, scope)
            if step is not None:
                branches.append((1, (step,)))
    if len(ctx.issues) != before:
        return None
    return ChooseStep(tuple(branches), line)


# -- scenario extras: data, on_start, pacing ---------------------------------


def finish_scenario(
    reader: StepReader,
    mapping: YMap | None,
    steps: tuple[Step, ...] | None,
    scope: Scope,
    path: str,
) -> tuple[Step, ...] | None:
    """The scenario's steps with its data picks, ``on_start`` and ``pacing`` folded in.

    The result is ``[PaceStep(0, [DataStep, PaceStep(pacing, [OnceStep(on_start)] +
    flow)])]`` (parts left out when not used): rows are picked first (a VU whose
    feeder ran out stops before anything else, without waiting for its pacing),
    and pacing covers the login of a first iteration too.
    """
    ctx = reader.ctx
    once: tuple[Step, ...] = ()
    pacing = None
    ok = steps is not None
    if mapping is not None:
        if (node := mapping.get("on_start")) is not None:
            body = reader.steps(node, f"{path}.on_start", scope)
            ok = ok and body is not None
            if body is not None:
                once = (OnceStep(body, node.line),)
        if (node := mapping.get("pacing")) is not None:
            pacing = ctx.duration(node, f"{path}.pacing", positive=True)
            ok = ok and pacing is not None
    data = _data_used(reader.data, scope)
    _allow_dotted(scope, {s.variable for s in reader.data.values() if s.fields()})
    if not ok or steps is None:
        return None
    line = mapping.line if mapping else 0
    flow: tuple[Step, ...] = (*once, *steps)
    # Blocks (PaceStep, 0 s when there is no pacing) rather than a flat list: the
    # engine runs a block's steps itself, and passes an open-model iteration's
    # intended start over the data pick and a finished on_start to the first
    # request (the executor would hand it to the step after the first only).
    if pacing is not None or once:
        flow = (PaceStep(pacing or 0.0, flow, line),)
    if data:
        flow = (PaceStep(0.0, (DataStep(data, data[0].line), *flow), line),)
    return flow


def _data_used(data: Mapping[str, DataSource], scope: Scope) -> tuple[DataSource, ...]:
    """The feeders the scenario's templates refer to; their variables become known."""
    used: list[DataSource] = []
    names = {name for name, _, _ in scope.uses}
    for source in data.values():
        var = source.variable
        fields = source.fields()
        known = {var, *(f"{var}.{f}" for f in fields)}
        if source.top_level:
            known.update(fields)
        if any(n in known or n.startswith(var + ".") for n in names):
            used.append(source)
            for name in known:
                scope.captured.setdefault(name, source.line)
    return tuple(used)


def _allow_dotted(scope: Scope, strict: set[str]) -> None:
    """``${item.id}`` is known when ``item`` is (a loop item, a captured object).

    Not for the ``strict`` heads (data feeders whose fields are known), so a
    misspelled field is reported with a suggestion.
    """
    for name, line, _ in scope.uses:
        head = name.partition(".")[0]
        if head in strict:
            continue
        if name not in scope.captured and head != name and head in scope.captured:
            scope.captured[name] = line
