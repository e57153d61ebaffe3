"""Audio for the reference voice agents: WAV, resampling, µ-law, voiced samples.

The target is independent of the tester (``tests/unit/test_architecture.py``:
``target`` imports no other agentload package), so it keeps its own few lines
of G.711 (ITU-T G.711 µ-law, the same algorithm ``audioop`` implements) and
reads the shipped utterances as plain files.
"""

from __future__ import annotations

import functools
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

import agentload

__all__ = ["GATE", "load_utterance", "ulaw_decode", "ulaw_encode", "voiced"]

GATE = 328
"""−40 dBFS as a 16-bit magnitude: a sample at least this loud is voiced (energy VAD)."""

_UTTERANCES = Path(agentload.__file__).resolve().parent / "protocols" / "voice" / "utterances"
_SEG_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)


@functools.cache
def load_utterance(name: str, rate: int) -> npt.NDArray[np.int16]:
    """A shipped utterance (16 kHz WAV) resampled to ``rate``."""
    with wave.open(str(_UTTERANCES / f"{name}.wav"), "rb") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        source = w.getframerate()
    if source == rate:
        return x.astype(np.int16)
    y = soxr.resample(x, source, rate)
    return np.asarray(y, dtype=np.int16)


@functools.cache
def _tables() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int16]]:
    x = np.arange(-32768, 32768, dtype=np.int32) >> 2
    neg = x < 0
    mag = np.minimum(np.where(neg, -x, x), 8159) + 0x21
    seg = np.searchsorted(_SEG_ENDS, mag)
    low = np.minimum(seg, 7)
    code = np.where(seg >= 8, 0x7F, (low << 4) | ((mag >> (low + 1)) & 0x0F))
    enc = ((code ^ np.where(neg, 0x7F, 0xFF)) & 0xFF).astype(np.uint8)
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    dec = np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)
    return enc, dec


def ulaw_encode(samples: npt.NDArray[np.int16]) -> bytes:
    """16-bit samples to µ-law bytes."""
    return bytes(_tables()[0][samples.astype(np.int32) + 32768].tobytes())


def ulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """µ-law bytes to 16-bit samples."""
    return _tables()[1][np.frombuffer(data, dtype=np.uint8)]


def voiced(samples: npt.NDArray[np.int16]) -> tuple[int, int] | None:
    """Index of the first and last voiced sample (magnitude ≥ :data:`GATE`), or ``None``."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= GATE)
    if len(loud) == 0:
        return None
    return int(loud[0]), int(loud[-1])
