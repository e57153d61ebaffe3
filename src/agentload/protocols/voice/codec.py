"""The audio-session abstraction: one sans-I/O codec per dialect (protocols.md §1–§3).

A codec turns caller audio and session actions into WebSocket messages
(``str`` = text frame, ``bytes`` = binary frame) and the agent's messages into
:mod:`~agentload.protocols.voice.events`. It holds no socket and no clock; the
driver (:mod:`agentload.protocols.voice.session`) paces and sends.

Caller audio is prepared once per utterance (:meth:`VoiceCodec.prepare`: wire
encoding, base64) and shared by every call; :meth:`VoiceCodec.audio` only
wraps one prepared frame in the call's message (sequence numbers, ids).
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np
import numpy.typing as npt

from agentload.protocols.voice.audio import frames
from agentload.protocols.voice.events import VoiceEvent

__all__ = ["Dialect", "Outgoing", "VoiceCodec"]

Outgoing = str | bytes
"""A message to send: ``str`` as a text frame, ``bytes`` as a binary frame."""


class Dialect(enum.StrEnum):
    """The wire dialects agentload speaks."""

    PCM = "pcm"
    """Raw 16-bit PCM in binary frames (the seed-000 backend)."""
    PCM_JSON = "pcm_json"
    """PCM as base64 in Nova-Sonic-shaped JSON events (AWS's sample WebSocket server)."""
    TWILIO = "twilio"
    """Twilio Media Streams: agentload plays Twilio (8 kHz µ-law, 20 ms frames)."""
    REALTIME = "realtime"
    """OpenAI Realtime (GA event names; beta audio deltas accepted)."""


class VoiceCodec:
    """Base of the dialect codecs; subclasses set the rates and the message shapes."""

    dialect: Dialect
    caller_rate: int
    """Sample rate of the caller audio on the wire."""
    agent_rate: int
    """Sample rate of the agent audio it decodes."""
    frame_samples: int
    """Caller samples per frame."""
    waits_for_ready = False
    """True when the caller must wait for :class:`SessionReady` before sending audio."""

    @property
    def frame_ns(self) -> int:
        """Duration of one caller frame."""
        return self.frame_samples * 1_000_000_000 // self.caller_rate

    def prepare(self, samples: npt.NDArray[np.int16]) -> list[Any]:
        """Caller samples (at :attr:`caller_rate`) as prepared frames for :meth:`audio`."""
        return [self._payload(f) for f in frames(samples, self.frame_samples)]

    def silence(self) -> Any:
        """One prepared frame of digital silence."""
        return self._payload(np.zeros(self.frame_samples, dtype=np.int16))

    def _payload(self, frame: npt.NDArray[np.int16]) -> Any:
        raise NotImplementedError

    def opening(self) -> list[Outgoing]:
        """Messages that open the session (before any audio)."""
        return []

    def after_ready(self) -> list[Outgoing]:
        """Messages to send once :class:`SessionReady` came (when :attr:`waits_for_ready`)."""
        return []

    def audio(self, payload: Any) -> Outgoing:
        """The message carrying one prepared frame."""
        raise NotImplementedError

    def end_of_utterance(self) -> list[Outgoing]:
        """Messages after the caller's utterance (manual turn mode only)."""
        return []

    def barge_in(self, item: str, played_ms: int) -> list[Outgoing]:
        """Messages after the agent was interrupted (Realtime ``conversation.item.truncate``)."""
        return []

    def mark_echo(self, name: str) -> list[Outgoing]:
        """The echo of an agent's mark once its audio has played (Twilio)."""
        return []

    def tool_result(self, call_id: str, output: str) -> list[Outgoing]:
        """The result of a tool the agent called."""
        return []

    def closing(self) -> list[Outgoing]:
        """Messages that end the session before the close frame."""
        return []

    def decode(self, data: str | bytes) -> list[VoiceEvent]:
        """The events in one agent message; :class:`VoiceProtocolError` if malformed."""
        raise NotImplementedError
