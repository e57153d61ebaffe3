"""The model of Python steps: a user's ``async def`` function, called with a VU context.

A Python scenario file (:mod:`agentload.scenario.python`) becomes ordinary
:class:`~agentload.scenario.model.Scenario` objects whose single step is a
:class:`PythonStep`; a YAML flow refers to one with ``- python: file.py:func``.
Functions are not data, so they are kept out of ``repr`` and equality: the
model's ``repr`` (the workers' fingerprint, docs/decisions.md D8) names them by
reference instead, which is the same in every process that loads the file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias

from agentload.metrics import MetricDef

__all__ = ["PythonFn", "PythonHooks", "PythonStep"]

PythonFn: TypeAlias = Callable[[Any], Awaitable[object]]
"""An ``async def f(ctx)`` function of the user's."""


@dataclass(frozen=True, slots=True)
class PythonHooks:
    """A Python scenario file's lifecycle functions and the run-wide values they share.

    Attributes:
        file: the scenario file (for messages).
        names: ``kind=function`` for each hook given (what ``repr`` shows).
        setup / teardown: once per run, before and after the load.
        on_start / on_stop: once per virtual user, before its first and after its last
            iteration.
        setup_data: what ``setup`` returned, after a JSON round trip (``None`` before
            setup ran, or without setup).
        env: the environment of the run (``ctx.env``); kept out of ``repr``.
    """

    file: str
    names: tuple[str, ...] = ()
    setup: PythonFn | None = field(default=None, repr=False, compare=False)
    teardown: PythonFn | None = field(default=None, repr=False, compare=False)
    on_start: PythonFn | None = field(default=None, repr=False, compare=False)
    on_stop: PythonFn | None = field(default=None, repr=False, compare=False)
    setup_data: object = None
    env: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )


@dataclass(frozen=True, slots=True)
class PythonStep:
    """Call ``fn(ctx)``; an exception ends the iteration as a ``script_error``.

    Attributes:
        ref: ``file.py:function`` (the tag ``name`` of its errors, and the fingerprint).
        fn: the function.
        metrics: the custom metrics declared in the function's module.
        hooks: the lifecycle of a Python scenario file (``None`` for a YAML step).
    """

    ref: str
    fn: PythonFn = field(repr=False, compare=False)
    metrics: tuple[MetricDef, ...] = ()
    hooks: PythonHooks | None = None
    line: int = 0

    @property
    def name(self) -> str:
        """How listings show the step (``agentload inspect``): ``python file.py:function``."""
        return f"python {self.ref}"
