"""Database files from other versions and unwritable places: clear messages, data intact."""

import duckdb
import pytest
from _db import v1_database
from _privileges import chown_to_user, run_as_user, user_folder

from saring.errors import StoreError
from saring.schema import SCHEMA_VERSION
from saring.store import Store, connect_snapshot, snapshot_path


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
from saring.store import Store
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
