"""Big batches are extracted in a process pool, also when saring runs as `python -m saring`."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from saring.collect.extract import WORKER_NICENESS, Extractor
from saring.pipeline.demo import SiteServer, sample_dir


def test_cli_ingest_uses_the_pool_for_a_big_feed(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(sample_dir(), site)
    articles = json.loads((site / "articles.json").read_text(encoding="utf-8"))[:24]
    items = "".join(f"<item><title>{a['title']}</title><link>{{{{SITE}}}}{a['path']}</link></item>"
                    for a in articles)
    (site / "big.xml").write_text(f"<rss version='2.0'><channel><title>big</title>{items}</channel></rss>",
                                  encoding="utf-8")
    with SiteServer(site) as server:
        (tmp_path / "sources.yaml").write_text(
            f"sources:\n  - id: big\n    name: Big\n    url: {server.base_url}/big.xml\n"
            "    options: {allow_private: true}\n", encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "saring", "ingest",
                               "--sources", str(tmp_path / "sources.yaml"),
                               "--db", str(tmp_path / "db.duckdb"), "-v"],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "extraction pool failed" not in proc.stderr
    assert "24 new, 24 extracted" in proc.stderr  # the run log line of the source


WORKER_MAIN = '''
import os
import sys

if __name__ == "__mp_main__":  # a pool worker runs the parent's main module as this
    with open(os.environ["MARK"], "a", encoding="utf-8") as mark:
        mark.write(f"{'trafilatura' in sys.modules}\\n")

if __name__ == "__main__":
    from saring.collect.extract import Extractor

    page = (b"<html><body><article><p>" + b"Kalimat tentang pemilihan umum di kota. " * 20
            + b"</p></article></body></html>")
    for _ in range(2):  # two runs in one process, as a served flow or the benchmark does
        with Extractor(workers=2) as extractor:
            assert all(r.text for r in extractor.extract_many([(page, None, None, False)] * 16))
'''


def test_pool_workers_start_with_trafilatura_already_imported(tmp_path):
    # Spawned workers started a fresh interpreter and imported trafilatura (and whatever the main
    # module imports) again, for every run: forked from a server that imported it once, they start
    # in milliseconds. The feed parsers too: the workers parse large feeds.
    script, mark = tmp_path / "main.py", tmp_path / "mark.txt"
    script.write_text(WORKER_MAIN, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MARK": str(mark)})
    assert proc.returncode == 0, proc.stderr
    assert mark.read_text(encoding="utf-8").split() == ["True"] * 4  # 2 runs x 2 workers


def test_extracted_pages_are_handed_over_in_batches_with_the_same_rows(tmp_path, monkeypatch):
    # Rows are handed over (to be stored, then scored) while other pages of the source are
    # still being extracted; together they are exactly the rows of one batch at the end.
    import saring.pipeline.ingest as ingest
    from saring.collect.extract import Extractor
    from saring.collect.fetch import Fetcher
    from saring.config import FetchSettings

    monkeypatch.setattr(ingest, "ROWS_PER_HANDOVER", 5)
    with SiteServer(sample_dir()) as server:
        source, items = _big_source(server, 24)
        with Fetcher(FetchSettings(retries=0)) as fetcher, Extractor(workers=2) as extractor:
            whole = ingest.build_articles(source, items, fetcher, extractor)
            batches: list[list[dict]] = []
            rest = ingest.build_articles(source, items, fetcher, extractor, on_rows=batches.append)
    assert len(batches) >= 2 and all(len(b) >= 5 for b in batches)
    handed = [row for b in batches for row in b] + rest
    key = lambda r: r["item_id"]  # noqa: E731
    drop = {"fetched_at"}
    assert [{k: v for k, v in r.items() if k not in drop} for r in sorted(handed, key=key)] == \
        [{k: v for k, v in r.items() if k not in drop} for r in sorted(whole, key=key)]


def test_a_killed_pool_worker_costs_no_page(tmp_path):
    # A worker killed (the OOM killer, a page that crashes the parser) breaks the pool: every later
    # submit raised BrokenProcessPool in a download thread and the source, and every later large
    # source of the run, failed whole. Each page is now extracted in this process instead.
    import os

    import saring.pipeline.ingest as ingest
    from saring.collect.extract import Extractor
    from saring.collect.fetch import Fetcher
    from saring.config import FetchSettings

    with SiteServer(sample_dir()) as server:
        source, items = _big_source(server, 20)
        with Fetcher(FetchSettings(retries=0)) as fetcher, Extractor(workers=2) as extractor:
            extractor.start()
            crash = extractor._ensure_pool().submit(os._exit, 1)  # a worker dies, as under the OOM killer
            assert crash.exception(timeout=60) is not None
            stored: list[dict] = []
            rest = ingest.build_articles(source, items, fetcher, extractor, on_rows=stored.extend)
    rows = stored + rest
    assert len(rows) == 20 and all(r["text_source"] == "page" for r in rows)


def test_leaving_a_pool_whose_worker_died_stops_every_other_worker():
    # CPython started a worker when a task found none idle; one started while another died was
    # never told to stop, and leaving the pool waited for it forever (a CI run hung on it).
    import threading
    import time

    from saring.collect.extract import Extractor

    extractor = Extractor(workers=2)
    pool = extractor._ensure_pool()
    deadline = time.monotonic() + 60
    while not extractor.ready and time.monotonic() < deadline:  # its first task has run
        time.sleep(0.01)
    workers = list(pool._processes.values())
    assert len(workers) == 2  # all started with the first task: none starts later
    assert pool.submit(os._exit, 1).exception(timeout=60) is not None
    leaving = threading.Thread(target=extractor.__exit__, args=(None, None, None), daemon=True)
    leaving.start()
    leaving.join(60)
    assert not leaving.is_alive()
    assert not any(worker.is_alive() for worker in workers)


def _big_source(server, n: int):
    """A source of the sample's first ``n`` article pages, as feed items."""
    from saring.collect.feeds import FeedItem
    from saring.config import Source

    articles = json.loads((sample_dir() / "articles.json").read_text(encoding="utf-8"))[:n]
    source = Source(id="big", name="Big", url=f"{server.base_url}/x.xml", options={"allow_private": True})
    items = [FeedItem(url=server.base_url + a["path"], link=server.base_url + a["path"], title=a["title"],
                      summary="", published_at=None, author=None, guid=None) for a in articles]
    return source, items


def test_pages_short_of_a_batch_are_extracted_too():
    # Pages go to the workers a few at a time; a page that no other follows must not wait for one.
    from saring.collect.extract import BATCH_PAGES, Extractor

    page = (b"<html><body><article><p>" + b"Kalimat tentang pemilihan umum di kota. " * 20
            + b"</p></article></body></html>")
    with Extractor(workers=2) as extractor:
        extractor.start()
        futures = [extractor.submit((page, None, None, False)) for _ in range(BATCH_PAGES + 1)]
        assert all(f.result(timeout=60).text for f in futures)
        last = extractor.submit((page, None, None, False))
    assert last.done()  # leaving the pool sends or settles what waits: nobody is left hanging


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_pool_workers_run_at_a_lower_priority_than_the_ingest_process():
    # Every core is busy while pages arrive; what the workers leave undone runs in parallel at
    # the end, what the ingest process and its scoring helper leave runs on one core.
    with Extractor(workers=2) as extractor:
        extractor.start()
        niceness = {extractor._ensure_pool().submit(os.nice, 0).result() for _ in range(4)}
    assert niceness == {min(19, os.nice(0) + WORKER_NICENESS)}


def test_run_calls_a_function_in_a_worker_and_here_once_the_pool_is_broken(caplog):
    with Extractor(workers=2) as extractor:
        assert extractor.run(os.getpid) != os.getpid()
        with pytest.raises(ValueError, match="invalid literal"):  # its own error, as if called here
            extractor.run(int, "dua")
        assert extractor._ensure_pool().submit(os._exit, 1).exception(timeout=60) is not None
        assert extractor.run(os.getpid) == os.getpid()  # a worker died: the work is done here
    assert "running getpid in-process" in caplog.text
    assert Extractor(workers=1).run(os.getpid) == os.getpid()  # one core: no pool is started


def test_large_feeds_are_parsed_in_the_pool_and_read_the_same(sample_config, tmp_path, monkeypatch):
    # Parsing costs about 1 ms per KB under the ingest process's interpreter lock, while the pool
    # waits for pages: a large feed is parsed there. Every kind of the sample's sources (the
    # sample's feeds are small: every one counts as large here) reads the same either way.
    import saring.pipeline.ingest as ingest
    from saring.collect.fetch import Fetcher
    from saring.storage.database import Store

    monkeypatch.setattr(ingest, "POOL_FEED_BYTES", 1)
    parsed, run = [], Extractor.run

    def spy(self, fn, *args):
        parsed.append(args[2])  # the feed's address
        return run(self, fn, *args)

    monkeypatch.setattr(Extractor, "run", spy)
    read = {}
    for where in ("here", "pool"):
        with Store(tmp_path / f"{where}.duckdb") as store, Fetcher(sample_config.fetch) as fetcher, \
                Extractor(workers=2) as extractor:
            for source in sample_config.sources:
                plan = ingest.read_feed(source, store, fetcher, extractor if where == "pool" else None)
                result = plan if isinstance(plan, ingest.SourceResult) else plan.result
                read[where, source.id] = (replace(result, duration_s=None), getattr(plan, "items", None))
    kinds = {s.kind for s in sample_config.sources}
    assert len(parsed) == len(sample_config.sources) and {"rss", "factcheck", "mastodon"} <= kinds
    for source in sample_config.sources:
        assert read["pool", source.id] == read["here", source.id]


def test_a_broken_large_feed_fails_its_source_with_the_same_reason_from_the_pool(sample_site, sample_config,
                                                                               tmp_path, monkeypatch):
    import saring.pipeline.ingest as ingest
    from saring.collect.fetch import Fetcher
    from saring.storage.database import Store

    monkeypatch.setattr(ingest, "POOL_FEED_BYTES", 1)
    source = next(s for s in sample_config.sources if s.kind == "rss" and not s.is_factcheck)
    feed = sample_site.root_dir / source.url.split(sample_site.base_url + "/", 1)[1]
    feed.write_text("<html><body>Situs sedang dalam perbaikan</body></html>", encoding="utf-8")
    errors = []
    for extractor in (None, Extractor(workers=2)):
        with Store(tmp_path / f"{len(errors)}.duckdb") as store, Fetcher(sample_config.fetch) as fetcher:
            result = ingest.read_feed(source, store, fetcher, extractor)
        if extractor is not None:
            extractor.__exit__(None, None, None)
        errors.append((result.status, result.error))
    assert errors[0] == errors[1] and errors[0][0] == "failed" and "perbaikan" not in errors[0][1]


def test_a_large_feed_is_parsed_here_while_every_worker_is_busy(sample_config, tmp_path, monkeypatch):
    # Sent to a pool busy with pages, the feed would wait behind them, and its source's downloads too.
    import time

    import saring.pipeline.ingest as ingest
    from saring.collect.fetch import Fetcher
    from saring.storage.database import Store

    monkeypatch.setattr(ingest, "POOL_FEED_BYTES", 1)
    monkeypatch.setattr(Extractor, "run", lambda *a: pytest.fail("parsed in the busy pool"))
    source = next(s for s in sample_config.sources if s.kind == "rss" and not s.is_factcheck)
    with Store(tmp_path / "db.duckdb") as store, Fetcher(sample_config.fetch) as fetcher, \
            Extractor(workers=2) as extractor:
        assert extractor.has_room  # not even started
        busy = [extractor._submit(time.sleep, 1) for _ in range(2)]
        assert not extractor.has_room
        assert ingest.read_feed(source, store, fetcher, extractor).items
        for task in busy:
            task.result(timeout=60)
        deadline = time.monotonic() + 60  # a task's end is counted just after its result is set
        while not extractor.has_room and time.monotonic() < deadline:
            time.sleep(0.01)
        assert extractor.has_room


def test_a_warning_of_a_feed_parsed_in_the_pool_is_in_the_run_log(httpserver, tmp_path, monkeypatch, caplog):
    # A worker's own log goes nowhere: the feed's warning (also kept for the health section) is
    # logged by the ingest process.
    import saring.pipeline.ingest as ingest
    from saring.collect.fetch import Fetcher
    from saring.config import FetchSettings, Source
    from saring.storage.database import Store

    monkeypatch.setattr(ingest, "POOL_FEED_BYTES", 1)
    entries = "".join(f"<item><title>Berita {n}</title><link>{link}</link></item>"
                      for n, link in enumerate(["#", "#", "https://contoh.example/berita/1"]))
    httpserver.expect_request("/feed").respond_with_data(
        f"<rss version='2.0'><channel><title>Tema</title>{entries}</channel></rss>",
        content_type="application/rss+xml")
    source = Source(id="tema", name="Tema", url=httpserver.url_for("/feed"), options={"allow_private": True})
    with Store(tmp_path / "db.duckdb") as store, Fetcher(FetchSettings(retries=0)) as fetcher, \
            Extractor(workers=2) as extractor:
        plan = ingest.read_feed(source, store, fetcher, extractor)
    assert len(plan.items) == 1 and plan.result.warning == "2 entries without a link were skipped"
    assert f"{httpserver.url_for('/feed')}: 2 entries without a link were skipped" in caplog.text
