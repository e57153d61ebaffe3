"""The target's SQLite database: schema, writes and the queries behind KPIs and usage.

One connection per app, used only from the event-loop thread. Every statement is
small (one row, or one batch inside a transaction), so running them inline costs
microseconds on the in-memory database and never needs a thread pool.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ImportJobStatus", "Store"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    tenant_id TEXT,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    latency_ms REAL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_tenant ON messages (tenant_id);
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,
    phone TEXT NOT NULL,
    scheduled_for TEXT,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    completed_at REAL
);
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    name TEXT,
    phone TEXT,
    email TEXT
);
CREATE TABLE IF NOT EXISTS import_jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    rows_total INTEGER NOT NULL DEFAULT 0,
    rows_done INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    error_samples TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS assistants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    voice TEXT NOT NULL
);
"""

_ASSISTANTS = (
    ("asst_support", "Support agent", "sim-small", "alloy"),
    ("asst_sales", "Sales agent", "sim-medium", "verse"),
    ("asst_booking", "Booking agent", "sim-small", "sage"),
)

# Simulated price per 1000 tokens and per completed call, for /api/billing/usage.
_PRICE_PER_1K_TOKENS = 0.002
_PRICE_PER_CALL = 0.01


@dataclass(frozen=True, slots=True)
class ImportJobStatus:
    """One contact-import job as ``GET /api/contacts/import/{job_id}`` reports it."""

    job_id: str
    status: str
    rows_total: int
    rows_done: int
    errors: int
    error_samples: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        """The JSON object sent to clients."""
        return {
            "job_id": self.job_id,
            "status": self.status,
            "rows_total": self.rows_total,
            "rows_done": self.rows_done,
            "errors": self.errors,
            "error_samples": list(self.error_samples),
        }


class Store:
    """Typed access to the target's database; open with :meth:`open`, then :meth:`close`."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, path: str | None) -> Store:
        """Open (and create) the database at ``path``, or a private in-memory one."""
        # Autocommit mode: single statements commit alone; batches use BEGIN/COMMIT.
        conn = sqlite3.connect(path or ":memory:", isolation_level=None)
        if path:
            # A load-test fixture, not a system of record: trade durability for speed.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(_SCHEMA)
        conn.executemany("INSERT OR IGNORE INTO assistants VALUES (?, ?, ?, ?)", _ASSISTANTS)
        return cls(conn)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def ping(self) -> None:
        """Run ``SELECT 1``; raises ``sqlite3.Error`` when the database is unusable."""
        self._conn.execute("SELECT 1").fetchone()

    def add_exchange(
        self,
        *,
        conversation_id: str,
        tenant_id: str | None,
        message: str,
        reply: str,
        message_tokens: int,
        reply_tokens: int,
        latency_ms: float,
        now: float,
    ) -> None:
        """Store a user message and the agent's reply."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "INSERT INTO messages (conversation_id, tenant_id, role, content, tokens,"
                " latency_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (conversation_id, tenant_id, "user", message, message_tokens, None, now),
                    (conversation_id, tenant_id, "assistant", reply, reply_tokens, latency_ms, now),
                ),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def add_call(self, call_id: str, phone: str, scheduled_for: str | None, now: float) -> None:
        """Record a scheduled call as ``queued``."""
        self._conn.execute(
            "INSERT INTO calls (id, phone, scheduled_for, status, created_at)"
            " VALUES (?, ?, ?, 'queued', ?)",
            (call_id, phone, scheduled_for, now),
        )

    def complete_calls(self, call_ids: Sequence[str], now: float) -> None:
        """Mark calls as ``done`` in one transaction."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "UPDATE calls SET status = 'done', completed_at = ? WHERE id = ?",
                ((now, call_id) for call_id in call_ids),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def create_import_job(self, job_id: str, now: float) -> None:
        """Record a new import job as ``queued``."""
        self._conn.execute(
            "INSERT INTO import_jobs (id, status, created_at) VALUES (?, 'queued', ?)",
            (job_id, now),
        )

    def update_import_job(
        self,
        job_id: str,
        *,
        status: str,
        rows_total: int,
        rows_done: int,
        errors: int,
        error_samples: Sequence[str],
        finished_at: float | None = None,
    ) -> None:
        """Overwrite an import job's progress."""
        self._conn.execute(
            "UPDATE import_jobs SET status = ?, rows_total = ?, rows_done = ?, errors = ?,"
            " error_samples = ?, finished_at = ? WHERE id = ?",
            (
                status,
                rows_total,
                rows_done,
                errors,
                json.dumps(list(error_samples)),
                finished_at,
                job_id,
            ),
        )

    def get_import_job(self, job_id: str) -> ImportJobStatus | None:
        """Return a job's progress, or ``None`` for an unknown id."""
        row = self._conn.execute(
            "SELECT id, status, rows_total, rows_done, errors, error_samples"
            " FROM import_jobs WHERE id = ?",
            (job_id,),
        ).fetchone()
        if row is None:
            return None
        return ImportJobStatus(
            job_id=row[0],
            status=row[1],
            rows_total=row[2],
            rows_done=row[3],
            errors=row[4],
            error_samples=tuple(json.loads(row[5])),
        )

    def add_contacts(self, job_id: str, rows: Sequence[tuple[str, str, str]]) -> None:
        """Insert ``(name, phone, email)`` rows for one import job in one transaction."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "INSERT INTO contacts (job_id, name, phone, email) VALUES (?, ?, ?, ?)",
                ((job_id, *row) for row in rows),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def list_assistants(self) -> list[dict[str, str]]:
        """Every configured assistant."""
        rows = self._conn.execute("SELECT id, name, model, voice FROM assistants ORDER BY id")
        return [{"id": r[0], "name": r[1], "model": r[2], "voice": r[3]} for r in rows]

    def kpis(self, tenant_id: str | None) -> dict[str, object]:
        """Message, conversation, call and contact counts (optionally for one tenant)."""
        where, args = ("WHERE tenant_id = ?", (tenant_id,)) if tenant_id else ("", ())
        msg = self._conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT conversation_id), COUNT(DISTINCT tenant_id),"
            " AVG(latency_ms), COALESCE(SUM(tokens), 0)"
            f" FROM messages {where}",
            args,
        ).fetchone()
        calls = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(status = 'done'), 0) FROM calls"
        ).fetchone()
        contacts = self._conn.execute("SELECT COUNT(*) FROM contacts").fetchone()
        jobs = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(status = 'done'), 0) FROM import_jobs"
        ).fetchone()
        return {
            "tenant_id": tenant_id,
            "messages": msg[0],
            "conversations": msg[1],
            "tenants": msg[2],
            "avg_reply_latency_ms": round(msg[3], 3) if msg[3] is not None else None,
            "tokens": msg[4],
            "calls_scheduled": calls[0],
            "calls_completed": calls[1],
            "contacts": contacts[0],
            "import_jobs": jobs[0],
            "import_jobs_done": jobs[1],
        }

    def usage(self, tenant_id: str | None) -> dict[str, object]:
        """Simulated billing: tokens and calls used, and what they would cost."""
        where, args = ("WHERE tenant_id = ?", (tenant_id,)) if tenant_id else ("", ())
        tokens, messages = self._conn.execute(
            f"SELECT COALESCE(SUM(tokens), 0), COUNT(*) FROM messages {where}", args
        ).fetchone()
        (calls_done,) = self._conn.execute(
            "SELECT COUNT(*) FROM calls WHERE status = 'done'"
        ).fetchone()
        cost = tokens / 1000 * _PRICE_PER_1K_TOKENS + calls_done * _PRICE_PER_CALL
        return {
            "tenant_id": tenant_id,
            "messages": messages,
            "tokens": tokens,
            "calls_completed": calls_done,
            "cost_usd": round(cost, 6),
            "currency": "USD",
        }
