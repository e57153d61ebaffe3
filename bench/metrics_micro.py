"""Micro-benchmarks of the metrics hot path: ``python bench/metrics_micro.py``.

Prints ns per operation for the series the engine calls per request, the cost
of draining a 100k-value interval into a histogram, and ``hdrh``'s
``record_value`` for comparison. Figures are the best of several repeats,
minus the cost of an empty ``timeit`` loop.
"""

from __future__ import annotations

import time
import timeit

import numpy as np

from agentload.metrics import Histogram, Recorder


def _ns_per_op(stmt: str, env: dict[str, object], number: int = 1_000_000) -> float:
    best = min(timeit.repeat(stmt, globals=env, number=number, repeat=7))
    empty = min(timeit.repeat("pass", number=number, repeat=7))
    return (best - empty) / number * 1e9


def main() -> None:
    """Run every benchmark and print a table."""
    rec = Recorder()
    trend = rec.trend("http_req_duration", {"name": "x"})
    counter = rec.counter("http_reqs")
    rate = rec.rate("http_req_failed")
    gauge = rec.gauge("vus")
    add = trend.add
    env: dict[str, object] = {
        "trend": trend,
        "add": add,
        "counter": counter,
        "rate": rate,
        "gauge": gauge,
    }
    rows: list[tuple[str, float, str]] = [
        ("TrendSeries.add(v)", _ns_per_op("trend.add(12345)", env), "ns/op"),
        ("  (bound add cached)", _ns_per_op("add(12345)", env), "ns/op"),
        ("CounterSeries.add()", _ns_per_op("counter.add()", env), "ns/op"),
        ("CounterSeries.add(n)", _ns_per_op("counter.add(512)", env), "ns/op"),
        ("RateSeries.add(ok)", _ns_per_op("rate.add(False)", env), "ns/op"),
        ("GaugeSeries.set(v)", _ns_per_op("gauge.set(7)", env), "ns/op"),
    ]
    rec.snapshot(start=0, end=1)

    rng = np.random.default_rng(7)
    values = rng.lognormal(9.0, 1.0, 100_000).astype(np.int64).tolist()

    raw = np.array(values, dtype=np.int64).tobytes()
    best = float("inf")
    for _ in range(15):
        trend._buffer.frombytes(raw)  # as if 100k requests had called add()
        t0 = time.perf_counter()
        rec.snapshot(start=0, end=1)
        best = min(best, time.perf_counter() - t0)
    rows.append(("snapshot of 100k values", best * 1e6, "µs"))
    rows.append(("  per value", best / 1e5 * 1e9, "ns/value"))
    idle = Recorder()
    for i in range(100):
        idle.trend("t", {"i": str(i)})
        idle.counter("c", {"i": str(i)})
    rows.append(
        (
            "idle snapshot, 200 series",
            min(timeit.repeat(lambda: idle.snapshot(start=0, end=1), number=100, repeat=5))
            / 100
            * 1e6,
            "µs",
        ),
    )
    hist = Histogram()
    hist.record_array(np.array(values[:100_000], dtype=np.int64))
    rows.append(
        (
            "Histogram.encode (100k lognormal)",
            min(timeit.repeat(hist.encode, number=20, repeat=3)) / 20 * 1e6,
            "µs",
        )
    )
    rows.append(("  encoded size", float(len(hist.encode())), "chars"))
    rows.append(
        (
            "Histogram.percentile(99)",
            min(timeit.repeat(lambda: hist.percentile(99), number=200, repeat=3)) / 200 * 1e6,
            "µs",
        )
    )
    try:
        # Optional dev dependency, only for the comparison row.
        from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        pass
    else:
        ref = HdrHistogram(1, 3_600_000_000, 3)
        rows.append(
            (
                "hdrh HdrHistogram.record_value",
                _ns_per_op("ref.record_value(12345)", {"ref": ref}, 200_000),
                "ns/op",
            )
        )
    width = max(len(r[0]) for r in rows)
    print(f"{'operation':<{width}}  {'cost':>10}  unit")
    for name, cost, unit in rows:
        print(f"{name:<{width}}  {cost:>10.1f}  {unit}")


if __name__ == "__main__":
    main()
