"""The ``thresholds`` section: pass/fail criteria checked with the threshold parser.

Each key is a metric selector (``http_req_duration{name:send message}``); its
value is one expression, or a list of expressions and
``{threshold, abort_on_fail, delay_abort_eval}`` mappings.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentload.errors import ThresholdSyntaxError
from agentload.metrics import BUILTIN_METRICS, MetricDef
from agentload.scenario._context import Ctx, did_you_mean
from agentload.scenario._nodes import YKey, YMap, YNode, YSeq
from agentload.scenario.model import ThresholdSpec
from agentload.thresholds import parse_selector, parse_threshold

__all__ = ["read_thresholds"]

_ENTRY_KEYS = ("threshold", "abort_on_fail", "delay_abort_eval")
_EXAMPLES = "e.g. p(95)<300, avg<200 or rate<0.01"


def read_thresholds(
    ctx: Ctx, node: YNode, metrics: Mapping[str, MetricDef] = BUILTIN_METRICS
) -> tuple[ThresholdSpec, ...]:
    """Every valid threshold, in file order; problems are recorded in ``ctx``.

    ``metrics`` are the names a threshold may use: the built-ins, plus the custom
    metrics a Python scenario declares (docs/python-api.md).
    """
    expected = 'a mapping such as {http_req_duration: ["p(95)<300"]}'
    mapping = ctx.mapping(node, "thresholds", expected)
    if mapping is None:
        return ()
    specs: list[ThresholdSpec] = []
    for key, value in mapping.items:
        path = f"thresholds.{key.text}"
        try:
            metric = parse_selector(key.text)[0]
        except ThresholdSyntaxError as exc:
            # Reported once at the key, rather than once per expression under it.
            ctx.error(
                key.line,
                "thresholds",
                f"bad metric selector {key.text!r} at column {exc.column}: {exc}",
            )
            continue
        if metric not in metrics:
            # YAML scenarios record only built-in metrics, so another name is a typo
            # that would otherwise fail only after the whole run ("no samples").
            guess = did_you_mean(metric, metrics)
            hint = f"did you mean {guess!r}?" if guess else "see docs/metrics.md for the names"
            ctx.error(key.line, "thresholds", f"unknown metric {metric!r}; {hint}")
            continue
        entries = value.items if isinstance(value, YSeq) else (value,)
        if not entries:
            ctx.error(value.line, path, f"the list is empty; add an expression, {_EXAMPLES}")
        for i, entry in enumerate(entries):
            where = f"{path}[{i}]" if isinstance(value, YSeq) else path
            spec = _entry(ctx, key, entry, where, metrics)
            if spec is not None:
                specs.append(spec)
    return tuple(specs)


def _entry(
    ctx: Ctx, key: YKey, node: YNode, path: str, metrics: Mapping[str, MetricDef]
) -> ThresholdSpec | None:
    abort = False
    delay = 0.0
    if isinstance(node, YMap):
        ctx.check_keys(node, path, _ENTRY_KEYS)
        expression_node = node.get("threshold")
        if expression_node is None:
            ctx.error(node.line, path, f"missing 'threshold'; add the expression, {_EXAMPLES}")
            return None
        if (flag := node.get("abort_on_fail")) is not None:
            abort = bool(ctx.boolean(flag, f"{path}.abort_on_fail"))
        if (wait := node.get("delay_abort_eval")) is not None:
            delay = ctx.duration(wait, f"{path}.delay_abort_eval") or 0.0
    else:
        expression_node = node
    expression = ctx.text(expression_node, path, expected=f"a threshold expression ({_EXAMPLES})")
    if expression is None:
        return None
    try:
        parse_threshold(key.text, expression, metrics=metrics)
    except ThresholdSyntaxError as exc:
        ctx.error(
            expression_node.line,
            path,
            f"bad threshold {expression!r} at column {exc.column}: {exc}",
        )
        return None
    return ThresholdSpec(
        metric=key.text,
        expression=expression,
        abort_on_fail=abort,
        delay_abort_eval=delay,
        line=expression_node.line,
    )
