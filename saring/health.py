"""Source health: which sources failed or went silent, for the digest and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    name: str
    status: str  # gagal | sepi | ok
    detail: str


def source_health(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> list[SourceHealth]:
    """Failed sources (with the last reason) and enabled sources that gave nothing that day."""
    rows = con.execute(
        """WITH last_run AS (
               SELECT rs.source_id, rs.status, rs.error, r.started_at,
                      row_number() OVER (PARTITION BY rs.source_id ORDER BY r.started_at DESC) AS n
               FROM run_sources rs JOIN runs r USING (run_id)
               WHERE r.started_at < ?),
           seen AS (SELECT source_id, count(*) AS n FROM items
                    WHERE first_seen_at >= ? AND first_seen_at < ? GROUP BY source_id)
           SELECT s.source_id, s.name, l.status, l.error, coalesce(seen.n, 0)
           FROM sources s
           LEFT JOIN last_run l ON l.source_id = s.source_id AND l.n = 1
           LEFT JOIN seen ON seen.source_id = s.source_id
           WHERE s.enabled
           ORDER BY s.source_id""",
        [end, start, end],
    ).fetchall()
    health = []
    for source_id, name, status, error, n in rows:
        if status == "failed":
            health.append(SourceHealth(source_id, name, "gagal", error or "alasan tidak tercatat"))
        elif status is None:
            health.append(SourceHealth(source_id, name, "sepi", "belum pernah dibaca"))
        elif n == 0:
            health.append(SourceHealth(source_id, name, "sepi", "tidak ada berita baru hari ini"))
        else:
            health.append(SourceHealth(source_id, name, "ok", f"{n} berita baru"))
    return health
