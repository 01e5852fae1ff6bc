"""The ``saring`` command line: thin over the library, errors as one clear sentence.

The shared parts of the ``saring`` command line: ``app``, the consoles, the common options and
``fail``. Each command module in :mod:`saring.cli.base` registers on ``app``; :mod:`saring.cli.main`
imports them all (so no command module imports its caller).
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from saring.safetext import strip_controls

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="saring — pantau berita pemilu dan risiko hoaks (Saring sebelum Sharing).")
# Rich markup is off: titles, links and error messages carry text from feeds and pages, and a
# "[/]" in one of them would end in a MarkupError. Styles are given as Text or style=, never inline.
# Soft wrap: Rich's own wrapping (at 80 columns in a log or a pipe) put line breaks inside paths and
# links, which then cannot be copied; a terminal wraps long lines itself and copies them whole.
out = Console(markup=False, soft_wrap=True)
err = Console(stderr=True, markup=False, soft_wrap=True)

SOURCES_OPT = typer.Option(None, "--sources", help="sources file (default: $SARING_SOURCES or sources.yaml)")
DB_OPT = typer.Option(None, "--db", help="DuckDB file (default: $SARING_DB or data/saring.duckdb)")


def shown(value: object) -> str:
    """Text from outside (feeds, pages, files, errors) as it may reach a terminal: no escapes."""
    return strip_controls("" if value is None else value)


def fail(message: str, code: int = 2) -> None:
    err.print(Text.assemble(("Error:", "bold red"), " ", shown(message)), highlight=False)
    raise typer.Exit(code)


def need_db(path: Path | None) -> Path:
    """The database a command works on (``--db``, else ``$SARING_DB`` or data/saring.duckdb),
    refused when it is not there: a mistyped --db would make an empty one, and a report of it
    ("0 berita, semua sumber terbaca") tells the forum all is clear
    (:func:`saring.storage.database.existing_db`)."""
    from saring.errors import StoreError
    from saring.storage.database import existing_db

    try:
        return existing_db(path)
    except StoreError as exc:
        fail(str(exc))


def delivery_channels(config: object, only: list[str] | None) -> None:
    """Refuse ``--send`` without channels, ``--channel`` names that are not configured or are
    switched off, and channels that are all switched off."""
    channels = getattr(getattr(config, "delivery", None), "channels", ())
    if not channels:
        fail("--send: no delivery channels; add settings.delivery.channels to sources.yaml")
    unknown = set(only or ()) - {c.name for c in channels}
    if unknown:
        fail(f"--channel: no channel named {', '.join(sorted(unknown))} in settings.delivery")
    # deliver() passes over disabled channels: without this, nothing is sent and nothing said.
    off = sorted(c.name for c in channels if not c.enabled and (not only or c.name in only))
    if off and (only or len(off) == len(channels)):
        fail(f"--send: channel {', '.join(off)} is switched off (enabled: false) in settings.delivery")


def print_delivery(report: object) -> None:
    """Print a delivery's per-channel lines; exit 1 when every channel failed."""
    for line in report.lines():  # type: ignore[attr-defined]
        out.print(line, style="red" if "FAILED" in line else None, highlight=False, markup=False)
    failed = report.failed  # type: ignore[attr-defined]
    if failed:
        err.print(f"{len(failed)} of {len(report.results)} channel(s) failed: "  # type: ignore[attr-defined]
                  + ", ".join(r.channel for r in failed), highlight=False)
    if report.all_failed:  # type: ignore[attr-defined]
        raise typer.Exit(1)


def warn_if_public(host: str, port: int, what: str) -> None:
    """Say loudly that a server listens beyond this machine (``--host 0.0.0.0``)."""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        local = False
    if not local:
        err.print(Text.assemble(
            ("WARNING:", "bold red"),
            f" listening on {shown(host)}: anyone who can reach this machine on port {port} {what}. "
            "Put it behind HTTPS (a reverse proxy) before sharing it.",
        ), highlight=False)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")



@app.callback()
def _resolve_once(ctx: typer.Context) -> None:
    # The resolved configuration is cached here (saring.context.resolved): one per invocation.
    ctx.obj = {}
