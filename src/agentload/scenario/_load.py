"""The ``load`` section and the command line's ``--vus/--rate/--duration`` overrides.

Four shapes, exactly one per file:

* ``vus`` + ``duration`` — constant virtual users (closed model);
* ``stages`` — ramped virtual users (closed model);
* ``rate`` + ``duration`` — constant arrival rate (open model);
* ``rate_stages`` — ramped arrival rate (open model).

A constant load is a single flat stage starting at its own target, which is how
overrides recognise it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping

from agentload._units import parse_duration
from agentload.profiles.model import ClosedModel, LoadModel, OpenModel, Stage
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode

__all__ = ["DEFAULT_LOAD", "apply_overrides", "read_load"]

DEFAULT_LOAD = ClosedModel(stages=(Stage(10.0, 1.0),), start_vus=1)
"""The load when a file has no ``load`` section: 1 VU for 10 s."""

_SHAPES = ("vus", "stages", "rate", "rate_stages")
_CLOSED_ONLY = ("start_vus", "graceful_ramp_down")
_OPEN_ONLY = ("start_rate", "max_vus", "pre_allocated_vus", "poisson", "seed", "max_queue")
_KEYS = (*_SHAPES, "duration", "graceful_stop", *_CLOSED_ONLY, *_OPEN_ONLY)
_RATE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_RATE_HELP = "a rate in iterations per second such as 50, or 50/s, 600/m, 3600/h"


def _parse_rate(value: object) -> float | None:
    """Iterations per second from ``50``, ``"50/s"``, ``"600/m"``; ``None`` if not a rate."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _RATE.fullmatch(value)
        if match:
            return float(match.group(1)) / _PER[match.group(2)]
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _rate(ctx: Ctx, node: YNode, path: str, *, positive: bool) -> float | None:
    scalar = ctx.scalar(node, path, _RATE_HELP)
    if scalar is None:
        return None
    rate = _parse_rate(scalar.value)
    if rate is None:
        ctx.wrong_type(node, path, _RATE_HELP)
        return None
    return ctx.check_range(rate, node.line, path, positive=positive)


def _stages(ctx: Ctx, node: YNode, path: str, *, open_model: bool) -> tuple[Stage, ...] | None:
    example = "{duration: 30s, target: " + ("50}" if open_model else "10}")
    seq = ctx.sequence(node, path, f"a list of stages such as [{example}]")
    if seq is None:
        return None
    if not seq.items:
        ctx.error(seq.line, path, f"the list is empty; add stages such as {example}")
        return None
    stages: list[Stage] = []
    ok = True
    for i, item in enumerate(seq.items):
        where = f"{path}[{i}]"
        stage = ctx.mapping(item, where, f"a stage such as {example}")
        if stage is None:
            ok = False
            continue
        ctx.check_keys(stage, where, ("duration", "target"))
        duration_node, target_node = stage.get("duration"), stage.get("target")
        for name, value in (("duration", duration_node), ("target", target_node)):
            if value is None:
                ctx.error(stage.line, where, f"missing '{name}'; write a stage as {example}")
        duration = ctx.duration(duration_node, f"{where}.duration") if duration_node else None
        target: float | None = None
        if target_node is not None:
            if open_model:
                target = _rate(ctx, target_node, f"{where}.target", positive=False)
            else:
                vus = ctx.integer(target_node, f"{where}.target", minimum=0, what="a VU count")
                target = None if vus is None else float(vus)
        if duration is None or target is None:
            ok = False
            continue
        stages.append(Stage(duration, target))
    if not ok:
        return None
    if sum(s.duration for s in stages) <= 0:
        ctx.error(seq.line, path, "the stages last 0 s in total; give the stages durations")
        return None
    return tuple(stages)


def _reject(ctx: Ctx, mapping: YMap, keys: tuple[str, ...], why: str) -> None:
    for name in keys:
        key = mapping.key(name)
        if key is not None:
            ctx.error(key.line, f"load.{name}", f"{why}; remove it")


def read_load(ctx: Ctx, node: YNode | None) -> LoadModel | None:
    """Read ``load``; the default when absent; ``None`` (with issues) when invalid."""
    if node is None:
        return DEFAULT_LOAD
    mapping = ctx.mapping(node, "load", "a mapping such as {vus: 10, duration: 30s}")
    if mapping is None:
        return None
    ctx.check_keys(mapping, "load", _KEYS)
    shapes = [k for k in _SHAPES if mapping.get(k) is not None]
    if len(shapes) > 1:
        second = mapping.key(shapes[1])
        assert second is not None
        ctx.error(
            second.line,
            "load",
            f"{' and '.join(shapes)} cannot be used together; keep one of vus, stages, "
            "rate or rate_stages",
        )
        return None
    shape = shapes[0] if shapes else "vus"
    before = len(ctx.issues)
    open_model = shape in ("rate", "rate_stages")
    if open_model:
        _reject(ctx, mapping, _CLOSED_ONLY, "only applies to vus and stages loads")
    else:
        _reject(ctx, mapping, _OPEN_ONLY, "only applies to rate and rate_stages loads")
        if shape == "vus":
            _reject(ctx, mapping, ("start_vus",), "only applies to stages; use vus")
    if shape in ("stages", "rate_stages"):
        _reject(ctx, mapping, ("duration",), "does not apply to stages (each has its own duration)")

    def get(name: str) -> YNode | None:
        return mapping.get(name)

    stages: tuple[Stage, ...] | None = None
    if shape in ("vus", "rate"):
        duration_node = get("duration")
        duration: float | None = 10.0
        if duration_node is not None:
            duration = ctx.duration(duration_node, "load.duration", positive=True)
        elif shape in shapes:
            ctx.error(mapping.line, "load", f"'{shape}' needs a duration; add e.g. duration: 30s")
            duration = None
        shape_node = get(shape)
        level: float | None = 1.0
        if shape == "vus" and shape_node is not None:
            vus = ctx.integer(shape_node, "load.vus", minimum=1, what="a VU count")
            level = None if vus is None else float(vus)
        elif shape_node is not None:
            level = _rate(ctx, shape_node, "load.rate", positive=True)
        if duration is not None and level is not None:
            stages = (Stage(duration, level),)
    else:
        shape_node = get(shape)
        assert shape_node is not None
        stages = _stages(ctx, shape_node, f"load.{shape}", open_model=open_model)

    graceful_stop = _optional_duration(ctx, mapping, "graceful_stop", 30.0)
    model: LoadModel | None = None
    if open_model:
        model = _open(ctx, mapping, stages, shape, graceful_stop)
    elif stages is not None:
        start_node = get("start_vus")
        start = int(stages[0].target) if shape == "vus" else 0
        if start_node is not None and shape == "stages":
            start = ctx.integer(start_node, "load.start_vus", minimum=0, what="a VU count") or 0
        if start <= 0 and all(s.target <= 0 for s in stages):
            ctx.error(mapping.line, "load", "every stage targets 0 VUs; give a stage a target")
        ramp_down = _optional_duration(ctx, mapping, "graceful_ramp_down", 30.0)
        if ramp_down is not None and graceful_stop is not None:
            model = ClosedModel(
                stages=stages,
                start_vus=start,
                graceful_ramp_down=ramp_down,
                graceful_stop=graceful_stop,
            )
    # Any issue in the section means the model is not trustworthy.
    return model if len(ctx.issues) == before else None


def _optional_duration(ctx: Ctx, mapping: YMap, name: str, default: float) -> float | None:
    node = mapping.get(name)
    return default if node is None else ctx.duration(node, f"load.{name}")


def _optional_int(ctx: Ctx, mapping: YMap, name: str, default: int, minimum: int | None) -> int:
    node = mapping.get(name)
    if node is None:
        return default
    value = ctx.integer(node, f"load.{name}", minimum=minimum)
    return default if value is None else value  # the issue makes the load invalid anyway


def _open(
    ctx: Ctx,
    mapping: YMap,
    stages: tuple[Stage, ...] | None,
    shape: str,
    graceful_stop: float | None,
) -> OpenModel | None:
    start = stages[0].target if stages is not None and shape == "rate" else 0.0
    start_node = mapping.get("start_rate")
    if start_node is not None and shape == "rate_stages":
        start = _rate(ctx, start_node, "load.start_rate", positive=False) or 0.0
    elif start_node is not None:
        _reject(ctx, mapping, ("start_rate",), "only applies to rate_stages; use rate")
    max_vus = _optional_int(ctx, mapping, "max_vus", 100, 1)
    # Never pre-allocate more than the cap when only max_vus is given.
    pre = _optional_int(ctx, mapping, "pre_allocated_vus", min(10, max_vus), 0)
    max_queue = _optional_int(ctx, mapping, "max_queue", 10_000, 0)
    seed = _optional_int(ctx, mapping, "seed", 0, None)
    poisson_node = mapping.get("poisson")
    poisson = (ctx.boolean(poisson_node, "load.poisson") or False) if poisson_node else False
    if pre > max_vus:
        key = mapping.key("pre_allocated_vus")
        ctx.error(
            key.line if key else mapping.line,
            "load.pre_allocated_vus",
            f"{pre} is more than max_vus ({max_vus}); lower it or raise max_vus",
        )
    if stages is None or graceful_stop is None:
        return None
    if start <= 0 and all(s.target <= 0 for s in stages):
        ctx.error(mapping.line, "load", "every stage has a rate of 0; give a stage a target")
        return None
    return OpenModel(
        stages=stages,
        start_rate=start,
        pre_allocated_vus=pre,
        max_vus=max_vus,
        poisson=poisson,
        seed=seed,
        max_queue=max_queue,
        graceful_stop=graceful_stop,
    )


def _is_constant(load: LoadModel) -> bool:
    start = load.start_vus if isinstance(load, ClosedModel) else load.start_rate
    return len(load.stages) == 1 and load.stages[0].target == start


def apply_overrides(
    ctx: Ctx, load: LoadModel | None, overrides: Mapping[str, str]
) -> LoadModel | None:
    """Apply ``--vus``, ``--rate`` and ``--duration`` (strings from the CLI) to ``load``."""
    vus = rate = duration = None
    if "vus" in overrides:
        text = overrides["vus"].strip()
        vus = int(text) if text.isdigit() and int(text) >= 1 else None
        if vus is None:
            message = f"expected a whole number of at least 1, got {text!r}; e.g. --vus 10"
            ctx.error(0, "--vus", message)
    if "rate" in overrides:
        rate = _parse_rate(overrides["rate"].strip())
        if rate is None or not math.isfinite(rate) or rate <= 0:
            got = overrides["rate"]
            ctx.error(0, "--rate", f"expected {_RATE_HELP} (above 0), got {got!r}; e.g. --rate 50")
            rate = None
    if "duration" in overrides:
        try:
            duration = parse_duration(overrides["duration"])
        except ValueError as exc:
            ctx.error(0, "--duration", f"{exc}; e.g. --duration 30s")
        else:
            if duration <= 0 or not math.isfinite(duration):
                ctx.error(0, "--duration", "must be greater than 0; e.g. --duration 30s")
                duration = None
    if "vus" in overrides and "rate" in overrides:
        ctx.error(0, "", "--vus and --rate cannot be used together; pick one")
        return None
    if any(
        k in overrides and v is None
        for k, v in (("vus", vus), ("rate", rate), ("duration", duration))
    ):
        return None
    if load is None or not any(k in overrides for k in ("vus", "rate", "duration")):
        return load
    if vus is None and rate is None:
        assert duration is not None
        if not _is_constant(load):
            ctx.error(
                0,
                "--duration",
                "cannot override stages; use --vus/--rate or edit the stages",
            )
            return None
        return dataclasses.replace(load, stages=(Stage(duration, load.stages[0].target),))
    # --vus/--rate keep the file's total duration unless --duration is given too.
    total = duration if duration is not None else sum(s.duration for s in load.stages)
    if vus is not None:
        closed = load if isinstance(load, ClosedModel) else ClosedModel(stages=())
        return dataclasses.replace(
            closed,
            stages=(Stage(total, float(vus)),),
            start_vus=vus,
            graceful_stop=load.graceful_stop,
        )
    assert rate is not None
    opened = load if isinstance(load, OpenModel) else OpenModel(stages=())
    return dataclasses.replace(
        opened, stages=(Stage(total, rate),), start_rate=rate, graceful_stop=load.graceful_stop
    )
