"""Twilio's voice webhook: the form agentload posts, and the TwiML answers it accepts."""

from __future__ import annotations

import pytest

from agentload.protocols.voice import VoiceProtocolError
from agentload.protocols.voice.twiml import parse_twiml, twiml_form


def test_the_form_is_twilios() -> None:
    form = dict(twiml_form(call_sid="CA1", account_sid="AC1", caller="+1", called="+2"))
    assert form == {
        "CallSid": "CA1", "AccountSid": "AC1", "From": "+1", "To": "+2",
        "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01",
    }  # fmt: skip


def test_stream_url_and_parameters() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<Response><Say>Hi</Say><Connect>
  <Stream url="wss://bot.example/ws?a=1&amp;b=2" name="s">
    <Parameter name="caller" value="+1555" />
    <Parameter name='lang' value='en &amp; fr'/>
  </Stream></Connect></Response>"""
    url, params = parse_twiml(body)
    assert url == "wss://bot.example/ws?a=1&b=2"
    assert params == {"caller": "+1555", "lang": "en & fr"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<Response><Say>Bye</Say><Hangup/></Response>", "no <Stream> element"),
        (b'<Response><Connect><Stream url="https://x/ws"/></Connect></Response>',
         "is not ws:// or wss://"),
        (b"\xff\xfe garbage", "no <Stream> element"),
        (b"<Stream url='ws://x'>" + b" " * 70_000, "larger than 64 KiB"),
    ],
)  # fmt: skip
def test_answers_without_a_stream_are_clear_errors(body: bytes, message: str) -> None:
    with pytest.raises(VoiceProtocolError, match=message):
        parse_twiml(body)
