"""The analysts' copy, published incrementally: Parquet files plus a small catalog file.

After each run the writer publishes what analysts read (``saring.connect()``, ``saring query``,
the notebooks, the desk) without ever opening its own database file a second time (DuckDB's
lock is a POSIX record lock: closing *any* descriptor of the file drops it).

Layout next to ``<db>.duckdb``:

* ``<db>.published/<table>/<bucket>.<n>.parquet`` — the large tables (items, articles,
  scores, places, stories), one file per *bucket*: the UTC day of the row's own time column
  (``first_seen_at``, ``fetched_at``, ``scored_at``, …) for the current month, the month for
  older rows. A file is never rewritten in place: a changed bucket gets a new file and the old
  one is retired.
* ``<db>.published/<table>/<bucket>.<shape>.parquet`` — the runs' log (``runs`` by
  ``started_at``, ``run_sources`` with its run), bucketed the same way, but a changed bucket is
  rewritten at its stable path, as a small table's file is: every run adds to today's bucket.
* ``<db>.published/_small/<table>.<shape>.parquet`` — each small table (sources, digests,
  fact-checks, tipline messages, labels, …) whole, at a stable path (``<shape>`` is a hash of
  its columns and their types), and ``publication.parquet`` (this publication's version and
  time). A file is rewritten only when its table changed, into a temporary file that then
  replaces it (``os.replace``: a reader in the middle of a query keeps the old file).
* ``<db>.snapshot.duckdb`` — the catalog: a small DuckDB file of views over those files (and the
  usual analysts' views on top), replaced atomically, and only when what it names changed (the
  file lists, a table's columns, the schema version, this layout). Creating and checkpointing
  even an empty DuckDB file costs tens of milliseconds, so a run on unchanged feeds (its own
  rows in today's runs' log, the sources' state) costs the few files it rewrote.

Which buckets changed is found from a fingerprint per bucket (row count and sum of the time
column, plus a hash of the columns a later write changes in place: :data:`EXTRA`; a table whose
rows change only with a parent row takes the parent's: :data:`JOINED`) kept in
``manifest.json``: computing it reads only short columns, so a run publishes the buckets it
touched (normally today's) and the cost does not grow with the history. The long texts change
only together with a fingerprinted column (an article re-stored gets a new ``fetched_at``) or
by a tipline purge, which republishes everything with ``erase=True``: every old file is deleted
at once and every small file rewritten, so nothing purged survives in any published file.
Otherwise retired files are kept for :data:`RETIRE_AFTER` seconds, and after that for as long as
a session (of any process, the publishing one too) still has open a catalog that names them
(``_catalogs/`` keeps a hard link to each catalog written; DuckDB holds a shared lock on a file it
reads), so that a notebook left open across runs keeps working. A small table's fingerprint is
its row count and the sum of the hashes of all its columns' values (they are small: one pass over
each).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import duckdb

from saring.collect.scrub import MASK_EMAIL, MASK_PHONE
from saring.filemodes import private_files
from saring.storage.logins import current_logins, write_logins

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

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
    "runs": "started_at",
}
EXTRA = {
    "items": "sum(hash(t.state)::HUGEINT)",
    # a run's row is finished (or marked interrupted) after it started, in its start's bucket
    "runs": "sum(hash(t.flow, t.finished_at, t.status, t.sources_ok, t.sources_failed, t.new_items, "
            "t.message)::HUGEINT)",
}
# item_places has no time of its own: its rows are rewritten with the item's scan, in one
# transaction that sets the scan's time. A run's per-source rows are written when it finishes, by
# the statement-pair that sets the run's finished_at. So such a table's rows change only with
# their parent's row, in its bucket: the parent's fingerprint is theirs (a join per table and
# bucket was a fifth of a publication on unchanged feeds).
JOINED = {
    "item_places": ("item_place_scans", "item_id", "scanned_at"),
    "run_sources": ("runs", "run_id", "started_at"),
}
# Every run adds to these, a run that found nothing new too: their bucket files keep their path
# (rewritten in place, like a small table's file), so such a run does not need a new catalog.
# They grow with every run: whole, at a year of 15-minute runs of 30 sources, each run would
# rewrite a million rows.
STABLE_PATHS = frozenset({"runs", "run_sources"})
# The writer's own working tables, not for analysts: story grouping's kept term counts are
# large, derived and (for tipline items) a bag of the words of forwarded text; the desk's
# accounts hold password hashes (the desk keeps them in a private file, see saring.storage.logins);
# the forum members' e-mail addresses that have a report (saring.report.deliver).
# A table that becomes internal is erased from the files published before (see publish()).
INTERNAL = frozenset({"story_vectors", "web_users", "delivery_recipients"})
# Columns published altered. A send's error names the mailbox apprise could not send to
# ('Sending email to "x@y" failed.'), or the number WhatsApp's API could not reach ('sending
# WhatsApp:+62812… notification.'): masked here rather than as stored, so the maintainer's own
# database still says which address to fix, and rows logged before are masked too.
_ADDRESS = r"'[\w.%+-]+@[\w-]+(\.[\w-]+)*'"
_NUMBER = r"'\+?\b\d{9,15}\b'"  # as apprise writes a target: digits only, maybe after a "+"
_MASKED_ERROR = (f"regexp_replace(regexp_replace(error, {_ADDRESS}, '{MASK_EMAIL}', 'g'), "
                 f"{_NUMBER}, '{MASK_PHONE}', 'g')")
PUBLISHED_AS = {"deliveries": {"error": _MASKED_ERROR}}
RETIRE_AFTER = 600.0
COMPRESSION = "zstd"
FORMAT = 4  # bump when the layout changes: the next publication is then a full one
SMALL = "_small"  # the folder of the small tables' stable files (no table has this name)
PUBLICATION = "publication"  # the view of the version and time of the last publication, and
STAMP = f"{SMALL}/{PUBLICATION}.parquet"  # its file (if its columns ever change, bump FORMAT)
CATALOGS = "_catalogs"  # hard links to the catalogs written, kept while a session has one open
_CATALOG_DB = "saring_catalog"  # the new catalog's name while the writer's connection writes it


@dataclass(frozen=True)
class Publication:
    """What one publication did (for logs, tests and the benchmark)."""

    catalog: Path
    version: int
    written: int  # Parquet files written
    kept: int  # Parquet files reused from the previous publication
    seconds: float
    catalog_written: bool = True  # False: nothing the catalog names changed, the old one stays


def published_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + ".published")


def publication_path(db_path: Path) -> Path:
    """The file every publication replaces (the desk watches it to notice a new version)."""
    return published_dir(db_path) / STAMP


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each table's column names, and its shape (names and types, as one string)."""
    rows = con.execute(  # duckdb_*() rather than information_schema: a third of the time
        """SELECT table_name, column_name, data_type FROM duckdb_columns()
           WHERE schema_name = 'main' AND database_name = current_database()
             AND table_name IN (SELECT table_name FROM duckdb_tables()
                                WHERE schema_name = 'main' AND database_name = current_database())
           ORDER BY table_name, column_index""").fetchall()
    out: dict[str, list[str]] = {}
    shapes: dict[str, list[str]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append(column)
        shapes.setdefault(table, []).append(f"{column} {kind}")
    return out, {t: ",".join(s) for t, s in shapes.items()}


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

    def _fp(self) -> str:
        """The fingerprint of a group of rows, as one string (NULL sums of no rows spelled out)."""
        return (f"concat(count(*), ':', coalesce(sum(epoch_us({self.time}))::VARCHAR, '-'), ':', "
                f"coalesce(({self.extra})::VARCHAR, '-'))")

    def current(self, month_start: datetime) -> str:
        """A query of (table, key, fingerprint) rows: ``_before`` (every row before this month,
        summed in one cheap pass over the time column) and each day of this month (read only
        where DuckDB's zone maps say the rows can be this month's)."""
        ms = _ts(month_start)
        before = f"SELECT {self._fp()} FROM {self.source} WHERE {self.time} < {ms} OR {self.time} IS NULL"
        return (f"SELECT {_quote(self.name)}, '_before', ({before}) UNION ALL "
                f"SELECT {_quote(self.name)}, strftime(date_trunc('day', {self.time}), '%Y-%m-%d') AS b, "
                f"{self._fp()} FROM {self.source} WHERE {self.time} >= {ms} GROUP BY b")

    def fingerprints(self, con: duckdb.DuckDBPyConnection, month_start: datetime, current: dict[str, str],
                     old: dict[str, str] | None) -> tuple[dict[str, str], str]:
        """Bucket -> fingerprint, and the fingerprint of everything before ``month_start``.

        ``current`` holds this month's days and the sum of the rows before (see :meth:`current`);
        only when that sum moved (or ``old`` is None) are the older rows grouped by month.
        """
        before = current.get("_before", "")
        prints = {b: fp for b, fp in current.items() if b != "_before"}
        if old is not None and old.get("_before") == before:
            prints.update({b: fp for b, fp in old.items() if b != "_before" and len(b) != 10})
            return prints, before
        if before.startswith("0:"):  # no row before this month (a new or empty table)
            return prints, before
        ms = _ts(month_start)
        for b, fp in con.execute(
                f"SELECT strftime(date_trunc('month', {self.time}), '%Y-%m') AS b, {self._fp()} "
                f"FROM {self.source} WHERE {self.time} < {ms} GROUP BY b").fetchall():
            prints[b] = fp
        for (fp,) in con.execute(f"SELECT {self._fp()} FROM {self.source} WHERE {self.time} IS NULL "
                                 "HAVING count(*) > 0").fetchall():
            prints["none"] = fp
        return prints, before


def _current_prints(con: duckdb.DuckDBPyConnection, specs: list[_Table], month_start: datetime,
                    columns: dict[str, list[str]], small: list[str]) -> tuple[dict[str, dict[str, str]],
                                                                              dict[str, str]]:
    """In one query (one round trip, not 2-4 per table): every large table's
    :meth:`_Table.current` rows, and each small table's fingerprint (row count and the sum of
    the hashes of all its columns: they are small, one pass each)."""
    parts = [f"({s.current(month_start)})" for s in specs]
    parts += [f"SELECT {_quote(t)}, '_small', concat(count(*), ':', coalesce(sum(hash("
              f"{', '.join(_ident(c) for c in columns[t])})::HUGEINT)::VARCHAR, '-')) FROM {_ident(t)}"
              for t in small]
    large: dict[str, dict[str, str]] = {s.name: {} for s in specs}
    out: dict[str, str] = {}
    # Most of this query's time is DuckDB planning its parts: two halves plan on two cores.
    halves = [" UNION ALL ".join(half) for half in (parts[0::2], parts[1::2]) if half]
    for rows in _two_at_once(con, [lambda c, q=q: c.execute(q).fetchall() for q in halves]):
        for table, key, fp in rows:
            if key == "_small":
                out[table] = fp
            else:
                large[table][key] = fp
    return large, out


def _two_at_once(con: duckdb.DuckDBPyConnection,
                 jobs: list[Callable[[duckdb.DuckDBPyConnection], T]]) -> list[T]:
    """Each ``job(cursor)``'s result, two jobs at a time: the second on a cursor of its own in a
    helper thread (DuckDB works outside the GIL). A publication runs at the end of a run, when
    the scoring helper and the extraction pool are done and the other core is idle."""
    if len(jobs) < 2:
        return [job(con) for job in jobs]
    out: list[T] = [None] * len(jobs)  # type: ignore[list-item]
    with con.cursor() as cursor, ThreadPoolExecutor(1, thread_name_prefix="saring-publish") as helper:
        # A cursor is a new session, in the machine's zone (a server set to WIT): buckets are UTC days.
        cursor.execute("SET TimeZone = 'UTC'")
        theirs = {i: helper.submit(jobs[i], cursor) for i in range(1, len(jobs), 2)}
        for i in range(0, len(jobs), 2):
            out[i] = jobs[i](con)
        for i, future in theirs.items():
            out[i] = future.result()
    return out


def _load_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def mark_erase(db_path: Path) -> None:
    """Make the next publication an erase one (``erase=True``), however this one ends: rows were
    purged whose old text the published files may still hold. The erase clears the mark."""
    folder = published_dir(db_path)
    if not folder.is_dir():
        return  # nothing published: no file holds anything
    _write_json(folder / "manifest.json", {**_load_manifest(folder), "erase_pending": True})


def erase_pending(db_path: Path) -> bool:
    """Whether an erase publication was asked for and has not finished."""
    return bool(_load_manifest(published_dir(db_path)).get("erase_pending"))


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
    # The catalog names its files by absolute path: a relative one (``--db data/saring.duckdb``)
    # would be read from the reader's folder (Jupyter runs a notebook in notebooks/).
    folder = published_dir(Path(db_path).absolute())
    with private_files():
        folder.mkdir(exist_ok=True)
    old = _load_manifest(folder)
    columns, shapes = _columns(con)
    if "web_users" in columns:  # first: an account change reaches the desk even if this fails
        write_logins(Path(db_path).absolute(), current_logins(con))
    # An older version published a table now kept internal (web_users' password hashes): every
    # file of that layout goes at once, not after RETIRE_AFTER or while a notebook holds it.
    erase = erase or any(t in INTERNAL for t in [*old.get("small", {}), *old.get("tables", {})])
    if erase and not old.get("erase_pending"):
        mark_erase(db_path)
    # An erase that did not finish (a full disk, a kill) is finished by the next publication:
    # a normal one would keep the buckets still holding purged text (text is not fingerprinted).
    erase = erase or bool(old.get("erase_pending"))
    if old.get("format") != FORMAT or old.get("schema") != schema_version:
        full = True
    full = full or erase
    version = int(old.get("version", 0)) + 1
    columns = {t: c for t, c in columns.items() if t not in INTERNAL}
    shapes = {t: shapes[t] for t in columns}
    tables: dict[str, dict[str, dict]] = {}
    written = kept = 0
    retired = [] if erase else list(old.get("retired", []))
    totals: dict[str, str] = {}
    specs = [_Table(t) for t in (*LARGE, *JOINED) if t in columns]  # a JOINED one comes with its parent
    current, small_prints = _current_prints(con, [s for s in specs if s.name in LARGE], month_start, columns,
                                            [t for t in columns if t not in LARGE and t not in JOINED])
    prints_of: dict[str, dict[str, str]] = {}
    writes: list[Callable[[duckdb.DuckDBPyConnection], None]] = []
    for spec in specs:  # LARGE first: a JOINED table takes its parent's fingerprints
        table = spec.name
        before = {} if full else old.get("tables", {}).get(table, {})
        if before and old.get("shapes", {}).get(table) != shapes[table]:
            before = {}  # columns changed: every bucket is rewritten
        if table in JOINED:
            parent = JOINED[table][0]
            prints, totals[table] = prints_of[parent], totals[parent]
        else:
            known = {b: v["fingerprint"] for b, v in before.items()}
            known["_before"] = old.get("before", {}).get(table)
            prints, totals[table] = spec.fingerprints(con, month_start, current[table],
                                                      known if before else None)
        prints_of[table] = prints
        now_buckets: dict[str, dict] = {}
        for b, fp in sorted(prints.items()):
            prev = before.get(b)
            if prev and prev["fingerprint"] == fp and (folder / prev["file"]).exists():
                now_buckets[b] = prev
                kept += 1
                continue
            rows = f"SELECT t.* FROM {spec.source} WHERE {spec.where(b)}"
            if table in STABLE_PATHS:
                name = f"{table}/{b}.{_shape_id(shapes[table])}.parquet"
                writes.append(functools.partial(_write_replacing, folder=folder, name=name, query=rows))
            else:
                name = f"{table}/{b}.{version}.parquet"
                writes.append(functools.partial(_write_new, folder=folder, name=name, query=rows))
            now_buckets[b] = {"file": name, "fingerprint": fp}
            written += 1
        in_use = {v["file"] for v in now_buckets.values()}
        for prev in old.get("tables", {}).get(table, {}).values():
            if prev["file"] not in in_use:
                retired.append({"file": prev["file"], "at": time.time()})
        tables[table] = now_buckets
    _two_at_once(con, writes)
    small_prints.update({t: "empty" for t, b in tables.items() if not b})  # a large table without rows
    small, small_written = _publish_small(con, folder, shapes, small_prints,
                                          {} if full else old.get("small", {}))
    written += small_written
    kept += len(small) - small_written
    tables = {t: b for t, b in tables.items() if b}  # a large table without rows is a small one
    # What the catalog names and its views' SQL (an upgrade may change a view): when none of it
    # changed, the catalog on disk is still right.
    from saring.storage.schema import CATALOG_VIEWS

    key = hashlib.sha256(json.dumps(
        [FORMAT, schema_version, str(folder), shapes, {t: v["file"] for t, v in small.items()}, CATALOG_VIEWS,
         {t: sorted(v["file"] for v in b.values()) for t, b in tables.items()}],
        sort_keys=True).encode()).hexdigest()
    catalog_written = full or key != old.get("catalog") or not catalog.exists()
    stamp = f"SELECT {int(version)}::INTEGER AS version, {_ts(now)} AS published_at"
    in_use = {v["file"] for buckets in tables.values() for v in buckets.values()}
    in_use |= {v["file"] for v in small.values()} | {STAMP}
    catalogs = [dict(c) for c in old.get("catalogs", [])]
    if catalog_written:
        if not (folder / STAMP).exists():
            _write_replacing(con, folder, STAMP, stamp)  # a view reads its file's columns when made
        _write_catalog(con, folder, catalog, columns, tables, small)
        for entry in catalogs:
            entry.setdefault("until", time.time())  # superseded now
        catalogs += _keep_catalog(catalog, folder, version, in_use)
    _write_replacing(con, folder, STAMP, stamp)  # last: once it changed, all it announces is there
    manifest = {"format": FORMAT, "schema": schema_version, "version": version, "tables": tables,
                "small": small, "shapes": shapes, "retired": retired, "before": totals, "catalog": key}
    for table, entry in old.get("small", {}).items():  # a new shape, now a large table, or gone
        if small.get(table, {}).get("file") != entry["file"]:
            retired.append({"file": entry["file"], "at": time.time()})
    held, manifest["catalogs"] = _held_by_sessions(folder, catalogs, erase)
    manifest["retired"] = _delete_retired(folder, retired, erase, in_use, held)
    _write_json(folder / "manifest.json", manifest)
    took = time.perf_counter() - t0
    LOGGER.info("published %s v%d: %d files written, %d kept, catalog %s (%.3f s)", catalog, version,
                written, kept, "rewritten" if catalog_written else "kept", took)
    return Publication(catalog=catalog, version=version, written=written, kept=kept, seconds=took,
                       catalog_written=catalog_written)


def publish_tables(con: duckdb.DuckDBPyConnection, db_path: Path, catalog: Path, schema_version: int,
                   tables: Iterable[str], now: datetime | None = None) -> Publication | None:
    """Republish only the small ``tables`` (the desk's own, written between runs) and, when one
    changed, announce a new version. A few milliseconds: no large table is fingerprinted, and
    the catalog (which names the small files by their stable paths) stays.

    Returns None, publishing nothing, when only a whole publication (:func:`publish`) may publish
    them: nothing published yet, another layout or schema version, a table's columns changed, a
    purge's erase pending. The next run's publication then carries them.
    """
    t0 = time.perf_counter()
    folder = published_dir(Path(db_path).absolute())
    old = _load_manifest(folder)
    if (old.get("format") != FORMAT or old.get("schema") != schema_version or old.get("erase_pending")
            or not catalog.exists() or not (folder / STAMP).exists()):
        return None
    columns, shapes = _columns(con)
    names = sorted(t for t in set(tables) if t in columns)
    before = old.get("small", {})
    if any(t not in before or old.get("shapes", {}).get(t) != shapes[t] for t in names):
        return None
    _, prints = _current_prints(con, [], datetime.now(UTC), columns, names)
    small, written = _publish_small(con, folder, shapes, prints, before)
    version = int(old.get("version", 0))
    if written:
        version += 1
        stamp = f"SELECT {version}::INTEGER AS version, {_ts(now or datetime.now(UTC))} AS published_at"
        _write_replacing(con, folder, STAMP, stamp)  # last: once it changed, all it announces is there
        _write_json(folder / "manifest.json", {**old, "version": version, "small": {**before, **small}})
    took = time.perf_counter() - t0
    LOGGER.debug("published %s of %s v%d: %d files written (%.3f s)", ", ".join(names), catalog, version,
                 written, took)
    return Publication(catalog=catalog, version=version, written=written, kept=len(small) - written,
                       seconds=took, catalog_written=False)


def _publish_small(con: duckdb.DuckDBPyConnection, folder: Path, shapes: dict[str, str],
                   prints: dict[str, str], before: dict[str, dict]) -> tuple[dict, int]:
    """Rewrite the stable file of each small table whose fingerprint changed.

    The path names the table's shape (columns and types): a new shape is a new file, and a new
    catalog, so a session still on the previous catalog keeps reading the shape it knows.
    """
    out: dict[str, dict] = {}
    writes: list[Callable[[duckdb.DuckDBPyConnection], None]] = []
    for table, fp in sorted(prints.items()):
        name = f"{SMALL}/{table}.{_shape_id(shapes[table])}.parquet"
        if table in PUBLISHED_AS:  # a new mask rewrites the file published before it
            fp += ":" + _shape_id(json.dumps(PUBLISHED_AS[table], sort_keys=True))
        prev = before.get(table)
        if prev and prev["fingerprint"] == fp and prev["file"] == name and (folder / name).exists():
            out[table] = prev
            continue
        writes.append(functools.partial(_write_replacing, folder=folder, name=name,
                                        query=_published_rows(table)))
        out[table] = {"file": name, "fingerprint": fp}
    _two_at_once(con, writes)
    return out, len(writes)


def _published_rows(table: str) -> str:
    """The query of what analysts get of a small table (its rows, some columns masked: PUBLISHED_AS)."""
    altered = PUBLISHED_AS.get(table)
    if not altered:
        return f"SELECT * FROM {_ident(table)}"
    replaced = ", ".join(f"{expr} AS {_ident(column)}" for column, expr in altered.items())
    return f"SELECT * REPLACE ({replaced}) FROM {_ident(table)}"


def _shape_id(shape: str) -> str:
    """A short name for a table's columns and types (a file at a stable path names its shape)."""
    return hashlib.sha256(shape.encode()).hexdigest()[:10]


def _write_new(con: duckdb.DuckDBPyConnection, folder: Path, name: str, query: str) -> None:
    """Write ``query``'s rows to ``name`` in ``folder`` (a new file: a bucket's next version)."""
    with private_files():
        (folder / name).parent.mkdir(exist_ok=True)
        _copy(con, query, folder / name)


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.execute(f"COPY ({query}) TO {_quote(str(path))} (FORMAT parquet, COMPRESSION {COMPRESSION})")


def _write_replacing(con: duckdb.DuckDBPyConnection, folder: Path, name: str, query: str) -> None:
    """Write ``query``'s rows to ``name`` in ``folder``, replacing the old file atomically."""
    target = folder / name
    tmp = target.with_name(target.name + ".tmp")
    with private_files():
        target.parent.mkdir(exist_ok=True)
        _copy(con, query, tmp)
    os.replace(tmp, target)  # a reader in the middle of a query keeps the old file


def _keep_catalog(catalog: Path, folder: Path, version: int, names: set[str]) -> list[dict]:
    """A hard link to the catalog just written: once superseded, while a session still has it
    open, the files it names stay (see :func:`_held_by_sessions`)."""
    # In a folder of its version, under the catalog's own name: a session opened through the link
    # (catalog_to_open) names its database as one opened through the catalog does ("saring").
    link = folder / CATALOGS / str(version) / catalog.name
    try:
        with private_files():
            link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        os.link(catalog, link)
    except OSError as exc:  # no hard links here: its files go after RETIRE_AFTER, open or not
        LOGGER.debug("catalog not kept for open sessions: %s", exc)
        return []
    return [{"file": link.relative_to(folder).as_posix(), "names": sorted(names)}]


def catalog_to_open(db_path: Path, catalog: Path) -> Path:
    """The path to open the current catalog by: its hard link in ``_catalogs/``, named by its
    version, else the catalog itself.

    DuckDB hands a second connection to a path this process already has open the instance that
    is open, which reads the catalog a later run replaced (a notebook that runs
    ``con = saring.connect()`` again before the old ``con`` is gone got the old data). A path of
    its own per version gives the newest catalog an instance of its own.
    """
    folder = published_dir(db_path)
    for entry in _load_manifest(folder).get("catalogs", []):
        if "until" not in entry:
            link = folder / entry["file"]
            with contextlib.suppress(OSError):
                if os.path.samefile(link, catalog):  # not one a run is replacing right now
                    return link
    return catalog


def _still_open(path: Path) -> bool:
    """Whether a session (of this process or another) has this catalog open: DuckDB holds a
    shared lock on a file it opened read-only. (Tested only on superseded catalogs, which no one
    opens any more.)"""
    here = _open_here(path)
    if here is not False:  # None: no probe (its close could drop a lock of this process's own),
        return bool(here)  # its files go after RETIRE_AFTER
    try:
        import fcntl  # POSIX only: elsewhere files go after RETIRE_AFTER, as they did
        fd = os.open(path, os.O_RDWR)
    except (ImportError, OSError):
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EACCES, errno.EAGAIN)
    finally:
        os.close(fd)
    return False


def _open_here(path: Path) -> bool | None:
    """Whether this process has ``path`` open, found from its own descriptors (None: they cannot
    be listed here). A process never conflicts with its own lock, and closing any descriptor of a
    file drops every lock the process holds on it: the probe must not open a file of its own."""
    try:
        target = os.stat(path)
        fds = os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd")
    except OSError:
        return None
    for fd in fds:
        with contextlib.suppress(OSError, ValueError):  # closed meanwhile (the listing's own one)
            if os.path.samestat(os.fstat(int(fd)), target):
                return True
    return False


def _held_by_sessions(folder: Path, catalogs: list[dict], erase: bool) -> tuple[set[str], list[dict]]:
    """The files named by superseded catalogs that a session still has open (a notebook left open
    across runs), and the catalogs to keep; the others' links are deleted (all of them on erase)."""
    held: set[str] = set()
    kept = []
    for entry in catalogs:
        path = folder / entry["file"]
        if "until" not in entry:  # the current catalog: what it names is in use anyway
            kept.append(entry)
        elif not erase and (time.time() - entry["until"] < RETIRE_AFTER or _still_open(path)):
            held.update(entry["names"])
            kept.append(entry)
        else:
            _unlink_catalog(folder, path)
    if erase:  # also links of an interrupted publication, which no manifest lists
        listed = {folder / c["file"] for c in kept}
        for path in [*folder.glob(f"{CATALOGS}/*"), *folder.glob(f"{CATALOGS}/*/*")]:
            if path.is_file() and path not in listed:
                _unlink_catalog(folder, path)
    return held, kept


def _unlink_catalog(folder: Path, path: Path) -> None:
    """Delete a catalog's link, and its version's folder with it (links made before had none)."""
    path.unlink(missing_ok=True)
    if path.parent != folder / CATALOGS:
        with contextlib.suppress(OSError):  # not empty: not ours to remove
            path.parent.rmdir()


def _delete_retired(folder: Path, retired: list[dict], erase: bool, in_use: set[str],
                    held: set[str] = frozenset()) -> list[dict]:
    """Delete files retired long enough ago and named by no catalog a session still has open (or
    all of them, and every stray file, on ``erase``).

    A small table's file keeps its path: one retired earlier may be in use again, and stays.
    """
    keep = []
    for entry in retired:
        if entry["file"] in in_use:
            continue
        if erase or (time.time() - entry["at"] >= RETIRE_AFTER and entry["file"] not in held):
            (folder / entry["file"]).unlink(missing_ok=True)
        else:
            keep.append(entry)
    if erase:  # also files of an interrupted publication, which no manifest lists
        for path in [*folder.glob("*/*.parquet"), *folder.glob("*/*.tmp")]:
            if path.relative_to(folder).as_posix() not in in_use:
                path.unlink(missing_ok=True)
    return keep


def _write_catalog(con: duckdb.DuckDBPyConnection, folder: Path, catalog: Path, columns: dict[str, list[str]],
                   tables: dict[str, dict[str, dict]], small: dict[str, dict]) -> None:
    """A fresh catalog file: a view over its Parquet files per table, and the analysts' views.

    Written through the writer's own connection (ATTACH): a new DuckDB instance costs ~10 ms
    to start and ~4 ms to close, more than everything written here.
    """
    from saring.storage.schema import CATALOG_PARQUET_VIEW, CATALOG_VIEWS

    tmp = catalog.with_name(catalog.name + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    home = _ident(con.execute("SELECT current_database()").fetchone()[0])
    with private_files():
        con.execute(f"ATTACH {_quote(str(tmp))} AS {_CATALOG_DB}")
    try:
        con.execute(f"USE {_CATALOG_DB}")  # the analysts' views name tables without a database
        try:
            con.begin()  # one commit, one sync: not one per view
            for table in [*columns, PUBLICATION]:
                if table in tables:
                    paths = [folder / v["file"] for _, v in sorted(tables[table].items())]
                else:
                    paths = [folder / (small[table]["file"] if table in small else STAMP)]
                files = ", ".join(_quote(str(p)) for p in paths)
                con.execute(CATALOG_PARQUET_VIEW.format(table=_ident(table), files=files))
            con.execute(CATALOG_VIEWS)
            con.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            raise
        finally:
            con.execute(f"USE {home}")
        con.execute(f"CHECKPOINT {_CATALOG_DB}")
    finally:
        con.execute(f"DETACH {_CATALOG_DB}")
    os.replace(tmp, catalog)  # readers holding the old catalog keep reading it
    with contextlib.suppress(OSError):
        tmp.with_name(tmp.name + ".wal").unlink()
