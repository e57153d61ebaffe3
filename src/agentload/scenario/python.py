"""Python scenario files: the API users write against, and the loader that reads them.

A scenario file is an ordinary module (docs/python-api.md)::

    from agentload.scenario.python import Rate, scenario

    config = {"target": "http://127.0.0.1:8080"}
    load = {"vus": 10, "duration": "30s"}
    thresholds = {"http_req_duration": ["p(95)<300"], "completion": ["rate>0.9"]}

    completion = Rate("completion")

    @scenario(weight=3)
    async def chat(ctx):
        reply = await ctx.http.post("/api/chat/messages", json={"message": "hi"})
        completion.add(ctx.check("replied", reply.status == 200))

``config``, ``load`` and ``thresholds`` take the shapes the YAML sections take
and are checked by the same readers, with the same ``file:line`` messages.
Decorators only *mark* functions; :func:`load_python_text` finds the marks
and the custom metrics in the module's namespace, so nothing is registered
globally and the file can be loaded again (by each worker process).
"""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Final

from agentload.errors import ScenarioError
from agentload.metrics import BUILTIN_METRICS, MetricDef
from agentload.metrics.custom import Counter, DeclarationError, Gauge, Rate, Trend
from agentload.profiles import validate_model
from agentload.protocols.llm.timing import LlmSlo
from agentload.scenario._config import read_config
from agentload.scenario._context import Ctx
from agentload.scenario._health import read_health
from agentload.scenario._load import read_load
from agentload.scenario._python_decl import (
    HOOKS,
    MARK,
    Role,
    normal,
    on_start,
    on_stop,
    scenario,
    setup,
    teardown,
    uniform,
)
from agentload.scenario._python_module import import_text, module_metrics, read_source
from agentload.scenario._python_ref import python_metrics
from agentload.scenario._python_values import SECTIONS, assignments, to_node
from agentload.scenario._thresholds import read_thresholds
from agentload.scenario._user_types import check_shared_flags, select_scenarios
from agentload.scenario.model import RunConfig, Scenario, ScenarioFile
from agentload.scenario.model_python import PythonFn, PythonHooks, PythonStep
from agentload.scenario.yaml import OVERRIDE_KEYS

__all__ = [
    "SETUP_DATA_KEY",
    "Counter",
    "DeclarationError",
    "Gauge",
    "LlmSlo",
    "Rate",
    "Trend",
    "declared_metrics",
    "load_python_scenario",
    "load_python_text",
    "normal",
    "on_start",
    "on_stop",
    "python_hooks",
    "scenario",
    "setup",
    "setup_overrides",
    "teardown",
    "uniform",
    "with_setup_data",
]

SETUP_DATA_KEY: Final = "python_setup_data"
"""The override that carries ``setup``'s JSON result to worker processes.

It travels with the other overrides, so the worker protocol needs no field of
its own; :func:`setup_overrides` makes it, the loader consumes it.
"""
_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})


# -- loading ---------------------------------------------------------------------------


def load_python_scenario(
    path: str | Path,
    *,
    env: Mapping[str, str],
    overrides: Mapping[str, str] = _NO_OVERRIDES,
    setup_data: str | None = None,
) -> ScenarioFile:
    """Import the scenario file at ``path`` and build its model.

    Raises:
        ScenarioError: every problem, each as ``file:line: what; what to do``.
    """
    file = Path(path)
    text, issues = read_source(file, str(path))
    if text is None:
        raise ScenarioError(issues)
    return load_python_text(
        text,
        filename=str(path),
        env=env,
        base_dir=file.parent,
        overrides=overrides,
        setup_data=setup_data,
    )


def load_python_text(
    text: str,
    *,
    filename: str,
    env: Mapping[str, str],
    base_dir: Path,
    overrides: Mapping[str, str] = _NO_OVERRIDES,
    setup_data: str | None = None,
) -> ScenarioFile:
    """Like :func:`load_python_scenario` for source already in memory.

    ``setup_data`` is the JSON text of what ``setup`` returned in the
    coordinator (workers get it rather than running setup again).
    """
    if SETUP_DATA_KEY in overrides:
        setup_data = overrides[SETUP_DATA_KEY]
        overrides = {k: v for k, v in overrides.items() if k != SETUP_DATA_KEY}
    path = (base_dir / Path(filename).name).resolve()
    loaded = import_text(text, path, filename)
    if loaded.module is None:
        raise ScenarioError(loaded.issues)
    namespace = vars(loaded.module)
    ctx = Ctx(filename, base_dir)
    for key in overrides:
        if key not in OVERRIDE_KEYS:
            ctx.error(0, f"override {key!r}", "unknown; use " + ", ".join(OVERRIDE_KEYS))
    exprs = assignments(ast.parse(text, filename), (*SECTIONS, "options"))
    if "options" in exprs and isinstance(namespace.get("options"), Mapping):
        ctx.error(
            _line(exprs["options"]),
            "options",
            "k6's options are split in agentload: write config = {...}, "
            "load = {...} and thresholds = {...} (docs/python-api.md)",
        )
    metrics = _metrics(ctx, namespace)
    _check_async(ctx, namespace)
    nodes = {
        name: to_node(namespace[name], exprs.get(name), _line(exprs.get(name)), env)
        for name in SECTIONS
        if name in namespace
    }
    config = read_config(ctx, nodes.get("config"), overrides.get("target"))
    health = read_health(ctx, nodes.get("config"), overrides.get("health"))
    if "profile" in overrides:
        ctx.error(
            0,
            "--profile",
            "named profiles are a YAML feature; set load = {...} in the "
            "Python file, or use --preset/--vus/--rate",
        )
    load = read_load(ctx, nodes.get("load"), overrides)
    if load is not None and not ctx.issues:
        for problem in validate_model(load):
            ctx.error(_line(exprs.get("load")), "load", problem)
    known = {**BUILTIN_METRICS, **{d.name: d for d in metrics}}
    node = nodes.get("thresholds")
    thresholds = read_thresholds(ctx, node, known) if node is not None else ()
    if config.target is None and "target" not in overrides:
        ctx.error(
            _line(exprs.get("config")),
            "config.target",
            'missing; set it (config = {"target": "http://127.0.0.1:8080"}) or pass --target',
        )
    hooks = _hooks(ctx, namespace, filename, env, setup_data)
    own = _own_load_exprs(ast.parse(text, filename))
    found = _own_loads(
        ctx,
        _scenarios(ctx, namespace, filename, metrics, hooks),
        namespace=namespace,
        exprs=own,
        env=env,
        overrides=overrides,
    )
    scenarios = tuple(select_scenarios(ctx, found, overrides))
    check_shared_flags(ctx, scenarios, overrides)
    if ctx.issues or load is None:
        unique = sorted(dict.fromkeys(ctx.issues), key=lambda issue: issue.line)
        raise ScenarioError(unique)
    return ScenarioFile(
        path=filename,
        config=RunConfig(
            target=config.target or "",
            headers=config.headers,
            variables=config.variables,
            timeouts=config.timeouts,
            health=health,
        ),
        load=load,
        scenarios=scenarios,
        thresholds=thresholds,
    )


def _line(expr: ast.expr | None) -> int:
    return expr.lineno if expr is not None else 0


def _fn_line(fn: object) -> int:
    code = getattr(fn, "__code__", None)
    return int(getattr(code, "co_firstlineno", 0))


def _marked(namespace: Mapping[str, object]) -> Iterator[tuple[PythonFn, Role]]:
    seen: set[int] = set()
    for value in list(namespace.values()):
        role = getattr(value, MARK, None)
        if isinstance(role, Role) and callable(value) and id(value) not in seen:
            seen.add(id(value))
            yield value, role


def _check_async(ctx: Ctx, namespace: Mapping[str, object]) -> None:
    for fn, role in _marked(namespace):
        if not inspect.iscoroutinefunction(fn):
            name = getattr(fn, "__name__", "it")
            ctx.error(
                _fn_line(fn),
                f"@{role.kind} {name}",
                f"needs an 'async def' function; write 'async def {name}(ctx)'",
            )


def _metrics(ctx: Ctx, namespace: dict[str, object]) -> tuple[MetricDef, ...]:
    found, clashes = module_metrics(namespace)
    for clash in clashes:
        ctx.error(0, "", clash)
    return tuple(found)


def _hooks(
    ctx: Ctx,
    namespace: Mapping[str, object],
    filename: str,
    env: Mapping[str, str],
    setup_data: str | None,
) -> PythonHooks:
    given: dict[str, PythonFn] = {}
    for fn, role in _marked(namespace):
        if role.kind not in HOOKS:
            continue
        if role.kind in given:
            first = given[role.kind]
            ctx.error(
                _fn_line(fn),
                f"@{role.kind}",
                f"given twice ({first.__name__} at line {_fn_line(first)}); keep one",
            )
            continue
        given[role.kind] = fn
    data: object = None
    if setup_data is not None:
        data = json.loads(setup_data)
    return PythonHooks(
        file=filename,
        names=tuple(f"{kind}={given[kind].__qualname__}" for kind in HOOKS if kind in given),
        setup=given.get("setup"),
        teardown=given.get("teardown"),
        on_start=given.get("on_start"),
        on_stop=given.get("on_stop"),
        setup_data=data,
        env=MappingProxyType(dict(env)),
    )


def _scenarios(
    ctx: Ctx,
    namespace: Mapping[str, object],
    filename: str,
    metrics: tuple[MetricDef, ...],
    hooks: PythonHooks,
) -> tuple[Scenario, ...]:
    out: list[Scenario] = []
    names: dict[str, int] = {}
    for fn, role in _marked(namespace):
        if role.kind != "scenario":
            continue
        line = _fn_line(fn)
        name = role.name or fn.__name__
        if name in names:
            ctx.error(
                line,
                f"@scenario {name!r}",
                f"the name is used twice (first at line {names[name]}); "
                'give each its own, e.g. @scenario(name="…")',
            )
            continue
        names[name] = line
        step = PythonStep(f"{Path(filename).name}:{fn.__qualname__}", fn, metrics, hooks, line)
        out.append(Scenario(name, (step,), role.weight, line))
    if not out:
        ctx.error(
            0,
            "",
            "no scenario; decorate an 'async def f(ctx)' function with "
            "@scenario (from agentload.scenario.python import scenario)",
        )
    return tuple(out)


def _own_load_exprs(tree: ast.Module) -> dict[str, ast.expr]:
    """Function name → the ``load=`` expression of its ``@scenario(...)`` (for lines)."""
    out: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for deco in stmt.decorator_list:
            if isinstance(deco, ast.Call):
                for kw in deco.keywords:
                    if kw.arg == "load":
                        out[stmt.name] = kw.value
    return out


def _own_loads(
    ctx: Ctx,
    scenarios: tuple[Scenario, ...],
    *,
    namespace: Mapping[str, object],
    exprs: Mapping[str, ast.expr],
    env: Mapping[str, str],
    overrides: Mapping[str, str],
) -> list[Scenario]:
    """Scenarios with the loads of ``@scenario(load=…)`` (``--scale`` applied, as YAML's)."""
    roles = {id(fn): (fn, role) for fn, role in _marked(namespace) if role.kind == "scenario"}
    scale = {"scale": overrides["scale"]} if "scale" in overrides else {}
    out: list[Scenario] = []
    for s in scenarios:
        step = s.steps[0]
        fn, role = (
            roles.get(id(step.fn), (None, None)) if isinstance(step, PythonStep) else (None, None)
        )
        if fn is None or role is None or role.load is None:
            out.append(s)
            continue
        expr = exprs.get(getattr(fn, "__name__", ""))
        node = to_node(role.load, expr, s.line, env)
        own = read_load(ctx, node, scale)
        out.append(replace(s, load=own) if own is not None else s)
    return out


# -- what the engine and the CLI ask of a loaded model ----------------------------------


def _python_steps(sf: ScenarioFile) -> Iterator[PythonStep]:
    for s in sf.scenarios:
        yield from _steps_in(s.steps)


def _steps_in(steps: object) -> Iterator[PythonStep]:
    for step in steps if isinstance(steps, tuple) else ():
        if isinstance(step, PythonStep):
            yield step
        nested = getattr(step, "steps", None)  # loops and conditions hold steps too
        if isinstance(nested, tuple):
            yield from _steps_in(nested)


def declared_metrics(sf: ScenarioFile) -> dict[str, MetricDef]:
    """Every custom metric the model's Python code declares, by name (nested steps too)."""
    return python_metrics(sf.scenarios)


def python_hooks(sf: ScenarioFile) -> PythonHooks | None:
    """The lifecycle of a Python scenario file; ``None`` for a YAML file."""
    for step in _python_steps(sf):
        if step.hooks is not None:
            return step.hooks
    return None


def with_setup_data(sf: ScenarioFile, data_json: str) -> ScenarioFile:
    """The model with ``setup``'s result (JSON text) in every Python step's hooks."""
    data = json.loads(data_json)

    def fix(step: object) -> object:
        if isinstance(step, PythonStep) and step.hooks is not None:
            return replace(step, hooks=replace(step.hooks, setup_data=data))
        return step

    scenarios = tuple(
        replace(s, steps=tuple(fix(st) for st in s.steps))  # type: ignore[misc]
        for s in sf.scenarios
    )
    return replace(sf, scenarios=scenarios)


def setup_overrides(sf: ScenarioFile) -> dict[str, str]:
    """The overrides that give worker processes ``setup``'s result (empty without one)."""
    hooks = python_hooks(sf)
    if hooks is None or hooks.setup is None:
        return {}
    return {SETUP_DATA_KEY: json.dumps(hooks.setup_data, ensure_ascii=False)}
