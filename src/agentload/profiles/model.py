"""Load models: what the user asks for, as frozen data.

Two models, as in k6 and wrk2:

* :class:`ClosedModel` — a number of virtual users (VUs) that loop over their
  scenario; the number follows linear ramps between stage targets.
* :class:`OpenModel` — iterations start at an arrival rate (per second) that
  follows linear ramps, whatever the responses do; a pool of at most
  ``max_vus`` VUs runs them. Latency is measured from each iteration's
  *intended* start, so queueing behind a slow target is visible
  (no coordinated omission).

A model compiles to a :class:`~agentload.profiles.plan.Plan`; the engine only
executes plans.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClosedModel", "LoadGroup", "LoadModel", "OpenModel", "Stage"]


@dataclass(frozen=True, slots=True)
class Stage:
    """Ramp linearly to ``target`` over ``duration`` seconds.

    ``target`` is a VU count for the closed model and iterations per second for
    the open model. A stage of duration 0 jumps to its target.
    """

    duration: float
    target: float


@dataclass(frozen=True, slots=True)
class ClosedModel:
    """Virtual users looping over their scenario, ramped through ``stages``.

    Attributes:
        stages: ramps, starting from ``start_vus``.
        start_vus: VUs active at time 0.
        graceful_ramp_down: seconds a VU that is no longer needed may take to
            finish its current iteration before it is cancelled.
        graceful_stop: seconds iterations still running at the end of the last
            stage may take before they are cancelled.
    """

    stages: tuple[Stage, ...]
    start_vus: int = 0
    graceful_ramp_down: float = 30.0
    graceful_stop: float = 30.0


@dataclass(frozen=True, slots=True)
class OpenModel:
    """Iterations started at an arrival rate, ramped through ``stages``.

    Attributes:
        stages: ramps of the rate in iterations per second, starting from
            ``start_rate``.
        start_rate: the rate at time 0.
        pre_allocated_vus: VUs created before the start.
        max_vus: the cap on concurrently running iterations.
        poisson: draw exponential inter-arrival times (a Poisson process of the
            same mean rate) instead of evenly spaced arrivals.
        seed: the seed for Poisson arrivals; a plan is reproducible.
        max_queue: iterations allowed to wait for a free VU. An arrival that
            finds the queue full is dropped and counted in ``dropped_iterations``.
            Queued iterations keep their intended start, so their latency
            includes the wait.
        graceful_stop: seconds iterations still running at the end may take.
        breakpoint: a breakpoint test (the ``breakpoint`` preset): the rate
            keeps rising and the run is meant to stop at the first failed
            threshold, reporting the rate reached then as the capacity. The
            plan only carries the flag (:attr:`Plan.breakpoint`); acting on it
            is the engine's job.
    """

    stages: tuple[Stage, ...]
    start_rate: float = 0.0
    pre_allocated_vus: int = 10
    max_vus: int = 100
    poisson: bool = False
    seed: int = 0
    max_queue: int = 10_000
    graceful_stop: float = 30.0
    breakpoint: bool = False


LoadModel = ClosedModel | OpenModel


@dataclass(frozen=True, slots=True)
class LoadGroup:
    """Scenarios sharing one load model, run side by side with a plan's other groups.

    Seed 002's normal and high-load users, or seed 004's conversation and
    stress users, are groups: each has its own VUs or arrival rate (like a k6
    scenario with its own executor) and picks among its scenarios by weight.

    Attributes:
        model: the group's load model.
        weights: ``(scenario name, weight)`` pairs of the scenarios it runs.
    """

    model: LoadModel
    weights: tuple[tuple[str, int], ...]
