"""The pacer, the emulated player and the turn metrics on synthetic timelines (exact values)."""

from __future__ import annotations

import numpy as np

from agentload.protocols.voice import CallState, Pacer, Playout, speech_onset
from agentload.protocols.voice.call import prepare_utterance

MS = 1_000_000
RATE = 8000


def _silence(ms: int) -> np.ndarray:
    return np.zeros(RATE * ms // 1000, dtype=np.int16)


def _tone(ms: int) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    return (8000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


def test_pacer_is_drift_free_and_records_its_lateness() -> None:
    pacer = Pacer(1_000 * MS, 20 * MS)
    assert pacer.due_ns() == 1_000 * MS
    assert pacer.sent(1_000 * MS + 3 * MS) == 3 * MS
    # A late frame does not move the schedule: frame 1 is still due at start + 20 ms.
    assert pacer.due_ns() == 1_020 * MS
    assert pacer.sent(1_020 * MS) == 0
    assert pacer.sent(1_040 * MS - 1) == 0  # never negative
    assert pacer.take_lateness() == [3 * MS, 0, 0]
    assert pacer.take_lateness() == []
    assert pacer.max_late_ns == 3 * MS
    # RFC 3550 form on send times: D1 = (1020 − 1003) − 20 = −3 ms → J = 3/16 ms;
    # D2 = (1040 − 1 − 1020) − 20 = −1 ns → J += (1 − J)/16.
    j1 = 3 * MS / 16
    assert pacer.jitter_ns == j1 + (1 - j1) / 16


def test_player_jitter_stalls_rtf_and_onset() -> None:
    p = Playout(RATE)
    frame = _silence(20)
    p.add(0, frame)  # plays 0–20 ms
    p.add(25 * MS, frame)  # 5 ms underrun; D = 25 − 20 = 5 ms
    p.add(45 * MS, frame)  # on time (plays 45–65); D = 0
    p.add(100 * MS, _tone(100))  # 35 ms underrun (a stall); D = 55 − 20 = 35 ms
    st = p.stats()
    j = 0.0
    for d in (5 * MS, 0, 35 * MS):
        j += (abs(d) - j) / 16
    assert st.jitter_ns == j
    assert st.stall_ns == 40 * MS and st.stalls == 1
    assert st.audio_ns == 160 * MS and st.frames == 4
    assert st.rtf == 100 / 160
    # The onset window starts a few ms before the tone (it already holds enough of
    # it), i.e. inside the third frame, which plays from 45 ms: the onset's playout
    # time is 45 ms plus its offset in that frame — not its arrival time.
    offset = speech_onset(np.concatenate([_silence(60), _tone(100)]), RATE)
    assert offset is not None and 320 <= offset < 480
    assert st.onset_ns == 45 * MS + (offset - 320) * 1_000_000_000 // RATE
    assert p.end_ns == 200 * MS
    assert p.queued_ns(150 * MS) == 50 * MS
    assert p.played_ns(150 * MS) == 110 * MS
    assert p.clear(150 * MS) == 50 * MS and p.queued_ns(150 * MS) == 0


def test_player_start_is_the_first_arrival_and_frames_queue() -> None:
    p = Playout(RATE)
    for i in range(5):
        p.add(i * MS, _silence(20))  # a burst faster than real time
    st = p.stats()
    assert p.end_ns == 100 * MS and st.stall_ns == 0 and st.rtf == 4 / 100


def _utterance(frame_ms: int = 20) -> object:
    # 40 ms silence, 100 ms voice, 60 ms silence at 8 kHz in 20 ms frames.
    x = np.concatenate([_silence(40), _tone(100), _silence(60)])
    x[320] = 9000  # first voiced sample: index 320 = frame 2, offset 0
    fs = RATE * frame_ms // 1000
    return prepare_utterance("u", x, RATE, fs, list(range(len(x) // fs)))


def test_prepared_utterance_knows_its_voiced_span() -> None:
    utt = _utterance()
    x_last = 320 + 800 - 1
    assert utt.first == (2, 0)  # type: ignore[attr-defined]
    # the last voiced sample is near the end of the tone; its frame/offset follow
    frame, off = utt.last  # type: ignore[attr-defined]
    assert frame == 6 and 0 <= off < 20 * MS
    assert frame * 160 + off * RATE // 1_000_000_000 <= x_last


def test_turn_metrics_on_a_known_timeline() -> None:
    s = CallState(agent_rate=RATE, start_ns=0)
    # Greeting: audio arrives at 300 ms, its onset is at its first sample + detector offset.
    s.audio(300 * MS, _tone(200))
    greet_offset = s.player(0).onset_ns() - 300 * MS  # type: ignore[union-attr]
    assert s.greeting_ns() == 300 * MS + greet_offset
    # Turn 1: caller speaks 1000–2000 ms; the agent's end-of-turn signal at 2250 ms;
    # first reply audio (silence 100 ms then tone) at 2400 ms.
    t1 = s.begin_turn()
    s.user_started(t1, 1000 * MS)
    s.user_ended(t1, 2000 * MS)
    s.end_of_speech(2250 * MS)
    s.audio(2400 * MS, _silence(100))
    s.audio(2500 * MS, _tone(400))
    r1 = s.result(t1)
    assert not r1.failed
    assert r1.v2v_first_byte_ns == 400 * MS
    assert r1.endpointing_ns == 250 * MS
    offset = speech_onset(np.concatenate([_silence(100), _tone(400)]), RATE)
    assert offset is not None
    assert r1.v2v_ns == 400 * MS + offset * 1_000_000_000 // RATE
    # Turn 2 barges in at 2700 ms (reply 1 still playing until 2900 ms); the agent
    # signals at 2800 ms; its last reply-1 frame had arrived at 2500 ms.
    t2 = s.begin_turn(barge_in=True)
    s.user_started(t2, 2700 * MS)
    assert s.interrupted(2800 * MS) == t1
    s.user_ended(t2, 3000 * MS)
    r2 = s.result(t2)
    assert r2.barge_in and r2.barge_detect_ns == 100 * MS
    assert r2.barge_residual_ns == 100 * MS  # 2900 − 2800: what the player still held
    assert r2.barge_stop_ns is None  # reply 1 had stopped arriving before the onset
    # No reply to turn 2 before its timeout: a failed turn, not a large number.
    s.timed_out(t2)
    assert s.result(t2).failed and s.result(t2).v2v_ns is None


def test_barge_in_stop_is_the_last_frame_of_the_interrupted_reply() -> None:
    s = CallState(agent_rate=RATE)
    t1 = s.begin_turn()
    s.user_started(t1, 0)
    s.user_ended(t1, 1000 * MS)
    for i in range(10):  # reply frames every 20 ms from 1400 ms
        s.audio((1400 + 20 * i) * MS, _tone(20))
    t2 = s.begin_turn(barge_in=True)
    s.user_started(t2, 1500 * MS)
    s.interrupted(1560 * MS)
    s.audio(1580 * MS, _tone(20))  # still reply 1: turn 2 has not ended
    r2 = s.result(t2)
    assert r2.barge_detect_ns == 60 * MS and r2.barge_stop_ns == 80 * MS
    # Interruption signals outside a barge-in (e.g. Realtime speech_started) are ignored.
    t3 = s.begin_turn()
    s.user_started(t3, 5000 * MS)
    assert s.interrupted(5100 * MS) is None


def test_realtime_deltas_stay_with_their_response() -> None:
    s = CallState(agent_rate=RATE)
    t1 = s.begin_turn()
    s.user_ended(t1, 100 * MS)
    s.audio(200 * MS, _tone(20), response="r1")
    t2 = s.begin_turn()
    s.user_ended(t2, 300 * MS)
    assert s.audio(400 * MS, _tone(20), response="r1") == t1  # a late delta of r1
    assert s.audio(410 * MS, _tone(20), response="r2") == t2


def test_sleep_until_never_wakes_early() -> None:
    import asyncio
    import time

    from agentload.protocols.voice.pacer import sleep_until

    async def main() -> list[int]:
        early = []
        for k in range(20):
            due = time.perf_counter_ns() + (k % 5) * 700_000  # 0–2.8 ms, off the ms grid
            await sleep_until(due)
            early.append(due - time.perf_counter_ns())
        return early

    assert all(e <= 0 for e in asyncio.run(main()))
