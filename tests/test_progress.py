"""Progress: the library reports sources, pages and items; the CLI draws bars on a terminal only."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from rich.console import Console
from typer.testing import CliRunner

from saring import progress
from saring.cli import progress_display
from saring.cli.main import app
from saring.cli.progress_display import shown_progress

SEEDS = sorted((Path(__file__).resolve().parent.parent / "sample" / "seed_articles").glob("*.txt"))


def test_an_ingest_reports_every_stage_and_finishes_each(sample_config, db_path, scorer):
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    tally = progress.Tally()
    with Store(db_path) as store, progress.reporting(tally):
        summary = run_ingest(sample_config, store, scorer=scorer)
    sources = len(sample_config.enabled_sources)
    assert tally.totals[progress.SOURCES] == tally.done[progress.SOURCES] == sources
    new = sum(r.new_items for r in summary.results)
    assert 0 < tally.totals[progress.FETCHED] == tally.done[progress.FETCHED] <= new
    extracted = tally.done[progress.EXTRACTED]
    assert 0 < tally.totals[progress.EXTRACTED] == extracted <= tally.done[progress.FETCHED]
    assert tally.totals[progress.SCORED] == tally.done[progress.SCORED] == summary.scored > 0
    assert progress.current() is progress.SILENT  # the block's reporter is gone afterwards


def test_bars_are_drawn_on_a_terminal_and_nothing_elsewhere():
    screen = io.StringIO()
    with shown_progress(Console(file=screen, force_terminal=True, width=100), force=True):
        progress.current().add(progress.SOURCES, 3)
        progress.current().advance(progress.SOURCES, 3)
    assert "sources read" in screen.getvalue() and "3/3" in screen.getvalue()

    log = io.StringIO()  # a log file, a pipe, CI: not a terminal
    with shown_progress(Console(file=log)) as reporter:
        assert reporter is progress.SILENT
        progress.current().add(progress.SOURCES, 3)
    assert log.getvalue() == ""
    # FORCE_COLOR makes Rich treat CI logs as a terminal; bars still need a real TTY.
    assert not progress_display.on_terminal(Console(file=io.StringIO(), force_terminal=True))


def test_cli_ingest_shows_progress_on_a_terminal(sample_site, tmp_path, monkeypatch):
    from saring.pipeline.demo import write_demo_sources

    # Not on a terminal (CliRunner), the same command draws nothing: test_cli's
    # test_ingest_digest_query checks that on its own ingest.
    cfg = str(write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url))
    runner = CliRunner()
    monkeypatch.setattr(progress_display, "on_terminal", lambda console: True)
    shown = runner.invoke(app, ["ingest", "--sources", cfg, "--db", str(tmp_path / "b.duckdb")])
    assert shown.exit_code == 0, shown.output
    for stage in (progress.SOURCES, progress.FETCHED, progress.EXTRACTED, progress.SCORED):
        assert stage in shown.output, shown.output


def test_a_large_file_is_scored_in_parts_with_the_same_result(scorer):
    from saring.cli.models import _score_in_parts
    from saring.judge.scorefile import score_frame

    texts = [p.read_text(encoding="utf-8") for p in SEEDS] * 5 + ["", None]
    frame = pd.DataFrame({"id": range(len(texts)), "text": texts})
    whole = score_frame(scorer, frame, "text")
    pd.testing.assert_frame_equal(_score_in_parts(scorer, frame, "text", part=3), whole)
