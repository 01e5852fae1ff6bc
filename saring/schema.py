"""The database schema as numbered migrations, applied in order and recorded.

A file written by an older saring is brought up to date on open, inside one transaction per
step, after a backup copy; a file from a newer saring is refused rather than damaged.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from saring.errors import StoreError

LOGGER = logging.getLogger(__name__)

V1 = """
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
"""

# v2: per-source health (last success, consecutive failures).
V2 = """
ALTER TABLE sources ADD COLUMN IF NOT EXISTS last_success_at TIMESTAMPTZ;
ALTER TABLE sources ADD COLUMN IF NOT EXISTS consecutive_failures INTEGER DEFAULT 0;
UPDATE sources SET consecutive_failures = 0 WHERE consecutive_failures IS NULL;
UPDATE sources SET last_success_at = last_fetched_at WHERE last_status IN ('ok', 'not_modified');
"""

MIGRATIONS: list[tuple[int, str]] = [(1, V1), (2, V2)]
SCHEMA_VERSION = MIGRATIONS[-1][0]

# Views are recreated on every open, so changing one needs no migration.
VIEWS = """
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
CREATE OR REPLACE VIEW source_daily AS
    SELECT source_id, CAST(timezone('Asia/Jakarta', first_seen_at) AS DATE) AS day, count(*) AS items
    FROM items GROUP BY ALL;
"""


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)"
    )
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> bool:
    """Apply every pending migration; returns True when the file's schema changed.

    Raises:
        StoreError: the file was written by a newer saring.
    """
    version = current_version(con)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database {path} uses schema version {version}, newer than this saring "
            f"understands ({SCHEMA_VERSION}); upgrade saring instead of opening it with this one"
        )
    pending = [(v, sql) for v, sql in MIGRATIONS if v > version]
    if pending and version > 0 and path is not None and path.exists():
        backup = path.with_name(f"{path.name}.pre-v{SCHEMA_VERSION}.bak")
        con.execute("CHECKPOINT")
        shutil.copyfile(path, backup)
        LOGGER.warning("migrating %s from schema v%d to v%d (backup: %s)",
                       path, version, SCHEMA_VERSION, backup)
    for number, sql in pending:
        con.begin()
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?)", [number, datetime.now(UTC)])
            con.commit()
        except Exception:
            con.rollback()
            raise
    con.execute(VIEWS)
    return bool(pending)
