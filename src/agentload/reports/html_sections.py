"""The HTML report's non-chart sections: verdict, key figures, tables, run metadata.

Pure: summary dict in, HTML fragments out. Every piece of text is escaped
(:func:`escape`); names, URLs and messages are redacted first (:func:`safe`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from agentload.reports.formatting import (
    fmt_count,
    fmt_duration_s,
    fmt_ms,
    fmt_pct,
    fmt_rate,
    fmt_timestamp,
)
from agentload.reports.redact import redact

__all__ = [
    "card",
    "endpoints_table",
    "errors_and_checks",
    "escape",
    "kpi_cards",
    "run_metadata",
    "safe",
    "thresholds_table",
    "verdict_banner",
]

_PASS_MARK = '<span class="pill ok">✓ pass</span>'
_FAIL_MARK = '<span class="pill bad">✗ fail</span>'
_TREND_COLUMNS = ("avg", "med", "p90", "p95", "p99", "max")
_STOP_REASONS = {
    "signal": "stopped early by Ctrl-C / SIGTERM",
    "threshold_abort": "aborted by a threshold (abort_on_fail)",
}
# Run fields shown in the metadata block, in order; other scalar fields follow.
_META = (
    ("scenario_file", "scenario"),
    ("target", "target"),
    ("plan_description", "load plan"),
    ("started_at", "started"),
    ("duration_s", "duration"),
    ("planned_duration_s", "planned duration"),
    ("stop_reason", "stop reason"),
    ("id", "run id"),
    ("agentload_version", "agentload"),
    ("python", "python"),
    ("platform", "platform"),
    ("host", "host"),
)


def escape(text: object) -> str:
    """HTML-escape ``str(text)``, quotes included (safe in attributes too)."""
    return html.escape(str(text), quote=True)


def safe(text: object) -> str:
    """Redacted, then escaped: for names, URLs and messages."""
    return escape(redact(str(text)))


def verdict_banner(summary: Mapping[str, Any]) -> str:
    """The banner: PASSED/FAILED, which thresholds failed, whether the run stopped early."""
    run = summary["run"]
    rows = summary.get("thresholds") or []
    failed = [t for t in rows if not t.get("passed")]
    verdict = "passed" if summary.get("verdict") == "passed" else "failed"
    if not rows:
        headline = "No thresholds defined: nothing gated this run"
    elif failed:
        headline = f"{len(failed)} of {len(rows)} thresholds failed"
    else:
        headline = f"All {len(rows)} thresholds passed"
    detail = ", ".join(f"{t['metric']} {t['expression']}" for t in failed[:4])
    if len(failed) > 4:
        detail += f" and {len(failed) - 4} more"
    gate = run.get("baseline")
    if isinstance(gate, Mapping) and gate.get("verdict") == "regressed":  # run --baseline
        verdict = "failed"
        headline += "; regressed against the baseline"
        detail = detail or "; ".join(str(line) for line in (gate.get("regressions") or [])[:3])
    stopped = ""
    if run.get("stopped_early"):
        reason = _STOP_REASONS.get(str(run.get("stop_reason")), "stopped early")
        stopped = f'<span class="tag">{escape(reason)}</span>'
    requests = summary.get("metrics", {}).get("http_reqs", {}).get("count")
    where = f"{fmt_count(requests)} requests in {fmt_duration_s(run.get('duration_s'))}"
    return (
        f'<section id="verdict" class="verdict {verdict}">'
        f'<div class="badge">{verdict.upper()}</div>'
        f'<div class="what"><div class="headline">{escape(headline)}{stopped}</div>'
        f'<div class="detail">{safe(detail) if detail else escape(where)}</div></div>'
        f'<div class="exit">exit code {escape(summary.get("exit_code", "–"))}</div></section>'
    )


def _kpi(label: str, value: str, sub: str = "", bad: bool = False) -> str:
    cls = "kpi bad" if bad else "kpi"
    return (
        f'<div class="{cls}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="sub">{escape(sub)}</div></div>'
    )


def kpi_cards(summary: Mapping[str, Any]) -> str:
    """The key figures at a glance: requests, duration, p95/p99, failures, checks, VUs."""
    m = summary.get("metrics", {})
    run = summary["run"]
    reqs = m.get("http_reqs", {})
    dur = m.get("http_req_duration", {})
    failed = m.get("http_req_failed", {})
    checks = m.get("checks", {})
    vus = m.get("vus", {})
    cards = [
        _kpi("requests", fmt_count(reqs.get("count", 0)), f"{fmt_rate(reqs.get('rate', 0))}/s"),
        _kpi(
            "duration",
            fmt_duration_s(run.get("duration_s")),
            f"planned {fmt_duration_s(run.get('planned_duration_s'))}",
        ),
        _kpi("p95 latency", fmt_ms(dur.get("p95")), f"median {fmt_ms(dur.get('med'))}"),
        _kpi("p99 latency", fmt_ms(dur.get("p99")), f"max {fmt_ms(dur.get('max'))}"),
        _kpi(
            "failed requests",
            fmt_pct(failed.get("rate", 0.0)),
            f"{fmt_count(failed.get('true_count', 0))} of {fmt_count(failed.get('total', 0))}",
            bad=bool(failed.get("true_count")),
        ),
    ]
    if checks:
        passed = checks.get("true_count", 0)
        cards.append(
            _kpi(
                "checks passed",
                fmt_pct(checks.get("rate", 0.0)),
                f"{fmt_count(passed)} of {fmt_count(checks.get('total', 0))}",
                bad=passed != checks.get("total", 0),
            )
        )
    cards.append(_kpi("peak VUs", fmt_count(vus.get("max", 0)), ""))
    return f'<div class="kpis" id="kpis">{"".join(cards)}</div>'


def card(ident: str, title: str, hint: str, body: str, extra_class: str = "") -> str:
    """A titled card around ``body`` (trusted HTML); ``title`` and ``hint`` are escaped."""
    cls = f"card {extra_class}".strip()
    hint_html = f'<p class="hint">{escape(hint)}</p>' if hint else ""
    head = f"<h2>{escape(title)}</h2>{hint_html}"
    return f'<section class="{cls}" id="{escape(ident)}">{head}{body}</section>'


def _table(head: Iterable[tuple[str, str]], rows: Iterable[str], cls: str = "") -> str:
    ths = "".join(
        f'<th class="{c}">{escape(h)}</th>' if c else f"<th>{escape(h)}</th>" for h, c in head
    )
    attr = f' class="{cls}"' if cls else ""
    return (
        f'<div class="scroll"><table{attr}><thead><tr>{ths}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def thresholds_table(summary: Mapping[str, Any]) -> str:
    """Every threshold with ✓/✗ and what was observed."""
    rows = summary.get("thresholds") or []
    if not rows:
        return card("thresholds", "Thresholds", "", '<p class="empty">No thresholds defined.</p>')
    out = []
    for t in rows:
        ok = bool(t.get("passed"))
        mark = _PASS_MARK if ok else _FAIL_MARK
        abort = ' <span class="muted">(abort on fail)</span>' if t.get("abort_on_fail") else ""
        out.append(
            f'<tr><td class="l">{mark}</td><td class="l code">{safe(t["metric"])}</td>'
            f'<td class="l code">{safe(t["expression"])}{abort}</td>'
            f'<td class="l wrap">{safe(t.get("message", ""))}</td></tr>'
        )
    head = (("result", "l"), ("metric", "l"), ("threshold", "l"), ("observed", "l"))
    return card(
        "thresholds", "Thresholds", "Pass/fail criteria; any ✗ fails the run.", _table(head, out)
    )


def _trend_cells(d: Mapping[str, Any]) -> str:
    return "".join(f"<td>{escape(fmt_ms(d.get(c)))}</td>" for c in _TREND_COLUMNS)


def _pairs(mapping: Mapping[str, Any]) -> str:
    return " ".join(f"{k}×{fmt_count(v)}" for k, v in mapping.items()) or "–"


def _endpoint_label(scenario: object, name: object) -> str:
    scn = ""
    if scenario not in ("", "default", None):
        scn = f'<span class="scn">{safe(scenario)} › </span>'
    return f"{scn}{safe(name)}"


def endpoints_table(summary: Mapping[str, Any]) -> str:
    """One row per endpoint (``summary["requests"]``) plus an "all requests" total."""
    requests = summary.get("requests") or []
    if not requests:
        return card("endpoints", "Requests by endpoint", "", '<p class="empty">No requests.</p>')
    rows = []
    for r in requests:
        count = r.get("count") or 0
        failed = r.get("failed") or 0
        cls = "bad" if failed else "ok"
        rows.append(
            f'<tr><td class="l"><span class="method">{escape(r.get("method", ""))}</span>'
            f"{_endpoint_label(r.get('scenario', ''), r.get('name', ''))}</td>"
            f"<td>{escape(fmt_count(count))}</td><td>{escape(fmt_rate(r.get('rps')))}</td>"
            f"{_trend_cells(r.get('duration_ms') or {})}"
            f'<td class="{cls}">{escape(fmt_pct(failed / count if count else 0.0))}</td>'
            f'<td class="l">{escape(_pairs(r.get("status_codes") or {}))}</td>'
            f'<td class="l{" bad" if r.get("errors") else ""}">'
            f"{escape(_pairs(r.get('errors') or {}))}</td></tr>"
        )
    m = summary.get("metrics", {})
    reqs, dur = m.get("http_reqs", {}), m.get("http_req_duration", {})
    fail = m.get("http_req_failed", {})
    if len(requests) > 1:
        rows.append(
            f'<tr class="total"><td class="l">all requests</td>'
            f"<td>{escape(fmt_count(reqs.get('count')))}</td><td>{escape(fmt_rate(reqs.get('rate')))}</td>"
            f"{_trend_cells(dur)}<td>{escape(fmt_pct(fail.get('rate', 0.0)))}</td>"
            f'<td></td><td class="l">{escape(_pairs(summary.get("errors") or {}))}</td></tr>'
        )
    head = (
        ("endpoint", "l"),
        ("count", ""),
        ("req/s", ""),
        *((c, "") for c in _TREND_COLUMNS),
        ("failed", ""),
        ("status codes", "l"),
        ("errors", "l"),
    )
    hint = "Latency is http_req_duration (from the intended start in open models), in ms."
    return card("endpoints", "Requests by endpoint", hint, _table(head, rows))


def errors_and_checks(summary: Mapping[str, Any]) -> str:
    """Errors by kind and the checks, side by side; empty when there are neither."""
    errors = summary.get("errors") or {}
    checks = summary.get("checks") or []
    parts = []
    if errors:
        rows = [
            f'<tr><td class="l code">{escape(k)}</td><td>{escape(fmt_count(v))}</td></tr>'
            for k, v in errors.items()
        ]
        parts.append(
            card(
                "errors",
                "Errors by kind",
                "See docs/metrics.md for each kind.",
                _table((("kind", "l"), ("count", "")), rows),
            )
        )
    if checks:
        rows = []
        for c in checks:
            total = c.get("passes", 0) + c.get("fails", 0)
            cls = "bad" if c.get("fails") else "ok"
            rows.append(
                f'<tr><td class="l">{_endpoint_label(c.get("scenario"), c.get("name", ""))}</td>'
                f'<td class="l code">{safe(c.get("check", ""))}</td>'
                f"<td>{escape(fmt_count(c.get('passes', 0)))}</td>"
                f'<td class="{cls}">{escape(fmt_count(c.get("fails", 0)))}</td>'
                f'<td class="{cls}">{escape(fmt_pct(c.get("passes", 0) / total if total else 1.0))}'
                "</td></tr>"
            )
        head = (("request", "l"), ("check", "l"), ("passed", ""), ("failed", ""), ("rate", ""))
        parts.append(card("checks", "Checks", "", _table(head, rows)))
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f'<div class="grid2">{"".join(parts)}</div>'


def _meta_value(key: str, value: Any) -> str:
    if key == "started_at":
        return fmt_timestamp(value)
    if key in ("duration_s", "planned_duration_s"):
        return fmt_duration_s(value)
    return redact(str(value))


def run_metadata(summary: Mapping[str, Any]) -> str:
    """Scenario, target, plan, timing, versions and host of the run."""
    run = summary["run"]
    items = [(label, _meta_value(key, run[key])) for key, label in _META if key in run]
    known = {k for k, _ in _META} | {"plan", "stopped_early"}
    for key in sorted(run):
        value = run[key]
        scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
        if key not in known and scalar:
            items.append((key.replace("_", " "), redact(str(value))))
    # The plan description runs to several lines: it gets a row of its own.
    wide = ' class="wide"'
    body = "".join(
        f"<div{wide if k == 'load plan' else ''}><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>"
        for k, v in items
    )
    return card("run", "Run", "", f'<dl class="meta">{body}</dl>')
