"""The desk's read path under load: one read connection and cached page data per version.

* :class:`Published` — the analysts' copy (the catalog of :mod:`saring.storage.publish`) changes only
  when a run publishes a new one, which replaces the file atomically. One read-only connection
  is kept per published version (each thread reads through its own cursor of it, so reads run
  side by side), and page data (a day's digest, the review queue's candidates) is computed once
  per version: concurrent requests wait for the one computing it. A new publication is noticed
  by the identity (inode, time, size) of the catalog file and of the publication file, which
  every publication replaces (the catalog only when the large tables' files changed), checked on
  every request: the next request reads the new version and the old cache is dropped (through
  the same connection when the catalog file stayed: see :meth:`Published._current`).
* :class:`Live` — the desk's own small tables in the database file itself (accounts, session
  generations, labels) change when anyone writes the file; they are read once per state of the
  file and its WAL (time and size), so a request no longer opens the database to check a session.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from saring.localtime import TIME_ZONE

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
#: Page data kept per version, the least recently read dropped first: every day since 1970 is a
#: valid ``/?day=``, so a script walking them would otherwise keep thousands of digests.
PAGES_KEPT = 64
_MISSING = object()


def _identity(*paths: Path) -> tuple | None:
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out) if any(out) else None


class Published:
    """One read connection and a page-data cache per published version of the analysts' copy."""

    def __init__(self, db: Path, timezone: str = TIME_ZONE) -> None:
        from saring.storage.database import snapshot_path
        from saring.storage.publish import publication_path

        self.db = db
        self.timezone = timezone  # the forum's clock: its times, and the days the day views count
        self.catalog = snapshot_path(db)
        self.publication = publication_path(db)
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._uses: dict[int, int] = {}  # id(connection) -> requests reading through it now
        self._local = threading.local()
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._building: dict[Any, threading.Lock] = {}
        self.builds = 0  # how many times page data was computed (the tests read it)

    def version(self) -> tuple | None:
        """The identity of the current publication (None before the first one)."""
        return _identity(self.catalog, self.publication)

    def _current(self, use: bool = False) -> tuple[tuple | None, duckdb.DuckDBPyConnection | None]:
        """The current version and its connection; ``use``: count the caller as reading through it
        until :meth:`_release`."""
        version = self.version()
        with self._lock:
            same_catalog = (self._con is not None and version is not None and self._version is not None
                            and version[0] is not None and version[0] == self._version[0])
            if version != self._version and same_catalog:
                # The same catalog file (a run that changed small tables only): its connection reads
                # their new files. Another connection to it, with the old one closed after, would
                # drop this process's lock on it, and a later run would delete the files it names
                # under the pages still reading them (saring.storage.publish._still_open).
                self._version, self._data, self._local = version, OrderedDict(), threading.local()
            elif version != self._version:
                old, self._con, self._version = self._con, None, version
                self._data = OrderedDict()
                self._local = threading.local()
                # Closing a connection closes its cursors: a page still computing on the old
                # version would fail between two queries. Its last reader closes it.
                if old is not None and not self._uses.get(id(old)):
                    with contextlib.suppress(duckdb.Error):
                        old.close()
                if version is not None:
                    from saring.storage.database import connect_snapshot

                    # An instance of its own: the old version's may still be open (connect_snapshot).
                    # It checks the schema version too.
                    try:
                        self._con = connect_snapshot(self.db, self.timezone, private=True)
                    except Exception:
                        # Not opened: the next request tries again (a file moved back, a migration
                        # done) rather than each opening a connection of its own until the next run.
                        self._version = None
                        raise
            if use and self._con is not None:
                self._uses[id(self._con)] = self._uses.get(id(self._con), 0) + 1
            return self._version, self._con

    def _release(self, con: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            left = self._uses.pop(id(con)) - 1
            if left:
                self._uses[id(con)] = left
            elif con is not self._con:  # a version replaced while it was being read
                with contextlib.suppress(duckdb.Error):
                    con.close()

    def follow(self, before: tuple | None, after: tuple | None) -> None:
        """``after`` is a publication of the desk's own tables only (labels, checks, cards): keep the
        connection (its catalog is the same file) and the page data, which never read them.
        Computing the review queue's candidates again after every label tap would cost seconds on
        a year of news."""
        with self._lock:
            if before is None or after is None or self._version != before or after[0] != before[0]:
                return  # the cache is of another version, or the catalog changed: renewed as usual
            self._version = after
            self._local = threading.local()  # cursors are kept per version

    @contextlib.contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This thread's cursor on the current version (or a one-off connection without a catalog)."""
        version, con = self._current(use=True)
        if con is None:
            from saring.storage.database import connect_snapshot

            one = connect_snapshot(self.db, self.timezone)
            try:
                yield one
            finally:
                one.close()
            return
        try:
            cursors = self._local.__dict__.setdefault("cursors", {})
            cur = cursors.get(version)
            if cur is None:
                from saring.storage.database import PRIVATE

                cur = cursors[version] = con.cursor()
                cur.execute(f"USE {PRIVATE}")  # a cursor starts on the instance's empty database
                cur.execute(f"SET TimeZone = '{self.timezone}'")
            yield cur
        finally:
            self._release(con)

    def _cached(self, version: tuple | None, key: Any) -> Any:
        """The kept page data (marked as just read), or _MISSING; call with the lock held."""
        if version is None or version != self._version or key not in self._data:
            return _MISSING
        self._data.move_to_end(key)
        return self._data[key]

    def forget(self, key: Any) -> None:
        """Compute ``key``'s page data again at its next :meth:`get` (the forum's own writes made it
        run out before the next run)."""
        with self._lock:
            self._data.pop(key, None)

    def get(self, key: Any, build: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Page data for ``key`` on the current version, computed at most once per version.

        Requests that arrive while it is being computed wait for that one computation (twenty
        users opening the digest right after a run would otherwise each compute it, all at once).
        """
        version, _ = self._current()
        with self._lock:
            if (hit := self._cached(version, key)) is not _MISSING:
                return hit
            building = self._building.setdefault((version, key), threading.Lock())
        with building:
            with self._lock:
                if (hit := self._cached(version, key)) is not _MISSING:
                    return hit
            try:
                with self.connection() as con:
                    value = build(con)
                with self._lock:
                    self.builds += 1
                    if version is not None and version == self._version:
                        self._data[key] = value
                        while len(self._data) > PAGES_KEPT:
                            self._data.popitem(last=False)
            finally:  # a failed build is not kept, nor its lock
                with self._lock:
                    self._building.pop((version, key), None)
        return value


class Live:
    """Small tables of the database file, read again only after the file (or its WAL) changed."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.wal = db.with_name(db.name + ".wal")
        self._lock = threading.Lock()
        self._data: dict[Any, tuple[tuple | None, Any]] = {}

    def get(self, key: Any, build: Callable[[], T]) -> T:
        state = _identity(self.db, self.wal)  # taken before reading: a write during the read
        with self._lock:  # leaves a stale state, so the next request reads again
            hit = self._data.get(key)
            if hit is not None and state is not None and hit[0] == state:
                return hit[1]
        value = build()
        with self._lock:
            self._data[key] = (state, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def load_accounts(con: duckdb.DuckDBPyConnection) -> tuple[frozenset[str], dict[str, int]]:
    """Every account name and every session generation (both tables are small)."""
    users = frozenset(r[0] for r in con.execute("SELECT name FROM web_users").fetchall())
    return users, load_generations(con)


def load_generations(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every session generation (the analysts' copy has them; it has no accounts)."""
    return dict(con.execute("SELECT user_name, generation FROM web_session_generations").fetchall())
