"""A rumour's lifecycle: the clarification cards the forum made, and what the rumour did next.

Every card drawn (on the desk or with ``saring card``) is a row of ``clarification_cards``
(schema v8): item or check, who, when, and the channel when it was sent. The view
``rumour_lifecycle`` (saring.storage.schema) joins stories, fact-check matches, tipline mentions and
cards per story and day; :func:`spread_after_card` answers "did it keep spreading after we
clarified it?" from it, for pandas users and the analysts' copy alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from saring import clock
from saring.localtime import TIME_ZONE

LOGGER = logging.getLogger(__name__)

KINDS = ("item", "check")


def _item_of_check(con: duckdb.DuckDBPyConnection, check_id: str) -> str | None:
    """The stored item a checked text is near-identical to (its rumour's story), if any."""
    try:
        row = con.execute("SELECT similar_json FROM checks WHERE check_id = ?", [check_id]).fetchone()
    except duckdb.CatalogException:  # nobody used the check box yet
        return None
    try:
        similar = json.loads(row[0]) if row and row[0] else []
    except ValueError:
        return None
    return similar[0].get("item_id") if similar and isinstance(similar[0], dict) else None


def record_card(con: duckdb.DuckDBPyConnection, kind: str, ref: str, made_by: str | None,
                channel: str | None = None, at: datetime | None = None, zone: str = TIME_ZONE) -> str:
    """Record that a card was made (and, with ``channel``, sent there); returns its id.

    The same card made again by the same person on the same day (on the clock of ``zone``, the
    forum's) is one row (a page reloaded is not a second card); sending it later fills in the channel.

    Raises:
        ValueError: ``kind`` is not item or check.
    """
    if kind not in KINDS:
        raise ValueError(f"a card is made for an item or a check, not {kind!r}")
    at = at or clock.now()
    day = at.astimezone(ZoneInfo(zone)).date()  # the forum's day, not UTC's or Jakarta's
    card_id = hashlib.sha1(f"{kind}|{ref}|{made_by or ''}|{day}".encode()).hexdigest()[:16]
    item_id = ref if kind == "item" else _item_of_check(con, ref)
    con.execute(
        """INSERT INTO clarification_cards (card_id, kind, ref, item_id, made_by, made_at, channel, sent_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (card_id) DO UPDATE SET
               channel = coalesce(excluded.channel, clarification_cards.channel),
               sent_at = coalesce(clarification_cards.sent_at, excluded.sent_at)""",
        [card_id, kind, ref, item_id, made_by, at, channel, at if channel else None])
    LOGGER.info("clarification card %s for %s %s by %s", card_id, kind, ref, made_by)
    return card_id


def lifecycle(con: duckdb.DuckDBPyConnection, story_id: str | None = None) -> pd.DataFrame:
    """The ``rumour_lifecycle`` view (one row per story and day) as a DataFrame."""
    where, args = ("WHERE story_id = ?", [story_id]) if story_id else ("", [])
    return con.execute(f"SELECT * FROM rumour_lifecycle {where} ORDER BY story_id, day", args).df()


def spread_after_card(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per clarified story: mentions before and after its first card, and whether it kept spreading.

    "After" counts the days after the day the card was made (on the clock of ``con``'s session:
    the forum's on :func:`saring.connect`), so a story's mentions on the card's own day count as before.
    """
    return con.execute(
        """SELECT story_id, min(first_card_at) AS first_card_at,
                  CAST(coalesce(sum(news_mentions + tipline_mentions) FILTER (WHERE NOT after_card), 0)
                       AS INTEGER) AS mentions_before,
                  CAST(coalesce(sum(news_mentions + tipline_mentions) FILTER (WHERE after_card), 0)
                       AS INTEGER) AS mentions_after,
                  CAST(coalesce(sum(outlets) FILTER (WHERE after_card), 0) AS INTEGER) AS outlet_days_after,
                  max(day) FILTER (WHERE after_card AND news_mentions + tipline_mentions > 0)
                      AS last_mention_after,
                  coalesce(sum(news_mentions + tipline_mentions) FILTER (WHERE after_card), 0) > 0
                      AS kept_spreading
           FROM rumour_lifecycle WHERE first_card_at IS NOT NULL
           GROUP BY story_id ORDER BY first_card_at""").df()
