"""Web accounts: named users with scrypt-hashed passwords (stdlib), or a shared forum secret.

Users live in the ``web_users`` table of the saring database. Passwords are hashed with
``hashlib.scrypt`` (n=2**14, r=8, p=1, 16-byte random salt) and compared in constant time.
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

USERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_users (
    name VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL, created_at TIMESTAMPTZ
);
"""
N, R, P = 2**14, 8, 1
MIN_PASSWORD = 8
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


def _has_users(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'web_users'"
        ).fetchone()[0]
    )


def authenticate(con: duckdb.DuckDBPyConnection, name: str, password: str) -> str | None:
    """The user's name when the password is right (or the shared forum secret is given), else None."""
    name = (name or "").strip()
    if not NAME_RE.match(name) or not password:
        verify_password(password or "x", _DUMMY)  # same cost either way
        return None
    row = None
    if _has_users(con):
        row = con.execute("SELECT password_hash FROM web_users WHERE name = ?", [name]).fetchone()
    if row is not None:
        return name if verify_password(password, row[0]) else None
    verify_password(password, _DUMMY)
    shared = os.environ.get("SARING_WEB_SECRET", "")
    if shared and hmac.compare_digest(password.encode(), shared.encode()):
        return f"{name} (forum)"  # labels show that this person used the shared secret
    return None


def add_user(db: str | Path | None, name: str, password: str, lock_wait: float = 10.0) -> None:
    """Create or replace a user (then republish the snapshot so the web app sees it at once)."""
    from saring.store import Store

    if not NAME_RE.match(name or ""):
        raise AccountError("user names are 2-40 letters, digits or . _ @ -")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    with Store(db, lock_wait=lock_wait) as store:
        store.con.execute(USERS_SCHEMA)
        store.con.execute(
            "INSERT INTO web_users VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
            "SET password_hash = excluded.password_hash",
            [name, hash_password(password), datetime.now(UTC)],
        )
        store.publish_snapshot()


def user_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM web_users").fetchone()[0] if _has_users(con) else 0
