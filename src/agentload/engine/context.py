"""``ctx``: what a Python scenario function gets (docs/python-api.md).

One :class:`VuContext` lives as long as its virtual user: ``ctx.vars`` are
the VU's variables (shared with YAML steps, kept across iterations),
``ctx.iteration`` counts the VU's Python iterations. What depends on the
scenario being run (the ``scenario`` tag of every metric, the series) is a
:class:`Bindings` object the running step puts in place before calling the
user's function.

``ctx.http`` records exactly what a YAML request records (docs/metrics.md,
"HTTP"): ``http_reqs``, ``http_req_failed``, ``http_req_duration`` (from the
iteration's intended start for its first request in an open model),
``http_req_service_time``, ``http_req_waiting``, bytes, connection timings
and ``errors{kind}``, tagged ``method``, ``name``, ``scenario``, ``status``.
A request that gets no response returns a response with status 0 and
``error`` set rather than raising, as k6 and Locust do.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from agentload._units import parse_duration
from agentload.engine._python_bind import Bindings
from agentload.engine._python_llm import LlmApi
from agentload.engine._python_sse import SseApi
from agentload.engine._python_voice import VoiceApi
from agentload.engine._python_ws import WsApi
from agentload.engine._streamed import draw_think, status_error
from agentload.engine.vu import VU
from agentload.protocols.http import (
    HttpError,
    QueryParams,
    Response,
    build_target,
    encode_form,
    encode_json,
    encode_request,
)
from agentload.scenario.parts import ThinkTime

__all__ = ["HttpApi", "HttpResponse", "VuContext"]

_UNSET: Any = object()
_OK_STATUS = range(200, 400)


class HttpResponse:
    """A response as user code sees it: ``status``, ``ok``, ``headers``, ``text``, ``json()``.

    ``status`` is 0 and ``error`` says why when no response arrived.
    """

    __slots__ = ("_raw", "error", "ok", "status")

    def __init__(self, raw: Response | None, *, ok: bool, error: str | None = None) -> None:
        self._raw = raw
        self.status = raw.status if raw is not None else 0
        """The status code (0: no response; see ``error``)."""
        self.ok = ok
        """True when the request counted as a success (2xx/3xx, or the ``expect`` given)."""
        self.error = error
        """Why no response arrived (``connection refused by …``), else ``None``."""

    @property
    def body(self) -> bytes:
        """The raw body."""
        return self._raw.body if self._raw is not None else b""

    @property
    def text(self) -> str:
        """The body as text (its charset, default UTF-8)."""
        return self._raw.text() if self._raw is not None else ""

    @property
    def headers(self) -> dict[str, str]:
        """Header fields, names lower-cased (the last of duplicates wins)."""
        if self._raw is None:
            return {}
        return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self._raw.headers}

    @property
    def elapsed_ms(self) -> float:
        """Request sent to response complete, in milliseconds (0 without a response)."""
        return self._raw.elapsed_ns / 1e6 if self._raw is not None else 0.0

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return self._raw.header(name) if self._raw is not None else None

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON."""
        if self._raw is None:
            raise ValueError(f"no response to parse: {self.error}")
        return self._raw.json()

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status}{' ' + self.error if self.error else ''}>"


class HttpApi:
    """``ctx.http``: requests that record the built-in HTTP metrics."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: VuContext) -> None:
        self._ctx = ctx

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        json: object = _UNSET,
        data: str | bytes | Mapping[str, object] | None = None,
        name: str | None = None,
        timeout: float | None = None,
        expect: int | Sequence[int] | None = None,
    ) -> HttpResponse:
        """Send one request; relative URLs go to ``config.target``.

        Args:
            params: query parameters. headers: on top of ``config.headers``.
            json: a JSON body. data: text/bytes sent as is, or a dict sent as a form.
            name: the ``name`` tag (default ``METHOD path``; give one for URLs with ids).
            timeout: total seconds for this request (default: ``config.timeout``).
            expect: the status(es) that count as success (default: any 2xx or 3xx).
        """
        ctx = self._ctx
        b = ctx.bindings
        method = method.upper()
        full = url if "://" in url else b.base + (url if url.startswith("/") else "/" + url)
        series = b.http_series(method, name) if name is not None else b.default_series(method, url)
        fields = b.default_headers(ctx.vars, headers)
        body: bytes | None = None
        content_type: str | None = None
        if json is not _UNSET:
            body, content_type = encode_json(json)
        elif isinstance(data, str):
            body = data.encode()
        elif isinstance(data, bytes):
            body = data
        elif data is not None:
            body, content_type = encode_form(data)  # type: ignore[arg-type]
        if content_type and not any(k.lower() == "content-type" for k, _ in fields):
            fields.append(("Content-Type", content_type))
        origin, target = b.parse_url(full)  # parsed once per URL
        if params:
            target = build_target(target, params)
        raw = encode_request(method, target, host=origin.authority, headers=fields, body=body)
        timeouts = b.timeouts_for(timeout)
        intended, ctx.intended_ns = ctx.intended_ns, 0
        try:
            resp = await ctx.vu_state.http.send(
                origin, raw, timeouts=timeouts, head=method == "HEAD"
            )
        except HttpError as exc:
            series.error(exc.kind)
            series.failure(0)
            return HttpResponse(None, ok=False, error=str(exc))
        if expect is None:
            ok = resp.status in _OK_STATUS
        else:
            ok = resp.status == expect if isinstance(expect, int) else resp.status in expect
        series.response(resp, intended, failed=not ok)
        if not ok:
            series.error(status_error(resp.status))
        return HttpResponse(resp, ok=ok)

    async def get(self, url: str, **kw: Any) -> HttpResponse:
        """``GET url``; keywords as :meth:`request`."""
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> HttpResponse:
        """``POST url``; keywords as :meth:`request`."""
        return await self.request("POST", url, **kw)

    async def put(self, url: str, **kw: Any) -> HttpResponse:
        """``PUT url``; keywords as :meth:`request`."""
        return await self.request("PUT", url, **kw)

    async def patch(self, url: str, **kw: Any) -> HttpResponse:
        """``PATCH url``; keywords as :meth:`request`."""
        return await self.request("PATCH", url, **kw)

    async def delete(self, url: str, **kw: Any) -> HttpResponse:
        """``DELETE url``; keywords as :meth:`request`."""
        return await self.request("DELETE", url, **kw)

    async def head(self, url: str, **kw: Any) -> HttpResponse:
        """``HEAD url``; keywords as :meth:`request`."""
        return await self.request("HEAD", url, **kw)


class VuContext:
    """The ``ctx`` argument of scenario, hook and YAML-referenced Python functions."""

    __slots__ = (
        "bindings",
        "env",
        "http",
        "intended_ns",
        "iteration",
        "llm",
        "setup_data",
        "sse",
        "voice",
        "vu_state",
        "ws",
    )

    def __init__(
        self, vu: VU, bindings: Bindings, *, setup_data: object, env: Mapping[str, str]
    ) -> None:
        self.vu_state = vu
        self.bindings = bindings
        self.setup_data = setup_data
        """What ``setup`` returned (after a JSON round trip), else ``None``."""
        self.env = env
        """The run's environment (``os.environ`` plus ``-e NAME=value`` flags)."""
        self.iteration = -1
        """This VU's Python iterations so far, from 0 (-1 in on_start)."""
        self.intended_ns = 0
        self.http = HttpApi(self)
        """Requests that record the HTTP metrics (:class:`HttpApi`)."""
        self.ws = WsApi(self)
        """WebSocket sessions that record the ``ws_*`` metrics (engine/_python_ws.py)."""
        self.llm = LlmApi(self)
        """OpenAI-compatible chat completions that record ``llm_*`` (engine/_python_llm.py)."""
        self.sse = SseApi(self)
        """Server-sent event streams that record ``sse_*`` (engine/_python_sse.py)."""
        self.voice = VoiceApi(self)
        """Voice calls that record the ``voice_*`` metrics (engine/_python_voice.py)."""

    @property
    def vu(self) -> int:
        """The VU's global index (0-based, unique across worker processes)."""
        return self.vu_state.index

    @property
    def vars(self) -> dict[str, object]:
        """The VU's variables: ``config.variables``, YAML captures, whatever code stores."""
        return self.vu_state.variables

    @property
    def rng(self) -> random.Random:
        """The VU's random generator (seeded from its index: runs are reproducible)."""
        return self.vu_state.rng

    @property
    def scenario(self) -> str:
        """The name of the scenario running."""
        return self.bindings.scenario

    def check(self, name: str, condition: object) -> bool:
        """Record the check ``name`` (the ``checks`` rate, like YAML checks); returns it."""
        passed = bool(condition)
        self.bindings.check(name)(passed)
        return passed

    async def think(self, pause: float | str | ThinkTime) -> None:
        """Pause: seconds, a duration (``"500ms"``), or ``uniform(a, b)`` / ``normal(m, sd)``."""
        if isinstance(pause, ThinkTime):
            seconds = draw_think(pause, self.vu_state)
        elif isinstance(pause, str):
            seconds = parse_duration(pause)
        elif isinstance(pause, int | float) and not isinstance(pause, bool):
            seconds = float(pause)
        else:
            raise TypeError(
                f"think takes seconds, a duration text or uniform()/normal(), got {pause!r}"
            )
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"think time must be >= 0 seconds, got {pause!r}")
        await asyncio.sleep(seconds)

    def __repr__(self) -> str:
        return f"<VuContext vu={self.vu} scenario={self.scenario!r} iteration={self.iteration}>"
