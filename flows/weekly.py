"""Prefect flow: write (and optionally deliver) the weekly report (thin over saring.report.weekly_files)."""

from __future__ import annotations

from prefect import flow, get_run_logger

from saring.context import resolve
from saring.localtime import today
from saring.report.weekly import check_week_over, parse_week
from saring.report.weekly_files import make_weekly, send_weekly
from saring.storage.database import existing_db

TIMEOUT_SECONDS = 3600  # as the daily digest's: a hung run frees its slot for the ingests


@flow(name="saring-weekly", timeout_seconds=TIMEOUT_SECONDS)
def weekly_flow(sources: str | None = None, db: str | None = None, out: str = "data/weekly",
                week: str | None = None, send: bool = False, force: bool = False) -> list[str]:
    """Write the report of ``week`` (default: the last complete ISO week on the
    forum's clock, ``settings.schedule.timezone``); ``sources``, ``db``: defaults as saring.context.

    A week that has not ended is refused. With ``send``, deliver it to every channel in
    ``settings.delivery`` (each at most once per week unless ``force``). The run fails only when every
    channel failed. Returns the HTML page,
    the WhatsApp text and the charts.
    """
    logger = get_run_logger()
    setup = resolve(db, sources, require_sources=True)
    config, db = setup.config, setup.db
    # a mistyped `week` in the Prefect UI is named as the form names it, not as the CLI's --week
    monday = parse_week(week, today=today(config.schedule.timezone), names=("week", "end"))
    # never write (nor deliver) the days still to come as a quiet week, as `saring report weekly`
    check_week_over(monday, zone=config.schedule.timezone,
                    advice="run it after the week ends, or leave the `week` parameter empty for the last "
                           "complete week")
    existing_db(db)  # before the first ingest (or a mistyped db): never a quiet week of an empty file
    report, files = make_weekly(db, monday, config, out)
    logger.info("weekly report %s: %d items, %d election-related, %d high risk -> %s",
                report.label, report.totals.items, report.totals.election, report.totals.high_risk,
                files.folder)
    if send:
        from saring.report.deliver import load_env_file

        load_env_file(sources=setup.sources)
        result = send_weekly(db, report, files, config, force=force)
        for line in result.lines():
            (logger.warning if "FAILED" in line else logger.info)("delivery %s", line)
        if result.all_failed:
            raise RuntimeError("weekly report delivery failed on every channel: "
                               + "; ".join(f"{r.channel}: {r.error}" for r in result.failed))
    return [str(files.html), str(files.whatsapp), *map(str, files.charts)]
