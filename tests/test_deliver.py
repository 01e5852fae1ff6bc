"""Delivery with real parts: an aiosmtpd SMTP server, a local HTTP webhook, a refused port."""

from __future__ import annotations

import email
import json
import logging
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from email import policy

import duckdb
import httpx
import pytest
import yaml
from _net import smtp_server
from typer.testing import CliRunner

from saring.cli.main import app
from saring.config import DeliveryChannel, DeliverySettings, DigestSettings, parse_config
from saring.report.archive import ArchiveServer, whatsapp_file_text, write_archive
from saring.report.deliver import deliver, free_port, supports_attachments
from saring.report.digest import (
    Digest,
    DigestItem,
    chat_length,
    excerpt,
    render,
    split_messages,
    today_wib,
)
from saring.storage.database import Store

DAY = date(2026, 11, 25)


def item(n: int, risk: str = "tinggi", **kw) -> DigestItem:
    base = dict(
        item_id=f"i{n}",
        title=f"Judul berita nomor {n} tentang KPU",
        source_name=f"Media {n % 3}",
        region=f"Kota {n % 4}",
        url=f"https://media.example/berita/{n}",
        published_at=datetime(2026, 11, 25, 1, n % 60, tzinfo=UTC),
        excerpt="Cuplikan dua baris tentang pemilu, KPU dan Bawaslu. " * 4,
        election_score=0.9,
        hoax_score={"tinggi": 0.9, "sedang": 0.5, "rendah": 0.1}[risk],
        risk=risk,
        election_terms=["kpu", "pemilu"],
        hoax_terms=["viral", "beredar"],
        text_source="trafilatura",
    )
    return DigestItem(**{**base, **kw})


def digest_of(items: list[DigestItem], day: date = DAY) -> Digest:
    return Digest(
        day=day,
        generated_at=datetime(2026, 11, 25, 23, tzinfo=UTC),
        items_seen=len(items) * 2,
        unscored=0,
        election_items=items,
        omitted=0,
        model_versions=["m1"],
    )


def test_whatsapp_split_at_item_boundaries():
    items = [item(n, "tinggi" if n < 25 else "sedang") for n in range(80)]
    d = digest_of(items)
    messages = split_messages(d, "whatsapp", 1500)
    assert len(messages) > 5
    assert all(chat_length(m) <= 1500 for m in messages)
    joined = "".join(messages)
    for it in items:  # every item exactly once, its title and its link in the same message
        assert joined.count(it.url + "\n") == 1
        holder = [m for m in messages if it.url + "\n" in m]
        assert len(holder) == 1 and it.title in holder[0]
    assert messages[0].startswith("*RINGKASAN HARIAN SARING*")
    assert f"(bagian 2/{len(messages)})" in messages[1]
    assert "bersambung" in messages[0] and "bersambung" not in messages[-1]
    assert "Saring sebelum Sharing" in messages[-1]
    assert "\x1e" not in joined
    assert "pesan 2 dari" in whatsapp_file_text(messages)
    assert len(split_messages(digest_of(items[:2]), "whatsapp", 4000)) == 1


def test_an_item_too_long_for_one_short_message_keeps_its_link_and_risk():
    # A gateway with short messages (message_chars 500) and a feed title near its 500-character
    # cap: the title line alone is over the budget. It is shortened; the lines under it stay.
    long = item(1, title="Kabar KPU dan Bawaslu Kota Batu " * 14)
    messages = split_messages(digest_of([long, item(2)]), "whatsapp", 500)
    assert all(chat_length(m) <= 500 for m in messages)
    joined = "".join(messages)
    for it in (long, item(2)):
        assert it.url in joined
    assert joined.count("Risiko hoaks: *tinggi* (90%)") == 2
    assert "Alasan (kata yang menonjol): viral, beredar" in joined



@pytest.mark.parametrize("title, url", [
    # A news aggregator's article link (several hundred characters) under a normal title.
    ("Judul berita nomor 1 tentang KPU", "https://news.example/rss/articles/" + "CBMiZWh0dHBzOi8vd3d3" * 20),
    # A title near the feed cap over a link that alone fits: together they do not.
    ("Kabar KPU dan Bawaslu Kota Batu soal daftar pemilih " * 6, "https://media.example/berita/" + "x" * 120),
])
def test_a_link_in_a_short_message_is_never_cut_and_stays_with_its_title(title, url):
    # A gateway with short messages (message_chars 500): a cut link opens nothing in the group,
    # and a link in the next message no longer says which item it belongs to.
    long = item(1, title=title, url=url)
    messages = split_messages(digest_of([long, item(2)]), "whatsapp", 500)
    holder = [m for m in messages if url + "\n" in m]
    assert len(holder) == 1 and "*1. " + title[:40] in holder[0]
    assert all(chat_length(m) <= 500 for m in messages if m not in holder)
    assert {u for m in messages for u in re.findall(r"https?://\S+", m)} == {url, item(2).url}



@pytest.mark.parametrize("fmt", ["whatsapp", "markdown"])
def test_forwarded_messages_in_short_messages_go_to_the_next_message_whole(fmt):
    # Six chain messages forwarded to the group, a gateway with message_chars 600: each message's
    # text and risk is shown whole, the ones that do not fit going to the next chat message.
    text = "Surat suara Pemilu 2024 di Kota Batu katanya sudah dicoblos sebelum hari H."  # the demo chat's
    tips = [item(20 + k, "sedang", kind="tipline", url=f"https://tipline.saring.invalid/m/{k}",
                 excerpt=f"{k + 1}. {text}") for k in range(6)]
    messages = split_messages(replace(digest_of([item(1)]), tipline=tips), fmt, 600)
    assert all(chat_length(m) <= 600 for m in messages)
    for tip in tips:
        assert sum(tip.excerpt in m for m in messages) == 1


@pytest.mark.parametrize("risk", ["tinggi", "sedang"])
def test_a_markdown_title_sharing_its_line_with_a_long_link_is_shortened_to_fit(risk):
    # A Markdown chat (Telegram, Slack) with short messages: "### 1. [title](url)" is one line,
    # never cut; a title near the feed cap over a long link ran the message over the limit.
    title = "Kabar KPU dan Bawaslu Kota Batu soal daftar pemilih " * 6
    url = "https://media.example/berita/" + "x" * 200
    d = digest_of([item(1, risk, title=title, url=url), item(2, risk)])
    messages = split_messages(d, "markdown", 500)
    assert all(chat_length(m) <= 500 for m in messages), [chat_length(m) for m in messages]
    line = next(ln for m in messages for ln in m.splitlines() if url in ln)
    shown = re.search(r"\[(.*)\]\(" + re.escape(url) + r"\)", line).group(1)
    assert shown.endswith("…") and title.startswith(shown[:-1]) and title[len(shown) - 1] == " "


def _headings(digest: Digest, fmt: str) -> set[str]:
    """The section and group headings of a rendered digest (not the closing health section)."""
    text = render(digest, fmt)
    if fmt == "markdown":
        return {ln for ln in text.splitlines() if ln.startswith("#") and not ln.startswith(("### 1", "# "))
                and "Kesehatan" not in ln and not re.match(r"### \d+\. \[", ln)}
    return {ln for ln in text.splitlines() if re.fullmatch(r"\*[^\d*][^*]*\*", ln)
            and ln not in ("*RINGKASAN HARIAN SARING*", "*KESEHATAN SUMBER*")}


@pytest.mark.parametrize("fmt", ["whatsapp", "markdown"])
@pytest.mark.parametrize("area", [None, "Kota 0"])
def test_a_section_heading_never_ends_a_message_without_its_first_item(fmt, area):
    # A gateway with short messages (message_chars 500-1500): "*🔴 RISIKO HOAKS TINGGI*" or a
    # region's name at the foot of one message, its items in the next, reads as an empty section.
    items = [item(n, "tinggi" if n < 3 else "sedang",
                  scope=("area" if n % 2 else "other") if area else None) for n in range(9)]
    forwarded = item(20, "sedang", kind="tipline", url="https://tipline.saring.invalid/m/20")
    d = replace(digest_of(items), tipline=[forwarded])
    if area:
        d = replace(d, forum_area=area, forum_province="Jawa Timur")
    headings = _headings(d, fmt)
    assert len(headings) >= (2 if area else 4), headings
    for limit in range(500, 1600, 20):
        messages = split_messages(d, fmt, limit)
        for m in messages[:-1]:
            body = [ln for ln in m.splitlines() if ln.strip() and "bersambung ke bagian" not in ln]
            assert body[-1] not in headings, (limit, m)


def test_whatsapp_markup_taken_out_of_a_forwarded_text_leaves_single_spaces():
    # A forward starts "*Diteruskan*" on its own line: its bold marks must not leave a gap.
    forwarded = item(1, title="*Diteruskan* INFO PENTING _dari_ grup", excerpt="*Diteruskan*\nINFO ~A1~: cek")
    chat = render(digest_of([forwarded]), "whatsapp")
    assert "*1. Diteruskan INFO PENTING dari grup*" in chat and "_Diteruskan INFO A1: cek_" in chat


LINK = "https://social.example.org/@rina_jurnalis/111234000000000001"  # the sample's Mastodon post


@pytest.mark.parametrize("written", [LINK, f"*{LINK}*", f"_{LINK}_.", f"{LINK}?s=*a*b~c"])
def test_a_link_in_a_forwarded_text_still_opens_from_the_whatsapp_digest(written):
    # "mohon dicek <link>" forwarded to the group: the link in the text is the only one shown, and
    # the markup clean-up turned its "_" into a space (".../@rina jurnalis/..."): a dead link.
    forwarded = item(9, "sedang", kind="tipline", url="https://tipline.saring.invalid/m/9",
                     excerpt=f"*Diteruskan* Ada yang kirim ini ke grup, mohon dicek {written}")
    chat = render(replace(digest_of([item(1)]), tipline=[forwarded]), "whatsapp")
    shown = {LINK: LINK, f"{LINK}?s=*a*b~c": f"{LINK}?s=%2Aa%2Ab%7Ec"}.get(written, LINK)
    assert f"• _Diteruskan Ada yang kirim ini ke grup, mohon dicek_ {shown}" in chat
    assert f"{shown}_" not in chat  # WhatsApp would take a closing "_" into the link


AGGREGATOR_LINK = "https://news.example/rss/articles/" + "CBMiZWh0dHBzOi8vd3d3" * 20  # several hundred chars
# The sample chat's forward of a news link (sample/tipline/demo-chat.txt).
SAMPLE_FORWARD = ("Ini beritanya https://malangpost.example/2023/10/12/kpu-kota-batu-bantah-surat-suara-tercoblos/"
                  " mohon dicek")


@pytest.mark.parametrize("text, limit", [
    (AGGREGATOR_LINK, DigestSettings().excerpt_chars),  # a message that is only the link
    (f"{AGGREGATOR_LINK} mohon dicek", DigestSettings().excerpt_chars),
    (SAMPLE_FORWARD, len(SAMPLE_FORWARD) - 9),  # the excerpt ends in the word after the link
    (SAMPLE_FORWARD, len(SAMPLE_FORWARD) - len(" mohon dicek")),  # the link ends exactly at the limit
])
def test_an_excerpt_cut_at_a_forwarded_link_shows_the_link_whole(text, limit):
    # A member forwards a news aggregator's link: the excerpt cut it at 220 characters, and the
    # digest showed the group a link to a page that does not exist (the message's only link).
    # Cut just after a link, the excerpt glued its "…" to it: phones take the "…" into the link.
    link = re.search(r"https://\S+", text).group(0)
    forwarded = item(9, "sedang", kind="tipline", url="https://tipline.saring.invalid/m/9",
                     excerpt=excerpt(text, limit))
    chat = render(replace(digest_of([item(1)]), tipline=[forwarded]), "whatsapp")
    assert re.findall(r"https://(?:news|malangpost)\.example\S*", chat) == [link]
    assert "_https://" not in chat  # WhatsApp would take the italics' "_" into the link
    assert (f"{link} …" in chat) == (text != link)  # the cut text is still marked


# A link a member shared in the group, as feed_tipline stores it ("tautan dari grup"): the entry is
# the fetched page (the demo chat's "mohon dicek" link to the sample's Malang Post article).
SHARED_PAGE = "http://127.0.0.1:8000/malangpost/2021/05/20/kpu-kota-batu-bentuk-bakohumas/"


@pytest.mark.parametrize("fmt", ["whatsapp", "email_text", "email", "markdown", "html"])
def test_a_link_shared_in_the_group_can_be_opened_from_every_format(fmt):
    # The WhatsApp and HTML digests linked the shared page; the e-mail (text and HTML) and the
    # Markdown showed only its opening words: a member reading the e-mail could not open it.
    shared = item(9, "rendah", kind="tipline", url=SHARED_PAGE, title="KPU Kota Batu Bentuk Bakohumas",
                  text_source="page", excerpt="BATU, Malangpost.id – Kamis siang (20/05) Komisi Pemilihan "
                                              "Umum (KPU) Kota Batu melaksanakan pertemuan…")
    message = item(10, "sedang", kind="tipline", url="https://tipline.saring.invalid/m/10")
    text = render(replace(digest_of([item(1)]), tipline=[shared, message]), fmt)
    assert SHARED_PAGE in text
    assert "tipline.saring.invalid" not in text  # a chat message's key leads nowhere


# How each format marks a risk band; the plain-text e-mail and the HTML page (a badge) mark none.
BAND = {"whatsapp": "*{}*", "markdown": "**{}**",
        "email": '<b style="color:{color};">{}</b>'}
COLORS = {"tinggi": "#dc2626", "sedang": "#b45309", "rendah": "#15803d"}


@pytest.mark.parametrize("fmt", list(BAND))
@pytest.mark.parametrize("area", [None, "Kota 0"])
def test_a_forwarded_message_s_risk_is_marked_like_a_news_item_s(fmt, area):
    # The WhatsApp digest showed a news item "Risiko hoaks: *rendah*" in bold and a chain message
    # forwarded to the group "_tinggi_" in italics: the high-risk forward was the less prominent.
    news = [item(1, "tinggi", scope="area"), item(2, "rendah", scope="other")]
    text = "Surat suara Pemilu 2024 di Kota Batu katanya sudah dicoblos sebelum hari H."  # the demo chat's
    forwards = [item(20 + k, risk, kind="tipline", url=f"https://tipline.saring.invalid/m/{k}",
                     excerpt=f"{k + 1}. {text}") for k, risk in enumerate(["tinggi", "sedang"])]
    d = replace(digest_of(news), tipline=forwards)
    if area:
        d = replace(d, forum_area=area, forum_province="Jawa Timur")
    shown = render(d, fmt)
    for it in news + forwards:
        after = shown.split(it.excerpt if it.kind else it.title)[1]
        band = re.search(r"[Rr]isiko hoaks:? (.+?) \(", after).group(1)
        assert band == BAND[fmt].format(it.risk, color=COLORS[it.risk]), (it.item_id, after[:200])


def test_formats_escape_web_text():
    evil = item(
        1, title="<img src=x onerror=alert(1)> *KPU* [klik](javascript:alert(1))", url="javascript:alert(1)"
    )
    d = digest_of([evil])
    page = render(d, "html")
    assert "<img" not in page and "&lt;img" in page and 'href="#"' in page
    assert "javascript:" not in render(d, "email").split("<body")[1].split("href=")[1][:20]
    md = render(d, "markdown")
    assert "<img" not in md and "](#)" in md and r"\*KPU\*" in md
    assert "*KPU*" not in render(d, "whatsapp")  # stray markup removed from titles
    text = render(d, "email_text")
    assert "RINGKASAN HARIAN SARING" in text and "tinggi (90%)" in text


def test_archive_index_and_server(tmp_path):
    write_archive(digest_of([item(1)], date(2026, 11, 24)), tmp_path)
    paths = write_archive(digest_of([item(2, "sedang")], DAY), tmp_path)
    assert [p.name for p in paths] == [
        "digest-2026-11-25.txt",
        "digest-2026-11-25.html",
        "digest-2026-11-25.md",
        "digest-2026-11-25.email.txt",
        "digest-2026-11-25.email.html",
    ]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert index.index("25 November 2026") < index.index("24 November 2026")
    assert 'href="digest-2026-11-24.html"' in index
    with ArchiveServer(tmp_path, port=0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        r = httpx.get(server.url)
        assert r.status_code == 200 and "Arsip Ringkasan" in r.text
        t = httpx.get(server.url + "digest-2026-11-25.txt")
        assert t.headers["content-type"] == "text/plain; charset=utf-8" and "RINGKASAN" in t.text
        assert httpx.get(server.url + "../../etc/passwd").status_code == 404


def test_retry_with_backoff_then_success(tmp_path, httpserver):
    httpserver.expect_oneshot_request("/wa", method="POST").respond_with_data("busy", status=503)
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    settings = DeliverySettings(
        channels=(DeliveryChannel(name="wa", url_env="WA"),), attempts=3, backoff=0.01
    )
    report = deliver(
        tmp_path / "db.duckdb",
        digest_of([item(1)]),
        settings,
        env={"WA": "json://" + httpserver.url_for("/wa").split("://")[1]},
    )
    assert [(r.status, r.attempts) for r in report.results] == [("sent", 2)]
    missing = deliver(
        tmp_path / "db.duckdb",
        digest_of([item(1)]),
        DeliverySettings(channels=(DeliveryChannel(name="tg", url_env="NOPE"),)),
        env={},
    )
    assert missing.all_failed and "NOPE is not set" in missing.results[0].error


@pytest.mark.parametrize("value", [
    '"slack://T1JJ3T3L2/A1BRTD4JD/rahasiaTokenXyz"',  # docker --env-file keeps the quotes
    "hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/rahasiaTokenXyz",  # pasted without https://
])
def test_a_mistyped_apprise_url_never_writes_its_token_to_the_logs(tmp_path, caplog, value):
    # apprise logs a URL it cannot parse, token included, and `saring serve` (Prefect's console
    # handler on the root logger) printed that line where anyone reading the service log saw it.
    settings = DeliverySettings(channels=(DeliveryChannel(name="slack", url_env="T_SLACK"),), attempts=1)
    with caplog.at_level(logging.INFO):
        report = deliver(tmp_path / "db.duckdb", digest_of([item(1)]), settings, env={"T_SLACK": value})
        assert supports_attachments(value) is False  # the weekly report asks this first
    assert report.all_failed and "T_SLACK does not hold a valid apprise URL" in report.results[0].error
    assert "rahasia" not in caplog.text and "rahasia" not in report.results[0].error


def _sources(tmp_path, sample_config) -> str:
    raw = {
        "sources": [s.model_dump() for s in sample_config.sources],
        "settings": {
            "delivery": {
                "attempts": 2,
                "backoff": 0,
                "channels": [
                    {"name": "email-forum", "url_env": "T_SMTP", "format": "email"},
                    {"name": "wa-gateway", "url_env": "T_HOOK", "format": "whatsapp"},
                    {"name": "mati", "url_env": "T_DEAD", "format": "markdown"},
                ],
            }
        },
    }
    parse_config(raw)
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_digest_send_cli(sample_config, tmp_path, httpserver, smtp, monkeypatch, scorer):
    from saring.pipeline.ingest import run_ingest

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        run_ingest(sample_config, store, scorer=scorer)
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    monkeypatch.setenv("T_SMTP", smtp.url)
    monkeypatch.setenv("T_HOOK", "json://" + httpserver.url_for("/wa").split("://")[1])
    monkeypatch.setenv("T_DEAD", f"json://127.0.0.1:{free_port()}/refused")  # nothing listens there
    monkeypatch.chdir(tmp_path)  # no .env here
    sources = _sources(tmp_path, sample_config)
    day = today_wib().isoformat()
    args = [
        "digest",
        "--sources",
        sources,
        "--db",
        str(db),
        "--out",
        str(tmp_path / "arsip"),
        "--date",
        day,
        "--send",
    ]
    runner = CliRunner()

    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "email-forum: sent" in first.output and "wa-gateway: sent" in first.output
    assert "mati: FAILED after 2 attempt(s)" in first.output
    # The e-mail: subject, both recipients, the digest in the body.
    assert sorted(r for e in smtp.received for r in e.rcpt_tos) == [
        "bawaslu@test.invalid",
        "kpu@test.invalid",
    ]
    msg = email.message_from_bytes(smtp.received[0].content, policy=policy.default)
    assert msg["subject"].startswith("Ringkasan Saring ") and "berita pemilu" in msg["subject"]
    assert msg["from"] == "saring@test.invalid"
    html = msg.get_body(("html",)).get_content()
    assert "Ringkasan Harian Saring" in html and "Bakohumas" in html
    assert "Bakohumas" in msg.get_body(("plain",)).get_content()
    # The webhook got the WhatsApp text as JSON.
    hooks = [json.loads(req.get_data()) for req, _ in httpserver.log]
    assert hooks and hooks[0]["message"].startswith("*RINGKASAN HARIAN SARING*")
    assert "Bakohumas" in "".join(h["message"] for h in hooks)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT channel, status, attempts, error FROM deliveries ORDER BY channel").fetchall()
    con.close()
    assert [(r[0], r[1]) for r in rows] == [
        ("email-forum", "sent"),
        ("mati", "failed"),
        ("wa-gateway", "sent"),
    ]
    assert rows[1][2] == 2 and "Connection error" in rows[1][3]

    # Again: nothing new goes out (only the failed channel is tried again).
    mails, hook_calls = len(smtp.received), len(httpserver.log)
    second = runner.invoke(app, args)
    assert second.exit_code == 0 and second.output.count("already delivered") == 2
    assert (len(smtp.received), len(httpserver.log)) == (mails, hook_calls)

    # --force sends again; only the dead channel -> every channel failed -> exit 1.
    forced = runner.invoke(app, [*args, "--force", "--channel", "wa-gateway"])
    assert forced.exit_code == 0 and len(httpserver.log) > hook_calls
    dead = runner.invoke(app, [*args, "--channel", "mati"])
    assert dead.exit_code == 1 and "1 of 1 channel(s) failed: mati" in dead.output
    assert (tmp_path / "arsip" / "index.html").exists()


def test_daily_flow_sends(prefect_harness, sample_site, tmp_path, httpserver):
    from flows.digest import digest_flow
    from saring.pipeline.demo import write_demo_sources

    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    raw = yaml.safe_load(sources.read_text(encoding="utf-8"))
    raw["settings"] = {"delivery": {"channels": [{"name": "hook", "url_env": "T_FLOW_HOOK"}]}}
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    import os

    os.environ["T_FLOW_HOOK"] = "json://" + httpserver.url_for("/wa").split("://")[1]
    Store(tmp_path / "db.duckdb").close()  # the ingest runs made it
    try:
        paths = digest_flow(
            sources=str(sources), db=str(tmp_path / "db.duckdb"), out=str(tmp_path / "out"), send=True
        )
        digest_flow(
            sources=str(sources), db=str(tmp_path / "db.duckdb"), out=str(tmp_path / "out"), send=True
        )
    finally:
        del os.environ["T_FLOW_HOOK"]
    assert paths[0].endswith(".txt") and len(httpserver.log) == 1


def _env_file_cli(tmp_path, env_bytes: bytes, monkeypatch):
    """`saring digest --send` in a folder whose .env holds the channel's URL."""
    db = tmp_path / "saring.duckdb"
    Store(db).close()
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n"
                   "settings:\n  delivery:\n    attempts: 1\n    channels:\n"
                   "      - {name: wa, url_env: T_ENV_HOOK}\n", encoding="utf-8")
    monkeypatch.delenv("T_ENV_HOOK", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_bytes(env_bytes)
    try:
        return CliRunner().invoke(app, ["digest", "--sources", str(cfg), "--db", str(db),
                                        "--out", str(tmp_path / "out"), "--send"])
    finally:
        import os

        os.environ.pop("T_ENV_HOOK", None)  # load_dotenv wrote it into this process


def test_a_dot_env_saved_by_notepad_as_unicode_is_read(tmp_path, httpserver, monkeypatch):
    # Notepad's "Unicode" is UTF-16: `saring digest --send` ended in a UnicodeDecodeError traceback.
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    url = "json://" + httpserver.url_for("/wa").split("://")[1]
    result = _env_file_cli(tmp_path, f"# kanal WA\nT_ENV_HOOK={url}\n".encode("utf-16"), monkeypatch)
    assert result.exit_code == 0 and "wa: sent" in result.output, result.output
    assert len(httpserver.log) == 1


def test_a_dot_env_not_in_utf8_is_one_clear_error(tmp_path, httpserver, monkeypatch):
    # Saved as ANSI (Windows-1252) with an é in a comment: a traceback, nothing said about the file.
    env = "# kanal WA (Café)\nT_ENV_HOOK=json://127.0.0.1:9/rahasia\n".encode("cp1252")
    result = _env_file_cli(tmp_path, env, monkeypatch)
    message = " ".join(result.output.split())
    assert result.exit_code == 2 and ".env: is not saved as UTF-8 (line 1)" in message, result.output
    assert "Traceback" not in result.output and "rahasia" not in result.output and not httpserver.log


def test_an_exported_but_empty_variable_does_not_hide_the_dot_env_value(tmp_path, monkeypatch):
    # `export T_ENV_EMPTY=` left in a shell profile: the channel said its variable "is not set"
    # although .env set it.
    from saring.report.deliver import load_env_file

    monkeypatch.setenv("T_ENV_EMPTY", "")
    monkeypatch.setenv("T_ENV_SET", "dari-lingkungan")
    env = tmp_path / ".env"
    env.write_text("T_ENV_EMPTY=json://127.0.0.1:9/wa\nT_ENV_SET=dari-berkas\n", encoding="utf-8")
    assert load_env_file(env)
    import os

    assert os.environ["T_ENV_EMPTY"] == "json://127.0.0.1:9/wa"
    assert os.environ["T_ENV_SET"] == "dari-lingkungan"  # a value already set still wins


def _project_with_env(tmp_path, url: str):
    """The forum's folder: sources.yaml with one channel, and its .env beside it holding the URL."""
    project = tmp_path / "forum"
    project.mkdir()
    sources = project / "sources.yaml"
    sources.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n"
                       "settings:\n  delivery:\n    attempts: 1\n    channels:\n"
                       "      - {name: wa, url_env: T_BESIDE_HOOK}\n", encoding="utf-8")
    (project / ".env").write_text(f"T_BESIDE_HOOK={url}\n", encoding="utf-8")
    Store(project / "saring.duckdb").close()  # the ingest runs made it
    return sources


@pytest.mark.parametrize("how", ["flow", "cli"])
def test_the_dot_env_next_to_the_sources_file_is_read_from_another_working_folder(how, prefect_harness,
                                                                                   tmp_path, httpserver,
                                                                                   monkeypatch):
    # `saring serve --sources /srv/forum/sources.yaml` started from the home folder (a systemd unit,
    # a cron @reboot): the morning digest found no .env there and every channel said its URL
    # variable "is not set", though the forum's .env sat next to sources.yaml.
    import os

    from flows.digest import digest_flow

    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    sources = _project_with_env(tmp_path, _hook(httpserver))
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no .env here
    monkeypatch.delenv("T_BESIDE_HOOK", raising=False)
    db, out = sources.parent / "saring.duckdb", tmp_path / "out"
    try:
        if how == "flow":
            digest_flow(sources=str(sources), db=str(db), out=str(out), send=True)
        else:
            result = CliRunner().invoke(app, ["digest", "--sources", str(sources), "--db", str(db),
                                              "--out", str(out), "--send"])
            assert result.exit_code == 0 and "wa: sent" in result.output, result.output
    finally:
        os.environ.pop("T_BESIDE_HOOK", None)  # load_env_file wrote it into this process
    assert len(httpserver.log) == 1


def test_the_dot_env_of_the_working_folder_and_the_environment_still_win_over_the_one_beside_sources(
        tmp_path, monkeypatch):
    # A maintainer trying a test gateway from their own folder (its .env) or shell (exported) must
    # not have the forum's real channel URL beside sources.yaml sent to instead.
    import os

    from saring.report.deliver import load_env_file

    sources = _project_with_env(tmp_path, "json://127.0.0.1:9/forum")
    (sources.parent / ".env").write_text("T_BESIDE_HOOK=json://127.0.0.1:9/forum\n"
                                         "T_BESIDE_OTHER=json://127.0.0.1:9/forum\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("T_BESIDE_HOOK=json://127.0.0.1:9/test\n", encoding="utf-8")
    monkeypatch.setenv("T_BESIDE_OTHER", "json://127.0.0.1:9/shell")
    try:
        assert load_env_file(sources=sources)
        assert os.environ["T_BESIDE_HOOK"] == "json://127.0.0.1:9/test"
        assert os.environ["T_BESIDE_OTHER"] == "json://127.0.0.1:9/shell"
    finally:
        os.environ.pop("T_BESIDE_HOOK", None)


def _hook(httpserver) -> str:
    return "json://" + httpserver.url_for("/wa").split("://")[1]


def _first_mail_held(received: list, polls: int):
    """A mail server that holds its answer to the first mail until released (``polls`` x 50 ms at
    most); returns it with the events: the first mail arrived, release it."""
    import asyncio
    import threading

    arrived, release = threading.Event(), threading.Event()

    class SlowHandler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope)
            if len(received) == 1:  # the first mail server answer is slow
                arrived.set()
                for _ in range(polls):
                    if release.is_set():
                        break
                    await asyncio.sleep(0.05)
            return "250 OK"

    return SlowHandler(), arrived, release


def _send_again_while_the_first_is_held(db, settings, handler, arrived, release, to="kpu@test.invalid",
                                        wait: float = 30):
    """The scheduled run's deliver() of the digest, held by ``handler`` until ``arrived``, and an
    admin's deliver() of the same digest meanwhile; returns (the admin's, the scheduled run's)."""
    import threading

    reports = []
    with smtp_server(handler) as server:
        env = {"T_SMTP": server.url_to(to)}
        scheduled = threading.Thread(target=lambda: reports.append(deliver(db, digest_of([item(1)]), settings,
                                                                           env=env)))
        try:
            scheduled.start()
            assert arrived.wait(wait)
            manual = deliver(db, digest_of([item(1)]), settings, env=env)
        finally:
            release.set()
            scheduled.join(2 * wait)
    return manual, reports[0]


def test_a_second_send_while_the_first_is_still_sending_does_not_send_the_digest_again(tmp_path):
    # The 06:00 scheduled run was still talking to a slow mail server when a forum admin ran
    # `saring digest --send` for the same day: both sent, and the forum got the digest twice.
    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=1)
    db = tmp_path / "db.duckdb"
    Store(db).close()
    received = []
    manual, scheduled = _send_again_while_the_first_is_held(db, settings, *_first_mail_held(received, 100))
    assert len(received) == 1
    assert [r.status for r in manual.results] == ["in progress"]
    assert "being sent by another run" in manual.lines()[0] and not manual.all_failed
    assert [r.status for r in scheduled.results] == ["sent"]
    with Store(db) as store:
        rows = store.con.execute("SELECT channel, status FROM deliveries").fetchall()
    assert rows == [("email-forum", "sent")]


def test_a_second_send_while_the_first_still_mails_a_long_address_list_does_not_take_it_for_dead(
        tmp_path, monkeypatch):
    # The forum's e-mail channel lists 20 addresses and its mail server stalled ~15 s on each: two
    # minutes in, the scheduled run was still mailing them when an admin's `saring digest --send`
    # took its claim for one left by a dead run, and the first addresses got the digest twice.
    # (One try is cut to a second here, and the server stalls for less than that per address.)
    import asyncio
    import threading

    monkeypatch.setattr("saring.report.deliver.TRY_SECONDS", 1)
    arrived, release, received = threading.Event(), threading.Event(), []

    class StallingHandler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.extend(envelope.rcpt_tos)
            if len(received) <= 3:  # together longer than one try: the send outlives a lease of one
                await asyncio.sleep(0.6)
            elif len(received) == 4:
                arrived.set()
                for _ in range(600):
                    if release.is_set():
                        break
                    await asyncio.sleep(0.05)
            return "250 OK"

    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=1, max_wait=0)
    forum = [f"anggota{n}@test.invalid" for n in range(12)]
    db = tmp_path / "db.duckdb"
    Store(db).close()
    manual, scheduled = _send_again_while_the_first_is_held(db, settings, StallingHandler(), arrived, release,
                                                            to=",".join(forum), wait=60)
    assert sorted(received) == sorted(forum)  # each address once
    assert [r.status for r in manual.results] == ["in progress"], manual.lines()
    assert [r.status for r in scheduled.results] == ["sent"]


def _sending_since_a_minute(db):
    """The send log of a run that began sending the day's digest to "wa" a minute ago; its start."""
    with Store(db) as store:
        store.con.execute("INSERT INTO deliveries (digest_date, channel, status, messages, started_at, "
                          "report_kind) VALUES (?, 'wa', 'sending', 0, now() - INTERVAL 1 MINUTE, 'daily')",
                          [DAY])
        return store.con.execute("SELECT started_at FROM deliveries").fetchone()[0]


def test_a_send_left_unfinished_by_a_killed_run_does_not_block_the_next_run_for_ever(tmp_path, httpserver):
    # The machine rebooted while the scheduled run was sending: its claim stayed in the send log.
    # Within the time a send can take, the next run waits for it; after that, it sends.
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    settings = DeliverySettings(channels=(DeliveryChannel(name="wa", url_env="WA"),), attempts=1)
    db = tmp_path / "db.duckdb"
    _sending_since_a_minute(db)
    busy = deliver(db, digest_of([item(1)]), settings, env={"WA": _hook(httpserver)}, force=True)
    assert [r.status for r in busy.results] == ["in progress"] and not httpserver.log
    with Store(db) as store:
        store.con.execute("UPDATE deliveries SET started_at = now() - INTERVAL 1 DAY")
    later = deliver(db, digest_of([item(1)]), settings, env={"WA": _hook(httpserver)})
    assert [r.status for r in later.results] == ["sent"] and len(httpserver.log) == 1
    with Store(db) as store:
        rows = store.con.execute("SELECT status, error FROM deliveries ORDER BY started_at").fetchall()
    assert rows == [("failed", "the run sending it stopped"), ("sent", None)]


def test_a_makassar_forums_send_in_progress_says_since_when_in_wita(tmp_path, httpserver):
    # A Makassar forum's admin ran `saring digest --send` while the scheduled run was still sending:
    # saring said "being sent by another run since 06:00:05 WIB" of the run begun at 07:00:05 WITA.
    from dataclasses import replace
    from zoneinfo import ZoneInfo

    settings = DeliverySettings(channels=(DeliveryChannel(name="wa", url_env="WA"),), attempts=1)
    db = tmp_path / "db.duckdb"
    started = _sending_since_a_minute(db)
    digest = replace(digest_of([item(1)]), timezone="Asia/Makassar")
    busy = deliver(db, digest, settings, env={"WA": _hook(httpserver)})
    [line] = busy.lines()
    assert f"since {started.astimezone(ZoneInfo('Asia/Makassar')):%H:%M:%S} WITA" in line, line
    assert not httpserver.log


def test_a_send_interrupted_after_two_parts_records_the_parts_that_went_out(tmp_path, httpserver):
    # The maintainer pressed Ctrl-C while the digest was going to the WhatsApp gateway in parts:
    # the send log said "0 messages", although the group already had the first two parts.
    import signal
    import threading

    from werkzeug import Response

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    arrived = []

    def gateway(request):
        arrived.append(request.get_data())
        if len(arrived) == 3:  # Ctrl-C in the terminal while the third part is on its way
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return Response('{"ok": true}', content_type="application/json")

    httpserver.expect_request("/wa", method="POST").respond_with_handler(gateway)
    settings = DeliverySettings(channels=(DeliveryChannel(name="wa", url_env="WA"),), attempts=1)
    digest = digest_of([item(n) for n in range(12)])
    assert len(split_messages(digest, "whatsapp", 500)) > 3
    db = tmp_path / "db.duckdb"
    try:
        with pytest.raises(KeyboardInterrupt):
            deliver(db, digest, settings, message_chars=500, env={"WA": _hook(httpserver)})
    finally:
        signal.signal(signal.SIGINT, previous)
    with Store(db) as store:
        rows = store.con.execute("SELECT status, attempts, messages, error FROM deliveries").fetchall()
    assert len(arrived) == 3
    [(status, attempts, messages, error)] = rows
    assert (status, attempts, messages) == ("failed", 3, 2) and "interrupted" in error, rows


class MailboxGone:
    """A mail server that refuses tidak-ada@… for good (a member's mailbox that no longer exists)
    and keeps the addresses it refused and those it delivered to."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.refused: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("tidak-ada@"):
            self.refused.append(address)
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def test_one_refused_address_gets_the_retries_and_the_others_get_the_digest_once(tmp_path):
    # A member who left the forum: the mail server refuses their address. Every retry sent the
    # whole e-mail again, and KPU and Bawaslu got the digest as many times as there were attempts.
    server_side = MailboxGone()
    received, refused = server_side.received, server_side.refused
    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=2, backoff=0)
    with smtp_server(server_side) as server:
        env = {"T_SMTP": server.url_to("kpu@test.invalid,tidak-ada@test.invalid,bawaslu@test.invalid")}
        report = deliver(tmp_path / "db.duckdb", digest_of([item(1)]), settings, env=env)
    assert sorted(received) == ["bawaslu@test.invalid", "kpu@test.invalid"]
    assert len(refused) == 2  # the retry went to the refused address only
    [result] = report.results
    assert result.status == "failed" and result.attempts == 2 and "tidak-ada@test.invalid" in result.error


@pytest.mark.parametrize("url, takes", [
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", False),  # an incoming webhook
    ("https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", False),
    ("slack://xoxb-1234-1234-abc124/#forum-pemilu", True),  # a bot token uploads files
    ("mailto://127.0.0.1:2525?smtp=127.0.0.1&from=saring@test.invalid&to=kpu@test.invalid", True),
])
def test_a_slack_webhook_is_not_taken_for_a_channel_that_gets_the_weekly_charts(url, takes):
    # The weekly report on the forum's Slack webhook said "Grafik terlampir" with no chart and no
    # link to one: apprise drops the files on a webhook (it says so only in its log).
    assert supports_attachments(url) is takes


def test_addresses_separated_by_semicolons_as_outlook_writes_them_all_get_the_digest(tmp_path):
    # The maintainer pasted the forum's addresses from Outlook ("a; b"): apprise read what followed
    # a semicolon as another URL option, and Panwas never got the digest, with nothing said.
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.extend(envelope.rcpt_tos)
            return "250 OK"

    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=1)
    with smtp_server(Handler()) as server:
        env = {"T_SMTP": server.url_to("kpu@test.invalid,bawaslu@test.invalid;panwas@test.invalid; "
                                       "pers@test.invalid")}
        report = deliver(tmp_path / "db.duckdb", digest_of([item(1)]), settings, env=env)
    assert [r.status for r in report.results] == ["sent"], report.lines()
    assert sorted(received) == ["bawaslu@test.invalid", "kpu@test.invalid", "panwas@test.invalid",
                                "pers@test.invalid"]


def test_sending_again_after_a_refused_address_goes_only_to_the_addresses_that_lack_the_digest(tmp_path):
    # A member who left the forum: their mailbox is refused for good. The maintainer saw
    # "email-forum: FAILED" and ran `saring digest --send` again (as did the next scheduled run):
    # KPU and Bawaslu got the same digest every time.
    server_side = MailboxGone()
    received, refused = server_side.received, server_side.refused
    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=1)
    db = tmp_path / "db.duckdb"
    forum = "kpu@test.invalid,tidak-ada@test.invalid,bawaslu@test.invalid"
    with smtp_server(server_side) as server:
        first = deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": server.url_to(forum)})
        again = deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": server.url_to(forum)})
        assert sorted(received) == ["bawaslu@test.invalid", "kpu@test.invalid"]
        assert len(refused) == 2  # the second send tried the refused address only
        [line] = again.lines()
        assert "FAILED" in line and "tidak-ada@test.invalid" in line, line
        assert "2 address(es) already have it, not sent again" in line, line
        # The maintainer replaced the old address by the new member's: only the new one gets it.
        fixed = forum.replace("tidak-ada@", "baru@")
        mended = deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": server.url_to(fixed)})
        assert sorted(received) == ["baru@test.invalid", "bawaslu@test.invalid", "kpu@test.invalid"]
        # The channel has the digest now: a later send sends nothing; --force sends to everyone.
        later = deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": server.url_to(fixed)})
        assert len(received) == 3
        deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": server.url_to(fixed)}, force=True)
        assert len(received) == 6
    assert [[r.status for r in x.results] for x in (first, again, mended, later)] == [
        ["failed"], ["failed"], ["sent"], ["skipped"]]
    with Store(db) as store:  # each address once in the send log, however often it was sent
        rows = store.con.execute("SELECT recipient FROM delivery_recipients ORDER BY 1").fetchall()
    assert rows == [("baru@test.invalid",), ("bawaslu@test.invalid",), ("kpu@test.invalid",)]


def test_a_refused_address_named_in_the_send_log_does_not_reach_the_analysts_copy(tmp_path, monkeypatch):
    # apprise names the mailbox it could not send to ('Sending email to "tidak-ada@…" failed.'):
    # the send log's error took a forum member's address to the analysts' copy, which leaves the
    # addresses out (delivery_recipients is internal for that reason).
    import saring
    from saring.storage import publish

    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=1)
    db = tmp_path / "db.duckdb"
    with smtp_server(MailboxGone()) as server:
        env = {"T_SMTP": server.url_to("kpu@test.invalid,tidak-ada@test.invalid")}
        report = deliver(db, digest_of([item(1)]), settings, env=env)
    assert "tidak-ada@test.invalid" in report.lines()[0]  # the maintainer still learns which one
    with Store(db) as store:
        with monkeypatch.context() as m:  # published by a saring from before the mask
            m.setattr(publish, "PUBLISHED_AS", {})
            store.publish_snapshot()
        store.publish_snapshot()  # the next run's publication, nothing new sent
    pub = saring.connect(str(db))
    try:
        [(error,)] = pub.execute("SELECT error FROM deliveries").fetchall()
        files = [str(p) for p in (tmp_path / "db.published").rglob("*.parquet")]
        published = [str(pub.execute("SELECT * FROM read_parquet(?)", [f]).fetchall()) for f in files]
    finally:
        pub.close()
    assert "[email disamarkan]" in error and "failed" in error, error  # a recipient was refused
    assert files and not [f for f, rows in zip(files, published, strict=True) if "@test.invalid" in rows]


def test_a_refused_whatsapp_number_named_in_the_send_log_does_not_reach_the_analysts_copy(tmp_path):
    # A forum sending through WhatsApp's own API (whatsapp://TOKEN@PHONE_ID/TARGET): apprise names
    # the number it could not reach ('A Connection error occurred sending WhatsApp:+62… notification.',
    # 'Failed to send WhatsApp notification to 62…: Bad Request, error=400.'), a member's number in
    # the analysts' copy, where only e-mail addresses were masked. The row is as apprise writes it:
    # WhatsApp's servers cannot be reached from a test.
    import saring

    db = tmp_path / "db.duckdb"
    errors = ["A Connection error occurred sending WhatsApp:+6281234567890 notification.",
              "Failed to send WhatsApp notification to 6281298765432: Bad Request, error=400."]
    with Store(db) as store:
        for n, error in enumerate(errors):
            store.con.execute("INSERT INTO deliveries (digest_date, channel, status, attempts, messages, "
                              "error) VALUES (?, ?, 'failed', 3, 0, ?)",
                              [date(2026, 11, 20 + n), "wa-forum", error])
        store.publish_snapshot()
    pub = saring.connect(str(db))
    try:
        rows = pub.execute("SELECT error FROM deliveries ORDER BY digest_date").fetchall()
    finally:
        pub.close()
    assert [e for (e,) in rows] == [
        "A Connection error occurred sending WhatsApp:[nomor disamarkan] notification.",
        "Failed to send WhatsApp notification to [nomor disamarkan]: Bad Request, error=400."]
    with Store(db) as store:  # the maintainer's own database still says which number failed
        assert store.con.execute("SELECT count(*) FROM deliveries WHERE error LIKE '%6281234567890%'"
                                 ).fetchall() == [(1,)]


def test_a_mistyped_address_among_the_forums_is_named_as_failed_and_the_others_get_the_digest(tmp_path):
    # The maintainer typed "budi@@kpu.go.id" in the channel's to= list: apprise dropped it with a
    # line in its own log, and saring said "email-forum: sent" although Budi never got the digest.
    server_side = MailboxGone()
    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=3, backoff=0)
    db = tmp_path / "db.duckdb"
    forum = "kpu@test.invalid,budi@@kpu.go.id,bawaslu@test.invalid"
    with smtp_server(server_side) as server:
        first = deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": server.url_to(forum)})
        again = deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": server.url_to(forum)})
    assert sorted(server_side.received) == ["bawaslu@test.invalid", "kpu@test.invalid"]
    for report in (first, again):
        [result] = report.results
        assert result.status == "failed" and result.attempts <= 1, report.lines()
        assert "address 2 of 3 in T_SMTP is not an e-mail address" in result.error, result.error
    assert "2 address(es) already have it" in again.lines()[0]


def test_an_address_in_cc_or_bcc_gets_the_digest_once_however_many_addresses_are_in_to(tmp_path):
    # The forum's secretary put the press desk in cc= and the head of Bawaslu in bcc=: apprise sends
    # one e-mail per to= address, each with the cc and bcc, so they got the digest three times a day.
    server_side = MailboxGone()
    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=2, backoff=0)
    db = tmp_path / "db.duckdb"
    forum = "kpu@test.invalid,tidak-ada@test.invalid,bawaslu@test.invalid"
    with smtp_server(server_side) as server:
        url = server.url_to(forum) + "&cc=pers@test.invalid&bcc=ketua@test.invalid"
        first = deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": url})
        deliver(db, digest_of([item(1)]), settings, env={"T_SMTP": url})  # the refused one again
    assert sorted(server_side.received) == ["bawaslu@test.invalid", "ketua@test.invalid",
                                            "kpu@test.invalid", "pers@test.invalid"]
    assert "tidak-ada@test.invalid" in first.results[0].error


def test_a_refused_login_is_said_as_such_once_without_the_password_and_not_tried_again_per_address(
        tmp_path, caplog):
    # The forum's mail account password was changed: saring said "Connection error" (the maintainer
    # looked at the network), and logged in again for every address and every retry, which gets
    # a provider's account locked for a while.
    from aiosmtpd.smtp import AuthResult

    sessions = []

    def refuse(server, session, envelope, mechanism, auth_data):
        sessions.append(session)
        return AuthResult(success=False, handled=False)

    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=3, backoff=0)
    with smtp_server(MailboxGone(), authenticator=refuse, auth_require_tls=False) as server:
        url = server.url_to("kpu@test.invalid,bawaslu@test.invalid").replace(
            "mailto://", "mailto://sekretariat:Rahasia-Pemilu-24@")
        with caplog.at_level(logging.DEBUG):
            report = deliver(tmp_path / "db.duckdb", digest_of([item(1)]), settings, env={"T_SMTP": url})
    [result] = report.results
    assert result.status == "failed" and result.attempts == 1, report.lines()
    assert "refused the login" in result.error and "T_SMTP" in result.error, result.error
    assert len({id(s) for s in sessions}) == 1
    assert "Rahasia-Pemilu-24" not in caplog.text + result.error


def test_an_email_url_apprise_cannot_parse_fails_its_channel_and_the_others_still_get_the_digest(
        tmp_path, httpserver):
    # The secretary gave the sender a name twice, once with a dash ("from=Sekretariat – Forum
    # Pemilu <…>&name=…"): apprise's parser raised UnicodeEncodeError, the run stopped with a
    # traceback and the WhatsApp group, next in the list, got nothing.
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    settings = DeliverySettings(channels=(
        DeliveryChannel(name="email-forum", url_env="T_SMTP", format="email"),
        DeliveryChannel(name="wa", url_env="T_WA")), attempts=1)
    env = {"T_SMTP": "mailto://127.0.0.1:2525?smtp=127.0.0.1&mode=insecure&to=kpu@test.invalid"
                     "&from=Sekretariat – Forum Pemilu <saring@test.invalid>&name=Forum Pemilu",
           "T_WA": _hook(httpserver)}
    report = deliver(tmp_path / "db.duckdb", digest_of([item(1)]), settings, env=env)
    assert [r.status for r in report.results] == ["failed", "sent"], report.lines()
    assert "T_SMTP does not hold a valid apprise URL" in report.results[0].error
    assert len(httpserver.log) == 1


def _desk_digest_page(db) -> str:
    """The desk's digest page of today (its snapshot published), logged in."""
    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user

    add_user(db, "rina", "kata-sandi-rahasia")  # also publishes the snapshot
    client = TestClient(create_app(db, secret_key="k"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia",
                                "next": "/"}, follow_redirects=False)
    return client.get("/").text


def test_a_channel_whose_sends_failed_since_it_last_got_a_report_is_in_the_next_digests_health_section(
        tmp_path):
    # The forum's mail server was down at the morning send, and the next day refused a member's
    # address: `saring digest --send` said FAILED in a terminal nobody watches, the health section
    # spoke of sources only, and the maintainer learnt of it days later from the forum.
    from datetime import timedelta

    from saring.report.digest import build_digest

    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=1)
    db = tmp_path / "db.duckdb"
    today = today_wib()
    down = {"T_SMTP": f"mailto://127.0.0.1:{free_port()}?smtp=127.0.0.1&mode=insecure"
                      "&from=saring@test.invalid&to=kpu@test.invalid"}
    assert deliver(db, digest_of([item(1)], today - timedelta(days=4)), settings, env=down).all_failed
    with Store(db) as store:  # a channel taken out of sources.yaml long ago: its old failure is history
        store.con.execute("INSERT INTO deliveries (digest_date, channel, status, attempts, messages, error, "
                          "started_at, report_kind) VALUES (?, 'wa-lama', 'failed', 3, 0, 'gateway gone', "
                          "now() - INTERVAL 8 DAY, 'daily')", [today - timedelta(days=8)])
    with smtp_server(MailboxGone()) as server:  # the failure before the last good send is history too
        sent = deliver(db, digest_of([item(1)], today - timedelta(days=3)), settings,
                       env={"T_SMTP": server.url_to("kpu@test.invalid")})
    assert [r.status for r in sent.results] == ["sent"]
    assert deliver(db, digest_of([item(1)], today - timedelta(days=2)), settings, env=down).all_failed
    with smtp_server(MailboxGone()) as server:
        refused = deliver(db, digest_of([item(1)], today - timedelta(days=1)), settings,
                          env={"T_SMTP": server.url_to("kpu@test.invalid,tidak-ada@test.invalid")})
    assert "tidak-ada@test.invalid" in refused.results[0].error  # the maintainer's own log names it
    with Store(db) as store:
        digest = build_digest(store.con, today, DigestSettings())
    for fmt in ("whatsapp", "markdown", "email_text", "email", "html"):
        text = render(digest, fmt)
        health = text[text.lower().index("kesehatan sumber"):]
        assert "email-forum" in health and "ringkasan harian gagal terkirim 2× sejak" in health, health
        assert "failed." in health and "tidak-ada@" not in text, health  # the forum sees no member's address
        assert "wa-lama" not in text and "gateway gone" not in text
    desk = _desk_digest_page(db)
    assert "Kanal email-forum" in desk and "gagal terkirim 2× sejak" in desk, desk
    with smtp_server(MailboxGone()) as server:  # the server is back: today's digest gets through
        deliver(db, digest_of([item(1)], today), settings, env={"T_SMTP": server.url_to("kpu@test.invalid")})
    with Store(db) as store:
        assert build_digest(store.con, today, DigestSettings()).deliveries == []


def test_a_failed_send_in_a_simulated_run_is_in_that_runs_next_digest_and_leaves_after_a_good_send(
        tmp_path, httpserver):
    # `make demo`'s weeks run on saring's clock: the send log was stamped with the machine's time,
    # so the next simulated morning's health section never named the failed channel (its send
    # seemed to come later), and a good send the day after could not be told from it either.
    from zoneinfo import ZoneInfo

    from saring import clock
    from saring.report.digest import build_digest

    wib = ZoneInfo("Asia/Jakarta")
    settings = DeliverySettings(channels=(DeliveryChannel(name="wa", url_env="WA"),), attempts=1)
    db = tmp_path / "db.duckdb"
    down = {"WA": f"json://127.0.0.1:{free_port()}/wa"}
    with clock.frozen(datetime(2024, 2, 15, 6, tzinfo=wib)):
        assert deliver(db, digest_of([item(1)], date(2024, 2, 14)), settings, env=down).all_failed
    with clock.frozen(datetime(2024, 2, 16, 6, tzinfo=wib)), Store(db) as store:
        failed = build_digest(store.con, date(2024, 2, 15), DigestSettings()).deliveries
    assert [c.channel for c in failed] == ["wa"], failed
    assert "Kamis, 15 Februari 2024, 06.00 WIB" in failed[0].detail, failed
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    with clock.frozen(datetime(2024, 2, 16, 6, tzinfo=wib)):
        sent = deliver(db, digest_of([item(1)], date(2024, 2, 15)), settings, env={"WA": _hook(httpserver)})
    assert [r.status for r in sent.results] == ["sent"]
    with clock.frozen(datetime(2024, 2, 17, 6, tzinfo=wib)), Store(db) as store:
        assert build_digest(store.con, date(2024, 2, 16), DigestSettings()).deliveries == []


def test_a_send_that_outlived_its_claim_and_then_got_through_leaves_no_failure_in_the_send_log(
        tmp_path, monkeypatch):
    # The mail server stalled past the claim's lease: an admin's `saring digest --send` took the
    # scheduled run's claim for one left by a dead run ("the run sending it stopped"), then the
    # scheduled run got through after all. The send log and the analysts' copy kept the failure.
    monkeypatch.setattr("saring.report.deliver.TRY_SECONDS", 0)  # any claim is past its lease
    settings = DeliverySettings(channels=(DeliveryChannel(name="email-forum", url_env="T_SMTP",
                                                          format="email"),), attempts=1, max_wait=0)
    db = tmp_path / "db.duckdb"
    Store(db).close()
    manual, scheduled = _send_again_while_the_first_is_held(db, settings, *_first_mail_held([], 600))
    assert [r.status for r in manual.results] == ["sent"]
    assert [r.status for r in scheduled.results] == ["sent"]
    with Store(db) as store:
        rows = store.con.execute("SELECT status, error FROM deliveries ORDER BY started_at").fetchall()
    assert rows == [("sent", None), ("sent", None)], rows  # the forum did get it twice: both said
