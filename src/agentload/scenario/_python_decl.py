"""The decorators and helpers of Python scenario files (re-exported by ``scenario.python``).

Decorators only *mark* a function (an attribute holding its :class:`Role`);
the loader finds the marks in the module's namespace, so nothing is
registered globally. Bad arguments raise :class:`DeclarationError`, which the
loader reports as ``file:line: message``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar, overload

from agentload.metrics.custom import DeclarationError
from agentload.scenario.parts import ThinkKind, ThinkTime

__all__ = [
    "HOOKS",
    "MARK",
    "Role",
    "normal",
    "on_start",
    "on_stop",
    "scenario",
    "setup",
    "teardown",
    "uniform",
]

MARK: Final = "__agentload_role__"
HOOKS: Final = ("setup", "teardown", "on_start", "on_stop")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Role:
    """What a decorator marked a function as (``kind``: scenario, setup, …)."""

    kind: str
    weight: int = 1
    name: str | None = None
    load: Mapping[str, object] | None = None


def _mark(fn: F, role: Role, decorator: str) -> F:
    if not callable(fn):
        raise DeclarationError(
            f"@{decorator} decorates a function; write @{decorator} above 'async def …'"
            + (' (the name is a keyword: @scenario(name="…"))' if decorator == "scenario" else "")
        )
    # Whether it is ``async def`` is checked by the loader, with every other problem.
    setattr(fn, MARK, role)
    return fn


@overload
def scenario(fn: F, /) -> F: ...
@overload
def scenario(
    *, weight: int = 1, name: str | None = None, load: Mapping[str, object] | None = None
) -> Callable[[F], F]: ...
def scenario(
    fn: F | None = None,
    /,
    *,
    weight: int = 1,
    name: str | None = None,
    load: Mapping[str, object] | None = None,
) -> F | Callable[[F], F]:
    """Mark ``async def f(ctx)`` as a scenario; VUs pick scenarios by ``weight``.

    Use bare (``@scenario``) or with options (``@scenario(weight=3, name="chat")``);
    the name defaults to the function's and tags every metric it records. ``load``
    gives the scenario a load of its own (a user type: the YAML ``load:`` shapes).
    """
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
        raise DeclarationError(
            f"@scenario weight must be a whole number >= 1, got {weight!r}; write e.g. weight=3"
        )
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise DeclarationError(
            f'@scenario name must be non-empty text, got {name!r}; write e.g. name="chat"'
        )

    def mark(f: F) -> F:
        return _mark(f, Role("scenario", weight, name, load), "scenario")

    return mark(fn) if fn is not None else mark


def setup(fn: F) -> F:
    """Run ``async def f(ctx)`` once before the load; its JSON-able result is ``ctx.setup_data``."""
    return _mark(fn, Role("setup"), "setup")


def teardown(fn: F) -> F:
    """Run ``async def f(ctx)`` once after the load (``ctx.setup_data`` is set)."""
    return _mark(fn, Role("teardown"), "teardown")


def on_start(fn: F) -> F:
    """Run ``async def f(ctx)`` once per virtual user, before its first iteration."""
    return _mark(fn, Role("on_start"), "on_start")


def on_stop(fn: F) -> F:
    """Run ``async def f(ctx)`` once per virtual user, when the run ends."""
    return _mark(fn, Role("on_stop"), "on_stop")


def _seconds(name: str, *values: float) -> None:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise DeclarationError(f"{name}() takes seconds >= 0, got {v!r}; e.g. {name}(1, 3)")


def uniform(low: float, high: float) -> ThinkTime:
    """A think time drawn uniformly from ``[low, high]`` seconds (``await ctx.think(...)``)."""
    _seconds("uniform", low, high)
    if high < low:
        raise DeclarationError(
            f"uniform({low}, {high}): the high end is below the low end; swap them"
        )
    return ThinkTime(ThinkKind.UNIFORM, float(low), float(high))


def normal(mean: float, sd: float) -> ThinkTime:
    """A think time drawn from a normal distribution (seconds; negative draws become 0)."""
    _seconds("normal", mean, sd)
    return ThinkTime(ThinkKind.NORMAL, float(mean), float(sd))
