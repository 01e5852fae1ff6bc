"""The ``saring`` command line: thin over the library, errors as one clear sentence.

Commands live in :mod:`saring.commands` (one module per area) and register on ``app``.
"""

from __future__ import annotations

import logging
import os

import typer
from rich.console import Console

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="saring — pantau berita pemilu dan risiko hoaks (Saring sebelum Sharing).")
out = Console()
err = Console(stderr=True)

SOURCES_OPT = typer.Option(None, "--sources", help="sources file (default: $SARING_SOURCES or sources.yaml)")
DB_OPT = typer.Option(None, "--db", help="DuckDB file (default: $SARING_DB or data/saring.duckdb)")


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]Error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")



def main() -> None:
    """Entry point of the ``saring`` console script."""
    # saring runs where the internet may be closed: Prefect's server must not phone home.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    _register()
    app()


def _register() -> None:
    # Imported for their side effect: each module adds its commands to ``app``.
    from saring.commands import digest, models, pipeline, social, web  # noqa: F401


_register()
