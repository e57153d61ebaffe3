"""The health probe against a controlled local server: statuses, body text, retries, faults."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from agentload.engine.health import health_url, probe
from agentload.scenario import HealthCheck


class _Handler(http.server.BaseHTTPRequestHandler):
    # Path → list of (status, body) answers, one per request; the last one repeats.
    answers: ClassVar[dict[str, list[tuple[int, bytes]]]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        queue = type(self).answers.get(self.path, [(404, b"no")])
        status, body = queue.pop(0) if len(queue) > 1 else queue[0]
        if status == 0:  # a hung server: answer nothing until the client gives up
            threading.Event().wait(2)
            return
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.answers, _Handler.seen = {}, []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_urls_are_relative_to_the_target_unless_absolute() -> None:
    assert health_url(HealthCheck("/h?x=1"), "http://a:1/") == "http://a:1/h?x=1"
    assert health_url(HealthCheck("https://b/h"), "http://a:1") == "https://b/h"


def test_expected_status_and_body(server: str) -> None:
    _Handler.answers = {"/h": [(200, b'{"status":"ok"}')], "/ready": [(204, b"")]}
    ok = probe(HealthCheck("/h", body_contains='"ok"'), server)
    assert (ok.ok, ok.status, ok.attempts, ok.error) == (True, 200, 1, None)
    assert ok.line().startswith(f"{server}/h → 200 in ")
    assert probe(HealthCheck("/ready", status=204), server).ok
    wrong = probe(HealthCheck("/h", body_contains="healthy"), server)
    assert (wrong.ok, wrong.error) == (False, "the body does not contain 'healthy'")
    missing = probe(HealthCheck("/nope"), server)
    assert (missing.ok, missing.status, missing.error) == (False, 404, "status 404, expected 200")


def test_retries_until_healthy(server: str) -> None:
    _Handler.answers = {"/h": [(503, b""), (503, b""), (200, b"ok")]}
    pauses: list[float] = []
    result = probe(HealthCheck("/h", retries=5, interval=0.25), server, sleep=pauses.append)
    assert (result.ok, result.attempts, pauses) == (True, 3, [0.25, 0.25])
    _Handler.answers = {"/h": [(500, b"")]}
    failed = probe(HealthCheck("/h", retries=2), server, sleep=lambda _: None)
    assert (failed.ok, failed.attempts) == (False, 3)
    assert failed.line() == f"{server}/h failed after 3 attempts: status 500, expected 200"


def test_refused_and_hung_targets_fail_clearly(server: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        refused = probe(HealthCheck("/h", timeout=1), f"http://127.0.0.1:{port}")
    assert not refused.ok and refused.status is None
    assert refused.error is not None and "refused" in refused.error.lower()
    _Handler.answers = {"/slow": [(0, b"")]}
    hung = probe(HealthCheck("/slow", timeout=0.2), server)
    assert (hung.ok, hung.error) == (False, "no answer within 0.2s")


def test_secrets_in_the_url_are_redacted(server: str) -> None:
    _Handler.answers = {"/h?api_key=s3cret": [(200, b"ok")]}
    result = probe(HealthCheck("/h?api_key=s3cret"), server)
    assert result.ok and "s3cret" not in result.url and "s3cret" not in str(result.to_dict())
    assert _Handler.seen == ["/h?api_key=s3cret"]
