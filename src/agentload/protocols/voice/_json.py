"""Small helpers the dialect codecs share to read untrusted JSON messages."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from agentload.protocols.voice.events import VoiceProtocolError

__all__ = ["b64", "field", "load_object", "text_field", "unb64"]


def load_object(data: str | bytes, what: str) -> dict[str, Any]:
    """Parse a JSON object, or raise :class:`VoiceProtocolError` saying what was expected."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise VoiceProtocolError(f"{what}: the message is not JSON") from None
    if not isinstance(value, dict):
        raise VoiceProtocolError(f"{what}: the message is not a JSON object")
    return value


def field(obj: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    """``obj[key]`` as an object (error if missing or not an object)."""
    value = obj.get(key)
    if not isinstance(value, dict):
        raise VoiceProtocolError(f"{what}: '{key}' is missing or not an object")
    return value


def text_field(obj: dict[str, Any], key: str, what: str, *, default: str | None = None) -> str:
    """``obj[key]`` as a string (error if not a string; ``default`` when missing)."""
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise VoiceProtocolError(f"{what}: '{key}' is missing or not a string")
    return value


def unb64(text: str, what: str) -> bytes:
    """Decode base64 audio (error on bad base64)."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VoiceProtocolError(f"{what}: the audio is not valid base64") from None


def b64(data: bytes) -> str:
    """Base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")
