"""The report's Generator/Target/Alerts sections and the console notes, from known data."""

from __future__ import annotations

import io

from rich.console import Console

from agentload.cli._observe import print_notes
from agentload.metrics import Recorder, Snapshot
from agentload.reports.monitor_report import monitoring_sections
from agentload.reports.monitor_series import build_monitor_series


def _second(k: int, cpu: tuple[float, float], lag_ms: int, target: bool) -> Snapshot:
    r = Recorder()
    for worker, value in enumerate(cpu):
        r.gauge("gen_cpu_percent", {"worker": str(worker)}).set(value)
        r.gauge("gen_open_sockets", {"worker": str(worker)}).set(10)
    r.trend("gen_loop_lag").add(lag_ms * 1000)
    if target:
        r.gauge("target_rss").set(50e6)
        r.gauge("target_cpu_percent").set(30.0)
        r.gauge("target_gauge", {"metric": "sessions"}).set(k)
    return r.snapshot(start=float(k), end=float(k + 1))


def test_series_per_interval_and_folded_by_maximum() -> None:
    snaps = [_second(k, (10.0 + k, 20.0), 2 + k, target=k != 1) for k in range(5)]
    s = build_monitor_series(snaps)
    assert s.t == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert s.gen_cpu == {"0": [10.0, 11.0, 12.0, 13.0, 14.0], "1": [20.0] * 5}
    assert s.gen_sockets == [20.0] * 5  # both workers
    assert [round(v or 0) for v in s.gen_lag_p99_ms] == [2, 3, 4, 5, 6]
    assert s.target["target_rss"] == [50.0, None, 50.0, 50.0, 50.0]  # MB; a gap stays a gap
    assert s.target_gauges == {"sessions": [0.0, None, 2.0, 3.0, 4.0]}
    folded = build_monitor_series(snaps, max_points=2)
    assert folded.t == [3.0, 5.0]
    assert folded.gen_cpu["0"] == [12.0, 14.0]  # the highest of each window
    assert folded.target_gauges["sessions"] == [2.0, 4.0]


def test_sections_show_the_warning_the_target_and_the_alerts() -> None:
    series = build_monitor_series([_second(k, (95.0, 20.0), 80, target=True) for k in range(3)])
    summary = {
        "generator": {"warning": "the load generator was saturated in 3 of 3 seconds <x>",
                      "cpu_percent_peak": 95.0, "loop_lag_p99_ms": 80.0,
                      "saturated_intervals": 3, "intervals": 3},
        "alerts": [{"name": "slow", "metric": "http_req_duration", "expression": "p(95)>500",
                    "for_s": 5.0, "fired": 1,
                    "events": [{"fired_at_s": 7.0, "cleared_at_s": 12.0}]},
                   {"name": "quiet one", "metric": "errors", "expression": "count>1",
                    "for_s": 0.0, "fired": 0, "events": []}],
    }
    scripts: list[str] = []
    page = monitoring_sections(series, summary, scripts)
    assert 'id="generator"' in page and 'id="target"' in page and 'id="alerts"' in page
    assert "✗ saturated" in page and "&lt;x&gt;" in page  # escaped
    assert "7 s → 12 s" in page and "never fired" in page
    assert len(scripts) == 2 and 'id="data-generator"' in scripts[0]
    assert '"CPU worker 0"' in scripts[0] and '"sessions"' in scripts[1]
    empty = monitoring_sections(build_monitor_series([]), {}, [])
    assert empty == ""


def test_console_notes_after_the_summary() -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    print_notes({"generator": {"warning": "the load generator was saturated"},
                 "alerts": [{"name": "slow", "fired": 2, "events": [
                     {"fired_at_s": 3.0, "cleared_at_s": 5.0},
                     {"fired_at_s": 9.0, "cleared_at_s": None}]}]}, console)
    assert out.getvalue().splitlines() == [
        "WARNING: the load generator was saturated",
        "alert 'slow' fired 2× (3s–5s, 9s–end)",
    ]
