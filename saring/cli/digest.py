"""Digest commands: digest, demo."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import typer

from saring.cli.base import DB_OPT, SOURCES_OPT, app, delivery_channels, fail, need_db, out, print_delivery
from saring.config import DEFAULT_DIGESTS
from saring.errors import SaringError

#: How the demo's hints name the command: `make demo` (and the README) run it from the checkout
#: without activating the venv, where a bare `saring` is "command not found".
SARING = ".venv/bin/saring"


@app.command()
def digest(
    day: str = typer.Option(None, "--date",
                            help="YYYY-MM-DD (default: today on the forum's clock, schedule.timezone)"),
    db: Path = DB_OPT,
    out_dir: Path = typer.Option(DEFAULT_DIGESTS, "--out",
                                 help="archive folder (files per date + index.html)"),
    sources: Path = SOURCES_OPT,
    send: bool = typer.Option(False, "--send", help="deliver to every channel in settings.delivery"),
    force: bool = typer.Option(False, "--force", help="with --send: deliver again to channels that have it"),
    channel: list[str] = typer.Option(None, "--channel", help="with --send: only this channel (repeatable)"),
) -> None:
    """Write the day's digest in every format into the archive, and optionally deliver it.

    \b
    Example: saring digest --date 2026-11-25 --out data/digests --send
    Exit codes: 0 ok (or some channels failed), 1 every channel failed, 2 bad input/config.
    """
    from saring.context import resolved
    from saring.localtime import today
    from saring.report.daily import make_digest
    from saring.report.digest import check_digest_day

    try:
        target = date.fromisoformat(day) if day else None
    except ValueError:
        fail(f"--date {day!r} is not a date like 2026-11-25")
    try:
        setup = resolved(db, sources)
        config = setup.config
        target = target or today(setup.timezone)
        check_digest_day(target, setup.timezone)
        need_db(setup.db)
        result, paths = make_digest(setup.db, target, setup.digest, out_dir, setup.forum, setup.timezone)
    except SaringError as exc:
        fail(str(exc))
    out.print(f"Digest {target}: {result.items_seen} items, {result.election_count} election-related, "
              f"{result.high_risk} high risk"
              + (f", {result.already_reported} already reported earlier (not repeated)."
                 if result.already_reported else "."))
    for p in paths:
        out.print(f"  {p}", soft_wrap=True)  # one line, whole
    out.print(f"  {Path(out_dir) / 'index.html'} (archive index)", soft_wrap=True)
    if not send:
        return
    _send(result, config, db, force, channel or None, setup.sources)


def _send(result, config, db, force: bool, only: list[str] | None, sources: Path) -> None:
    from saring.report.deliver import deliver, load_env_file

    delivery_channels(config, only)
    try:
        load_env_file(sources=sources)
    except SaringError as exc:
        fail(str(exc))
    print_delivery(deliver(db, result, config.delivery, config.digest.message_chars, force=force, only=only))


@app.command()
def demo(
    workdir: Path = typer.Option(Path("data/demo"), "--dir", help="where the demo writes its files"),
) -> None:
    """Run the whole pipeline on the bundled sample sites (no internet needed).

    Example: saring demo --dir data/demo
    """
    from saring.pipeline.demo import (
        demo_chat,
        demo_site_server,
        import_demo_chat,
        sample_dir,
        write_demo_sources,
    )

    site = sample_dir()
    if not (site / "manifest.json").exists():
        fail(f"the bundled sample is missing at {site}; run `make sample`")
    from flows.digest import digest_flow
    from flows.ingest import ingest_flow

    db = workdir / "saring.duckdb"
    with demo_site_server(site, workdir / "sources.demo.yaml") as server:
        out.print(f"Sample sites served at {server.base_url}")
        sources = write_demo_sources(workdir / "sources.demo.yaml", server.base_url)
        result = ingest_flow(sources=str(sources), db=str(db))
        chat = demo_chat(server.base_url, workdir / "tipline" / "demo-chat.txt")
        tipline = import_demo_chat(db, chat) if chat else None
        paths = digest_flow(sources=str(sources), db=str(db), out=str(workdir / "digests"))
    out.print(f"\nIngest: {result['new_items']} new items, {result['scored']} scored ({result['status']}).")
    if tipline:
        out.print(f"Tipline: {tipline} (sample chat export, names and numbers pseudonymised)")
    out.print(f"DuckDB database: {db.resolve()}", soft_wrap=True)
    stem = Path(paths[0]).name.removesuffix(".txt")
    for p in sorted(Path(paths[0]).parent.glob(stem + ".*")):
        if p.suffix != ".json":
            out.print(f"Digest: {p.resolve()}", soft_wrap=True)
    out.print("(The digest's links point at the demo's own sample sites on 127.0.0.1, "
              "which stop when the demo ends.)")
    out.print(f"Archive index: {(workdir / 'digests' / 'index.html').resolve()}", soft_wrap=True)
    if os.environ.get("SARING_DEMO_SMTP", "") not in ("", "0"):
        _print_mail_demo(db, sources)
    else:
        out.print("E-mail delivery demo: run again with SARING_DEMO_SMTP=1")
    _print_demo_weekly(workdir / "weekly", smtp=os.environ.get("SARING_DEMO_SMTP", "") not in ("", "0"))
    _print_demo_commands(workdir, db)


def _print_demo_commands(workdir: Path, db: Path) -> None:
    """What to run next on the demo's files."""
    out.print(f"Browse the digest archive: {SARING} serve --archive {workdir / 'digests'}", soft_wrap=True)
    out.print(f"Query it: {SARING} query \"SELECT source_id, count(*) FROM items GROUP BY 1\" "
              f"--db {db}", soft_wrap=True)
    out.print(f"Forum desk: {SARING} web adduser NAMA --db {db}  then  {SARING} web --db {db}",
              soft_wrap=True)


def _print_mail_demo(db: Path, sources: Path) -> None:
    """Deliver the demo digest to a local SMTP server (saring.pipeline.demo) and say what arrived."""
    from saring.pipeline.demo import mail_demo_digest

    try:
        mail = mail_demo_digest(db, sources)
    except SaringError as exc:
        fail(str(exc))
    out.print(f"\nE-mail demo: local SMTP server on 127.0.0.1:{mail.port}")
    for line in mail.report.lines():
        out.print("  " + line, highlight=False, markup=False)
    for line in mail.received:
        out.print(f"  received: {line}", highlight=False, markup=False)


def _print_demo_weekly(workdir: Path, smtp: bool) -> None:
    """`saring demo`'s weekly part (saring.pipeline.demo_weeks), printed."""
    from saring.pipeline.demo_weeks import demo_weekly

    out.print("\nWeekly report: simulating two weeks of daily runs (saring's clock set to each morning; "
              "the articles' own dates are not changed)...", highlight=False)
    try:
        d = demo_weekly(workdir, smtp=smtp)
    except SaringError as exc:
        fail(str(exc))
    out.print("  new items per simulated day: " + ", ".join(map(str, d.sim.new_items)), highlight=False)
    t = d.report.totals
    out.print(f"Weekly report {d.report.label} ({d.report.period}): {t.items} items, "
              f"{t.election} election-related, {t.tipline} tipline rumours; the charts and texts:",
              highlight=False)
    for path in (d.files.html, d.files.whatsapp, d.files.email, *d.files.charts):
        out.print(f"  {path.resolve()}", highlight=False, soft_wrap=True)
    _print_spread(d.spread)
    out.print(f"Weekly database: {d.sim.db.resolve()} (notebook: notebooks/lifecycle.ipynb)", highlight=False,
              soft_wrap=True)
    for attempt, lines in d.sends:
        for line in lines:
            out.print(f"  weekly e-mail, {attempt}: {line}", highlight=False, markup=False)
    if d.smtp_port is not None:
        out.print(f"  local SMTP server on 127.0.0.1:{d.smtp_port} received {d.received} message(s)",
                  highlight=False)


def _print_spread(spread: list[dict]) -> None:
    """Whether each clarified story kept spreading after its card (saring.report.lifecycle)."""
    for row in spread:
        answer = "yes" if row["kept_spreading"] else "no"
        before = row["mentions_before"]
        out.print(f"Clarified story {row['story_id']}: kept spreading after the card? {answer} "
                  f"({before} mention{'' if before == 1 else 's'} before, {row['mentions_after']} after)",
                  highlight=False)
