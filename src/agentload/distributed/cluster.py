"""The Dask executor: workers on a Dask cluster (``--cluster tcp://HOST:8786`` or ``local:N``).

Dask places the workers and launches them; the run itself does not go through
Dask. Each worker is a Dask task that starts one agentload worker process
(:mod:`agentload.distributed.remote`), which dials back to a listener here
with a per-run key. From then on the coordinator speaks the same protocol as
with local processes, so merging, thresholds, liveness (no Interval for 3 s:
dead) and the failure policy are the coordinator's, unchanged.

A task holds its Dask worker thread for the whole run, so a run can use at
most as many agentload workers as the cluster has threads; ``--workers auto``
takes one per thread. The scenario's folder travels inside Setup
(``ships_files``), so remote machines need agentload installed but not the
scenario. ``distributed`` is an optional dependency (``agentload[dask]``).
"""

from __future__ import annotations

import logging
import queue
import secrets
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection, Listener, wait
from typing import Any

from agentload.distributed.executor import Exited, Lost, WorkerEvent, drain
from agentload.distributed.protocol import ToWorker, encode
from agentload.distributed.remote import launch_worker
from agentload.errors import RunError, UsageError

__all__ = ["ClusterAddress", "DaskExecutor", "parse_cluster"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClusterAddress:
    """Where the cluster is: a scheduler address, or ``local_workers`` to start one here."""

    scheduler: str | None = None
    local_workers: int = 0

    def __str__(self) -> str:
        return self.scheduler or f"local:{self.local_workers}"


def parse_cluster(text: str) -> ClusterAddress:
    """``tcp://HOST:PORT`` (a running scheduler) or ``local:N`` (a local cluster of N processes)."""
    value = text.strip()
    if value.startswith("local:"):
        n = value.removeprefix("local:")
        if not (n.isascii() and n.isdigit()) or int(n) < 1:
            raise UsageError(f"--cluster {text!r}: local:N needs a count ≥ 1, e.g. local:2")
        return ClusterAddress(local_workers=int(n))
    if value.startswith(("tcp://", "tls://")):
        host, _, port = value.split("://", 1)[1].rpartition(":")
        if host and port.isdigit():
            return ClusterAddress(scheduler=value)
    raise UsageError(
        f"--cluster {text!r}: expected a Dask scheduler address such as tcp://10.0.0.5:8786, "
        "or local:N for a local cluster of N worker processes"
    )


def _import_distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415 - an optional dependency, needed only here
    except ImportError:
        raise UsageError(
            "--cluster needs Dask: pip install 'agentload[dask]' (here and on every worker machine)"
        ) from None
    return distributed


def _route_host(scheduler: str) -> str:
    """This machine's address as the scheduler's network sees it (workers dial it)."""
    host, _, port = scheduler.split("://", 1)[1].rpartition(":")
    host = host.strip("[]")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((host, int(port)))  # UDP: no packet is sent; the kernel picks the route
        return str(s.getsockname()[0])


@dataclass(slots=True)
class _Remote:
    future: Any
    control: Connection | None = None
    data: Connection | None = None
    exited: bool = False
    code: int | None = None


class DaskExecutor:
    """agentload workers as tasks on a Dask cluster.

    Args:
        cluster: from :func:`parse_cluster`.
        connect_timeout: how long to wait for the scheduler, and for every
            worker to dial back after its task was submitted.
        advertise_host: the address workers dial back to (default: the
            address that routes to the scheduler; 127.0.0.1 for a local cluster).
    """

    ships_files = True

    def __init__(
        self,
        cluster: ClusterAddress,
        *,
        connect_timeout: float = 60.0,
        advertise_host: str | None = None,
    ) -> None:
        self.cluster = cluster
        self.connect_timeout = connect_timeout
        self.advertise_host = advertise_host
        self._distributed: Any = None
        self._local: Any = None
        self._client: Any = None
        self._token = secrets.token_hex(8)
        self._remotes: list[_Remote] = []
        self._threads = 0

    # -- cluster --------------------------------------------------------------

    def connect(self) -> int:
        """Connect to (or start) the cluster; returns how many workers it can run at once."""
        if self._client is not None:
            return self._threads
        dist = self._distributed = _import_distributed()
        try:
            if self.cluster.local_workers:
                self._local = dist.LocalCluster(
                    n_workers=self.cluster.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    protocol="tcp",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                address = self._local.scheduler_address
            else:
                address = self.cluster.scheduler
            self._client = dist.Client(address, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as exc:
            self.close(0)
            raise RunError(
                f"cannot reach the Dask scheduler at {self.cluster} ({exc}); is "
                "`dask scheduler` running there, and does this machine reach it?"
            ) from None
        workers = self._client.scheduler_info()["workers"]
        self._slots = [
            addr
            for round_ in range(max((w.get("nthreads", 1) for w in workers.values()), default=0))
            for addr, w in sorted(workers.items())
            if w.get("nthreads", 1) > round_
        ]
        self._threads = len(self._slots)
        if not self._threads:
            self.close(0)
            raise RunError(f"the Dask cluster at {self.cluster} has no workers; start some")
        return self._threads

    def describe(self) -> Mapping[str, object]:
        """``{"mode": "dask", "cluster": …, "threads": …}``."""
        return {"mode": "dask", "cluster": str(self.cluster), "threads": self._threads}

    # -- executor interface ----------------------------------------------------

    def start(self, count: int) -> tuple[int | None, ...]:
        """Submit ``count`` worker tasks and wait until each dialled back twice."""
        if self._remotes:
            raise RuntimeError("this executor already started its workers")
        threads = self.connect()
        if count > threads:
            raise RunError(
                f"the Dask cluster has {threads} worker threads, {count} workers were asked for; "
                "use --workers auto, or add Dask workers"
            )
        local = self.cluster.local_workers > 0
        host = self.advertise_host or (
            "127.0.0.1" if local else _route_host(str(self.cluster.scheduler))
        )
        authkey = secrets.token_bytes(32)
        listener = Listener(("127.0.0.1" if local else "0.0.0.0", 0), authkey=authkey)
        port = listener.address[1]
        arrivals: queue.Queue[tuple[Connection, bytes] | BaseException] = queue.Queue()
        acceptor = threading.Thread(
            target=_accept, args=(listener, 2 * count, arrivals), daemon=True
        )
        acceptor.start()
        for worker in range(count):
            future = self._client.submit(
                launch_worker,
                worker,
                (host, port),
                authkey.hex(),
                self._token,
                _KillFlag(self._kill_name(worker)),
                key=f"agentload-worker-{self._token}-{worker}",
                pure=False,
                workers=[self._slots[worker]],
                allow_other_workers=False,
                retries=0,
            )
            self._remotes.append(_Remote(future))
        try:
            self._await_dial_backs(arrivals, 2 * count)
        finally:
            listener.close()  # a task rescheduled later cannot dial into this run
        return tuple(None for _ in range(count))

    def _kill_name(self, worker: int) -> str:
        return f"agentload-kill-{self._token}-{worker}"

    def _await_dial_backs(
        self, arrivals: queue.Queue[tuple[Connection, bytes] | BaseException], expected: int
    ) -> None:
        deadline = time.monotonic() + self.connect_timeout
        got = 0
        while got < expected:
            for i, remote in enumerate(self._remotes):
                if remote.future.done():
                    raise RunError(
                        f"Dask worker task {i} ended before it connected: "
                        f"{_task_outcome(remote.future)}"
                    )
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunError(
                    f"{expected - got} worker connections did not arrive within "
                    f"{self.connect_timeout:g} s; can the Dask workers reach this machine "
                    "(set the address with AGENTLOAD_ADVERTISE_HOST)?"
                )
            try:
                item = arrivals.get(timeout=min(0.2, left))
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                raise RunError(f"accepting worker connections failed: {item}")
            conn, hello = item
            worker, role = self._identify(hello)
            if worker is None:
                conn.close()
                continue
            remote = self._remotes[worker]
            if getattr(remote, role) is not None:
                conn.close()
                continue
            setattr(remote, role, conn)
            got += 1

    def _identify(self, hello: bytes) -> tuple[int | None, str]:
        token, _, rest = hello.decode(errors="replace").partition(":")
        index, _, role = rest.partition(":")
        ok = (
            token == self._token
            and index.isdigit()
            and int(index) < len(self._remotes)
            and role in ("control", "data")
        )
        return (int(index), role) if ok else (None, "")

    def send(self, worker: int, message: ToWorker) -> None:
        """Send ``message`` to ``worker``; ignored once the worker is gone."""
        remote = self._remotes[worker]
        if remote.control is None or remote.exited:
            return
        try:
            remote.control.send_bytes(encode(message))
        except OSError:
            remote.control.close()
            remote.control = None

    def poll(self, timeout: float) -> list[WorkerEvent]:
        """Messages within ``timeout`` seconds, and workers whose task ended."""
        channels = {r.data: i for i, r in enumerate(self._remotes) if r.data is not None}
        events: list[WorkerEvent] = []
        if channels:
            for conn in wait(list(channels), timeout):
                assert isinstance(conn, Connection)
                events.extend(self._drain(channels[conn]))
        else:
            time.sleep(timeout)
        for i, remote in enumerate(self._remotes):
            if not remote.exited and remote.future.done():
                events.extend(self._drain(i))
                remote.exited = True
                remote.code = _exit_code(remote.future)
                events.append(Exited(i, remote.code))
        return events

    def _drain(self, worker: int) -> list[WorkerEvent]:
        remote = self._remotes[worker]
        if remote.data is None:
            return []
        events, still_open = drain(remote.data, worker)
        if not still_open:
            remote.data.close()
            remote.data = None
            # The connection broke: the worker (or its machine) is gone, even
            # if Dask has not noticed yet.
            events.append(Lost(worker, "the connection to the worker closed"))
        return events

    def kill(self, worker: int) -> None:
        """Kill ``worker``'s process: its task polls the kill flag twice a second."""
        remote = self._remotes[worker]
        if remote.exited or self._client is None:
            return
        self._distributed.Event(self._kill_name(worker), client=self._client).set()
        for conn in (remote.control, remote.data):
            if conn is not None:
                conn.close()
        remote.control = remote.data = None

    def close(self, timeout: float = 2.0) -> tuple[int | None, ...]:
        """Wait up to ``timeout`` s for the tasks, kill the rest, leave the cluster."""
        deadline = time.monotonic() + timeout
        for remote in self._remotes:
            while not remote.future.done() and time.monotonic() < deadline:
                time.sleep(0.05)
        for i, remote in enumerate(self._remotes):
            if remote.code is None and remote.future.done():
                remote.code = _exit_code(remote.future)
            if remote.code is None:
                self.kill(i)
                end = time.monotonic() + 5.0
                while not remote.future.done() and time.monotonic() < end:
                    time.sleep(0.05)
                remote.code = _exit_code(remote.future) if remote.future.done() else -9
            for conn in (remote.control, remote.data):
                if conn is not None:
                    conn.close()
            remote.control = remote.data = None
            remote.exited = True
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._local is not None:
            self._local.close()
            self._local = None
        return tuple(r.code for r in self._remotes)


def _accept(
    listener: Listener,
    expected: int,
    out: queue.Queue[tuple[Connection, bytes] | BaseException],
) -> None:
    """Accept ``expected`` authenticated connections and read each one's hello."""
    for _ in range(expected):
        try:
            conn = listener.accept()
            out.put((conn, conn.recv_bytes(256)))
        except OSError:  # the listener was closed: start() finished or gave up
            return
        except Exception as exc:  # a bad key or garbage: ignore that caller
            _log.debug("rejected a worker connection: %s", exc)


@dataclass(frozen=True, slots=True)
class _KillFlag:
    """Travels with a worker task: true once the coordinator set the run's kill event."""

    name: str

    def __call__(self) -> bool:
        dist = _import_distributed()
        return bool(dist.Event(self.name).is_set())


def _task_outcome(future: Any) -> str:
    if future.status == "error":
        return f"{type(future.exception()).__name__}: {future.exception()}"
    if future.status == "finished":
        return f"its worker process exited with code {future.result()}"
    return str(future.status)


def _exit_code(future: Any) -> int:
    """The worker process's exit code; -1 when the task itself failed or was cancelled."""
    if future.status == "finished":
        code = future.result()
        return int(code) if isinstance(code, int) else -1
    return -1
