"""The library pipeline end to end, without Prefect, against the served sample sites."""

import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from _net import STAND_IN, FakeDNS, pretend_public
from werkzeug import Response

from saring.config import DigestSettings, parse_config
from saring.judge.stories import _texts
from saring.limits import MAX_AUTHOR_CHARS
from saring.pipeline.ingest import run_ingest
from saring.storage.database import FEW_ROWS, Store, connect_snapshot

TABLES = ("sources", "items", "articles", "scores")
HELPER_PROCESS = sys.platform == "linux" and (os.cpu_count() or 1) >= 2  # the scoring lane forks one
LOCAL = {"allow_private": True}  # a test server on 127.0.0.1


def _rows(db_path):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT * EXCLUDE ({_volatile(t)}) FROM {t}").fetchall(), key=str)
                for t in TABLES}
    finally:
        con.close()


def _volatile(table):
    return {"sources": "updated_at, last_fetched_at, last_status, last_success_at", "items": "first_seen_at",
            "articles": "fetched_at", "scores": "scored_at"}[table]


def test_ingest_twice_adds_nothing_and_refetches_nothing(sample_site, sample_config, db_path, scorer):
    with Store(db_path) as store:
        first = run_ingest(sample_config, store, scorer=scorer)
    assert first.status == "ok", [r.error for r in first.results]
    assert sum(r.new_items for r in first.results) >= 40
    news = [r for r in first.results if not sample_config.source(r.source_id).is_factcheck]
    assert first.scored == sum(r.new_items for r in news)  # fact-checks are not items
    assert sum(r.extracted for r in first.results) >= 30
    rows_after_first = _rows(db_path)
    article_requests = [p for p in sample_site.requests if p.endswith("/")]
    assert len(article_requests) == len(set(article_requests))  # each page fetched once

    sample_site.requests.clear()
    with Store(db_path) as store:
        second = run_ingest(sample_config, store, scorer=scorer)
    assert {r.status for r in second.results} == {"not_modified"}  # one 304 per feed
    assert sum(r.new_items for r in second.results) == 0 and second.scored == 0
    feed_count = len(sample_config.sources)
    assert len(sample_site.requests) == feed_count  # no article refetched
    assert _rows(db_path) == rows_after_first


def test_changed_feed_without_validators_still_refetches_no_article(sample_site, sample_config, db_path,
                                                                    scorer):
    with Store(db_path) as store:
        run_ingest(sample_config, store, scorer=scorer)
        # Forget the validators: the feeds come back 200, but every item is known.
        store.con.execute("UPDATE sources SET etag = NULL, last_modified = NULL")
    sample_site.requests.clear()
    with Store(db_path) as store:
        again = run_ingest(sample_config, store, scorer=scorer)
    assert {r.status for r in again.results} == {"ok"}
    assert sum(r.new_items for r in again.results) == 0
    assert len(sample_site.requests) == len(sample_config.sources)


def test_broken_sources_do_not_stop_the_others(sample_site, sample_config, db_path, scorer, httpserver):
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    httpserver.expect_request("/page").respond_with_data(
        "<html><body><h1>Bukan feed</h1></body></html>", content_type="text/html")
    httpserver.expect_request("/broken").respond_with_data("<rss><channel><item><title>x",
                                                           content_type="text/xml")
    good = sample_config.sources[0].model_dump()
    raw = {
        "sources": [
            good,
            {"id": "gone", "name": "Gone", "url": httpserver.url_for("/gone"), "options": LOCAL},
            {"id": "html", "name": "HTML", "url": httpserver.url_for("/page"), "options": LOCAL},
            {"id": "broken", "name": "Broken", "url": httpserver.url_for("/broken"), "options": LOCAL},
            {"id": "dead", "name": "Dead", "url": "http://127.0.0.1:9/feed", "options": LOCAL},
        ],
        "settings": {"fetch": {"retries": 0, "timeout": 2}},
    }
    config = parse_config(raw)
    with Store(db_path) as store:
        summary = run_ingest(config, store, scorer=scorer)
        by_id = {r.source_id: r for r in summary.results}
        assert by_id[good["id"]].status == "ok" and by_id[good["id"]].new_items > 0
        assert "HTTP 404" in by_id["gone"].error
        assert "web page, not an RSS/Atom feed" in by_id["html"].error
        assert by_id["broken"].status == "failed" and "no items" in by_id["broken"].error
        assert "connection failed" in by_id["dead"].error
        assert summary.status == "partial" and summary.ok
        stored = store.con.execute(
            "SELECT source_id, status, error FROM run_sources WHERE run_id = ?", [summary.run_id]).fetchall()
        assert {s for s, st, _ in stored if st == "failed"} == {"gone", "html", "broken", "dead"}
        last = dict(store.con.execute("SELECT source_id, last_error FROM sources").fetchall())
        assert "HTTP 404" in last["gone"]


def test_missing_page_keeps_feed_summary_with_reason(sample_site, sample_config, db_path, scorer):
    import feedparser

    source = sample_config.sources[0]
    link = feedparser.parse(source.url).entries[0].link
    # Remove that article page before the run.
    (sample_site.root_dir / link.split(sample_site.base_url + "/", 1)[1] / "index.html").unlink()
    with Store(db_path) as store:
        run_ingest(sample_config, store, scorer=scorer)
        row = store.con.execute(
            "SELECT a.text_source, a.extraction_error, a.text, i.summary "
            "FROM articles a JOIN items i USING (item_id) WHERE i.link = ?", [link]).fetchone()
    assert row[0] == "summary" and "HTTP 404" in row[1]
    assert row[2] == row[3]


def test_feed_on_a_private_address_is_refused_without_opt_in(sample_site, db_path, scorer):
    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:1]
    raw["sources"][0]["options"] = {"allow_private": False}
    with Store(db_path) as store:
        summary = run_ingest(parse_config(raw), store, scorer=scorer)
        last_error = store.con.execute("SELECT last_error FROM sources").fetchone()[0]
    assert summary.results[0].status == "failed"
    assert "private or local address" in summary.results[0].error and "allow_private" in last_error
    assert sample_site.requests == []  # not even the feed was asked for


def _news_site(httpserver, links):
    items = "".join(f"<item><title>Berita {n}</title><link>{link}</link><description>Ringkasan {n}"
                    f"</description></item>" for n, link in enumerate(links))
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0'><channel><title>Uji</title>{items}</channel></rss>",
        content_type="application/rss+xml")


def _ingest_one(source_raw, db_path, dns):
    from saring.collect.fetch import Fetcher
    from saring.pipeline.ingest import ingest_source

    config = parse_config({"sources": [source_raw], "settings": {"fetch": {"retries": 0, "timeout": 5}}})
    with Store(db_path) as store, Fetcher(config.fetch, resolver=dns) as fetcher:
        result = ingest_source(config.sources[0], store, fetcher)
        rows = store.con.execute("SELECT i.url, a.extraction_error FROM items i "
                                 "JOIN articles a USING (item_id) ORDER BY i.url").fetchall()
    return result, rows


def test_private_article_links_refused_without_opt_in(httpserver, db_path, monkeypatch):
    pretend_public(monkeypatch)  # the test server plays a public news site
    port = httpserver.port
    _news_site(httpserver, [f"http://news.example:{port}/a", f"http://intranet.example:{port}/b"])
    httpserver.expect_request("/a").respond_with_data("<html><body><p>Isi berita.</p></body></html>",
                                                      content_type="text/html")
    dns = FakeDNS({"news.example": [[STAND_IN]], "intranet.example": [["192.168.1.10"]]})
    result, rows = _ingest_one({"id": "berita", "name": "Berita", "url": f"http://news.example:{port}/feed"},
                               db_path, dns)
    assert result.status == "ok" and result.new_items == 2
    errors = dict(rows)
    assert "private or local address (192.168.1.10)" in errors[f"http://intranet.example:{port}/b"]
    assert "private" not in (errors[f"http://news.example:{port}/a"] or "")
    assert [r.path for r, _ in httpserver.log] == ["/feed", "/a"]


def test_feed_redirecting_to_a_private_address_is_refused(httpserver, db_path, monkeypatch):
    pretend_public(monkeypatch)
    port = httpserver.port
    httpserver.expect_request("/moved").respond_with_data(
        "", status=301, headers={"Location": f"http://intranet.example:{port}/feed"})
    _news_site(httpserver, [f"http://news.example:{port}/a"])
    dns = FakeDNS({"news.example": [[STAND_IN]], "intranet.example": [["10.0.0.8"]]})
    result, rows = _ingest_one({"id": "berita", "name": "Berita", "url": f"http://news.example:{port}/moved"},
                               db_path, dns)
    assert result.status == "failed" and "private or local address (10.0.0.8)" in result.error
    assert rows == [] and [r.path for r, _ in httpserver.log] == ["/moved"]


def test_a_malformed_link_costs_only_its_item(httpserver, db_path, scorer):
    links = ["http://127.0.0.1/baik", "http://[::1]:18082/x", "http://[2606:4700:4700::1111]/berita",
             "http://127.0.0.1:notaport/x", "http://127.0.0.1:99999/x"]
    _news_site(httpserver, links)
    # fetch_articles off: the public IPv6 address must not be contacted from a test.
    config = parse_config({"sources": [{"id": "aneh", "name": "Aneh", "url": httpserver.url_for("/feed"),
                                        "options": {**LOCAL, "fetch_articles": False}}]})
    with Store(db_path) as store:
        first = run_ingest(config, store, scorer=scorer)
        again = run_ingest(config, store, scorer=scorer)
        urls = [r[0] for r in store.con.execute("SELECT url FROM items ORDER BY url").fetchall()]
        warning = store.con.execute("SELECT warning FROM run_sources WHERE run_id = ?",
                                    [first.run_id]).fetchone()[0]
    result = first.results[0]
    assert result.status == "ok" and result.new_items == 3 and result.skipped == 2
    assert urls == ["http://127.0.0.1/baik", "http://[2606:4700:4700::1111]/berita", "http://[::1]:18082/x"]
    assert "2 entries with a malformed link were skipped" in warning and "notaport" in warning
    assert again.results[0].status == "ok" and again.results[0].new_items == 0


def test_snapshot_is_readable_while_writer_is_open(sample_site, sample_config, db_path, scorer):
    with Store(db_path) as store:
        run_ingest(sample_config, store, scorer=scorer)
        con = connect_snapshot(db_path)  # the writer still holds the main file
        n = con.execute("SELECT count(*) FROM item_overview WHERE hoax_score IS NOT NULL").fetchone()[0]
        con.close()
    assert n > 0


_PAGE = ("<html lang='id'><head><title>Judul dari halaman</title><meta name='author' content='Rina Wati'>"
         "</head><body><article><h1>Judul dari halaman</h1>"
         + "".join(f"<p>Kalimat nomor {k} tentang persiapan pemungutan suara di kota ini.</p>"
                   for k in range(12))
         + "</article></body></html>")


def test_page_metadata_is_read_only_when_the_entry_lacks_a_title_or_date(httpserver, db_path, scorer):
    # Finding a page's title, date and author is a third of the extraction's work: an entry that
    # has a title and a date keeps its own; one without a date gets the page's.
    for path in ("/dated", "/undated"):
        httpserver.expect_request(path).respond_with_data(_PAGE, content_type="text/html; charset=utf-8")
    dated = (f"<item><title>Judul dari feed</title><link>{httpserver.url_for('/dated')}</link>"
             "<pubDate>Wed, 25 Nov 2026 08:00:00 +0700</pubDate></item>")
    undated = f"<item><title>Judul dari feed juga</title><link>{httpserver.url_for('/undated')}</link></item>"
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0'><channel><title>t</title>{dated}{undated}</channel></rss>",
        content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "meta", "name": "Meta", "url": httpserver.url_for("/feed"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        run_ingest(config, store, scorer=scorer)
        rows = dict(store.con.execute(
            "SELECT i.link, (a.title, a.author, a.text_source) FROM items i JOIN articles a USING (item_id)"
        ).fetchall())
    assert rows[httpserver.url_for("/dated")] == ("Judul dari feed", None, "page")
    assert rows[httpserver.url_for("/undated")] == ("Judul dari halaman", "Rina Wati", "page")


def _unscored_articles(store: Store, n: int, places: bool = True):
    """The first ``n`` stored articles' ids and rows, their scores (and place scans) deleted: rows
    to save again, as an ingest thread saves new ones."""
    ids = [r[0] for r in store.cur.execute(
        "SELECT item_id FROM articles ORDER BY item_id LIMIT ?", [n]).fetchall()]
    rows = store.cur.execute("SELECT * FROM articles WHERE list_contains(?, item_id)", [ids]).df()
    store.cur.execute("DELETE FROM scores WHERE list_contains(?, item_id)", [ids])
    if places:
        store.cur.execute("DELETE FROM item_place_scans WHERE list_contains(?, item_id)", [ids])
    return ids, rows


def test_articles_are_scored_and_located_while_the_run_still_downloads(ingested, scorer):
    # Scores and places used to wait for the slowest source, then ran alone on one core. The
    # lane scores each batch of stored articles as it arrives (here: batches of 2).
    import time

    from saring.pipeline.ingest import ScoringLane

    with Store(ingested) as store:
        ids, rows = _unscored_articles(store, 3)
        with ScoringLane(store, scorer, batch=2, every=0.01) as lane:
            store.save_articles(rows.to_dict("records"))  # what an ingest thread does
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with store.lock:
                    scored = store.cur.execute(
                        "SELECT count(*) FROM scores WHERE list_contains(?, item_id)", [ids]).fetchone()[0]
                    located = store.cur.execute(
                        "SELECT count(*) FROM item_place_scans WHERE list_contains(?, item_id)",
                        [ids]).fetchone()[0]
                if scored == located == 3:
                    break
                time.sleep(0.02)
        assert (scored, located) == (3, 3)  # before the lane was closed: nothing else scores here
        assert store.on_articles_saved == []  # the listener is gone with the lane
        if HELPER_PROCESS:  # and it counted their story terms there, from the text grouping reads
            assert all(lane.counted.kept(i, text) for i, text, _, _ in _texts(store.cur, ids))


def test_the_lane_scores_the_last_articles_while_the_end_links_and_stores_them_after(ingested, scorer,
                                                                                   monkeypatch):
    # The end of a run links under the store's lock. The lane's helper used to score one batch,
    # wait for that lock to store it, and leave the next batches to the end (ScoringLane.help),
    # which scored them on its own core after linking while the helper's core sat idle.
    import time

    import saring.pipeline.ingest as ingest

    scored_rows = []
    real = ingest.score_rows

    def counted(ids, *args):
        rows = real(ids, *args)
        scored_rows.extend(ids)
        return rows

    monkeypatch.setattr(ingest, "score_rows", counted)
    with Store(ingested) as store:
        ids, rows = _unscored_articles(store, 3, places=False)
        store.start_run(ingest.new_run_id(), "ingest")
        with ingest.ScoringLane(store, scorer, batch=1, every=3600) as lane:
            store.save_articles(rows.to_dict("records"))
            with store.lock:  # the end of the run, linking
                lane.finish()
                deadline = time.monotonic() + 30
                while len(scored_rows) < 3 and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert sorted(scored_rows) == sorted(ids)  # all three, none stored yet
                assert lane._next() == []  # nothing is left for the end to score
            lane.join()
        stored = store.cur.execute(
            "SELECT count(*) FROM scores WHERE list_contains(?, item_id)", [ids]).fetchone()[0]
    assert stored == lane.scored == 3


def test_a_batch_the_lane_scores_after_the_end_began_leaves_its_places_and_terms_to_the_end(
        ingested, scorer, monkeypatch):
    # The end of a run finds the places and counts the story terms of every article the lane has
    # not reached. The lane doing both again for the batch it was scoring when the end began was
    # wasted, and the end waited for it (300 pages: 0.1-0.6 s, the helper's first place lookup).
    import time

    import saring.pipeline.ingest as ingest

    lanes: list = []
    real = ingest.score_and_save

    def end_begins(*args, **kwargs):
        lanes[0].finish()  # the downloads are over while the lane scores this batch
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "score_and_save", end_begins)
    with Store(ingested) as store:
        ids, rows = _unscored_articles(store, 2)
        with ingest.ScoringLane(store, scorer, batch=2, every=0.01) as lane:
            lanes.append(lane)
            store.save_articles(rows.to_dict("records"))
            deadline = time.monotonic() + 30
            while lane.scored < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        located = store.cur.execute(
            "SELECT count(*) FROM item_place_scans WHERE list_contains(?, item_id)", [ids]).fetchone()[0]
        texts = _texts(store.cur, ids)
    assert lane.scored == 2
    assert located == 0
    assert not any(lane.counted.kept(i, text) for i, text, _, _ in texts)


def test_the_run_summary_counts_articles_the_lane_scored(sample_site, sample_config, db_path, scorer,
                                                         monkeypatch):
    # The lane scores during the downloads; "N articles scored" must still count every article.
    import saring.pipeline.ingest as ingest

    monkeypatch.setattr(ingest, "LANE_BATCH", 1)
    monkeypatch.setattr(ingest, "LANE_POLL_S", 0.005)
    by_lane = []
    real = ingest.score_and_save

    def counted(*args, **kwargs):
        n = real(*args, **kwargs)
        if threading.current_thread().name == "saring-scoring":
            by_lane.append(n)
        return n

    monkeypatch.setattr(ingest, "score_and_save", counted)
    with Store(db_path) as store:
        summary = run_ingest(sample_config, store, scorer=scorer)
        stored = store.cur.execute("SELECT count(*) FROM scores").fetchone()[0]
    assert sum(by_lane) > 0  # the lane did score during this run
    news = [r for r in summary.results if not sample_config.source(r.source_id).is_factcheck]
    assert summary.scored == sum(r.new_items for r in news) == stored


def _big_source(sample_site, n=24):
    """A feed of ``n`` sample pages (enough for the extraction pool, so pages are handed over
    in batches while the others still download)."""
    import json
    from xml.sax.saxutils import escape

    articles = json.loads((sample_site.root_dir / "articles.json").read_text(encoding="utf-8"))[:n]
    items = "".join(f"<item><title>{escape(a['title'])}</title><link>{sample_site.base_url}{a['path']}</link>"
                    "<pubDate>Wed, 25 Nov 2026 08:00:00 +0700</pubDate></item>" for a in articles)
    (sample_site.root_dir / "big.xml").write_text(
        f"<rss version='2.0'><channel><title>Besar</title>{items}</channel></rss>", encoding="utf-8")
    url = f"{sample_site.base_url}/big.xml"
    return parse_config({"sources": [{"id": "besar", "name": "Besar", "url": url, "options": LOCAL}],
                         "settings": {"fetch": {"retries": 0, "timeout": 5}}})


def _batches(monkeypatch):
    import functools

    import saring.pipeline.ingest as ingest
    from saring.collect.extract import Extractor

    monkeypatch.setattr(ingest, "ROWS_PER_HANDOVER", 4)
    monkeypatch.setattr(ingest, "Extractor", functools.partial(Extractor, workers=2))  # a pool on any machine


def test_a_source_failing_after_some_batches_were_stored_counts_them(sample_site, db_path, scorer,
                                                                    monkeypatch):
    # Pages are stored in batches during the downloads. When a later batch cannot be stored (a
    # full disk), the batches stored before stay: the run's record must count them (it said
    # 0 new items), the health section must see the failure, and the next run stores the rest.
    from saring.errors import StoreError

    _batches(monkeypatch)
    config = _big_source(sample_site)
    with Store(db_path) as store:
        real, calls = store.save_articles, []

        def disk_fills_up(rows):
            calls.append(len(rows))
            if len(calls) == 2:
                raise StoreError(f"cannot write the database {db_path}: the disk is full")
            real(rows)

        monkeypatch.setattr(store, "save_articles", disk_fills_up)
        first = run_ingest(config, store, scorer=scorer)
        after_first = store.cur.execute("SELECT count(*) FROM articles").fetchone()[0]
        recorded = store.cur.execute("SELECT status, new_items, extracted FROM run_sources WHERE run_id = ?",
                                     [first.run_id]).fetchone()
        health = store.cur.execute("SELECT last_status, last_error FROM sources").fetchone()
        monkeypatch.setattr(store, "save_articles", real)
        second = run_ingest(config, store, scorer=scorer)
        counts = store.counts()
    result = first.results[0]
    assert len(calls) >= 2 and 0 < after_first < 24
    assert result.status == "failed" and "disk is full" in result.error
    assert result.new_items == result.extracted == after_first
    assert recorded == ("failed", after_first, after_first)
    assert health[0] == "failed" and "disk is full" in health[1]
    assert second.results[0].status == "ok" and second.results[0].new_items == 24 - after_first
    assert counts["items"] == counts["articles"] == counts["scores"] == 24


def test_a_failing_listener_of_stored_articles_loses_nothing(sample_site, db_path, scorer, monkeypatch):
    # Listeners are told after the batch is committed: one that fails must not make the stored
    # rows look unsaved (the source failed with 0 new items, its other pages were not stored).
    _batches(monkeypatch)
    config = _big_source(sample_site)

    def broken(ids):
        raise RuntimeError("listener bug")

    with Store(db_path) as store:
        store.on_articles_saved.append(broken)
        summary = run_ingest(config, store, scorer=scorer)
        counts = store.counts()
    result = summary.results[0]
    assert result.status == "ok" and result.new_items == result.extracted == 24
    assert counts["articles"] == counts["scores"] == 24 and summary.scored == 24


def test_items_a_stopped_run_left_behind_are_stored_after_they_leave_the_feed(sample_site, sample_config,
                                                                               db_path, scorer):
    """A run that stopped after reading a feed leaves its items recorded but not stored; the next
    run fetches them even though a busy feed no longer lists them."""
    from saring.collect.fetch import Fetcher
    from saring.pipeline.ingest import read_feed

    source = next(s for s in sample_config.sources if s.kind == "rss" and not s.is_factcheck)
    with Store(db_path) as store:
        with Fetcher(sample_config.fetch) as fetcher:
            plan = read_feed(source, store, fetcher)  # ... and the run stops here
        assert plan.items
        feed = sample_site.root_dir / source.url.split(sample_site.base_url + "/", 1)[1]
        feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>kosong</title>'
                        "<link>http://127.0.0.1/</link><description>-</description></channel></rss>",
                        encoding="utf-8")
        summary = run_ingest(sample_config, store, scorer=scorer)
        states = dict(store.con.execute(
            "SELECT state, count(*) FROM items WHERE source_id = ? GROUP BY 1", [source.id]).fetchall())
        pages = store.con.execute(
            "SELECT count(*) FROM articles a JOIN items i USING (item_id) WHERE i.source_id = ? "
            "AND a.text_source = 'page'", [source.id]).fetchone()[0]
    result = next(r for r in summary.results if r.source_id == source.id)
    assert result.items_in_feed == 0 and result.new_items == len(plan.items)
    assert "seen" not in states and pages == len(plan.items)


def test_items_a_stopped_run_left_behind_are_stored_while_the_feed_is_broken(sample_site, sample_config,
                                                                              db_path, scorer):
    """The feed breaks after a run stopped having read it: its pages are still there, and the items
    it listed are stored; the source is still reported as failing, with the reason."""
    from saring.collect.fetch import Fetcher
    from saring.pipeline.ingest import read_feed

    source = next(s for s in sample_config.sources if s.kind == "rss" and not s.is_factcheck)
    with Store(db_path) as store:
        with Fetcher(sample_config.fetch) as fetcher:
            plan = read_feed(source, store, fetcher)  # ... and the run stops here
        feed = sample_site.root_dir / source.url.split(sample_site.base_url + "/", 1)[1]
        feed.write_text("<html><body>Situs sedang dalam perbaikan</body></html>", encoding="utf-8")
        summary = run_ingest(sample_config, store, scorer=scorer)
        states = dict(store.con.execute(
            "SELECT state, count(*) FROM items WHERE source_id = ? GROUP BY 1", [source.id]).fetchall())
        status, error = store.con.execute("SELECT last_status, last_error FROM sources WHERE source_id = ?",
                                          [source.id]).fetchone()
        feed.unlink()  # now a 404
        again = run_ingest(sample_config, store, scorer=scorer)
    result = next(r for r in summary.results if r.source_id == source.id)
    assert result.status == "failed" and result.error and result.new_items == len(plan.items)
    assert "seen" not in states and status == "failed" and error == result.error
    assert next(r for r in again.results if r.source_id == source.id).new_items == 0  # nothing left


def test_items_a_stopped_run_left_behind_are_stored_when_the_feed_answers_304(sample_site, sample_config,
                                                                              db_path, scorer):
    """The next runs find the feed unchanged (304): the items recorded but not stored still are."""
    with Store(db_path) as store:
        run_ingest(sample_config, store, scorer=scorer)
        source = next(s for s in sample_config.sources if s.kind == "rss" and not s.is_factcheck)
        stored = store.con.execute("SELECT item_id FROM items WHERE source_id = ?", [source.id]).fetchall()
        lost = [r[0] for r in stored[:3]]
        # As a run stopped after reading the feed leaves them (their articles never written).
        store.con.execute("DELETE FROM scores WHERE list_contains(?, item_id)", [lost])
        store.con.execute("DELETE FROM articles WHERE list_contains(?, item_id)", [lost])
        store.con.execute("UPDATE items SET state = 'seen' WHERE list_contains(?, item_id)", [lost])
        again = run_ingest(sample_config, store, scorer=scorer)
        states = store.con.execute("SELECT DISTINCT state FROM items WHERE list_contains(?, item_id)",
                                   [lost]).fetchall()
        articles = store.con.execute("SELECT count(*) FROM articles WHERE list_contains(?, item_id)",
                                     [lost]).fetchone()[0]
    result = next(r for r in again.results if r.source_id == source.id)
    assert result.status == "not_modified" and result.new_items == 3
    assert articles == 3 and states == [("scored",)]


def test_a_run_reads_the_news_sites_once_without_waiting_for_the_saves(tmp_path):
    # The scoring lane asks for the news sources' sites at its first batch; taking the store's
    # lock then waited 1.3 s behind the source threads' saves in a 1,200-page run.
    config = parse_config({"sources": [
        {"id": "kabar-a", "name": "A", "url": "https://rss.kabarbatu.co.id/feed"},
        {"id": "kabar-b", "name": "B", "url": "https://kabarviral.co.id/rss", "options": {"outlet": False}}]})
    with Store(tmp_path / "db.duckdb") as store:
        store.sync_sources(config.sources, complete=True)
        before = store.outlet_hosts()
        store.start_run("r1", "ingest")
        answered = []
        with store.lock:  # a save in progress in another thread
            reader = threading.Thread(target=lambda: answered.append(store.outlet_hosts()))
            reader.start()
            reader.join(5)
            assert answered == [before] == [["kabarbatu.co.id"]]
        store.sync_sources(config.sources[1:], complete=True)
        assert store.outlet_hosts() == []  # a change of the sources is seen at once



@pytest.mark.parametrize("change", ["disabled", "removed"])
def test_a_news_source_switched_off_no_longer_vouches_for_its_site_and_what_links_there_is_rescored(
        tmp_path, change):
    # The maintainer turns a local outlet off (enabled: false) or deletes it: its site is kept as
    # the outlet of its past items, but links to it are no longer news links for the hoax model,
    # so the messages linking there are scored again.
    entries = [{"id": "kabar-a", "name": "A", "url": "https://rss.kabarbatu.co.id/feed"},
               {"id": "kompas", "name": "Kompas.com", "url": "https://www.kompas.com/getrss/nasional"}]
    later = [{**entries[0], "enabled": False}, entries[1]] if change == "disabled" else entries[1:]
    now = datetime.now(UTC)
    with Store(tmp_path / "db.duckdb") as store:
        store.sync_sources(parse_config({"sources": entries}).sources, complete=True)
        assert store.outlet_hosts() == ["kabarbatu.co.id", "kompas.com"]
        links = (("m1", "kabarbatu.co.id"), ("m2", "kompas.com"))
        store.add_items([dict(item_id=i, url=f"https://tipline.example/{i}", source_id="tipline",
                              title="pesan", summary=f"mohon dicek https://www.{site}/berita/1",
                              first_seen_at=now, state="scored") for i, site in links])
        for item_id in ("m1", "m2"):
            store.con.execute("INSERT INTO scores VALUES (?, 'm1', 0.9, 0.5, [], [], ?)", [item_id, now])
        assert store.sync_sources(parse_config({"sources": later}).sources, complete=True) == ["m1"]
        assert store.outlet_hosts() == ["kompas.com"]
        assert store.cur.execute("SELECT enabled, outlet_host FROM sources WHERE source_id = 'kabar-a'"
                                 ).fetchone() == (False, "kabarbatu.co.id")


class _BrokenScorer:
    """A model install that loads but fails to score (e.g. a scikit-learn it was not built for)."""

    def __init__(self, real):
        self.model_version = real.model_version

    def with_outlets(self, hosts):
        return self

    def score(self, texts):
        raise RuntimeError("the model cannot score")


def test_a_scorer_failing_while_the_end_helps_the_lane_still_closes_the_run(ingested, scorer):
    # At the end the run's own thread scores rows left to the lane (ScoringLane.help): a failure
    # there must be reported like the end's scoring failure, not leave the run 'running'
    # without its record and snapshot.
    from saring.pipeline.ingest import ScoringLane, finish_ingest, new_run_id

    broken = _BrokenScorer(scorer)
    with Store(ingested) as store:
        ids = [r[0] for r in store.cur.execute(
            "SELECT item_id FROM articles ORDER BY item_id LIMIT 3").fetchall()]
        rows = store.cur.execute("SELECT * FROM articles WHERE list_contains(?, item_id)", [ids]).df()
        store.cur.execute("DELETE FROM scores WHERE list_contains(?, item_id)", [ids])
        run_id = new_run_id()
        store.start_run(run_id, "ingest")
        # batch=1: the lane fails on its first row and leaves the others to the end's help
        with ScoringLane(store, broken, batch=1, every=3600) as lane:
            store.save_articles(rows.to_dict("records"))
            lane.finish()
            summary = finish_ingest(store, run_id, [], broken, lane=lane)
        status, finished, message = store.cur.execute(
            "SELECT status, finished_at, message FROM runs WHERE run_id = ?", [run_id]).fetchone()
        unscored = store.cur.execute(
            "SELECT count(*) FROM scores WHERE list_contains(?, item_id)", [ids]).fetchone()[0]
    assert "the model cannot score" in summary.scoring_error
    assert finished is not None and status != "running" and "scoring failed" in message
    assert unscored == 0 and summary.scored == 0  # left to the next run, as before


def test_a_few_rows_are_stored_as_the_dataframe_path_stores_them(tmp_path):
    # Up to FEW_ROWS rows go as one VALUES statement; numpy values and NaN must store as before.
    import numpy as np

    rows = [dict(run_id=f"r{k}", flow="ingest", sources_ok=np.int64(k), new_items=None if k else float("nan"),
                 message=np.str_("x")) for k in range(FEW_ROWS + 1)]
    stored = []
    for batch in (rows[:2], rows):  # the VALUES path, then the DataFrame path
        with Store(tmp_path / f"{len(batch)}.duckdb") as store:
            store._upsert("runs", batch, ["run_id"], update=True)
            stored.append(store.cur.execute(
                "SELECT run_id, sources_ok, new_items, message FROM runs ORDER BY run_id LIMIT 2").fetchall())
    assert stored[0] == stored[1] == [("r0", 0, None, "x"), ("r1", 1, None, "x")]


def test_rows_with_a_column_arrow_cannot_type_are_stored_as_before(tmp_path):
    # Saves go to DuckDB as an Arrow table; a column mixing kinds of value (a number among texts)
    # goes through the DataFrame as before instead of failing the save.
    from saring.storage.database import rows_table

    rows = [dict(run_id=f"r{k}", flow="ingest", message=k if k % 2 else "x") for k in range(FEW_ROWS + 2)]
    assert not hasattr(rows_table(rows), "column_names")  # the DataFrame, not an Arrow table
    with Store(tmp_path / "db.duckdb") as store:
        store._upsert("runs", rows, ["run_id"], update=True)
        stored = store.cur.execute("SELECT message FROM runs ORDER BY run_id LIMIT 3").fetchall()
    assert stored == [("x",), ("1",), ("x",)]


def test_a_run_finished_again_under_its_id_keeps_one_row_per_source(tmp_path):
    # A run's own rows go in as plain INSERTs (a third of the time of an upsert); a run id used
    # again (a retried Prefect flow run) must still update its rows, never fail or add a second.
    from saring.pipeline.ingest import SourceResult

    sources = [f"s{k}" for k in range(FEW_ROWS + 2)]  # the VALUES and the DataFrame path
    with Store(tmp_path / "db.duckdb") as store:
        for attempt, status in ((1, "failed"), (2, "ok")):
            for count in (2, len(sources)):
                store.start_run(f"r{count}", "ingest")
                store.finish_run(f"r{count}", "ok", [SourceResult(s, status, new_items=attempt)
                                                     for s in sources[:count]])
        assert store.cur.execute("SELECT run_id, count(*), min(status), max(new_items) FROM run_sources "
                                 "GROUP BY run_id ORDER BY run_id").fetchall() == [
            (f"r{len(sources)}", len(sources), "ok", 2), ("r2", 2, "ok", 2)]
        assert store.cur.execute("SELECT count(*) FROM runs").fetchone() == (2,)


def test_a_run_that_finds_nothing_new_loads_no_model(ingested, sample_site, tmp_path, scorer):
    """A scheduled run starts a fresh process: loading the models there (scikit-learn's import
    and the files) took 2-3 s, against 0.1 s for the rest of a run on unchanged feeds. It loads
    them only when there is something to score."""
    import json
    import subprocess

    from saring.judge.classifier.score import model_version
    from saring.pipeline.demo import demo_sources

    assert model_version() == scorer.model_version  # what the run compares stored scores with
    config = tmp_path / "sources.json"
    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    with Store(ingested) as store:  # the run after new items matches them to fact-checks again
        run_ingest(parse_config(raw), store, scorer=scorer)
    config.write_text(json.dumps(raw | {"settings": {"fetch": {"retries": 0, "timeout": 5}}}, default=str))
    code = f"""if True:
        import json, sys
        from saring.config import parse_config
        from saring.pipeline.ingest import run_ingest
        from saring.storage.database import Store
        with Store({str(ingested)!r}) as store:
            summary = run_ingest(parse_config(json.loads(open({str(config)!r}).read())), store)
        print(json.dumps(dict(status=summary.status, new=sum(r.new_items for r in summary.results),
                              scored=summary.scored, sklearn="sklearn" in sys.modules)))"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.splitlines()[-1]) == dict(status="ok", new=0, scored=0, sklearn=False)


def test_a_run_with_new_articles_loads_the_models_in_its_helper_only(sample_site, sample_config, db_path,
                                                                     monkeypatch):
    """The scoring helper starts from the fork server and loads the models itself: the ingest
    process, whose threads download, spends no time on them (and forks nothing while they run)."""
    import saring.judge.classifier.score as score

    def refused(*_a, **_k):
        raise AssertionError("the ingest process loaded the models")

    monkeypatch.setattr(score, "load_scorer", refused)
    with Store(db_path) as store:
        summary = run_ingest(sample_config, store)
        items = store.cur.execute("SELECT count(*) FROM items").fetchone()[0]
    assert summary.scoring_error is None and summary.scored == items > 0


def test_an_article_two_feeds_list_in_one_run_is_fetched_scored_and_counted_once(sample_site, db_path,
                                                                                scorer):
    # A Google News query and the outlet's own feed list the same article. Each source used to
    # take it as new while the other was still downloading it: the page was fetched twice, the
    # run counted it as two new items and scored it twice.
    one = _big_source(sample_site, n=12).sources[0]
    (sample_site.root_dir / "twin.xml").write_bytes((sample_site.root_dir / "big.xml").read_bytes())
    twin = one.model_copy(update={"id": "kembar", "name": "Kembar", "url": one.url.replace("big", "twin")})
    config = parse_config({"sources": [s.model_dump(mode="json") for s in (one, twin)],
                           "settings": {"fetch": {"retries": 0, "timeout": 5, "source_workers": 2}}})
    sample_site.requests.clear()
    with Store(db_path) as store:
        summary = run_ingest(config, store, scorer=scorer)
        items, scores = store.cur.execute(
            "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM scores)").fetchone()
    assert summary.status == "ok", [r.error for r in summary.results]
    pages = [p for p in sample_site.requests if p.endswith("/")]
    assert len(pages) == len(set(pages)) == 12
    assert sum(r.new_items for r in summary.results) == items == 12
    assert summary.scored == scores == 12


def test_a_lane_save_failing_after_earlier_batches_still_counts_every_score(sample_site, sample_config,
                                                                             db_path, scorer, monkeypatch):
    # The lane stores its scores a batch at a time. When a later batch cannot be stored, the
    # batches before it are stored: "N articles scored" must count them, not only what the end
    # of the run scores again.
    import saring.pipeline.ingest as ingest

    monkeypatch.setattr(ingest, "LANE_BATCH", 4)
    monkeypatch.setattr(ingest, "LANE_POLL_S", 0.005)
    monkeypatch.setattr(ingest, "SCORE_BATCH", 2)
    real, lane_saves = Store.save_scores, []

    def failing_second(self, rows):
        if threading.current_thread().name == "saring-scoring":
            lane_saves.append(len(rows))
            if len(lane_saves) == 2:
                raise OSError("No space left on device")
        return real(self, rows)

    def slow_save(self, rows):  # the downloads outlast the lane's batches, even on a busy machine
        real_save(self, rows)
        deadline = time.monotonic() + 5
        while len(lane_saves) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)

    real_save = Store.save_articles
    monkeypatch.setattr(Store, "save_scores", failing_second)
    monkeypatch.setattr(Store, "save_articles", slow_save)
    with Store(db_path) as store:
        summary = run_ingest(sample_config, store, scorer=scorer)
        stored = store.cur.execute("SELECT count(*) FROM scores").fetchone()[0]
    assert len(lane_saves) == 2  # the first batch was stored by the lane, the second failed
    news = [r for r in summary.results if not sample_config.source(r.source_id).is_factcheck]
    assert summary.scored == sum(r.new_items for r in news) == stored


def test_a_feed_reconfigured_as_a_fact_checker_is_read_as_one_at_the_next_run(sample_site, sample_config,
                                                                              db_path, scorer):
    # The maintainer first listed a fact-checker's feed as an ordinary rss source, then fixed its
    # kind. The feed had not changed, so the validators kept from the rss reading got a 304 and its
    # fact-checks were never registered until the fact-checker published again.
    checker = next(s for s in sample_config.sources if s.is_factcheck)
    as_news = checker.model_copy(update={"kind": "rss"})
    settings = {"fetch": {"retries": 0, "timeout": 5}}
    with Store(db_path) as store:
        first = run_ingest(parse_config({"sources": [as_news.model_dump(mode="json")], "settings": settings}),
                           store, scorer=scorer)
        assert first.results[0].new_items > 0
        fixed = parse_config({"sources": [checker.model_dump(mode="json")], "settings": settings})
        again = run_ingest(fixed, store, scorer=scorer)
        checks = store.cur.execute("SELECT count(*) FROM factchecks").fetchone()[0]
    assert again.results[0].status == "ok" and again.results[0].new_items == checks > 0


def test_a_source_moved_to_another_feed_is_read_even_when_the_server_answers_by_date(httpserver, db_path,
                                                                                    scorer):
    # The maintainer points a source at the outlet's election category feed instead of its main
    # feed. Servers that answer If-Modified-Since by date (Django, Werkzeug) said 304 to the main
    # feed's Last-Modified: the new feed, last changed earlier, was not read until it changed.
    def feed(title, hour):
        modified = datetime(2026, 11, 27, hour, tzinfo=UTC)

        def answer(request):
            if request.if_modified_since is not None and request.if_modified_since >= modified:
                return Response(status=304)
            response = Response(
                f"<rss version='2.0'><channel><title>t</title><item><title>{title}</title>"
                f"<link>http://127.0.0.1/{title}</link><description>{title}</description></item>"
                "</channel></rss>", content_type="application/rss+xml")
            response.last_modified = modified
            return response
        return answer

    httpserver.expect_request("/feed").respond_with_handler(feed("utama", 10))
    httpserver.expect_request("/pemilu/feed").respond_with_handler(feed("pemilu", 9))

    def config(path):
        return parse_config({"sources": [{"id": "kabar", "name": "Kabar", "url": httpserver.url_for(path),
                                          "options": {**LOCAL, "fetch_articles": False}}]})

    with Store(db_path) as store:
        run_ingest(config("/feed"), store, scorer=scorer)
        moved = run_ingest(config("/pemilu/feed"), store, scorer=scorer)
        titles = sorted(r[0] for r in store.cur.execute("SELECT title FROM items").fetchall())
    assert moved.results[0].status == "ok" and moved.results[0].new_items == 1
    assert titles == ["pemilu", "utama"]


def test_a_304_to_a_feed_never_read_fails_its_source_instead_of_freezing_it(httpserver, db_path, scorer):
    # A misbehaving server or caching proxy answers every request "304 Not Modified", though saring
    # has no copy to keep (it sent no ETag or If-Modified-Since): the source read "not_modified",
    # unchanged, on every run, and the outlet's news never reached the digest.
    httpserver.expect_request("/feed").respond_with_response(Response(status=304))
    config = parse_config({"sources": [{"id": "kabar", "name": "Kabar", "url": httpserver.url_for("/feed"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        for _ in range(2):
            (result,) = run_ingest(config, store, scorer=scorer).results
            assert result.status == "failed", result
            assert "HTTP 304" in result.error and "sent no ETag or date" in result.error, result.error
        status, error = store.cur.execute("SELECT last_status, last_error FROM sources").fetchone()
    assert status == "failed" and error == result.error


def test_a_page_served_as_latin_1_keeps_its_windows_quotes_and_dashes(httpserver, db_path, scorer):
    # An old server says "charset=iso-8859-1" (Apache's long-time default) for a page written on
    # Windows: its quotes and dashes are Windows-1252 bytes, which browsers show as “ ” —. Read as
    # strict Latin-1 they became invisible control characters and the quoted words lost their quotes.
    said = "Ketua KPU Kota Batu berkata pemungutan suara berjalan “damai” — tanpa ‘gangguan’ berarti."
    page = ("<html lang='id'><head><title>Pleno</title></head><body><article><h1>Pleno</h1>"
            + "".join(f"<p>{said} Kalimat {k}.</p>" for k in range(6)) + "</article></body></html>")
    text = _stored_page_text(httpserver, db_path, scorer, page.encode("cp1252"),
                             "text/html; charset=iso-8859-1")
    assert f"{said} Kalimat 0." in text
    assert not any("\x80" <= c <= "\x9f" for c in text)


def _stored_page_text(httpserver, db_path, scorer, body: bytes, content_type: str) -> str:
    """The text stored for a page served as ``body`` (the one entry of a feed), after a real run."""
    httpserver.expect_request("/berita").respond_with_data(body, content_type=content_type)
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0'><channel><title>t</title><item><title>Pleno</title>"
        f"<link>{httpserver.url_for('/berita')}</link></item></channel></rss>",
        content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "lama", "name": "Lama", "url": httpserver.url_for("/feed"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        run_ingest(config, store, scorer=scorer)
        return store.con.execute("SELECT text FROM articles WHERE text_source = 'page'").fetchone()[0]


GOOGLE_NEWS = Path(__file__).parent / "fixtures" / "social" / "google_news_pemilu_kota_batu.rss"


def test_google_news_items_keep_the_site_of_the_outlet_that_published_them(httpserver, db_path, scorer):
    # A Google News search lists Malang Post's and Jatim Pos's articles: each item keeps its outlet's
    # site (<source url>, read as sources.yaml's own feeds are), so stories count it as that outlet.
    # A <source> whose address cannot be read costs its item only the site, never the feed.
    feed = GOOGLE_NEWS.read_text(encoding="utf-8").replace('url="https://jatimpos.example"',
                                                           'url="https://[jatimpos.example"')
    httpserver.expect_request("/gn").respond_with_data(feed, content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "cari", "name": "Google News: pemilu kota batu",
                                        "kind": "google_news", "url": httpserver.url_for("/gn"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        first = run_ingest(config, store, scorer=scorer)
        store.con.execute("UPDATE sources SET etag = NULL, last_modified = NULL")  # read the feed again
        again = run_ingest(config, store, scorer=scorer)
        rows = store.con.execute("SELECT channel, outlet_host FROM items ORDER BY channel").fetchall()
    assert first.results[0].status == "ok" and first.results[0].new_items == 2
    assert again.results[0].new_items == 0
    assert rows == [("Jatim Pos", None), ("Malang Post", "malangpost.example")]


def test_a_run_stopped_by_ctrl_c_while_matching_fact_checks_is_recorded_as_interrupted(
        sample_site, sample_config, db_path, scorer, monkeypatch):
    # A maintainer pressed Ctrl-C while `saring ingest` matched fact-checks: the matching's
    # transaction was left open, so the run's record (its sources' outcomes, 'interrupted') written
    # after it was rolled back when the file closed, and the run stayed 'running' with no sources.
    import saring.pipeline.link as link

    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(link, "record_evidence", pressed)  # inside the matching's transaction
    with Store(db_path) as store, pytest.raises(KeyboardInterrupt):
        run_ingest(sample_config, store, scorer=scorer)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        runs = con.execute("SELECT status, sources_ok, finished_at IS NOT NULL FROM runs").fetchall()
        read = con.execute("SELECT count(*) FROM run_sources").fetchone()[0]
    finally:
        con.close()
    assert runs == [("interrupted", len(sample_config.enabled_sources), True)], runs
    assert read == len(sample_config.enabled_sources)


SAMPLE_SITE = Path(__file__).resolve().parent.parent / "sample" / "site"


def test_entries_dated_in_year_1_1970_or_9999_are_stored_undated_and_the_digest_is_still_made(
        httpserver, db_path, scorer, tmp_path):
    # Hugo dates an undated page "01 Jan 0001", some CMSs write the Unix epoch, others a "never"
    # date of 31 Dec 9999: the digest dated news "1 Januari 1" or "1970", and a 9999 date stopped the
    # whole digest with an OverflowError (WIB is past the last date Python knows).
    from saring.report.daily import make_digest
    from saring.report.digest import today_wib

    feed = (SAMPLE_SITE / "antaranews" / "feed.xml").read_text(encoding="utf-8")
    feed = feed.replace("{{SITE}}", httpserver.url_for("").rstrip("/"))
    bogus = ["Mon, 01 Jan 0001 00:00:00 +0000", "Thu, 01 Jan 1970 00:00:00 +0000",
             "Fri, 31 Dec 9999 23:59:59 +0000"]
    for real, wrong in zip(["Wed, 18 Apr 2018 11:50:00 +0700", "Thu, 16 Nov 2017 14:59:00 +0700",
                            "Sat, 11 Nov 2017 09:09:00 +0700"], bogus, strict=True):
        feed = feed.replace(real, wrong)
    httpserver.expect_request("/feed").respond_with_data(feed, content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "antara", "name": "Antara", "url": httpserver.url_for("/feed"),
                                        "options": {**LOCAL, "fetch_articles": False}}]})
    with Store(db_path) as store:
        summary = run_ingest(config, store, scorer=scorer)
        years = sorted(r[0] for r in store.con.execute(
            "SELECT year(published_at) FROM items WHERE published_at IS NOT NULL").fetchall())
        undated = store.con.execute("SELECT count(*) FROM items WHERE published_at IS NULL").fetchone()[0]
    assert summary.results[0].status == "ok" and summary.results[0].new_items == 6
    assert undated == 3 and years == [2014, 2014, 2015]
    every = DigestSettings(election_threshold=0.0)  # every item shown
    digest, paths = make_digest(db_path, today_wib(), every, tmp_path / "out")
    text = next(p for p in paths if p.name.endswith(".txt")).read_text(encoding="utf-8")
    assert digest.items_seen == 6 and "Januari 1," not in text and "1970" not in text and "9999" not in text


def test_a_page_whose_title_holds_its_whole_article_gives_a_title_cut_like_a_feeds(httpserver, db_path,
                                                                                  scorer):
    # The entry has no title, so the page's is taken; a theme that writes the article's text into
    # <title> and <h1> gave a 2,300-character title, kept whole in the digest's e-mail and HTML
    # and filling most of a WhatsApp message (a feed's own titles are cut at 500 characters).
    text = (SAMPLE_SITE.parent / "seed_articles" / "jatimpos_kpu_kota_madiun_bakohumas.txt").read_text(
        encoding="utf-8")
    whole = " ".join(text.split())
    page = (f"<html lang='id'><head><title>{whole}</title></head><body><article><h1>{whole}</h1>"
            + "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip()) + "</article></body></html>")
    httpserver.expect_request("/berita").respond_with_data(page, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0'><channel><title>t</title><item><link>{httpserver.url_for('/berita')}</link>"
        f"</item></channel></rss>", content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "tema", "name": "Tema", "url": httpserver.url_for("/feed"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        run_ingest(config, store, scorer=scorer)
        title, source = store.con.execute("SELECT title, text_source FROM articles").fetchone()
    assert source == "page" and len(whole) > 2_000
    assert whole.startswith(title) and len(title) == 500


def test_a_pages_own_author_is_cut_like_a_feeds(httpserver, db_path, scorer):
    # The entry has no title, so the page's metadata is read, and its author replaced the feed's:
    # a page whose <meta name="author"> held megabytes stored 10,000 characters (trafilatura's own
    # cut) as the article's author, where the feed's <dc:creator> is cut at 200.
    text = (SAMPLE_SITE.parent / "seed_articles" / "jatimpos_kpu_kota_madiun_bakohumas.txt").read_text(
        encoding="utf-8")
    page = (f"<html lang='id'><head><title>Pleno</title><meta name='author' content='{'Redaksi ' * 200_000}'>"
            "</head><body><article><h1>Pleno</h1>"
            + "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip()) + "</article></body></html>")
    httpserver.expect_request("/berita").respond_with_data(page, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'><channel><title>t</title><item>"
        f"<link>{httpserver.url_for('/berita')}</link><dc:creator>Tim Redaksi</dc:creator>"
        f"</item></channel></rss>", content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "tema", "name": "Tema", "url": httpserver.url_for("/feed"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        run_ingest(config, store, scorer=scorer)
        author, source = store.con.execute("SELECT author, text_source FROM articles").fetchone()
    assert source == "page"
    assert author.startswith("Redaksi Redaksi") and len(author) == MAX_AUTHOR_CHARS


@pytest.mark.parametrize("content_type, meta", [("text/html; charset=utf-8", ""),
                                                 ("text/html", "<meta charset='utf-8'>")],
                         ids=["header", "meta"])
def test_a_utf_8_page_with_one_stray_windows_byte_keeps_its_quotes_and_dashes(httpserver, db_path, scorer,
                                                                               content_type, meta):
    # A WordPress page in UTF-8 whose one old paragraph was stored in Windows-1252 ("Jum’at" pasted
    # from Word: a lone 0x92 byte): the whole page was read as Mac Roman, and every quote and dash
    # of the article was stored as "‚Äú" garbage. Browsers read it as the UTF-8 it says it is.
    said = "Ketua KPU Kota Batu berkata pemungutan suara berjalan “damai” — tanpa ‘gangguan’ berarti."
    page = (f"<html lang='id'><head>{meta}<title>Pleno</title></head><body><article><h1>Pleno</h1>"
            + "".join(f"<p>{said} Kalimat {k}.</p>" for k in range(6))
            + "<p>Pleno digelar hari Jum@at.</p></article></body></html>")
    text = _stored_page_text(httpserver, db_path, scorer, page.encode("utf-8").replace(b"@", b"\x92"),
                             content_type)
    assert f"{said} Kalimat 0." in text
    assert "Jum’at" in text


def test_an_article_that_now_redirects_to_the_home_page_keeps_its_feed_summary(httpserver, db_path, scorer):
    # An outlet took an article down (or put it behind a login) and its address now redirects to
    # the home page: the home page's list of other headlines was stored and scored as that article's
    # text, and the digest quoted it under the article's title.
    home = (SAMPLE_SITE / "detikcom" / "index.html").read_text(encoding="utf-8").replace(
        "{{SITE}}", httpserver.url_for("").rstrip("/"))
    httpserver.expect_request("/").respond_with_data(home, content_type="text/html; charset=utf-8")
    httpserver.expect_request("/berita/d-123/pleno").respond_with_data(
        "", status=301, headers={"Location": "/"})
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0'><channel><title>t</title><item><title>Pleno</title>"
        f"<link>{httpserver.url_for('/berita/d-123/pleno')}</link><description>Ringkasan pleno dari feed."
        f"</description><pubDate>Wed, 25 Nov 2026 01:00:00 +0700</pubDate></item></channel></rss>",
        content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "hapus", "name": "Hapus", "url": httpserver.url_for("/feed"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        summary = run_ingest(config, store, scorer=scorer)
        text, source, error = store.con.execute(
            "SELECT text, text_source, extraction_error FROM articles").fetchone()
    assert summary.results[0].status == "ok" and summary.results[0].failed == 1
    assert (text, source) == ("Ringkasan pleno dari feed.", "summary")
    assert "home page" in error


def test_entries_whose_link_is_a_bare_hash_are_skipped_not_stored_as_the_feed_itself(httpserver, db_path,
                                                                                      scorer):
    # A theme writes <link>#</link> for every entry: read against the feed's address, each link
    # became the feed itself, so one item titled as the first entry pointed at the feed's XML, and
    # every later entry, with "the same" address, was taken for it and never read.
    entries = "".join(f"<item><title>Berita {n}</title><link>#</link><description>Isi {n}</description>"
                      "</item>" for n in range(3))
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0'><channel><title>Tema</title>{entries}</channel></rss>",
        content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "tema", "name": "Tema", "url": httpserver.url_for("/feed"),
                                        "options": LOCAL}]})
    with Store(db_path) as store:
        summary = run_ingest(config, store, scorer=scorer)
        items = store.con.execute("SELECT url FROM items").fetchall()
    result = summary.results[0]
    assert items == [] and result.new_items == 0 and result.skipped == 3
    assert "3 entries without a link were skipped" in result.warning
    assert [r.path for r, _ in httpserver.log] == ["/feed"]  # the feed was not fetched again as a page


@pytest.mark.parametrize("content_type",
                         [None, "text/html", "text/plain", "text/html; charset=UTF-8", "text/xml"])
def test_a_real_feed_served_with_a_web_page_content_type_is_read_without_a_warning(httpserver, db_path,
                                                                                  content_type):
    from saring.collect.fetch import Fetcher
    from saring.pipeline.ingest import ingest_source

    # Many Indonesian WordPress hosts and CDNs send RSS as text/html, text/plain or with no
    # Content-Type: feedparser's complaint about the header showed as "feed is not well-formed" on
    # every run, and the same feed with no items failed.
    feed = (SAMPLE_SITE / "malangpost" / "feed.xml").read_bytes().replace(b"{{SITE}}", b"https://malangpost.id")
    start, end = feed.index(b"<item>"), feed.rindex(b"</item>") + len(b"</item>")
    for path, body in [("/feed", feed), ("/sepi", feed[:start] + feed[end:])]:
        response = Response(body, status=200)
        if content_type:
            response.headers["Content-Type"] = content_type
        else:
            del response.headers["Content-Type"]
        httpserver.expect_request(path).respond_with_response(response)
    results = []
    for path in ("/feed", "/sepi"):
        source = {"id": path[1:], "name": "Malangpost", "url": httpserver.url_for(path),
                  "options": {**LOCAL, "fetch_articles": False}}
        config = parse_config({"sources": [source]})
        with Store(db_path) as store, Fetcher(config.fetch) as fetcher:
            results.append(ingest_source(config.sources[0], store, fetcher))
    assert [sent.headers.get("Content-Type") for _, sent in httpserver.log] == [content_type] * 2
    full, empty = results
    assert (full.status, full.new_items, full.warning) == ("ok", 1, None)
    assert (empty.status, empty.error, empty.warning) == ("ok", None, "the feed has no items")
