#!/usr/bin/env python3
"""Build the offline demo "news web" served by ``saring demo``.

Run from the repository root::

    .venv/bin/python sample/build_sample.py

The script deletes and rewrites ``sample/site/`` completely. It is deterministic
(no clock, no unseeded randomness, no network): the same inputs give byte-identical
output.

Inputs (real text only; nothing here invents article content):

* ``classifiers/data/pratiwi2017_hoax/pratiwi2017_hoax_train.csv`` -- Pratiwi, Asmara,
  Rahutomo, "Indonesian Hoax News Detection Dataset", Mendeley Data V1,
  DOI 10.17632/p3hfgr5j3m.1, CC BY 4.0.
* ``sample/seed_articles/*.txt`` -- two real local articles (Malangpost.id, Jatimpos.co);
  copyright stays with the outlets.

What the generator adds (documented in sample/README.md and marked in the pages with
``data-*`` attributes / in ``articles.json``):

* titles (the dataset has none): from the original URL slug, else from the first sentence;
  for the two seed articles a short headline written from the words of the lede;
* dates: from the original URL when it has one, else from the latest "(d/m/yyyy)" date
  mentioned in the text, else a seeded date in 2016-2017; times-of-day are seeded when the
  URL carries none;
* paragraph breaks for texts stored as one block (split at sentence ends);
* all page chrome (menus, sidebars, forms, footers), generic bylines ("Tim Redaksi").

All URLs in pages and feeds start with the literal token ``{{SITE}}``; the demo server
replaces it with ``http://127.0.0.1:PORT`` when serving.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import re
import shutil
from collections import Counter, defaultdict
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlparse

from jinja2 import DictLoader, Environment, select_autoescape

ROOT = Path(__file__).resolve().parent.parent
CSV_PATH = ROOT / "classifiers/data/pratiwi2017_hoax/pratiwi2017_hoax_train.csv"
SEED_DIR = ROOT / "sample/seed_articles"
OUT = ROOT / "sample/site"

SITE = "{{SITE}}"  # literal token, replaced by the demo server
WIB = dt.timezone(dt.timedelta(hours=7))  # Asia/Jakarta has no DST: fixed +07:00
MAX_PER_OUTLET = 10
SEED = "saring-sample-v1"

PRATIWI_CREDIT = "Teks: Indonesian Hoax News Detection Dataset (Pratiwi dkk. 2017), CC BY 4.0"

# Rows left out on purpose (reason recorded here, not guessed later).
SKIP_ROWS = {
    186: "text contains its own body twice (REPUBLIKA.CO.ID... repeated)",
}

# Topic id -> (section name, section slug) used for breadcrumbs/categories.
TOPIC_SECTION = {
    1: ("Kesehatan", "kesehatan"),   # makan ikan lele mengandung sel kanker
    2: ("Kesehatan", "kesehatan"),   # tusuk jari untuk pasien stroke
    3: ("Teknologi", "teknologi"),   # iPhone 6 melengkung
    4: ("Internasional", "internasional"),  # reog dibakar di Filipina
    6: ("Kesehatan", "kesehatan"),   # sikat gigi bulu babi
    7: ("Hukum", "hukum"),           # permen dot
    8: ("Teknologi", "teknologi"),   # Pokemon Go
    9: ("Hukum", "hukum"),           # Al-Qur'an di Mako Brimob
    11: ("Teknologi", "teknologi"),  # Facebook tutup
}

NAV = ["Beranda", "Politik", "Pemilu", "Hukum", "Ekonomi", "Kesehatan", "Teknologi",
       "Internasional", "Olahraga", "Hiburan", "Indeks"]

# --------------------------------------------------------------------------- outlets
# match: function(netloc) -> bool for Pratiwi rows. flavour: feed style. template: page style.
OUTLETS = [
    dict(id="detikcom", name="detikcom", tagline="Informasi Terkini dan Terbaru Hari Ini",
         match=lambda n: n.endswith("detik.com"), flavour="rss2-summary", feed="rss.xml",
         template="portal", css="detail", region="Nasional"),
    dict(id="tribunnews", name="Tribunnews.com", tagline="Berita Terkini Hari Ini",
         match=lambda n: n.endswith("tribunnews.com") and not n.startswith("suryamalang."),
         flavour="rss2-summary", feed="rss.xml", template="portal", css="tribun", region="Nasional"),
    dict(id="suryamalang", name="SuryaMalang.com", tagline="Berita Malang Raya dan Jawa Timur",
         match=lambda n: n == "suryamalang.tribunnews.com", flavour="rss2-summary", feed="rss.xml",
         template="portal", css="tribun", region="Jawa Timur"),
    dict(id="liputan6", name="Liputan6.com", tagline="Berita Hari Ini, Kabar Terbaru Terkini",
         match=lambda n: n.endswith("liputan6.com"), flavour="rss2-summary", feed="rss.xml",
         template="portal", css="read-page", region="Nasional"),
    dict(id="viva", name="VIVA.co.id", tagline="Berita Terkini Hari Ini",
         match=lambda n: n.endswith("viva.co.id"), flavour="rss2-htmldesc", feed="rss.xml",
         template="portal", css="main-content", region="Nasional"),
    dict(id="republika", name="Republika Online", tagline="Berita Terkini Hari Ini",
         match=lambda n: n.endswith("republika.co.id"), flavour="rss2-htmldesc", feed="rss.xml",
         template="joomla", css="wrap-detail", region="Nasional"),
    dict(id="suara", name="Suara.com", tagline="Berita Terbaru dan Terkini Hari Ini",
         match=lambda n: n.endswith("suara.com"), flavour="wordpress-rss2", feed="feed.xml",
         template="wordpress", css="suara", region="Nasional"),
    dict(id="tempo", name="Tempo.co", tagline="Berita Terkini Hari Ini",
         match=lambda n: n.endswith("tempo.co"), flavour="atom-summary", feed="atom.xml",
         template="joomla", css="detail-artikel", region="Nasional"),
    dict(id="kompas", name="Kompas.com", tagline="Berita Terkini dan Terbaru Hari Ini",
         match=lambda n: n.endswith("kompas.com"), flavour="atom-content", feed="atom.xml",
         template="portal", css="read__content", region="Nasional"),
    dict(id="antaranews", name="ANTARA News", tagline="Kantor Berita Indonesia",
         match=lambda n: n.endswith("antaranews.com"), flavour="wordpress-rss2", feed="feed.xml",
         template="wordpress", css="antara", region="Nasional"),
    # Local outlets built from the seed articles.
    dict(id="malangpost", name="Malangpost.id", tagline="Berita Malang Raya Terkini",
         match=None, flavour="wordpress-rss2", feed="feed.xml", template="wordpress",
         css="malangpost", region="Kota Batu"),
    dict(id="jatimpos", name="Jatimpos.co", tagline="Berita Jawa Timur Terkini",
         match=None, flavour="joomla-rss2", feed="feed.rss", template="joomla",
         css="jatimpos", region="Kota Madiun"),
]

SEED_ARTICLES = [
    dict(outlet="malangpost", file="malangpost_kpu_kota_batu_bakohumas.txt",
         # Headline written by this generator from the words of the lede (the text has no title).
         title="KPU Kota Batu Bentuk Bakohumas",
         slug="kpu-kota-batu-bentuk-bakohumas",
         date=dt.datetime(2021, 5, 20, 15, 12, tzinfo=WIB),  # lede: "Kamis siang (20/05)"; time assigned
         section=("Pemilu", "pemilu"),
         original_url="https://malangpost.id/",  # article URL not recorded in seed_articles/SOURCE.md,
         path_style="wordpress"),
    dict(outlet="jatimpos", file="jatimpos_kpu_kota_madiun_bakohumas.txt",
         title="KPU Kota Madiun Bentuk Bakohumas Jelang Pemilu Serentak 2024",
         slug="kpu-kota-madiun-bentuk-bakohumas-jelang-pemilu-serentak-2024",
         date=dt.datetime(2021, 10, 14, 16, 5, tzinfo=WIB),  # lede: "Kamis (14/10/2021)"; time assigned
         section=("Politik", "politik"),
         original_url="https://jatimpos.co/",  # article URL not recorded in seed_articles/SOURCE.md,
         path_style="joomla"),
]

# --------------------------------------------------------------------------- helpers

def seeded(*parts) -> random.Random:
    h = hashlib.sha256("|".join([SEED, *map(str, parts)]).encode()).hexdigest()
    return random.Random(int(h[:16], 16))


def norm_url(u: str) -> str:
    u = u.strip()
    if not re.match(r"^https?://", u):
        u = "http://" + u
    return u


# Fallback casing when the article text itself does not show the word.
ACRONYMS = {w.lower(): w for w in ["BNN", "BNNP", "BPOM", "BBPOM", "KPU", "MUI", "DPR", "RI", "KJRI", "PKL",
                                   "TNI", "Polri", "iPhone", "GO", "Kemlu", "Kemenlu", "Menlu"]}

SMALL_WORDS = {"di", "ke", "dari", "dan", "yang", "atau", "untuk", "pada", "dengan", "oleh",
               "dalam", "bagi", "agar", "sebagai"}


def casing_map(text: str) -> dict[str, str]:
    """lowercase word -> preferred casing as seen in the article text."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", text):
        seen[w.lower()][w] += 1
    out = {}
    for low, c in seen.items():
        form, _ = c.most_common(1)[0]
        # keep acronyms / mixed case (BNN, iPhone, KJRI); otherwise title-case later
        if form != low and form != form.capitalize():
            out[low] = form
        elif form[0].isupper() and c[low] == 0:
            out[low] = form  # always capitalised in text: proper noun
    return out


def title_from_slug(slug: str, text: str) -> str:
    slug = re.sub(r"\.html?$", "", slug)
    slug = slug.replace(".", "-").replace("--", "-,-")
    words = [w for w in slug.split("-") if w]
    # drop leading id tokens: "693876", "nx14dy385", "d", ...
    while words and (words[0].isdigit() or (re.fullmatch(r"[a-z0-9]{6,12}", words[0])
                                             and re.search(r"\d", words[0])
                                             and re.search(r"[a-z]", words[0]))):
        words.pop(0)
    cmap = casing_map(text)
    out = []
    for i, w in enumerate(words):
        if w == ",":
            if out:
                out[-1] += ","
            continue
        low = w.lower()
        if low in cmap:
            out.append(cmap[low])
        elif low in ACRONYMS:
            out.append(ACRONYMS[low])
        elif i > 0 and low in SMALL_WORDS:
            out.append(low)
        else:
            out.append(low[:1].upper() + low[1:])
    if out and out[0] == out[0].lower():
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def title_from_text(text: str, max_words: int = 12) -> str:
    first = split_sentences(text.strip())[0]
    first = re.sub(r"^[A-Z .,/]+ ?[-–—] ?", "", first)  # drop dateline "JAKARTA - "
    words = first.rstrip(".").split()
    t = " ".join(words[:max_words])
    return t + ("…" if len(words) > max_words else "")


SENT_RE = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    parts, start = [], 0
    for m in SENT_RE.finditer(text):
        # do not split after common abbreviations / initials
        before = text[max(0, m.start() - 6):m.start() + 1]
        if re.search(r"(\b[A-Z]\.|\b(?:dr|Dr|Prof|Ir|Jl|No|St|H|Hj|Kol|Brigjen|Irjen|Kombes|AKBP|AKP|Drs)\.)"
                     r"[\"”’']?$", before.rstrip()):
            continue
        parts.append(text[start:m.end()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def paragraphs_from_text(text: str) -> tuple[list[str], bool]:
    """Return (paragraphs, was_resplit). Does not change words, only where breaks go."""
    text = text.replace("\r", "").strip()
    if re.search(r"\n\s*\n", text):
        paras = [re.sub(r"\s*\n\s*", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    else:
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        ends = sum(bool(re.search(r"[.!?\"”:)]$", line)) for line in lines)
        if len(lines) > 3 and ends / len(lines) < 0.5:  # hard-wrapped text
            paras = [" ".join(lines)]
        else:
            paras = lines
    paras = [re.sub(r"\s{2,}", " ", p) for p in paras if p]
    resplit = False
    out = []
    for p in paras:
        if len(p) > 450:
            resplit = True
            sents, cur = split_sentences(p), []
            for s in sents:
                cur.append(s)
                if sum(len(x) for x in cur) > 260:
                    out.append(" ".join(cur))
                    cur = []
            if cur:
                out.append(" ".join(cur))
        else:
            out.append(p)
    return out, resplit


def blocks_from_seed(text: str) -> list[tuple[str, str]]:
    """Seed files: one paragraph per line; short unpunctuated lines are subheadings; '- ' lines are lists."""
    blocks = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("- "):
            if blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(line[2:])
            else:
                blocks.append(("ul", [line[2:]]))
        elif len(line) < 70 and not re.search(r"[.:,;!?\"”]$", line):
            blocks.append(("h2", line))
        else:
            blocks.append(("p", line))
    return blocks


def date_from_url(path: str, subpath_rng: random.Random):
    m = re.search(r"/(20\d\d|201\d)/(\d\d)/(\d\d)/(?:(\d{6})\d{0,2}/)?", path)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh = mm = ss = None
        if m.group(4):
            t = m.group(4)
            hh, mm, ss = int(t[:2]), int(t[2:4]), int(t[4:6])
            if not (hh < 24 and mm < 60 and ss < 60):
                hh = None
        return y, mo, d, hh, mm, ss
    m = re.search(r"/(1\d)/(\d\d)/(\d\d)/[a-z0-9]{9}-", path)  # republika /15/11/02/nx6n3l384-
    if m:
        return 2000 + int(m.group(1)), int(m.group(2)), int(m.group(3)), None, None, None
    return None


def date_from_text(text: str):
    best = None
    for d, mo, y in re.findall(r"\((?:[A-Za-z]+,?\s*)?(\d{1,2})/(\d{1,2})/(20\d\d)\)", text):
        try:
            cand = dt.date(int(y), int(mo), int(d))
        except ValueError:
            continue
        if best is None or cand > best:
            best = cand
    return best


def make_datetime(row_id, url_path, text, topic_id=None, alt_paths=()):
    rng = seeded("time", row_id)
    got = None
    for p in [url_path, *alt_paths]:
        got = date_from_url(p, rng)
        if got:
            break
    if got:
        y, mo, d, hh, mm, ss = got
        source = "url"
        if hh is None:
            hh, mm, ss = rng.randint(6, 21), rng.randint(0, 59), 0
            source = "url-date"
        return dt.datetime(y, mo, d, hh, mm, ss, tzinfo=WIB), source
    td = date_from_text(text)
    if td:
        return (dt.datetime(td.year, td.month, td.day, rng.randint(12, 22), rng.randint(0, 59), tzinfo=WIB),
                "text")
    anchor = TOPIC_ANCHOR.get(topic_id)
    if anchor is None:  # no dated article in the topic: any day in 2016-2017
        day = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randint(0, 730))
    else:  # a few days after the median dated article of the same claim
        day = anchor + dt.timedelta(days=rng.randint(0, 6))
    return (dt.datetime(day.year, day.month, day.day, rng.randint(6, 21), rng.randint(0, 59), tzinfo=WIB),
            "assigned")


TOPIC_ANCHOR: dict[int, dt.date] = {}


def compute_topic_anchors(rows) -> None:
    """Median URL date per claim/topic over all rows; used to assign dates consistent with the story."""
    per_topic = defaultdict(list)
    for r in rows:
        got = date_from_url(urlparse(norm_url(r["source_url"] or "x")).path, None)
        if got:
            try:
                per_topic[int(r["topic_id"])].append(dt.date(*got[:3]))
            except ValueError:
                pass
    for t, ds in per_topic.items():
        ds.sort()
        TOPIC_ANCHOR[t] = ds[len(ds) // 2]


ID_NAMES = {"BENAR", "LATIH"}  # upper-case artefacts of the dataset's own word replacement


def url_key(url: str):
    p = urlparse(norm_url(url))
    segs = [s for s in p.path.split("/") if s]
    slug = re.sub(r"\.html?$", "", segs[-1]).lower().replace(".", "-") if segs else ""
    ids = re.findall(r"\d{5,}", p.path)
    longest = max(ids, key=len) if ids else None
    return slug, longest


def clean_path(url: str) -> list[str]:
    p = urlparse(norm_url(url))
    segs = [s for s in p.path.split("/") if s]
    segs = [re.sub(r"\.html?$", "", s) for s in segs]
    segs = [re.sub(r"[^a-z0-9-]", "-", s.lower().replace(".", "-")).strip("-") for s in segs]
    return [re.sub(r"-{2,}", "-", s) for s in segs if s]


# --------------------------------------------------------------------------- selection

def load_rows():
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def select_for_outlet(outlet, rows):
    cands = []
    for r in rows:
        if int(r["row_id"]) in SKIP_ROWS or not r["source_url"].strip():
            continue
        netloc = urlparse(norm_url(r["source_url"])).netloc.lower()
        if outlet["match"](netloc):
            cands.append(r)

    def pref(r):
        artefact = any(tok in r["source_url"] for tok in ID_NAMES)
        return (artefact, -int(r["label"]), -len(r["berita"]), int(r["row_id"]))

    cands.sort(key=pref)
    seen_slug, seen_id, unique = set(), set(), []
    for r in cands:
        slug, longest = url_key(r["source_url"])
        if slug in seen_slug or (longest and longest in seen_id):
            for u in unique:  # remember the duplicate's URL: it may carry the date
                if url_key(u["source_url"])[0] == slug or (
                        longest and url_key(u["source_url"])[1] == longest):
                    u.setdefault("_alt_urls", []).append(r["source_url"])
                    break
            continue
        seen_slug.add(slug)
        if longest:
            seen_id.add(longest)
        unique.append(r)
    # round-robin over topics (each topic ordered: hoax-labelled first, then by row_id)
    by_topic = defaultdict(list)
    for r in sorted(unique, key=lambda r: (-int(r["label"]), int(r["row_id"]))):
        by_topic[int(r["topic_id"])].append(r)
    picked = []
    while len(picked) < MAX_PER_OUTLET and any(by_topic.values()):
        for t in sorted(by_topic):
            if by_topic[t] and len(picked) < MAX_PER_OUTLET:
                picked.append(by_topic[t].pop(0))
    return picked


def build_articles(rows):
    articles = []
    for o in OUTLETS:
        if o["match"] is None:
            continue
        for r in select_for_outlet(o, rows):
            row_id = int(r["row_id"])
            url = norm_url(r["source_url"])
            text = r["berita"]
            slug, _ = url_key(url)
            title = title_from_slug(slug, text) if len(slug.split("-")) >= 3 else ""
            title_source = "url-slug"
            if not title or len(title.split()) < 3:
                title, title_source = title_from_text(text), "first-sentence"
            paras, resplit = paragraphs_from_text(text)
            published, date_source = make_datetime(
                row_id, urlparse(url).path, text, int(r["topic_id"]),
                [urlparse(norm_url(u)).path for u in r.get("_alt_urls", [])])
            segs = clean_path(url)
            if len(segs) == 0:
                segs = [f"r{row_id}"]
            path = f"/{o['id']}/" + "/".join(segs) + "/"
            articles.append(dict(
                outlet=o["id"], title=title, title_source=title_source,
                blocks=[("p", p) for p in paras], paragraphs_resplit=resplit,
                published=published, date_source=date_source, path=path,
                original_url=r["source_url"].strip(), credit=PRATIWI_CREDIT,
                section=TOPIC_SECTION[int(r["topic_id"])], row_id=row_id,
                label=int(r["label"]), topic_id=int(r["topic_id"]), topic_keyword=r["topic_keyword"],
                source="pratiwi2017_hoax",
            ))
    for s in SEED_ARTICLES:
        text = (SEED_DIR / s["file"]).read_text(encoding="utf-8")
        d = s["date"]
        if s["path_style"] == "wordpress":
            path = f"/{s['outlet']}/{d:%Y/%m/%d}/{s['slug']}/"
        else:  # Joomla: /section/<id>-<alias>; the numeric id is generated
            jid = 5000 + seeded("joomla", s["slug"]).randint(0, 4999)
            path = f"/{s['outlet']}/{s['section'][1]}/{jid}-{s['slug']}/"
        outlet_name = next(o["name"] for o in OUTLETS if o["id"] == s["outlet"])
        articles.append(dict(
            outlet=s["outlet"], title=s["title"], title_source="written-from-lede",
            blocks=blocks_from_seed(text), paragraphs_resplit=False,
            published=d, date_source="lede-date", path=path,
            original_url=s["original_url"],
            credit=f"Teks: {outlet_name} (hak cipta pada penerbit), dimuat ulang untuk demo saring",
            section=s["section"], row_id=None, label=None, topic_id=None,
            topic_keyword="Bakohumas KPU", source=f"seed_articles/{s['file']}",
        ))
    paths = Counter(a["path"] for a in articles)
    assert not [p for p, c in paths.items() if c > 1], "duplicate article paths"
    return articles


# --------------------------------------------------------------------------- templates

BASE_HEAD = """<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ a.title }} | {{ o.name }}</title>
<meta name="description" content="{{ a.summary }}">
<meta name="author" content="{{ a.author }}">
<meta property="og:type" content="article">
<meta property="og:title" content="{{ a.title }}">
<meta property="og:site_name" content="{{ o.name }}">
<meta property="og:url" content="{{ site }}{{ a.path }}">
<meta property="og:description" content="{{ a.summary }}">
<meta property="og:locale" content="id_ID">
<meta property="article:published_time" content="{{ a.iso }}">
<meta property="article:section" content="{{ a.section[0] }}">
<link rel="canonical" href="{{ site }}{{ a.path }}">
<link rel="alternate" type="{{ o.feed_mime }}" title="{{ o.name }} feed" href="{{ site }}{{ o.feed_path }}">
<link rel="stylesheet" href="{{ site }}/static/demo.css">
<script>/* analytics placeholder: inert in the offline demo */ window.dataLayer = window.dataLayer || [];</script>
{%- if o.template == 'portal' %}
<script type="application/ld+json">{{ a.jsonld|safe }}</script>
{%- endif %}
</head>
"""

NAV_BLOCK = """<nav class="{{ o.css }}-nav main-menu" aria-label="Menu utama">
  <ul>
  {%- for item in nav %}
    <li><a href="{{ site }}/{{ o.id }}/{% if not loop.first %}#{{ item|lower }}{% endif %}">{{ item }}</a></li>
  {%- endfor %}
  </ul>
</nav>"""

SIDEBAR = """<aside class="sidebar {{ o.css }}-sidebar">
  <section class="widget terpopuler">
    <h3 class="widget-title">Terpopuler</h3>
    {%- if popular %}
    <ol>
    {%- for p in popular %}
      <li><a href="{{ site }}{{ p.path }}">{{ p.title }}</a></li>
    {%- endfor %}
    </ol>
    {%- else %}
    <p><a href="{{ site }}/{{ o.id }}/">Lihat indeks berita {{ o.name }}</a></p>
    {%- endif %}
  </section>
  <section class="widget newsletter">
    <h3 class="widget-title">Berlangganan Newsletter</h3>
    <form action="{{ site }}/{{ o.id }}/newsletter/" method="post">
      <label>Email <input type="email" name="email" placeholder="nama@contoh.id"></label>
      <button type="submit">Daftar</button>
    </form>
  </section>
  <div class="ad-slot" aria-hidden="true">Iklan</div>
</aside>"""

SHARE = """<div class="share-buttons" aria-label="Bagikan artikel">
  <span>Bagikan:</span>
  <button type="button" class="share-facebook">Facebook</button>
  <button type="button" class="share-twitter">Twitter</button>
  <button type="button" class="share-whatsapp">WhatsApp</button>
  <button type="button" class="share-telegram">Telegram</button>
  <button type="button" class="share-copy">Salin tautan</button>
</div>"""

BODY_BLOCKS = """{%- for kind, val in a.blocks %}
{%- if kind == 'p' %}
<p>{{ val }}</p>
{%- elif kind == 'h2' %}
<h2>{{ val }}</h2>
{%- elif kind == 'ul' %}
<ul>{% for li in val %}<li>{{ li }}</li>{% endfor %}</ul>
{%- endif %}
{%- if loop.index == related_after and related %}
{{ related_box|safe }}
{%- endif %}
{%- endfor %}"""

CREDIT = """<footer class="article-source" data-original-url="{{ a.original_url }}">
  <p class="source-credit">Sumber asli: <span class="original-url">{{ a.original_url }}</span></p>
  <p class="text-credit">{{ a.credit }}</p>
</footer>"""

COMMENTS = """<section id="comments" class="comments-area">
  <h3 class="comments-title">Komentar</h3>
  <div id="respond" class="comment-respond">
    <h4 class="comment-reply-title">Tulis komentar</h4>
    <form action="{{ site }}/{{ o.id }}/komentar/" method="post" id="commentform" class="comment-form">
      <p class="comment-notes">Alamat email Anda tidak akan dipublikasikan. Ruas yang wajib ditandai *</p>
      <p><label for="comment">Komentar *</label><textarea id="comment" name="comment" rows="5" required></textarea></p>
      <p><label for="author">Nama *</label><input id="author" name="author" type="text" required></p>
      <p><label for="email">Email *</label><input id="email" name="email" type="email" required></p>
      <p class="form-submit"><button type="submit">Kirim Komentar</button></p>
    </form>
  </div>
  {%- if o.template != 'joomla' %}
  <div class="comment-report">
    <h4>Laporkan komentar</h4>
    <form action="{{ site }}/{{ o.id }}/lapor/" method="post">
      <label>Alasan <select name="alasan"><option>Spam</option><option>SARA</option><option>Hoaks</option></select></label>
      <button type="submit">Kirim laporan</button>
    </form>
  </div>
  {%- endif %}
</section>"""

SITE_FOOTER = """<footer class="site-footer {{ o.css }}-footer">
  <nav class="footer-links" aria-label="Tautan redaksi">
    <a href="{{ site }}/{{ o.id }}/#redaksi">Redaksi</a> |
    <a href="{{ site }}/{{ o.id }}/#pedoman-media-siber">Pedoman Media Siber</a> |
    <a href="{{ site }}/{{ o.id }}/#tentang-kami">Tentang Kami</a> |
    <a href="{{ site }}/{{ o.id }}/#kontak">Kontak</a> |
    <a href="{{ site }}/{{ o.id }}/#karir">Karir</a> |
    <a href="{{ site }}/{{ o.id }}/#privasi">Kebijakan Privasi</a>
  </nav>
  <p class="copyright">Copyright &copy; {{ year }} {{ o.name }}. All rights reserved.</p>
  <p class="demo-note">Halaman demo offline saring &mdash; salinan untuk pengujian, bukan situs resmi {{ o.name }}.</p>
</footer>"""

RELATED = """<div class="baca-juga related-box">
  <strong>Baca juga:</strong>
  <ul>
  {%- for r in related %}
    <li><a href="{{ site }}{{ r.path }}">{{ r.title }}</a></li>
  {%- endfor %}
  </ul>
</div>"""

PORTAL = BASE_HEAD + """<body class="{{ o.css }}-page">
<header class="site-header">
  <div class="logo"><a href="{{ site }}/{{ o.id }}/">{{ o.name }}</a></div>
  <p class="tagline">{{ o.tagline }}</p>
  <form class="search" action="{{ site }}/{{ o.id }}/" method="get"><input type="search" name="q" placeholder="Cari berita"><button type="submit">Cari</button></form>
  """ + NAV_BLOCK + """
</header>
<div class="container">
<ol class="breadcrumb">
  <li><a href="{{ site }}/{{ o.id }}/">Beranda</a></li>
  <li><a href="{{ site }}/{{ o.id }}/#{{ a.section[1] }}">{{ a.section[0] }}</a></li>
</ol>
<main class="{{ o.css }}-main">
<article class="{{ o.css }} detail" data-original-url="{{ a.original_url }}" data-title-source="{{ a.title_source }}" data-date-source="{{ a.date_source }}">
  <div class="{{ o.css }}__header">
    <h1 class="{{ o.css }}__title">{{ a.title }}</h1>
    <div class="{{ o.css }}__author">{{ a.author }} - {{ o.name }}</div>
    <div class="{{ o.css }}__date"><time datetime="{{ a.iso }}">{{ a.human_date }}</time></div>
  </div>
  """ + SHARE + """
  <div class="{{ o.css }}__body-text itp_bodycontent">
""" + BODY_BLOCKS + """
  </div>
  <div class="{{ o.css }}__tags">Tag: <a href="{{ site }}/{{ o.id }}/#{{ a.section[1] }}">{{ a.section[0] }}</a></div>
  """ + CREDIT + """
</article>
""" + COMMENTS + """
</main>
""" + SIDEBAR + """
</div>
""" + SITE_FOOTER + """
</body>
</html>
"""

WORDPRESS = BASE_HEAD + """<body class="post-template-default single single-post single-format-standard">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="{{ site }}{{ a.path }}#content">Langsung ke konten</a>
<header id="masthead" class="site-header">
  <div class="site-branding">
    <p class="site-title"><a href="{{ site }}/{{ o.id }}/" rel="home">{{ o.name }}</a></p>
    <p class="site-description">{{ o.tagline }}</p>
  </div>
  """ + NAV_BLOCK.replace('class="{{ o.css }}-nav main-menu"',
                         'id="site-navigation" class="main-navigation"') + """
</header>
<div id="content" class="site-content">
<div class="breadcrumbs"><a href="{{ site }}/{{ o.id }}/">Beranda</a> &raquo; <a href="{{ site }}/{{ o.id }}/#{{ a.section[1] }}">{{ a.section[0] }}</a> &raquo; <span>{{ a.title }}</span></div>
<div id="primary" class="content-area">
<main id="main" class="site-main">
<article id="post-{{ a.wp_id }}" class="post-{{ a.wp_id }} post type-post status-publish format-standard hentry category-{{ a.section[1] }}" data-original-url="{{ a.original_url }}" data-title-source="{{ a.title_source }}" data-date-source="{{ a.date_source }}">
  <header class="entry-header">
    <span class="cat-links"><a href="{{ site }}/{{ o.id }}/#{{ a.section[1] }}" rel="category tag">{{ a.section[0] }}</a></span>
    <h1 class="entry-title">{{ a.title }}</h1>
    <div class="entry-meta">
      <span class="byline">Oleh <span class="author vcard"><a class="url fn n" href="{{ site }}/{{ o.id }}/#redaksi">{{ a.author }}</a></span></span>
      <span class="posted-on"><time class="entry-date published" datetime="{{ a.iso }}">{{ a.human_date }}</time></span>
    </div>
  </header>
  <div class="entry-content">
""" + BODY_BLOCKS + """
  </div>
  """ + SHARE + """
  """ + CREDIT.replace('class="article-source"', 'class="entry-footer article-source"') + """
</article>
<nav class="navigation post-navigation" aria-label="Pos">
  {%- if prev %}<div class="nav-previous"><a href="{{ site }}{{ prev.path }}" rel="prev">&larr; {{ prev.title }}</a></div>{% endif %}
  {%- if next %}<div class="nav-next"><a href="{{ site }}{{ next.path }}" rel="next">{{ next.title }} &rarr;</a></div>{% endif %}
</nav>
""" + COMMENTS + """
</main>
</div>
""" + SIDEBAR.replace('<aside class="sidebar', '<aside id="secondary" class="widget-area sidebar') + """
</div>
""" + SITE_FOOTER.replace('class="site-footer', 'id="colophon" class="site-footer') + """
</div>
</body>
</html>
"""

JOOMLA = BASE_HEAD + """<body class="site com_content view-article itemid-{{ a.wp_id }}">
<div class="body">
<header class="header" role="banner">
  <div class="header-inner clearfix">
    <a class="brand pull-left" href="{{ site }}/{{ o.id }}/"><span class="site-title">{{ o.name }}</span></a>
    <div class="site-description">{{ o.tagline }}</div>
  </div>
</header>
""" + NAV_BLOCK.replace('class="{{ o.css }}-nav main-menu"', 'class="navigation moduletable_menu"') + """
<div class="moduletable breadcrumbs-module">
<ul itemscope itemtype="https://schema.org/BreadcrumbList" class="breadcrumb">
  <li>Anda di sini: &#160;</li>
  <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem"><a itemprop="item" href="{{ site }}/{{ o.id }}/" class="pathway"><span itemprop="name">Beranda</span></a><meta itemprop="position" content="1"></li>
  <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem"><a itemprop="item" href="{{ site }}/{{ o.id }}/#{{ a.section[1] }}" class="pathway"><span itemprop="name">{{ a.section[0] }}</span></a><meta itemprop="position" content="2"></li>
</ul>
</div>
<div class="row-fluid">
<main id="content" role="main" class="span9">
<div class="item-page {{ o.css }}" itemscope itemtype="https://schema.org/Article">
<meta itemprop="inLanguage" content="id-ID">
<article data-original-url="{{ a.original_url }}" data-title-source="{{ a.title_source }}" data-date-source="{{ a.date_source }}">
  <div class="page-header">
    <h1 itemprop="headline">{{ a.title }}</h1>
  </div>
  <dl class="article-info muted">
    <dt class="article-info-term">Rincian</dt>
    <dd class="createdby" itemprop="author" itemscope itemtype="https://schema.org/Person">Ditulis oleh <span itemprop="name">{{ a.author }}</span></dd>
    <dd class="category-name">Kategori: <a href="{{ site }}/{{ o.id }}/#{{ a.section[1] }}" itemprop="genre">{{ a.section[0] }}</a></dd>
    <dd class="published"><time datetime="{{ a.iso }}" itemprop="datePublished">Diterbitkan: {{ a.human_date }}</time></dd>
  </dl>
  """ + SHARE + """
  <div itemprop="articleBody" class="article-body">
""" + BODY_BLOCKS + """
  </div>
  """ + CREDIT + """
</article>
<ul class="pager pagenav">
  {%- if prev %}<li class="previous"><a href="{{ site }}{{ prev.path }}" rel="prev">&lt; Sebelumnya</a></li>{% endif %}
  {%- if next %}<li class="next"><a href="{{ site }}{{ next.path }}" rel="next">Selanjutnya &gt;</a></li>{% endif %}
</ul>
</div>
""" + COMMENTS + """
</main>
<div id="aside" class="span3">
""" + SIDEBAR + """
</div>
</div>
""" + SITE_FOOTER + """
</div>
</body>
</html>
"""

HOMEPAGE = """<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<title>{{ o.name }} - {{ o.tagline }}</title>
<meta property="og:site_name" content="{{ o.name }}">
<link rel="alternate" type="{{ o.feed_mime }}" title="{{ o.name }} feed" href="{{ site }}{{ o.feed_path }}">
</head>
<body class="home">
<header class="site-header">
  <div class="logo"><a href="{{ site }}/{{ o.id }}/">{{ o.name }}</a></div>
  <p class="tagline">{{ o.tagline }}</p>
  """ + NAV_BLOCK + """
</header>
<main>
<h1>Berita Terbaru {{ o.name }}</h1>
<ul class="article-list">
{%- for a in articles %}
  <li class="article-item"><h2><a href="{{ site }}{{ a.path }}">{{ a.title }}</a></h2>
    <time datetime="{{ a.iso }}">{{ a.human_date }}</time> &middot; {{ a.section[0] }}
    <p>{{ a.summary }}</p></li>
{%- endfor %}
</ul>
<p><a href="{{ site }}{{ o.feed_path }}">Feed {{ o.flavour_label }}</a></p>
</main>
""" + SITE_FOOTER + """
</body>
</html>
"""

ROOT_INDEX = """<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<title>saring demo: jaringan berita offline</title>
</head>
<body>
<h1>saring demo: jaringan berita offline</h1>
<p>Situs-situs berikut adalah salinan demo statis untuk pengujian <code>saring</code>, bukan situs resmi
outlet yang bersangkutan. Teks artikel berasal dari Indonesian Hoax News Detection Dataset
(Pratiwi dkk. 2017, CC BY 4.0, DOI 10.17632/p3hfgr5j3m.1) serta dua artikel lokal dari Malangpost.id dan
Jatimpos.co (hak cipta pada penerbit). Lihat <code>sample/README.md</code>.</p>
<table>
<thead><tr><th>Outlet</th><th>Wilayah</th><th>Feed</th><th>Format</th><th>Artikel</th></tr></thead>
<tbody>
{%- for m in manifest %}
<tr><td><a href="{{ site }}{{ m.homepage_path }}">{{ m.name }}</a></td><td>{{ m.region }}</td>
<td><a href="{{ site }}{{ m.feed_path }}">{{ m.feed_path }}</a></td><td>{{ m.flavour }}</td><td>{{ m.articles }}</td></tr>
{%- endfor %}
</tbody>
</table>
</body>
</html>
"""

# ---- feeds
RSS_WORDPRESS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
	>

<channel>
	<title>{{ o.name }}</title>
	<atom:link href="{{ site }}{{ o.feed_path }}" rel="self" type="application/rss+xml" />
	<link>{{ site }}/{{ o.id }}/</link>
	<description>{{ o.tagline }}</description>
	<lastBuildDate>{{ last_build }}</lastBuildDate>
	<language>id</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<sy:updateFrequency>1</sy:updateFrequency>
	<generator>https://wordpress.org/?v=5.7.2</generator>
{%- for a in articles %}
	<item>
		<title>{{ a.title }}</title>
		<link>{{ site }}{{ a.path }}</link>
		<comments>{{ site }}{{ a.path }}#respond</comments>
		<dc:creator><![CDATA[{{ a.author }}]]></dc:creator>
		<pubDate>{{ a.rfc822 }}</pubDate>
		<category><![CDATA[{{ a.section[0] }}]]></category>
		<guid isPermaLink="false">{{ site }}/{{ o.id }}/?p={{ a.wp_id }}</guid>
		<description><![CDATA[{{ a.summary }} [&#8230;]]]></description>
		<content:encoded><![CDATA[{{ a.content_html|safe }}]]></content:encoded>
		<wfw:commentRss>{{ site }}{{ a.path }}feed/</wfw:commentRss>
		<slash:comments>0</slash:comments>
	</item>
{%- endfor %}
	</channel>
</rss>
"""

RSS_JOOMLA = """<?xml version="1.0" encoding="utf-8"?>
<!-- generator="Joomla! - Open Source Content Management" -->
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
	<channel>
		<title>{{ o.name }}</title>
		<description><![CDATA[{{ o.tagline }}]]></description>
		<link>{{ site }}/{{ o.id }}/</link>
		<lastBuildDate>{{ last_build }}</lastBuildDate>
		<generator>Joomla! - Open Source Content Management</generator>
		<!-- real Joomla form of this feed: /index.php?format=feed&amp;type=rss (a static server cannot route query strings) -->
		<atom:link rel="self" type="application/rss+xml" href="{{ site }}{{ o.feed_path }}"/>
		<language>id-id</language>
{%- for a in articles %}
		<item>
			<title>{{ a.title }}</title>
			<link>{{ site }}{{ a.path }}</link>
			<guid isPermaLink="true">{{ site }}{{ a.path }}</guid>
			<description><![CDATA[{{ a.intro_html|safe }}]]></description>
			<category>{{ a.section[0] }}</category>
			<pubDate>{{ a.rfc822 }}</pubDate>
		</item>
{%- endfor %}
	</channel>
</rss>
"""

RSS_PLAIN = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{{ o.name }} - {{ o.tagline }}</title>
<link>{{ site }}/{{ o.id }}/</link>
<description>{{ o.tagline }}</description>
<language>id</language>
<copyright>Copyright {{ year }} {{ o.name }}</copyright>
<lastBuildDate>{{ last_build }}</lastBuildDate>
<ttl>5</ttl>
<atom:link href="{{ site }}{{ o.feed_path }}" rel="self" type="application/rss+xml"/>
{%- for a in articles %}
<item>
<title>{{ a.title }}</title>
<link>{{ site }}{{ a.path }}</link>
<guid>{{ site }}{{ a.path }}</guid>
<pubDate>{{ a.rfc822 }}</pubDate>
{%- if o.flavour == 'rss2-htmldesc' %}
<category>{{ a.section[0] }}</category>
<description>{{ a.content_html }}</description>
{%- else %}
<description>{{ a.summary }}</description>
{%- endif %}
</item>
{%- endfor %}
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="id">
  <title>{{ o.name }}</title>
  <subtitle>{{ o.tagline }}</subtitle>
  <id>{{ site }}/{{ o.id }}/</id>
  <link rel="alternate" type="text/html" href="{{ site }}/{{ o.id }}/"/>
  <link rel="self" type="application/atom+xml" href="{{ site }}{{ o.feed_path }}"/>
  <updated>{{ last_iso }}</updated>
  <rights>Copyright {{ year }} {{ o.name }}</rights>
  <generator>saring sample generator</generator>
{%- for a in articles %}
  <entry>
    <title type="text">{{ a.title }}</title>
    <link rel="alternate" type="text/html" href="{{ site }}{{ a.path }}"/>
    <id>{{ site }}{{ a.path }}</id>
    <published>{{ a.iso }}</published>
    <updated>{{ a.iso }}</updated>
    <author><name>{{ a.author }}</name></author>
    <category term="{{ a.section[1] }}" label="{{ a.section[0] }}"/>
    <summary type="text">{{ a.summary }}</summary>
{%- if o.flavour == 'atom-content' %}
    <content type="html">{{ a.content_html }}</content>
{%- endif %}
  </entry>
{%- endfor %}
</feed>
"""

FEED_TEMPLATES = {
    "wordpress-rss2": ("rss_wordpress", "application/rss+xml", "RSS"),
    "joomla-rss2": ("rss_joomla", "application/rss+xml", "RSS"),
    "rss2-summary": ("rss_plain", "application/rss+xml", "RSS"),
    "rss2-htmldesc": ("rss_plain", "application/rss+xml", "RSS"),
    "atom-summary": ("atom", "application/atom+xml", "Atom"),
    "atom-content": ("atom", "application/atom+xml", "Atom"),
}

DEMO_CSS = """/* minimal shared stylesheet for the saring offline demo sites */
body { font-family: Georgia, serif; max-width: 72rem; margin: 0 auto; padding: 0 1rem; color: #222; }
header nav ul, .footer-links { list-style: none; padding: 0; }
header nav li { display: inline; margin-right: .8rem; }
.container, .row-fluid, .site-content { display: flex; gap: 2rem; flex-wrap: wrap; }
main { flex: 3 1 36rem; }
aside { flex: 1 1 14rem; font-size: .9rem; }
.breadcrumb li { display: inline; margin-right: .4rem; }
.baca-juga { border-left: 4px solid #c00; padding: .3rem .8rem; background: #f6f6f6; }
.article-source { font-size: .85rem; color: #555; border-top: 1px solid #ddd; }
.site-footer { border-top: 2px solid #333; margin-top: 2rem; font-size: .85rem; }
.share-buttons button { margin-right: .3rem; }
"""

BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember"]
HARI = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def human_date(d: dt.datetime) -> str:
    return f"{HARI[d.weekday()]}, {d.day:02d} {BULAN[d.month - 1]} {d.year} {d:%H:%M} WIB"


def summary_of(a, max_words=30) -> str:
    first = next(v for k, v in a["blocks"] if k == "p")
    words = first.split()
    return " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")


def content_html(a) -> str:
    from markupsafe import escape
    parts = []
    for kind, val in a["blocks"]:
        if kind == "p":
            parts.append(f"<p>{escape(val)}</p>")
        elif kind == "h2":
            parts.append(f"<h2>{escape(val)}</h2>")
        else:
            parts.append("<ul>" + "".join(f"<li>{escape(li)}</li>" for li in val) + "</ul>")
    html = "\n".join(parts)
    assert "]]>" not in html
    return html


def main() -> None:
    env = Environment(loader=DictLoader({
        "portal": PORTAL, "wordpress": WORDPRESS, "joomla": JOOMLA, "homepage": HOMEPAGE,
        "root": ROOT_INDEX, "rss_wordpress": RSS_WORDPRESS, "rss_joomla": RSS_JOOMLA,
        "rss_plain": RSS_PLAIN, "atom": ATOM, "related": RELATED,
    }), autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True)

    rows = load_rows()
    compute_topic_anchors(rows)
    articles = build_articles(rows)

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)

    by_outlet = defaultdict(list)
    for a in articles:
        by_outlet[a["outlet"]].append(a)

    manifest, index = [], []
    for o in OUTLETS:
        arts = sorted(by_outlet[o["id"]], key=lambda a: (a["published"], a["path"]), reverse=True)
        if not arts:
            continue
        tmpl_name, mime, flabel = FEED_TEMPLATES[o["flavour"]]
        o = dict(o, feed_path=f"/{o['id']}/{o['feed']}", feed_mime=mime, flavour_label=flabel)
        o.pop("match")
        rng = seeded("wpid", o["id"])
        base_id = rng.randint(1000, 90000)
        for i, a in enumerate(reversed(arts)):  # oldest gets the smallest post id
            a["wp_id"] = base_id + i * rng.randint(3, 40)
        for a in arts:
            a["iso"] = a["published"].isoformat()
            a["rfc822"] = format_datetime(a["published"])
            a["human_date"] = human_date(a["published"])
            a["author"] = f"Tim Redaksi {o['name']}"
            a["summary"] = summary_of(a)
            a["content_html"] = content_html(a)
            first_blocks = [b for b in a["blocks"] if b[0] == "p"][:2]
            a["intro_html"] = content_html(dict(blocks=first_blocks))
            a["jsonld"] = json.dumps({
                "@context": "https://schema.org", "@type": "NewsArticle",
                "headline": a["title"], "datePublished": a["iso"], "dateModified": a["iso"],
                "author": {"@type": "Organization", "name": a["author"]},
                "publisher": {"@type": "Organization", "name": o["name"]},
                "mainEntityOfPage": SITE + a["path"], "inLanguage": "id-ID",
                "articleSection": a["section"][0],
            }, ensure_ascii=False).replace("</", "<\\/")
        year = max(a["published"].year for a in arts)
        # pages
        for i, a in enumerate(arts):
            others = [x for x in arts if x is not a]
            related = others[(i % max(1, len(others))):][:2] or others[:2]
            popular = others[:5]
            ctx = dict(site=SITE, o=o, a=a, nav=NAV, year=year, popular=popular,
                       prev=arts[i + 1] if i + 1 < len(arts) else None,
                       next=arts[i - 1] if i > 0 else None)
            related_box = env.get_template("related").render(site=SITE, related=related)
            n_blocks = len(a["blocks"])
            html = env.get_template(o["template"]).render(
                **ctx, related=related, related_box=related_box,
                related_after=2 if n_blocks > 3 else n_blocks)
            dest = OUT / a["path"].strip("/") / "index.html"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(html, encoding="utf-8")
        # homepage + feed
        (OUT / o["id"]).mkdir(exist_ok=True)
        (OUT / o["id"] / "index.html").write_text(
            env.get_template("homepage").render(site=SITE, o=o, articles=arts, nav=NAV, year=year),
            encoding="utf-8")
        feed = env.get_template(tmpl_name).render(
            site=SITE, o=o, articles=arts, year=year,
            last_build=arts[0]["rfc822"], last_iso=arts[0]["iso"])
        (OUT / o["feed_path"].lstrip("/")).write_text(feed, encoding="utf-8")

        dates = Counter(a["date_source"] for a in arts)
        manifest.append({
            "id": o["id"], "name": o["name"], "feed_path": o["feed_path"], "flavour": o["flavour"],
            "region": o["region"], "homepage_path": f"/{o['id']}/", "articles": len(arts),
            "date_sources": dict(sorted(dates.items())),
            "real_feed_form": ("/jatimpos/index.php?format=feed&type=rss" if o["id"] == "jatimpos"
                               else "/malangpost/feed/" if o["id"] == "malangpost" else None),
        })
        for a in arts:
            index.append({
                "outlet": o["id"], "path": a["path"], "title": a["title"],
                "title_source": a["title_source"], "published": a["iso"],
                "date_source": a["date_source"], "original_url": a["original_url"],
                "source": a["source"], "pratiwi_row_id": a["row_id"], "label": a["label"],
                "topic_id": a["topic_id"], "topic_keyword": a["topic_keyword"],
                "paragraphs_resplit": a["paragraphs_resplit"],
            })

    (OUT / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    (OUT / "articles.json").write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    (OUT / "static").mkdir()
    (OUT / "static" / "demo.css").write_text(DEMO_CSS, encoding="utf-8")
    (OUT / "index.html").write_text(env.get_template("root").render(site=SITE, manifest=manifest),
                                    encoding="utf-8")
    total = sum(m["articles"] for m in manifest)
    print(f"wrote {total} articles for {len(manifest)} outlets to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
    # The fact-check feed, social feed and chat export of the demo (see build_extras.py).
    import build_extras

    build_extras.main()
