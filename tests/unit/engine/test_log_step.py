"""The ``log`` step: one redacted line per run, never failing the iteration."""

from __future__ import annotations

import asyncio
import io

from agentload.engine.log import LogLine
from agentload.engine.vu import VU
from agentload.protocols.http import HttpClient
from agentload.scenario.model_log import LogStep
from agentload.scenario.parts import Template, VarRef


def test_lines_render_variables_redact_secrets_and_survive_missing_ones() -> None:
    out = io.StringIO()
    vu = VU(7, http=HttpClient(), variables={"id": 42, "auth": "Bearer abc.def"})
    step = LogStep(Template(("order ", VarRef("id"), " auth ", VarRef("auth"), "\nnext"), "x"))
    missing = LogStep(Template(("got ", VarRef("nope")), "got ${nope}"))

    async def go() -> list[bool]:
        ok = [await LogLine(step, out=out).run(vu, 0), await LogLine(missing, out=out).run(vu, 0)]
        await vu.http.aclose()
        return ok

    assert asyncio.run(go()) == [True, True]
    assert out.getvalue().splitlines() == [
        "[vu 7] order 42 auth Bearer *** next",
        "[vu 7] got ${nope}",
    ]
