"""Control-flow steps at run time, driven by a scripted HTTP client: exact counts and metrics.

No sockets: a fake client answers each request from a script keyed by path,
so which requests were sent — and in which order — is known exactly.
"""

# ruff: noqa: E501

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import orjson
import pytest

from agentload.engine.feeders import END, Feeder
from agentload.engine.flow import condition_holds
from agentload.engine.steps import compile_steps
from agentload.engine.vu import VU, VUState
from agentload.metrics import Aggregate, Recorder
from agentload.protocols.http import HttpClient, Origin, Response
from agentload.scenario import ScenarioFile, load_scenario_text
from agentload.scenario.model_flow import AtEnd, Condition, CondOp, DataSource, Strategy

Answer = Callable[[str, int], tuple[int, object]]


class FakeHttp:
    """Stands in for ``HttpClient.send``: ``answer(path, n)`` gives (status, JSON body)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.paths: list[str] = []

    async def send(
        self,
        origin: Origin,
        request: bytes,
        *,
        timeouts: Any = None,
        head: bool = False,
        retry_of_ns: int = 0,
    ) -> Response:
        path = request.split(b" ", 2)[1].decode()
        self.paths.append(path)
        status, body = self.answer(path, self.paths.count(path))
        now = time.monotonic_ns()
        raw = orjson.dumps(body)
        return Response(
            status, [(b"Content-Type", b"application/json")], raw, 10, 10, now, now, now
        )


def ok(_path: str, _n: int) -> tuple[int, object]:
    return 200, {"ok": True}


def load(text: str) -> ScenarioFile:
    head = "config: {target: 'http://t.test', variables: {words: [x, y, z]}}\n"
    return load_scenario_text(head + text, filename="t.yaml", env={}, base_dir=Path("."))


def run(
    text: str,
    answer: Answer = ok,
    *,
    iterations: int = 1,
    vu_index: int = 0,
    late_ms: int = 0,
) -> tuple[Aggregate, FakeHttp, VU]:
    sf = load(text)
    recorder = Recorder()
    steps = compile_steps(
        sf.scenarios[0].steps, scenario="default", config=sf.config, recorder=recorder
    )
    http = FakeHttp(answer)
    vu = VU(vu_index, http=cast(HttpClient, http), variables=sf.config.variables)
    vu.transition(VUState.RUNNING)

    async def go() -> None:
        for _ in range(iterations):
            # As the executors do: the intended start (open model: the scheduled
            # arrival, ``late_ms`` ago) goes to the first step only.
            intended_ns = time.monotonic_ns() - late_ms * 1_000_000 if late_ms else 0
            for step in steps:
                if not await step.run(vu, intended_ns):
                    break
                intended_ns = 0

    asyncio.run(go())
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    return agg, http, vu


def errors(agg: Aggregate, kind: str) -> float:
    return agg.counter("errors", {"kind": kind})


def test_count_and_list_loops_run_their_bodies_in_order() -> None:
    _, http, vu = run(
        "flow:\n"
        "  - loop: {count: 2, as: i, steps: [{get: '/a/${i}'}]}\n"
        "  - loop:\n"
        "      over: ['${words}', [p, q]]\n"
        "      as: w\n"
        "      steps:\n"
        "        - loop: {over: '${w}', steps: [{get: '/b/${item}'}]}\n"
        "  - loop: {count: 0, steps: [{get: /never}]}\n"
    )
    assert http.paths == ["/a/0", "/a/1", "/b/x", "/b/y", "/b/z", "/b/p", "/b/q"]
    assert vu.variables["w"] == ["p", "q"]


def test_a_loop_over_a_captured_list_reads_its_items_fields() -> None:
    def answer(path: str, _n: int) -> tuple[int, object]:
        if path == "/list":
            return 200, {"items": [{"id": 7}, {"id": 9}]}
        return 200, {}

    _, http, _ = run(
        "flow:\n"
        "  - get: /list\n"
        "    capture: [{json: $.items, as: items}]\n"
        "  - loop: {over: '${items}', as: it, steps: [{get: '/item/${it.id}'}]}\n",
        answer,
    )
    assert http.paths == ["/list", "/item/7", "/item/9"]


def test_a_loop_over_something_that_is_not_a_list_is_a_script_error() -> None:
    agg, http, _ = run(
        "flow:\n"
        "  - get: /one\n"
        "    capture: [{json: $.ok, as: flag}]\n"
        "  - loop: {over: '${flag}', steps: [{get: /never}]}\n"
        "  - get: /skipped\n"
    )
    assert http.paths == ["/one"]
    assert errors(agg, "script_error") == 1


def test_a_failing_step_inside_a_loop_ends_the_iteration() -> None:
    def answer(path: str, _n: int) -> tuple[int, object]:
        return (200, {"v": 1}) if path != "/b/y" else (200, {})

    _, http, _ = run(
        "flow:\n"
        "  - loop:\n"
        "      over: '${words}'\n"
        "      steps: [{get: '/b/${item}', capture: [{json: $.v, as: v}]}]\n"
        "  - get: /after\n",
        answer,
    )
    assert http.paths == ["/b/x", "/b/y"]


def test_if_picks_then_or_else_from_captured_values() -> None:
    def answer(path: str, _n: int) -> tuple[int, object]:
        return 200, {"state": "done", "n": "12", "tags": ["a", "b"]}

    _, http, _ = run(
        "flow:\n"
        "  - get: /s\n"
        "    capture: [{json: $.state, as: state}, {json: $.n, as: n}, {json: $.tags, as: tags}]\n"
        "  - if: {var: state, equals: done}\n"
        "    then: [{get: /then1}]\n"
        "    else: [{get: /else1}]\n"
        "  - if: [{var: n, gt: 11}, {var: tags, contains: b}]\n"
        "    then: [{get: /then2}]\n"
        "    else: [{get: /else2}]\n"
        "  - if: {var: n, lt: 12}\n"
        "    then: [{get: /then3}]\n"
        "    else: [{get: /else3}]\n",
        answer,
    )
    assert http.paths == ["/s", "/then1", "/then2", "/else3"]


@pytest.mark.parametrize(
    ("value", "op", "operand", "expected"),
    [
        ("done", CondOp.EQUALS, "done", True),
        ("3", CondOp.EQUALS, 3, True),
        (3.0, CondOp.EQUALS, 3, True),
        (True, CondOp.EQUALS, "true", True),
        (None, CondOp.EQUALS, None, True),
        (1, CondOp.EQUALS, True, False),
        ("a", CondOp.NOT_EQUALS, "b", True),
        ("abc", CondOp.CONTAINS, "b", True),
        (["a", 1], CondOp.CONTAINS, "1", True),
        ({"k": 1}, CondOp.CONTAINS, "k", True),
        (5, CondOp.GT, 4.5, True),
        ("5", CondOp.GTE, 5, True),
        ("five", CondOp.GT, 1, False),
        (True, CondOp.LT, 2, False),
        (None, CondOp.EXISTS, None, False),
        ("", CondOp.EXISTS, None, True),
        (None, CondOp.NOT_EXISTS, None, True),
    ],
)
def test_condition_semantics(value: object, op: CondOp, operand: object, expected: bool) -> None:
    assert condition_holds(Condition("v", op, operand), {"v": value}) is expected


def test_an_unset_variable_only_satisfies_not_exists() -> None:
    for op in CondOp:
        want = op is CondOp.NOT_EXISTS
        assert condition_holds(Condition("nope", op, 1), {}) is want, op


def test_poll_until_done_records_its_duration_and_requests() -> None:
    def answer(path: str, n: int) -> tuple[int, object]:
        if path == "/jobs":
            return 202, {"id": "j1"}
        return 200, {"status": "done" if n >= 3 else "running"}

    agg, http, _ = run(
        "flow:\n"
        "  - post: /jobs\n"
        "    capture: [{json: $.id, as: job}]\n"
        "  - poll: {get: '/jobs/${job}', until: {json: {$.status: done}}, interval: 10ms, timeout: 5s, name: job}\n"
        "  - get: /after\n",
        answer,
    )
    assert http.paths == ["/jobs", "/jobs/j1", "/jobs/j1", "/jobs/j1", "/after"]
    hist = agg.trend("poll_duration", {"name": "job"})
    assert hist is not None and hist.count == 1
    assert hist.min >= 20_000  # two 10 ms intervals at least, in µs
    assert errors(agg, "poll_timeout") == 0


def test_poll_timeout_and_fail_if_are_errors_that_end_the_iteration() -> None:
    def running(path: str, _n: int) -> tuple[int, object]:
        return 200, {"status": "running"}

    agg, http, _ = run(
        "flow:\n"
        "  - poll: {get: /j, until: {json: {$.status: done}}, interval: 10ms, timeout: 35ms, name: j}\n"
        "  - get: /after\n",
        running,
    )
    # Requests at 0, 10, 20 ms; the next would start at or after 30 ms + 10 ms > 35 ms.
    assert 2 <= len(http.paths) <= 4 and set(http.paths) == {"/j"}
    assert errors(agg, "poll_timeout") == 1
    assert agg.trend("poll_duration", {"name": "j"}) is None

    def failed(path: str, n: int) -> tuple[int, object]:
        return 200, {"status": "failed" if n == 2 else "running"}

    agg, http, _ = run(
        "flow:\n"
        "  - poll: {get: /j, until: {json: {$.status: done}}, fail_if: {json: {$.status: failed}}, interval: 1ms, timeout: 5s}\n"
        "  - get: /after\n",
        failed,
    )
    assert http.paths == ["/j", "/j"]
    assert errors(agg, "poll_failed") == 1


def test_poll_until_a_status() -> None:
    def answer(path: str, n: int) -> tuple[int, object]:
        return (404 if n < 2 else 200), {}

    agg, http, _ = run(
        "flow:\n"
        "  - poll: {get: {url: /r, expect: {status: [200, 404]}}, until: {status: 200}, interval: 1ms}\n",
        answer,
    )
    assert http.paths == ["/r", "/r"]
    assert agg.rate("http_req_failed") == (0, 2)  # 404 was expected: not failed
    assert errors(agg, "http_4xx") == 0


def test_choose_draws_branches_by_weight_with_the_vus_generator() -> None:
    _, http, _ = run(
        "flow:\n  - choose:\n      - {weight: 3, steps: [{get: /a}]}\n      - get: /b\n",
        iterations=4000,
    )
    share = http.paths.count("/a") / len(http.paths)
    assert len(http.paths) == 4000 and 0.72 < share < 0.78
    _, again, _ = run(
        "flow:\n  - choose:\n      - {weight: 3, steps: [{get: /a}]}\n      - get: /b\n",
        iterations=50,
    )
    assert again.paths == http.paths[:50]  # seeded by the VU index: reproducible


def test_once_runs_in_the_first_iteration_until_it_succeeds() -> None:
    def answer(path: str, n: int) -> tuple[int, object]:
        if path == "/login":
            return 200, ({} if n == 1 else {"token": f"t{n}"})  # the first login fails
        return 200, {}

    _, http, vu = run(
        "scenarios:\n"
        "  - name: s\n"
        "    on_start:\n"
        "      - post: /login\n"
        "        capture: [{json: $.token, as: token}]\n"
        "    flow:\n"
        "      - get: '/me/${token}'\n",
        answer,
        iterations=4,
    )
    assert http.paths == ["/login", "/login", "/me/t2", "/me/t2", "/me/t2"]
    assert vu.variables["token"] == "t2"


def test_pacing_makes_an_iteration_last_at_least_its_time() -> None:
    start = time.monotonic()
    _, http, _ = run(
        "scenarios:\n  - name: s\n    pacing: 50ms\n    flow: [{get: /a}]\n", iterations=3
    )
    assert time.monotonic() - start >= 0.15
    assert http.paths == ["/a"] * 3
    start = time.monotonic()
    run("flow:\n  - loop: {count: 2, pacing: 40ms, steps: [{get: /a}]}\n")
    assert time.monotonic() - start >= 0.08


def test_data_rows_become_variables_each_iteration() -> None:
    _, http, vu = run(
        "data:\n"
        "  users: {values: [{name: ann}, {name: bob}]}\n"
        "  tenant: {values: [{id: t1}, {id: t2}, {id: t3}], strategy: unique}\n"
        "  msg: {values: [hi], as: m}\n"
        "flow:\n  - get: '/u/${users.name}/${tenant.id}/${m}'\n",
        iterations=3,
        vu_index=1,
    )
    assert http.paths == ["/u/ann/t2/hi", "/u/bob/t2/hi", "/u/ann/t2/hi"]
    assert vu.variables["users"] == {"name": "ann"}


def test_a_loop_over_a_feeder_reads_every_row_without_picking() -> None:
    _, http, _ = run(
        "data:\n  users: {values: [{n: a}, {n: b}, {n: c}], at_end: stop}\n"
        "flow:\n  - loop: {over: users, as: u, steps: [{get: '/u/${u.n}'}]}\n",
        iterations=2,
    )
    assert http.paths == ["/u/a", "/u/b", "/u/c"] * 2


def test_a_stop_feeder_ends_the_vu_cleanly_and_counts_it() -> None:
    agg, http, vu = run(
        "data:\n  users: {values: [{n: a}, {n: b}], at_end: stop}\n"
        "flow:\n  - get: '/u/${users.n}'\n",
        iterations=5,
    )
    assert http.paths == ["/u/a", "/u/b"]
    assert vu.state is VUState.STOPPING
    # The VU was asked to stop at the first; this test's loop kept calling it anyway.
    assert agg.counter("data_exhausted", {"data": "users"}) == 3


def source(n: int, strategy: Strategy, at_end: AtEnd = AtEnd.WRAP) -> DataSource:
    return DataSource("d", tuple(f"r{i}" for i in range(n)), strategy, at_end)


def vu(index: int) -> VU:
    return VU(index, http=cast(HttpClient, None), variables={})


def test_sequential_feeders_walk_each_vus_rows_in_order() -> None:
    wrap = Feeder(source(3, Strategy.SEQUENTIAL))
    a, b = vu(0), vu(1)
    assert [wrap.pick(a) for _ in range(4)] == ["r0", "r1", "r2", "r0"]
    assert [wrap.pick(b) for _ in range(2)] == ["r0", "r1"]
    stop = Feeder(source(2, Strategy.SEQUENTIAL, AtEnd.STOP))
    assert [stop.pick(a) for _ in range(4)] == ["r0", "r1", END, END]


def test_unique_feeders_give_vu_k_row_k_for_life() -> None:
    wrap = Feeder(source(3, Strategy.UNIQUE))
    assert [wrap.pick(vu(k)) for k in range(7)] == ["r0", "r1", "r2", "r0", "r1", "r2", "r0"]
    assert {wrap.pick(vu(4)) for _ in range(5)} == {"r1"}
    stop = Feeder(source(3, Strategy.UNIQUE, AtEnd.STOP))
    assert [stop.pick(vu(k)) for k in range(5)] == ["r0", "r1", "r2", END, END]


def test_random_feeders_draw_from_the_vus_seeded_generator() -> None:
    feeder = Feeder(source(4, Strategy.RANDOM))
    one, same = vu(3), vu(3)
    first = [feeder.pick(one) for _ in range(200)]
    again = [feeder.pick(same) for _ in range(200)]
    assert first == again  # a fresh VU 3 draws the same rows
    assert set(first) == {"r0", "r1", "r2", "r3"}


def test_the_intended_start_reaches_the_first_request_past_data_and_a_done_on_start() -> None:
    # Open model: an iteration that started 40 ms late must show it in the first
    # request's http_req_duration, even behind the implicit data pick and on_start.
    agg, http, _ = run(
        "data:\n  users: [ann, bob]\n"
        "scenarios:\n"
        "  - name: s\n"
        "    on_start: [{get: /login, name: login}]\n"
        "    flow:\n"
        "      - get: {url: '/u/${users}', name: first}\n"
        "      - get: {url: /next, name: next}\n",
        iterations=3,
        late_ms=40,
    )
    assert http.paths == ["/login", "/u/ann", "/next", "/u/bob", "/next", "/u/ann", "/next"]
    login = agg.trend("http_req_duration", {"name": "login"})
    first = agg.trend("http_req_duration", {"name": "first"})
    later = agg.trend("http_req_duration", {"name": "next"})
    assert login is not None and first is not None and later is not None
    assert login.count == 1 and login.min >= 40_000  # the first iteration's first request
    assert first.count == 3
    # Iterations 2 and 3: "first" is the iteration's first request; iteration 1: the login was.
    assert first.min < 40_000 <= first.percentile(50)  # two of the three were late
    assert later.max < 40_000
