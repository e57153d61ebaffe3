"""Contact imports: CSV validation, and the workers that process queued jobs."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from agentload.target.metrics import TargetMetrics
from agentload.target.store import Store

__all__ = ["ImportQueue", "ImportRequest", "check_csv_header"]

_log = logging.getLogger(__name__)

_KNOWN_COLUMNS = frozenset({"name", "phone", "email"})
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{3,30}$")
# Job status keeps only the first few messages: a bad 1M-row file must not
# produce a 1M-entry status document.
_MAX_ERROR_SAMPLES = 10
# Rows are processed in batches whose simulated cost is about this long, so
# progress (rows_done) moves visibly and the database sees few transactions.
_BATCH_COST_S = 0.025
_MAX_BATCH = 500

Row = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """One uploaded CSV waiting for a worker."""

    job_id: str
    text: str


def check_csv_header(text: str) -> str | None:
    """Return why ``text`` is not an importable CSV, or ``None`` when its header is fine."""
    first_line = text.lstrip("\r\n").partition("\n")[0]
    if not first_line.strip():
        return "the CSV file is empty; expected a header such as name,phone,email"
    try:
        header = next(csv.reader([first_line]))
    except csv.Error as exc:
        return f"the CSV header does not parse: {exc}"
    columns = {c.strip().lower() for c in header}
    if not columns & {"phone", "email"}:
        return (
            f"the CSV header {first_line.strip()!r} has neither a phone nor an email column;"
            " expected columns such as name,phone,email"
        )
    return None


def _rows(text: str) -> Iterator[tuple[int, Row | str]]:
    """Yield ``(line, row)`` for good rows and ``(line, message)`` for bad ones."""
    reader = csv.reader(io.StringIO(text))
    header = [c.strip().lower() for c in next(reader, [])]
    index = {name: i for i, name in enumerate(header) if name in _KNOWN_COLUMNS}
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            yield line, f"line {line}: expected {len(header)} fields, got {len(fields)}"
            continue
        name, phone, email = (
            fields[index[col]].strip() if col in index else "" for col in ("name", "phone", "email")
        )
        if not phone and not email:
            yield line, f"line {line}: a contact needs a phone or an email"
        elif phone and not _PHONE.match(phone):
            yield line, f"line {line}: {phone!r} is not a phone number"
        elif email and "@" not in email:
            yield line, f"line {line}: {email!r} is not an email address"
        else:
            yield line, (name, phone, email)


class ImportQueue:
    """Queued import jobs and the coroutine each worker runs (:meth:`work_forever`)."""

    __slots__ = ("_metrics", "_pending", "_row_cost_s", "_store")

    def __init__(
        self, store: Store, metrics: TargetMetrics, row_cost_s: Callable[[], float]
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._row_cost_s = row_cost_s
        self._pending: asyncio.Queue[ImportRequest] = asyncio.Queue()

    def submit(self, request: ImportRequest) -> None:
        """Record the job as ``queued`` and hand it to the next free worker."""
        self._store.create_import_job(request.job_id, time.time())
        self._pending.put_nowait(request)

    async def work_forever(self) -> None:
        """Process jobs one at a time until cancelled."""
        while True:
            request = await self._pending.get()
            try:
                await self._process(request)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.exception("contact import %s failed", request.job_id)
                self._finish(
                    request.job_id,
                    "failed",
                    total=0,
                    done=0,
                    errors=1,
                    samples=[f"internal error: {exc}"],
                )

    async def _process(self, request: ImportRequest) -> None:
        job_id = request.job_id
        try:
            parsed = list(_rows(request.text))
        except csv.Error as exc:
            self._finish(
                job_id,
                "failed",
                total=0,
                done=0,
                errors=1,
                samples=[f"the CSV does not parse: {exc}"],
            )
            return
        total = len(parsed)
        done = 0
        errors = 0
        samples: list[str] = []
        store = self._store
        store.update_import_job(
            job_id, status="processing", rows_total=total, rows_done=0, errors=0, error_samples=()
        )
        cost = self._row_cost_s()
        batch_size = _MAX_BATCH if cost <= 0 else max(1, min(_MAX_BATCH, int(_BATCH_COST_S / cost)))
        for start in range(0, total, batch_size):
            batch = parsed[start : start + batch_size]
            # Yield even at zero cost so a huge file never monopolises the loop.
            await asyncio.sleep(cost * len(batch))
            good: list[Row] = []
            for _line, item in batch:
                if isinstance(item, str):
                    errors += 1
                    if len(samples) < _MAX_ERROR_SAMPLES:
                        samples.append(item)
                else:
                    good.append(item)
            if good:
                store.add_contacts(job_id, good)
                self._metrics.contacts_imported.inc(len(good))
            done += len(batch)
            store.update_import_job(
                job_id,
                status="processing",
                rows_total=total,
                rows_done=done,
                errors=errors,
                error_samples=samples,
            )
        self._finish(job_id, "done", total=total, done=done, errors=errors, samples=samples)

    def _finish(
        self,
        job_id: str,
        status: str,
        *,
        total: int,
        done: int,
        errors: int,
        samples: list[str],
    ) -> None:
        self._store.update_import_job(
            job_id,
            status=status,
            rows_total=total,
            rows_done=done,
            errors=errors,
            error_samples=samples,
            finished_at=time.time(),
        )
        self._metrics.import_jobs.labels(status).inc()
