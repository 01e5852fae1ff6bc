"""The ``saring`` command line: thin over the library, errors as one clear sentence."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from saring.errors import SaringError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="saring — pantau berita pemilu dan risiko hoaks (Saring sebelum Sharing).")
out = Console()
err = Console(stderr=True)

SOURCES_OPT = typer.Option(None, "--sources", help="sources file (default: $SARING_SOURCES or sources.yaml)")
DB_OPT = typer.Option(None, "--db", help="DuckDB file (default: $SARING_DB or data/saring.duckdb)")


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]Error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


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
    _setup_logging(verbose)
    from saring.config import load_config
    from saring.ingest import run_ingest
    from saring.store import Store

    try:
        config = load_config(sources)
        with Store(db) as store:
            summary = run_ingest(config, store, only=only or None)
    except SaringError as exc:
        _fail(str(exc))
    out.print(_summary_table(summary))
    out.print(f"{summary.scored} articles scored.")
    if summary.scoring_error:
        err.print(f"[bold red]Scoring failed:[/] {summary.scoring_error}", highlight=False)
    if not summary.results:
        _fail("no enabled source matched", 2)
    if not summary.ok:
        _fail("every source failed; see the table above", 1)


@app.command()
def digest(
    day: str = typer.Option(None, "--date", help="YYYY-MM-DD (default: today in Asia/Jakarta)"),
    db: Path = DB_OPT,
    out_dir: Path = typer.Option(Path("data/digests"), "--out", help="folder for the digest files"),
    sources: Path = SOURCES_OPT,
) -> None:
    """Write the day's digest as WhatsApp text and an HTML page.

    Example: saring digest --date 2026-11-25 --out data/digests
    """
    from saring.config import DigestSettings, load_config
    from saring.digest import make_digest, today_wib

    try:
        target = date.fromisoformat(day) if day else today_wib()
    except ValueError:
        _fail(f"--date {day!r} is not a date like 2026-11-25")
    try:
        settings = load_config(sources).digest if (sources or Path("sources.yaml").exists()) \
            else DigestSettings()
        result, paths = make_digest(db, target, settings, out_dir)
    except SaringError as exc:
        _fail(str(exc))
    out.print(f"Digest {target}: {result.items_seen} items, "
              f"{len(result.election_items) + result.omitted} election-related, "
              f"{result.high_risk} high risk.")
    for p in paths:
        out.print(f"  {p}")


@app.command()
def demo(
    workdir: Path = typer.Option(Path("data/demo"), "--dir", help="where the demo writes its files"),
) -> None:
    """Run the whole pipeline on the bundled sample sites (no internet needed).

    Example: saring demo --dir data/demo
    """
    from saring.demo import SiteServer, sample_dir, write_demo_sources

    site = sample_dir()
    if not (site / "manifest.json").exists():
        _fail(f"the bundled sample is missing at {site}; run `make sample`")
    from flows.digest import digest_flow
    from flows.ingest import ingest_flow

    db = workdir / "saring.duckdb"
    with SiteServer(site) as server:
        out.print(f"Sample sites served at {server.base_url}")
        sources = write_demo_sources(workdir / "sources.demo.yaml", server.base_url)
        result = ingest_flow(sources=str(sources), db=str(db))
        paths = digest_flow(sources=str(sources), db=str(db), out=str(workdir / "digests"))
    out.print(f"\nIngest: {result['new_items']} new items, {result['scored']} scored ({result['status']}).")
    out.print(f"DuckDB database: {db.resolve()}")
    for p in paths:
        out.print(f"Digest: {Path(p).resolve()}")
    out.print("Query it: saring query \"SELECT source_id, count(*) FROM items GROUP BY 1\" "
              f"--db {db}")


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
        _fail(str(exc))
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
        _fail(str(exc))
    except duckdb.Error as exc:
        _fail(f"the query failed: {exc}")
    if csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        out.print(frame.to_string(index=False, max_colwidth=60))


@app.command()
def score(text: str = typer.Argument(..., help="the text to score")) -> None:
    """Score one text for election relevance and hoax risk (no database, no Prefect).

    Example: saring score "KPU Kota Batu membuka pendaftaran KPPS"
    """
    from saring.score import load_scorer

    try:
        scorer = load_scorer()
    except Exception as exc:  # ModelLoadError's message is written for people
        _fail(str(exc))
    s = scorer.score([text])[0]
    out.print(f"election_score {s.election_score:.2f}  ({', '.join(s.election_terms) or '-'})")
    out.print(f"hoax_score     {s.hoax_score:.2f}  ({', '.join(s.hoax_terms) or '-'})")
    out.print(f"model {scorer.model_version}")


if __name__ == "__main__":
    app()
