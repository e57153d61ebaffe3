"""Voice audio parts against known inputs: G.711 tables, WAV reading, resampling, onsets."""

from __future__ import annotations

import warnings
import wave
from pathlib import Path

import numpy as np
import pytest

from agentload.protocols.voice import (
    AudioError,
    OnsetTracker,
    frames,
    read_wav,
    resample,
    shipped_utterances,
    speech_onset,
    ulaw_decode,
    ulaw_encode,
    voiced_bounds,
)
from agentload.protocols.voice.utterances import UTTERANCE_DIR

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop
    except ImportError:  # Python 3.13+: no reference table
        audioop = None  # type: ignore[assignment]


@pytest.mark.skipif(audioop is None, reason="audioop (the reference) is gone in Python 3.13")
def test_ulaw_matches_audioop_on_every_input() -> None:
    x = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(x) == audioop.lin2ulaw(x.tobytes(), 2)
    codes = bytes(range(256))
    assert np.array_equal(ulaw_decode(codes), np.frombuffer(audioop.ulaw2lin(codes, 2), "<i2"))


def test_ulaw_known_codes() -> None:
    assert ulaw_encode(np.zeros(3, dtype=np.int16)) == b"\xff\xff\xff"  # digital silence
    assert ulaw_decode(b"\xff\x7f").tolist() == [0, 0]
    assert ulaw_decode(b"\x00").tolist() == [-32124]
    assert ulaw_decode(b"\x80").tolist() == [32124]


def _write(path: Path, data: bytes, *, width: int, channels: int, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)


def test_read_wav_converts_widths_and_mixes_channels(tmp_path: Path) -> None:
    p16 = tmp_path / "a.wav"
    _write(p16, np.array([100, -200, 300], "<i2").tobytes(), width=2, channels=1, rate=16000)
    assert read_wav(p16).samples.tolist() == [100, -200, 300]
    stereo = tmp_path / "s.wav"
    _write(stereo, np.array([100, 300, -100, -300], "<i2").tobytes(), width=2, channels=2,
           rate=8000)  # fmt: skip
    audio = read_wav(stereo)
    assert audio.rate == 8000 and audio.samples.tolist() == [200, -200]
    p8 = tmp_path / "u8.wav"
    _write(p8, bytes([128, 255, 0]), width=1, channels=1, rate=8000)
    assert read_wav(p8).samples.tolist() == [0, 127 << 8, -128 << 8]
    p24 = tmp_path / "p24.wav"
    _write(p24, bytes([0xAA, 0x34, 0x12]), width=3, channels=1, rate=8000)
    assert read_wav(p24).samples.tolist() == [0x1234]


def test_read_wav_rejects_what_it_cannot_use(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    with pytest.raises(AudioError, match="not a readable PCM WAV"):
        read_wav(bad)
    empty = tmp_path / "empty.wav"
    _write(empty, b"", width=2, channels=1, rate=8000)
    with pytest.raises(AudioError, match="no audio"):
        read_wav(empty)


def test_resample_and_frames() -> None:
    audio = read_wav(UTTERANCE_DIR / "hello.wav")
    assert audio.rate == 16000
    up = resample(audio, 24000)
    assert abs(len(up.samples) - len(audio.samples) * 3 // 2) <= 1
    assert resample(audio, 16000) is audio
    parts = frames(np.arange(5, dtype=np.int16), 2)
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3], [4, 0]]


def test_shipped_utterances_have_their_recorded_boundaries() -> None:
    import json

    index = json.loads((UTTERANCE_DIR / "utterances.json").read_text())
    assert set(shipped_utterances()) == {e["name"] for e in index}
    for entry in index:
        audio = read_wav(UTTERANCE_DIR / f"{entry['name']}.wav")
        assert len(audio.samples) == entry["samples"]
        assert voiced_bounds(audio.samples) == (entry["voiced_first"], entry["voiced_last"])


def _tone_at(start: int, rate: int = 16000, amplitude: int = 3000) -> np.ndarray:
    x = np.zeros(rate, dtype=np.int16)
    t = np.arange(rate - start) / rate
    x[start:] = (amplitude * np.sin(2 * np.pi * 200 * t)).astype(np.int16)
    return x


def test_onset_is_the_first_window_of_a_sustained_loud_run() -> None:
    # The first 10 ms window (160 samples) whose mean-removed RMS reaches −40 dBFS
    # starts at 3856 (it holds the tone's first 16 samples); every later window
    # is loud too, so the run is sustained and that window is the onset.
    x = _tone_at(4000)
    assert speech_onset(x, 16000) == 3856
    # Quiet (−50 dBFS) audio never triggers; a 40 ms burst is not sustained speech.
    assert speech_onset((x // 40).astype(np.int16), 16000) is None
    burst = np.zeros(16000, dtype=np.int16)
    burst[1000:1640] = x[4000:4640]
    assert speech_onset(burst, 16000) is None


@pytest.mark.parametrize("chunk", [1, 7, 160, 512, 5000])
def test_streamed_onset_equals_the_one_shot_onset(chunk: int) -> None:
    x = _tone_at(4321)
    tracker = OnsetTracker(16000)
    for i in range(0, len(x), chunk):
        tracker.feed(x[i : i + chunk])
    assert tracker.onset == speech_onset(x, 16000)


def test_voiced_bounds() -> None:
    x = np.zeros(100, dtype=np.int16)
    assert voiced_bounds(x) is None
    x[10], x[50] = 328, -400
    x[60] = 327  # just under −40 dBFS
    assert voiced_bounds(x) == (10, 50)
