"""Digest commands: digest, demo."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import typer

from saring.cli import DB_OPT, SOURCES_OPT, app, err, fail, out
from saring.errors import SaringError


@app.command()
def digest(
    day: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: today in Asia/Jakarta)"),
    db: Path = DB_OPT,
    out_dir: Path = typer.Option(Path("data/digests"), "--out",
                                 help="archive folder (files per date + index.html)"),
    sources: Path = SOURCES_OPT,
    send: bool = typer.Option(False, "--send", help="deliver to every channel in settings.delivery"),
    force: bool = typer.Option(False, "--force", help="with --send: deliver again to channels that have it"),
    channel: list[str] = typer.Option(None, "--channel", help="with --send: only this channel (repeatable)"),
) -> None:
    """Write the day's digest in every format into the archive, and optionally deliver it.

    Example: saring digest --date 2026-11-25 --out data/digests --send
    Exit codes: 0 ok (or some channels failed), 1 every channel failed, 2 bad input/config.
    """
    from saring.config import Config, load_config
    from saring.digest import make_digest, today_wib

    try:
        target = date.fromisoformat(day) if day else today_wib()
    except ValueError:
        fail(f"--date {day!r} is not a date like 2026-11-25")
    try:
        config = load_config(sources) if (sources or Path("sources.yaml").exists()) else None
        settings = config.digest if config else Config.model_fields["digest"].default
        result, paths = make_digest(db, target, settings, out_dir, config.forum if config else None)
    except SaringError as exc:
        fail(str(exc))
    out.print(f"Digest {target}: {result.items_seen} items, {result.election_count} election-related, "
              f"{result.high_risk} high risk"
              + (f", {result.already_reported} already reported earlier (not repeated)."
                 if result.already_reported else "."))
    for p in paths:
        out.print(f"  {p}")
    out.print(f"  {Path(out_dir) / 'index.html'} (archive index)")
    if not send:
        return
    _send(result, config, db, force, channel or None)


def _send(result, config, db, force: bool, only: list[str] | None) -> None:
    from saring.deliver import deliver, load_env_file

    if config is None or not config.delivery.channels:
        fail("--send: no delivery channels; add settings.delivery.channels to sources.yaml")
    unknown = set(only or ()) - {c.name for c in config.delivery.channels}
    if unknown:
        fail(f"--channel: no channel named {', '.join(sorted(unknown))} in settings.delivery")
    load_env_file()
    report = deliver(db, result, config.delivery, config.digest.message_chars, force=force, only=only)
    for line in report.lines():
        out.print(line, style="red" if "FAILED" in line else None, highlight=False, markup=False)
    if report.failed:
        err.print(f"{len(report.failed)} of {len(report.results)} channel(s) failed: "
                  + ", ".join(r.channel for r in report.failed), highlight=False)
    if report.all_failed:
        raise typer.Exit(1)


@app.command()
def demo(
    workdir: Path = typer.Option(Path("data/demo"), "--dir", help="where the demo writes its files"),
) -> None:
    """Run the whole pipeline on the bundled sample sites (no internet needed).

    Example: saring demo --dir data/demo
    """
    from saring.demo import SiteServer, demo_chat, sample_dir, write_demo_sources

    site = sample_dir()
    if not (site / "manifest.json").exists():
        fail(f"the bundled sample is missing at {site}; run `make sample`")
    from flows.digest import digest_flow
    from flows.ingest import ingest_flow

    db = workdir / "saring.duckdb"
    with SiteServer(site) as server:
        out.print(f"Sample sites served at {server.base_url}")
        sources = write_demo_sources(workdir / "sources.demo.yaml", server.base_url)
        result = ingest_flow(sources=str(sources), db=str(db))
        chat = demo_chat(server.base_url, workdir / "tipline" / "demo-chat.txt")
        tipline = _demo_tipline(db, chat) if chat else None
        paths = digest_flow(sources=str(sources), db=str(db), out=str(workdir / "digests"))
    out.print(f"\nIngest: {result['new_items']} new items, {result['scored']} scored ({result['status']}).")
    if tipline:
        out.print(f"Tipline: {tipline} (sample chat export, names and numbers pseudonymised)")
    out.print(f"DuckDB database: {db.resolve()}")
    stem = Path(paths[0]).name.removesuffix(".txt")
    for p in sorted(Path(paths[0]).parent.glob(stem + ".*")):
        if p.suffix != ".json":
            out.print(f"Digest: {p.resolve()}")
    out.print("(The digest's links point at the demo's own sample sites on 127.0.0.1, "
              "which stop when the demo ends.)")
    out.print(f"Archive index: {(workdir / 'digests' / 'index.html').resolve()} "
              f"(browse: saring serve --archive {workdir / 'digests'})")
    if os.environ.get("SARING_DEMO_SMTP", "") not in ("", "0"):
        _demo_smtp(db, sources)
    else:
        out.print("E-mail delivery demo: run again with SARING_DEMO_SMTP=1")
    from saring.commands.report import demo_weekly

    demo_weekly(workdir / "weekly", smtp=os.environ.get("SARING_DEMO_SMTP", "") not in ("", "0"))
    out.print("Query it: saring query \"SELECT source_id, count(*) FROM items GROUP BY 1\" "
              f"--db {db}")
    out.print(f"Forum desk: .venv/bin/saring web adduser NAMA --db {db}  then  "
              f".venv/bin/saring web --db {db}")



def _demo_tipline(db: Path, chat: Path) -> str:
    """Import the sample chat export the way `saring tipline import` does (links on 127.0.0.1 allowed)."""
    from saring.forwarded import feed_tipline
    from saring.store import Store, utcnow
    from saring.tipline import import_chat, load_secret

    with Store(db) as store:
        started = utcnow()
        result = import_chat(store.con, chat, load_secret(store.path), chat="Bakohumas Kota Batu (contoh)")
        fed = feed_tipline(store, since=started, allow_private=True, scrubber=result.scrubber)
        store.publish_snapshot()
    return f"{result.kept} messages kept, {len(result.urls)} links, {fed} new items"


def _demo_smtp(db: Path, sources: Path) -> None:
    """Deliver the demo digest by e-mail to an SMTP server started here (aiosmtpd, dev extra)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        fail("SARING_DEMO_SMTP=1 needs aiosmtpd, part of the dev extra: .venv/bin/pip install -e '.[dev]'")
    from saring.config import DeliveryChannel, DeliverySettings, load_config
    from saring.deliver import deliver
    from saring.digest import build_digest, today_wib
    from saring.store import Store

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
            received.append(envelope)
            return "250 OK"

    from saring.deliver import free_port

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = (f"mailto://127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure&from=saring@demo.invalid"
               "&to=forum-bakohumas@demo.invalid")
        config = load_config(sources)
        with Store(db) as store:
            digest = build_digest(store.con, today_wib(), config.digest, config.forum)
        channel = DeliveryChannel(name="demo-email", url_env="SARING_DEMO_SMTP_URL", format="email")
        settings = DeliverySettings(channels=(channel,), attempts=2, backoff=0)
        report = deliver(db, digest, settings, force=True, env={"SARING_DEMO_SMTP_URL": url})
    finally:
        controller.stop()
    out.print(f"\nE-mail demo: local SMTP server on 127.0.0.1:{port}")
    for line in report.lines():
        out.print("  " + line, highlight=False, markup=False)
    import email
    from email import policy

    for env in received:
        msg = email.message_from_bytes(env.content, policy=policy.default)
        kinds = [part.get_content_type() for part in msg.walk() if not part.is_multipart()]
        out.print(f"  received: from {env.mail_from} to {', '.join(env.rcpt_tos)}; "
                  f"subject {msg['subject']!r}; parts {', '.join(kinds)}; {len(env.content)} bytes",
                  highlight=False, markup=False)
