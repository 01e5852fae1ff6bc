"""The forum's desk: digest, review queue with one-tap labels, check box, clarification cards,
source health and model status — FastAPI + Jinja2, no JavaScript build step.

Database access (the scheduled flows hold DuckDB's single write lock while they run):

* digest, items, source health: the analysts' snapshot (:func:`saring.storage.database.connect_snapshot`);
* the app's own small tables (users, labels, checks): the database file read-only when it is
  free, else the snapshot; logins then come from a private file next to the database
  (:mod:`saring.storage.logins`): the analysts' copy holds no password hash;
* writes (labels, checks): one short ``Store(db, lock_wait=...)`` connection each, closed at
  once. A busy writer gives a friendly "coba lagi" page (HTTP 503), never a 500.

Sessions are signed cookies (itsdangerous) that can be revoked: each carries its account's
session generation (:mod:`saring.desk.auth`), checked on every request, so logging out, a new
password or a deleted account ends the old cookies at once. Every POST form carries a CSRF token
bound to the session. Logins are limited per account and per address (:mod:`saring.desk.throttle`);
password hashing (scrypt) runs in a worker thread, never on the event loop.

The routes are two routers (``auth``: login/logout; ``pages``: everything behind a login); a
page depends on :func:`current_user`, a form on :func:`csrf_form` (FastAPI ``Depends``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import duckdb
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from saring.collect.scrub import GENERIC
from saring.collect.tipline import page_link
from saring.desk import trends
from saring.desk.cache import Live, Published, load_accounts, load_generations
from saring.desk.session import (
    COOKIE,
    BoundBody,
    Busy,
    CsrfError,
    FormRefused,
    LoginRequired,
    csrf_form,
    current_user,
    desk_of,
    number_said,
    page,
    posted_form,
    session,
    session_key,
    set_cookie,
)
from saring.desk.throttle import LoginThrottle
from saring.errors import SaringError, StoreError
from saring.judge import labels
from saring.localtime import TIME_ZONE
from saring.report.digest import risk_pct
from saring.report.weekly import hari
from saring.storage.schema import SCHEMA_VERSION, applied_version, source_line_sql

LOGGER = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
WRITE_WAIT = float(os.environ.get("SARING_WEB_LOCK_WAIT", "3"))
# What the desk writes: published after each write (a few ms), not left for the next run.
OWN_TABLES = ("labels", "label_unsure", "checks", "clarification_cards", "web_session_generations")
DRAFTS, DRAFT_TTL = 200, 3600.0  # messages kept through a login: at most, and for seconds
FIRST_DAY = date(1970, 1, 1)  # the earliest digest day asked for (a day after today goes to today's)
NOT_THERE = {  # the router's own refusals -> the page's title and message
    404: ("Halaman tidak ditemukan",
          "Alamat ini tidak ada di desk saring: tautannya mungkin salah ketik atau sudah lama. "
          "Buka halaman yang Anda cari dari ringkasan."),
    405: ("Alamat ini tidak dibuka begitu",
          "Alamat ini hanya dipakai tombol dan formulir desk saring, tidak untuk dibuka langsung. "
          "Buka halaman yang Anda cari dari ringkasan."),
}
LABELS = {  # (task, value) -> what the button says
    ("hoax", "1"): "hoaks",
    ("hoax", "0"): "bukan hoaks",
    ("hoax", "unsure"): "tidak yakin",
    ("election", "1"): "pemilu",
    ("election", "0"): "bukan pemilu",
}


class Desk:
    """Shared state: the database path, the signer, the process-wide DB lock."""

    def __init__(self, db: str | Path | None, settings: Any = None, secret_key: str | None = None,
                 forum: Any = None, timezone: str = TIME_ZONE) -> None:
        from saring.config import DigestSettings
        from saring.storage.database import default_db_path

        self.db = Path(db) if db else default_db_path()
        self.settings = settings or DigestSettings()
        self.forum = forum  # settings.forum: the digest page shows the forum's own area first
        self.timezone = timezone  # settings.schedule.timezone: the forum's days and clock
        self.key_file: Path | None = None  # the kept session key (see :func:`session_key`)
        if secret_key:
            key = secret_key
        else:
            key, self.key_file = session_key(self.db)
        self._key = key.encode()
        self.signer = URLSafeTimedSerializer(key, salt="saring-web-session")
        self.lock = threading.RLock()
        self.published, self.live = Published(self.db, timezone), Live(self.db)  # the read path under load
        self.throttle = LoginThrottle()
        # Session generations this process raised itself (logout). The database has them too,
        # except while a flow holds it: then they wait in ``pending`` and are written later.
        self.generations: dict[str, int] = {}
        self.pending: set[str] = set()
        # Messages carried through a login, shown by GET /check?draft=...: token -> (user, text, until)
        self.drafts: dict[str, tuple[str, str, float]] = {}
        self._drafts_lock = threading.Lock()  # not self.lock: a database read may hold that one

    # ------------------------------------------------------------------ sessions

    def forum_mark(self) -> str | None:
        """A keyed fingerprint of the shared secret: changing SARING_WEB_SECRET ends its sessions."""
        shared = os.environ.get("SARING_WEB_SECRET", "")
        if not shared:
            return None
        return hmac.new(self._key, shared.encode(), hashlib.sha256).hexdigest()[:32]

    def accounts(self) -> tuple[frozenset[str], dict[str, int]]:
        """Account names and session generations, read again only after the file changed."""
        def read() -> tuple[frozenset[str], dict[str, int]]:
            with self.database() as con:
                if con is not None:
                    self._keep_logins(con)
                    return load_accounts(con)
                with self.snapshot() as con:  # the analysts' copy has no accounts: see logins()
                    generations = load_generations(con)
            return frozenset(self.logins()), generations

        return self.live.get("accounts", read)

    def current_generation(self, name: str) -> int:
        stored = self.accounts()[1].get(name, 0)
        with self.lock:
            return max(stored, self.generations.get(name, 0))

    def new_session(self, name: str) -> dict[str, Any]:
        from saring.desk.auth import FORUM_SUFFIX

        sess: dict[str, Any] = {"user": name, "gen": self.current_generation(name),
                                "csrf": secrets.token_urlsafe(24)}
        if name.endswith(FORUM_SUFFIX):
            sess["forum"] = self.forum_mark()
        return sess

    def session_user(self, sess: dict[str, Any]) -> str | None:
        """The user of a session that is still valid: account (or shared secret) and generation."""
        from saring.desk.auth import FORUM_SUFFIX

        name, generation = sess.get("user"), sess.get("gen")
        if not isinstance(name, str) or not isinstance(generation, int):
            return None  # includes cookies from before sessions could be revoked
        self.flush_pending()
        if name.endswith(FORUM_SUFFIX):
            mark = self.forum_mark()
            if not mark or not hmac.compare_digest(str(sess.get("forum", "")), mark):
                return None
        users, generations = self.accounts()
        if not name.endswith(FORUM_SUFFIX) and name not in users:
            return None
        stored = generations.get(name, 0)
        with self.lock:
            current = max(stored, self.generations.get(name, 0))
        return name if generation == current else None

    def revoke(self, name: str) -> None:
        """End every session of ``name`` (logout): at once in this process, and in the database."""
        target = self.current_generation(name) + 1
        with self.lock:
            self.generations[name] = max(self.generations.get(name, 0), target)
            self.pending.add(name)
        self.flush_pending(WRITE_WAIT)

    def flush_pending(self, wait: float = 0.0) -> None:
        """Write revocations made while a flow held the database (quick try; later if still busy)."""
        from saring.desk.auth import raise_generation

        if not self.pending:
            return
        with self.lock:
            todo = {name: self.generations[name] for name in self.pending}
        try:  # the writer takes the lock for each try only: other pages go on while it waits
            with self.writer(wait) as con:
                for name, generation in sorted(todo.items()):
                    raise_generation(con, name, generation)
        except Busy:
            LOGGER.info("session revocation kept in memory until the database is free")
            return
        with self.lock:  # a logout made meanwhile stays pending
            self.pending -= {name for name, gen in todo.items() if self.generations[name] == gen}

    def keep_draft(self, user: str, text: str) -> str:
        """Keep a pasted message for ``user``'s check box after a redirect; returns its token."""
        from saring.desk.check import MAX_TEXT

        token, now = secrets.token_urlsafe(16), time.monotonic()
        with self._drafts_lock:
            self.drafts = {k: v for k, v in self.drafts.items() if v[2] > now}
            while len(self.drafts) >= DRAFTS:
                self.drafts.pop(next(iter(self.drafts)))
            self.drafts[token] = (user, text[:MAX_TEXT], now + DRAFT_TTL)
        return token

    def draft(self, user: str, token: str | None) -> str:
        """The message kept under ``token`` for ``user`` (a reload shows it again), else ''."""
        with self._drafts_lock:
            kept = self.drafts.get(token or "")
        return kept[1] if kept and kept[0] == user and kept[2] > time.monotonic() else ""

    def close(self) -> None:
        """At shutdown: write the logouts still waiting for the database; if it stays busy, drop the
        kept key (every member logs in again) rather than let the restart revive those cookies."""
        self.flush_pending(WRITE_WAIT)
        if self.pending and self.key_file is not None:
            LOGGER.warning("%d logout(s) could not be written (the database is busy): every session "
                           "ends with this process", len(self.pending))
            self.key_file.unlink(missing_ok=True)

    @contextmanager
    def snapshot(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This thread's cursor on the current published version (see :mod:`saring.desk.cache`)."""
        with self.published.connection() as con:
            yield con

    @contextmanager
    def fresh(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The database itself, read-only, when no flow holds it; else the snapshot."""
        with self.database() as con:
            if con is not None:
                yield con
                return
            with self.snapshot() as con:
                yield con

    @contextmanager
    def database(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """The database itself, read-only, under the desk's lock; None while a flow holds it."""
        with self.lock:
            try:
                con = duckdb.connect(str(self.db), read_only=True)
                con.execute(f"SET TimeZone = '{TIME_ZONE}'")
                if applied_version(con) != SCHEMA_VERSION:  # not migrated yet: the snapshot says why
                    con.close()
                    raise duckdb.CatalogException("schema not current")
            except duckdb.Error:
                yield None
                return
            try:
                yield con
            finally:
                con.close()

    def logins(self) -> dict[str, str]:
        """Account names and password hashes while a flow holds the database: the private file
        next to it (:mod:`saring.storage.logins`), never the analysts' copy.

        Raises:
            Busy: there is no such file yet (no publication since the upgrade, and the desk has
                not read the database itself since it started).
        """
        from saring.storage.logins import logins_path, read_logins

        kept = read_logins(self.db)
        if kept is None:
            with self.snapshot():  # no database at all, an unreadable copy: that says why (StoreError)
                pass
            LOGGER.warning("no %s yet: members can log in once the running flow is done",
                           logins_path(self.db))
            raise Busy("the desk's logins are not kept yet")
        return kept

    def _keep_logins(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the private logins file when it is missing (a publication keeps it current)."""
        from saring.storage.logins import current_logins, logins_path, write_logins

        if not logins_path(self.db).exists():
            write_logins(self.db, current_logins(con), replace=False)

    @contextmanager
    def writer(self, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short write connection, waiting up to ``wait`` seconds while a flow holds the file.

        The lock is held for each try and the write, not while waiting between tries: the other
        members' pages (which open the file read-only under it) go on during the wait.
        """
        from saring.storage.database import Store

        deadline = time.monotonic() + (WRITE_WAIT if wait is None else wait)
        while True:
            self.lock.acquire()
            try:
                store = Store(self.db, lock_wait=0)
                break
            except StoreError as exc:
                self.lock.release()
                if time.monotonic() >= deadline:
                    raise Busy(str(exc)) from None
            time.sleep(max(0.0, min(0.25, deadline - time.monotonic())))
        try:
            yield store.con
            self._publish_own(store.con)
        finally:
            try:
                store.close()
            finally:
                self.lock.release()

    def _publish_own(self, con: duckdb.DuckDBPyConnection) -> None:
        """Publish the desk's own tables after a write. While a run holds the file the desk reads
        the analysts' copy: a label given since the last run came back into the queue as unlabelled."""
        from saring.storage.database import snapshot_path
        from saring.storage.publish import publish_tables

        before = self.published.version()
        try:
            done = publish_tables(con, self.db, snapshot_path(self.db), SCHEMA_VERSION, OWN_TABLES)
        except (duckdb.Error, OSError) as exc:  # what was written stays written
            LOGGER.warning("desk writes reach the analysts' copy with the next run: %s", exc)
            return
        if done is None:
            LOGGER.info("desk writes reach the analysts' copy with the next run (a whole publication)")
        elif done.written:
            self.published.follow(before, self.published.version())


# ------------------------------------------------------------------ session helpers

async def security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "script-src 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _login(request: Request, exc: LoginRequired):
    if request.method == "POST" and request.url.path == "/check":
        # The session ended while the member was pasting a message: the login form keeps it and
        # gives it back in the check box (a redirect would drop it).
        query = _pasted(await posted_form(request))
        if query.strip():
            return page(request, "login.html", status=401, next="/check", error=None, query=query,
                        message="Sesi Anda sudah berakhir. Masuk lagi; pesan yang Anda tempel tidak hilang.")
    return RedirectResponse("/login?next=" + quote(_back_to(request)), status_code=303)


def _back_to(request: Request) -> str:
    """Where to go after logging in (or to try again): the page asked for, with its query (a day, a
    week); for a form posted (a label, a check), the desk's page the form was on, since there is
    no GET at a form's address; "/" for a Referer of another site."""
    if request.method == "GET":
        url = request.url
    else:
        url = urlsplit(request.headers.get("referer", ""))
        if url.netloc != request.url.netloc:
            return "/"
    return (url.path or "/") + (f"?{url.query}" if url.query else "")


async def _csrf(request: Request, exc: CsrfError):
    query = _pasted(await posted_form(request)) if request.url.path in ("/check", "/login") else ""
    if query.strip() and request.url.path == "/login":  # a login page carrying a message, left open
        desk = desk_of(request)
        name = await run_in_threadpool(desk.session_user, session(request))
        if name:  # logged in meanwhile (another tab): the check box at once
            return RedirectResponse(f"/check?draft={desk.keep_draft(name, query)}", status_code=303)
        return page(request, "login.html", status=403, next="/check", query=query,
                    error="Formulir masuk ini sudah kedaluwarsa. Masuk lagi; pesan Anda tidak hilang.")
    if query.strip():  # e.g. logged in again in another tab: the message stays, with a form that works
        return page(request, "check.html", status=403, result=None, query=query,
                    error="Formulir ini sudah kedaluwarsa. Pesan Anda masih di sini: "
                          "tekan Cek sekarang lagi.")
    return page(
        request,
        "message.html",
        status=403,
        title="Formulir kedaluwarsa",
        message="Formulir ini sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
    )


async def _busy(request: Request, exc: Busy):
    return page(
        request,
        "message.html",
        status=503,
        title="Sedang sibuk",
        message="Database sedang dipakai proses terjadwal (pengambilan berita). "
        "Tidak ada yang hilang — tunggu sebentar lalu coba lagi.",
        retry=_safe_next(_back_to(request)),
    )


async def _refused(request: Request, exc: FormRefused):
    LOGGER.warning("desk: a form sent to %s refused: %s", request.url.path, exc)
    return page(request, "message.html", status=400, title="Kiriman tidak bisa dibaca",
                message=f"Formulir yang dikirim tidak bisa dibaca (isiannya atau berkasnya lebih dari "
                        f"{number_said(exc.limit)}, atau kirimannya rusak), jadi tidak diterima dan tidak "
                        "ada yang disimpan. Muat ulang halamannya lalu coba lagi.")


async def _not_there(request: Request, exc: HTTPException):
    """No route at this address (404) or not for this method (405): the desk's page, not FastAPI's
    English JSON. An HTTPException raised with a detail of its own, or of another status, keeps
    FastAPI's answer."""
    said = NOT_THERE.get(exc.status_code)
    if said is None or exc.detail != HTTPStatus(exc.status_code).phrase:
        return await http_exception_handler(request, exc)
    response = page(request, "message.html", status=exc.status_code, title=said[0], message=said[1])
    response.headers.update(exc.headers or {})  # a 405's Allow
    return response


async def _saring(request: Request, exc: SaringError):
    # The reason is the maintainer's, in English and naming server paths: it goes to the log
    # (the `saring web` console); members read what it means for them.
    LOGGER.warning("desk page %s: %s", request.url.path, exc)
    from saring.storage.database import snapshot_path

    db = desk_of(request).db
    if not db.exists() and not snapshot_path(db).exists():  # a new install: nothing fetched yet
        message = ("Belum ada data saring: pengambilan berita pertama belum berjalan. "
                   "Coba lagi setelah pengambilan berita pertama selesai.")
    else:  # the data exists: a copy being migrated, a data folder moved
        message = ("Data saring sedang diperbarui atau belum bisa dibaca. Coba lagi beberapa menit lagi; "
                   "bila tetap begini, beri tahu pengelola saring (penyebabnya ada di log server).")
    return page(request, "message.html", status=503, title="Belum bisa dibuka", message=message,
                retry=_safe_next(_back_to(request)))


# ------------------------------------------------------------------ auth


auth = APIRouter()


@auth.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/"):
    return page(request, "login.html", next=_safe_next(next), error=None)


@auth.post("/login")
async def login(request: Request, data: dict[str, str] = Depends(csrf_form)):
    desk = desk_of(request)
    client = request.client.host if request.client else "?"
    given = data.get("name", "")
    query = _pasted(data)  # a message pasted into the check box when the session had ended
    wait = desk.throttle.attempt(given, client)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        return page(
            request,
            "login.html",
            status=429,
            next=_safe_next(data.get("next", "/")),
            error=f"Terlalu banyak percobaan yang gagal. Coba lagi dalam {minutes} menit.",
            query=query,
        )
    name = await run_in_threadpool(_check_login, desk, given, data.get("password", ""))
    if not name:
        return page(
            request,
            "login.html",
            status=401,
            next=_safe_next(data.get("next", "/")),
            error="Nama atau kata sandi salah.",
            query=query,
        )
    desk.throttle.succeeded(given, client)
    sess = await run_in_threadpool(desk.new_session, name)
    if query.strip():  # back in the check box, at its own address (a reload never posts the login again)
        response = RedirectResponse(f"/check?draft={desk.keep_draft(name, query)}", status_code=303)
    else:
        response = RedirectResponse(_safe_next(data.get("next", "/")), status_code=303)
    set_cookie(request, response, desk.signer.dumps(sess))
    return response


@auth.post("/logout")
async def logout(request: Request, _form: dict[str, str] = Depends(csrf_form)):
    desk = desk_of(request)
    sess = session(request)
    if await run_in_threadpool(desk.session_user, sess):
        await run_in_threadpool(desk.revoke, sess["user"])  # every cookie of this account ends
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# ------------------------------------------------------------------ pages


pages = APIRouter()


@pages.get("/", response_class=HTMLResponse)
def digest_page(request: Request, day: str | None = None, _user: str = Depends(current_user)):
    desk = desk_of(request)
    from saring.localtime import today
    from saring.report.digest import build_digest, tanggal

    now = today(desk.timezone)
    try:
        the_day = date.fromisoformat(day) if day else now
    except ValueError:
        the_day = now
    if the_day > now:  # a day to come: its empty page would read as an all-clear
        return RedirectResponse("/", status_code=303)
    if the_day < FIRST_DAY:  # its window would leave the calendar
        the_day = now
    digest = desk.published.get(  # and by today: a digest made yesterday called yesterday "hari ini"
        ("digest", the_day, now),
        lambda con: build_digest(con, the_day, desk.settings, desk.forum, desk.timezone))
    return page(
        request,
        "digest.html",
        digest=digest,
        tanggal=tanggal(the_day),
        prev=(the_day.toordinal() - 1),
        day=the_day,
        date=date,
    )


@pages.get("/review", response_class=HTMLResponse)
def review(request: Request, done: str | None = None, name: str = Depends(current_user)):
    items = _queue(desk_of(request), name)
    return page(request, "review.html", items=items, labels=LABELS, done=done)


@pages.post("/label")
async def label(request: Request, name: str = Depends(current_user),
                data: dict[str, str] = Depends(csrf_form)):
    desk = desk_of(request)
    item_id, task, value = data.get("item_id", ""), data.get("task", ""), data.get("value", "")
    if (task, value) not in LABELS:
        return page(
            request,
            "message.html",
            status=400,
            title="Label tidak dikenal",
            message="Pilih salah satu tombol label.",
        )
    # In a worker thread: the write may wait seconds for the ingest's lock, and on the event
    # loop that wait would hold every other member's page.
    if not await run_in_threadpool(_store_label, desk, item_id, task, value, name):
        return page(
            request,
            "message.html",
            status=404,
            title="Berita tidak ditemukan",
            message="Berita ini tidak ada di database.",
        )
    return RedirectResponse(f"/review?done={quote(LABELS[(task, value)])}#antrian", status_code=303)


def _store_label(desk: Desk, item_id: str, task: str, value: str, name: str) -> bool:
    """Store one tap; False when the item is not in the database."""
    with desk.writer() as con:
        if not con.execute("SELECT count(*) FROM items WHERE item_id = ?", [item_id]).fetchone()[0]:
            return False
        if value == "unsure":  # once per person (a double tap taps twice)
            con.execute("INSERT INTO label_unsure (item_id, task, labeled_by, labeled_at) "
                        "SELECT ?, ?, ?, now() WHERE NOT EXISTS (SELECT 1 FROM label_unsure "
                        "WHERE item_id = ? AND task = ? AND labeled_by = ?)",
                        [item_id, task, name, item_id, task, name])
        else:
            labels.add_label(con, item_id, task, int(value), name)
    return True


@pages.get("/check", response_class=HTMLResponse)
def check_form(request: Request, draft: str | None = None, name: str = Depends(current_user)):
    return page(request, "check.html", result=None, error=None, query=desk_of(request).draft(name, draft))


@pages.post("/check", response_class=HTMLResponse)
async def check(request: Request, name: str = Depends(current_user),
                data: dict[str, str] = Depends(csrf_form)):
    from saring.desk.card import card_for_check, card_text
    from saring.desk.check import CheckError
    from saring.judge.classifier.modelload import ModelLoadError

    query = _pasted(data).strip()
    try:
        result = await run_in_threadpool(_run_check, desk_of(request), query, request.app.state, name)
    except CheckError as exc:
        return page(request, "check.html", status=422, result=None, error=str(exc), query=query)
    except ModelLoadError as exc:  # not the data: the generic page would say so, and drop the pasted text
        LOGGER.warning("desk check: %s", exc)
        return page(request, "check.html", status=503, result=None, query=query,
                    error="Model penilai saring belum bisa dimuat, jadi pesan ini belum bisa dicek. "
                          "Pengelola saring dapat melihat penyebabnya di log server; pesan Anda masih di "
                          "kotak ini, coba kirim lagi nanti.")
    card = card_for_check(result, desk_of(request).settings, desk_of(request).timezone)
    return page(
        request,
        "check.html",
        result=result,
        card=card,
        card_text=card_text(card),
        error=None,
        query=query,
    )


@pages.get("/card/{kind}/{ref}.png")
def card_png(request: Request, kind: str, ref: str, _user: str = Depends(current_user)):
    from saring.desk.card import card_png as render

    card = _card(desk_of(request), kind, ref)
    if card is None:
        return PlainTextResponse("tidak ditemukan", status_code=404)
    return Response(
        render(card),
        media_type="image/png",
        headers={"Content-Disposition": f'inline; filename="klarifikasi-{ref}.png"'},
    )


@pages.get("/card/{kind}/{ref}", response_class=HTMLResponse)
def card_page(request: Request, kind: str, ref: str, name: str = Depends(current_user)):
    from saring.desk.card import card_text

    card = _card(desk_of(request), kind, ref)
    if card is None:
        return page(
            request,
            "message.html",
            status=404,
            title="Tidak ditemukan",
            message="Berita atau pengecekan ini tidak ada (atau belum tersimpan).",
        )
    trends.record_card_made(desk_of(request), kind, ref, name)
    return page(request, "card.html", card=card, card_text=card_text(card))


@pages.get("/health", response_class=HTMLResponse)
def health(request: Request, _user: str = Depends(current_user)):
    from saring import clock
    from saring.report.digest import tanggal
    from saring.report.health import (
        delivery_failures,
        duration_text,
        empty_feeds,
        failing_since,
        fetch_state_at,
        reads_of_day,
        source_status,
    )

    zone = desk_of(request).timezone
    now = clock.now()
    with desk_of(request).snapshot() as con:
        statuses = source_status(con, now, zone=zone)
        reads = reads_of_day(con, now - timedelta(days=1), now)
        empty = empty_feeds(con, now)
        since = {source_id: state[3] for source_id, state in fetch_state_at(con, now).items()}
        deliveries = delivery_failures(con, now, zone)  # as the digest's health section names them
    # as the digest's health section says it: since when, not only a count of runs
    failing = {s.source_id: failing_since(s.consecutive_failures, since.get(s.source_id), zone)
               for s in statuses if s.last_status == "failed"}
    # The badges below are the sources' state at the last run: once saring stopped, they stay green.
    last = reads.last_read_at
    last_read = (f"{tanggal(last, zone)} ({duration_text(now - last)} lalu)" if last
                 else "belum pernah ada")
    return page(request, "health.html", statuses=statuses, last_read=last_read, behind=reads.behind(now),
                empty=empty, failing=failing, deliveries=deliveries)


@pages.get("/models", response_class=HTMLResponse)
def models(request: Request, _user: str = Depends(current_user)):
    return page(request, "models.html", **_model_status())


def create_app(
    db: str | Path | None = None, settings: Any = None, secret_key: str | None = None, scorer: Any = None,
    forum: Any = None, timezone: str = TIME_ZONE,
) -> FastAPI:
    from saring.desk.check import MAX_TEXT

    desk = Desk(db, settings, secret_key, forum, timezone)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await run_in_threadpool(desk.close)

    app = FastAPI(title="saring", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.desk = desk
    app.state.scorer = scorer
    templates = app.state.templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["pct"] = lambda v: "-" if v is None else f"{v:.0%}"
    templates.env.filters["d3"] = lambda v: "-" if v is None else f"{v:.3f}"  # a held-out metric
    templates.env.filters["risk_pct"] = lambda v: "-" if v is None else risk_pct(v, desk.settings)
    templates.env.filters["wib"] = lambda value: _local(value, timezone)  # the forum's clock
    templates.env.filters["hari"] = hari
    templates.env.filters["page_link"] = page_link  # a chat message's title leads nowhere
    templates.env.filters["wa_link"] = lambda text: "https://wa.me/?text=" + quote(text)
    templates.env.globals["MAX_TEXT"] = MAX_TEXT  # the check box's maxlength: what the desk checks

    app.add_middleware(BoundBody)  # inside security_headers: its 413 page gets the headers too
    app.middleware("http")(security_headers)
    app.add_exception_handler(LoginRequired, _login)
    app.add_exception_handler(CsrfError, _csrf)
    app.add_exception_handler(Busy, _busy)
    app.add_exception_handler(FormRefused, _refused)  # also when _login or _csrf reads the form
    app.add_exception_handler(SaringError, _saring)
    app.add_exception_handler(HTTPException, _not_there)  # before any route: logged out alike
    app.include_router(auth)
    app.include_router(pages)
    app.include_router(trends.router)  # the "Tren" page and story timelines
    return app


# ---------------------------------------------------------------------- helpers


def _local(value: Any, zone: str) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    from saring.report.digest import tanggal

    return tanggal(value, zone) if isinstance(value, datetime) and value.tzinfo else str(value)


def _pasted(form: Any) -> str:
    """The check box's text as posted, cut to what the desk checks: its maxlength binds browsers
    only, and every page that gives the text back shows this."""
    from saring.desk.check import MAX_TEXT

    return str(form.get("q", ""))[:MAX_TEXT]


def _safe_next(value: str) -> str:
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def _check_login(desk: Desk, name: str, password: str) -> str | None:
    """Runs in a worker thread: a quick read under the lock, then scrypt outside it."""
    from saring.desk.auth import check_login, password_hash

    with desk.database() as con:
        held = con is None  # by a flow: the kept logins, outside the lock
        if not held:
            desk._keep_logins(con)
            stored = password_hash(con, name)
    if held:
        stored = desk.logins().get((name or "").strip())
    return check_login(name, password, stored)


def _run_check(desk: Desk, query: str, state: Any, name: str):
    from saring.desk.check import analyse, get_scorer, not_saved, store_check

    # The current models at each check (not kept here): a promotion or rollback shows at once.
    scorer = state.scorer or get_scorer()
    # Snapshot reads only (no write lock), through the desk's own connection (see analyse).
    result = analyse(query, desk.db, scorer, bands=desk.settings, snapshot=desk.snapshot)
    result.checked_by = name
    try:
        with desk.writer() as con:  # the write must not meet this process's own read-only connection
            store_check(con, result)
        result.saved = True
    except Busy as exc:
        not_saved(result, exc)
    return result


def _card(desk: Desk, kind: str, ref: str):
    from saring.desk.card import card_for_check, card_for_item
    from saring.desk.check import closest_factchecks, load_check

    if kind == "item":
        with desk.snapshot() as con:
            return card_for_item(con, ref, desk.settings, desk.timezone)
    if kind == "check":
        with desk.fresh() as con:
            result = load_check(con, ref)
        if result is None:  # stored since the last publication while a flow holds the file (the
            with desk.writer() as con:  # read above was the snapshot): Busy says to try again
                result = load_check(con, ref)
        if result is None:
            return None
        if not result.factchecks:  # fact-checks published since the check was made
            with desk.snapshot() as con:
                result.factchecks = closest_factchecks(con, f"{result.title or ''} {result.text}")
        return card_for_check(result, desk.settings, desk.timezone)
    return None


def _labels(desk: Desk, name: str) -> tuple[dict[str, dict[str, int]], set[tuple[str, str]]]:
    """The latest label per item and task, and what ``name`` marked "tidak yakin"."""
    done: dict[str, dict[str, int]] = defaultdict(dict)
    unsure: set[tuple[str, str]] = set()
    with desk.fresh() as con:
        for item_id, task, value in con.execute(
            "SELECT item_id, task, value FROM current_labels"
        ).fetchall():
            done[item_id][task] = value
        unsure = {
            (i, t)
            for i, t in con.execute(
                "SELECT item_id, task FROM label_unsure WHERE labeled_by = ?", [name]
            ).fetchall()
        }
    return done, unsure


QUEUE_CANDIDATES = 300
"""The riskiest unlabelled items the review queue is chosen from (each member's own "tidak yakin"
marks are left out after)."""


def _candidates(con: duckdb.DuckDBPyConnection, threshold: float, settings: Any) -> list[tuple]:
    """The review queue's candidates, scrubbed and cut, each with the stored pages its links point
    at if it is a forwarded message (once per published version)."""
    # Only the QUEUE_CANDIDATES riskiest not yet labelled are shown: they are picked from the
    # scores alone, and only their texts are cleaned (cleaning every candidate's text took ~15 s
    # on a million stored articles).
    # Forwards whose text retention purged are found among the tipline's items only.
    rows = con.execute(
        f"""WITH purged AS (
                SELECT item_id FROM (SELECT * FROM item_overview WHERE source_id = 'tipline') o
                WHERE {labels.PURGED_FORWARD}  -- nothing left to judge
            ), labelled AS (  -- both tasks judged: never queued again (the window moves on)
                SELECT item_id FROM current_labels GROUP BY item_id HAVING count(DISTINCT task) = 2
            ), top AS (
                SELECT item_id, hoax_score FROM item_overview
                WHERE hoax_score IS NOT NULL AND election_score >= ?
                      AND item_id NOT IN (SELECT item_id FROM purged)
                      AND item_id NOT IN (SELECT item_id FROM labelled)
                ORDER BY hoax_score DESC, item_id LIMIT {QUEUE_CANDIDATES}
            )
            -- named as the digest names it: a Google News hit by its outlet, with the search that found it
            SELECT item_id, o.title, {source_line_sql('s', 'i')}, coalesce(o.published_at, o.first_seen_at),
                   o.url, left(regexp_replace(coalesce(o.text, ''), '\\s+', ' ', 'g'), 880), o.election_score,
                   o.hoax_score, o.hoax_terms, o.election_terms, o.source_id
            FROM item_overview o JOIN top USING (item_id) JOIN items i USING (item_id)
            LEFT JOIN sources s ON s.source_id = o.source_id
            ORDER BY top.hoax_score DESC, item_id""",
        [threshold],
    ).fetchall()
    from saring.report.digest import excerpt, linked_pages

    out = []
    for r in rows:
        if r[10] == "tipline":  # forwarded by members: scrubbed again on the way out (before the cut,
            # so that no number is cut in half and left readable)
            r = (r[0], GENERIC.text(r[1]), r[2], r[3], GENERIC.url(r[4])[0] or "#", GENERIC.text(r[5]),
                 r[6], r[7], [GENERIC.text(t) for t in r[8] or []], *r[9:])  # reasons quote the text
        out.append((*r[:5], excerpt(r[5], 220), *r[6:]))  # between words, "…" when cut, as in the digest

    linked = linked_pages(con, [r[0] for r in out if r[10] == "tipline"], settings)
    return [(*r, linked.get(r[0], [])) for r in out]


def _queue(desk: Desk, name: str, limit: int = 20) -> list[dict[str, Any]]:
    """Flagged election items, riskiest first, that still need a label from the forum."""
    threshold = desk.settings.election_threshold
    key = ("queue", threshold)
    rows = desk.published.get(key, lambda con: _candidates(con, threshold, desk.settings))
    done, unsure = desk.live.get(("labels", name), lambda: _labels(desk, name))
    out = _open_rows(desk, rows, done, unsure, limit)
    # The forum labelled nearly all the candidates since the run: the next riskiest (labels are
    # published at every tap, so computing them again leaves the labelled ones out).
    if len(out) < limit and len(rows) >= QUEUE_CANDIDATES and any(len(done.get(r[0], ())) == 2 for r in rows):
        desk.published.forget(key)
        rows = desk.published.get(key, lambda con: _candidates(con, threshold, desk.settings))
        out = _open_rows(desk, rows, done, unsure, limit)
    return out


def _open_rows(desk: Desk, rows: list[tuple], done: dict, unsure: set, limit: int) -> list[dict[str, Any]]:
    from saring.report.digest import risk_label

    out = []
    for r in rows:
        state = done.get(r[0], {})
        open_tasks = [t for t in ("hoax", "election") if t not in state and (r[0], t) not in unsure]
        if not open_tasks:
            continue
        out.append(
            dict(
                item_id=r[0],
                title=r[1] or "(tanpa judul)",
                source=r[2],
                when=r[3],
                url=r[4],
                excerpt=r[5],
                election_score=r[6],
                hoax_score=r[7],
                risk=risk_label(r[7], desk.settings),  # the forum's bands, as on the digest
                hoax_terms=list(r[8] or []),
                election_terms=list(r[9] or []),
                linked=r[11],
                kind="tipline" if r[10] == "tipline" else None,  # its reasons read as in the digest
                open_tasks=open_tasks,
                state=state,
            )
        )
        if len(out) >= limit:
            break
    return out


def _model_status() -> dict[str, Any]:
    from saring.judge.classifier import registry

    try:
        directory = registry.served_model_dir()
        version = "SARING_MODELS" if os.environ.get("SARING_MODELS") else registry.current_version()
    except SaringError as exc:  # the reason names server paths, in English: the log's, as in _saring
        LOGGER.warning("desk page /models: %s", exc)
        return dict(models=[], version=None, last_change=None,
                    error="Model penilai saring belum bisa dibaca, jadi statusnya belum bisa ditampilkan. "
                          "Beri tahu pengelola saring (penyebabnya ada di log server).")
    models = []
    for name in ("election", "hoax"):
        path = directory / f"{name}.json"
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            models.append(dict(name=name, version="(tidak terbaca)", created=None, metrics=[]))
            continue
        metrics = [
            dict(name=k, **{m: v.get(m) for m in ("n", "precision", "recall", "f1", "roc_auc")})
            for k, v in _flat_metrics(card.get("metrics") or card.get("heldout_metrics") or {})
        ]
        models.append(
            dict(
                name=name,
                version=card.get("version"),
                created=card.get("created"),
                metrics=metrics,
                rows=card.get("training_rows"),
                floor=card.get("evidence_floor") if isinstance(card.get("evidence_floor"), dict) else {},
            )
        )
    history = registry.history()
    last = dict(history[-1], said=_change_said(history[-1])) if history else None
    return dict(models=models, version=version, error=None, last_change=last,
                versions=_versions_measured(marked=not os.environ.get("SARING_MODELS")))


def _versions_measured(marked: bool) -> list[dict[str, Any]]:
    """Every version with the held-out numbers its retrain's gate measured (in its bundle.json: a
    retrained version's cards hold none); the current one marked unless ``$SARING_MODELS`` serves."""
    from saring.judge.classifier import registry

    out = []
    for v in registry.list_versions():
        gate = v.get("gate") if isinstance(v.get("gate"), dict) else {}
        measured = gate.get("candidate") if isinstance(gate.get("candidate"), dict) else {}
        metrics = [
            dict(name=said, **{k: m.get(k) if isinstance(m.get(k), int | float) else None
                               for k in ("n", "roc_auc", "pr_auc", "f1", "precision", "recall")})
            for task, said in (("hoax", "Hoaks"), ("election", "Pemilu"))
            if isinstance(m := measured.get(task), dict)
        ]
        if v["version"] == registry.SHIPPED:
            said = "model bawaan (angkanya di kartu model, classifiers/*.md)"
        elif v.get("unreadable"):
            said = f"berkas {', '.join(v['unreadable'])} tidak terbaca"
        elif "passed" in gate:
            said = "lolos uji pelatihan ulang" if gate["passed"] else "tidak lolos uji pelatihan ulang"
        else:
            said = "tanpa hasil uji"
        out.append(dict(version=v["version"], current=marked and v["current"], said=said, metrics=metrics))
    return out


def _change_said(record: dict[str, Any]) -> str:
    """A promotion or rollback as forum members read it; its English reason (the gate's numbers)
    stays in the history and the maintainer's CLI."""
    from saring.judge.classifier import registry

    version = record["version"]
    name = "model bawaan" if version == registry.SHIPPED else f"model {version}"
    if record["action"] == "rollback":
        return f"dikembalikan ke {name} oleh pengelola"
    if str(record.get("reason") or "").startswith(registry.GATE_PASSED):
        return f"{name} dipasang otomatis setelah lolos uji pelatihan ulang"
    gate = registry.bundle_info(version).get("gate")
    if isinstance(gate, dict) and gate.get("passed") is False:
        return f"{name} dipasang oleh pengelola, walau tidak lolos uji pelatihan ulang"
    return f"{name} dipasang oleh pengelola"


def _flat_metrics(metrics: dict) -> list[tuple[str, dict]]:
    """Model-card metrics as (name, metrics) rows: "grouped_cv full", "time_split", ..."""
    rows = []
    for key, value in metrics.items():
        if not isinstance(value, dict):
            continue
        if "n" in value:
            rows.append((key.replace("_", " "), value))
        else:
            rows += [(f"{key} {k}".replace("_", " "), v) for k, v in value.items()
                     if isinstance(v, dict) and "n" in v]
    return rows
