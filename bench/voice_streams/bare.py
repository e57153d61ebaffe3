"""A bare picows pacer client, for comparison only (``run.py --client bare``).

N picows connections with a do-nothing listener, and ONE pacer coroutine for
all of them (as /work/shared/research/peer-benchmarks.md "Paced streams"
measured): call ``i`` sends its frame ``k`` at ``t0 + i·20 ms/N + k·20 ms``;
the pacer sleeps until the next frame is due (at least 1 ms: uvloop's timer
resolution), then sends every frame that is due. Each frame is the same
Twilio ``media`` text message agentload sends (sequence number, chunk and
timestamp counted per call, 160 bytes of µ-law silence in base64), built
with one f-string. No VoiceSession, no codec, no metrics: what is left is
picows, uvloop and the system call — the floor under agentload's cost.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable

import picows

__all__ = ["run_bare"]

_PERIOD_NS = 20_000_000
_TEXT = picows.WSMsgType.TEXT
_SILENCE = base64.b64encode(b"\xff" * 160).decode()  # µ-law digital silence


class _Quiet(picows.WSListener):
    pass


async def run_bare(
    url: str, calls: int, seconds: float, ramp: float, warmup: float, *, mark: Callable[[], None]
) -> list[int]:
    """Run the pacer; return the lateness (ns) of the frames sent in the measured window.
    ``mark()`` is called when the window starts and when it ends."""
    transports: list[picows.WSTransport] = []
    for _ in range(calls):
        transport, _ = await picows.ws_connect(_Quiet, url)
        transports.append(transport)
        transport.send(_TEXT, b'{"event":"connected","protocol":"Call","version":"1.0.0"}')
        if ramp:
            await asyncio.sleep(ramp / calls)
    heads = [
        f'","streamSid":"MZ{i:032x}","media":{{"track":"inbound","chunk":"' for i in range(calls)
    ]
    seq = [1] * calls
    t0 = time.perf_counter_ns() + 1_000_000
    due = [t0 + i * _PERIOD_NS // calls for i in range(calls)]
    lateness: list[int] = []
    measure_from = t0 + int(warmup * 1e9)
    stop_at = measure_from + int(seconds * 1e9)
    started = False
    i = 0
    while True:
        now = time.perf_counter_ns()
        if now >= stop_at:
            mark()
            break
        if not started and now >= measure_from:
            started = True
            mark()
            lateness.clear()
        while due[i] <= now:
            s = seq[i] = seq[i] + 1
            chunk = s - 1
            msg = (
                f'{{"event":"media","sequenceNumber":"{s}{heads[i]}{chunk}",'
                f'"timestamp":"{(chunk - 1) * 20}","payload":"{_SILENCE}"}}}}'
            )
            sent = time.perf_counter_ns()
            transports[i].send(_TEXT, msg.encode())
            lateness.append(sent - due[i])
            due[i] += _PERIOD_NS
            i = i + 1 if i + 1 < calls else 0
            now = sent
        await asyncio.sleep(max(0.001, (due[i] - time.perf_counter_ns()) / 1e9))
    for transport in transports:
        transport.disconnect(graceful=False)
    return lateness
