"""The compiled Python step: call the user's ``async def f(ctx)`` for one iteration.

Lifecycle (docs/python-api.md, "Lifecycle"): the first Python step a VU runs
makes its :class:`~agentload.engine.context.VuContext` and runs ``on_start``;
``on_stop`` is registered on the VU and runs when the executor retires it at
the end of the run, before its connections close. An exception raised by
user code ends the iteration (the step returns False) and is counted as
``errors{kind:script_error}`` with its first line; the run goes on.
"""

from __future__ import annotations

import asyncio
import functools

from agentload.engine._python_bind import Bindings
from agentload.engine.context import VuContext
from agentload.engine.vu import VU
from agentload.metrics import Recorder
from agentload.metrics.custom import bind_sink, reset_sink
from agentload.scenario.model import RunConfig
from agentload.scenario.model_python import PythonFn, PythonStep

__all__ = ["ON_STOP_TIMEOUT_S", "PythonCall", "call_user"]

ON_STOP_TIMEOUT_S = 10.0
"""How long one VU's ``on_stop`` may take at the end of the run."""

_EMPTY_ENV: dict[str, str] = {}


async def call_user(fn: PythonFn, ctx: VuContext, ref: str) -> bool:
    """Await ``fn(ctx)`` with custom metrics bound; False (and a script_error) if it raised."""
    bindings = ctx.bindings
    token = bind_sink(bindings)
    try:
        await fn(ctx)
        ok = True
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        bindings.script_error(ref, exc)
        ok = False
    finally:
        reset_sink(token)
    # Sessions and calls the function left open are closed, so they are recorded.
    if ctx.ws.open:
        await ctx.ws.close_all()
    if ctx.voice.open_calls:
        await ctx.voice.close_all()
    return ok


class PythonCall:
    """A compiled :class:`PythonStep`."""

    __slots__ = ("_bindings", "_fn", "_hooks", "_ref")

    def __init__(
        self, step: PythonStep, *, scenario: str, config: RunConfig, recorder: Recorder
    ) -> None:
        self._fn = step.fn
        self._ref = step.ref
        self._hooks = step.hooks
        self._bindings = Bindings(recorder, scenario=scenario, config=config, metrics=step.metrics)

    async def run(self, vu: VU, intended_ns: int) -> bool:
        """Run one call of the function (after ``on_start`` for a new VU)."""
        ctx = vu.context
        if not isinstance(ctx, VuContext):
            ctx = await self._start(vu)
            if ctx is None:
                return False
        ctx.bindings = self._bindings
        ctx.iteration += 1
        ctx.intended_ns = intended_ns
        ok = await call_user(self._fn, ctx, self._ref)
        # A function that ends (or fails) without awaiting I/O would otherwise starve
        # the event loop, since its VU loops again at once: let the others run.
        await asyncio.sleep(0)
        return ok

    async def _start(self, vu: VU) -> VuContext | None:
        hooks = self._hooks
        ctx = VuContext(
            vu,
            self._bindings,
            setup_data=hooks.setup_data if hooks is not None else None,
            env=hooks.env if hooks is not None else _EMPTY_ENV,
        )
        vu.context = ctx
        if hooks is None:
            return ctx
        if hooks.on_stop is not None:
            vu.closers.append(functools.partial(_stop, hooks.on_stop, ctx, f"{hooks.file}:on_stop"))
        # Not retried: a VU whose on_start failed goes on (its iterations show why).
        if hooks.on_start is not None and not await call_user(
            hooks.on_start, ctx, f"{hooks.file}:on_start"
        ):
            return None
        return ctx


async def _stop(fn: PythonFn, ctx: VuContext, ref: str) -> None:
    try:
        await asyncio.wait_for(call_user(fn, ctx, ref), ON_STOP_TIMEOUT_S)
    except TimeoutError as exc:
        ctx.bindings.script_error(
            ref, TimeoutError(f"on_stop took longer than {ON_STOP_TIMEOUT_S:g} s")
        )
        del exc
