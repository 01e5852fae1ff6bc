"""The web desk through FastAPI's TestClient: login, CSRF, labels with their author, checks, cards,
busy writer."""

import html
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from saring.desk.app import create_app
from saring.desk.auth import add_user, hash_password, verify_password

PASSWORD = "kata-sandi-rahasia"


@pytest.fixture()
def desk_db(ingested):
    add_user(ingested, "rina", PASSWORD)  # also republishes the snapshot
    return ingested


@pytest.fixture()
def client(desk_db, scorer):
    return TestClient(create_app(desk_db, scorer=scorer, secret_key="test-key"))


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, name="rina", password=PASSWORD):
    token = csrf(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf": token, "name": name, "password": password, "next": "/review"},
        follow_redirects=False,
    )


def test_passwords_are_salted_scrypt_hashes():
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$") and PASSWORD not in stored and stored != hash_password(PASSWORD)
    assert verify_password(PASSWORD, stored) and not verify_password("salah", stored)


def test_pages_need_a_login_and_wrong_passwords_fail(client):
    for path in ("/", "/review", "/check", "/health", "/models", "/card/item/x"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    assert login(client, password="bukan-ini").status_code == 401
    assert login(client, name="tidak-ada").status_code == 401
    r = login(client)
    assert r.status_code == 303 and r.headers["location"] == "/review"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=lax" in r.headers["set-cookie"].lower()
    assert client.get("/").status_code == 200


def test_login_without_csrf_token_is_rejected(client):
    client.get("/login")
    r = client.post("/login", data={"name": "rina", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "kedaluwarsa" in r.text


def test_open_redirect_is_refused(client):
    token = csrf(client.get("/login").text)
    r = client.post(
        "/login",
        data={"csrf": token, "name": "rina", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_label_is_recorded_with_its_author_and_needs_csrf(client, desk_db):
    login(client)
    page = client.get("/review").text
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    forged = client.post(
        "/label", data={"item_id": item_id, "task": "hoax", "value": "1"}, follow_redirects=False
    )
    assert forged.status_code == 403
    r = client.post(
        "/label",
        data={"csrf": csrf(page), "item_id": item_id, "task": "hoax", "value": "0"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        "/label",
        data={"csrf": csrf(page), "item_id": item_id, "task": "election", "value": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    other = re.findall(r'name="item_id" value="([^"]+)"', page)[-1]
    r = client.post(
        "/label",
        data={"csrf": csrf(page), "item_id": other, "task": "hoax", "value": "unsure"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    con = duckdb.connect(str(desk_db), read_only=True)
    assert sorted(con.execute("SELECT item_id, task, value, labeled_by FROM labels").fetchall()) == [
        (item_id, "election", 1, "rina"),
        (item_id, "hoax", 0, "rina"),
    ]
    assert con.execute("SELECT item_id, labeled_by FROM label_unsure").fetchall() == [(other, "rina")]
    con.close()
    queue = client.get("/review").text
    assert f'id="q-{item_id}"' not in queue  # labelled for both tasks: out of the queue
    assert 'data-label="hoax-1"' in queue
    from saring.judge.labels import current_labels

    con = duckdb.connect(str(desk_db))
    assert current_labels(con, "hoax")["item_id"].tolist() == [item_id]  # the labelling loop sees it
    con.close()


def test_a_double_tap_on_a_label_button_stores_the_label_once(client, desk_db):
    # On a slow phone connection a member taps "Pemilu" twice (or the browser resends the form):
    # the label history held the same judgement twice, as if two people had agreed.
    login(client)
    page = client.get("/review").text
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    for task, value in [("election", "1"), ("election", "1"), ("hoax", "unsure"), ("hoax", "unsure")]:
        r = client.post("/label", data={"csrf": csrf(page), "item_id": item_id, "task": task, "value": value},
                        follow_redirects=False)
        assert r.status_code == 303
    con = duckdb.connect(str(desk_db), read_only=True)
    assert con.execute("SELECT item_id, task, value, labeled_by FROM labels").fetchall() == [
        (item_id, "election", 1, "rina")]
    assert con.execute("SELECT item_id, task, labeled_by FROM label_unsure").fetchall() == [
        (item_id, "hoax", "rina")]
    con.close()


def test_shared_forum_secret_logs_in_under_a_marked_name(client, monkeypatch):
    monkeypatch.setenv("SARING_WEB_SECRET", "rahasia-forum-bakohumas")
    assert login(client, name="budi", password="salah-lagi").status_code == 401
    assert login(client, name="budi", password="rahasia-forum-bakohumas").status_code == 303
    assert "budi (forum)" in client.get("/").text


def test_check_card_and_status_pages(client, desk_db):
    login(client)
    con = duckdb.connect(str(desk_db), read_only=True)
    text, source = con.execute(
        "SELECT text, source_name FROM item_overview WHERE election_score > 0.5 "
        "AND length(text) > 400 AND item_id NOT IN (SELECT item_id FROM factcheck_matches) "
        "ORDER BY item_id LIMIT 1"
    ).fetchone()
    con.close()
    page = client.get("/check").text
    forwarded = " ".join(text.split()[:60])
    r = client.post("/check", data={"csrf": csrf(page), "q": forwarded})
    assert r.status_code == 200 and "Risiko hoaks" in r.text, r.text[-3000:]
    assert source in r.text, r.text[-6000:-2000]
    assert "belum ada klarifikasi resmi" in r.text.lower() and "Saring sebelum Sharing" in r.text
    png_path = re.search(r'src="(/card/check/[0-9a-f]+\.png)"', r.text).group(1)
    png = client.get(png_path)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    again = client.post("/check", data={"csrf": csrf(page), "q": forwarded})
    assert "Sudah pernah dicek pada" in again.text and "oleh rina" in again.text
    # The demo chat's chain message: its reasons are shown as reasons, not as "marker words".
    chain = client.post("/check", data={"csrf": csrf(page), "q": (
        "INFO PENTING!!! Surat suara Pemilu 2024 di Kota Batu katanya sudah dicoblos sebelum hari H. "
        "Sebarkan ke semua grup!")})
    assert "alasan: " in chain.text and "ajakan menyebarkan" in chain.text, chain.text[-3000:]
    digest = client.get("/").text
    item_id = re.search(r'href="/card/item/([^"]+)"', digest).group(1)
    card = client.get(f"/card/item/{item_id}")
    assert card.status_code == 200 and "https://www.bawaslu.go.id" in card.text and "wa.me" in card.text
    assert client.get(f"/card/item/{item_id}.png").content[:4] == b"\x89PNG"
    assert client.get("/card/item/tidak-ada").status_code == 404
    health = client.get("/health")
    assert health.status_code == 200 and "Terakhir berhasil" in health.text
    models = client.get("/models")
    assert models.status_code == 200 and "hoax-" in models.text and "ROC-AUC" in models.text


def test_the_models_page_shows_a_metric_the_card_lacks_as_a_dash(client, tmp_path, monkeypatch):
    # A model retrained on a held-out set of one class has no ROC-AUC (null in its card): the page
    # showed "ROC-AUC None", a word from Python a forum member cannot read.
    import json
    import shutil

    from saring.judge.classifier.modelload import CLASSIFIERS_DIR

    for name in ("election", "hoax"):
        shutil.copy(CLASSIFIERS_DIR / f"{name}.json", tmp_path / f"{name}.json")
    card = json.loads((tmp_path / "hoax.json").read_text(encoding="utf-8"))
    card["metrics"]["grouped_cv"]["full"]["roc_auc"] = None
    (tmp_path / "hoax.json").write_text(json.dumps(card), encoding="utf-8")
    monkeypatch.setenv("SARING_MODELS", str(tmp_path))
    login(client)
    page = client.get("/models")
    assert page.status_code == 200 and "None" not in page.text, page.text[-3000:]
    assert re.search(r"<strong>grouped cv full</strong> \(n=3302\):[^<]*ROC-AUC -</p>", page.text), page.text


def test_a_current_model_version_whose_folder_is_gone_is_said_in_indonesian_on_the_models_page(
        client, tmp_path, monkeypatch, caplog):
    # The maintainer deleted a promoted version's folder to free disk space: the Model page showed
    # forum members "The current model version 'v-hapus' is missing from /srv/...", English and a
    # server path. The reason belongs in the log; members read what it means for them.
    import json

    home = tmp_path / "model-home"
    home.mkdir()
    (home / "history.jsonl").write_text(json.dumps(
        {"at": "2026-11-20T02:00:00+00:00", "action": "promote", "version": "v-hapus", "reason": "manual"})
        + "\n", encoding="utf-8")
    monkeypatch.delenv("SARING_MODELS", raising=False)
    monkeypatch.setenv("SARING_MODEL_HOME", str(home))
    login(client)
    page = client.get("/models")
    assert page.status_code == 200
    box = re.search(r'<div class="error">(.*?)</div>', page.text, re.S)
    assert box and "belum bisa dibaca" in box.group(1) and "log server" in box.group(1), page.text[-3000:]
    assert str(home) not in page.text and "missing" not in page.text, page.text[-3000:]
    assert "v-hapus" in caplog.text and str(home) in caplog.text  # the maintainer's reason is in the log


def test_the_models_page_rounds_the_current_models_metrics_as_its_list_of_versions_does(client):
    # A member comparing the current model's card with the "Semua versi" list read "presisi 0.9139"
    # above and "presisi 0.914" below for the same numbers.
    login(client)
    page = client.get("/models")
    assert page.status_code == 200
    shown = re.search(r"<strong>grouped cv full</strong> \(n=3302\):([^<]*)</p>", page.text)
    assert shown, page.text[-3000:]
    card = json.loads((Path(__file__).resolve().parent.parent / "classifiers" / "hoax.json").read_text(
        encoding="utf-8"))["metrics"]["grouped_cv"]["full"]  # e.g. precision 0.9136: "0.914"
    assert shown.group(1) == (f" presisi {card['precision']:.3f}, recall {card['recall']:.3f}, "
                              f"F1 {card['f1']:.3f}, ROC-AUC {card['roc_auc']:.3f}"), shown.group(1)


def test_a_contact_link_sent_to_the_check_page_is_never_fetched(client, desk_db, monkeypatch):
    # A member pasted "https://wa.me/62813…" from a chain message into the check box: the desk
    # downloaded it, telling WhatsApp that this number was being looked at. It now says why not.
    from _net import FakeDNS

    dns = FakeDNS({})
    monkeypatch.setattr("saring.collect.urls.system_resolver", dns)
    login(client)
    page = client.get("/check").text
    r = client.post("/check", data={"csrf": csrf(page), "q": "https://wa.me/6281300000019"})
    assert r.status_code == 422 and "tautan kontak" in r.text, r.text[-3000:]
    assert dns.asked == [], dns.asked
    con = duckdb.connect(str(desk_db), read_only=True)
    assert con.execute("SELECT count(*) FROM checks").fetchone() == (0,)
    con.close()


def test_busy_writer_gives_a_friendly_retry_page(client, desk_db, monkeypatch):
    login(client)
    page = client.get("/review").text
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    monkeypatch.setattr("saring.desk.app.WRITE_WAIT", 0.3)
    holder = _hold(desk_db)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = client.post("/label", data={"csrf": csrf(page), "item_id": item_id, "task": "hoax", "value": "1"})
        assert r.status_code == 503 and "coba lagi" in r.text.lower()
        assert client.get("/").status_code == 200  # reading goes on from the snapshot
        assert client.get("/review").status_code == 200
    finally:
        holder.kill()
        holder.wait()


def test_a_check_s_card_during_an_ingest_is_shown_or_says_busy_not_that_the_check_does_not_exist(
        client, desk_db, scorer, monkeypatch):
    # A member checked a forward on the desk, then opened its card while the hourly ingest ran:
    # the desk read the analysts' copy (published before the check) and said "Berita atau
    # pengecekan ini tidak ada". The desk now publishes its checks at once; a check stored
    # without a publication (`saring check` in a shell) makes the desk ask the database itself,
    # and while the run holds it, say to try again.
    from saring.desk.check import run_check

    login(client)
    page = client.get("/check").text
    r = client.post("/check", data={"csrf": csrf(page), "q": "Beredar kabar KPU Kota Batu memindahkan TPS"})
    card_path = re.search(r'src="(/card/check/[0-9a-f]+)\.png"', r.text).group(1)
    shell = run_check("Surat suara Pemilu di Kota Batu sudah dicoblos, sebarkan!", desk_db, scorer, by="rina")
    shell_path = f"/card/check/{shell.check_id}"
    monkeypatch.setattr("saring.desk.app.WRITE_WAIT", 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from saring.storage.database import Store; "
         "s = Store(sys.argv[1]); print('held', flush=True); sys.stdin.readline()", str(desk_db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        card = client.get(card_path)
        assert card.status_code == 200 and "KLARIFIKASI" in card.text
        assert client.get(card_path + ".png").status_code == 200
        for path in (shell_path, shell_path + ".png"):
            busy = client.get(path)
            assert busy.status_code == 503 and "coba lagi" in busy.text.lower(), (path, busy.text[-2000:])
    finally:
        holder.communicate("\n", timeout=60)
    card = client.get(shell_path)  # the run has ended
    assert card.status_code == 200 and "KLARIFIKASI" in card.text


@pytest.mark.parametrize("form", ["label", "check"])
def test_a_write_waiting_for_the_ingest_does_not_stall_the_other_members(client, desk_db, monkeypatch,
                                                                         form):
    # During the hourly ingest one member taps a label (or sends a check): its write waits for
    # the ingest's lock, and every other member's page used to wait with it (the desk's lock was
    # held while waiting), several seconds per tap. The write is stored once the ingest is done.
    login(client)
    page = client.get("/review").text
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    monkeypatch.setattr("saring.desk.app.WRITE_WAIT", 20)
    holder = _hold(desk_db)
    sent = {}
    data = {"csrf": csrf(page), "item_id": item_id, "task": "hoax", "value": "1"} if form == "label" \
        else {"csrf": csrf(page), "q": "Surat suara Pemilu di Kota Batu sudah dicoblos, sebarkan!"}
    tap = threading.Thread(target=lambda: sent.update(r=client.post(f"/{form}", data=data)))
    try:
        assert holder.stdout.readline().strip() == "held"
        tap.start()
        time.sleep(1)  # the tap is now waiting for the database
        other = TestClient(client.app)
        assert login(other).status_code == 303
        assert other.get("/review").status_code == 200
        assert tap.is_alive(), "the other member's page waited for the write to give up"
    finally:
        holder.kill()
        holder.wait()
        tap.join()
    assert sent["r"].status_code == 200
    con = duckdb.connect(str(desk_db), read_only=True)
    table = "labels" if form == "label" else "checks"
    assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
    con.close()


def test_a_label_tap_waiting_for_the_ingest_does_not_freeze_the_desk_on_one_event_loop(client, desk_db,
                                                                                       monkeypatch):
    # Under uvicorn one event loop serves every member. A label tap during the hourly ingest
    # waited for the database lock on that loop (time.sleep in an async route), so every other
    # member's page hung until the tap gave up. (Each TestClient otherwise runs its own loop.)
    import anyio.from_thread

    login(client)
    page = client.get("/review").text
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    monkeypatch.setattr("saring.desk.app.WRITE_WAIT", 20)
    holder = _hold(desk_db)
    sent = {}
    data = {"csrf": csrf(page), "item_id": item_id, "task": "hoax", "value": "1"}
    with anyio.from_thread.start_blocking_portal() as loop:
        other = TestClient(client.app)
        client.portal = other.portal = loop  # one event loop for both members, as under uvicorn
        tap = threading.Thread(target=lambda: sent.update(r=client.post("/label", data=data)))
        try:
            assert holder.stdout.readline().strip() == "held"
            tap.start()
            time.sleep(1)  # the tap is now waiting for the database
            assert login(other).status_code == 303
            assert other.get("/review").status_code == 200
            assert tap.is_alive(), "the other member's page waited for the write to give up"
        finally:
            holder.kill()
            holder.wait()
            tap.join()
        client.portal = other.portal = None
    assert sent["r"].status_code == 200
    con = duckdb.connect(str(desk_db), read_only=True)
    assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 1
    con.close()


def _import_demo_chat(desk_db, sample_site, tmp_path, monkeypatch) -> None:
    """The demo's WhatsApp chat imported into the desk's database, as `saring tipline import` does."""
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.pipeline.demo import demo_chat

    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    assert CliRunner().invoke(app, ["tipline", "import", str(chat), "--db", str(desk_db)]).exit_code == 0


def test_review_queue_shows_the_pages_a_forwarded_message_links_to(client, desk_db, sample_site, tmp_path,
                                                                   monkeypatch):
    """A forward that says only "mohon dicek <link>" is judged by the page it points at: the queue
    shows that page with its own risk, as the digest does."""
    _import_demo_chat(desk_db, sample_site, tmp_path, monkeypatch)
    login(client)
    queue = client.get("/review").text
    card = re.search(r'<div class="card item" id="q-[^"]+">((?:(?!<div class="card item").)*?'
                     r'kpu-kota-batu-bentuk-bakohumas(?:(?!<div class="card item").)*)', queue, re.S)
    assert card, "the forward is not in the queue"
    assert "Isi tautannya" in card.group(1) and "KPU Kota Batu Bentuk Bakohumas" in card.group(1)


def test_the_desk_s_digest_page_shows_the_messages_forwarded_to_the_group_and_counts_the_risky_ones(
        client, desk_db, sample_site, tmp_path, monkeypatch):
    # After the demo chat was imported, the digest sent to the group opened with "2 pesan di grup
    # berisiko hoaks tinggi" and listed them; the desk's Ringkasan of the same day said only
    # "0 berisiko hoaks tinggi" and showed no forwarded message at all: an all-clear.
    _import_demo_chat(desk_db, sample_site, tmp_path, monkeypatch)
    login(client)
    page = client.get("/").text
    assert "Beredar di grup" in page
    assert "Surat suara Pemilu 2024 di Kota Batu katanya sudah dicoblos" in page
    assert re.search(r"<strong>2</strong>\s*pesan di grup berisiko hoaks tinggi", page), page
    # its link's page, with its own risk, as in the digest and the label queue
    assert "Isi tautannya" in page and "KPU Kota Batu Bentuk Bakohumas" in page


def test_the_desk_never_links_a_forwarded_message_to_its_never_fetched_address(client, desk_db, sample_site,
                                                                             tmp_path, monkeypatch):
    # The desk's titles of forwarded messages opened https://tipline.saring.invalid/... (the key a
    # chat message is stored under, not a page): a member tapping one got "site cannot be reached".
    _import_demo_chat(desk_db, sample_site, tmp_path, monkeypatch)
    login(client)
    for path in ("/", "/review"):
        page = client.get(path).text
        assert "Sebarkan ke semua grup" in page and "tipline.saring.invalid" not in page, path
    for card in set(re.findall(r'href="(/card/item/[^"]+)"', client.get("/").text)):  # its "sumber" link
        assert "tipline.saring.invalid" not in client.get(card).text, card


def test_review_queue_leaves_out_forwarded_messages_whose_text_was_purged(client, desk_db, sample_site,
                                                                          tmp_path, monkeypatch):
    # Retention purged a chat's text after 30 days: the queue still asked the forum to label
    # "(pesan dihapus: masa simpan habis)", a card with nothing left to judge.
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.collect.retention import PURGED_TITLE
    from saring.pipeline.demo import demo_chat

    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    cli = CliRunner()
    assert cli.invoke(app, ["tipline", "import", str(chat), "--db", str(desk_db)]).exit_code == 0
    r = cli.invoke(app, ["tipline", "purge", "--older-than-days", "0", "--db", str(desk_db)])
    assert r.exit_code == 0, r.output
    con = duckdb.connect(str(desk_db), read_only=True)
    purged = {i for (i,) in con.execute(
        "SELECT item_id FROM item_overview WHERE source_id = 'tipline' AND text IS NULL").fetchall()}
    con.close()
    assert purged
    login(client)
    queue = client.get("/review").text
    assert PURGED_TITLE not in queue and not purged & set(re.findall(r'id="q-([^"]+)"', queue))


def test_review_queue_badges_use_the_forums_risk_bands(desk_db, scorer):
    # A forum that set settings.digest.high/medium saw "rendah" in the label queue for an item the
    # digest page called "tinggi": the queue used the default 0.7/0.4.
    from saring.config import DigestSettings
    from saring.report.digest import risk_label

    bands = DigestSettings(high=0.3, medium=0.2)
    client = TestClient(create_app(desk_db, settings=bands, scorer=scorer, secret_key="test-key"))
    login(client)
    queue = client.get("/review").text
    shown = dict(re.findall(r'id="q-([^"]+)">\s*<div><span class="badge ([a-z]+)">', queue))
    con = duckdb.connect(str(desk_db), read_only=True)
    scores = dict(con.execute("SELECT item_id, hoax_score FROM item_overview").fetchall())
    con.close()
    expected = {item_id: risk_label(scores[item_id], bands) for item_id in shown}
    assert "tinggi" in expected.values()  # the sample has an item over this forum's "high"
    assert shown == expected


def test_a_day_outside_the_calendar_shows_todays_digest(client):
    # A member edits the link (or a phone's date picker sends its bounds): a day whose window
    # or source-health period runs off the calendar gave a bare 500.
    login(client)
    today = client.get("/")
    assert today.status_code == 200
    for day in ("9999-12-31", "0001-01-01", "2026-13-01", "kemarin"):
        r = client.get(f"/?day={day}")
        assert r.status_code == 200, day
        assert r.text == today.text, day


def test_a_week_outside_the_calendar_is_refused_with_a_message(client):
    # The same for the trends page: the week after 9999-W52 does not exist.
    login(client)
    for week in ("9999-W52", "0001-W01"):
        r = client.get(f"/tren?week={week}")
        assert r.status_code == 200, week
        assert client.get(f"/tren/grafik/{week}/harian").status_code == 404, week


def test_a_week_the_trends_page_cannot_read_is_explained_in_indonesian(client):
    # A member edits the Tren page's link: the page said why in the CLI's English, naming its
    # option ("--week 'bukan' is not a week like 2026-W47"); the CLI keeps that wording.
    login(client)
    for week, said in (("bukan", "“bukan” bukan minggu yang dikenali"),
                       ("2026-11-22", "“2026-11-22” bukan minggu yang dikenali"),
                       ("0001-W01", "tahunnya harus antara 1970 dan 9998"),
                       ("2026-W60", "Tahun 2026 hanya punya 53 minggu")):
        r = client.get("/tren", params={"week": week})
        assert r.status_code == 200, week
        problem = re.search(r'<div class="error">([^<]*)</div>', r.text).group(1)
        assert said in html.unescape(problem), (week, problem)
        assert "2026-W47" in problem and "minggu lalu" in problem, problem
        assert "--week" not in r.text and "week like" not in r.text and "year must" not in r.text


def test_the_desk_before_the_first_ingest_says_so_in_indonesian_without_server_paths(tmp_path, caplog):
    missing = tmp_path / "belum-ada" / "saring.duckdb"
    client = TestClient(create_app(missing, secret_key="test-key"))
    r = login(client)
    assert r.status_code == 503
    assert "pengambilan berita pertama belum berjalan" in r.text and str(tmp_path) not in r.text
    assert str(missing) in caplog.text  # the maintainer's reason is in the log


def test_an_unreadable_analysts_copy_says_to_try_again_not_that_no_news_was_fetched(desk_db, scorer, caplog):
    # The maintainer moved the data folder to a bigger disk: the analysts' copy names files that
    # are no longer there. The page told members "pengambilan berita pertama belum berjalan" for a
    # forum with weeks of news; the real reason was only in the log.
    import shutil

    moved = desk_db.parent / "disk-baru"
    moved.mkdir()
    for path in desk_db.parent.glob(desk_db.stem + "*"):
        shutil.move(path, moved / path.name)
    client = TestClient(create_app(moved / desk_db.name, scorer=scorer, secret_key="test-key"))
    login(client)
    r = client.get("/")
    assert r.status_code == 503
    assert "pengambilan berita pertama" not in r.text, r.text
    assert "beberapa menit" in r.text and "pengelola saring" in r.text, r.text
    assert str(desk_db.parent) not in r.text and "Traceback" not in r.text
    assert "moved or copied" in caplog.text  # the maintainer's reason is in the log


def test_a_day_still_to_come_shows_todays_digest_not_an_empty_one(client):
    # A member taps a date picker one day too far (or edits the link): the page of a day to come
    # said "0 berita pemilu ... 0 berisiko hoaks tinggi", which reads as an all-clear.
    from datetime import timedelta

    from saring.localtime import today

    login(client)
    for ahead in (1, 30, 365):
        r = client.get(f"/?day={(today() + timedelta(days=ahead)).isoformat()}")
        assert r.status_code == 200 and "day=" not in str(r.url), ahead  # sent to today's page
        assert r.text == client.get("/").text, ahead


def test_a_makassar_forums_desk_shows_its_own_day_with_times_in_wita(tmp_path):
    # A Makassar forum's desk (schedule.timezone: WITA) showed what saring saw at 00:30 on its
    # 25 November under the 24th, stamped "23.30 WIB".
    from _db import makassar_db

    db, seen = makassar_db(tmp_path)
    add_user(db, "rina", PASSWORD)
    client = TestClient(create_app(db, secret_key="test-key", timezone="Asia/Makassar"))
    login(client)
    day = client.get("/?day=2026-11-25").text
    assert "Rapat pleno KPU" in day and "Rabu, 25 November 2026, 00.30 WITA" in day and "WIB" not in day
    assert "Rapat pleno KPU" not in client.get("/?day=2026-11-24").text


def _hold(db) -> subprocess.Popen:
    """Another process holding the database as the hourly ingest does (prints 'held' once it has it)."""
    return subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "c.execute('CREATE TABLE ingest_writing AS SELECT 1 AS a'); "
         "print('held', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)


def test_items_labelled_on_the_desk_stay_out_of_the_queue_while_an_ingest_holds_the_database(client,
                                                                                                 desk_db):
    # A member labels the riskiest items, then the hourly ingest starts: the desk read the
    # analysts' copy (published before her labels) and put them back into her queue as unlabelled,
    # so she (or a colleague) labelled them again.
    login(client)
    page = client.get("/review").text
    first = re.findall(r'name="item_id" value="([^"]+)"', page)[0]
    for task, value in [("hoax", "1"), ("election", "1")]:
        r = client.post("/label", data={"csrf": csrf(page), "item_id": first, "task": task, "value": value},
                        follow_redirects=False)
        assert r.status_code == 303
    second = re.findall(r'id="q-([^"]+)"', client.get("/review").text)[0]
    for task, value in [("hoax", "unsure"), ("election", "0")]:
        r = client.post("/label", data={"csrf": csrf(page), "item_id": second, "task": task, "value": value},
                        follow_redirects=False)
        assert r.status_code == 303
    before = client.get("/review").text
    assert f'id="q-{first}"' not in before and f'id="q-{second}"' not in before
    holder = _hold(desk_db)
    try:
        assert holder.stdout.readline().strip() == "held"
        during = client.get("/review")
        assert during.status_code == 200
        shown = re.findall(r'id="q-([^"]+)"', during.text)
        assert first not in shown and second not in shown
    finally:
        holder.kill()
        holder.wait()


def test_the_retry_button_of_an_error_page_never_leads_off_the_desk(tmp_path):
    # "Coba lagi" linked to whatever the Referer said: a page elsewhere that sent a member to the
    # desk while it could not answer made the desk's own button lead back to that page (a fake
    # login, say). Only the desk's own pages are linked; anything else links to "/".
    client = TestClient(create_app(tmp_path / "belum-ada" / "saring.duckdb", secret_key="test-key"))
    token = csrf(client.get("/login").text)

    def retry_link(referer: str) -> str:
        r = client.post("/login", data={"csrf": token, "name": "rina", "password": PASSWORD, "next": "/"},
                        headers={"referer": referer})
        assert r.status_code == 503
        return re.search(r'<a class="button primary" href="([^"]*)">Coba lagi</a>', r.text).group(1)

    assert retry_link("https://evil.example/login") == "/"
    assert retry_link("http://testserver//evil.example/login") == "/"  # the desk's host, another site's path
    assert retry_link("http://testserver/login?next=/review") == "/login?next=/review"


QUEUE_AS_SPECIFIED = """
    SELECT item_id, title, coalesce(source_name, source_id), coalesce(published_at, first_seen_at),
           url, left(regexp_replace(coalesce(text, ''), '\\s+', ' ', 'g'), 880), election_score,
           hoax_score, hoax_terms, election_terms, source_id
    FROM item_overview o WHERE hoax_score IS NOT NULL AND election_score >= ?
         AND NOT (o.source_id = 'tipline' AND o.text IS NULL)
    ORDER BY hoax_score DESC, item_id LIMIT 300"""


def test_review_queue_candidates_are_the_riskiest_scored_items_with_their_cleaned_excerpts(
        desk_db, sample_site, tmp_path, monkeypatch):
    # The queue's query was rewritten for a year of news (it cleaned every candidate's text): on
    # the demo's news and forwards, before and after retention purges them, it must pick the same
    # items in the same order with the same excerpts as the plain query over item_overview.
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.collect.scrub import GENERIC
    from saring.config import DigestSettings
    from saring.desk.app import _candidates
    from saring.pipeline.demo import demo_chat
    from saring.report.digest import excerpt
    from saring.storage.database import connect_snapshot

    monkeypatch.setenv("SARING_TIPLINE_SECRET", "uji-rahasia-lokal-0123456789")
    chat = demo_chat(sample_site.base_url, tmp_path / "chat.txt")
    cli = CliRunner()
    assert cli.invoke(app, ["tipline", "import", str(chat), "--db", str(desk_db)]).exit_code == 0

    def expected(con, threshold):
        out = []
        for r in con.execute(QUEUE_AS_SPECIFIED, [threshold]).fetchall():
            if r[10] == "tipline":
                r = (r[0], GENERIC.text(r[1]), r[2], r[3], GENERIC.url(r[4])[0] or "#", GENERIC.text(r[5]),
                     r[6], r[7], [GENERIC.text(t) for t in r[8] or []], *r[9:])
            out.append((*r[:5], excerpt(r[5], 220), *r[6:]))
        return out

    for purge in (False, True):
        if purge:
            r = cli.invoke(app, ["tipline", "purge", "--older-than-days", "0", "--db", str(desk_db)])
            assert r.exit_code == 0, r.output
        con = connect_snapshot(desk_db)
        try:
            tipline = {i for (i,) in con.execute(
                "SELECT item_id FROM item_overview WHERE source_id = 'tipline' AND hoax_score IS NOT NULL"
            ).fetchall()}
            assert tipline  # forwards are among the candidates (or were, before the purge)
            for threshold in (0.0, 0.3, 0.5, 0.9):
                got = _candidates(con, threshold, DigestSettings())
                assert [r[:11] for r in got] == expected(con, threshold), (purge, threshold)
            everything = [r[0] for r in _candidates(con, 0.0, DigestSettings())]
            assert bool(tipline & set(everything)) is not purge
            assert len(everything) > 10
        finally:
            con.close()


def test_the_review_queue_goes_on_past_the_riskiest_items_once_they_are_labelled(desk_db, scorer,
                                                                                  monkeypatch):
    # The queue took the riskiest candidates of all time first and dropped labelled ones after:
    # once the forum had labelled those (300 in use), /review stayed empty though unlabelled
    # items were left. Here the window is 2 items wide.
    from saring.judge.labels import add_label
    from saring.storage.database import Store

    monkeypatch.setattr("saring.desk.app.QUEUE_CANDIDATES", 2)
    client = TestClient(create_app(desk_db, scorer=scorer, secret_key="test-key"))
    login(client)
    first = re.findall(r'id="q-([^"]+)"', client.get("/review").text)
    assert len(first) == 2
    with Store(desk_db) as store:  # labelled (by anyone: the forum's labels count once)
        for item_id in first:
            for task in ("hoax", "election"):
                add_label(store.con, item_id, task, 0, "sari")
        store.publish_snapshot()
    again = TestClient(create_app(desk_db, scorer=scorer, secret_key="test-key"))
    login(again)
    shown = re.findall(r'id="q-([^"]+)"', again.get("/review").text)
    assert shown and not set(shown) & set(first), shown


def test_a_check_s_card_states_a_verdict_the_fact_checker_added_after_the_check(client, desk_db):
    # A member checked Kompas' text on the Facebook-block rumour while the fact-check was still
    # published without its verdict in the title; the fact-checker added "[HOAKS]" the next day.
    # The check's card kept the fact-checks saved with the check and still said "belum ada
    # klarifikasi resmi", while an item's card on the same claim said HOAKS.
    from saring.judge.factcheck import upsert_factchecks
    from saring.storage.database import Store

    with Store(desk_db) as store:
        (fid, source, url, title, text, at), = store.con.execute(
            "SELECT factcheck_id, source_id, url, title, text, published_at FROM factchecks "
            "WHERE title LIKE '%Facebook%'").fetchall()
        kompas = store.con.execute(
            "SELECT title || '\n' || text FROM item_overview WHERE title = "
            "'Viral Kabar Facebook Bakal Diblokir 24 April Hoaks atau Fakta'").fetchall()[0]
        fact_check = dict(factcheck_id=fid, source_id=source, url=url, text=text, published_at=at)
        upsert_factchecks(store.con, [{**fact_check, "title": title.removeprefix("[HOAKS] ")}])
        store.publish_snapshot()
    login(client)
    page = client.get("/check").text
    r = client.post("/check", data={"csrf": csrf(page), "q": kompas})
    card_path = re.search(r'src="(/card/check/[0-9a-f]+)\.png"', r.text).group(1)
    before = client.get(card_path).text
    assert "belum ada klarifikasi resmi" in before.lower() and "HOAKS" not in before

    with Store(desk_db) as store:  # the next run reads the title with its verdict
        upsert_factchecks(store.con, [{**fact_check, "title": title}])
        store.publish_snapshot()
    after = client.get(card_path).text
    assert "Hasil cek fakta: *[HOAKS] Facebook akan ditutup" in after
    assert "belum ada klarifikasi resmi" not in after.lower()
    assert "/cekfakta/facebook-akan-ditutup" in after


def test_the_health_page_shows_the_imported_chat_as_imported_not_as_an_unread_disabled_source(
        client, desk_db, sample_site, tmp_path, monkeypatch):
    # After the demo chat's import the health page listed "Grup WhatsApp (tipline)" as "nonaktif"
    # and "belum dibaca" with "Terakhir berhasil -", although its messages were in the digest: a
    # maintainer read that the group's messages never reached saring.
    _import_demo_chat(desk_db, sample_site, tmp_path, monkeypatch)
    login(client)
    page = client.get("/health").text
    box = re.search(r'<div class="card">\s*<strong>Grup WhatsApp \(tipline\)</strong>(.*?)</div>', page, re.S)
    assert box, page
    assert "nonaktif" not in box.group(1) and "belum dibaca" not in box.group(1), box.group(1)
    assert re.search(r"Terakhir diimpor</dt><dd>[^<]*\d{4}", box.group(1)), box.group(1)


def test_the_desk_s_page_of_a_day_saring_did_not_run_says_so_not_that_there_was_no_news(
        sample_config, db_path, scorer):
    # `saring serve` was down all day while the desk stayed up: the day's page said "Belum ada berita
    # pemilu untuk tanggal ini" and listed every source as "tidak ada berita baru": a quiet day.
    from datetime import datetime, time, timedelta

    from saring import clock
    from saring.localtime import WIB
    from saring.pipeline.ingest import run_ingest
    from saring.report.digest import tanggal
    from saring.storage.database import Store

    today = clock.now().astimezone(WIB).date()
    with Store(db_path) as store:
        for day, hour in ((3, 10), (1, 10), (1, 22)):
            with clock.frozen(datetime.combine(today - timedelta(days=day), time(hour), tzinfo=WIB)):
                run_ingest(sample_config, store, scorer=scorer)
    add_user(db_path, "rina", PASSWORD)  # publishes the snapshot
    client = TestClient(create_app(db_path, scorer=scorer, secret_key="test-key"))
    login(client)
    page = client.get(f"/?day={(today - timedelta(days=2)).isoformat()}").text
    assert f"Saring tidak berjalan pada {tanggal(today - timedelta(days=2))}" in page
    assert f"Pembacaan terakhir: {tanggal(today - timedelta(days=3))}, 10.00 WIB" in page
    assert "Belum ada berita pemilu untuk tanggal ini" not in page and "tidak ada berita baru" not in page
    ran = client.get(f"/?day={(today - timedelta(days=1)).isoformat()}").text
    assert "Saring tidak berjalan" not in ran and "run-warning" not in ran


def test_the_desk_s_page_of_a_day_no_source_could_be_read_says_so(db_path, httpserver):
    # Every feed down (the city's internet cut): the digest sent to the group warned "Semua sumber
    # gagal dibaca", the desk's page of the same day said only "Belum ada berita pemilu".
    from saring.config import parse_config
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    httpserver.expect_request("/feed").respond_with_data("down", status=503)
    raw = {"sources": [{"id": "kompas", "name": "Kompas", "url": httpserver.url_for("/feed"),
                        "options": {"allow_private": True}}],
           "settings": {"fetch": {"retries": 0}}}
    with Store(db_path) as store:
        run_ingest(parse_config(raw), store, scorer=None)
    add_user(db_path, "rina", PASSWORD)
    client = TestClient(create_app(db_path, secret_key="test-key"))
    login(client)
    page = client.get("/").text
    assert "Semua sumber gagal dibaca" in page and "bukan berarti tidak ada" in page
    assert "Belum ada berita pemilu untuk tanggal ini" not in page


def test_review_queue_excerpts_end_between_words_with_an_ellipsis(client, desk_db):
    # The label queue cut each article at 220 characters, mid-word and with no "…" ("...Ketua KPU
    # Kota Ba"): a member could not tell the text went on, nor read its last word.
    import html

    login(client)
    queue = client.get("/review").text
    excerpts = [html.unescape(e) for e in re.findall(r'id="q-[^"]+">.*?<p>(.*?)</p>', queue, re.S)]
    con = duckdb.connect(str(desk_db), read_only=True)
    texts = [" ".join(t.split()) for (t,) in con.execute(
        "SELECT text FROM item_overview WHERE text IS NOT NULL").fetchall()]
    con.close()
    cut = [e for e in excerpts if len(e) >= 200]
    assert cut, excerpts  # the sample's articles are longer than an excerpt
    for e in cut:
        assert e.endswith("…") and len(e) <= 221, e
        head = e[:-1]
        assert any(t.startswith(head) and t[len(head):][:1] in (" ", ",", ";", ":", ".") for t in texts), e


def test_the_desk_gives_an_items_reasons_as_the_digest_does(client, desk_db, sample_site, tmp_path,
                                                            monkeypatch):
    # The desk labelled every reason "Kata penanda:", which read "Kata penanda: ajakan menyebarkan:
    # '...', kata penanda: 'katanya'"; the digest the forum gets says "Alasan:".
    import html

    _import_demo_chat(desk_db, sample_site, tmp_path, monkeypatch)
    login(client)
    for path in ("/", "/review"):
        page = html.unescape(client.get(path).text)
        assert "Kata penanda:" not in page, path
        assert "Alasan: " in page and "Alasan (kata yang menonjol): " in page, path  # a forward; news
        forwarded = re.findall(r"Alasan: ([^<]*)<", page)
        assert any("; " in reasons or "kata penanda: '" in reasons for reasons in forwarded), forwarded


def test_the_health_page_says_when_saring_last_read_and_warns_once_it_stopped(sample_config, db_path, scorer):
    # `saring serve` died at 09:00 while the desk stayed up: at 15:00 the health page showed every
    # source with a green "ok" badge and nothing said that none had been read for six hours.
    from datetime import datetime

    from saring import clock
    from saring.localtime import WIB
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    with Store(db_path) as store:
        for hour in (6, 7, 8, 9):
            with clock.frozen(datetime(2026, 11, 25, hour, tzinfo=WIB)):
                run_ingest(sample_config, store, scorer=scorer)
    add_user(db_path, "rina", PASSWORD)  # publishes the snapshot
    client = TestClient(create_app(db_path, scorer=scorer, secret_key="test-key"))
    with clock.frozen(datetime(2026, 11, 25, 9, 30, tzinfo=WIB)):
        login(client)
        page = client.get("/health").text
    assert "Pembacaan terakhir: Rabu, 25 November 2026, 09.00 WIB" in page
    assert "berhenti membaca" not in page  # the runs are on time
    with clock.frozen(datetime(2026, 11, 25, 15, tzinfo=WIB)):
        page = client.get("/health").text
    assert "Pembacaan terakhir: Rabu, 25 November 2026, 09.00 WIB (6 jam lalu)" in page
    assert "Saring berhenti membaca sumber" in page


def test_the_desk_check_of_a_reply_with_no_claim_says_so_not_a_low_hoax_risk(client):
    # A member pasted the sample chat's "Siap, terima kasih @Budi Santoso" into the check box: the
    # page said "Risiko hoaks: rendah 0%" and its card "Mohon jangan diteruskan dulu".
    from pathlib import Path

    chat = (Path(__file__).resolve().parent.parent / "sample" / "tipline" / "demo-chat.txt").read_text(
        encoding="utf-8")
    reply = next(line.split(": ", 1)[1] for line in chat.splitlines() if ": Siap, terima kasih" in line)
    login(client)
    r = client.post("/check", data={"csrf": csrf(client.get("/check").text), "q": reply})
    assert r.status_code == 200, r.text[-3000:]
    risk = re.search(r"<dt>Risiko hoaks</dt><dd>(.*?)</dd>", r.text, re.S).group(1)
    assert "tidak memuat klaim" in risk and "badge" not in risk and "0%" not in risk, risk
    assert "jangan diteruskan" not in r.text


def test_the_desk_shows_a_risk_just_under_tinggi_inside_its_band(desk_db, client):
    # A fact-check match of similarity 0.298 floors an item at 0.6962, just under "tinggi" (0.7):
    # the label queue's badge read "sedang" beside "hoaks 70%", as the digest did.
    from saring.judge.classifier.evidence import record_evidence
    from saring.storage.database import Store

    with Store(desk_db) as store:
        (item_id,) = store.con.execute(
            "SELECT item_id FROM item_overview WHERE title = 'KPU Kota Batu Bentuk Bakohumas'").fetchone()
        (fact_id,) = store.con.execute(
            "SELECT factcheck_id FROM factchecks WHERE verdict = 'HOAKS' ORDER BY 1 LIMIT 1").fetchone()
        store.con.execute("INSERT INTO factcheck_matches VALUES (?, ?, 0.298, now())", [item_id, fact_id])
        record_evidence(store.con, [item_id], 0.7, 0.4)
        store.publish_snapshot()
    login(client)
    queue = client.get("/review").text
    badge = re.search(rf'id="q-{item_id}">\s*<div><span class="badge ([a-z]+)">hoaks ([0-9]+%)', queue)
    assert badge and badge.groups() == ("sedang", "69%"), badge and badge.groups()


def test_a_check_on_a_desk_whose_models_are_missing_keeps_the_pasted_text_and_says_why(desk_db, tmp_path,
                                                                                        monkeypatch):
    # The classifiers folder was lost in an update while `saring web` kept running: a member's
    # check answered "Data saring belum bisa dibaca (misalnya pengambilan berita pertama belum
    # berjalan)", which is not the reason, on a page without the message she had pasted.
    monkeypatch.setenv("SARING_MODELS", str(tmp_path / "tidak-ada"))
    client = TestClient(create_app(desk_db, secret_key="test-key"))  # no scorer given: the desk loads it
    login(client)
    pasted = "Beredar kabar KPU Kota Batu memindahkan TPS 7 tanpa pemberitahuan"
    r = client.post("/check", data={"csrf": csrf(client.get("/check").text), "q": pasted})
    assert r.status_code == 503, r.text[-2000:]
    assert pasted in r.text  # still in the check box, to send again
    assert "Model penilai saring belum bisa dimuat" in r.text and "pengambilan berita pertama" not in r.text
    assert "tidak-ada" not in r.text and "missing" not in r.text  # the reason and path go to the log
    con = duckdb.connect(str(desk_db), read_only=True)
    assert con.execute("SELECT count(*) FROM checks").fetchone() == (0,)
    con.close()
