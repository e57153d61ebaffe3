"""The metric series of one Python scenario in one run, acquired once and cached.

User code is dynamic (a request's name or a custom metric's tags are known
only when it runs), so series cannot all be acquired at compile time as a
YAML step's are; each is acquired the first time it is used and kept in a
dict, so the hot path is one dict lookup. The custom metrics declared in the
file are acquired at compile time, without extra tags (the common case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar, cast

from agentload._redact import redact_body
from agentload.engine._streamed import HttpSeries
from agentload.errors import ErrorKind
from agentload.metrics import MetricDef, MetricKind, Recorder
from agentload.metrics.custom import CustomMetric
from agentload.protocols.http import Origin, parse_url
from agentload.scenario.model import RunConfig, Template, Timeouts

__all__ = ["MAX_SCRIPT_MESSAGES", "Bindings", "script_message"]

MAX_SCRIPT_MESSAGES = 20
"""Distinct ``script_error`` messages kept per scenario; later ones count as ``(other)``."""
_MESSAGE_LIMIT = 160
_MAX_URLS = 10_000
T = TypeVar("T")


def script_message(exc: BaseException) -> str:
    """The first line of an exception, with its type, redacted and at most 160 characters."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    text = redact_body(text)
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


class Bindings:
    """Series of one scenario (tag ``scenario``), plus the run config its requests use.

    Implements :class:`agentload.metrics.custom.MetricSink`.
    """

    __slots__ = (
        "_by_url",
        "_checks",
        "_custom",
        "_http",
        "_recorder",
        "_script",
        "_urls",
        "_ws",
        "base",
        "headers",
        "scenario",
        "timeouts",
    )

    def __init__(
        self,
        recorder: Recorder,
        *,
        scenario: str,
        config: RunConfig,
        metrics: Sequence[MetricDef] = (),
    ) -> None:
        self._recorder = recorder
        self.scenario = scenario
        self.base = config.target.rstrip("/")
        self.headers: tuple[tuple[str, Template], ...] = config.headers
        self.timeouts: Timeouts = config.timeouts
        self._http: dict[tuple[str, str], HttpSeries] = {}
        self._by_url: dict[tuple[str, str], HttpSeries] = {}
        self._urls: dict[str, tuple[Origin, str]] = {}
        self._checks: dict[str, Callable[[bool], None]] = {}
        self._script: dict[str, Callable[[float], None]] = {}
        self._custom: dict[tuple[str, tuple[tuple[str, str], ...]], Callable[[float], None]] = {}
        self._ws: dict[tuple[str, ...], object] = {}
        for d in metrics:
            self._custom[(d.name, ())] = self._acquire(d.name, d.kind, ())

    @property
    def recorder(self) -> Recorder:
        """The run's recorder (for the protocol helpers of ``ctx``)."""
        return self._recorder

    # -- HTTP ------------------------------------------------------------------------

    def http_series(self, method: str, name: str) -> HttpSeries:
        """The series of requests ``method name`` in this scenario."""
        series = self._http.get((method, name))
        if series is None:
            tags = (("method", method), ("name", name), ("scenario", self.scenario))
            series = self._http[(method, name)] = HttpSeries(self._recorder, tags)
        return series

    def default_series(self, method: str, url: str) -> HttpSeries:
        """The series of a request given no name: ``METHOD path`` (query left out, redacted).

        Resolved once per URL (redacting costs microseconds); past
        ``_MAX_URLS`` distinct URLs the name is computed each time.
        """
        series = self._by_url.get((method, url))
        if series is None:
            name = redact_body(f"{method} {url.split('?', 1)[0]}")
            series = self.http_series(method, name)
            if len(self._by_url) < _MAX_URLS:
                self._by_url[(method, url)] = series
        return series

    def parse_url(self, url: str) -> tuple[Origin, str]:
        """``parse_url(url)``, cached for the first ``_MAX_URLS`` URLs (it costs microseconds)."""
        found = self._urls.get(url)
        if found is None:
            found = parse_url(url)
            if len(self._urls) < _MAX_URLS:
                self._urls[url] = found
        return found

    def default_headers(
        self, variables: Mapping[str, object], given: Mapping[str, str] | None
    ) -> list[tuple[str, str]]:
        """``config.headers`` rendered with the VU's variables, overridden by ``given``.

        A default header whose ``${var}`` is not set yet is left out, so the login
        request that sets ``ctx.vars["token"]`` goes without ``Authorization: Bearer
        ${token}`` (docs/python-api.md, "Config").
        """
        own = {k.lower() for k in given} if given else set()
        out: list[tuple[str, str]] = []
        for key, template in self.headers:
            if key.lower() in own:
                continue
            try:
                out.append((key, template.render(variables)))
            except KeyError:
                continue
        if given:
            out.extend((str(k), str(v)) for k, v in given.items())
        return out

    def timeouts_for(self, seconds: float | None) -> Timeouts:
        """The run's timeouts, with ``total`` replaced when a request gives ``timeout``."""
        if seconds is None:
            return self.timeouts
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ValueError(f"timeout must be seconds > 0, got {seconds!r}")
        return Timeouts(self.timeouts.connect, self.timeouts.read, float(seconds))

    def ws_metrics(self, name: str, make: Callable[[Recorder], T]) -> T:
        """The session metrics object named ``name`` (WebSocket, voice), made once by ``make``."""
        return self.cached(("metrics", name), lambda: make(self._recorder))

    def cached(self, key: tuple[str, ...], make: Callable[[], T]) -> T:
        """``make()``, once per ``key`` for this scenario in this run."""
        found = self._ws.get(key)
        if found is None:
            found = self._ws[key] = make()
        return cast("T", found)

    # -- checks and errors -------------------------------------------------------------

    def check(self, name: str) -> Callable[[bool], None]:
        """The ``checks{check:name,scenario}`` series' ``add``."""
        add = self._checks.get(name)
        if add is None:
            tags = (("check", str(name)), ("scenario", self.scenario))
            add = self._checks[name] = self._recorder.rate("checks", tags).add
        return add

    def script_error(self, ref: str, exc: BaseException) -> None:
        """Count ``errors{kind:script_error, scenario, function, message}``."""
        message = script_message(exc)
        add = self._script.get(message)
        if add is None:
            if len(self._script) >= MAX_SCRIPT_MESSAGES:
                message = "(other)"
                add = self._script.get(message)
            if add is None:
                tags = (
                    ("function", ref),
                    ("kind", ErrorKind.SCRIPT.value),
                    ("message", message),
                    ("scenario", self.scenario),
                )
                add = self._script[message] = self._recorder.counter("errors", tags).add
        add(1)

    # -- custom metrics (MetricSink) ---------------------------------------------------

    def _acquire(
        self, name: str, kind: MetricKind, tags: tuple[tuple[str, str], ...]
    ) -> Callable[[float], None]:
        full = tuple(sorted((("scenario", self.scenario), *tags)))
        r = self._recorder
        if kind is MetricKind.TREND:
            add = r.trend(name, full).add
            return lambda v: add(int(v))
        if kind is MetricKind.COUNTER:
            return r.counter(name, full).add
        if kind is MetricKind.RATE:
            rate = r.rate(name, full).add
            return lambda v: rate(bool(v))
        return r.gauge(name, full).set

    def record(self, metric: CustomMetric, value: float, tags: Mapping[str, str] | None) -> None:
        """Record one custom sample (``value`` already in the recorded unit)."""
        extra = tuple(sorted((str(k), str(v)) for k, v in tags.items())) if tags else ()
        key = (metric.name, extra)
        add = self._custom.get(key)
        if add is None:
            if any(k == "scenario" for k, _ in extra):
                raise ValueError("the scenario tag is set by agentload; use another tag name")
            add = self._custom[key] = self._acquire(metric.name, metric.kind, extra)
        add(value)
