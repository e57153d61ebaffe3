"""The ``load`` section and the command line's load overrides.

Six shapes, exactly one per file:

* ``vus`` + ``duration`` — constant virtual users (closed model);
* ``stages`` — ramped virtual users (closed model);
* ``rate`` + ``duration`` — constant arrival rate (open model);
* ``rate_stages`` — ramped arrival rate (open model);
* ``shape`` (+ ``model: closed|open``) — ``[time, target]`` points joined by
  straight lines;
* ``preset`` — a named test type and its parameters (:mod:`._preset`).

A constant load is a single flat stage starting at its own target, which is how
overrides recognise it.

Command-line precedence, lowest first: the file's ``load``; ``--preset``, which
replaces it (the section is then not read, as ``config.target`` with
``--target``); ``--vus``/``--rate``/``--duration``, which set a preset's level
and total length, or else replace the load with a constant one; ``--scale``,
applied last to whatever resulted.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from types import MappingProxyType

from agentload.profiles import (
    MAX_VUS,
    ClosedModel,
    LoadModel,
    OpenModel,
    Stage,
)
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode, YScalar
from agentload.scenario._preset import (
    PresetLoad,
    apply_overrides,
    preset_from_cli,
    read_preset,
    with_options,
)
from agentload.scenario._rates import read_rate
from agentload.scenario._shape_ref import SHAPE_REF_KEYS, read_shape_ref

__all__ = ["DEFAULT_LOAD", "apply_overrides", "read_load"]

DEFAULT_LOAD = ClosedModel(stages=(Stage(10.0, 1.0),), start_vus=1)
"""The load when a file has no ``load`` section: 1 VU for 10 s."""

_CLASSIC = ("vus", "stages", "rate", "rate_stages")
_SHAPES = (*_CLASSIC, "shape", "preset")
_CLOSED_ONLY = ("start_vus", "graceful_ramp_down")
_OPEN_ONLY = ("start_rate", "max_vus", "pre_allocated_vus", "poisson", "seed", "max_queue")
_KEYS = (*_SHAPES, "model", "duration", "graceful_stop", *_CLOSED_ONLY, *_OPEN_ONLY)
# Options a preset takes besides its parameters: everything but the start value,
# which the preset's shape decides.
_PRESET_OPTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "closed": ("graceful_stop", "graceful_ramp_down"),
        "open": ("graceful_stop", *_OPEN_ONLY[1:]),
    }
)
_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})
_OPEN_DEFAULTS = OpenModel(stages=())


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
        target = _target(ctx, target_node, f"{where}.target", open_model) if target_node else None
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


def _target(ctx: Ctx, node: YNode, path: str, open_model: bool) -> float | None:
    if open_model:
        return read_rate(ctx, node, path, positive=False)
    vus = ctx.integer(node, path, minimum=0, maximum=MAX_VUS, what="a VU count")
    return None if vus is None else float(vus)


def _points(ctx: Ctx, node: YNode, *, open_model: bool) -> tuple[float, tuple[Stage, ...]] | None:
    """``load.shape``: the start value and the stages between consecutive points."""
    example = "[[0s, 0], [30s, 50], [60s, 50], [90s, 0]]"
    seq = ctx.sequence(node, "load.shape", f"a list of [time, target] points such as {example}")
    if seq is None:
        return None
    points: list[tuple[float, float]] = []
    ok = True
    for i, item in enumerate(seq.items):
        where = f"load.shape[{i}]"
        pair = ctx.sequence(item, where, "a [time, target] point such as [30s, 50]")
        if pair is not None and len(pair.items) != 2:
            count = f"{len(pair.items)} value{'' if len(pair.items) == 1 else 's'}"
            ctx.error(pair.line, where, f"has {count}; write [time, target]")
            pair = None
        if pair is None:
            ok = False
            continue
        t = ctx.duration(pair.items[0], f"{where}[0]")
        value = _target(ctx, pair.items[1], f"{where}[1]", open_model)
        if t is None or value is None:
            ok = False
            continue
        if i == 0 and t != 0:
            ctx.error(item.line, where, f"the first point is at {t:g}s; start the shape at 0s")
            ok = False
        elif points and t < points[-1][0]:
            ctx.error(
                item.line,
                where,
                f"{t:g}s comes before the previous point's {points[-1][0]:g}s; "
                "list the points in time order",
            )
            ok = False
        points.append((t, value))
    if ok and len(points) < 2:
        ctx.error(seq.line, "load.shape", f"a shape needs at least 2 points; e.g. {example}")
    elif ok and points[-1][0] <= 0:
        ctx.error(seq.line, "load.shape", "the points all are at 0s; spread them over time")
    elif ok:
        stages = tuple(Stage(t1 - t0, v1) for (t0, _), (t1, v1) in itertools.pairwise(points))
        return points[0][1], stages
    return None


def _reject(ctx: Ctx, mapping: YMap, keys: tuple[str, ...], why: str) -> None:
    for name in keys:
        key = mapping.key(name)
        if key is not None:
            ctx.error(key.line, f"load.{name}", f"{why}; remove it")


def read_load(
    ctx: Ctx, node: YNode | None, overrides: Mapping[str, str] = _NO_OVERRIDES
) -> LoadModel | None:
    """Read ``load`` and apply the command line's overrides (see the module doc).

    The default when absent; ``None`` (with issues) when invalid.
    """
    if "preset" in overrides:
        return apply_overrides(ctx, preset_from_cli(ctx, overrides["preset"]), overrides)
    return apply_overrides(ctx, _read_section(ctx, node), overrides)


def _read_section(ctx: Ctx, node: YNode | None) -> LoadModel | PresetLoad | None:
    if node is None:
        return DEFAULT_LOAD
    mapping = ctx.mapping(node, "load", "a mapping such as {vus: 10, duration: 30s}")
    if mapping is None:
        return None
    shape_node = mapping.get("shape")
    if isinstance(shape_node, YScalar):  # shape: FILE.py:FUNCTION (scenario/_shape_ref.py)
        allowed = (*SHAPE_REF_KEYS, *_PRESET_OPTIONS["closed"], *_OPEN_ONLY[1:])
        ctx.check_keys(mapping, "load", allowed)
        return read_shape_ref(ctx, mapping, _options)
    if mapping.key("preset") is not None:
        spec = read_preset(ctx, mapping, options=_PRESET_OPTIONS, load_keys=_KEYS)
        if spec is None:
            return None
        given = _options(ctx, mapping, open_model=spec.preset.model == "open", preset=True)
        return None if given is None else dataclasses.replace(spec, options=given)
    ctx.check_keys(mapping, "load", _KEYS)
    shapes = [k for k in _SHAPES if mapping.get(k) is not None]
    if len(shapes) > 1:
        second = mapping.key(shapes[1])
        assert second is not None
        keep = _CLASSIC if set(shapes) <= set(_CLASSIC) else _SHAPES[:-1]
        ctx.error(
            second.line,
            "load",
            f"{' and '.join(shapes)} cannot be used together; keep one of "
            f"{', '.join(keep[:-1])} or {keep[-1]}",
        )
        return None
    shape = shapes[0] if shapes else "vus"
    return _read_model(ctx, mapping, shape, shape in shapes)


def _open_shape(ctx: Ctx, mapping: YMap, shape: str) -> bool:
    if shape != "shape":
        _reject(ctx, mapping, ("model",), "only applies to shape")
        return shape in ("rate", "rate_stages")
    model_node = mapping.get("model")
    if model_node is None:
        return False
    return ctx.choice(model_node, "load.model", ("closed", "open")) == "open"


def _read_model(ctx: Ctx, mapping: YMap, shape: str, written: bool) -> LoadModel | None:
    """Every shape but a preset: its stages, start value and options."""
    before = len(ctx.issues)
    open_model = _open_shape(ctx, mapping, shape)
    if open_model:
        _reject(ctx, mapping, _CLOSED_ONLY, f"only applies to {_closed_names(shape)} loads")
    else:
        _reject(ctx, mapping, _OPEN_ONLY, f"only applies to {_open_names(shape)} loads")
    if shape == "vus":
        _reject(ctx, mapping, ("start_vus",), "only applies to stages; use vus")
    if shape == "shape":
        start_key = "start_rate" if open_model else "start_vus"
        _reject(
            ctx, mapping, (start_key,), "does not apply to shape (its first point is the start)"
        )
        _reject(ctx, mapping, ("duration",), "does not apply to shape (the points give the times)")
    if shape in ("stages", "rate_stages"):
        _reject(ctx, mapping, ("duration",), "does not apply to stages (each has its own duration)")

    stages: tuple[Stage, ...] | None = None
    start: float | None = None
    if shape in ("vus", "rate"):
        stages = _constant(ctx, mapping, shape, written)
        start = stages[0].target if stages else None
    elif shape == "shape":
        shape_node = mapping.get("shape")
        assert shape_node is not None
        points = _points(ctx, shape_node, open_model=open_model)
        start, stages = points if points else (None, None)
    else:
        shape_node = mapping.get(shape)
        assert shape_node is not None
        stages = _stages(ctx, shape_node, f"load.{shape}", open_model=open_model)
        start = _start(ctx, mapping, open_model)
    if open_model and shape == "rate":
        _reject(ctx, mapping, ("start_rate",), "only applies to rate_stages; use rate")
    options = _options(ctx, mapping, open_model=open_model)
    if stages is None or start is None or options is None:
        return None
    if start <= 0 and all(s.target <= 0 for s in stages):
        zero = "has a rate of 0" if open_model else "targets 0 VUs"
        ctx.error(mapping.line, "load", f"every stage {zero}; give a stage a target")
        return None
    model: LoadModel = (
        OpenModel(stages=stages, start_rate=start)
        if open_model
        else ClosedModel(stages=stages, start_vus=int(start))
    )
    model = with_options(model, options)
    # Any issue in the section means the model is not trustworthy.
    return model if len(ctx.issues) == before else None


def _closed_names(shape: str) -> str:
    return "closed (model: closed)" if shape == "shape" else "vus and stages"


def _open_names(shape: str) -> str:
    return "open (model: open)" if shape == "shape" else "rate and rate_stages"


def _constant(ctx: Ctx, mapping: YMap, shape: str, written: bool) -> tuple[Stage, ...] | None:
    duration_node = mapping.get("duration")
    duration: float | None = 10.0
    if duration_node is not None:
        duration = ctx.duration(duration_node, "load.duration", positive=True)
    elif written:
        ctx.error(mapping.line, "load", f"'{shape}' needs a duration; add e.g. duration: 30s")
        duration = None
    level_node = mapping.get(shape)
    level: float | None = 1.0
    if shape == "vus" and level_node is not None:
        vus = ctx.integer(level_node, "load.vus", minimum=1, maximum=MAX_VUS, what="a VU count")
        level = None if vus is None else float(vus)
    elif level_node is not None:
        level = read_rate(ctx, level_node, "load.rate", positive=True)
    return None if duration is None or level is None else (Stage(duration, level),)


def _start(ctx: Ctx, mapping: YMap, open_model: bool) -> float:
    """``start_vus`` or ``start_rate`` of a staged load (0 when absent or invalid)."""
    name = "start_rate" if open_model else "start_vus"
    node = mapping.get(name)
    if node is None:
        return 0.0
    if open_model:
        return read_rate(ctx, node, "load.start_rate", positive=False) or 0.0
    return float(ctx.integer(node, "load.start_vus", minimum=0, what="a VU count") or 0)


def _options(
    ctx: Ctx, mapping: YMap, *, open_model: bool, preset: bool = False
) -> dict[str, object] | None:
    """The model options given (graceful periods, VU pool, arrivals); ``None`` if invalid.

    A preset's pool is defaulted and checked when it is compiled, against the
    preset's own defaults.
    """
    before = len(ctx.issues)
    out: dict[str, object] = {}
    durations = ("graceful_stop",) if open_model else ("graceful_stop", "graceful_ramp_down")
    for name in durations:
        node = mapping.get(name)
        if node is not None:
            out[name] = ctx.duration(node, f"load.{name}")
    if open_model:
        for name, minimum in (
            ("max_vus", 1),
            ("pre_allocated_vus", 0),
            ("max_queue", 0),
            ("seed", None),
        ):
            node = mapping.get(name)
            if node is not None:
                out[name] = ctx.integer(node, f"load.{name}", minimum=minimum)
        node = mapping.get("poisson")
        if node is not None:
            out["poisson"] = ctx.boolean(node, "load.poisson")
        if not preset:
            _check_pool(ctx, mapping, out)
    return out if len(ctx.issues) == before else None


def _check_pool(ctx: Ctx, mapping: YMap, options: dict[str, object]) -> None:
    """Default and check the VU pool of an open (non-preset) load."""
    cap, pre = options.get("max_vus"), options.get("pre_allocated_vus")
    if isinstance(cap, int) and pre is None:
        # Never pre-allocate more than the cap when only max_vus is given.
        options["pre_allocated_vus"] = min(_OPEN_DEFAULTS.pre_allocated_vus, cap)
    max_vus = cap if isinstance(cap, int) else _OPEN_DEFAULTS.max_vus
    if isinstance(pre, int) and pre > max_vus:
        key = mapping.key("pre_allocated_vus")
        ctx.error(
            key.line if key else mapping.line,
            "load.pre_allocated_vus",
            f"{pre} is more than max_vus ({max_vus}); lower it or raise max_vus",
        )
