"""File permissions: what holds personal data is private (0600), digests are shared (0644).

DuckDB creates the database file, its WAL (again after every checkpoint), attached copies and
spill files itself, with the process umask, so no chmod after the fact can cover the WAL. While
a :class:`saring.storage.database.Store` is open the process therefore runs with umask 077 (counted, so
nested or threaded Stores restore the previous umask only when the last one closes), and files
that are meant to be shared (the digests and the archive index) get 0644 explicitly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

LOGGER = logging.getLogger(__name__)

PRIVATE = 0o600
SHARED = 0o644
SHARED_DIR = 0o755

_lock = threading.Lock()
_depth = 0
_saved: int | None = None


def enter_private() -> None:
    """Start creating files 0600 (umask 077) until the matching :func:`exit_private`."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = os.umask(0o077)
            os.umask(_saved | 0o077)
        _depth += 1


def exit_private() -> None:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            return
        _depth -= 1
        if _depth == 0 and _saved is not None:
            os.umask(_saved)
            _saved = None


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files created inside the block are readable by their owner only."""
    enter_private()
    try:
        yield
    finally:
        exit_private()


def make_private(*paths: str | Path) -> None:
    """Take the group's and others' rights off the files that exist (0644 becomes 0600: a
    database written before this rule, a fresh copy).

    The owner's own rights stay as they are: a database its owner made read-only (0444) stays
    read-only (0400), so the writer refuses it instead of quietly making it writable again. A file
    this user may not chmod (another owner, a read-only disk) is left as it is, with a warning:
    opening it will then fail or succeed with its own clear message.
    """
    for path in paths:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode & 0o077:
                os.chmod(path, mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as exc:
            LOGGER.warning("cannot make %s private (chmod 600): %s", path, exc.strerror or exc)


def readable_by_others(path: str | Path) -> bool:
    """Whether the group or others have any right on ``path`` (FileNotFoundError if none)."""
    return bool(os.stat(path).st_mode & 0o077)


def write_private(path: Path, data: bytes, replace: bool = True) -> bool:
    """Write ``data`` to ``path``, 0600 whatever the umask, whole or not at all.

    With ``replace=False`` only when ``path`` does not exist yet (never over what another process
    wrote meanwhile); returns whether it was written. Raises OSError.
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
        try:
            os.fchmod(fd, PRIVATE)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
            return True
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def written_whole(path: str | Path) -> Iterator[Path]:
    """The name to write ``path`` under: a file beside it, renamed over it when the block ends and
    removed if it raises, so a full disk or Ctrl-C never leaves a cut-off file (nor empties an
    earlier one). A file replaced keeps its mode (a sheet shared with a group stays so).

    Through a symlink, as writing to it did; a device or pipe (/dev/stdout) is written itself.
    """
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():  # nothing to rename over
        yield target
        return
    # the same name at the end: pandas infers a compression (scored.csv.gz) from it
    part = target.with_name(f".{os.getpid()}.part.{target.name}")
    try:
        yield part
        with contextlib.suppress(FileNotFoundError):  # a new file: the umask's mode, as before
            os.chmod(part, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def make_shared(path: str | Path) -> None:
    """chmod 0644: a digest is meant to be read by others (and served by the archive)."""
    os.chmod(path, SHARED)


def shared_dir(path: str | Path) -> Path:
    """Create ``path`` (and missing parents) readable by others, whatever the umask."""
    path = Path(path)
    missing = []
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir()
        os.chmod(directory, SHARED_DIR)
    return path
