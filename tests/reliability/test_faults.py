"""The fault matrix: real runs of `agentload run` against targets that misbehave.

Each row of :data:`FAULTS` runs the CLI in a subprocess against a real server on
127.0.0.1 (the raw-socket :class:`FaultServer`, or the reference target) with
two scenarios side by side: ``ok``, whose requests must keep succeeding, and
``fault``, whose requests hit one fault. :func:`test_fault` checks that

* the fault is counted as an error of the expected kind (``errors{kind}``), as a
  failed request, under status ``"0"`` when no response arrived;
* the run goes on: the faulty VU keeps iterating and the ``ok`` requests all succeed;
* ``summary.json`` and ``timeseries.jsonl`` are written and agree;
* the exit code comes from the thresholds alone (faults are results, not crashes).

The rows are independent runs, so one module fixture runs them a few at a time
(:mod:`._batch`); each row is still a test of its own. The target killed and
restarted mid-run has a test of its own below. docs/reliability.md has the table.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentload.errors import ErrorKind
from agentload.protocols.http import HttpClient, HttpError, Origin, ResponseParser, Timeouts
from agentload.protocols.http._parse import MAX_HEAD_BYTES
from agentload.target.command import LISTENING_PREFIX
from tests.conftest import ROOT, CliResult, run_cli
from tests.reliability._batch import run_batch, selected
from tests.reliability._faultserver import FaultServer, refusing_port, unaccepted_port

Summary = dict[str, Any]
Interval = dict[str, Any]

# A name under the reserved .invalid TLD (RFC 6761 §6.4): it never resolves.
INVALID_HOST = "agentload-reliability.invalid"


@dataclass(frozen=True)
class Places:
    """Where the faults live, for building each row's URL."""

    server: FaultServer
    refused: int
    """A port that refuses connections."""
    unaccepted: int
    """A port whose accept queue is full (a connect hangs)."""


@dataclass(frozen=True)
class Fault:
    """One row of the fault matrix."""

    id: str
    kind: str
    """The error kind the fault must be counted as."""
    url: Callable[[Places], str]
    """The faulty request's URL (a path is relative to the run's target)."""
    timeout: str = "{}"
    """The faulty request's ``timeout`` (the run's default: 5 s connect, 5 s read)."""
    status: str = "0"
    """The ``status`` tag of the faulty requests (``"0"``: no response arrived)."""
    min_faults: int = 2
    ok_url: str = "/ok"
    reference: bool = False
    """Run against the reference target instead of the fault server."""
    failing: tuple[str, ...] = ()
    """Extra threshold lines that must fail (exit code 1); without any, exit code 0."""


FAULTS = [
    Fault("connect-refused", "connect_refused", lambda p: f"http://127.0.0.1:{p.refused}/"),
    # A listener whose accept queue is full: the kernel drops the SYN, connect hangs.
    Fault(
        "connect-timeout",
        "connect_timeout",
        lambda p: f"http://127.0.0.1:{p.unaccepted}/",
        timeout="{connect: 300ms}",
        min_faults=1,
    ),
    # The resolver here says "no such name" for .invalid within milliseconds, but it
    # drops an answer now and then (glibc retries after 5 s): the 1 s connect limit,
    # which covers DNS, bounds that, and counts it as dns too.
    Fault(
        "unresolvable-host",
        "dns",
        lambda p: f"http://{INVALID_HOST}:{p.server.port}/ok",
        timeout="{connect: 1s}",
    ),
    # https:// to a plain HTTP server, which answers the ClientHello with a 400.
    Fault("tls-handshake", "tls", lambda p: p.server.url.replace("http://", "https://") + "/ok"),
    Fault("reset-mid-headers", "connection_reset", lambda p: "/reset-head"),
    Fault("reset-mid-body", "connection_reset", lambda p: "/reset-body"),
    Fault("closed-mid-body", "connection_closed", lambda p: "/close-body"),
    Fault("read-timeout", "read_timeout", lambda p: "/silent", "{read: 300ms}", min_faults=1),
    # A byte every 50 ms keeps the read timeout (3 s) from firing; the total (400 ms) does.
    Fault(
        "slow-drip",
        "total_timeout",
        lambda p: "/drip",
        timeout="{read: 3s, total: 400ms}",
        min_faults=1,
    ),
    Fault("malformed-status-code", "malformed_response", lambda p: "/bad-status"),
    Fault("malformed-protocol", "malformed_response", lambda p: "/bad-version"),
    Fault("malformed-header-line", "malformed_response", lambda p: "/bad-header"),
    Fault("malformed-header-name", "malformed_response", lambda p: "/bad-header-name"),
    Fault("malformed-chunked", "malformed_response", lambda p: "/bad-chunked"),
    # A 1 MiB head fails; a 32 KiB one (the "ok" side) is fine (test_head_limit_…).
    Fault(
        "oversized-headers",
        "malformed_response",
        lambda p: "/big-headers/1048576",
        ok_url="/big-headers/32768",
    ),
    # Every answer a 500 (the reference target's ?fail_rate=1): the run goes on, and
    # it exits 1 only because a threshold on failures says so.
    Fault(
        "5xx-storm",
        "http_5xx",
        lambda p: "/api/billing/usage?fail_rate=1",
        status="500",
        ok_url="/health",
        reference=True,
        failing=('http_req_failed: ["rate<0.01"]',),
    ),
]


def scenario(case: Fault, target: str, places: Places) -> str:
    """Two scenarios, one VU each: ``ok`` must succeed throughout, ``fault`` hits the fault."""
    extra = "".join(f"  {line}\n" for line in case.failing)
    return f"""
config:
  target: "{target}"
  timeout: {{connect: 5s, read: 5s}}
load: {{vus: 2, duration: 1s, graceful_stop: 10s}}
scenarios:
  - name: ok
    flow:
      - get: {{url: "{case.ok_url}", name: ok, expect: {{status: 200}}}}
      - think: 10ms
  - name: fault
    flow:
      - get: {{url: "{case.url(places)}", name: fault, timeout: {case.timeout}}}
      - think: 20ms   # bounds how often a fault that fails at once repeats
thresholds:
  "http_req_failed{{scenario:ok}}": ["rate==0"]
  "errors{{kind:{case.kind}}}": ["count>0"]
{extra}"""


def read_results(out: Path) -> tuple[Summary, list[Interval]]:
    summary = json.loads((out / "summary.json").read_text())
    lines = (out / "timeseries.jsonl").read_text().splitlines()
    return summary, [json.loads(line) for line in lines]


def interval_total(interval: Interval, metric: str, **tags: str) -> int:
    return sum(
        s["value"]
        for s in interval["series"]
        if s["metric"] == metric and all(s["tags"].get(k) == v for k, v in tags.items())
    )


def request_row(summary: Summary, name: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [r for r in summary["requests"] if r["name"] == name]
    (row,) = rows
    return row


@dataclass(frozen=True)
class Outcome:
    result: CliResult
    out: Path


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def fault_runs(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    server: FaultServer,
) -> Iterator[dict[str, Outcome]]:
    """The selected rows of the fault matrix, each a CLI run, a few at a time."""
    ids = selected(request, "test_fault", [c.id for c in FAULTS])
    cases = [c for c in FAULTS if c.id in ids]
    reference = ""
    if any(c.reference for c in cases):
        reference = request.getfixturevalue("target_url")
    base = tmp_path_factory.mktemp("faults")
    with refusing_port() as refused, unaccepted_port() as unaccepted:
        places = Places(server, refused, unaccepted)

        def run(case: Fault) -> Outcome:
            folder = base / case.id
            folder.mkdir()
            path = folder / "faults.yaml"
            path.write_text(scenario(case, reference if case.reference else server.url, places))
            out = folder / "out"
            return Outcome(run_cli("run", str(path), "--out", str(out), "--quiet", timeout=60), out)

        yield dict(zip([c.id for c in cases], run_batch(run, cases), strict=True))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in FAULTS])
def test_fault(case: Fault, fault_runs: dict[str, Outcome]) -> None:
    """The fault is counted by kind, the run goes on, the results are written, and
    the exit code is the thresholds' verdict."""
    res, out = fault_runs[case.id].result, fault_runs[case.id].out
    assert "Traceback" not in res.stderr + res.stdout
    assert "internal error" not in res.stderr
    summary, intervals = read_results(out)

    # The exit code is the thresholds' verdict, nothing else.
    expected = 1 if case.failing else 0
    assert res.code == expected, (res.stdout, res.stderr)
    assert summary["exit_code"] == expected
    failed = [t["expression"] for t in summary["thresholds"] if not t["passed"]]
    assert failed == [line.split('"')[1] for line in case.failing], summary["thresholds"]
    assert summary["run"]["stop_reason"] == "completed"

    # The fault is counted, by kind, as a failed request.
    assert set(summary["errors"]) == {case.kind}, summary["errors"]
    fault = request_row(summary, "fault")
    assert fault["errors"] == {case.kind: fault["count"]}
    assert fault["status_codes"] == {case.status: fault["count"]}
    assert fault["failed"] == fault["count"] >= case.min_faults  # the faulty VU kept going
    # A latency sample exactly when a response arrived (docs/metrics.md).
    samples = fault["duration_ms"]["count"]
    assert samples == (0 if case.status == "0" else fault["count"])

    # The other requests of the same run all succeeded.
    ok = request_row(summary, "ok")
    assert ok["count"] > 0
    assert ok["failed"] == 0 and ok["errors"] == {}
    assert ok["status_codes"] == {"200": ok["count"]}

    # timeseries.jsonl was written as the run went, and adds up to the summary.
    assert intervals
    requests = sum(interval_total(i, "http_reqs") for i in intervals)
    assert requests == summary["metrics"]["http_reqs"]["count"]
    errors = sum(interval_total(i, "errors", kind=case.kind) for i in intervals)
    assert errors == summary["errors"][case.kind]


# -- the limits behind two rows, exactly (in-process, no subprocess) ----------------------


def test_head_limit_counts_across_reads() -> None:
    """The limit behind the oversized-headers row (sans-I/O)."""
    field = b"X-F: " + b"a" * 1017 + b"\r\n"  # 1 KiB a field
    fits = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + field * 60 + b"\r\nok"
    parser = ResponseParser()
    parser.expect()
    pieces = [fits[i : i + 1000] for i in range(0, len(fits), 1000)]
    assert [parser.feed(p) for p in pieces][-1] is True
    assert parser.status == 200 and len(parser.headers) == 61

    parser = ResponseParser()
    parser.expect()
    parser.feed(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(HttpError) as caught:
        for _ in range(MAX_HEAD_BYTES // len(field) + 2):
            parser.feed(field)
    assert caught.value.kind is ErrorKind.MALFORMED
    assert "head exceeds 64 KiB" in str(caught.value)


def test_resolver_that_never_answers_is_a_dns_error() -> None:
    """A lookup cut off by the connect limit is ``dns``, not ``connect_timeout``
    (the unresolvable-host row meets it when the resolver drops an answer)."""

    class NoAnswer(HttpClient):
        async def _resolve(self, loop: asyncio.AbstractEventLoop, origin: Origin) -> list[str]:
            await asyncio.Event().wait()  # like a resolver whose answers are lost
            raise AssertionError("unreachable")

    async def main() -> HttpError:
        async with NoAnswer(timeouts=Timeouts(connect=0.2)) as client:
            with pytest.raises(HttpError) as caught:
                await client.request("GET", f"http://{INVALID_HOST}/")
            return caught.value

    error = asyncio.run(main())
    assert error.kind is ErrorKind.DNS
    assert f"cannot resolve {INVALID_HOST}" in str(error)


# -- the target killed and restarted mid-run ---------------------------------------------


def quiet_port() -> int:
    """A free port below the ephemeral range: while the target is down, no client
    socket takes it (a connect to a closed ephemeral port can even reach itself)."""
    low = 32768
    ranges = Path("/proc/sys/net/ipv4/ip_local_port_range")
    if ranges.exists():
        low = int(ranges.read_text().split()[0])
    for port in range(min(low, 30000) - 1, 10000, -7):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return 0


def spawn_target(port: int) -> tuple[subprocess.Popen[str], int]:
    """The reference target on ``port`` in a child process, once it listens."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentload.target", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the listening line, or "" if it died
    if not line.startswith(LISTENING_PREFIX):
        proc.kill()
        proc.wait()
        raise AssertionError(f"the reference target did not start on port {port}: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def test_target_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    """SIGKILL the target mid-run and restart it on the same port: successes, then
    refusals during the gap, then successes again, in one run that writes every
    file and exits by its thresholds."""
    first, port = spawn_target(quiet_port())
    second: subprocess.Popen[str] | None = None
    path = tmp_path / "restart.yaml"
    path.write_text(f"""
config: {{target: "http://127.0.0.1:{port}", timeout: {{connect: 2s, read: 5s}}}}
load: {{vus: 2, duration: 60s, graceful_stop: 5s}}
flow:
  - get: {{url: /health, name: health}}
  - think: 20ms
thresholds:
  "http_reqs{{status:200}}": ["count>0"]
  "errors{{kind:connect_refused}}": ["count>0"]
""")
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "agentload", "run", str(path), "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    timeseries = out / "timeseries.jsonl"

    def intervals() -> list[Interval]:
        if not timeseries.exists():
            return []
        lines = timeseries.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def successes(lines: list[Interval]) -> list[int]:
        return [i for i, x in enumerate(lines) if interval_total(x, "http_reqs", status="200")]

    def refusals(lines: list[Interval]) -> list[int]:
        return [
            i for i, x in enumerate(lines) if interval_total(x, "errors", kind="connect_refused")
        ]

    def wait_for(what: str, condition: Callable[[list[Interval]], bool]) -> None:
        # The run writes one interval a second; poll its file (bounded): no event to await.
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert run.poll() is None, f"the run ended while waiting for {what}"
            if condition(intervals()):
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    try:
        wait_for("successes before the kill", lambda lines: bool(successes(lines)))
        first.send_signal(signal.SIGKILL)
        first.wait()
        wait_for("refusals while the target is down", lambda lines: bool(refusals(lines)))
        second, again = spawn_target(port)
        assert again == port
        wait_for(
            "successes after the restart",
            lambda lines: bool(refusals(lines)) and successes(lines)[-1] > refusals(lines)[0],
        )
        run.send_signal(signal.SIGTERM)
        stdout, stderr = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
        stop(first)
        if second is not None:
            stop(second)

    assert run.returncode == 0, stderr
    assert "Traceback" not in stdout + stderr
    summary, lines = read_results(out)
    assert summary["exit_code"] == 0 and summary["run"]["stop_reason"] == "signal"
    assert all(t["passed"] for t in summary["thresholds"])
    # Refused while down; a request in flight at the kill may see a reset or a close.
    assert summary["errors"]["connect_refused"] > 0
    assert set(summary["errors"]) <= {"connect_refused", "connection_reset", "connection_closed"}
    health = request_row(summary, "health")
    assert health["status_codes"]["200"] > 0
    assert set(health["status_codes"]) <= {"200", "0"}
    # In time order: successes, then refusals, then successes again.
    assert successes(lines)[0] <= refusals(lines)[0] <= refusals(lines)[-1] <= successes(lines)[-1]
    requests = sum(interval_total(x, "http_reqs") for x in lines)
    assert requests == summary["metrics"]["http_reqs"]["count"]


def test_rerun_into_the_same_out_dir_starts_fresh(tmp_path: Path, server: FaultServer) -> None:
    """A second run with the same --out replaces the first one's files (the timeseries
    used to be appended to, and then no longer added up to the summary)."""
    path = tmp_path / "twice.yaml"
    path.write_text(f"""
config: {{target: "{server.url}"}}
load: {{vus: 1, duration: 300ms}}
flow:
  - get: /ok
  - think: 10ms
""")
    out = tmp_path / "out"
    for _ in range(2):
        res = run_cli("run", str(path), "--out", str(out), "--quiet", timeout=60)
        assert res.code == 0, res.stderr
    summary, intervals = read_results(out)
    requests = sum(interval_total(i, "http_reqs") for i in intervals)
    assert requests == summary["metrics"]["http_reqs"]["count"]
