"""``failures.jsonl``: the earliest failing request/response pairs per error kind.

Samples arrive inside interval snapshots (``Snapshot.failures``), already
redacted by the engine, from one process or merged from every worker.
:class:`FailureWriter` (used by the results writer) keeps the earliest
``limit`` per kind — snapshots come in interval order and each snapshot's
samples in time order, so first come is earliest — and appends each as one
JSON line. :func:`load_failures` reads them back for the report;
:func:`failure_section` renders the report's "Failure samples" section.
Every text is redacted again when rendered (defence in depth).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

import orjson

from agentload._redact import redact_body, redact_header
from agentload.metrics import DEFAULT_FAILURE_SAMPLES, FailureSample
from agentload.reports.formatting import fmt_timestamp
from agentload.reports.html_sections import card, escape, safe

__all__ = ["FAILURES_FILE", "FailureWriter", "failure_section", "load_failures"]

FAILURES_FILE = "failures.jsonl"


class FailureWriter:
    """Appends the earliest ``limit`` samples per kind to ``failures.jsonl`` (flushed)."""

    def __init__(self, path: Path, limit: int = DEFAULT_FAILURE_SAMPLES) -> None:
        self.limit = limit
        self._seen: dict[str, int] = {}
        # "wb": a rerun into the same directory starts afresh, as timeseries.jsonl does.
        self._file: IO[bytes] | None = open(path, "wb")  # noqa: SIM115

    def add(self, samples: Iterable[FailureSample]) -> None:
        """Write the samples whose kind is not full yet."""
        if self._file is None:
            return
        wrote = False
        for s in samples:
            n = self._seen.get(s.kind, 0)
            if n < self.limit:
                self._seen[s.kind] = n + 1
                self._file.write(orjson.dumps(s.to_dict()) + b"\n")
                wrote = True
        if wrote:
            self._file.flush()

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def load_failures(results: Path) -> tuple[FailureSample, ...]:
    """The samples of a results directory; none when the file is absent (older runs).

    A damaged line is skipped: samples are diagnostics, never a reason to lose the report.
    """
    try:
        lines = (results / FAILURES_FILE).read_bytes().splitlines()
    except OSError:
        return ()
    out = []
    for line in lines:
        try:
            out.append(FailureSample.from_dict(orjson.loads(line)))
        except (orjson.JSONDecodeError, ValueError, AttributeError):
            continue
    return tuple(out)


def _headers(pairs: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {redact_header(name, value)}" for name, value in pairs)


def _block(title: str, text: str) -> str:
    if not text:
        return ""
    return (
        f'<div class="fs-part"><div class="fs-label">{escape(title)}</div>'
        f'<pre class="code">{escape(text)}</pre></div>'
    )


def _sample(s: FailureSample) -> str:
    status = str(s.status) if s.status else "no response"
    summary = (
        f'<span class="pill bad">{escape(s.kind)}</span> <b>{safe(s.name)}</b> '
        f'<span class="method">{escape(s.method)}</span>{safe(s.url)} '
        f'<span class="muted">→ {escape(status)} · {escape(fmt_timestamp(s.time))}</span>'
    )
    request = f"{s.method} {redact_body(s.url)}\n{_headers(s.request_headers)}".rstrip()
    response = f"{status}\n{_headers(s.response_headers)}".rstrip()
    body = "".join(
        [
            _block("error", redact_body(s.error)),
            _block("request", request),
            _block("request body", redact_body(s.request_body)),
            _block("response", response if s.status else ""),
            _block("response body", redact_body(s.response_body)),
        ]
    )
    return f'<details class="fs"><summary>{summary}</summary>{body}</details>'


_STYLE = (
    "<style>.fs{border-bottom:1px solid var(--soft);padding:6px 0}"
    ".fs summary{cursor:pointer;word-break:break-all}"
    ".fs pre{white-space:pre-wrap;word-break:break-all;background:var(--soft);"
    "border-radius:8px;padding:8px 10px;margin:4px 0 8px;max-height:320px;overflow:auto}"
    ".fs-label{font-size:11px;color:var(--muted);text-transform:uppercase;"
    "letter-spacing:.05em;font-weight:600;margin-top:6px}</style>"
)


def failure_section(samples: Sequence[FailureSample]) -> str:
    """The report's "Failure samples" card; empty when the run had no failures."""
    if not samples:
        return ""
    kinds: dict[str, list[FailureSample]] = {}
    for s in samples:
        kinds.setdefault(s.kind, []).append(s)
    parts = [_STYLE]
    for kind in sorted(kinds):
        parts.extend(_sample(s) for s in kinds[kind])
    hint = (
        "The first failing requests of each error kind, as sent and as answered "
        "(secrets masked, bodies cut at 2 KB). Also in failures.jsonl."
    )
    return card("failures", "Failure samples", hint, "".join(parts))
