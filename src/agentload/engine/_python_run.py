"""A Python scenario's per-run ``setup`` and ``teardown``, run once, outside the load.

They run in the process that starts the run (the coordinator of a
multi-worker run), on an event loop of their own, before the first VU
starts and after the last one stops. ``setup``'s return value goes through
a JSON round trip — in one process as across workers, so a scenario
behaves the same however it runs — and reaches every VU as
``ctx.setup_data``; teardown gets the same ``ctx.setup_data``.

Their requests are not part of the load and are not recorded in the run's
metrics (their ``ctx`` writes to a recorder of its own). An exception in
``setup`` stops the run before any load (exit 3); one in ``teardown`` is
reported and the run keeps its results and exit code.
"""

from __future__ import annotations

import asyncio
import json
import ssl

from agentload.engine._python_bind import Bindings, script_message
from agentload.engine.context import VuContext
from agentload.engine.vu import VU
from agentload.errors import RunError
from agentload.metrics import Recorder
from agentload.metrics.custom import bind_sink, reset_sink
from agentload.protocols.http import Deadlines, HttpClient
from agentload.scenario._python_module import user_line
from agentload.scenario.model import ScenarioFile
from agentload.scenario.model_python import PythonFn, PythonHooks
from agentload.scenario.python import python_hooks, with_setup_data

__all__ = ["run_setup", "run_teardown"]

_MAX_SETUP_BYTES = 16 << 20


def _line(fn: PythonFn, exc: BaseException) -> int:
    """The deepest line of the hook's file in the traceback, else the hook's first line."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return 0
    return user_line(exc, code.co_filename) or int(code.co_firstlineno)


async def _call(sf: ScenarioFile, hooks: PythonHooks, fn: PythonFn, kind: str) -> object:
    client = HttpClient(
        timeouts=sf.config.timeouts, deadlines=Deadlines(), ssl_context=ssl.create_default_context()
    )
    vu = VU(-1, http=client, variables=sf.config.variables)
    bindings = Bindings(Recorder(), scenario=kind, config=sf.config)
    ctx = VuContext(vu, bindings, setup_data=hooks.setup_data, env=hooks.env)
    token = bind_sink(bindings)
    try:
        return await fn(ctx)
    finally:
        reset_sink(token)
        await client.aclose()


def _check_json(value: object) -> str:
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"setup returned a value that is not JSON ({exc}); return dicts, lists, text, "
            "numbers, booleans or None"
        ) from None
    if len(text) > _MAX_SETUP_BYTES:
        raise ValueError(f"setup returned more than {_MAX_SETUP_BYTES >> 20} MB of JSON")
    return text


def run_setup(sf: ScenarioFile) -> tuple[ScenarioFile, str | None]:
    """Run ``setup`` (if any); the model with ``ctx.setup_data`` set, and the data as JSON.

    Raises:
        RunError: setup raised, or returned something that is not JSON.
    """
    hooks = python_hooks(sf)
    if hooks is None or hooks.setup is None:
        return sf, None
    fn = hooks.setup
    try:
        value = asyncio.run(_call(sf, hooks, fn, "setup"))
        text = _check_json(value)
    except Exception as exc:
        line = _line(fn, exc)
        raise RunError(
            f"{hooks.file}:{line}: setup failed: {script_message(exc)}; no load was sent — "
            "fix setup or the target"
        ) from None
    return with_setup_data(sf, text), text


def run_teardown(sf: ScenarioFile) -> str | None:
    """Run ``teardown`` (if any); ``None``, or the one-line reason it failed."""
    hooks = python_hooks(sf)
    if hooks is None or hooks.teardown is None:
        return None
    fn = hooks.teardown
    try:
        asyncio.run(_call(sf, hooks, fn, "teardown"))
    except Exception as exc:
        return f"{hooks.file}:{_line(fn, exc)}: teardown failed: {script_message(exc)}"
    return None
