"""What the forum forwards: tipline messages and their links go through the normal pipeline.

Each kept chat message becomes an item of the ``tipline`` source (its text, already
pseudonymised, is the article), each link in it becomes an item whose page is fetched and
extracted like any other; then everything is scored, matched to fact-checks and shown in
the digest as "beredar di grup".

Everything stored for the tipline source goes through the scrubber (:mod:`saring.collect.scrub`) once
more: the message text, the links (a contact link is never stored or fetched), and the fetched
pages' text, title, author, final address and error.
"""

from __future__ import annotations

import logging
from datetime import datetime

from saring.collect.feeds import FeedItem
from saring.collect.fetch import Fetcher
from saring.collect.scrub import GENERIC, Scrubber
from saring.collect.tipline import MESSAGE_ADDRESS
from saring.collect.urls import canonical_url, url_key
from saring.config import DigestSettings, FetchSettings, Source, StorySettings
from saring.errors import MalformedURLError
from saring.pipeline.ingest import build_articles, score_pending
from saring.pipeline.link import link_items
from saring.storage.database import Store, utcnow

LOGGER = logging.getLogger(__name__)

# Not a feed to read (enabled=False keeps it out of ingest runs and the health section).
TIPLINE = Source(id="tipline", name="Grup WhatsApp (tipline)", url=MESSAGE_ADDRESS,
                 region="Grup", enabled=False, options={"allow_private": False})


def message_url(message_id: str) -> str:
    """A stable, never-fetched address for a chat message (items are keyed by URL)."""
    return f"{MESSAGE_ADDRESS}{message_id}"


def feed_tipline(store: Store, since: datetime, fetch: FetchSettings | None = None, scorer=None,
                 allow_private: bool = False, scrubber: Scrubber | None = None,
                 stories_window: float = StorySettings().window_days,
                 risk: DigestSettings | None = None) -> int:
    """Turn the messages imported since ``since`` into items; fetch their links; score. Returns new items.

    ``risk``: the digest's bands (``settings.digest``), which place a fact-check match's risk
    floor, as an ingest run's do (the defaults without it).

    Links from a chat are untrusted: private addresses are refused unless ``allow_private``
    (the offline demo, whose sites live on 127.0.0.1). ``scrubber`` is the import's (it knows
    the member names); without it numbers, e-mail addresses and contact links are still removed.
    """
    scrubber = scrubber or GENERIC
    # Also every message that never became an item (an earlier import stopped half-way):
    # importing the file again must not leave it out.
    messages = store.con.execute(
        """SELECT message_id, text, urls, sent_at FROM tipline_messages m
           WHERE text IS NOT NULL AND (imported_at >= ? OR NOT EXISTS (
               SELECT 1 FROM items i WHERE i.source_id = ? AND i.guid = m.message_id))
           ORDER BY sent_at, message_id""", [since, TIPLINE.id]).fetchall()
    store.sync_sources([TIPLINE])
    now = utcnow()
    message_rows, links, bad_links = [], {}, {}
    for message_id, text, urls, sent_at in messages:
        text = scrubber.text(text) or ""
        message_rows.append(dict(
            item_id=url_key(message_url(message_id)), url=message_url(message_id), link=None,
            source_id=TIPLINE.id, title=_title(text), summary=text, published_at=sent_at, author=None,
            guid=message_id, first_seen_at=now, state="seen", kind="tipline", channel="grup"))
        for url in urls or []:
            url = scrubber.link(url)
            if url is None:  # a contact link, or one that only pointed at personal data
                continue
            try:
                canon = canonical_url(url)
            except MalformedURLError as exc:  # costs this link only; noted on the message's item
                bad_links.setdefault(message_rows[-1]["item_id"], []).append(str(exc))
                continue
            links.setdefault(canon, FeedItem(url=canon, link=url, title=url, summary=text[:500],
                                             published_at=sent_at, author=None, guid=None))
    known = store.known_item_ids([r["item_id"] for r in message_rows] + [url_key(u) for u in links])
    message_rows = [r for r in message_rows if r["item_id"] not in known]
    # An older saring keyed a link's item by the link as shared (personal data and all); schema
    # v12 scrubbed its address but kept its key: the same page must not become a second item.
    stored = {u for (u,) in store.con.execute(
        "SELECT url FROM items WHERE source_id = ? AND link IS NOT NULL AND state <> 'seen' "
        "AND url IN (SELECT unnest(?))", [TIPLINE.id, list(links)]).fetchall()}
    fresh = [it for u, it in links.items() if url_key(u) not in known and u not in stored]
    store.add_items(message_rows + [
        dict(item_id=url_key(it.url), url=it.url, link=it.link, source_id=TIPLINE.id, title=it.title,
             summary=it.summary, published_at=it.published_at, author=None, guid=None,
             first_seen_at=now, state="seen", kind="tipline", channel="tautan dari grup")
        for it in fresh
    ])
    store.save_articles([
        dict(item_id=r["item_id"], final_url=None, http_status=None, text=r["summary"],
             text_source="tipline", title=r["title"], published_at=r["published_at"], author=None,
             language="id", extraction_error="; ".join(bad_links.get(r["item_id"], [])) or None,
             fetched_at=now)
        for r in message_rows
    ])
    if fresh:
        with Fetcher(fetch or FetchSettings()) as fetcher:
            source = TIPLINE.model_copy(update={"options": TIPLINE.options.model_copy(
                update={"allow_private": allow_private})})
            pages = build_articles(source, fresh, fetcher)
            store.save_articles([_scrub_article(row, scrubber) for row in pages])
    score_pending(store, scorer)
    link_items(store, since=now, stories_window=stories_window, risk=risk)
    return len(message_rows) + len(fresh)


def purge_tipline(store: Store, older_than_days: float, now: datetime | None = None) -> int:
    """Retention: drop the raw text of chat messages (and their item copies) older than N days,
    from the rows and from the database, backup and snapshot files (see :mod:`saring.collect.retention`)."""
    from saring.collect.retention import purge_tipline as purge

    return purge(store, older_than_days, now=now).messages


def _scrub_article(row: dict, scrubber: Scrubber) -> dict:
    """A fetched page of a shared link, as stored: no personal data in any text field."""
    row = dict(row)
    for key in ("text", "title", "author", "extraction_error"):
        if isinstance(row.get(key), str):
            row[key] = scrubber.text(row[key])
    if isinstance(row.get("final_url"), str):
        row["final_url"] = scrubber.url(row["final_url"])[0]
    return row


def _title(text: str | None) -> str:
    line = " ".join((text or "").split())
    if len(line) <= 120:
        return line or "(pesan tanpa teks)"
    return line[:119].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"  # between words: "[nom…" read as nothing
