"""Request chains: a VU's plain-request iterations, run from connection callbacks.

A VU whose scenario is only HTTP requests with no think time spends most of its
CPU not on HTTP but on the coroutine machinery around each request: a future,
a task wake-up a loop turn later, three coroutine frames resumed and returned.
The wake-up also delays every write until all reads of that loop turn are
handled, so the generator and the target take turns instead of working side by
side. A :class:`RequestChain` is the connection's waiter (a
:class:`~agentload.protocols.http.Waiter`): when a response completes, the
connection calls :meth:`RequestChain.set_result` from ``data_received``, which
records it with the step's own :meth:`~agentload.engine.steps.RequestRunner.record`
and writes the next request at once, on the connection that just became idle.
The closed model chains whole iterations, the open model each arrival's one.

The chain only takes the common path: a request on an idle kept-alive
connection that ends in a response or in a failure that is not retried. Any
other step it *hands back* to the VU's coroutine, which runs that one step
exactly as without a chain and then resumes the chain: opening a connection,
the one retry of a request the server dropped on a kept-alive connection
(RFC 9110 §9.2.2). It also hands back to stop, at an iteration boundary. The
numbers are the same either way (docs/decisions.md D20).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Final

from agentload.engine.steps import RequestRunner
from agentload.engine.vu import VU, VUState
from agentload.metrics import CounterSeries
from agentload.protocols.http import (
    Connection,
    HttpError,
    Origin,
    Response,
    limits_ns,
    may_retry,
)

__all__ = ["RequestChain", "chain_steps"]

_RUNNING: Final = VUState.RUNNING


def chain_steps(steps: Sequence[object]) -> tuple[RequestRunner, ...] | None:
    """The steps as request runners if a chain can run all of them, else None."""
    if not steps or not all(isinstance(s, RequestRunner) and s.chainable for s in steps):
        return None
    return tuple(s for s in steps if isinstance(s, RequestRunner))


class _Link:
    """One step of a chain, with what a request needs resolved once per VU."""

    __slots__ = ("head", "idle", "origin", "raw", "read_ns", "step", "total_ns")

    def __init__(self, step: RequestRunner, vu: VU) -> None:
        self.step = step
        self.read_ns, self.total_ns = limits_ns(step.timeouts)
        self.head = step.head
        static = step.static
        self.origin: Origin | None = None
        self.raw = b""
        # The idle list of the origin's pool (a static step's origin is fixed).
        self.idle: list[Connection] = []
        if static is not None:
            self.origin, self.raw = static
            self.idle = vu.http.pool(self.origin).idle


class RequestChain:
    """Runs one VU's iterations from connection callbacks, handing back what it cannot do.

    :meth:`start` begins iterating and returns a future that resolves at the
    next hand-back. Then :attr:`resume_at` says what the VU's coroutine does:
    ``-1``, stop (the VU left the running state, or ``stopping()`` is true:
    checked before each iteration); otherwise run step ``resume_at`` itself
    (:meth:`step`; as the retry of a request that began at :attr:`retry_of_ns`
    if that is non-zero) and pass its outcome to :meth:`resume`, which goes on
    with the rest of the iteration and returns the next hand-back's future.
    Iterations are counted (``iterations``, updated in place as in D18) and
    timed (``duration``) here, whichever path ran their steps.

    :meth:`start_one` runs a single iteration instead (the open model's
    arrivals): its first request's latency and the iteration's duration count
    from the arrival's intended start, and the future resolves with
    ``resume_at == -1`` when the iteration is over. :attr:`intended_ns` is what
    the coroutine passes to a handed-back step's ``run`` (0 after the first).
    """

    __slots__ = (
        "_conn",
        "_done",
        "_duration",
        "_i",
        "_iterations",
        "_links",
        "_loop",
        "_one",
        "_origin",
        "_raw",
        "_stopping",
        "_t0",
        "_vu",
        "intended_ns",
        "resume_at",
        "retry_of_ns",
    )

    def __init__(
        self,
        vu: VU,
        steps: Sequence[RequestRunner],
        *,
        iterations: CounterSeries,
        duration: Callable[[int], None],
        stopping: Callable[[], bool],
    ) -> None:
        self._vu = vu
        self._links = tuple(_Link(step, vu) for step in steps)
        self._iterations = iterations
        self._duration = duration
        self._stopping = stopping
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[None] | None = None
        self._conn: Connection | None = None
        self._origin: Origin | None = None
        self._raw = b""
        self._i = 0
        self._t0 = 0
        self._one = False
        self.intended_ns = 0
        self.resume_at = -1
        self.retry_of_ns = 0

    def step(self, index: int) -> RequestRunner:
        """The runner of step ``index``."""
        return self._links[index].step

    def start(self) -> asyncio.Future[None]:
        """Begin iterating; the future resolves at the first hand-back."""
        self._done = done = self._loop.create_future()
        self._one = False
        self.intended_ns = 0
        self._iterate()
        return done

    def start_one(self, intended_ns: int) -> asyncio.Future[None]:
        """Run one iteration that was due at ``intended_ns`` (monotonic ns)."""
        self._done = done = self._loop.create_future()
        self._one = True
        self.intended_ns = intended_ns
        self._t0 = intended_ns or time.monotonic_ns()
        self._i = 0
        self._send()
        return done

    def resume(self, ok: bool) -> asyncio.Future[None]:
        """Go on after the handed-back step ran; ``ok`` is what its ``run`` returned."""
        self._done = done = self._loop.create_future()
        self.intended_ns = 0
        self._i += 1
        if ok and self._i < len(self._links):
            self._send()
        else:
            self._end_iteration()
        return done

    @property
    def in_iteration(self) -> bool:
        """True between an iteration's start and its end (a cancel interrupts it)."""
        return self.resume_at >= 0 or not (self._done is None or self._done.done())

    def cancel(self) -> None:
        """Drop the request in flight, if any (the VU was cancelled)."""
        conn, self._conn = self._conn, None
        if conn is not None and conn.waiter is self:
            conn.abort()

    # -- the chain ------------------------------------------------------------------

    def _iterate(self) -> None:
        if self._vu.state is not _RUNNING or self._stopping():
            self._hand_back(-1)
            return
        self._t0 = time.monotonic_ns()
        self._i = 0
        self._send()

    def _send(self) -> None:
        link = self._links[self._i]
        origin = link.origin
        if origin is None:
            encoded = link.step.encode(self._vu)
            if encoded is None:  # a variable is missing: recorded, the iteration ends
                self._end_iteration()
                return
            origin, raw = encoded
            idle = self._vu.http.pool(origin).idle
        else:
            raw = link.raw
            idle = link.idle
        if not idle:
            # A connection must be opened: that is the coroutine path's work.
            self._hand_back(self._i)
            return
        conn = idle.pop()
        self._conn = conn
        self._origin = origin
        self._raw = raw
        conn.begin(self, raw, link.head, link.read_ns, link.total_ns, 0)

    def _end_iteration(self) -> None:
        self._iterations.value += 1
        self._duration((time.monotonic_ns() - self._t0) // 1000)
        if self._one:
            self._hand_back(-1)
        else:
            self._iterate()

    def _hand_back(self, resume_at: int, retry_of_ns: int = 0) -> None:
        self._conn = None
        self.resume_at = resume_at
        self.retry_of_ns = retry_of_ns
        done = self._done
        if done is not None and not done.done():
            done.set_result(None)

    # -- the Waiter protocol (called by the connection) ---------------------------------

    def set_result(self, response: Response, /) -> None:
        """A response completed: record it, then send the next request."""
        self._conn = None
        origin = self._origin
        assert origin is not None
        try:
            links = self._links
            intended = self.intended_ns
            if intended:
                self.intended_ns = 0  # the first request's only
            if links[self._i].step.record(self._vu, response, intended, origin, self._raw):
                i = self._i + 1
                if i < len(links):
                    self._i = i
                    self._send()
                    return
            # _end_iteration() and _iterate() inlined: this runs once per
            # iteration, and the next iteration starts when this one ended.
            now = time.monotonic_ns()
            self._iterations.value += 1
            self._duration((now - self._t0) // 1000)
            if self._one:
                self._hand_back(-1)
                return
            if self._vu.state is not _RUNNING or self._stopping():
                self._hand_back(-1)
                return
            self._t0 = now
            self._i = 0
            self._send()
        except BaseException as exc:  # handed to the VU's coroutine, which raises it
            self._crash(exc)

    def set_exception(self, exception: BaseException, /) -> None:
        """The request failed: hand back for the retry, or record it and go on."""
        conn, self._conn = self._conn, None
        origin = self._origin
        assert origin is not None
        try:
            if not isinstance(exception, HttpError):
                raise exception
            if conn is not None and may_retry(conn.rx, exception, self._raw):
                self._hand_back(self._i, conn.start_ns)
                return
            self._links[self._i].step.failed(self._vu, exception, origin, self._raw)
            self._end_iteration()
        except BaseException as exc:  # handed to the VU's coroutine, which raises it
            self._crash(exc)

    def done(self) -> bool:
        """Never: a chain takes every outcome of the requests it sends."""
        return False

    def _crash(self, exc: BaseException) -> None:
        # A bug or a user's check that raised: the VU's coroutine raises it,
        # as it would have without the chain.
        self._conn = None
        done = self._done
        if done is not None and not done.done():
            done.set_exception(exc)
