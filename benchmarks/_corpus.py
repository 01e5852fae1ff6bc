"""A large database of realistic, non-repeating articles for the growth benchmark, built in bulk.

The texts are new combinations of the real sentences of the bundled sample articles (extracted
with trafilatura as the pipeline does): article ``i`` has ``6 + hash(i) % 25`` sentences (6-30),
each picked by ``hash(i, j)`` from the sentence pool, so no two articles share a text and one
repeated text cannot flatter the numbers; titles are a different real sentence cut to 100
characters. Everything is generated inside DuckDB from a small Arrow table of sentences (no
row-by-row inserts): a million articles take about a minute.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyarrow as pa
from _sites import sample_pages

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(])")

FILL = """
INSERT INTO sources (source_id, name, url, kind, region, enabled)
    SELECT 'src' || i, 'Outlet ' || i, 'https://outlet' || i || '.example/feed', 'rss', 'Jawa Timur', true
    FROM range(50) t(i) ON CONFLICT DO NOTHING;
CREATE TEMP TABLE syn AS
    WITH p AS (SELECT list(s ORDER BY idx) AS pool, count(*) AS n FROM sentence_pool)
    SELECT i, 'syn' || i AS item_id,
           TIMESTAMPTZ '2026-11-25 00:00:00+07' - INTERVAL (i * $step) SECOND AS seen_at,
           left(pool[1 + (hash(i, -1) % n)::BIGINT], 100) AS title,
           array_to_string(list_transform(range(6 + (hash(i) % 25)::BIGINT),
                                          lambda j: pool[1 + (hash(i, j) % n)::BIGINT]), ' ') AS text
    FROM range($n) t(i), p;
INSERT INTO items (item_id, url, link, source_id, title, summary, published_at, author, guid, first_seen_at,
                   state, kind, channel)
    SELECT item_id, 'https://outlet' || (i % 50) || '.example/a/' || i, NULL,
    'src' || (i % 50), title, NULL, NULL, NULL, NULL, seen_at, 'scored', 'rss', 'Outlet' FROM syn;
INSERT INTO articles SELECT item_id, 'https://outlet' || (i % 50) || '.example/a/' || i, 200, text, 'page',
    title, NULL, NULL, 'id', NULL, seen_at FROM syn;
INSERT INTO scores SELECT item_id, '$version', random(), random(), ['pemilu', 'kpu'], ['hoaks'], seen_at FROM syn;
INSERT INTO stories SELECT item_id, item_id, seen_at FROM syn;
INSERT INTO item_place_scans SELECT item_id, '$places', seen_at FROM syn;
-- The runs' log of that history: a run per 60 articles, a row per source each (every run adds them).
INSERT INTO runs (run_id, flow, started_at, finished_at, status, sources_ok, sources_failed, new_items, message)
    SELECT 'h' || r, 'ingest', started, started + INTERVAL 40 SECOND, 'ok', 50, 0, 60, '60 new items, 60 scored'
    FROM (SELECT r, TIMESTAMPTZ '2026-11-25 00:00:00+07' - INTERVAL (r * 60 * $step) SECOND AS started
          FROM range(1, $n // 60 + 1) t(r));
INSERT INTO run_sources SELECT 'h' || r, 'src' || j, 'ok', 200, 30, 1, 1, 0, 0, NULL, NULL, 0.5
    FROM range(1, $n // 60 + 1) t(r), range(50) u(j);
-- The history's last run, finished: a run links (fact-check matching) only what came after it.
INSERT INTO runs (run_id, flow, started_at, finished_at, status, sources_ok, sources_failed, new_items, message)
    SELECT 'history', 'ingest', max(seen_at), max(seen_at), 'ok', 50, 0, count(*), 'benchmark history' FROM syn;
DROP TABLE syn;
"""


def sentence_pool() -> pa.Table:
    """The distinct real sentences (at least 40 characters) of the sample's articles."""
    from saring.collect.extract import extract_article

    seen: dict[str, None] = {}
    for page in sample_pages():
        text = extract_article(page).text or ""
        for s in SENTENCE.split(" ".join(text.split())):
            if len(s) >= 40:
                seen.setdefault(s, None)
    pool = list(seen)
    return pa.table({"idx": list(range(len(pool))), "s": pool})


def fill(con, n: int, version: str, places: str, step_s: int = 31) -> dict:
    """Insert ``n`` scored articles, one every ``step_s`` seconds back from 2026-11-25 (WIB), and
    the runs that stored them (one per 60 articles, with a row for each of 50 sources)."""
    t0 = time.perf_counter()
    sentence_pool_table = sentence_pool()
    con.register("sentence_pool", sentence_pool_table)
    try:
        sql = (FILL.replace("$n", str(n)).replace("$step", str(step_s)).replace("$version", version)
               .replace("$places", places))
        con.execute(sql)
    finally:
        con.unregister("sentence_pool")
    con.execute("CHECKPOINT")
    stats = con.execute("""SELECT count(*), min(strlen(text)), quantile_cont(strlen(text), [0.1, 0.5, 0.9]),
                                  max(strlen(text)), count(DISTINCT text)
                           FROM articles WHERE item_id LIKE 'syn%'""").fetchall()[0]
    return {"rows": stats[0], "min": stats[1], "p10_p50_p90": [round(x) for x in stats[2]], "max": stats[3],
            "distinct": stats[4], "sentences": sentence_pool_table.num_rows, "seconds": time.perf_counter() - t0}


if __name__ == "__main__":  # a quick look: python benchmarks/_corpus.py 100000
    import sys
    import tempfile

    from saring.judge.places import PLACES_VERSION
    from saring.storage.database import Store

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "c.duckdb") as store:
        print(fill(store.con, int(sys.argv[1]), "v", PLACES_VERSION))
        t0 = time.perf_counter()
        store.publish_snapshot()
        print("first publication", round(time.perf_counter() - t0, 2), "s")
        t0 = time.perf_counter()
        store.publish_snapshot()
        print("second publication (nothing changed)", round(time.perf_counter() - t0, 2), "s")
