"""Twilio's voice webhook, as Twilio calls it (protocols.md §2.1, §2.6 step 1).

Before a Media Stream exists, Twilio POSTs the call to the agent's voice
webhook (form fields ``CallSid``, ``AccountSid``, ``From``, ``To``,
``CallStatus``, ``Direction``, ``ApiVersion``) and the agent answers TwiML
``<Response><Connect><Stream url="wss://…"><Parameter name value/>…``; the
``<Parameter>`` pairs arrive in ``start.customParameters``. Sans-I/O: the form
to send and the answer's stream URL and parameters. The answer is read with
regular expressions, not an XML parser: it is untrusted input and only two
elements matter.
"""

from __future__ import annotations

import html
import re

from agentload.protocols.voice.events import VoiceProtocolError

__all__ = ["parse_twiml", "twiml_form"]

_STREAM = re.compile(r"<Stream\b([^>]*)>", re.IGNORECASE)
_PARAMETER = re.compile(r"<Parameter\b([^>]*)/?>", re.IGNORECASE)
_ATTR = re.compile(r"""([A-Za-z_][\w.-]*)\s*=\s*("([^"]*)"|'([^']*)')""")
_MAX_TWIML = 64 * 1024


def twiml_form(
    *, call_sid: str, account_sid: str, caller: str, called: str
) -> list[tuple[str, str]]:
    """The form fields Twilio posts to a voice webhook for an inbound call."""
    return [
        ("CallSid", call_sid),
        ("AccountSid", account_sid),
        ("From", caller),
        ("To", called),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ]


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(3) if m.group(3) is not None else m.group(4))
            for m in _ATTR.finditer(text)}  # fmt: skip


def parse_twiml(body: bytes) -> tuple[str, dict[str, str]]:
    """The ``<Stream url>`` of a TwiML answer and its ``<Parameter>`` pairs.

    Raises :class:`VoiceProtocolError` when there is no stream to connect to.
    """
    if len(body) > _MAX_TWIML:
        raise VoiceProtocolError("TwiML answer: larger than 64 KiB")
    text = body.decode("utf-8", errors="replace")
    stream = _STREAM.search(text)
    if stream is None:
        raise VoiceProtocolError("TwiML answer: no <Stream> element (expected <Connect><Stream>)")
    url = _attrs(stream.group(1)).get("url", "")
    if not url.startswith(("ws://", "wss://")):
        raise VoiceProtocolError(f"TwiML answer: <Stream url> {url[:80]!r} is not ws:// or wss://")
    params = {}
    for match in _PARAMETER.finditer(text, stream.end()):
        attrs = _attrs(match.group(1))
        if "name" in attrs:
            params[attrs["name"]] = attrs.get("value", "")
    return url, params
