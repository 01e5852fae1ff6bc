"""Scale-out ingest: page work fans out over a Dask cluster; one loader writes DuckDB.

    from flows.scaled import scaled_ingest_flow
    scaled_ingest_flow(scheduler="tcp://dask-scheduler:8786")(sources="sources.yaml")

Without ``scheduler`` a local Dask cluster with ``n_workers`` processes is started.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cloudpickle
import dask
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect_dask import DaskTaskRunner

from saring.collect.fetch import Fetcher
from saring.context import resolve
from saring.pipeline.ingest import SourceResult, finish_ingest, new_run_id, read_feed
from saring.pipeline.scaleout import chunks, load_parts, process_part
from saring.storage.database import Store, refuse_placeholder

# Prefect ships the flow run's context, which holds this flow, with every task it sends to Dask.
# A deployment imports this file as a bare module ("scaled") that the Dask workers and scheduler
# cannot import, so its functions travel by value: the workers need only `pip install saring[scale]`.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

process_part_task = task(process_part, name="fetch-extract-score", cache_policy=NONE, retries=1,
                         task_run_name="part-{source.id}")


# A run's folder of parts (saring.pipeline.ingest.new_run_id): only these are ever deleted, and
# another run's only after a day (another database's flow may share the folder and be running).
RUN_FOLDER = re.compile(r"(\d{8}T\d{6})-[0-9a-f]{6}")
LEFTOVER_AFTER = timedelta(days=1)
# Hundreds of sources take longer than flows/ingest.py's run; past this a run is hung (its parts
# are swept as leftovers, its items read by the next run).
TIMEOUT_SECONDS = 6 * 3600


def _ingest(sources: str | None = None, db: str | None = None, parts_dir: str | None = None,
            chunk_size: int = 25, part_timeout: float = 900, keep_parts: bool = False) -> dict:
    """``sources``, ``db``: defaults as saring.context (as flows/ingest.py);
    ``keep_parts``: leave this run's parts in ``parts_dir`` (the scale demo counts them)."""
    logger = get_run_logger()
    if parts_dir:  # each worker would write into its own folder of that name, never seen by the loader
        refuse_placeholder(parts_dir, "the parts folder")
    setup = resolve(db, sources, require_sources=True)
    config = setup.config
    run_id = new_run_id()
    base = Path(parts_dir) if parts_dir else Path(tempfile.mkdtemp(prefix="saring-parts-"))
    parts_root = base / run_id
    try:
        with Store(setup.db) as store:
            _sweep_leftovers(base)
            relink = store.sync_sources(config.sources, complete=True)
            store.start_run(run_id, "ingest")
            plans: list = []
            results: list[SourceResult] = []
            try:
                # Feeds and item bookkeeping need the database: they stay with the single writer.
                with Fetcher(config.fetch) as fetcher:
                    for s in config.enabled_sources:
                        plans.append(read_feed(s, store, fetcher))
                store.flush_feed_fetches()  # before the long wait for the workers' parts
                outlets = store.outlet_hosts()
                futures = {
                    plan.source.id: [
                        process_part_task.submit(plan.source, part, config.fetch,
                                                 str(parts_root / f"{plan.source.id}-{n:04d}"), outlets)
                        for n, part in enumerate(chunks(plan.items, chunk_size))
                    ]
                    for plan in plans if not isinstance(plan, SourceResult)
                }
                scored: set[str] = set()  # by the workers: the summary counts them too
                for plan in plans:
                    results.append(plan if isinstance(plan, SourceResult)
                                   else _load(plan, futures[plan.source.id], store, scored, part_timeout))
            except BaseException as exc:
                # The flow's timeout or a cancel: the sources done by then are the run's outcome (else
                # 'running' until the next run took it for a killed one); the others' items wait for it.
                done = results + [p for p in plans[len(results):] if isinstance(p, SourceResult)]
                store.interrupt_run(run_id, done, f"{sum(r.new_items for r in done)} new items; interrupted "
                                    f"while reading the sources: {exc.__class__.__name__}: {exc}")
                raise
            summary = finish_ingest(store, run_id, results, stories_window=config.stories.window_days,
                                    risk=config.digest, scored_before=len(scored), rescore=relink)
    finally:
        # Loaded, or never to be (a stopped run's items are fetched again): a temporary folder
        # left by a failed run is never swept, each run making its own.
        if not keep_parts:
            shutil.rmtree(parts_root if parts_dir else base, ignore_errors=True)
    logger.info("scaled ingest %s: %s, %d new items", run_id, summary.status,
                sum(r.new_items for r in results))
    for r in results:
        if r.status == "failed":
            logger.warning("%s: failed — %s", r.source_id, r.error)
    if not summary.ok and summary.results:  # as flows/ingest.py: a Failed run, not a green one
        raise RuntimeError("every source failed; see the run summary")
    return {"run_id": run_id, "status": summary.status, "scored": summary.scored,
            "new_items": sum(r.new_items for r in results)}


def _load(plan, futures: list, store: Store, scored: set[str], part_timeout: float) -> SourceResult:
    """One source's parts merged; a part that failed (its retry too) fails that source only: the
    other parts are stored, and its items stay to be fetched by the next run."""
    parts, errors = [], []
    for future in futures:
        try:
            parts.append(future.result(timeout=part_timeout))
        except Exception as exc:  # noqa: BLE001 - a worker lost twice, a timeout, a bad page
            errors.append(f"{exc.__class__.__name__}: {exc}")
    result = load_parts(plan, parts, store, scored)
    if not errors:
        return result
    error = f"{len(errors)} of {len(futures)} parts failed: {errors[0]}"
    # Validators dropped: the next run re-reads the feed instead of trusting a 304.
    store.record_feed_fetch(plan.source.id, "failed", error, keep_validators=False)
    return replace(result, status="failed", error=error)


def _sweep_leftovers(base: Path) -> None:
    """Delete the parts of runs killed before they loaded them: never loaded (their items are
    fetched again by a later run), they only fill the shared folder."""
    cutoff = datetime.now(UTC) - LEFTOVER_AFTER
    for folder in base.iterdir() if base.is_dir() else ():
        found = RUN_FOLDER.fullmatch(folder.name)
        try:
            started = found and datetime.strptime(found[1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:  # digits, but no time: not a run's folder
            continue
        if started and started < cutoff and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def scaled_ingest_flow(scheduler: str | None = None, n_workers: int = 2):
    """The ingest flow bound to a Dask cluster: an existing ``scheduler`` address, or a local one."""
    # Dask's sampling profiler can deadlock a worker against the garbage collector (seen here:
    # Worker.trigger_profile -> sys._current_frames -> gc); the pipeline does not need it.
    dask.config.set({"distributed.worker.profile.enabled": False})
    runner = (DaskTaskRunner(address=scheduler) if scheduler else
              DaskTaskRunner(cluster_kwargs={"n_workers": n_workers, "threads_per_worker": 2,
                                             "processes": True, "dashboard_address": None}))
    return flow(_ingest, name="saring-ingest-scaled", task_runner=runner, timeout_seconds=TIMEOUT_SECONDS)


# For prefect.yaml deployments: the scheduler address comes from the worker's environment.
ingest_scaled = scaled_ingest_flow(scheduler=os.environ.get("SARING_DASK_SCHEDULER") or None)
