"""Control-flow steps at run time: loops, conditions, polling, choices, once, pacing, data.

Each compiled step follows :class:`agentload.engine.steps.CompiledStep`:
``run(vu, intended_ns) -> bool``, False meaning "skip the rest of the
iteration". A nested body stops at its first False step and passes the False
up, as a flow does. The intended start of an open-model iteration belongs to
the first request only, so it is handed to the first nested step and 0 after.

:mod:`agentload.engine.steps` compiles nested steps and requests; it passes
what is needed in a :class:`FlowCompiler` rather than being imported here
(it imports this module). Metrics: ``poll_duration`` and ``data_exhausted``
(docs/metrics.md, "Control flow and data"); errors by kind ``poll_timeout``,
``poll_failed`` and ``script_error``.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from agentload.engine._streamed import render_json
from agentload.engine.feeders import END, Feeder
from agentload.engine.vu import VU, VUState
from agentload.errors import ErrorKind
from agentload.metrics import Recorder
from agentload.protocols.http import Response
from agentload.scenario.model_flow import (
    ChooseStep,
    Condition,
    CondOp,
    DataStep,
    IfStep,
    LoopStep,
    OnceStep,
    PaceStep,
    PollStep,
)
from agentload.scenario.parts import Check, VarRef

if TYPE_CHECKING:
    from agentload.engine.steps import CompiledStep
    from agentload.scenario.model import RequestStep, Step

__all__ = [
    "FLOW_STEPS",
    "FlowCompiler",
    "ObservedRequest",
    "compile_flow",
    "condition_holds",
]

FLOW_STEPS = (LoopStep, IfStep, PollStep, ChooseStep, OnceStep, PaceStep, DataStep)
"""The step types :func:`compile_flow` compiles."""

FlowStep = LoopStep | IfStep | PollStep | ChooseStep | OnceStep | PaceStep | DataStep


class ObservedRequest(Protocol):
    """A compiled request whose responses can be watched (``engine.steps._Request``)."""

    observer: Callable[[VU, Response], None] | None

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Send the request and record it; False when the iteration must stop."""
        ...


@dataclass(frozen=True, slots=True)
class FlowCompiler:
    """What control-flow steps need from the request compiler, bound to one scenario.

    Attributes:
        nested: compiles a list of steps (recursively, any step kind).
        request: compiles one request step whose responses can be observed.
        checks: turns response checks into one predicate: all checks pass.
        scenario: the scenario name (a metric tag).
        recorder: where the series are created, once, at compile time.
    """

    nested: Callable[[Sequence[Step]], tuple[CompiledStep, ...]]
    request: Callable[[RequestStep], ObservedRequest]
    checks: Callable[[Sequence[Check]], Callable[[Response], bool]]
    scenario: str
    recorder: Recorder


def compile_flow(step: FlowStep, compiler: FlowCompiler) -> CompiledStep:
    """Compile one control-flow step (its nested steps through ``compiler.nested``)."""
    if isinstance(step, LoopStep):
        return _Loop(step, compiler)
    if isinstance(step, IfStep):
        return _If(step, compiler)
    if isinstance(step, PollStep):
        return _Poll(step, compiler)
    if isinstance(step, ChooseStep):
        return _Choose(step, compiler)
    if isinstance(step, OnceStep):
        return _Once(compiler.nested(step.steps))
    if isinstance(step, PaceStep):
        return _Pace(step.seconds, compiler.nested(step.steps))
    return _Data(step, compiler)


async def _run_all(steps: tuple[CompiledStep, ...], vu: VU, intended_ns: int) -> bool:
    for step in steps:
        cls = step.__class__
        if cls is _Once and vu.index in step._done:  # type: ignore[attr-defined]
            continue  # nothing to send: the intended start goes to the next step
        if not await step.run(vu, intended_ns):
            return False
        if cls is not _Data:  # a data pick sends nothing either
            intended_ns = 0
    return True


def _error_counter(compiler: FlowCompiler, name: str) -> Callable[[ErrorKind], None]:
    """``errors{kind, name, scenario}``: series created on first use of each kind."""
    adds: dict[ErrorKind, Callable[[float], None]] = {}

    def count(kind: ErrorKind) -> None:
        add = adds.get(kind)
        if add is None:
            tags = (("kind", kind.value), ("name", name), ("scenario", compiler.scenario))
            add = adds[kind] = compiler.recorder.counter("errors", tags).add
        add(1)

    return count


class _Loop:
    __slots__ = ("_body", "_count", "_error", "_items", "_pacing", "_rows", "_source", "_var")

    def __init__(self, step: LoopStep, compiler: FlowCompiler) -> None:
        self._body = compiler.nested(step.steps)
        self._count = step.count
        self._items = step.items
        self._source = step.source
        self._rows = step.data.rows if step.data is not None else None  # every row, in order
        self._var = step.var
        self._pacing = step.pacing
        self._error = _error_counter(compiler, f"loop (line {step.line})")

    def _rounds(self, vu: VU) -> Sequence[object] | None:
        if self._count is not None:
            return range(self._count)
        if self._items is not None:
            return [render_json(item, vu.variables) for item in self._items]
        if self._rows is not None:
            return self._rows
        assert self._source is not None
        value = render_json(self._source, vu.variables)
        if isinstance(value, list | tuple):
            return value
        if isinstance(value, Mapping):
            return list(value.items())
        return None

    async def run(self, vu: VU, intended_ns: int) -> bool:
        try:
            rounds = self._rounds(vu)
        except KeyError:
            rounds = None
        if rounds is None:
            # ``over: ${var}`` that is unset or not a list: the script is wrong for this data.
            self._error(ErrorKind.SCRIPT)
            return False
        body, var, pacing = self._body, self._var, self._pacing
        variables = vu.variables
        for item in rounds:
            if var is not None:
                variables[var] = item
            if pacing is None:
                ok = await _run_all(body, vu, intended_ns)
            else:
                ok = await _paced(pacing, body, vu, intended_ns)
            intended_ns = 0
            if not ok:
                return False
        return True


async def _paced(seconds: float, body: tuple[CompiledStep, ...], vu: VU, intended_ns: int) -> bool:
    start = time.monotonic()
    ok = await _run_all(body, vu, intended_ns)
    left = seconds - (time.monotonic() - start)
    if left > 0:
        await asyncio.sleep(left)
    return ok


class _Pace:
    __slots__ = ("_body", "_seconds")

    def __init__(self, seconds: float, body: tuple[CompiledStep, ...]) -> None:
        self._seconds = seconds
        self._body = body

    async def run(self, vu: VU, intended_ns: int) -> bool:
        if not self._seconds:  # a block (scenario/_control.py finish_scenario)
            return await _run_all(self._body, vu, intended_ns)
        return await _paced(self._seconds, self._body, vu, intended_ns)


_MISSING = object()


def condition_holds(condition: Condition, variables: Mapping[str, object]) -> bool:
    """Whether ``condition`` holds for ``variables`` (an unset variable only ``not_exists``)."""
    try:
        value = VarRef(condition.var).resolve(variables)
    except KeyError:
        value = _MISSING
    op, want = condition.op, condition.value
    if op is CondOp.EXISTS:
        return value is not _MISSING and value is not None
    if op is CondOp.NOT_EXISTS:
        return value is _MISSING or value is None
    if value is _MISSING:
        return False
    if op is CondOp.EQUALS:
        return _same(value, want)
    if op is CondOp.NOT_EQUALS:
        return not _same(value, want)
    if op is CondOp.MATCHES:
        assert isinstance(want, re.Pattern)
        return isinstance(value, str | int | float) and want.search(str(value)) is not None
    if op is CondOp.CONTAINS:
        if isinstance(value, str):
            return isinstance(want, str) and want in value
        if isinstance(value, list | tuple):
            return any(_same(v, want) for v in value)
        return isinstance(value, Mapping) and want in value
    number = _number(value)
    if number is None:
        return False
    assert isinstance(want, int | float)
    if op is CondOp.GT:
        return number > want
    if op is CondOp.GTE:
        return number >= want
    if op is CondOp.LT:
        return number < want
    return number <= want


def _same(value: object, want: object) -> bool:
    # Captured values keep their JSON type, but CSV fields and headers are text:
    # "3" equals 3, and true/false/null compare with their JSON spelling.
    if value == want and type(value) is type(want):
        return True
    if isinstance(value, bool) or isinstance(want, bool):
        return _text(value) == _text(want)
    if isinstance(value, int | float) and isinstance(want, int | float):
        return value == want
    return _text(value) == _text(want)


def _text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


class _If:
    __slots__ = ("_conditions", "_otherwise", "_then")

    def __init__(self, step: IfStep, compiler: FlowCompiler) -> None:
        self._conditions = step.conditions
        self._then = compiler.nested(step.then)
        self._otherwise = compiler.nested(step.otherwise) if step.otherwise else ()

    async def run(self, vu: VU, intended_ns: int) -> bool:
        variables = vu.variables
        if all(condition_holds(c, variables) for c in self._conditions):
            return await _run_all(self._then, vu, intended_ns)
        return await _run_all(self._otherwise, vu, intended_ns)


class _Choose:
    __slots__ = ("_bodies", "_cumulative", "_total")

    def __init__(self, step: ChooseStep, compiler: FlowCompiler) -> None:
        self._bodies = tuple(compiler.nested(steps) for _, steps in step.branches)
        cumulative: list[int] = []
        total = 0
        for weight, _ in step.branches:
            total += weight
            cumulative.append(total)
        self._cumulative = cumulative
        self._total = total

    async def run(self, vu: VU, intended_ns: int) -> bool:
        # bisect_right over running totals: branch i is drawn with weight_i / total.
        i = bisect.bisect_right(self._cumulative, vu.rng.randrange(self._total))
        return await _run_all(self._bodies[i], vu, intended_ns)


class _Once:
    __slots__ = ("_body", "_done")

    def __init__(self, body: tuple[CompiledStep, ...]) -> None:
        self._body = body
        # Indices of the VUs that ran the body to the end; a VU keeps its index for life.
        self._done: set[int] = set()

    async def run(self, vu: VU, intended_ns: int) -> bool:
        if vu.index in self._done:
            return True
        ok = await _run_all(self._body, vu, intended_ns)
        if ok:
            self._done.add(vu.index)
        return ok


class _Poll:
    """Send the request until ``until`` holds; ``poll_duration`` from the first send to done."""

    __slots__ = (
        "_duration",
        "_error",
        "_fail_if",
        "_interval",
        "_request",
        "_timeout",
        "_until",
        "_verdicts",
    )

    _CONTINUE = 0
    _DONE = 1
    _FAILED = 2

    def __init__(self, step: PollStep, compiler: FlowCompiler) -> None:
        self._request = compiler.request(step.request)
        self._request.observer = self._observe
        self._until = compiler.checks(step.until)
        self._fail_if = compiler.checks(step.fail_if) if step.fail_if else None
        self._interval = step.interval
        self._timeout = step.timeout
        tags = (("name", step.name), ("scenario", compiler.scenario))
        self._duration = compiler.recorder.trend("poll_duration", tags).add
        self._error = _error_counter(compiler, step.name)
        # The verdict on each VU's latest response, by VU index: the observer runs
        # inside the request's ``run``, and several VUs poll through one compiled step.
        self._verdicts: dict[int, int] = {}

    def _observe(self, vu: VU, response: Response) -> None:
        if self._fail_if is not None and self._fail_if(response):
            self._verdicts[vu.index] = self._FAILED
        elif self._until(response):
            self._verdicts[vu.index] = self._DONE
        else:
            self._verdicts[vu.index] = self._CONTINUE

    async def run(self, vu: VU, intended_ns: int) -> bool:
        start = time.monotonic_ns()
        deadline = start + int(self._timeout * 1e9)
        verdicts = self._verdicts
        while True:
            ok = await self._request.run(vu, intended_ns)
            intended_ns = 0
            verdict = verdicts.pop(vu.index, None)
            if not ok or verdict is None:
                return False  # the request failed; its error is counted already
            if verdict == self._DONE:
                self._duration((time.monotonic_ns() - start) // 1000)
                return True
            if verdict == self._FAILED:
                self._error(ErrorKind.POLL_FAILED)
                return False
            now = time.monotonic_ns()
            if now + int(self._interval * 1e9) >= deadline:
                self._error(ErrorKind.POLL_TIMEOUT)
                return False
            await asyncio.sleep(self._interval)


class _Data:
    """Put this iteration's rows in the VU's variables; stop the VU when a feeder ran out."""

    __slots__ = ("_exhausted", "_feeders")

    def __init__(self, step: DataStep, compiler: FlowCompiler) -> None:
        self._feeders = tuple((Feeder(s), s.variable, s.top_level) for s in step.sources)
        self._exhausted = {
            s.name: compiler.recorder.counter(
                "data_exhausted", (("data", s.name), ("scenario", compiler.scenario))
            ).add
            for s in step.sources
        }

    async def run(self, vu: VU, intended_ns: int) -> bool:
        variables = vu.variables
        for feeder, var, top_level in self._feeders:
            row = feeder.pick(vu)
            if row is END:
                self._exhausted[feeder.source.name](1)
                if vu.state is VUState.RUNNING:
                    vu.transition(VUState.STOPPING)
                return False
            variables[var] = row
            if top_level and isinstance(row, Mapping):
                variables.update(row)
        return True
