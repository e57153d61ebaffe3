"""LLM metric definitions (docs/metrics.md, "LLM streaming") on synthetic timelines.

``token_metrics`` and ``LlmSlo.met_by`` are pure: timestamps in, numbers out.
Times below are in milliseconds, converted with ``ms()``.
"""

from __future__ import annotations

import pytest

from agentload.protocols.llm import LlmSlo, TokenMetrics, TokenTiming, token_metrics


def ms(value: float) -> int:
    return round(value * 1_000_000)


def timing(tokens: list[float], *, output: float | None = None, **kw: object) -> TokenTiming:
    times = tuple(ms(t) for t in tokens)
    first_output = ms(output) if output is not None else (times[0] if times else None)
    return TokenTiming(
        start_ns=0,
        token_ns=times,
        first_output_ns=first_output,
        **kw,  # type: ignore[arg-type]
    )


def test_ttft_itl_tpot_e2e_done_on_a_regular_stream() -> None:
    # First token at 200 ms, then one every 20 ms: 10 chunks, 10 tokens, [DONE] at 385 ms.
    t = timing([200 + 20 * i for i in range(10)], done_ns=ms(385), output_tokens=10)
    m = token_metrics(t)
    assert m.ttft_ns == ms(200)
    assert m.ttfot_ns == ms(200)
    assert m.itl_ns == (ms(20),) * 9
    assert m.tpot_ns == pytest.approx(ms(20))
    assert m.e2e_ns == ms(380)
    assert m.done_ns == ms(385)
    assert m.output_tokens == 10
    assert m.output_tokens_per_s == pytest.approx(50.0)


def test_tpot_uses_usage_tokens_not_chunks() -> None:
    # 3 chunks carrying 9 tokens over 80 ms: ITL is per chunk (40 ms), TPOT per token (10 ms).
    m = token_metrics(timing([100, 140, 180], output_tokens=9))
    assert m.itl_ns == (ms(40), ms(40))
    assert m.tpot_ns == pytest.approx(ms(10))
    assert m.output_tokens_per_s == pytest.approx(100.0)


def test_without_usage_n_out_is_the_number_of_token_chunks() -> None:
    m = token_metrics(timing([100, 110, 130]))
    assert m.output_tokens == 3
    assert m.tpot_ns == pytest.approx(ms(15))


def test_ttfot_skips_reasoning() -> None:
    # Reasoning chunks at 50 and 70 ms, the answer starts at 90 ms.
    m = token_metrics(timing([50, 70, 90, 110], output=90))
    assert m.ttft_ns == ms(50)
    assert m.ttfot_ns == ms(90)


def test_a_reasoning_only_reply_has_no_ttfot() -> None:
    t = TokenTiming(start_ns=0, token_ns=(ms(50), ms(60)), first_output_ns=None)
    m = token_metrics(t)
    assert m.ttft_ns == ms(50) and m.ttfot_ns is None


def test_no_token_means_no_latency_but_done_is_kept() -> None:
    m = token_metrics(TokenTiming(start_ns=ms(5), done_ns=ms(30), output_tokens=0))
    assert (m.ttft_ns, m.ttfot_ns, m.e2e_ns, m.tpot_ns) == (None, None, None, None)
    assert m.itl_ns == () and m.max_itl_ns is None
    assert m.done_ns == ms(25)
    assert m.output_tokens == 0


def test_a_single_chunk_has_no_tpot_even_with_many_tokens() -> None:
    # A non-streamed reply: every token arrives at once.
    m = token_metrics(timing([500], output_tokens=40))
    assert m.ttft_ns == m.e2e_ns == ms(500)
    assert m.tpot_ns is None and m.output_tokens_per_s is None
    assert m.output_tokens == 40


def test_one_output_token_has_no_tpot() -> None:
    assert token_metrics(timing([100, 120], output_tokens=1)).tpot_ns is None


def test_times_are_relative_to_the_request_start() -> None:
    t = TokenTiming(start_ns=ms(1000), token_ns=(ms(1200), ms(1250)), first_output_ns=ms(1200))
    m = token_metrics(t)
    assert m.ttft_ns == ms(200) and m.e2e_ns == ms(250)


# -- goodput ------------------------------------------------------------------------------


def metrics(
    ttft: float | None = 200,
    ttfot: float | None = 200,
    tpot: float | None = 20,
    itl: tuple[float, ...] = (20, 20),
    e2e: float | None = 240,
) -> TokenMetrics:
    return TokenMetrics(
        ttft_ns=None if ttft is None else ms(ttft),
        ttfot_ns=None if ttfot is None else ms(ttfot),
        itl_ns=tuple(ms(g) for g in itl),
        tpot_ns=None if tpot is None else ms(tpot),
        e2e_ns=None if e2e is None else ms(e2e),
        done_ns=None,
        output_tokens=3,
        output_tokens_per_s=None,
    )


@pytest.mark.parametrize(
    ("slo", "m", "met"),
    [
        (LlmSlo(), metrics(), True),  # no objective: every successful request
        (LlmSlo(ttft=0.5), metrics(ttft=499), True),
        (LlmSlo(ttft=0.5), metrics(ttft=500), True),  # "at most"
        (LlmSlo(ttft=0.5), metrics(ttft=501), False),
        (LlmSlo(ttft=0.5), metrics(ttft=None), False),  # no token: cannot meet a TTFT
        (LlmSlo(ttfot=0.3), metrics(ttfot=None), False),  # reasoning only
        (LlmSlo(itl=0.05), metrics(itl=(20, 49, 10)), True),
        (LlmSlo(itl=0.05), metrics(itl=(20, 51, 10)), False),  # one stall is enough
        (LlmSlo(itl=0.05), metrics(itl=()), True),  # no gap to exceed
        (LlmSlo(tpot=0.02), metrics(tpot=20), True),
        (LlmSlo(tpot=0.02), metrics(tpot=21), False),
        (LlmSlo(tpot=0.02), metrics(tpot=None), True),
        (LlmSlo(e2e=5), metrics(e2e=5001), False),
        (LlmSlo(ttft=0.5, itl=0.05, e2e=5), metrics(ttft=300, itl=(30, 40), e2e=900), True),
        (LlmSlo(ttft=0.5, itl=0.05, e2e=5), metrics(ttft=300, itl=(30, 60), e2e=900), False),
    ],
)
def test_slo(slo: LlmSlo, m: TokenMetrics, met: bool) -> None:
    assert slo.met_by(m) is met


def test_goodput_share_over_known_requests() -> None:
    # Four successful requests; the SLO is TTFT ≤ 500 ms and ITL ≤ 50 ms. A fifth failed
    # request never meets it (the engine records False for it), so goodput = 2/5.
    slo = LlmSlo(ttft=0.5, itl=0.05)
    requests = [
        timing([200, 220, 240]),  # meets both
        timing([600, 620]),  # TTFT too long
        timing([300, 320, 400]),  # an 80 ms stall
        timing([450, 470, 490]),  # meets both
    ]
    outcomes = [slo.met_by(token_metrics(t)) for t in requests] + [False]
    assert outcomes == [True, False, False, True, False]
    assert sum(outcomes) / len(outcomes) == pytest.approx(0.4)
