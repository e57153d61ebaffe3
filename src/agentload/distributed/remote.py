"""A worker on another machine: launched by a cluster task, it dials back to the coordinator.

The cluster (Dask) only places and launches work; the run's own traffic —
Setup, Go, one Interval per second, Stop — flows over one TCP connection per
worker from :class:`multiprocessing.connection.Listener`, authenticated with a
per-run key (HMAC challenge both ways). That keeps the worker protocol the
same on every executor and keeps the cluster's scheduler out of the
once-a-second path.

A cluster task never runs the load in its own thread: it starts a worker
as a child process running :func:`main` (a fresh
interpreter with its own event loop, signals and GIL) and waits for it. The
key travels in the child's environment, never on its command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing.connection import Client, Connection

__all__ = ["AUTHKEY_ENV", "connect_back", "launch_worker", "main"]

AUTHKEY_ENV = "AGENTLOAD_WORKER_AUTHKEY"
"""Environment variable carrying the run's key (hex) to the worker process."""


_ENTRY = "import sys; from agentload.distributed.remote import main; main(sys.argv[1:])"


def connect_back(
    worker: int, address: tuple[str, int], authkey: bytes, token: str
) -> tuple[Connection, Connection]:
    """Open the worker's control and data connections to the coordinator.

    Two connections, as two pipes locally: the worker's event loop makes the
    control socket non-blocking while it watches it, and the data socket must
    stay blocking so a large Interval is written whole. Each says who it is
    first: ``token:worker:control`` / ``token:worker:data``.
    """
    conns = []
    for role in ("control", "data"):
        conn = Client(address, authkey=authkey)
        conn.send_bytes(f"{token}:{worker}:{role}".encode())
        conns.append(conn)
    return conns[0], conns[1]


def launch_worker(
    worker: int,
    address: tuple[str, int],
    authkey_hex: str,
    token: str,
    should_stop: object = None,
) -> int:
    """Run worker ``worker`` in a child process until it exits; returns its exit code.

    ``should_stop`` is polled twice a second; when it returns true the child
    is killed (the coordinator gave up on this worker).
    """
    env = {**os.environ, AUTHKEY_ENV: authkey_hex}
    # Not ``-m``: the package imports this module, and runpy warns about that.
    cmd = [sys.executable, "-c", _ENTRY, str(worker), address[0], str(address[1]), token]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    while True:
        try:
            return proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            if callable(should_stop) and should_stop():
                proc.kill()


def main(argv: list[str] | None = None) -> None:
    """The worker process: ``main([WORKER, HOST, PORT, TOKEN])`` (the key comes in the env)."""
    # Imported here: the launcher above runs inside Dask's worker and needs no engine.
    from agentload.distributed.worker import worker_main  # noqa: PLC0415

    args = sys.argv[1:] if argv is None else argv
    worker, host, port, token = int(args[0]), args[1], int(args[2]), args[3]
    authkey = bytes.fromhex(os.environ.pop(AUTHKEY_ENV))
    control, data = connect_back(worker, (host, port), authkey, token)
    worker_main(worker, control, data, wall_clock=True)
