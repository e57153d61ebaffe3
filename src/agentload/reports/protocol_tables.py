"""Per-protocol tables of the HTML report: LLM streaming, WebSocket and voice steps.

Pure: the run's :class:`~agentload.metrics.Aggregate` in, rows of numbers out
(:mod:`agentload.reports.html_protocols` renders them). Rows come from the series'
tags — ``name`` and ``scenario`` (engine/llm.py, engine/ws.py, engine/voice.py)
and ``exchange`` for WebSocket replies — so every figure is the merged
histogram (or rate, or counter) of exactly that step's series: percentiles are
exact over the whole run, never averages of intervals. Definitions of each
metric: docs/metrics.md ("LLM streaming", "WebSocket", "Voice").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from agentload.metrics import Aggregate
from agentload.reports.formatting import fmt_count, fmt_ms, fmt_pct
from agentload.reports.redact import redact

__all__ = [
    "Column",
    "ProtocolRow",
    "ProtocolTable",
    "build_protocol_tables",
    "format_cell",
    "llm_table",
    "voice_table",
    "ws_table",
]

Unit = Literal["count", "ms", "ratio", "per_s", "kinds"]
Cell = float | str | None


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header and how its numbers are shown."""

    title: str
    unit: Unit


@dataclass(frozen=True, slots=True)
class ProtocolRow:
    """One step (or one WebSocket exchange of a step): label, then one cell per column.

    Cells are numbers (ms for durations, 0–1 for ratios), ``None`` where the run
    recorded nothing, or text for the ``kinds`` column (``kind×count …``).
    """

    scenario: str
    name: str
    cells: tuple[Cell, ...]
    exchange: str | None = None


@dataclass(frozen=True, slots=True)
class ProtocolTable:
    """A protocol's table: an id, a title, a one-line hint, columns and rows."""

    ident: str
    title: str
    hint: str
    columns: tuple[Column, ...]
    rows: tuple[ProtocolRow, ...]


def _steps(agg: Aggregate, metrics: Sequence[str]) -> list[tuple[str, str]]:
    """Every (scenario, name) that has a series of one of ``metrics``, sorted."""
    found = {
        (key.tag("scenario") or "", key.tag("name") or "") for key in agg if key.metric in metrics
    }
    return sorted(found)


def _pcts(agg: Aggregate, metric: str, tags: Mapping[str, str], ps: Sequence[float]) -> list[Cell]:
    hist = agg.trend(metric, tags)
    if hist is None or not hist.count:
        return [None] * len(ps)
    return [round(v / 1000.0, 3) for v in hist.percentiles(tuple(ps))]


def _raw_p50(agg: Aggregate, metric: str, tags: Mapping[str, str]) -> Cell:
    hist = agg.trend(metric, tags)
    if hist is None or not hist.count:
        return None
    (value,) = hist.percentiles((50.0,))
    return float(value)


def _ratio(agg: Aggregate, metric: str, tags: Mapping[str, str]) -> tuple[Cell, int]:
    """(passes / total, total); ``None`` when no sample was recorded."""
    found = agg.rate(metric, tags)
    if found is None or not found[1]:
        return None, 0
    passes, total = found
    return passes / total, total


def _error_kinds(agg: Aggregate, tags: Mapping[str, str]) -> str:
    kinds = sorted(agg.tag_values("errors", "kind"))
    pairs = [(k, agg.counter("errors", {**tags, "kind": k})) for k in kinds]
    return " ".join(f"{k}×{fmt_count(n)}" for k, n in pairs if n)


_LLM_METRICS = ("llm_requests_failed", "llm_ttft", "llm_e2e")
_LLM_COLUMNS = (
    Column("requests", "count"),
    Column("TTFT p50", "ms"),
    Column("TTFT p95", "ms"),
    Column("ITL p50", "ms"),
    Column("ITL p95", "ms"),
    Column("TPOT p50", "ms"),
    Column("tokens/s p50", "per_s"),
    Column("e2e p95", "ms"),
    Column("goodput", "ratio"),
    Column("failed", "ratio"),
)


def llm_table(agg: Aggregate) -> ProtocolTable | None:
    """One row per ``llm`` step; ``None`` when the run had none."""
    rows = []
    for scenario, name in _steps(agg, _LLM_METRICS):
        tags = {"scenario": scenario, "name": name}
        failed, count = _ratio(agg, "llm_requests_failed", tags)
        goodput, _ = _ratio(agg, "llm_goodput", tags)
        cells: list[Cell] = [float(count)]
        cells += _pcts(agg, "llm_ttft", tags, (50.0, 95.0))
        cells += _pcts(agg, "llm_itl", tags, (50.0, 95.0))
        cells += _pcts(agg, "llm_tpot", tags, (50.0,))
        cells.append(_raw_p50(agg, "llm_output_tokens_per_s", tags))
        cells += _pcts(agg, "llm_e2e", tags, (95.0,))
        cells += [goodput, failed]
        rows.append(ProtocolRow(scenario, name, tuple(cells)))
    if not rows:
        return None
    hint = (
        "Per llm step, in ms: TTFT = first token − request start; ITL = gap between token "
        "chunks; TPOT = decode time per output token; tokens/s = per-request decode rate; "
        "goodput = share that succeeded and met the step's slo (– without one)."
    )
    return ProtocolTable("llm-table", "LLM streaming", hint, _LLM_COLUMNS, tuple(rows))


_WS_METRICS = ("ws_connect_success", "ws_sessions", "ws_reply_latency", "ws_message_success")
_WS_COLUMNS = (
    Column("sessions", "count"),
    Column("connect p95", "ms"),
    Column("reply p50", "ms"),
    Column("reply p95", "ms"),
    Column("reply p99", "ms"),
    Column("message success", "ratio"),
    Column("errors", "kinds"),
)


def ws_table(agg: Aggregate) -> ProtocolTable | None:
    """One row per ``ws`` step (all its exchanges), then one per exchange when it has several."""
    rows = []
    for scenario, name in _steps(agg, _WS_METRICS):
        tags = {"scenario": scenario, "name": name}
        reply = _pcts(agg, "ws_reply_latency", tags, (50.0, 95.0, 99.0))
        success, _ = _ratio(agg, "ws_message_success", tags)
        rows.append(
            ProtocolRow(
                scenario,
                name,
                (
                    float(agg.counter("ws_sessions", tags)),
                    *_pcts(agg, "ws_connecting", tags, (95.0,)),
                    *reply,
                    success,
                    _error_kinds(agg, tags),
                ),
            )
        )
        exchanges = sorted(
            {
                ex
                for key in agg
                if key.metric in ("ws_reply_latency", "ws_message_success")
                and key.tag("scenario") == scenario
                and key.tag("name") == name
                and (ex := key.tag("exchange")) is not None
            }
        )
        if len(exchanges) < 2:
            continue
        for ex in exchanges:
            ex_tags = {**tags, "exchange": ex}
            ok, _ = _ratio(agg, "ws_message_success", ex_tags)
            cells = (None, None, *_pcts(agg, "ws_reply_latency", ex_tags, (50.0, 95.0, 99.0)))
            rows.append(ProtocolRow(scenario, name, (*cells, ok, None), exchange=ex))
    if not rows:
        return None
    hint = (
        "Per ws step, in ms: connect = TCP + TLS + handshake; reply = matching message's "
        "arrival − the last send before the expect; message success = expects that matched "
        "before their timeout. Indented rows: each exchange of a step."
    )
    return ProtocolTable("ws-table", "WebSocket", hint, _WS_COLUMNS, tuple(rows))


_VOICE_METRICS = ("voice_turns", "voice_calls_failed", "voice_turns_failed")
_VOICE_COLUMNS = (
    Column("calls", "count"),
    Column("turns", "count"),
    Column("failed turns", "ratio"),
    Column("V2V 1st byte p50", "ms"),
    Column("V2V 1st byte p95", "ms"),
    Column("V2V onset p50", "ms"),
    Column("V2V onset p95", "ms"),
    Column("barge-in p50", "ms"),
    Column("barge-in p95", "ms"),
    Column("jitter p95", "ms"),
    Column("stalls", "count"),
)


def voice_table(agg: Aggregate) -> ProtocolTable | None:
    """One row per ``voice`` step; ``None`` when the run had none."""
    rows = []
    for scenario, name in _steps(agg, _VOICE_METRICS):
        tags = {"scenario": scenario, "name": name}
        _, calls = _ratio(agg, "voice_calls_failed", tags)
        failed_turns, _ = _ratio(agg, "voice_turns_failed", tags)
        cells: list[Cell] = [float(calls), float(agg.counter("voice_turns", tags)), failed_turns]
        cells += _pcts(agg, "voice_v2v_first_byte", tags, (50.0, 95.0))
        cells += _pcts(agg, "voice_v2v", tags, (50.0, 95.0))
        cells += _pcts(agg, "voice_barge_in_detect", tags, (50.0, 95.0))
        cells += _pcts(agg, "voice_audio_jitter", tags, (95.0,))
        cells.append(float(agg.counter("voice_stalls", tags)))
        rows.append(ProtocolRow(scenario, name, tuple(cells)))
    if not rows:
        return None
    hint = (
        "Per voice step, in ms: V2V 1st byte = first agent audio − end of the caller's "
        "utterance; V2V onset = agent speech onset (playout) − end of utterance; barge-in "
        "= detection: agent's interruption signal − start of the interrupting utterance; "
        "jitter = RFC 3550 interarrival jitter per reply; stalls = underruns > 20 ms."
    )
    return ProtocolTable("voice-table", "Voice", hint, _VOICE_COLUMNS, tuple(rows))


def build_protocol_tables(agg: Aggregate) -> tuple[ProtocolTable, ...]:
    """The LLM, WebSocket and voice tables, each only when the run had such steps."""
    return tuple(t for t in (llm_table(agg), ws_table(agg), voice_table(agg)) if t is not None)


def format_cell(cell: Cell, unit: Unit) -> str:
    """A cell as the table shows it ("–" for nothing recorded)."""
    if cell is None or cell == "":
        return "–"
    if isinstance(cell, str):
        return redact(cell)
    if unit == "ms":
        return fmt_ms(cell)
    if unit == "ratio":
        return fmt_pct(cell)
    if unit == "per_s":
        return f"{cell:,.0f}"
    return fmt_count(cell)
