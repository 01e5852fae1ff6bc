"""The desk's cached page data follows the published versions of the analysts' copy: computed
once per version, and shown anew as soon as a run publishes a new one."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from saring.desk.app import create_app
from saring.desk.auth import add_user
from saring.storage.database import Store

PASSWORD = "kata-sandi-rahasia"
TITLE = "Kabar baru: KPU Kota Batu memindahkan TPS 7 tanpa pemberitahuan"


def _login(client) -> None:
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"csrf": token, "name": "rina", "password": PASSWORD, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303


def _logged_in(db, scorer) -> tuple:
    """The desk on ``db`` and a client logged in to it as a forum member."""
    add_user(db, "rina", PASSWORD)
    app = create_app(db, scorer=scorer, secret_key="test-key")
    client = TestClient(app)
    _login(client)
    return app, client


def _publish_a_new_item(db) -> None:
    """What a run does: store (here: insert) a scored item and publish a new version."""
    with Store(db) as store:
        con = store.con
        version = con.execute("SELECT max(model_version) FROM scores").fetchall()[0][0]
        source = con.execute("SELECT min(source_id) FROM sources").fetchall()[0][0]
        now = datetime.now(UTC)
        con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state, kind) "
                    "VALUES ('fresh1', 'https://x.example/fresh1', ?, ?, ?, 'scored', 'rss')",
                    [source, TITLE, now])
        con.execute("INSERT INTO articles (item_id, text, text_source, title, fetched_at) "
                    "VALUES ('fresh1', ?, 'page', ?, ?)",
                    ["KPU Kota Batu memindahkan TPS 7 tanpa pemberitahuan. Hoaks?", TITLE, now])
        con.execute("INSERT INTO scores VALUES ('fresh1', ?, 0.99, 0.99, ['kpu'], ['hoaks'], ?)",
                    [version, now])
        store.publish_snapshot()


def test_pages_are_cached_per_published_version_and_renewed_by_a_new_one(ingested, scorer):
    app, client = _logged_in(ingested, scorer)
    published = app.state.desk.published
    first = client.get("/")
    assert first.status_code == 200 and TITLE not in first.text
    queue = client.get("/review")
    assert queue.status_code == 200 and TITLE not in queue.text
    builds = published.builds
    version = published.version()
    for _ in range(3):  # the same version: served from the cache, not computed again
        assert client.get("/").text.count("<article") == first.text.count("<article")
        assert client.get("/review").status_code == 200
    assert published.builds == builds and published.version() == version

    _publish_a_new_item(ingested)  # a run finished: a new version of the analysts' copy

    assert published.version() != version
    assert TITLE in client.get("/").text  # the very next request shows it
    assert TITLE in client.get("/review").text
    assert published.builds == builds + 2
    client.get("/")
    assert published.builds == builds + 2

    # A run on unchanged feeds changes only small tables (the sources' state, its run row): the
    # catalog file stays, yet the next request reads the new publication and builds anew.
    from saring.storage.database import snapshot_path

    assert "Server menjawab 503" not in client.get("/health").text
    builds, version = published.builds, published.version()
    catalog = snapshot_path(ingested).stat().st_ino
    with Store(ingested) as store:
        store.con.execute("UPDATE sources SET last_status = 'failed', last_error = 'Server menjawab 503' "
                          "WHERE source_id = (SELECT min(source_id) FROM sources)")
        store.publish_snapshot()
    assert snapshot_path(ingested).stat().st_ino == catalog  # the catalog was not rewritten
    assert published.version() != version
    assert "Server menjawab 503" in client.get("/health").text  # the very next request shows it
    assert client.get("/review").status_code == 200
    assert published.builds == builds + 1  # the queue's data was computed anew for the new version


def test_a_label_given_elsewhere_shows_at_the_next_request(ingested, scorer):
    """Labels are read from the database file again once it changed (here: by another writer)."""
    _, client = _logged_in(ingested, scorer)
    page = client.get("/review").text
    import re

    first = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    from saring.judge.labels import add_label

    with Store(ingested) as store:  # e.g. `saring labels import` while the desk runs
        add_label(store.con, first, "hoax", 1, "budi")
        add_label(store.con, first, "election", 1, "budi")
    assert f'value="{first}"' not in client.get("/review").text



def test_a_label_tap_reaches_the_analysts_copy_at_once_and_keeps_the_pages_computed(ingested, scorer):
    # The forum labels the queue one tap after another: each tap is published at once (an ingest
    # starting next must not hide it), and must not make the desk compute the digest and the queue
    # again (seconds on a year of news) for a publication that changed only labels.
    import re

    from saring.storage.database import connect_snapshot

    app, client = _logged_in(ingested, scorer)
    published = app.state.desk.published
    client.get("/")
    page = client.get("/review").text
    builds, version = published.builds, published.version()
    item_id = re.search(r'name="item_id" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post("/label", data={"csrf": token, "item_id": item_id, "task": "hoax", "value": "0"},
                    follow_redirects=False)
    assert r.status_code == 303
    con = connect_snapshot(ingested)
    assert con.execute("SELECT item_id, value, labeled_by FROM labels").fetchall() == [(item_id, 0, "rina")]
    con.close()
    assert published.version() != version
    assert client.get("/").status_code == 200 and client.get("/review").status_code == 200
    assert published.builds == builds  # served from the pages computed before the tap

    _publish_a_new_item(ingested)  # a run's publication still renews them
    assert TITLE in client.get("/review").text and published.builds == builds + 1


def test_a_page_being_computed_when_a_run_publishes_is_still_shown(ingested, scorer, monkeypatch):
    # Twenty members open the desk after the hourly run: one member's digest is being computed
    # (several queries, seconds on a year of news) when the next run publishes and another
    # member's page switches the desk to the new version. The first page used to fail (HTTP 500:
    # the old version's connection was closed under its queries).
    import threading

    import saring.report.digest as digest

    add_user(ingested, "rina", PASSWORD)
    app = create_app(ingested, scorer=scorer, secret_key="test-key")
    first, other = TestClient(app, raise_server_exceptions=False), TestClient(app)
    _login(first)
    _login(other)
    computing, go = threading.Event(), threading.Event()
    real = digest.build_digest

    def between_queries(con, *args, **kwargs):  # the digest's queries run on the old version
        con.execute("SELECT count(*) FROM items").fetchall()
        computing.set()
        go.wait(30)
        return real(con, *args, **kwargs)

    monkeypatch.setattr(digest, "build_digest", between_queries)
    shown = {}
    opening = threading.Thread(target=lambda: shown.update(r=first.get("/")))
    opening.start()
    try:
        assert computing.wait(30)
        monkeypatch.setattr(digest, "build_digest", real)
        _publish_a_new_item(ingested)  # the next run finished meanwhile
        assert TITLE in other.get("/review").text  # another member's page reads the new version
    finally:
        go.set()
        opening.join()
    assert shown["r"].status_code == 200, shown["r"].text[-2000:]
    assert TITLE in first.get("/").text  # and the first member's next page the new one


def test_a_check_right_after_a_run_finds_what_the_run_stored(ingested, scorer):
    # A member reads the digest, the hourly run stores a new article, and a member pastes the
    # same rumour into the check box before anyone opens another page: the check used to read the
    # version the desk had open (DuckDB shares an open file's instance) and found nothing similar.
    import re

    _, client = _logged_in(ingested, scorer)
    page = client.get("/check").text
    assert client.get("/").status_code == 200  # the desk now holds the version before the run

    _publish_a_new_item(ingested)

    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    checked = client.post("/check", data={"csrf": token, "q": "KPU Kota Batu memindahkan TPS 7 tanpa "
                                                                "pemberitahuan. Hoaks?"})
    assert checked.status_code == 200
    similar = re.search(r'<ul class="plain" id="similar">.*?</ul>', checked.text, re.S)
    assert similar and TITLE in similar.group(0)


def test_the_kept_page_data_stays_bounded_however_many_days_are_asked(ingested, scorer):
    # Every day since 1970 is a valid /?day=: a script (or a curious member) walking back through
    # the calendar must not make the desk keep a digest for each day it asked about, while the
    # pages the forum keeps reading stay computed.
    from datetime import timedelta

    from saring.desk.cache import PAGES_KEPT
    from saring.localtime import today

    app, client = _logged_in(ingested, scorer)
    published = app.state.desk.published
    now = today(app.state.desk.timezone)
    for back in range(1, PAGES_KEPT + 20):
        assert client.get(f"/?day={(now - timedelta(days=back)).isoformat()}").status_code == 200
        assert client.get("/").status_code == 200  # today's digest, read all the while
    assert len(published._data) == PAGES_KEPT
    builds = published.builds
    client.get("/")
    assert published.builds == builds  # still kept: the least recently read went first
    client.get(f"/?day={(now - timedelta(days=1)).isoformat()}")
    assert published.builds == builds + 1  # long dropped: computed again


def test_a_page_whose_computation_failed_is_computed_again_and_leaves_nothing_behind(ingested):
    from saring.desk.cache import Published

    with Store(ingested) as store:
        store.publish_snapshot()
    published = Published(ingested)
    calls = []

    def failing(con):
        calls.append(1)
        raise RuntimeError("disk read error")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            published.get("digest", failing)
    assert len(calls) == 2 and published._building == {} and "digest" not in published._data
    assert published.get("digest", lambda con: con.execute("SELECT count(*) FROM items").fetchall()[0][0]) > 0


def test_a_check_started_after_a_run_reads_the_new_version_while_an_older_check_still_reads(
        ingested, scorer):
    # Two members check at once: one check opened the analysts' copy before the hourly run
    # published, the other starts after it. DuckDB hands a second connection to a file already
    # open in the process the instance already open, so the later check read the old version.
    from saring.desk.check import analyse
    from saring.storage.database import connect_snapshot

    with Store(ingested) as store:
        store.publish_snapshot()
    older = connect_snapshot(ingested)  # the first member's check, still running
    try:
        _publish_a_new_item(ingested)
        result = analyse("KPU Kota Batu memindahkan TPS 7 tanpa pemberitahuan. Hoaks?", ingested, scorer)
    finally:
        older.close()
    assert TITLE in [s.title for s in result.similar]


def test_the_review_queue_goes_on_when_the_forum_labels_all_its_candidates_between_two_runs(
        ingested, scorer, monkeypatch):
    # A labelling session: members tap through the queue faster than the hourly run comes. The
    # candidates were computed once per run and kept across taps, so once all were labelled the
    # queue read empty until the next run, though unlabelled items were left. Here 2 candidates.
    import re

    monkeypatch.setattr("saring.desk.app.QUEUE_CANDIDATES", 2)
    _, client = _logged_in(ingested, scorer)
    page = client.get("/review").text
    first = re.findall(r'name="item_id" value="([^"]+)"', page)
    assert len(set(first)) == 2
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    for item_id in sorted(set(first)):
        for task in ("hoax", "election"):
            r = client.post("/label", data={"csrf": token, "item_id": item_id, "task": task, "value": "0"},
                            follow_redirects=False)
            assert r.status_code == 303
    shown = set(re.findall(r'name="item_id" value="([^"]+)"', client.get("/review").text))
    assert shown and not shown & set(first), shown


def test_yesterday_read_this_morning_does_not_say_today_when_no_run_came_in_between(ingested, scorer):
    # Saring stopped overnight (no run, so no new version of the analysts' copy): a member opening
    # yesterday's digest the next day got the page the desk had made the day before, which called
    # that day "hari ini" ("Saring berhenti membaca sumber hari ini").
    from datetime import timedelta

    from saring import clock
    from saring.localtime import today
    from saring.report.digest import tanggal

    app, client = _logged_in(ingested, scorer)
    published = app.state.desk.published
    day = today()
    assert client.get(f"/?day={day.isoformat()}").status_code == 200  # made that day
    builds = published.builds
    (made,) = [v for k, v in published._data.items() if k[0] == "digest"]
    assert made.on_day == "hari ini"
    with clock.frozen(clock.now() + timedelta(days=1)):
        assert client.get(f"/?day={day.isoformat()}").status_code == 200
    assert published.builds == builds + 1  # made again the next day, for the next day's reader
    assert next(reversed(published._data.values())).on_day == f"pada {tanggal(day)}"


A_LATER_RUN = """
import sys
import saring.storage.publish as publish
sys.path.insert(0, sys.argv[2])
from test_web_cache import _publish_a_new_item
publish.RETIRE_AFTER = 0.0  # long after the version the desk reads was superseded
_publish_a_new_item(sys.argv[1])
"""


def test_a_check_on_the_desk_keeps_the_version_its_pages_read(ingested, scorer):
    # A member checks a message while the desk is still reading its version (a page being computed):
    # the check opened the same catalog in a DuckDB instance of its own and closed it, which dropped
    # every lock the desk process held on that file, so the hourly run (another process) saw no
    # reader and deleted the version's files: the page failed with "IO Error: No files found".
    import re
    import subprocess
    import sys
    from pathlib import Path

    app, client = _logged_in(ingested, scorer)
    page = client.get("/check").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    with app.state.desk.snapshot() as reading:  # a page still reading this version
        count = reading.execute("SELECT count(*) FROM item_overview").fetchall()
        checked = client.post("/check", data={"csrf": token, "q": "KPU Kota Batu memindahkan TPS 7 tanpa "
                                                                    "pemberitahuan. Hoaks?"})
        assert checked.status_code == 200
        run = subprocess.run([sys.executable, "-c", A_LATER_RUN, str(ingested), str(Path(__file__).parent)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert reading.execute("SELECT count(*) FROM item_overview").fetchall() == count
    assert TITLE in client.get("/").text  # the next page reads the run's version


A_RUN_ON_UNCHANGED_FEEDS = """
import sys
import saring.storage.publish as publish
from saring.storage.database import Store
publish.RETIRE_AFTER = 0.0
with Store(sys.argv[1]) as store:  # only a source's state changes: the catalog file stays
    store.con.execute("UPDATE sources SET last_status = 'failed', last_error = 'Server menjawab 503' "
                      "WHERE source_id = (SELECT min(source_id) FROM sources)")
    store.publish_snapshot()
"""


def test_a_run_that_keeps_the_catalog_leaves_the_desk_its_lock_on_it(ingested, scorer):
    # A run on unchanged feeds publishes while a page is being read: the desk opened the same
    # catalog file again for the new publication and closed the old connection once that page was
    # done, which dropped the process's lock on the file, so the next run deleted the files that
    # the pages still reading it needed ("IO Error: No files found").
    import contextlib
    import subprocess
    import sys
    from pathlib import Path

    from saring.storage.database import snapshot_path

    app, client = _logged_in(ingested, scorer)
    desk = app.state.desk
    assert client.get("/").status_code == 200
    catalog = snapshot_path(ingested).stat().st_ino
    with contextlib.ExitStack() as next_page:
        with desk.snapshot() as first:  # a page being read when the run publishes
            count = first.execute("SELECT count(*) FROM item_overview").fetchall()
            run = subprocess.run([sys.executable, "-c", A_RUN_ON_UNCHANGED_FEEDS, str(ingested)],
                                 capture_output=True, text=True, timeout=120)
            assert run.returncode == 0, run.stderr
            assert snapshot_path(ingested).stat().st_ino == catalog
            reading = next_page.enter_context(desk.snapshot())  # the next page, on the new publication
        assert reading.execute("SELECT count(*) FROM item_overview").fetchall() == count
        run = subprocess.run([sys.executable, "-c", A_LATER_RUN, str(ingested), str(Path(__file__).parent)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert reading.execute("SELECT count(*) FROM item_overview").fetchall() == count
    assert TITLE in client.get("/").text


def test_a_copy_unreadable_when_a_run_published_is_opened_again_once_it_is_readable(ingested, scorer):
    # A run published while a file of the analysts' copy could not be read (here: moved away, as a
    # backup tool or a full disk can leave it): the desk remembered the version as opened without
    # a connection, so until the next run every page opened one of its own and never tried again.
    from saring.storage.publish import published_dir

    app, client = _logged_in(ingested, scorer)
    published = app.state.desk.published
    assert client.get("/").status_code == 200
    _publish_a_new_item(ingested)
    (schema,) = (published_dir(ingested) / "_small").glob("schema_version.*.parquet")
    aside = schema.with_name("aside")
    schema.rename(aside)
    assert client.get("/").status_code == 503  # "Belum bisa dibaca": the reason is in the log
    aside.rename(schema)  # readable again, without a new publication

    assert TITLE in client.get("/").text
    kept = published._con
    assert kept is not None  # the desk opened the copy again and keeps it
    assert client.get("/review").status_code == 200 and published._con is kept
