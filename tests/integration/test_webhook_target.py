"""Signed webhooks end to end: the target's receivers verify, the ``webhook`` step signs.

The receivers verify with their own code (``target/webhooks.py``), the step
signs with ``protocols/webhooks``: each side checks the other, and the
vectors below are computed here with :mod:`hmac`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path

import aiohttp
import pytest

from agentload.engine.steps import compile_steps
from agentload.engine.vu import VU
from agentload.metrics import Aggregate, Recorder
from agentload.protocols.http import HttpClient
from agentload.protocols.webhooks import Signing, payload, sign
from agentload.scenario import load_scenario_text
from agentload.target import LatencyDist, TargetConfig, serve
from agentload.target.admin import config_view
from agentload.target.command import WEBHOOK_SECRET_ENV, build_parser, config_from_args
from tests.integration._target_client import run

SECRET = "whsec-integration-41c7"
SIGNED = TargetConfig(seed=1, webhook_secret=SECRET, tool_latency=LatencyDist.constant(0))


def _retell(body: bytes, secret: str, stamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), body + str(stamp_ms).encode(), hashlib.sha256).hexdigest()
    return f"v={stamp_ms},d={digest}"


def _tampered(hex_mac: str) -> str:
    """The MAC with its last digit changed; always a different string (a fixed
    replacement digit equals the original one time in sixteen)."""
    return hex_mac[:-1] + ("1" if hex_mac[-1] == "0" else "0")


def test_each_receiver_accepts_good_signatures_and_rejects_bad_ones() -> None:
    now_ms = int(time.time() * 1000)
    retell_body = json.dumps(payload("call_ended", call_id="c1", timestamp_ms=now_ms)).encode()
    vapi_body = json.dumps(
        payload("end-of-call-report", call_id="c1", timestamp_ms=now_ms)
    ).encode()
    vapi_mac = hmac.new(SECRET.encode(), vapi_body, hashlib.sha256).hexdigest()
    generic = b'{"any": "thing"}'
    stamp = str(now_ms // 1000)
    hub = (
        "sha256="
        + hmac.new(SECRET.encode(), stamp.encode() + b"." + generic, hashlib.sha256).hexdigest()
    )
    generic_url = (
        "/webhooks/generic?header=X-Hub-Signature-256&prefix=sha256%3D&timestamp_header=X-Ts"
    )
    cases = [
        (
            "/webhooks/retell",
            retell_body,
            {"X-Retell-Signature": _retell(retell_body, SECRET, now_ms)},
            200,
        ),
        (
            "/webhooks/retell",
            retell_body,
            {"X-Retell-Signature": _retell(retell_body, "wrong", now_ms)},
            401,
        ),
        (
            "/webhooks/retell",
            retell_body + b" ",
            {"X-Retell-Signature": _retell(retell_body, SECRET, now_ms)},
            401,
        ),
        (
            "/webhooks/retell",
            retell_body,
            {"X-Retell-Signature": _retell(retell_body, SECRET, now_ms - 301_000)},
            401,
        ),
        ("/webhooks/retell", retell_body, {"X-Retell-Signature": "garbage"}, 401),
        ("/webhooks/retell", retell_body, {}, 401),
        ("/webhooks/vapi", vapi_body, {"x-vapi-secret": SECRET}, 200),
        ("/webhooks/vapi", vapi_body, {"x-vapi-secret": SECRET + "x"}, 401),
        ("/webhooks/vapi", vapi_body, {"x-vapi-signature": vapi_mac}, 200),
        ("/webhooks/vapi", vapi_body, {"x-vapi-signature": _tampered(vapi_mac)}, 401),
        ("/webhooks/vapi", vapi_body, {}, 401),
        (generic_url, generic, {"X-Ts": stamp, "X-Hub-Signature-256": hub}, 200),
        (generic_url, generic, {"X-Ts": str(int(stamp) - 1), "X-Hub-Signature-256": hub}, 401),
        (generic_url, generic, {"X-Hub-Signature-256": hub}, 401),
        ("/webhooks/generic?algorithm=md5", generic, {}, 400),
    ]

    async def body(client: aiohttp.ClientSession) -> None:
        for url, data, headers, status in cases:
            async with client.post(url, data=data, headers=headers) as resp:
                assert resp.status == status, (url, headers, await resp.text())

    run(body, SIGNED)


def test_the_signer_and_the_receivers_agree() -> None:
    now_ms = int(time.time() * 1000)
    body_bytes = json.dumps(payload("call_started", call_id="c2", timestamp_ms=now_ms)).encode()
    signings = [
        ("/webhooks/retell", Signing("retell", SECRET)),
        ("/webhooks/vapi", Signing("vapi", SECRET)),
        ("/webhooks/generic", Signing("hmac", SECRET)),
        (
            "/webhooks/generic?algorithm=sha1&encoding=base64&header=X-S",
            Signing("hmac", SECRET, header="X-S", algorithm="sha1", encoding="base64"),
        ),
    ]

    async def body(client: aiohttp.ClientSession) -> None:
        for url, signing in signings:
            data = (
                body_bytes
                if "retell" in url
                else json.dumps({"message": {"type": "hang"}}).encode()
            )
            headers = dict(sign(data, signing, now_ms))
            async with client.post(url, data=data, headers=headers) as resp:
                assert resp.status == 200, (url, await resp.text())

    run(body, SIGNED)


def test_replies_by_event_type() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        request = payload("assistant-request", call_id="call-9", timestamp_ms=0)
        async with client.post("/webhooks/vapi", json=request) as resp:
            assistant = (await resp.json())["assistant"]
            assert [t["function"]["name"] for t in assistant["model"]["tools"]] == [
                "get_next_question", "validate_answer", "record_response"
            ]  # fmt: skip
        tools = payload("tool-calls", call_id="call-9", timestamp_ms=0, tool_calls=[])
        tools["message"]["toolCallList"] = [
            {
                "id": "t1",
                "type": "function",
                "function": {"name": "get_next_question", "arguments": {}},
            },
            {
                "id": "t2",
                "type": "function",
                "function": {"name": "validate_answer", "arguments": '{"answer": "yes"}'},
            },
            {"id": "t3", "type": "function", "function": {"name": "nope", "arguments": {}}},
        ]
        async with client.post("/webhooks/vapi", json=tools) as resp:
            results = (await resp.json())["results"]
        assert [r["toolCallId"] for r in results] == ["t1", "t2", "t3"]
        assert json.loads(results[0]["result"])["session_id"] == "call-9"  # the call is the session
        assert json.loads(results[1]["result"])["valid"] is True
        assert "unknown tool" in results[2]["error"]
        report = payload("end-of-call-report", call_id="call-9", timestamp_ms=0)
        async with client.post("/webhooks/vapi", json=report) as resp:
            assert resp.status == 200 and await resp.json() == {}
        for bad in ({"message": {}}, {"event": "call_exploded", "call": {}}, [1]):
            for url in ("/webhooks/vapi", "/webhooks/retell"):
                async with client.post(url, json=bad) as resp:
                    assert resp.status == 400
        async with client.post(
            "/webhooks/retell", json=payload("call_analyzed", call_id="c", timestamp_ms=0)
        ) as resp:
            assert await resp.json() == {"ok": True, "event": "call_analyzed", "call_id": "c"}

    run(body, TargetConfig(seed=1))  # no secret: unsigned deliveries are accepted


FLOW = """
  - webhook:
      name: good
      url: /webhooks/retell
      sign: {scheme: retell, secret: "${env.GOOD}"}
      event: call_ended
      payload: {call: {metadata: {vu: "${who}"}}}
      expect: {status: 200, json: {$.event: call_ended}}
  - webhook:
      name: tools
      url: /webhooks/vapi
      sign: {scheme: vapi, secret: "${env.GOOD}"}
      event: tool-calls
      call_id: "sess-${who}"
      tool_calls: [{name: get_next_question, arguments: {}}]
      capture: [{json: "$.results[0].result", as: result}]
  - webhook:
      name: bad
      url: /webhooks/generic?header=X-Mac
      sign: {scheme: hmac, secret: "${env.BAD}", header: X-Mac}
      payload: {x: 1}
  - webhook:
      name: after
      url: /webhooks/vapi
      sign: {scheme: vapi, secret: "${env.GOOD}"}
      event: end-of-call-report
"""


def test_the_webhook_step_records_http_metrics_and_counts_rejections() -> None:
    text = f"config: {{target: 'http://127.0.0.1:1', variables: {{who: ada}}}}\nflow:\n{FLOW}"
    env = {"GOOD": SECRET, "BAD": "not-the-secret"}
    sf = load_scenario_text(text, filename="t.yaml", env=env, base_dir=Path("."))
    recorder = Recorder()

    async def go() -> VU:
        async with serve(SIGNED) as target, HttpClient() as http:
            config = sf.config.__class__(target=target.url)
            steps = compile_steps(
                sf.scenarios[0].steps, scenario="s", config=config, recorder=recorder
            )
            vu = VU(0, http=http, variables={"who": "ada"})
            for _ in range(3):
                for step in steps:
                    assert await step.run(vu, 0)
            return vu

    vu = asyncio.run(asyncio.wait_for(go(), 30))
    samples = recorder.failures.drain()
    agg = Aggregate()
    agg.add(recorder.snapshot(start=0.0, end=1.0))
    assert json.loads(str(vu.variables["result"]))["session_id"] == "sess-ada"
    # The rejected deliveries left failure samples, signature masked though X-Mac
    # does not look like a credential header.
    assert samples and {s.kind for s in samples} == {"http_4xx"}
    assert all(s.status == 401 and s.name == "bad" for s in samples)
    assert ("X-Mac", "***") in samples[0].request_headers
    assert "webhook signature rejected" in samples[0].response_body
    for name in ("good", "tools", "after"):
        assert agg.counter("http_reqs", {"name": name, "status": "200"}) == 3
        assert agg.rate("http_req_failed", {"name": name}) == (0, 3)
        duration = agg.trend("http_req_duration", {"name": name})
        assert duration is not None and duration.count == 3
    assert agg.counter("http_reqs", {"name": "bad", "status": "401"}) == 3
    assert agg.rate("http_req_failed", {"name": "bad"}) == (3, 3)
    assert agg.counter("errors", {"kind": "http_4xx", "name": "bad"}) == 3
    assert agg.counter("errors") == 3
    assert agg.rate("checks", {"name": "good"}) == (6, 6)


def test_the_secret_comes_from_the_flag_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, "from-env")
    assert config_from_args(build_parser().parse_args([])).webhook_secret == "from-env"
    args = build_parser().parse_args(["--webhook-secret", "from-flag"])
    assert config_from_args(args).webhook_secret == "from-flag"
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, "")
    assert config_from_args(build_parser().parse_args([])).webhook_secret is None
    view = json.dumps(config_view(config_from_args(args)))
    assert "from-flag" not in view  # GET /admin/config never shows it
