"""Everything that watches a run as it goes: live view, live outputs, monitoring, alerts.

``agentload run`` asks :class:`Observers` for its sinks and, at the end, for
the summary sections (``generator``, ``alerts``, ``monitoring``, ``outputs``).
The order of the sinks matters: alerts and the saturation tracker judge an
interval before the live view draws it. The target monitor's samples are
merged into every snapshot first (``monitoring.feed``), so results, view,
outputs and alerts all see them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console

from agentload._redact import redact
from agentload.engine.runner import SnapshotSink
from agentload.errors import ThresholdSyntaxError, UsageError
from agentload.metrics import Aggregate
from agentload.monitoring import MonitoredSinks, SaturationTracker, TargetMonitor
from agentload.profiles import Plan
from agentload.reports._live_render import GeneratorState
from agentload.reports.alerts import AlertEngine, AlertRule
from agentload.reports.influx import InfluxOutput, parse_influx_url
from agentload.reports.json_out import JsonLinesOutput
from agentload.reports.live import LiveDashboard
from agentload.scenario import ScenarioFile
from agentload.thresholds import Threshold

if TYPE_CHECKING:
    from agentload.reports.prometheus import PrometheusExporter

__all__ = ["ObserveOptions", "Observers", "print_notes", "split_out"]

_OUTPUT = re.compile(r"^([a-z][a-z0-9_-]*)=(.*)$")
_K6_OUTPUTS = ("csv", "cloud", "statsd", "datadog", "kafka", "experimental-prometheus-rw")


def split_out(values: Sequence[str]) -> tuple[Path | None, tuple[str, ...]]:
    """``--out`` values: the results directory (a path) and live outputs.

    Live outputs are ``influxdb=URL`` and ``json=FILE`` (k6's forms, seed 001).

    Raises UsageError for an output kind we do not stream to, or two directories.
    """
    directory: Path | None = None
    outputs: list[str] = []
    for value in values:
        match = _OUTPUT.match(value)
        if match and match.group(1) == "influxdb":
            try:
                parse_influx_url(match.group(2))
            except ValueError as exc:
                raise UsageError(f"--out {redact(value)}: {exc}") from None
            outputs.append(value)
        elif match and match.group(1) == "json":
            if not match.group(2):
                raise UsageError(f"--out {value}: name a file, e.g. json=results.json")
            outputs.append(value)
        elif match and match.group(1) in _K6_OUTPUTS:
            raise UsageError(
                f"--out {value}: no live {match.group(1)} output; use influxdb=URL or "
                "json=FILE, or --out DIR for the results directory (summary.json, "
                "timeseries.jsonl, CSV)"
            )
        elif directory is not None:
            raise UsageError(f"--out given two results directories ({directory}, {value}); "
                             "give one")
        else:
            directory = Path(value)
    return directory, tuple(outputs)


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        host = "127.0.0.1"
    host = host.strip("[]") or "127.0.0.1"
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--prometheus-port expects PORT or HOST:PORT (0 = any free port), "
                         f"got {text!r}")
    return host, int(port)


@dataclass(frozen=True, slots=True)
class ObserveOptions:
    """The flags of this module (parts of ``RunOptions``)."""

    quiet: bool = False
    prometheus_port: str | None = None
    outputs: tuple[str, ...] = ()
    monitor_pid: int | None = None
    monitor_prometheus: str | None = None
    monitor_metrics: tuple[str, ...] = ()

    def check(self) -> None:
        """Reject bad flags before any load (exit 2)."""
        if self.prometheus_port is not None:
            _host_port(self.prometheus_port)
        if self.monitor_pid is not None:
            import psutil  # only runs that monitor a process pay for it (~10 ms, D21)

            if not psutil.pid_exists(self.monitor_pid):
                raise UsageError(f"--monitor-pid {self.monitor_pid}: no such process; "
                                 "give the PID of the target's server process")
        url = self.monitor_prometheus
        if url is not None and not re.match(r"^https?://[^/\s]+", url):
            raise UsageError(f"--monitor-prometheus expects http://HOST:PORT/metrics, "
                             f"got {redact(url)!r}")


def _rules(sf: ScenarioFile) -> list[AlertRule]:
    rules = []
    for spec in sf.alerts:
        try:
            rules.append(AlertRule.parse(spec.name, spec.metric, spec.expression,
                                         for_s=spec.for_s, window_s=spec.window_s))
        except ThresholdSyntaxError as exc:  # the loader checked it: only a bug lands here
            raise UsageError(f"{sf.path}:{spec.line}: alert {spec.name!r}: {exc}") from None
    return rules


class Observers:
    """Builds, starts and stops the run's observers; a context manager."""

    def __init__(
        self,
        opts: ObserveOptions,
        sf: ScenarioFile,
        plan: Plan,
        thresholds: Sequence[Threshold],
        console: Console,
        base: Sequence[SnapshotSink],
    ) -> None:
        self.opts = opts
        self.console = console
        self.plan = plan.unsplit()  # the whole plan: the view shows all workers together
        planned = plan.duration
        self.saturation = SaturationTracker()
        self.alerts = AlertEngine(_rules(sf), notify=self._say)
        self.live: LiveDashboard | None = None
        if not opts.quiet:
            self.live = LiveDashboard(
                console, planned, thresholds=thresholds, alerts=self.alerts,
                generator=self._generator,
                planned_rate=self._planned_rate,
                # Logs: about ten lines per run, one every 1 to 10 seconds.
                every=float(min(10, max(1, round(planned / 10)))),
            )
        self.exporter: PrometheusExporter | None = None
        if opts.prometheus_port is not None:
            # Imported on demand: prometheus_client is not on the default path.
            from agentload.reports.prometheus import PrometheusExporter

            host, port = _host_port(opts.prometheus_port)
            self.exporter = PrometheusExporter(port, host=host, planned=planned)
        self.influx = [
            InfluxOutput(o.partition("=")[2], notify=self._say)
            for o in opts.outputs
            if o.startswith("influxdb=")
        ]
        self.json: list[JsonLinesOutput] = []
        for o in opts.outputs:
            if o.startswith("json="):
                try:
                    self.json.append(JsonLinesOutput(o.partition("=")[2]))
                except OSError as exc:
                    for out in self.json:
                        out.close()
                    raise UsageError(f"--out {o}: cannot write there ({exc.strerror or exc}); "
                                     "give a file in a writable directory") from None
        self.monitor: TargetMonitor | None = None
        if opts.monitor_pid is not None or opts.monitor_prometheus is not None:
            self.monitor = TargetMonitor(
                pid=opts.monitor_pid, prometheus_url=opts.monitor_prometheus,
                keep=opts.monitor_metrics, notify=self._say,
            )
        inner: list[Any] = [*base, self.alerts, self.saturation]
        inner += [s for s in (self.live, self.exporter) if s is not None]
        inner += self.influx
        inner += self.json
        self.feed = MonitoredSinks(self.monitor, inner)
        self._stack = contextlib.ExitStack()

    @property
    def sinks(self) -> list[SnapshotSink]:
        """What the runner or coordinator drives."""
        return [self.feed]

    def _say(self, line: str) -> None:
        if self.live is not None:
            self.live.say(line)
        else:
            self.console.print(line, style="yellow", markup=False, highlight=False)

    def _planned_rate(self, elapsed: float) -> float | None:
        try:
            return self.plan.rate_at(elapsed)
        except (TypeError, ValueError):  # a closed-model plan has no arrival rate
            return None

    def _generator(self) -> GeneratorState:
        load = self.saturation.current
        return GeneratorState(load.cpu_max, load.lag_p99_ms, load.saturated,
                              tuple(load.reasons()))

    def __enter__(self) -> Observers:
        try:
            if self.exporter is not None:
                try:
                    self.exporter.start()
                except OSError as exc:
                    raise UsageError(
                        f"--prometheus-port {self.opts.prometheus_port}: cannot listen there "
                        f"({exc.strerror or exc}); choose a free port"
                    ) from None
                self._stack.callback(self.exporter.stop)
                self.console.print(f"prometheus: {self.exporter.url}", highlight=False)
            for out in self.influx:
                self._stack.callback(out.close)
                out.start()
            for jout in self.json:
                self._stack.callback(jout.close)
            if self.monitor is not None:
                self._stack.callback(self.monitor.stop)
                self.monitor.start()
            if self.live is not None:
                self._stack.enter_context(self.live)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    def sections(self, aggregate: Aggregate) -> dict[str, Any]:
        """Summary sections; adds the target monitor's totals to ``aggregate`` first."""
        self.feed.merge_into(aggregate)
        out: dict[str, Any] = {
            "generator": self.saturation.summary(aggregate),
            "alerts": self.alerts.summary(),
        }
        if self.monitor is not None:
            out["monitoring"] = {
                "pid": self.opts.monitor_pid,
                "prometheus_url": redact(self.opts.monitor_prometheus or "") or None,
                "scrapes": self.monitor.scrapes,
                "warnings": list(self.monitor.warnings),
            }
        outputs: dict[str, Mapping[str, object]] = {}
        if self.exporter is not None:
            outputs["prometheus"] = {"url": self.exporter.url}
        for influx in self.influx:
            outputs[f"influxdb {influx.target.shown}"] = {
                "written": influx.written, "failed": influx.failed, "dropped": influx.dropped,
            }
        for jout in self.json:
            outputs[f"json {jout.path}"] = {"written": jout.written}
        if outputs:
            out["outputs"] = outputs
        return out


def print_notes(summary: Mapping[str, Any], console: Console) -> None:
    """After the summary table: the generator warning and the alerts that fired."""
    generator = summary.get("generator") or {}
    if isinstance(generator, Mapping) and generator.get("warning"):
        console.print(f"WARNING: {generator['warning']}", style="bold red", markup=False,
                      highlight=False)
    for alert in summary.get("alerts") or []:
        if not alert.get("fired"):
            continue
        times = ", ".join(
            f"{e['fired_at_s']:.0f}s–"
            + ("end" if e["cleared_at_s"] is None else f"{e['cleared_at_s']:.0f}s")
            for e in alert["events"]
        )
        console.print(f"alert {alert['name']!r} fired {alert['fired']}× ({times})",
                      style="yellow", markup=False, highlight=False)
