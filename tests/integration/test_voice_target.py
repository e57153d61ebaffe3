"""Voice metrics against the reference voice agents, whose timing is configured.

The agent answers ``reply_delay_ms`` after the caller's last voiced sample (its
VAD uses the same −40 dBFS amplitude rule as the tester's ``t_user_end``), so:

* V2V first byte ≈ ``reply_delay_ms`` (plus loopback delay, well under 1 ms);
* V2V (speech onset) ≈ ``reply_delay_ms`` + the reply's *known onset offset*: where
  the tester's onset detector (10 ms RMS windows, −40 dBFS, ≥ 50 ms) finds speech
  in the canned reply as that dialect delivers it (resampled to its rate, through
  µ-law for Twilio). The test derives it from the shipped WAV, as docs/metrics.md
  describes;
* barge-in detection ≈ ``barge_in_ms`` (the agent signals that long after the
  interrupting speech began).

All calls run at once against the session's target (a child process).
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import pytest

from agentload.protocols.voice import (
    CallReport,
    Dialect,
    VoiceSession,
    make_codec,
    read_wav,
    resample,
    speech_onset,
    ulaw_decode,
    ulaw_encode,
)
from agentload.protocols.voice.utterances import UTTERANCE_DIR

pytestmark = pytest.mark.slow

REPLY_MS = 400
BARGE_MS = 150
PATHS = {
    Dialect.PCM: "/voice/pcm",
    Dialect.PCM_JSON: "/voice/pcm?format=json",
    Dialect.TWILIO: "/voice/twilio",
    Dialect.REALTIME: "/v1/realtime",
}
DIALECTS = tuple(PATHS)
MS = 1_000_000


def known_onset_offset_ns(dialect: Dialect) -> int:
    """Where the onset detector finds speech in the reply as ``dialect`` delivers it."""
    codec = make_codec(dialect)
    reply = resample(read_wav(UTTERANCE_DIR / "agent_greeting.wav"), codec.agent_rate)
    samples = reply.samples
    if dialect is Dialect.TWILIO:
        samples = ulaw_decode(ulaw_encode(samples))
    onset = speech_onset(samples, codec.agent_rate)
    assert onset is not None
    return onset * 1_000_000_000 // codec.agent_rate


async def _call(base: str, dialect: Dialect, query: str, *, barge: bool) -> CallReport:
    path = PATHS[dialect]
    url = (
        base.replace("http://", "ws://")
        + path
        + (query.replace("?", "&") if "?" in path else query)
    )
    session = await VoiceSession.open(url, make_codec(dialect), reply_quiet=0.3)
    try:
        first = session.utterance("confirm")
        await session.say(first, timeout=5)
        if barge:
            await session.barge_in(session.utterance("stop"), after=0.3, timeout=5)
        else:
            await session.wait_reply_end()
            await session.say(first, timeout=5)
        await session.wait_reply_end()
    finally:
        report = await session.close()
    return report


@pytest.fixture(scope="module")
def reports(target_url: str) -> dict[tuple[Dialect, str], list[CallReport]]:
    plain = f"?reply_delay_ms={REPLY_MS}&reply=agent_greeting"
    barge = f"{plain}&barge_in_ms={BARGE_MS}"

    async def main() -> dict[tuple[Dialect, str], list[CallReport]]:
        jobs: list[tuple[tuple[Dialect, str], Any]] = []
        for d in DIALECTS:
            jobs += [((d, "plain"), _call(target_url, d, plain, barge=False)) for _ in range(3)]
            jobs.append(((d, "barge"), _call(target_url, d, barge, barge=True)))
        done = await asyncio.gather(*(job for _, job in jobs))
        out: dict[tuple[Dialect, str], list[CallReport]] = {}
        for (key, _), report in zip(jobs, done, strict=True):
            out.setdefault(key, []).append(report)
        return out

    return asyncio.run(main())


@pytest.mark.parametrize("dialect", DIALECTS, ids=str)
def test_voice_to_voice_matches_the_configured_reply_delay(
    dialect: Dialect, reports: dict[tuple[Dialect, str], list[CallReport]]
) -> None:
    turns = [t for r in reports[dialect, "plain"] for t in r.turns]
    assert len(turns) == 6 and not any(t.failed for t in turns)
    assert all(r.error is None and r.protocol_errors == 0 for r in reports[dialect, "plain"])
    first_byte = statistics.median(t.v2v_first_byte_ns for t in turns)  # type: ignore[misc]
    v2v = statistics.median(t.v2v_ns for t in turns)  # type: ignore[misc]
    offset = known_onset_offset_ns(dialect)
    assert abs(first_byte - REPLY_MS * MS) <= 20 * MS, first_byte / MS
    assert abs(v2v - (REPLY_MS * MS + offset)) <= 20 * MS, (v2v / MS, offset / MS)
    for t in turns:
        assert t.response is not None and t.response.audio_ns > 1000 * MS
    if dialect in (Dialect.REALTIME, Dialect.PCM_JSON):
        # speech_stopped / the USER FINAL text come vad_silence_ms (250) after the last
        # voiced sample, give or take a frame
        endpointing = statistics.median(t.endpointing_ns for t in turns)  # type: ignore[misc]
        assert 200 * MS <= endpointing <= 300 * MS
    else:
        assert all(t.endpointing_ns is None for t in turns)
    if dialect is Dialect.REALTIME:
        assert all(t.response is not None and t.response.rtf < 0.5 for t in turns)  # 3× speed
    else:
        assert all(t.response is not None and 0.8 < t.response.rtf < 1.2 for t in turns)


@pytest.mark.parametrize("dialect", DIALECTS, ids=str)
def test_barge_in_detection_matches_the_configured_reaction(
    dialect: Dialect, reports: dict[tuple[Dialect, str], list[CallReport]]
) -> None:
    (report,) = reports[dialect, "barge"]
    first, second = report.turns
    assert not first.barge_in and second.barge_in and not second.failed
    assert second.barge_detect_ns is not None
    assert abs(second.barge_detect_ns - BARGE_MS * MS) <= 20 * MS, second.barge_detect_ns / MS
    assert second.barge_residual_ns is not None and second.barge_residual_ns > 0
    if dialect is not Dialect.REALTIME:  # a real-time sender stops at the interruption
        assert second.barge_stop_ns is not None
        assert second.barge_stop_ns <= second.barge_detect_ns + 40 * MS
    # The interrupted reply stopped: its audio is shorter than the whole reply.
    assert first.response is not None and first.response.cleared_ns > 0


def test_send_lateness_is_recorded_for_every_frame(
    reports: dict[tuple[Dialect, str], list[CallReport]],
) -> None:
    for report in (r for rs in reports.values() for r in rs):
        assert len(report.send_lateness_ns) == report.frames_sent > 50
        assert min(report.send_lateness_ns) >= 0


def test_a_bad_knob_is_a_400_at_the_handshake(target_url: str) -> None:
    from agentload.errors import ErrorKind
    from agentload.protocols.ws import WsError

    async def main() -> WsError:
        url = target_url.replace("http://", "ws://") + "/voice/twilio?reply_delay_ms=soon"
        with pytest.raises(WsError) as caught:
            await VoiceSession.open(url, make_codec(Dialect.TWILIO), timeout=5)
        return caught.value

    error = asyncio.run(main())
    assert error.kind is ErrorKind.WS_HANDSHAKE and error.status == 400
