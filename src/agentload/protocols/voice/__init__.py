"""Real-time voice: one audio-session abstraction with dialect codecs (protocols.md §1–§3, §8).

Sans-I/O parts: :mod:`~.audio` (WAV, soxr resampling, frames), :mod:`~.g711`
(µ-law with numpy), :mod:`~.onset` (speech boundaries), :mod:`~.pacer`
(drift-free send schedule), :mod:`~.player` (emulated playout, jitter,
stalls, RTF), :mod:`~.call` (turns and their metrics), :mod:`~.dialects`
(raw PCM, Nova-shaped JSON, Twilio Media Streams, OpenAI Realtime). The
asyncio driver is :class:`~.session.VoiceSession`.
"""

from agentload.protocols.voice.audio import Audio, AudioError, frames, read_wav, resample
from agentload.protocols.voice.call import (
    CallState,
    PreparedUtterance,
    TurnResult,
    prepare_utterance,
)
from agentload.protocols.voice.codec import Dialect, Outgoing, VoiceCodec
from agentload.protocols.voice.dialects import (
    PcmCodec,
    PcmJsonCodec,
    RealtimeCodec,
    TwilioCodec,
    make_codec,
)
from agentload.protocols.voice.events import VoiceProtocolError
from agentload.protocols.voice.g711 import ulaw_decode, ulaw_encode
from agentload.protocols.voice.onset import OnsetTracker, speech_onset, voiced_bounds
from agentload.protocols.voice.pacer import Pacer
from agentload.protocols.voice.player import Playout, ResponseStats
from agentload.protocols.voice.session import CallReport, ToolHandler, VoiceSession
from agentload.protocols.voice.utterances import UTTERANCE_DIR, load_audio, shipped_utterances

__all__ = [
    "UTTERANCE_DIR",
    "Audio",
    "AudioError",
    "CallReport",
    "CallState",
    "Dialect",
    "OnsetTracker",
    "Outgoing",
    "Pacer",
    "PcmCodec",
    "PcmJsonCodec",
    "Playout",
    "PreparedUtterance",
    "RealtimeCodec",
    "ResponseStats",
    "ToolHandler",
    "TurnResult",
    "TwilioCodec",
    "VoiceCodec",
    "VoiceProtocolError",
    "VoiceSession",
    "frames",
    "load_audio",
    "make_codec",
    "prepare_utterance",
    "read_wav",
    "resample",
    "shipped_utterances",
    "speech_onset",
    "ulaw_decode",
    "ulaw_encode",
    "voiced_bounds",
]
