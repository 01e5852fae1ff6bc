"""The desk's password hashes for when a run holds the database: ``<db>.web-logins``, 0600.

The analysts' copy never holds them (whoever is given the published folder could attack every
member's password offline), yet the desk must log members in while a run holds the writer's
file. So the account names and their scrypt hashes are kept in a private file next to the
database, as the tipline secret and the desk's session key are: rewritten by every publication
(every account change publishes), made by the desk from the database when it is missing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb

from saring.errors import SaringError
from saring.filemodes import readable_by_others, write_private

LOGGER = logging.getLogger(__name__)


class LoginsFileError(SaringError):
    """The kept logins file cannot be used safely."""


def logins_path(db: Path) -> Path:
    return db.with_name(db.name + ".web-logins")


def current_logins(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every account's name and password hash, from the database itself."""
    return dict(con.execute("SELECT name, password_hash FROM web_users ORDER BY name").fetchall())


def read_logins(db: Path) -> dict[str, str] | None:
    """The kept names and hashes; None when there is no file.

    Raises:
        LoginsFileError: the file is readable by others, or is not a logins file.
    """
    path = logins_path(db)
    try:
        others = readable_by_others(path)
    except FileNotFoundError:
        return None
    if others:
        raise LoginsFileError(f"{path} is readable by other users (it holds the desk's password hashes); "
                              f"run: chmod 600 {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise LoginsFileError(f"{path} is not a desk logins file; delete it (the next saring run "
                              "writes it again)")
    return data


def write_logins(db: Path, logins: dict[str, str], replace: bool = True) -> bool:
    """Keep ``logins`` in the file, owner-only; with ``replace=False`` only when there is none
    (the desk, which may have read an older state than a publication that just wrote it).
    Returns whether it was written; a failure is logged (never the hashes), not raised."""
    path = logins_path(db)
    if replace:
        try:  # unchanged (most publications): no write, no sync
            if read_logins(db) == logins:
                return False
        except (OSError, LoginsFileError):
            pass
    try:  # replace=False: never over a file a publication wrote meanwhile
        return write_private(path, json.dumps(logins, sort_keys=True).encode(), replace=replace)
    except OSError as exc:
        LOGGER.warning("cannot keep the desk's logins in %s (%s): while a run holds the database, "
                       "members cannot log in", path, exc.strerror or exc)
        return False
