"""Failure samples: bounded per kind in a process, carried by snapshots, merged earliest-first,
captured by the engine redacted, written and rendered by the reports."""

from __future__ import annotations

from pathlib import Path

import orjson

from agentload._redact import redact_body, redact_header
from agentload.engine._failures import MAX_BODY, FailureSampler
from agentload.errors import ErrorKind
from agentload.metrics import FailureLog, FailureSample, Recorder, Snapshot, earliest_per_kind
from agentload.protocols.http import Response, encode_request, parse_url
from agentload.reports.failures import FailureWriter, failure_section, load_failures

SECRET = "PLANTED-s3cr3t"


def sample(kind: str, t: float, **extra: object) -> FailureSample:
    fields: dict[str, object] = {
        "time": t,
        "kind": kind,
        "scenario": "default",
        "name": "n",
        "method": "GET",
        "url": "http://h:1/x",
        "request_headers": (("Host", "h"),),
        "request_body": "",
        "status": 500,
        "response_headers": (),
        "response_body": "boom",
        "error": "unexpected status 500",
    }
    fields.update(extra)
    return FailureSample(**fields)  # type: ignore[arg-type]


def test_log_keeps_the_first_n_per_kind_for_the_whole_run() -> None:
    log = FailureLog(limit=2)
    for i in range(5):
        assert log.wants("http_5xx") == (i < 2)
        log.add(sample("http_5xx", i))
    log.add(sample("read_timeout", 9))
    first = log.drain()
    assert [(s.kind, s.time) for s in first] == [
        ("http_5xx", 0),
        ("http_5xx", 1),
        ("read_timeout", 9),
    ]
    log.add(sample("http_5xx", 10))  # still full after the drain: the bound is per run
    assert log.drain() == ()


def test_recorder_snapshots_carry_samples_and_the_wire_form_round_trips() -> None:
    rec = Recorder()
    rec.counter("http_reqs").add()
    rec.failures.add(sample("http_5xx", 1.5))
    snap = rec.snapshot(start=0.0, end=1.0)
    assert [s.time for s in snap.failures] == [1.5]
    again = Snapshot.from_dict(orjson.loads(orjson.dumps(snap.to_dict())))
    assert again.failures == snap.failures
    assert "failures" not in rec.snapshot(start=1.0, end=2.0).to_dict()  # drained


def test_merge_orders_by_time_and_the_earliest_are_kept() -> None:
    a = Snapshot(0.0, 1.0, {}, (sample("http_5xx", 0.7), sample("http_5xx", 0.9)))
    b = Snapshot(0.0, 1.0, {}, (sample("http_5xx", 0.2), sample("check_failed", 0.5)))
    merged = a.merge(b)
    assert [s.time for s in merged.failures] == [0.2, 0.5, 0.7, 0.9]
    kept = earliest_per_kind(list(merged.failures), limit=2)
    assert [(s.kind, s.time) for s in kept] == [
        ("http_5xx", 0.2),
        ("check_failed", 0.5),
        ("http_5xx", 0.7),
    ]


def test_sampler_rebuilds_the_request_and_redacts_it() -> None:
    rec = Recorder()
    sampler = FailureSampler(rec, (("method", "POST"), ("name", "chat"), ("scenario", "s")))
    origin, target = parse_url(f"http://127.0.0.1:8080/api/chat?token={SECRET}&x=1")
    raw = encode_request(
        "POST",
        target,
        host=origin.authority,
        headers=[
            ("Authorization", f"Bearer {SECRET}"),
            ("X-Api-Key", SECRET),
            ("Cookie", f"sid={SECRET}"),
            ("X-Tenant-Id", "tenant_001"),
        ],
        body=orjson.dumps({"message": "hi", "api_key": SECRET, "long": "y" * 5000}),
    )
    response = Response(
        500,
        [(b"Set-Cookie", f"s={SECRET}".encode()), (b"Content-Type", b"application/json")],
        orjson.dumps({"error": "down", "access_token": SECRET}),
        10, 10, 0, 0, 0,
    )  # fmt: skip
    sampler.capture(ErrorKind.HTTP_5XX, "unexpected status 500", origin=origin, raw=raw,
                    response=response)  # fmt: skip
    (s,) = rec.failures.drain()
    text = orjson.dumps(s.to_dict()).decode()
    assert SECRET not in text
    assert (s.kind, s.method, s.status, s.name) == ("http_5xx", "POST", 500, "chat")
    assert s.url == "http://127.0.0.1:8080/api/chat?token=***&x=1"
    headers = dict(s.request_headers)
    assert headers["Authorization"] == headers["X-Api-Key"] == headers["Cookie"] == "***"
    assert headers["X-Tenant-Id"] == "tenant_001"
    assert dict(s.response_headers)["Set-Cookie"] == "***"
    assert '"message":"hi"' in s.request_body and len(s.request_body) < MAX_BODY + 40
    assert s.request_body.endswith("bytes in all)")
    assert '"access_token":"***"' in s.response_body


def test_sampler_without_a_response_and_when_full() -> None:
    rec = Recorder()
    sampler = FailureSampler(rec, (("method", "GET"), ("name", "n"), ("scenario", "s")))
    for _ in range(7):
        sampler.capture(ErrorKind.CONNECT_REFUSED, "connection refused")
    got = rec.failures.drain()
    assert len(got) == 5 and got[0].status == 0 and got[0].method == "GET"


def test_header_and_body_rules() -> None:
    assert redact_header("Proxy-Authorization", "Basic abc") == "***"
    assert redact_header("X-Session-Id", "abc") == "***"
    assert redact_header("Accept", "text/plain") == "text/plain"
    assert redact_header("Referer", f"http://h/?api_key={SECRET}") == "http://h/?api_key=***"
    assert redact_body(f"grant_type=password&password={SECRET}&client_secret={SECRET}") == (
        "grant_type=password&password=***&client_secret=***"
    )
    assert SECRET not in redact_body(
        f'{{"refreshToken": "{SECRET}", "nested": {{"secret": "a\\"{SECRET}"}}}}'
    )


def test_writer_keeps_the_earliest_per_kind_and_the_report_shows_them(tmp_path: Path) -> None:
    writer = FailureWriter(tmp_path / "failures.jsonl", limit=2)
    writer.add([sample("http_5xx", 1), sample("http_5xx", 2)])
    writer.add([sample("http_5xx", 3), sample("read_timeout", 4, status=0, response_body="")])
    writer.close()
    with (tmp_path / "failures.jsonl").open("ab") as f:
        f.write(b'{"torn": \n')
    got = load_failures(tmp_path)
    assert [(s.kind, s.time) for s in got] == [
        ("http_5xx", 1),
        ("http_5xx", 2),
        ("read_timeout", 4),
    ]
    assert load_failures(tmp_path / "missing") == ()
    html = failure_section(
        [*got, sample("check_failed", 5, url="/<script>", error=f"Bearer {SECRET}")]
    )
    assert 'id="failures"' in html and "Failure samples" in html
    assert "no response" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert SECRET not in html
    assert failure_section([]) == ""


def test_worker_intervals_carry_samples_through_the_merger() -> None:
    from agentload.distributed.merge import IntervalMerger

    merger = IntervalMerger([0, 1])
    wire = [
        Snapshot(0.0, 1.0, {}, (sample("http_5xx", 0.8),)).to_dict(),
        Snapshot(0.0, 1.0, {}, (sample("http_5xx", 0.3), sample("read_timeout", 0.4))).to_dict(),
    ]
    assert merger.add(0, 0, Snapshot.from_dict(wire[0])) == []
    (merged,) = merger.add(1, 0, Snapshot.from_dict(wire[1]))
    assert [(s.kind, s.time) for s in merged.failures] == [
        ("http_5xx", 0.3), ("read_timeout", 0.4), ("http_5xx", 0.8)
    ]  # fmt: skip
