"""Caller audio: WAV files in, resampling (soxr), fixed-size frames out.

Audio is handled as mono ``int16`` numpy arrays with their sample rate. WAV
files are read with the stdlib ``wave`` module (PCM only; protocols.md §7.1);
stereo is mixed down, 8-bit and 24/32-bit PCM are converted. Resampling uses
``soxr`` (the resampler Pipecat uses by default).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr

__all__ = ["Audio", "AudioError", "frames", "read_wav", "resample"]


class AudioError(ValueError):
    """An audio file cannot be used (not a PCM WAV, empty, …); the message says why."""


@dataclass(frozen=True, slots=True, eq=False)
class Audio:
    """Mono 16-bit samples at ``rate`` Hz."""

    samples: npt.NDArray[np.int16]
    rate: int

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.rate


def read_wav(path: str | Path) -> Audio:
    """Read a PCM WAV file as mono int16; :class:`AudioError` with a reason otherwise."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise AudioError(f"{path}: not a readable PCM WAV file ({exc})") from None
    if width not in (1, 2, 3, 4) or channels < 1 or rate <= 0:
        raise AudioError(f"{path}: unsupported WAV format (sample width {width} bytes)")
    usable = len(raw) - len(raw) % (width * channels)
    if usable == 0:
        raise AudioError(f"{path}: the WAV file holds no audio")
    data = np.frombuffer(raw[:usable], dtype=np.uint8).reshape(-1, width)
    if width == 1:  # unsigned 8-bit
        pcm = (data[:, 0].astype(np.int32) - 128) << 8
    elif width == 2:
        pcm = data.view("<i2").reshape(-1).astype(np.int32)
    else:  # keep the top 16 bits of 24/32-bit PCM
        pcm = data[:, -2:].copy().view("<i2").reshape(-1).astype(np.int32)
    mono = pcm.reshape(-1, channels).mean(axis=1)
    return Audio(np.clip(np.round(mono), -32768, 32767).astype(np.int16), rate)


def resample(audio: Audio, rate: int) -> Audio:
    """``audio`` at ``rate`` Hz (soxr, high quality); the same object when the rate matches."""
    if audio.rate == rate:
        return audio
    out = soxr.resample(audio.samples, audio.rate, rate)
    return Audio(np.asarray(out, dtype=np.int16), rate)


def frames(samples: npt.NDArray[np.int16], size: int, pad: int = 0) -> list[npt.NDArray[np.int16]]:
    """Split into frames of ``size`` samples; the last one is padded with ``pad``."""
    if size <= 0:
        raise ValueError("frame size must be positive")
    count = -(-len(samples) // size)
    padded = np.full(count * size, pad, dtype=np.int16)
    padded[: len(samples)] = samples
    return list(padded.reshape(count, size))
