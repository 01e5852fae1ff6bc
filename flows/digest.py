"""Prefect flow: build, archive and (optionally) deliver the daily digest (thin over the library)."""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow, get_run_logger

from saring.config import DEFAULT_DIGESTS
from saring.context import resolve
from saring.localtime import today
from saring.report.daily import make_digest
from saring.report.digest import DigestDayError, check_digest_day
from saring.storage.database import existing_db


def purge_old_tipline_text(db: str | None, days: int) -> int:
    """The daily retention pass over forwarded chat text (settings.tipline.retention_days)."""
    from saring.pipeline.forwarded import purge_tipline
    from saring.storage.database import Store

    with Store(db) as store:
        return purge_tipline(store, days)


# A hung run (a stuck mail server) must not hold the one-at-a-time slot into the next hours' ingests.
TIMEOUT_SECONDS = 3600


@flow(name="saring-digest", timeout_seconds=TIMEOUT_SECONDS)
def digest_flow(sources: str | None = None, db: str | None = None, out: str = str(DEFAULT_DIGESTS),
                day: str | None = None, days_back: int = 0, send: bool = False,
                force: bool = False) -> list[str]:
    """Write the digest for ``day`` (default: today on the forum's clock, ``settings.schedule.timezone``,
    minus ``days_back``).

    With ``send``, deliver it to every channel in ``settings.delivery`` (each at most once per
    day unless ``force``). The run fails only when every channel failed.
    Returns the WhatsApp text and the HTML page (the other formats sit next to them).
    """
    logger = get_run_logger()
    setup = resolve(db, sources, require_sources=True)
    config, db = setup.config, setup.db
    try:  # typed by hand in the Prefect UI
        target = date.fromisoformat(day) if day else None
    except ValueError:
        raise DigestDayError(f"day {day!r} is not a date like 2026-11-25 (YYYY-MM-DD)") from None
    target = target or today(setup.timezone) - timedelta(days=days_back)
    check_digest_day(target, setup.timezone)  # a day to come would be archived, and sent, as a quiet one
    existing_db(db)  # before the first ingest (or a mistyped db): never an all-clear of an empty file
    digest, paths = make_digest(db, target, config.digest, out, config.forum, setup.timezone)
    logger.info("digest %s: %d items, %d election-related, %d high risk -> %s",
                target, digest.items_seen, digest.election_count, digest.high_risk,
                ", ".join(map(str, paths)))
    purged = purge_old_tipline_text(db, config.tipline.retention_days)
    if purged:
        logger.info("tipline retention: raw text of %d messages deleted", purged)
    if send:
        from saring.report.deliver import deliver, load_env_file

        load_env_file(sources=setup.sources)
        report = deliver(db, digest, config.delivery, config.digest.message_chars, force=force)
        for line in report.lines():
            (logger.warning if "FAILED" in line else logger.info)("delivery %s", line)
        if report.all_failed:
            raise RuntimeError("digest delivery failed on every channel: "
                               + "; ".join(f"{r.channel}: {r.error}" for r in report.failed))
    return [str(p) for p in paths[:2]]
