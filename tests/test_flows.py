"""One end-to-end run per flow on a real (temporary) Prefect server, plus the schedules."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from flows.digest import digest_flow
from flows.ingest import ingest_flow, scheduled
from flows.serve import build_deployments
from saring.config import load_config, parse_config
from saring.pipeline.demo import write_demo_sources
from saring.report.digest import DigestDayError


def test_ingest_and_digest_flows(prefect_harness, sample_site, tmp_path):
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    db = tmp_path / "saring.duckdb"
    first = ingest_flow(sources=str(sources), db=str(db))
    assert first["status"] == "ok" and first["new_items"] > 0
    con = duckdb.connect(str(db), read_only=True)
    assert first["scored"] == con.execute("SELECT count(*) FROM items").fetchone()[0]  # every item
    con.close()
    second = ingest_flow(sources=str(sources), db=str(db))
    assert second["new_items"] == 0
    paths = digest_flow(sources=str(sources), db=str(db), out=str(tmp_path / "out"))
    assert [p.rsplit(".", 1)[1] for p in paths] == ["txt", "html"]
    # The demo's forum is Kota Batu (settings.forum): its election news is the first section.
    text = open(paths[0], encoding="utf-8").read()
    sections = [line for line in text.splitlines() if line.startswith(("*📍", "*🗺", "*🌐", "*🔴", "*🗂"))]
    assert sections[0] == "*📍 KOTA BATU*", sections
    assert text.split("*📍 KOTA BATU*")[1].split("\n*1. ")[1].startswith("KPU Kota Batu")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM digests").fetchone()[0] == 1
    con.close()
    with pytest.raises(DigestDayError, match="has not come yet"):  # a manual run for 2062 (for 2026)
        digest_flow(sources=str(sources), db=str(db), out=str(tmp_path / "out"), day="2062-11-25")


def test_deployments_follow_the_schedule_settings(tmp_path):
    config = load_config("sources.yaml")
    deployments = build_deployments(config, "sources.yaml", "data/saring.duckdb", "data/digests")
    by_name = {d.name: d for d in deployments}
    assert set(by_name) >= {"ingest", "daily-digest"}
    ingest = by_name["ingest"].schedules[0].schedule
    assert ingest.cron == "0 * * * *" and ingest.timezone == "Asia/Jakarta"
    digest = by_name["daily-digest"]
    assert digest.schedules[0].schedule.cron == "0 6 * * *"
    assert digest.parameters["days_back"] == 1
    # A source with its own schedule gets its own deployment and leaves the hourly one.
    own = [d for d in deployments if d.name.startswith("ingest-")]
    assert own and own[0].schedules[0].schedule.cron == "30 */3 * * *"
    params = by_name["ingest"].parameters
    hourly = scheduled(config, params["schedule"], params["own_schedules"])
    assert "gn-hoaks-pemilu-jatim" not in hourly and len(hourly) == len(config.sources) - 1
    assert scheduled(config, own[0].parameters["schedule"]) == ["gn-hoaks-pemilu-jatim"]


def test_two_sources_with_long_ids_on_their_own_schedules_each_keep_their_deployment():
    # Two Google News queries with long ids alike in their first 60 characters, one read every
    # 3 hours, one every 6: both deployments got the same name, and Prefect kept only the last.
    base = "gn-hoaks-pemilu-kota-batu-kecamatan-junrejo-dan-kecamatan-bumiaji"[:60]
    raw = {"sources": [{"id": f"{base}-{end}", "name": end, "url": f"https://{end}.example/feed",
                        "schedule": cron} for end, cron in (("a", "15 */3 * * *"), ("b", "45 */6 * * *"))]}
    config = parse_config(raw)
    names = [d.name for d in build_deployments(config, "s.yaml", "db", "out")]
    assert len(set(names)) == len(names) == 5, names
    # Stable: the same file gives the same names after a restart (Prefect keeps each one's history).
    assert names == [d.name for d in build_deployments(parse_config(raw), "s.yaml", "db", "out")]


def test_saring_serve_runs_one_flow_at_a_time_as_prefect_yaml_does(tmp_path, monkeypatch):
    # Under `saring serve` an hourly ingest that overlapped a slow one (or the 3-hourly run of a
    # source on its own schedule, or the 06:00 digest) started anyway, waited SARING_LOCK_WAIT for
    # DuckDB's single writer and failed, seen only in Prefect. prefect.yaml queues them instead.
    import yaml

    from flows import serve as serve_module

    spec = yaml.safe_load(Path("prefect.yaml").read_text(encoding="utf-8"))
    [yaml_ingest] = [d for d in spec["deployments"] if d["name"] == "ingest"]
    config = load_config("sources.yaml")
    deployments = build_deployments(config, "sources.yaml", "data/saring.duckdb", str(tmp_path))
    ingests = [d for d in deployments if d.name.startswith("ingest")]
    assert len(ingests) >= 2 and {d.concurrency_limit for d in ingests} == {yaml_ingest["concurrency_limit"]}
    served = {}
    # serve() itself never returns: what it was given is what matters here.
    monkeypatch.setattr(serve_module, "serve", lambda *args, **kwargs: served.update(kwargs, args=args))
    serve_module.serve_all(config, "sources.yaml", "data/saring.duckdb", str(tmp_path))
    assert served["limit"] == 1  # every flow run opens the one database: they wait their turn
    assert [d.name for d in served["args"]] == [d.name for d in deployments]


def test_saring_serve_also_serves_the_weekly_report_on_the_schedule_prefect_yaml_uses(tmp_path):
    # An operator who ran `saring serve` (the README's simple way) got hourly ingest and the
    # morning digest but never a weekly report: its schedule was only in prefect.yaml.
    from pathlib import Path

    import yaml

    spec = yaml.safe_load(Path("prefect.yaml").read_text(encoding="utf-8"))
    [yaml_weekly] = [d for d in spec["deployments"] if d["name"] == "weekly-report"]
    config = load_config("sources.yaml")
    by_name = {d.name: d for d in build_deployments(config, "sources.yaml", "data/saring.duckdb",
                                                    str(tmp_path / "digests"))}
    weekly = by_name["weekly-report"]
    schedule = weekly.schedules[0].schedule
    assert [{"cron": schedule.cron, "timezone": schedule.timezone}] == yaml_weekly["schedules"]
    assert weekly.parameters["sources"] == "sources.yaml" and weekly.parameters["db"] == "data/saring.duckdb"
    assert weekly.parameters["out"] == str(tmp_path / "weekly")  # next to the digest archive
    assert weekly.parameters["send"] == bool(config.delivery.channels)
    # A WITA forum that moved its weekly meeting gets the report on its own clock.
    moved = config.model_copy(update={"schedule": config.schedule.model_copy(
        update={"weekly": "0 8 * * 1", "timezone": "Asia/Makassar"})})
    [weekly] = [d for d in build_deployments(moved, "s.yaml", "db", "out") if d.name == "weekly-report"]
    assert (weekly.schedules[0].schedule.cron, weekly.schedules[0].schedule.timezone) == \
        ("0 8 * * 1", "Asia/Makassar")


def test_prefect_yaml_entrypoints_are_flows_with_those_parameters():
    import importlib
    import inspect
    from pathlib import Path

    import yaml
    from prefect import Flow

    spec = yaml.safe_load(Path("prefect.yaml").read_text(encoding="utf-8"))
    for deployment in spec["deployments"]:
        module, name = deployment["entrypoint"].removesuffix(".py").replace("/", ".").split(":")
        flow_obj = getattr(importlib.import_module(module.replace(".py", "")), name)
        assert isinstance(flow_obj, Flow), deployment["name"]
        accepted = set(inspect.signature(flow_obj.fn).parameters)
        assert set(deployment["parameters"]) <= accepted, deployment["name"]


def test_every_deployed_flow_has_a_timeout_shorter_than_a_day():
    # A run that hangs (a stuck socket, a lock never freed) held its slot forever: under `saring
    # serve` (one run at a time) and prefect.yaml's queues every later ingest and every morning
    # digest waited behind it, and the forum simply got no digest.
    import importlib

    import yaml

    spec = yaml.safe_load(Path("prefect.yaml").read_text(encoding="utf-8"))
    for deployment in spec["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        flow_obj = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        assert flow_obj.timeout_seconds, deployment["name"]
        assert flow_obj.timeout_seconds < 24 * 3600, deployment["name"]  # the next day's digest runs


def test_prefect_yaml_setup_gives_a_worker_one_flow_run_at_a_time_across_its_deployments(prefect_harness):
    # prefect.yaml's `concurrency_limit: 1` holds per deployment: the hourly ingest and the 06:00
    # digest (Monday's 07:00 report too) were handed out together, both opened the one DuckDB file,
    # and the second waited SARING_LOCK_WAIT and failed: a slow ingest cost the forum its digest.
    # The work-pool commands in prefect.yaml's header are run here as the operator runs them.
    import shlex

    import yaml
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Running
    from prefect.testing.cli import invoke_and_assert

    text = Path("prefect.yaml").read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    pool = spec["definitions"]["pool"]["name"]
    setup = [shlex.split(line.lstrip("#").split("(")[0])[1:] for line in text.splitlines()
             if line.lstrip("# ").startswith("prefect work-pool")]
    assert setup, "prefect.yaml's header no longer says how to create the work pool"
    with get_client(sync_client=True) as client:
        for command in setup:
            invoke_and_assert(command, echo=False)
        runs = {}
        for deployment in spec["deployments"]:
            flow_id = client.create_flow_from_name(deployment["entrypoint"].split(":")[1])
            deployment_id = client.create_deployment(
                flow_id=flow_id, name=deployment["name"], work_pool_name=pool,
                concurrency_limit=deployment.get("concurrency_limit"))
            runs[client.create_flow_run_from_deployment(deployment_id).id] = deployment["name"]

        def handed_out() -> list:
            return [r.flow_run.id for r in client.get_scheduled_flow_runs_for_work_pool(pool)]

        done = []
        while len(done) < len(runs):
            given = handed_out()
            assert len(given) == 1, [runs[i] for i in given]  # the ingest, then the digest, ...
            client.set_flow_run_state(given[0], Running(), force=True)
            assert handed_out() == []  # the others wait while it runs, whichever deployment
            client.set_flow_run_state(given[0], Completed(), force=True)
            done.append(given[0])
        assert sorted(map(str, done)) == sorted(map(str, runs))


def _run_scaled(raw: dict, tmp_path, parts_dir: Path | None = None):
    """flows/scaled.py's ingest with its tasks in this process (Prefect's default runner)."""
    import yaml
    from prefect import flow

    from flows import scaled

    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "saring.duckdb"
    parts_dir = parts_dir or tmp_path / "parts"
    return flow(scaled._ingest, name="scaled-in-process")(sources=str(sources), db=str(db),
                                                          parts_dir=str(parts_dir)), db


def test_the_scaled_flow_counts_the_articles_its_workers_scored(prefect_harness, sample_site, tmp_path):
    # flows/scaled.py's parts are scored by the workers; its summary said "0 scored" for a run
    # that scored 70. Here its tasks run in this process (Prefect's default runner): the Dask
    # cluster itself is tested by test_scale_demo.py.
    import pytest

    pytest.importorskip("prefect_dask")

    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:3]  # three feeds are enough (each task run costs a second)
    out, db = _run_scaled(raw, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    items, scores = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("items", "scores"))
    message = con.execute("SELECT message FROM runs WHERE run_id = ?", [out["run_id"]]).fetchone()[0]
    con.close()
    assert out["status"] == "ok" and items > 0
    assert out["scored"] == items == scores
    assert f"{items} scored" in message


def test_the_scaled_flow_stores_the_articles_when_the_parts_folder_has_an_apostrophe(prefect_harness,
                                                                                    sample_site, tmp_path):
    # SARING_PARTS_DIR on a shared mount named after its owner ("/mnt/Data Ma'ruf"): every
    # part failed with a DuckDB parser error, so every source failed and no article was stored.
    import pytest

    pytest.importorskip("prefect_dask")

    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:1]
    out, db = _run_scaled(raw, tmp_path, parts_dir=tmp_path / "Data Ma'ruf")
    with duckdb.connect(str(db), read_only=True) as con:
        articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        error = con.execute("SELECT last_error FROM sources").fetchone()[0]
    assert out["status"] == "ok", error
    assert articles > 0 and out["scored"] == articles


def test_a_failed_part_of_the_scaled_flow_fails_only_its_source(prefect_harness, sample_site, tmp_path,
                                                                monkeypatch):
    # A part that failed twice (a lost worker, a timeout) used to fail the whole flow, and with
    # it every other source's stored parts. Losing a worker cannot be made to happen in this
    # process: the failing task stands in for it.
    import pytest

    pytest.importorskip("prefect_dask")
    from prefect import task
    from prefect.cache_policies import NONE

    from flows import scaled
    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:3]
    victim = raw["sources"][1]["id"]

    def lost(source, items, fetch, part, outlets=()):
        if source.id == victim:
            raise RuntimeError("the worker was lost")
        return scaled.process_part(source, items, fetch, part, outlets)

    monkeypatch.setattr(scaled, "process_part_task",
                        task(lost, name="fetch-extract-score", cache_policy=NONE))
    out, db = _run_scaled(raw, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    by_source = dict(con.execute("SELECT source_id, count(*) FILTER (WHERE state <> 'seen') FROM items "
                                 "GROUP BY 1").fetchall())
    status, error = con.execute("SELECT last_status, last_error FROM sources WHERE source_id = ?",
                                [victim]).fetchone()
    con.close()
    assert out["status"] != "ok"
    assert by_source[victim] == 0 and all(n > 0 for s, n in by_source.items() if s != victim)
    assert status == "failed" and "the worker was lost" in error


def test_the_ingest_flow_scores_in_the_helper_process_inside_a_flow_run(prefect_harness, sample_site,
                                                                        tmp_path, monkeypatch, scorer):
    # A flow run's process holds Prefect's own threads when the scoring lane starts its helper:
    # the helper must still answer (it loads the models itself), and every article must end up scored.
    import saring.pipeline.ingest as ingest
    from saring.pipeline.scoring_child import ScoringChild

    monkeypatch.setattr(ingest, "LANE_BATCH", 1)
    monkeypatch.setattr(ingest, "LANE_POLL_S", 0.005)
    forked = []
    real = ScoringChild.call

    def watched(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        forked.append(self._pool is not None)
        return result

    monkeypatch.setattr(ScoringChild, "call", watched)
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    db = tmp_path / "saring.duckdb"
    summary = ingest_flow(sources=str(sources), db=str(db))
    assert summary["status"] == "ok"
    with duckdb.connect(str(db), read_only=True) as con:
        assert summary["scored"] == con.execute("SELECT count(*) FROM items").fetchone()[0]
        assert con.execute("SELECT count(*) FROM item_place_scans").fetchone()[0] == summary["scored"]
    assert forked and all(forked)


def test_a_source_enabled_in_sources_yaml_while_serving_is_read_by_the_hourly_run(prefect_harness,
                                                                                  sample_site, tmp_path):
    # The maintainer disabled a broken feed, fixed its address later and enabled it again while
    # `saring serve` ran. The hourly deployment kept the source ids it was started with: the
    # source was never read until serve was restarted, and the health section kept its old error.
    import yaml

    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    raw = yaml.safe_load(sources.read_text(encoding="utf-8"))
    fixed = raw["sources"][1]
    fixed["enabled"] = False
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    db = tmp_path / "saring.duckdb"
    hourly = next(d for d in build_deployments(load_config(sources), str(sources), str(db), str(tmp_path))
                  if d.name == "ingest")
    fixed["enabled"] = True
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    ingest_flow(**hourly.parameters)
    with duckdb.connect(str(db), read_only=True) as con:
        read = {r[0] for r in con.execute("SELECT source_id FROM run_sources").fetchall()}
    assert fixed["id"] in read


def test_a_source_given_its_own_schedule_while_serving_is_read_until_serve_restarts(prefect_harness,
                                                                                   sample_site, tmp_path):
    # The maintainer gave a busy outlet `schedule: "*/30 * * * *"` while `saring serve` ran. The
    # hourly run left it to its own schedule's deployment, which serve had never started: the
    # outlet was read by no run at all until someone restarted serve.
    import yaml

    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    db = tmp_path / "saring.duckdb"
    hourly = next(d for d in build_deployments(load_config(sources), str(sources), str(db), str(tmp_path))
                  if d.name == "ingest")
    raw = yaml.safe_load(sources.read_text(encoding="utf-8"))
    busy = raw["sources"][1]
    busy["schedule"] = "*/30 * * * *"
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    ingest_flow(**hourly.parameters)
    with duckdb.connect(str(db), read_only=True) as con:
        read = {r[0] for r in con.execute("SELECT source_id FROM run_sources").fetchall()}
    assert busy["id"] in read and len(read) == len(raw["sources"])


def test_the_scaled_flow_leaves_no_parts_behind_in_the_shared_folder(prefect_harness, sample_site, tmp_path):
    # Every run's parts (each new article's full text) stayed in SARING_PARTS_DIR, the shared
    # mount, forever, and so did those of a run killed half-way: the folder only ever grew.
    import pytest

    pytest.importorskip("prefect_dask")

    from saring.pipeline.demo import demo_sources

    parts = tmp_path / "parts"
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y%m%dT%H%M%S")
    killed = parts / f"{two_days_ago}-0a1b2c"  # a run killed before it loaded its parts
    killed.mkdir(parents=True)
    running = parts / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-0d1e2f"  # another database's
    running.mkdir()
    (killed / "src-0000.articles.parquet").write_bytes(b"PAR1")
    (parts / "README.txt").write_text("not saring's", encoding="utf-8")  # kept: not a run's folder
    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:2]
    out, db = _run_scaled(raw, tmp_path)
    assert out["status"] == "ok" and out["new_items"] > 0
    assert sorted(p.name for p in parts.iterdir()) == sorted(["README.txt", running.name])


def test_a_wita_forums_midnight_digest_run_covers_yesterday_on_the_forums_clock(prefect_harness, tmp_path):
    # A Makassar forum (schedule.timezone: WITA) runs its digest at `0 0 * * *`: at 00:30 WITA it is
    # still the evening before in Jakarta, and `days_back: 1` gave the digest of the day before yesterday.
    from zoneinfo import ZoneInfo

    from saring import clock

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n"
                       "settings:\n  schedule: {timezone: WITA, digest: '0 0 * * *'}\n", encoding="utf-8")
    from saring.storage.database import Store

    Store(tmp_path / "saring.duckdb").close()  # the hourly runs made it
    run_at = datetime(2026, 11, 25, 0, 30, tzinfo=ZoneInfo("Asia/Makassar"))
    with clock.frozen(run_at):
        paths = digest_flow(sources=str(sources), db=str(tmp_path / "saring.duckdb"),
                            out=str(tmp_path / "out"), days_back=1)
    assert [p.rsplit("/", 1)[1] for p in paths] == ["digest-2026-11-24.txt", "digest-2026-11-24.html"]


@pytest.mark.parametrize("which", ["digest", "weekly"])
def test_a_scheduled_report_of_a_database_that_is_not_there_sends_nothing(which, prefect_harness, tmp_path,
                                                                         httpserver, monkeypatch):
    # The 06:00 digest ran before the first ingest had written the database (a new install, or
    # `db:` in prefect.yaml mistyped on one worker): the flow made an empty database and sent the
    # forum "0 berita ... ✅ Semua sumber terbaca", a false all-clear. `saring digest` refuses this.
    from flows.weekly import weekly_flow
    from saring.errors import StoreError

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n"
                       "settings:\n  delivery:\n    channels:\n      - {name: wa, url_env: T_FLOW_HOOK}\n",
                       encoding="utf-8")
    monkeypatch.setenv("T_FLOW_HOOK", "json://" + httpserver.url_for("/wa").split("://")[1])
    monkeypatch.chdir(tmp_path)  # no .env here
    missing = tmp_path / "data" / "saring.duckdb"
    run = digest_flow if which == "digest" else weekly_flow
    with pytest.raises(StoreError, match="no database at"):
        run(sources=str(sources), db=str(missing), out=str(tmp_path / "out"), send=True)
    assert not missing.exists() and not (tmp_path / "out").exists() and not httpserver.log


def test_a_weekly_run_for_a_week_not_over_writes_no_report(prefect_harness, tmp_path):
    # A weekly run started by hand from the Prefect UI with `week` this week (or the next) and `send`
    # off wrote an all-zero report under data/weekly/ that read as a quiet week; `saring report
    # weekly` refuses such a week.
    from zoneinfo import ZoneInfo

    from flows.weekly import weekly_flow
    from saring import clock
    from saring.report.weekly import WeekError
    from saring.storage.database import Store

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n",
                       encoding="utf-8")
    Store(tmp_path / "saring.duckdb").close()  # the hourly runs made it
    out = tmp_path / "weekly"
    with clock.frozen(datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))):  # Wednesday of W47
        for week, said in (("2026-W47", "has not ended yet"), ("2026-W48", "has not started yet")):
            with pytest.raises(WeekError, match=said):
                weekly_flow(sources=str(sources), db=str(tmp_path / "saring.duckdb"), out=str(out), week=week)
    assert not out.exists()


def test_a_weekly_run_for_a_week_not_over_names_the_flows_parameter_not_the_cli_flags(prefect_harness,
                                                                                      tmp_path):
    # The maintainer started the weekly run from the Prefect UI with `week` this week: the failed run
    # said "give --partial ... give neither --week nor --end", flags the flow's form does not have.
    from zoneinfo import ZoneInfo

    from flows.weekly import weekly_flow
    from saring import clock
    from saring.report.weekly import WeekError
    from saring.storage.database import Store

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n",
                       encoding="utf-8")
    Store(tmp_path / "saring.duckdb").close()
    with clock.frozen(datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))):  # Wednesday of W47
        with pytest.raises(WeekError, match="has not ended yet") as refused:
            weekly_flow(sources=str(sources), db=str(tmp_path / "saring.duckdb"), out=str(tmp_path / "w"),
                        week="2026-W47")
    said = str(refused.value)
    assert "--" not in said and "leave the `week` parameter empty" in said, said


def test_an_ingest_run_for_a_mistyped_or_switched_off_source_says_so(prefect_harness, sample_site, tmp_path):
    # A run started by hand from the Prefect UI to read again one source the maintainer had fixed,
    # with `only: [antara-pemilu]` mistyped (or a source still `enabled: false`): the run read
    # nothing, finished 'Completed' with status 'ok', and the source was believed read.
    import yaml

    from saring.errors import SourceConfigError

    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    raw = yaml.safe_load(sources.read_text(encoding="utf-8"))
    first, off = raw["sources"][0]["id"], raw["sources"][1]["id"]
    raw["sources"][1]["enabled"] = False
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    db = tmp_path / "saring.duckdb"
    with pytest.raises(SourceConfigError, match=f"only: no source '{first}x' in {sources}"):
        ingest_flow(sources=str(sources), db=str(db), only=[first, f"{first}x"])
    with pytest.raises(SourceConfigError, match=f"only: source '{off}' is switched off"):
        ingest_flow(sources=str(sources), db=str(db), only=[off])
    assert not db.exists()  # nothing was read, and no run recorded as 'ok'
    assert ingest_flow(sources=str(sources), db=str(db), only=[first])["new_items"] > 0


def test_a_deployment_whose_database_placeholder_was_never_filled_says_so(prefect_harness, sample_site,
                                                                          tmp_path, monkeypatch):
    # prefect.yaml passes db: "{{ $SARING_DB }}"; `prefect deploy --all` ran without SARING_DB (it was
    # set only for the worker), so every run got the placeholder itself: the runs wrote a database
    # named '{{ $SARING_DB }}' in SARING_HOME while the desk and `saring query` read the real one.
    import yaml

    from saring.errors import StoreError

    spec = yaml.safe_load(Path("prefect.yaml").read_text(encoding="utf-8"))
    placeholder = spec["definitions"]["params"]["db"]
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    monkeypatch.chdir(tmp_path)  # the pull step's working directory
    for run in (lambda: ingest_flow(sources=str(sources), db=placeholder),
                lambda: digest_flow(sources=str(sources), db=placeholder, out=str(tmp_path / "out"))):
        with pytest.raises(StoreError, match=r"SARING_DB was not set when `prefect deploy` ran"):
            run()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "sources.yaml"]


def test_a_scaled_deployment_whose_parts_folder_placeholder_was_never_filled_says_so(prefect_harness,
                                                                                   sample_site, tmp_path,
                                                                                   monkeypatch):
    # prefect.yaml passes parts_dir: "{{ $SARING_PARTS_DIR }}"; deployed without that variable, the
    # loader and each Dask worker used a folder of that name in their own working directory, not
    # the shared mount: the loader never found the workers' parts.
    import yaml

    from saring.errors import StoreError

    pytest.importorskip("prefect_dask")
    spec = yaml.safe_load(Path("prefect.yaml").read_text(encoding="utf-8"))
    [scaled] = [d for d in spec["deployments"] if d["name"] == "ingest-scaled"]
    placeholder = scaled["parameters"]["parts_dir"]
    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:1]
    monkeypatch.chdir(tmp_path)  # the pull step's working directory
    with pytest.raises(StoreError, match=r"SARING_PARTS_DIR was not set when `prefect deploy` ran"):
        _run_scaled(raw, tmp_path, parts_dir=Path(placeholder))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "sources.yaml"]  # nothing read


def _hang(sample_site, path: str) -> None:
    """The sample site answers ``path`` (a feed) only after 6 s: past a run's timeout of 3 s,
    within the fetcher's own."""
    import time

    def slow(file, body):
        if "/" + file.relative_to(sample_site.root_dir).as_posix() == path:
            time.sleep(6)
        return body

    sample_site.httpd.transform = slow


def test_an_ingest_run_that_timed_out_while_reading_the_feeds_is_recorded_as_stopped(prefect_harness,
                                                                                    sample_site, tmp_path):
    # One outlet's server hung on its feed and the hourly run hit the flow's timeout while its
    # sources were still being read. Prefect said TimedOut, but the run's record stayed 'running'
    # (no end, no sources) until the next run called it "killed before it finished".
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    db = tmp_path / "saring.duckdb"
    ingest_flow(sources=str(sources), db=str(db))  # the hours before, as usual
    hung = urlsplit(load_config(sources).sources[0].url).path

    _hang(sample_site, hung)
    state = ingest_flow.with_options(timeout_seconds=3)(sources=str(sources), db=str(db), return_state=True)
    assert state.name == "TimedOut"
    with duckdb.connect(str(db), read_only=True) as con:
        status, finished, ok, message = con.execute(
            "SELECT status, finished_at IS NOT NULL, sources_ok, message FROM runs ORDER BY started_at DESC"
        ).fetchone()
    assert (status, finished, ok) == ("interrupted", True, len(load_config(sources).enabled_sources)), message
    assert "interrupted while reading the sources" in message  # Prefect stops it with a CancelledError
    sample_site.httpd.transform = None
    assert ingest_flow(sources=str(sources), db=str(db))["status"] == "ok"  # the next run recovers


def test_a_scaled_ingest_run_that_timed_out_while_reading_the_feeds_is_recorded_as_stopped(prefect_harness,
                                                                                          sample_site,
                                                                                          tmp_path):
    # As the hourly ingest: one outlet's server hung on its feed past the scaled run's timeout, and
    # the run's record stayed 'running' (no end, no sources) until a next run called it "killed".
    from prefect import flow

    pytest.importorskip("prefect_dask")
    from flows import scaled
    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:3]
    out, db = _run_scaled(raw, tmp_path)  # the hours before, as usual
    assert out["status"] == "ok"
    hung = urlsplit(raw["sources"][1]["url"]).path

    _hang(sample_site, hung)
    timed = flow(scaled._ingest, name="scaled-in-process", timeout_seconds=3)
    state = timed(sources=str(tmp_path / "sources.yaml"), db=str(db), parts_dir=str(tmp_path / "parts"),
                  return_state=True)
    assert state.name == "TimedOut"
    with duckdb.connect(str(db), read_only=True) as con:
        status, finished, ok, message = con.execute(
            "SELECT status, finished_at IS NOT NULL, sources_ok, message FROM runs ORDER BY started_at DESC"
        ).fetchone()
    assert (status, finished, ok) == ("interrupted", True, 1), message  # the feed read before the hung one
    assert "interrupted while reading the sources" in message
    sample_site.httpd.transform = None
    out, db = _run_scaled(raw, tmp_path)
    assert out["status"] == "ok"  # the next run recovers


def test_a_scaled_ingest_run_whose_every_source_failed_fails_as_the_hourly_one_does(prefect_harness,
                                                                                   sample_site, tmp_path):
    # The loader machine lost its network: every feed of the scaled deployment failed, yet each run
    # ended 'Completed' in Prefect (flows/ingest.py's run fails), so the operator saw only green runs.
    pytest.importorskip("prefect_dask")
    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:2]
    for source in raw["sources"]:
        source["url"] += ".gone"  # 404 from the sample server
    with pytest.raises(RuntimeError, match="every source failed"):
        _run_scaled(raw, tmp_path)
    with duckdb.connect(str(tmp_path / "saring.duckdb"), read_only=True) as con:
        assert con.execute("SELECT status, sources_failed FROM runs").fetchall() == [("failed", 2)]


def test_an_ingest_run_stopped_while_reading_starts_no_more_sources(prefect_harness, sample_site, tmp_path):
    # A run hit its timeout (or the operator cancelled it in the Prefect UI) while one source hung:
    # it went on to read every source still queued, holding the one writer's slot past its stop
    # (a cancelled run is killed after Prefect's grace period, its record lost with it).
    import yaml

    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    raw = yaml.safe_load(sources.read_text(encoding="utf-8"))
    raw["settings"]["fetch"] = {"source_workers": 1}  # one at a time: the others wait in the queue
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    db = tmp_path / "saring.duckdb"
    feeds = [urlsplit(s["url"]).path for s in raw["sources"]]

    _hang(sample_site, feeds[0])
    state = ingest_flow.with_options(timeout_seconds=3)(sources=str(sources), db=str(db), return_state=True)
    assert state.name == "TimedOut"
    read = [p for p in sample_site.requests if p in feeds]
    # The hung one, and the next one when the stop reached the run only as the hung one ended
    # (Prefect's watcher thread, used under pytest-timeout's alarm, waits for Python code to run).
    assert read == feeds[:len(read)] and len(read) <= 2, read
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT status, sources_ok + sources_failed FROM runs").fetchall() == \
            [("interrupted", len(read))]


def test_a_scaled_ingest_run_without_a_sources_parameter_reads_the_file_saring_sources_names(
        prefect_harness, sample_site, tmp_path, monkeypatch):
    # A loader whose SARING_SOURCES names the forum's file, its run started by hand without `sources`:
    # the hourly ingest read that file, the scaled one looked for sources.yaml in its working folder.
    import yaml
    from prefect import flow

    pytest.importorskip("prefect_dask")
    from flows import scaled
    from saring.pipeline.demo import demo_sources

    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:1]
    sources = tmp_path / "forum" / "sources.yaml"
    sources.parent.mkdir()
    sources.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SARING_SOURCES", str(sources))
    monkeypatch.chdir(tmp_path)  # no sources.yaml here
    out = flow(scaled._ingest, name="scaled-in-process")(db=str(tmp_path / "saring.duckdb"),
                                                         parts_dir=str(tmp_path / "parts"))
    assert out["status"] == "ok" and out["new_items"] > 0


def test_a_scaled_ingest_run_without_a_parts_folder_that_stops_leaves_no_temporary_folder(
        prefect_harness, sample_site, tmp_path, monkeypatch):
    # Run by hand without parts_dir, each run that hit its timeout (a hung feed) left its own
    # saring-parts-* folder in the system's temporary folder: only a finished run removed it.
    import tempfile

    from prefect import flow

    pytest.importorskip("prefect_dask")
    from flows import scaled
    from saring.pipeline.demo import demo_sources

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # the system's temporary folder, here
    raw = demo_sources(sample_site.base_url, sample_site.root_dir)
    raw["sources"] = raw["sources"][:2]
    out, db = _run_scaled(raw, tmp_path)  # writes the sources file
    hung = urlsplit(raw["sources"][1]["url"]).path

    _hang(sample_site, hung)
    timed = flow(scaled._ingest, name="scaled-in-process", timeout_seconds=3)
    state = timed(sources=str(tmp_path / "sources.yaml"), db=str(db), return_state=True)
    sample_site.httpd.transform = None
    assert state.name == "TimedOut"
    assert [p.name for p in temp.iterdir() if p.name.startswith("saring-parts-")] == []


def test_a_digest_run_started_by_hand_with_a_mistyped_day_says_the_form_it_expects(prefect_harness, tmp_path):
    # A digest run started from the Prefect UI with day "25-11-2026" (or "2026-11-31") failed with
    # Python's "Invalid isoformat string", which does not say what to type instead.
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n",
                       encoding="utf-8")
    for typed in ("25-11-2026", "2026-11-31"):
        expected = rf"day '{typed}' is not a date like 2026-11-25 \(YYYY-MM-DD\)"
        with pytest.raises(DigestDayError, match=expected):
            digest_flow(sources=str(sources), db=str(tmp_path / "saring.duckdb"), out=str(tmp_path / "out"),
                        day=typed)
    assert not (tmp_path / "saring.duckdb").exists() and not (tmp_path / "out").exists()


def test_a_weekly_run_started_by_hand_with_a_mistyped_week_names_the_flows_parameter(prefect_harness,
                                                                                    tmp_path):
    # A weekly run started from the Prefect UI with week "2026-47" failed saying "--week '2026-47' is
    # not a week like 2026-W47": a flag the flow's form does not have.
    from flows.weekly import weekly_flow
    from saring.report.weekly import WeekError

    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n",
                       encoding="utf-8")
    for typed, said in (("2026-47", "is not a week like 2026-W47"),
                        ("2026-W60", "that year has no such week"),
                        ("0001-W01", "the year must be between 1970 and 9998")):
        with pytest.raises(WeekError, match=said) as refused:
            weekly_flow(sources=str(sources), db=str(tmp_path / "saring.duckdb"), out=str(tmp_path / "w"),
                        week=typed)
        assert str(refused.value).startswith(f"week {typed!r}") and "--" not in str(refused.value)
    assert not (tmp_path / "saring.duckdb").exists() and not (tmp_path / "w").exists()
