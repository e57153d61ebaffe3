"""A login endpoint, so scenarios can test "log in once per VU, reuse the token".

``POST /api/auth/login`` with ``{"username": …, "password": …}`` answers
``{"access_token", "token_type": "bearer", "expires_in"}``. The token is the
target's ``--token`` when one is set (so it opens the protected endpoints),
otherwise a fresh random one (any bearer token is accepted then).
``GET /api/auth/logins`` says how many logins each user made: a test can
prove a login step ran once per VU rather than once per iteration.
"""

from __future__ import annotations

import collections

from aiohttp import web

from agentload.target._http import bad_request, json_response, new_id, read_json_object
from agentload.target.state import STATE

__all__ = ["add_routes"]

_LOGINS = web.AppKey("auth_logins", collections.Counter[str])
_MAX_NAME = 200
_EXPIRES_S = 3600


async def login(request: web.Request) -> web.Response:
    """``POST /api/auth/login``: a bearer token for any non-empty username and password."""
    body = await read_json_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not username.strip() or len(username) > _MAX_NAME:
        raise bad_request(f"'username' is required: a non-empty string of at most {_MAX_NAME}")
    if not isinstance(password, str) or not password:
        raise bad_request("'password' is required: a non-empty string")
    state = request.app[STATE]
    token = state.config.token or new_id(state.rng, "tok")
    request.app[_LOGINS][username] += 1
    return json_response({"access_token": token, "token_type": "bearer", "expires_in": _EXPIRES_S})


async def logins(request: web.Request) -> web.Response:
    """``GET /api/auth/logins``: ``{"total": n, "by_user": {username: count}}``."""
    counts = request.app[_LOGINS]
    return json_response({"total": sum(counts.values()), "by_user": dict(counts)})


def add_routes(app: web.Application) -> None:
    """Register the login routes on ``app``."""
    app[_LOGINS] = collections.Counter()
    app.router.add_post("/api/auth/login", login)
    app.router.add_get("/api/auth/logins", logins)
