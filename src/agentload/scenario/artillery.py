"""Artillery scripts, run as they are: ``agentload run artillery.yml``.

A file is an Artillery script when its ``config`` has ``phases`` (or another
Artillery-only key) or its scenarios use Artillery's step syntax. It is then
translated into agentload's own format and read by the usual readers:

1. the text's ``{{ expr }}`` templates become ``${…}`` (:func:`convert_templates`;
   lines are kept, so every message points at the user's own line);
2. the located tree is rewritten (:func:`translate`): ``config.target``,
   ``phases`` → an open-model ``load`` (arrivals per second, as Artillery),
   ``payload`` and list ``variables`` → data feeders, ``defaults.headers`` →
   ``config.headers``, ``ensure`` → ``thresholds``, scenarios with ``weight``,
   and flows (:mod:`agentload.scenario._artillery_flow`).

What agentload does not support (processor functions, plugins other than
ensure/expect/metrics-by-endpoint, before/after hooks, socket.io, …) is one
``file:line`` error naming the feature. docs/scenario-format.md ("Artillery
scripts") lists every mapping and the differences that remain.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from agentload.errors import Issue
from agentload.profiles import MAX_VUS
from agentload.scenario._artillery_flow import FlowTranslator, is_artillery_step
from agentload.scenario._artillery_nodes import mapping, scalar, sequence
from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq, compose_text

__all__ = ["artillery_tree", "convert_templates", "is_artillery", "translate"]

# Keys only Artillery's config has (agentload's config never uses them).
_ARTILLERY_CONFIG = (
    "phases",
    "payload",
    "defaults",
    "ensure",
    "processor",
    "plugins",
    "environments",
    "engines",
    "http",
    "tls",
    "ws",
    "socketio",
    "statsInterval",
)
_SUPPORTED_PLUGINS = ("ensure", "expect", "metrics-by-endpoint")
_UNSUPPORTED_CONFIG = {
    "processor": "processor functions (custom JavaScript) are not supported; "
    "write the logic as steps, or as a Python step (docs/python-api.md)",
    "environments": "environments are not supported; put the environment's settings "
    "in config, or use ${env.NAME} and -e NAME=value",
    "engines": "custom engines are not supported; the http and ws engines are built in",
    "tls": "config.tls is not supported; agentload verifies certificates with the system store",
    "socketio": "the socket.io engine is not supported",
    "ws": "config.ws options are not supported",
    "statsInterval": "statsInterval is not supported; agentload reports every second",
}
_CONFIG_KEYS = ("target", "variables", "phases", "payload", "defaults", "ensure", "plugins", "http")
_DEFAULT_MAX_VUS = 1000  # Artillery has no VU cap; ours must be finite (maxVusers sets it)
_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_NAME = re.compile(r"[A-Za-z_][\w.-]*")
_CALL = re.compile(r"\$(\w+)\s*\((.*)\)")
_RANDOM_STRING_LENGTH = 10


def is_artillery(tree: YMap) -> bool:
    """True when ``tree`` looks like an Artillery script rather than agentload's format."""
    if tree.get("load") is not None or tree.get("flow") is not None or tree.get("data") is not None:
        return False
    config = tree.get("config")
    if isinstance(config, YMap) and any(config.get(k) is not None for k in _ARTILLERY_CONFIG):
        return True
    if tree.get("before") is not None or tree.get("after") is not None:
        return True
    scenarios = tree.get("scenarios")
    if isinstance(scenarios, YSeq):
        for item in scenarios.items:
            if isinstance(item, YMap) and (
                item.get("engine") is not None or item.get("beforeScenario") is not None
            ):
                return True
            flow = item.get("flow") if isinstance(item, YMap) else None
            if isinstance(flow, YSeq) and any(
                isinstance(step, YMap) and is_artillery_step(step) for step in flow.items
            ):
                return True
    return False


def _expression(expr: str) -> str | None:
    """The agentload template for an Artillery ``{{ expr }}``; ``None`` when unsupported."""
    if expr.startswith("$processEnvironment.") or expr.startswith("$env."):
        return "${env." + expr.split(".", 1)[1] + "}"
    if expr.startswith("$loopElement") and _NAME.fullmatch(expr[1:]):
        return "${" + expr[1:] + "}"
    if expr == "$loopCount":
        return "${loopCount}"
    if expr in ("$uuid", "$uuid()"):
        return "${uuid()}"
    call = _CALL.fullmatch(expr)
    if call is not None:
        name, args = call.group(1), call.group(2).strip()
        if name == "randomNumber":
            return "${randint(" + args + ")}"
        if name == "randomString":
            return f"${{random_string({args or _RANDOM_STRING_LENGTH})}}"
        return None
    if _NAME.fullmatch(expr) and not expr.startswith("$"):
        return "${" + expr + "}"
    return None


def convert_templates(text: str, filename: str) -> tuple[str, list[Issue]]:
    """Artillery's ``{{ expr }}`` as ``${…}``; an unsupported expression is an issue."""
    issues: list[Issue] = []

    def replace(match: re.Match[str]) -> str:
        expr = match.group(1)
        out = _expression(expr)
        if out is None:
            line = text.count("\n", 0, match.start()) + 1
            issues.append(
                Issue(
                    filename,
                    line,
                    f"the Artillery template {{{{ {expr} }}}} is not supported; use a variable, "
                    "$loopElement, $loopCount, $randomNumber(a, b), $randomString(n) "
                    "or $processEnvironment.NAME",
                )
            )
            return match.group(0)
        return out

    return _TEMPLATE.sub(replace, text), issues


def artillery_tree(
    text: str, filename: str, env: Mapping[str, str], base_dir: Path
) -> tuple[YNode | None, list[Issue]]:
    """Compose an Artillery script and translate it; ``(None, issues)`` when it cannot be."""
    converted, issues = convert_templates(text, filename)
    tree, compose_issues = compose_text(converted, filename, env)
    issues += compose_issues
    if issues or not isinstance(tree, YMap):
        return None, issues
    ctx = Ctx(filename, base_dir)
    out = translate(ctx, tree)
    return (None if ctx.issues else out), ctx.issues


def _seconds(ctx: Ctx, node: YNode, path: str) -> float | None:
    """An Artillery duration: seconds as a number, or a duration text such as 5m."""
    value = node.value if isinstance(node, YScalar) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or value < 0:
            ctx.error(node.line, path, f"{value} must be 0 or more seconds")
            return None
        return float(value)
    return ctx.duration(node, path)


def _number(ctx: Ctx, node: YNode, path: str) -> float | None:
    value = node.value if isinstance(node, YScalar) else None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)  # Artillery casts strings (e.g. from the environment)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        if value < 0:
            ctx.error(node.line, path, f"{value:g} cannot be negative")
            return None
        return float(value)
    ctx.wrong_type(node, path, "a number")
    return None


class _Load:
    """Artillery phases → an open model's rate stages (docs: "Artillery scripts")."""

    def __init__(self) -> None:
        self.stages: list[tuple[float, float]] = []  # (duration, target rate)
        self.max_vus: float | None = None
        self.poisson = False

    def add(self, ctx: Ctx, phase: YMap, path: str) -> None:
        ctx.check_keys(
            phase, path, ("duration", "arrivalRate", "rampTo", "arrivalCount", "pause",
                          "name", "maxVusers", "mode")
        )  # fmt: skip
        values: dict[str, float] = {}
        for key in ("duration", "pause"):
            if (node := phase.get(key)) is not None:
                seconds = _seconds(ctx, node, f"{path}.{key}")
                if seconds is not None:
                    values[key] = seconds
        for key in ("arrivalRate", "rampTo", "arrivalCount", "maxVusers"):
            if (node := phase.get(key)) is not None:
                number = _number(ctx, node, f"{path}.{key}")
                if number is not None:
                    values[key] = number
        if (node := phase.get("mode")) is not None:
            self.poisson = ctx.choice(node, f"{path}.mode", ("uniform", "poisson")) == "poisson"
        if "maxVusers" in values:
            self.max_vus = max(self.max_vus or 0.0, values["maxVusers"])
        if "pause" in values:
            self.stages += [(0.0, 0.0), (values["pause"], 0.0)]
            return
        if "duration" not in values:
            ctx.error(phase.line, path, "missing 'duration' (or write pause: SECONDS)")
            return
        duration = values["duration"]
        if "arrivalCount" in values:
            rate = values["arrivalCount"] / duration if duration > 0 else 0.0
            self.stages += [(0.0, rate), (duration, rate)]
        elif "arrivalRate" in values:
            start = values["arrivalRate"]
            self.stages += [(0.0, start), (duration, values.get("rampTo", start))]
        else:
            ctx.error(phase.line, path, "give arrivalRate, arrivalCount or pause")

    def node(self, line: int) -> YMap:
        start = 0.0
        stages: list[tuple[float, float]] = []
        rate = 0.0
        for duration, target in self.stages:
            if duration == 0.0 and target == rate:
                continue  # a jump to where the rate already is
            if duration == 0.0 and not stages:
                start = rate = target  # a jump at 0 is the start rate
                continue
            stages.append((duration, target))
            rate = target
        peak = max([start, *(rate for _, rate in stages)], default=0.0)
        cap = int(self.max_vus) if self.max_vus else _DEFAULT_MAX_VUS
        cap = max(1, min(cap, MAX_VUS))
        items: list[tuple[str, YNode]] = [
            ("start_rate", scalar(start, line)),
            (
                "rate_stages",
                sequence(
                    line,
                    (
                        mapping(
                            line,
                            [("duration", scalar(f"{d:g}s", line)), ("target", scalar(r, line))],
                        )
                        for d, r in stages
                    ),
                ),
            ),
            ("max_vus", scalar(cap, line)),
            ("pre_allocated_vus", scalar(min(cap, max(1, math.ceil(peak)), 50), line)),
        ]
        if self.poisson:
            items.append(("poisson", scalar(True, line)))
        return mapping(line, items)


def _load(ctx: Ctx, config: YMap) -> YMap | None:
    node = config.get("phases")
    if node is None:
        return None  # agentload's default load (1 VU, 10 s) applies
    seq = ctx.sequence(node, "config.phases", "a list of phases (- duration: 60, arrivalRate: 5)")
    if seq is None:
        return None
    load = _Load()
    for i, item in enumerate(seq.items):
        phase = ctx.mapping(item, f"config.phases[{i}]", "a phase mapping")
        if phase is not None:
            load.add(ctx, phase, f"config.phases[{i}]")
    if not load.stages:
        ctx.error(seq.line, "config.phases", "no phases; add e.g. - {duration: 60, arrivalRate: 5}")
        return None
    return load.node(seq.line)


_RESPONSE_TIME = {
    "min": "min",
    "max": "max",
    "median": "med",
    "p50": "med",
    "mean": "avg",
    "p75": "p(75)",
    "p90": "p(90)",
    "p95": "p(95)",
    "p99": "p(99)",
    "p999": "p(99.9)",
}


def _metric(name: str) -> tuple[str, str] | None:
    """An Artillery metric name → (agentload selector, aggregation)."""
    prefix = "http.response_time."
    if name.startswith(prefix) and name[len(prefix) :] in _RESPONSE_TIME:
        return "http_req_duration", _RESPONSE_TIME[name[len(prefix) :]]
    if name == "http.requests":
        return "http_reqs", "count"
    if name == "http.request_rate":
        return "http_reqs", "rate"
    if name.startswith("http.codes.") and name[len("http.codes.") :].isdigit():
        return f"http_reqs{{status:{name[len('http.codes.') :]}}}", "count"
    return None


def _ensure(ctx: Ctx, node: YNode, engines: Collection[str]) -> YMap | None:
    """``config.ensure`` → agentload thresholds (Artillery's checks are ``metric < max``).

    ``engines`` are the scenarios' engines: HTTP metrics need an http scenario;
    ``maxErrorRate`` becomes a failed-request bound for http scenarios and a
    failed-connection bound for ws ones.
    """
    ensure = ctx.mapping(node, "config.ensure", "a mapping such as {p95: 300, maxErrorRate: 1}")
    if ensure is None:
        return None
    rules: dict[str, list[tuple[str, int]]] = {}

    def add(selector: str, expression: str, line: int, written: str = "") -> None:
        if selector.startswith("http_") and "http" not in engines:
            what = written or f"{selector}: {expression}"
            ctx.error(line, "config.ensure", f"{what} is about HTTP responses, but the "
                      "script has no http scenario; remove it")  # fmt: skip
            return
        rules.setdefault(selector, []).append((expression, line))

    for key, value in ensure.items:
        path = f"config.ensure.{key.text}"
        if key.text in ("min", "max", "median", "p95", "p99"):
            number = _number(ctx, value, path)
            if number is not None:
                # Artillery's legacy checks: http.response_time.<key> < value (parseInt).
                expr = f"{_RESPONSE_TIME[key.text]}<{int(number)}"
                add("http_req_duration", expr, key.line, f"{key.text}: {number:g}")
        elif key.text == "maxErrorRate":
            number = _number(ctx, value, path)
            if number is not None and "http" in engines:
                add("http_req_failed", f"rate<={number / 100:g}", key.line)
            if number is not None and "ws" in engines:
                add("ws_connect_success", f"rate>={1 - number / 100:g}", key.line)
        elif key.text == "thresholds":
            _ensure_thresholds(ctx, value, path, add)
        elif key.text == "conditions":
            _ensure_conditions(ctx, value, path, add)
        else:
            ctx.error(
                key.line,
                "config.ensure",
                f"'{key.text}' is not supported; use p95, p99, min, max, median, maxErrorRate, "
                "thresholds or conditions",
            )
    if not rules:
        return None
    return mapping(
        ensure.line,
        (
            (selector, sequence(exprs[0][1], (scalar(e, ln) for e, ln in exprs)))
            for selector, exprs in rules.items()
        ),
    )


def _ensure_thresholds(ctx: Ctx, node: YNode, path: str, add: object) -> None:
    seq = ctx.sequence(node, path, "a list such as [{http.response_time.p99: 500}]")
    for i, item in enumerate(seq.items if seq is not None else ()):
        rule = ctx.mapping(item, f"{path}[{i}]", "a mapping of one metric to its maximum")
        if rule is None:
            continue
        for key, value in rule.items:
            metric = _metric(key.text)
            number = _number(ctx, value, f"{path}[{i}].{key.text}")
            if metric is None:
                ctx.error(key.line, f"{path}[{i}]", _unsupported_metric(key.text))
            elif number is not None:
                add(metric[0], f"{metric[1]}<{number:g}", key.line)  # type: ignore[operator]


_CONDITION = re.compile(r"\s*([\w.]+)\s*(<=|>=|==|!=|<|>)\s*([0-9.]+)\s*")


def _ensure_conditions(ctx: Ctx, node: YNode, path: str, add: object) -> None:
    seq = ctx.sequence(node, path, "a list such as [{expression: http.response_time.p99 < 500}]")
    for i, item in enumerate(seq.items if seq is not None else ()):
        where = f"{path}[{i}]"
        rule = ctx.mapping(item, where, "a mapping with expression")
        if rule is None:
            continue
        ctx.check_keys(rule, where, ("expression", "strict"))
        strict = rule.get("strict")
        if strict is not None and ctx.boolean(strict, f"{where}.strict") is False:
            ctx.error(strict.line, where, "strict: false (an optional check) is not supported")
            continue
        expr_node = rule.get("expression")
        expr = ctx.text(expr_node, f"{where}.expression") if expr_node is not None else None
        if expr is None:
            if expr_node is None:
                ctx.error(rule.line, where, "missing 'expression'")
            continue
        for part in re.split(r"\s+and\s+", expr):
            match = _CONDITION.fullmatch(part)
            metric = _metric(match.group(1)) if match else None
            if match is None or metric is None:
                what = _unsupported_metric(match.group(1)) if match else (
                    f"cannot translate {part.strip()!r}: write conditions as "
                    "'METRIC < NUMBER' joined by 'and' (or and functions are not supported)"
                )  # fmt: skip
                ctx.error(rule.line, where, what)
                continue
            add(metric[0], f"{metric[1]}{match.group(2)}{match.group(3)}", rule.line)  # type: ignore[operator]


def _unsupported_metric(name: str) -> str:
    return (
        f"the metric {name!r} has no agentload equivalent; use http.response_time.<min|max|"
        "median|mean|p50|p75|p90|p95|p99|p999>, http.requests, http.request_rate or "
        "http.codes.<status>"
    )


def _payload(ctx: Ctx, node: YNode) -> list[tuple[str, YNode]]:
    """``config.payload`` (one or a list) → inline data feeders ``(name, node)``."""
    items = node.items if isinstance(node, YSeq) else (node,)
    feeders: list[tuple[str, YNode]] = []
    for i, item in enumerate(items):
        path = "config.payload" if not isinstance(node, YSeq) else f"config.payload[{i}]"
        spec = ctx.mapping(item, path, "a mapping with path and fields")
        if spec is None:
            continue
        feeder = _one_payload(ctx, spec, path, i)
        if feeder is not None:
            feeders.append(feeder)
    return feeders


def _one_payload(ctx: Ctx, spec: YMap, path: str, i: int) -> tuple[str, YNode] | None:
    ctx.check_keys(
        spec, path, ("path", "fields", "order", "skipHeader", "delimiter", "loadAll", "name",
                     "skipEmptyLines", "cast")
    )  # fmt: skip
    before = len(ctx.issues)
    file_node, fields_node = spec.get("path"), spec.get("fields")
    file = ctx.text(file_node, f"{path}.path") if file_node is not None else None
    if file_node is None:
        ctx.error(spec.line, path, "missing 'path' (the CSV file)")
    fields: list[str] = []
    if fields_node is None:
        ctx.error(spec.line, path, "missing 'fields' (the CSV column names)")
    else:
        seq = ctx.sequence(fields_node, f"{path}.fields", "a list of column names")
        for j, f in enumerate(seq.items if seq is not None else ()):
            name = ctx.text(f, f"{path}.fields[{j}]")
            if name is not None:
                fields.append(name)
    order = "random"
    if (n := spec.get("order")) is not None:
        order = ctx.choice(n, f"{path}.order", ("random", "sequence")) or order
    flags = {}
    for key in ("skipHeader", "loadAll", "skipEmptyLines", "cast"):
        if (n := spec.get(key)) is not None:
            flags[key] = bool(ctx.boolean(n, f"{path}.{key}"))
    delimiter = ","
    if (n := spec.get("delimiter")) is not None:
        delimiter = ctx.text(n, f"{path}.delimiter") or ","
        if len(delimiter) != 1:
            ctx.error(n.line, f"{path}.delimiter", "must be one character")
    name = f"payload{i + 1}" if i else "payload"
    if flags.get("loadAll"):
        name_node = spec.get("name")
        given = ctx.text(name_node, f"{path}.name") if name_node is not None else None
        if given is None:
            ctx.error(spec.line, path, "loadAll needs a name: the variable holding the rows")
        name = given or name
    if len(ctx.issues) != before or file is None or file_node is None:
        return None
    resolved = Path(file) if Path(file).is_absolute() else ctx.base_dir / file
    try:
        text = resolved.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        ctx.error(file_node.line, f"{path}.path", f"cannot read {file}: {exc}")
        return None
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if flags.get("skipHeader"):
        rows = rows[1:]
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        ctx.error(file_node.line, f"{path}.path", f"{file} has no rows")
        return None
    line = spec.line
    values = sequence(
        line,
        (
            mapping(line, ((f, scalar(_cast(r[k] if k < len(r) else "", flags), line))
                           for k, f in enumerate(fields)))
            for r in rows
        ),
    )  # fmt: skip
    items: list[tuple[str, YNode]] = [
        ("values", values),
        ("strategy", scalar("sequential" if order == "sequence" else "random", line)),
    ]
    if not flags.get("loadAll"):
        items.append(("top_level", scalar(True, line)))  # Artillery fields are variables
    return name, mapping(line, items)


def _cast(cell: str, flags: Mapping[str, bool]) -> object:
    """Artillery's csv-parse ``cast`` (on by default): numbers become numbers."""
    if flags.get("cast") is False:
        return cell
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        number = float(cell)
    except ValueError:
        return cell
    return number if math.isfinite(number) else cell


def _variables(ctx: Ctx, node: YNode) -> tuple[list[tuple[str, YNode]], list[tuple[str, YNode]]]:
    """``config.variables``: ``(plain variables, feeders)``; a list picks one value per VU."""
    variables = ctx.mapping(node, "config.variables", "a mapping of names to values")
    plain: list[tuple[str, YNode]] = []
    feeders: list[tuple[str, YNode]] = []
    for key, value in variables.items if variables is not None else ():
        if isinstance(value, YSeq):
            line = value.line
            feeders.append(
                (key.text, mapping(line, [("values", value), ("strategy", scalar("random", line))]))
            )
        else:
            plain.append((key.text, value))
    return plain, feeders


def _ws_target(node: YNode) -> tuple[YNode, YNode] | None:
    """A ws:// ``config.target`` as ``(http(s):// origin, relative ws URL)``; else ``None``.

    The ws steps connect to the relative URL, so ``--target`` still moves them.
    """
    if not isinstance(node, YScalar) or not isinstance(node.value, str):
        return None
    text = node.value
    for ws, http in (("ws://", "http://"), ("wss://", "https://")):
        if text.lower().startswith(ws):
            rest = text[len(ws) :]
            cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
            path = rest[cut:]
            if not path.startswith("/"):
                path = "/" + path
            return scalar(http + rest[:cut], node.line), scalar(path, node.line)
    return None


def _config(ctx: Ctx, config: YMap) -> tuple[YMap, list[tuple[str, YNode]], YNode | None]:
    """``(agentload config, data feeders, the ws target or None)``."""
    for key, _ in config.items:
        if key.text in _UNSUPPORTED_CONFIG:
            ctx.error(key.line, f"config.{key.text}", _UNSUPPORTED_CONFIG[key.text])
        elif key.text not in _CONFIG_KEYS:
            ctx.check_keys(mapping(key.line, [(key.text, scalar(None, key.line))]), "config",
                           _CONFIG_KEYS)  # fmt: skip
    items: list[tuple[str, YNode]] = []
    feeders: list[tuple[str, YNode]] = []
    ws_target: YNode | None = None
    if (node := config.get("target")) is not None:
        ws = _ws_target(node)
        items.append(("target", node if ws is None else ws[0]))
        ws_target = None if ws is None else ws[1]
    headers: YNode | None = None
    defaults = config.get("defaults")
    http = config.get("http")
    if isinstance(http, YMap):
        for key, value in http.items:
            if key.text == "timeout":
                seconds = _seconds(ctx, value, "config.http.timeout")
                if seconds is not None:
                    items.append(("timeout", scalar(f"{seconds:g}s", value.line)))
            elif key.text == "defaults":
                defaults = value
            else:
                ctx.error(key.line, f"config.http.{key.text}", "is not supported; only "
                          "timeout and defaults.headers are")  # fmt: skip
    elif http is not None:
        ctx.wrong_type(http, "config.http", "a mapping such as {timeout: 10}")
    if defaults is not None:
        dmap = ctx.mapping(defaults, "config.defaults", "a mapping with headers")
        for key, value in dmap.items if dmap is not None else ():
            if key.text == "headers":
                headers = value
            else:
                ctx.error(key.line, f"config.defaults.{key.text}", "is not supported; only "
                          "headers is")  # fmt: skip
    if headers is not None:
        items.append(("headers", headers))
    if (node := config.get("variables")) is not None:
        plain, list_feeders = _variables(ctx, node)
        if plain:
            items.append(("variables", mapping(node.line, plain)))
        feeders += list_feeders
    if (node := config.get("payload")) is not None:
        feeders += _payload(ctx, node)
    if (node := config.get("plugins")) is not None:
        plugins = ctx.mapping(node, "config.plugins", "a mapping of plugin names")
        for key, _ in plugins.items if plugins is not None else ():
            if key.text not in _SUPPORTED_PLUGINS:
                ctx.error(
                    key.line,
                    f"config.plugins.{key.text}",
                    f"the Artillery plugin '{key.text}' is not supported (only "
                    f"{', '.join(_SUPPORTED_PLUGINS)}, which agentload has built in)",
                )
    return mapping(config.line, items), feeders, ws_target


def _engines(tree: YMap) -> set[str]:
    """The engines the script's scenarios use (``http`` unless ``engine:`` says otherwise)."""
    scenarios = tree.get("scenarios")
    engines: set[str] = set()
    for item in scenarios.items if isinstance(scenarios, YSeq) else ():
        engine = item.get("engine") if isinstance(item, YMap) else None
        engines.add(str(engine.value) if isinstance(engine, YScalar) else "http")
    return engines


def translate(ctx: Ctx, tree: YMap) -> YMap:
    """The agentload tree of an Artillery script; problems are recorded in ``ctx``."""
    for key, _ in tree.items:
        if key.text in ("before", "after"):
            ctx.error(
                key.line,
                key.text,
                f"Artillery's {key.text} section (a flow run once per test) is not supported; "
                "use an agentload once: step or a Python setup/teardown",
            )
        elif key.text not in ("config", "scenarios"):
            ctx.error(key.line, "", f"unknown Artillery key '{key.text}'; use config and scenarios")
    config_node = tree.get("config")
    config = ctx.mapping(config_node, "config") if config_node is not None else None
    items: list[tuple[str, YNode]] = []
    feeders: list[tuple[str, YNode]] = []
    ws_target: YNode | None = None
    if config is not None:
        agent_config, feeders, ws_target = _config(ctx, config)
        items.append(("config", agent_config))
        if (load := _load(ctx, config)) is not None:
            items.append(("load", load))
        ensure = config.get("ensure")
        if ensure is not None and (th := _ensure(ctx, ensure, _engines(tree))) is not None:
            items.append(("thresholds", th))
    if feeders:
        items.append(("data", mapping(feeders[0][1].line, feeders)))
    scenarios = tree.get("scenarios")
    if scenarios is None:
        ctx.error(tree.line, "scenarios", "missing; add the scenarios with their flows")
    else:
        loaded_all = {name for name, node in feeders if isinstance(node, YMap)
                      and node.get("top_level") is None}  # fmt: skip
        translator = FlowTranslator(ctx, ws_target, loaded_all)
        items.append(("scenarios", translator.scenarios(scenarios)))
    return mapping(tree.line, items)
