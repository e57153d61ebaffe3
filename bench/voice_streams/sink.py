"""A Twilio-stream agent that only listens: a picows WebSocket server that counts
caller ``media`` messages and answers nothing (so the bench measures the caller side).

Run as ``python sink.py``; prints ``port N`` and serves until killed. Pinned to
the last CPU when there are two or more, away from the tester's core.
"""

from __future__ import annotations

import asyncio
import os

import picows
import uvloop


class _Sink(picows.WSListener):
    frames = 0

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        _Sink.frames += 1
        if frame.msg_type == picows.WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()


async def main() -> None:
    server = await picows.ws_create_server(lambda _request: _Sink(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[-1]})
    uvloop.run(main())
