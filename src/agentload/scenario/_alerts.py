"""The ``alerts`` section: rules on any metric, checked with the threshold parser.

::

    alerts:
      - {metric: http_req_duration, expr: "p(95)>500", for: 5s, name: slow}
      - {metric: errors, expr: "count>10", window: 10s}

Unlike thresholds, an alert's metric may be any recorded name (monitoring
series such as ``target_gauge{metric:…}`` included), so only the expression's
syntax is checked here. docs/scenario-format.md, "alerts".
"""

from __future__ import annotations

from agentload.errors import ThresholdSyntaxError
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode
from agentload.scenario.model_alerts import AlertSpec
from agentload.thresholds import parse_selector, parse_threshold

__all__ = ["read_alerts"]

_KEYS = ("metric", "expr", "for", "window", "name")
_EXPECTED = 'a list of {metric: http_req_duration, expr: "p(95)>500", for: 5s}'
_EXAMPLES = "e.g. p(95)>500, rate>0.05 or value>100"


def read_alerts(ctx: Ctx, node: YNode) -> tuple[AlertSpec, ...]:
    """Every valid rule, in file order; problems are recorded in ``ctx``."""
    seq = ctx.sequence(node, "alerts", _EXPECTED)
    if seq is None:
        return ()
    out: list[AlertSpec] = []
    names: set[str] = set()
    for i, item in enumerate(seq.items):
        spec = _rule(ctx, item, f"alerts[{i}]")
        if spec is None:
            continue
        if spec.name in names:
            ctx.error(item.line, f"alerts[{i}].name", f"{spec.name!r} is used twice; "
                      "give each alert its own name")
            continue
        names.add(spec.name)
        out.append(spec)
    return tuple(out)


def _rule(ctx: Ctx, node: YNode, path: str) -> AlertSpec | None:
    rule = ctx.mapping(node, path, _EXPECTED)
    if rule is None:
        return None
    ctx.check_keys(rule, path, _KEYS)
    metric = _required(ctx, rule, path, "metric", "a metric selector such as http_req_duration")
    expr = _required(ctx, rule, path, "expr", f"an expression ({_EXAMPLES})")
    if metric is None or expr is None:
        return None
    try:
        parse_selector(metric)
    except ThresholdSyntaxError as exc:
        ctx.error(rule.line, f"{path}.metric", f"bad selector {metric!r} at column "
                  f"{exc.column}: {exc}")
        return None
    try:
        parse_threshold(metric, expr)
    except ThresholdSyntaxError as exc:
        ctx.error(rule.line, f"{path}.expr", f"bad expression {expr!r} at column "
                  f"{exc.column}: {exc}")
        return None
    for_s = window_s = None
    if (hold := rule.get("for")) is not None:
        for_s = ctx.duration(hold, f"{path}.for")
        if for_s is None:
            return None
    if (win := rule.get("window")) is not None:
        window_s = ctx.duration(win, f"{path}.window", positive=True)
        if window_s is None:
            return None
    name = f"{metric}: {expr}"
    if (name_node := rule.get("name")) is not None:
        written = ctx.text(name_node, f"{path}.name", expected="a short name", numbers=True)
        if written is None:
            return None
        name = written
    return AlertSpec(
        name=name,
        metric=metric,
        expression=expr,
        for_s=for_s or 0.0,
        window_s=max(1.0, window_s or 1.0),
        line=rule.line,
    )


def _required(ctx: Ctx, rule: YMap, path: str, key: str, expected: str) -> str | None:
    node = rule.get(key)
    if node is None:
        ctx.error(rule.line, path, f"missing '{key}'; add {expected}")
        return None
    return ctx.text(node, f"{path}.{key}", expected=expected)
