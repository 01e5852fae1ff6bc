"""Comparing whole databases in tests: the rows that must not change between equivalent runs."""

import shutil
from datetime import datetime
from pathlib import Path

import duckdb

# Every column except the timestamps of when saring did something.
KEYS = {
    "items": "item_id, url, link, source_id, title, summary, published_at, author, guid, state",
    "articles": "item_id, final_url, http_status, text, text_source, title, published_at, author, "
                "language, extraction_error",
    "scores": "item_id, model_version, election_score, hoax_score, election_terms, hoax_terms",
    "item_places": "item_id, code, name, level, province_code, matched, rule, first_pos",
}


def table_rows(db) -> dict[str, list[tuple]]:
    """Sorted rows of items, articles and scores, read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT {cols} FROM {t}").fetchall(), key=str)
                for t, cols in KEYS.items()}
    finally:
        con.close()


def copy_database(src: Path, dst: Path) -> Path:
    """A database copied as a person would back it up: the file and its WAL (a run does not
    checkpoint when it closes, so its last changes may be in the WAL)."""
    shutil.copyfile(src, dst)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, dst.with_name(dst.name + ".wal"))
    return dst


def database_at(path, version: int) -> duckdb.DuckDBPyConnection:
    """An open database as schema ``version`` left it (migrations 1..version applied, no rows)."""
    from saring.storage.schema import MIGRATIONS

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)")
    for number, sql in MIGRATIONS[:version]:
        if callable(sql):
            sql(con, None)
        else:
            con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [number])
    return con


def publish_before_v18(con: duckdb.DuckDBPyConnection, db: Path, version: int) -> None:
    """Publish ``con`` (a database of schema ``version`` < 18) as saring then did: the analysts'
    views counted a story's media by its sources' sites, before items had ``outlet_host``."""
    import saring.storage.schema as schema
    from saring.storage.database import snapshot_path
    from saring.storage.publish import publish

    current = schema.CATALOG_VIEWS
    zone = schema.SESSION_DAYS
    schema.CATALOG_VIEWS = (schema.LABEL_VIEWS + schema.VIEWS + schema.SOURCE_DAILY.format(zone=zone)
                            + schema.STORY_VIEWS + schema.outlet_views(zone, schema._outlet_sql_v15))
    try:
        publish(con, db, snapshot_path(db), version)
    finally:
        schema.CATALOG_VIEWS = current


def published_by_v11(db) -> None:
    """``db`` as saring with schema v11 left it, its analysts' copy published at v11. Steps v12 and
    v13 only rewrite rows (scrubbed checks, re-read verdicts), so the file has v11's tables."""
    from saring.storage.database import Store, snapshot_path
    from saring.storage.publish import publish

    with Store(db) as store:
        store.con.execute("DELETE FROM schema_version WHERE version > 11")
        publish(store.con, db, snapshot_path(db), 11)


def v1_database(path) -> None:
    """A database as saring's first schema version left it, with one source and one item."""
    con = database_at(path, 1)
    con.execute("INSERT INTO sources (source_id, name, url, last_status, last_fetched_at) "
                "VALUES ('malangpost', 'Malang Post', 'https://malangpost.id/feed/', 'ok', now())")
    con.execute("INSERT INTO items (item_id, url, source_id, title, state) "
                "VALUES ('abc', 'https://malangpost.id/a', 'malangpost', 'KPU Kota Batu', 'scored')")
    con.close()


def makassar_db(tmp_path: Path) -> tuple[Path, datetime]:
    """A Makassar (WITA) forum's database: one item saring saw at 00:30 WITA on 25 November 2026,
    its analysts' copy published."""
    from zoneinfo import ZoneInfo

    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    seen = datetime(2026, 11, 25, 0, 30, tzinfo=ZoneInfo("Asia/Makassar"))
    with Store(db) as store:
        store.con.execute("INSERT INTO sources (source_id, name, region) VALUES ('fajar', 'Fajar', 'Sulsel')")
        store.con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state) "
                          "VALUES ('m1', 'https://fajar.test/1', 'fajar', 'Rapat pleno KPU', ?, 'scored')",
                          [seen])
        store.con.execute("INSERT INTO scores VALUES ('m1', 'm1', 0.9, 0.2, [], [], ?)", [seen])
        store.publish_snapshot()
    return db, seen


def forward_pratiwi_post(store, folder: Path, row_id: int, scorer) -> None:
    """A member's WhatsApp export forwarding Pratiwi's post ``row_id`` (a real hoax text), imported
    and fed into ``store`` as the tipline does."""
    from datetime import UTC

    import pandas as pd

    from saring.collect.tipline import import_chat
    from saring.pipeline.forwarded import feed_tipline

    rows = pd.read_csv(Path(__file__).resolve().parents[1] / "classifiers" / "data" / "pratiwi2017_hoax"
                       / "pratiwi2017_hoax_train.csv")
    claim = rows.loc[rows["row_id"] == row_id, "berita"].item()
    chat = folder / "WhatsApp Chat dengan Relawan.txt"
    chat.write_text(f"12/10/23, 08.17 - +62 812-0000-0002: *Diteruskan*\n{claim}\n", encoding="utf-8")
    started = datetime.now(UTC)
    import_chat(store.con, chat, b"uji-rahasia-lokal-0123456789")
    feed_tipline(store, since=started, scorer=scorer)


def forum_repo(tmp_path: Path, monkeypatch, settings: str, db: Path | None = None) -> Path:
    """A forum's repository as Jupyter sees it: ``repo/sources.yaml`` with ``settings`` (YAML under
    ``settings:``) and one source, ``repo/notebooks``, the working directory ``repo``; SARING_DB is
    ``db`` (or unset) and SARING_SOURCES unset."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "sources.yaml").write_text(
        f"settings:\n{settings}sources:\n  - {{id: lokal, name: Lokal, url: 'https://lokal.example/feed'}}\n",
        encoding="utf-8")
    monkeypatch.chdir(repo)
    if db is None:
        monkeypatch.delenv("SARING_DB", raising=False)
    else:
        monkeypatch.setenv("SARING_DB", str(db))
    monkeypatch.delenv("SARING_SOURCES", raising=False)
    return repo
