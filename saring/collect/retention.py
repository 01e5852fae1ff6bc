"""Retention of forwarded chat text: a purge removes it from the rows *and* from the files.

``UPDATE … SET text = NULL`` leaves the old text in the database file's free blocks (DuckDB
neither zeroes nor always reuses them), in the analysts' snapshot and in backups. A purge that
deleted anything therefore also:

1. checkpoints, copies the live tables into a fresh file through the writer's own DuckDB
   connection (``ATTACH`` + ``COPY FROM DATABASE``: the writer never opens its database file
   through a second descriptor, which would drop DuckDB's POSIX lock), closes the connection,
   swaps the fresh file in (it has no WAL) and reopens it;
2. purges and rewrites every backup next to the database (``<db>.*.bak``) the same way;
3. republishes the analysts' copy from the rewritten file, deleting every older published
   file (the Parquet partitions of :mod:`saring.storage.publish`) at once.

The tests check the raw bytes of every one of these files after a purge.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from saring.errors import SaringError
from saring.filemodes import make_private, private_files

LOGGER = logging.getLogger(__name__)

PURGED_TITLE = "(pesan dihapus: masa simpan habis)"


class RetentionError(SaringError):
    """Old tipline text could not be removed from a file."""


@dataclass(frozen=True)
class PurgeResult:
    messages: int
    rewritten: list[Path]


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = 'main' AND table_catalog = current_database()").fetchall()
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(table, set()).add(column)
    return tables


def purge_messages(con: duckdb.DuckDBPyConnection, older_than_days: float,
                   now: datetime | None = None) -> int:
    """NULL the text of chat messages imported more than ``older_than_days`` ago; returns how many.

    Keeps the row (message id, sender hash, time, URLs, reason) so counts and links survive.
    """
    stamp = now or datetime.now(UTC)
    cutoff = stamp - timedelta(days=older_than_days)
    n = con.execute("SELECT count(*) FROM tipline_messages WHERE text IS NOT NULL AND imported_at < ?",
                    [cutoff]).fetchall()[0][0]
    con.execute("UPDATE tipline_messages SET text = NULL, purged_at = ? "
                "WHERE text IS NOT NULL AND imported_at < ?", [stamp, cutoff])
    return int(n)


def purge_items(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> int:
    """The copies of old message text in ``items`` and ``articles`` (tipline source); returns how
    many items still held some (an item may be made days after its message was imported)."""
    tables = _tables(con)
    if "kind" not in tables.get("items", set()):
        return 0  # written before the tipline existed
    old_items = "SELECT item_id FROM items WHERE kind = 'tipline' AND first_seen_at < ?"
    held = con.execute(
        "SELECT count(*) FROM items i WHERE kind = 'tipline' AND first_seen_at < ? AND (summary IS NOT NULL "
        "OR EXISTS (SELECT 1 FROM articles a WHERE a.item_id = i.item_id AND a.text IS NOT NULL "
        "AND a.text_source IN ('tipline', 'summary')))", [cutoff]).fetchone()[0]
    # Message text lives on as the message item's article and as the summary of its links' items.
    con.execute(f"UPDATE articles SET text = NULL WHERE text_source IN ('tipline', 'summary') "
                f"AND item_id IN ({old_items})", [cutoff])
    con.execute(f"UPDATE articles SET title = '{PURGED_TITLE}' "
                f"WHERE text_source = 'tipline' AND item_id IN ({old_items})", [cutoff])
    # Score reasons quote the text they were found in ("sumber tidak jelas: 'katanya …'"):
    # keep the kind of reason, drop the quote.
    if "scores" in tables:
        con.execute("UPDATE scores SET hoax_terms = "
                    "list_transform(hoax_terms, lambda r: split_part(r, ':', 1)) "
                    f"WHERE item_id IN ({old_items})", [cutoff])
    if "story_vectors" in tables:  # the bag of words of the purged text (saring.judge.stories)
        con.execute(f"DELETE FROM story_vectors WHERE item_id IN ({old_items})", [cutoff])
    if "similar_json" in tables.get("checks", set()):
        _purge_similar(con, cutoff)
    con.execute(f"UPDATE items SET summary = NULL, title = CASE WHEN link IS NULL "
                f"THEN '{PURGED_TITLE}' ELSE title END "
                "WHERE kind = 'tipline' AND first_seen_at < ?", [cutoff])
    return int(held)


def _purge_similar(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> None:
    """A check stored the forwards it found similar as it showed them, titled with their opening
    line (checks are never purged: the member pasted that text): the forward's title goes."""
    found = {}
    for check_id, similar in con.execute("SELECT check_id, similar_json FROM checks "
                                         "WHERE similar_json LIKE '%\"item_id\"%'").fetchall():
        with contextlib.suppress(ValueError):
            found[check_id] = [s for s in json.loads(similar) if isinstance(s, dict)]
    ids = sorted({str(s.get("item_id")) for shown in found.values() for s in shown})
    if not ids:
        return
    purged = {r[0] for r in con.execute(
        "SELECT item_id FROM items WHERE kind = 'tipline' AND link IS NULL AND first_seen_at < ? "
        "AND list_contains(?, item_id)", [cutoff, ids]).fetchall()}
    changed = []
    for check_id, shown in found.items():
        hit = [s for s in shown if s.get("item_id") in purged and s.get("title") != PURGED_TITLE]
        for s in hit:
            s["title"] = PURGED_TITLE
        if hit:
            changed.append([json.dumps(shown), check_id])
    if changed:
        con.executemany("UPDATE checks SET similar_json = ? WHERE check_id = ?", changed)


def purge_connection(con: duckdb.DuckDBPyConnection, older_than_days: float,
                     now: datetime | None = None) -> int:
    """Purge the rows of one database (the live one or a backup); returns messages purged."""
    return _purge_rows(con, older_than_days, now)[0]


def _purge_rows(con: duckdb.DuckDBPyConnection, older_than_days: float,
                now: datetime | None = None) -> tuple[int, int]:
    """Messages purged, and items whose copy of a message's text was purged."""
    stamp = now or datetime.now(UTC)
    if "tipline_messages" not in _tables(con):
        return 0, 0
    n = purge_messages(con, older_than_days, stamp)
    return n, purge_items(con, stamp - timedelta(days=older_than_days))


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    """An SQL identifier: the database is named after its file, which may hold a '"'."""
    return '"' + name.replace('"', '""') + '"'


def copy_into_fresh_file(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Copy every table, view and sequence of ``con``'s database into a new file ``target`` (0600)."""
    target.unlink(missing_ok=True)
    target.with_name(target.name + ".wal").unlink(missing_ok=True)
    con.execute("CHECKPOINT")
    alias = con.execute("SELECT current_database()").fetchall()[0][0]
    with private_files():
        con.execute(f"ATTACH {_quote(str(target))} AS saring_rewrite")
        try:
            con.execute(f"COPY FROM DATABASE {_ident(alias)} TO saring_rewrite")
        finally:
            con.execute("DETACH saring_rewrite")
    make_private(target)


def rewrite_backup(path: Path, older_than_days: float, now: datetime | None = None) -> int:
    """Purge one backup file and rewrite it so the old text is gone from its bytes."""
    fresh = path.with_name(path.name + ".rewrite")
    try:
        with private_files():
            con = duckdb.connect(str(path))
        try:
            n = purge_connection(con, older_than_days, now)
            copy_into_fresh_file(con, fresh)
        finally:
            con.close()
        os.replace(fresh, path)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
    except (duckdb.Error, OSError) as exc:
        fresh.unlink(missing_ok=True)
        raise RetentionError(f"the backup {path} could not be purged ({exc}); the database itself was "
                             f"purged: delete that backup, or run the purge again") from None
    make_private(path)
    return n


def backup_paths(db_path: Path) -> list[Path]:
    """The backups saring keeps next to the database (``<db>.pre-vN.bak`` and any ``<db>.*.bak``)."""
    # escaped: a name with "[" or "*" would be read as a pattern and find none of them
    return sorted(p for p in db_path.parent.glob(glob.escape(db_path.name) + ".*.bak") if p.is_file())


def purge_tipline(store, older_than_days: float, now: datetime | None = None,
                  rewrite: bool | None = None) -> PurgeResult:
    """Retention: remove chat text older than N days from the database, its backups and snapshot.

    Args:
        store: the open :class:`saring.storage.database.Store` (the writer).
        rewrite: rewrite the files even when no row was purged now (e.g. text purged by an older
            saring that did not rewrite). Default: only when something was purged.

    Raises:
        RetentionError: a backup could not be purged (the database itself was).
        StoreError: the database could not be rewritten or reopened.
    """
    with store.lock:
        store.con.begin()  # the rows are purged only once the published files are marked for erasing:
        try:  # a purge that could not mark them leaves the rows to the next one
            n, items = _purge_rows(store.con, older_than_days, now)
            if n or items:
                store.mark_erase()
            store.con.commit()
        except OSError as exc:
            store.con.rollback()
            raise RetentionError(f"the analysts' copy of {store.path} could not be marked for erasing "
                                 f"({exc}); nothing was purged, run the purge again") from None
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                store.con.rollback()
            raise
        # A purge that stopped before it rewrote the published files left them marked: this one
        # (or the next publication) finishes, though no row is left to purge.
        if not (n or items or rewrite or store.erase_pending()):
            return PurgeResult(messages=0, rewritten=[])
        try:
            store.mark_erase()
        except OSError as exc:
            raise RetentionError(f"the analysts' copy of {store.path} could not be marked for erasing "
                                 f"({exc}); run the purge again") from None
        fresh = store.path.with_name(store.path.name + ".rewrite")
        try:
            copy_into_fresh_file(store.con, fresh)
        except (duckdb.Error, OSError) as exc:
            fresh.unlink(missing_ok=True)
            raise RetentionError(f"the purged text could not be erased from {store.path} ({exc}); "
                                 "the rows are purged, run the purge again to erase it") from None
        store.replace_file(fresh)
        rewritten = [store.path]
        for backup in backup_paths(store.path):
            rewrite_backup(backup, older_than_days, now)
            rewritten.append(backup)
        rewritten.append(store.publish_snapshot(erase=True))
    LOGGER.info("tipline retention: %d messages purged; rewrote %s", n, ", ".join(map(str, rewritten)))
    return PurgeResult(messages=n, rewritten=rewritten)
