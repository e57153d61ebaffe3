"""The ``voice:`` step: one real-time voice call (docs/scenario-format.md, "Voice").

A call connects to a voice agent over WebSocket in one of the dialects of
:class:`~agentload.protocols.voice.Dialect`, streams caller audio in real time
for ``turns`` utterances (optionally interrupting the agent: ``barge_in``),
and measures every reply (docs/metrics.md, "Voice"). The YAML reader is
:mod:`agentload.scenario._voice`; the engine runs it (:mod:`agentload.engine.voice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentload.scenario.parts import JsonValue, Template, ThinkTime

if TYPE_CHECKING:  # importing protocols.voice costs every run ~0.1 s (D21)
    from agentload.protocols.voice import Dialect

__all__ = ["VoiceAudio", "VoiceStep"]


@dataclass(frozen=True, slots=True)
class VoiceAudio:
    """Caller audio: a shipped utterance (``path`` is ``None``) or a WAV file."""

    source: str
    """As written: an utterance name such as ``hello``, or a file path."""
    path: str | None = None
    """The WAV file, resolved against the scenario file's directory."""


@dataclass(frozen=True, slots=True)
class VoiceStep:
    """One voice call (module docstring).

    ``audio`` is cycled over the turns; ``barge_in`` (seconds) makes every turn
    after the first start that long after the previous reply began, with
    ``barge_in_audio`` if given. A turn fails when no agent audio arrives
    within ``turn_timeout`` after the caller stopped speaking.
    """

    name: str
    dialect: Dialect
    url: Template
    audio: tuple[VoiceAudio, ...]
    headers: tuple[tuple[str, Template], ...] = ()
    turns: int = 1
    pause: ThinkTime | None = None
    greeting: bool = False
    barge_in: float | None = None
    barge_in_audio: VoiceAudio | None = None
    turn_timeout: float = 5.0
    connect_timeout: float = 10.0
    reply_quiet: float = 0.5
    chunk_ms: int | None = None
    sample_rate: int | None = None
    agent_rate: int | None = None
    manual_turns: bool = False
    tools: JsonValue = None
    parameters: tuple[tuple[str, Template], ...] = ()
    twiml: Template | None = None
    """Twilio only: POST the call to this voice webhook first and connect to the
    ``<Stream url>`` of its TwiML answer (``url`` is then not used)."""
    line: int = 0
