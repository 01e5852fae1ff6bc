"""Add the demo's non-news sources to sample/site: a fact-check feed, a social feed, a chat export.

Run after build_sample.py (which calls it). Deterministic, no network. What each file is,
and what was written by this script rather than taken from real material, is in
sample/README.md ("Fact-checks, social and tipline samples").
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "sample" / "site"
PRATIWI = ROOT / "classifiers/data/pratiwi2017_hoax/pratiwi2017_hoax_train.csv"
SOCIAL = ROOT / "tests/fixtures/social"
WIB = timezone(timedelta(hours=7))
TOKEN = "{{SITE}}"

# Claims that also appear among the demo's news items; one real debunking article each.
FACTCHECK_TOPICS = {
    11: "Facebook akan ditutup di Indonesia",
    1: "Makan ikan lele mengandung 3.000 sel kanker",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def factcheck_feed() -> dict:
    used = {a["pratiwi_row_id"] for a in json.loads((SITE / "articles.json").read_text(encoding="utf-8"))
            if a.get("pratiwi_row_id") is not None}
    rows = list(csv.DictReader(PRATIWI.open(encoding="utf-8")))
    items, when = [], datetime(2017, 4, 20, 10, 0, tzinfo=WIB)
    for topic, claim in FACTCHECK_TOPICS.items():
        # The longest 'Valid' article on the claim that the news part of the demo does not show:
        # in this dataset 'Valid' articles on a hoax claim are debunks.
        candidates = [r for r in rows if int(r["topic_id"]) == topic and r["label"] == "0"
                      and int(r["row_id"]) not in used and "hoax" in r["berita"].lower() + r["source_url"]]
        row = max(candidates, key=lambda r: (len(r["berita"]), -int(r["row_id"])))
        title = f"[HOAKS] {claim}"
        path = f"/cekfakta/{_slug(claim)}/"
        paragraphs = [p.strip() for p in row["berita"].split("\n") if p.strip()]
        page = SITE / path.strip("/") / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title></head><body><header><a href=\"{TOKEN}/cekfakta/\">Cek Fakta "
            "(contoh)</a></header><article><h1>" + escape(title) + "</h1>"
            + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
            + f"<p>Sumber asli: {escape(row['source_url'])}</p></article><footer>Teks: Indonesian Hoax News "
            "Detection Dataset (Pratiwi dkk. 2017), CC BY 4.0. Label [HOAKS] ditambahkan oleh generator "
            "contoh.</footer></body></html>", encoding="utf-8")
        items.append(
            f"<item><title>{escape(title)}</title><link>{TOKEN}{path}</link>"
            f"<guid isPermaLink=\"true\">{TOKEN}{path}</guid><pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{escape(chr(10).join(paragraphs))}</description></item>")
        when += timedelta(days=1)
    feed = SITE / "cekfakta" / "feed.xml"
    feed.write_text(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
        f"<title>Cek Fakta (contoh)</title><link>{TOKEN}/cekfakta/</link>"
        "<description>Contoh feed cek fakta untuk demo saring</description>"
        + "".join(items) + "</channel></rss>", encoding="utf-8")
    return {"id": "cekfakta", "name": "Cek Fakta (contoh)", "feed_path": "/cekfakta/feed.xml",
            "kind": "factcheck", "flavour": "rss2-factcheck", "region": "Nasional", "articles": len(items)}


def social_feed() -> dict:
    target = SITE / "social" / "mastodon" / "tags" / "pemilu.rss"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOCIAL / "mastodon_tag_pemilu.rss", target)
    return {"id": "mastodon-pemilu", "name": "Mastodon #pemilu (contoh)",
            "feed_path": "/social/mastodon/tags/pemilu.rss", "kind": "mastodon",
            "flavour": "mastodon-tag-rss", "region": "Media sosial", "articles": 2}


def tipline_chat(articles: list[dict]) -> None:
    """The hand-written Android chat sample, plus two members sharing links to demo articles."""
    chat = (SOCIAL / "WhatsApp Chat dengan Bakohumas Kota Batu.txt").read_text(encoding="utf-8").rstrip("\n")
    links = [a["path"] for a in articles if "facebook" in a["path"].lower()][:1]
    links += [a["path"] for a in articles if a["outlet"] == "malangpost"][:1]
    extra = [f"13/10/23, 08.{10 + n:02d} - Budi Santoso: Ada yang kirim ini ke grup, mohon dicek {TOKEN}{p}"
             for n, p in enumerate(links)]
    (ROOT / "sample" / "tipline").mkdir(exist_ok=True)
    (ROOT / "sample" / "tipline" / "demo-chat.txt").write_text(
        chat + "\n" + "\n".join(extra) + "\n", encoding="utf-8")


def main() -> None:
    manifest_path = SITE / "manifest.json"
    manifest = [o for o in json.loads(manifest_path.read_text(encoding="utf-8"))
                if o.get("kind") not in ("factcheck", "mastodon")]
    manifest += [factcheck_feed(), social_feed()]
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tipline_chat(json.loads((SITE / "articles.json").read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
