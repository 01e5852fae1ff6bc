"""Digest commands: digest, demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from saring.cli import DB_OPT, SOURCES_OPT, app, fail, out
from saring.errors import SaringError


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
        fail(f"--date {day!r} is not a date like 2026-11-25")
    try:
        settings = load_config(sources).digest if (sources or Path("sources.yaml").exists()) \
            else DigestSettings()
        result, paths = make_digest(db, target, settings, out_dir)
    except SaringError as exc:
        fail(str(exc))
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
        fail(f"the bundled sample is missing at {site}; run `make sample`")
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

