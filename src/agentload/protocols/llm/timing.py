"""Token timing of one LLM reply, the metrics derived from it, and SLOs: pure functions.

The definitions are those of docs/metrics.md, "LLM streaming", taken from
``protocols.md`` §8 (which reconciles vLLM's benchmark and GuideLLM, §4.2-4.3):

* A *token-bearing* chunk carries a non-empty content, reasoning or tool-call
  delta. Role-only and empty chunks, the finish chunk and the usage chunk are
  not token-bearing (GuideLLM's semantics; vLLM would count any ``choices``
  chunk, which makes TTFT too small behind proxies that send the role first).
* ``N_out`` is ``usage.completion_tokens`` when the server reported it, else the
  number of token-bearing chunks (GuideLLM's fallback).

Nothing here reads a clock: timestamps come in, numbers come out, so every
definition is tested on synthetic timelines.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

__all__ = ["LlmSlo", "TokenMetrics", "TokenTiming", "token_metrics"]


@dataclass(frozen=True, slots=True)
class TokenTiming:
    """When the parts of one reply arrived (``time.monotonic_ns()`` values).

    Attributes:
        start_ns: the request was handed to the socket (request start, §8).
        token_ns: the arrival of every token-bearing chunk, in order.
        first_output_ns: the first token-bearing chunk carrying a non-reasoning
            token (content or a tool-call delta), if any.
        done_ns: the ``data: [DONE]`` event, if one came.
        output_tokens: ``usage.completion_tokens`` as reported, if it was.
    """

    start_ns: int
    token_ns: tuple[int, ...] = ()
    first_output_ns: int | None = None
    done_ns: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class TokenMetrics:
    """The per-request LLM metrics of docs/metrics.md, in nanoseconds.

    ``None`` means "not defined for this reply" (see :func:`token_metrics`).
    """

    ttft_ns: int | None
    """First token-bearing chunk − start."""
    ttfot_ns: int | None
    """First non-reasoning token-bearing chunk − start."""
    itl_ns: tuple[int, ...]
    """``t_i − t_{i−1}`` for token-bearing chunks ``i ≥ 2`` (per chunk, vLLM's ITL)."""
    tpot_ns: float | None
    """``(t_last − t_first) / (N_out − 1)`` (vLLM's TPOT; §8's mean ITL)."""
    e2e_ns: int | None
    """Last token-bearing chunk − start."""
    done_ns: int | None
    """``[DONE]`` − start."""
    output_tokens: int
    """``N_out``."""
    output_tokens_per_s: float | None
    """``(N_out − 1) / (t_last − t_first)``: the decode rate, ``1 / TPOT``."""

    @property
    def max_itl_ns(self) -> int | None:
        """The longest gap between token-bearing chunks (``None`` with fewer than two)."""
        return max(self.itl_ns) if self.itl_ns else None


def token_metrics(timing: TokenTiming) -> TokenMetrics:
    """Compute the per-request metrics of a reply from its timing.

    TTFT, TTFOT and E2E need a token (a reasoning-only reply has no TTFOT).
    TPOT and the decode rate need ``N_out ≥ 2`` *and* two token-bearing chunks
    at different times: a reply whose tokens all arrived at once (a
    non-streamed reply) says nothing about the time per output token.
    """
    start = timing.start_ns
    times = timing.token_ns
    count = timing.output_tokens if timing.output_tokens is not None else len(times)
    if not times:
        done = None if timing.done_ns is None else timing.done_ns - start
        return TokenMetrics(None, None, (), None, None, done, count, None)
    first, last = times[0], times[-1]
    gaps = tuple(b - a for a, b in itertools.pairwise(times))
    tpot: float | None = None
    rate: float | None = None
    if count >= 2 and last > first:
        tpot = (last - first) / (count - 1)
        rate = (count - 1) * 1e9 / (last - first)
    output = timing.first_output_ns
    return TokenMetrics(
        ttft_ns=first - start,
        ttfot_ns=None if output is None else output - start,
        itl_ns=gaps,
        tpot_ns=tpot,
        e2e_ns=last - start,
        done_ns=None if timing.done_ns is None else timing.done_ns - start,
        output_tokens=count,
        output_tokens_per_s=rate,
    )


def _within(value: float | None, limit_s: float | None, *, vacuous: bool) -> bool:
    if limit_s is None:
        return True
    if value is None:
        return vacuous
    return value <= limit_s * 1e9


@dataclass(frozen=True, slots=True)
class LlmSlo:
    """Service-level objectives of one LLM request, in seconds (``None``: no objective).

    A request meets them (counts toward ``llm_goodput``) when it succeeded and:
    ``ttft``, ``ttfot``, ``e2e`` — that latency is at most the limit (a reply
    without such a token misses it); ``tpot`` — its TPOT is at most the limit;
    ``itl`` — *every* gap between token-bearing chunks is at most the limit
    (no stall longer than it). ``tpot`` and ``itl`` hold vacuously for a reply
    with fewer than two token-bearing chunks: there is no gap to exceed them.
    """

    ttft: float | None = None
    ttfot: float | None = None
    tpot: float | None = None
    itl: float | None = None
    e2e: float | None = None

    def met_by(self, metrics: TokenMetrics) -> bool:
        """Whether a *successful* request with these metrics meets every objective."""
        return (
            _within(metrics.ttft_ns, self.ttft, vacuous=False)
            and _within(metrics.ttfot_ns, self.ttfot, vacuous=False)
            and _within(metrics.e2e_ns, self.e2e, vacuous=False)
            and _within(metrics.tpot_ns, self.tpot, vacuous=True)
            and _within(metrics.max_itl_ns, self.itl, vacuous=True)
        )
