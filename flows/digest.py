"""Prefect flow: build and write the daily digest (thin over :mod:`saring.digest`)."""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow, get_run_logger

from saring.config import load_config
from saring.digest import make_digest, today_wib


@flow(name="saring-digest")
def digest_flow(sources: str = "sources.yaml", db: str | None = None, out: str = "data/digests",
                day: str | None = None, days_back: int = 0) -> list[str]:
    """Write the digest for ``day`` (default: today in Asia/Jakarta minus ``days_back``)."""
    config = load_config(sources)
    target = date.fromisoformat(day) if day else today_wib() - timedelta(days=days_back)
    digest, paths = make_digest(db, target, config.digest, out)
    get_run_logger().info("digest %s: %d items, %d election-related, %d high risk -> %s",
                          target, digest.items_seen, len(digest.election_items), digest.high_risk,
                          ", ".join(map(str, paths)))
    return [str(p) for p in paths]
