"""Target monitoring on its own thread: a process by PID, and a Prometheus endpoint.

:class:`TargetMonitor` samples once per ``period`` on a daemon thread, so a
slow scrape or a busy ``/proc`` never delays the load's event loop. Samples
wait in a list (under a lock) until :meth:`TargetMonitor.drain` turns them
into one :class:`~agentload.metrics.Snapshot` per interval: each sample sets
its gauge, so the interval's gauge has the last value and the lowest/highest
sample.

- ``--monitor-pid PID`` (psutil): ``target_cpu_percent``, ``target_rss``,
  ``target_open_fds``, ``target_connections``.
- ``--monitor-prometheus URL``: every gauge of the exposition (or the chosen
  metric names, of any type) as ``target_gauge{metric=NAME{labels}}``, at most
  :data:`MAX_SCRAPED_SERIES` series.

A problem (process gone, endpoint unreachable) becomes one warning in
:attr:`TargetMonitor.warnings` and through ``notify``, never an exception in the
run: monitoring must not be able to stop a load test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentload._redact import redact
from agentload.metrics import Recorder, Snapshot
from agentload.monitoring.generator import count_sockets

if TYPE_CHECKING:
    import psutil

__all__ = ["CARRY_INTERVALS", "MAX_SCRAPED_SERIES", "Sample", "TargetMonitor", "parse_exposition"]

MAX_SCRAPED_SERIES = 50
"""Scraped series kept per run; more would bloat every snapshot (the rest are ignored)."""
CARRY_INTERVALS = 2
"""Intervals a reading is repeated in when no fresh sample arrived (sampling jitter)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading: gauge ``metric`` with ``tags`` was ``value``."""

    metric: str
    tags: tuple[tuple[str, str], ...]
    value: float


def _series_name(name: str, labels: dict[str, str]) -> str:
    if not labels:
        return name
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def parse_exposition(text: str, keep: Sequence[str] = ()) -> list[Sample]:
    """``target_gauge`` samples from a Prometheus text exposition.

    Keeps every gauge, or, when ``keep`` names metrics, exactly those (any
    type; a counter's value is its running total). Raises ``ValueError`` on
    text that is not an exposition.
    """
    # Imported here: only a run with --monitor-prometheus pays for it.
    from prometheus_client.parser import text_string_to_metric_families  # noqa: PLC0415

    wanted = set(keep)
    out: list[Sample] = []
    for family in text_string_to_metric_families(text):
        if wanted:
            if family.name not in wanted and not any(s.name in wanted for s in family.samples):
                continue
        elif family.type != "gauge":
            continue
        for s in family.samples:
            if wanted and s.name not in wanted and family.name not in wanted:
                continue
            if s.name.endswith("_created"):
                continue  # creation timestamps, not measurements
            tag = _series_name(s.name, dict(s.labels))
            out.append(Sample("target_gauge", (("metric", tag),), float(s.value)))
    return out


class TargetMonitor:
    """Samples the target on a background thread; drained once per interval.

    Args:
        pid: the target process to watch with psutil, or ``None``.
        prometheus_url: the target's ``/metrics`` URL to scrape, or ``None``.
        keep: metric names to keep from the scrape (default: every gauge).
        period: seconds between samples.
        notify: called with each one-line warning (once per problem).
    """

    def __init__(
        self,
        *,
        pid: int | None = None,
        prometheus_url: str | None = None,
        keep: Sequence[str] = (),
        period: float = 1.0,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.pid = pid
        self.prometheus_url = prometheus_url
        self.keep = tuple(keep)
        self.period = period
        self.notify = notify or (lambda _line: None)
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._pending: list[Sample] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: psutil.Process | None = None
        self._series: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self._warned: set[str] = set()
        self._latest: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, int]] = {}
        self.scrapes = 0
        """Successful scrapes (for tests and the summary)."""

    def _warn(self, key: str, line: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self.warnings.append(line)
        self.notify(line)

    def start(self) -> TargetMonitor:
        """Start sampling (returns self)."""
        import psutil  # noqa: PLC0415 - only runs that monitor a process pay for it

        if self.pid is not None:
            try:
                self._process = psutil.Process(self.pid)
                self._process.cpu_percent(None)  # primes the CPU delta
            except psutil.Error as exc:
                self._warn("pid", f"monitoring: cannot watch PID {self.pid}: {exc}")
                self._process = None
        self._thread = threading.Thread(target=self._loop, name="agentload-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            self.sample_once()

    def sample_once(self) -> None:
        """Take one round of samples now (the thread calls this every ``period``)."""
        samples = [*self._sample_process(), *self._scrape()]
        with self._lock:
            self._pending.extend(samples)

    def _sample_process(self) -> list[Sample]:
        proc = self._process
        if proc is None:
            return []
        import psutil  # noqa: PLC0415 - already loaded by start()
        try:
            with proc.oneshot():
                cpu = proc.cpu_percent(None)
                rss = proc.memory_info().rss
                fds = proc.num_fds() if hasattr(proc, "num_fds") else 0
            conns = len(proc.net_connections(kind="inet"))
        except psutil.AccessDenied:
            # Another user's process: /proc/PID/net is closed to us, the fd count is not.
            conns = count_sockets(proc.pid)
        except psutil.Error as exc:
            self._warn("pid", f"monitoring: PID {self.pid} can no longer be read: {exc}")
            self._process = None
            return []
        return [
            Sample("target_cpu_percent", (), float(cpu)),
            Sample("target_rss", (), float(rss)),
            Sample("target_open_fds", (), float(fds)),
            Sample("target_connections", (), float(conns)),
        ]

    def _scrape(self) -> list[Sample]:
        url = self.prometheus_url
        if url is None:
            return []
        import urllib.request  # noqa: PLC0415 - only runs that scrape a target pay for it (D21)

        try:
            timeout = max(0.2, self.period * 0.9)
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                text = resp.read(8 << 20).decode("utf-8", "replace")
            samples = parse_exposition(text, self.keep)
        except (OSError, ValueError) as exc:
            self._warn("scrape", f"monitoring: cannot scrape {redact(url)}: {redact(str(exc))}; "
                       "retrying each second")
            return []
        self.scrapes += 1
        kept = []
        for s in samples:
            key = (s.metric, s.tags)
            if key not in self._series:
                if len(self._series) >= MAX_SCRAPED_SERIES:
                    self._warn(
                        "cap",
                        f"monitoring: {redact(url)} has more than {MAX_SCRAPED_SERIES} series; "
                        "the rest are ignored (choose some with --monitor-metric)",
                    )
                    continue
                self._series.add(key)
            kept.append(s)
        return kept

    def drain(self, *, start: float, end: float) -> Snapshot:
        """The samples taken since the last drain, as one interval's gauges.

        The sampling thread's clock is not the run's: an interval may end just
        before a sample lands. A series without a fresh sample then repeats
        its latest reading, for at most :data:`CARRY_INTERVALS` intervals, so
        a gauge does not blink out (and an alert on it does not clear) on jitter.
        """
        with self._lock:
            samples, self._pending = self._pending, []
        recorder = Recorder()
        fresh = set()
        for s in samples:
            key = (s.metric, s.tags)
            recorder.gauge(s.metric, s.tags).set(s.value)
            self._latest[key] = (s.value, 0)
            fresh.add(key)
        for key, (value, age) in list(self._latest.items()):
            if key in fresh:
                continue
            if age >= CARRY_INTERVALS:
                del self._latest[key]
                continue
            recorder.gauge(key[0], key[1]).set(value)
            self._latest[key] = (value, age + 1)
        return recorder.snapshot(start=start, end=end)
