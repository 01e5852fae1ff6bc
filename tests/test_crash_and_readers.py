"""Kill the ingest process mid-run, and read while it writes: real processes, real files."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest
from _db import table_rows as _rows

from saring.demo import write_demo_sources


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
    from saring.store import Store

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


def test_writer_waits_for_another_writer(tmp_path):
    from saring.errors import StoreError
    from saring.store import Store

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
