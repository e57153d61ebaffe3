"""Compare two saved runs: per-endpoint deltas and a noise-aware regression verdict.

Pure: two :class:`~agentload.reports.saved.SavedRun` in, one
:class:`Comparison` out. What is judged, and how (docs/results.md, "Comparing
runs"; decision D14):

- **Latency**: the p95 of ``http_req_duration`` per endpoint and for all
  requests, and of every other latency trend present (LLM TTFT/ITL/TPOT/e2e,
  SSE, voice, …) per request name. A p95 *regressed* when (1) it grew by more
  than the bound (``--max-regression``, default 10 %), (2) by at least
  ``min_delta_ms`` (sub-millisecond jitter is not a regression), and (3) the
  95 % block-bootstrap confidence interval of the ratio new/base lies wholly
  above ``1 + bound`` — even the low end of what the runs' own
  second-to-second variation allows is beyond the bound
  (:mod:`agentload.reports.compare_stats`).
- **Error rate** (``http_req_failed``): regressed when it grew by more than
  ``allowed = max(bound × base rate, min_error_delta)`` and the 95 % interval of
  the difference lies wholly above ``allowed``.
- A series with fewer than ``min_samples`` samples or ``min_intervals``
  non-empty intervals on either side is shown but not judged.

p50/p99/avg and request rates are shown as deltas, never judged: p99 of a
short run is a handful of requests, and throughput follows the load model.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentload.metrics import Aggregate, Histogram, RateData, SeriesKey, TrendData
from agentload.reports.compare_stats import PercentileBlocks, bootstrap_rate
from agentload.reports.compare_views import RunViews, RunViewsBuilder
from agentload.reports.redact import redact
from agentload.reports.saved import SavedRun
from agentload.reports.trend_lines import latency_trend_names

__all__ = [
    "CompareOptions",
    "Comparison",
    "RateRow",
    "TrendRow",
    "Verdict",
    "baseline_cases",
    "compare_runs",
    "parse_bound",
]

_LATENCY = "http_req_duration"
_HTTP_IDENT = ("scenario", "name", "method")
_NAME_IDENT = ("scenario", "name")
ALL = "all requests"


class Verdict(enum.StrEnum):
    """The outcome for one judged statistic."""

    REGRESSED = "regressed"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    NOT_JUDGED = "not judged"


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """The decision rule's parameters (see the module docstring)."""

    max_regression: float = 0.10
    """Allowed relative growth of a p95 (and of the error rate), 0.10 = 10 %."""
    min_delta_ms: float = 1.0
    """A p95 must also grow by at least this much (ms) to count."""
    min_error_delta: float = 0.001
    """An error rate must also grow by at least this much (0.001 = 0.1 point)."""
    min_samples: int = 50
    min_intervals: int = 3
    confidence: float = 0.95
    resamples: int = 1000
    seed: int = 14


def parse_bound(text: str) -> float:
    """``10%``, ``10`` or ``0.1`` → 0.10. Raises ``ValueError`` with what to write."""
    raw = text.strip()
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a percentage; write e.g. 10%") from None
    if percent or value > 1:
        value /= 100.0
    if not math.isfinite(value) or not 0 <= value < 100:
        raise ValueError(f"{text!r} is out of range; write a percentage such as 10%")
    return value


@dataclass(frozen=True, slots=True)
class TrendRow:
    """One latency trend of one endpoint in both runs (milliseconds)."""

    endpoint: str
    method: str
    metric: str
    base: Mapping[str, float | None]
    """count, p50, p95, p99, avg of the base run."""
    new: Mapping[str, float | None]
    ci: tuple[float, float] | None
    """Confidence interval of the ratio new p95 / base p95, when judged."""
    verdict: Verdict
    reason: str

    def change(self, stat: str) -> float | None:
        """Relative change of ``stat`` (0.12 = +12 %), ``None`` when undefined."""
        return _relative(self.base.get(stat), self.new.get(stat))


@dataclass(frozen=True, slots=True)
class RateRow:
    """Request rate and error rate of one endpoint in both runs."""

    endpoint: str
    method: str
    base_count: int
    new_count: int
    base_rps: float
    new_rps: float
    base_error_rate: float | None
    new_error_rate: float | None
    ci: tuple[float, float] | None
    """Confidence interval of the error-rate difference (new − base), when judged."""
    verdict: Verdict
    reason: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The comparison of two runs; :attr:`regressed` is the verdict."""

    base_path: str
    new_path: str
    base_run: Mapping[str, Any]
    new_run: Mapping[str, Any]
    options: CompareOptions
    trends: tuple[TrendRow, ...]
    rates: tuple[RateRow, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    views: tuple[RunViews, RunViews] | None = field(default=None, compare=False, repr=False)
    """Base's and new's data over time for the compare page, gathered in the same pass
    over each run's snapshots as the bootstrap (not part of :meth:`to_dict`)."""

    @property
    def regressions(self) -> list[str]:
        """One line per regressed statistic."""
        out = [
            f"{r.endpoint}: {r.metric} p95 {r.reason}"
            for r in self.trends
            if r.verdict is Verdict.REGRESSED
        ]
        out += [
            f"{r.endpoint}: error rate {r.reason}"
            for r in self.rates
            if r.verdict is Verdict.REGRESSED
        ]
        return out

    @property
    def judged(self) -> int:
        """How many statistics were judged (had enough samples on both sides)."""
        rows: list[TrendRow | RateRow] = [*self.trends, *self.rates]
        return sum(r.verdict is not Verdict.NOT_JUDGED for r in rows)

    @property
    def regressed(self) -> bool:
        """True when any judged statistic regressed."""
        return bool(self.regressions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``agentload compare --json``, ``run.baseline`` in summary.json)."""
        o = self.options
        return {
            "base": self.base_path,
            "new": self.new_path,
            "verdict": "regressed" if self.regressed else "passed",
            "max_regression": o.max_regression,
            "min_delta_ms": o.min_delta_ms,
            "min_error_delta": o.min_error_delta,
            "confidence": o.confidence,
            "regressions": self.regressions,
            "notes": list(self.notes),
            "latency": [
                {
                    "endpoint": r.endpoint,
                    "method": r.method,
                    "metric": r.metric,
                    "base": dict(r.base),
                    "new": dict(r.new),
                    "p95_ratio_ci": list(r.ci) if r.ci else None,
                    "verdict": r.verdict.value,
                    "reason": r.reason,
                }
                for r in self.trends
            ],
            "requests": [
                {
                    "endpoint": r.endpoint,
                    "method": r.method,
                    "base_count": r.base_count,
                    "new_count": r.new_count,
                    "base_rps": r.base_rps,
                    "new_rps": r.new_rps,
                    "base_error_rate": r.base_error_rate,
                    "new_error_rate": r.new_error_rate,
                    "error_rate_delta_ci": list(r.ci) if r.ci else None,
                    "verdict": r.verdict.value,
                    "reason": r.reason,
                }
                for r in self.rates
            ],
        }


def _relative(base: float | None, new: float | None) -> float | None:
    if base is None or new is None or base <= 0:
        return None
    return new / base - 1.0


# -- collecting series --------------------------------------------------------


_Query = tuple[str, tuple[tuple[str, str], ...]]
"""A metric and a tag filter (sorted items), as a dict key."""


def _query(metric: str, where: Mapping[str, str]) -> _Query:
    return metric, tuple(sorted(where.items()))


def _selects(metric: str, where: tuple[tuple[str, str], ...]) -> Callable[[SeriesKey], bool]:
    tags = dict(where)
    return lambda key: key.metric == metric and key.matches(tags)


class _Side:
    """One run, indexed for comparison: its aggregate, and per judged series its intervals.

    :meth:`collect` streams the run's snapshots once (they are never all in
    memory), merging each judged trend's intervals into bootstrap blocks
    (:class:`PercentileBlocks`; loading counted its non-empty intervals) and
    keeping each error rate's per-interval ``(failed, total)``.
    """

    def __init__(self, saved: SavedRun) -> None:
        self.saved = saved
        self.total = saved.aggregate
        self.duration = float(saved.summary.get("run", {}).get("duration_s") or 0.0) or (
            self.total.elapsed
        )
        self._present: dict[_Query, int] = {}
        self._blocks: dict[_Query, PercentileBlocks] = {}
        self._pairs: dict[_Query, list[tuple[int, int]]] = {}

    def idents(self, metric: str, tags: Sequence[str]) -> set[tuple[tuple[str, str], ...]]:
        return {
            tuple((t, v) for t in tags if (v := key.tag(t)) is not None)
            for key in self.total
            if key.metric == metric
        }

    def collect(self, trends: Iterable[_Query], rates: Iterable[_Query]) -> RunViews:
        """Read what :meth:`intervals`, :meth:`blocks` and :meth:`rate_pairs` answer.

        Also returns the run's views for the compare page, built in the same pass.
        """
        tq, rq = sorted(set(trends)), sorted(set(rates))
        cache: dict[SeriesKey, tuple[list[int], list[int]]] = {}

        def matching(key: SeriesKey) -> tuple[list[int], list[int]]:
            found = cache.get(key)
            if found is None:
                found = (
                    [i for i, (m, w) in enumerate(tq) if m == key.metric and key.matches(dict(w))],
                    [i for i, (m, w) in enumerate(rq) if m == key.metric and key.matches(dict(w))],
                )
                cache[key] = found
            return found

        # How many intervals each series has is known from loading, so every
        # interval's bootstrap block is known as it streams by.
        snapshots = self.saved.snapshots
        present = [snapshots.intervals_with(_selects(m, w)) for m, w in tq]
        blocks = [PercentileBlocks(n) for n in present]
        pairs: list[list[tuple[int, int]]] = [[] for _ in rq]
        views = RunViewsBuilder(self.saved)
        read = {m for m, _ in tq}
        for snap in snapshots.iter_snapshots(lambda m: m in read or views.trends(m)):
            views.add(snap)
            parts: dict[int, list[Histogram]] = {}
            sums: dict[int, tuple[int, int]] = {}
            for key, data in snap.series.items():
                if isinstance(data, TrendData) and data.count:
                    for q in matching(key)[0]:
                        parts.setdefault(q, []).append(data.hist)
                elif isinstance(data, RateData):
                    for q in matching(key)[1]:
                        passes, total = sums.get(q, (0, 0))
                        sums[q] = (passes + data.passes, total + data.total)
            for q, hists in parts.items():
                blocks[q].add(hists)
            for q, pair in sums.items():
                if pair[1]:
                    pairs[q].append(pair)
        views.close()
        self._present.update(zip(tq, present, strict=True))
        self._blocks.update(zip(tq, blocks, strict=True))
        self._pairs.update(zip(rq, pairs, strict=True))
        return views.result()

    def intervals(self, metric: str, where: Mapping[str, str]) -> int:
        """How many intervals hold samples of ``metric`` matching ``where``."""
        return self._present[_query(metric, where)]

    def blocks(self, metric: str, where: Mapping[str, str]) -> PercentileBlocks:
        """Those intervals, merged into bootstrap blocks."""
        return self._blocks[_query(metric, where)]

    def rate_pairs(self, metric: str, where: Mapping[str, str]) -> list[tuple[int, int]]:
        """Per interval with outcomes: ``(true, total)`` of rate ``metric`` matching ``where``."""
        return self._pairs[_query(metric, where)]


def _stats(hist: Histogram | None) -> dict[str, float | None]:
    if hist is None or not hist.count:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "avg": None}
    p50, p95, p99 = (v / 1000.0 for v in hist.percentiles((50.0, 95.0, 99.0)))
    return {"count": hist.count, "p50": p50, "p95": p95, "p99": p99, "avg": hist.mean / 1000.0}


def _label(ident: Mapping[str, str]) -> str:
    if not ident:
        return ALL
    scenario = ident.get("scenario", "")
    where = f"{scenario} › " if scenario not in ("", "default") else ""
    return redact(f"{where}{ident.get('name') or ident.get('method', '')}")


def _ci(values: np.ndarray[Any, Any], confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}%"


def _judge_trend(
    base: _Side, new: _Side, metric: str, where: Mapping[str, str], o: CompareOptions
) -> tuple[
    dict[str, float | None], dict[str, float | None], tuple[float, float] | None, Verdict, str
]:
    b = _stats(base.total.trend(metric, where))
    n = _stats(new.total.trend(metric, where))
    bh, nh = base.intervals(metric, where), new.intervals(metric, where)
    counts = (int(b["count"] or 0), int(n["count"] or 0))
    if not counts[0] or not counts[1]:
        side = "base" if not counts[0] else "new"
        return b, n, None, Verdict.NOT_JUDGED, f"no samples in the {side} run"
    if min(counts) < o.min_samples:
        return b, n, None, Verdict.NOT_JUDGED, f"too few samples (< {o.min_samples})"
    if min(bh, nh) < o.min_intervals:
        return b, n, None, Verdict.NOT_JUDGED, f"too few intervals (< {o.min_intervals})"
    bb = base.blocks(metric, where).bootstrap(95.0, resamples=o.resamples, seed=o.seed)
    nb = new.blocks(metric, where).bootstrap(95.0, resamples=o.resamples, seed=o.seed + 1)
    assert bb is not None and nb is not None  # both sides have samples
    ci = _ci(nb / np.maximum(bb, 1e-9), o.confidence)
    bp, np95 = float(b["p95"] or 0.0), float(n["p95"] or 0.0)
    change = np95 / bp - 1.0 if bp > 0 else 0.0
    delta = np95 - bp
    shown = (
        f"{bp:.2f} → {np95:.2f} ms ({_pct(change)}, 95% CI {_pct(ci[0] - 1)}..{_pct(ci[1] - 1)})"
    )
    # The whole interval must be past the bound: "confidently worse than allowed".
    high, low = 1.0 + o.max_regression, 1.0 / (1.0 + o.max_regression)
    if change > o.max_regression and delta >= o.min_delta_ms and ci[0] > high:
        return b, n, ci, Verdict.REGRESSED, shown
    if np95 / bp < low and -delta >= o.min_delta_ms and ci[1] < low:
        return b, n, ci, Verdict.IMPROVED, shown
    return b, n, ci, Verdict.UNCHANGED, shown


def _judge_rate(
    base: _Side, new: _Side, where: Mapping[str, str], o: CompareOptions
) -> tuple[float | None, float | None, tuple[float, float] | None, Verdict, str]:
    bt, nt = base.total.rate("http_req_failed", where), new.total.rate("http_req_failed", where)
    br = bt[0] / bt[1] if bt and bt[1] else None
    nr = nt[0] / nt[1] if nt and nt[1] else None
    if br is None or nr is None:
        side = "base" if br is None else "new"
        return br, nr, None, Verdict.NOT_JUDGED, f"no requests in the {side} run"
    assert bt is not None and nt is not None
    if min(bt[1], nt[1]) < o.min_samples:
        return br, nr, None, Verdict.NOT_JUDGED, f"too few requests (< {o.min_samples})"
    bp, np_ = base.rate_pairs("http_req_failed", where), new.rate_pairs("http_req_failed", where)
    if min(len(bp), len(np_)) < o.min_intervals:
        return br, nr, None, Verdict.NOT_JUDGED, f"too few intervals (< {o.min_intervals})"
    bb = bootstrap_rate(bp, resamples=o.resamples, seed=o.seed + 2)
    nb = bootstrap_rate(np_, resamples=o.resamples, seed=o.seed + 3)
    assert bb is not None and nb is not None
    ci = _ci(nb - bb, o.confidence)
    delta = nr - br
    allowed = max(o.max_regression * br, o.min_error_delta)
    shown = (
        f"{br * 100:.2f}% → {nr * 100:.2f}% ({delta * 100:+.2f} points, "
        f"95% CI {ci[0] * 100:+.2f}..{ci[1] * 100:+.2f})"
    )
    if delta > allowed and ci[0] > allowed:
        return br, nr, ci, Verdict.REGRESSED, shown
    if -delta > allowed and ci[1] < -allowed:
        return br, nr, ci, Verdict.IMPROVED, shown
    return br, nr, ci, Verdict.UNCHANGED, shown


def _latency_metrics(base: Aggregate, new: Aggregate) -> list[str]:
    """``http_req_duration`` first, then the other latency trends either run has."""
    names = {m for agg in (base, new) for m in latency_trend_names(agg.metrics(), agg.kind)}
    if _LATENCY in base.metrics() | new.metrics():
        names.add(_LATENCY)
    return sorted(names, key=lambda m: (m != _LATENCY, m))


def _ordered(idents: Iterable[tuple[tuple[str, str], ...]]) -> list[dict[str, str]]:
    return [dict(i) for i in sorted(idents)]


def compare_runs(
    base: SavedRun, new: SavedRun, options: CompareOptions | None = None
) -> Comparison:
    """Compare ``new`` against ``base`` (see the module docstring for the rule)."""
    o = options or CompareOptions()
    b, n = _Side(base), _Side(new)
    judged: list[tuple[str, dict[str, str]]] = []
    for metric in _latency_metrics(b.total, n.total):
        tags = _HTTP_IDENT if metric == _LATENCY else _NAME_IDENT
        idents = _ordered(b.idents(metric, tags) | n.idents(metric, tags))
        # "all requests" only where it adds something: several endpoints, or HTTP latency.
        wheres: list[dict[str, str]] = [{}] if metric == _LATENCY or len(idents) > 1 else []
        judged += [(metric, where) for where in [*wheres, *idents]]
    http = _ordered(b.idents("http_reqs", _HTTP_IDENT) | n.idents("http_reqs", _HTTP_IDENT))
    rate_wheres: list[dict[str, str]] = [{}, *http] if http else []
    base_views, new_views = (
        side.collect(
            [_query(metric, where) for metric, where in judged],
            [_query("http_req_failed", where) for where in rate_wheres],
        )
        for side in (b, n)
    )
    trends: list[TrendRow] = []
    for metric, where in judged:
        bs, ns, ci, verdict, reason = _judge_trend(b, n, metric, where, o)
        trends.append(
            TrendRow(_label(where), where.get("method", ""), metric, bs, ns, ci, verdict, reason)
        )
    rates: list[RateRow] = []
    for where in rate_wheres:
        bc, nc = b.total.counter("http_reqs", where), n.total.counter("http_reqs", where)
        br, nr, ci, verdict, reason = _judge_rate(b, n, where, o)
        rates.append(
            RateRow(
                endpoint=_label(where),
                method=where.get("method", ""),
                base_count=int(bc),
                new_count=int(nc),
                base_rps=bc / b.duration if b.duration > 0 else 0.0,
                new_rps=nc / n.duration if n.duration > 0 else 0.0,
                base_error_rate=br,
                new_error_rate=nr,
                ci=ci,
                verdict=verdict,
                reason=reason,
            )
        )
    notes = _notes(base.summary, new.summary)
    return Comparison(
        base_path=str(base.path),
        new_path=str(new.path),
        base_run=dict(base.summary.get("run") or {}),
        new_run=dict(new.summary.get("run") or {}),
        options=o,
        trends=tuple(trends),
        rates=tuple(rates),
        notes=notes,
        views=(base_views, new_views),
    )


def _notes(base: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """Differences between the runs that make the comparison less meaningful."""
    out = []
    b, n = base.get("run") or {}, new.get("run") or {}
    if b.get("plan_description") != n.get("plan_description"):
        out.append("the load plans differ: latency under different loads is not comparable")
    if redact(str(b.get("target"))) != redact(str(n.get("target"))):
        out.append(
            f"different targets: {redact(str(b.get('target')))} vs {redact(str(n.get('target')))}"
        )
    for label, run in (("base", b), ("new", n)):
        if run.get("stopped_early"):
            out.append(f"the {label} run stopped early ({run.get('stop_reason')})")
    return tuple(out)


def baseline_cases(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``run.baseline``'s judged statistics as threshold-like rows, for ``junit.xml``.

    One per judged p95 and error rate (``classname`` ``agentload.baseline``), so a
    CI test tab lists the regression gate next to the thresholds. Empty without
    a baseline.
    """
    gate = (summary.get("run") or {}).get("baseline")
    if not isinstance(gate, Mapping):
        return []
    bound = gate.get("max_regression")
    limit = f"+{bound * 100:g}%" if isinstance(bound, int | float) else "the bound"
    rows: list[dict[str, Any]] = []
    if gate.get("verdict") == "error":
        message = str(gate.get("error", ""))
        rows.append(_case("baseline", "readable", False, message))
        return rows
    judged = [(r, f"{r.get('metric')} p95") for r in gate.get("latency") or []]
    judged += [(r, "error rate") for r in gate.get("requests") or []]
    for r, what in judged:
        if r.get("verdict") == Verdict.NOT_JUDGED:
            continue
        where = f"{r.get('method', '')} {r.get('endpoint', '')}".strip()
        rows.append(
            _case(
                f"baseline {where}",
                f"{what} within {limit}",
                r.get("verdict") != Verdict.REGRESSED,
                str(r.get("reason", "")),
            )
        )
    return rows


def _case(metric: str, expression: str, passed: bool, message: str) -> dict[str, Any]:
    return {
        "metric": metric,
        "expression": expression,
        "passed": passed,
        "observed": None,
        "abort_on_fail": False,
        "message": message,
        "classname": "agentload.baseline",
    }
