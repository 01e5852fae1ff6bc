"""Database files from other versions and unwritable places: clear messages, data intact."""

import duckdb
import pytest
from _db import v1_database
from _privileges import chown_to_user, run_as_user, user_folder

from saring.errors import StoreError
from saring.storage.database import Store, connect_snapshot, snapshot_path
from saring.storage.schema import SCHEMA_VERSION


def test_older_schema_is_migrated_with_a_backup_and_data_kept(tmp_path):
    db = tmp_path / "saring.duckdb"
    v1_database(db)
    with Store(db) as store:
        assert store.con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        row = store.con.execute(
            "SELECT consecutive_failures, last_success_at IS NOT NULL FROM sources").fetchone()
        assert row == (0, True)
        assert store.con.execute("SELECT title FROM items").fetchone()[0] == "KPU Kota Batu"
    backup = duckdb.connect(str(tmp_path / f"saring.duckdb.pre-v{SCHEMA_VERSION}.bak"), read_only=True)
    assert backup.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1  # as it was
    assert backup.execute("SELECT title FROM items").fetchall() == [("KPU Kota Batu",)]
    backup.close()
    con = connect_snapshot(db)  # the snapshot follows the migration
    assert con.execute("SELECT count(*) FROM items").fetchone()[0] == 1


def test_newer_schema_is_refused_untouched(tmp_path):
    db = tmp_path / "saring.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (99, now())")
    con.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="newer than this saring understands"):
        Store(db)
    assert db.read_bytes() == before


# Opens a Store as an ordinary user and says how it went: the permission tests run as root in CI.
OPEN_STORE = """
from saring.errors import StoreError
from saring.storage.database import Store
try:
    Store(sys.argv[1]).close()
except StoreError as exc:
    print("StoreError:", exc)
else:
    print("opened")
"""


def test_read_only_folder_gives_a_clear_message():
    with user_folder() as home:
        folder = home / "ro"
        folder.mkdir()
        chown_to_user(folder)
        folder.chmod(0o500)
        done = run_as_user(OPEN_STORE, str(folder / "saring.duckdb"), home=home)
        assert done.returncode == 0, done.stderr
        assert "StoreError:" in done.stdout and "permission denied or read-only" in done.stdout
        assert "Traceback" not in done.stdout
        assert list(folder.iterdir()) == []  # nothing was created


def test_read_only_file_is_refused_by_the_writer():
    with user_folder() as home:
        db = home / "saring.duckdb"
        Store(db).close()
        for path in home.iterdir():
            chown_to_user(path)
        db.chmod(0o444)  # a real read-only file, in a folder its user may write
        before = db.read_bytes()
        done = run_as_user(OPEN_STORE, str(db), home=home)
        assert done.returncode == 0, done.stderr
        assert "StoreError:" in done.stdout and "permission denied or read-only" in done.stdout
        assert db.read_bytes() == before


def test_a_directory_in_the_databases_place_is_refused(tmp_path):
    bad = tmp_path / "dir.duckdb"
    bad.mkdir()
    with pytest.raises(StoreError, match="cannot open the database"):
        Store(bad)


def test_reader_gets_a_clear_message_without_any_database(tmp_path):
    with pytest.raises(StoreError, match="run `saring ingest` first"):
        connect_snapshot(tmp_path / "none.duckdb")
    assert not snapshot_path(tmp_path / "none.duckdb").exists()


def test_reader_never_migrates_an_older_database_to_publish_its_copy(tmp_path):
    # An analyst's newer saring on the forum's database before its server was upgraded: a reader
    # publishes a missing analysts' copy, but migrating the file would lock the server's saring out.
    from _db import database_at

    db = tmp_path / "saring.duckdb"
    database_at(db, 6).close()
    with pytest.raises(StoreError, match="refreshed by the next run"):
        connect_snapshot(db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 6
    assert not snapshot_path(db).exists()


def test_v6_file_with_lazily_created_tables_migrates_to_the_registry(tmp_path):
    """Migration 7 takes over the tables modules used to create on first use; their rows stay."""
    from _db import database_at

    db = tmp_path / "saring.duckdb"
    con = database_at(db, 6)
    # As saring.judge.labels and the desk created them before v7.
    con.execute("CREATE SEQUENCE label_seq")
    con.execute("""CREATE TABLE labels (seq BIGINT DEFAULT nextval('label_seq') PRIMARY KEY,
                   item_id VARCHAR NOT NULL, task VARCHAR NOT NULL, value INTEGER NOT NULL,
                   labeled_by VARCHAR NOT NULL, labeled_at TIMESTAMPTZ NOT NULL,
                   batch_id VARCHAR, source_file VARCHAR)""")
    con.execute("INSERT INTO labels (item_id, task, value, labeled_by, labeled_at) "
                "VALUES ('a', 'hoax', 1, 'rina', now())")
    con.execute("CREATE TABLE label_unsure (item_id VARCHAR, task VARCHAR, labeled_by VARCHAR, "
                "labeled_at TIMESTAMPTZ)")
    con.execute("INSERT INTO label_unsure VALUES ('b', 'hoax', 'rina', now())")
    con.close()
    with Store(db) as store:
        assert store.con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert store.con.execute("SELECT item_id, value FROM current_labels").fetchall() == [("a", 1)]
        assert store.con.execute("SELECT count(*) FROM label_unsure").fetchone()[0] == 1
        for table in ("checks", "digest_items", "web_users"):  # created by the migration
            assert store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
        store.con.execute("INSERT INTO labels (item_id, task, value, labeled_by, labeled_at) "
                          "VALUES ('a', 'hoax', 0, 'budi', now())")  # the sequence carries on
        assert store.con.execute("SELECT value FROM current_labels").fetchall() == [(0,)]
    assert (tmp_path / f"saring.duckdb.pre-v{SCHEMA_VERSION}.bak").exists()


def test_opening_a_current_file_recreates_no_view(tmp_path):
    """A file at the current version is only read on open: views change only in their migration."""
    db = tmp_path / "saring.duckdb"
    Store(db).close()
    con = duckdb.connect(str(db))
    con.execute("CREATE OR REPLACE VIEW source_daily AS SELECT 'kept' AS marker")
    con.close()
    with Store(db) as store:
        assert store.con.execute("SELECT * FROM source_daily").fetchall() == [("kept",)]


def test_schema_has_one_owner():
    """No module outside saring.storage.schema creates a table, view or sequence; every INSERT names its
    columns."""
    import re
    from pathlib import Path

    import saring

    root = Path(saring.__file__).parent
    create = re.compile(r"CREATE\s+(OR\s+REPLACE\s+)?(TABLE|VIEW|SEQUENCE|INDEX|UNIQUE\s+INDEX)", re.I)
    insert = re.compile(r"INSERT\s+INTO\s+[\w{}]+(?![\w{}])(?![\s\"']*\()", re.I)
    offenders = []
    for path in root.rglob("*.py"):
        name = path.relative_to(root).as_posix()
        if name == "storage/schema.py":
            continue
        text = path.read_text()
        offenders += [f"{name}: {m.group(0)}" for m in create.finditer(text)]
        offenders += [f"{name}: {m.group(0)}" for m in insert.finditer(text)]
    assert offenders == []
