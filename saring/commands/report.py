"""Report commands: report weekly (the forum's weekly picture)."""

from __future__ import annotations

from pathlib import Path

import typer

from saring.cli import DB_OPT, SOURCES_OPT, app, err, fail, out
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
) -> None:
    """Write the weekly report (HTML page, e-mail, WhatsApp text, PNG charts), optionally deliver it.

    One ISO week, Monday to Sunday (Asia/Jakarta); items count by the day saring first saw them.
    Example: saring report weekly --week 2026-W47 --out data/weekly --send
    Exit codes: 0 ok (or some channels failed), 1 every channel failed, 2 bad input/config.
    """
    from saring.config import load_config
    from saring.weekly import parse_week
    from saring.weekly_files import make_weekly, send_weekly

    try:
        monday = parse_week(week, end)
        config = load_config(sources) if (sources or Path("sources.yaml").exists()) else None
        report, files = make_weekly(db, monday, config, out_dir)
    except SaringError as exc:
        fail(str(exc))
    t = report.totals
    out.print(f"Weekly report {report.label} ({report.period}): {t.items} items, "
              f"{t.election} election-related, {t.high_risk} high risk, "
              f"{t.factcheck_matches} fact-check matches, {t.tipline} tipline rumours.",
              highlight=False)
    for path in (files.html, files.whatsapp, files.email, *files.charts):
        out.print(f"  {path}", highlight=False)
    if not send:
        return
    if config is None or not config.delivery.channels:
        fail("--send: no delivery channels; add settings.delivery.channels to sources.yaml")
    unknown = set(channel or ()) - {c.name for c in config.delivery.channels}
    if unknown:
        fail(f"--channel: no channel named {', '.join(sorted(unknown))} in settings.delivery")
    from saring.deliver import load_env_file

    load_env_file()
    result = send_weekly(db, report, files, config, force=force, only=channel or None)
    for line in result.lines():
        out.print(line, style="red" if "FAILED" in line else None, highlight=False, markup=False)
    if result.failed:
        err.print(f"{len(result.failed)} of {len(result.results)} channel(s) failed: "
                  + ", ".join(r.channel for r in result.failed), highlight=False)
    if result.all_failed:
        raise typer.Exit(1)


def demo_weekly(workdir: Path, smtp: bool = False) -> None:
    """`saring demo`'s weekly part: two simulated weeks of daily runs, then the weekly report."""
    from saring.config import load_config
    from saring.demo_weeks import simulate
    from saring.lifecycle import spread_after_card
    from saring.store import Store
    from saring.weekly_files import make_weekly

    out.print("\nWeekly report: simulating two weeks of daily runs (saring's clock set to each morning; "
              "the articles' own dates are not changed)...", highlight=False)
    sim = simulate(workdir)
    out.print("  new items per simulated day: " + ", ".join(map(str, sim.new_items)), highlight=False)
    config = load_config(sim.sources)
    report, files = make_weekly(sim.db, sim.days[7], config, workdir / "reports")
    t = report.totals
    out.print(f"Weekly report {report.label} ({report.period}): {t.items} items, "
              f"{t.election} election-related, {t.tipline} tipline rumours; the charts and texts:",
              highlight=False)
    for path in (files.html, files.whatsapp, files.email, *files.charts):
        out.print(f"  {path.resolve()}", highlight=False)
    with Store(sim.db) as store:
        spread = spread_after_card(store.con)
    for row in spread.to_dict("records"):
        answer = "yes" if row["kept_spreading"] else "no"
        out.print(f"Clarified story {row['story_id']}: kept spreading after the card? {answer} "
                  f"({row['mentions_before']} mentions before, {row['mentions_after']} after)",
                  highlight=False)
    out.print(f"Weekly database: {sim.db.resolve()} (notebook: notebooks/lifecycle.ipynb)", highlight=False)
    if smtp:
        _demo_weekly_smtp(sim.db, report, files, config)


def _demo_weekly_smtp(db: Path, report, files, config) -> None:
    """Send the weekly report twice to a local SMTP server: delivered once, the second skipped."""
    from aiosmtpd.controller import Controller

    from saring.config import DeliveryChannel, DeliverySettings
    from saring.deliver import free_port
    from saring.weekly_files import send_weekly

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = (f"mailto://127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure&from=saring@demo.invalid"
               "&to=forum-bakohumas@demo.invalid")
        channel = DeliveryChannel(name="demo-email", url_env="SARING_DEMO_SMTP_URL", format="email")
        demo = config.model_copy(update={"delivery": DeliverySettings(channels=(channel,), attempts=2,
                                                                      backoff=0)})
        for attempt in ("first send", "second send"):
            result = send_weekly(db, report, files, demo, env={"SARING_DEMO_SMTP_URL": url})
            for line in result.lines():
                out.print(f"  weekly e-mail, {attempt}: {line}", highlight=False, markup=False)
    finally:
        controller.stop()
    out.print(f"  local SMTP server on 127.0.0.1:{port} received {len(received)} message(s)", highlight=False)
