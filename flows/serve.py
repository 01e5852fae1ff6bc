"""Serve the flows as scheduled deployments (used by ``saring serve``)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from prefect import serve
from prefect.schedules import Cron

from flows.digest import digest_flow
from flows.ingest import DEFAULT_SCHEDULE, ingest_flow
from flows.weekly import weekly_flow
from saring.config import Config


def _own_name(cron: str, ids: list[str]) -> str:
    """The deployment of the sources on their own ``cron``: their ids for people, cut short, and
    the cron's digest, so two groups never share a name (Prefect would keep only one of them)."""
    return f"ingest-{'-'.join(ids)[:50]}-{hashlib.sha1(cron.encode()).hexdigest()[:8]}"


def build_deployments(config: Config, sources: str, db: str, out: str, weekly_out: str | None = None) -> list:
    """Hourly ingest (plus one deployment per distinct per-source schedule), a daily digest and
    the weekly report (written to ``weekly_out``, by default a ``weekly`` folder next to ``out``)."""
    tz = config.schedule.timezone
    groups: dict[str, list[str]] = defaultdict(list)
    for s in config.enabled_sources:
        groups[s.schedule or config.schedule.ingest].append(s.id)
    deployments = []
    groups.setdefault(config.schedule.ingest, [])  # the hourly run reads sources enabled later too
    # The crons served from here on: a source given another one later is read hourly until a restart.
    own = sorted(cron for cron in groups if cron != config.schedule.ingest)
    for cron, ids in sorted(groups.items()):
        default = cron == config.schedule.ingest
        # Which sources a run reads is looked up in the file at each run, not fixed here.
        deployments.append(ingest_flow.to_deployment(
            name="ingest" if default else _own_name(cron, ids),
            schedule=Cron(cron, timezone=tz),
            concurrency_limit=1,  # as prefect.yaml: an overlapping run queues behind the slow one
            parameters={"sources": sources, "db": db, "schedule": DEFAULT_SCHEDULE if default else cron}
            | ({"own_schedules": own} if default else {}),
        ))
    # The morning digest covers the whole previous day.
    deployments.append(digest_flow.to_deployment(
        name="daily-digest", schedule=Cron(config.schedule.digest, timezone=tz),
        parameters={"sources": sources, "db": db, "out": out, "days_back": 1,
                    "send": bool(config.delivery.channels)},
    ))
    # The last complete week, for the forum's weekly meeting (prefect.yaml's weekly-report).
    deployments.append(weekly_flow.to_deployment(
        name="weekly-report", schedule=Cron(config.schedule.weekly, timezone=tz),
        parameters={"sources": sources, "db": db, "out": weekly_out or str(Path(out).parent / "weekly"),
                    "send": bool(config.delivery.channels)},
    ))
    return deployments


def serve_all(config: Config, sources: str, db: str, out: str, weekly_out: str | None = None) -> None:
    # One run at a time across all of them: each opens the one DuckDB file, and a second writer
    # would wait SARING_LOCK_WAIT and then fail; the runner keeps a run waiting until a slot is free.
    serve(*build_deployments(config, sources, db, out, weekly_out), limit=1)
