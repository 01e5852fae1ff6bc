"""Issue 19: the weekly report (numbers, charts, files, delivery once), the send log's report kind
(migration v8), clarification cards and the rumour lifecycle view, the simulated demo weeks."""

from __future__ import annotations

import email
import io
import json
from datetime import date, datetime, time, timedelta
from email import policy
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from saring.cli.main import app
from saring.config import DigestSettings, ForumSettings, parse_config
from saring.localtime import WIB
from saring.report.deliver import already_delivered
from saring.storage.database import Store

MONDAY = date(2026, 11, 16)  # 2026-W47
FORUM = ForumSettings(area="Kota Batu", province="Jawa Timur")


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=WIB)


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


@pytest.fixture()
def week_db(tmp_path):
    """Two weeks of a forum's database, written row by row (see the expectations in each test).

    Story s1 (a rumour): Batu Mon, national Tue, card Wed 10:00, province Thu, tipline Fri.
    Story s2: one national non-election item Wed. Week before: one high-risk election item.
    """
    from saring.report.lifecycle import record_card

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        con = store.con
        con.execute("""INSERT INTO sources (source_id, name, region) VALUES
            ('malangpost', 'Malangpost.id', 'Kota Batu'), ('suryamalang', 'SuryaMalang', 'Jawa Timur'),
            ('kompas', 'Kompas.com', 'Nasional'), ('tipline', 'Grup WhatsApp', 'Media sosial')""")
        items = [  # id, source, first seen, title, kind, channel, election, hoax, story
            ("a1", "malangpost", at(day(0)), "Surat suara tercoblos di Batu", None, None, 0.9, 0.9, "s1"),
            ("a2", "kompas", at(day(1)), "Kabar surat suara tercoblos", None, None, 0.9, 0.5, "s1"),
            ("a3", "suryamalang", at(day(3)), "Lagi: surat suara tercoblos", None, None, 0.8, 0.1, "s1"),
            ("t1", "tipline", at(day(4)), "Surat suara sudah dicoblos!!", "tipline", "grup", 0.9, 0.9, "s1"),
            ("b1", "kompas", at(day(2)), "Harga cabai naik", None, None, 0.2, 0.1, "s2"),
            ("p1", "kompas", at(day(-6)), "Isu TPS dipindah", None, None, 0.9, 0.8, "s3"),
        ]
        for item_id, source, seen, title, kind, channel, el, hx, story in items:
            con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state, kind, "
                        "channel) VALUES (?, ?, ?, ?, ?, 'scored', ?, ?)",
                        [item_id, f"https://x.test/{item_id}", source, title, seen, kind, channel])
            con.execute("INSERT INTO scores VALUES (?, 'm1', ?, ?, [], [], ?)", [item_id, el, hx, seen])
            con.execute("INSERT INTO stories VALUES (?, ?, ?)", [item_id, story, seen])
        con.execute("INSERT INTO factchecks (factcheck_id, source_id, url, title, verdict) VALUES "
                    "('f1', 'cekfakta', 'https://cek.test/1', 'Surat suara tercoblos itu hoaks', 'SALAH')")
        con.execute("INSERT INTO factcheck_matches VALUES ('a1', 'f1', 0.8, ?)", [at(day(0), 9)])
        record_card(con, "item", "a1", "rina", channel="whatsapp", at=at(day(2), 10))
        store.publish_snapshot()
    return db


def report_of(db, monday=MONDAY):
    from saring.report.weekly import build_weekly

    with Store(db) as store:
        return build_weekly(store.con, monday, DigestSettings(), FORUM)


# -- the week ----------------------------------------------------------------------------------

def test_week_parsing_and_bad_input():
    from saring.report.weekly import WeekError, hari, parse_week, week_label

    assert parse_week("2026-W47") == MONDAY and parse_week(end="2026-11-22") == MONDAY
    assert parse_week(today=date(2026, 11, 23)) == MONDAY  # Monday's run: the week just ended
    assert week_label(date(2027, 1, 1) - timedelta(days=4)) == "2026-W53"
    assert hari(MONDAY) == "Sen 16/11" and hari(day(6)) == "Min 22/11"
    for bad in ({"week": "2026-47"}, {"week": "2026-W60"}, {"end": "kemarin"},
                {"week": "2026-W47", "end": "2026-11-20"}):
        with pytest.raises(WeekError):
            parse_week(**bad)
    result = CliRunner().invoke(app, ["report", "weekly", "--week", "minggu lalu"])
    assert result.exit_code == 2 and "is not a week like 2026-W47" in result.output
    assert "Traceback" not in result.output


def test_a_week_across_new_year_names_both_years_in_its_period(tmp_path):
    # 2026-W01 runs from Monday 29 December 2025: the report said "Sen 29/12 – Min 4/1 2026",
    # putting that Monday in December 2026.
    with Store(tmp_path / "saring.duckdb") as store:
        from saring.report.weekly import build_weekly

        report = build_weekly(store.con, date(2025, 12, 29), DigestSettings())
    assert report.label == "2026-W01" and report.period == "Sen 29/12 2025 – Min 4/1 2026"
    assert "Sen 29/12 2025 – Min 4/1 2026" in report.subject


def test_numbers_days_areas_stories_and_clarified(week_db):
    r = report_of(week_db)
    assert r.label == "2026-W47" and r.period == "Sen 16/11 – Min 22/11 2026"
    # by the day saring first saw them; the tipline message is a rumour, not an election item
    assert [(n, v, c) for n, v, c in r.numbers] == [
        ("Berita & unggahan terpantau", 5, 4), ("Berita pemilu", 3, 2),
        ("Berita pemilu berisiko hoaks tinggi", 1, 0), ("Cocok dengan cek fakta", 1, 1),
        ("Beredar di grup (pesan)", 1, 1)]
    assert [(d.day, d.tinggi, d.sedang, d.rendah) for d in r.days if d.tinggi + d.sedang + d.rendah] == [
        (day(0), 1, 0, 0), (day(1), 0, 1, 0), (day(3), 0, 0, 1)]
    assert len(r.days) == 7
    assert r.areas == [("Kota Batu", 1), ("Jawa Timur lainnya", 1), ("Nasional & daerah lain", 1)]
    # the group's forward is no news article: counted apart (the digest's "Beredar di grup")
    assert [(s.story_id, s.outlets, s.items, s.forwards) for s in r.stories] == [("s1", 3, 3, 1)]
    assert r.stories[0].factcheck == "SALAH: Surat suara tercoblos itu hoaks"
    [card] = r.clarified
    assert (card.story_id, card.made_by, card.channel, card.mentions_after) == ("s1", "rina", "whatsapp", 2)
    assert card.still_spreading
    # Without a forum area: by outlet.
    from saring.report.weekly import build_weekly

    with Store(week_db) as store:
        by_outlet = build_weekly(store.con, MONDAY, DigestSettings(), None)
    assert by_outlet.areas_by == "media" and dict(by_outlet.areas) == {
        "Malangpost.id": 1, "Kompas.com": 1, "SuryaMalang": 1}


def _by_short_link(con, item_id: str, page: str, seen, story: str | None = "s1",
                   title: str = "Surat suara tercoblos") -> None:
    """The week's article ``page`` (https://x.test/<page>) also reached through a short link: an
    item of the source 'pendek' whose fetch ended at the article's address (a 301), in ``story``."""
    con.execute("INSERT INTO sources (source_id, name, region) VALUES ('pendek', 'Pendek', 'Nasional') "
                "ON CONFLICT DO NOTHING")
    con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state) VALUES "
                "(?, ?, 'pendek', ?, ?, 'scored')", [item_id, f"https://s.test/{page}", title, seen])
    con.execute("INSERT INTO articles (item_id, final_url, text_source, fetched_at) VALUES (?, ?, 'page', ?)",
                [item_id, f"https://x.test/{page}", seen])
    if story:
        con.execute("INSERT INTO stories VALUES (?, ?, ?)", [item_id, story, seen])


def _logged_in(db, **app_options):
    """The desk on ``db`` (create_app's options), with Rina logged in."""
    import re

    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user

    add_user(db, "rina", "kata-sandi-rahasia")
    client = TestClient(create_app(db, **app_options))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia",
                                "next": "/"}, follow_redirects=False)
    return client


def test_an_article_reached_through_a_short_link_too_counts_once_in_the_weeks_numbers(week_db):
    # A feed shared the Batu article by a short link (301 to the outlet's address) the same morning
    # the outlet's own feed listed it. The daily digest counts that one article once; the weekly
    # report counted it twice: 2 high-risk election news, 2 fact-check matches, and "national" too.
    with Store(week_db) as store:
        con = store.con
        _by_short_link(con, "s1", "a1", at(day(0), 9), story=None, title="Surat suara tercoblos di Batu")
        con.execute("INSERT INTO scores VALUES ('s1', 'm1', 0.9, 0.85, [], [], ?)", [at(day(0), 9)])
        con.execute("INSERT INTO factcheck_matches VALUES ('s1', 'f1', 0.8, ?)", [at(day(0), 9)])
    r = report_of(week_db)
    assert [(n, v) for n, v, _ in r.numbers] == [
        ("Berita & unggahan terpantau", 5), ("Berita pemilu", 3), ("Berita pemilu berisiko hoaks tinggi", 1),
        ("Cocok dengan cek fakta", 1), ("Beredar di grup (pesan)", 1)]
    assert [(d.day, d.tinggi, d.sedang, d.rendah) for d in r.days if d.tinggi + d.sedang + d.rendah] == [
        (day(0), 1, 0, 0), (day(1), 0, 1, 0), (day(3), 0, 0, 1)]
    assert r.areas == [("Kota Batu", 1), ("Jawa Timur lainnya", 1), ("Nasional & daerah lain", 1)]


def test_an_article_reached_through_two_links_is_one_berita_of_its_story_and_one_mention_after_its_card(
        week_db):
    # The Batu article, and after the card the Surya Malang one, were also shared by a short link
    # (301 to the outlet's address). The digest shows each article once; the weekly said the story
    # had 6 berita, and that the rumour came back 3 times after the card, for 2 new articles.
    with Store(week_db) as store:
        for item_id, page, seen in (("pa1", "a1", at(day(0), 9)), ("pa3", "a3", at(day(3), 9))):
            _by_short_link(store.con, item_id, page, seen)
    r = report_of(week_db)
    # 3 articles (the group's forward is counted apart from them, as the digest does)
    assert [(s.story_id, s.items, s.forwards) for s in r.stories] == [("s1", 3, 1)]
    [card] = r.clarified
    assert (card.story_id, card.mentions_after) == ("s1", 2)


def test_the_storys_timeline_counts_an_article_reached_through_two_links_once_after_its_card(week_db):
    # After the card, the Surya Malang article was also shared by a short link (301 to its own
    # address). The weekly report on the desk's Tren page said the rumour came back 2 times; the
    # story's timeline it links to said 'masih muncul 3 kali' for the same 2 articles.



    with Store(week_db) as store:
        _by_short_link(store.con, "pa3", "a3", at(day(3), 9))
        store.publish_snapshot()
    [card] = report_of(week_db).clarified
    assert card.mentions_after == 2
    client = _logged_in(week_db, settings=DigestSettings(), forum=FORUM, secret_key="k")
    story = client.get("/tren/cerita/s1").text
    after = story.split("<dt>Sesudah kartu</dt>", 1)[1].split("</dd>", 1)[0]
    assert "masih muncul 2 kali" in after, after


def test_a_fact_check_stored_under_two_addresses_is_one_match_in_the_weeks_numbers(week_db):
    # The fact-checker's feed moved to https: its check was stored again under the new address, and
    # the Batu article was matched to both before runs kept one match per page. The weekly's
    # "Cocok dengan cek fakta" said 2 for one article matching one fact-check.
    with Store(week_db) as store:
        store.con.execute("INSERT INTO factchecks (factcheck_id, source_id, url, title, verdict) VALUES "
                          "('f1http', 'cekfakta', 'http://cek.test/1', 'Surat suara tercoblos itu hoaks', "
                          "'SALAH')")
        store.con.execute("INSERT INTO factcheck_matches VALUES ('a1', 'f1http', 0.8, ?)", [at(day(0), 9)])
    assert report_of(week_db).totals.factcheck_matches == 1


def test_lifecycle_answers_did_it_keep_spreading(week_db):
    from saring.report.lifecycle import lifecycle, record_card, spread_after_card

    with Store(week_db) as store:
        # reloading the card page the same day is the same card; sending it fills the channel
        again = record_card(store.con, "item", "a1", "rina", at=at(day(2), 11))
        assert store.con.execute("SELECT count(*) FROM clarification_cards").fetchone()[0] == 1
        assert again
        frame = lifecycle(store.con, "s1")
        spread = spread_after_card(store.con)
    assert list(frame["day"].dt.date) == [day(0), day(1), day(2), day(3), day(4)]
    assert list(frame["news_mentions"]) == [1, 1, 0, 1, 0]
    assert list(frame["tipline_mentions"]) == [0, 0, 0, 0, 1]
    assert list(frame["cards_made"]) == [0, 0, 1, 0, 0]
    assert list(frame["factcheck_matches"]) == [1, 0, 0, 0, 0]
    assert list(frame["after_card"]) == [False, False, False, True, True]
    [row] = spread.to_dict("records")
    assert (row["story_id"], row["mentions_before"], row["mentions_after"], row["kept_spreading"]) == (
        "s1", 2, 2, True)
    with Store(week_db) as store, pytest.raises(ValueError):
        record_card(store.con, "berita", "a1", "rina")


# -- migration v8 ------------------------------------------------------------------------------

def test_a_card_opened_early_and_sent_later_the_same_morning_is_one_card(week_db):
    # The analyst opened the card on the desk at 06:45 WIB and marked it sent on WhatsApp at 07:10:
    # the day that made them one card was the UTC day (it turns at 07:00 WIB), so they were two,
    # and the weekly report listed the first: a card never sent.
    from saring import clock
    from saring.report.lifecycle import record_card

    with Store(week_db) as store:
        for minute, channel in ((6 * 60 + 45, None), (7 * 60 + 10, "whatsapp")):
            with clock.frozen(datetime.combine(day(1), time(0), tzinfo=WIB) + timedelta(minutes=minute)):
                record_card(store.con, "item", "a2", "budi", channel=channel)
        rows = store.con.execute("SELECT channel FROM clarification_cards WHERE ref = 'a2'").fetchall()
    assert rows == [("whatsapp",)]


def test_v8_gives_the_old_send_log_its_report_kind(tmp_path):
    from saring.storage.schema import MIGRATIONS, SCHEMA_VERSION

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)")
    for number, sql in MIGRATIONS:
        if number <= 6:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, now())", [number])
    # the send log as deliver.py created it before v8
    con.execute("""CREATE TABLE deliveries (digest_date DATE, channel VARCHAR, status VARCHAR,
        attempts INTEGER, messages INTEGER, error VARCHAR, forced BOOLEAN, started_at TIMESTAMPTZ,
        sent_at TIMESTAMPTZ)""")
    con.execute("INSERT INTO deliveries VALUES (?, 'email-forum', 'sent', 1, 1, NULL, false, now(), now())",
                [MONDAY])
    con.close()
    with Store(db) as store:
        assert store.con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert store.con.execute("SELECT report_kind FROM deliveries").fetchall() == [("daily",)]
        # Monday's digest was sent; Monday's weekly report was not
        assert already_delivered(store.con, MONDAY, "email-forum", "daily")
        assert not already_delivered(store.con, MONDAY, "email-forum", "weekly")
        assert store.con.execute("SELECT count(*) FROM clarification_cards").fetchone()[0] == 0
    # a new database has the send log from the start
    with Store(tmp_path / "new.duckdb") as store:
        assert not already_delivered(store.con, MONDAY, "email-forum", "weekly")


# -- charts and files --------------------------------------------------------------------------

def test_charts_are_phone_sized_readable_and_not_blank(week_db):
    from matplotlib import font_manager

    from saring.report.charts import CHARTS, DPI, FONT_DIR, font_family, png

    report = report_of(week_db)
    assert 2 <= len(CHARTS) <= 4
    # the project's own font files (with their licence) are registered and used
    assert font_family() == "DejaVu Sans" and (FONT_DIR / "LICENSE.dejavu").exists()
    ours = {str(FONT_DIR / "DejaVuSans.ttf"), str(FONT_DIR / "DejaVuSans-Bold.ttf")}
    assert ours <= {f.fname for f in font_manager.fontManager.ttflist}
    for name, (_, draw) in CHARTS.items():
        fig = draw(report)
        image = Image.open(io.BytesIO(png(fig))).convert("RGB")
        assert image.width >= 720, name
        # not blank: many colours, and a real share of the picture is not background
        colours = image.getcolors(maxcolors=1 << 20)
        assert len(colours) > 20, name
        ink = sum(n for n, rgb in colours if sum(rgb) < 600)
        assert ink > 0.02 * image.width * image.height, name
        # every text at least 24 px when the image is shown 720 px wide
        texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
                 if t.get_text().strip() and t.get_visible()]
        assert texts, name
        for t in texts:
            shown_px = t.get_fontsize() * DPI / 72 * 720 / image.width
            assert shown_px >= 24, f"{name}: {t.get_text()!r} is {shown_px:.1f} px at 720 px"
    fig = CHARTS["grafik-1-harian.png"][1](report)
    png(fig)  # tick labels exist once drawn
    labels = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert "Sen 16/11" in labels and "Min 22/11" in labels and "Risiko tinggi" in labels


def test_report_files_in_bahasa(week_db, tmp_path):
    from saring.report.weekly_files import write_weekly

    files = write_weekly(report_of(week_db), tmp_path / "mingguan", base_url="https://arsip.test/saring")
    assert files.folder == tmp_path / "mingguan" / "2026-W47"
    assert [p.name for p in files.charts] == ["grafik-1-harian.png", "grafik-2-wilayah.png",
                                            "grafik-3-cerita.png"]
    wa = files.whatsapp.read_text(encoding="utf-8")
    assert wa.startswith("*Laporan Mingguan Saring 2026-W47*")
    # the digest calls the group's forwards "Beredar di grup"; the weekly said "Rumor dari grup (tipline)"
    assert "• Berita pemilu: *3* (naik 2)" in wa and "• Beredar di grup (pesan): *1* (naik 1)" in wa
    assert "1. Surat suara tercoblos di Batu — 3 media, 3 berita, 1 pesan/tautan di grup" in wa
    assert "masih beredar: 2 kali muncul lagi sesudahnya" in wa
    assert "https://arsip.test/saring/2026-W47/grafik-1-harian.png" in wa
    html = files.html.read_text(encoding="utf-8")
    assert 'src="grafik-3-cerita.png"' in html and "Cerita yang paling menyebar" in html
    assert json.loads((files.folder / "laporan.json").read_text())["numbers"]["high_risk"] == 1


def test_a_long_checked_message_on_a_card_is_shortened_between_words_in_the_weekly(week_db):
    # A member pasted the demo chat's KTP video rumour into the desk's check box and made a card:
    # the weekly's "Rumor yang sudah diklarifikasi" showed it cut as "... tidak ada hub".
    from saring.pipeline.demo import sample_dir
    from saring.report.lifecycle import record_card
    from saring.report.weekly_files import render_weekly

    chat = (sample_dir().parent / "tipline" / "demo-chat.txt").read_text(encoding="utf-8")
    pasted = next(line for line in chat.splitlines() if "KTP palsu" in line).split(": ", 1)[1]
    assert len(pasted) > 200
    with Store(week_db) as store:
        store.con.execute("INSERT INTO checks (check_id, fingerprint, query, checked_at) VALUES "
                          "('c1', 'f', ?, ?)", [pasted, at(day(3))])
        record_card(store.con, "check", "c1", "rina", at=at(day(3), 11))
    card = next(c for c in report_of(week_db).clarified if c.ref == "c1")
    shown = card.title.removesuffix("…")
    assert card.title.endswith("…") and pasted.startswith(shown) and pasted[len(shown)] == " ", card.title
    assert f"• {card.title} — kartu" in render_weekly(report_of(week_db), "whatsapp")


def test_a_story_title_with_dollar_signs_is_drawn_as_written_in_the_charts(week_db, tmp_path):
    # Economic news writes amounts as US$; matplotlib read the text between two "$" as a math
    # formula: "US$5 naik 5% jadi US$6" stopped the whole weekly report (and the desk's Tren
    # chart) with a ValueError, and two amounts on one line were drawn run together in italics.
    from saring.report.weekly_files import write_weekly

    with duckdb.connect(str(week_db)) as con:
        con.execute("UPDATE items SET title = 'US$5 naik 5% jadi US$6 juta' WHERE item_id = 'a1'")
    report = report_of(week_db)
    assert report.stories[0].title == "US$5 naik 5% jadi US$6 juta"
    files = write_weekly(report, tmp_path / "mingguan")
    assert Image.open(files.folder / "grafik-3-cerita.png").width >= 720
    assert "US$5 naik 5% jadi US$6 juta" in files.whatsapp.read_text(encoding="utf-8")


def test_weekly_chat_messages_stay_within_the_limit_with_many_clarified_rumours(week_db):
    # An election month: every card whose rumour came back this week is listed, one line each,
    # with no blank line between them. Telegram refuses a message over 4096 characters.
    from dataclasses import replace

    from saring.report.digest import chat_length
    from saring.report.weekly_files import render_weekly, split_text

    report = report_of(week_db)
    (card,) = report.clarified
    many = [replace(card, ref=f"{card.ref}-{n}", title=f"{card.title} ({n}) " + "kabar beredar " * 10)
            for n in range(40)]
    text = render_weekly(replace(report, clarified=many), "whatsapp")
    parts = split_text(text, 4000)
    assert len(parts) > 1 and all(chat_length(p) <= 4000 for p in parts), [chat_length(p) for p in parts]
    joined = "\n".join(parts)
    assert all(f"({n}) " in joined for n in range(40))  # every card still there


def test_a_weekly_line_longer_than_a_short_chat_message_is_cut_between_words(week_db):
    # A WhatsApp gateway with short messages (message_chars 500) and a story whose feed title is
    # near the 500-character cap: its one line went out whole, and the gateway refused that part
    # on every retry, so the forum never got the weekly report.
    from dataclasses import replace

    from saring.report.digest import chat_length
    from saring.report.weekly_files import render_weekly, split_text

    report = report_of(week_db)
    title = " ".join([report.stories[0].title] * 20)
    text = render_weekly(replace(report, stories=[replace(report.stories[0], title=title)]), "whatsapp")
    parts = split_text(text, 500)
    assert all(chat_length(p) <= 500 for p in parts), [chat_length(p) for p in parts]
    words = " ".join(" ".join(parts).split())
    assert f"1. {title} — 3 media, 3 berita, 1 pesan/tautan di grup" in words  # nothing of the line is lost


def test_html_report_reads_well_on_a_phone(week_db, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) is not installed")
    from _browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium")
    from saring.report.weekly_files import write_weekly

    files = write_weekly(report_of(week_db), tmp_path)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                    is_mobile=True, has_touch=True)
            page.goto(files.html.as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            images = page.evaluate("""[...document.images].map(i => ({
                complete: i.complete, natural: i.naturalWidth, shown: i.getBoundingClientRect().width}))""")
            assert len(images) == 3
            for img in images:  # loaded, full resolution, scaled to the phone's width
                assert img["complete"] and img["natural"] >= 720 and 300 <= img["shown"] <= 360
            smallest = page.evaluate("""Math.min(...[...document.querySelectorAll('body *')]
                .filter(e => e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3
                             && n.textContent.trim()))
                .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
            assert smallest >= 12
        finally:
            browser.close()


# -- delivery once -----------------------------------------------------------------------------

def test_weekly_send_delivers_once_with_charts(week_db, tmp_path, smtp, httpserver, monkeypatch):
    raw = {"sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
           "settings": {"forum": {"area": "Kota Batu"}, "archive": {"base_url": "https://arsip.test"},
                        "delivery": {"attempts": 1, "backoff": 0, "channels": [
                            {"name": "email-forum", "url_env": "T_SMTP", "format": "email"},
                            {"name": "wa-gateway", "url_env": "T_HOOK", "format": "whatsapp"}]}}}
    parse_config(raw)
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    httpserver.expect_request("/wa", method="POST").respond_with_json({"ok": True})
    monkeypatch.setenv("T_SMTP", smtp.url_to("forum@test.invalid"))
    monkeypatch.setenv("T_HOOK", "json://" + httpserver.url_for("/wa").split("://")[1])
    monkeypatch.chdir(tmp_path)
    # The daily digest of that Monday was delivered already: the weekly report still goes.
    with Store(week_db) as store:
        store.con.execute("INSERT INTO deliveries (digest_date, channel, status, report_kind) "
                          "VALUES (?, 'email-forum', 'sent', 'daily')", [MONDAY])
    args = ["report", "weekly", "--week", "2026-W47", "--db", str(week_db), "--sources", str(sources),
            "--out", str(tmp_path / "mingguan"), "--send"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "email-forum: sent" in first.output and "wa-gateway: sent" in first.output
    [mail] = smtp.received
    msg = email.message_from_bytes(mail.content, policy=policy.default)
    assert msg["subject"].startswith("Laporan Mingguan Saring 2026-W47")
    attached = [part.get_filename() for part in msg.iter_attachments()]
    assert sorted(attached) == ["grafik-1-harian.png", "grafik-2-wilayah.png", "grafik-3-cerita.png"]
    assert "Cerita yang paling menyebar" in msg.get_body(("html",)).get_content()
    # the webhook (no attachments there) got the WhatsApp text with links to the archive
    hooks = [json.loads(req.get_data()) for req, _ in httpserver.log]
    text = "".join(h["message"] for h in hooks)
    assert "*Laporan Mingguan Saring 2026-W47*" in text
    assert "https://arsip.test/2026-W47/grafik-2-wilayah.png" in text

    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and second.output.count("already delivered for the weekly report") == 2
    assert len(smtp.received) == 1 and len(httpserver.log) == len(hooks)
    con = duckdb.connect(str(week_db), read_only=True)
    kinds = con.execute("SELECT report_kind, channel, status FROM deliveries ORDER BY ALL").fetchall()
    con.close()
    assert kinds == [("daily", "email-forum", "sent"), ("weekly", "email-forum", "sent"),
                     ("weekly", "wa-gateway", "sent")]


# -- the demo's simulated weeks ----------------------------------------------------------------

def test_clock_is_injectable_and_only_in_saring():
    from saring import clock
    from saring.storage.database import utcnow

    when = at(day(3))
    with clock.frozen(when):
        assert utcnow() == when
    assert utcnow() > when + timedelta(days=1)
    with pytest.raises(ValueError):
        with clock.frozen(datetime(2026, 11, 19)):
            pass


def test_simulated_feeds_reveal_entries_without_changing_them():
    import feedparser

    from saring.pipeline.demo import sample_dir
    from saring.pipeline.demo_weeks import feed_for_day, reveal_schedule, simulated_days

    site = sample_dir()
    schedule = reveal_schedule(site, 14)
    assert min(min(v) for v in schedule.values() if v) == 0
    assert max(max(v) for v in schedule.values() if v) == 13
    body = (site / "detikcom" / "rss.xml").read_bytes()
    full = feedparser.parse(body).entries
    early = feedparser.parse(feed_for_day(body, schedule["detikcom/rss.xml"], 3)).entries
    last = feedparser.parse(feed_for_day(body, schedule["detikcom/rss.xml"], 13)).entries
    assert 0 < len(early) < len(full) == len(last)
    dates = {e.link: e.get("published") for e in full}
    assert all(dates[e.link] == e.get("published") for e in early)  # dates untouched
    assert [d.weekday() for d in simulated_days(date(2026, 11, 26))] == list(range(7)) * 2
    assert simulated_days(date(2026, 11, 26))[0] == date(2026, 11, 9)


# -- the desk's Tren page ----------------------------------------------------------------------

def test_tren_page_charts_story_timeline_and_card_record(week_db):
    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user

    add_user(week_db, "rina", "kata-sandi-rahasia")
    client = TestClient(create_app(week_db, settings=DigestSettings(), forum=FORUM, secret_key="k"))
    assert client.get("/tren", follow_redirects=False).status_code == 303  # login first
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia",
                                "next": "/tren"}, follow_redirects=False)
    page = client.get("/tren?week=2026-W47")
    assert page.status_code == 200
    assert "Sen 16/11 – Min 22/11 2026" in page.text and 'href="/tren/cerita/s1"' in page.text
    assert "/tren/grafik/2026-W47/grafik-1-harian.png" in page.text and "Tren</a>" in page.text
    chart = client.get("/tren/grafik/2026-W47/grafik-1-harian.png")
    assert chart.headers["content-type"] == "image/png" and Image.open(io.BytesIO(chart.content)).width >= 720
    assert client.get("/tren/grafik/2026-W47/lain.png").status_code == 404
    assert "bukan minggu yang dikenali" in client.get("/tren?week=bukan").text  # said, then last week
    story = client.get("/tren/cerita/s1").text
    assert "SALAH: Surat suara tercoblos itu hoaks" in story and "masih muncul 2 kali" in story
    assert "oleh rina" in story and "dikirim lewat whatsapp" in story
    assert client.get("/tren/cerita/tidak-ada").status_code == 404
    # making a card on the desk records it
    assert client.get("/card/item/b1").status_code == 200
    con = duckdb.connect(str(week_db), read_only=True)
    rows = con.execute(
        "SELECT kind, ref, item_id, made_by FROM clarification_cards WHERE ref = 'b1'").fetchall()
    con.close()
    assert rows == [("item", "b1", "b1", "rina")]


def test_lifecycle_notebook_answers_the_question(week_db, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    monkeypatch.setenv("SARING_DB", str(week_db))
    nb = nbformat.read(repo / "notebooks" / "lifecycle.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(repo)}}).execute()
    outputs = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                      for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "1 clarified stories, 1 kept spreading after the card" in outputs
    assert "5 story-days around a clarification" in outputs


def test_lifecycle_notebook_counts_the_days_a_story_spread_not_the_day_only_a_card_was_made(week_db,
                                                                                            monkeypatch):
    # Story s1 was mentioned Mon, Tue, Thu and Fri; Wednesday only has the forum's card. The
    # notebook's "which spread most over how many days" said 5 days: the card's day counted.
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    monkeypatch.setenv("SARING_DB", str(week_db))
    nb = nbformat.read(repo / "notebooks" / "lifecycle.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(_.loc['s1', 'days'], _.loc['s1', 'mentions'], "
                                              "_.loc['s1', 'tipline'])"))
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(repo)}}).execute()
    assert nb.cells[-1].outputs[0]["text"].split() == ["4", "3", "1"]


def test_weekly_flow_and_its_monday_deployment(prefect_harness, week_db, tmp_path):
    from pathlib import Path

    from flows.weekly import weekly_flow

    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
        "settings": {"forum": {"area": "Kota Batu"}}}), encoding="utf-8")
    paths = weekly_flow(sources=str(sources), db=str(week_db), out=str(tmp_path / "w"), week="2026-W47")
    assert Path(paths[0]).name == "laporan.html" and len(paths) == 5
    assert all(Path(p).exists() for p in paths)
    from saring.report.weekly import WeekError

    with pytest.raises(WeekError, match="has not started yet"):  # a run asked for a week to come
        weekly_flow(sources=str(sources), db=str(week_db), out=str(tmp_path / "w"), week="2099-W10",
                    send=True)
    spec = yaml.safe_load((Path(__file__).resolve().parent.parent / "prefect.yaml").read_text())
    [weekly] = [d for d in spec["deployments"] if d["entrypoint"] == "flows/weekly.py:weekly_flow"]
    assert weekly["schedules"] == [{"cron": "0 7 * * 1", "timezone": "Asia/Jakarta"}]
    assert weekly["parameters"]["send"] is True


def test_a_week_not_over_yet_is_refused_unless_partial_and_never_sent(week_db, tmp_path, httpserver,
                                                                      monkeypatch):
    # `--week` one too far, or `--end` a date of this week: the report of a week with (almost) no
    # days said "0 berita pemilu (sama)" and `--send` delivered it to the forum as an all-clear.
    from saring.report.digest import today_wib

    raw = {"sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
           "settings": {"delivery": {"attempts": 1, "backoff": 0, "channels": [
               {"name": "wa-gateway", "url_env": "T_HOOK", "format": "whatsapp"}]}}}
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    monkeypatch.setenv("T_HOOK", "json://" + httpserver.url_for("/wa").split("://")[1])
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "mingguan"
    base = ["report", "weekly", "--db", str(week_db), "--sources", str(sources), "--out", str(out)]
    this_week = ["--end", today_wib().isoformat()]
    for when, extra, said in ((this_week, [], "has not ended yet"),
                              (this_week, ["--send"], "has not ended yet"),
                              (["--week", "2099-W10"], [], "has not started yet"),
                              (["--week", "2099-W10"], ["--partial"], "has not started yet"),
                              (["--end", "2099-03-05"], ["--partial", "--send"], "has not started yet"),
                              (this_week, ["--partial", "--send"], "is not sent")):
        result = CliRunner().invoke(app, base + when + extra)
        assert result.exit_code == 2, (when, extra, result.output)
        assert said in result.output, (when, extra, result.output)
    assert not out.exists() and not httpserver.log  # nothing written, nothing sent
    # Looking at the week so far is allowed when asked for (the folder says which week it is).
    result = CliRunner().invoke(app, base + this_week + ["--partial"])
    assert result.exit_code == 0, result.output
    assert any(out.iterdir()) and not httpserver.log


def test_partial_without_a_week_writes_the_week_so_far(week_db, tmp_path):
    # On Saturday a member asks for this week's picture, `saring report weekly --partial` as the
    # README says; it wrote last week's complete report instead, under last week's name.
    from saring import clock

    out = tmp_path / "mingguan"
    with clock.frozen(at(day(5), 10)):  # Saturday of 2026-W47
        result = CliRunner().invoke(app, ["report", "weekly", "--db", str(week_db), "--out", str(out),
                                          "--partial"])
    assert result.exit_code == 0, result.output
    assert "2026-W47" in result.output
    assert [p.name for p in out.iterdir()] == ["2026-W47"]


def test_the_report_files_are_listed_one_whole_path_a_line(week_db, tmp_path):
    # Saved to a log or piped, a path longer than 80 columns was folded in two: not copyable.
    out = tmp_path / ("laporan-mingguan-forum-bakohumas-" * 3)
    result = CliRunner().invoke(app, ["report", "weekly", "--db", str(week_db), "--out", str(out),
                                      "--week", "2026-W47"])
    assert result.exit_code == 0, result.output
    assert f"  {out / '2026-W47' / 'laporan.html'}" in result.output.splitlines()


def test_cli_card_is_recorded_with_who_and_channel(week_db):
    result = CliRunner().invoke(app, ["card", "a2", "--db", str(week_db), "--by", "budi",
                                      "--sent-via", "whatsapp"])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(week_db), read_only=True)
    rows = con.execute("SELECT kind, item_id, made_by, channel, sent_at IS NOT NULL FROM clarification_cards "
                       "WHERE ref = 'a2'").fetchall()
    con.close()
    assert rows == [("item", "a2", "budi", "whatsapp", True)]


def test_a_wit_forums_monday_run_before_two_reports_the_week_just_ended(prefect_harness, week_db, tmp_path):
    # A Jayapura forum (schedule.timezone: WIT) has its weekly run at Monday 01:30 WIT: Sunday
    # 23:30 in Jakarta, and the run reported the week before last.
    from zoneinfo import ZoneInfo

    from flows.weekly import weekly_flow
    from saring import clock

    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
        "settings": {"schedule": {"timezone": "WIT", "weekly": "30 1 * * 1"}}}), encoding="utf-8")
    with clock.frozen(datetime(2026, 11, 23, 1, 30, tzinfo=ZoneInfo("Asia/Jayapura"))):
        paths = weekly_flow(sources=str(sources), db=str(week_db), out=str(tmp_path / "w"))
    assert [p.rsplit("/", 2)[1] for p in paths[:2]] == ["2026-W47", "2026-W47"]


def test_the_weekly_flow_reads_the_sources_file_saring_sources_names(prefect_harness, week_db, tmp_path,
                                                                     monkeypatch):
    # A Jayapura forum keeps its settings where $SARING_SOURCES says, as the ingest and digest
    # flows read them; the weekly run looked for ./sources.yaml instead and failed every Monday.
    from zoneinfo import ZoneInfo

    from flows.weekly import weekly_flow
    from saring import clock

    sources = tmp_path / "etc" / "sources.yaml"
    sources.parent.mkdir()
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
        "settings": {"schedule": {"timezone": "WIT", "weekly": "30 1 * * 1"}}}), encoding="utf-8")
    monkeypatch.setenv("SARING_SOURCES", str(sources))
    monkeypatch.chdir(tmp_path)  # no sources.yaml here
    with clock.frozen(datetime(2026, 11, 23, 1, 30, tzinfo=ZoneInfo("Asia/Jayapura"))):
        paths = weekly_flow(db=str(week_db), out=str(tmp_path / "w"))
    assert [p.rsplit("/", 2)[1] for p in paths[:2]] == ["2026-W47", "2026-W47"]  # the week on WIT


def test_a_jayapura_forums_week_runs_from_its_own_monday_midnight_with_times_in_wit(tmp_path):
    # A Jayapura forum (schedule.timezone: WIT): what saring saw at 01:30 on its Monday 23/11 was
    # counted on Sunday of the week before (23:30 WIB), its card stamped "Min 22/11 23.30 WIB".
    from zoneinfo import ZoneInfo

    from saring.report.lifecycle import record_card
    from saring.report.weekly import build_weekly
    from saring.report.weekly_files import render_weekly

    seen = datetime(2026, 11, 23, 1, 30, tzinfo=ZoneInfo("Asia/Jayapura"))
    with Store(tmp_path / "saring.duckdb") as store:
        con = store.con
        con.execute("INSERT INTO sources (source_id, name, region) VALUES ('cepos', 'Cepos', 'Papua')")
        con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state) VALUES "
                    "('j1', 'https://cepos.test/1', 'cepos', 'Distribusi logistik pemilu', ?, 'scored')",
                    [seen])
        con.execute("INSERT INTO scores VALUES ('j1', 'm1', 0.9, 0.2, [], [], ?)", [seen])
        con.execute("INSERT INTO stories VALUES ('j1', 's1', ?)", [seen])
        record_card(con, "item", "j1", "rina", channel="whatsapp", at=seen)
        own = build_weekly(con, MONDAY + timedelta(days=7), DigestSettings(), timezone="Asia/Jayapura")
        before = build_weekly(con, MONDAY, DigestSettings(), timezone="Asia/Jayapura")
        jakarta = build_weekly(con, MONDAY, DigestSettings())  # the default: WIB
    assert own.totals.election == 1 and before.totals.election == 0
    assert own.days[0].day == MONDAY + timedelta(days=7) and own.days[0].sedang + own.days[0].rendah == 1
    assert "kartu Sen 23/11 01.30 WIT" in render_weekly(own, "whatsapp")
    page = render_weekly(own, "html")
    assert "(WIT)" in page and "Senin, 23 November 2026, 01.30 WIT" in page and "WIB" not in page
    assert jakarta.totals.election == 1 and "kartu Min 22/11 23.30 WIB" in render_weekly(jakarta, "whatsapp")


def _jayapura_story(tmp_path):
    """A Jayapura forum's (WIT) database: a story first seen at 01:30 WIT on Monday 23/11, carded then."""
    from zoneinfo import ZoneInfo

    from saring.report.lifecycle import record_card

    db = tmp_path / "saring.duckdb"
    seen = datetime(2026, 11, 23, 1, 30, tzinfo=ZoneInfo("Asia/Jayapura"))  # Sunday 23:30 in Jakarta
    with Store(db) as store:
        con = store.con
        con.execute("INSERT INTO sources (source_id, name, region) VALUES ('cepos', 'Cepos', 'Papua')")
        con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state) VALUES "
                    "('j1', 'https://cepos.test/1', 'cepos', 'Distribusi logistik pemilu', ?, 'scored')",
                    [seen])
        con.execute("INSERT INTO scores VALUES ('j1', 'm1', 0.9, 0.2, [], [], ?)", [seen])
        con.execute("INSERT INTO stories VALUES ('j1', 's1', ?)", [seen])
        record_card(con, "item", "j1", "rina", at=seen, zone="Asia/Jayapura")
        store.publish_snapshot()
    return db


def test_a_wit_forums_story_timeline_on_the_desk_counts_its_own_days(tmp_path):
    # A Jayapura forum (schedule.timezone: WIT) opened the timeline of a rumour first seen at 01:30
    # WIT on Monday: its "Per hari" list put the mention and the card on "Min 22/11" (Jakarta's
    # day), while the digest, the weekly report and the card itself said Monday 23/11.



    db = _jayapura_story(tmp_path)
    client = _logged_in(db, secret_key="k", timezone="Asia/Jayapura")
    page = client.get("/tren/cerita/s1").text
    per_day = page.split("Per hari", 1)[1]
    assert "Sen 23/11: 1 berita" in per_day and "kartu dibuat" in per_day, per_day
    assert "22/11" not in per_day


def test_a_storys_fact_checks_are_shown_once_each_best_first_without_a_missing_verdict(week_db):
    # The story page listed one fact-check page twice (stored under its http and its https
    # address, each matched by an item of the story), in no order, with the worst similarity, and
    # printed "None: ..." for a fact-check with no verdict yet.



    with Store(week_db) as store:
        store.con.execute("INSERT INTO factchecks (factcheck_id, source_id, url, title, verdict) VALUES "
                          "('f1http', 'cekfakta', 'http://cek.test/1', 'Surat suara tercoblos itu hoaks', "
                          "'SALAH'), ('f2', 'cekfakta', 'https://cek.test/2', 'Isu di Batu', NULL)")
        store.con.execute("INSERT INTO factcheck_matches VALUES ('a2', 'f1http', 0.9, now()), "
                          "('a3', 'f2', 0.6, now())")
        store.publish_snapshot()
    client = _logged_in(week_db, settings=DigestSettings(), forum=FORUM, secret_key="k")
    story = client.get("/tren/cerita/s1").text
    shown = story.split("<dt>Cek fakta</dt>", 1)[1].split("</dd>", 1)[0]
    assert shown.count("Surat suara tercoblos itu hoaks") == 1 and "None" not in shown, shown
    assert shown.index("cek.test/1") < shown.index(">Isu di Batu</a>"), shown


def test_analysts_count_a_wit_forums_days_on_its_own_clock(tmp_path, monkeypatch):
    # The same forum's analyst: story_daily, source_daily and rumour_lifecycle (saring.connect(),
    # saring query) put Monday 01:30 WIT on Sunday, a day off the forum's digest and weekly report.
    import saring

    db = _jayapura_story(tmp_path)
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "cepos", "name": "Cepos", "url": "https://cepos.test/feed"}],
        "settings": {"schedule": {"timezone": "WIT"}}}), encoding="utf-8")
    monday = date(2026, 11, 23)
    days = ("SELECT (SELECT day FROM story_daily), (SELECT day FROM source_daily), "
            "(SELECT day FROM rumour_lifecycle), (SELECT cards_made FROM rumour_lifecycle)")
    con = saring.connect(db, timezone="WIT")
    assert con.execute(days).fetchone() == (monday, monday, monday, 1)
    assert str(con.execute("SELECT first_seen_at FROM items").fetchone()[0]) == "2026-11-23 01:30:00+09:00"
    con.close()
    monkeypatch.setenv("SARING_SOURCES", str(sources))  # the forum's sources file says WIT
    con = saring.connect(db)
    assert con.execute(days).fetchone() == (monday, monday, monday, 1)
    con.close()
    said = CliRunner().invoke(app, ["query", "SELECT day, items FROM story_daily", "--db", str(db), "--csv"])
    assert said.exit_code == 0 and said.output == "day,items\n2026-11-23,1\n", said.output
    monkeypatch.delenv("SARING_SOURCES")
    monkeypatch.chdir(tmp_path / "..")  # no sources file: WIB, as before
    con = saring.connect(db)
    assert con.execute("SELECT day FROM story_daily").fetchone()[0] == date(2026, 11, 22)
    con.close()


def test_whether_a_week_is_over_follows_the_simulated_clock(tmp_path):
    # A simulated run (the demo's two weeks, saring.clock.frozen) on the Wednesday of 2026-W47
    # was told by the machine's own clock that the week was long over (or had not started), so
    # a report of days still to come could be sent as a quiet week.
    from zoneinfo import ZoneInfo

    from saring import clock
    from saring.report.weekly import WeekError, check_week_over, week_over

    with clock.frozen(at(day(2), 10)):
        assert week_over(MONDAY) is False and week_over(MONDAY + timedelta(days=7)) is None
        with pytest.raises(WeekError, match="has not ended yet"):
            check_week_over(MONDAY)
    with clock.frozen(datetime(2026, 11, 23, 0, 30, tzinfo=ZoneInfo("Asia/Makassar"))):  # Mon 00:30 WITA
        assert week_over(MONDAY, zone="Asia/Makassar") is True
        assert week_over(MONDAY) is False  # still Sunday 23:30 in Jakarta


def test_a_wit_forums_card_opened_on_the_desk_and_sent_later_the_same_night_is_one_card(week_db, tmp_path):
    # A Jayapura forum (schedule.timezone: WIT): the analyst opened a card on the desk at 01:50 WIT
    # and marked it sent on WhatsApp with `saring card --sent-via` at 02:10. The card's day was
    # Jakarta's, which turns at 02:00 WIT, so they were two cards and the weekly report listed the
    # first: one never sent.
    from zoneinfo import ZoneInfo

    from saring import clock

    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
        "settings": {"schedule": {"timezone": "WIT"}}}), encoding="utf-8")
    night = datetime.combine(day(1), time(0), tzinfo=ZoneInfo("Asia/Jayapura"))
    client = _logged_in(week_db, secret_key="k", timezone="Asia/Jayapura")
    with clock.frozen(night + timedelta(hours=1, minutes=50)):
        assert client.get("/card/item/a2").status_code == 200
    with clock.frozen(night + timedelta(hours=2, minutes=10)):
        said = CliRunner().invoke(app, ["card", "a2", "--db", str(week_db), "--sources", str(sources),
                                        "--by", "rina", "--sent-via", "whatsapp"])
    assert said.exit_code == 0, said.output
    con = duckdb.connect(str(week_db), read_only=True)
    rows = con.execute("SELECT made_by, channel FROM clarification_cards WHERE ref = 'a2'").fetchall()
    con.close()
    assert rows == [("rina", "whatsapp")]


def test_a_fact_check_whose_title_carries_no_verdict_is_still_named_in_the_weekly(ingested, monkeypatch):
    # Many fact-check titles carry no verdict saring reads (AFP Indonesia, cekfakta.com, TurnBackHoax's
    # "[BELUM TERBUKTI]"): the daily digest showed the match, but the weekly joined the missing verdict
    # into NULL and its story lost the fact-check (a one-outlet story was left out of the list).
    from saring.report.weekly import build_weekly, monday_of

    monkeypatch.setattr("saring.report.weekly.TOP_STORIES", 50)  # the sample's stories tie at the cut
    with Store(ingested) as store:
        con = store.con
        con.execute(r"UPDATE factchecks SET verdict = NULL, title = regexp_replace(title, '^\[HOAKS\] ', '')")
        seen = con.execute("SELECT max(first_seen_at) FROM items").fetchone()[0]
        report = build_weekly(con, monday_of(seen.astimezone(WIB).date()), DigestSettings())
    checks = {s.title: s.factcheck for s in report.stories}
    assert checks["Facebook Akan Ditutup 24 April Benar atau Cuma Hoaks Begini yang Sebenarnya"] == (
        "Facebook akan ditutup di Indonesia")


def test_a_fact_checks_verdict_is_named_once_in_the_weekly(ingested, monkeypatch):
    # The sample's fact-check titles carry their verdict: the weekly's story read
    # "cek fakta: HOAKS: [HOAKS] Facebook akan ditutup di Indonesia".
    from saring.report.weekly import build_weekly, monday_of

    monkeypatch.setattr("saring.report.weekly.TOP_STORIES", 50)  # the sample's stories tie at the cut
    with Store(ingested) as store:
        con = store.con
        seen = con.execute("SELECT max(first_seen_at) FROM items").fetchone()[0]
        report = build_weekly(con, monday_of(seen.astimezone(WIB).date()), DigestSettings())
    checks = {s.title: s.factcheck for s in report.stories}
    assert checks["Facebook Akan Ditutup 24 April Benar atau Cuma Hoaks Begini yang Sebenarnya"] == (
        "[HOAKS] Facebook akan ditutup di Indonesia")


def test_a_pasted_message_clarified_twice_is_one_clarified_rumour_in_the_weekly(week_db):
    # A member pasted a forward not seen in any news into the desk's check box; Rina sent its card
    # to the group on Tuesday and again on Thursday when the message came back. The weekly's
    # "Rumor yang sudah diklarifikasi" listed that one rumour twice (a check near no story).
    from saring.report.lifecycle import record_card
    from saring.report.weekly_files import render_weekly

    with Store(week_db) as store:
        store.con.execute("INSERT INTO checks (check_id, fingerprint, query, checked_at) VALUES "
                          "('c1', 'f', 'TPS di Batu pindah ke balai desa', ?)", [at(day(1))])
        for n in (1, 3):
            record_card(store.con, "check", "c1", "rina", channel="whatsapp", at=at(day(n), 11))
    report = report_of(week_db)
    assert [(c.ref, c.made_at) for c in report.clarified if c.kind == "check"] == [("c1", at(day(1), 11))]
    assert render_weekly(report, "whatsapp").count("TPS di Batu pindah ke balai desa") == 1


def test_a_story_titled_by_a_forwarded_link_is_named_by_that_link_in_the_stories_chart(week_db):
    # A member forwarded the link before any outlet wrote the story, and its page could not be
    # read: the story is titled by the link, one long word. The chart of the most spread stories
    # labelled its bar only "…" (a second such story too), so nobody could tell which story it was.
    from saring.report.charts import CHARTS, png

    link = "https://x.test/share/p/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdef/?mibextid=wwXIfr"
    with duckdb.connect(str(week_db)) as con:
        con.execute("UPDATE items SET title = ? WHERE item_id = 'a1'", [link])
    report = report_of(week_db)
    assert report.stories[0].title == link
    fig = CHARTS["grafik-3-cerita.png"][1](report)
    png(fig)
    [label] = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert label.replace("\n", "").startswith("https://x.test/share/p/1AbC"), label


def test_a_checked_rumour_keeps_its_text_in_the_weekly_once_retention_purged_the_forward_it_matched(week_db):
    # Friday a member pasted the group's forward into the check box (near-identical to it) and the
    # card went out. Two weeks on the forward's text was purged (14 days' retention) and the rumour
    # came back in the news: the weekly listed the card as "(pesan dihapus: masa simpan habis)",
    # though the checked text, which is never purged, still names it.
    import json as _json

    from saring.pipeline.forwarded import purge_tipline
    from saring.report.lifecycle import record_card

    pasted = "Surat suara sudah dicoblos!! sebarkan ke grup lain"
    with Store(week_db) as store:
        store.con.execute("UPDATE stories SET story_id = 's4' WHERE item_id = 't1'")  # the group's own rumour
        similar = _json.dumps([{"item_id": "t1"}])  # the check found the forward near-identical
        store.con.execute("INSERT INTO checks (check_id, fingerprint, query, similar_json, checked_at) "
                          "VALUES ('c1', 'f', ?, ?, ?)", [pasted, similar, at(day(4), 9)])
        record_card(store.con, "check", "c1", "rina", channel="whatsapp", at=at(day(4), 10))
        store.con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state) VALUES "
                          "('a4', 'https://x.test/a4', 'kompas', 'Surat suara tercoblos lagi', ?, 'scored')",
                          [at(day(15))])
        store.con.execute("INSERT INTO stories VALUES ('a4', 's4', ?)", [at(day(15))])
        store.con.execute("INSERT INTO tipline_messages (message_id, text, imported_at) VALUES "
                          "('m1', ?, ?)", ["Surat suara sudah dicoblos!!", at(day(4))])
        purge_tipline(store, 14, now=at(day(21)))
    [card] = [c for c in report_of(week_db, MONDAY + timedelta(days=14)).clarified if c.kind == "check"]
    assert (card.ref, card.mentions_after) == ("c1", 1)
    assert card.title == pasted


def test_a_chart_missing_from_the_weeks_folder_is_left_out_of_the_mail_and_named_in_its_send_record(
        week_db, tmp_path, smtp):
    # A chart was deleted from data/weekly/<week>/ before the send: apprise refused the whole mail
    # ("Could not access attachment"), so the forum got no report; now it gets the other charts.
    from saring.report.weekly import parse_week
    from saring.report.weekly_files import make_weekly, send_weekly

    config = parse_config({
        "sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
        "settings": {"forum": {"area": "Kota Batu"}, "delivery": {"attempts": 1, "backoff": 0, "channels": [
            {"name": "email-forum", "url_env": "T_SMTP", "format": "email"}]}}})
    report, files = make_weekly(week_db, parse_week("2026-W47"), config, tmp_path / "mingguan")
    files.charts[1].unlink()
    result = send_weekly(week_db, report, files, config, env={"T_SMTP": smtp.url_to("forum@test.invalid")})
    [mail] = smtp.received
    msg = email.message_from_bytes(mail.content, policy=policy.default)
    attached = sorted(part.get_filename() for part in msg.iter_attachments())
    assert attached == ["grafik-1-harian.png", "grafik-3-cerita.png"]
    [line] = result.lines()
    assert line.startswith("email-forum: sent") and "grafik-2-wilayah.png" in line, line
    con = duckdb.connect(str(week_db), read_only=True)
    sent = con.execute("SELECT status, error FROM deliveries WHERE report_kind = 'weekly'").fetchall()
    con.close()
    assert sent[0][0] == "sent" and "grafik-2-wilayah.png" in sent[0][1], sent


def test_a_storys_group_forwards_are_counted_apart_from_its_news_in_the_text_and_the_chart(week_db, tmp_path):
    # A rumour only forwarded in the members' group this week read "— 0 media, 3 berita" with a bar
    # of zero in the chart: the forwards are no news articles (the digest tells them apart too).
    from saring.report.charts import CHARTS, png
    from saring.report.weekly_files import render_weekly

    with duckdb.connect(str(week_db)) as con:
        for n in (2, 3, 4):  # the fixture's forwarded text, in a story no outlet carried
            con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state, kind, "
                        "channel) VALUES (?, ?, 'tipline', 'Surat suara sudah dicoblos!!', ?, 'scored', "
                        "'tipline', 'grup')",
                        [f"t{n}", f"https://x.test/t{n}", at(day(5), n)])
            con.execute("INSERT INTO stories VALUES (?, 's4', ?)", [f"t{n}", at(day(5), n)])
    report = report_of(week_db)
    assert [(s.story_id, s.outlets, s.items, s.forwards) for s in report.stories] == [
        ("s1", 3, 3, 1), ("s4", 0, 0, 3)]
    wa = render_weekly(report, "whatsapp")
    assert "1. Surat suara tercoblos di Batu — 3 media, 3 berita, 1 pesan/tautan di grup" in wa
    assert "2. Surat suara sudah dicoblos!! — 3 pesan/tautan di grup" in wa and "0 media" not in wa
    fig = CHARTS["grafik-3-cerita.png"][1](report)
    png(fig)
    widths = {}  # each story's bar, by its row (the first story is drawn at the top)
    for bar in fig.axes[0].patches:
        widths[round(bar.get_y() + bar.get_height() / 2)] = widths.get(
            round(bar.get_y() + bar.get_height() / 2), 0) + bar.get_width()
    assert widths == {1: 4, 0: 3}


def test_the_weeks_mail_says_only_the_charts_it_carries_are_attached(week_db, tmp_path, smtp):
    # Charts deleted from data/weekly/<week>/ before the send: the mail went without them but its text
    # still said "Grafik terlampir", and forum members looked for charts that were not there.
    from saring.report.weekly import parse_week
    from saring.report.weekly_files import make_weekly, send_weekly

    config = parse_config({
        "sources": [{"id": "kompas", "name": "Kompas.com", "url": "https://kompas.test/feed"}],
        "settings": {"forum": {"area": "Kota Batu"}, "delivery": {"attempts": 1, "backoff": 0, "channels": [
            {"name": "email-forum", "url_env": "T_SMTP", "format": "email"},
            {"name": "email-teks", "url_env": "T_SMTP_TEXT", "format": "email_text"}]}}})
    env = {"T_SMTP": smtp.url_to("forum@test.invalid"), "T_SMTP_TEXT": smtp.url_to("pers@test.invalid")}

    def texts(mails):
        return [email.message_from_bytes(m.content, policy=policy.default).get_body(("html", "plain"))
                .get_content() for m in mails]

    report, files = make_weekly(week_db, parse_week("2026-W47"), config, tmp_path / "mingguan")
    files.charts[1].unlink()
    send_weekly(week_db, report, files, config, env=env)
    for text in texts(smtp.received):
        assert "terlampir: Berita pemilu per hari, Cerita yang paling menyebar" in text, text
        assert "per wilayah" not in text
    for chart in files.charts:
        chart.unlink(missing_ok=True)
    send_weekly(week_db, report, files, config, env=env, force=True)
    for text in texts(smtp.received[2:]):
        assert "terlampir" not in text and "Grafik" not in text, text


# -- the year's end: 2026 has 53 ISO weeks ------------------------------------------------------
# 2026-W53 runs from Monday 28/12/2026 to Sunday 3/1/2027; 2027-W01 starts on Monday 4/1/2027.

W52, W53, W01 = date(2026, 12, 21), date(2026, 12, 28), date(2027, 1, 4)
WIT = ZoneInfo("Asia/Jayapura")


def wit(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIT)


@pytest.fixture()
def year_end_db(tmp_path):
    """A Jayapura forum's (WIT) database around the year's end, row by row.

    Story s1: Mon 28/12 00:10 WIT (Sunday 22:10 in Jakarta), New Year's Eve 23:30, New Year 00:30,
    a forward Sat 2/1 08:00, its card Sat 2/1 10:00, Sun 3/1 23:30 WIT (14:30 UTC), then in 2027-W01
    Mon 4/1 00:30 WIT (Sunday 22:30 in Jakarta) and 09:00. Week 52: one item of story s0.
    """
    from saring.report.lifecycle import record_card

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        con = store.con
        con.execute("INSERT INTO sources (source_id, name, region) VALUES ('cepos', 'Cepos', 'Papua'), "
                    "('kompas', 'Kompas.com', 'Nasional'), ('tipline', 'Grup WhatsApp', 'Media sosial')")
        items = [  # id, source, first seen, kind, channel, story
            ("p1", "kompas", wit(2026, 12, 24, 10), None, None, "s0"),
            ("a1", "cepos", wit(2026, 12, 28, 0, 10), None, None, "s1"),
            ("a2", "kompas", wit(2026, 12, 31, 23, 30), None, None, "s1"),
            ("a3", "cepos", wit(2027, 1, 1, 0, 30), None, None, "s1"),
            ("t1", "tipline", wit(2027, 1, 2, 8), "tipline", "grup", "s1"),
            ("a4", "kompas", wit(2027, 1, 3, 23, 30), None, None, "s1"),
            ("b1", "cepos", wit(2027, 1, 4, 0, 30), None, None, "s1"),
            ("b2", "kompas", wit(2027, 1, 4, 9), None, None, "s1"),
        ]
        for item_id, source, seen, kind, channel, story in items:
            con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state, kind, "
                        "channel) VALUES (?, ?, ?, ?, ?, 'scored', ?, ?)",
                        [item_id, f"https://x.test/{item_id}", source, f"Surat suara {item_id}", seen, kind,
                         channel])
            con.execute("INSERT INTO scores VALUES (?, 'm1', 0.9, 0.9, [], [], ?)", [item_id, seen])
            con.execute("INSERT INTO stories VALUES (?, ?, ?)", [item_id, story, seen])
        con.execute("INSERT INTO factchecks (factcheck_id, source_id, url, title, verdict) VALUES "
                    "('f1', 'cekfakta', 'https://cek.test/1', 'Surat suara tercoblos itu hoaks', 'SALAH')")
        con.execute("INSERT INTO factcheck_matches VALUES ('a1', 'f1', 0.8, ?), ('b1', 'f1', 0.8, ?)",
                    [wit(2026, 12, 28, 1), wit(2027, 1, 4, 1)])
        record_card(con, "item", "a1", "rina", channel="whatsapp", at=wit(2027, 1, 2, 10),
                    zone="Asia/Jayapura")
        store.publish_snapshot()
    return db


def _year_end_sources(tmp_path, zone: str = "WIT"):
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({
        "sources": [{"id": "cepos", "name": "Cepos", "url": "https://cepos.test/feed"}],
        "settings": {"schedule": {"timezone": zone, "weekly": "30 1 * * 1"}}}), encoding="utf-8")
    return sources


def test_week_53_and_its_neighbours_are_named_parsed_and_picked_as_last_week():
    from saring.report.weekly import parse_week, week_label

    for label, monday in (("2026-W53", W53), ("2027-W01", W01), ("2020-W53", date(2020, 12, 28)),
                          ("2026-W52", W52)):
        assert parse_week(label) == monday and week_label(monday) == label
    # a date of week 53 in the new year, its Sunday, and the Monday after
    assert [parse_week(end=d) for d in ("2027-01-02", "2027-01-03", "2027-01-04")] == [W53, W53, W01]
    assert parse_week(today=W01) == W53  # Monday 4/1's run: not 2027-W00, not 2026-W52
    assert parse_week(today=date(2027, 1, 11)) == W01 and parse_week(today=date(2027, 1, 3)) == W52


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
def test_week_53_ends_at_the_forums_own_midnight(zone):
    from saring import clock
    from saring.localtime import today
    from saring.report.weekly import parse_week, week_over

    # Sunday 3/1 23:30 WIT is 14:30 UTC: week 53 is still running everywhere in Indonesia
    with clock.frozen(wit(2027, 1, 3, 23, 30)):
        assert week_over(W53, zone=zone) is False and week_over(W01, zone=zone) is None
    # the forum's own Monday 00:30: week 53 is over, and it is the last week
    with clock.frozen(datetime(2027, 1, 4, 0, 30, tzinfo=ZoneInfo(zone))):
        assert week_over(W53, zone=zone) is True and parse_week(today=today(zone)) == W53


def test_items_around_new_year_are_counted_once_in_the_forums_own_week(year_end_db):
    from saring.report.weekly import build_weekly

    def weeks(zone):
        with Store(year_end_db) as store:
            return [build_weekly(store.con, m, DigestSettings(), timezone=zone) for m in (W52, W53, W01)]

    w52, w53, w01 = weeks("Asia/Jayapura")
    assert [w.label for w in (w52, w53, w01)] == ["2026-W52", "2026-W53", "2027-W01"]
    assert w53.period == "Sen 28/12 2026 – Min 3/1 2027" and w01.period == "Sen 4/1 – Min 10/1 2027"
    assert [w.totals.items for w in (w52, w53, w01)] == [1, 5, 2]
    assert [w.totals.election for w in (w52, w53, w01)] == [1, 4, 2]
    # "perubahan": each week against the one just before it, across the year's end
    assert w53.previous == w52.totals and w01.previous == w53.totals
    assert dict((n, c) for n, _, c in w01.numbers)["Berita & unggahan terpantau"] == -3
    # the days are the forum's: New Year's Eve 23:30 WIT is 31/12, New Year 00:30 WIT is 1/1
    assert [(d.day, d.tinggi) for d in w53.days] == [
        (W53, 1), (date(2026, 12, 29), 0), (date(2026, 12, 30), 0), (date(2026, 12, 31), 1),
        (date(2027, 1, 1), 1), (date(2027, 1, 2), 0), (date(2027, 1, 3), 1)]
    assert [(s.story_id, s.outlets, s.items, s.forwards) for s in w53.stories] == [("s1", 2, 4, 1)]
    assert [(s.story_id, s.items) for s in w01.stories] == [("s1", 2)]
    # the card of 2/1 is week 53's; its rumour came back in 2027-W01, so it is listed there too
    [card53], [card01] = w53.clarified, w01.clarified
    assert (card53.made_at, card53.mentions_after) == (wit(2027, 1, 2, 10), 1)
    assert (card01.made_at, card01.mentions_after) == (wit(2027, 1, 2, 10), 3)
    assert [w.totals.factcheck_matches for w in (w52, w53, w01)] == [0, 1, 1]
    # In Jakarta the same rows fall on other weeks (Mon 00:10 WIT is Sunday 22:10 WIB), but
    # every item is still counted once over the three weeks.
    j52, j53, j01 = weeks("Asia/Jakarta")
    assert [w.totals.items for w in (j52, j53, j01)] == [2, 5, 1]
    assert (j52.days[-1].day, j52.days[-1].tinggi) == (date(2026, 12, 27), 1)  # a1, Sunday 22:10 WIB
    assert (j53.days[-1].day, j53.days[-1].tinggi) == (date(2027, 1, 3), 2)  # a4 and b1 (22:30 WIB)
    assert j53.previous == j52.totals and j01.previous == j53.totals
    assert sum(w.totals.items for w in (j52, j53, j01)) == sum(w.totals.items for w in (w52, w53, w01)) == 8


def test_the_monday_runs_after_new_year_write_week_53_then_2027_w01_in_time_order(year_end_db, tmp_path):
    from saring import clock

    sources, out = _year_end_sources(tmp_path), tmp_path / "mingguan"
    base = ["report", "weekly", "--db", str(year_end_db), "--sources", str(sources), "--out", str(out)]
    with clock.frozen(wit(2027, 1, 11, 1, 30)):  # written out of order: 2027-W01 first
        for extra in ([], ["--week", "2026-W52"], ["--end", "2027-01-02"]):
            result = CliRunner().invoke(app, base + extra)
            assert result.exit_code == 0, result.output
    with clock.frozen(wit(2027, 1, 4, 1, 30)):  # Monday 4/1's run: the week just ended is 53
        result = CliRunner().invoke(app, base)
        assert result.exit_code == 0, result.output
        assert "Weekly report 2026-W53 (Sen 28/12 2026 – Min 3/1 2027): 5 items" in result.output
        refused = CliRunner().invoke(app, base + ["--week", "2027-W01"])
        assert refused.exit_code == 2 and "has not ended yet" in refused.output
    assert sorted(p.name for p in out.iterdir()) == ["2026-W52", "2026-W53", "2027-W01"]
    meta = {p.name: json.loads((p / "laporan.json").read_text(encoding="utf-8")) for p in out.iterdir()}
    assert meta["2026-W53"]["monday"] == "2026-12-28" and meta["2027-W01"]["monday"] == "2027-01-04"
    assert meta["2027-W01"]["previous"] == meta["2026-W53"]["numbers"]
    assert meta["2026-W53"]["previous"] == meta["2026-W52"]["numbers"]
    text = (out / "2027-W01" / "whatsapp.txt").read_text(encoding="utf-8")
    assert "Laporan Mingguan Saring 2027-W01" in text and "Berita & unggahan terpantau: *2* (turun 3)" in text


def test_the_weekly_flows_monday_run_after_new_year_reports_week_53(prefect_harness, year_end_db, tmp_path):
    from pathlib import Path

    from flows.weekly import weekly_flow
    from saring import clock

    sources = _year_end_sources(tmp_path)
    with clock.frozen(wit(2027, 1, 4, 1, 30)):  # Sunday 22:30 in Jakarta: still W53 there
        paths = weekly_flow(sources=str(sources), db=str(year_end_db), out=str(tmp_path / "w"))
    assert [Path(p).parent.name for p in paths[:2]] == ["2026-W53", "2026-W53"]


def test_the_desks_tren_page_steps_through_week_53(year_end_db):
    from saring import clock

    client = _logged_in(year_end_db, settings=DigestSettings(), secret_key="k", timezone="Asia/Jayapura")
    with clock.frozen(wit(2027, 1, 4, 8)):
        last = client.get("/tren").text  # the last week, on the forum's Monday 4/1
        new_year = client.get("/tren?week=2027-W01").text
    assert "2026-W53 · Sen 28/12 2026 – Min 3/1 2027" in last
    assert 'href="/tren?week=2026-W52"' in last and 'href="/tren?week=2027-W01"' in last
    assert "/tren/grafik/2026-W53/grafik-1-harian.png" in last
    assert 'href="/tren?week=2026-W53"' in new_year and 'href="/tren?week=2027-W02"' in new_year
    numbers = new_year.split("<dl", 1)[1].split("</dl>", 1)[0]
    assert "<b>2</b> <span class=\"meta\">(turun 3)</span>" in numbers, numbers
    chart = client.get("/tren/grafik/2026-W53/grafik-1-harian.png")
    assert chart.status_code == 200 and Image.open(io.BytesIO(chart.content)).width >= 720


def test_the_digest_archive_lists_new_years_day_above_new_years_eve(year_end_db, tmp_path):
    import re

    from saring.report.daily import make_digest

    out = tmp_path / "arsip"
    for day_ in (date(2027, 1, 1), date(2026, 12, 30), date(2026, 12, 31)):
        make_digest(year_end_db, day_, DigestSettings(), out, timezone="Asia/Jayapura")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="digest-(\d{4}-\d\d-\d\d)\.txt"', index) == [
        "2027-01-01", "2026-12-31", "2026-12-30"]
