"""The DuckDB store: schema, idempotent upserts, and the analysts' snapshot.

One process writes (the flows). After each run the writer publishes a read-only copy,
``<db>.snapshot.duckdb``, replaced atomically, so analysts never meet the writer's lock.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from saring.config import Source
from saring.errors import StoreError

LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS sources (
    source_id VARCHAR PRIMARY KEY, name VARCHAR, url VARCHAR, kind VARCHAR, region VARCHAR,
    enabled BOOLEAN, etag VARCHAR, last_modified VARCHAR, last_fetched_at TIMESTAMPTZ,
    last_status VARCHAR, last_error VARCHAR, updated_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, flow VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    status VARCHAR, sources_ok INTEGER, sources_failed INTEGER, new_items INTEGER, message VARCHAR
);
CREATE TABLE IF NOT EXISTS run_sources (
    run_id VARCHAR, source_id VARCHAR, status VARCHAR, http_status INTEGER,
    items_in_feed INTEGER, new_items INTEGER, extracted INTEGER, failed INTEGER,
    skipped INTEGER, error VARCHAR, warning VARCHAR, duration_s DOUBLE,
    PRIMARY KEY (run_id, source_id)
);
CREATE TABLE IF NOT EXISTS items (
    item_id VARCHAR PRIMARY KEY, url VARCHAR, link VARCHAR, source_id VARCHAR, title VARCHAR,
    summary VARCHAR, published_at TIMESTAMPTZ, author VARCHAR, guid VARCHAR,
    first_seen_at TIMESTAMPTZ, state VARCHAR
);
CREATE TABLE IF NOT EXISTS articles (
    item_id VARCHAR PRIMARY KEY, final_url VARCHAR, http_status INTEGER, text VARCHAR,
    text_source VARCHAR, title VARCHAR, published_at TIMESTAMPTZ, author VARCHAR,
    language VARCHAR, extraction_error VARCHAR, fetched_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS scores (
    item_id VARCHAR, model_version VARCHAR, election_score DOUBLE, hoax_score DOUBLE,
    election_terms VARCHAR[], hoax_terms VARCHAR[], scored_at TIMESTAMPTZ,
    PRIMARY KEY (item_id, model_version)
);
CREATE TABLE IF NOT EXISTS digests (
    digest_date DATE PRIMARY KEY, generated_at TIMESTAMPTZ, items INTEGER,
    election_items INTEGER, high_risk INTEGER, files VARCHAR[]
);
CREATE OR REPLACE VIEW latest_scores AS
    SELECT * FROM scores
    QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY scored_at DESC, model_version DESC) = 1;
CREATE OR REPLACE VIEW item_overview AS
    SELECT i.item_id, i.source_id, s.name AS source_name, s.region, i.url,
           coalesce(a.title, i.title) AS title, coalesce(a.published_at, i.published_at) AS published_at,
           i.first_seen_at, i.state, a.text_source, a.extraction_error, a.language,
           coalesce(a.text, i.summary) AS text,
           sc.election_score, sc.hoax_score, sc.election_terms, sc.hoax_terms, sc.model_version
    FROM items i
    LEFT JOIN sources s USING (source_id)
    LEFT JOIN articles a USING (item_id)
    LEFT JOIN latest_scores sc USING (item_id);
"""


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_db_path() -> Path:
    """``SARING_DB`` if set, else ``data/saring.duckdb``."""
    return Path(os.environ.get("SARING_DB", "data/saring.duckdb"))


def snapshot_path(db_path: str | Path) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".snapshot.duckdb")


class Store:
    """A writable connection to the saring database. Use as a context manager."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(self.path))
        except (OSError, duckdb.Error) as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        self.con.execute("SET TimeZone = 'UTC'")
        self._migrate()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _migrate(self) -> None:
        self.con.execute(SCHEMA)
        self.con.execute(
            "INSERT INTO schema_version VALUES (?, ?) ON CONFLICT DO NOTHING", [SCHEMA_VERSION, utcnow()]
        )

    # -- writes -----------------------------------------------------------------

    def _upsert(self, table: str, rows: Sequence[dict[str, Any]], keys: Sequence[str], update: bool) -> None:
        """Insert rows in one statement; on a key conflict update (or keep) the stored row."""
        if not rows:
            return
        frame = pd.DataFrame(list(rows))
        cols = list(frame.columns)
        action = "NOTHING"
        if update:
            sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys)
            action = f"UPDATE SET {sets}" if sets else "NOTHING"
        self.con.register("_rows", frame)
        try:
            self.con.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _rows "
                f"ON CONFLICT ({', '.join(keys)}) DO {action}"
            )
        finally:
            self.con.unregister("_rows")

    def sync_sources(self, sources: Iterable[Source]) -> None:
        """Record the configured sources (keeping their conditional-GET state)."""
        now = utcnow()
        rows = [
            dict(source_id=s.id, name=s.name, url=s.url, kind=s.kind, region=s.region,
                 enabled=s.enabled, updated_at=now)
            for s in sources
        ]
        self._upsert("sources", rows, ["source_id"], update=True)

    def feed_state(self, source_id: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified stored for a feed (for conditional GET)."""
        row = self.con.execute(
            "SELECT etag, last_modified FROM sources WHERE source_id = ?", [source_id]
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def record_feed_fetch(
        self, source_id: str, status: str, error: str | None,
        etag: str | None = None, last_modified: str | None = None, keep_validators: bool = True,
    ) -> None:
        """Store a feed fetch's outcome; validators are kept when the answer had none."""
        self.con.execute(
            """UPDATE sources SET last_fetched_at = ?, last_status = ?, last_error = ?,
                   etag = CASE WHEN ? THEN coalesce(?, etag) ELSE ? END,
                   last_modified = CASE WHEN ? THEN coalesce(?, last_modified) ELSE ? END
               WHERE source_id = ?""",
            [utcnow(), status, error, keep_validators, etag, etag,
             keep_validators, last_modified, last_modified, source_id],
        )

    def known_item_ids(self, item_ids: Sequence[str]) -> set[str]:
        """Which of these items already have their article stored (never fetch those again)."""
        if not item_ids:
            return set()
        rows = self.con.execute(
            "SELECT item_id FROM items WHERE item_id IN (SELECT unnest(?)) AND state <> 'seen'",
            [list(item_ids)],
        ).fetchall()
        return {r[0] for r in rows}

    def add_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert newly seen items; an item already stored keeps its first sighting."""
        self._upsert("items", rows, ["item_id"], update=False)

    def save_articles(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store extracted articles and move their items to state 'stored', atomically."""
        if not rows:
            return
        self.con.begin()
        try:
            self._upsert("articles", rows, ["item_id"], update=True)
            self.con.execute(
                "UPDATE items SET state = 'stored' WHERE state = 'seen' AND item_id IN (SELECT unnest(?))",
                [[r["item_id"] for r in rows]],
            )
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise

    def unscored(self, model_version: str) -> pd.DataFrame:
        """Stored articles without a score from this model version."""
        return self.con.execute(
            """SELECT i.item_id, coalesce(a.title, i.title) AS title, coalesce(a.text, i.summary) AS text
               FROM items i JOIN articles a USING (item_id)
               WHERE NOT EXISTS (SELECT 1 FROM scores s
                                 WHERE s.item_id = i.item_id AND s.model_version = ?)
               ORDER BY i.item_id""",
            [model_version],
        ).df()

    def save_scores(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        self.con.begin()
        try:
            self._upsert("scores", rows, ["item_id", "model_version"], update=True)
            self.con.execute(
                "UPDATE items SET state = 'scored' WHERE item_id IN (SELECT unnest(?))",
                [[r["item_id"] for r in rows]],
            )
            self.con.commit()
        except Exception:
            self.con.rollback()
            raise

    def start_run(self, run_id: str, flow: str) -> None:
        self._upsert("runs", [dict(run_id=run_id, flow=flow, started_at=utcnow(), status="running")],
                     ["run_id"], update=True)

    def finish_run(self, run_id: str, status: str, results: Sequence[Any], message: str = "") -> None:
        rows = [{"run_id": run_id, **asdict(r)} for r in results]
        self._upsert("run_sources", rows, ["run_id", "source_id"], update=True)
        ok = sum(1 for r in results if r.status != "failed")
        self.con.execute(
            """UPDATE runs SET finished_at = ?, status = ?, sources_ok = ?, sources_failed = ?,
                   new_items = ?, message = ? WHERE run_id = ?""",
            [utcnow(), status, ok, len(results) - ok, sum(r.new_items for r in results), message, run_id],
        )

    def record_digest(self, day: Any, items: int, election: int, high: int, files: list[str]) -> None:
        self._upsert("digests", [dict(digest_date=day, generated_at=utcnow(), items=items,
                                      election_items=election, high_risk=high, files=files)],
                     ["digest_date"], update=True)

    def counts(self) -> dict[str, int]:
        """Row counts per table (used by the CLI summary and the tests)."""
        tables = ["sources", "items", "articles", "scores", "runs", "run_sources", "digests"]
        return {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}

    def publish_snapshot(self) -> Path:
        """Write a consistent read-only copy for analysts, replacing the old one atomically."""
        target = snapshot_path(self.path)
        tmp = target.with_name(target.name + ".tmp")
        self.con.execute("CHECKPOINT")
        tmp.unlink(missing_ok=True)
        shutil.copyfile(self.path, tmp)
        os.replace(tmp, target)  # readers holding the old file keep reading it
        return target


def connect_snapshot(db_path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open the newest snapshot read-only (falls back to the database when no run published one).

    Raises:
        StoreError: neither file exists, or the database is busy and has no snapshot yet.
    """
    db_path = Path(db_path) if db_path else default_db_path()
    candidates = [snapshot_path(db_path), db_path]
    for path in candidates:
        if path.exists():
            try:
                con = duckdb.connect(str(path), read_only=True)
            except duckdb.Error as exc:
                if path == db_path:
                    raise StoreError(
                        f"{db_path} is being written and has no snapshot yet; try again after the run"
                    ) from exc
                continue
            con.execute("SET TimeZone = 'Asia/Jakarta'")
            return con
    raise StoreError(f"no database at {db_path}: run `saring ingest` first")
