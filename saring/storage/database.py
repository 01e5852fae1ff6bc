"""The DuckDB store: schema, idempotent upserts, and the analysts' snapshot.

One process writes (the flows). After each run the writer publishes the analysts' copy
(``<db>.snapshot.duckdb``, a catalog replaced atomically, over Parquet files in
``<db>.published/``; see :mod:`saring.storage.publish`), so analysts never meet the writer's lock.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from saring.config import Source, default_db_path
from saring.errors import StoreError
from saring.filemodes import enter_private, exit_private, make_private
from saring.localtime import TIME_ZONE, zone_name
from saring.storage.schema import SCHEMA_VERSION, migrate, scrub_backup

LOGGER = logging.getLogger(__name__)

LEFT_BEHIND_DAYS = 7
"""Items a stopped run recorded but never stored are fetched by later runs for this long, even
once they have dropped off their feed."""
RELINK_DAYS = 30
"""When the news sources' sites change, the articles of this many days with a link in them are
scored again (links to those sites no longer count, or now count, as a hoax cue)."""
MATCHING_STEP = "fact-check matching"
"""The linking step whose failure a run's message records ("; fact-check matching failed: ...");
:meth:`Store.link_since` looks back past such runs."""
# A forward whose text retention purged (articles ``a``), scored before: scored again, by another
# model, it would be scored on the placeholder left of it. It keeps the score its text was given.
_NOT_PURGED = """NOT (a.text IS NULL AND a.text_source IN ('tipline', 'summary')
                     AND EXISTS (SELECT 1 FROM items k WHERE k.item_id = a.item_id AND k.kind = 'tipline')
                     AND EXISTS (SELECT 1 FROM scores p WHERE p.item_id = a.item_id))"""


def _locked(method):
    """Serialise a Store method: ingest threads share one DuckDB connection."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            try:
                return method(self, *args, **kwargs)
            except (duckdb.Error, OSError) as exc:
                # Disk full, read-only, or a connection DuckDB closed after such an error: the
                # transaction was rolled back, so what was stored before is intact.
                if isinstance(exc, duckdb.Error) and not _is_storage_error(exc):
                    raise
                raise StoreError(_explain_open_error(self.path, exc)) from None

    return wrapper


def _is_storage_error(exc: duckdb.Error) -> bool:
    if isinstance(exc, duckdb.IOException | duckdb.FatalException):
        return True
    text = str(exc).lower()
    return any(word in text for word in ("no space", "could not write", "permission denied",
                                         "read-only", "invalidated"))


def utcnow() -> datetime:
    from saring import clock  # a simulation may set it (saring.pipeline.demo_weeks)

    return clock.now()


def snapshot_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".snapshot.duckdb")


FEW_ROWS = 8
"""Up to this many rows are upserted as one ``VALUES`` statement: a DataFrame to register costs
more than the statement (a run's own record: 4 against 9 ms; 100 articles: 0.26 against 0.18 s
per 1,200 rows the other way round)."""


def _param(value: Any) -> Any:
    """A value as the DataFrame path stores it: numpy scalars as Python values, NaN as NULL."""
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and value != value else value


def rows_table(rows: Sequence[dict[str, Any]], cols: Sequence[str] | None = None) -> Any:
    """Rows (dicts) as an Arrow table for DuckDB to read, values as :func:`_param` gives them
    (``cols``: default every key, in order of first appearance).

    Not a pandas frame: building one from dicts, and DuckDB reading its string columns back
    under the GIL, cost the ingest process, which limits a run, about a third more per save.
    A column Arrow cannot type (mixed kinds of value) goes through pandas as before.
    """
    cols = list(cols) if cols is not None else list(dict.fromkeys(c for row in rows for c in row))
    import pyarrow as pa

    try:
        return pa.Table.from_pydict({c: [_param(row.get(c)) for row in rows] for c in cols})
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return pd.DataFrame(list(rows), columns=cols)


def _texts_frame(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``item_id``, ``title``, ``text`` rows as Python values. Not ``.df()``: pandas reads a NULL
    (a forward whose text retention purged) beside stored texts as NaN, which is no text to score."""
    return pd.DataFrame(cur.fetchall(), columns=["item_id", "title", "text"], dtype=object)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction on ``con``: committed at the end, rolled back on any error."""
    con.begin()
    try:
        yield
        con.commit()
    except BaseException:  # a Ctrl-C too: left open, it swallowed every later write of the run
        with contextlib.suppress(duckdb.TransactionException):  # a failed commit ends it too
            con.rollback()
        raise


class Store:
    """A writable connection to the saring database. Use as a context manager."""

    def __init__(self, path: str | Path | None = None, lock_wait: float | None = None) -> None:
        """Open (creating or migrating) the database.

        Args:
            lock_wait: seconds to wait while another saring process holds the file (the
                hourly ingest and the morning digest may start together). Default:
                ``$SARING_LOCK_WAIT`` or 300.

        Raises:
            StoreError: the file cannot be opened or written, with the reason.
        """
        self.path = Path(path) if path else default_db_path()
        refuse_placeholder(self.path)
        self.lock = threading.RLock()
        self.on_articles_saved: list[Callable[[Sequence[dict[str, Any]]], None]] = []
        """Called with the rows of each batch of stored articles (the scoring lane listens)."""
        self.on_items_added: list[Callable[[Sequence[dict[str, Any]]], None]] = []
        """Called with the items each feed adds, when it adds any (the scoring lane starts its helper)."""
        # Read once when a run starts (start_run) and dropped when it ends: the sources that
        # earlier runs left items of (left_behind), each feed's validators (feed_state) and the
        # news sources' hosts (outlet_hosts).
        self._run_state: tuple[set[str], dict[str, tuple[str | None, str | None]], list[str]] | None = None
        # item_id -> the source that stores it in this run: two feeds listing one article
        # (a Google News query and the outlet's own feed) must not both fetch it.
        self._claims: dict[str, str] = {}
        self._claims_lock = threading.Lock()  # not self.lock: the saves keep that one busy
        # source_id -> its feed's outcome in this run, written by finish_run in one statement:
        # one UPDATE per feed, each waiting for the lock the saves hold, was a third of a run on
        # unchanged feeds.
        self._feed_fetches: dict[str, list[Any]] = {}
        self._owner = threading.current_thread()
        self._local = threading.local()
        if lock_wait is None:
            lock_wait = float(os.environ.get("SARING_LOCK_WAIT", "300"))
        self._lock_wait = lock_wait
        # The database, its WAL, snapshot and backups hold forwarded chat text: owner-only files
        # (umask 077 while this Store is open; DuckDB creates the WAL again after each checkpoint).
        with contextlib.suppress(OSError):  # folders keep the usual mode; _open explains failures
            self.path.parent.mkdir(parents=True, exist_ok=True)
        enter_private()
        self._private = True
        try:
            make_private(self.path, self.path.with_name(self.path.name + ".wal"), snapshot_path(self.path))
            self.con = self._open(lock_wait)
            self.con.execute("SET TimeZone = 'UTC'")
            migrated = self._migrate()
            if migrated or not snapshot_path(self.path).exists():
                self.publish_snapshot()  # readers must never need the writer's file
        except BaseException:
            if getattr(self, "con", None) is not None:
                self.con.close()
            self._release_private()
            raise

    def _open(self, lock_wait: float) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + lock_wait
        delay = 0.2
        while True:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                return duckdb.connect(str(self.path))
            except (OSError, duckdb.Error) as exc:
                if "lock" not in str(exc).lower() or time.monotonic() + delay > deadline:
                    raise StoreError(_explain_open_error(self.path, exc)) from None
                LOGGER.info("%s is busy; waiting %.1f s", self.path, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)  # start soon after the other writer finishes

    @property
    def cur(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor: a DuckDB connection object must not be shared across threads."""
        if threading.current_thread() is self._owner:
            return self.con
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self.con.cursor()
            cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if fetches := self._take_feed_fetches():  # a run that stopped before finish_run
            try:
                self._write_feed_fetches(fetches)
            except (duckdb.Error, StoreError) as exc:
                LOGGER.warning("could not record the feeds' last status: %s", exc)
        # A checkpoint rewrites every changed table's primary-key index whole: 0.9 s after a
        # 60-page run at 1 M stored articles, 0.08 s at 1 k. Left to DuckDB's WAL threshold
        # (wal_autocheckpoint, 16 MiB), a run pays it once every few runs. What is committed
        # is durable in the WAL, and every reader (read-only ones too) replays it.
        with contextlib.suppress(duckdb.Error):
            self.con.execute("PRAGMA disable_checkpoint_on_shutdown")
        self.con.close()
        self._release_private()

    def _release_private(self) -> None:
        if self._private:
            self._private = False
            exit_private()

    @_locked
    def replace_file(self, fresh: Path) -> None:
        """Swap in ``fresh``, a rewritten copy of this database made through this connection
        (see :mod:`saring.collect.retention`), and reopen it.

        Between closing and reopening another saring process may take the file for a moment;
        the reopen then waits like any open (``lock_wait``).
        """
        self.con.close()
        os.replace(fresh, self.path)
        # A WAL left by the old file (a failed close) must never be replayed onto the new one.
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        self._local = threading.local()
        self.con = self._open(self._lock_wait)
        self.con.execute("SET TimeZone = 'UTC'")

    def _erase_scrubbed(self, changed: bool) -> None:
        """After the upgrade scrubbed old forwards and checks (schema step v12): the raw text must
        not outlive it in the file's free blocks, nor in the backups of this and earlier upgrades,
        which stay (scrubbed) in case a later step goes wrong. A failure is logged, not raised:
        the database itself is upgraded and scrubbed."""
        from saring.collect.retention import backup_paths, copy_into_fresh_file

        if changed:
            fresh = self.path.with_name(self.path.name + ".rewrite")
            try:
                copy_into_fresh_file(self.con, fresh)
            except (duckdb.Error, OSError) as exc:
                fresh.unlink(missing_ok=True)
                LOGGER.error("the scrubbed personal data could not be erased from the free blocks of %s "
                             "(%s); run `saring tipline purge --rewrite` to erase it", self.path, exc)
            else:
                self.replace_file(fresh)
        for backup in backup_paths(self.path):
            try:
                if scrub_backup(backup):
                    LOGGER.warning("scrubbed the backup %s as the database", backup)
            except (duckdb.Error, OSError) as exc:
                LOGGER.error("the backup %s still holds the personal data the upgrade scrubbed from the "
                             "database (%s): delete it once saring works", backup, exc)

    def _migrate(self) -> bool:
        try:
            return migrate(self.con, self.path, scrubbed=self._erase_scrubbed)
        except duckdb.Error as exc:
            raise StoreError(f"cannot prepare the database {self.path}: {exc}") from None
        except OSError as exc:  # the backup before a migration could not be written
            raise StoreError(_explain_open_error(self.path, exc)) from None

    # -- writes -----------------------------------------------------------------

    def _upsert(self, table: str, rows: Sequence[dict[str, Any]], keys: Sequence[str], update: bool) -> None:
        """Insert rows in one statement; on a key conflict update (or keep) the stored row."""
        if not rows:
            return
        cols = list(dict.fromkeys(c for row in rows for c in row))
        action = "NOTHING"
        if update:
            sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys)
            action = f"UPDATE SET {sets}" if sets else "NOTHING"
        self._insert(table, rows, cols, f"ON CONFLICT ({', '.join(keys)}) DO {action}")

    def _insert_new(self, table: str, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
        """Insert rows whose keys are new (a run's own rows), outside a transaction: a plain INSERT
        takes a third of the time of one with ON CONFLICT (1 against 3.4 ms for one row), which a
        run on unchanged feeds paid twice. Rows already there (a run id used again) are updated."""
        if not rows:
            return
        try:
            self._insert(table, rows, list(dict.fromkeys(c for row in rows for c in row)))
        except duckdb.ConstraintException:
            self._upsert(table, rows, keys, update=True)

    def _insert(self, table: str, rows: Sequence[dict[str, Any]], cols: list[str],
                conflict: str = "") -> None:
        if len(rows) <= FEW_ROWS:
            one = f"({', '.join('?' * len(cols))})"
            values = ", ".join([one] * len(rows))
            self.cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES {values} {conflict}",
                             [_param(row.get(c)) for row in rows for c in cols])
            return
        self.cur.register("_rows", rows_table(rows, cols))
        try:
            self.cur.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _rows {conflict}")
        finally:
            self.cur.unregister("_rows")

    @_locked
    def _save_and_advance(self, table: str, rows: Sequence[dict[str, Any]], keys: Sequence[str],
                          state: str, only_if: str = "true") -> None:
        """Upsert rows and move their items to ``state`` in one transaction (a crash leaves neither)."""
        if not rows:
            return
        with self._transaction():
            self._upsert(table, rows, keys, update=True)
            self.cur.execute(f"UPDATE items SET state = ? WHERE {only_if} AND item_id IN (SELECT unnest(?))",
                             [state, [r["item_id"] for r in rows]])

    @contextlib.contextmanager
    def _transaction(self):
        """One transaction on the shared cursor: committed at the end, rolled back on any error."""
        with transaction(self.cur):
            yield

    @_locked
    def sync_sources(self, sources: Iterable[Source], complete: bool = False) -> list[str]:
        """Record the configured sources (keeping their conditional-GET state).

        Only a new or changed source is written (``updated_at``: when its configuration last
        changed): a run on an unchanged ``sources.yaml`` writes nothing here.

        Args:
            complete: ``sources`` is the whole configuration (an ingest run): a source removed
                from it is recorded as disabled (its row stays: its items refer to it), so the
                health section stops reporting it as failing or silent.

        Returns:
            The articles to score again because the news sites changed (see
            :data:`RELINK_DAYS`); usually none. They are marked in the database (state back to
            ``stored``, in the same transaction as the new sites) until they are scored, so a run
            that stops before its scoring, or whose scoring fails, leaves them to the next run.
        """
        sources = list(sources)
        self._run_state = None  # what a running run read of the sources may change here
        fields = ("name", "url", "kind", "region", "enabled", "outlet_host")
        enabled, site = fields.index("enabled"), fields.index("outlet_host")
        stored = {r[0]: r[1:] for r in self.cur.execute(
            f"SELECT source_id, {', '.join(fields)} FROM sources").fetchall()}
        now = utcnow()
        rows = [
            dict(source_id=s.id, name=s.name, url=s.url, kind=s.kind, region=s.region,
                 enabled=s.enabled, outlet_host=s.outlet_host, updated_at=now)
            for s in sources
            if stored.get(s.id) != (s.name, s.url, s.kind, s.region, s.enabled, s.outlet_host)
        ]
        configured = {s.id for s in sources}
        gone = [sid for sid, row in stored.items() if complete and row[enabled] and sid not in configured]
        # The validators answer for the address and reading that stored them: sent to a new
        # address, or kept for a feed now read as another kind, a 304 would skip what was never read.
        moved = [s.id for s in sources if s.id in stored and stored[s.id][1:3] != (s.url, s.kind)]
        if rows or gone:
            with self._transaction():
                self._upsert("sources", rows, ["source_id"], update=True)
                if moved:
                    self.cur.execute("UPDATE sources SET etag = NULL, last_modified = NULL "
                                     "WHERE list_contains(?, source_id)", [moved])
                if gone:
                    self.cur.execute("UPDATE sources SET enabled = false, updated_at = ? "
                                     "WHERE list_contains(?, source_id)", [now, gone])
                sites_before = {row[site] for row in stored.values() if row[enabled] and row[site]}
                changed = sorted(sites_before.symmetric_difference(outlet_hosts(self.cur)))
                if changed:  # only the articles that name a site that came or went
                    self.cur.execute("UPDATE items SET state = 'stored' WHERE state = 'scored' "
                                     "AND list_contains(?, item_id)", [self._naming(changed, RELINK_DAYS)])
        return self._to_rescore(RELINK_DAYS) if complete else []

    def _to_rescore(self, days: float) -> list[str]:
        """Articles marked to be scored again (scored before, state back to ``stored``)."""
        return [r[0] for r in self.cur.execute(
            """SELECT i.item_id FROM items i
               WHERE i.state = 'stored' AND i.first_seen_at >= now() - to_days(?)
                 AND EXISTS (SELECT 1 FROM scores s WHERE s.item_id = i.item_id)
               ORDER BY i.item_id""", [int(days)]).fetchall()]

    def _naming(self, sites: list[str], days: float) -> list[str]:
        """Stored articles first seen in the last ``days`` days whose scored text names one of
        ``sites`` (every link to a site or its subdomains does; a mere mention is rescored too)."""
        def naming(columns: tuple[str, ...]) -> str:
            return " OR ".join(f"contains(lower({c}), $site{k})" for k in range(len(sites)) for c in columns)

        # Each table on its own, read only inside the time range (rows arrive in time order, so
        # DuckDB skips the rest) and column by column: joining them first, or building one text
        # per row, made DuckDB hold 30 days of texts at once (1.3 GB at 1 M articles).
        params = {"days": int(days)} | {f"site{k}": site for k, site in enumerate(sites)}
        return [r[0] for r in self.cur.execute(
            f"""SELECT item_id FROM articles WHERE fetched_at >= now() - to_days($days)
                    AND ({naming(("title", "text"))})
                UNION
                SELECT item_id FROM items WHERE first_seen_at >= now() - to_days($days)
                    AND ({naming(("title", "summary"))})
                ORDER BY item_id""", params).fetchall()]

    def outlet_hosts(self) -> list[str]:
        """The hosts of the enabled news sources (:attr:`saring.config.Source.outlet_host`)."""
        if self._run_state is not None:  # read when the run started: the saves keep the lock busy
            return list(self._run_state[2])
        return self._outlet_hosts()

    @_locked
    def _outlet_hosts(self) -> list[str]:
        return outlet_hosts(self.cur)

    def feed_state(self, source_id: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified stored for a feed (for conditional GET)."""
        if self._run_state is not None:  # read once when the run started: no lock per source
            return self._run_state[1].get(source_id, (None, None))
        return self._feed_state(source_id)

    @_locked
    def _feed_state(self, source_id: str) -> tuple[str | None, str | None]:
        row = self.cur.execute(
            "SELECT etag, last_modified FROM sources WHERE source_id = ?", [source_id]
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    @_locked
    def record_feed_fetch(
        self, source_id: str, status: str, error: str | None,
        etag: str | None = None, last_modified: str | None = None, keep_validators: bool = True,
    ) -> None:
        """Store a feed fetch's outcome and the source's health counters (during a run: when the
        run finishes, see :meth:`finish_run`).

        Validators (ETag/Last-Modified) are kept when the answer had none, and dropped
        when ``keep_validators`` is False (a feed that parsed badly must be re-downloaded).
        """
        fetch = [source_id, utcnow(), status, error, keep_validators, etag, last_modified]
        if self._run_state is not None:
            with self._claims_lock:
                self._feed_fetches[source_id] = fetch
            return
        self._write_feed_fetches([fetch])

    @_locked
    def _write_feed_fetches(self, fetches: list[list[Any]]) -> None:
        if not fetches:
            return
        columns = list(zip(*fetches, strict=True))
        self.cur.execute(
            """UPDATE sources SET last_fetched_at = f.at, last_status = f.status, last_error = f.error,
                   etag = CASE WHEN f.keep THEN coalesce(f.etag, sources.etag) ELSE f.etag END,
                   last_modified = CASE WHEN f.keep THEN coalesce(f.lm, sources.last_modified) ELSE f.lm END,
                   last_success_at = CASE WHEN f.status <> 'failed' THEN f.at
                                     ELSE sources.last_success_at END,
                   consecutive_failures = CASE WHEN f.status <> 'failed' THEN 0
                                          ELSE coalesce(sources.consecutive_failures, 0) + 1 END
               FROM (SELECT unnest(?::VARCHAR[]) AS source_id, unnest(?::TIMESTAMPTZ[]) AS at,
                            unnest(?::VARCHAR[]) AS status, unnest(?::VARCHAR[]) AS error,
                            unnest(?::BOOLEAN[]) AS keep, unnest(?::VARCHAR[]) AS etag,
                            unnest(?::VARCHAR[]) AS lm) f
               WHERE sources.source_id = f.source_id""",
            [list(c) for c in columns],
        )

    def flush_feed_fetches(self) -> None:
        """Write the feeds' outcomes kept so far (a run's sources are done: what follows, linking
        and scoring, is what a kill or a timeout most often interrupts)."""
        self._write_feed_fetches(self._take_feed_fetches())

    def _take_feed_fetches(self) -> list[list[Any]]:
        with self._claims_lock:
            fetches, self._feed_fetches = list(self._feed_fetches.values()), {}
        return fetches

    @_locked
    def known_item_ids(self, item_ids: Sequence[str]) -> set[str]:
        """Which of these items already have their article stored (never fetch those again)."""
        if not item_ids:
            return set()
        rows = self.cur.execute(
            "SELECT item_id FROM items WHERE item_id IN (SELECT unnest(?)) AND state <> 'seen'",
            [list(item_ids)],
        ).fetchall()
        return {r[0] for r in rows}

    def claim_items(self, source_id: str, item_ids: Iterable[str]) -> set[str]:
        """Of these items, the ones ``source_id`` stores in this run: an item another source of
        the run took first is left to that source."""
        with self._claims_lock:
            return {i for i in item_ids if self._claims.setdefault(i, source_id) == source_id}

    def left_behind(self, source_id: str, exclude: Sequence[str], limit: int) -> list[dict]:
        """Items of a source first seen in the last ``LEFT_BEHIND_DAYS`` whose article was never
        stored (a run stopped half-way), except those in ``exclude``, oldest first: FeedItem fields."""
        if self._run_state is not None and source_id not in self._run_state[0]:
            return []  # none when this run started (no lock taken), and this run's are in ``exclude``
        return self._left_behind(source_id, exclude, limit)

    @_locked
    def _left_behind(self, source_id: str, exclude: Sequence[str], limit: int) -> list[dict]:
        since = utcnow() - timedelta(days=LEFT_BEHIND_DAYS)
        cur = self.cur.execute(
            """SELECT url, coalesce(link, url) AS link, coalesce(title, '') AS title,
                      coalesce(summary, '') AS summary, published_at, author, guid
               FROM items WHERE source_id = ? AND state = 'seen' AND first_seen_at >= ?
                    AND NOT list_contains(?, item_id)
               ORDER BY first_seen_at, item_id LIMIT ?""",
            [source_id, since, list(exclude), limit])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @_locked
    def add_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert newly seen items; an item already stored keeps its first sighting."""
        self._upsert("items", rows, ["item_id"], update=False)
        if rows:
            for listener in self.on_items_added:
                listener(rows)

    @_locked
    def save_articles(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store extracted articles and move their items to state 'stored', atomically."""
        self._save_and_advance("articles", rows, ["item_id"], "stored", "state = 'seen'")
        for listener in self.on_articles_saved:
            # The rows are committed: a listener's failure must not make them look unsaved
            # (the caller would count them as lost and fail their source).
            try:
                listener(rows)
            except Exception:  # noqa: BLE001
                LOGGER.exception("a listener of stored articles failed; the articles are stored")

    @_locked
    def unscored(self, model_version: str, among: Sequence[str] | None = None,
                 served: bool = False) -> pd.DataFrame:
        """Stored articles without a score from this model version (only ``among`` these ids).

        ``served`` (``saring rescore``): also those it scored before another version did (a
        rollback, or a version promoted again), whose newer score ``latest_scores`` serves. Not
        for every run: after a rollback that check joins every score (0.1-0.4 s at 1 M articles).
        """
        # First the ids (key columns only), then the texts of those rows through a constant
        # list: one query joining the texts read every stored text (0.2 s a run at 1 M articles).
        # (an article without its item is dropped by the second query's join, as by the first's)
        only = "" if among is None else "AND list_contains($among, a.item_id)"
        params = {"version": model_version} | ({} if among is None else {"among": list(among)})
        ids = [r[0] for r in self.cur.execute(
            f"""SELECT a.item_id FROM articles a
               WHERE (NOT EXISTS (SELECT 1 FROM scores s
                                  WHERE s.item_id = a.item_id AND s.model_version = $version)
                      {self._overtaken(model_version, "a") if served else ""}) {only}
                 AND {_NOT_PURGED}""", params).fetchall()]
        if not ids:  # the usual case of a run on unchanged feeds: no second query, no frame to build
            return self.article_texts([])
        if len(ids) > 20_000:  # a new model's first pass: most rows anyway, one join is cheaper
            return _texts_frame(self.cur.execute(
                f"""SELECT i.item_id, coalesce(a.title, i.title) AS title, coalesce(a.text, i.summary) AS text
                   FROM items i JOIN articles a USING (item_id)
                   WHERE (NOT EXISTS (SELECT 1 FROM scores s
                                      WHERE s.item_id = i.item_id AND s.model_version = $version)
                         {self._overtaken(model_version, "i") if served else ""})
                     AND {_NOT_PURGED}
                   ORDER BY i.item_id""", {"version": model_version}))
        return self.article_texts(ids)

    def _overtaken(self, model_version: str, alias: str) -> str:
        """``OR <alias>.item_id IN (items this version scored before another version did)``, or
        nothing when no other version scored anything after this version's first score (one
        cheap query: the usual case, and then the join over every score is not paid each run)."""
        (maybe,) = self.cur.execute(
            """SELECT (SELECT max(scored_at) FROM scores WHERE model_version <> $version)
                      >= (SELECT min(scored_at) FROM scores WHERE model_version = $version)""",
            {"version": model_version}).fetchone()
        if not maybe:
            return ""
        # The same order as latest_scores: newest scored_at, then the larger version name.
        return f"""OR {alias}.item_id IN (
            SELECT s.item_id FROM scores s JOIN scores o ON o.item_id = s.item_id
            WHERE s.model_version = $version AND o.model_version <> $version
              AND (o.scored_at > s.scored_at
                   OR (o.scored_at = s.scored_at AND o.model_version > s.model_version)))"""

    @_locked
    def article_texts(self, ids: Sequence[str]) -> pd.DataFrame:
        """``item_id``, ``title``, ``text`` of these stored articles, as they are scored."""
        if not ids:
            return pd.DataFrame({"item_id": [], "title": [], "text": []}, dtype=object)
        return _texts_frame(self.cur.execute(
            """SELECT i.item_id, coalesce(a.title, i.title) AS title, coalesce(a.text, i.summary) AS text
               FROM (SELECT item_id, title, summary FROM items WHERE list_contains($ids, item_id)) i
               JOIN (SELECT item_id, title, text FROM articles WHERE list_contains($ids, item_id)) a
               USING (item_id)
               ORDER BY i.item_id""",
            {"ids": ids},
        ))

    @_locked
    def save_scores(self, rows: Sequence[dict[str, Any]]) -> None:
        self._save_and_advance("scores", rows, ["item_id", "model_version"], "scored")

    @_locked
    def link_since(self, run_id: str) -> datetime:
        """Where a run's linking (fact-check matching) starts: the end of the last run that
        finished with its matching done, so items and fact-checks of a run killed before that
        step, or whose matching failed (however many runs in a row), are matched by the next one.

        Its end, not its start: that run matched what it stored itself (linking follows its
        sources), and matching them again made every run after a busy one repeat its work."""
        row = self.cur.execute(
            """SELECT max(finished_at) FROM runs
               WHERE flow = 'ingest' AND finished_at IS NOT NULL AND run_id <> ? AND status <> 'interrupted'
                 AND coalesce(message, '') NOT LIKE '%; ' || ? || ' failed: %'""",
            [run_id, MATCHING_STEP]).fetchall()
        return row[0][0] or datetime(1970, 1, 1, tzinfo=UTC)

    @_locked
    def start_run(self, run_id: str, flow: str) -> None:
        # One writer at a time: a run still marked 'running' was killed before it finished.
        self._record_killed(flow)
        self._insert_new("runs", [dict(run_id=run_id, flow=flow, started_at=utcnow(), status="running")],
                         ["run_id"])
        # What every source's start needs, in two queries instead of two per source.
        left = {r[0] for r in self.cur.execute(
            "SELECT DISTINCT source_id FROM items WHERE state = 'seen' AND first_seen_at >= ?",
            [utcnow() - timedelta(days=LEFT_BEHIND_DAYS)]).fetchall()}
        sources = self.cur.execute(
            "SELECT source_id, etag, last_modified, enabled, outlet_host FROM sources").fetchall()
        validators = {r[0]: (r[1], r[2]) for r in sources}
        self._run_state = (left, validators, sorted({r[4] for r in sources if r[3] and r[4] is not None}))
        with self._claims_lock:
            self._claims.clear()

    def _record_killed(self, flow: str) -> None:
        """Mark the runs of ``flow`` still 'running' as 'interrupted'. A killed run (SIGKILL, the
        OOM killer, a reboot) could not record its sources, but the feeds' outcomes it wrote
        (:meth:`flush_feed_fetches`) are still the sources' last ones, no run read them since: they
        become its ``run_sources``, else the health section took it for a run that read nothing."""
        killed = [r[0] for r in self.cur.execute(
            "SELECT run_id FROM runs WHERE status = 'running' AND flow = ?", [flow]).fetchall()]
        if not killed:
            return
        with self._transaction():
            self.cur.execute(
                """INSERT INTO run_sources (run_id, source_id, status, error, new_items)
                   SELECT r.run_id, s.source_id, s.last_status, s.last_error,
                          (SELECT count(*) FROM items i
                           WHERE i.source_id = s.source_id AND i.first_seen_at >= r.started_at)
                   FROM sources s JOIN runs r ON s.last_fetched_at >= r.started_at
                   WHERE r.run_id IN (SELECT unnest(?::VARCHAR[]))
                   QUALIFY row_number() OVER (PARTITION BY s.source_id ORDER BY r.started_at DESC) = 1
                   ON CONFLICT DO NOTHING""", [killed])
            # rows a kill left between finish_run's two writes are counted too
            self.cur.execute(
                """UPDATE runs SET status = 'interrupted', sources_ok = rs.ok, sources_failed = rs.failed,
                       new_items = rs.new,
                       message = 'killed before it finished; its sources as they recorded themselves'
                   FROM (SELECT k.run_id, count(s.run_id) FILTER (WHERE s.status <> 'failed') AS ok,
                                count(s.run_id) FILTER (WHERE s.status = 'failed') AS failed,
                                coalesce(sum(s.new_items), 0) AS new
                         FROM (SELECT unnest(?::VARCHAR[]) AS run_id) k
                         LEFT JOIN run_sources s USING (run_id) GROUP BY k.run_id) rs
                   WHERE runs.run_id = rs.run_id""", [killed])

    @_locked
    def finish_run(self, run_id: str, status: str, results: Sequence[Any], message: str = "") -> None:
        self._run_state = None
        with self._claims_lock:
            self._claims.clear()
        self.flush_feed_fetches()
        rows = [{"run_id": run_id, **asdict(r)} for r in results]
        self._insert_new("run_sources", rows, ["run_id", "source_id"])
        ok = sum(1 for r in results if r.status != "failed")
        self.cur.execute(
            """UPDATE runs SET finished_at = ?, status = ?, sources_ok = ?, sources_failed = ?,
                   new_items = ?, message = ? WHERE run_id = ?""",
            [utcnow(), status, ok, len(results) - ok, sum(r.new_items for r in results), message, run_id],
        )

    def interrupt_run(self, run_id: str, results: Sequence[Any], message: str) -> None:
        """Record a run stopped on the way as 'interrupted', with its sources' ``results``; never
        raises (the stop's own exception is the one to see). A finished run stays as it is."""
        try:
            with self.lock:
                running = self.cur.execute("SELECT 1 FROM runs WHERE run_id = ? AND status = 'running'",
                                           [run_id]).fetchall()
                if running:
                    self.finish_run(run_id, "interrupted", results, message)
        except Exception as exc:  # noqa: BLE001 - a full disk, a closed connection
            LOGGER.warning("could not record run %s as interrupted: %s", run_id, exc)

    @_locked
    def record_digest(self, day: Any, items: int, election: int, high: int, files: list[str]) -> None:
        self._upsert("digests", [dict(digest_date=day, generated_at=utcnow(), items=items,
                                      election_items=election, high_risk=high, files=files)],
                     ["digest_date"], update=True)

    @_locked
    def counts(self) -> dict[str, int]:
        """Row counts per table (used by the CLI summary and the tests)."""
        tables = ["sources", "items", "articles", "scores", "runs", "run_sources", "digests"]
        return {t: self.cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}

    def erase_pending(self) -> bool:
        """Whether a purge's erase of the analysts' copy has not finished (see :func:`mark_erase`)."""
        from saring.storage.publish import erase_pending

        return erase_pending(self.path)

    def mark_erase(self) -> None:
        """Make the next publication erase every older published file, however this one ends."""
        from saring.storage.publish import mark_erase

        mark_erase(self.path)

    @_locked
    def publish_snapshot(self, erase: bool = False) -> Path:
        """Publish what analysts read: the buckets changed since the last publication as Parquet
        files, then a new catalog replacing the old one atomically (see :mod:`saring.storage.publish`).

        Args:
            erase: rewrite everything and delete every older published file at once (a purge).
        """
        from saring.storage.publish import publish

        target = snapshot_path(self.path)
        publish(self.cur, self.path, target, SCHEMA_VERSION, erase=erase)
        return target


def outlet_hosts(con: Any) -> list[str]:
    """The hosts of the enabled news sources recorded in a database or its published copy
    (empty for a file from before they were recorded)."""
    try:
        rows = con.execute("SELECT DISTINCT outlet_host FROM sources "
                           "WHERE enabled AND outlet_host IS NOT NULL ORDER BY 1").fetchall()
    except duckdb.Error:
        return []
    return [r[0] for r in rows]


def refuse_placeholder(path: str | Path, what: str = "the database path") -> None:
    """prefect.yaml's ``{{ $SARING_DB }}`` (or ``$SARING_PARTS_DIR``) stays as it is when ``prefect
    deploy`` ran without the variable: runs would use a file or folder of that name in SARING_HOME,
    not the real one."""
    if unfilled := re.search(r"\{\{\s*\$(\w+)\s*\}\}", str(path)):
        raise StoreError(f"{what} {str(path)!r} is a placeholder: {unfilled[1]} was not set "
                         "when `prefect deploy` ran; set it there and deploy again")


def existing_db(path: str | Path | None = None) -> Path:
    """The database at ``path`` (default: :func:`saring.config.default_db_path`), which must exist.

    For the reports: opening a missing file creates an empty database, whose digest tells the
    forum "0 berita, semua sumber terbaca" (no ingest has run yet, or the path is mistyped).

    Raises:
        StoreError: there is no file at ``path``.
    """
    path = Path(path) if path else default_db_path()
    refuse_placeholder(path)
    if not path.exists():
        raise StoreError(f"no database at {path}: run `saring ingest` first (nothing was made or sent)")
    return path


def _explain_open_error(path: Path, exc: Exception) -> str:
    text = str(exc)
    if "lock" in text.lower():
        return (f"the database {path} is in use by another saring process (a flow is running?); "
                "analysts should use `saring query` or saring.connect(), which read the snapshot")
    if "permission denied" in text.lower() or "read-only" in text.lower():
        return f"cannot write the database {path}: permission denied or read-only disk; nothing was changed"
    if "no space" in text.lower() or "disk full" in text.lower():
        return (f"cannot write the database {path}: the disk is full; what was stored before is intact, "
                "this batch was not saved")
    if "invalidated" in text.lower():
        return (f"the database {path} stopped accepting writes after an earlier error in this run "
                "(disk full or read-only?); what was stored before is intact")
    return f"cannot open the database {path}: {text}"


def _read_files_afresh(con: duckdb.DuckDBPyConnection) -> None:
    """Never answer from cached Parquet metadata or blocks: a small table's published file keeps
    its path and is replaced by every publication that changed it, and a connection opened
    before must read the new one. (DuckDB's defaults already check, or do not cache local files;
    this keeps it so whatever the defaults become. A DuckDB without these settings has no such
    cache.)"""
    for setting in ("parquet_metadata_cache", "enable_external_file_cache"):
        with contextlib.suppress(duckdb.Error):
            con.execute(f"SET {setting} = false")


def _unreadable_copy(db_path: Path, exc: duckdb.Error) -> str:
    if "no files found" in str(exc).lower():  # the catalog names its files by absolute path
        return (f"the analysts' copy of {db_path} names published files that are not there: was the data "
                "folder moved or copied? Publish it again where it is now: any saring run, or "
                "`with saring.storage.database.Store(DB) as s: s.publish_snapshot()`")
    return f"cannot read the analysts' copy of {db_path}: {exc}"


class OlderSchemaError(StoreError):
    """The analysts' copy (or the database that has none) is of an older schema: saring was
    upgraded since the last run. Opening a :class:`Store` migrates the file and publishes it."""


def _version_problem(path: Path, version: int | None) -> StoreError | None:
    if version is not None and version > SCHEMA_VERSION:  # no run of this saring changes that
        return StoreError(f"{path} uses schema version {version}, newer than this saring "
                          f"understands ({SCHEMA_VERSION}); upgrade saring to read it")
    if version != SCHEMA_VERSION:
        kind = OlderSchemaError if version is not None else StoreError
        return kind(f"{path} was written by another saring version (schema v{version}, "
                    f"this one uses v{SCHEMA_VERSION}); it is refreshed by the next run")
    return None


def _publish_first(db_path: Path) -> None:
    """Publish the analysts' copy of a database that has none (its file alone was copied or
    restored): a reader that opened the writer's file instead would hold DuckDB's lock for as
    long as its session lasts, and every run would wait for it and fail."""
    def not_saring(why: str) -> StoreError:
        return StoreError(f"{db_path} is not a saring database ({why}): name the .duckdb file saring "
                          "ingest writes (data/saring.duckdb unless SARING_DB says otherwise)")

    # DuckDB opens a name ending in .csv or .json as an empty in-memory database ("Cannot launch
    # in-memory database in read-only mode!"): an export given for the database is told by its bytes
    with contextlib.suppress(OSError), db_path.open("rb") as file:  # a folder: DuckDB's words say so
        if file.read(12)[8:] != b"DUCK":  # the magic bytes after a DuckDB file's 8-byte checksum
            raise not_saring("not a DuckDB file")
    try:  # a moment's read: a database of another saring version is never migrated from here
        with duckdb.connect(str(db_path), read_only=True) as con:
            version = con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise StoreError(f"{db_path} is being written and has no analysts' copy yet; "
                             "try again after the run") from None
        if isinstance(exc, duckdb.CatalogException) and "schema_version" in str(exc):
            raise not_saring("a DuckDB file without saring's tables") from None
        raise StoreError(f"cannot read the database {db_path}: {exc}") from None
    problem = _version_problem(db_path, version)
    if problem:
        raise problem
    try:
        Store(db_path, lock_wait=5).close()  # opening publishes a missing copy
    except StoreError as exc:
        if not snapshot_path(db_path).exists():  # else a run (or another reader) published it
            raise StoreError(f"{db_path} has no analysts' copy yet and it could not be published "
                             f"from here ({exc}); every saring run publishes it") from None


PRIVATE = "published"  # the analysts' copy in a private connection (connect_snapshot)


def connect_snapshot(db_path: str | Path | None = None, timezone: str = TIME_ZONE,
                     private: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the newest snapshot read-only (publishing it first when the database has none:
    a reader never keeps the writer's own file open). ``db_path`` may name the snapshot itself.

    ``timezone`` is the session's clock: times are shown on it and the views that count by day
    (``source_daily``, ``story_daily``, ``rumour_lifecycle``) count its days. Pass the forum's
    (``settings.schedule.timezone``) to agree with its digest and weekly report.

    ``private``: in a DuckDB instance of its own. DuckDB gives a second connection to a file this
    process has open the instance already open, which still reads the catalog that a newer
    publication replaced: a process that keeps a connection (the desk) takes a private one. Its
    cursors start on DuckDB's own empty database: run ``USE {PRIVATE}`` on each first. Without
    it the catalog is opened by its version's link (:func:`saring.storage.publish.catalog_to_open`),
    and privately where there is none (a data folder on a share without hard links).

    Raises:
        StoreError: neither file exists, the database is busy or of another saring version and
            has no snapshot yet, or the snapshot's files cannot be read (the data folder was moved
            without a new publication); :class:`OlderSchemaError` when the copy (or the database
            without one) is of an older saring.
        ValueError: ``timezone`` is not a time zone (WIB, WITA, WIT or a name like 'Asia/Makassar').
    """
    timezone = zone_name(timezone)
    db_path = Path(db_path) if db_path else default_db_path()
    if db_path.name.endswith(".snapshot.duckdb") and not snapshot_path(db_path).exists():
        # The catalog itself ("the analysts' snapshot" in the README): taken for a database
        # without a copy, it would be opened as the writer's file.
        db_path = db_path.with_name(db_path.name.removesuffix(".snapshot.duckdb") + ".duckdb")
    path = snapshot_path(db_path)
    if not path.exists():
        if not db_path.exists():
            raise StoreError(f"no database at {db_path}: run `saring ingest` first")
        _publish_first(db_path)
    try:
        if not private:
            from saring.storage.publish import catalog_to_open

            opened = catalog_to_open(db_path, path)
            # No link of its version (a share without hard links: FAT, SMB): by the catalog's own
            # path it would get the instance an older session has open, and the older data.
            private = opened == path
        if private:
            con = duckdb.connect()
            try:
                con.execute("ATTACH '{}' AS {} (READ_ONLY)".format(str(path).replace("'", "''"), PRIVATE))
                con.execute(f"USE {PRIVATE}")
            except duckdb.Error:
                con.close()
                raise
        else:
            con = duckdb.connect(str(opened), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"cannot read the analysts' copy of {db_path}: {exc}") from None
    con.execute(f"SET TimeZone = '{timezone}'").fetchall()
    _read_files_afresh(con)
    try:
        version = con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]
    except duckdb.IOException as exc:  # the catalog's Parquet files (a view) cannot be read
        con.close()
        raise StoreError(_unreadable_copy(db_path, exc)) from None
    problem = _version_problem(path, version)
    if problem:
        con.close()
        raise problem
    return con
