"""Report commands: report weekly (the forum's weekly picture)."""

from __future__ import annotations

from pathlib import Path

import typer

from saring.cli.base import DB_OPT, SOURCES_OPT, app, delivery_channels, fail, need_db, out, print_delivery
from saring.errors import SaringError

report_app = typer.Typer(add_completion=False, rich_markup_mode=None, no_args_is_help=True,
                         help="Reports beyond the daily digest (weekly).")
app.add_typer(report_app, name="report")


@report_app.command()
def weekly(
    week: str = typer.Option(None, "--week", help="ISO week like 2026-W47 (default: last complete week)"),
    end: str = typer.Option(None, "--end", help="or a date (YYYY-MM-DD): the week that holds it"),
    db: Path = DB_OPT,
    out_dir: Path = typer.Option(Path("data/weekly"), "--out", help="folder; the report goes in <week>/"),
    sources: Path = SOURCES_OPT,
    send: bool = typer.Option(False, "--send", help="deliver to every channel in settings.delivery"),
    force: bool = typer.Option(False, "--force", help="with --send: deliver again to channels that have it"),
    channel: list[str] = typer.Option(None, "--channel", help="with --send: only this channel (repeatable)"),
    partial: bool = typer.Option(False, "--partial",
                                 help="allow the week still running (never sent); alone: this week so far"),
) -> None:
    """Write the weekly report (HTML page, e-mail, WhatsApp text, PNG charts), optionally deliver it.

    One ISO week, Monday to Sunday on the forum's clock (settings.schedule.timezone); items count
    by the day saring first saw them.
    A week that has not ended is refused unless --partial, and is never sent.

    \b
    Example: saring report weekly --week 2026-W47 --out data/weekly --send
    Exit codes: 0 ok (or some channels failed), 1 every channel failed, 2 bad input/config.
    """
    from saring.context import resolved
    from saring.localtime import today
    from saring.report.weekly import check_week_over, monday_of, parse_week, week_label, week_over
    from saring.report.weekly_files import make_weekly, send_weekly

    try:
        setup = resolved(db, sources)
        config, zone = setup.config, setup.timezone  # the week runs on the forum's clock
        monday = parse_week(week, end, today=today(zone))
        if partial and not (week or end):  # the default, the last complete week, needs no --partial
            monday = monday_of(today(zone))
        check_week_over(monday, partial, zone=zone)
        if send and not week_over(monday, zone=zone):
            # it would also take the week's place in the send log from the complete report
            fail(f"week {week_label(monday)} has not ended yet and is not sent: its numbers would "
                 "read as a quiet week; leave out --send, or send it after Sunday")
        need_db(setup.db)
        report, files = make_weekly(setup.db, monday, config, out_dir)
    except SaringError as exc:
        fail(str(exc))
    t = report.totals
    out.print(f"Weekly report {report.label} ({report.period}): {t.items} items, "
              f"{t.election} election-related, {t.high_risk} high risk, "
              f"{t.factcheck_matches} fact-check matches, {t.tipline} tipline rumours.",
              highlight=False)
    for path in (files.html, files.whatsapp, files.email, *files.charts):
        out.print(f"  {path}", highlight=False, soft_wrap=True)  # one line, whole
    if not send:
        return
    delivery_channels(config, channel or None)
    from saring.report.deliver import load_env_file

    try:
        load_env_file(sources=setup.sources)
    except SaringError as exc:
        fail(str(exc))
    print_delivery(send_weekly(setup.db, report, files, config, force=force, only=channel or None))
