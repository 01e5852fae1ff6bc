"""The desk's request helpers: the signed session, the logged-in user and CSRF as FastAPI
dependencies, and rendering a page; shared by every router of the desk (app, trends).

The desk object itself lives on ``request.app.state.desk`` (see :func:`saring.desk.app.create_app`).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature

COOKIE = "saring_session"
SESSION_MAX_AGE = 12 * 3600


class Busy(Exception):
    """The database writer is busy (a flow is running)."""


class LoginRequired(Exception):
    pass


class CsrfError(Exception):
    pass


def desk_of(request: Request) -> Any:
    return request.app.state.desk


def session(request: Request) -> dict[str, Any]:
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            return desk_of(request).signer.loads(raw, max_age=SESSION_MAX_AGE)
        except BadSignature:
            pass
    return {}


def current_user(request: Request) -> str:
    """Dependency: the logged-in user, checked against the database on every request."""
    name = desk_of(request).session_user(session(request))
    if not name:
        raise LoginRequired
    request.state.user = name
    return name


async def csrf_form(request: Request) -> dict[str, str]:
    """Dependency: the posted form, once its CSRF token matches the session's."""
    data = await request.form()
    sent = str(data.get("csrf", ""))
    expected = session(request).get("csrf", "")
    if not expected or not secrets.compare_digest(sent, expected):
        raise CsrfError
    return {k: str(v) for k, v in data.items()}


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    sess = session(request)
    new = not sess.get("csrf")
    if new:  # first visit: an anonymous session holding a CSRF token (for the login form)
        sess = {"csrf": secrets.token_urlsafe(24)}
    shown_user = getattr(request.state, "user", None)  # set only once the session was checked
    response = request.app.state.templates.TemplateResponse(
        request, name, {"user": shown_user, "csrf": sess["csrf"], **ctx}, status_code=status
    )
    if new:
        set_cookie(request, response, desk_of(request).signer.dumps(sess))
    return response


def set_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
