"""Pipeline commands: ingest, serve, query."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from saring.cli.base import DB_OPT, SOURCES_OPT, app, err, fail, out, setup_logging, shown, warn_if_public
from saring.config import DEFAULT_DIGESTS
from saring.errors import SaringError


def _summary_table(summary) -> Table:
    table = Table(title=f"Ingest run {summary.run_id}")
    for col in ("source", "status", "new", "extracted", "no page text", "why"):
        table.add_column(col, overflow="fold")
    for r in summary.results:
        why = r.error or r.warning or ""
        style = "red" if r.status == "failed" else None
        table.add_row(r.source_id, r.status, str(r.new_items), str(r.extracted), str(r.failed),
                      shown(why), style=style)
    return table


@app.command()
def ingest(
    sources: Path = SOURCES_OPT,
    db: Path = DB_OPT,
    only: list[str] = typer.Option(None, "--only", help="ingest just this source id (repeatable)"),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="log each step (INFO) to stderr, not only warnings and errors"),
) -> None:
    """Read every enabled feed, store new articles, score them.

    Example: saring ingest --sources sources.yaml --db data/saring.duckdb
    """
    setup_logging(verbose)
    from saring.cli.progress_display import shown_progress
    from saring.config import load_config
    from saring.pipeline.ingest import check_only, run_ingest
    from saring.storage.database import Store

    try:
        config = load_config(sources)
        if only:  # a mistyped id would be dropped and the source believed read
            check_only(config, only, sources)
        with Store(db) as store, shown_progress():
            summary = run_ingest(config, store, only=only or None)
    except SaringError as exc:
        fail(str(exc))
    out.print(_summary_table(summary))
    out.print(f"{summary.scored} articles scored.")
    if summary.scoring_error:
        err.print(Text.assemble(("Scoring failed:", "bold red"), " ", shown(summary.scoring_error)),
                  highlight=False)
    if not summary.results:
        fail("no enabled source matched", 2)
    if not summary.ok:
        fail("every source failed; see the table above", 1)



@app.command()
def serve(
    sources: Path = SOURCES_OPT,
    db: Path = DB_OPT,
    out_dir: Path = typer.Option(DEFAULT_DIGESTS, "--out",
                                 help="the daily digest's archive folder (files per date + index.html)"),
    weekly_out: Path = typer.Option(None, "--weekly-out",
                                    help="the weekly reports' folder (default: 'weekly' next to --out)"),
    archive: Path = typer.Option(None, "--archive",
                                 help="serve only this digest archive folder over HTTP (no schedules)"),
    port: int = typer.Option(8000, "--port", help="with --archive: the port"),
    host: str = typer.Option("127.0.0.1", "--host", help="with --archive: the address to listen on"),
) -> None:
    """Run the flows on their schedules (settings.schedule in the sources file: by default ingest hourly,
    digest at 06:00, weekly report Monday 07:00, on the forum's clock, schedule.timezone).

    With --archive DIR, serve only the digest archive for browsers instead (Ctrl-C stops).

    \b
    Example: saring serve --sources sources.yaml
    Example: saring serve --archive data/digests --port 8000
    """
    if archive is not None:
        from saring.report.archive import ArchiveServer

        warn_if_public(host, port, "can read every digest in the archive")
        try:
            server = ArchiveServer(archive, host, port)
        except FileNotFoundError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        out.print(f"Digest archive {shown(server.root)} at {server.url} (Ctrl-C stops)", highlight=False)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return
    from saring.context import resolved

    try:
        setup = resolved(db, sources, require_sources=True)
    except SaringError as exc:
        fail(str(exc))
    from flows.serve import serve_all

    serve_all(setup.config, str(setup.sources.resolve()), str(setup.db.resolve()), str(out_dir.resolve()),
              str(weekly_out.resolve()) if weekly_out else None)



def _changes(sql: str) -> bool:
    """Whether ``sql`` tries to change rows or tables (an analyst's UPDATE on a view of the copy)."""
    import duckdb

    try:
        with duckdb.connect() as con:
            kinds = {s.type.name for s in con.extract_statements(sql)}
    except duckdb.Error:
        return False
    return bool(kinds & {"INSERT", "UPDATE", "DELETE", "DROP", "ALTER"})


# statements that answer with rows (SELECT also covers FROM, WITH, VALUES, DESCRIBE, SHOW)
_ROW_STATEMENTS = frozenset({"SELECT", "EXPLAIN", "CALL"})


def _unshown_queries(con, sql: str) -> int:
    """The number of statements in ``sql`` when one before the last answers with rows that would
    not be shown, else 0 (SET or CREATE TEMP TABLE only prepare the last). A parse error is left
    to execute() to report."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error:
        return 0
    return len(statements) if any(s.type.name in _ROW_STATEMENTS for s in statements[:-1]) else 0


def _sql_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # Notepad saves UTF-8 with a BOM
    except FileNotFoundError:
        problem = f"no SQL file at {path}"
    except UnicodeDecodeError:
        problem = f"{path} is not UTF-8 text: save it as UTF-8 and run again"
    except OSError as exc:  # a folder, no permission
        problem = f"cannot read {path}: {exc.strerror or exc}"
    fail(problem)
    return ""  # not reached: fail() exits


@app.command()
def query(
    sql: str = typer.Argument(None, help="SQL to run on the newest snapshot"),
    db: Path = DB_OPT,
    csv: bool = typer.Option(False, "--csv", help="print CSV instead of a table"),
    file: Path = typer.Option(None, "--file", "-f", help="read the SQL from this file (UTF-8)"),
    sources: Path = SOURCES_OPT,
) -> None:
    """Query the analysts' snapshot (never blocks the running flows).

    Times, and the days of source_daily, story_daily and rumour_lifecycle, are on the forum's
    clock (settings.schedule.timezone in the sources file, WIB unless set).

    Example: saring query "SELECT title, hoax_score FROM item_overview ORDER BY 2 DESC LIMIT 5"

    Example: saring query --file kueri.sql --csv > hasil.csv
    """
    import duckdb

    from saring.storage.database import connect_snapshot

    if file is not None:
        if sql is not None:
            fail("give either a SQL query or --file, not both")
        sql = _sql_file(file)
    if not (sql or "").strip():
        fail('give a SQL query, e.g. saring query "SELECT count(*) FROM items", or --file q.sql')
    from saring.context import resolved
    from saring.localtime import TIME_ZONE

    try:
        zone = resolved(db, sources).timezone  # the forum's clock, as its digest's
    except SaringError as exc:
        if sources is not None:  # named: that file is wanted
            fail(str(exc))
        # Read only for the clock: a maintainer halfway through an edit does not stop an
        # analyst, as with saring.connect().
        err.print(f"Warning: days are counted in WIB: {shown(str(exc))}", highlight=False)
        zone = TIME_ZONE
    try:
        con = connect_snapshot(db, zone)
        if csv:
            # DuckDB draws its progress bar on stdout once a query has run 2 s, and a streamed
            # query runs until its last row is written: the bar would end up inside the CSV.
            con.execute("SET enable_progress_bar = false")
        statements = _unshown_queries(con, sql)
        if statements:  # DuckDB runs them all but returns the last one's rows only
            fail(f"the SQL holds {statements} statements and saring query shows only the last one's rows: "
                 "run the queries one at a time")
        result, nulls, _held = _run_as_shown(con, sql)  # _held: what the result reads, kept to the end
        if result is None or result.description is None:  # only a comment or ";": no table
            fail("the query returned no table (is it only a comment?)")
        huge = [str(d[1]) == "HUGEINT" for d in result.description]
        if csv:
            _print_csv(result, huge, nulls)
        else:
            _print_table(_readable(result.df(), huge, nulls))
    except SaringError as exc:
        fail(str(exc))
    except duckdb.Error as exc:  # also one met after the first rows were written (a bad cast)
        # DuckDB's own words ("Can only update base table") read as a broken table; its refusal
        # of a CREATE (or DROP, IMPORT) is matched by its text: a TEMP table's typo is no change
        if _changes(sql) or "attached in read-only mode" in str(exc):
            fail(f"the analysts' copy is read-only: saring query cannot change it ({exc})")
        fail(f"the query failed: {exc}")
    except BrokenPipeError:  # `| head` has all it wants: end quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        raise typer.Exit(0) from None


_CHUNK_VECTORS = 10  # DuckDB vectors of 2048 rows: some 20,000 rows in memory at a time

# Types pandas gets wrong (a DECIMAL(38,9) as a rounded float, 14 months as "420 days", a BLOB as
# bytearray(b'...')) or cannot hold ('infinity'::DATE, TIME WITH TIME ZONE) are fetched as DuckDB's
# own text; the NULL each printed as before (NaN for the rest, as a text column prints it).
_AS_DUCKDB_TEXT = {"decimal": None, "interval": "NaT", "blob": "NA", "date": "NaT",
                   "time with time zone": None}


def _run_as_shown(con, sql: str):
    """Run ``sql`` once; when its last statement is a SELECT, the columns of _AS_DUCKDB_TEXT come
    as DuckDB's text. Returns the result, the NULL to show in each column (None: as fetched), and
    the relation the result reads, to keep until it is read. Any other last statement (EXPLAIN,
    CALL, PIVOT, an UPDATE to refuse) or SQL that does not parse runs as it is, as before."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error:
        statements = []
    if not statements or statements[-1].type.name != "SELECT":
        return con.execute(sql), [], None
    # con.sql runs the statements before the last and only binds a reading SELECT (one that writes,
    # as with nextval, it runs now and holds): the query made from it runs the last one once.
    relation = con.sql(sql)
    kinds = [kind.id for kind in relation.types]
    if any(kind in _AS_DUCKDB_TEXT for kind in kinds):
        relation = relation.project(", ".join(
            f'CAST(#{i} AS VARCHAR) AS "{name.replace(chr(34), 2 * chr(34))}"'  # the name as it was
            if kind in _AS_DUCKDB_TEXT else f"#{i}"
            for i, (name, kind) in enumerate(zip(relation.columns, kinds, strict=True), 1)))
    return con.execute(relation.sql_query()), [_AS_DUCKDB_TEXT.get(kind) for kind in kinds], relation


def _nulls_as_before(frame, nulls: list):
    import pandas as pd

    placeholders = {"NaT": pd.NaT, "NA": pd.NA}
    for i, null in enumerate(nulls):
        values = frame.iloc[:, i]
        if null is not None and values.isna().any():
            frame.isetitem(i, values.astype(object).where(values.notna(), placeholders[null]))
    return frame


# DuckDB's 'infinity' and '-infinity' times, as the integers pandas is given
_INFINITE_TIMES = {2**63 - 1: "infinity", 1 - 2**63: "-infinity"}


def _readable(frame, huge: list[bool], nulls: list):
    return _nulls_as_before(_far_times(_whole_numbers(frame, huge)), nulls)


def _far_times(frame):
    """Time columns holding 'infinity' or, with a time zone, a year pandas cannot put on the
    forum's clock (past 9999), as text: pandas showed the first as a date in the year 294247,
    and failed on the others with a traceback. Other times in such a column print as before."""
    import numpy as np
    import pandas as pd

    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if values.dtype.kind != "M":
            continue
        ticks, unit, zone = values.array.asi8, values.array.unit, getattr(values.dtype, "tz", None)
        far = np.isin(ticks, list(_INFINITE_TIMES))
        if zone is not None and unit != "ns":  # in ns every tick is within 1677..2262
            low, high = (np.datetime64(f"{year:04}-01-01", unit).astype(np.int64) for year in (2, 9999))
            far |= (ticks != pd.NaT.value) & ((ticks < low) | (ticks >= high))
        if far.any():
            frame.isetitem(i, pd.Series([_far_time(tick, unit, zone) if is_far else values.iloc[j]
                                         for j, (tick, is_far) in enumerate(zip(ticks, far, strict=True))],
                                        index=frame.index, dtype=object))
    return frame


def _far_time(tick: int, unit: str, zone) -> str:
    import numpy as np

    if int(tick) in _INFINITE_TIMES:
        return _INFINITE_TIMES[int(tick)]
    text = str(np.datetime64(int(tick), unit)).replace("T", " ")
    if "." in text:  # whole seconds without ".000000", as pandas prints them
        text = text.rstrip("0").rstrip(".")
    return text + "+00" if zone is not None else text  # numpy knows no zone: in UTC, said so


def _whole_numbers(frame, huge: list[bool]):
    """HUGEINT columns (DuckDB's sum of integers, e.g. ``sum(items)``) as integers: pandas gets
    them as floats, and a count of six printed as 6.0. Values past 2**53 stay floats (not exact)."""
    for i, is_huge in enumerate(huge):
        values = frame.iloc[:, i]
        known = values.dropna()
        if is_huge and ((known % 1 == 0) & (known.abs() < 2**53)).all():
            frame.isetitem(i, values.astype("Int64"))
    return frame


def _shown_cell(value):
    import numpy as np

    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):  # a STRUCT or MAP
        return {_shown_cell(k): _shown_cell(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_shown_cell(v) for v in value)
    if isinstance(value, np.ndarray) and value.dtype == object:  # a LIST (printed as numpy does)
        cleaned = value.copy()
        for i, v in enumerate(value.flat):
            cleaned.flat[i] = _shown_cell(v)
        return cleaned
    return value


def _plain(value):
    """A LIST, STRUCT or MAP cell as plain Python values for JSON (NULL as None)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray):  # masked entries (NULLs in a list of numbers) become None
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "backslashreplace")
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


def _csv_cell(value):
    """A list or struct cell as JSON (numpy's ['a' 'b'] has no commas: nothing can read it back)."""
    import numpy as np

    if isinstance(value, np.ndarray | dict | list | tuple):
        return json.dumps(_plain(value), ensure_ascii=False, default=str)
    return value


def _print_csv(result, huge: list[bool], nulls: list) -> None:
    """The result as CSV, fetched and written _CHUNK_VECTORS x 2048 rows at a time: a million
    articles' texts, held whole (and converted cell by cell), outgrew an analyst's memory."""
    on_screen = sys.stdout.isatty()  # a file or a pipe gets the data exactly as stored
    header = True
    while True:
        frame = _readable(result.fetch_df_chunk(_CHUNK_VECTORS), huge, nulls)
        if frame.empty and not header:
            return
        frame = frame.map(_csv_cell)
        if on_screen:
            frame = frame.rename(columns=shown).map(_shown_cell)
        frame.to_csv(sys.stdout, index=False, header=header)
        header = False


def _print_table(frame) -> None:
    # Titles, texts and links come from feeds and chats: no terminal escape sequence may reach
    # the screen, from a text cell or from a list or struct (tipline_messages.urls).
    frame = frame.rename(columns=shown).map(_shown_cell)
    if frame.empty:  # pandas would say "Empty DataFrame / Columns: [...] / Index: []"
        out.print("  ".join(frame.columns), "\n(0 rows)", sep="", highlight=False, soft_wrap=True)
    else:
        # soft_wrap: a row stays one line (Rich would fold it at 80 columns in a file or pipe)
        out.print(frame.to_string(index=False, max_colwidth=60), highlight=False, soft_wrap=True)



sources_app = typer.Typer(help="Check the sources file and see each source's health.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def sources_check(sources: Path = SOURCES_OPT) -> None:
    """Validate the sources file without fetching anything.

    Example: saring sources check --sources sources.yaml
    """
    from saring.config import default_sources_path, load_config

    try:
        config = load_config(sources)
    except SaringError as exc:
        fail(str(exc))
    from saring.pipeline.sourcecheck import refused_sources, source_warnings

    problems = refused_sources(config)
    for problem in problems:
        err.print(Text.assemble(("Error:", "bold red"), " ", shown(problem)), highlight=False)
    # the warnings too: else a maintainer fixing the errors learns of them one run later
    for warning in source_warnings(config):
        err.print(Text.assemble(("Warning:", "bold yellow"), " ", shown(warning)), highlight=False)
    if problems:
        fail(f"{sources or default_sources_path()}: {len(problems)} source(s) would fail on every run; "
             "see above")
    enabled = len(config.enabled_sources)
    out.print(f"OK: {len(config.sources)} sources ({enabled} enabled).")


@sources_app.command("status")
def sources_status(db: Path = DB_OPT, sources: Path = SOURCES_OPT) -> None:
    """Per-source health: last success, consecutive failures, last error, items, silence.

    "today" and the times are on the forum's clock (settings.schedule.timezone, WIB unless set).

    Example: saring sources status --db data/saring.duckdb
    """
    from zoneinfo import ZoneInfo

    from saring.config import default_db_path
    from saring.context import resolved
    from saring.localtime import zone_label
    from saring.report.health import source_status
    from saring.storage.database import connect_snapshot

    try:
        zone = resolved(db, sources).timezone
        con = connect_snapshot(db)
    except SaringError as exc:
        fail(str(exc))
    table = Table(title="Source health")
    for col in ("source", "last status", f"last success ({zone_label(zone)})", "fails in a row", "today",
                "7 days", "silent?", "last error"):
        table.add_column(col, overflow="fold")
    statuses = source_status(con, zone=zone)
    for s in statuses:
        last_ok = (s.last_success_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
                   if s.last_success_at else "-")
        if not s.enabled:  # not read any more: its last failure or silence is not news (as the digest)
            table.add_row(f"{s.source_id} (off)", "switched off", last_ok, "-", str(s.items_today),
                          str(s.items_7d), "", "")
            continue
        style = "red" if s.last_status == "failed" else ("yellow" if s.silent else None)
        table.add_row(s.source_id, shown(s.last_status or "never read"),
                      last_ok, str(s.consecutive_failures), str(s.items_today), str(s.items_7d),
                      "yes" if s.silent else "", shown(s.last_error or ""), style=style)
    if not statuses:  # sources.yaml's sources reach the database with the first ingest
        out.print(f"No source has been read into this database yet ({db or default_db_path()}): "
                  "run `saring ingest` first.", soft_wrap=True)
        return
    out.print(table)
