"""Caller audio: the utterances shipped with agentload, or the user's WAV files.

The shipped utterances (``utterances/*.wav``, 16 kHz mono 16-bit, made by
``scripts/make_utterances.sh`` with espeak-ng) are short questionnaire answers;
``utterances.json`` lists them with the text spoken and the voiced span.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentload.protocols.voice.audio import Audio, read_wav, resample
from agentload.protocols.voice.call import PreparedUtterance, prepare_utterance
from agentload.protocols.voice.codec import VoiceCodec

__all__ = ["UTTERANCE_DIR", "load_audio", "prepare_for", "shipped_utterances"]

UTTERANCE_DIR = Path(__file__).resolve().parent / "utterances"
"""Where the shipped utterances live (package data)."""


def shipped_utterances() -> dict[str, str]:
    """Names of the shipped utterances and the text each one speaks."""
    index = UTTERANCE_DIR / "utterances.json"
    entries = json.loads(index.read_text())
    return {str(e["name"]): str(e["text"]) for e in entries}


def load_audio(source: str, base: Path | None = None) -> Audio:
    """A shipped utterance by name, else a WAV file (relative to ``base``).

    Raises :class:`~agentload.protocols.voice.audio.AudioError` with a reason.
    """
    if source in shipped_utterances():
        return read_wav(UTTERANCE_DIR / f"{source}.wav")
    path = Path(source)
    if base is not None and not path.is_absolute():
        path = base / path
    return read_wav(path)


def prepare_for(codec: VoiceCodec, audio: Audio, name: str = "") -> PreparedUtterance:
    """``audio`` resampled to the codec's caller rate and cut into its prepared frames
    (shareable by every call that uses the same dialect settings)."""
    wire = resample(audio, codec.caller_rate)
    return prepare_utterance(
        name, wire.samples, codec.caller_rate, codec.frame_samples, codec.prepare(wire.samples)
    )
