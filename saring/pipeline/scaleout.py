"""Scale-out building blocks: page work done elsewhere, results merged by the one writer.

Workers (Dask, through Prefect) fetch, extract and score a part of the new items and
write the rows as Parquet files; the flow's loader merges those files into DuckDB with
the same idempotent upserts as a single-process run. DuckDB keeps exactly one writer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from saring.collect.extract import Extractor
from saring.collect.feeds import FeedItem
from saring.collect.fetch import Fetcher
from saring.config import FetchSettings, Source
from saring.judge.scorers import current_scorer
from saring.pipeline.ingest import FeedPlan, SourceResult, build_articles, score_rows, store_articles
from saring.storage.database import Store

LOGGER = logging.getLogger(__name__)


def dask_setup(worker) -> None:
    """``dask worker --preload saring.pipeline.scaleout``: load the models when the worker starts,
    not on its first part."""
    current_scorer()


def _write_parquet(rows: list[dict], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("rows_df", pd.DataFrame(rows))
        target = str(tmp).replace("'", "''")  # COPY takes no parameter: a quote in the folder's name
        con.execute(f"COPY (SELECT * FROM rows_df) TO '{target}' (FORMAT parquet)")
    finally:
        con.close()
    os.replace(tmp, path)  # a part is either whole or absent


def process_part(source: Source, items: Sequence[FeedItem], fetch: FetchSettings, part: str,
                 outlets: Sequence[str] = ()) -> str:
    """Worker side: fetch, extract and score ``items``; write ``part``.articles/.scores.parquet.

    ``outlets``: the configured news sources' hosts (:meth:`Store.outlet_hosts`), as the
    single-process run scores with them."""
    with Fetcher(fetch) as fetcher:
        rows = build_articles(source, items, fetcher, Extractor(workers=1))
    scores = score_rows([r["item_id"] for r in rows], [r["title"] for r in rows],
                        [r["text"] for r in rows], current_scorer().with_outlets(outlets))
    base = Path(part)
    base.parent.mkdir(parents=True, exist_ok=True)
    if rows:
        _write_parquet(scores, base.with_suffix(".scores.parquet"))
        _write_parquet(rows, base.with_suffix(".articles.parquet"))
    return part


def _read_parquet(path: Path) -> list[dict]:
    if not path.exists():
        return []
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        cur = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def load_parts(plan: FeedPlan, parts: Sequence[str], store: Store,
               scored: set[str] | None = None) -> SourceResult:
    """Loader side: merge one feed's parts into DuckDB (articles, then their scores).

    ``scored``: gets the ids of the articles whose scores were loaded (the workers scored them:
    the run summary counts them with what the end of the run scores).
    """
    rows = [r for p in parts for r in _read_parquet(Path(p).with_suffix(".articles.parquet"))]
    scores = [r for p in parts for r in _read_parquet(Path(p).with_suffix(".scores.parquet"))]
    result = store_articles(plan, rows, store)
    store.save_scores(scores)
    if scored is not None:
        scored.update(r["item_id"] for r in scores)
    return result


def chunks(items: Sequence[FeedItem], size: int) -> list[list[FeedItem]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]
