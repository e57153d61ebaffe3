"""User types with their own load, named load profiles, and scenario selection.

* ``scenarios[].load`` — a scenario with a load of its own runs side by side
  with the others (a k6 scenario with its own executor; seed 002's normal and
  high-load users). Scenarios without one share the file's ``load`` by weight.
* ``profiles: {baseline: {vus: 10, duration: 2m}, …}`` — named loads, one of
  which replaces ``load`` when the file is loaded with the ``profile``
  override (``--profile``, or a suite's ``--scenarios baseline,normal,peak``).
* the ``only`` override (``--only a,b``) keeps the named scenarios.

The command line's ``--vus``/``--rate``/``--duration``/``--preset`` change the
shared load; ``--scale`` scales every load, a scenario's own included.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from agentload.errors import ThresholdSyntaxError
from agentload.profiles import LoadGroup, LoadModel
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._load import read_load
from agentload.scenario._nodes import YMap, YNode, YSeq
from agentload.scenario.model import Scenario, ThresholdSpec
from agentload.thresholds.parser import parse_selector

__all__ = [
    "SHARED_LOAD_FLAGS",
    "apply_own_loads",
    "check_shared_flags",
    "drop_unselected_thresholds",
    "load_groups",
    "profile_names",
    "select_scenarios",
    "shared_load_node",
]

SHARED_LOAD_FLAGS = ("vus", "rate", "duration", "preset", "profile")
"""Overrides that change the shared load only (``scale`` changes every load)."""


def profile_names(ctx: Ctx, root: YMap) -> dict[str, YNode]:
    """The ``profiles`` section: name → its load node (issues recorded when malformed)."""
    node = root.get("profiles")
    if node is None:
        return {}
    mapping = ctx.mapping(node, "profiles", "a mapping of names to loads, e.g. baseline: {…}")
    if mapping is None:
        return {}
    return {key.text: value for key, value in mapping.items}


def shared_load_node(
    ctx: Ctx, root: YMap, profiles: Mapping[str, YNode], overrides: Mapping[str, str]
) -> YNode | None:
    """The node the shared load is read from: ``load``, or the profile asked for."""
    name = overrides.get("profile")
    if name is None:
        return root.get("load")
    if name in profiles:
        return profiles[name]
    guess = did_you_mean(name, profiles)
    hint = (
        f"did you mean '{guess}'?"
        if guess
        else (
            "the file's profiles are " + ", ".join(profiles)
            if profiles
            else "the file has no profiles: section"
        )
    )
    ctx.error(0, "--profile", f"no profile named {name!r}; {hint}")
    return None


def apply_own_loads(
    ctx: Ctx, root: YMap, scenarios: Sequence[Scenario], overrides: Mapping[str, str]
) -> list[Scenario]:
    """``scenarios`` with the loads of their own ``load:`` keys (``--scale`` applied)."""
    seq = root.get("scenarios")
    if not isinstance(seq, YSeq):
        return list(scenarios)
    by_line = {s.line: s for s in scenarios}
    scale = {"scale": overrides["scale"]} if "scale" in overrides else {}
    out = {s.name: s for s in scenarios}
    for item in seq.items:
        if not isinstance(item, YMap) or item.get("load") is None:
            continue
        load = read_load(ctx, item.get("load"), scale)
        scenario = by_line.get(item.line)
        if load is not None and scenario is not None:
            out[scenario.name] = dataclasses.replace(scenario, load=load)
    return [out[s.name] for s in scenarios]


def select_scenarios(
    ctx: Ctx, scenarios: Sequence[Scenario], overrides: Mapping[str, str]
) -> list[Scenario]:
    """Keep the scenarios named by the ``only`` override (comma-separated); all without it."""
    text = overrides.get("only")
    if text is None:
        return list(scenarios)
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    names = [s.name for s in scenarios]
    for name in wanted:
        if name not in names:
            guess = did_you_mean(name, names)
            hint = f"did you mean '{guess}'?" if guess else "its scenarios are " + ", ".join(names)
            ctx.error(0, "--only", f"no scenario named {name!r}; {hint}")
    return [s for s in scenarios if s.name in wanted]


def check_shared_flags(
    ctx: Ctx, scenarios: Sequence[Scenario], overrides: Mapping[str, str]
) -> None:
    """``--vus`` & co. change the shared load: an error when no scenario uses it."""
    given = [f"--{k}" for k in SHARED_LOAD_FLAGS if k in overrides]
    if given and scenarios and all(s.load is not None for s in scenarios):
        ctx.error(
            0,
            given[0],
            "changes the file's shared load, but every scenario has its own load:; "
            "use --scale to scale them, or edit their load sections",
        )


def load_groups(shared: LoadModel, scenarios: Sequence[Scenario]) -> tuple[LoadGroup, ...]:
    """The plan's load groups: the shared load's scenarios first, then each own load."""
    groups: list[LoadGroup] = []
    sharing = tuple((s.name, s.weight) for s in scenarios if s.load is None)
    if sharing:
        groups.append(LoadGroup(shared, sharing))
    groups += [LoadGroup(s.load, ((s.name, 1),)) for s in scenarios if s.load is not None]
    return tuple(groups)


def drop_unselected_thresholds(
    thresholds: Sequence[ThresholdSpec], scenarios: Sequence[Scenario], overrides: Mapping[str, str]
) -> tuple[ThresholdSpec, ...]:
    """Without the scenarios ``--only`` left out, thresholds on ``{scenario:X}`` of those go too.

    They could have no samples, and a threshold without samples fails: running
    one user type (Locust's ``--class``) must not fail on another's criteria.
    """
    if "only" not in overrides:
        return tuple(thresholds)
    kept = {s.name for s in scenarios}
    out: list[ThresholdSpec] = []
    for spec in thresholds:
        try:
            tags = dict(parse_selector(spec.metric)[1])
        except ThresholdSyntaxError:
            tags = {}
        if "scenario" not in tags or tags["scenario"] in kept:
            out.append(spec)
    return tuple(out)
