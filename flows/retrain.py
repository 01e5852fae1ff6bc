"""Prefect flow: retrain on base data + forum labels, gate, promote or keep, then re-score.

Thin on purpose: the work is in :func:`saring.judge.classifier.training.retrain`, which runs without Prefect
(``saring train`` calls the same function).
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from saring.judge.classifier.training import GATE_TOLERANCE, retrain


@flow(name="saring-retrain")
def retrain_flow(db: str | None = None, tolerance: float = GATE_TOLERANCE,
                 max_base_rows: int | None = None, rescore: bool = True) -> dict:
    """Retrain both models; promote only if the gate passes; re-score stored articles if promoted."""
    logger = get_run_logger()
    result = retrain(db, tolerance=tolerance, max_base_rows=max_base_rows)
    logger.info("candidate %s: %s", result.version, result.reason)
    logger.info("%s", result.forum_summary())
    logger.info("%s", result.floor_summary())  # stored floors follow at the next ingest run's linking
    scored = 0
    if result.promoted:
        logger.info("promoted %s (was %s)", result.version, result.current_version)
        from saring.config import default_db_path

        if rescore and db is None and not default_db_path().exists():
            # Opening it would make an empty database, whose digest tells the forum all is clear.
            logger.warning("no database at %s: nothing to re-score", default_db_path())
        elif rescore:
            from saring.pipeline.ingest import score_pending
            from saring.storage.database import Store

            with Store(db) as store:
                scored = score_pending(store, served=True)
                store.publish_snapshot()
    else:
        logger.warning("not promoted; current model stays %s", result.current_version)
    return {"version": result.version, "promoted": result.promoted, "reason": result.reason,
            "current_version": result.version if result.promoted else result.current_version,
            "rescored": scored}
