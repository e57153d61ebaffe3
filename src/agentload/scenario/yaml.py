"""Load a scenario YAML file into a :class:`~agentload.scenario.model.ScenarioFile`.

The loader reads the whole file and reports *every* problem it finds, each as
one ``file:line: what was wrong; what to do`` line, in a single
:class:`~agentload.errors.ScenarioError`. It never raises anything else, so the
CLI can print the issues and exit with code 2. The format is documented in
``docs/scenario-format.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from agentload.errors import Issue, ScenarioError
from agentload.metrics import BUILTIN_METRICS
from agentload.profiles import validate_model
from agentload.scenario._alerts import read_alerts
from agentload.scenario._config import ConfigParts, read_config
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._flow import FlowResult, read_flows
from agentload.scenario._health import read_health
from agentload.scenario._load import read_load
from agentload.scenario._nodes import YMap, compose_text
from agentload.scenario._python_ref import python_metrics
from agentload.scenario._thresholds import read_thresholds
from agentload.scenario._user_types import (
    apply_own_loads,
    check_shared_flags,
    drop_unselected_thresholds,
    profile_names,
    select_scenarios,
    shared_load_node,
)
from agentload.scenario.artillery import artillery_tree, is_artillery
from agentload.scenario.model import RunConfig, ScenarioFile

__all__ = ["OVERRIDE_KEYS", "load_scenario", "load_scenario_text"]

OVERRIDE_KEYS = (
    "target",
    "vus",
    "rate",
    "duration",
    "preset",
    "scale",
    "profile",
    "only",
    "health",
)
"""What the command line may override (``--target``, ``--vus``, …, ``--preset``, ``--scale``,
``--profile`` (a named load of ``profiles:``), ``--only`` (scenario names), ``--health``)."""

_TOP_KEYS = ("config", "load", "profiles", "scenarios", "flow", "thresholds", "alerts", "data")
_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})


def load_scenario(
    path: str | Path,
    *,
    env: Mapping[str, str],
    overrides: Mapping[str, str] = _NO_OVERRIDES,
) -> ScenarioFile:
    """Read, validate and convert the scenario file at ``path``.

    Args:
        path: the YAML file; multipart file paths are relative to its folder.
        env: the environment for ``${env.NAME}`` (the CLI passes ``os.environ``
            merged with its ``-e NAME=value`` flags; the loader never reads
            ``os.environ`` itself).
        overrides: command-line values as text: ``target``, ``vus``, ``rate``,
            ``duration``, ``preset``, ``scale``.

    Raises:
        ScenarioError: with every problem found; nothing else is raised.
    """
    filename = str(path)
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(
            [Issue(filename, 0, f"cannot read the scenario file: {reason}; check the path")]
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            [Issue(filename, line, "the file is not UTF-8 text; save it as UTF-8")]
        ) from None
    return load_scenario_text(
        text, filename=filename, env=env, base_dir=file.parent, overrides=overrides
    )


def load_scenario_text(
    text: str,
    *,
    filename: str,
    env: Mapping[str, str],
    base_dir: Path,
    overrides: Mapping[str, str] = _NO_OVERRIDES,
) -> ScenarioFile:
    """Like :func:`load_scenario` for YAML already in memory.

    ``filename`` is used in messages and as :attr:`ScenarioFile.path`;
    ``base_dir`` is where relative multipart file paths are looked up.
    """
    ctx = Ctx(filename, base_dir)
    tree, issues = compose_text(text, filename, env)
    if isinstance(tree, YMap) and is_artillery(tree):  # an Artillery script (scenario/artillery.py)
        tree, issues = artillery_tree(text, filename, env, base_dir)
    ctx.issues.extend(issues)
    if tree is None:
        if not issues:
            ctx.error(
                0,
                "",
                "the file is empty; write at least a 'scenarios:' list or a 'flow:' "
                "(see docs/scenario-format.md)",
            )
        raise _error(ctx)
    if not isinstance(tree, YMap):
        ctx.wrong_type(tree, "", "a mapping with config, load, scenarios and thresholds")
        raise _error(ctx)
    misspelled = ctx.check_keys(tree, "", _TOP_KEYS)
    for key in overrides:
        if key not in OVERRIDE_KEYS:
            ctx.error(0, f"override {key!r}", "unknown; use " + ", ".join(OVERRIDE_KEYS))

    config = read_config(ctx, tree.get("config"), overrides.get("target"))
    health = read_health(ctx, tree.get("config"), overrides.get("health"))
    profiles = profile_names(ctx, tree)
    load_node = shared_load_node(ctx, tree, profiles, overrides)
    load = read_load(ctx, load_node, overrides)
    if load is not None and not ctx.issues:
        # The final model (overrides applied) must compile to a plan: anything the
        # section readers let through (a stage target over the limits, a 0 s
        # total) is reported here, once.
        for problem in validate_model(load):
            ctx.error(load_node.line if load_node is not None else 0, "load", problem)
    report_missing = not misspelled & {"scenarios", "flow"}
    flows = read_flows(ctx, tree, config.timeouts, report_missing=report_missing)
    scenarios = apply_own_loads(ctx, tree, flows.scenarios, overrides)
    scenarios = select_scenarios(ctx, scenarios, overrides)
    check_shared_flags(ctx, scenarios, overrides)
    thresholds_node = tree.get("thresholds")
    known = {**BUILTIN_METRICS, **python_metrics(scenarios)}  # - python: steps' own metrics
    thresholds = (
        read_thresholds(ctx, thresholds_node, known) if thresholds_node is not None else ()
    )
    thresholds = drop_unselected_thresholds(thresholds, scenarios, overrides)  # --only
    alerts_node = tree.get("alerts")
    alerts = read_alerts(ctx, alerts_node) if alerts_node is not None else ()
    _check_variables(ctx, config, flows)
    _check_target(ctx, tree, config, "target" in overrides)

    if ctx.issues or load is None:
        raise _error(ctx)
    run_config = RunConfig(
        target=config.target or "",
        headers=config.headers,
        variables=config.variables,
        timeouts=config.timeouts,
        health=health,
    )
    return ScenarioFile(
        path=filename,
        config=run_config,
        load=load,
        scenarios=tuple(scenarios),
        thresholds=thresholds,
        alerts=alerts,
        profiles=tuple(profiles),
    )


def _check_variables(ctx: Ctx, config: ConfigParts, flows: FlowResult) -> None:
    """Every ``${name}`` must be set by ``config.variables`` or a capture."""
    initial = set(config.variables)
    for name, scope in flows.scopes:
        known = initial | set(scope.captured)
        for var, line, path in scope.uses:
            if var in known or var.partition(".")[0] in initial:  # ${cfg.x}: a field of cfg
                continue
            guess = did_you_mean(var, known)
            hint = (
                f"did you mean ${{{guess}}}?"
                if guess
                else f"set it in config.variables or capture it in scenario '{name}'"
            )
            ctx.error(line, path, f"variable ${{{var}}} is not defined; {hint}")
    # Default headers go on every request of every scenario.
    for var, line, path in config.header_scope.uses:
        if var in initial:
            continue
        missing = [n for n, s in flows.scopes if var not in s.captured]
        if not missing and flows.scopes:
            continue
        where = f" (not captured in scenario '{missing[0]}')" if missing else ""
        ctx.error(
            line,
            path,
            f"variable ${{{var}}} is not defined{where}; set it in config.variables",
        )


def _check_target(ctx: Ctx, tree: YMap, config: ConfigParts, overridden: bool) -> None:
    """A target must come from the file or ``--target``."""
    if config.target is not None or overridden:
        return
    config_node = tree.get("config")
    if isinstance(config_node, YMap) and config_node.get("target") is not None:
        return  # the target is there but invalid: already reported
    key = tree.key("config")
    ctx.error(
        key.line if key is not None else tree.line,
        "config.target",
        "missing; set it (e.g. target: http://127.0.0.1:8080) or pass --target",
    )


def _error(ctx: Ctx) -> ScenarioError:
    # One line per problem, in file order; whole-file problems (line 0) first.
    unique = list(dict.fromkeys(ctx.issues))
    unique.sort(key=lambda issue: issue.line)
    return ScenarioError(unique)
