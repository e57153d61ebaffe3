"""Python scenarios end to end, through the CLI, against the reference target.

Each test writes a scenario file, runs ``agentload run file.py`` for two
seconds and reads ``summary.json``; the target's own login counter
(``GET /api/auth/logins``) proves what ran where: setup once per run (also
with ``--workers 2``), on_start once per VU, teardown once.
"""

from __future__ import annotations

import json
import textwrap
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli

HEAD = "from agentload.scenario.python import *  # noqa: F403\n"

LIFECYCLE = """\
logins = Counter("logins", "VUs that logged in")
authorized = Rate("authorized", "requests the target saw a bearer token on")
turn_time = Trend("turn_time", "one chat turn", time=True)
seen_setup = Counter("seen_setup")

config = {"target": "${env.TARGET}", "headers": {"Authorization": "Bearer ${token}"}}
load = {"vus": 3, "duration": "2s"}
thresholds = {
    "logins": ["count==3"],
    authorized: ["rate==1"],
    "turn_time": ["p(95)<2000"],
    "http_req_failed": ["rate==0"],
}

async def login_as(ctx, who):
    reply = await ctx.http.post(
        "/api/auth/login", json={"username": who, "password": "pw"}, name="login"
    )
    return reply.json()["access_token"]

@setup
async def prepare(ctx):
    await login_as(ctx, "setup-" + ctx.env["RUN"])
    return {"greeting": "hello", "run": ctx.env["RUN"]}

@on_start
async def login(ctx):
    ctx.vars["token"] = await login_as(ctx, f"vu-{ctx.setup_data['run']}")
    logins.add()

@scenario
async def chat(ctx):
    if ctx.setup_data == {"greeting": "hello", "run": ctx.env["RUN"]}:
        seen_setup.add()
    status = await ctx.http.get("/api/auth/status", name="auth status")
    authorized.add(status.json()["token_present"])
    with turn_time.time():
        reply = await ctx.http.post("/api/chat/messages", json={"message": "hi"}, name="chat")
    ctx.check("replied", "reply" in reply.json())
    await ctx.think(0.05)

@on_stop
async def logout(ctx):
    await login_as(ctx, f"stop-{ctx.setup_data['run']}")

@teardown
async def cleanup(ctx):
    await login_as(ctx, "teardown-" + ctx.setup_data["run"])
"""


@dataclass(frozen=True)
class Case:
    """One CLI run: the files of its folder, the file to run, extra flags."""

    files: dict[str, str]
    entry: str = "s.py"
    args: tuple[str, ...] = ("--workers", "1")


@dataclass(frozen=True)
class Outcome:
    code: int
    summary: dict[str, Any]
    run: str
    out: Path
    console: str


CASES: dict[str, Case] = {}
EXAMPLES = {
    "seed004": str(ROOT / "examples" / "seed004_sales_agent.py"),
    "seed002": str(ROOT / "examples" / "seed002_locust_users.py"),
}


def case(name: str, body: str, *args: str, entry: str = "s.py", **files: str) -> None:
    """Register a run; ``body`` is the Python file (after ``HEAD``) or the YAML entry file."""
    main = body if entry.endswith(".yaml") else HEAD + textwrap.dedent(body)
    CASES[name] = Case(
        {entry: main, **{k.replace("_py", ".py"): v for k, v in files.items()}},
        entry,
        args or ("--workers", "1"),
    )


def _run(target_url: str, folder: Path, c: Case) -> Outcome:
    folder.mkdir()
    for name, text in c.files.items():
        (folder / name).write_text(text)
    run_id = uuid.uuid4().hex[:8]
    entry = EXAMPLES.get(c.entry, c.entry)
    res = run_cli(
        "run",
        entry,
        "-q",
        "--out",
        "out",
        *c.args,
        env={"TARGET": target_url, "RUN": run_id, "DURATION": "2s"},
        cwd=folder,
    )
    shown = f"exit {res.code}\n{res.stdout}\n{res.stderr}"
    assert "Traceback" not in res.stdout + res.stderr, shown
    assert (folder / "out" / "summary.json").exists(), shown
    summary = json.loads((folder / "out" / "summary.json").read_text())
    return Outcome(res.code, summary, run_id, folder / "out", res.stdout + res.stderr)


@pytest.fixture(scope="module")
def outcomes(target_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case's run, a few at once: CLI start-up dominates and the cases are independent."""
    base = tmp_path_factory.mktemp("python-scenarios")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {n: pool.submit(_run, target_url, base / n, c) for n, c in CASES.items()}
        return {n: f.result() for n, f in futures.items()}


def _logins(target_url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{target_url}/api/auth/logins", timeout=5) as resp:
        by_user: dict[str, int] = json.load(resp)["by_user"]
    return by_user


def _check_lifecycle(target_url: str, summary: dict[str, Any], run: str, vus: int) -> None:
    m = summary["metrics"]
    assert summary["verdict"] == "passed", summary["thresholds"]
    assert m["logins"] == {**m["logins"], "kind": "counter", "count": vus, "custom": True}
    assert m["authorized"]["rate"] == 1 and m["authorized"]["total"] > 0
    assert m["seen_setup"]["count"] == m["iterations"]["count"] > 0
    assert m["turn_time"]["unit"] == "ms" and m["turn_time"]["description"] == "one chat turn"
    assert m["turn_time"]["count"] > 0
    # Custom trends measure what the built-ins measure: a turn includes its request.
    assert m["turn_time"]["min"] >= m["http_req_duration"]["min"] * 0.99
    names = {(r["scenario"], r["name"]) for r in summary["requests"]}
    assert ("chat", "login") in names  # on_start's requests are load, tagged like the rest
    assert ("chat", "auth status") in names and ("chat", "chat") in names
    logins = _logins(target_url)
    assert logins[f"setup-{run}"] == 1  # setup ran once, in the coordinator
    assert logins[f"vu-{run}"] == vus  # on_start once per VU
    assert logins[f"teardown-{run}"] == 1
    assert logins[f"stop-{run}"] == vus  # on_stop once per VU, before its connections closed
    assert "setup" not in {r["scenario"] for r in summary["requests"]}  # setup is not load


case("lifecycle", LIFECYCLE)
case("lifecycle-2-workers", LIFECYCLE, "--workers", "2")


def test_setup_on_start_custom_metrics_and_thresholds(
    outcomes: dict[str, Outcome], target_url: str
) -> None:
    out = outcomes["lifecycle"]
    assert out.code == 0
    _check_lifecycle(target_url, out.summary, out.run, vus=3)
    thresholds = {t["metric"]: t["passed"] for t in out.summary["thresholds"]}
    assert thresholds == {
        "logins": True,
        "authorized": True,
        "turn_time": True,
        "http_req_failed": True,
    }


def test_two_workers_merge_custom_metrics_and_share_setup(
    outcomes: dict[str, Outcome], target_url: str
) -> None:
    out = outcomes["lifecycle-2-workers"]
    assert out.code == 0
    assert out.summary["run"]["workers"]["count"] == 2
    _check_lifecycle(target_url, out.summary, out.run, vus=3)


case(
    "failed-threshold",
    """\
    config = {"target": "${env.TARGET}"}
    load = {"vus": 1, "duration": "1s"}
    done = Rate("done")
    thresholds = {"done": ["rate>0.5"]}

    @scenario
    async def never(ctx):
        await ctx.think(0.05)
        done.add(False)
    """,
)


def test_a_failed_threshold_on_a_custom_metric_fails_the_run(
    outcomes: dict[str, Outcome],
) -> None:
    out = outcomes["failed-threshold"]
    assert out.code == 1
    (row,) = out.summary["thresholds"]
    assert row["metric"] == "done" and row["passed"] is False


case(
    "script-errors",
    """\
    config = {"target": "${env.TARGET}"}
    load = {"vus": 2, "duration": "1s"}

    @scenario
    async def flaky(ctx):
        await ctx.http.get("/health", name="health")
        await ctx.think(0.05)
        if ctx.iteration % 2:
            raise KeyError("missing field, api_key=s3cr3t")
    """,
)


def test_exceptions_are_script_errors_and_the_run_goes_on(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["script-errors"]
    assert out.code == 0
    summary = out.summary
    m = summary["metrics"]
    requests = m["http_reqs"]["count"]
    errors = summary["errors"]["script_error"]
    # Every other iteration raised after its request; the run went on.
    assert requests >= 4 and requests // 2 - 2 <= errors <= requests // 2 + 2
    (row,) = summary["script_errors"]
    assert row == {
        "scenario": "flaky",
        "function": "s.py:flaky",
        "message": "KeyError: 'missing field, api_key=***",  # the redactor takes the quote too
        "count": errors,
    }
    # The secret in the message is in no output: console, summary, report, series, samples.
    assert "s3cr3t" not in out.console
    for path in out.out.iterdir():
        assert b"s3cr3t" not in path.read_bytes(), path.name


HELPERS = """\
from agentload.scenario.python import Counter

phases = Counter("phase_progression")

async def record_phase(ctx):
    assert ctx.vars["conv"].startswith("conv")  # captured by the YAML step before
    phases.add(1, tags={"phase": ctx.vars.get("phase", "greeting")})
    ctx.vars["phase"] = "qualification"
"""

case(
    "yaml-python-step",
    """\
config: {target: "${env.TARGET}"}
load: {vus: 2, duration: 1s}
scenarios:
  - name: chat
    flow:
      - post:
          url: /api/chat/messages
          json: {message: hi}
          capture: [{json: $.conversation_id, as: conv}]
      - python: helpers.py:record_phase
      - think: 50ms
thresholds:
  phase_progression: ["count>2"]
""",
    entry="s.yaml",
    helpers_py=HELPERS,
)


def test_yaml_calls_python_functions(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["yaml-python-step"]
    assert out.code == 0, out.summary["thresholds"]
    m = out.summary["metrics"]
    assert m["phase_progression"]["count"] == m["iterations"]["count"] > 0
    assert m["phase_progression"]["custom"] is True
    assert "script_error" not in out.summary["errors"]


case(
    "ws-and-llm",
    """\
    config = {"target": "${env.TARGET}"}
    load = {"vus": 2, "duration": "1s"}
    answered = Rate("answered")
    streamed = Rate("streamed")
    thresholds = {"answered": ["rate==1"], "streamed": ["rate==1"]}

    @scenario
    async def agent(ctx):
        ws = await ctx.ws.connect("/ws/chat?tokens=3&first_token_ms=10", name="chat")
        if ws.ok:
            await ws.expect(json={"$.type": "session"}, exchange="hello")
            ws.send_json({"type": "message", "text": "hi"})
            done = await ws.expect(json={"$.type": "done"}, timeout=5)
            streamed.add(done is not None and done.json()["tokens"] == 3)
        else:
            streamed.add(False)
        reply = await ctx.llm.chat([{"role": "user", "content": "hi"}], max_tokens=5, name="ask")
        answered.add(reply.ok and reply.text != "" and reply.finish_reason is not None)
        events = await ctx.sse.stream("/api/events?count=2&interval_ms=10&until=done",
                                      until_event="done", name="events")
        streamed.add(events)
    """,
)


def test_ws_llm_and_sse_from_python(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["ws-and-llm"]
    assert out.code == 0, out.summary["thresholds"]
    m = out.summary["metrics"]
    # The function left its WebSocket open: closed at the end of the call, and recorded.
    assert m["ws_sessions"]["count"] >= m["iterations"]["count"] > 0
    assert m["ws_reply_latency"]["count"] > 0 and m["llm_ttft"]["count"] > 0
    assert m["llm_output_tokens"]["count"] >= m["llm_ttft"]["count"]
    assert m["sse_events"]["count"] >= 3 * m["sse_first_event"]["count"] > 0
    names = {(r["scenario"], r["name"], r["method"]) for r in out.summary["requests"]}
    assert ("agent", "ask", "POST") in names


case(
    "voice",
    """\
    config = {"target": "${env.TARGET}"}
    load = {"vus": 1, "duration": "1s"}
    spoke = Rate("spoke")

    @scenario
    async def phone(ctx):
        call = await ctx.voice.open("/voice/twilio?reply_delay_ms=50", dialect="twilio",
                                    name="call")
        if not call.ok:
            spoke.add(False)
            return
        turn = await call.say("hello", timeout=5)
        await call.wait_reply_end(5)
        report = await call.close()
        spoke.add(not turn.failed and report is not None and report.error is None)
    """,
)


def test_voice_call_from_python(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["voice"]
    assert out.code == 0
    m = out.summary["metrics"]
    assert m["spoke"]["rate"] == 1 and m["voice_turns"]["count"] >= 1
    assert m["voice_v2v"]["count"] >= 1 and m["voice_calls_failed"]["rate"] == 0


CASES["seed004"] = Case({}, "seed004", ("--duration", "3s", "--workers", "1"))


def test_seed004_example_runs_with_its_business_metrics(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["seed004"]
    assert out.code == 0, out.summary["thresholds"]
    m = out.summary["metrics"]
    for name in ("conversation_completion", "phase_progression", "phases_reached"):
        assert m[name]["custom"] is True
    completion = m["conversation_completion"]
    assert completion["total"] > 0 and 0 <= completion["rate"] <= 1
    assert m["phase_progression"]["count"] >= completion["total"]
    assert 1 <= m["phases_reached"]["avg"] <= 5
    assert m["conversation_duration"]["unit"] == "ms"
    scenarios = {r["scenario"] for r in out.summary["requests"]}
    assert {"conversation", "stress_user", "cache_stress"} <= scenarios


CASES["seed002"] = Case({}, "seed002", ("--scale", "0.25", "--workers", "1"))


def test_seed002_locust_port_runs_both_user_types(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["seed002"]
    assert out.code == 0, out.summary["thresholds"]
    m = out.summary["metrics"]
    assert m["api_success"]["custom"] is True and m["api_success"]["total"] > 0
    assert m["vus"]["max"] == 5 + 1  # 20 and 5 users scaled by 0.25, side by side
    scenarios = {r["scenario"] for r in out.summary["requests"]}
    assert scenarios == {"normal_user", "high_load_user"}
