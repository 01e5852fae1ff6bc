"""Extraction fidelity: the text saring stores vs trafilatura alone, on pages with ground truth.

The pages are a subset of the scrapinghub article-extraction-benchmark (MIT, see
``fidelity/SOURCE.md``). Token F1 follows the issue's definition: the bag of lower-cased
``\\w+`` tokens of a text against the ground truth's, per page; a page with nothing stored
scores 0. Used by ``bench_ingest.py`` (``make bench``) and by ``tests/test_fidelity.py``;
run this file for the per-page scores.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import trafilatura

from saring.config import parse_config
from saring.pipeline.demo import SiteServer
from saring.pipeline.ingest import run_ingest
from saring.storage.database import Store

PAGES = Path(__file__).resolve().parent / "fidelity"


@dataclass(frozen=True)
class Page:
    page_id: str
    html: bytes
    truth: str


def load_pages(ids: list[str] | None = None, root: Path = PAGES) -> list[Page]:
    """The benchmark pages (all, or those whose id starts with one of ``ids``)."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    chosen = sorted(k for k in truth if ids is None or any(k.startswith(i) for i in ids))
    return [Page(k, gzip.decompress((root / "html" / f"{k}.html.gz").read_bytes()), truth[k]["articleBody"])
            for k in chosen]


def tokens(text: str | None) -> Counter[str]:
    return Counter(re.findall(r"\w+", (text or "").lower()))


def token_f1(got: str | None, truth: str) -> float:
    """Token F1 of ``got`` against ``truth``; nothing extracted scores 0."""
    g, t = tokens(got), tokens(truth)
    common = sum((g & t).values())
    if not common:
        return 0.0
    precision, recall = common / sum(g.values()), common / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def trafilatura_alone(pages: list[Page]) -> dict[str, str | None]:
    """trafilatura with its default settings on the raw bytes (it decodes them itself)."""
    return {p.page_id: trafilatura.extract(p.html) for p in pages}


def through_pipeline(pages: list[Page], scorer=None) -> dict[str, str | None]:
    """What saring stores: the pages served on 127.0.0.1 behind an RSS feed, one real ingest run.

    The feed items carry no summary, so a page whose extraction fails stores nothing.
    """
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        for p in pages:
            (site / "p" / p.page_id).mkdir(parents=True)
            (site / "p" / p.page_id / "index.html").write_bytes(p.html)
        with SiteServer(site) as server:
            items = "".join(f"<item><title>{escape(p.page_id)}</title><guid>{p.page_id}</guid>"
                            f"<link>{server.base_url}/p/{p.page_id}/</link></item>" for p in pages)
            feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                    f"<title>fidelity</title>{items}</channel></rss>")
            (site / "feed.xml").write_text(feed, encoding="utf-8")
            config = parse_config({
                "sources": [{"id": "fidelity", "name": "Fidelity", "url": f"{server.base_url}/feed.xml",
                             "options": {"allow_private": True, "max_items": len(pages)}}],
                "settings": {"fetch": {"retries": 0, "timeout": 30}},
            })
            with Store(Path(tmp) / "f.duckdb") as store:
                run_ingest(config, store, scorer=scorer)
                rows = store.con.execute(
                    "SELECT i.url, a.text FROM items i LEFT JOIN articles a USING (item_id)").fetchall()
    by_id = {url.rstrip("/").rsplit("/", 1)[-1]: text for url, text in rows}
    return {p.page_id: by_id.get(p.page_id) for p in pages}


def mean_f1(texts: dict[str, str | None], pages: list[Page]) -> float:
    return sum(token_f1(texts.get(p.page_id), p.truth) for p in pages) / len(pages)


def measure(verbose: bool = False) -> tuple[int, float, float]:
    """(pages, saring's mean token F1, trafilatura's) on every benchmark page."""
    pages = load_pages()
    alone, stored = trafilatura_alone(pages), through_pipeline(pages)
    if verbose:
        for p in pages:
            a, s = token_f1(alone[p.page_id], p.truth), token_f1(stored[p.page_id], p.truth)
            print(f"    {p.page_id[:12]}  trafilatura {a:.3f}  saring {s:.3f}{'  <' if s < a else ''}")
    return len(pages), mean_f1(stored, pages), mean_f1(alone, pages)


if __name__ == "__main__":  # per-page detail: .venv/bin/python benchmarks/_fidelity.py
    n, saring, trafilatura_f1 = measure(verbose=True)
    print(f"token F1 over {n} pages: saring {saring:.4f}, trafilatura alone {trafilatura_f1:.4f}")
