"""evaluate(): every aggregation and operator against an Aggregate of known samples."""

from __future__ import annotations

import pytest

from agentload.metrics import Aggregate, Recorder
from agentload.thresholds import ThresholdResult, evaluate, parse_threshold

ELAPSED = 10.0


@pytest.fixture(scope="module")
def run() -> Aggregate:
    """Two seconds of a small run: every metric kind, with tags."""
    rec = Recorder()
    agg = Aggregate()
    login = rec.trend("http_req_duration", {"name": "login"})
    home = rec.trend("http_req_duration", {"name": "home"})
    custom = rec.trend("custom_ttft")
    for second in range(2):
        for ms in range(1 + 50 * second, 51 + 50 * second):  # login: 1..100 ms over 2 s
            login.add(ms * 1_000)
        for _ in range(5):
            home.add(5_000)
        custom.add(250_000)
        rec.counter("http_reqs", {"name": "login"}).add(50)
        rec.counter("http_reqs", {"name": "home"}).add(5)
        rec.counter("data_received").add(1_000_000)
        rec.counter("my_counter").add(3)
        failed = rec.rate("http_req_failed", {"name": "login"})
        failed.add(True)
        for _ in range(49):
            failed.add(False)
        checks = rec.rate("checks")
        for i in range(100):
            checks.add(i != 0)
        rec.rate("empty_rate")
        vus = rec.gauge("vus")
        vus.set(5)
        vus.set(10)
        vus.set(7 + second)
        agg.add(rec.snapshot(start=float(second), end=float(second + 1)))
    return agg


def _one(agg: Aggregate, selector: str, expression: str,
         elapsed: float = ELAPSED) -> ThresholdResult:
    (result,) = evaluate([parse_threshold(selector, expression)], agg, elapsed=elapsed)
    return result


@pytest.mark.parametrize(("selector", "expression", "passed", "observed"), [
    # trends: observed in ms
    ("http_req_duration{name:login}", "avg<50.6", True, 50.5),
    ("http_req_duration{name:login}", "avg<50.5", False, 50.5),
    ("http_req_duration{name:login}", "min==1", True, 1.0),
    ("http_req_duration{name:login}", "min>1", False, 1.0),
    ("http_req_duration{name:login}", "max>=100", True, 100.0),
    ("http_req_duration{name:login}", "max!=100", False, 100.0),
    ("http_req_duration{name:login}", "med<=50.015", True, 50.015),
    ("http_req_duration{name:login}", "p(95)<95.04", True, 95.039),
    ("http_req_duration{name:login}", "p(95)<95", False, 95.039),
    ("http_req_duration{name:login}", "p(100)<=0.1s", True, 100.0),
    ("http_req_duration{name:login}", "p(0)<1001us", True, 1.0),
    ("http_req_duration{name:login}", "count==100", True, 100),
    ("http_req_duration{name:home}", "avg==5", True, 5.0),
    ("http_req_duration{name:home}", "p(99)<5ms", False, 5.0),  # capped at exact max
    ("http_req_duration", "count>109", True, 110),
    ("http_req_duration", "max<100", False, 100.0),
    # custom trend: no unit known, raw comparison (250000 µs), or with a unit
    ("custom_ttft", "p(50)>249000", True, 250_000),
    ("custom_ttft", "avg<=250ms", True, 250.0),
    # counters: count is the total, rate is per second of the run
    ("http_reqs", "count==110", True, 110),
    ("http_reqs{name:home}", "count<10", False, 10),
    ("http_reqs", "rate>10", True, 11.0),
    ("http_reqs", "rate>11", False, 11.0),
    ("data_received", "count>=2MB", True, 2_000_000),
    ("data_received", "rate<=200kB", True, 200_000),
    ("data_received", "rate<200kB", False, 200_000),
    ("my_counter", "count==6", True, 6),
    ("errors", "count<1", True, 0),                       # built-in, never incremented
    ("errors{kind:http_5xx}", "count<1", True, 0),
    ("dropped_iterations", "rate==0", True, 0.0),
    # rates: fraction
    ("http_req_failed", "rate<0.05", True, 0.02),
    ("http_req_failed", "rate<1%", False, 0.02),
    ("checks", "rate>0.99", False, 0.99),
    ("checks", "rate>=99%", True, 0.99),
    # gauges
    ("vus", "value==8", True, 8),
    ("vus", "min>=5", True, 5),
    ("vus", "max>10", False, 10),
])
def test_aggregations_and_operators(run: Aggregate, selector: str, expression: str,
                                    passed: bool, observed: float) -> None:
    result = _one(run, selector, expression)
    assert result.passed is passed, result.message
    assert result.observed == pytest.approx(observed)


def test_messages(run: Aggregate) -> None:
    assert _one(run, "http_req_duration{name:login}", "p(95)<300").message == (
        "p(95)=95.04ms; threshold <300ms")
    assert _one(run, "http_req_failed", "rate<0.01").message == (
        "rate=0.02 (2%); threshold <0.01 (1%)")
    assert _one(run, "http_reqs", "rate>10").message == "rate=11/s; threshold >10/s"
    assert _one(run, "data_received", "count>1MB").message == (
        "count=2000000 B; threshold >1000000 B")


@pytest.mark.parametrize(("selector", "expression", "fragment"), [
    ("http_req_duraton", "p(95)<300", "did you mean http_req_duration"),
    ("nothing_like_it", "avg<3", "no metric named 'nothing_like_it' was recorded"),
    ("http_req_duration{name:logn}", "p(95)<300", "tag name takes the values home, login"),
    ("http_req_duration{nme:login}", "p(95)<300", "no http_req_duration series has a tag 'nme'"),
    ("http_reqs{nme:login}", "count>1", "no http_reqs series has a tag 'nme'"),
    ("empty_rate", "rate<0.1", "no samples for empty_rate"),
    ("checks{check:x}", "rate>0.9", "no checks series has a tag 'check'"),
    ("iteration_duration", "p(95)<300", "iteration_duration recorded nothing in this run"),
    ("vus_max", "value<3", "no samples for vus_max"),
])
def test_no_samples_fails_with_a_hint(run: Aggregate, selector: str, expression: str,
                                      fragment: str) -> None:
    result = _one(run, selector, expression)
    assert not result.passed and result.observed is None
    assert result.message.startswith("no samples for")
    assert fragment in result.message


def test_kind_checked_at_evaluation_for_unknown_metrics(run: Aggregate) -> None:
    result = _one(run, "my_counter", "avg<3")
    assert not result.passed and "does not apply to counter metric" in result.message


def test_counter_rate_needs_elapsed(run: Aggregate) -> None:
    result = _one(run, "http_reqs", "rate>1", elapsed=0.0)
    assert not result.passed and "run duration" in result.message


def test_evaluate_keeps_order_and_is_pure(run: Aggregate) -> None:
    thresholds = [parse_threshold("http_reqs", "count>1"), parse_threshold("vus", "value<1")]
    before = run.to_dict()
    results = evaluate(thresholds, run, elapsed=ELAPSED)
    assert [r.threshold for r in results] == thresholds
    assert [r.passed for r in results] == [True, False]
    assert evaluate(thresholds, run, elapsed=ELAPSED) == results
    assert run.to_dict() == before
    assert evaluate([], run, elapsed=1.0) == ()
