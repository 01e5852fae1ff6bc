"""Kill the ingest process mid-run, and read while it writes: real processes, real files."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler

import duckdb
import pytest
import yaml
from _db import table_rows as _rows
from _db import v1_database

from saring.pipeline.demo import write_demo_sources
from saring.serving import BackgroundServer


def _ingest(sources, db):
    env = {**os.environ, "SARING_LOCK_WAIT": "60"}
    return subprocess.Popen([sys.executable, "-m", "saring", "ingest", "--sources", str(sources),
                             "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.02)


def test_sigkill_at_several_points_then_rerun_equals_one_clean_run(sample_site, tmp_path):
    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    clean_db, crash_db = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    proc = _ingest(sources, clean_db)
    assert proc.wait(timeout=180) == 0, proc.stdout.read().decode()
    clean = _rows(clean_db)
    n_requests = len(sample_site.requests)
    assert clean["items"] and len(clean["scores"]) == len(clean["items"])

    # Kill points: while reading feeds, halfway through the pages, after the last page
    # (during scoring/snapshot), each on the same database, then one uninterrupted rerun.
    for fraction, extra_delay in ((0.05, 0.0), (0.5, 0.0), (1.0, 0.3)):
        sample_site.requests.clear()
        proc = _ingest(sources, crash_db)
        target = max(1, int(n_requests * fraction))
        try:
            _wait_for(lambda t=target, p=proc: len(sample_site.requests) >= t or p.poll() is not None)
            time.sleep(extra_delay)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
    proc = _ingest(sources, crash_db)
    output = proc.communicate(timeout=180)[0].decode()
    assert proc.returncode == 0, output

    assert _rows(crash_db) == clean  # nothing duplicated, nothing half-written, nothing lost
    con = duckdb.connect(str(crash_db), read_only=True)
    states = con.execute("SELECT DISTINCT state FROM items").fetchall()
    runs = dict(con.execute("SELECT status, count(*) FROM runs GROUP BY 1").fetchall())
    con.close()
    assert states == [("scored",)]
    assert runs.get("ok", 0) >= 1 and runs.get("interrupted", 0) >= 1  # the last kill may come late


READER = textwrap.dedent("""
    import sys, time
    import saring
    db, stop_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    errors, counts = 0, []
    import os
    while True:
        try:
            con = saring.connect(db)
            counts.append(con.execute("SELECT count(*) FROM items").fetchone()[0])
            con.close()
        except Exception as exc:
            errors += 1
            print("ERROR", type(exc).__name__, exc, file=sys.stderr)
        if os.path.exists(stop_file):
            break
        time.sleep(0.05)
    with open(out, "w") as fh:
        fh.write(f"{errors} {len(counts)} {min(counts)} {max(counts)} {counts[-1]}")
""")


def test_reader_process_never_fails_while_ingest_writes(sample_site, tmp_path):
    from saring.storage.database import Store

    sources = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    db = tmp_path / "saring.duckdb"
    Store(db).close()  # an empty database (and its snapshot), as after installation
    stop, result = tmp_path / "stop", tmp_path / "reader.txt"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), str(result)],
                              stderr=subprocess.PIPE)
    try:
        writer = _ingest(sources, db)
        assert writer.wait(timeout=180) == 0, writer.stdout.read().decode()
        time.sleep(0.5)  # let the reader take a few reads of the published snapshot
    finally:
        stop.touch()
        stderr = reader.communicate(timeout=60)[1].decode()
    errors, reads, first, _, last = map(int, result.read_text().split())
    assert errors == 0, stderr
    assert reads > 10
    assert first == 0 and last > 0  # it saw the new rows once the run published them


SESSION = textwrap.dedent("""
    import os, sys, time
    import saring
    db, stop_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    errors, seen = 0, []
    con = saring.connect(db)  # one session, opened before the publications, kept open
    print("open", flush=True)
    while not os.path.exists(stop_file):
        try:
            runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
            version = con.execute("SELECT version FROM publication").fetchone()[0]
            con.execute("SELECT count(*) FROM item_overview JOIN sources USING (source_id)").fetchone()
            seen.append((runs, version))
        except Exception as exc:
            errors += 1
            print("ERROR", type(exc).__name__, exc, file=sys.stderr)
    with open(out, "w") as fh:
        fh.write(f"{errors} {len(seen)} {seen[0][0]} {seen[-1][0]} {seen[-1][1]} "
                 f"{int(all(a <= b for a, b in zip(seen, seen[1:])))}")
""")


def test_an_open_session_reads_every_publication_without_an_error(tmp_path):
    """Small tables' files and today's file of the runs' log are replaced in place by every
    publication: a session that stays open reads them while they are replaced, never fails, and
    sees each run's rows, in order."""
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        store.con.execute("INSERT INTO sources (source_id, name) VALUES ('s1', 'Outlet')")
        store.con.execute("INSERT INTO runs (run_id, flow, started_at) VALUES ('r0', 'ingest', now())")
        store.publish_snapshot()  # today's first run: the catalog names today's file of runs
    stop, result = tmp_path / "stop", tmp_path / "session.txt"
    reader = subprocess.Popen([sys.executable, "-c", SESSION, str(db), str(stop), str(result)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert reader.stdout.readline().strip() == b"open"
        with Store(db) as store:
            for n in range(1, 31):  # what runs on unchanged feeds publish: no new file
                store.con.execute("INSERT INTO runs (run_id, flow, started_at) VALUES (?, 'ingest', now())",
                                  [f"r{n}"])
                store.con.execute("UPDATE sources SET etag = ?", [f"e{n}"])
                store.publish_snapshot()
                time.sleep(0.02)
        time.sleep(0.5)  # a few reads of the last publication
    finally:
        stop.touch()
        stderr = reader.communicate(timeout=60)[1].decode()
    errors, reads, first, last, version, ordered = map(int, result.read_text().split())
    assert errors == 0, stderr
    assert reads > 10 and first == 1 and last == 31 and ordered == 1
    from saring.storage.publish import published_dir

    assert version == json.loads((published_dir(db) / "manifest.json").read_text())["version"]


def test_writer_waits_for_another_writer(tmp_path):
    from saring.errors import StoreError
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, duckdb
        con = duckdb.connect({str(db)!r})
        print("locked", flush=True)
        time.sleep(2)
    """)], stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == b"locked"
    with pytest.raises(StoreError, match="in use by another saring process"):
        Store(db, lock_wait=0.5)
    started = time.monotonic()
    with Store(db, lock_wait=30) as store:  # waits for the holder to finish
        assert store.counts()["items"] == 0
    assert time.monotonic() - started > 0.5
    holder.wait(timeout=10)


# -- the writer's lock holds for the whole run ------------------------------------------------
# DuckDB's lock is a POSIX record lock: the process loses it when it closes *any* descriptor of
# the file. These tests open the file from a second process while the writer still works.

PROBE = textwrap.dedent("""
    import sys, duckdb
    try:
        duckdb.connect(sys.argv[1]).close()
        print("opened")
    except duckdb.Error as exc:
        print("refused:", exc)
""")


def _second_writer_gets_in(db) -> bool:
    out = subprocess.run([sys.executable, "-c", PROBE, str(db)], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith(("opened", "refused:")), out.stderr
    return out.stdout.startswith("opened")


def test_writer_keeps_its_lock_after_publishing_the_snapshot(tmp_path):
    from saring.storage.database import Store, snapshot_path

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:  # a fresh file: opening it publishes the first snapshot
        assert snapshot_path(db).exists()
        assert not _second_writer_gets_in(db)
        store.publish_snapshot()
        assert not _second_writer_gets_in(db)
    assert _second_writer_gets_in(db)  # closed: free again


def test_writer_keeps_its_lock_when_the_scoring_helper_exits(tmp_path, scorer):
    # The run's scoring helper is forked with the writer's descriptors; the POSIX lock is the
    # writer's own, so the child closing its copies on exit must not release it.
    from saring.pipeline.scoring_child import ScoringChild
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db):
        with ScoringChild(scorer) as child:
            assert child.scorer.score(["Pemilu 2024 di Kota Batu."])
        assert not _second_writer_gets_in(db)


def test_closing_leaves_the_checkpoint_to_duckdb_and_readers_still_see_every_row(tmp_path):
    """A checkpoint at every close rewrote whole primary-key indexes (its cost grew with the
    history); what a run committed stays in the WAL until DuckDB's own threshold, and nothing
    that reads the file misses it."""
    from saring.config import Source
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        store.sync_sources([Source(id=f"s{i}", name=f"Sumber {i}", url=f"http://127.0.0.1/{i}.xml")
                            for i in range(3)])
    assert db.with_name(db.name + ".wal").stat().st_size > 0  # not checkpointed on close
    with duckdb.connect(str(db), read_only=True) as reader:
        assert reader.execute("SELECT count(*) FROM sources").fetchall() == [(3,)]
    with Store(db) as store:
        assert store.counts()["sources"] == 3


def test_writer_keeps_its_lock_through_a_migration_with_backup(tmp_path):
    from saring.storage.database import Store
    from saring.storage.schema import SCHEMA_VERSION

    db = tmp_path / "saring.duckdb"
    v1_database(db)
    with Store(db):
        assert (tmp_path / f"saring.duckdb.pre-v{SCHEMA_VERSION}.bak").exists()
        assert not _second_writer_gets_in(db)


class _GatedNews:
    """A news site whose article pages wait until the test opens the gate: a run in progress."""

    def __init__(self, pages: int) -> None:
        self.gate = threading.Event()
        self.requests: list[str] = []
        self.pages = pages
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                site.requests.append(self.path)
                base = "http://{}:{}".format(*self.server.server_address[:2])
                if self.path == "/feed.xml":
                    items = "".join(f"<item><title>Berita {n}</title><link>{base}/berita/{n}</link>"
                                    f"<description>Ringkasan berita {n}</description></item>"
                                    for n in range(site.pages))
                    body = f"<rss version='2.0'><channel><title>L</title>{items}</channel></rss>".encode()
                    ctype = "application/rss+xml"
                else:
                    site.gate.wait(120)
                    body = (f"<html><head><title>{self.path}</title></head><body><article><p>"
                            + "KPU Kota Batu membuka pendaftaran petugas pemilu. " * 20
                            + "</p></article></body></html>").encode()
                    ctype = "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = BackgroundServer(Handler)

    def sources(self, path):
        path.write_text(yaml.safe_dump({"sources": [{
            "id": "lambat", "name": "Lambat", "url": self.server.base_url + "/feed.xml",
            "options": {"allow_private": True}}], "settings": {"fetch": {"retries": 0}}}), encoding="utf-8")
        return path


class _Lines:
    """A process's output, read line by line in a thread (so the test can wait for a line)."""

    def __init__(self, proc):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=lambda: self.lines.extend(
            line.decode(errors="replace") for line in proc.stdout), daemon=True)
        self.thread.start()

    def __str__(self):
        self.thread.join(timeout=5)
        return "".join(self.lines)


def _two_ingests_one_after_the_other(db, tmp_path):
    """Start an ingest, hold it mid-run, start a second one: it must wait, then both succeed."""
    news = _GatedNews(pages=3)
    with news.server:
        sources = news.sources(tmp_path / "sources.yaml")
        first = _ingest(sources, db)
        first_out = _Lines(first)
        second = second_out = None
        try:
            _wait_for(lambda: any(r.startswith("/berita/") for r in news.requests)
                      or first.poll() is not None)
            assert first.poll() is None, str(first_out)
            assert not _second_writer_gets_in(db)  # mid-run, after its first snapshot (and backup)
            second = subprocess.Popen([sys.executable, "-m", "saring", "ingest", "-v", "--sources",
                                       str(sources), "--db", str(db)],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      env={**os.environ, "SARING_LOCK_WAIT": "120"})
            second_out = _Lines(second)
            _wait_for(lambda: "is busy; waiting" in "".join(second_out.lines) or second.poll() is not None)
            assert second.poll() is None, str(second_out)  # waiting for the first, not failing
        finally:
            news.gate.set()
        assert first.wait(timeout=180) == 0, str(first_out)
        assert second.wait(timeout=180) == 0, str(second_out)
    con = duckdb.connect(str(db), read_only=True)
    try:
        items = con.execute(
            "SELECT url, count(*) FROM items WHERE source_id = 'lambat' GROUP BY url").fetchall()
        articles = con.execute("SELECT count(*) FROM articles a JOIN items i USING (item_id) "
                               "WHERE i.source_id = 'lambat'").fetchone()[0]
        runs = con.execute("SELECT status FROM runs WHERE flow = 'ingest'").fetchall()
    finally:
        con.close()
    assert len(items) == 3 and all(n == 1 for _, n in items)  # every item stored once
    assert articles == 3
    assert runs == [("ok",), ("ok",)]
    assert sum(r.startswith("/berita/") for r in news.requests) == 3  # no page fetched twice


def test_second_ingest_on_a_fresh_database_waits_for_the_first(tmp_path):
    _two_ingests_one_after_the_other(tmp_path / "saring.duckdb", tmp_path)


def test_second_ingest_waits_while_the_first_migrates_the_database(tmp_path):
    from saring.storage.schema import SCHEMA_VERSION

    db = tmp_path / "saring.duckdb"
    v1_database(db)
    _two_ingests_one_after_the_other(db, tmp_path)
    assert (tmp_path / f"saring.duckdb.pre-v{SCHEMA_VERSION}.bak").exists()


def test_an_analysts_session_without_a_published_copy_never_holds_the_writers_file(tmp_path):
    # The forum's database file alone was copied to a new server (the published copy names its
    # files by absolute path, so it stays behind), and an analyst opened a notebook before the
    # first run there: saring.connect() opened the writer's own file read-only and its lock made
    # every hourly ingest wait 300 s and fail for as long as the notebook stayed open.
    from saring.storage.database import Store, snapshot_path

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    snapshot_path(db).unlink()
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, saring
        con = saring.connect({str(db)!r})
        print(con.execute("SELECT max(version) FROM schema_version").fetchone()[0], flush=True)
        sys.stdin.readline()  # the notebook stays open
        print(con.execute("SELECT count(*) FROM sources").fetchone()[0], flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip().isdigit(), reader.stderr.read()
        with Store(db, lock_wait=0.5) as store:  # the next scheduled run gets in
            assert store.counts()["sources"] == 0
        out, err = reader.communicate("\n", timeout=60)
        assert reader.returncode == 0 and out.strip() == "0", err
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
