"""The database schema as numbered migrations, applied in order and recorded.

A file written by an older saring is brought up to date on open, inside one transaction per
step, after a backup copy; a file from a newer saring is refused rather than damaged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from saring.errors import StoreError
from saring.filemodes import make_private, private_files

LOGGER = logging.getLogger(__name__)

V1 = """
CREATE TABLE IF NOT EXISTS sources (
    source_id VARCHAR PRIMARY KEY, name VARCHAR, url VARCHAR, kind VARCHAR, region VARCHAR,
    enabled BOOLEAN, etag VARCHAR, last_modified VARCHAR, last_fetched_at TIMESTAMPTZ,
    last_status VARCHAR, last_error VARCHAR, updated_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, flow VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    status VARCHAR, sources_ok INTEGER, sources_failed INTEGER, new_items INTEGER, message VARCHAR
);
CREATE TABLE IF NOT EXISTS run_sources (
    run_id VARCHAR, source_id VARCHAR, status VARCHAR, http_status INTEGER,
    items_in_feed INTEGER, new_items INTEGER, extracted INTEGER, failed INTEGER,
    skipped INTEGER, error VARCHAR, warning VARCHAR, duration_s DOUBLE,
    PRIMARY KEY (run_id, source_id)
);
CREATE TABLE IF NOT EXISTS items (
    item_id VARCHAR PRIMARY KEY, url VARCHAR, link VARCHAR, source_id VARCHAR, title VARCHAR,
    summary VARCHAR, published_at TIMESTAMPTZ, author VARCHAR, guid VARCHAR,
    first_seen_at TIMESTAMPTZ, state VARCHAR
);
CREATE TABLE IF NOT EXISTS articles (
    item_id VARCHAR PRIMARY KEY, final_url VARCHAR, http_status INTEGER, text VARCHAR,
    text_source VARCHAR, title VARCHAR, published_at TIMESTAMPTZ, author VARCHAR,
    language VARCHAR, extraction_error VARCHAR, fetched_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS scores (
    item_id VARCHAR, model_version VARCHAR, election_score DOUBLE, hoax_score DOUBLE,
    election_terms VARCHAR[], hoax_terms VARCHAR[], scored_at TIMESTAMPTZ,
    PRIMARY KEY (item_id, model_version)
);
CREATE TABLE IF NOT EXISTS digests (
    digest_date DATE PRIMARY KEY, generated_at TIMESTAMPTZ, items INTEGER,
    election_items INTEGER, high_risk INTEGER, files VARCHAR[]
);
"""

# v2: per-source health (last success, consecutive failures).
V2 = """
ALTER TABLE sources ADD COLUMN IF NOT EXISTS last_success_at TIMESTAMPTZ;
ALTER TABLE sources ADD COLUMN IF NOT EXISTS consecutive_failures INTEGER DEFAULT 0;
UPDATE sources SET consecutive_failures = 0 WHERE consecutive_failures IS NULL;
UPDATE sources SET last_success_at = last_fetched_at WHERE last_status IN ('ok', 'not_modified');
"""

# v3: social kinds (item kind/channel), the fact-check registry, stories, the tipline.
FACTCHECK_SCHEMA = """
CREATE TABLE IF NOT EXISTS factchecks (
    factcheck_id VARCHAR PRIMARY KEY, source_id VARCHAR, url VARCHAR, title VARCHAR,
    verdict VARCHAR, text VARCHAR, published_at TIMESTAMPTZ, first_seen_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS factcheck_matches (
    item_id VARCHAR, factcheck_id VARCHAR, similarity DOUBLE, matched_at TIMESTAMPTZ,
    PRIMARY KEY (item_id, factcheck_id)
);
"""

STORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    item_id VARCHAR PRIMARY KEY, story_id VARCHAR, assigned_at TIMESTAMPTZ
);
"""

TIPLINE_SCHEMA = """
CREATE TABLE IF NOT EXISTS tipline_messages (
    message_id VARCHAR PRIMARY KEY, chat VARCHAR, sender_hash VARCHAR, sent_at TIMESTAMPTZ,
    text VARCHAR, urls VARCHAR[], forwarded BOOLEAN, reason VARCHAR,
    imported_at TIMESTAMPTZ, purged_at TIMESTAMPTZ
);
"""

V3 = f"""
ALTER TABLE items ADD COLUMN IF NOT EXISTS kind VARCHAR;
ALTER TABLE items ADD COLUMN IF NOT EXISTS channel VARCHAR;
{FACTCHECK_SCHEMA}
{STORY_SCHEMA}
{TIPLINE_SCHEMA}
"""

# v4: the web desk's accounts and revocable sessions. A session cookie carries its account's
# generation; logging out, a new password or deleting the account raises the generation, and
# every cookie carrying an older one stops working at its next request.
V4_WEB_ACCOUNTS = """
CREATE TABLE IF NOT EXISTS web_users (
    name VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL, created_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS web_session_generations (
    user_name VARCHAR PRIMARY KEY, generation INTEGER NOT NULL, changed_at TIMESTAMPTZ
);
"""

# v5: the places each item mentions (saring.judge.places); items stored before are scanned by the next
# ingest runs (item_place_scans records which items were scanned with which rules).
V5_PLACES = """
CREATE TABLE IF NOT EXISTS item_places (
    item_id VARCHAR, code VARCHAR, name VARCHAR, level VARCHAR, province_code VARCHAR,
    matched VARCHAR, rule VARCHAR, first_pos INTEGER,
    PRIMARY KEY (item_id, code)
);
CREATE TABLE IF NOT EXISTS item_place_scans (
    item_id VARCHAR PRIMARY KEY, places_version VARCHAR, scanned_at TIMESTAMPTZ
);
"""

# v6: fact-check evidence on top of the text hoax score (saring.judge.classifier.evidence): the best
# false-verdict match of an item and the risk floor it gives.
V6_HOAX_EVIDENCE = """
CREATE TABLE IF NOT EXISTS hoax_evidence (
    item_id VARCHAR PRIMARY KEY, factcheck_id VARCHAR, similarity DOUBLE, verdict VARCHAR,
    floor DOUBLE, reason VARCHAR, updated_at TIMESTAMPTZ
);
"""

# Views: the analysts' API. Created by the migration that introduced or last changed them
# (v7 took them over from the old "recreate every view on every open"); a later change to a view
# is a new migration that replaces it.
VIEWS = """
CREATE OR REPLACE VIEW latest_scores AS
    SELECT * FROM scores
    QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY scored_at DESC, model_version DESC) = 1;
CREATE OR REPLACE VIEW served_scores AS
    SELECT sc.item_id, sc.model_version, sc.election_score,
           greatest(sc.hoax_score, coalesce(ev.floor, 0)) AS hoax_score, sc.hoax_score AS text_hoax_score,
           sc.election_terms,
           CASE WHEN ev.floor IS NULL THEN sc.hoax_terms ELSE list_prepend(ev.reason, sc.hoax_terms) END
               AS hoax_terms,
           ev.factcheck_id AS evidence_factcheck_id, ev.floor AS evidence_floor, sc.scored_at
    FROM latest_scores sc LEFT JOIN hoax_evidence ev USING (item_id);
CREATE OR REPLACE VIEW item_overview AS
    SELECT i.item_id, i.source_id, s.name AS source_name, s.region, i.url,
           coalesce(a.title, i.title) AS title, coalesce(a.published_at, i.published_at) AS published_at,
           i.first_seen_at, i.state, a.text_source, a.extraction_error, a.language,
           coalesce(a.text, i.summary) AS text,
           sc.election_score, sc.hoax_score, sc.election_terms, sc.hoax_terms, sc.model_version,
           coalesce(pl.places, []) AS places, coalesce(pl.place_codes, []) AS place_codes,
           sc.text_hoax_score, sc.evidence_factcheck_id
    FROM items i
    LEFT JOIN sources s USING (source_id)
    LEFT JOIN articles a USING (item_id)
    LEFT JOIN served_scores sc USING (item_id)
    LEFT JOIN (SELECT item_id, list(name ORDER BY first_pos, code) AS places,
                      list(code ORDER BY first_pos, code) AS place_codes
               FROM item_places GROUP BY item_id) pl USING (item_id);
"""
# The views that count by day, with {zone} the clock their days follow: Jakarta's in the database
# file (migrations v7, v8 and v15), the reader's session time zone in the analysts' copy (CATALOG_VIEWS).
SOURCE_DAILY = """
CREATE OR REPLACE VIEW source_daily AS
    SELECT source_id, CAST(timezone({zone}, first_seen_at) AS DATE) AS day, count(*) AS items
    FROM items GROUP BY ALL;
"""


# v7's story views counted a story's sources as its outlets; v15 replaced them (OUTLET_VIEWS).
STORY_OVERVIEW_V7 = """
CREATE OR REPLACE VIEW story_overview AS
    WITH m AS (
        SELECT st.story_id, i.item_id, i.source_id, i.first_seen_at, coalesce(a.title, i.title) AS title,
               i.url
        FROM stories st JOIN items i USING (item_id) LEFT JOIN articles a USING (item_id)
    )
    SELECT story_id, count(*) AS n_items, count(DISTINCT source_id) AS n_outlets,
           min(first_seen_at) AS first_seen, max(first_seen_at) AS last_seen,
           arg_min(source_id, (first_seen_at, item_id)) AS earliest_source,
           arg_min(title, (first_seen_at, item_id)) AS title,
           arg_min(url, (first_seen_at, item_id)) AS earliest_url,
           list(DISTINCT source_id ORDER BY source_id) AS outlets
    FROM m GROUP BY story_id;
"""
STORY_VIEWS = """
CREATE OR REPLACE VIEW factcheck_match_overview AS
    SELECT m.item_id, o.title AS item_title, o.source_id, o.url AS item_url, o.first_seen_at,
           m.factcheck_id, f.title AS factcheck_title, f.verdict, f.url AS factcheck_url,
           f.source_id AS factcheck_source, f.published_at AS factcheck_published_at,
           m.similarity, m.matched_at
    FROM factcheck_matches m
    JOIN factchecks f USING (factcheck_id)
    LEFT JOIN item_overview o USING (item_id);
CREATE OR REPLACE VIEW tipline_overview AS
    SELECT message_id, chat, sender_hash, sent_at, text, urls, len(urls) AS n_urls, forwarded,
           reason, imported_at, purged_at
    FROM tipline_messages;
"""
STORY_DAILY_V7 = """
CREATE OR REPLACE VIEW story_daily AS
    SELECT st.story_id, CAST(timezone({zone}, i.first_seen_at) AS DATE) AS day,
           count(*) AS items, count(DISTINCT i.source_id) AS outlets
    FROM stories st JOIN items i USING (item_id) GROUP BY ALL;
"""


# v7: the tables that their modules used to create on first use (checks, digest_items, labels with
# its sequence and current_labels view, label_unsure; web_users again for files that skipped v4's
# table), and every view. IF NOT EXISTS: a file that already has the table keeps its rows.
V7_OWNED_TABLES = """
CREATE TABLE IF NOT EXISTS checks (
    check_id VARCHAR PRIMARY KEY, fingerprint VARCHAR NOT NULL, query VARCHAR, url VARCHAR,
    title VARCHAR, text VARCHAR, election_score DOUBLE, hoax_score DOUBLE,
    election_terms VARCHAR[], hoax_terms VARCHAR[], model_version VARCHAR,
    similar_json VARCHAR, factchecks_json VARCHAR, checked_by VARCHAR, checked_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS web_users (
    name VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL, created_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS digest_items (
    digest_date DATE, item_id VARCHAR, hoax_score DOUBLE, risk VARCHAR, recorded_at TIMESTAMPTZ,
    PRIMARY KEY (digest_date, item_id)
);
CREATE SEQUENCE IF NOT EXISTS label_seq;
CREATE TABLE IF NOT EXISTS labels (
    seq BIGINT DEFAULT nextval('label_seq') PRIMARY KEY,
    item_id VARCHAR NOT NULL, task VARCHAR NOT NULL, value INTEGER NOT NULL,
    labeled_by VARCHAR NOT NULL, labeled_at TIMESTAMPTZ NOT NULL,
    batch_id VARCHAR, source_file VARCHAR
);
CREATE TABLE IF NOT EXISTS label_unsure (
    item_id VARCHAR, task VARCHAR, labeled_by VARCHAR, labeled_at TIMESTAMPTZ
);
"""
LABEL_VIEWS = """
CREATE OR REPLACE VIEW current_labels AS
    SELECT * FROM labels
    QUALIFY row_number() OVER (PARTITION BY item_id, task ORDER BY labeled_at DESC, seq DESC) = 1;
"""

WIB_DAYS = "'Asia/Jakarta'"
V7 = (V7_OWNED_TABLES + LABEL_VIEWS + VIEWS + SOURCE_DAILY.format(zone=WIB_DAYS) + STORY_OVERVIEW_V7
      + STORY_VIEWS + STORY_DAILY_V7.format(zone=WIB_DAYS))

# v8: the send log knows which report it sent (a Monday's weekly report is not the day's digest),
# and every clarification card made is recorded (saring.report.lifecycle), so that a rumour's life
# after its clarification can be followed. The send log used to be created on first use.
LIFECYCLE_VIEWS_V8 = """
CREATE OR REPLACE VIEW rumour_lifecycle AS
    -- One row per story and day (Jakarta's in the database, the reader's in the analysts' copy)
    -- from its first mention on: news and tipline mentions first seen that day, fact-check
    -- matches and clarification cards made that day,
    -- and whether a card existed by then ("did it keep spreading after we clarified it?").
    WITH m AS (
        SELECT st.story_id, i.item_id, i.source_id, i.kind,
               CAST(timezone({zone}, i.first_seen_at) AS DATE) AS day
        FROM stories st JOIN items i USING (item_id)
    ), c AS (
        SELECT st.story_id, CAST(timezone({zone}, cc.made_at) AS DATE) AS day, cc.made_at
        FROM clarification_cards cc JOIN stories st ON st.item_id = cc.item_id
    ), f AS (
        SELECT m.story_id, m.day, count(DISTINCT fm.factcheck_id) AS factcheck_matches
        FROM m JOIN factcheck_matches fm USING (item_id) GROUP BY ALL
    ), days AS (
        SELECT story_id, day FROM m UNION SELECT story_id, day FROM c
    ), first_card AS (
        SELECT story_id, min(made_at) AS first_card_at FROM c GROUP BY story_id
    )
    SELECT d.story_id, d.day,
           count(m.item_id) FILTER (WHERE coalesce(m.kind, '') <> 'tipline') AS news_mentions,
           count(DISTINCT m.source_id) FILTER (WHERE coalesce(m.kind, '') <> 'tipline') AS outlets,
           count(m.item_id) FILTER (WHERE m.kind = 'tipline') AS tipline_mentions,
           coalesce(any_value(f.factcheck_matches), 0) AS factcheck_matches,
           (SELECT count(*) FROM c WHERE c.story_id = d.story_id AND c.day = d.day) AS cards_made,
           any_value(fc.first_card_at) AS first_card_at,
           coalesce(d.day > CAST(timezone({zone}, any_value(fc.first_card_at)) AS DATE), false)
               AS after_card
    FROM days d
    LEFT JOIN m ON m.story_id = d.story_id AND m.day = d.day
    LEFT JOIN f ON f.story_id = d.story_id AND f.day = d.day
    LEFT JOIN first_card fc ON fc.story_id = d.story_id
    GROUP BY d.story_id, d.day;
"""

V8_REPORTS_AND_CARDS = """
CREATE TABLE IF NOT EXISTS deliveries (
    digest_date DATE, channel VARCHAR, status VARCHAR, attempts INTEGER, messages INTEGER,
    error VARCHAR, forced BOOLEAN, started_at TIMESTAMPTZ, sent_at TIMESTAMPTZ
);
ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS report_kind VARCHAR DEFAULT 'daily';
UPDATE deliveries SET report_kind = 'daily' WHERE report_kind IS NULL;
CREATE TABLE IF NOT EXISTS clarification_cards (
    card_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, ref VARCHAR NOT NULL, item_id VARCHAR,
    made_by VARCHAR, made_at TIMESTAMPTZ NOT NULL, channel VARCHAR, sent_at TIMESTAMPTZ
);
"""

V8 = V8_REPORTS_AND_CARDS + LIFECYCLE_VIEWS_V8.format(zone=WIB_DAYS)

# Story grouping keeps each grouped item's hashed term counts (saring.judge.stories), so a run
# compares its new items with the window around them without re-reading and re-vectorising
# every text of that window. Internal: not published to the analysts' copy. Items grouped
# before v9 get theirs the first time they fall inside a run's window.
V9_STORY_VECTORS = """
CREATE TABLE IF NOT EXISTS story_vectors (
    item_id VARCHAR PRIMARY KEY,
    first_seen_at TIMESTAMPTZ NOT NULL,
    terms INTEGER[] NOT NULL,
    counts FLOAT[] NOT NULL
);
"""

# The host whose links the hoax model counts as news links (saring.config.Source.outlet_host):
# a local outlet in sources.yaml is not a "link to a non-news site". Filled by the next run.
V10_OUTLET_HOSTS = """
ALTER TABLE sources ADD COLUMN IF NOT EXISTS outlet_host VARCHAR;
"""

# When a stored fact-check's title, text, link or verdict last changed (fact-checkers add the
# verdict or fix a title after publishing): the next run re-matches recent items to it, as it
# does for a new one (saring.pipeline.link). NULL: unchanged since first seen.
V11_FACTCHECK_CHANGES = """
ALTER TABLE factchecks ADD COLUMN IF NOT EXISTS changed_at TIMESTAMPTZ;
"""


# The addresses of an e-mail channel sending to several that have a report: one refused for good
# (a mailbox that no longer exists) fails the channel, and the next send goes only to the others
# that lack it (saring.report.deliver). Internal: forum members' addresses are not for analysts.
V14_DELIVERY_RECIPIENTS = """
CREATE TABLE IF NOT EXISTS delivery_recipients (
    digest_date DATE NOT NULL, channel VARCHAR NOT NULL, report_kind VARCHAR NOT NULL,
    recipient VARCHAR NOT NULL, sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (digest_date, channel, report_kind, recipient)
);
"""


def _named_site(host: str) -> str:
    """SQL for the site ``host`` when it is a name: an address tells no outlets apart (sites served
    from one machine, as the demo's)."""
    return f"CASE WHEN contains({host}, '.') AND NOT regexp_matches({host}, '^[0-9.]+$|:') THEN {host} END"


def outlet_sql(sources: str, items: str) -> str:
    """SQL for the outlet an item came from (``sources``, ``items``: the aliases of its rows), to
    count the media that carried a story: the site its feed named as its publisher
    (``items.outlet_host``, a Google News hit's outlet), else its source's site
    (``sources.outlet_host``), so that two feeds of one outlet (ANTARA Jawa Timur and ANTARA
    Politik) are one medium; else the source itself (a Google News search, a platform). A site
    that is an address, not a name, is passed over. The one rule of the digest, the weekly
    report and the analysts' views (OUTLET_VIEWS)."""
    return (f"coalesce({_named_site(f'{items}.outlet_host')}, {_named_site(f'{sources}.outlet_host')}, "
            f"{items}.source_id)")


def outlet_name_sql(sources: str, items: str) -> str:
    """SQL for the name of the outlet an item came from (aliases as :func:`outlet_sql`): a Google
    News hit's outlet (``items.channel``, from its title's " - Outlet"), not the search that found
    it; else its source's name (a feed, a platform, the members' group)."""
    return (f"CASE WHEN {items}.kind = 'google_news' AND {items}.channel IS NOT NULL THEN {items}.channel "
            f"ELSE coalesce({sources}.name, {items}.source_id) END")


def source_line_sql(sources: str, items: str) -> str:
    """SQL for where an item was found, as the digest's line names it (``DigestItem.source_line``):
    its outlet (:func:`outlet_name_sql`), then the source that found it when that is another one,
    "Malang Post (lewat Google News: pemilu)". For the lists that read ``item_overview``, whose
    ``source_name`` names the search."""
    name, found = outlet_name_sql(sources, items), f"coalesce({sources}.name, {items}.source_id)"
    return f"CASE WHEN {name} = {found} THEN {name} ELSE {name} || ' (lewat ' || {found} || ')' END"


def _outlet_sql_v15(sources: str, items: str) -> str:
    """:func:`outlet_sql` before v18 (no ``items.outlet_host``): migration v15's views, as written."""
    return f"coalesce({_named_site(f'{sources}.outlet_host')}, {items}.source_id)"


# v15: the analysts' story views count a story's media as the digest and the weekly report do:
# by outlet (outlet_sql), the members' group not being one. Columns and their names unchanged;
# story_overview.outlets lists the outlets counted, earliest_source stays the first source.
OUTLET_VIEWS = """
CREATE OR REPLACE VIEW story_overview AS
    WITH m AS (
        SELECT st.story_id, i.item_id, i.source_id, i.first_seen_at, coalesce(a.title, i.title) AS title,
               i.url, {outlet} AS outlet, {medium} AS medium
        FROM stories st JOIN items i USING (item_id) LEFT JOIN articles a USING (item_id)
        LEFT JOIN sources s ON s.source_id = i.source_id
    )
    SELECT story_id, count(*) AS n_items, count(DISTINCT outlet) FILTER (WHERE medium) AS n_outlets,
           min(first_seen_at) AS first_seen, max(first_seen_at) AS last_seen,
           arg_min(source_id, (first_seen_at, item_id)) AS earliest_source,
           arg_min(title, (first_seen_at, item_id)) AS title,
           arg_min(url, (first_seen_at, item_id)) AS earliest_url,
           coalesce(list(DISTINCT outlet ORDER BY outlet) FILTER (WHERE medium), []) AS outlets
    FROM m GROUP BY story_id;
CREATE OR REPLACE VIEW story_daily AS
    SELECT st.story_id, CAST(timezone({zone}, i.first_seen_at) AS DATE) AS day,
           count(*) AS items, count(DISTINCT {outlet}) FILTER (WHERE {medium}) AS outlets
    FROM stories st JOIN items i USING (item_id) LEFT JOIN sources s ON s.source_id = i.source_id
    GROUP BY ALL;
CREATE OR REPLACE VIEW rumour_lifecycle AS
    -- One row per story and day (Jakarta's in the database, the reader's in the analysts' copy)
    -- from its first mention on: news and tipline mentions first seen that day, fact-check
    -- matches and clarification cards made that day,
    -- and whether a card existed by then ("did it keep spreading after we clarified it?").
    WITH m AS (
        SELECT st.story_id, i.item_id, {outlet} AS outlet, i.kind,
               CAST(timezone({zone}, i.first_seen_at) AS DATE) AS day
        FROM stories st JOIN items i USING (item_id) LEFT JOIN sources s ON s.source_id = i.source_id
    ), c AS (
        SELECT st.story_id, CAST(timezone({zone}, cc.made_at) AS DATE) AS day, cc.made_at
        FROM clarification_cards cc JOIN stories st ON st.item_id = cc.item_id
    ), f AS (
        SELECT m.story_id, m.day, count(DISTINCT fm.factcheck_id) AS factcheck_matches
        FROM m JOIN factcheck_matches fm USING (item_id) GROUP BY ALL
    ), days AS (
        SELECT story_id, day FROM m UNION SELECT story_id, day FROM c
    ), first_card AS (
        SELECT story_id, min(made_at) AS first_card_at FROM c GROUP BY story_id
    )
    SELECT d.story_id, d.day,
           count(m.item_id) FILTER (WHERE coalesce(m.kind, '') <> 'tipline') AS news_mentions,
           count(DISTINCT m.outlet) FILTER (WHERE coalesce(m.kind, '') <> 'tipline') AS outlets,
           count(m.item_id) FILTER (WHERE m.kind = 'tipline') AS tipline_mentions,
           coalesce(any_value(f.factcheck_matches), 0) AS factcheck_matches,
           (SELECT count(*) FROM c WHERE c.story_id = d.story_id AND c.day = d.day) AS cards_made,
           any_value(fc.first_card_at) AS first_card_at,
           coalesce(d.day > CAST(timezone({zone}, any_value(fc.first_card_at)) AS DATE), false)
               AS after_card
    FROM days d
    LEFT JOIN m ON m.story_id = d.story_id AND m.day = d.day
    LEFT JOIN f ON f.story_id = d.story_id AND f.day = d.day
    LEFT JOIN first_card fc ON fc.story_id = d.story_id
    GROUP BY d.story_id, d.day;
"""


def outlet_views(zone: str, outlet: Callable[[str, str], str] = outlet_sql) -> str:
    """:data:`OUTLET_VIEWS` counting days on ``zone``'s clock (WIB_DAYS, SESSION_DAYS)."""
    return OUTLET_VIEWS.format(zone=zone, outlet=outlet("s", "i"),
                               medium="coalesce(i.kind, '') <> 'tipline'")  # the group is not a medium


# v18: the site of the outlet that published an item, when its feed names one (a Google News hit's
# <source url>, saring.collect.kinds): outlet_sql counts the hit as that outlet, not as the search
# that found it, and the story views are re-created with it. Items stored before keep NULL: only
# the outlet's name was kept (items.channel), from which no site can be read exactly.
V18_ITEM_OUTLETS = """
ALTER TABLE items ADD COLUMN IF NOT EXISTS outlet_host VARCHAR;
""" + outlet_views(WIB_DAYS)


def v12_scrub_checks(con: duckdb.DuckDBPyConnection, path: Path | None) -> bool:
    """v12: the checks stored before saring check scrubbed what it stores (pasted phone numbers,
    e-mail addresses, NIKs, contact links in query, title, text, the reasons quoting them, and a
    similar forward's title and link) are scrubbed as it stores them now. The fingerprint stays
    that of the text as pasted, so a repeat is still recognised. So are the forwards an older
    saring stored as they came (:func:`_scrub_forwards`). The next publication erases every
    older published file, which held the old text. Returns whether any row changed."""
    changed = _scrub_checks(con)
    forwarded = _scrub_forwards(con)
    if (changed or forwarded) and path is not None:
        from saring.storage.publish import mark_erase

        mark_erase(path)
    return bool(changed or forwarded)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_catalog = current_database()").fetchall()}


def _scrub_checks(con: duckdb.DuckDBPyConnection) -> int:
    """The checks as saring check stores them now (:func:`v12_scrub_checks`); returns how many changed."""
    from saring.collect.scrub import GENERIC

    if "checks" not in _tables(con):  # a backup of a file older than the checks table
        return 0

    def link(url: str | None) -> str | None:
        return GENERIC.url(url)[0] if url else url

    forwards = {r[0] for r in con.execute("SELECT item_id FROM items WHERE source_id = 'tipline'").fetchall()}
    changed = []
    for check_id, query, url, title, text, terms, similar in con.execute(
            "SELECT check_id, query, url, title, text, hoax_terms, similar_json FROM checks").fetchall():
        shown = json.loads(similar or "[]")
        scrubbed = [{**e, "title": GENERIC.text(e.get("title")) or "", "url": link(e.get("url")) or ""}
                    if e.get("item_id") in forwards else e for e in shown]  # as saring.desk.check shows one
        new = (GENERIC.text(query), link(url), GENERIC.text(title), GENERIC.text(text),
               None if terms is None else [GENERIC.text(t) for t in terms],
               similar if scrubbed == shown else json.dumps(scrubbed))
        if new != (query, url, title, text, terms, similar):
            changed.append([*new, check_id])
    if changed:
        con.executemany("UPDATE checks SET query = ?, url = ?, title = ?, text = ?, hoax_terms = ?, "
                        "similar_json = ? WHERE check_id = ?", changed)
        LOGGER.warning("scrubbed the personal data of %d checks stored by an older saring", len(changed))
    return len(changed)


def _scrub_forwards(con: duckdb.DuckDBPyConnection) -> int:
    """The tipline source's items, articles and reasons, and the chat messages, as saring stores
    them now (saring.pipeline.forwarded): an older saring stored them as they came. Ids stay: an
    item is keyed by its message's id or its link as first stored, so feeding the chat again
    still finds it. Returns how many rows changed."""
    from saring.collect.scrub import GENERIC, MASK_CONTACT
    from saring.collect.tipline import MESSAGE_ADDRESS

    def link(url: str | None) -> str | None:
        if not url or url.startswith(MESSAGE_ADDRESS):  # a message's key, never personal
            return url
        return GENERIC.url(url)[0] or MASK_CONTACT  # a contact link stored before they were dropped

    def scrubbed(sql: str, update: str, shape: Callable[[tuple], tuple], keys: int = 1) -> int:
        rows = [(*new, *row[:keys]) for row in con.execute(sql).fetchall()
                if (new := shape(row[keys:])) != row[keys:]]
        if rows:
            con.executemany(update, rows)
        return len(rows)

    tipline = "SELECT item_id FROM items WHERE source_id = 'tipline'"
    text = GENERIC.text
    n = scrubbed(f"SELECT item_id, url, link, title, summary, author FROM items WHERE item_id IN ({tipline})",
                 "UPDATE items SET url = ?, link = ?, title = ?, summary = ?, author = ? WHERE item_id = ?",
                 lambda r: (link(r[0]), link(r[1]), text(r[2]), text(r[3]), text(r[4])))
    n += scrubbed(f"SELECT item_id, final_url, title, text, author, extraction_error FROM articles "
                  f"WHERE item_id IN ({tipline})",
                  "UPDATE articles SET final_url = ?, title = ?, text = ?, author = ?, extraction_error = ? "
                  "WHERE item_id = ?",
                  lambda r: (link(r[0]), text(r[1]), text(r[2]), text(r[3]), text(r[4])))
    n += scrubbed(f"SELECT item_id, model_version, hoax_terms FROM scores WHERE item_id IN ({tipline})",
                  "UPDATE scores SET hoax_terms = ? WHERE item_id = ? AND model_version = ?",
                  lambda r: (None if r[0] is None else [text(t) for t in r[0]],), keys=2)
    if "tipline_messages" in _tables(con):  # not in a backup of a file older than the tipline
        n += scrubbed("SELECT message_id, text, urls FROM tipline_messages",
                      "UPDATE tipline_messages SET text = ?, urls = ? WHERE message_id = ?",
                      lambda r: (text(r[0]),
                                 None if r[1] is None else [u for u in map(GENERIC.link, r[1]) if u]))
    if n:
        LOGGER.warning("scrubbed the personal data of %d forwarded messages and pages stored by an older "
                       "saring", n)
    return n


#: The step after which nothing stored holds the raw personal data of a forward or a check.
SCRUBBED_AT = 12


def scrub_backup(path: Path) -> bool:
    """Scrub a backup made before :data:`SCRUBBED_AT` as that step scrubbed the database, and
    rewrite it so the old text is gone from its bytes too (an UPDATE leaves it in the file's
    free blocks). The backup keeps its schema version and every row. Returns whether it changed.

    Raises:
        duckdb.Error, OSError: the backup could not be read or rewritten; it is left in place.
    """
    from saring.collect.retention import copy_into_fresh_file

    fresh = path.with_name(path.name + ".rewrite")
    with private_files():
        con = duckdb.connect(str(path))
    try:
        con.begin()
        changed = _scrub_checks(con) + _scrub_forwards(con)
        con.commit()
        if changed:
            copy_into_fresh_file(con, fresh)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    if changed:
        os.replace(fresh, path)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        make_private(path)
    return bool(changed)


def rederive_verdicts(con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """v13 and v19: the fact-checks stored before a change of the rules that read a title's verdict
    get the verdict their title carries now: only a feed listing one again re-read its title, and
    feeds soon move on. v13: combined labels ("[DISINFORMASI/HOAKS]", "[TIDAK BENAR]") and graded
    ones ("[MENYESATKAN]"). v19: a leading label before a later bracket ("Keliru, ... (Satire)"),
    the bracketed "[Cek Fakta]" rubric, "[MISLEADING CONTENT]" and a verdict stated at the end
    ("... Adalah Hoaks"). Each whose verdict changed gets ``changed_at``, so the next run
    re-matches its items and sets their risk floors, as for a fact-checker's correction
    (saring.pipeline.link)."""
    from saring.collect.verdicts import verdict_from_title

    changed = [[new, datetime.now(UTC), factcheck_id]
               for factcheck_id, title, verdict in con.execute(
                   "SELECT factcheck_id, title, verdict FROM factchecks").fetchall()
               if (new := verdict_from_title(title)) != verdict]
    if changed:
        con.executemany("UPDATE factchecks SET verdict = ?, changed_at = ? WHERE factcheck_id = ?", changed)
        LOGGER.warning("re-read the verdict of %d fact-checks stored by an older saring", len(changed))


def v16_keep_outlet_sites(con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """v16: a source switched off or removed from sources.yaml keeps its site (``outlet_host``), the
    outlet its past items count as (outlet_sql); up to v15 it was cleared, and a story its feed
    carried counted that feed as a medium of its own. A source still in sources.yaml gets its
    site from there at the next run; a removed one's is read back from its address and kind (its
    ``options.outlet`` was not stored). Only enabled sources are news sites (outlet_hosts)."""
    from saring.config import outlet_site

    sites = []
    off = con.execute("SELECT source_id, url, kind FROM sources WHERE NOT enabled AND outlet_host IS NULL")
    for source_id, url, kind in off.fetchall():
        try:
            site = outlet_site(url or "", kind or "")
        except ValueError:  # an address an older, laxer check let through must not stop the upgrade
            continue
        if site:
            sites.append([site, source_id])
    if sites:
        con.executemany("UPDATE sources SET outlet_host = ? WHERE source_id = ?", sites)


def v17_no_claim_scores(con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """v17: the items and checks an older saring scored before the no-claim rule
    (:mod:`saring.noclaim`) get what scoring stores now: hoax score 0 and no reasons, the election
    score and terms as they are (the rule touches nothing else). Their stored scores were the
    models' own ("Selamat pagi semua" 0.78, "tinggi"), and no run or `saring rescore` scores
    again what the current model version scored. Every version's score is set, as the rule
    applies to every version. No model is loaded, and only texts that can carry no claim are
    read: the tipline's (a member's name mask is read as nothing, :func:`~saring.collect.scrub.for_model`)
    and those of at most :data:`~saring.noclaim.MAX_CHARS` characters. A check that found a
    fact-check keeps its score (the match may have raised it, and its floor is not stored)."""
    from saring.collect.scrub import for_model
    from saring.noclaim import MAX_CHARS, NO_CLAIM_SCORE, has_no_claim
    from saring.textclean import item_text

    params = {"none": NO_CLAIM_SCORE, "chars": MAX_CHARS}
    # The text as scoring reads it (Store.unscored, saring.pipeline.ingest.score_rows, Scorer.score).
    items = [item_id for item_id, title, text in con.execute(
        """SELECT i.item_id, coalesce(a.title, i.title), coalesce(a.text, i.summary)
           FROM items i JOIN articles a USING (item_id)
           WHERE (i.source_id = 'tipline' OR length(coalesce(a.text, i.summary, '')) <= $chars)
             AND EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.item_id
                         AND (s.hoax_score <> $none OR len(s.hoax_terms) > 0))""", params).fetchall()
             if has_no_claim(for_model(item_text(title, text)))]
    if items:
        con.execute("UPDATE scores SET hoax_score = $none, hoax_terms = []::VARCHAR[] "
                    "WHERE list_contains($ids, item_id)", {"none": NO_CLAIM_SCORE, "ids": items})
    # As saring check scored them, and as the desk says a check holds no claim (CheckResult.no_claim).
    checks = [check_id for check_id, title, text in con.execute(
        """SELECT check_id, title, text FROM checks
           WHERE (hoax_score <> $none OR len(hoax_terms) > 0) AND coalesce(factchecks_json, '[]') = '[]'
             AND length(coalesce(text, '')) <= $chars""", params).fetchall()
              if has_no_claim(for_model(item_text(title, text)))]  # stored scrubbed; scored as pasted
    if checks:
        con.execute("UPDATE checks SET hoax_score = $none, hoax_terms = []::VARCHAR[] "
                    "WHERE list_contains($ids, check_id)", {"none": NO_CLAIM_SCORE, "ids": checks})
    if items or checks:
        LOGGER.warning("%d items and %d checks scored before the no-claim rule now have its score (0)",
                       len(items), len(checks))


# The analysts' catalog (saring.storage.publish): a derived, read-only file of views over the
# published Parquet files, rebuilt when their list changes, never migrated. Its views on top are
# the database's own, except that days are counted on the reader's clock: saring.connect(),
# saring query and the desk set it to the forum's zone (settings.schedule.timezone), the one its
# digest and weekly report count days in.
# Its views are created unbound (DEFER_BINDING, DuckDB 2): a query binds a view when it uses it
# anyway, while binding each at creation read the footer of every Parquet file it names, about a
# third of a publication that writes a catalog (tests/test_publish.py queries every view).
CATALOG_PARQUET_VIEW = "CREATE VIEW {table} WITH (DEFER_BINDING) AS SELECT * FROM read_parquet([{files}])"
SESSION_DAYS = "current_setting('TimeZone')"


def _unbound(sql: str) -> str:
    return re.sub(r"^(CREATE OR REPLACE VIEW \w+) AS$", r"\1 WITH (DEFER_BINDING) AS", sql, flags=re.M)


CATALOG_VIEWS = _unbound(LABEL_VIEWS + VIEWS + SOURCE_DAILY.format(zone=SESSION_DAYS) + STORY_VIEWS
                         + outlet_views(SESSION_DAYS))

# A step is SQL, or a function of the connection and the file's path (a data step; the scrub
# step, SCRUBBED_AT, returns whether it changed rows).
Step = str | Callable[[duckdb.DuckDBPyConnection, Path | None], bool | None]
MIGRATIONS: list[tuple[int, Step]] = [(1, V1), (2, V2), (3, V3), (4, V4_WEB_ACCOUNTS), (5, V5_PLACES),
                                      (6, V6_HOAX_EVIDENCE), (7, V7), (8, V8),
                                      (9, V9_STORY_VECTORS), (10, V10_OUTLET_HOSTS),
                                      (11, V11_FACTCHECK_CHANGES), (12, v12_scrub_checks),
                                      (13, rederive_verdicts), (14, V14_DELIVERY_RECIPIENTS),
                                      (15, outlet_views(WIB_DAYS, _outlet_sql_v15)),
                                      (16, v16_keep_outlet_sites), (17, v17_no_claim_scores),
                                      (18, V18_ITEM_OUTLETS), (19, rederive_verdicts)]
SCHEMA_VERSION = MIGRATIONS[-1][0]


# Run in a child process: its open and close of the file cannot touch this process's lock.
_COPY = """
import shutil, sys
try:
    shutil.copyfile(sys.argv[1], sys.argv[2])
except OSError as exc:
    sys.exit(exc.strerror or str(exc))
"""


def copy_database(con: duckdb.DuckDBPyConnection, path: Path, target: Path) -> None:
    """Copy the database file ``path`` (open for writing on ``con``) to ``target``, atomically.

    The bytes are copied by a child process, never by this one: DuckDB's lock on the file
    is a POSIX record lock, and a process loses it as soon as it closes *any* descriptor
    of that file (a plain ``shutil.copyfile`` here would let a second writer in). The copy
    is consistent: the checkpoint leaves everything in the file, and the caller holds the
    lock, so nothing writes until the copy is done. ``target`` is only ever replaced by a
    finished file. (Copying through the connection instead, ``ATTACH`` + ``COPY FROM
    DATABASE``, took 17-24 s and 1 GB of memory for 100,000 articles, against 0.2-0.4 s.)

    Raises:
        OSError: the copy could not be written (e.g. disk full); ``target`` is untouched.
    """
    con.execute("CHECKPOINT")
    tmp = target.with_name(target.name + ".tmp")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", _COPY, str(path), str(tmp)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        tmp.unlink(missing_ok=True)
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "the copy failed"
        raise OSError(f"cannot copy {path} to {target}: {reason}")
    os.replace(tmp, target)  # readers holding the old file keep reading it


def applied_version(con: duckdb.DuckDBPyConnection) -> int:
    """The file's schema version (0 for a new file); a plain read, safe on read-only files."""
    try:
        # fetchall: a result left half-read would block the connection's next statement.
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
    except duckdb.CatalogException:
        return 0


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)"
    )
    return applied_version(con)


def migrate(con: duckdb.DuckDBPyConnection, path: Path | None = None,
            scrubbed: Callable[[bool], None] | None = None) -> bool:
    """Apply every pending migration; returns True when the file's schema changed.

    A file already at :data:`SCHEMA_VERSION` costs one read and nothing else. ``scrubbed`` is
    called once every step is committed, when the step :data:`SCRUBBED_AT` ran on a file of an
    older schema, with whether it changed rows (the caller erases the old text from the files).

    Raises:
        StoreError: the file was written by a newer saring.
    """
    version = applied_version(con)
    if version == SCHEMA_VERSION:
        return False
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database {path} uses schema version {version}, newer than this saring "
            f"understands ({SCHEMA_VERSION}); upgrade saring instead of opening it with this one"
        )
    pending = [(v, sql) for v, sql in MIGRATIONS if v > version]
    if pending and version > 0 and path is not None and path.exists():
        backup = path.with_name(f"{path.name}.pre-v{SCHEMA_VERSION}.bak")
        copy_database(con, path, backup)
        LOGGER.warning("migrating %s from schema v%d to v%d (backup: %s)",
                       path, version, SCHEMA_VERSION, backup)
    changed = None
    for number, sql in pending:
        con.begin()
        try:
            if callable(sql):
                result = sql(con, path)
                if number == SCRUBBED_AT:
                    changed = bool(result)
            else:
                con.execute(sql)
            con.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                        [number, datetime.now(UTC)])
            con.commit()
        except Exception:
            con.rollback()
            raise
    if scrubbed is not None and changed is not None and version > 0:
        scrubbed(changed)
    return bool(pending)
