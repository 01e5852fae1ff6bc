"""The desk's accounts: revocable sessions, login limits per account and per address, scrypt off
the event loop, and HTTPS cookies behind a reverse proxy (a real uvicorn process)."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

import duckdb
import httpx
import pytest
from _db import copy_database, published_by_v11
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from saring.cli.main import app as cli
from saring.desk.app import create_app
from saring.desk.auth import add_user
from saring.desk.check import MAX_TEXT
from saring.desk.throttle import LoginThrottle
from saring.report.deliver import free_port

PASSWORD = "kata-sandi-rahasia"


@pytest.fixture(scope="module")
def template_db(tmp_path_factory, scorer):
    """The sample sites ingested once for this module, with two accounts (copied per test)."""
    from saring.config import parse_config
    from saring.pipeline.demo import SiteServer, demo_sources, sample_dir
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    db = tmp_path_factory.mktemp("desk") / "saring.duckdb"
    with SiteServer(sample_dir()) as server:
        raw = demo_sources(server.base_url)
        raw["settings"] = {"fetch": {"retries": 0, "timeout": 5}}
        with Store(db) as store:
            assert run_ingest(parse_config(raw), store, scorer=scorer).scored > 0
    add_user(db, "rina", PASSWORD)  # also publishes the snapshot
    add_user(db, "budi", PASSWORD + "-budi")
    return db


@pytest.fixture()
def desk_db(template_db, tmp_path):
    for path in template_db.parent.glob("saring*.duckdb"):
        copy_database(path, tmp_path / path.name)
    return tmp_path / template_db.name


@pytest.fixture()
def desk(desk_db, scorer):
    return create_app(desk_db, scorer=scorer, secret_key="test-key")


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, name="rina", password=PASSWORD):
    token = csrf(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "name": name, "password": password, "next": "/review"},
                       follow_redirects=False)


def logged_in(desk, name="rina", password=PASSWORD, address="testclient"):
    client = TestClient(desk, client=(address, 50000))
    assert login(client, name, password).status_code == 303
    assert client.get("/review", follow_redirects=False).status_code == 200
    return client


def replay(desk, cookies) -> TestClient:
    """A new browser holding an old copy of the cookie (what a thief or a shared phone has)."""
    client = TestClient(desk)
    client.cookies.update(cookies)
    return client


def is_out(client) -> bool:
    r = client.get("/review", follow_redirects=False)
    return r.status_code == 303 and r.headers["location"].startswith("/login")


# --------------------------------------------------------------------------- revocable sessions


def test_logout_ends_every_copy_of_the_session_and_labels_need_a_live_one(desk, desk_db):
    phone = logged_in(desk)
    laptop = logged_in(desk)
    page = phone.get("/review").text
    stolen = dict(phone.cookies)
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    r = phone.post("/logout", data={"csrf": csrf(page)}, follow_redirects=False)
    assert r.status_code == 303
    thief = replay(desk, stolen)
    assert is_out(thief) and is_out(laptop)  # logout ends the account's sessions everywhere
    r = thief.post("/label", data={"csrf": csrf(page), "item_id": item_id, "task": "hoax", "value": "1"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    con = duckdb.connect(str(desk_db), read_only=True)
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'labels'"
                       ).fetchone()[0] == 0 or con.execute("SELECT count(*) FROM labels").fetchone()[0] == 0
    con.close()
    assert not is_out(logged_in(desk))  # logging in again works


def test_a_new_password_ends_the_old_sessions(desk, desk_db):
    client = logged_in(desk)
    add_user(desk_db, "rina", "kata-sandi-baru-sekali")
    assert is_out(client)
    assert login(TestClient(desk)).status_code == 401
    assert not is_out(logged_in(desk, password="kata-sandi-baru-sekali"))


def _log_in_again(client, r, password: str):
    """Follow the desk to its login page and log in there with the form it shows (and its "next")."""
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    form = client.get(r.headers["location"]).text
    nxt = re.search(r'name="next" value="([^"]*)"', form).group(1)
    return client.post("/login", data={"csrf": csrf(form), "name": "rina", "password": password, "next": nxt})


def test_a_label_tapped_after_the_session_ended_leads_back_to_the_queue(desk, desk_db):
    # The operator set a new password while rina had the queue open on her phone; she taps a label,
    # logs in again, and used to get a bare "Method Not Allowed" (the login sent her to GET /label).
    client = logged_in(desk)
    page = client.get("/review").text
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    add_user(desk_db, "rina", "kata-sandi-baru-sekali")
    r = client.post("/label", data={"csrf": csrf(page), "item_id": item_id, "task": "hoax", "value": "1"},
                    headers={"referer": "http://testserver/review"}, follow_redirects=False)
    after = _log_in_again(client, r, "kata-sandi-baru-sekali")
    assert after.status_code == 200 and after.url.path == "/review" and "Antrian label" in after.text


def _form_fields(page: str) -> dict[str, str]:
    """What a browser sends from a page's form: its hidden fields and its text box."""
    hidden = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
    fields = {k: html.unescape(v) for k, v in hidden}
    box = re.search(r'<textarea id="q" name="q"[^>]*>(.*?)</textarea>', page, re.S)
    if box:
        fields["q"] = html.unescape(box.group(1))
    return fields


@pytest.mark.parametrize("ended_by", ["logout elsewhere", "restart", "login in another tab"])
def test_a_message_pasted_after_the_session_ended_is_still_in_the_box_after_logging_in(desk, desk_db,
                                                                                      ended_by):
    # The check page stayed open on a phone while its session ended (logged out on the laptop,
    # `saring web` restarted, 12 hours) or its form went stale (logged in again in another tab):
    # the member pasted a long forward, tapped "Cek sekarang" and, after logging in (or at once,
    # "Formulir kedaluwarsa"), found the box empty: the forward had to be found and pasted again.
    con = duckdb.connect(str(desk_db), read_only=True)
    text = con.execute("SELECT text FROM item_overview WHERE length(text) > 1500 ORDER BY item_id LIMIT 1"
                       ).fetchone()[0]
    con.close()
    message = f"*Diteruskan* <b>&amp;</b>\n{text}"  # as pasted: WhatsApp markup and what looks like HTML
    phone = logged_in(desk)
    form = phone.get("/check").text
    if ended_by == "restart":  # restarted with a new key (SARING_WEB_SESSION_KEY changed)
        phone = replay(create_app(desk_db, scorer=desk.state.scorer, secret_key="new-key"), phone.cookies)
    elif ended_by == "logout elsewhere":
        laptop = logged_in(desk)
        assert laptop.post("/logout", data={"csrf": csrf(laptop.get("/check").text)}).status_code == 200
    else:
        assert login(phone).status_code == 303
    r = phone.post("/check", data={"csrf": csrf(form), "q": message}, headers={"referer": "http://testserver/check"})
    if ended_by != "login in another tab":
        assert 'name="password"' in r.text  # the login page
        r = phone.post("/login", data={**_form_fields(r.text), "name": "rina", "password": "salah-ketik"})
        assert r.status_code == 401 and _form_fields(r.text).get("q") == message  # a typo loses nothing
        r = phone.post("/login", data={**_form_fields(r.text), "name": "rina", "password": PASSWORD})
    assert _form_fields(r.text).get("q") == message
    checked = phone.post("/check", data=_form_fields(r.text))
    assert checked.status_code == 200 and "Risiko hoaks" in checked.text


def test_a_pasted_message_survives_a_login_form_left_open_too_long_and_a_reload_after_logging_in(
        desk, desk_db):
    # The session had ended, so the pasted forward went to the login page; the member then left
    # that page open past its own cookie's life (overnight). Logging in there answered a bare
    # "Formulir kedaluwarsa": the forward was gone. And after a login the check box was shown at
    # /login, so reloading it sent the old login form (and the password) again.
    message = "*Diteruskan*\nBeredar kabar KPU Kota Batu memindahkan TPS 7 tanpa pemberitahuan."
    phone = replay(create_app(desk_db, scorer=desk.state.scorer, secret_key="new-key"),
                   logged_in(desk).cookies)  # restarted with a new key: the session has ended
    r = phone.post("/check", data={"csrf": csrf(phone.get("/login").text), "q": message})
    assert 'name="password"' in r.text and _form_fields(r.text).get("q") == message
    form = _form_fields(r.text)
    phone.cookies.clear()  # the night passed: the browser dropped the login page's expired cookie
    r = phone.post("/login", data={**form, "name": "rina", "password": PASSWORD})
    assert 'name="password"' in r.text and _form_fields(r.text).get("q") == message  # asked again
    r = phone.post("/login", data={**_form_fields(r.text), "name": "rina", "password": PASSWORD},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/check")  # never a page at /login
    box = phone.get(r.headers["location"])
    assert box.status_code == 200 and _form_fields(box.text).get("q") == message
    assert _form_fields(phone.get(r.headers["location"]).text).get("q") == message  # a reload keeps it
    assert _form_fields(replay(phone.app, {}).get(r.headers["location"]).text).get("q") is None  # theirs only
    # The same old login form sent again once the member is logged in (another tab): the box at once.
    r = phone.post("/login", data={**form, "name": "rina", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/check")
    box = phone.get(r.headers["location"])
    assert _form_fields(box.text).get("q") == message
    checked = phone.post("/check", data=_form_fields(box.text))
    assert checked.status_code == 200 and "Risiko hoaks" in checked.text


def _long_forward(desk_db) -> str:
    """Stored article texts joined until they are longer than the check box holds."""
    con = duckdb.connect(str(desk_db), read_only=True)
    texts = [t for (t,) in con.execute(
        "SELECT text FROM item_overview WHERE length(text) > 500 ORDER BY item_id").fetchall()]
    con.close()
    message = ""
    while len(message) <= MAX_TEXT + 5000:
        message += "\n".join(texts) + "\n"
    return message.strip()


def test_a_message_longer_than_the_check_box_is_cut_to_its_limit_on_every_page_that_gives_it_back(desk,
                                                                                                  desk_db):
    # The box says maxlength=20000, but only a browser reads that: a forward sent by a script or an
    # old phone came back whole in the box (and in the login page's hidden field) on every error page.
    message = _long_forward(desk_db)
    kept = message[:MAX_TEXT]
    phone = logged_in(desk)
    stale = csrf(phone.get("/check").text)
    assert login(phone).status_code == 303  # logged in again in another tab: the form went stale
    r = phone.post("/check", data={"csrf": stale, "q": message})
    assert r.status_code == 403 and _form_fields(r.text)["q"] == kept
    checked = phone.post("/check", data=_form_fields(r.text) | {"q": message})
    assert checked.status_code == 200 and _form_fields(checked.text)["q"] == kept.strip()
    ended = replay(create_app(desk_db, scorer=desk.state.scorer, secret_key="new-key"), phone.cookies)
    r = ended.post("/check", data={"csrf": stale, "q": message})  # the session ended: the login page
    assert r.status_code == 401 and _form_fields(r.text)["q"] == kept
    r = ended.post("/login", data={**_form_fields(r.text), "q": message, "name": "rina", "password": "salah"})
    assert r.status_code == 401 and _form_fields(r.text)["q"] == kept


def _box_limit(page: str) -> int:
    return int(re.search(r'<textarea id="q" name="q"[^>]*maxlength="(\d+)"', page).group(1))


def test_the_check_box_holds_as_many_characters_as_the_desk_checks(desk, desk_db, scorer, monkeypatch):
    # The box's maxlength was typed into check.html apart from MAX_TEXT, the limit the desk cuts a
    # posted message to: a new limit would have left the box at 20,000 (a message cut without a word,
    # or a box refusing what the desk would check).
    assert _box_limit(logged_in(desk).get("/check").text) == MAX_TEXT
    monkeypatch.setattr("saring.desk.check.MAX_TEXT", 5000)  # a new limit, as a later release may set
    phone = logged_in(create_app(desk_db, scorer=scorer, secret_key="test-key"))
    page = phone.get("/check").text
    assert _box_limit(page) == 5000
    message = _long_forward(desk_db)
    checked = phone.post("/check", data=_form_fields(page) | {"q": message})
    assert checked.status_code == 200 and _form_fields(checked.text)["q"] == message[:5000].strip()


@pytest.mark.parametrize("sent", ["with its length", "in chunks"])
def test_a_huge_form_is_refused_with_a_page_in_indonesian_before_it_is_read(desk, desk_db, sent):
    # Any form field may be up to 1 MB and a form up to 1000 fields (Starlette's own bounds): one
    # POST could make the desk hold a gigabyte, even the login form, with no account at all.
    phone = logged_in(desk)
    fields = {"csrf": csrf(phone.get("/check").text), "q": "Beredar kabar KPU Kota Batu memindahkan TPS 7"}
    body = urlencode(fields | {f"x{i}": "a" * 1_000_000 for i in range(3)}).encode()
    content = body if sent == "with its length" else (body[i:i + 65536] for i in range(0, len(body), 65536))
    headers = {"content-type": "application/x-www-form-urlencoded"}
    for client, path in ((phone, "/check"), (TestClient(desk), "/check"), (TestClient(desk), "/login")):
        r = client.post(path, content=content if sent == "with its length" else iter(list(content)),
                        headers=headers)
        assert r.status_code == 413, (path, r.status_code, r.text[:300])
        assert "Kiriman terlalu besar" in r.text and r.headers["x-frame-options"] == "DENY"
        if sent == "in chunks":
            content = (body[i:i + 65536] for i in range(0, len(body), 65536))
    con = duckdb.connect(str(desk_db), read_only=True)
    assert con.execute("SELECT count(*) FROM checks").fetchone() == (0,)
    con.close()
    # A whole check box of the widest characters is well inside the bound.
    r = phone.post("/check", data=fields | {"q": "🗳" * MAX_TEXT})
    assert r.status_code == 200 and "Risiko hoaks" in r.text


def _limits_said(page: str) -> tuple[float, int]:
    """The form's bound (bytes) and the check box's limit (characters) as the 413 page says them."""
    said = html.unescape(page)
    size, unit = re.search(r"lebih dari (\d+(?:,\d+)?) (MB|KB)", said).groups()
    chars = re.search(r"paling banyak (\d{1,3}(?:\.\d{3})*) karakter", said).group(1)
    return float(size.replace(",", ".")) * (2**20 if unit == "MB" else 2**10), int(chars.replace(".", ""))


def test_the_too_large_page_says_the_limits_the_desk_keeps(desk_db, scorer, monkeypatch):
    # The 413 page typed "1 MB" and "20.000 karakter" by hand, apart from MAX_FORM and MAX_TEXT: a
    # new limit would have left the page telling members a number the desk no longer keeps.
    from saring.desk import session

    body = urlencode({"q": "a" * 2_000_000}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    r = TestClient(create_app(desk_db, scorer=scorer, secret_key="test-key")).post(
        "/login", content=body, headers=headers)
    assert r.status_code == 413 and _limits_said(r.text) == (session.MAX_FORM, MAX_TEXT)
    monkeypatch.setattr("saring.desk.session.MAX_FORM", 1536 * 1024)  # limits a later release may set
    monkeypatch.setattr("saring.desk.check.MAX_TEXT", 5000)
    r = TestClient(create_app(desk_db, scorer=scorer, secret_key="test-key")).post(
        "/login", content=body, headers=headers)
    assert r.status_code == 413 and _limits_said(r.text) == (1536 * 1024, 5000)
    assert "lebih dari 1,5 MB" in r.text and "paling banyak 5.000 karakter" in r.text  # the Indonesian way


SECURITY_HEADERS = ("x-frame-options", "x-content-type-options", "referrer-policy", "content-security-policy",
                    "cache-control", "content-type")


@pytest.mark.parametrize("sent", ["fields", "files"])
def test_a_form_of_too_many_fields_or_files_is_refused_with_the_desks_page_in_indonesian(desk, desk_db, sent):
    # Starlette reads at most 1000 fields and 1000 files of a form: past them the desk answered with
    # Starlette's own English JSON ({"detail": "Too many fields..."}), not a page a member can read.
    phone = logged_in(desk)
    token = csrf(phone.get("/check").text)
    stale = phone.post("/label", data={"csrf": "basi", "item_id": "x", "task": "hoax", "value": "1"})
    assert stale.status_code == 403  # one of the desk's own error pages, for its headers
    fields = {"csrf": token, "q": "Beredar kabar KPU Kota Batu memindahkan TPS 7"}
    for client, path in ((phone, "/check"), (phone, "/label"), (TestClient(desk), "/check"),
                         (TestClient(desk), "/login")):
        if sent == "fields":
            r = client.post(path, data=fields | {f"x{i}": "1" for i in range(1001)}, follow_redirects=False)
        else:
            r = client.post(path, data=fields, files=[("x", (f"{i}.txt", b"1")) for i in range(1001)],
                            follow_redirects=False)
        assert r.status_code == 400, (path, r.status_code, r.text[:300])
        assert "Kiriman tidak bisa dibaca" in r.text and "Maximum" not in r.text, (path, r.text[:300])
        assert {h: r.headers.get(h) for h in SECURITY_HEADERS} == {h: stale.headers.get(h)
                                                                   for h in SECURITY_HEADERS}, path
    con = duckdb.connect(str(desk_db), read_only=True)
    assert con.execute("SELECT count(*) FROM checks").fetchone() == (0,)
    con.close()


def test_the_refused_form_page_says_the_bound_the_desk_reads_forms_with(desk, monkeypatch):
    # The page said "lebih dari 1.000" typed by hand, apart from the bound the form is read with.
    from saring.desk import session as desk_session

    monkeypatch.setattr(desk_session, "MAX_PARTS", 50)
    phone = logged_in(desk)
    token = csrf(phone.get("/check").text)
    fields = {"csrf": token, "q": "Beredar kabar KPU Kota Batu memindahkan TPS 7"}
    kept = phone.post("/check", data=fields | {f"x{i}": "1" for i in range(40)})
    assert kept.status_code == 200  # under the bound: read and checked
    r = phone.post("/check", data=fields | {f"x{i}": "1" for i in range(60)})
    assert r.status_code == 400 and "lebih dari 50," in r.text, r.text[:300]


def test_an_unknown_address_or_a_wrong_method_gets_the_desks_page_in_indonesian(desk):
    # A stale or mistyped link got FastAPI's English JSON ({"detail": "Not Found"}, or "Method Not
    # Allowed" for a form's address opened as a page): not a page a member can read.
    phone, stranger = logged_in(desk), TestClient(desk)
    stale = phone.post("/label", data={"csrf": "basi", "item_id": "x", "task": "hoax", "value": "1"})
    assert stale.status_code == 403  # one of the desk's own error pages, for its headers
    for client in (phone, stranger):
        for method, path, status, said in (("GET", "/tidak-ada", 404, "Halaman tidak ditemukan"),
                                           ("GET", "/tren/tidak-ada", 404, "Halaman tidak ditemukan"),
                                           ("PUT", "/check", 405, "Alamat ini tidak dibuka begitu"),
                                           ("GET", "/label", 405, "Alamat ini tidak dibuka begitu"),
                                           ("GET", "/logout", 405, "Alamat ini tidak dibuka begitu")):
            r = client.request(method, path, follow_redirects=False)
            assert r.status_code == status and said in r.text, (method, path, r.status_code, r.text[:300])
            assert "detail" not in r.text and r.headers["content-type"].startswith("text/html")
            assert {h: r.headers.get(h) for h in SECURITY_HEADERS} == {h: stale.headers.get(h)
                                                                       for h in SECURITY_HEADERS}, path
            if status == 405:  # the router's Allow is kept (for /check it names the first route's only)
                assert r.headers["allow"] == ("GET" if path == "/check" else "POST"), path
        assert client.head("/tidak-ada").status_code == 404
    # Logged out, as before: an unknown address is "not found", a page behind the login asks for it.
    assert stranger.get("/review", follow_redirects=False).status_code == 303
    # The desk's own answers stay as they were: an image's plain text, a card's page.
    r = phone.get("/tren/grafik/2026-W01/tidak-ada")
    assert (r.status_code, r.text, r.headers["content-type"][:10]) == (404, "tidak ditemukan", "text/plain")
    r = phone.get("/card/item/tidak-ada")
    assert r.status_code == 404 and "Berita atau pengecekan ini tidak ada" in r.text


def test_an_http_error_raised_on_purpose_keeps_its_own_answer(desk):
    # Only the router's own 404/405 (no detail of their own) become the desk's page.
    from starlette.exceptions import HTTPException

    def with_reason(code: int):
        raise HTTPException(code, "alasan sendiri")

    def plain(code: int):
        raise HTTPException(code)

    desk.router.add_api_route("/sengaja/{code}", with_reason)
    desk.router.add_api_route("/polos/{code}", plain)
    client = TestClient(desk)
    for code in (404, 405, 409):
        r = client.get(f"/sengaja/{code}")
        assert (r.status_code, r.json()) == (code, {"detail": "alasan sendiri"})
    r = client.get("/polos/409")
    assert (r.status_code, r.json()) == (409, {"detail": "Conflict"})


def test_a_link_to_a_days_digest_keeps_its_day_through_the_login(desk):
    # A member opens a desk link shared in the group while logged out: after logging in she sees
    # that day's digest, not today's.
    client = TestClient(desk)
    r = client.get("/?day=2021-05-20", follow_redirects=False)
    after = _log_in_again(client, r, PASSWORD)
    assert after.status_code == 200 and "Ringkasan Kamis, 20 Mei 2021" in after.text


def test_deleting_the_user_ends_the_sessions(desk, desk_db):
    client = logged_in(desk)
    result = CliRunner().invoke(cli, ["web", "deluser", "rina", "--db", str(desk_db)])
    assert result.exit_code == 0, result.output
    assert is_out(client)
    assert login(TestClient(desk)).status_code == 401
    again = CliRunner().invoke(cli, ["web", "deluser", "rina", "--db", str(desk_db)])
    assert again.exit_code == 2 and "no web account named 'rina'" in again.output


def _hold(db) -> subprocess.Popen:
    """Another process holding the database as a flow does (it prints 'held' once it has it)."""
    return subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )


def test_logout_while_a_flow_holds_the_database(desk, desk_db, monkeypatch):
    monkeypatch.setattr("saring.desk.app.WRITE_WAIT", 0.3)
    client = logged_in(desk)
    page = client.get("/review").text
    stolen = dict(client.cookies)
    holder = _hold(desk_db)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert client.post("/logout", data={"csrf": csrf(page)}, follow_redirects=False).status_code == 303
        assert is_out(replay(desk, stolen))  # refused at once, from memory
    finally:
        holder.kill()
        holder.wait()
    assert is_out(replay(desk, stolen))  # the next request writes the revocation down ...
    restarted = create_app(desk_db, secret_key="test-key")  # ... so a restarted app refuses it too
    assert is_out(replay(restarted, stolen))


def test_a_logout_waiting_for_the_ingest_does_not_stall_the_other_members(desk, desk_db, monkeypatch):
    # A member logs out during the hourly ingest: writing the revocation waits for the ingest's
    # lock, and every other member's request (which checks the pending revocations) used to wait
    # with it, since the desk's lock was held for the whole wait.
    import threading

    monkeypatch.setattr("saring.desk.app.WRITE_WAIT", 20)
    rina, budi = logged_in(desk), logged_in(desk, "budi", PASSWORD + "-budi")
    page = rina.get("/review").text
    stolen = dict(rina.cookies)
    holder = _hold(desk_db)
    out = threading.Thread(target=lambda: rina.post("/logout", data={"csrf": csrf(page)}))
    seen = {}
    other = threading.Thread(target=lambda: seen.update(r=budi.get("/review", follow_redirects=False)))
    try:
        assert holder.stdout.readline().strip() == "held"
        out.start()
        time.sleep(1)  # the logout is now waiting for the database
        other.start()
        other.join(10)
        assert not other.is_alive() and out.is_alive(), "the other member's page waited for the logout"
        assert seen["r"].status_code == 200
    finally:
        holder.kill()
        holder.wait()
        out.join()
        other.join()
    assert is_out(replay(desk, stolen))  # the revocation was written once the ingest was done
    assert is_out(replay(create_app(desk_db, secret_key="test-key"), stolen))


def test_shared_secret_sessions_end_on_logout_and_when_the_secret_changes(desk, monkeypatch):
    monkeypatch.setenv("SARING_WEB_SECRET", "rahasia-forum-bakohumas")
    client = logged_in(desk, "sari", "rahasia-forum-bakohumas")
    assert "sari (forum)" in client.get("/").text
    monkeypatch.setenv("SARING_WEB_SECRET", "rahasia-baru-bakohumas")
    assert is_out(client)
    client = logged_in(desk, "sari", "rahasia-baru-bakohumas")
    stolen = dict(client.cookies)
    client.post("/logout", data={"csrf": csrf(client.get("/review").text)})
    assert is_out(replay(desk, stolen))


def test_a_cookie_from_before_revocable_sessions_is_refused(desk):
    old = desk.state.desk.signer.dumps({"user": "rina", "csrf": "x"})  # no generation in it
    client = TestClient(desk)
    client.cookies.set("saring_session", old)
    assert is_out(client)


# --------------------------------------------------------------------------- login limits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guesses_spread_over_ten_addresses_lock_the_account_not_everyone(desk):
    clock = Clock()
    desk.state.desk.throttle.clock = clock
    for n in range(5):
        client = TestClient(desk, client=(f"127.0.0.{n + 2}", 40000))
        assert login(client, password=f"tebakan-{n}").status_code == 401
    for n in range(5, 10):  # the account waits now, even for the right password
        client = TestClient(desk, client=(f"127.0.0.{n + 2}", 40000))
        r = login(client)
        assert r.status_code == 429 and "1 menit" in r.text
    assert login(TestClient(desk, client=("127.0.0.2", 40000)), "budi", PASSWORD + "-budi").status_code == 303
    clock.now += 61
    assert login(TestClient(desk, client=("127.0.0.20", 40000)), "rina", "salah-lagi").status_code == 401
    r = login(TestClient(desk, client=("127.0.0.21", 40000)))
    assert r.status_code == 429 and "2 menit" in r.text  # the wait doubled
    clock.now += 121
    assert login(TestClient(desk, client=("127.0.0.22", 40000))).status_code == 303
    # A success starts the account afresh.
    assert login(TestClient(desk, client=("127.0.0.23", 40000)), password="salah").status_code == 401


def test_one_address_is_limited_across_accounts(desk):
    clock = Clock()
    desk.state.desk.throttle.clock = clock
    noisy = TestClient(desk, client=("10.9.8.7", 40000))
    for n in range(20):
        assert login(noisy, name=f"tamu{n}", password="tebak-tebakan").status_code == 401
    assert login(noisy).status_code == 429  # this address waits, whatever the account
    assert login(TestClient(desk, client=("10.9.8.6", 40000))).status_code == 303  # others do not
    clock.now += 15 * 60 + 1
    assert login(noisy).status_code == 303


def test_throttle_backoff_doubles_up_to_an_hour_and_a_quiet_spell_forgives():
    clock = Clock()
    throttle = LoginThrottle(clock)
    waits = []
    for n in range(13):
        name = "rina" if n % 2 else " RINA"  # names compare case-insensitively
        wait = throttle.attempt(name, f"10.0.0.{n}")
        if wait:
            clock.now += wait
            assert throttle.attempt(name, f"10.0.0.{n}") == 0
        waits.append(wait)
    assert waits == [0] * 5 + [60, 120, 240, 480, 960, 1920, 3600, 3600]
    clock.now += 3600 + 15 * 60 + 1  # the last wait, then a quiet quarter of an hour
    assert [throttle.attempt("rina", "x") for _ in range(5)] == [0] * 5


# --------------------------------------------------------------------------- scrypt off the loop


def test_password_hashing_never_runs_on_the_event_loop(desk, monkeypatch):
    import saring.desk.auth as auth

    real, where = auth.verify_password, []

    def spy(password, stored):
        try:
            asyncio.get_running_loop()
            where.append("event loop")
        except RuntimeError:
            where.append("worker thread")
        return real(password, stored)

    monkeypatch.setattr(auth, "verify_password", spy)
    client = TestClient(desk)
    assert login(client, password="salah-sekali").status_code == 401
    assert login(client, name="tidak-ada", password="salah-sekali").status_code == 401
    assert login(client).status_code == 303
    assert where and set(where) == {"worker thread"}


# --------------------------------------------------------------------------- behind a proxy


def _serve(db, *flags: str):
    port = free_port()
    env = {**os.environ, "SARING_WEB_SECRET": "rahasia-forum-bakohumas"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "saring", "web", "--db", str(db), "--port", str(port), *flags],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read())
        try:
            httpx.get(base + "/login", timeout=2)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("saring web did not start")


def _login_cookie(base: str, headers: dict, local_address: str = "127.0.0.1") -> str:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=local_address)) as http:
        first = http.get(base + "/login", headers=headers)
        cookie = first.headers["set-cookie"].split(";")[0]
        r = http.post(base + "/login", headers={**headers, "Cookie": cookie}, follow_redirects=False,
                      data={"csrf": csrf(first.text), "name": "sari", "password": "rahasia-forum-bakohumas"})
    assert r.status_code == 303, r.text
    return r.headers["set-cookie"]


def test_the_desk_starts_right_after_a_saring_upgrade(tmp_path):
    # saring was upgraded (a new schema version) and `saring web` restarted before the next hourly
    # run: the analysts' copy was the older saring's, and the desk refused to start ("... it is
    # refreshed by the next run"), leaving the forum without its desk for up to an hour.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    published_by_v11(db)
    proc, base = _serve(db)
    try:
        assert httpx.get(base + "/login", timeout=10).status_code == 200
        _login_cookie(base, {})  # and the shared forum password logs in
    finally:
        proc.terminate()
        proc.wait(timeout=30)

def test_cookie_is_secure_behind_an_https_proxy(tmp_path):
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    proc, base = _serve(db, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1")
    try:
        assert "secure" in _login_cookie(base, https).lower()
        # The same headers from an address that is not the trusted proxy are ignored.
        assert "secure" not in _login_cookie(base, https, local_address="127.0.0.2").lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    proc, base = _serve(db)  # without --proxy-headers nothing forwarded is believed
    try:
        assert "secure" not in _login_cookie(base, https).lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    result = CliRunner().invoke(cli, ["web", "--db", str(db), "--forwarded-allow-ips", "10.0.0.1"])
    assert result.exit_code == 2 and "--proxy-headers" in result.output


# --------------------------------------------------------------------------- restarts


def _page_with(base: str, cookie: str) -> int:
    return httpx.get(base + "/review", headers={"Cookie": cookie}, follow_redirects=False).status_code


def test_a_restarted_desk_keeps_its_members_logged_in(desk_db, monkeypatch):
    # `saring web` restarted (a deploy, a crash, the nightly restart) without SARING_WEB_SESSION_KEY
    # signed its cookies with a new random key: every member was logged out, a check being typed
    # went through the login page. The key is kept next to the database (0600), as the tipline's is.
    monkeypatch.delenv("SARING_WEB_SESSION_KEY", raising=False)
    key_file = desk_db.with_name(desk_db.name + ".web-session-key")
    proc, base = _serve(desk_db)
    try:
        cookie = _login_cookie(base, {}).split(";")[0]
        assert _page_with(base, cookie) == 200
    finally:
        proc.terminate()
        first = proc.communicate(timeout=30)
    proc, base = _serve(desk_db)
    try:
        assert _page_with(base, cookie) == 200  # still logged in after the restart
    finally:
        proc.terminate()
        second = proc.communicate(timeout=30)
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    key = key_file.read_text().strip()
    assert len(key) >= 32
    assert key not in "".join(first + second)  # never printed or logged
    monkeypatch.setenv("SARING_WEB_SESSION_KEY", "kunci-sesi-forum-dari-operator-0123456789")
    other = TestClient(create_app(desk_db))  # the environment's key wins over the file
    other.cookies.set("saring_session", cookie.split("=", 1)[1])
    assert is_out(other) and key_file.read_text().strip() == key
    monkeypatch.delenv("SARING_WEB_SESSION_KEY")
    key_file.chmod(0o644)  # e.g. restored from a backup: anyone who reads it could forge a login
    result = CliRunner().invoke(cli, ["web", "--db", str(desk_db)])
    assert result.exit_code == 2 and "chmod 600" in result.output and key not in result.output


def test_a_logout_not_yet_written_when_the_desk_stops_ends_every_session(desk_db, monkeypatch):
    # A member logs out during the hourly ingest (the revocation waits in memory for the database)
    # and `saring web` is restarted before the ingest ends: the kept key must not bring the
    # logged-out cookie (a shared phone's, a thief's copy) back to life.
    monkeypatch.delenv("SARING_WEB_SESSION_KEY", raising=False)
    monkeypatch.setattr("saring.desk.app.WRITE_WAIT", 0.3)
    with TestClient(create_app(desk_db)) as client:
        assert login(client).status_code == 303
        page = client.get("/review").text
        stolen, budi = dict(client.cookies), logged_in(client.app, "budi", PASSWORD + "-budi")
        holder = _hold(desk_db)
        assert holder.stdout.readline().strip() == "held"
        assert client.post("/logout", data={"csrf": csrf(page)}, follow_redirects=False).status_code == 303
    try:  # stopped while the ingest still holds the database
        restarted = create_app(desk_db)
        assert is_out(replay(restarted, stolen))
        assert is_out(replay(restarted, budi.cookies))  # everyone logs in again, as before
    finally:
        holder.kill()
        holder.wait()


# --------------------------------------------------------------------------- hashes stay private


def _hash_of(db, name: str) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT password_hash FROM web_users WHERE name = ?", [name]).fetchone()[0]
    finally:
        con.close()


def _everything_published(db) -> str:
    """Every value of every Parquet file in the analysts' folder (retired and half-written ones
    too) and the raw text of every other file there and of the catalog, as one text."""
    from saring.storage.database import snapshot_path
    from saring.storage.publish import published_dir

    reader = duckdb.connect()
    out = [snapshot_path(db).read_bytes().decode("latin-1")]
    for path in sorted(p for p in published_dir(db).rglob("*") if p.is_file()):
        try:
            out.append(str(reader.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()))
        except duckdb.Error:
            out.append(path.read_bytes().decode("latin-1"))
    reader.close()
    return "\n".join(out)


def _salt_and_digest(stored: str) -> list[str]:
    return stored.split("$")[-2:]


def test_no_password_hash_reaches_the_analysts_copy(tmp_path):
    # The published folder goes to an NGO analyst, a journalist's notebook, a copied laptop folder:
    # it held every member's scrypt hash (web_users.password_hash), open to an offline attack.
    import saring
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    add_user(db, "rina", PASSWORD)
    stored = _hash_of(db, "rina")
    con = saring.connect(str(db))
    try:
        columns = con.execute("SELECT table_name, column_name FROM duckdb_columns()").fetchall()
        assert not [c for c in columns if c[1] == "password_hash"]
        assert "web_users" not in {c[0] for c in columns}  # nothing analysts use needs it
    finally:
        con.close()
    published = _everything_published(db)
    assert not [part for part in _salt_and_digest(stored) if part in published]


def test_a_publication_after_the_upgrade_removes_the_hashes_published_before(tmp_path, monkeypatch):
    # A forum upgrading saring has the old layout's web_users file (with the hashes) in its
    # published folder, and perhaps a notebook still open on the old catalog: the first
    # publication of the new version must not leave the hashes there for ten more minutes.
    import saring
    import saring.storage.publish as publish
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with monkeypatch.context() as old_version:
        old_version.setattr(publish, "INTERNAL", frozenset({"story_vectors"}))
        Store(db).close()
        add_user(db, "rina", PASSWORD)
        stored = _hash_of(db, "rina")
        assert _salt_and_digest(stored)[1] in _everything_published(db)  # what the old layout held
        notebook = saring.connect(str(db))
    try:
        with Store(db) as store:
            store.publish_snapshot()  # the next run's publication
    finally:
        notebook.close()
    published = _everything_published(db)
    assert not [part for part in _salt_and_digest(stored) if part in published]
    assert not json.loads((publish.published_dir(db) / "manifest.json").read_text()).get("erase_pending")


def test_members_log_in_while_an_ingest_holds_the_database_and_the_hashes_stay_private(tmp_path, caplog):
    # During the hourly ingest the desk cannot read the database: it read the logins from the
    # analysts' copy. They now come from a private file next to the database, kept with every
    # account change and every publication.
    import logging

    from saring.storage.database import Store

    caplog.set_level(logging.DEBUG)
    db = tmp_path / "saring.duckdb"
    Store(db).close()
    add_user(db, "rina", PASSWORD)
    add_user(db, "budi", PASSWORD + "-budi")
    from saring.desk.auth import delete_user

    delete_user(db, "budi")
    stored = _hash_of(db, "rina")
    kept = db.with_name(db.name + ".web-logins")
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    holder = _hold(db)
    try:
        assert holder.stdout.readline().strip() == "held"
        desk = create_app(db, secret_key="test-key")  # started during the ingest: never read the database
        client = logged_in(desk)
        assert client.get("/", follow_redirects=False).status_code == 200
        assert login(TestClient(desk), "rina", "salah-sandi-123").status_code == 401
        assert login(TestClient(desk), "budi", PASSWORD + "-budi").status_code == 401  # deleted
        kept.chmod(0o644)  # e.g. restored from a backup: refused, not read
        refused = login(TestClient(desk))
        assert refused.status_code == 503 and "chmod 600" in caplog.text
        kept.chmod(0o600)
    finally:
        holder.kill()
        holder.wait()
    assert is_out(replay(desk, {})) and client.get("/review").status_code == 200
    assert not [part for part in _salt_and_digest(stored) if part in caplog.text]
