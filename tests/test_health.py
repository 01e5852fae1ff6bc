"""Source health on a real database: failures in a row, silence beyond the usual interval."""

from datetime import UTC, datetime, timedelta, timezone

from typer.testing import CliRunner

from saring import clock
from saring.cli.main import app
from saring.config import parse_config
from saring.report.health import source_health, source_status
from saring.storage.database import Store

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def _items(store, source_id, times):
    store.add_items([
        dict(item_id=f"{source_id}{n}", url=f"https://{source_id}.example/{n}", link=None,
             source_id=source_id, title="t", summary="s", published_at=None, author=None, guid=None,
             first_seen_at=t, state="stored")
        for n, t in enumerate(times)
    ])


def test_failures_in_a_row_and_silence(tmp_path):
    config = parse_config({"sources": [
        {"id": "rajin", "name": "Rajin", "url": "https://rajin.example/feed"},
        {"id": "diam", "name": "Diam", "url": "https://diam.example/feed"},
        {"id": "rusak", "name": "Rusak", "url": "https://rusak.example/feed"},
    ]})
    with Store(tmp_path / "db.duckdb") as store:
        store.sync_sources(config.sources)
        # 'rajin' and 'diam' both published every 2 hours for two days; 'diam' stopped 30 h ago.
        _items(store, "rajin", [NOW - timedelta(hours=2 * k) for k in range(24)])
        _items(store, "diam", [NOW - timedelta(hours=30 + 2 * k) for k in range(24)])
        with clock.frozen(NOW - timedelta(hours=1)):  # read that day: 'diam' is silent, not unread
            for sid in ("rajin", "diam"):
                store.record_feed_fetch(sid, "ok", None)
            for _ in range(3):
                store.record_feed_fetch("rusak", "failed",
                                        "https://rusak.example/feed: server answered HTTP 500")
        status = {s.source_id: s for s in source_status(store.con, NOW)}
        assert status["rusak"].consecutive_failures == 3 and status["rusak"].last_success_at is None
        assert status["rajin"].usual_gap == timedelta(hours=2) and not status["rajin"].silent
        assert status["diam"].silent and status["diam"].items_today == 0
        start = NOW - timedelta(hours=10)
        health = {h.source_id: h for h in source_health(store.con, start, NOW)}
        assert health["rusak"].status == "gagal" and "3× berturut-turut" in health["rusak"].detail
        assert health["diam"].status == "sepi" and "biasanya tiap 2 jam" in health["diam"].detail
        assert health["rajin"].status == "ok"
        store.record_feed_fetch("rusak", "ok", None)  # recovery resets the counter
        assert {s.source_id: s for s in source_status(store.con, NOW)}["rusak"].consecutive_failures == 0


def test_a_feeds_failure_is_recorded_when_its_run_stops_before_it_finishes(tmp_path):
    # A run records its feeds' outcomes when it finishes (one write, not one per feed waiting
    # for the busy connection). A run that stops on the way (an error past the sources, a
    # Ctrl-C) must still leave them: else the health section said a failing feed was fine.
    config = parse_config({"sources": [
        {"id": "rusak", "name": "Rusak", "url": "https://rusak.example/feed"},
        {"id": "rajin", "name": "Rajin", "url": "https://rajin.example/feed"},
    ]})
    with Store(tmp_path / "db.duckdb") as store:
        store.sync_sources(config.sources)
        store.start_run("r1", "ingest")
        store.record_feed_fetch("rajin", "ok", None, etag='"v1"')
        store.record_feed_fetch("rusak", "failed", "https://rusak.example/feed: server answered HTTP 500")
    with Store(tmp_path / "db.duckdb") as store:
        status = {s.source_id: s for s in source_status(store.con, datetime.now(UTC))}
        assert status["rusak"].consecutive_failures == 1 and status["rusak"].last_status == "failed"
        assert status["rajin"].last_status == "ok" and store.feed_state("rajin") == ('"v1"', None)


def test_the_feeds_outcomes_are_stored_before_the_run_links_and_scores(sample_site, sample_config, db_path,
                                                                          scorer, monkeypatch):
    # A run keeps its feeds' outcomes to write them at once. Linking and scoring, the long end of a
    # run, are what a kill or a flow's timeout most often cuts: by then they must be stored, or
    # the health section would not know the run read the feeds.
    import saring.pipeline.ingest as ingest

    seen = []
    real = ingest.link_items

    def looking(store, *args, **kwargs):
        seen.extend(store.cur.execute("SELECT source_id, last_status FROM sources").fetchall())
        return real(store, *args, **kwargs)

    monkeypatch.setattr(ingest, "link_items", looking)
    with Store(db_path) as store:
        ingest.run_ingest(sample_config, store, scorer=scorer)
    assert seen and all(status == "ok" for _, status in seen), seen


def test_a_past_days_health_is_the_sources_state_on_that_day_not_now(tmp_path):
    # The digest of 20 November, made again on the 24th (an archive rebuilt, `saring digest
    # --date`), said a feed that broke on the 24th had failed on the 20th, and left out the one
    # that really failed on the 20th (it was fixed the next day).
    from saring import clock
    from saring.pipeline.ingest import SourceResult

    config = parse_config({"sources": [
        {"id": "dulu", "name": "Dulu", "url": "https://dulu.example/feed"},
        {"id": "kini", "name": "Kini", "url": "https://kini.example/feed"},
        {"id": "baru", "name": "Baru", "url": "https://baru.example/feed"},
    ]})
    wib = timezone(timedelta(hours=7))

    def run(run_id, at, errors, ok=("kini", "baru")):
        with clock.frozen(at):
            store.start_run(run_id, "ingest")
            results = [SourceResult(sid, "failed", error=e) for sid, e in errors.items()]
            results += [SourceResult(sid, "ok", items_in_feed=10) for sid in ok if sid not in errors]
            for r in results:
                store.record_feed_fetch(r.source_id, r.status, r.error)
            store.finish_run(run_id, "ok", results)

    with Store(tmp_path / "db.duckdb") as store:
        store.sync_sources(config.sources)
        _items(store, "kini", [datetime(2026, 11, 20, 9, tzinfo=wib)])
        for n, hour in enumerate((8, 20)):  # 'baru' is added to sources.yaml on the 21st
            run(f"r20-{n}", datetime(2026, 11, 20, hour, tzinfo=wib),
                {"dulu": "https://dulu.example/feed: server answered HTTP 500"}, ok=("kini",))
        run("r21", datetime(2026, 11, 21, 8, tzinfo=wib), {}, ok=("dulu", "kini", "baru"))
        for n in range(3):
            run(f"r24-{n}", datetime(2026, 11, 24, 8 + n, tzinfo=wib),
                {"kini": "https://kini.example/feed: server answered HTTP 404"}, ok=("dulu", "baru"))
        day20 = datetime(2026, 11, 20, tzinfo=wib)
        health = {h.source_id: h for h in source_health(store.con, day20, day20 + timedelta(days=1))}
        assert health["dulu"].status == "gagal" and "2× berturut-turut" in health["dulu"].detail
        assert "HTTP 500" in health["dulu"].detail
        assert (health["kini"].status, health["kini"].detail) == ("ok", "1 berita baru")
        baru = health["baru"]
        assert (baru.status, baru.detail) == ("sepi", "belum pernah dibaca sampai hari itu")
        day21 = day20 + timedelta(days=1)
        health = {h.source_id: h for h in source_health(store.con, day21, day21 + timedelta(days=1))}
        dulu = health["dulu"]  # read, fine, and no news that day
        assert (dulu.status, dulu.detail) == ("sepi", "tidak ada berita baru pada hari itu")
        day24 = datetime(2026, 11, 24, tzinfo=wib)
        health = {h.source_id: h for h in source_health(store.con, day24, day24 + timedelta(days=1))}
        assert health["kini"].status == "gagal" and "3× berturut-turut" in health["kini"].detail
        assert "HTTP 404" in health["kini"].detail
        assert health["dulu"].status != "gagal" and health["baru"].status != "gagal"


def test_sources_cli(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["sources", "check", "--sources", "sources.yaml"])
    assert result.exit_code == 0 and "OK:" in result.output
    Store(tmp_path / "db.duckdb").close()
    result = runner.invoke(app, ["sources", "status", "--db", str(tmp_path / "db.duckdb")])
    assert result.exit_code == 0 and "No source has been read" in result.output  # no run yet


def test_sources_status_before_any_run_says_to_run_ingest_instead_of_an_empty_table(tmp_path):
    # A new maintainer's first `saring check` made data/saring.duckdb; `saring sources status`
    # then drew the table's header and nothing else, as if sources.yaml listed no source.
    Store(tmp_path / "db.duckdb").close()
    result = CliRunner().invoke(app, ["sources", "status", "--db", str(tmp_path / "db.duckdb")])
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "No source has been read into this database yet" in said, said
    assert "run `saring ingest` first" in said and "Source health" not in said


def test_syncing_unchanged_sources_writes_nothing_and_a_change_is_written(sample_config, db_path):
    # A run on an unchanged sources.yaml rewrote every source row (and so the analysts' copy of
    # the table); updated_at now says when a source's configuration last changed.
    from saring.storage.database import Store

    with Store(db_path) as store:
        store.sync_sources(sample_config.sources)
        first = dict(store.cur.execute("SELECT source_id, updated_at FROM sources").fetchall())
        store.sync_sources(sample_config.sources)
        assert dict(store.cur.execute("SELECT source_id, updated_at FROM sources").fetchall()) == first
        renamed = [s.model_copy(update={"name": "Nama baru"}) if k == 0 else s
                   for k, s in enumerate(sample_config.sources)]
        store.sync_sources(renamed)
        now = dict(store.cur.execute("SELECT source_id, updated_at FROM sources").fetchall())
        assert [k for k in now if now[k] != first[k]] == [renamed[0].id]
        assert store.cur.execute("SELECT name FROM sources WHERE source_id = ?",
                                 [renamed[0].id]).fetchone()[0] == "Nama baru"


def test_a_source_removed_from_the_configuration_leaves_the_health_section(tmp_path, scorer):
    # A dead feed deleted from sources.yaml stayed 'enabled' in the database: the digest's health
    # section reported it failing every day. Put back, it is read (and reported) again.
    from saring.pipeline.ingest import run_ingest

    local = {"allow_private": True}
    both = parse_config({"sources": [
        {"id": "tetap", "name": "Tetap", "url": "http://127.0.0.1:9/tetap.xml", "options": local},
        {"id": "dihapus", "name": "Dihapus", "url": "http://127.0.0.1:9/mati.xml", "options": local},
    ], "settings": {"fetch": {"retries": 0, "timeout": 2}}})
    one = parse_config({"sources": [both.sources[0].model_dump()], "settings": {"fetch": {"retries": 0}}})
    day = (datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    with Store(tmp_path / "db.duckdb") as store:
        run_ingest(both, store, scorer=scorer)  # both feeds fail (nothing listens there)
        assert {h.source_id for h in source_health(store.con, *day)} == {"tetap", "dihapus"}
        run_ingest(one, store, scorer=scorer)
        assert {h.source_id for h in source_health(store.con, *day)} == {"tetap"}
        assert store.con.execute("SELECT count(*) FROM sources").fetchone()[0] == 2  # the row stays
        run_ingest(both, store, scorer=scorer)
        assert {h.source_id for h in source_health(store.con, *day)} == {"tetap", "dihapus"}


def test_a_removed_source_is_disabled_whatever_its_kind_also_in_a_file_from_before_outlet_hosts(tmp_path):
    # sync_sources told a removed source by the last stored field, which became outlet_host: a
    # removed source without one (not a news site, or a row from a v9 file) stayed enabled, and
    # the health section kept reporting it.
    from _db import database_at

    db = tmp_path / "saring.duckdb"
    con = database_at(db, 9)
    for sid in ("tetap", "lama"):  # as a v9 run recorded them
        con.execute("INSERT INTO sources (source_id, name, url, kind, region, enabled, updated_at) "
                    "VALUES (?, ?, ?, 'rss', NULL, true, now())", [sid, sid.title(), f"https://{sid}.example/feed"])
    con.close()
    config = parse_config({"sources": [
        {"id": "tetap", "name": "Tetap", "url": "https://tetap.example/feed"},
        {"id": "blog", "name": "Blog", "url": "https://blog.example/feed", "options": {"outlet": False}},
        {"id": "cari", "name": "Cari", "kind": "google_news", "options": {"query": "pilkada"}},
    ]})
    with Store(db) as store:
        store.sync_sources(config.sources, complete=True)  # 'lama' was removed with the upgrade
        assert store.outlet_hosts() == ["tetap.example"]
        store.sync_sources(config.sources[:1], complete=True)  # 'blog' and 'cari' removed
        rows = store.cur.execute("SELECT source_id, enabled, outlet_host FROM sources ORDER BY 1").fetchall()
        assert rows == [("blog", False, None), ("cari", False, None), ("lama", False, None),
                        ("tetap", True, "tetap.example")]
        before = store.cur.execute("SELECT source_id, updated_at FROM sources ORDER BY 1").fetchall()
        store.sync_sources(config.sources[:1], complete=True)  # nothing changed: nothing written
        assert store.cur.execute("SELECT source_id, updated_at FROM sources ORDER BY 1").fetchall() == before


def test_a_makassar_forums_sources_status_counts_today_from_its_own_midnight(tmp_path):
    # A Makassar forum (schedule.timezone: WITA) looked at `saring sources status` and the desk's
    # health page at noon: what saring saw at 00:30 WITA that day was not in "today" (the day began
    # at midnight WIB, 01:00 WITA), and the last success read in WIB.
    import re
    from zoneinfo import ZoneInfo

    import yaml
    from fastapi.testclient import TestClient

    from saring import clock
    from saring.desk.app import create_app
    from saring.desk.auth import add_user

    wita = ZoneInfo("Asia/Makassar")
    raw = {"sources": [{"id": "fajar", "name": "Fajar", "url": "https://fajar.example/feed"}],
           "settings": {"schedule": {"timezone": "WITA"}}}
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    db = tmp_path / "db.duckdb"
    noon = datetime(2026, 11, 25, 12, 0, tzinfo=wita)
    with Store(db) as store:
        store.sync_sources(parse_config(raw).sources)
        _items(store, "fajar", [datetime(2026, 11, 24, 22, 0, tzinfo=wita),
                                datetime(2026, 11, 25, 0, 30, tzinfo=wita)])
        with clock.frozen(noon):
            store.record_feed_fetch("fajar", "ok", None)
        [own] = source_status(store.con, noon, zone="Asia/Makassar")
        [jakarta] = source_status(store.con, noon)  # the default: WIB
        store.publish_snapshot()
    assert own.items_today == 1 and jakarta.items_today == 0 and own.items_7d == 2
    with clock.frozen(noon):
        said = CliRunner().invoke(app, ["sources", "status", "--db", str(db), "--sources", str(sources)],
                                  env={"COLUMNS": "200"})
        add_user(db, "rina", "kata-sandi-rahasia")
        client = TestClient(create_app(db, secret_key="k", timezone="Asia/Makassar"))
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia",
                                    "next": "/"}, follow_redirects=False)
        page = client.get("/health").text
    assert said.exit_code == 0, said.output
    assert "last success (WITA)" in said.output and "2026-11-25 12:00" in said.output, said.output
    [row] = [line for line in said.output.splitlines() if "fajar" in line]
    assert [cell.strip() for cell in row.split("│")][5:7] == ["1", "2"], row
    assert "<dd>1 / 2</dd>" in page and "Rabu, 25 November 2026, 12.00 WITA" in page


def read_empty_feed(store: Store, httpserver) -> None:
    """One run reading a real RSS with an empty channel (source "kosong", name "Kosong")."""
    from saring.pipeline.ingest import run_ingest

    empty = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Kosong</title>'
             '<link>https://kosong.example/</link><description>-</description></channel></rss>')
    httpserver.expect_request("/kosong.xml").respond_with_data(empty, content_type="application/rss+xml")
    config = parse_config({"sources": [
        {"id": "kosong", "name": "Kosong", "url": httpserver.url_for("/kosong.xml"),
         "options": {"allow_private": True}},
    ], "settings": {"fetch": {"retries": 0}}})
    run_ingest(config, store, scorer=None)


def test_a_feed_that_lists_nothing_is_called_empty_not_a_day_without_news(tmp_path, httpserver):
    # A site moved its RSS and left an empty channel at the old address (or a CDN served one): every
    # run read it "ok" with 0 entries, and the digest said "tidak ada berita baru hari ini", as if
    # the outlet had published nothing, while saring no longer watched it at all.
    day = (datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    with Store(tmp_path / "db.duckdb") as store:
        read_empty_feed(store, httpserver)
        [kosong] = source_health(store.con, *day)
    assert kosong.status == "sepi" and "feed kosong" in kosong.detail, kosong
    assert "tidak ada berita baru" not in kosong.detail


def fail_hourly_since_monday(store: Store) -> list[datetime]:
    """Source "rusak" read once on Monday 23 November 2026 at 07:00 WIB, then failing every hour
    from 08:00 for 50 runs, each recorded as a finished run. Returns the runs' times."""
    from saring.pipeline.ingest import SourceResult

    config = parse_config({"sources": [{"id": "rusak", "name": "Rusak", "url": "https://rusak.example/feed"}]})
    wib = timezone(timedelta(hours=7))
    store.sync_sources(config.sources)
    hourly = [datetime(2026, 11, 23, 7, tzinfo=wib) + timedelta(hours=k) for k in range(51)]
    for n, at in enumerate(hourly):  # read once, then failing every hour from 08:00
        status = "ok" if n == 0 else "failed"
        error = None if n == 0 else "https://rusak.example/feed: server answered HTTP 500"
        with clock.frozen(at):
            store.start_run(f"r{n}", "ingest")
            store.record_feed_fetch("rusak", status, error)
            store.finish_run(f"r{n}", "ok", [SourceResult("rusak", status, error=error, items_in_feed=5)])
    return hourly


def test_a_source_failing_for_days_says_since_when_not_only_how_many_runs(tmp_path):
    # An outlet's feed broke on Monday morning: on Wednesday the hourly digest said "gagal dibaca
    # (50× berturut-turut)", a count of runs the forum could not turn into days; it says since when.
    wib = timezone(timedelta(hours=7))
    with Store(tmp_path / "db.duckdb") as store:
        fail_hourly_since_monday(store)
        day = datetime(2026, 11, 25, tzinfo=wib)
        [rusak] = source_health(store.con, day, day + timedelta(days=1))
    assert rusak.status == "gagal"
    assert "sejak Senin, 23 November 2026, 08.00 WIB (50× berturut-turut)" in rusak.detail, rusak.detail


def test_a_source_failing_again_after_a_killed_runs_good_read_says_since_the_new_failures(tmp_path):
    # An outlet's feed failed on Monday, was read fine on Tuesday at 08:00 by a run the OOM killer
    # then killed while it scored, and failed again from 09:00: the digest and the desk said
    # "gagal dibaca sejak Senin ... (2× berturut-turut)", a source broken since Monday.
    from saring.pipeline.ingest import SourceResult

    wib = timezone(timedelta(hours=7))
    error = "https://rusak.example/feed: server answered HTTP 500"
    config = parse_config({"sources": [{"id": "rusak", "name": "Rusak", "url": "https://rusak.example/feed"}]})
    db = tmp_path / "db.duckdb"
    with Store(db) as store:
        store.sync_sources(config.sources)
        runs = [(datetime(2026, 11, 23, 8 + k, tzinfo=wib), "failed") for k in range(3)]
        runs += [(datetime(2026, 11, 24, 8 + k, tzinfo=wib), "ok" if k == 0 else "failed") for k in range(3)]
        for n, (at, status) in enumerate(runs):
            why = error if status == "failed" else None
            with clock.frozen(at):
                store.start_run(f"r{n}", "ingest")
                store.record_feed_fetch("rusak", status, why)
                store.flush_feed_fetches()  # its sources done: then linking and scoring
                if n != 3:  # the run of Tuesday 08:00 is killed while it scores
                    store.finish_run(f"r{n}", "ok", [SourceResult("rusak", status, error=why)])
        day = datetime(2026, 11, 24, tzinfo=wib)
        [rusak] = source_health(store.con, day, day + timedelta(days=1))
    assert "sejak Selasa, 24 November 2026, 09.00 WIB (2× berturut-turut)" in rusak.detail, rusak.detail
    with clock.frozen(runs[-1][0] + timedelta(minutes=30)):
        desk = _card(_health_page(db), "Rusak")
    assert "sejak Selasa, 24 November 2026, 09.00 WIB" in desk and "Senin" not in desk, desk


def _health_page(db) -> str:
    """The desk's /health page of ``db`` (its snapshot published), logged in."""
    import re

    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user

    add_user(db, "rina", "kata-sandi-rahasia")  # also publishes the snapshot
    client = TestClient(create_app(db, secret_key="k"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia",
                                "next": "/"}, follow_redirects=False)
    return client.get("/health").text


def _card(page: str, name: str) -> str:
    import re

    box = re.search(rf'<div class="card">\s*<strong>{name}</strong>(.*?)</div>', page, re.S)
    assert box, page
    return box.group(1)


def test_the_desks_health_page_calls_an_empty_feed_empty_not_ok(tmp_path, httpserver):
    # A site moved its RSS and left an empty channel: the digest's health section said "feed kosong
    # (0 entri) ... tidak terpantau", while the desk's health page showed the source with a green
    # "ok" badge, and a maintainer checking there saw nothing to fix.
    db = tmp_path / "db.duckdb"
    with Store(db) as store:
        read_empty_feed(store, httpserver)
    kosong = _card(_health_page(db), "Kosong")
    assert ">ok<" not in kosong and "feed kosong (0 entri)" in kosong, kosong


def test_the_desks_health_page_says_since_when_a_source_fails(tmp_path):
    # An outlet's feed broke on Monday morning: on Wednesday the desk's health page said only
    # "Gagal beruntun 50", a count of hourly runs; the digest says since when, and so does the desk.
    db = tmp_path / "db.duckdb"
    with Store(db) as store:
        hourly = fail_hourly_since_monday(store)
    with clock.frozen(hourly[-1] + timedelta(minutes=30)):
        rusak = _card(_health_page(db), "Rusak")
    assert "gagal" in rusak and "sejak Senin, 23 November 2026, 08.00 WIB" in rusak, rusak


def test_a_fact_check_feeds_counts_are_its_fact_checks_not_zero_news(sample_site, sample_config, db_path):
    # A fact-checker's entries are stored as fact-checks, not items: `saring sources status` and the
    # desk's health page showed "0 / 0" news for a fact-check feed that brought new fact-checks
    # every day, and its silence (a feed serving the same old entries) could never be noticed.
    from saring.pipeline.ingest import run_ingest

    with Store(db_path) as store:
        run_ingest(sample_config, store, scorer=None, only=["cekfakta"])
        [status] = [s for s in source_status(store.con) if s.source_id == "cekfakta"]
        (stored,) = store.con.execute(
            "SELECT count(*) FROM factchecks WHERE source_id = 'cekfakta'").fetchone()
    assert stored > 0
    assert (status.items_today, status.items_7d) == (stored, stored), status
    assert status.last_new_item_at is not None


def test_a_switched_off_source_reads_as_switched_off_not_failing_or_silent(tmp_path):
    # A dead feed ('rusak') and one that went quiet ('diam') were taken out of sources.yaml: the
    # digest stopped reporting them, but `saring sources status` kept showing them failed or silent
    # (in red and yellow) and the desk's health page "nonaktif" beside "gagal" or "sepi", forever.
    import yaml

    raw = {"sources": [{"id": "rajin", "name": "Rajin", "url": "https://rajin.example/feed"},
                       {"id": "diam", "name": "Diam", "url": "https://diam.example/feed"},
                       {"id": "rusak", "name": "Rusak", "url": "https://rusak.example/feed"}]}
    db = tmp_path / "db.duckdb"
    with Store(db) as store:
        store.sync_sources(parse_config(raw).sources)
        _items(store, "rajin", [NOW - timedelta(hours=2 * k) for k in range(24)])
        _items(store, "diam", [NOW - timedelta(hours=30 + 2 * k) for k in range(24)])
        with clock.frozen(NOW - timedelta(hours=1)):
            store.record_feed_fetch("rajin", "ok", None)
            store.record_feed_fetch("diam", "ok", None)
            for _ in range(3):
                store.record_feed_fetch("rusak", "failed", "https://rusak.example/feed: HTTP 404")
        raw["sources"] = raw["sources"][:1]  # both removed; the next run records them switched off
        store.sync_sources(parse_config(raw).sources, complete=True)
        store.publish_snapshot()
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with clock.frozen(NOW):
        said = CliRunner().invoke(app, ["sources", "status", "--db", str(db), "--sources", str(sources)],
                                  env={"COLUMNS": "200"})
        page = _health_page(db)
    assert said.exit_code == 0, said.output
    for sid in ("rusak", "diam"):
        [row] = [line for line in said.output.splitlines() if sid in line]
        cells = [cell.strip() for cell in row.split("│")]
        assert cells[1] == f"{sid} (off)" and cells[2] == "switched off", row
        assert cells[4] in ("", "-") and cells[7:9] == ["", ""], row  # no failures, silence or error
    for name in ("Rusak", "Diam"):
        card = _card(page, name)
        assert "nonaktif" in card, card
        assert not any(word in card for word in (">gagal<", ">sepi<", ">ok<", "Gagal beruntun", "HTTP 404"))
    assert ">ok<" in _card(page, "Rajin")


def test_a_feed_whose_entries_all_lack_a_readable_link_says_so_not_that_it_is_empty(tmp_path, httpserver):
    # A site's feed listed its three latest posts, none with a link (a theme that leaves <link>
    # out): the digest and the desk said "feed kosong (0 entri)", and the maintainer, who saw three
    # entries in the feed, found nothing wrong with it.
    from saring.pipeline.ingest import run_ingest

    entries = "".join(f"<item><title>Berita {n}</title><description>Isi {n}</description></item>"
                      for n in range(3))
    httpserver.expect_request("/feed.xml").respond_with_data(
        f"<rss version='2.0'><channel><title>Tema</title>{entries}</channel></rss>",
        content_type="application/rss+xml")
    config = parse_config({"sources": [{"id": "tema", "name": "Tema", "url": httpserver.url_for("/feed.xml"),
                                        "options": {"allow_private": True}}]})
    db = tmp_path / "db.duckdb"
    with Store(db) as store:
        summary = run_ingest(config, store, scorer=None)
        [tema] = source_health(store.con, datetime.now(UTC) - timedelta(hours=1),
                               datetime.now(UTC) + timedelta(hours=1))
    assert summary.results[0].skipped == 3
    assert tema.status == "sepi" and "tidak terpantau" in tema.detail, tema
    assert "3 entri" in tema.detail and "0 entri" not in tema.detail, tema.detail
    desk = _card(_health_page(db), "Tema")
    assert "3 entri" in desk and "0 entri" not in desk, desk


def test_a_channel_whose_sends_failed_is_named_on_the_desks_health_page_as_in_the_digest(tmp_path):
    # The forum's WhatsApp gateway was down at Wednesday's and Thursday's sends: the digest named
    # the channel, but the desk's "Kesehatan sumber" page, where the maintainer looks, spoke of
    # sources only.
    from zoneinfo import ZoneInfo

    from saring.config import DeliveryChannel, DeliverySettings
    from saring.report.deliver import deliver, free_port
    from saring.report.digest import Digest
    from saring.report.health import delivery_failures

    wib = ZoneInfo("Asia/Jakarta")
    db = tmp_path / "db.duckdb"
    settings = DeliverySettings(channels=(DeliveryChannel(name="wa-forum", url_env="WA"),), attempts=1)
    down = {"WA": f"json://127.0.0.1:{free_port()}/wa"}
    for day in (25, 26):
        with clock.frozen(datetime(2026, 11, day, 6, tzinfo=wib)):
            digest = Digest(day=datetime(2026, 11, day - 1).date(), generated_at=clock.now(), items_seen=0,
                            unscored=0, election_items=[], omitted=0, model_versions=[])
            assert deliver(db, digest, settings, env=down).all_failed
    at = datetime(2026, 11, 26, 9, tzinfo=wib)
    with Store(db) as store:
        [said] = delivery_failures(store.con, at)
    with clock.frozen(at):
        page = _health_page(db)
    assert "Kanal wa-forum" in page and said.detail in page, page
    assert "gagal terkirim 2× sejak Rabu, 25 November 2026, 06.00 WIB" in said.detail, said.detail
