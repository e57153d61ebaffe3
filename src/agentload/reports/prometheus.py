"""``--prometheus-port``: the run's metrics on a Prometheus endpoint while it goes.

Uses the official ``prometheus_client`` with a registry of its own (never the
process-wide default one) and one custom collector. Every interval
:meth:`PrometheusExporter.on_snapshot` hands the snapshot to a builder thread,
which keeps its own aggregate, rebuilds the metric families and swaps them in
whole: a scrape (on the client's HTTP thread) never sees a half-updated set,
and neither building nor serving runs on the load's event loop.

Exposition (every agentload tag becomes a label; ``.`` and ``-`` in tag names
become ``_``):

- counter ``X`` → ``agentload_X_total`` (run total);
- gauge ``X`` → ``agentload_X`` (latest interval's value);
- rate ``X`` → ``agentload_X_true_total`` and ``agentload_X_samples_total``;
- trend ``X`` → a summary per ``name`` tag: ``agentload_X_seconds`` (durations,
  in seconds) or ``agentload_X``, with ``_count``/``_sum`` over the run and
  ``quantile`` 0.5/0.9/0.95/0.99 over the last :data:`QUANTILE_WINDOW` intervals;
- ``agentload_run_elapsed_seconds`` and ``agentload_run_planned_seconds``.
"""

from __future__ import annotations

import queue
import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from agentload.metrics import (
    Aggregate,
    CounterData,
    GaugeData,
    Histogram,
    RateData,
    SeriesKey,
    Snapshot,
    TrendData,
    metric_def,
)

__all__ = ["QUANTILES", "QUANTILE_WINDOW", "PrometheusExporter", "build_families"]

QUANTILES = (0.5, 0.9, 0.95, 0.99)
QUANTILE_WINDOW = 10
"""Intervals (seconds) the summaries' quantiles cover: recent, as a dashboard wants."""

_BAD = re.compile(r"[^a-zA-Z0-9_]")


def _label(tag: str) -> str:
    out = _BAD.sub("_", tag)
    return f"_{out}" if out[:1].isdigit() else out


def _labels(keys: Iterable[SeriesKey]) -> list[str]:
    return sorted({_label(t) for k in keys for t, _ in k.tags})


def _values(key: SeriesKey, names: list[str]) -> list[str]:
    tags = {_label(t): v for t, v in key.tags}
    return [tags.get(n, "") for n in names]


def _by_name(hists: Iterable[tuple[SeriesKey, Histogram]]) -> dict[str, Histogram]:
    out: dict[str, Histogram] = {}
    for key, hist in hists:
        name = key.tag("name") or ""
        if name in out:
            out[name].add(hist)
        else:
            out[name] = hist.copy()
    return out


def build_families(
    aggregate: Aggregate, recent: Iterable[Snapshot], elapsed: float, planned: float
) -> list[Metric]:
    """Every metric family for one scrape (pure; see the module docstring)."""
    groups: dict[str, list[SeriesKey]] = {}
    for key in aggregate:
        groups.setdefault(key.metric, []).append(key)
    window: dict[str, list[tuple[SeriesKey, Histogram]]] = {}
    for snap in recent:
        for key, value in snap.series.items():
            if isinstance(value, TrendData):
                window.setdefault(key.metric, []).append((key, value.hist))
    families: list[Metric] = [
        GaugeMetricFamily("agentload_run_elapsed_seconds", "Seconds since the run started.",
                          value=elapsed),
        GaugeMetricFamily("agentload_run_planned_seconds", "Planned duration of the run.",
                          value=planned),
    ]
    for metric, keys in sorted(groups.items()):
        d = metric_def(metric)
        doc = d.description if d is not None and d.description else f"agentload {metric}"
        base = "agentload_" + _label(metric)
        first = aggregate.data(keys[0])
        if isinstance(first, TrendData):
            families.append(
                _summary(metric, base, doc, aggregate, keys=keys, recent=window.get(metric, []))
            )
            continue
        names = _labels(keys)
        pairs = [(key, aggregate.data(key)) for key in keys]
        if isinstance(first, CounterData):
            counter = CounterMetricFamily(base, doc, labels=names)
            for key, data in pairs:
                if isinstance(data, CounterData):
                    counter.add_metric(_values(key, names), data.value)
            families.append(counter)
        elif isinstance(first, GaugeData):
            gauge = GaugeMetricFamily(base, doc, labels=names)
            for key, data in pairs:
                if isinstance(data, GaugeData):
                    gauge.add_metric(_values(key, names), data.value)
            families.append(gauge)
        elif isinstance(first, RateData):
            true = CounterMetricFamily(f"{base}_true", f"{doc} (true outcomes)", labels=names)
            total = CounterMetricFamily(f"{base}_samples", f"{doc} (all outcomes)", labels=names)
            for key, data in pairs:
                if isinstance(data, RateData):
                    true.add_metric(_values(key, names), data.passes)
                    total.add_metric(_values(key, names), data.total)
            families += [true, total]
    return families


def _summary(
    metric: str,
    base: str,
    doc: str,
    aggregate: Aggregate,
    *,
    keys: list[SeriesKey],
    recent: list[tuple[SeriesKey, Histogram]],
) -> Metric:
    d = metric_def(metric)
    scale = 1e6 if d is not None and d.unit == "us" else 1.0
    name = base + ("_seconds" if scale != 1.0 else "")
    run = _by_name(
        (k, data.hist) for k in keys if isinstance(data := aggregate.data(k), TrendData)
    )
    last = _by_name(recent)
    fam = SummaryMetricFamily(name, doc, labels=["name"])
    for tag in sorted(run):
        hist = run[tag]
        fam.add_metric([tag], count_value=hist.count, sum_value=hist.sum / scale)
        window = last.get(tag)
        if window is None or not window.count:
            continue
        for q, v in zip(QUANTILES, window.percentiles([q * 100 for q in QUANTILES]), strict=True):
            fam.add_sample(name, {"name": tag, "quantile": str(q)}, v / scale)
    return fam


class _Current(Collector):
    """Returns the families built last; swapped whole, so reads need no lock."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)

    def describe(self) -> Iterator[Metric]:
        return iter(())


class PrometheusExporter:
    """Snapshot sink serving the run's metrics at ``http://host:port/metrics``.

    Args:
        port: TCP port (0: any free one; :attr:`port` tells which).
        host: address to bind; ``0.0.0.0`` to let another machine scrape.
        planned: the plan's duration in seconds.
    """

    def __init__(self, port: int, *, host: str = "127.0.0.1", planned: float = 0.0) -> None:
        self.host = host
        self.port = port
        self.planned = planned
        self.registry = CollectorRegistry(auto_describe=False)
        self._current = _Current()
        self.registry.register(self._current)
        self._recent: deque[Snapshot] = deque(maxlen=QUANTILE_WINDOW)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        # Snapshots go to a builder thread with an aggregate of its own: building
        # the families (histogram merges) never runs on the load's event loop.
        self._inbox: queue.SimpleQueue[tuple[Snapshot, float] | None] = queue.SimpleQueue()
        self._builder: threading.Thread | None = None
        self.builds = 0
        """Times the families were rebuilt (for tests)."""

    @property
    def url(self) -> str:
        """The metrics URL."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}/metrics"

    def start(self) -> PrometheusExporter:
        """Start serving (raises OSError when the port cannot be bound)."""
        self._current.families = build_families(Aggregate(), (), 0.0, self.planned)
        self._server, self._thread = start_http_server(
            self.port, addr=self.host, registry=self.registry
        )
        self.port = int(self._server.server_port)
        self._builder = threading.Thread(
            target=self._build_forever, name="agentload-prometheus", daemon=True
        )
        self._builder.start()
        return self

    def _build_forever(self) -> None:
        aggregate = Aggregate()
        while (item := self._inbox.get()) is not None:
            snapshot, elapsed = item
            aggregate.add(snapshot)
            self._recent.append(snapshot)
            if self._inbox.empty():  # behind? add everything first, build once
                self._current.families = build_families(
                    aggregate, self._recent, elapsed, self.planned
                )
                self.builds += 1

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._builder is not None:
            self._inbox.put(None)
            self._builder.join(timeout=10.0)
            self._builder = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Hand the interval to the builder thread (never blocks)."""
        self._inbox.put((snapshot, elapsed))
