"""The live dashboard's renderers are golden-tested: fixed snapshots render to fixed text.

Regenerate after an intended change with: AGENTLOAD_REGEN_GOLDEN=1 pytest tests/unit/reports
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from rich.console import Console

from agentload.metrics import Aggregate, Recorder, Snapshot
from agentload.reports._live_render import (
    AlertLine,
    GeneratorState,
    build_view,
    render_line,
    render_panel,
)
from agentload.reports.live import LiveDashboard
from agentload.thresholds import evaluate, parse_threshold

GOLDEN = Path(__file__).parent / "golden"


def _interval(recorder: Recorder, start: float, *, slow: bool) -> Snapshot:
    """One second of traffic: 'send message' (3 requests) and 'kpi' (2 ok, 1 failed)."""
    rows = [
        ("send message", "200", [12_000, 15_000, 300_000 if slow else 30_000]),
        ("kpi", "200", [2_000, 2_500]),
        ("kpi", "500", [1_000]),
        ("health", "200", [500]),
    ]
    for name, status, values in rows:
        trend = recorder.trend("http_req_duration", {"name": name, "status": status})
        failed = recorder.rate("http_req_failed", {"name": name})
        for v in values:
            trend.add(v)
            failed.add(status == "500")
        recorder.counter("http_reqs", {"name": name, "status": status}).add(len(values))
    recorder.gauge("vus").set(20)
    recorder.counter("iterations").add(3)
    return recorder.snapshot(start=start, end=start + 1.0)


def _views() -> tuple[Aggregate, Snapshot, Snapshot]:
    recorder = Recorder()
    agg = Aggregate()
    first = _interval(recorder, 3.0, slow=False)
    agg.add(first)
    second = _interval(recorder, 4.0, slow=True)
    agg.add(second)
    return agg, first, second


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("AGENTLOAD_REGEN_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_view_numbers_come_from_the_interval_and_the_run() -> None:
    agg, _, second = _views()
    view = build_view(second, agg, 5.0, 30.0, top=2)
    assert view.rps == 7.0  # 3 + 2 + 1 + 1 requests in the last second
    assert view.vus == 20
    assert view.iterations_per_s == 3.0
    assert view.total_requests == 14
    assert view.error_rate == 2 / 14
    assert view.interval_error_rate == 1 / 7
    assert view.p99_ms == 300.0  # the slow request of the last interval (exact max bucket)
    assert [r.name for r in view.endpoints] == ["kpi", "send message"]  # ties: by name
    assert view.hidden_endpoints == 1
    kpi = view.endpoints[0]
    assert kpi.rps == 3.0 and kpi.total == 6 and kpi.error_rate == 2 / 6
    assert kpi.p95_ms == 2.5


def _full_view() -> tuple[object, str]:
    agg, _, second = _views()
    thresholds = evaluate(
        [parse_threshold("http_req_duration", "p(95)<100"),
         parse_threshold("http_req_failed", "rate<0.5")],
        agg, elapsed=5.0,
    )
    view = build_view(
        second, agg, 5.0, 30.0, top=2, thresholds=thresholds,
        alerts=(AlertLine("slow", "firing", "p(95)=300ms; threshold >200ms"),
                AlertLine("errors", "inactive", "")),
        generator=GeneratorState(95.0, 61.5, True, ("CPU 95% > 90%",)),
        planned_rate=4.0,
    )
    return view, render_line(view)


def test_panel_golden() -> None:
    view, _ = _full_view()
    console = Console(file=io.StringIO(), width=100, record=True, color_system=None,
                      force_terminal=True)
    console.print(render_panel(view))  # type: ignore[arg-type]
    _check("live_panel.txt", console.export_text())


def test_plain_line_golden() -> None:
    _, line = _full_view()
    _check("live_line.txt", line + "\n")


def test_plain_lines_every_n_seconds_when_not_a_terminal() -> None:
    recorder = Recorder()
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None, force_terminal=False)
    agg = Aggregate()
    with LiveDashboard(console, 6.0, every=2.0) as live:
        for k in range(6):
            snap = _interval(recorder, float(k), slow=False)
            agg.add(snap)
            live.on_snapshot(snap, agg, float(k + 1))
        live.say("alert 'x' fired at 3s")
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # at 2 s, 4 s, 6 s, and the alert line
    assert lines[0].split()[1] == "2s/6s"
    assert "\x1b" not in out.getvalue()  # no cursor movement or colour in a log
    assert lines[-1] == "alert 'x' fired at 3s"
