"""Parsing of k6-style thresholds: ``"http_req_duration{name:login}": ["p(95)<300"]``.

Grammar (whitespace is allowed between tokens)::

    selector    ::= metric [ "{" tag-filter { "," tag-filter } "}" ]
    metric      ::= name
    tag-filter  ::= tag ":" value
    name        ::= ( letter | "_" ) { letter | digit | "_" }
    tag         ::= ( letter | "_" ) { letter | digit | "_" | "." | "-" }
    value       ::= { any character but "," and "}" }             (trimmed, not empty)

    expression  ::= aggregation op number [ unit ]
    aggregation ::= "avg" | "min" | "max" | "med" | "count" | "rate" | "value"
                  | "p" "(" number ")"                             (0 <= N <= 100)
    op          ::= "<" | "<=" | ">" | ">=" | "==" | "!="
    number      ::= [ "+" | "-" ] ( digits [ "." [ digits ] ] | "." digits ) [ exponent ]
    unit        ::= "us" | "µs" | "ms" | "s" | "m"                 (durations; default ms)
                  | "B" | "kB" | "MB" | "GB" | "KiB" | "MiB" | "GiB"   (sizes; default B)
                  | "%"                                            (fractions: rate<1%)

Which aggregations apply depends on the metric's kind (:data:`APPLICABLE`):
trends take avg, min, max, med, p(N) and count (samples); counters take count
(total) and rate (per second over the run); rate metrics take rate (a fraction
from 0 to 1); gauges take value, min and max. For a built-in metric (or one in
the ``metrics`` mapping) this is checked here; for others, at evaluation time.

Errors are :class:`~agentload.errors.ThresholdSyntaxError` whose ``column``
is **1-based** into its ``expression`` (the selector text for selector errors)
and whose message says how to fix the problem.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from agentload.errors import ThresholdSyntaxError
from agentload.metrics import BUILTIN_METRICS, MetricDef, MetricKind, Tags, make_tags
from agentload.thresholds.model import APPLICABLE, Aggregation, Operator, Threshold

__all__ = ["parse_selector", "parse_threshold"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_UNIT = re.compile(r"[A-Za-zµ%]+")
_OP_CHARS = "<>=!"

_DURATION_UNITS = {"us": 1.0, "µs": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}
_SIZE_UNITS = {"B": 1.0, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
               "KiB": 1024.0, "MiB": 1024.0**2, "GiB": 1024.0**3}
_KNOWN_UNITS = frozenset({*_DURATION_UNITS, *_SIZE_UNITS, "%"})
_SYNONYMS = {"mean": "avg", "average": "avg", "median": "med", "minimum": "min",
             "maximum": "max", "total": "count", "sum": "count", "last": "value"}
_OP_FIXES = {"=": "==", "=<": "<=", "=>": ">=", "<>": "!=", "!": "!=", "===": "==",
             "≤": "<=", "≥": ">=", "≠": "!="}
_AGGREGATIONS = "avg, min, max, med, p(N), count, rate, value"


def _fail(message: str, text: str, index: int) -> ThresholdSyntaxError:
    return ThresholdSyntaxError(message, expression=text, column=index + 1)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def parse_selector(selector: str) -> tuple[str, Tags]:
    """Split ``metric{tag:value,...}`` into the metric name and sorted tags.

    Raises:
        ThresholdSyntaxError: the selector is malformed (column into ``selector``).
    """
    pos = _skip(selector, 0)
    match = _NAME.match(selector, pos)
    if match is None:
        if pos == len(selector):
            raise _fail("empty metric name: write e.g. http_req_duration", selector, pos)
        raise _fail(f"a metric name starts with a letter or '_', got {selector[pos:]!r}",
                    selector, pos)
    metric = match.group()
    pos = _skip(selector, match.end())
    if pos == len(selector):
        return metric, ()
    if selector[pos] != "{":
        if pos > match.end() and _NAME.match(selector, pos):
            raise _fail(f"a metric name has no spaces: {selector.strip()!r}", selector, pos)
        raise _fail(f"unexpected {selector[pos:]!r} after metric name {metric!r}: tag "
                    f"filters go in braces, e.g. {metric}{{name:login}}", selector, pos)
    pairs: dict[str, str] = {}
    pos += 1
    while True:
        pos = _skip(selector, pos)
        key_match = _TAG.match(selector, pos)
        if key_match is None:
            if pos < len(selector) and selector[pos] == "}" and not pairs:
                raise _fail("empty tag filter '{}': remove the braces or add tag:value",
                            selector, pos)
            raise _fail("expected a tag name (letters, digits, '_', '.', '-')", selector, pos)
        key = key_match.group()
        pos = _skip(selector, key_match.end())
        if pos >= len(selector) or selector[pos] != ":":
            hint = "write tag:value, not tag=value" if selector[pos:pos + 1] == "=" else (
                f"expected ':' after tag {key!r} (write {key}:value)")
            raise _fail(hint, selector, pos)
        start = pos + 1
        end = start
        while end < len(selector) and selector[end] not in ",}":
            end += 1
        value = selector[start:end].strip()
        if not value:
            raise _fail(f"tag {key!r} has no value: write {key}:value", selector, start)
        if key in pairs:
            raise _fail(f"tag {key!r} appears twice in the filter", selector, key_match.start())
        pairs[key] = value
        if end == len(selector):
            raise _fail("missing '}' at the end of the tag filter", selector, end)
        pos = end + 1
        if selector[end] == "}":
            break
    rest = _skip(selector, pos)
    if rest < len(selector):
        raise _fail(f"unexpected {selector[rest:]!r} after '}}'", selector, rest)
    return metric, make_tags(pairs)


def _parse_aggregation(text: str, pos: int) -> tuple[Aggregation, float | None, int]:
    match = _WORD.match(text, pos)
    if match is None:
        if pos == len(text):
            raise _fail("empty threshold: write e.g. p(95)<300 or rate<0.01", text, pos)
        if text[pos] in _OP_CHARS:
            raise _fail(f"missing aggregation before {text[pos]!r}: write e.g. p(95)<300",
                        text, pos)
        raise _fail(f"a threshold starts with an aggregation ({_AGGREGATIONS}), got "
                    f"{text[pos:]!r}", text, pos)
    word = match.group()
    if word == "p":
        return _parse_percentile(text, match.end(), pos)
    try:
        return Aggregation(word), None, match.end()
    except ValueError:
        pass
    if word in {"percentile", "pct"} or re.fullmatch(r"[pP]\d+(\.\d+)?", word):
        digits = word[1:] if word[:1] in "pP" and word[1:2].isdigit() else "N"
        raise _fail(f"unknown aggregation {word!r}: write p({digits})", text, pos)
    lower = word.lower()
    if lower in {a.value for a in Aggregation}:
        fix = "p(N), e.g. p(95)" if lower == "p" else lower
        raise _fail(f"unknown aggregation {word!r}: aggregations are lower case, write {fix}",
                    text, pos)
    if lower in _SYNONYMS:
        raise _fail(f"unknown aggregation {word!r}: write {_SYNONYMS[lower]}", text, pos)
    close = difflib.get_close_matches(lower, [a.value for a in Aggregation if a.value != "p"],
                                      n=1)
    hint = f"did you mean {close[0]}?" if close else f"use one of {_AGGREGATIONS}"
    raise _fail(f"unknown aggregation {word!r}: {hint}", text, pos)


def _parse_percentile(text: str, pos: int, start: int) -> tuple[Aggregation, float, int]:
    pos = _skip(text, pos)
    if pos >= len(text) or text[pos] != "(":
        raise _fail("p needs a percentile in parentheses, e.g. p(95)", text, pos)
    pos = _skip(text, pos + 1)
    number = _NUMBER.match(text, pos)
    if number is None:
        raise _fail("p( needs a percentile from 0 to 100, e.g. p(95) or p(99.9)", text, pos)
    value = float(number.group())
    if not 0 <= value <= 100:
        raise _fail(f"percentile {number.group()} is out of range: use 0 to 100", text, pos)
    pos = _skip(text, number.end())
    if pos >= len(text) or text[pos] != ")":
        raise _fail(f"missing ')' after p({number.group()}", text, pos)
    return Aggregation.PERCENTILE, value, pos + 1


def _parse_operator(text: str, pos: int, after: str) -> tuple[Operator, int]:
    end = pos
    while end < len(text) and text[end] in _OP_CHARS + "≤≥≠":
        end += 1
    written = text[pos:end]
    if not written:
        raise _fail(f"expected an operator (<, <=, >, >=, ==, !=) after {after!r}", text, pos)
    try:
        return Operator(written), end
    except ValueError:
        fix = _OP_FIXES.get(written)
        hint = f"write {fix}" if fix else "use <, <=, >, >=, == or !="
        raise _fail(f"unknown operator {written!r}: {hint}", text, pos) from None


def _scale(
    unit: str | None, dimension: str, *, label: str, metric: str, text: str, at: int
) -> tuple[float, str]:
    """Factor from the written unit to the recorded unit, and the recorded unit."""
    if dimension == "duration":
        if unit is None:
            return 1e3, "us"  # a bare number is milliseconds, as in k6
        if unit in _DURATION_UNITS:
            return _DURATION_UNITS[unit], "us"
        raise _fail(f"unknown duration unit {unit!r}: use us, ms, s or m", text, at)
    if dimension == "bytes":
        if unit is None:
            return 1.0, "bytes"
        if unit in _SIZE_UNITS:
            return _SIZE_UNITS[unit], "bytes"
        raise _fail(f"unknown size unit {unit!r}: use B, kB, MB, GB, KiB, MiB or GiB", text, at)
    if dimension == "fraction":
        if unit is None:
            return 1.0, ""
        if unit == "%":
            return 0.01, ""
        raise _fail(f"{label} of {metric} is a fraction from 0 to 1 (or a percentage like "
                    f"1%): drop {unit!r}", text, at)
    if unit is None:
        return 1.0, ""
    raise _fail(f"{label} of {metric} is a plain number: drop {unit!r}", text, at)


def _dimension(aggregation: Aggregation, kind: MetricKind | None, unit: str | None,
               written: str | None) -> str:
    """What the number measures: duration, bytes, fraction or plain."""
    if aggregation is Aggregation.RATE and kind is MetricKind.RATE:
        return "fraction"
    if aggregation is Aggregation.COUNT and kind is not MetricKind.COUNTER:
        # Trend sample counts are plain; an unknown metric may count bytes.
        return "bytes" if kind is None and written in _SIZE_UNITS else "plain"
    if unit is None:  # a custom metric: durations are recorded in µs by convention
        if written in _DURATION_UNITS:
            return "duration"
        if written in _SIZE_UNITS:
            return "bytes"
        if written == "%" and aggregation is Aggregation.RATE:
            return "fraction"
        return "plain"
    if unit == "us":
        return "plain" if aggregation in (Aggregation.COUNT, Aggregation.RATE) else "duration"
    return "bytes" if unit == "bytes" else "plain"


def parse_threshold(
    selector: str,
    expression: str,
    *,
    abort_on_fail: bool = False,
    delay_abort_eval: float = 0.0,
    metrics: Mapping[str, MetricDef] = BUILTIN_METRICS,
) -> Threshold:
    """Parse one threshold, e.g. ``parse_threshold("http_req_duration", "p(95)<300")``.

    Args:
        selector: ``metric`` or ``metric{tag:value,...}``.
        expression: ``aggregation op number [unit]``, see the module grammar.
        abort_on_fail: stop the run as soon as this threshold fails.
        delay_abort_eval: seconds into the run before ``abort_on_fail`` applies.
        metrics: known metric definitions (kinds and units); defaults to the built-ins.

    Raises:
        ThresholdSyntaxError: with a fix-it message and a 1-based column.
    """
    metric, tags = parse_selector(selector)
    mdef = metrics.get(metric)
    kind = mdef.kind if mdef is not None else None
    pos = _skip(expression, 0)
    agg_at = pos
    aggregation, percentile, pos = _parse_aggregation(expression, pos)
    label = f"p({percentile:g})" if percentile is not None else str(aggregation)
    if kind is not None and aggregation not in APPLICABLE[kind]:
        raise _fail(_not_applicable(label, aggregation, kind, metric), expression, agg_at)
    op, pos = _parse_operator(expression, _skip(expression, pos), expression[agg_at:pos])
    num_at = _skip(expression, pos)
    number = _NUMBER.match(expression, num_at)
    if number is None:
        got = f", got {expression[num_at:]!r}" if num_at < len(expression) else ""
        raise _fail(f"expected a number after {op.value!r}{got}", expression, num_at)
    unit_at = _skip(expression, number.end())
    unit_match = _UNIT.match(expression, unit_at)
    if unit_match and unit_at > number.end() and unit_match.group() not in _KNOWN_UNITS:
        unit_match = None  # "300 and ..." is trailing text, not a unit
    written = unit_match.group() if unit_match else None
    dimension = _dimension(aggregation, kind, mdef.unit if mdef else None, written)
    factor, unit = _scale(written, dimension, label=label, metric=metric, text=expression,
                          at=unit_at)
    end = _skip(expression, unit_match.end() if unit_match else number.end())
    if end < len(expression):
        rest = expression[end:]
        hint = (": write one condition per list item" if re.match(r"(&&|\|\||and\b|or\b|,)",
                                                                 rest) else "")
        raise _fail(f"unexpected {rest!r} after the threshold{hint}", expression, end)
    return Threshold(
        selector=selector.strip(), metric=metric, tags=tags, aggregation=aggregation,
        percentile=percentile, op=op, value=float(number.group()) * factor,
        source=expression.strip(), unit=unit if mdef is None else mdef.unit, kind=kind,
        abort_on_fail=abort_on_fail, delay_abort_eval=delay_abort_eval,
    )


def _not_applicable(label: str, aggregation: Aggregation, kind: MetricKind, metric: str) -> str:
    """Why ``label`` does not apply to ``metric`` and what to write instead."""
    if kind is MetricKind.RATE and aggregation is Aggregation.COUNT:
        return (f"count is not defined for rate metric {metric!r} (a fraction of outcomes): "
                f"use rate, e.g. rate<0.01, or count on a counter such as http_reqs")
    options = sorted(a.value if a is not Aggregation.PERCENTILE else "p(N)"
                     for a in APPLICABLE[kind])
    return f"{label} does not apply to {kind} metric {metric!r}: use {', '.join(options)}"
