"""Prefect flow: ingest every enabled source, then score and publish the snapshot.

Thin on purpose: the work is in :mod:`saring.pipeline.ingest`, which runs without Prefect.
"""

from __future__ import annotations

import logging

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from saring.config import Config
from saring.context import resolve
from saring.pipeline.ingest import check_only, safe_ingest_source
from saring.pipeline.ingest import run_ingest as _run_ingest
from saring.storage.database import Store

LOGGER = logging.getLogger(__name__)

# One task run per source makes failures visible per source in the Prefect UI.
# HTTP retries live in the fetcher, so the task itself is not retried.
ingest_source_task = task(safe_ingest_source, name="ingest-source", cache_policy=NONE,
                          task_run_name="ingest-{source.id}")


DEFAULT_SCHEDULE = "default"

# Past this a run is hung, not slow (an hourly run takes minutes): its one-at-a-time slot is freed
# for the next ingest and the morning digest; items it did not store are read by the next run.
TIMEOUT_SECONDS = 3 * 3600


def scheduled(config: Config, schedule: str, own_schedules: list[str] | None = None) -> list[str]:
    """The sources the deployment on ``schedule`` reads: a cron for the sources whose own schedule
    it is, :data:`DEFAULT_SCHEDULE` for the others (``settings.schedule.ingest``).

    ``own_schedules``: the crons that have their own deployment; a source on any other cron (given
    it after ``saring serve`` started) is read on the default one until serve is restarted.
    """
    if schedule == DEFAULT_SCHEDULE:
        served = None if own_schedules is None else set(own_schedules)
        ids = []
        for s in config.sources:
            if s.schedule in (None, config.schedule.ingest):
                ids.append(s.id)
            elif served is not None and s.schedule not in served:
                if s.enabled:
                    LOGGER.warning("source %s: no run has its schedule %r yet (set after saring serve "
                                   "started): read on the default schedule until serve is restarted",
                                   s.id, s.schedule)
                ids.append(s.id)
        return ids
    return [s.id for s in config.sources if s.schedule == schedule]


@flow(name="saring-ingest", timeout_seconds=TIMEOUT_SECONDS)
def ingest_flow(sources: str | None = None, db: str | None = None,
                only: list[str] | None = None, schedule: str | None = None,
                own_schedules: list[str] | None = None) -> dict:
    """Read the feeds in ``sources`` into the DuckDB file ``db`` (defaults: saring.context).

    ``schedule`` (``saring serve``'s deployments, see :func:`scheduled`): only the sources on it,
    as ``sources`` says at this run, so a source added or enabled there is read without a restart.
    """
    logger = get_run_logger()
    setup = resolve(db, sources, require_sources=True)
    if only is not None:  # a run started by hand: a mistyped id would read nothing and say 'ok'
        check_only(setup.config, only, setup.sources)
    if schedule is not None:
        only = [i for i in scheduled(setup.config, schedule, own_schedules) if only is None or i in only]
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
