"""Shared fixtures: real local HTTP servers, real DuckDB files, one Prefect harness."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
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


def pytest_collection_modifyitems(items):
    """The slow test (a minute) first, so that no worker is left with it while the other is done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


_SITE_PORT: list[int] = []  # this worker's sample-site port (a stored item's address names it)


def _site_server(root: Path) -> SiteServer:
    """A server on this worker's usual port when it is free, so that an ingest of the sample is
    the same as the last one and :func:`ingested` can copy it."""
    if _SITE_PORT:
        try:
            return SiteServer(root, _SITE_PORT[0])
        except OSError:
            pass  # taken meanwhile: any port (the next ingest then runs for real)
    server = SiteServer(root)
    _SITE_PORT[:] = [server.httpd.server_address[1]]
    return server


@pytest.fixture()
def sample_site(tmp_path):
    """The bundled sample news sites, copied so a test may change them, served on 127.0.0.1."""
    root = tmp_path / "site"
    shutil.copytree(sample_dir(), root)
    with _site_server(root) as server:
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


# What a real ingest of the sample left (its database files), by everything that could make
# another test's ingest differ: see _ingest_key.
# (The scorer is kept with it: its id is in the key, and a freed one's id could be reused.)
_INGESTED: dict[tuple, tuple[Path, object, object]] = {}


def _patched_before(request) -> bool:
    """Whether the test's fixtures patched anything (monkeypatch's record) before its ingest:
    such an ingest is that test's own."""
    if "monkeypatch" not in request.fixturenames:
        return False
    patch = request.getfixturevalue("monkeypatch")  # the test's own: its fixtures used it already
    try:
        return bool(patch._setattr or patch._setitem) or patch._cwd is not None \
            or patch._savesyspath is not None
    except AttributeError:  # another pytest: assume it did
        return True


def _ingest_key(request, site, config, scorer) -> tuple:
    files = tuple(sorted((p.relative_to(site.root_dir).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                         for p in site.root_dir.rglob("*") if p.is_file()))
    return (request.node.nodeid if _patched_before(request) else "",
            files, config.model_dump_json(), id(scorer),
            tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SARING") or k == "TZ")),
            # the same hour: every time zone's day (the digest's, the buckets') is the same
            datetime.now(UTC).strftime("%Y-%m-%d %H"))


@pytest.fixture()
def ingest_sample(request, sample_site, db_path, scorer, tmp_path_factory):
    """``ingest_sample(config)``: the served sample sites ingested with ``config`` into ``db_path``,
    scored with the session's models; returns the run's summary (the first run's, for a copy).

    The first such ingest in this worker runs for real; a later one with the same served site,
    configuration, environment, hour and no patch made before it gets a copy of its database
    files (an ingest takes 1-3 s, and a few hundred tests start from one).
    """
    from saring.pipeline.ingest import run_ingest
    from saring.storage.database import Store

    def copy_database(source: Path, target: Path) -> None:
        for name in (db_path.name, db_path.name + ".wal"):
            if (source / name).exists():
                shutil.copy2(source / name, target / name)

    def ingest(config):
        key = _ingest_key(request, sample_site, config, scorer)
        if key in _INGESTED:
            kept, summary, _ = _INGESTED[key]
            copy_database(kept, db_path.parent)
            return summary
        with Store(db_path) as store:
            summary = run_ingest(config, store, scorer=scorer)
        kept = tmp_path_factory.mktemp("ingested")
        copy_database(db_path.parent, kept)
        _INGESTED[key] = kept, summary, scorer
        return summary

    return ingest


@pytest.fixture()
def ingested(ingest_sample, sample_config, db_path):
    """A real database: the sample sites ingested and scored, with its snapshot published."""
    from saring.storage.database import Store

    summary = ingest_sample(sample_config)
    assert summary.status == "ok" and summary.scored > 0, [r.error for r in summary.results]
    with Store(db_path) as store:
        store.publish_snapshot()
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
