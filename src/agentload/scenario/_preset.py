"""Presets (``load: {preset: spike, peak: 200}``, ``--preset``) and the other load flags.

A preset is read into a :class:`PresetLoad` — its name, the parameters given
and the model options given — rather than straight into a model, so that the
command line can still change its parameters (``--vus`` sets the preset's
level, ``--duration`` its total length) before it is compiled with
:func:`agentload.profiles.build_preset`. The presets themselves are defined in
:mod:`agentload.profiles.presets`.

:func:`apply_overrides` applies ``--vus``, ``--rate``, ``--duration`` and
``--scale`` to a preset or to any other load; the precedence is described in
:mod:`agentload.scenario._load`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from agentload._units import parse_duration
from agentload.profiles import (
    MAX_RATE,
    MAX_VUS,
    PRESETS,
    ClosedModel,
    LoadModel,
    OpenModel,
    Preset,
    PresetParam,
    Stage,
    build_preset,
    find_preset,
    preset_problems,
    scale_model,
    validate_model,
)
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._nodes import YKey, YMap, YNode
from agentload.scenario._rates import RATE_HELP, parse_rate, read_rate

__all__ = [
    "PresetLoad",
    "apply_overrides",
    "compile_preset",
    "override_preset",
    "preset_from_cli",
    "read_preset",
    "with_options",
]

_SEE = "see docs/scenario-format.md#presets"


@dataclass(frozen=True, slots=True)
class PresetLoad:
    """A preset as written, not yet compiled.

    Attributes:
        name: a key of :data:`~agentload.profiles.PRESETS`.
        values: the parameters given, already type-checked.
        options: model options given (``graceful_stop``, ``max_vus``, …).
        line: where problems found when compiling are reported (0: the command line).
        where: the path in those messages (``load``, ``--preset``, with the
            flags that changed it).
    """

    name: str
    values: Mapping[str, float] = field(default_factory=dict)
    options: Mapping[str, object] = field(default_factory=dict)
    line: int = 0
    where: str = "--preset"

    @property
    def preset(self) -> Preset:
        """The preset's definition."""
        return PRESETS[self.name]


def _read_param(ctx: Ctx, node: YNode, path: str, param: PresetParam) -> float | None:
    minimum = 1 if param.positive else 0
    if param.kind == "vus":
        value = ctx.integer(node, path, minimum=minimum, what="a VU count")
        return None if value is None else float(value)
    if param.kind == "count":
        value = ctx.integer(node, path, minimum=minimum)
        return None if value is None else float(value)
    if param.kind == "duration":
        return ctx.duration(node, path, positive=param.positive)
    return read_rate(ctx, node, path, positive=param.positive)


def _unknown(
    ctx: Ctx, key: YKey, preset: Preset, options: Collection[str], load_keys: Collection[str]
) -> None:
    names = [p.name for p in preset.params]
    if key.text in load_keys:
        message = (
            f"'{key.text}' does not apply to the {preset.name} preset; remove it "
            f"(its parameters are {', '.join(names)}; {_SEE})"
        )
    else:
        guess = did_you_mean(key.text, [*names, *options])
        hint = (
            f"did you mean '{guess}'?"
            if guess
            else f"the {preset.name} preset takes {', '.join(names)} ({_SEE})"
        )
        message = f"unknown key '{key.text}'; {hint}"
    ctx.error(key.line, "load", message)


def read_preset(
    ctx: Ctx,
    mapping: YMap,
    *,
    options: Mapping[str, Collection[str]],
    load_keys: Collection[str],
) -> PresetLoad | None:
    """Read a ``load`` mapping that has a ``preset`` key; ``None`` (with issues) when invalid.

    ``options`` maps ``"closed"``/``"open"`` to the model options a preset of
    that model accepts (they are read by the caller); ``load_keys`` are the
    other keys of the ``load`` section, which get a clearer message than
    "unknown".
    """
    node = mapping.get("preset")
    assert node is not None
    name = ctx.text(node, "load.preset", expected="a preset name such as stress")
    if name is None:
        return None
    try:
        preset = find_preset(name)
    except ValueError as exc:
        ctx.error(node.line, "load.preset", f"{exc} ({_SEE})")
        return None
    allowed = options[preset.model]
    values: dict[str, float] = {}
    ok = True
    for key, value_node in mapping.items:
        if key.text == "preset" or key.text in allowed:
            continue
        param = preset.param(key.text)
        if param is None:
            _unknown(ctx, key, preset, allowed, load_keys)
            ok = False
            continue
        value = _read_param(ctx, value_node, f"load.{key.text}", param)
        if value is None:
            ok = False
        else:
            values[key.text] = value
    return PresetLoad(preset.name, values, {}, node.line, "load") if ok else None


def preset_from_cli(ctx: Ctx, text: str) -> PresetLoad | None:
    """``--preset NAME``: the preset at its defaults; ``None`` (with an issue) when unknown."""
    try:
        preset = find_preset(text.strip())
    except ValueError as exc:
        ctx.error(0, "--preset", f"{exc} ({_SEE})")
        return None
    return PresetLoad(preset.name)


def override_preset(
    ctx: Ctx,
    spec: PresetLoad,
    *,
    vus: int | None,
    rate: float | None,
    duration: float | None,
) -> PresetLoad | None:
    """Apply ``--vus``/``--rate`` (the preset's level) and ``--duration`` (its total length).

    The command line wins over the file: ``--duration`` replaces the file's
    ``duration``, and if the file fixed every phase, the phases all stretch in
    proportion to fit it.
    """
    preset = spec.preset
    values = dict(spec.values)
    flags: list[str] = []
    for flag, value, model in (("--vus", vus, "closed"), ("--rate", rate, "open")):
        if value is None:
            continue
        if preset.model != model:
            runs = (
                "virtual users (closed model); use --vus"
                if preset.model == "closed"
                else "an arrival rate (open model); use --rate"
            )
            ctx.error(0, flag, f"the {preset.name} preset runs {runs} to set its {preset.level}")
            return None
        values[preset.level] = float(value)
        flags.append(flag)
    if duration is not None:
        values.pop("duration", None)
        if preset.phases and all(p in values for p in preset.phases):
            repeat = preset.param(preset.repeat) if preset.repeat else None
            times = values.get(repeat.name, repeat.default or 1) if repeat else 1
            total = sum(values[p] for p in preset.phases) * times
            if total > 0:
                for phase in preset.phases:
                    # Multiply first, as profiles does, so round figures stay exact.
                    values[phase] = values[phase] * duration / total
        values["duration"] = duration
        flags.append("--duration")
    where = f"{spec.where} with {' and '.join(flags)}" if flags else spec.where
    return dataclasses.replace(spec, values=values, where=where)


def with_options(model: LoadModel, options: Mapping[str, object]) -> LoadModel:
    """``model`` with the options read from a ``load`` section (names are model fields)."""
    # Each value was read by the checker for its field; mypy cannot see that.
    return dataclasses.replace(model, **options)  # type: ignore[arg-type]


def compile_preset(ctx: Ctx, spec: PresetLoad) -> LoadModel | None:
    """The model of ``spec``, options applied; ``None`` with every problem reported."""
    problems = preset_problems(spec.name, spec.values)
    if not problems:
        model = build_preset(spec.name, spec.values)
        options = dict(spec.options)
        cap = options.get("max_vus")
        if isinstance(model, OpenModel) and isinstance(cap, int):
            # As for any open load: never pre-allocate more than a given cap by default.
            options.setdefault("pre_allocated_vus", min(model.pre_allocated_vus, cap))
        model = with_options(model, options)
        problems = validate_model(model)
        if not problems:
            return model
    for problem in problems:
        ctx.error(spec.line, spec.where, problem)
    return None


_DIGITS = re.compile(r"[0-9]+")


def _is_constant(load: LoadModel) -> bool:
    start = load.start_vus if isinstance(load, ClosedModel) else load.start_rate
    return len(load.stages) == 1 and load.stages[0].target == start


def _parse_overrides(
    ctx: Ctx, overrides: Mapping[str, str]
) -> tuple[bool, int | None, float | None, float | None, float | None]:
    """``(ok, vus, rate, duration, scale)`` from the flags' text, with an issue per bad one."""
    vus = rate = duration = scale = None
    if "vus" in overrides:
        text = overrides["vus"].strip()
        # ASCII digits only: str.isdigit() also accepts "²", which int() rejects.
        vus = int(text) if _DIGITS.fullmatch(text) and int(text) >= 1 else None
        if vus is None:
            message = f"expected a whole number of at least 1, got {text!r}; e.g. --vus 10"
            ctx.error(0, "--vus", message)
        elif vus > MAX_VUS:
            ctx.error(
                0, "--vus", f"{vus:,} is above the limit of {MAX_VUS:,} VUs per run; lower it"
            )
            vus = None
    if "rate" in overrides:
        rate = parse_rate(overrides["rate"].strip())
        if rate is None or not math.isfinite(rate) or rate <= 0:
            got = overrides["rate"]
            ctx.error(0, "--rate", f"expected {RATE_HELP} (above 0), got {got!r}; e.g. --rate 50")
            rate = None
        elif rate > MAX_RATE:
            ctx.error(
                0, "--rate", f"{rate:,.0f} it/s is above the limit of {MAX_RATE:,.0f}; lower it"
            )
            rate = None
    if "duration" in overrides:
        try:
            duration = parse_duration(overrides["duration"])
        except ValueError as exc:
            ctx.error(0, "--duration", f"{exc}; e.g. --duration 30s")
        else:
            if not math.isfinite(duration):
                ctx.error(
                    0,
                    "--duration",
                    f"must be a finite duration, got {overrides['duration']!r}; "
                    "e.g. --duration 30s",
                )
                duration = None
            elif duration <= 0:
                ctx.error(0, "--duration", "must be greater than 0; e.g. --duration 30s")
                duration = None
    if "scale" in overrides:
        scale = _parse_scale(ctx, overrides["scale"])
    ok = not any(
        k in overrides and v is None
        for k, v in (("vus", vus), ("rate", rate), ("duration", duration), ("scale", scale))
    )
    if "vus" in overrides and "rate" in overrides:
        ctx.error(0, "", "--vus and --rate cannot be used together; pick one")
        ok = False
    return ok, vus, rate, duration, scale


def _parse_scale(ctx: Ctx, text: str) -> float | None:
    try:
        scale = float(text.strip())
    except ValueError:
        scale = None
    if scale is None or not math.isfinite(scale) or scale <= 0:
        ctx.error(0, "--scale", f"expected a number above 0, got {text!r}; e.g. --scale 0.5")
        return None
    return scale


def apply_overrides(
    ctx: Ctx, load: LoadModel | PresetLoad | None, overrides: Mapping[str, str]
) -> LoadModel | None:
    """Apply ``--vus``, ``--rate``, ``--duration`` and then ``--scale`` (text from the CLI).

    On a preset the first three set its parameters before it is compiled; on
    any other load they replace it with a constant one (``--duration`` alone:
    only a constant load). ``--preset`` itself is handled by :func:`read_load`.
    """
    ok, vus, rate, duration, scale = _parse_overrides(ctx, overrides)
    if not ok or load is None:
        return None
    model: LoadModel | None
    if isinstance(load, PresetLoad):
        spec = override_preset(ctx, load, vus=vus, rate=rate, duration=duration)
        model = None if spec is None else compile_preset(ctx, spec)
    else:
        model = _override_model(ctx, load, vus, rate, duration)
    if model is None or scale is None:
        return model
    return scale_model(model, scale)


def _override_model(
    ctx: Ctx, load: LoadModel, vus: int | None, rate: float | None, duration: float | None
) -> LoadModel | None:
    if vus is None and rate is None:
        if duration is None:
            return load
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
