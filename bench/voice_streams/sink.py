"""A Twilio-stream agent that only listens: a picows WebSocket server that counts
caller ``media`` messages and answers nothing (so the bench measures the caller side).

Run as ``python sink.py [--busy-poll]``; prints ``port N`` and serves until
killed. Pinned to the last CPU when there are two or more, away from the
tester's core.

``--busy-poll`` keeps the event loop from ever sleeping in ``epoll_wait``: a
callback reschedules itself on every loop turn, so libuv polls with a zero
timeout and the sink burns its whole core. A sink that never sleeps need not
be woken, so the tester's ``write()`` no longer pays for waking a sleeping
process on the other CPU (an inter-processor interrupt, expensive in a VM).
That is a property of loopback-on-one-VM, not of the tester: a real agent is
on another machine, where the NIC and the agent's kernel do that work. The
bench reports both figures (bench/README.md, docs/decisions.md D22).
"""

from __future__ import annotations

import asyncio
import os
import sys

import picows
import uvloop


class _Sink(picows.WSListener):
    frames = 0

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        _Sink.frames += 1
        if frame.msg_type == picows.WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()


async def main(busy_poll: bool) -> None:
    server = await picows.ws_create_server(lambda _request: _Sink(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    if busy_poll:
        loop = asyncio.get_running_loop()

        def spin() -> None:  # a ready callback makes libuv poll with timeout 0
            loop.call_soon(spin)

        loop.call_soon(spin)
    print(f"port {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[-1]})
    uvloop.run(main("--busy-poll" in sys.argv[1:]))
