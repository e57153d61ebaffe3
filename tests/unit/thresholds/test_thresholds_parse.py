"""parse_threshold / parse_selector: values, units, and fix-it errors with columns."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.errors import ThresholdSyntaxError
from agentload.metrics import MetricDef, MetricKind
from agentload.thresholds import (
    Aggregation,
    Operator,
    Threshold,
    parse_selector,
    parse_threshold,
)


def test_basic_parse() -> None:
    t = parse_threshold("http_req_duration{name:health}", " p(95) < 50 ", abort_on_fail=True,
                        delay_abort_eval=10.0)
    assert t == Threshold(
        selector="http_req_duration{name:health}", metric="http_req_duration",
        tags=(("name", "health"),), aggregation=Aggregation.PERCENTILE, percentile=95.0,
        op=Operator.LT, value=50_000.0, source="p(95) < 50", unit="us", kind=MetricKind.TREND,
        abort_on_fail=True, delay_abort_eval=10.0,
    )
    assert t.label == "p(95)" and t.is_duration
    assert str(t) == "http_req_duration{name:health}: p(95) < 50"


@pytest.mark.parametrize(("selector", "expression", "aggregation", "percentile", "value"), [
    ("http_req_duration", "avg<20", Aggregation.AVG, None, 20_000),
    ("http_req_duration", "min>1", Aggregation.MIN, None, 1_000),
    ("http_req_duration", "max<=2s", Aggregation.MAX, None, 2_000_000),
    ("http_req_duration", "med<1.5ms", Aggregation.MED, None, 1_500),
    ("http_req_duration", "p(99.9)<1.5s", Aggregation.PERCENTILE, 99.9, 1_500_000),
    ("http_req_duration", "p(0)>=250us", Aggregation.PERCENTILE, 0.0, 250),
    ("http_req_duration", "p(100)<250µs", Aggregation.PERCENTILE, 100.0, 250),
    ("http_req_duration", "p( 50 )<2m", Aggregation.PERCENTILE, 50.0, 120_000_000),
    ("http_req_duration", "count>100", Aggregation.COUNT, None, 100),
    ("http_req_duration", "avg<.5", Aggregation.AVG, None, 500),
    ("http_req_duration", "avg<1e3", Aggregation.AVG, None, 1_000_000),
    ("http_req_duration", "avg < 300 ms", Aggregation.AVG, None, 300_000),
    ("http_reqs", "count>100", Aggregation.COUNT, None, 100),
    ("http_reqs", "rate>=50.5", Aggregation.RATE, None, 50.5),
    ("http_req_failed", "rate<0.01", Aggregation.RATE, None, 0.01),
    ("checks", "rate>99%", Aggregation.RATE, None, 0.99),
    ("data_received", "count>1.5MB", Aggregation.COUNT, None, 1_500_000),
    ("data_sent", "rate<1KiB", Aggregation.RATE, None, 1024),
    ("vus", "value==10", Aggregation.VALUE, None, 10),
    ("vus_max", "max!=-1", Aggregation.MAX, None, -1),
    ("my_custom", "avg<2", Aggregation.AVG, None, 2),          # unknown: raw number
    ("my_custom", "p(90)<2s", Aggregation.PERCENTILE, 90.0, 2_000_000),  # durations are µs
    ("my_custom", "count>5kB", Aggregation.COUNT, None, 5_000),
])
def test_values_are_in_recorded_units(selector: str, expression: str, aggregation: Aggregation,
                                      percentile: float | None, value: float) -> None:
    t = parse_threshold(selector, expression)
    assert t.aggregation is aggregation
    assert t.percentile == percentile
    assert t.value == pytest.approx(value)


def test_operators() -> None:
    for op in Operator:
        assert parse_threshold("vus", f"value{op.value}3").op is op
    assert Operator.LT.compare(1, 2) and not Operator.GE.compare(1, 2)
    assert Operator.NE.compare(1, 2) and Operator.EQ.compare(2, 2.0)


def test_custom_metric_definitions() -> None:
    defs = {"llm_ttft": MetricDef("llm_ttft", MetricKind.TREND, "us")}
    t = parse_threshold("llm_ttft", "p(95)<800", metrics=defs)
    assert (t.value, t.unit, t.kind) == (800_000, "us", MetricKind.TREND)
    with pytest.raises(ThresholdSyntaxError, match="does not apply"):
        parse_threshold("llm_ttft", "rate<1", metrics=defs)
    assert parse_threshold("my_duration", "p(95)<800ms").unit == "us"
    assert parse_threshold("my_thing", "p(95)<800").unit == ""


def test_selector() -> None:
    assert parse_selector("http_reqs") == ("http_reqs", ())
    assert parse_selector(" m { b : 2 , a:x y } ") == ("m", (("a", "x y"), ("b", "2")))
    assert parse_selector("m{url:http://h:8080/p?q=1}") == ("m", (("url", "http://h:8080/p?q=1"),))
    assert parse_selector("m{scenario.name:a,status-code:200}")[1] == (
        ("scenario.name", "a"), ("status-code", "200"))


# (selector, expression, message fragment, column, which text the column points into)
MALFORMED = [
    ("http_req_duration", "p95<300", "write p(95)", 1, "e"),
    ("http_req_duration", "p99.9<300", "write p(99.9)", 1, "e"),
    ("http_req_duration", "percentile(95)<300", "write p(N)", 1, "e"),
    ("http_req_duration", "P(95)<300", "lower case", 1, "e"),
    ("http_req_duration", "AVG<300", "write avg", 1, "e"),
    ("http_req_duration", "mean<300", "write avg", 1, "e"),
    ("http_req_duration", "avgg<300", "did you mean avg", 1, "e"),
    ("http_req_duration", "foo<300", "use one of avg, min, max", 1, "e"),
    ("http_req_duration", "", "empty threshold", 1, "e"),
    ("http_req_duration", "<300", "missing aggregation", 1, "e"),
    ("http_req_duration", "p<300", "p(95)", 2, "e"),
    ("http_req_duration", "p()<300", "from 0 to 100", 3, "e"),
    ("http_req_duration", "p(101)<300", "out of range", 3, "e"),
    ("http_req_duration", "p(-1)<300", "out of range", 3, "e"),
    ("http_req_duration", "p(95<300", "missing ')'", 5, "e"),
    ("http_req_duration", "p(95)300", "expected an operator", 6, "e"),
    ("http_req_duration", "p(95)=300", "write ==", 6, "e"),
    ("http_req_duration", "p(95)=<300", "write <=", 6, "e"),
    ("http_req_duration", "p(95)=>300", "write >=", 6, "e"),
    ("http_req_duration", "p(95)<>300", "write !=", 6, "e"),
    ("http_req_duration", "p(95)≤300", "write <=", 6, "e"),
    ("http_req_duration", "p(95)<", "expected a number after '<'", 7, "e"),
    ("http_req_duration", "p(95)<fast", "expected a number after '<', got 'fast'", 7, "e"),
    ("http_req_duration", "p(95)<300sec", "unknown duration unit 'sec'", 10, "e"),
    ("http_req_duration", "p(95)<300 && avg<20", "one condition per list item", 11, "e"),
    ("http_req_duration", "p(95)<300 garbage", "unexpected 'garbage'", 11, "e"),
    ("http_req_duration", "rate<0.1", "does not apply to trend metric", 1, "e"),
    ("http_reqs", "count>100ms", "plain number: drop 'ms'", 10, "e"),
    ("http_reqs", "avg<3", "use count, rate", 1, "e"),
    ("http_req_failed", "count<10", "count is not defined for rate metric", 1, "e"),
    ("http_req_failed", "rate<0.1s", "fraction from 0 to 1", 9, "e"),
    ("data_sent", "count>1XB", "unknown size unit 'XB'", 8, "e"),
    ("vus", "p(95)<3", "use max, min, value", 1, "e"),
    ("my_custom", "avg<3%", "plain number: drop '%'", 6, "e"),
    ("", "avg<3", "empty metric name", 1, "s"),
    ("9lives", "avg<3", "starts with a letter", 1, "s"),
    ("http req", "avg<3", "no spaces", 6, "s"),
    ("http_req_duration(name:x)", "avg<3", "tag filters go in braces", 18, "s"),
    ("http_req_duration{name=health}", "avg<3", "tag:value, not tag=value", 23, "s"),
    ("http_req_duration{name:health", "avg<3", "missing '}'", 30, "s"),
    ("http_req_duration{}", "avg<3", "empty tag filter", 19, "s"),
    ("http_req_duration{name:}", "avg<3", "has no value", 24, "s"),
    ("http_req_duration{name:a,name:b}", "avg<3", "appears twice", 26, "s"),
    ("http_req_duration{name:a,}", "avg<3", "expected a tag name", 26, "s"),
    ("http_req_duration{name:a} x", "avg<3", "after '}'", 27, "s"),
    ("http_req_duration{name}", "avg<3", "expected ':' after tag 'name'", 23, "s"),
]


@pytest.mark.parametrize(("selector", "expression", "fragment", "column", "where"), MALFORMED)
def test_malformed(selector: str, expression: str, fragment: str, column: int,
                   where: str) -> None:
    with pytest.raises(ThresholdSyntaxError) as info:
        parse_threshold(selector, expression)
    err = info.value
    assert fragment in str(err)
    assert err.expression == (expression if where == "e" else selector)
    assert err.column == column, str(err)


ALPHABET = "p()<>=!.0123456789 -+eavgminxdcountrateluv{}:,%µsmkBiGM_&≤\t"


@settings(max_examples=500, deadline=None)
@given(
    selector=st.one_of(st.text(max_size=30), st.text(ALPHABET, max_size=30),
                       st.sampled_from(["http_req_duration", "http_reqs", "vus", "checks",
                                        "x{a:b}", "data_sent"])),
    expression=st.one_of(st.text(max_size=30), st.text(ALPHABET, max_size=30)),
)
def test_random_text_only_raises_threshold_syntax_error(selector: str, expression: str) -> None:
    try:
        t = parse_threshold(selector, expression)
    except ThresholdSyntaxError as err:
        text = err.expression
        assert 1 <= err.column <= len(text) + 1
        assert str(err)
    else:
        assert isinstance(t, Threshold)
