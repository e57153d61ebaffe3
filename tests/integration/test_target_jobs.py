"""The reference target's background work: scheduled calls and contact imports."""

from __future__ import annotations

import asyncio

import aiohttp

from agentload.target import TargetConfig
from tests.integration._target_client import Body, run  # noqa: F401


def csv_form(content: bytes, field: str = "file") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field(field, content, filename="contacts.csv", content_type="text/csv")
    return form


async def wait_for_job(client: aiohttp.ClientSession, job_id: str) -> dict[str, object]:
    """Poll the job until it finishes (the caller's timeout bounds the wait)."""
    while True:
        async with client.get(f"/api/contacts/import/{job_id}") as resp:
            assert resp.status == 200
            job: dict[str, object] = await resp.json()
        assert job["status"] in ("queued", "processing", "done", "failed")
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)


def test_contact_import_of_1000_rows_completes() -> None:
    rows = "".join(f"Person {i},+1555{i:07d},p{i}@example.com\n" for i in range(1000))
    content = ("name,phone,email\n" + rows).encode()

    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/contacts/import", data=csv_form(content)) as resp:
            assert resp.status == 202
            accepted = await resp.json()
        assert accepted["status"] == "queued"
        job = await wait_for_job(client, str(accepted["job_id"]))
        assert job["status"] == "done"
        assert job["rows_total"] == 1000
        assert job["rows_done"] == 1000
        assert job["errors"] == 0
        async with client.get("/api/analytics/kpi") as resp:
            assert (await resp.json())["contacts"] == 1000
        async with client.get("/metrics") as resp:
            assert "agentload_target_contacts_imported_total 1000.0" in await resp.text()

    run(body, TargetConfig(kpi_cache_ttl_s=0))


def test_contact_import_counts_bad_rows() -> None:
    content = (
        "\ufeffName,Phone,Email\n"  # a BOM and capitalised headers, as spreadsheets write
        "Ann,+15550001111,ann@example.com\n"
        "Bob,not-a-phone,\n"
        "Cid,,\n"
        "Dee,,dee@example.com\n"
        "Eve,+15550002222\n"
    ).encode()

    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/contacts/import", data=csv_form(content)) as resp:
            assert resp.status == 202
            job_id = str((await resp.json())["job_id"])
        job = await wait_for_job(client, job_id)
        assert job["status"] == "done"
        assert job["rows_total"] == 5
        assert job["rows_done"] == 5
        assert job["errors"] == 3
        samples = job["error_samples"]
        assert isinstance(samples, list) and len(samples) == 3

    run(body)


def test_contact_import_rejects_bad_uploads() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        bad_forms = [
            csv_form(b"name,phone\nA,+15550001111\n", field="upload"),  # wrong field
            csv_form(b""),  # empty file
            csv_form(b"first,last\nA,B\n"),  # neither phone nor email
            csv_form(b"name,phone\n\xff\xfe\x00bad"),  # not UTF-8
        ]
        for form in bad_forms:
            async with client.post("/api/contacts/import", data=form) as resp:
                assert resp.status == 400
                assert (await resp.json())["error"]
        async with client.post("/api/contacts/import", json={"file": "x"}) as resp:
            assert resp.status == 400
        async with client.get("/api/contacts/import/job_missing") as resp:
            assert resp.status == 404
            assert (await resp.json())["status"] == 404

    run(body)


def test_call_queue_grows_faster_than_the_drain_rate_then_drains() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        async def schedule(i: int) -> int:
            payload = {"phone": f"+1555000{i:04d}", "at": "2030-01-01T09:00:00Z"}
            async with client.post("/api/calls/schedule", json=payload) as resp:
                assert resp.status == 202
                data = await resp.json()
                assert str(data["call_id"]).startswith("call_")
                return int(data["queue_depth"])

        depths = await asyncio.gather(*(schedule(i) for i in range(40)))
        # At 5 calls/s, scheduling 40 at once must pile up (unless CI stalls ~5 s).
        assert max(depths) >= 20
        async with client.get("/api/calls/queue") as resp:
            assert (await resp.json())["queue_depth"] > 0
        async with client.get("/metrics") as resp:
            text = await resp.text()
        gauge = next(
            line
            for line in text.splitlines()
            if line.startswith("agentload_target_call_queue_depth ")
        )
        assert float(gauge.split()[1]) > 0

        async with client.post("/admin/config", json={"call_drain_rate": 100_000}) as resp:
            assert resp.status == 200
        depth = -1
        while depth != 0:
            await asyncio.sleep(0.05)
            async with client.get("/api/calls/queue") as resp:
                depth = int((await resp.json())["queue_depth"])
        async with client.get("/api/analytics/kpi") as resp:
            kpi = await resp.json()
        assert kpi["calls_scheduled"] == 40
        assert kpi["calls_completed"] == 40

    run(body, TargetConfig(call_drain_rate=5, kpi_cache_ttl_s=0))


def test_schedule_call_rejects_bad_bodies() -> None:
    async def body(client: aiohttp.ClientSession) -> None:
        for bad in ({}, {"phone": ""}, {"phone": 5}, {"phone": "+1555", "at": "tomorrow"}):
            async with client.post("/api/calls/schedule", json=bad) as resp:
                assert resp.status == 400, bad

    run(body)


def test_uploads_above_the_limit_are_refused_with_413() -> None:
    big = b"name,phone\n" + b"Someone,+15550001111\n" * 500  # ~10 KiB

    async def body(client: aiohttp.ClientSession) -> None:
        async with client.post("/api/contacts/import", data=csv_form(big)) as resp:
            assert resp.status == 413
            assert (await resp.json())["status"] == 413
        async with client.post("/api/chat/messages", json={"message": "x" * 8000}) as resp:
            assert resp.status == 413

    run(body, TargetConfig(max_upload_bytes=4096))
