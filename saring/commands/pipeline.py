"""Pipeline commands: ingest, serve, query."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from saring.cli import DB_OPT, SOURCES_OPT, app, err, fail, out, setup_logging
from saring.errors import SaringError


def _summary_table(summary) -> Table:
    table = Table(title=f"Ingest run {summary.run_id}")
    for col in ("source", "status", "new", "extracted", "no page text", "why"):
        table.add_column(col, overflow="fold")
    for r in summary.results:
        why = r.error or r.warning or ""
        style = "red" if r.status == "failed" else None
        table.add_row(r.source_id, r.status, str(r.new_items), str(r.extracted), str(r.failed),
                      why, style=style)
    return table


@app.command()
def ingest(
    sources: Path = SOURCES_OPT,
    db: Path = DB_OPT,
    only: list[str] = typer.Option(None, "--only", help="ingest just this source id (repeatable)"),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Read every enabled feed, store new articles, score them.

    Example: saring ingest --sources sources.yaml --db data/saring.duckdb
    """
    setup_logging(verbose)
    from saring.config import load_config
    from saring.ingest import run_ingest
    from saring.store import Store

    try:
        config = load_config(sources)
        with Store(db) as store:
            summary = run_ingest(config, store, only=only or None)
    except SaringError as exc:
        fail(str(exc))
    out.print(_summary_table(summary))
    out.print(f"{summary.scored} articles scored.")
    if summary.scoring_error:
        err.print(f"[bold red]Scoring failed:[/] {summary.scoring_error}", highlight=False)
    if not summary.results:
        fail("no enabled source matched", 2)
    if not summary.ok:
        fail("every source failed; see the table above", 1)



@app.command()
def serve(
    sources: Path = typer.Option(Path("sources.yaml"), "--sources"),
    db: Path = typer.Option(Path("data/saring.duckdb"), "--db"),
    out_dir: Path = typer.Option(Path("data/digests"), "--out"),
) -> None:
    """Run the flows on their schedules (ingest hourly, digest at 06:00 WIB by default).

    Example: saring serve --sources sources.yaml
    """
    from saring.config import load_config

    try:
        config = load_config(sources)
    except SaringError as exc:
        fail(str(exc))
    from flows.serve import serve_all

    serve_all(config, str(sources.resolve()), str(db.resolve()), str(out_dir.resolve()))



@app.command()
def query(
    sql: str = typer.Argument(..., help="SQL to run on the newest snapshot"),
    db: Path = DB_OPT,
    csv: bool = typer.Option(False, "--csv", help="print CSV instead of a table"),
) -> None:
    """Query the analysts' snapshot (never blocks the running flows).

    Example: saring query "SELECT title, hoax_score FROM item_overview ORDER BY 2 DESC LIMIT 5"
    """
    import duckdb

    from saring.store import connect_snapshot

    try:
        con = connect_snapshot(db)
        frame = con.execute(sql).df()
    except SaringError as exc:
        fail(str(exc))
    except duckdb.Error as exc:
        fail(f"the query failed: {exc}")
    if csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        out.print(frame.to_string(index=False, max_colwidth=60))

