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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from saring.filemodes import private_files

LOGGER = logging.getLogger(__name__)

# table -> the column whose time decides a row's bucket. Rows are only ever changed by an upsert
# that also sets that column to now (so a changed row moves to today's bucket, and the bucket it
# left changes its count and sum of times) -- except items.state, summed as a hash (EXTRA), and
# the tipline purge, which republishes everything (erase=True).
LARGE: dict[str, str] = {
    "items": "first_seen_at",
    "articles": "fetched_at",
    "scores": "scored_at",
    "item_place_scans": "scanned_at",
    "stories": "assigned_at",
}
EXTRA = {"items": "sum(hash(t.state)::HUGEINT)"}
# item_places has no time of its own: its rows are rewritten with the item's scan.
JOINED = {"item_places": ("item_place_scans", "item_id", "scanned_at")}
# The writer's own working tables, not for analysts: story grouping's kept term counts are
# large, derived and (for tipline items) a bag of the words of forwarded text.
INTERNAL = frozenset({"story_vectors"})
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


def _ts(value: datetime) -> str:
    return f"TIMESTAMPTZ {_quote(value.isoformat())}"


def _range(bucket: str) -> tuple[datetime, datetime] | None:
    """The time range of a bucket key: a day ``YYYY-MM-DD``, a month ``YYYY-MM``; None for 'none'."""
    if bucket == "none":
        return None
    if len(bucket) == 10:
        lo = datetime.strptime(bucket, "%Y-%m-%d").replace(tzinfo=UTC)
        return lo, lo + timedelta(days=1)
    lo = datetime.strptime(bucket, "%Y-%m").replace(tzinfo=UTC)
    return lo, (lo + timedelta(days=32)).replace(day=1)


class _Table:
    """How one large table is bucketed, fingerprinted and copied."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name in JOINED:
            other, key, column = JOINED[name]
            self.time = f"j.{column}"
            self.source = (f"{_ident(name)} t JOIN (SELECT {key}, {column} FROM {_ident(other)}) j "
                           f"USING ({key})")
        else:
            self.time = f"t.{LARGE[name]}"
            self.source = f"{_ident(name)} t"
        self.extra = EXTRA.get(name, "0")

    def where(self, bucket: str) -> str:
        span = _range(bucket)
        if span is None:
            return f"{self.time} IS NULL"
        return f"{self.time} >= {_ts(span[0])} AND {self.time} < {_ts(span[1])}"

    def _prints(self, where: str, group: str | None) -> list[tuple]:
        key = f"{group} AS b, " if group else ""
        tail = " GROUP BY b" if group else ""
        return self.con.execute(
            f"SELECT {key}count(*), sum(epoch_us({self.time}))::VARCHAR, ({self.extra})::VARCHAR "
            f"FROM {self.source} WHERE {where}{tail}").fetchall()

    def fingerprints(self, con: duckdb.DuckDBPyConnection, month_start: datetime,
                     old: dict[str, str] | None) -> tuple[dict[str, str], str]:
        """Bucket -> fingerprint, and the fingerprint of everything before ``month_start``.

        Rows before this month are summed in one cheap pass (the time column only, skipped by
        DuckDB's zone maps where it can); only when that sum moved (or ``old`` is None) are they
        grouped by month. This month's rows are grouped by day.
        """
        self.con = con
        ms = _ts(month_start)
        if self.name in JOINED:  # rows counted without the join: the scans' own totals decide
            other, key, column = JOINED[self.name]
            total = con.execute(f"SELECT count(*) FROM {_ident(self.name)}").fetchall()[0][0]
            recent = con.execute(
                f"SELECT count(*) FROM {self.source} WHERE {self.time} >= {ms}").fetchall()[0][0]
            scans = con.execute(f"SELECT count(*), sum(epoch_us({column}))::VARCHAR FROM {_ident(other)} "
                                f"WHERE {column} < {ms} OR {column} IS NULL").fetchall()[0]
            before = f"{total - recent}:{scans[0]}:{scans[1]}"
        else:
            n, total, extra = self._prints(f"{self.time} < {ms} OR {self.time} IS NULL", None)[0]
            before = f"{n}:{total}:{extra}"
        prints: dict[str, str] = {}
        if old is not None and old.get("_before") == before:
            prints.update({b: fp for b, fp in old.items() if b != "_before" and len(b) != 10})
        else:
            by_month = f"date_trunc('month', {self.time})"
            for b, n, total, extra in self._prints(f"{self.time} < {ms}", by_month):
                prints[b.strftime("%Y-%m")] = f"{n}:{total}:{extra}"
            for _, n, total, extra in self._prints(f"{self.time} IS NULL", "0"):
                prints["none"] = f"{n}:{total}:{extra}"
        for b, n, total, extra in self._prints(f"{self.time} >= {ms}", f"date_trunc('day', {self.time})"):
            prints[b.strftime("%Y-%m-%d")] = f"{n}:{total}:{extra}"
        return prints, before


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
    columns = {t: c for t, c in _columns(con).items() if t not in INTERNAL}
    tables: dict[str, dict[str, dict]] = {}
    written = kept = 0
    retired = [] if erase else list(old.get("retired", []))
    totals: dict[str, str] = {}
    for table in [t for t in (*LARGE, *JOINED) if t in columns]:
        before = {} if full else old.get("tables", {}).get(table, {})
        if before and old.get("shapes", {}).get(table) != ",".join(columns[table]):
            before = {}  # columns changed: every bucket is rewritten
        spec = _Table(table)
        known = {b: v["fingerprint"] for b, v in before.items()}
        known["_before"] = old.get("before", {}).get(table)
        prints, totals[table] = spec.fingerprints(con, month_start, known if before else None)
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
                con.execute(f"COPY (SELECT t.* FROM {spec.source} WHERE {spec.where(b)}) "
                            f"TO {target} (FORMAT parquet, COMPRESSION {COMPRESSION})")
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
                "shapes": shapes, "retired": retired, "before": totals}
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
    from saring.storage.schema import (
        CATALOG_COPY_TABLE,
        CATALOG_PARQUET_VIEW,
        CATALOG_PUBLICATION,
        CATALOG_VIEWS,
    )

    tmp = catalog.with_name(catalog.name + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    with private_files():
        out = duckdb.connect(str(tmp))
    try:
        out.execute("SET TimeZone = 'UTC'")
        out.begin()  # one commit, one sync: not one per table
        for table in columns:
            if table in tables and tables[table]:
                files = ", ".join(_quote(str(folder / v["file"])) for _, v in sorted(tables[table].items()))
                out.execute(CATALOG_PARQUET_VIEW.format(table=_ident(table), files=files))
                continue
            out.register("_rows", con.sql(f"SELECT * FROM {_ident(table)}").to_arrow_table())
            out.execute(CATALOG_COPY_TABLE.format(table=_ident(table), source="_rows"))
            out.unregister("_rows")
        out.execute(CATALOG_PUBLICATION)
        out.execute("INSERT INTO publication (version, published_at) VALUES (?, ?)", [version, now])
        out.execute(CATALOG_VIEWS)
        out.commit()
        out.execute("CHECKPOINT")
    finally:
        out.close()
    os.replace(tmp, catalog)  # readers holding the old catalog keep reading it
    with contextlib.suppress(OSError):
        tmp.with_name(tmp.name + ".wal").unlink()
