"""``--out influxdb=URL``: stream each interval to InfluxDB 1.x in line protocol.

``URL`` is k6's form, ``http://host:8086/DATABASE`` (user and password may be
given as ``http://user:pass@host:8086/db``). The database is created if it
does not exist. :meth:`InfluxOutput.on_snapshot` only queues the immutable
snapshot; a daemon thread formats and POSTs it to ``/write?precision=ms``, so
a slow or absent InfluxDB never blocks the load. A failure is reported once
(``notify``) and counted; writing goes on with the next interval.

One point per series per interval (not per request, unlike k6), measurement =
metric name, tags = the series' tags, time = the interval's end:

- trend: ``count, mean, min, max, p50, p90, p95, p99`` (durations in ms);
- counter: ``value`` (the interval's increment);
- rate: ``passes, total, rate``;
- gauge: ``value, min, max``.
"""

from __future__ import annotations

import base64
import contextlib
import queue
import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from agentload._redact import redact
from agentload.metrics import (
    Aggregate,
    CounterData,
    GaugeData,
    RateData,
    SeriesKey,
    Snapshot,
    TrendData,
    metric_def,
)

__all__ = ["InfluxOutput", "InfluxTarget", "format_lines", "parse_influx_url"]

_QUEUE_MAX = 300
"""Intervals held while InfluxDB is slow; older ones are dropped beyond this."""


@dataclass(frozen=True, slots=True)
class InfluxTarget:
    """Where to write: ``base`` (scheme://host:port), ``database``, optional credentials."""

    base: str
    database: str
    username: str | None = None
    password: str | None = None

    @property
    def shown(self) -> str:
        """The URL without credentials (for messages)."""
        return f"{self.base}/{self.database}"


def parse_influx_url(url: str) -> InfluxTarget:
    """``http://[user:pass@]host:port/db`` → :class:`InfluxTarget` (``ValueError`` if not)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected http://host:8086/DATABASE, got {redact(url)!r}")
    database = parts.path.strip("/")
    if not database or "/" in database:
        raise ValueError(f"name one database after the host, e.g. http://localhost:8086/k6; "
                         f"got {redact(url)!r}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    port = f":{parts.port}" if parts.port else ""
    return InfluxTarget(
        f"{parts.scheme}://{host}{port}",
        urllib.parse.unquote(database),
        urllib.parse.unquote(parts.username) if parts.username else None,
        urllib.parse.unquote(parts.password) if parts.password else None,
    )


def _escape(text: str, *, measurement: bool = False) -> str:
    out = text.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")
    return out if measurement else out.replace("=", "\\=")


def _fields(metric: str, data: object) -> dict[str, float]:
    if isinstance(data, TrendData):
        d = metric_def(metric)
        scale = 1000.0 if d is not None and d.unit == "us" else 1.0
        h = data.hist
        if not h.count:
            return {}
        p50, p90, p95, p99 = h.percentiles((50.0, 90.0, 95.0, 99.0))
        return {
            "count": float(h.count), "mean": h.mean / scale, "min": h.min / scale,
            "max": h.max / scale, "p50": p50 / scale, "p90": p90 / scale, "p95": p95 / scale,
            "p99": p99 / scale,
        }
    if isinstance(data, CounterData):
        return {"value": float(data.value)}
    if isinstance(data, RateData):
        rate = data.passes / data.total if data.total else 0.0
        return {"passes": float(data.passes), "total": float(data.total), "rate": rate}
    if isinstance(data, GaugeData):
        return {"value": float(data.value), "min": float(data.min), "max": float(data.max)}
    return {}


def _line(key: SeriesKey, fields: dict[str, float], ts_ms: int) -> str:
    head = _escape(key.metric, measurement=True)
    for tag, value in key.tags:  # sorted already; InfluxDB rejects empty tag values
        if value:
            head += f",{_escape(tag)}={_escape(value)}"
    body = ",".join(f"{_escape(k)}={v!r}" for k, v in fields.items())
    return f"{head} {body} {ts_ms}"


def format_lines(snapshot: Snapshot, end_epoch_s: float) -> str:
    """The interval as line protocol, one point per series, stamped ``end_epoch_s`` (ms)."""
    ts_ms = round(end_epoch_s * 1000)
    lines = []
    for key in sorted(snapshot.series, key=lambda k: (k.metric, k.tags)):
        fields = _fields(key.metric, snapshot.series[key])
        if fields:
            lines.append(_line(key, fields, ts_ms))
    return "\n".join(lines)


class InfluxOutput:
    """Snapshot sink streaming to InfluxDB on a background thread.

    Args:
        url: ``http://host:8086/DATABASE``.
        notify: called once with a warning when InfluxDB cannot be reached.
        timeout: seconds per HTTP request.
    """

    def __init__(
        self, url: str, *, notify: Callable[[str], None] | None = None, timeout: float = 5.0
    ) -> None:
        self.target = parse_influx_url(url)
        self.notify = notify or (lambda _line: None)
        self.timeout = timeout
        self.written = 0
        """Intervals InfluxDB accepted."""
        self.failed = 0
        """Intervals that could not be written."""
        self.dropped = 0
        """Intervals dropped because the queue was full."""
        self._queue: queue.Queue[tuple[Snapshot, float] | None] = queue.Queue(_QUEUE_MAX)
        self._wall0: float | None = None
        self._warned = False
        self._thread: threading.Thread | None = None

    def start(self) -> InfluxOutput:
        """Start the writer thread (returns self)."""
        self._thread = threading.Thread(target=self._work, name="agentload-influx", daemon=True)
        self._thread.start()
        return self

    def on_snapshot(self, snapshot: Snapshot, aggregate: Aggregate, elapsed: float) -> None:
        """Queue the interval; never blocks."""
        if self._wall0 is None:
            self._wall0 = time.time() - snapshot.end
        try:
            self._queue.put_nowait((snapshot, self._wall0 + snapshot.end))
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (up to ``timeout`` s), then stop the thread."""
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout=timeout)
        self._thread = None

    def _request(self, path: str, query: dict[str, str], body: bytes) -> None:
        import urllib.request  # noqa: PLC0415 - only runs that write to InfluxDB pay for it (D21)

        url = f"{self.target.base}{path}?{urllib.parse.urlencode(query)}"
        req = urllib.request.Request(url, data=body, method="POST")
        if self.target.username is not None:
            raw = f"{self.target.username}:{self.target.password or ''}".encode()
            req.add_header("Authorization", "Basic " + base64.b64encode(raw).decode())
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            resp.read()

    def _warn(self, exc: BaseException) -> None:
        if self._warned:
            return
        self._warned = True
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        self.notify(
            f"warning: cannot write to InfluxDB at {self.target.shown} ({redact(str(reason))}); "
            "the run goes on, and writing is retried every interval"
        )

    def _work(self) -> None:
        try:
            query = {"q": f'CREATE DATABASE "{self.target.database}"'}
            self._request("/query", query, b"")
        except (OSError, ValueError) as exc:
            self._warn(exc)
        while (item := self._queue.get()) is not None:
            snapshot, end = item
            body = format_lines(snapshot, end)
            if not body:
                continue
            try:
                self._request("/write", {"db": self.target.database, "precision": "ms"},
                              body.encode())
            except (OSError, ValueError) as exc:
                self.failed += 1
                self._warn(exc)
            else:
                self.written += 1
