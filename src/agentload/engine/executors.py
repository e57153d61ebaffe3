"""Executors: run a plan's closed or open model on the event loop.

The plan (:mod:`agentload.profiles.plan`) says *when*; executors only do it.
Both share the stop protocol: :meth:`Executor.stop` ends scheduling, lets
running iterations finish within the grace period, then cancels what is left;
calling it with ``force=True`` cancels at once.

A plan of several load groups runs one executor per group
(:meth:`~agentload.profiles.Plan.parts`), side by side on one loop; they
share a :class:`VuGauges` so ``vus`` and ``vus_max`` are the groups' sums.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import time
from collections.abc import Callable, Mapping, Sequence

from agentload.engine._chain import RequestChain, chain_steps
from agentload.engine.steps import CompiledStep
from agentload.engine.vu import VU, VUState
from agentload.metrics import Recorder
from agentload.profiles import ClosedModel, OpenModel, Plan
from agentload.protocols.http import HttpClient

__all__ = ["ClosedExecutor", "Executor", "OpenExecutor", "VuGauges", "make_executor"]

_NO_TAGS: tuple[tuple[str, str], ...] = ()
# Arrivals closer than this to "now" are started without sleeping: uvloop's
# timers have 1 ms resolution, and shorter sleeps would busy-spin.
_MIN_SLEEP_S = 0.001


class VuGauges:
    """The ``vus`` and ``vus_max`` gauges of executors running side by side: their sums."""

    def __init__(self, recorder: Recorder) -> None:
        self._vus = recorder.gauge("vus", _NO_TAGS).set
        self._vus_max = recorder.gauge("vus_max", _NO_TAGS).set
        self._active: list[float] = []
        self._peak: list[float] = []

    def slot(self) -> tuple[Callable[[float], None], Callable[[float], None]]:
        """Setters for one more executor's ``vus`` and ``vus_max``."""
        n = len(self._active)
        self._active.append(0)
        self._peak.append(0)

        def vus(value: float) -> None:
            self._active[n] = value
            self._vus(sum(self._active))

        def vus_max(value: float) -> None:
            self._peak[n] = value
            self._vus_max(sum(self._peak))

        return vus, vus_max


class Executor:
    """Common parts: VUs, iteration bookkeeping, the stop protocol.

    ``vu_offset`` is added to the global index of every VU this executor
    creates (the plan's part offset); ``gauges`` is shared by executors of
    one run's load groups (``None``: this executor sets the gauges alone).
    ``chains`` lets VUs run plain-request scenarios as request chains
    (engine/_chain.py, docs/decisions.md D20).
    """

    def __init__(
        self,
        plan: Plan,
        *,
        scenarios: Mapping[str, Sequence[CompiledStep]],
        recorder: Recorder,
        variables: Mapping[str, object],
        http_factory: Callable[[], HttpClient],
        start_ns: int,
        vu_offset: int = 0,
        gauges: VuGauges | None = None,
        chains: bool = True,
    ) -> None:
        self.plan = plan
        self.chains = chains
        self.vu_offset = vu_offset
        self._scenarios = {name: tuple(steps) for name, steps in scenarios.items()}
        self._variables = variables
        self._http_factory = http_factory
        self.start_ns = start_ns
        self._stopping = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._iterations = {
            name: recorder.counter("iterations", (("scenario", name),)).add for name in scenarios
        }
        self._iteration_duration = {
            name: recorder.trend("iteration_duration", (("scenario", name),)).add
            for name in scenarios
        }
        self._interrupted = recorder.counter("iterations_interrupted", _NO_TAGS).add
        self._vus_gauge: Callable[[float], None]
        self._vus_max_gauge: Callable[[float], None]
        if gauges is None:
            self._vus_gauge = recorder.gauge("vus", _NO_TAGS).set
            self._vus_max_gauge = recorder.gauge("vus_max", _NO_TAGS).set
        else:
            self._vus_gauge, self._vus_max_gauge = gauges.slot()
        self._wake: asyncio.Future[None] | None = None
        self._recorder = recorder
        self._vus_gauge(0)
        self._vus_max_gauge(0)
        self._setup()

    def _setup(self) -> None:
        """Subclass hook: per-model state, after the common parts exist."""

    # -- stop protocol -------------------------------------------------------
    @property
    def stopping(self) -> bool:
        """True once a stop was requested or the plan ran out."""
        return self._stopping

    def stop(self, *, force: bool = False) -> None:
        """End scheduling; with ``force``, cancel running iterations too."""
        self._stopping = True
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)
        if force:
            for task in self._tasks:
                task.cancel()

    async def _sleep_until(self, at_s: float) -> bool:
        """Sleep until ``at_s`` seconds after the start; False if a stop came first."""
        if self._stopping:
            return False
        delay = (self.start_ns + at_s * 1e9 - time.monotonic_ns()) / 1e9
        if delay < _MIN_SLEEP_S:
            return True
        loop = asyncio.get_running_loop()
        self._wake = wake = loop.create_future()
        handle = loop.call_later(delay, _resolve, wake)
        try:
            await wake
        finally:
            handle.cancel()
            self._wake = None
        return not self._stopping

    async def _wind_down(self, grace: float) -> None:
        """Let running iterations finish within ``grace`` seconds, then cancel."""
        self._stopping = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        await self._cancel_tasks()

    async def _cancel_tasks(self) -> None:
        """Cancel the iterations still running in tasks and wait until they are gone."""
        if self._tasks:
            pending = set(self._tasks)
            for task in pending:
                task.cancel()
            await asyncio.wait(pending)

    def _spawn(self, coro: collections.abc.Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _iteration(
        self, vu: VU, scenario: str, steps: tuple[CompiledStep, ...], intended_ns: int
    ) -> None:
        t0 = intended_ns or time.monotonic_ns()
        try:
            for step in steps:
                if not await step.run(vu, intended_ns):
                    break
                intended_ns = 0
        except asyncio.CancelledError:
            self._interrupted(1)
            raise
        self._iterations[scenario](1)
        self._iteration_duration[scenario]((time.monotonic_ns() - t0) // 1000)

    def _chain_for(self, vu: VU, scenario: str) -> RequestChain | None:
        """A request chain for ``vu`` running ``scenario``, if it is plain requests (D20)."""
        plain = chain_steps(self._scenarios[scenario]) if self.chains else None
        if plain is None:
            return None
        return RequestChain(
            vu,
            plain,
            iterations=self._recorder.counter("iterations", (("scenario", scenario),)),
            duration=self._iteration_duration[scenario],
            stopping=lambda: self._stopping,
        )

    async def _drive_chain(
        self, vu: VU, chain: RequestChain, handed_back: asyncio.Future[None]
    ) -> None:
        """Follow a request chain until it stops (D20).

        Each step it hands back (a connection to open, a retry) runs here as a
        coroutine, then the chain goes on with the rest. A cancel drops the
        request in flight and counts the iteration as interrupted.
        """
        while True:
            try:
                await handed_back
            except asyncio.CancelledError:
                interrupted = chain.in_iteration
                chain.cancel()
                if interrupted:
                    self._interrupted(1)
                raise
            if chain.resume_at < 0:
                return
            step = chain.step(chain.resume_at)
            try:
                ok = await step.run(vu, chain.intended_ns, chain.retry_of_ns)
            except asyncio.CancelledError:
                self._interrupted(1)
                raise
            handed_back = chain.resume(ok)

    async def run(self) -> None:
        """Execute the plan until it ends or :meth:`stop` is called."""
        raise NotImplementedError


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class ClosedExecutor(Executor):
    """VUs loop over their scenario; their number follows the plan's VU changes."""

    def _setup(self) -> None:
        model = self.plan.model
        assert isinstance(model, ClosedModel)
        self.model = model
        self._vus: list[VU] = []
        self._vu_tasks: dict[int, asyncio.Task[None]] = {}
        self._active = 0

    async def _vu_loop(self, vu: VU) -> None:
        # The iteration is inlined here (rather than awaiting _iteration) because
        # this loop runs once per iteration per VU: one coroutine less per request.
        scenario = self.plan.scenario_for(vu.index - self.vu_offset)
        steps = self._scenarios[scenario]
        count = self._iterations[scenario]
        duration = self._iteration_duration[scenario]
        chain = self._chain_for(vu, scenario)
        now = time.monotonic_ns
        running = VUState.RUNNING
        vu.transition(running)
        try:
            if chain is not None:
                await self._chain_loop(vu, chain)
                return
            while vu.state is running and not self._stopping:
                t0 = now()
                try:
                    for step in steps:
                        if not await step.run(vu, 0):
                            break
                except asyncio.CancelledError:
                    self._interrupted(1)
                    raise
                count(1)
                duration((now() - t0) // 1000)
        finally:
            vu.transition(VUState.IDLE)

    async def _chain_loop(self, vu: VU, chain: RequestChain) -> None:
        # Whole iterations run in the chain's callbacks (D20) until it stops at an
        # iteration boundary because the VU left the running state. If it is
        # running again by then (ramped down and up, and _set_active saw this
        # task alive and kept it), the chain starts again.
        while True:
            await self._drive_chain(vu, chain, chain.start())
            if vu.state is not VUState.RUNNING or self._stopping:
                return

    def _set_active(self, n: int) -> None:
        loop = asyncio.get_running_loop()
        while self._active < n:
            j = self._active
            if j == len(self._vus):
                self._vus.append(
                    VU(
                        self.plan.vu_global_index(j) + self.vu_offset,
                        http=self._http_factory(),
                        variables=self._variables,
                    )
                )
            vu = self._vus[j]
            old = self._vu_tasks.get(j)
            if old is not None and not old.done():
                # Ramped down and up again before it finished: let it keep going.
                vu.transition(VUState.RUNNING)
            else:
                new = loop.create_task(self._vu_loop(vu))
                self._vu_tasks[j] = new
                self._tasks.add(new)
                new.add_done_callback(self._tasks.discard)
            self._active += 1
        while self._active > n:
            self._active -= 1
            vu = self._vus[self._active]
            if vu.state is VUState.RUNNING:
                vu.transition(VUState.STOPPING)
            task = self._vu_tasks.get(self._active)
            if task is not None and not task.done():
                loop.call_later(self.model.graceful_ramp_down, _cancel_if_stopping, task, vu)
        self._vus_gauge(self._active)
        self._vus_max_gauge(len(self._vus))

    async def run(self) -> None:
        try:
            for change in self.plan.vu_changes():
                if not await self._sleep_until(change.at):
                    break
                self._set_active(change.active)
        finally:
            for vu in self._vus:
                if vu.state is VUState.RUNNING:
                    vu.transition(VUState.STOPPING)
            await self._wind_down(self.model.graceful_stop)
            self._vus_gauge(0)
            for vu in self._vus:
                vu.transition(VUState.DONE)
                await vu.close()


def _cancel_if_stopping(task: asyncio.Task[None], vu: VU) -> None:
    if vu.state is VUState.STOPPING and not task.done():
        task.cancel()


class _Slot:
    """One VU of the open model's pool, with its request chain per scenario."""

    __slots__ = ("chains", "on_done", "vu")

    def __init__(self, vu: VU, on_done: Callable[[_Slot, asyncio.Future[None]], None]) -> None:
        self.vu = vu
        self.chains: dict[str, RequestChain | None] = {}
        """The chain this VU runs a scenario with (None: that scenario cannot be chained)."""
        self.on_done: Callable[[asyncio.Future[None]], None] = functools.partial(on_done, self)
        """Its chain's hand-back callback, made once rather than per arrival."""


class OpenExecutor(Executor):
    """Iterations start at the plan's arrival times on a pool of at most ``max_vus`` VUs.

    An arrival that finds no free VU and no room to create one waits in a
    queue (at most ``max_queue``); it keeps its intended start, so its
    latency includes the wait. An arrival that finds the queue full, and any
    arrival still queued when the plan ends, is dropped and counted in
    ``dropped_iterations``.

    An arrival whose scenario is plain requests starts on its VU's request
    chain at once, from the dispatch, and ends in the chain's callbacks (D20):
    no coroutine is woken for it. Only what a chain hands back (a connection
    to open, a retry) and every other scenario run in a task.
    """

    def _setup(self) -> None:
        model = self.plan.model
        assert isinstance(model, OpenModel)
        self.model = model
        self._dropped = self._recorder.counter("dropped_iterations", _NO_TAGS).add
        self._queue_time = self._recorder.trend("iteration_queue_time", _NO_TAGS).add
        self._queue: collections.deque[tuple[int, int]] = collections.deque()
        self._idle: list[_Slot] = []
        self._vus: list[VU] = []
        self._busy = 0
        self._max_vus = self.plan.max_vus()
        # Arrivals running in a chain's callbacks, with no task: their chain and
        # the future that resolves when the chain hands back.
        self._chained: dict[_Slot, tuple[RequestChain, asyncio.Future[None]]] = {}

    def _new_slot(self) -> _Slot:
        vu = VU(
            self.plan.vu_global_index(len(self._vus)) + self.vu_offset,
            http=self._http_factory(),
            variables=self._variables,
        )
        self._vus.append(vu)
        vu.transition(VUState.RUNNING)
        self._vus_max_gauge(len(self._vus))
        return _Slot(vu, self._chain_done)

    def _dispatch(self, index: int, intended_ns: int) -> None:
        if self._idle:
            self._start(self._idle.pop(), index, intended_ns)
        elif len(self._vus) < self._max_vus:
            self._start(self._new_slot(), index, intended_ns)
        elif len(self._queue) < self.model.max_queue:
            self._queue.append((index, intended_ns))
        else:
            self._dropped(1)

    def _start(self, slot: _Slot, index: int, intended_ns: int) -> None:
        """Run arrival ``index`` on ``slot``'s VU."""
        self._busy += 1
        self._vus_gauge(self._busy)
        self._queue_time(max(0, time.monotonic_ns() - intended_ns) // 1000)
        scenario = self.plan.scenario_for(index)
        chains = slot.chains
        if scenario in chains:
            chain = chains[scenario]
        else:
            chain = chains[scenario] = self._chain_for(slot.vu, scenario)
        if chain is None:
            self._spawn(self._iterate(slot, scenario, intended_ns))
            return
        done = chain.start_one(intended_ns)
        self._chained[slot] = (chain, done)
        # Called soon even if the chain handed back already: never from inside
        # this dispatch, which a finished arrival's next queued one goes through.
        done.add_done_callback(slot.on_done)

    def _chain_done(self, slot: _Slot, done: asyncio.Future[None]) -> None:
        """A chained arrival handed back: it ended, or has a step for a coroutine to run."""
        entry = self._chained.pop(slot, None)
        if entry is None:
            return  # cancelled by a forced stop or the end of the grace period
        chain = entry[0]
        if done.cancelled() or done.exception() is not None or chain.resume_at >= 0:
            self._spawn(self._drive_rest(slot, chain, done))
        else:
            self._finished(slot)

    async def _drive_rest(
        self, slot: _Slot, chain: RequestChain, done: asyncio.Future[None]
    ) -> None:
        try:
            await self._drive_chain(slot.vu, chain, done)
        except BaseException:
            self._lost(slot)
            raise
        self._finished(slot)

    async def _iterate(self, slot: _Slot, scenario: str, intended_ns: int) -> None:
        try:
            await self._iteration(slot.vu, scenario, self._scenarios[scenario], intended_ns)
        except BaseException:
            self._lost(slot)
            raise
        self._finished(slot)

    def _lost(self, slot: _Slot) -> None:
        # Cancelled, or a bug in a step: the VU takes no more work.
        self._busy -= 1
        self._vus_gauge(self._busy)
        slot.vu.transition(VUState.DONE)

    def _finished(self, slot: _Slot) -> None:
        """An arrival's iteration ended: the VU takes the next queued arrival or goes idle."""
        self._busy -= 1
        self._vus_gauge(self._busy)
        vu = slot.vu
        if vu.state is VUState.STOPPING or self._stopping:
            # The VU stopped itself (a data feeder ran out), or the plan is over:
            # the queue was dropped, and an idle VU would only be waited for.
            vu.transition(VUState.DONE)
        elif self._queue:
            index, intended_ns = self._queue.popleft()
            self._start(slot, index, intended_ns)
        else:
            self._idle.append(slot)

    def _cancel_chains(self) -> None:
        """Drop every chained arrival's request in flight; each is an interrupted iteration."""
        chained, self._chained = self._chained, {}
        for slot, (chain, _done) in chained.items():
            if chain.in_iteration:
                self._interrupted(1)
            chain.cancel()
            self._lost(slot)

    def stop(self, *, force: bool = False) -> None:
        super().stop(force=force)
        if force:
            self._cancel_chains()

    async def _wind_down(self, grace: float) -> None:
        """Let running iterations, chained or in tasks, finish within ``grace``; then cancel."""
        self._stopping = True
        loop = asyncio.get_running_loop()
        end = loop.time() + grace
        while self._tasks or self._chained:
            left = end - loop.time()
            if left <= 0:
                break
            running: set[asyncio.Future[None]] = set(self._tasks)
            running.update(done for _chain, done in self._chained.values())
            # All of them, then again for what they started meanwhile: a chained
            # arrival may hand back a step, which then runs in a new task.
            await asyncio.wait(running, timeout=left)
        self._cancel_chains()
        await self._cancel_tasks()

    async def run(self) -> None:
        for _ in range(self.plan.pre_allocated_vus()):
            self._idle.append(self._new_slot())
        start_ns = self.start_ns
        now = time.monotonic_ns
        try:
            for index, at in self.plan.arrivals():
                if not await self._sleep_until(at):
                    break
                # An arrival due within _MIN_SLEEP_S starts now, a little early:
                # the loop's timers cannot wait less (and fire up to 1 ms early).
                # Its intended start is then now, not the planned instant, so
                # no latency is timed from after its request was written.
                due_ns = start_ns + int(at * 1e9)
                self._dispatch(index, min(due_ns, now()))
        finally:
            self._stopping = True
            if self._queue:
                self._dropped(len(self._queue))
                self._queue.clear()
            await self._wind_down(self.model.graceful_stop)
            self._vus_gauge(0)
            for vu in self._vus:
                vu.transition(VUState.DONE)
                await vu.close()


def make_executor(
    plan: Plan,
    *,
    scenarios: Mapping[str, Sequence[CompiledStep]],
    recorder: Recorder,
    variables: Mapping[str, object],
    http_factory: Callable[[], HttpClient],
    start_ns: int,
    vu_offset: int = 0,
    gauges: VuGauges | None = None,
    chains: bool = True,
) -> Executor:
    """The executor for the (single-group) plan's model."""
    cls = ClosedExecutor if isinstance(plan.model, ClosedModel) else OpenExecutor
    return cls(
        plan,
        scenarios=scenarios,
        recorder=recorder,
        variables=variables,
        http_factory=http_factory,
        start_ns=start_ns,
        vu_offset=vu_offset,
        gauges=gauges,
        chains=chains,
    )
