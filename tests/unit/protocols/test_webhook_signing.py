"""Webhook signatures and payload templates, against vectors computed here with ``hmac``."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from agentload.protocols.webhooks import (
    EVENTS,
    Signing,
    ToolCallSpec,
    hmac_digest,
    merge_patch,
    payload,
    retell_signature,
    sign,
)

BODY = b'{"event":"call_ended","call":{"call_id":"abc"}}'
SECRET = "key_live_7f3a"
NOW_MS = 1_700_000_123_456


def test_hmac_digest_matches_the_standard_library_in_every_form() -> None:
    for algo, fn in (("sha256", hashlib.sha256), ("sha1", hashlib.sha1)):
        mac = hmac.new(SECRET.encode(), BODY, fn).digest()
        assert hmac_digest(SECRET, BODY, algo, "hex") == mac.hex()
        assert hmac_digest(SECRET, BODY, algo, "base64") == base64.b64encode(mac).decode()


def test_rfc4231_case_2_vector() -> None:
    # RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert hmac_digest("Jefe", b"what do ya want for nothing?") == expected


def test_retell_signs_the_body_followed_by_the_millisecond_timestamp() -> None:
    digest = hmac.new(SECRET.encode(), BODY + b"1700000123456", hashlib.sha256).hexdigest()
    assert retell_signature(BODY, SECRET, NOW_MS) == f"v=1700000123456,d={digest}"
    headers = sign(BODY, Signing("retell", SECRET), NOW_MS)
    assert headers == (("X-Retell-Signature", f"v=1700000123456,d={digest}"),)


def test_vapi_sends_the_shared_secret_and_none_sends_nothing() -> None:
    assert sign(BODY, Signing("vapi", SECRET), NOW_MS) == (("x-vapi-secret", SECRET),)
    assert sign(BODY, Signing(), NOW_MS) == ()


def test_generic_hmac_with_prefix_header_and_timestamp() -> None:
    plain = Signing("hmac", SECRET, header="X-Hub-Signature-256", prefix="sha256=")
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, plain, NOW_MS) == (("X-Hub-Signature-256", expected),)
    stamped = Signing(
        "hmac", SECRET, algorithm="sha1", encoding="base64", timestamp_header="X-Timestamp"
    )
    mac = hmac.new(SECRET.encode(), b"1700000123." + BODY, hashlib.sha1).digest()
    assert sign(BODY, stamped, NOW_MS) == (
        ("X-Timestamp", "1700000123"),
        ("X-Signature", base64.b64encode(mac).decode()),
    )


def test_a_changed_body_changes_every_signature() -> None:
    for scheme in ("retell", "hmac"):
        signing = Signing(scheme, SECRET)
        assert sign(BODY, signing, NOW_MS) != sign(BODY + b" ", signing, NOW_MS)


def test_signing_rejects_bad_settings_and_hides_the_secret() -> None:
    with pytest.raises(ValueError, match="scheme"):
        Signing("stripe", SECRET)
    with pytest.raises(ValueError, match="secret"):
        Signing("retell", "")
    with pytest.raises(ValueError, match="algorithm"):
        Signing("hmac", SECRET, algorithm="md5")
    assert SECRET not in repr(Signing("vapi", SECRET))


def test_merge_patch_follows_rfc7386_appendix_a() -> None:
    cases = [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ]
    for target, patch, result in cases:
        assert merge_patch(target, patch) == result, (target, patch)


def test_vapi_templates_have_the_documented_shapes() -> None:
    calls = [ToolCallSpec("toolu_1", "get_next_question", {"session_id": "s1"})]
    doc = payload("tool-calls", call_id="c1", timestamp_ms=NOW_MS, tool_calls=calls)
    message = doc["message"]
    assert message["type"] == "tool-calls" and message["call"]["id"] == "c1"
    assert message["timestamp"] == NOW_MS
    assert message["toolCallList"] == [
        {
            "id": "toolu_1",
            "type": "function",
            "function": {"name": "get_next_question", "arguments": {"session_id": "s1"}},
        }
    ]
    assert message["toolWithToolCallList"][0]["toolCall"]["id"] == "toolu_1"
    request = payload("assistant-request", call_id="c1", timestamp_ms=NOW_MS)["message"]
    assert request["type"] == "assistant-request" and request["call"]["status"] == "ringing"
    report = payload("end-of-call-report", call_id="c1", timestamp_ms=NOW_MS)["message"]
    assert report["endedReason"] and report["artifact"]["transcript"]
    assert report["durationSeconds"] == 93.4


def test_retell_templates_have_the_documented_shapes() -> None:
    started = payload("call_started", call_id="c9", timestamp_ms=NOW_MS)
    assert started["event"] == "call_started" and started["call"]["call_id"] == "c9"
    assert started["call"]["start_timestamp"] == NOW_MS
    ended = payload("call_ended", call_id="c9", timestamp_ms=NOW_MS)["call"]
    assert ended["end_timestamp"] - ended["start_timestamp"] == ended["duration_ms"]
    analyzed = payload("call_analyzed", call_id="c9", timestamp_ms=NOW_MS)["call"]
    assert analyzed["call_analysis"]["call_successful"] is True
    assert set(EVENTS) == {
        "assistant-request", "tool-calls", "end-of-call-report",
        "call_started", "call_ended", "call_analyzed",
    }  # fmt: skip
    with pytest.raises(ValueError, match="no template"):
        payload("status-update", call_id="c", timestamp_ms=0)
