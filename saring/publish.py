"""The analysts' copy, published incrementally: Parquet partitions plus a small catalog file.

After each run the writer publishes what analysts read (``saring.connect()``, ``saring query``,
the notebooks, the desk) without ever opening its own database file a second time (DuckDB's
lock is a POSIX record lock: closing *any* descriptor of the file drops it).

Layout next to ``<db>.duckdb``:

* ``<db>.published/<table>/<bucket>.<n>.parquet`` — the large tables (items, articles,
  scores, places, stories, matches, evidence), one file per *bucket*: the UTC day of the row's
  own time column (``first_seen_at``, ``fetched_at``, ``scored_at``, …) for the current month,
  the month for older rows. A file is never rewritten in place: a changed bucket gets a new
  file and the old one is retired.
* ``<db>.snapshot.duckdb`` — the catalog: a small DuckDB file, replaced atomically, holding the
  small tables (sources, runs, digests, fact-checks, tipline messages, accounts, …) as tables, the
  large ones as views over their Parquet files, and the usual analysts' views on top.

Which buckets changed is found from a fingerprint per bucket (row count and XOR of row hashes
over every column except the long texts ``articles.text`` and ``items.summary``) kept in
``manifest.json``: computing it reads only short columns, so a run publishes the buckets it
touched (normally today's) and the cost does not grow with the history. The long texts change
only together with a fingerprinted column (an article re-stored gets a new ``fetched_at``) or
by a tipline purge, which republishes everything with ``erase=True``: every old file is deleted
at once, so nothing purged survives in any published file. Otherwise retired files are kept
for :data:`RETIRE_AFTER` seconds so that a reader still on the previous catalog can finish.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from saring.filemodes import private_files

LOGGER = logging.getLogger(__name__)

# table -> the column whose time decides a row's bucket (its own write time, so that a new or
# updated row lands in today's bucket, and the bucket it left changes its fingerprint too).
LARGE: dict[str, str] = {
    "items": "first_seen_at",
    "articles": "fetched_at",
    "scores": "scored_at",
    "item_place_scans": "scanned_at",
    "stories": "assigned_at",
    "factcheck_matches": "matched_at",
    "hoax_evidence": "updated_at",
}
# Long texts left out of the fingerprints (see the module docstring for why that is safe).
UNHASHED = {"articles": {"text"}, "items": {"summary"}}
# item_places has no time of its own: its rows are written with the item's scan.
JOINED = {"item_places": ("item_place_scans", "item_id", "scanned_at")}
RETIRE_AFTER = 600.0
COMPRESSION = "zstd"
FORMAT = 1  # bump when the layout changes: the next publication is then a full one


@dataclass(frozen=True)
class Publication:
    """What one publication did (for logs, tests and the benchmark)."""

    catalog: Path
    version: int
    written: int  # Parquet files written
    kept: int  # Parquet files reused from the previous publication
    seconds: float


def published_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + ".published")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        """SELECT c.table_name, c.column_name FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
           WHERE c.table_schema = 'main' AND c.table_catalog = current_database()
             AND t.table_type = 'BASE TABLE'
           ORDER BY c.table_name, c.ordinal_position""").fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def _bucket_sql(column: str, month_start: datetime) -> str:
    """Day buckets for the current month, month buckets before it (few files, small rewrites)."""
    return (f"CASE WHEN {column} IS NULL THEN 'none' "
            f"WHEN {column} >= TIMESTAMPTZ {_quote(month_start.isoformat())} "
            f"THEN strftime({column}, '%Y-%m-%d') ELSE strftime({column}, '%Y-%m') END")


def _source(table: str, columns: dict[str, list[str]], month_start: datetime) -> tuple[str, str]:
    """(FROM clause, bucket expression) of a large table."""
    if table in JOINED:
        other, key, column = JOINED[table]
        return (f"{_ident(table)} t LEFT JOIN (SELECT {key}, {column} AS _at FROM {_ident(other)}) j "
                f"USING ({key})", _bucket_sql("j._at", month_start))
    return f"{_ident(table)} t", _bucket_sql(f"t.{LARGE[table]}", month_start)


def _fingerprints(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list[str]],
                  month_start: datetime) -> dict[str, str]:
    source, bucket = _source(table, columns, month_start)
    hashed = [f"t.{_ident(c)}" for c in columns[table] if c not in UNHASHED.get(table, set())]
    rows = con.execute(
        f"SELECT {bucket} AS b, count(*), bit_xor(hash({', '.join(hashed)})) FROM {source} GROUP BY b"
    ).fetchall()
    return {b: f"{n}:{h}" for b, n, h in rows}


def _load_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def publish(con: duckdb.DuckDBPyConnection, db_path: Path, catalog: Path, schema_version: int,
            full: bool = False, erase: bool = False, now: datetime | None = None) -> Publication:
    """Publish the analysts' copy of ``con``'s database: changed buckets, then a new catalog.

    Args:
        con: the writer's connection (session time zone UTC).
        db_path: the database file (names the published folder; never opened here).
        catalog: where the catalog goes (replaced atomically).
        full: rewrite every bucket (a new schema, a changed layout).
        erase: delete every superseded file at once, and rewrite everything (tipline purge).

    Raises:
        duckdb.Error, OSError: a file could not be written; the previous catalog stays in place.
    """
    t0 = time.perf_counter()
    now = now or datetime.now(UTC)
    month_start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    folder = published_dir(db_path)
    with private_files():
        folder.mkdir(exist_ok=True)
    old = _load_manifest(folder)
    if old.get("format") != FORMAT or old.get("schema") != schema_version:
        full = True
    full = full or erase
    version = int(old.get("version", 0)) + 1
    columns = _columns(con)
    tables: dict[str, dict[str, dict]] = {}
    written = kept = 0
    retired = [] if erase else list(old.get("retired", []))
    for table in [t for t in (*LARGE, *JOINED) if t in columns]:
        before = {} if full else old.get("tables", {}).get(table, {})
        shape = ",".join(columns[table])
        if before and old.get("shapes", {}).get(table) != shape:
            before = {}  # columns changed: every bucket is rewritten
        prints = _fingerprints(con, table, columns, month_start)
        source, bucket = _source(table, columns, month_start)
        now_buckets: dict[str, dict] = {}
        for b, fp in sorted(prints.items()):
            prev = before.get(b)
            if prev and prev["fingerprint"] == fp and (folder / prev["file"]).exists():
                now_buckets[b] = prev
                kept += 1
                continue
            name = f"{table}/{b}.{version}.parquet"
            with private_files():
                (folder / table).mkdir(exist_ok=True)
                target = _quote(str(folder / name))
                con.execute(f"COPY (SELECT t.* FROM {source} WHERE {bucket} = ?) "
                            f"TO {target} (FORMAT parquet, COMPRESSION {COMPRESSION})", [b])
            now_buckets[b] = {"file": name, "fingerprint": fp}
            written += 1
        in_use = {v["file"] for v in now_buckets.values()}
        for prev in old.get("tables", {}).get(table, {}).values():
            if prev["file"] not in in_use:
                retired.append({"file": prev["file"], "at": time.time()})
        tables[table] = now_buckets
    shapes = {t: ",".join(columns[t]) for t in tables}
    _write_catalog(con, folder, catalog, columns, tables, version, now)
    manifest = {"format": FORMAT, "schema": schema_version, "version": version, "tables": tables,
                "shapes": shapes, "retired": retired}
    in_use = {v["file"] for buckets in tables.values() for v in buckets.values()}
    manifest["retired"] = _delete_retired(folder, retired, erase, in_use)
    _write_json(folder / "manifest.json", manifest)
    took = time.perf_counter() - t0
    LOGGER.info("published %s v%d: %d files written, %d kept (%.2f s)", catalog, version, written, kept, took)
    return Publication(catalog=catalog, version=version, written=written, kept=kept, seconds=took)


def _delete_retired(folder: Path, retired: list[dict], erase: bool, in_use: set[str]) -> list[dict]:
    """Delete files retired long enough ago (or all of them, and every stray file, on ``erase``)."""
    keep = []
    for entry in retired:
        if erase or time.time() - entry["at"] >= RETIRE_AFTER:
            (folder / entry["file"]).unlink(missing_ok=True)
        else:
            keep.append(entry)
    if erase:  # also files of an interrupted publication, which no manifest lists
        for path in folder.glob("*/*.parquet"):
            if path.relative_to(folder).as_posix() not in in_use:
                path.unlink(missing_ok=True)
    return keep


def _write_catalog(con: duckdb.DuckDBPyConnection, folder: Path, catalog: Path,
                   columns: dict[str, list[str]], tables: dict[str, dict[str, dict]],
                   version: int, now: datetime) -> None:
    """A fresh catalog file: small tables copied, large ones as views over their Parquet files."""
    from saring.schema import STORY_VIEWS, VIEWS

    tmp = catalog.with_name(catalog.name + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    with private_files():
        out = duckdb.connect(str(tmp))
    try:
        out.execute("SET TimeZone = 'UTC'")
        for table in columns:
            if table in tables and tables[table]:
                files = ", ".join(_quote(str(folder / v["file"])) for _, v in sorted(tables[table].items()))
                out.execute(f"CREATE VIEW {_ident(table)} AS SELECT * FROM read_parquet([{files}])")
                continue
            data = con.sql(f"SELECT * FROM {_ident(table)}").to_arrow_table()  # noqa: F841 (read by name)
            out.execute(f"CREATE TABLE {_ident(table)} AS SELECT * FROM data")
        out.execute("CREATE TABLE publication (version INTEGER, published_at TIMESTAMPTZ)")
        out.execute("INSERT INTO publication VALUES (?, ?)", [version, now])
        out.execute(VIEWS + STORY_VIEWS)
        out.execute("CHECKPOINT")
    finally:
        out.close()
    os.replace(tmp, catalog)  # readers holding the old catalog keep reading it
    with contextlib.suppress(OSError):
        tmp.with_name(tmp.name + ".wal").unlink()
