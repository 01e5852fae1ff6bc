"""Prefect flow: ingest every enabled source, then score and publish the snapshot.

Thin on purpose: the work is in :mod:`saring.pipeline.ingest`, which runs without Prefect.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from saring.context import resolve
from saring.pipeline.ingest import run_ingest as _run_ingest
from saring.pipeline.ingest import safe_ingest_source
from saring.storage.database import Store

# One task run per source makes failures visible per source in the Prefect UI.
# HTTP retries live in the fetcher, so the task itself is not retried.
ingest_source_task = task(safe_ingest_source, name="ingest-source", cache_policy=NONE,
                          task_run_name="ingest-{source.id}")


@flow(name="saring-ingest")
def ingest_flow(sources: str | None = None, db: str | None = None,
                only: list[str] | None = None) -> dict:
    """Read the feeds in ``sources`` into the DuckDB file ``db`` (defaults: saring.context)."""
    logger = get_run_logger()
    setup = resolve(db, sources, require_sources=True)
    with Store(setup.db) as store:
        summary = _run_ingest(setup.config, store, only=only, ingest_one=ingest_source_task)
    for r in summary.results:
        log = logger.warning if r.status == "failed" else logger.info
        log("%s: %s, %d new, %d extracted%s", r.source_id, r.status, r.new_items, r.extracted,
            f" — {r.error}" if r.error else "")
    if summary.scoring_error:
        logger.error("scoring failed: %s", summary.scoring_error)
    if not summary.ok and summary.results:
        raise RuntimeError("every source failed; see the run summary")
    return {"run_id": summary.run_id, "status": summary.status, "scored": summary.scored,
            "new_items": sum(r.new_items for r in summary.results)}
