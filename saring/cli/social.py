"""Tipline, fact-check and story commands: tipline import/purge, factcheck match, stories assign."""

from __future__ import annotations

from pathlib import Path

import typer

from saring.cli.base import DB_OPT, SOURCES_OPT, app, fail, out
from saring.errors import SaringError
from saring.localtime import TIME_ZONE

tipline_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                          help="The forum's WhatsApp tipline: import chat exports, purge old text.")
factcheck_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                            help="Match stored items against stored fact-checks.")
stories_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                          help="Group the same story across outlets.")
app.add_typer(tipline_app, name="tipline")
app.add_typer(factcheck_app, name="factcheck")
app.add_typer(stories_app, name="stories")


def _resolved(sources: Path | None):
    """The resolved configuration (the sources file's settings when there is one)."""
    from saring.context import resolved

    try:
        return resolved(sources=sources)
    except SaringError as exc:
        fail(str(exc))


def _store(db: Path | None):
    from saring.storage.database import Store

    return Store(db)


@tipline_app.command("import")
def tipline_import(
    chat_file: Path = typer.Argument(..., help="WhatsApp 'Export chat' file: the .txt, or the .zip "
                                               "a phone shares"),
    db: Path = DB_OPT,
    chat: str = typer.Option(None, "--chat", help="label for this chat (default: from the file name)"),
    tz: str = typer.Option(TIME_ZONE, "--tz", help="time zone of the phone that exported the chat "
                                                  "(WIB, WITA, WIT or e.g. Asia/Makassar)"),
    sources: Path = SOURCES_OPT,
) -> None:
    """Import a WhatsApp chat export; names and numbers are pseudonymised, never stored.

    Example: saring tipline import "WhatsApp Chat dengan Bakohumas.txt" --db data/saring.duckdb
    """
    from saring.cli.progress_display import shown_progress
    from saring.collect.tipline import import_chat, load_secret
    from saring.pipeline.forwarded import feed_tipline
    from saring.storage.database import utcnow

    try:
        with _store(db) as store, shown_progress():
            started = utcnow()
            secret = load_secret(store.path)
            result = import_chat(store.con, chat_file, secret, chat=chat, tz=tz)
            setup = _resolved(sources)
            fed = feed_tipline(store, since=started, fetch=setup.fetch, scrubber=result.scrubber,
                               stories_window=setup.stories.window_days, risk=setup.digest)
            store.publish_snapshot()
    except SaringError as exc:
        fail(str(exc))
    purged = f"; {result.purged} from before the last purge, not stored again" if result.purged else ""
    # Only the links this import stored are listed: the others came in (and were fetched) before.
    links = f"{len(result.urls)} links" + (f" ({len(result.new_urls)} new)" if result.new_urls != result.urls
                                           else "")
    out.print(f"Tipline: {result.kept} messages kept ({result.new} new{purged}), {result.skipped} skipped, "
              f"{links}; {fed} new items fetched and scored.", highlight=False)
    for url in result.new_urls:
        out.print(f"  {url}", highlight=False, markup=False, soft_wrap=True)  # one line, whole


@tipline_app.command("purge")
def tipline_purge(
    older_than_days: float = typer.Option(None, "--older-than-days", min=0,
                                          help="default: settings.tipline.retention_days (30)"),
    db: Path = DB_OPT,
    sources: Path = SOURCES_OPT,
    rewrite: bool = typer.Option(False, "--rewrite",
                                 help="rewrite the files even if nothing is old enough now (e.g. text "
                                      "purged by an older saring)"),
) -> None:
    """Delete old raw tipline text: from the rows, then from the bytes of the database, its
    backups and the analysts' snapshot (rewritten). Keeps hashes, links and counts.

    Example: saring tipline purge --older-than-days 30
    """
    from saring.collect.retention import purge_tipline

    if older_than_days is None:
        older_than_days = _resolved(sources).tipline.retention_days
    try:
        with _store(db) as store:
            result = purge_tipline(store, older_than_days, rewrite=rewrite)
    except SaringError as exc:
        fail(str(exc))
    out.print(f"Tipline: raw text of {result.messages} messages deleted.")
    if result.rewritten:
        out.print("Rewritten without it: " + ", ".join(str(p) for p in result.rewritten),
                  highlight=False, markup=False)


@factcheck_app.command("match")
def factcheck_match(db: Path = DB_OPT, sources: Path = SOURCES_OPT) -> None:
    """Match every stored item against the stored fact-checks (TF-IDF cosine), and set the risk
    floors those matches give (settings.digest's bands).

    Example: saring factcheck match --db data/saring.duckdb
    """
    from saring.judge.classifier.evidence import record_evidence
    from saring.judge.factcheck import match_items
    from saring.storage.database import transaction

    bands = _resolved(sources).digest
    try:
        with _store(db) as store:
            with transaction(store.con):  # the matches and the floors built from them change together
                n = match_items(store.con, transaction=False)
                ids = [r[0] for r in store.con.execute("SELECT item_id FROM items").fetchall()]
                record_evidence(store.con, ids, bands.high, bands.medium)
            store.publish_snapshot()
    except SaringError as exc:
        fail(str(exc))
    out.print(f"Fact-checks: {n} matches stored.")


@stories_app.command("assign")
def stories_assign(
    db: Path = DB_OPT,
    days: float = typer.Option(30, "--days", help="regroup items first seen in the last N days"),
    window_days: float = typer.Option(3, "--window-days", help="link items at most N days apart"),
) -> None:
    """Group near-duplicate items across outlets into stories.

    Example: saring stories assign --days 30 --window-days 3
    """
    from saring.judge.stories import assign_stories

    try:
        with _store(db) as store:
            n = assign_stories(store.con, days=days, window_days=window_days)
            store.publish_snapshot()
    except SaringError as exc:
        fail(str(exc))
    out.print(f"Stories: {n} items assigned.")
