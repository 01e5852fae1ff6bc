"""Shared fixtures: real local HTTP servers, real DuckDB files, one Prefect harness."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from saring.config import parse_config
from saring.pipeline.demo import SiteServer, demo_sources, sample_dir

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no network from the tests
# pytest-xdist's workers export COLUMNS=80 and LINES=24: Rich would fix the CLI's console width at
# import, and the tests that pass their own COLUMNS to CliRunner would then depend on test order.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (starting one takes 10-20 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def sample_site(tmp_path):
    """The bundled sample news sites, copied so a test may change them, served on 127.0.0.1."""
    root = tmp_path / "site"
    shutil.copytree(sample_dir(), root)
    with SiteServer(root) as server:
        server.root_dir = root
        yield server


@pytest.fixture()
def sample_config(sample_site):
    """A validated Config pointing at the served sample sites."""
    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["settings"] = {"fetch": {"retries": 0, "timeout": 5}}
    return parse_config(raw)


@pytest.fixture()
def db_path(tmp_path):
    return tmp_path / "saring.duckdb"


@pytest.fixture(scope="session")
def scorer():
    """The shipped models, loaded once (loading takes seconds)."""
    from saring.judge.classifier.score import load_scorer

    return load_scorer()


@pytest.fixture()
def ingested(sample_site, sample_config, db_path, scorer):
    """A real database: the sample sites ingested and scored, with its snapshot published."""
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    with Store(db_path) as store:
        summary = run_ingest(sample_config, store, scorer=scorer)
        store.publish_snapshot()
    assert summary.status == "ok" and summary.scored > 0, [r.error for r in summary.results]
    return db_path


@pytest.fixture()
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1: ``.url`` for apprise, ``.received`` envelopes."""
    from _net import smtp_server

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope)
            return "250 OK"

    with smtp_server(Handler()) as controller:
        controller.received = received
        controller.url = controller.url_to("kpu@test.invalid,bawaslu@test.invalid")
        yield controller
