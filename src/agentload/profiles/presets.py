"""Named load presets: the usual test types, each compiled to a plain load model.

``load: {preset: spike, peak: 200}`` in a file, or ``--preset soak`` on the
command line, becomes an ordinary :class:`ClosedModel` or :class:`OpenModel`,
so everything downstream (plans, splitting, inspect) is unchanged.

The shapes follow k6's test types and our users' profiles (see the table in
docs/scenario-format.md): smoke, average, stress, spike, soak, step,
breakpoint and a compressed realistic day.

**Timing.** Every preset has a ``duration``, its total length. Presets made of
named phases (``ramp_up``, ``hold``, …) derive it from them; when ``duration``
is given too, the phases that were *not* given share what the given ones leave,
in their default proportions. So ``{preset: spike, duration: 2m}`` stretches all
of a spike's phases to 40 s each, and ``{preset: average, ramp_up: 1m,
duration: 10m}`` keeps the ramp-up at 1 m and fits hold and ramp-down in 9 m.

**Level.** Each preset has one level parameter (``vus``, ``peak`` or
``rate``): the one ``--vus`` or ``--rate`` sets.

Zero-length phases are jumps; a jump at the very start is the start value,
and one at the very end (which could change nothing) is left out.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from agentload._units import format_duration
from agentload.profiles._preset_shapes import (
    Values,
    breakpoint_shape,
    constant_shape,
    ramp_hold_shape,
    realistic_shape,
    spike_shape,
    step_shape,
)
from agentload.profiles._validate import validate_model
from agentload.profiles.model import LoadModel
from agentload.profiles.shapes import ModelKind

__all__ = [
    "PRESETS",
    "ParamKind",
    "Preset",
    "PresetParam",
    "build_preset",
    "find_preset",
    "preset_problems",
    "resolve_preset",
]

ParamKind = Literal["vus", "count", "duration", "rate"]
"""How a parameter is written: a VU count, another count, a duration, a rate."""


@dataclass(frozen=True, slots=True)
class PresetParam:
    """One parameter of a preset.

    Attributes:
        name: the key in the ``load`` section.
        kind: how it is written and checked.
        default: the value when not given; ``None`` for a phased preset's
            ``duration``, which is derived from its phases.
        help: one line for the docs and messages.
        positive: counts must be at least 1 (else 0); durations and rates
            above 0 (else 0 or more).
    """

    name: str
    kind: ParamKind
    default: float | None
    help: str
    positive: bool = True


@dataclass(frozen=True, slots=True)
class Preset:
    """A named load shape with parameters.

    Attributes:
        name: what ``preset:`` and ``--preset`` take.
        model: the model it compiles to.
        summary: one line for humans.
        params: every parameter, ``duration`` included.
        level: the parameter ``--vus`` (closed) or ``--rate`` (open) sets.
        build: the resolved parameters → the model (model options at defaults,
            except those the preset sets itself).
        phases: duration parameters that add up to ``duration``; empty when
            ``duration`` is a plain parameter.
        repeat: a count parameter the phases are repeated by (``step``).
    """

    name: str
    model: ModelKind
    summary: str
    params: tuple[PresetParam, ...]
    level: str
    build: Callable[[Values], LoadModel] = field(repr=False, compare=False)
    phases: tuple[str, ...] = ()
    repeat: str | None = None

    def param(self, name: str) -> PresetParam | None:
        """The parameter called ``name``, or ``None``."""
        return next((p for p in self.params if p.name == name), None)


# -- the table ------------------------------------------------------------------


def _p(
    name: str, kind: ParamKind, default: float | None, help: str, *, positive: bool = True
) -> PresetParam:
    return PresetParam(name, kind, default, help, positive)


_TOTAL = _p("duration", "duration", None, "total length (default: the phases' sum)")


def _ramp_hold_params(vus: int, up: float, hold: float, down: float) -> tuple[PresetParam, ...]:
    return (
        _p("vus", "vus", vus, "VUs to ramp up to and hold"),
        _p("ramp_up", "duration", up, "time from 0 to vus", positive=False),
        _p("hold", "duration", hold, "time at vus"),
        _p("ramp_down", "duration", down, "time from vus back to 0", positive=False),
        _TOTAL,
    )


_RAMP_HOLD = ("ramp_up", "hold", "ramp_down")

_ALL = (
    Preset(
        name="smoke",
        model="closed",
        summary="a minimal check that the scenario works",
        params=(_p("vus", "vus", 1, "constant VUs"), _p("duration", "duration", 30, "how long")),
        level="vus",
        build=constant_shape,
    ),
    Preset(
        name="average",
        model="closed",
        summary="typical traffic: ramp up, hold, ramp down",
        params=_ramp_hold_params(10, 60, 300, 60),
        level="vus",
        build=ramp_hold_shape,
        phases=_RAMP_HOLD,
    ),
    Preset(
        name="stress",
        model="closed",
        summary="above-average traffic, held longer",
        params=_ramp_hold_params(50, 120, 600, 120),
        level="vus",
        build=ramp_hold_shape,
        phases=_RAMP_HOLD,
    ),
    Preset(
        name="spike",
        model="closed",
        summary="a sudden surge from a base and back, to watch the recovery",
        params=(
            _p("base", "vus", 1, "VUs before and after the spike", positive=False),
            _p("peak", "vus", 100, "VUs at the top of the spike"),
            _p("before", "duration", 30, "time at base before the spike", positive=False),
            _p("ramp_up", "duration", 30, "time from base to peak", positive=False),
            _p("ramp_down", "duration", 30, "time from peak back to base", positive=False),
            _p("after", "duration", 0, "time at base after the spike", positive=False),
            _TOTAL,
        ),
        level="peak",
        build=spike_shape,
        phases=("before", "ramp_up", "ramp_down", "after"),
    ),
    Preset(
        name="soak",
        model="closed",
        summary="moderate traffic held for a long time (leaks, exhaustion)",
        params=_ramp_hold_params(20, 60, 3600, 60),
        level="vus",
        build=ramp_hold_shape,
        phases=_RAMP_HOLD,
    ),
    Preset(
        name="step",
        model="closed",
        summary="VUs added in equal steps at a fixed interval",
        params=(
            _p("vus", "vus", 200, "VUs after the last step"),
            _p("steps", "count", 10, "number of steps (each adds about vus/steps VUs)"),
            _p("interval", "duration", 60, "time between steps"),
            _p("duration", "duration", None, "total length (default: steps × interval)"),
        ),
        level="vus",
        build=step_shape,
        phases=("interval",),
        repeat="steps",
    ),
    Preset(
        name="breakpoint",
        model="open",
        summary="an arrival rate that keeps rising, to find the capacity",
        params=(
            _p("start_rate", "rate", 1, "iterations/s at the start", positive=False),
            _p("rate", "rate", 200, "iterations/s at the end"),
            _p("duration", "duration", 600, "time to ramp from start_rate to rate"),
        ),
        level="rate",
        build=breakpoint_shape,
    ),
    Preset(
        name="realistic",
        model="closed",
        summary="a 12-hour day compressed: morning ramp, lunch spike, evening decline",
        params=(
            _p("vus", "vus", 100, "VUs at the lunch peak"),
            _p("duration", "duration", 720, "the whole day (default: a minute per hour)"),
        ),
        level="vus",
        build=realistic_shape,
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in _ALL})
"""Every preset by name, in documentation order."""


# -- resolution -----------------------------------------------------------------


def _closest(word: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return close[0] if close else None


def find_preset(name: str) -> Preset:
    """The preset called ``name``; ``ValueError`` with a "did you mean" when there is none."""
    preset = PRESETS.get(name)
    if preset is not None:
        return preset
    names = list(PRESETS)
    guess = _closest(name, names)
    hint = f"did you mean '{guess}'?" if guess else "use one of " + ", ".join(names)
    raise ValueError(f"unknown preset {name!r}; {hint}")


def _value_problem(param: PresetParam, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"{param.name} {value!r} must be a finite number"
    whole = param.kind in ("vus", "count")
    if whole and value != int(value):
        return f"{param.name} {value:g} must be a whole number"
    if param.positive and (value < 1 if whole else value <= 0):
        return f"{param.name} must be {'at least 1' if whole else 'above 0'}, got {value:g}"
    if value < 0:
        return f"{param.name} cannot be negative, got {value:g}; use 0 or more"
    return None


def _list(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _fit(preset: Preset, values: Values, full: dict[str, float]) -> list[str]:
    """Fill in the phases and ``duration`` of a phased preset (see the module doc)."""
    times = int(full[preset.repeat]) if preset.repeat else 1
    per = f" (×{times} {preset.repeat})" if preset.repeat else ""
    given = [p for p in preset.phases if p in values]
    free = [p for p in preset.phases if p not in values]
    taken = sum(values[p] for p in given) * times
    if "duration" not in values:
        full["duration"] = sum(full[p] for p in preset.phases) * times
        return []
    duration = values["duration"]
    stretch = sum(full[p] for p in free) * times
    if stretch == 0:
        if math.isclose(taken, duration, rel_tol=1e-9, abs_tol=1e-9):
            return []
        which = given[0] if len(given) == 1 else f"one of {_list(given)}"
        return [
            f"{_list(given)}{per} {'adds' if len(given) == 1 else 'add'} up to "
            f"{format_duration(taken)}, not duration {format_duration(duration)}; "
            f"leave out duration or {which}"
        ]
    if taken >= duration:
        return [
            f"{_list(given)}{per} {'takes' if len(given) == 1 else 'take'} "
            f"{format_duration(taken)}, which leaves nothing of duration "
            f"{format_duration(duration)} for {_list(free)}; lengthen duration or shorten "
            f"{_list(given)}"
        ]
    for name in free:
        # Multiply before dividing: 30·120/90 is exactly 40, 30·(120/90) is not.
        full[name] = full[name] * (duration - taken) / stretch
    return []


def _resolve(name: str, values: Values) -> tuple[dict[str, float], list[str]]:
    try:
        preset = find_preset(name)
    except ValueError as exc:
        return {}, [str(exc)]
    problems: list[str] = []
    names = [p.name for p in preset.params]
    for key in values:
        if preset.param(key) is None:
            guess = _closest(key, names)
            hint = f"did you mean '{guess}'?" if guess else "its parameters are " + ", ".join(names)
            problems.append(f"the {name} preset has no parameter {key!r}; {hint}")
    full: dict[str, float] = {}
    for param in preset.params:
        value = values.get(param.name, param.default)
        if value is None:
            continue
        problem = _value_problem(param, value)
        if problem:
            problems.append(problem)
        else:
            full[param.name] = float(value)
    if problems:
        return full, problems
    if preset.phases:
        problems += _fit(preset, values, full)
    if name == "spike" and full["peak"] < full["base"]:
        problems.append(f"peak ({full['peak']:g}) is below base ({full['base']:g}); raise peak")
    if name == "breakpoint" and full["rate"] <= full["start_rate"]:
        problems.append(
            f"rate ({full['rate']:g}/s) must be above start_rate ({full['start_rate']:g}/s) "
            "for the rate to keep rising"
        )
    return full, problems


def preset_problems(name: str, values: Values) -> list[str]:
    """Every problem with preset ``name`` and the parameters in ``values``; ``[]`` if none."""
    full, problems = _resolve(name, values)
    if problems:
        return problems
    return validate_model(PRESETS[name].build(full))


def resolve_preset(name: str, values: Values) -> dict[str, float]:
    """Every parameter of preset ``name``: ``values``, defaults and the fitted phases.

    Raises ``ValueError`` listing every problem.
    """
    full, problems = _resolve(name, values)
    if problems:
        raise ValueError(f"invalid preset {name!r}:\n" + "\n".join(f"- {p}" for p in problems))
    return full


def build_preset(name: str, values: Values | None = None) -> LoadModel:
    """The load model of preset ``name`` with ``values`` overriding its defaults.

    For example ``build_preset("spike", {"peak": 200})``. Raises ``ValueError``
    listing every problem (an unknown name gets a "did you mean").
    """
    resolved = resolve_preset(name, values or {})
    model = PRESETS[name].build(resolved)
    problems = validate_model(model)
    if problems:
        raise ValueError(f"invalid preset {name!r}:\n" + "\n".join(f"- {p}" for p in problems))
    return model
