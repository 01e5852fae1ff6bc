"""Model commands: score, evaluate, label export/import, train, model list/promote/rollback, rescore."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from saring.cli.base import DB_OPT, SOURCES_OPT, app, err, fail, need_db, out, shown
from saring.errors import SaringError

label_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Export items for the forum to label; import their labels.",
)
model_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="List, promote and roll back model versions.",
)
app.add_typer(label_app, name="label")
app.add_typer(model_app, name="model")


SCORE_PART = 20_000  # rows per part of `saring score`: a progress step every few seconds
# Names Excel and LibreOffice open as workbooks: a CSV written under one is refused by Excel.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def _scorer():
    from saring.judge.classifier.score import load_scorer

    try:
        return load_scorer()
    except SaringError as exc:
        fail(str(exc))


@app.command()
def score(
    input_file: str = typer.Argument(
        ..., metavar="IN", help="CSV (UTF-8, or Excel's UTF-16 'Unicode Text') or .parquet file; - for stdin"
    ),
    text_column: str = typer.Option("text", "--text-column", help="column holding the text"),
    output: str = typer.Option("-", "--output", "-o", help="output .csv or .parquet; - for CSV on stdout"),
) -> None:
    """Add election_score, hoax_score and hoax_reasons to every row of a table.

    Other columns are kept as they are; rows with empty text get empty scores.

    Example: saring score articles.csv --text-column text --output scored.csv
    """
    from saring.judge.scorefile import find_column, read_table, same_file, write_table

    if Path(output).suffix.lower() in WORKBOOK_SUFFIXES:
        fail(f"saring score writes a CSV (Excel and LibreOffice open it) or a .parquet file; give e.g. "
             f"-o {Path(output).with_suffix('.csv').name}")
    if "-" not in (input_file, output) and same_file(input_file, output):
        other = Path(input_file)
        fail(f"-o {output} is the input file {input_file}: saring score does not write over what it reads; "
             f"give another name, e.g. -o {other.with_name(f'{other.stem}_scored{other.suffix}').name}")
    try:
        frame = read_table(input_file, text_column)
        text_column = find_column(frame, text_column, input_file, "--text-column")
        scorer = _scorer()
        result = _score_in_parts(scorer, frame, text_column)
        write_table(result, output)
    except SaringError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    if output != "-":
        err.print(f"{len(result)} rows scored with {scorer.model_version} -> {output}", highlight=False)


def _score_in_parts(scorer, frame, text_column: str, part: int = SCORE_PART):
    """``score_frame`` part by part, so a large file shows rows scored on a terminal.

    Rows are scored one by one, so the parts joined equal one call on the whole table.
    """
    import pandas as pd

    from saring.cli.progress_display import shown_progress
    from saring.judge.scorefile import score_frame

    if len(frame) <= part:
        return score_frame(scorer, frame, text_column)
    with shown_progress() as report:
        report.add("rows scored", len(frame))
        parts = []
        for start in range(0, len(frame), part):
            parts.append(score_frame(scorer, frame.iloc[start:start + part], text_column))
            report.advance("rows scored", len(parts[-1]))
    return pd.concat(parts)


@app.command()
def evaluate(
    labels_file: str = typer.Argument(..., metavar="LABELS", help="CSV/parquet with text and 0/1 labels"),
    task: str = typer.Option(..., "--task", help="hoax or election"),
    text_column: str = typer.Option("text", "--text-column", help="column holding the text"),
    label_column: str = typer.Option("label", "--label-column", help="column holding the 0/1 label"),
    threshold: float = typer.Option(
        0.5, "--threshold", min=0.0, max=1.0,
        help="score (0 to 1) at or above which an item counts as positive",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
) -> None:
    """Measure the current model on labelled data: precision, recall, F1, ROC-AUC, Brier, confusion matrix.

    Example: saring evaluate classifiers/data/heldout/hoax_cross_topic.csv --task hoax
    """
    from saring.judge.evaluate import evaluate_file, format_metrics

    scorer = _scorer()
    try:
        m = evaluate_file(scorer, labels_file, task, text_column, label_column, threshold)
    except SaringError as exc:
        fail(str(exc))
    out.print(json.dumps(m, indent=2) if as_json else format_metrics(m), highlight=False, soft_wrap=True)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date like 2026-11-25")


@label_app.command("export")
def label_export(
    output: Path = typer.Option(..., "--output", "-o", help="CSV to write"),
    day: str = typer.Option(None, "--date", help="only items published (or, with no date, first "
                            "seen) on this day, on the forum's clock (schedule.timezone)"),
    since: str = typer.Option(None, "--since", help="only items published (or first seen) from this day on"),
    limit: int = typer.Option(200, "--limit", min=1, help="at most this many items (1 or more)"),
    db: Path = DB_OPT,
    sources: Path = SOURCES_OPT,
) -> None:
    """Write items for the forum to label, most informative first.

    Example: saring label export --since 2026-11-20 -o to_label.csv
    """
    from saring.context import resolved
    from saring.judge.labels import export_candidates, labels_not_stored, write_label_file
    from saring.storage.database import Store

    d, s = _day(day, "--date"), _day(since, "--since")
    if output.suffix.lower() in WORKBOOK_SUFFIXES:
        fail(f"label export writes a CSV file (Excel and LibreOffice open it); give e.g. "
             f"-o {output.with_suffix('.csv').name}")
    try:
        setup = resolved(db, sources)
        need_db(setup.db)
        with Store(setup.db) as store:
            # a filled-in export saved back under the same name, not imported yet: the forum's work
            if unstored := labels_not_stored(store.con, output):
                fail(f"{output} holds {unstored} labels that are not in the database yet; import it "
                     f"first (saring label import {output} --by ...) or write the new export to another "
                     f"file with -o")
            frame = export_candidates(store.con, day=d, since=s, limit=limit, zone=setup.timezone)
    except (SaringError, OSError) as exc:
        fail(str(exc))
    try:
        write_label_file(frame, output)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    out.print(f"{len(frame)} items to label -> {output} (fill the 'hoax' and 'election' columns with 1 or 0)")


@label_app.command("import")
def label_import(
    labels_file: Path = typer.Argument(..., metavar="LABELED", help="the filled-in CSV"),
    by: str = typer.Option(..., "--by", help="who labelled (name or organisation)"),
    db: Path = DB_OPT,
) -> None:
    """Validate a labelled CSV and store its valid rows (with who and when).

    Example: saring label import labeled.csv --by "Bawaslu Kota Batu"
    """
    from saring.judge.labels import import_labels
    from saring.storage.database import Store

    db = need_db(db)
    try:
        with Store(db) as store:
            result = import_labels(store.con, labels_file, by)
    except SaringError as exc:
        fail(str(exc))
    for p in result.problems:
        err.print(f"  {p}", highlight=False, soft_wrap=True)
    out.print(
        f"{result.stored_rows} rows stored ({result.stored_labels} labels, batch {result.batch_id}); "
        f"{result.refused_rows} rows refused; {result.skipped_empty} rows had no label"
        + (f"; {result.already_rows} rows already stored." if result.already_rows else ".")
    )
    if result.purged_forwards:
        out.print(f"{result.purged_forwards} rows passed over: forwarded messages whose text retention "
                  "deleted after the export (only a placeholder is left, nothing to train on).")
    if result.problems:
        raise typer.Exit(1)


@app.command()
def train(
    db: Path = DB_OPT,
    tolerance: float = typer.Option(None, "--tolerance", help="gate tolerance on ROC-AUC (default 0.01)"),
    max_base_rows: int = typer.Option(None, "--max-base-rows", help="subsample the base data (smoke tests)"),
    no_promote: bool = typer.Option(False, "--no-promote", help="train and evaluate only"),
) -> None:
    """Retrain on base data + forum labels; promote only if not worse on held-out ROC-AUC.

    Example: saring train --db data/saring.duckdb
    """
    from saring.cli.progress_display import shown_progress
    from saring.judge.classifier.training import GATE_TOLERANCE, retrain

    db = need_db(db)  # a model trained without the forum's labels would be promoted as if with them
    try:
        with shown_progress():  # evaluate the current version, fit, evaluate the new one
            r = retrain(db, tolerance=GATE_TOLERANCE if tolerance is None else tolerance,
                        max_base_rows=max_base_rows, promote_if_better=not no_promote)
    except SaringError as exc:
        fail(str(exc))
    out.print(f"Trained {r.version}: {r.reason}", highlight=False, soft_wrap=True)
    out.print(f"{r.forum_summary()}.", highlight=False, soft_wrap=True)
    out.print(f"{r.floor_summary()}.", highlight=False, soft_wrap=True)
    if r.promoted:
        out.print(f"Promoted {r.version} (was {r.current_version}). Run `saring rescore` to re-score "
                  "stored articles.", highlight=False, soft_wrap=True)
    elif r.gate_passed:
        out.print(f"The gate passed; not promoted, as --no-promote asked: the current model stays "
                  f"{r.current_version}. To use the new one: saring model promote {r.version}",
                  highlight=False, soft_wrap=True)
    else:
        out.print(f"Not promoted; current model stays {r.current_version}.")


@model_app.command("list")
def model_list() -> None:
    """List model versions; * marks the current one.

    Example: saring model list
    """
    from saring.judge.classifier import registry

    table = Table()
    for col in ("", "version", "hoax", "election", "gate"):
        table.add_column(col, overflow="fold")
    for v in registry.list_versions():
        gate = v.get("gate") if isinstance(v.get("gate"), dict) else {}
        table.add_row(
            "*" if v["current"] else "",
            v["version"],
            v.get("hoax_version") or "",
            v.get("election_version") or "",
            f"? ({', '.join(v['unreadable'])} unreadable)" if v.get("unreadable")
            else ("passed" if gate.get("passed") else "refused") if gate else "shipped",
        )
    out.print(table)


@model_app.command("promote")
def model_promote(
    version: str = typer.Argument(..., help="a version from `saring model list`, or 'shipped'"),
) -> None:
    """Make a version current (scores from then on carry its version).

    Example: saring model promote v20261125-101500
    """
    from saring.judge.classifier import registry
    from saring.judge.classifier.score import load_scorer

    try:
        if version != registry.SHIPPED and registry.version_dir(version).is_dir():
            # the whole scorer must build from it; the current one broken is left by a rollback
            load_scorer(registry.version_dir(version), registry.roll_back_from(version)
                        if version == registry.current_version() else registry.not_promotable(version))
        previous = registry.promote(version)
    except SaringError as exc:
        fail(str(exc))
    gate = registry.bundle_info(version).get("gate")
    if isinstance(gate, dict) and gate.get("passed") is False:  # not blocked: the maintainer may know better
        err.print(Text.assemble(
            ("WARNING:", "bold red"),
            f" the retrain gate refused {version} against {shown(gate.get('current_version', '?'))}: "
            f"{shown(gate.get('reason', '?'))}. Promoted as asked; `saring model rollback` undoes it.",
        ), highlight=False)
    out.print(f"Current model: {version} (was {previous}). Run `saring rescore` to re-score stored articles.")


@model_app.command("rollback")
def model_rollback() -> None:
    """Go back to the version that was current before the last promotion.

    Example: saring model rollback
    """
    from saring.judge.classifier import registry
    from saring.judge.classifier.score import load_scorer

    try:
        target = registry.rollback_target()
        # the whole scorer must build from it, as for promote (a structure this saring no longer reads)
        load_scorer(registry.version_dir(target), registry.cannot_roll_back_to(target))
        version = registry.rollback()
    except SaringError as exc:
        fail(str(exc))
    out.print(f"Current model: {version}. Run `saring rescore` to re-score stored articles.")


@app.command()
def rescore(db: Path = DB_OPT) -> None:
    """Score every stored article with the current model (older versions' scores are kept),
    also those it scored before another version did (after a rollback, its scores are shown again).

    Example: saring rescore --db data/saring.duckdb
    """
    from saring.cli.progress_display import shown_progress
    from saring.pipeline.ingest import score_pending
    from saring.storage.database import Store

    db = need_db(db)
    scorer = _scorer()
    try:
        with Store(db) as store, shown_progress():
            n = score_pending(store, scorer, served=True)
            store.publish_snapshot()
    except SaringError as exc:
        fail(str(exc))
    out.print(f"{n} articles scored with {scorer.model_version}.")
