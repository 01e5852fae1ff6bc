"""Web accounts: named users with scrypt-hashed passwords (stdlib), or a shared forum secret.

Users live in the ``web_users`` table of the saring database. Passwords are hashed with
``hashlib.scrypt`` (n=2**14, r=8, p=1, 16-byte random salt) and compared in constant time.
The analysts' copy never holds the table: while a run holds the database the desk reads the
hashes from a private file next to it (:mod:`saring.storage.logins`), which publications keep.

Sessions are revocable: each account (and each name used with the shared secret) has a
*generation* in ``web_session_generations`` (schema v4). A session cookie records the generation
it was issued under; logging out, setting a new password and deleting the account raise it, so
every older cookie of that account stops working at its next request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from saring.errors import SaringError

N, R, P = 2**14, 8, 1
MIN_PASSWORD = 8
FORUM_SUFFIX = " (forum)"  # a session opened with the shared secret; never a valid account name
NAME_RE = re.compile(r"^[\w.@-]{2,40}$")


class AccountError(SaringError):
    """A user name or password is not acceptable."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${N}${R}${P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY = hash_password(secrets.token_hex(8))


def session_generation(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """The account's current session generation (0 when it never changed)."""
    row = con.execute(
        "SELECT generation FROM web_session_generations WHERE user_name = ?", [name]
    ).fetchone()
    return row[0] if row else 0


def raise_generation(con: duckdb.DuckDBPyConnection, name: str, to: int) -> None:
    """Set the account's session generation to at least ``to`` (it never goes down)."""
    con.execute(
        """INSERT INTO web_session_generations (user_name, generation, changed_at) VALUES (?, ?, now())
           ON CONFLICT (user_name) DO UPDATE
           SET generation = greatest(web_session_generations.generation, excluded.generation),
               changed_at = excluded.changed_at""",
        [name, to],
    )


def bump_generation(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """End every session of the account (one generation up); returns the new generation."""
    new = session_generation(con, name) + 1
    raise_generation(con, name, new)
    return new


def user_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM web_users WHERE name = ?", [name]
    ).fetchone()[0] > 0


def password_hash(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The stored hash of a user's password, None when there is no such user (a quick read)."""
    name = (name or "").strip()
    if not NAME_RE.match(name):
        return None
    row = con.execute("SELECT password_hash FROM web_users WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def check_login(name: str, password: str, stored: str | None) -> str | None:
    """The session name when the password is right (``stored`` from :func:`password_hash`), or
    the shared forum secret is given for a name without an account; else None.

    Slow on purpose (scrypt, about the same time whatever the outcome): call it off the event loop.
    """
    name = (name or "").strip()
    if not NAME_RE.match(name) or not password:
        verify_password(password or "x", _DUMMY)  # same cost either way
        return None
    if stored is not None:
        return name if verify_password(password, stored) else None
    verify_password(password, _DUMMY)
    shared = os.environ.get("SARING_WEB_SECRET", "")
    if shared and hmac.compare_digest(password.encode(), shared.encode()):
        return f"{name}{FORUM_SUFFIX}"  # labels show that this person used the shared secret
    return None


def authenticate(con: duckdb.DuckDBPyConnection, name: str, password: str) -> str | None:
    """The user's name when the password is right (or the shared forum secret is given), else None."""
    return check_login(name, password, password_hash(con, name))


def add_user(db: str | Path | None, name: str, password: str, lock_wait: float = 10.0) -> None:
    """Create a user, or set a new password and end the user's sessions everywhere (then
    republish the snapshot so the web app sees it at once)."""
    from saring.storage.database import Store

    if not NAME_RE.match(name or ""):
        raise AccountError("user names are 2-40 letters, digits or . _ @ -")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    with Store(db, lock_wait=lock_wait) as store:
        store.con.begin()
        store.con.execute(
            "INSERT INTO web_users (name, password_hash, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE "
            "SET password_hash = excluded.password_hash",
            [name, hash_password(password), datetime.now(UTC)],
        )
        bump_generation(store.con, name)
        store.con.commit()
        store.publish_snapshot()


def delete_user(db: str | Path | None, name: str, lock_wait: float = 10.0) -> None:
    """Delete a user and end the user's sessions everywhere (labels they gave are kept).

    Raises:
        AccountError: there is no such user.
    """
    from saring.storage.database import Store

    with Store(db, lock_wait=lock_wait) as store:
        if not user_exists(store.con, name):
            raise AccountError(f"there is no web account named {name!r}")
        store.con.begin()
        store.con.execute("DELETE FROM web_users WHERE name = ?", [name])
        bump_generation(store.con, name)
        store.con.commit()
        store.publish_snapshot()


def user_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM web_users").fetchone()[0]
