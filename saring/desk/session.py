"""The desk's request helpers: the signed session, the logged-in user and CSRF as FastAPI
dependencies, rendering a page, reading a posted form (:func:`posted_form`) and the bound on a
request's body (:class:`BoundBody`); shared by every router of the desk (app, trends).

The desk object itself lives on ``request.app.state.desk`` (see :func:`saring.desk.app.create_app`).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from saring.errors import SaringError
from saring.filemodes import readable_by_others, write_private

LOGGER = logging.getLogger(__name__)
COOKIE = "saring_session"
SESSION_MAX_AGE = 12 * 3600
KEY_ENV = "SARING_WEB_SESSION_KEY"
MIN_KEY = 32
MAX_FORM = 1024 * 1024
"""The most a request body may hold, in bytes. Starlette bounds each form field (1 MB) and their
number (:data:`MAX_PARTS`), not the whole form: one POST, even to the login page, could fill a
gigabyte. A full check box (:data:`saring.desk.check.MAX_TEXT` characters) of the widest kind,
12 bytes each once form-encoded, must fit in it."""


class SessionKeyError(SaringError):
    """The kept session key cannot be used safely."""


class Busy(Exception):
    """The database writer is busy (a flow is running)."""


class FormTooLarge(Exception):
    """A request body went past :data:`MAX_FORM`."""


MAX_PARTS = 1000
"""The most fields, and the most files, a posted form may hold (Starlette's own default, set here so
that the page refusing a form says the bound in force)."""


class FormRefused(Exception):
    """A form Starlette refuses to read: over :data:`MAX_PARTS` fields or files, or a broken body.
    ``limit`` is the bound it was read with."""

    def __init__(self, reason: str, limit: int) -> None:
        super().__init__(reason)
        self.limit = limit


class LoginRequired(Exception):
    pass


class CsrfError(Exception):
    pass


def key_path(db: Path) -> Path:
    return db.with_name(db.name + ".web-session-key")


def session_key(db: Path) -> tuple[str, Path | None]:
    """The key that signs the cookies, and the file it is kept in (None: from the environment).

    ``$SARING_WEB_SESSION_KEY``, else ``<db>.web-session-key`` next to the database, made once
    with a random key and readable by its owner only (0600), so that a restart keeps the members
    logged in. Where it cannot be kept (a read-only folder) a random key for this process only.

    Raises:
        SessionKeyError: the file is readable by others (whoever reads it can forge a login) or
            holds no usable key.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env, None
    path = key_path(db)
    try:
        return _read_key(path), path
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(MIN_KEY)
    try:
        if not write_private(path, (key + "\n").encode(), replace=False):  # another process made one
            return _read_key(path), path
    except OSError as exc:
        LOGGER.warning("cannot keep the desk's session key in %s (%s): members log in again after "
                       "a restart; set %s", path, exc.strerror or exc, KEY_ENV)
        return key, None
    return key, path


def _read_key(path: Path) -> str:
    if readable_by_others(path):
        raise SessionKeyError(f"{path} is readable by other users, who could forge a desk login; "
                              f"run: chmod 600 {path}")
    key = path.read_text(encoding="utf-8", errors="replace").strip()
    if len(key) < MIN_KEY:
        raise SessionKeyError(f"{path} holds no usable session key; delete it (members then log in again)")
    return key


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


async def posted_form(request: Request) -> FormData:
    """The posted form, as every part of the desk reads it.

    Raises:
        FormRefused: Starlette would not read it (its reason, in English, goes to the log).
    """
    try:
        return await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    except HTTPException as exc:  # Starlette's own 400, a bare English JSON: the desk's page instead
        raise FormRefused(exc.detail, MAX_PARTS) from None


async def csrf_form(request: Request) -> dict[str, str]:
    """Dependency: the posted form, once its CSRF token matches the session's."""
    data = await posted_form(request)
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


class BoundBody:
    """ASGI middleware: a request body over :data:`MAX_FORM` bytes is read no further and answered
    with a page saying so (HTTP 413), whichever form or handler was reading it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FORM:
            await _too_large(scope, receive, send)
            return
        read, started = 0, False

        async def bounded() -> Message:  # a body sent in chunks, without its length
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > MAX_FORM:
                raise FormTooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, bounded, sending)
        except FormTooLarge:
            if started:
                raise
            await _too_large(scope, receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    from saring.desk.check import MAX_TEXT  # read when refusing: the page says the limits in force

    LOGGER.warning("desk: a request to %s over %d bytes refused", scope.get("path"), MAX_FORM)
    response = page(Request(scope, receive), "message.html", status=413, title="Kiriman terlalu besar",
                    message=f"Yang dikirim lebih dari {size_said(MAX_FORM)}, jadi tidak diterima. Kotak cek "
                            f"membaca paling banyak {number_said(MAX_TEXT)} karakter sebuah pesan: tempel "
                            "bagian yang perlu dicek saja, lalu coba lagi.")
    await response(scope, receive, send)


def number_said(value: float, decimals: int = 0) -> str:
    """A number as members read it: 20.000, 1,5 (dots between thousands, a decimal comma)."""
    return f"{value:,.{decimals}f}".translate(str.maketrans(",.", ".,"))


def size_said(size: int) -> str:
    """A size in bytes as members read it: 1 MB, 1,5 MB, 512 KB."""
    unit, name = (2**20, "MB") if size >= 2**20 else (2**10, "KB")
    amount = size / unit
    return f"{number_said(amount, 0 if amount.is_integer() else 1)} {name}"
