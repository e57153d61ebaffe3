"""``load: {shape: shapes.py:my_shape}``: a load shape written as a Python function.

The function (or a Locust ``LoadTestShape`` subclass) is imported from a file
next to the scenario and sampled once, when the file is loaded, into an
ordinary model (:func:`agentload.profiles.shape_from_function` /
:func:`~agentload.profiles.shape_from_tick`), so the plan stays pure data:
``agentload inspect`` charts it and workers receive it, not the code.

::

    load:
      shape: shapes.py:my_shape     # def my_shape(t: float) -> float | None
      duration: 10m                 # optional: without it, sample until it returns None
      step: 1s                      # sampling period (default 1s)
      model: closed                 # closed (VUs, default) or open (iterations/s)
      hold: false                   # default: straight lines with duration, steps without

``my_shape(t)`` returns the target at ``t`` seconds (a number, or Locust's
``(users, spawn_rate)``: the first item is used), or ``None`` to end the test.
A class with a ``tick()`` method (Locust's ``LoadTestShape``) is instantiated
and its ``get_run_time()`` returns the sampled time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

from agentload.profiles import LoadModel, ModelKind, shape_from_function, shape_from_tick
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap

__all__ = ["SHAPE_REF_KEYS", "read_shape_ref"]

SHAPE_REF_KEYS = ("shape", "model", "duration", "step", "hold")
"""Keys of a function-shape ``load`` besides the model options."""

_HELP = "write shape: FILE.py:FUNCTION, e.g. shape: shapes.py:my_shape"


def _import(path: Path) -> object:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"agentload_shape_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


def _as_function(obj: object) -> Callable[[float], object] | None:
    """A function of elapsed seconds, from a function or a LoadTestShape-like class."""
    if isinstance(obj, type) and callable(getattr(obj, "tick", None)):
        shape = obj()
        now = [0.0]
        # Locust's shapes read the elapsed time through get_run_time().
        shape.get_run_time = lambda: now[0]

        def tick(t: float) -> object:
            now[0] = t
            return shape.tick()

        return tick
    if callable(obj):
        return obj
    return None


def read_shape_ref(
    ctx: Ctx, mapping: YMap, read_options: Callable[..., dict[str, object] | None]
) -> LoadModel | None:
    """Read a function-shape ``load`` section; ``None`` (with issues) when invalid.

    ``read_options(ctx, mapping, open_model=…)`` reads the model options.
    """
    before = len(ctx.issues)
    shape_node = mapping.get("shape")
    assert shape_node is not None
    ref = ctx.text(shape_node, "load.shape", expected="FILE.py:FUNCTION")
    if ref is None:
        return None
    file, sep, attr = ref.rpartition(":")
    if not sep or not file.endswith(".py") or not attr.isidentifier():
        ctx.error(shape_node.line, "load.shape", f"{ref!r} is not FILE.py:FUNCTION; {_HELP}")
        return None
    open_model = False
    node = mapping.get("model")
    if node is not None:
        open_model = ctx.choice(node, "load.model", ("closed", "open")) == "open"
    duration = step = None
    node = mapping.get("duration")
    if node is not None:
        duration = ctx.duration(node, "load.duration", positive=True)
    node = mapping.get("step")
    if node is not None:
        step = ctx.duration(node, "load.step", positive=True)
    hold = None
    node = mapping.get("hold")
    if node is not None:
        hold = ctx.boolean(node, "load.hold")
    options = read_options(ctx, mapping, open_model=open_model)
    if len(ctx.issues) != before or options is None:
        return None
    path = Path(file) if Path(file).is_absolute() else ctx.base_dir / file
    if not path.is_file():
        ctx.error(shape_node.line, "load.shape", f"{file}: no such file next to the scenario")
        return None
    try:
        fn = _as_function(getattr(_import(path), attr))
    except AttributeError:
        ctx.error(shape_node.line, "load.shape", f"{file} has no function {attr!r}; {_HELP}")
        return None
    except Exception as exc:  # the user's module failed to import: say how, in one line
        ctx.error(shape_node.line, "load.shape", f"importing {file} failed: {exc!r}")
        return None
    if fn is None:
        ctx.error(shape_node.line, "load.shape", f"{file}:{attr} is not a function or shape class")
        return None
    kind: ModelKind = "open" if open_model else "closed"
    try:
        if duration is None:
            model = shape_from_tick(
                fn, step or 1.0, model=kind, hold=True if hold is None else hold
            )
        else:
            model = shape_from_function(
                _until_none(fn), duration, step or 1.0, model=kind, hold=bool(hold)
            )
    except ValueError as exc:
        for problem in str(exc).splitlines()[1:] or [str(exc)]:
            ctx.error(shape_node.line, "load.shape", f"{ref}: {problem.removeprefix('- ')}")
        return None
    except Exception as exc:  # the user's function raised
        ctx.error(shape_node.line, "load.shape", f"{ref} raised {exc!r}")
        return None
    return dataclasses.replace(model, **options)  # type: ignore[arg-type]


def _until_none(fn: Callable[[float], object]) -> Callable[[float], float]:
    """``fn`` with ``(users, spawn_rate)`` pairs reduced to users (``None`` stays an error)."""

    def sample(t: float) -> float:
        value = fn(t)
        if isinstance(value, tuple | list) and value:
            value = value[0]
        # shape_from_function checks every sample's type and reports the bad ones.
        return value  # type: ignore[return-value]

    return sample
