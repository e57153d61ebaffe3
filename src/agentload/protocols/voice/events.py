"""What the dialect codecs turn the agent's messages into (sans-I/O).

Every codec's ``decode(data)`` returns a list of these; anything it cannot
parse raises :class:`VoiceProtocolError` with a one-line reason (never another
exception: the hypothesis tests hold the codecs to that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agentload.errors import ProtocolError

__all__ = [
    "AgentAudio",
    "AgentMark",
    "EndOfSpeech",
    "Interrupted",
    "ResponseDone",
    "ServerError",
    "SessionReady",
    "ToolCall",
    "VoiceEvent",
    "VoiceProtocolError",
]


class VoiceProtocolError(ProtocolError):
    """The agent sent a message its dialect does not allow (counted, never fatal)."""


@dataclass(frozen=True, slots=True, eq=False)
class AgentAudio:
    """Agent audio, decoded to 16-bit samples at the dialect's output rate."""

    samples: npt.NDArray[np.int16]
    response: str = ""
    """The response it belongs to when the dialect says (Realtime ``response_id``)."""
    item: str = ""
    """The conversation item it belongs to (Realtime ``item_id``, for truncation)."""


@dataclass(frozen=True, slots=True)
class Interrupted:
    """The agent signalled a barge-in: Twilio ``clear``, Realtime ``speech_started``, Nova
    ``interrupted`` / ``stopReason: INTERRUPTED``."""

    signal: str


@dataclass(frozen=True, slots=True)
class EndOfSpeech:
    """The agent's end-of-turn signal for the caller (``speech_stopped``, ``committed``)."""

    signal: str


@dataclass(frozen=True, slots=True)
class ResponseDone:
    """A response ended (Realtime ``response.done``; Nova ``contentEnd`` of audio)."""

    response: str
    status: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The agent asks the caller's side to run a tool (Realtime function call)."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class AgentMark:
    """A Twilio ``mark`` from the agent: echo it once the audio before it has played."""

    name: str


@dataclass(frozen=True, slots=True)
class SessionReady:
    """The session is configured (Realtime ``session.created`` / ``session.updated``)."""

    signal: str


@dataclass(frozen=True, slots=True)
class ServerError:
    """The agent reported an error in-band (Realtime ``error`` event)."""

    message: str


VoiceEvent = (
    AgentAudio
    | Interrupted
    | EndOfSpeech
    | ResponseDone
    | ToolCall
    | AgentMark
    | SessionReady
    | ServerError
)
