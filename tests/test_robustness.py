"""Hostile feeds over a real socket: each costs only its own source, with a readable reason."""

import gzip
import time
from pathlib import Path

import pytest
from werkzeug import Response as WResponse

from saring.config import parse_config
from saring.pipeline.ingest import run_ingest
from saring.storage.database import Store

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
SEED = Path(__file__).resolve().parent.parent / "sample" / "seed_articles"


@pytest.fixture()
def httpserver():
    """A threaded server: sources are read side by side, and one of them stalls."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def _source(sid, url, **options):
    return {"id": sid, "name": sid, "url": url, "options": {"fetch_articles": False, **options}}


def test_feedparser_corpus_over_http(httpserver, tmp_path, scorer):
    """Every real well- and ill-formed corpus file ingests without an exception escaping, and the
    feeds are really read: every well-formed one, and the ill-formed ones feedparser recovers."""
    files = sorted(FEEDS.rglob("*.xml"))
    sources = []
    for n, path in enumerate(files):
        route = f"/corpus/{n}.xml"
        httpserver.expect_request(route).respond_with_data(path.read_bytes(), content_type="application/xml")
        # The server is 127.0.0.1: without allow_private every source would be refused unread.
        sources.append(_source(f"c{n:03d}", httpserver.url_for(route), allow_private=True))
    config = parse_config({"sources": sources, "settings": {"fetch": {"retries": 0}}})
    with Store(tmp_path / "db.duckdb") as store:
        summary = run_ingest(config, store, scorer=scorer)
        assert len(summary.results) == len(files)
        for r in summary.results:
            assert r.status in ("ok", "failed")
            if r.status == "failed":
                assert r.error and "unexpected" not in r.error
                assert "not well-formed" in r.error, r.error  # the feed was read, and refused for itself
        rows = store.con.execute("SELECT count(*) FROM run_sources WHERE run_id = ?", [summary.run_id])
        assert rows.fetchone()[0] == len(files)
        read = {path: r for path, r in zip(files, summary.results, strict=True)}
        wellformed = [p for p in files if "wellformed" in p.parts]
        assert len(wellformed) >= 20 and all(read[p].status == "ok" for p in wellformed), \
            {p.name: read[p].error for p in wellformed if read[p].status != "ok"}
        recovered = [p for p in files if "illformed" in p.parts and read[p].status == "ok"]
        assert len(recovered) >= 6  # 9 of 19 with feedparser 6.0.14
        assert store.con.execute("SELECT count(*) FROM items").fetchone()[0] >= 3


def _stall_after_headers(request):
    def body():
        yield b"<?xml version='1.0'?><rss version='2.0'><channel>"
        time.sleep(3)
        yield b"</channel></rss>"

    return WResponse(body(), content_type="application/rss+xml", direct_passthrough=True)


def _cp1252_labelled_utf8():
    lede = (SEED / "jatimpos_kpu_kota_madiun_bakohumas.txt").read_text(encoding="utf-8").split("\n")[0]
    xml = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Jatim</title>"
           f"<item><title>KPU “Kota” Madiun</title><link>https://jatimpos.example/politik/1-kpu</link>"
           f"<description>{lede}</description></item></channel></rss>")
    return xml.encode("cp1252")


def test_each_hostile_feed_costs_only_its_source(httpserver, tmp_path, scorer):
    good = (SEED.parent / "site" / "malangpost" / "feed.xml").read_bytes().replace(
        b"{{SITE}}", httpserver.url_for("").rstrip("/").encode())
    httpserver.expect_request("/good").respond_with_data(good, content_type="application/rss+xml")
    httpserver.expect_request("/empty").respond_with_data(b"", content_type="application/rss+xml")
    httpserver.expect_request("/html").respond_with_data(b"<!doctype html><html><body>Beranda</body></html>",
                                                         content_type="text/html")
    httpserver.expect_request("/bomb").respond_with_data(
        gzip.compress(b"<rss>" + b" " * 60_000_000), headers={"Content-Encoding": "gzip"})
    httpserver.expect_request("/huge").respond_with_data(b"<rss>" + b"x" * 6_000_000)
    httpserver.expect_request("/stall").respond_with_handler(_stall_after_headers)
    httpserver.expect_request("/busy").respond_with_data("busy", status=429, headers={"Retry-After": "0"})
    httpserver.expect_request("/down").respond_with_data("oops", status=503)
    httpserver.expect_request("/loop").respond_with_data("", status=301, headers={"Location": "/loop"})
    httpserver.expect_request("/charset").respond_with_data(
        _cp1252_labelled_utf8(), content_type="application/rss+xml; charset=utf-8")
    httpserver.expect_request("/bare").respond_with_data(
        b"<rss version='2.0'><channel><item><description>tanpa judul</description>"
        b"<link>https://bare.example/1</link></item><item><title>tanpa tautan</title></item></channel></rss>")
    names = ["good", "empty", "html", "bomb", "huge", "stall", "busy", "down", "loop", "charset", "bare"]
    config = parse_config({
        "sources": [_source(n, httpserver.url_for("/" + n), allow_private=True) for n in names],
        "settings": {"fetch": {"retries": 1, "timeout": 1, "total_timeout": 5, "max_bytes": 5_000_000}},
    })
    with Store(tmp_path / "db.duckdb") as store:
        summary = run_ingest(config, store, scorer=scorer)
        got = {r.source_id: r for r in summary.results}
        titles = dict(store.con.execute("SELECT source_id, title FROM items").fetchall())
    assert got["good"].status == "ok" and got["good"].new_items == 1
    expected = {
        "empty": "the feed is empty",
        "html": "web page, not an RSS/Atom feed",
        "bomb": "byte limit",
        "huge": "byte limit",
        "stall": "no answer within 1 s",
        "busy": "HTTP 429",
        "down": "HTTP 503",
        "loop": "redirects",
    }
    for name, why in expected.items():
        assert got[name].status == "failed", name
        assert why in got[name].error, (name, got[name].error)
    assert got["charset"].status == "ok" and titles["charset"] == "KPU “Kota” Madiun"
    assert got["bare"].status == "ok" and got["bare"].new_items == 1 and got["bare"].skipped == 1
    assert titles["bare"] == "(tanpa judul)"
    retried = [r.path for r, _ in httpserver.log if r.path in ("/busy", "/down")]
    assert retried.count("/busy") == 2 and retried.count("/down") == 2
    assert [r.path for r, _ in httpserver.log].count("/html") == 1  # no retry where it cannot help
