"""Linking after an ingest run: places, fact-check matches and evidence, stories.

Orchestration over the judge stage (it used to be ``Store.link_items``: persistence calling
the matchers); the store only provides the connection and its lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from saring.config import DigestSettings
from saring.judge.classifier.evidence import record_evidence, refresh_floors
from saring.judge.factcheck import match_items
from saring.judge.places import locate_pending
from saring.judge.stories import CountedTexts, add_to_stories
from saring.storage.database import MATCHING_STEP, Store, transaction

LOGGER = logging.getLogger(__name__)


def link_items(store: Store, since: datetime, stories_window: float, risk: Any = None,
               counted: CountedTexts | None = None) -> dict[str, str]:
    """Find the places of new items, match items seen since ``since`` to fact-checks and
    regroup recent stories.

    Places are found for every stored item not scanned yet (so also for items of a killed
    run, and for items stored before places existed). New and changed fact-checks are matched
    against the last 30 days of items (a changed one also against the older items it matched; the
    items a deleted one floored are matched again too),
    and their fact-check evidence (a risk floor between the ``risk`` bands' medium and high, see
    :mod:`saring.judge.classifier.evidence`) is recomputed; every stored floor follows the served
    model version's floor (the rule or its fitted curve) and the bands.
    ``counted``: story term counts counted during the run. Returns the steps that failed, with
    their reason (the run's articles and scores stay stored).
    """
    with store.lock:  # ingest threads share the store's one connection
        return _link(store.cur, since, stories_window, risk, counted)


def _link(cur: Any, since: datetime, stories_window: float, risk: Any,
          counted: CountedTexts | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        locate_pending(cur)
    except Exception as exc:  # places order the digest; a failure must not lose the run
        LOGGER.exception("place finding failed")
        errors["place finding"] = f"{exc.__class__.__name__}: {exc}"
    bands = risk or DigestSettings()
    try:  # the stored floors follow the served model version (its fitted floor, if any) and the bands
        refresh_floors(cur, bands.high, bands.medium)
    except Exception as exc:  # the floors stay as they were; the next run tries again
        LOGGER.exception("refreshing the fact-check floors failed")
        errors["fact-check floors"] = f"{exc.__class__.__name__}: {exc}"
    # a fact-check changed since (its verdict added, its title fixed) is matched again like a new one
    new_checks = cur.execute("SELECT count(*) FROM factchecks WHERE first_seen_at >= ? OR changed_at >= ?",
                             [since, since]).fetchall()[0][0]
    horizon = since - timedelta(days=30) if new_checks else since
    # and, whatever their age, the items a changed fact-check matched: else a corrected verdict
    # ("[HOAKS]" made "[MENYESATKAN]") left their floor and its reason as they were; and those a
    # deleted fact-check floored (matching drops its matches from every item, not their floors)
    ids = [r[0] for r in cur.execute(
        """SELECT item_id FROM items WHERE first_seen_at >= ?
           UNION SELECT item_id FROM factcheck_matches
           WHERE factcheck_id IN (SELECT factcheck_id FROM factchecks WHERE changed_at >= ?)
           UNION SELECT item_id FROM hoax_evidence
           WHERE factcheck_id NOT IN (SELECT factcheck_id FROM factchecks)""",
        [horizon, since]).fetchall()]
    if not ids:  # nothing new since the last run: matches and stories stand as they are
        return errors
    try:
        with transaction(cur):  # an item's matches and the risk floor built from them change together
            match_items(cur, ids, transaction=False)
            record_evidence(cur, ids, bands.high, bands.medium)
    except Exception as exc:  # matching is an extra: never lose the run for it
        LOGGER.exception("fact-check matching failed")
        errors[MATCHING_STEP] = f"{exc.__class__.__name__}: {exc}"  # the next runs look back past it
    try:
        add_to_stories(cur, window_days=stories_window, counted=counted)
    except Exception as exc:
        LOGGER.exception("story grouping failed")
        errors["story grouping"] = f"{exc.__class__.__name__}: {exc}"
    return errors
