"""The analysts' copy is published incrementally (Parquet buckets + a catalog) and stays equal to
the database: new rows, rewritten old rows (rescore, regrouped stories, new fact-check matches)."""

from __future__ import annotations

import contextlib
import json
import warnings
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

import saring
from saring.storage.database import Store, snapshot_path
from saring.storage.publish import INTERNAL, published_dir

OLD = datetime(2025, 3, 10, 8, tzinfo=UTC)  # months before "now": month buckets


def _fill(store: Store, n: int, start: datetime, prefix: str, step: timedelta = timedelta(days=7)) -> None:
    con = store.con
    con.execute("INSERT INTO sources (source_id, name) VALUES ('s1', 'Outlet') ON CONFLICT DO NOTHING")
    for i in range(n):
        at = start + i * step
        item = f"{prefix}{i}"
        con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state, kind) "
                    "VALUES (?, ?, 's1', ?, ?, 'scored', 'rss')",
                    [item, f"https://x.example/{item}", f"t {item}", at])
        con.execute("INSERT INTO articles (item_id, text, text_source, fetched_at) VALUES (?, ?, 'page', ?)",
                    [item, f"teks berita {item} KPU Kota Batu", at])
        con.execute("INSERT INTO scores VALUES (?, 'm1', 0.9, 0.1, ['kpu'], ['x'], ?)", [item, at])
        con.execute("INSERT INTO stories VALUES (?, ?, ?)", [item, item, at])


def _same(db) -> None:
    """Every table and view the catalog shows equals the database's own."""
    live = duckdb.connect(str(db), read_only=True)
    pub = saring.connect(str(db))
    try:
        for name in ["items", "articles", "scores", "stories", "factcheck_matches", "item_overview",
                     "story_overview", "sources"]:
            want = sorted(live.execute(f"SELECT * FROM {name}").fetchall(), key=str)
            got = sorted(pub.execute(f"SELECT * FROM {name}").fetchall(), key=str)
            assert got == want, name
    finally:
        live.close()
        pub.close()


def _disk_full(*args, **kwargs):
    raise OSError(28, "No space left on device")


def _listed(manifest: dict) -> set[str]:
    """Every Parquet file the publication's manifest names."""
    listed = {v["file"] for t in manifest["tables"].values() for v in t.values()}
    return listed | {v["file"] for v in manifest["small"].values()} | {"_small/publication.parquet"}


def _parquet_on_disk(db) -> set[str]:
    return {p.relative_to(published_dir(db)).as_posix() for p in published_dir(db).glob("*/*.parquet")}


def _manifest(db) -> dict:
    return json.loads((published_dir(db) / "manifest.json").read_text())


def test_a_run_publishes_only_what_it_changed_and_old_rewrites_show(tmp_path):
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 20, OLD, "old")  # 20 weeks: several month buckets
        store.publish_snapshot()
        first = _manifest(db)
        files_before = {v["file"] for t in first["tables"].values() for v in t.values()}
        assert len(files_before) >= 5 * 4  # items, articles, scores, stories over 5+ months
        # A run adds today's items: only today's buckets are written, the history is kept.
        _fill(store, 2, datetime.now(UTC), "new", timedelta(seconds=1))
        store.publish_snapshot()
    second = _manifest(db)
    files_after = {v["file"] for t in second["tables"].values() for v in t.values()}
    written = files_after - files_before
    month = datetime.now(UTC).strftime("%Y-%m")
    assert written and all(f.split("/")[1].startswith(month) for f in written), written
    assert files_before - files_after == set()  # nothing of the history was rewritten
    _same(db)
    # Rewrites of old rows: a rescore, a regrouped story, a new fact-check match, a changed state.
    with Store(db) as store:
        con = store.con
        con.execute("INSERT INTO scores SELECT item_id, 'm2', 0.2, 0.8, ['pemilu'], ['hoaks'], now() "
                    "FROM items WHERE item_id = 'old3'")
        con.execute("UPDATE stories SET story_id = 'old4', assigned_at = now() WHERE item_id = 'old5'")
        con.execute("INSERT INTO factchecks (factcheck_id, title, verdict) "
                    "VALUES ('f1', 'Hoaks KPU', 'salah')")
        con.execute("INSERT INTO factcheck_matches VALUES ('old6', 'f1', 0.8, now())")
        con.execute("UPDATE items SET state = 'stored' WHERE item_id = 'old7'")  # no time column moves
        store.publish_snapshot()
    _same(db)
    pub = saring.connect(str(db))
    try:
        score = pub.execute("SELECT hoax_score FROM item_overview WHERE item_id = 'old3'").fetchall()
        assert score == [(0.8,)]
        assert pub.execute("SELECT n_items FROM story_overview WHERE story_id = 'old4'").fetchall() == [(2,)]
    finally:
        pub.close()


def test_published_files_are_parquet_and_the_catalog_is_small(tmp_path):
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 30, OLD, "a")
        store.publish_snapshot()
    parts = list(published_dir(db).glob("*/*.parquet"))
    assert parts
    con = duckdb.connect()
    assert sum(con.execute(f"SELECT count(*) FROM read_parquet('{p}')").fetchall()[0][0]
               for p in parts if p.parent.name == "items") == 30
    types = ("SELECT table_name, column_name, data_type FROM information_schema.columns "
             "WHERE table_catalog = current_database() ORDER BY table_name, ordinal_position")
    catalog = duckdb.connect(str(snapshot_path(db)), read_only=True)
    try:
        kinds = dict(catalog.execute("SELECT table_name, table_type FROM information_schema.tables")
                     .fetchall())
        published_types = catalog.execute(types).fetchall()
        for view in kinds:  # created unbound (DEFER_BINDING): each binds, and reads, when used
            catalog.execute(f'SELECT * FROM "{view}" LIMIT 1').fetchall()
    finally:
        catalog.close()
    # Only views, over Parquet files: the large tables' buckets, each small table's stable file.
    assert set(kinds.values()) == {"VIEW"}
    with Store(db) as store:  # every table and view of the database is in the analysts' catalog
        own = {r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        own_types = store.con.execute(types).fetchall()
    # ... except the writer's internal ones (story grouping's term counts: large, derived)
    assert "story_vectors" in own and "story_vectors" not in kinds
    assert own - INTERNAL <= set(kinds), sorted(own - INTERNAL - set(kinds))
    # ... with the same columns of the same types (Parquet keeps time zones, lists, dates)
    own_types = [r for r in own_types if r[0] not in INTERNAL]
    assert [r for r in published_types if r[0] != "publication"] == own_types


def test_retired_files_go_after_a_while_and_at_once_on_erase(tmp_path, monkeypatch):
    import saring.storage.publish as publish

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 3, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(seconds=1))
        store.publish_snapshot()
        store.con.execute("UPDATE items SET state = 'stored' WHERE item_id = 'a0'")
        store.publish_snapshot()
        retired = _manifest(db)["retired"]
        assert retired and all((published_dir(db) / r["file"]).exists() for r in retired)  # readers finish
        store.publish_snapshot(erase=True)
        assert _manifest(db)["retired"] == []
        assert not any((published_dir(db) / r["file"]).exists() for r in retired)
        monkeypatch.setattr(publish, "RETIRE_AFTER", 0.0)
        store.con.execute("UPDATE items SET state = 'scored' WHERE item_id = 'a0'")
        store.publish_snapshot()
        store.publish_snapshot()
    manifest = _manifest(db)
    assert _parquet_on_disk(db) == _listed(manifest)
    _same(db)


def _catalog_identity(db) -> tuple[int, int]:
    st = snapshot_path(db).stat()
    return st.st_ino, st.st_mtime_ns


def test_a_run_that_changed_only_small_tables_keeps_the_catalog_and_open_sessions_see_it(tmp_path):
    """A run on unchanged feeds changes only small tables and its own run rows (the sources'
    state, today's runs): their files keep their paths and are rewritten, the catalog stays, and
    a session opened before reads the new rows on its next query, with the publication's version
    and time advanced."""
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 5, datetime.now(UTC) - timedelta(hours=2), "a", timedelta(minutes=1))
        store.con.execute("INSERT INTO runs (run_id, flow, started_at) VALUES ('r0', 'ingest', now())")
        store.publish_snapshot()  # today's first run: runs gets today's file, named by the catalog
    catalog = _catalog_identity(db)
    analyst = saring.connect(str(db))  # opened before the next publications, kept open
    try:
        version, at = analyst.execute("SELECT version, published_at FROM publication").fetchall()[0]
        assert analyst.execute("SELECT count(*) FROM runs").fetchall() == [(1,)]
        small = published_dir(db) / "_small"
        digests = next(small.glob("digests.*.parquet"))
        untouched = digests.stat().st_ino
        for n in range(1, 4):  # several in a row: a file replaced within the same second is read anew
            with Store(db) as store:
                store.con.execute("INSERT INTO runs (run_id, flow, started_at) VALUES (?, 'ingest', now())",
                                  [f"r{n}"])
                store.con.execute("UPDATE sources SET etag = ? WHERE source_id = 's1'", [f'"e{n}"'])
                store.publish_snapshot()
            assert _catalog_identity(db) == catalog  # nothing the catalog names changed
            assert analyst.execute("SELECT count(*) FROM runs").fetchall() == [(n + 1,)]
            assert analyst.execute("SELECT etag FROM sources").fetchall() == [(f'"e{n}"',)]
            now = analyst.execute("SELECT version, published_at FROM publication").fetchall()[0]
            assert now[0] == version + n and now[1] >= at
        assert digests.stat().st_ino == untouched  # unchanged: not rewritten
        assert _manifest(db)["version"] == version + 3
        # New rows of a large table: a new bucket file, so a new catalog naming it.
        with Store(db) as store:
            _fill(store, 1, datetime.now(UTC), "b")
            store.publish_snapshot()
        assert _catalog_identity(db) != catalog
    finally:
        analyst.close()
    _same(db)


def test_the_publication_counts_what_it_rewrote(tmp_path):
    import saring.storage.publish as publish

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 3, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.con.execute("INSERT INTO runs (run_id, flow, started_at) VALUES ('r0', 'ingest', now())")
        schema = store.con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0]
        first = publish.publish(store.cur, db, snapshot_path(db), schema)
        same = publish.publish(store.cur, db, snapshot_path(db), schema)
        store.con.execute("INSERT INTO runs (run_id, flow, started_at) VALUES ('r1', 'ingest', now())")
        small = publish.publish(store.cur, db, snapshot_path(db), schema)
    assert first.catalog_written and first.written > 0
    assert not same.catalog_written and same.written == 0
    # today's files of the runs and of their per-source rows (they change together), same paths
    assert not small.catalog_written and small.written == 2


def test_an_older_layout_is_republished_whole(tmp_path):
    """The first publication after an upgrade (the manifest's format is older) rewrites every file
    and the catalog, so nothing of the old layout (small tables inside the catalog) stays."""
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 3, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()
        manifest = _manifest(db)
        manifest["format"] = 1
        (published_dir(db) / "manifest.json").write_text(json.dumps(manifest))
        catalog = _catalog_identity(db)
        store.publish_snapshot()
    after = _manifest(db)
    assert _catalog_identity(db) != catalog
    old_files = {v["file"] for t in manifest["tables"].values() for v in t.values()}
    assert not old_files & {v["file"] for t in after["tables"].values() for v in t.values()}
    _same(db)


def test_the_first_publication_after_an_upgrade_that_changed_a_view_writes_it(tmp_path, monkeypatch):
    """The catalog is rewritten when its views' SQL changed, not only when its files did: after an
    upgrade, quiet runs (no new rows, so no new bucket file) kept the old saring's story_daily."""
    import saring.storage.schema as schema

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 1, datetime(2026, 11, 24, 16, 30, tzinfo=UTC), "a")  # 00:30 WITA on the 25th
        with monkeypatch.context() as old_saring:  # its views counted Jakarta's days
            old_saring.setattr(schema, "CATALOG_VIEWS", schema.CATALOG_VIEWS.replace(
                schema.SESSION_DAYS, schema.WIB_DAYS))
            store.publish_snapshot()
        store.publish_snapshot()  # the upgraded saring's first run, on unchanged feeds
    con = saring.connect(str(db), timezone="WITA")
    try:
        assert str(con.execute("SELECT day FROM story_daily").fetchone()[0]) == "2026-11-25"
    finally:
        con.close()


def test_an_analyst_counts_the_forums_days_and_a_half_edited_sources_file_does_not_stop_them(
        tmp_path, monkeypatch):
    """saring.connect() without a zone reads the forum's from the sources file; when a maintainer
    is halfway through editing that file, the analyst still gets a session (WIB, with a warning)."""
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 1, datetime(2026, 11, 24, 16, 30, tzinfo=UTC), "a")  # 00:30 WITA on the 25th
        store.publish_snapshot()
    sources = tmp_path / "sources.yaml"
    monkeypatch.setenv("SARING_SOURCES", str(sources))
    sources.write_text("settings:\n  schedule:\n    timezone: WITA\nsources:\n"
                       "  - {id: lokal, name: Lokal, url: 'https://lokal.example/feed'}\n", encoding="utf-8")
    days, said = [], []
    for text in (None, "settings:\n  schedule: [timezone\n"):  # then a bracket left open
        if text:
            sources.write_text(text, encoding="utf-8")
        with warnings.catch_warnings(record=True) as told:
            warnings.simplefilter("always")
            con = saring.connect(str(db))
        try:
            days.append(str(con.execute("SELECT day FROM story_daily").fetchone()[0]))
        finally:
            con.close()
        said.append(" ".join(str(w.message) for w in told))
    assert days == ["2026-11-25", "2026-11-24"]
    assert said[0] == "" and "days are counted in WIB" in said[1] and "not valid YAML" in said[1]


def test_an_analyst_in_another_folder_is_told_days_are_counted_in_wib_and_how_to_choose(
        tmp_path, monkeypatch):
    # A Makassar forum's sources.yaml sets WITA; its analyst runs a script from their own folder,
    # where saring.connect(db) found no sources file and counted Jakarta's days, saying nothing
    # (a log record, which a script or notebook without logging set up never shows).
    forum = tmp_path / "forum"
    (forum / "data").mkdir(parents=True)
    (forum / "sources.yaml").write_text(
        "settings:\n  schedule:\n    timezone: WITA\nsources:\n"
        "  - {id: lokal, name: Lokal, url: 'https://lokal.example/feed'}\n", encoding="utf-8")
    db = forum / "data" / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 1, datetime(2026, 11, 24, 16, 30, tzinfo=UTC), "a")  # 00:30 WITA on the 25th
        store.publish_snapshot()
    (tmp_path / "analyst").mkdir()
    monkeypatch.chdir(tmp_path / "analyst")
    monkeypatch.delenv("SARING_SOURCES", raising=False)
    with pytest.warns(UserWarning, match="days are counted in WIB") as told:
        con = saring.connect(str(db))
    try:
        assert str(con.execute("SELECT day FROM story_daily").fetchone()[0]) == "2026-11-24"
    finally:
        con.close()
    said = str(told[0].message)
    assert "sources.yaml" in said and "timezone=" in said and "SARING_SOURCES" in said
    assert told[0].filename == __file__  # points at the analyst's own line



def test_a_new_connection_in_a_notebook_reads_the_newest_run_while_an_older_one_is_open(tmp_path):
    # A notebook cell `con = saring.connect()` run again after the hourly run: the new connection
    # is made while the old `con` still exists, and DuckDB handed it the old one's instance, which
    # reads the catalog the run replaced: the analyst silently got the previous hour's data.
    db = tmp_path / "saring.duckdb"
    with _connected_across_a_run(db) as (before, after):
        assert after.execute("SELECT count(*) FROM items").fetchall() == [(4,)]
        # named as a session opened on the catalog itself is (DuckDB's messages name it), not "3"
        assert after.execute("SELECT current_database()").fetchall() == [("saring",)]
        assert before.execute("SELECT count(*) FROM items").fetchall() == [(3,)]  # its own version
    _same(db)


@contextlib.contextmanager
def _connected_across_a_run(db, published=None):
    """``saring.connect()`` before a run published (3 items) and again after it (4), while the first
    is still open; ``published(db)`` is called after the run."""
    with Store(db) as store:
        _fill(store, 3, OLD, "a")
        store.publish_snapshot()
    before = saring.connect(str(db))
    try:
        with Store(db) as store:
            _fill(store, 1, datetime.now(UTC), "b")
            store.publish_snapshot()
        if published is not None:
            published(db)
        after = saring.connect(str(db))
        try:
            yield before, after
        finally:
            after.close()
    finally:
        before.close()


def test_a_new_connection_reads_the_newest_run_on_a_share_without_hard_links(tmp_path, monkeypatch):
    # The data folder on a FAT-formatted disk or a Windows (SMB) share: no hard links, so no path
    # per version to open, and `con = saring.connect()` run again after the hourly run, while the
    # old `con` was still open, got its DuckDB instance: the previous hour's data.
    import errno
    import os

    def no_hard_links(*args, **kwargs):  # what link() says on a FAT file system
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    db = tmp_path / "saring.duckdb"

    def no_link(db):
        assert not list(published_dir(db).glob("_catalogs/*/*"))  # no link to open it by

    with _connected_across_a_run(db, no_link) as (before, after):
        assert after.execute("SELECT count(*) FROM items").fetchall() == [(4,)]
        assert before.execute("SELECT count(*) FROM items").fetchall() == [(3,)]  # its own version
    _same(db)


def test_a_new_column_is_a_new_file_and_a_session_on_the_old_catalog_keeps_its_shape(tmp_path):
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 2, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()
    analyst = saring.connect(str(db))
    try:
        before = analyst.execute("SELECT * FROM sources").fetchall()
        with Store(db) as store:  # as a migration adding a column would
            store.con.execute("ALTER TABLE sources ADD COLUMN note VARCHAR DEFAULT 'baru'")
            store.publish_snapshot()
        assert analyst.execute("SELECT * FROM sources").fetchall() == before  # the old file, kept
        files = sorted(p.name for p in (published_dir(db) / "_small").glob("sources.*.parquet"))
        assert len(files) == 2  # the new shape's file, and the old one until it is retired
    finally:
        analyst.close()
    fresh = saring.connect(str(db))
    try:
        assert fresh.execute("SELECT DISTINCT note FROM sources").fetchall() == [("baru",)]
    finally:
        fresh.close()


def test_a_run_rewrites_only_todays_part_of_the_runs_log(tmp_path):
    """Every run adds to ``runs`` and ``run_sources``: published whole, a year of 15-minute runs
    made each run rewrite a million rows. Older runs stay in their month's file."""
    from saring.pipeline.ingest import SourceResult

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        for n, days in enumerate([100, 40]):  # two months before this one
            store.con.execute("INSERT INTO runs (run_id, flow, started_at) VALUES (?, 'ingest', ?)",
                              [f"old{n}", datetime.now(UTC) - timedelta(days=days)])
            store.finish_run(f"old{n}", "ok", [SourceResult(source_id="s1", status="ok", new_items=n)])
        store.start_run("r0", "ingest")
        store.finish_run("r0", "ok", [SourceResult(source_id="s1", status="not_modified")])
        store.publish_snapshot()
        files = {t: dict(_manifest(db)["tables"][t]) for t in ("runs", "run_sources")}
        old = {v["file"]: (published_dir(db) / v["file"]).stat().st_mtime_ns
               for t in files.values() for b, v in t.items() if len(b) == 7}
        assert len(old) == 4  # two months, two tables
        store.start_run("r1", "ingest")
        store.finish_run("r1", "ok", [SourceResult(source_id="s1", status="not_modified")])
        store.publish_snapshot()
        now = {t: dict(_manifest(db)["tables"][t]) for t in files}
        assert {t: {b: v["file"] for b, v in now[t].items()} for t in files} == \
            {t: {b: v["file"] for b, v in files[t].items()} for t in files}  # today's file: same path
        assert {f: (published_dir(db) / f).stat().st_mtime_ns for f in old} == old
    with saring.connect(str(db)) as analyst:
        assert analyst.execute("SELECT count(*) FROM runs").fetchone() == (4,)
        assert analyst.execute("SELECT count(*), sum(new_items) FROM run_sources").fetchone() == (4, 1)
    _same(db)


def test_places_found_again_reach_analysts_with_their_scan(tmp_path):
    """An item's places have no time of their own: they are published with the item's scan
    (its fingerprint is theirs). New rules that find another place, or none, must reach analysts."""
    from saring.judge.places import _save

    db = tmp_path / "saring.duckdb"

    def rows(item, *names):
        return [dict(item_id=item, code=f"35.{k}", name=n, level="kota", province_code="35",
                     matched=n.lower(), rule="nama", first_pos=k) for k, n in enumerate(names)]

    places = "SELECT item_id, code, name FROM item_places ORDER BY ALL"
    with Store(db) as store:
        _fill(store, 3, datetime.now(UTC) - timedelta(days=40), "a", timedelta(minutes=1))  # last month
        items = [r[0] for r in store.con.execute("SELECT item_id FROM items ORDER BY 1").fetchall()]
        _save(store.cur, items, [r for item in items for r in rows(item, "Kota Batu")])
        store.publish_snapshot()
        _save(store.cur, items[:1], rows(items[0], "Kota Malang", "Kota Batu"))  # found again, today
        _save(store.cur, items[1:2], [])  # nothing any more
        store.publish_snapshot()
        live = store.con.execute(places).fetchall()
    assert [r[2] for r in live] == ["Kota Malang", "Kota Batu", "Kota Batu"]
    with saring.connect(str(db)) as analyst:
        assert analyst.execute(places).fetchall() == live


def _tipline_message(store: Store, text: str, at: datetime) -> None:
    """One forwarded message, stored as the tipline import stores it (message row, item, article)."""
    con = store.con
    con.execute("INSERT INTO tipline_messages (message_id, chat, sent_at, text, imported_at) "
                "VALUES ('m1', 'grup', ?, ?, ?)", [at, text, at])
    con.execute("INSERT INTO items (item_id, source_id, title, summary, first_seen_at, state, kind) "
                "VALUES ('t1', 'tipline', ?, ?, ?, 'scored', 'tipline')", [text[:40], text, at])
    con.execute("INSERT INTO articles (item_id, text, text_source, title, fetched_at) "
                "VALUES ('t1', ?, 'tipline', ?, ?)", [text, text[:40], at])


def test_a_purge_whose_publication_failed_is_finished_by_the_next_publication(tmp_path, monkeypatch):
    # The disk filled up while a tipline purge rewrote the analysts' copy: the rows were purged,
    # but the article buckets still held the chat text, every later run kept them (text is not
    # fingerprinted) and a second purge found nothing left to purge, so it rewrote nothing.
    import saring.storage.publish as publish
    from saring.collect.retention import purge_tipline
    from saring.errors import StoreError

    monkeypatch.setattr(publish, "COMPRESSION", "uncompressed")  # the text shows in the raw bytes
    secret = "Pesan uji retensi 7f3a: rapat relawan di balai desa"
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _tipline_message(store, secret, datetime.now(UTC) - timedelta(days=40))
        _fill(store, 2, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()

    def published() -> bytes:
        return b"".join(p.read_bytes() for p in published_dir(db).rglob("*") if p.is_file())

    assert secret.encode() in published()  # the control
    real = publish._write_catalog

    monkeypatch.setattr(publish, "_write_catalog", _disk_full)
    with Store(db) as store:
        with pytest.raises(StoreError, match="disk is full"):  # said, not a traceback
            purge_tipline(store, 30)
        assert store.con.execute("SELECT count(text) FROM tipline_messages").fetchall() == [(0,)]
    monkeypatch.setattr(publish, "_write_catalog", real)
    with Store(db) as store:  # the next run's publication
        _fill(store, 1, datetime.now(UTC), "b")
        store.publish_snapshot()
    assert secret.encode() not in published()
    _same(db)


def test_a_purge_stopped_by_a_bad_backup_still_erases_the_text_from_the_analysts_copy(tmp_path, monkeypatch):
    # A backup that could not be purged stopped the purge before the analysts' copy was rewritten;
    # the error said "delete that backup, or run the purge again": a second purge found no text
    # left in the rows, rewrote nothing, and the published files kept the chat text.
    import saring.storage.publish as publish
    from saring.collect.retention import RetentionError, purge_tipline

    monkeypatch.setattr(publish, "COMPRESSION", "uncompressed")
    secret = "Pesan uji retensi 7f3a: rapat relawan di balai desa"
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _tipline_message(store, secret, datetime.now(UTC) - timedelta(days=40))
        store.publish_snapshot()
    broken = db.with_name(db.name + ".old.bak")
    broken.write_bytes(b"not a database")  # a truncated copy, say
    with Store(db) as store:
        try:
            purge_tipline(store, 30)
            raise AssertionError("the broken backup was not reported")
        except RetentionError as exc:
            assert "run the purge again" in str(exc)
        broken.unlink()  # or fixed: the forum's maintainer follows the message
        assert purge_tipline(store, 30).rewritten  # the second purge finishes the work
    assert not any(secret.encode() in p.read_bytes() for p in published_dir(db).rglob("*") if p.is_file())
    _same(db)


def test_a_purge_that_could_not_mark_the_analysts_copy_leaves_its_rows_to_the_next_purge(
        tmp_path, monkeypatch):
    # The disk filled up (or the published folder was left unwritable) as the daily purge began:
    # it deleted the rows' text, then failed with a traceback writing the mark that makes the
    # next publication erase the old files. The next purge found nothing left to purge and every
    # later publication kept the buckets holding the chat text (text is not fingerprinted).
    import saring.storage.publish as publish
    from saring.collect.retention import RetentionError, purge_tipline

    monkeypatch.setattr(publish, "COMPRESSION", "uncompressed")  # the text shows in the raw bytes
    secret = "Pesan uji retensi 7f3a: rapat relawan di balai desa"
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _tipline_message(store, secret, datetime.now(UTC) - timedelta(days=40))
        store.publish_snapshot()
    real = publish._write_json

    monkeypatch.setattr(publish, "_write_json", _disk_full)
    with Store(db) as store:
        with pytest.raises(RetentionError, match="run the purge again"):  # said, not a traceback
            purge_tipline(store, 30)
    monkeypatch.setattr(publish, "_write_json", real)
    with Store(db) as store:  # the next day's purge
        assert purge_tipline(store, 30).messages == 1
        store.publish_snapshot()
    assert not any(secret.encode() in p.read_bytes() for p in published_dir(db).rglob("*") if p.is_file())
    _same(db)

    # The same full disk when the maintainer asks for the rewrite alone (nothing left to purge).
    monkeypatch.setattr(publish, "_write_json", _disk_full)
    with Store(db) as store, pytest.raises(RetentionError, match="run the purge again"):
        purge_tipline(store, 30, rewrite=True)


# A notebook: opens the analysts' copy, counts, waits, counts again (its own process, as it is).
NOTEBOOK = """
import sys, time
from pathlib import Path
import saring
con = saring.connect(sys.argv[1])
print(con.execute("SELECT count(*) FROM item_overview").fetchall()[0][0], flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.05)
print(con.execute("SELECT count(*) FROM item_overview").fetchall()[0][0], flush=True)
"""


def test_a_session_left_open_across_hourly_runs_keeps_reading_its_files(tmp_path, monkeypatch):
    # An analyst opened the notebook at 9:00 and ran a cell again after lunch: the hourly runs had
    # retired today's files of items and articles and deleted them ten minutes later, and the
    # query failed with "IO Error: No files found that match the pattern ...".
    import subprocess
    import sys

    import saring.storage.publish as publish

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 3, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()
    go = tmp_path / "go"
    notebook = subprocess.Popen([sys.executable, "-c", NOTEBOOK, str(db), str(go)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert notebook.stdout.readline().strip() == "3"
        monkeypatch.setattr(publish, "RETIRE_AFTER", 0.0)  # the runs came long after each other
        for n in range(3):
            with Store(db) as store:
                _fill(store, 1, datetime.now(UTC), f"b{n}")
                store.publish_snapshot()
    finally:
        go.touch()
        out, err = notebook.communicate(timeout=60)
    assert out.strip() == "3", err  # its catalog's files, all still there
    with Store(db) as store:  # once no session has it open, what only it named goes
        store.publish_snapshot()
    manifest = _manifest(db)
    assert _parquet_on_disk(db) == _listed(manifest)
    assert len(manifest["catalogs"]) == 1  # the current one
    _same(db)


HOURLY_RUN = """
import sys
import saring.storage.publish as publish
from saring.storage.database import Store
publish.RETIRE_AFTER = 0.0  # long after the previous run
with Store(sys.argv[1]) as store:
    store.publish_snapshot()
"""


def test_a_session_open_in_the_publishing_process_keeps_its_files_for_every_publisher(tmp_path, monkeypatch):
    # A notebook keeps `con = saring.connect()` and publishes too (`Store(DB).publish_snapshot()`):
    # its own check of the superseded catalog saw no one (a process never conflicts with its own
    # lock) and deleted the files `con` reads, and closing that check's descriptor dropped `con`'s
    # lock, so the hourly run's publication, in another process, could delete them as well.
    import subprocess
    import sys

    import saring.storage.publish as publish

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 3, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()
    analyst = saring.connect(str(db))
    try:
        assert analyst.execute("SELECT count(*) FROM item_overview").fetchall() == [(3,)]
        monkeypatch.setattr(publish, "RETIRE_AFTER", 0.0)  # the publications came long after
        for n in range(2):
            with Store(db) as store:
                _fill(store, 1, datetime.now(UTC), f"b{n}")
                store.publish_snapshot()
        assert analyst.execute("SELECT count(*) FROM item_overview").fetchall() == [(3,)]
        run = subprocess.run([sys.executable, "-c", HOURLY_RUN, str(db)], capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        assert analyst.execute("SELECT count(*) FROM item_overview").fetchall() == [(3,)]
        assert len(_manifest(db)["catalogs"]) == 2  # the current one, and the one still open
    finally:
        analyst.close()
    with Store(db) as store:  # once it is closed, what only its catalog named goes
        store.publish_snapshot()
    manifest = _manifest(db)
    assert _parquet_on_disk(db) == _listed(manifest)
    assert len(manifest["catalogs"]) == 1
    _same(db)


def test_a_database_written_by_a_relative_path_is_readable_from_another_folder(tmp_path, monkeypatch):
    # `make demo` and `saring ingest` write data/demo/saring.duckdb, a path relative to the repo;
    # Jupyter runs notebooks/explore.ipynb with notebooks/ as its folder: the catalog named its
    # Parquet files relative to the writer's folder, and every query failed "No files found".
    (tmp_path / "repo" / "notebooks").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo")
    with Store("data/saring.duckdb") as store:
        _fill(store, 2, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()
    monkeypatch.chdir(tmp_path / "repo" / "notebooks")
    con = saring.connect("../data/saring.duckdb")
    try:
        assert con.execute("SELECT count(*) FROM item_overview").fetchone()[0] == 2
    finally:
        con.close()


def test_a_copied_data_folder_says_to_publish_again_where_it_is(tmp_path):
    # An analyst copies the server's data/ folder to a laptop: the catalog still names the
    # server's files, and saring.connect() crashed with DuckDB's "No files found that match".
    import shutil

    from saring.errors import StoreError

    server = tmp_path / "server" / "data"
    server.mkdir(parents=True)
    with Store(server / "saring.duckdb") as store:
        _fill(store, 2, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()
    laptop = tmp_path / "laptop" / "data"
    shutil.copytree(server, laptop)
    shutil.rmtree(server)
    with pytest.raises(StoreError) as raised:
        saring.connect(str(laptop / "saring.duckdb"))
    message = str(raised.value)
    assert "moved or copied" in message and "publish_snapshot()" in message, message
    with Store(laptop / "saring.duckdb") as store:  # what the message says to do
        store.publish_snapshot()
    con = saring.connect(str(laptop / "saring.duckdb"))
    try:
        assert con.execute("SELECT count(*) FROM item_overview").fetchone()[0] == 2
    finally:
        con.close()


def test_an_analyst_who_names_the_snapshot_file_itself_reads_it_and_leaves_it_as_it_is(tmp_path):
    # The notebooks and the README call data/saring.snapshot.duckdb "the analysts' snapshot", so an
    # analyst opens saring.connect("data/saring.snapshot.duckdb"): saring took the catalog for a
    # database without a copy, opened it as the writer and crashed with DuckDB's "Table with name
    # labels does not exist", leaving saring.snapshot.published/ and a .snapshot.snapshot file behind.
    import hashlib

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _fill(store, 2, datetime.now(UTC) - timedelta(hours=1), "a", timedelta(minutes=1))
        store.publish_snapshot()
    catalog = snapshot_path(db)
    before = hashlib.sha256(catalog.read_bytes()).hexdigest()
    files = sorted(tmp_path.iterdir())
    con = saring.connect(str(catalog))
    try:
        assert con.execute("SELECT count(*) FROM item_overview").fetchone()[0] == 2
    finally:
        con.close()
    assert hashlib.sha256(catalog.read_bytes()).hexdigest() == before
    assert sorted(tmp_path.iterdir()) == files


def _one_story_in_two_feeds_of_one_outlet(store: Store) -> datetime:
    """One real wire article carried by ANTARA's Jawa Timur and politics feeds, by Kompas, and
    forwarded to the members' group first; returns when it was first seen."""
    from saring.config import parse_config
    from saring.judge.factcheck import pratiwi_pairs
    from saring.judge.stories import assign_stories

    seen = datetime(2026, 11, 24, 1, tzinfo=UTC)  # 08:00 WIB: every mention on one day
    wire = pratiwi_pairs()[0][0]
    store.sync_sources(parse_config({"sources": [
        {"id": "antara-jatim", "name": "ANTARA Jawa Timur", "url": "https://jatim.antaranews.com/rss/terkini.xml"},
        {"id": "antara-politik", "name": "ANTARA News — Politik", "url": "https://www.antaranews.com/rss/politik.xml"},
        {"id": "kompas", "name": "Kompas.com", "url": "https://www.kompas.com/getrss/nasional"}]}).sources)
    store.con.execute("INSERT INTO sources (source_id, name) VALUES ('tipline', 'Grup WhatsApp (tipline)')")
    rows = [("t1", "tipline", "tipline", "https://tipline.example/1"),
            ("n1", "antara-jatim", "rss", "https://jatim.antaranews.com/berita/1"),
            ("n2", "antara-politik", "rss", "https://www.antaranews.com/berita/1"),
            ("n3", "kompas", "rss", "https://www.kompas.com/read/1")]
    store.add_items([dict(item_id=i, url=u, source_id=s, title=wire[:60], summary=wire, kind=k, state="seen",
                          first_seen_at=seen + timedelta(hours=n)) for n, (i, s, k, u) in enumerate(rows)])
    for n, (item_id, *_) in enumerate(rows):
        store.con.execute("INSERT INTO scores VALUES (?, 'm1', 0.9, 0.5, [], [], ?)",
                          [item_id, seen + timedelta(hours=n)])
    assert assign_stories(store.con, now=seen + timedelta(days=1)) == 4
    return seen


OUTLET_COUNTS = ("SELECT (SELECT n_outlets FROM story_overview), (SELECT outlets FROM story_overview), "
                 "(SELECT outlets FROM story_daily), (SELECT outlets FROM rumour_lifecycle)")


def test_the_analysts_views_count_a_storys_media_as_the_digest_does(tmp_path):
    # ANTARA's two feeds and Kompas carried one wire story: the digest said "Diberitakan 2 media",
    # while an analyst's SELECT * FROM story_overview counted 4 outlets (each feed, and the group).
    from saring.config import DigestSettings
    from saring.report.digest import build_digest

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        seen = _one_story_in_two_feeds_of_one_outlet(store)
        (news,) = build_digest(store.con, seen.date(), DigestSettings()).election_items
        live = store.con.execute(OUTLET_COUNTS).fetchone()
        store.publish_snapshot()
    assert news.story_outlets == 2
    assert live == (2, ["antaranews.com", "kompas.com"], 2, 2)
    with saring.connect(str(db)) as pub:
        assert pub.execute(OUTLET_COUNTS).fetchone() == live
    _same(db)


def test_a_feed_removed_under_an_older_saring_counts_as_its_outlet_again_after_the_upgrade(tmp_path):
    # antara-politik was deleted from sources.yaml while saring (schema v15) cleared a removed
    # source's site: the wire story it carried with antara-jatim and Kompas read 3 outlets in the
    # analysts' copy and 3 media in the weekly report. Its site is read back from its address.
    from saring.config import DigestSettings
    from saring.report.weekly import build_weekly, monday_of
    from saring.storage.publish import publish

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:  # as saring with schema v15 left it
        seen = _one_story_in_two_feeds_of_one_outlet(store)
        store.con.execute("INSERT INTO sources (source_id, name, url, kind, enabled) VALUES "
                          "('cari', 'Google News', 'https://news.google.com/rss/search?q=pilkada', "
                          "'google_news', false)")  # removed too, and no outlet
        store.con.execute("UPDATE sources SET enabled = false, outlet_host = NULL "
                          "WHERE source_id = 'antara-politik'")
        store.con.execute("DELETE FROM schema_version WHERE version > 15")
        publish(store.con, db, snapshot_path(db), 15)
    with duckdb.connect(str(snapshot_path(db)), read_only=True) as v15_copy:
        assert v15_copy.execute(OUTLET_COUNTS).fetchone()[0] == 3
    with Store(db) as store:  # the upgraded saring's first run
        live = store.con.execute(OUTLET_COUNTS).fetchone()
        weekly = build_weekly(store.con, monday_of(seen.date()), DigestSettings())
        sites = store.con.execute("SELECT source_id, outlet_host FROM sources WHERE NOT enabled "
                                  "ORDER BY 1").fetchall()
        assert store.outlet_hosts() == ["antaranews.com", "kompas.com"]  # removed: no news site
        store.publish_snapshot()
    assert sites == [("antara-politik", "antaranews.com"), ("cari", None)]
    assert live == (2, ["antaranews.com", "kompas.com"], 2, 2)
    assert [s.outlets for s in weekly.stories] == [2]
    with saring.connect(str(db)) as pub:
        assert pub.execute(OUTLET_COUNTS).fetchone() == live


def test_a_v14_database_and_its_analysts_copy_count_a_storys_media_as_the_digest_after_the_upgrade(
        tmp_path, monkeypatch):
    # The forum's database and the copy its analysts read, both from before v15: the upgraded
    # saring's first run replaces the story views in the file and in the catalog.
    import saring.storage.schema as schema
    from saring.storage.publish import publish

    db = tmp_path / "saring.duckdb"
    old_views = (schema.STORY_OVERVIEW_V7 + schema.STORY_DAILY_V7 + schema.LIFECYCLE_VIEWS_V8).format(
        zone="{zone}")
    with Store(db) as store:  # as saring with schema v14 left it
        _one_story_in_two_feeds_of_one_outlet(store)
        store.con.execute("DELETE FROM schema_version WHERE version > 14")
        store.con.execute(old_views.format(zone=schema.WIB_DAYS))
        with monkeypatch.context() as v14_saring:
            v14_saring.setattr(schema, "CATALOG_VIEWS", schema.LABEL_VIEWS + schema.VIEWS + schema.STORY_VIEWS
                               + schema.SOURCE_DAILY.format(zone=schema.SESSION_DAYS)
                               + old_views.format(zone=schema.SESSION_DAYS))
            publish(store.con, db, snapshot_path(db), 14)
    with duckdb.connect(str(snapshot_path(db)), read_only=True) as v14_copy:  # saring.connect refuses it now
        assert v14_copy.execute(OUTLET_COUNTS).fetchone()[0] == 4  # each feed, and the group
    with Store(db) as store:  # the upgraded saring's first run, on unchanged feeds
        live = store.con.execute(OUTLET_COUNTS).fetchone()
        store.publish_snapshot()
    assert live == (2, ["antaranews.com", "kompas.com"], 2, 2)
    with saring.connect(str(db)) as pub:
        assert pub.execute(OUTLET_COUNTS).fetchone() == live


def pratiwi_wire_texts() -> tuple[str, str]:
    """Two real articles of two different stories (Pratiwi et al. 2017)."""
    from saring.judge.factcheck import pratiwi_pairs

    texts, groups = pratiwi_pairs()
    return texts[0], texts[next(i for i, g in enumerate(groups) if g != groups[0])]


STORY_OUTLETS = ("SELECT o.story_id, o.n_outlets, o.outlets, d.outlets, l.outlets FROM story_overview o "
                 "JOIN story_daily d USING (story_id) JOIN rumour_lifecycle l USING (story_id) ORDER BY 1")


def test_a_v17_database_and_its_analysts_copy_count_google_news_hits_as_their_outlets_after_the_upgrade(
        tmp_path):
    # A forum's database and its analysts' copy from before items kept their outlet's site: a
    # story the "pemilu" search found at Malang Post and Jatim Pos read 1 outlet (the search).
    # After the upgrade the file's and the copy's views count the hits the next runs store as
    # their outlets, as the digest does; the hits stored before stay the search's (no site kept).
    from _db import database_at, publish_before_v18

    from saring.storage.schema import SCHEMA_VERSION

    wire, other = pratiwi_wire_texts()
    now = datetime.now(UTC) - timedelta(minutes=5)
    db = tmp_path / "saring.duckdb"
    con = database_at(db, 17)  # as saring with schema v17 left it
    con.execute("SET TimeZone = 'UTC'")
    con.execute("INSERT INTO sources (source_id, name, url, kind, enabled, outlet_host) VALUES "
                "('cari', 'Google News: pemilu', 'https://news.google.com/rss/search?q=pemilu', "
                "'google_news', true, NULL), "
                "('malangpost', 'Malang Post', 'https://malangpost.example/feed', 'rss', true, "
                "'malangpost.example')")
    hits = [("g1", "Malang Post", OLD), ("g2", "Jatim Pos", OLD + timedelta(hours=1))]
    for item_id, channel, seen in hits:
        con.execute("INSERT INTO items (item_id, url, source_id, title, summary, first_seen_at, state, kind, "
                    "channel) VALUES (?, ?, 'cari', ?, ?, ?, 'scored', 'google_news', ?)",
                    [item_id, f"https://news.google.com/rss/articles/{item_id}", other[:60], other, seen,
                     channel])
        con.execute("INSERT INTO stories VALUES (?, 'g1', ?)", [item_id, seen])
    publish_before_v18(con, db, 17)
    con.close()
    with Store(db) as store:  # the upgraded saring's first run: the search and Malang Post's feed
        hit = dict(source_id="cari", title=wire[:60], summary=wire, first_seen_at=now, state="seen",
                   kind="google_news")  # as ingest stores a Google News hit now
        store.add_items([
            {**hit, "item_id": "g3", "url": "https://news.google.com/rss/articles/g3",
             "channel": "Malang Post", "outlet_host": "malangpost.example"},
            {**hit, "item_id": "g4", "url": "https://news.google.com/rss/articles/g4",
             "channel": "Jatim Pos", "outlet_host": "jatimpos.example"},
            dict(item_id="m1", url="https://malangpost.example/berita/1", source_id="malangpost",
                 title=wire[:60], summary=wire, first_seen_at=now, state="seen", kind="rss",
                 channel="Malang Post")])
        store.con.execute("INSERT INTO stories VALUES ('g3', 'g3', now()), ('g4', 'g3', now()), "
                          "('m1', 'g3', now())")
        live = store.con.execute(STORY_OUTLETS).fetchall()
        stored = store.con.execute("SELECT item_id, outlet_host FROM items ORDER BY 1").fetchall()
        store.publish_snapshot()
    assert live == [("g1", 1, ["cari"], 1, 1),
                    ("g3", 2, ["jatimpos.example", "malangpost.example"], 2, 2)]
    assert stored == [("g1", None), ("g2", None), ("g3", "malangpost.example"), ("g4", "jatimpos.example"),
                      ("m1", None)]
    assert _manifest(db)["schema"] == SCHEMA_VERSION
    with saring.connect(str(db)) as pub:  # the whole copy was written again, old months too
        assert pub.execute(STORY_OUTLETS).fetchall() == live
        assert pub.execute("SELECT item_id, outlet_host FROM items ORDER BY 1").fetchall() == stored


def test_a_machine_in_another_time_zone_publishes_utc_days_from_both_cursors(tmp_path):
    """Publishing reads fingerprints and writes files on two cursors at once; a new cursor starts
    in the machine's zone (a forum's server set to WIT), and its days must still be UTC days."""
    from saring.storage.publish import publish
    from saring.storage.schema import SCHEMA_VERSION

    db = tmp_path / "saring.duckdb"
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    with Store(db) as store:
        store.con.execute("SET GLOBAL TimeZone = 'Asia/Jayapura'")  # the machine's zone: UTC+9
        store.con.execute("SET TimeZone = 'UTC'")  # the writer's own session, as Store sets it
        # 20:00-23:00 UTC on the 18th: already the 19th in Jayapura
        _fill(store, 4, datetime(2026, 3, 18, 20, tzinfo=UTC), "late", timedelta(hours=1))
        for _ in range(2):  # the second compares its fingerprints with the first's
            publish(store.con, db, snapshot_path(db), SCHEMA_VERSION, now=now)
        days = {b for t in _manifest(db)["tables"].values() for b in t}
    assert days == {"2026-03-18"}, days
    _same(db)
