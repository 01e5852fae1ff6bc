"""The library pipeline end to end, without Prefect, against the served sample sites."""

import duckdb

from saring.config import parse_config
from saring.ingest import run_ingest
from saring.store import Store, connect_snapshot

TABLES = ("sources", "items", "articles", "scores")


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


def test_changed_feed_without_validators_still_refetches_no_article(sample_site, sample_config, db_path, scorer):
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
    httpserver.expect_request("/broken").respond_with_data("<rss><channel><item><title>x", content_type="text/xml")
    good = sample_config.sources[0].model_dump()
    raw = {
        "sources": [
            good,
            {"id": "gone", "name": "Gone", "url": httpserver.url_for("/gone")},
            {"id": "html", "name": "HTML", "url": httpserver.url_for("/page")},
            {"id": "broken", "name": "Broken", "url": httpserver.url_for("/broken")},
            {"id": "dead", "name": "Dead", "url": "http://127.0.0.1:9/feed"},
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


def test_private_article_links_refused_without_opt_in(sample_site, db_path, scorer):
    from saring.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:1]
    raw["sources"][0]["options"] = {"allow_private": False}
    config = parse_config(raw)
    with Store(db_path) as store:
        summary = run_ingest(config, store, scorer=scorer)
        errors = store.con.execute("SELECT DISTINCT extraction_error FROM articles").fetchall()
    assert summary.results[0].status == "ok"  # the operator's own feed address is trusted
    assert summary.results[0].extracted == 0
    assert all("private or local address" in e[0] for e in errors)


def test_snapshot_is_readable_while_writer_is_open(sample_site, sample_config, db_path, scorer):
    with Store(db_path) as store:
        run_ingest(sample_config, store, scorer=scorer)
        con = connect_snapshot(db_path)  # the writer still holds the main file
        n = con.execute("SELECT count(*) FROM item_overview WHERE hoax_score IS NOT NULL").fetchone()[0]
        con.close()
    assert n > 0
