"""The digest from a real ingested database: content, formats, health section."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from saring.config import DigestSettings, parse_config
from saring.pipeline.ingest import run_ingest
from saring.report.daily import make_digest
from saring.report.digest import (
    FORMATS,
    build_digest,
    excerpt,
    record_reported,
    render,
    risk_label,
    tanggal,
    today_wib,
)
from saring.storage.database import Store


def with_a_dead_source(sample_config, httpserver):
    """The sample's sources plus "mati" (Sumber Mati), whose feed answers HTTP 500."""
    httpserver.expect_request("/feed").respond_with_data("down", status=500)
    return parse_config({"sources": [s.model_dump() for s in sample_config.sources]
                         + [{"id": "mati", "name": "Sumber Mati", "url": httpserver.url_for("/feed"),
                             "options": {"allow_private": True}}],
                         "settings": {"fetch": {"retries": 0}}})


@pytest.fixture()
def ingested(ingest_sample, sample_config, db_path, httpserver):
    ingest_sample(with_a_dead_source(sample_config, httpserver))
    return db_path


def test_digest_content_and_ranking(ingested):
    settings = DigestSettings(election_threshold=0.5)
    with Store(ingested) as store:
        d = build_digest(store.con, today_wib(), settings)
    assert d.items_seen >= 40 and d.unscored == 0
    titles = " ".join(i.title for i in d.election_items)
    assert "Bakohumas" in titles  # the two real local election articles
    scores = [i.hoax_score for i in d.election_items]
    assert scores == sorted(scores, reverse=True)
    assert all(i.election_score >= 0.5 for i in d.election_items)
    assert all(i.election_terms for i in d.election_items)
    failed = [h for h in d.health if h.status == "gagal"]
    assert [h.source_id for h in failed] == ["mati"] and "HTTP 500" in failed[0].detail


def test_whatsapp_and_html_render(ingested, tmp_path):
    d, paths = make_digest(ingested, today_wib(), DigestSettings(), tmp_path / "out")
    text, html = (p.read_text(encoding="utf-8") for p in paths[:2])
    assert [p.suffix for p in paths] == [".txt", ".html", ".md", ".txt", ".html"]
    assert text.startswith("*RINGKASAN HARIAN SARING*")
    assert "KESEHATAN SUMBER" in text and "Sumber Mati" in text
    assert "Saring sebelum Sharing" in text
    assert "<html lang=\"id\">" in html and "Kesehatan sumber" in html
    assert "http" not in html.split("<style>")[1].split("</style>")[0]  # no external assets
    for item in d.election_items:
        assert item.url in text


def test_html_escapes_titles(ingested, tmp_path):
    with Store(ingested) as store:
        store.con.execute("UPDATE articles SET title = '<script>alert(1)</script> KPU'")
        d = build_digest(store.con, today_wib(), DigestSettings())
    html = render(d, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_empty_day(ingested):
    # a day before saring first ran: not a quiet day (a day it ran with no news: see below)
    with Store(ingested) as store:
        d = build_digest(store.con, today_wib() - timedelta(days=3), DigestSettings())
    assert d.items_seen == 0 and not d.election_items
    text = render(d, "whatsapp")
    assert "Tidak ada berita terkait pemilu" not in text and "Saring tidak berjalan pada" in text


def test_a_day_when_no_source_could_be_read_says_so_and_not_that_there_was_no_news(db_path, httpserver):
    # Every feed down (the city's internet cut, a proxy misconfigured): the digest told the forum
    # "Tidak ada berita terkait pemilu hari ini", as on a quiet day, while saring read nothing.
    httpserver.expect_request("/feed").respond_with_data("down", status=500)
    httpserver.expect_request("/rss").respond_with_data("down", status=503)
    raw = {"sources": [{"id": "kompas", "name": "Kompas", "url": httpserver.url_for("/feed"),
                        "options": {"allow_private": True}},
                       {"id": "detik", "name": "Detik", "url": httpserver.url_for("/rss"),
                        "options": {"allow_private": True}}],
           "settings": {"fetch": {"retries": 0}}}
    with Store(db_path) as store:
        run_ingest(parse_config(raw), store, scorer=None)
        d = build_digest(store.con, today_wib(), DigestSettings())
    for fmt in ("whatsapp", "email_text", "email", "markdown", "html"):
        text = render(d, fmt)
        assert "Tidak ada berita terkait pemilu" not in text, fmt
        assert "Semua sumber gagal dibaca" in text and "bukan berarti tidak ada" in text, fmt
        assert "Kompas" in text and "gagal dibaca: " in text and "HTTP 503" in text, fmt


def test_a_source_failing_with_a_multi_line_error_keeps_one_line_in_the_plain_text_email(db_path):
    # Storing a source's articles ran out of memory (a small server): DuckDB's error holds a list of
    # "Possible solutions" on lines of their own, and the e-mail's plain text printed them under
    # the health section as if they were lines of the digest ("* Reducing the number of threads").
    import duckdb

    from saring.pipeline.ingest import _failed_result

    with duckdb.connect() as con:
        con.execute("SET memory_limit = '10MB'; SET threads = 1")
        with pytest.raises(duckdb.OutOfMemoryException) as oom:
            con.execute("SELECT list(range) FROM range(10000000)").fetchall()
    assert "\n" in str(oom.value)
    source = parse_config({"sources": [{"id": "kompas", "name": "Kompas",
                                        "url": "https://kompas.example/feed"}]}).sources[0]
    with Store(db_path) as store:
        store.sync_sources([source])
        _failed_result(source, store, oom.value)
        d = build_digest(store.con, today_wib(), DigestSettings())
    health = render(d, "email_text").split("KESEHATAN SUMBER\n================\n")[1].split("\n\n")[0]
    [line] = [ln for ln in health.splitlines() if "Kompas" in ln]
    assert line.startswith("- GAGAL Kompas: gagal dibaca: unexpected error: OutOfMemoryException")
    assert "Possible solutions: * Reducing the number of threads" in line
    assert all(ln.startswith("- ") for ln in health.splitlines())


def test_a_listing_pages_headline_written_on_two_lines_keeps_one_line_in_every_digest(db_path, httpserver,
                                                                                       scorer):
    # A CMS's news listing links each story by its photo alone, the headline in the link's title
    # attribute as the editor typed it (a line break, a tab, spaces). The article page could not
    # be read (404), so the digest shows that headline: the plain-text e-mail printed its second
    # half at the margin, as if it were a line of the digest.
    headline = "KPU Kota Contoh Gelar Rapat Koordinasi Forum Bakohumas"
    typed = "KPU Kota Contoh Gelar Rapat\n\t  Koordinasi   Forum Bakohumas"
    page = (f"<html><head><meta charset='utf-8'><title>Berita</title></head><body>"
            f"<a href='/berita/2023/10/12/rapat' title='{typed}'><img src='/img/rapat.jpg' alt=''></a>"
            f"</body></html>")
    httpserver.expect_request("/berita/").respond_with_data(page, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/berita/2023/10/12/rapat").respond_with_data("gone", status=404)
    raw = {"sources": [{"id": "kpu", "name": "KPU Kota Contoh", "kind": "webpage",
                        "url": httpserver.url_for("/berita/"),
                        "options": {"allow_private": True, "link_pattern": r"/berita/\d{4}/"}}],
           "settings": {"fetch": {"retries": 0}}}
    with Store(db_path) as store:
        run_ingest(parse_config(raw), store, scorer=scorer)
        assert store.con.execute("SELECT title FROM items").fetchall() == [(headline,)]
        d = build_digest(store.con, today_wib(), DigestSettings(election_threshold=0.0))
    assert [i.title for i in d.election_items] == [headline]
    for fmt in ("whatsapp", "email_text", "markdown"):
        assert any(headline in line for line in render(d, fmt).splitlines()), fmt


def test_a_failing_fact_check_feed_says_its_matches_and_risk_floors_may_be_missing(
        sample_site, sample_config, db_path, httpserver):
    # The fact-checker's feed broke (moved, 404): the health section said only "Cek Fakta (contoh):
    # gagal dibaca: ... HTTP 404", as for a news outlet. The forum could not tell that its newest
    # verdicts no longer reached saring, so news repeating a freshly debunked claim got no "cocok
    # dengan cek fakta" note and no raised risk while it failed.
    from saring.report.digest import FORMATS

    (sample_site.root_dir / "cekfakta" / "feed.xml").unlink()
    with Store(db_path) as store:
        run_ingest(with_a_dead_source(sample_config, httpserver), store, scorer=None,
                   only=["cekfakta", "mati"])
        d = build_digest(store.con, today_wib(), DigestSettings())
    health = {h.source_id: h for h in d.health}
    assert health["cekfakta"].status == "gagal" and "HTTP 404" in health["cekfakta"].detail
    assert "cek fakta" not in health["mati"].detail  # a news outlet's failure says nothing of them
    for fmt in FORMATS:
        text = " ".join(render(d, fmt).split())
        assert "cek fakta barunya tidak masuk" in text, fmt
        assert "cocok dengan cek fakta" in text and "belum dinaikkan" in text, fmt

def test_a_fact_check_feed_read_fine_counts_its_new_fact_checks_not_zero_news(ingested):
    # The HTML digest and the desk listed the fact-checker every day as "✅ Cek Fakta (contoh):
    # 0 berita baru", the day it brought in a dozen verdicts too: its entries are fact-checks,
    # stored apart from the news, and the forum read that it had given nothing.
    with Store(ingested) as store:
        d = build_digest(store.con, today_wib(), DigestSettings())
        new = store.con.execute("SELECT count(*) FROM factchecks WHERE source_id = 'cekfakta'").fetchone()[0]
    [cekfakta] = [h for h in d.health if h.source_id == "cekfakta"]
    assert new > 0 and (cekfakta.status, cekfakta.detail) == ("ok", f"{new} cek fakta baru")
    assert f"{new} cek fakta baru" in render(d, "html")

def test_a_digest_made_on_a_simulated_day_speaks_of_that_day(ingested):
    # The demo's two weeks of runs set the pipeline's clock to each simulated day; the digest read
    # the machine's clock instead: "made at" said today, and a day's digest made that same day
    # said "pada hari itu" where the real one would say "hari ini".
    from datetime import datetime, time

    from saring import clock
    from saring.localtime import WIB

    today = today_wib()
    with Store(ingested) as store:
        d = build_digest(store.con, today, DigestSettings(election_threshold=1.0))
    assert "tidak ada berita baru hari ini" not in render(d, "whatsapp")  # read, and not new today
    past = today - timedelta(days=9)
    at = datetime.combine(past, time(20, 0), tzinfo=WIB)
    with clock.frozen(at), Store(ingested) as store:
        d = build_digest(store.con, past, DigestSettings(election_threshold=1.0))
    assert d.generated_at == at
    assert "belum pernah dibaca sampai hari itu" not in render(d, "whatsapp")


def test_the_morning_digest_of_yesterday_does_not_say_today(ingested):
    # The scheduled 06:00 digest covers the day before: it told the forum, that morning, "Tidak
    # ada berita terkait pemilu hari ini" and "tidak ada berita baru hari ini" about yesterday.
    yesterday = today_wib() - timedelta(days=1)
    with Store(ingested) as store:
        d = build_digest(store.con, yesterday, DigestSettings())
    for fmt in ("whatsapp", "email_text", "email", "markdown", "html"):
        text = render(d, fmt)
        assert "hari ini" not in text, fmt
        assert f"Saring tidak berjalan pada {tanggal(yesterday)}" in text, fmt  # it first ran today
    # the sources were first read today: not read yet on that day (a day read but quiet: test_health)
    assert "belum pernah dibaca sampai hari itu" in render(d, "whatsapp")
    with Store(ingested) as store:
        today = build_digest(store.con, today_wib(), DigestSettings(election_threshold=1.0))
    assert "Tidak ada berita terkait pemilu hari ini." in render(today, "whatsapp")

def test_helpers():
    assert tanggal(date(2026, 11, 25)) == "Rabu, 25 November 2026"
    # stored before feeds refused such dates: the digest stopped on it (OverflowError)
    from datetime import UTC, datetime

    assert tanggal(datetime(9999, 12, 31, 23, 0, tzinfo=UTC)).startswith("Jumat, 31 Desember 9999")
    s = DigestSettings(high=0.7, medium=0.4)
    assert [risk_label(x, s) for x in (0.9, 0.5, 0.1)] == ["tinggi", "sedang", "rendah"]
    assert excerpt("satu dua tiga empat", 10) == "satu dua…"


def test_an_excerpt_whose_limit_falls_just_after_a_word_keeps_that_word():
    # The cut fell on the space after a word that fitted whole: that word was dropped too, so a
    # forwarded "mohon dicek <link>" whose link just fitted reached the digest without its link.
    assert excerpt("satu dua tiga", 8) == "satu dua…"
    assert excerpt("Ini beritanya https://malangpost.example/a/ mohon dicek", 43) == (
        "Ini beritanya https://malangpost.example/a/ …")


def test_reported_items_not_repeated_unless_score_moved(ingested, tmp_path):
    settings = DigestSettings(rereport_change=0.2)
    today = today_wib()
    with Store(ingested) as store:
        first = build_digest(store.con, today, settings)
        assert first.election_items and first.already_reported == 0
        target = first.election_items[0]
        # Pretend yesterday's digest already reported it with the same score: left out today.
        store.con.execute("INSERT INTO digest_items VALUES (?, ?, ?, 'x', now())",
                          [today - timedelta(days=1), target.item_id, target.hoax_score])
        again = build_digest(store.con, today, settings)
        assert target.item_id not in [i.item_id for i in again.election_items]
        assert again.already_reported == 1 and again.election_count == first.election_count
        # Its score moved by more than rereport_change since: it is back, with the old score shown.
        earlier = target.hoax_score + 0.5 if target.hoax_score < 0.5 else target.hoax_score - 0.5
        store.con.execute("UPDATE digest_items SET hoax_score = ? WHERE item_id = ?",
                          [earlier, target.item_id])
        back = build_digest(store.con, today, settings)
        moved = [i for i in back.election_items if i.item_id == target.item_id]
        assert moved and moved[0].previous_score is not None
        assert "skor berubah dari" in render(back, "whatsapp")
        # A later day shows it again only when the score moved (an earlier digest recorded it).
        record_reported(store.con, back)
        tomorrow = build_digest(store.con, today + timedelta(days=1), settings)
        assert tomorrow.items_seen == 0 and not tomorrow.election_items


def _digest_rows_before_issue_20(con, day, settings, zone="Asia/Jakarta"):
    """The digest query as it was before issue 20 (it read every wanted item's text), kept
    verbatim as the reference the faster query must match (its day in the forum's zone)."""
    from saring.report.digest import _window

    start, end = _window(day, zone)
    reported = """SELECT item_id, arg_max(hoax_score, digest_date) AS score,
                         max(digest_date) AS last_date
                  FROM digest_items WHERE digest_date < ? GROUP BY item_id"""
    places = """SELECT item_id, list(name ORDER BY first_pos, code) AS names,
                       list(code ORDER BY first_pos, code) AS codes
                FROM item_places WHERE item_id IN (SELECT item_id FROM wanted) GROUP BY item_id"""
    # The served score: text score raised by fact-check evidence.
    served = """SELECT l.item_id, l.model_version, l.election_score, l.election_terms,
                       greatest(l.hoax_score, coalesce(ev.floor, 0)) AS hoax_score,
                       CASE WHEN ev.floor IS NULL THEN l.hoax_terms
                            ELSE list_prepend(ev.reason, l.hoax_terms) END AS hoax_terms
                FROM latest l LEFT JOIN hoax_evidence ev USING (item_id)"""
    # The same columns as the item_overview view, but scores and articles are read only for
    # the wanted items: through the view, a day's digest scanned every stored article.
    return con.execute(
        f"""WITH reported AS ({reported}),
           wanted AS (SELECT item_id FROM items WHERE first_seen_at >= ? AND first_seen_at < ?
                      UNION
                      SELECT r.item_id FROM reported r JOIN items i USING (item_id)
                      WHERE i.first_seen_at < ?),
           latest AS (SELECT * FROM scores WHERE item_id IN (SELECT item_id FROM wanted)
                      QUALIFY row_number() OVER (PARTITION BY item_id
                                                 ORDER BY scored_at DESC, model_version DESC) = 1),
           sc AS ({served}),
           a AS (SELECT * FROM articles WHERE item_id IN (SELECT item_id FROM wanted)),
           st AS (SELECT item_id, story_id FROM stories WHERE item_id IN (SELECT item_id FROM wanted)),
           story AS (SELECT x.story_id, count(DISTINCT i2.source_id) AS outlets,
                            arg_min(coalesce(s2.name, i2.source_id), (i2.first_seen_at, i2.item_id)) AS first
                     FROM stories x JOIN items i2 USING (item_id) LEFT JOIN sources s2 USING (source_id)
                     WHERE x.story_id IN (SELECT story_id FROM st) GROUP BY x.story_id),
           fc AS (SELECT m.item_id, list({{'verdict': f.verdict, 'title': f.title, 'url': f.url}}
                                        ORDER BY m.similarity DESC) AS checks
                  FROM factcheck_matches m JOIN factchecks f USING (factcheck_id)
                  WHERE m.item_id IN (SELECT item_id FROM wanted) GROUP BY m.item_id),
           pl AS ({places})
           SELECT i.item_id, coalesce(a.title, i.title), coalesce(s.name, i.source_id),
                  coalesce(s.region, ''), i.url, coalesce(a.published_at, i.published_at),
                  coalesce(a.text, i.summary), sc.election_score, sc.hoax_score, sc.election_terms,
                  sc.hoax_terms, a.text_source, sc.model_version, i.first_seen_at, r.score, r.last_date,
                  i.first_seen_at >= ? AND i.first_seen_at < ? AS in_window,
                  st.story_id, coalesce(story.outlets, 1), story.first, fc.checks, i.kind,
                  pl.names, pl.codes, coalesce(s.name, i.source_id)  -- the source that found it (newer)
           FROM items i JOIN wanted USING (item_id)
           LEFT JOIN sources s USING (source_id) LEFT JOIN a USING (item_id)
           LEFT JOIN sc USING (item_id) LEFT JOIN reported r USING (item_id)
           LEFT JOIN st USING (item_id) LEFT JOIN story USING (story_id) LEFT JOIN fc USING (item_id)
           LEFT JOIN pl USING (item_id)
           WHERE (i.first_seen_at >= ? AND i.first_seen_at < ?) OR abs(sc.hoax_score - r.score) > ?
           ORDER BY sc.hoax_score DESC NULLS LAST, sc.election_score DESC, i.item_id""",
        [day, start, end, start, start, end, start, end, settings.rereport_change],
    ).fetchall()


def test_digest_unchanged_by_the_faster_query(ingested, monkeypatch):
    """The query that reads texts only for the items shown (issue 20: seconds at 1 M stored
    articles) gives the same digest as the one that read every text, reported items included."""
    import saring.report.digest as digest_module

    settings = DigestSettings(election_threshold=0.0, rereport_change=0.05, max_items=5)
    today = today_wib()
    with Store(ingested) as store:
        con = store.con
        first = build_digest(con, today, settings)
        assert len(first.election_items) == 5 and first.omitted > 0
        # Yesterday's digest reported two of today's items: one with the same score, one moved.
        for item, score in ((first.election_items[0], first.election_items[0].hoax_score),
                            (first.election_items[1], abs(first.election_items[1].hoax_score - 0.5))):
            con.execute("INSERT INTO digest_items VALUES (?, ?, ?, 'x', now())",
                        [today - timedelta(days=1), item.item_id, score])
        for day in (today, today + timedelta(days=1), today - timedelta(days=1)):
            old_rows = _digest_rows_before_issue_20(con, day, settings)
            new_rows = digest_module._digest_rows(con, day, settings)
            assert [r[:6] + r[7:] for r in new_rows] == [r[:6] + r[7:] for r in old_rows]
            assert all(r[6] is None for r in new_rows)
            fast = build_digest(con, day, settings)
            with monkeypatch.context() as m:  # the old rows, their texts taken from those rows
                m.setattr(digest_module, "_digest_rows", _digest_rows_before_issue_20)
                texts = {r[0]: r[6] for r in old_rows}
                m.setattr(digest_module, "_texts", lambda _con, _ids, texts=texts: texts)
                reference = build_digest(con, day, settings)
            assert fast == replace(reference, generated_at=fast.generated_at)
            if day == today:
                assert fast.already_reported == 1 and all(i.excerpt for i in fast.election_items)
                assert any(i.previous_score is not None for i in fast.election_items)


def test_a_makassar_forums_digest_is_its_own_calendar_day_with_times_in_wita(tmp_path):
    # A Makassar forum (schedule.timezone: WITA) found an item saring saw at 00:30 on its own
    # 25 November in the digest of the 24th, stamped "23.30 WIB", and the 25th's digest without it.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from saring.report.digest import FORMATS

    seen = datetime(2026, 11, 25, 0, 30, tzinfo=ZoneInfo("Asia/Makassar"))
    with Store(tmp_path / "saring.duckdb") as store:
        store.con.execute("INSERT INTO sources (source_id, name, region) VALUES ('fajar', 'Fajar', 'Sulsel')")
        store.con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state) "
                          "VALUES ('m1', 'https://fajar.test/1', 'fajar', 'Rapat pleno KPU', ?, 'scored')",
                          [seen])
        store.con.execute("INSERT INTO scores VALUES ('m1', 'm1', 0.9, 0.2, [], [], ?)", [seen])
        own = {d: build_digest(store.con, d, DigestSettings(), timezone="Asia/Makassar")
               for d in (date(2026, 11, 24), date(2026, 11, 25))}
        jakarta = build_digest(store.con, date(2026, 11, 24), DigestSettings())  # the default: WIB
    assert not own[date(2026, 11, 24)].election_items
    assert [i.item_id for i in own[date(2026, 11, 25)].election_items] == ["m1"]
    for fmt in FORMATS:
        text = render(own[date(2026, 11, 25)], fmt)
        assert "Rabu, 25 November 2026, 00.30 WITA" in text and "WIB" not in text, fmt
    assert [i.item_id for i in jakarta.election_items] == ["m1"]
    assert "Selasa, 24 November 2026, 23.30 WIB" in render(jakarta, "whatsapp")


def test_a_day_still_to_come_is_judged_on_the_simulated_clock():
    # A simulated run (saring.clock.frozen) on 20 November 2026 could write and send the digest
    # of the 21st, empty: "a day to come" was judged on the machine's own clock.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from saring import clock
    from saring.report.digest import DigestDayError, check_digest_day

    with clock.frozen(datetime(2026, 11, 20, 23, 30, tzinfo=ZoneInfo("Asia/Jakarta"))):
        check_digest_day(date(2026, 11, 20), "Asia/Jakarta")
        check_digest_day(date(2026, 11, 21), "Asia/Makassar")  # already 00:30 on the 21st in WITA
        with pytest.raises(DigestDayError, match="2026-11-21 has not come yet"):
            check_digest_day(date(2026, 11, 21), "Asia/Jakarta")
        assert today_wib() == date(2026, 11, 20)


def test_a_fact_checks_verdict_is_shown_once(ingested):
    # The sample's fact-check titles carry their verdict ("[HOAKS] Facebook akan ditutup di
    # Indonesia"): the digest read "✅ Cek fakta [HOAKS]: [HOAKS] Facebook akan ditutup…".
    with Store(ingested) as store:
        d = build_digest(store.con, today_wib(), DigestSettings(election_threshold=0.0))
    for fmt in ("whatsapp", "markdown", "email_text"):
        lines = [ln for ln in render(d, fmt).splitlines() if "Cek fakta" in ln]
        assert lines, fmt
        for ln in lines:
            assert ln.split(" http")[0].upper().count("HOAKS") == 1, (fmt, ln)
    html = render(d, "html")
    assert "[HOAKS]</b>: " not in html and html.count("Cek fakta") >= 1


def test_a_fact_check_stored_under_two_addresses_is_shown_once(ingested):
    # A fact-checker's feed moved to https (or added "www."): its older entries stay stored under
    # the old address, the same fact-check came in again under the new one, and every item
    # matching it listed the same fact-check twice.
    from saring.collect.urls import url_key
    from saring.judge.factcheck import match_items, upsert_factchecks

    with Store(ingested) as store:
        con = store.con
        rows = con.execute("SELECT source_id, url, title, text, published_at FROM factchecks").fetchall()
        copies = [dict(factcheck_id=url_key(url.replace("http://", "https://")), source_id=source,
                       url=url.replace("http://", "https://"), title=title, text=text, published_at=at)
                  for source, url, title, text, at in rows]
        upsert_factchecks(con, copies)
        match_items(con)
        d = build_digest(con, today_wib(), DigestSettings(election_threshold=0.0))
    shown = [i for i in d.election_items + d.tipline if i.factchecks]
    assert shown
    for item in shown:
        titles = [fc["title"] for fc in item.factchecks]
        assert len(titles) == len(set(titles)), titles
    lines = [ln for ln in render(d, "whatsapp").splitlines() if "Cek fakta" in ln]
    assert len(lines) == sum(len(i.factchecks) for i in shown)


def _runs(config, db_path, scorer, times):
    """The sample sites read at each of ``times`` (WIB), as the scheduled ingest does."""
    from saring import clock
    from saring.localtime import WIB

    with Store(db_path) as store:
        for at in times:
            with clock.frozen(at.replace(tzinfo=WIB)):
                run_ingest(config, store, scorer=scorer)
        store.publish_snapshot()


def test_a_day_saring_did_not_run_says_so_and_since_when_not_that_it_was_quiet(sample_config, db_path,
                                                                                scorer):
    # `saring serve` was down all day: the next morning's digest listed every source as "tidak ada
    # berita baru pada hari itu" and said "Tidak ada berita terkait pemilu": a quiet day, to the forum.
    from datetime import datetime, time

    from saring.report.digest import FORMATS, split_messages

    today = today_wib()
    _runs(sample_config, db_path, scorer, [datetime.combine(today - timedelta(days=3), time(10)),
                                           datetime.combine(today - timedelta(days=1), time(10)),
                                           datetime.combine(today - timedelta(days=1), time(22))])
    with Store(db_path) as store:
        d = build_digest(store.con, today - timedelta(days=2), DigestSettings())
    last = f"Pembacaan terakhir: {tanggal(today - timedelta(days=3))}, 10.00 WIB"
    for fmt in FORMATS:
        text = render(d, fmt)
        assert f"Saring tidak berjalan pada {tanggal(today - timedelta(days=2))}" in text, fmt
        assert text.count(last) == 2, fmt  # the headline and the health section
        assert "Tidak ada berita terkait pemilu" not in text and "tidak ada berita baru" not in text, fmt
        assert "Semua sumber terbaca" not in text, fmt
    head = split_messages(d, "whatsapp", 1000)[0].split("KESEHATAN SUMBER")[0]
    assert "Saring tidak berjalan" in head  # before the forum reads any count
    assert "Kompas.com: tidak dibaca pada hari itu" in render(d, "whatsapp")
    assert "pemantauan terhenti" in d.subject
    # the days it ran read as before
    with Store(db_path) as store:
        ran = build_digest(store.con, today - timedelta(days=1), DigestSettings(election_threshold=1.0))
    assert ran.run_warning is None and "pemantauan" not in ran.subject
    quiet = f"Tidak ada berita terkait pemilu pada {tanggal(today - timedelta(days=1))}."
    assert quiet in render(ran, "whatsapp")


def test_a_day_whose_every_run_failed_says_since_when_nothing_was_read(sample_config, db_path, scorer,
                                                                        httpserver):
    # The city's internet was cut all day: every hourly run failed. The digest's headline gave
    # "0 berita terpantau" with no word of it; the forum could not tell since when nothing was read.
    from datetime import datetime, time

    from saring.report.digest import FORMATS

    httpserver.expect_request("/down").respond_with_data("down", status=503)
    down = parse_config({"sources": [dict(s.model_dump(), url=httpserver.url_for("/down") + f"?feed={s.id}",
                                          options={**s.options.model_dump(), "allow_private": True})
                                     for s in sample_config.sources],
                         "settings": {"fetch": {"retries": 0}}})
    today = today_wib()
    yesterday = today - timedelta(days=1)
    _runs(sample_config, db_path, scorer, [datetime.combine(today - timedelta(days=2), time(21))])
    _runs(down, db_path, scorer, [datetime.combine(yesterday, time(h)) for h in (8, 14, 20)])
    with Store(db_path) as store:
        d = build_digest(store.con, yesterday, DigestSettings())
    for fmt in FORMATS:
        text = render(d, fmt)
        assert f"Semua pembacaan sumber pada {tanggal(yesterday)} gagal (3 kali dicoba)" in text, fmt
        assert (f"Pembacaan terakhir yang berhasil: {tanggal(today - timedelta(days=2))}, 21.00 WIB"
                in text), fmt
        assert "Tidak ada berita terkait pemilu" not in text, fmt


def test_a_day_whose_runs_were_each_cut_after_reading_does_not_say_every_reading_failed(
        sample_config, db_path, scorer, monkeypatch):
    # Each run of the day was stopped by the flow's timeout (a Ctrl-C does the same) while it
    # matched fact-checks, after its sources were read: the morning digest said "Semua pembacaan
    # sumber ... gagal (3 kali dicoba)", the last successful reading two days back, and the runs
    # stayed without their sources' outcomes (the last one 'running').
    from datetime import datetime, time

    import saring.pipeline.ingest as ingest
    from saring import clock
    from saring.localtime import WIB
    from saring.report.digest import FORMATS

    today = today_wib()
    yesterday = today - timedelta(days=1)
    _runs(sample_config, db_path, scorer, [datetime.combine(today - timedelta(days=2), time(21))])
    with Store(db_path) as store:
        before = store.link_since("next")

    def timed_out(*args, **kwargs):
        raise TimeoutError("Flow run exceeded timeout of 10800.0 second(s)")  # as Prefect's timeout

    monkeypatch.setattr(ingest, "link_items", timed_out)
    with Store(db_path) as store:
        for h in (8, 14, 20):
            with clock.frozen(datetime.combine(yesterday, time(h), tzinfo=WIB)), pytest.raises(TimeoutError):
                run_ingest(sample_config, store, scorer=scorer)
        runs = store.con.execute("SELECT status, sources_ok FROM runs WHERE started_at > ?",
                                 [before]).fetchall()
        read = store.con.execute("SELECT count(*) FROM run_sources rs JOIN runs r USING (run_id) "
                                 "WHERE r.started_at > ?", [before]).fetchone()[0]
        d = build_digest(store.con, yesterday, DigestSettings())
        # none of them matched: the next run still matches what they brought
        assert store.link_since("next") == before
    for fmt in FORMATS:  # read at 08:00, 14:00 and 20:00: the day went as usual
        assert "Pembacaan terakhir" not in render(d, fmt) and "gagal (3 kali" not in render(d, fmt), fmt
    # each recorded as interrupted, with what it read of its sources
    assert runs == [("interrupted", len(sample_config.enabled_sources))] * 3, runs
    assert read == 3 * len(sample_config.enabled_sources)


KILLED_AFTER_ITS_SOURCES = """
import os, signal, sys
from datetime import datetime
from saring import clock
from saring.config import load_config
from saring.pipeline.ingest import run_ingest
from saring.storage.database import Store
sources, db, at = sys.argv[1:]
flush = Store.flush_feed_fetches
def flush_then_die(self):  # the OOM killer, once the run's feeds' outcomes are written
    flush(self)
    os.kill(os.getpid(), signal.SIGKILL)
Store.flush_feed_fetches = flush_then_die
with clock.frozen(datetime.fromisoformat(at)), Store(db) as store:
    run_ingest(load_config(sources), store)
"""


def test_a_day_whose_runs_were_each_killed_after_reading_does_not_say_every_reading_failed(
        sample_site, sample_config, db_path, scorer, tmp_path):
    # The OOM killer (or a reboot) killed each run of the day while it scored, after its sources
    # were read: the run cannot record itself, and the morning digest said "Semua pembacaan sumber
    # ... gagal (3 kali dicoba)" with the last successful reading two days back.
    import signal
    import subprocess
    import sys
    from datetime import datetime, time

    import yaml

    from saring.localtime import WIB
    from saring.pipeline.demo import demo_sources
    from saring.report.digest import FORMATS

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["settings"] = {"fetch": {"retries": 0, "timeout": 5}}
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    today = today_wib()
    yesterday = today - timedelta(days=1)
    _runs(sample_config, db_path, scorer, [datetime.combine(today - timedelta(days=2), time(21))])
    for h in (8, 14, 20):
        at = datetime.combine(yesterday, time(h), tzinfo=WIB).isoformat()
        proc = subprocess.run([sys.executable, "-c", KILLED_AFTER_ITS_SOURCES, str(sources), str(db_path),
                               at], capture_output=True, text=True, timeout=180)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Store(db_path) as store:
        d = build_digest(store.con, yesterday, DigestSettings())
        runs = store.con.execute(
            "SELECT status, sources_ok FROM runs WHERE started_at >= ? ORDER BY started_at",
            [datetime.combine(yesterday, time(0), tzinfo=WIB)]).fetchall()
    for fmt in FORMATS:  # read at 08:00, 14:00 and 20:00: the day went as usual
        assert "Pembacaan terakhir" not in render(d, fmt) and "gagal (3 kali" not in render(d, fmt), fmt
    # the next run's start recorded each as interrupted, with its sources as they recorded themselves
    n = len(sample_config.enabled_sources)
    assert runs == [("interrupted", n), ("interrupted", n), ("running", None)], runs


def test_a_digest_read_hours_after_saring_stopped_says_since_when(sample_config, db_path, scorer):
    # saring serve died at 09:00: the desk's page of the day, opened at 15:00 (built at 09:30, when
    # all was well, and kept until the next run publishes), gave the morning's news as the day's.
    from datetime import date, datetime, time

    from saring import clock
    from saring.localtime import WIB
    from saring.report.digest import FORMATS

    day = date(2026, 11, 25)
    _runs(sample_config, db_path, scorer, [datetime.combine(day, time(h)) for h in (6, 7, 8, 9)])
    with clock.frozen(datetime.combine(day, time(9, 30), tzinfo=WIB)), Store(db_path) as store:
        d = build_digest(store.con, day, DigestSettings())
    with clock.frozen(datetime.combine(day, time(10, 30), tzinfo=WIB)):
        assert "Pembacaan terakhir" not in render(d, "whatsapp")  # 90 minutes: the next run is only late
    with clock.frozen(datetime.combine(day, time(15), tzinfo=WIB)):
        for fmt in FORMATS:
            text = render(d, fmt)
            assert "Saring berhenti membaca sumber hari ini" in text, fmt
            assert "Pembacaan terakhir: Rabu, 25 November 2026, 09.00 WIB (6 jam lalu)" in text, fmt
    with clock.frozen(datetime(2026, 11, 26, 6, tzinfo=WIB)), Store(db_path) as store:
        morning = render(build_digest(store.con, day, DigestSettings()), "whatsapp")  # the 06:00 digest
    assert "Saring berhenti membaca sumber pada Rabu, 25 November 2026" in morning
    assert "Pembacaan terakhir: Rabu, 25 November 2026, 09.00 WIB;" in morning


def test_a_day_nothing_could_be_scored_is_no_all_clear(sample_config, db_path, tmp_path, monkeypatch):
    # The model files went missing (a botched `make train`, a deploy without classifiers/): every
    # article was stored unscored and the digest said "0 terkait pemilu, 0 berisiko hoaks tinggi ...
    # Tidak ada berita terkait pemilu hari ini ... ✅ Semua sumber terbaca", with only a small
    # "(70 berita belum dinilai model.)".
    from saring.report.digest import FORMATS

    monkeypatch.setenv("SARING_MODELS", str(tmp_path / "no-models"))
    with Store(db_path) as store:
        summary = run_ingest(sample_config, store)
        d = build_digest(store.con, today_wib(), DigestSettings())
    assert summary.scoring_error and d.unscored == d.items_seen > 0
    for fmt in FORMATS:
        text = render(d, fmt)
        assert (f"Belum ada berita hari ini yang dinilai model ({d.unscored} berita menunggu)" in text
                and "belum bisa dipilah" in text), fmt
        assert "Tidak ada berita terkait pemilu" not in text, fmt
        assert text.count("dinilai model") == 1, fmt  # the warning, not the small line again
    assert "berita belum dinilai" in d.subject


def test_a_day_only_partly_scored_is_no_all_clear(sample_config, db_path, tmp_path, monkeypatch, scorer):
    # The model files broke at noon (a botched `make train`): the morning's national news was
    # scored, the afternoon's local election news was not. The digest said "Tidak ada berita
    # terkait pemilu hari ini" and its subject "0 berita pemilu" without a warning, as on a quiet
    # day, with only a small "(4 berita belum dinilai model.)".
    from saring.report.digest import FORMATS

    local = {"malangpost", "jatimpos", "mastodon-pemilu"}  # the sample's election news
    morning = sample_config.model_copy(update={"sources": [s for s in sample_config.sources
                                                           if s.id not in local]})
    with Store(db_path) as store:
        run_ingest(morning, store, scorer=scorer)
        monkeypatch.setenv("SARING_MODELS", str(tmp_path / "no-models"))
        run_ingest(sample_config, store)
        d = build_digest(store.con, today_wib(), DigestSettings())
    assert 0 < d.unscored < d.items_seen and not d.election_items
    for fmt in FORMATS:
        text = render(d, fmt)
        assert "Tidak ada berita terkait pemilu" not in text, fmt
        assert f"{d.unscored} dari {d.items_seen} berita hari ini belum dinilai model" in text, fmt
        assert "bukan berarti tidak ada berita pemilu" in text, fmt
        # said once: the headline warning, then "(4 berita belum dinilai model.)" again repeated it
        assert text.count("dinilai model") == 1, fmt
    assert "belum dinilai" in d.subject


_KPU_BATU = "/malangpost/2021/05/20/kpu-kota-batu-bentuk-bakohumas/"


def with_a_short_link_to_the_kpu_batu_article(sample_site, httpserver):
    """Malangpost's own feed (it lists the article's address) and "pendek", a feed that links the
    same article through a short link answering 301 to that address."""
    httpserver.expect_request("/s/kpubatu").respond_with_data(
        "", status=301, headers={"Location": sample_site.base_url + _KPU_BATU})
    httpserver.expect_request("/feed").respond_with_data(
        "<rss version='2.0'><channel><title>Pendek</title><item><title>KPU Kota Batu Bentuk Bakohumas"
        f"</title><link>{httpserver.url_for('/s/kpubatu')}</link>"
        "<pubDate>Thu, 20 May 2021 15:12:00 +0700</pubDate></item></channel></rss>",
        content_type="application/rss+xml")
    local = {"allow_private": True}
    return parse_config({"sources": [
        {"id": "malangpost", "name": "Malangpost.id", "url": f"{sample_site.base_url}/malangpost/feed.xml",
         "region": "Jawa Timur", "options": local},
        {"id": "pendek", "name": "Pendek", "url": httpserver.url_for("/feed"), "options": local}],
        "settings": {"fetch": {"retries": 0, "timeout": 5}}})


def test_an_article_read_through_a_short_link_and_its_own_address_is_one_election_news(
        sample_site, httpserver, db_path, scorer):
    # One run reads the outlet's feed and a feed that shares the same article by a short link:
    # two items, one article. The headline said "2 berita pemilu" for it.
    config = with_a_short_link_to_the_kpu_batu_article(sample_site, httpserver)
    with Store(db_path) as store:
        run_ingest(config, store, scorer=scorer)
        d = build_digest(store.con, today_wib(), DigestSettings())
    assert [i.title for i in d.election_items] == ["KPU Kota Batu Bentuk Bakohumas"]
    assert d.election_count == 1 and d.items_seen == 1


def test_an_article_reported_through_a_short_link_is_not_reported_again_under_its_own_address(
        sample_site, httpserver, db_path, scorer):
    # Yesterday a feed shared the article by a short link and the digest reported it; today the
    # outlet's own feed lists it under its address. The forum read it again as a new report.
    from datetime import datetime, time

    from saring import clock
    from saring.localtime import WIB

    config = with_a_short_link_to_the_kpu_batu_article(sample_site, httpserver)
    yesterday = today_wib() - timedelta(days=1)
    with clock.frozen(datetime.combine(yesterday, time(10), tzinfo=WIB)), Store(db_path) as store:
        run_ingest(config, store, scorer=scorer, only=["pendek"])
        before = build_digest(store.con, yesterday, DigestSettings())
        record_reported(store.con, before)
    assert [i.source_name for i in before.election_items] == ["Pendek"]
    with Store(db_path) as store:
        run_ingest(config, store, scorer=scorer)
        items = store.con.execute("SELECT count(*) FROM items").fetchone()[0]
        d = build_digest(store.con, today_wib(), DigestSettings())
    assert items > 1  # the outlet's own feed was read today
    assert "KPU Kota Batu Bentuk Bakohumas" not in [i.title for i in d.election_items]
    assert d.already_reported == 1


def test_links_redirected_to_a_site_front_page_are_not_taken_for_one_article():
    # An outlet that moved sends every old article link to its front page: those are gone
    # articles, not one article. A short link and the address it leads to are one page.
    from saring.report.digest import article_page

    assert article_page("https://malangpost.id/", "http://s.id/a") != article_page("https://malangpost.id/", "http://s.id/b")
    assert (article_page("https://www.malangpost.id/2021/05/20/kpu/", "http://s.id/a")
            == article_page(None, "http://malangpost.id/2021/05/20/kpu/"))


def test_a_risk_just_under_tinggi_is_not_shown_as_the_tinggi_percentage_beside_sedang(ingested):
    # A fact-check match of similarity 0.298 floors an item at 0.6962, just under "tinggi" (0.7):
    # every format read "Risiko hoaks: sedang (70%)", and a member who knows 70% is "tinggi"
    # could not tell which one to believe.
    from saring.judge.classifier.evidence import record_evidence

    settings = DigestSettings(election_threshold=0.5)
    with Store(ingested) as store:
        (item_id,) = store.con.execute(
            "SELECT item_id FROM item_overview WHERE title = 'KPU Kota Batu Bentuk Bakohumas'").fetchone()
        (fact_id,) = store.con.execute(
            "SELECT factcheck_id FROM factchecks WHERE verdict = 'HOAKS' ORDER BY 1 LIMIT 1").fetchone()
        store.con.execute("INSERT INTO factcheck_matches VALUES (?, ?, 0.298, now())", [item_id, fact_id])
        record_evidence(store.con, [item_id], settings.high, settings.medium)
        d = build_digest(store.con, today_wib(), settings)
    item = next(i for i in d.election_items if i.item_id == item_id)
    assert item.risk == "sedang" and 0.69 < item.hoax_score < 0.7
    for fmt in FORMATS:
        text = render(d, fmt)
        assert "(70%)" not in text and "· 70%" not in text, fmt  # "sedang (70%)", "sedang · 70%"
        assert "(69%)" in text or "· 69%" in text, fmt


def test_the_chat_digests_name_the_model_by_its_date_and_html_and_e_mail_keep_its_versions(ingested, scorer):
    # The WhatsApp footer read "Skor dari model otomatis (election-2026.11.26-515999dd+hoax-2026.11.28-
    # a9fd8240)": a code meaningless to a forum member. A maintainer tracing a score still needs it.
    with Store(ingested) as store:
        d = build_digest(store.con, today_wib(), DigestSettings())
    assert d.model_versions == [scorer.model_version]
    made = date.fromisoformat(scorer.hoax_version.split("-")[1].replace(".", "-"))
    said = f"versi {tanggal(made).split(', ')[1]}"  # "versi 28 November 2026"
    for fmt in ("whatsapp", "markdown"):
        text = render(d, fmt)
        assert f"Skor dari model otomatis ({said})" in text, fmt
        assert scorer.hoax_version not in text and scorer.election_version not in text, fmt
    for fmt in ("html", "email", "email_text"):
        assert scorer.model_version in render(d, fmt), fmt
