"""Weighted scenario choice: deterministic, balanced on every prefix, segment-free."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentload.profiles import ClosedModel, OpenModel, Stage, compile_plan
from agentload.profiles.plan import Plan

MODEL = ClosedModel(stages=(Stage(1, 1),))


def sequence(weights: list[tuple[str, int]], n: int) -> list[str]:
    p = compile_plan(MODEL, weights)
    return [p.scenario_for(k) for k in range(n)]


def test_small_weights_by_hand() -> None:
    assert sequence([("chat", 3), ("health", 1)], 8) == ["chat"] * 3 + ["health"] + ["chat"] * 3 + [
        "health"
    ]
    assert sequence([("a", 1), ("b", 1), ("c", 1)], 6) == ["a", "b", "c"] * 2
    assert sequence([("a", 5), ("b", 3), ("c", 2)], 10) == list("abacabab ac".replace(" ", ""))
    assert sequence([("only", 4)], 3) == ["only"] * 3


def test_scaled_weights_give_the_same_sequence() -> None:
    assert sequence([("a", 6), ("b", 4)], 30) == sequence([("a", 3), ("b", 2)], 30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=7))
def test_every_prefix_is_within_one_of_its_share(raw: list[int]) -> None:
    weights = [(f"s{j}", w) for j, w in enumerate(raw)]
    total = sum(raw)
    counts: Counter[str] = Counter()
    for m, name in enumerate(sequence(weights, 2 * total + 3), start=1):
        counts[name] += 1
        for scenario, w in weights:
            assert abs(counts[scenario] - m * w / total) < 1
    # One period holds each scenario exactly `weight` times.
    assert Counter(sequence(weights, total)) == dict(weights)


def test_nginx_counterexample_stays_within_one() -> None:
    # Smooth weighted round-robin drifts to 1.014 here; the schedule must not.
    weights = [("a", 1), ("b", 7), ("c", 30), ("d", 3), ("e", 28)]
    counts: Counter[str] = Counter()
    for m, name in enumerate(sequence(weights, 69), start=1):
        counts[name] += 1
        assert all(abs(counts[s] - m * w / 69) < 1 for s, w in weights)


def test_choice_does_not_depend_on_the_segment() -> None:
    model = OpenModel(stages=(Stage(1, 10),), start_rate=10)
    whole = compile_plan(model, [("a", 2), ("b", 5)])
    for part in whole.split(3):
        assert [part.scenario_for(k) for k in range(50)] == [
            whole.scenario_for(k) for k in range(50)
        ]
    assert whole.scenario_for(10**12) == whole.scenario_for(10**12 % 7)
    with pytest.raises(ValueError, match="negative"):
        whole.scenario_for(-1)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([], "no scenarios"),
        ([("a", 0)], "weight 0 must be a whole number ≥ 1"),
        ([("a", 1.5)], "weight 1.5"),
        ([("a", True)], "weight True"),
        ([("a", 1), ("a", 2)], "listed twice"),
        ([("", 1)], "non-empty string"),
        ([("a", 10_000), ("b", 1)], "above the limit of 10000"),
    ],
)
def test_bad_weights(weights: list[tuple[str, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_plan(MODEL, weights)


def test_large_weights_reduce_by_their_gcd() -> None:
    p = compile_plan(MODEL, [("a", 50_000), ("b", 25_000)])
    assert [p.scenario_for(k) for k in range(6)] == ["a", "a", "b"] * 2
    assert isinstance(p, Plan)
