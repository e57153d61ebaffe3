"""The reference target's configuration parsing and its command line."""

from __future__ import annotations

import asyncio
import random
import signal
import socket
import sys

import aiohttp
import pytest

from agentload.target import LatencyDist, TargetConfig, main, parse_latency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("constant:20ms", LatencyDist.constant(0.02)),
        ("20ms", LatencyDist.constant(0.02)),
        ("none", LatencyDist.constant(0.0)),
        ("uniform:10ms:50ms", LatencyDist.uniform(0.01, 0.05)),
        ("lognormal:20ms:0.5", LatencyDist.lognormal(0.02, 0.5)),
    ],
)
def test_parse_latency_forms(text: str, expected: LatencyDist) -> None:
    parsed = parse_latency(text)
    assert parsed == expected
    assert parse_latency(parsed.spec()) == parsed


@pytest.mark.parametrize(
    "text", ["", "fast", "uniform:50ms:10ms", "lognormal:0:0.5", "lognormal:20ms", "gamma:1s:2"]
)
def test_parse_latency_rejects_bad_specs(text: str) -> None:
    with pytest.raises(ValueError, match="latency"):
        parse_latency(text)


def test_latency_samples_stay_in_range() -> None:
    rng = random.Random(3)
    assert all(0.01 <= LatencyDist.uniform(0.01, 0.02).sample(rng) <= 0.02 for _ in range(200))
    draws = sorted(LatencyDist.lognormal(0.02, 0.5).sample(rng) for _ in range(2001))
    assert 0.015 < draws[1000] < 0.027  # the median is near the configured one
    assert LatencyDist.constant(0.004).sample(rng) == 0.004


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fail_rate": 1.5},
        {"fail_rate": -0.1},
        {"delay_ms": -1},
        {"call_drain_rate": 0},
        {"import_workers": 0},
        {"token": " "},
    ],
)
def test_target_config_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TargetConfig(**kwargs)  # type: ignore[arg-type]


def test_main_rejects_bad_flags_with_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fail-rate", "2"]) == 2
    assert "fail_rate" in capsys.readouterr().err
    assert main(["--chat-latency", "bogus"]) == 2
    assert main(["--port", "not-a-port"]) == 2
    assert main(["--help"]) == 0
    assert "--chat-latency" in capsys.readouterr().out


def test_main_reports_a_busy_port_with_exit_code_3(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--host", "127.0.0.1", "--port", str(port)]) == 3
    assert "cannot listen" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_module_prints_listening_line_and_exits_0_on_sigterm() -> None:
    async def scenario() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "agentload.target",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--seed",
            "5",
            "--chat-latency",
            "constant:1ms",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            prefix = "agentload target listening on http://127.0.0.1:"
            assert line.startswith(prefix), line
            url = line.strip().removeprefix("agentload target listening on ")
            async with aiohttp.ClientSession(base_url=url) as client:
                async with client.get("/health") as resp:
                    assert resp.status == 200
                async with client.post("/api/chat/messages", json={"message": "hi"}) as resp:
                    assert resp.status == 200
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 15) == 0
            rest = await asyncio.wait_for(proc.stdout.read(), 5)
            assert rest == b""  # exactly one line, and no access log
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    asyncio.run(scenario())
