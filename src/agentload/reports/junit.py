"""``junit.xml``: thresholds as JUnit test cases, so any CI shows them as tests.

Pure: summary in, XML text out. The layout is the common denominator that
Jenkins, GitLab, GitHub Actions reporters and Azure DevOps all read::

    <testsuites name="agentload" tests="3" failures="1" errors="0" time="30.0">
      <testsuite name="agentload: examples/demo.yaml" tests="3" failures="1" errors="0"
                 skipped="0" time="30.0" timestamp="2026-05-04T13:45:10" hostname="…">
        <properties><property name="target" value="…"/>…</properties>
        <testcase classname="agentload.thresholds" name="http_req_duration: p(95)&lt;500" time="0">
          <failure type="threshold" message="p(95)=612ms; threshold &lt;500ms">…</failure>
        </testcase>
      </testsuite>
    </testsuites>

One test case per threshold; a crossed threshold carries a ``failure`` with
the observed value. ``time`` on a test case is 0: a threshold takes no time of
its own, the suite's ``time`` is the run's duration.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from agentload.reports.redact import redact

__all__ = ["render_junit"]

_CLASSNAME = "agentload.thresholds"


def _observed(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "no samples"
    return f"{value:g}"


def _timestamp(epoch: object) -> str:
    if isinstance(epoch, bool) or not isinstance(epoch, int | float):
        return ""
    # JUnit's schema wants ISO 8601 without a zone; it is UTC.
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _baseline_cases(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``run.baseline`` as cases; the comparison modules load only for such a run (D21)."""
    if "baseline" not in (summary.get("run") or {}):
        return []
    from agentload.reports.compare import baseline_cases  # noqa: PLC0415 - D21

    return baseline_cases(summary)


def render_junit(summary: Mapping[str, Any]) -> str:
    """The JUnit XML document for a summary (UTF-8 text with an XML declaration)."""
    run = summary["run"]
    # run --baseline: its judged statistics are test cases too (classname agentload.baseline).
    rows = [*(summary.get("thresholds") or []), *_baseline_cases(summary)]
    failures = sum(1 for t in rows if not t.get("passed"))
    duration = f"{float(run.get('duration_s') or 0.0):.3f}"
    counts = {"tests": str(len(rows)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": "agentload", **counts, "time": duration})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": f"agentload: {redact(str(run.get('scenario_file', '')))}",
            **counts,
            "skipped": "0",
            "time": duration,
            "timestamp": _timestamp(run.get("started_at")),
            "hostname": redact(str(run.get("host", ""))),
        },
    )
    props = ET.SubElement(suite, "properties")
    for key in ("target", "plan_description", "stop_reason", "agentload_version", "id"):
        if key in run:
            ET.SubElement(props, "property", {"name": key, "value": redact(str(run[key]))})
    ET.SubElement(props, "property", {"name": "verdict", "value": str(summary.get("verdict"))})
    for t in rows:
        metric = redact(str(t.get("metric", "")))
        expression = redact(str(t.get("expression", "")))
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": str(t.get("classname", _CLASSNAME)),
                "name": f"{metric}: {expression}",
                "time": "0",
            },
        )
        message = redact(str(t.get("message", "")))
        if not t.get("passed"):
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "type": "regression"
                    if t.get("classname")
                    else ("threshold_abort" if t.get("abort_on_fail") else "threshold"),
                    "message": message,
                },
            )
            failure.text = (
                f"{metric}: {expression} was crossed\n"
                f"observed: {_observed(t.get('observed'))}\n{message}\n"
                if not t.get("classname")
                else f"{metric}: regressed\n{message}\n"
            )
        else:
            ET.SubElement(case, "system-out").text = message
    out = ET.SubElement(suite, "system-out")
    out.text = (
        f"verdict: {summary.get('verdict')} (exit code {summary.get('exit_code')}); "
        f"stop reason: {run.get('stop_reason', '')}; "
        f"requests: {summary.get('metrics', {}).get('http_reqs', {}).get('count', 0)}"
    )
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
