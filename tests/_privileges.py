"""File-permission tests that also run as root (CI runs as root, and root ignores file modes).

The part that must meet the permission runs in a child Python process as an ordinary user:
``nobody`` when the tests run as root (the child drops root's privileges before the part under
test), the current user otherwise. It works in a folder that user owns, outside pytest's root-only tmp dir.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NOBODY = 65534  # uid and gid of Debian's "nobody"/"nogroup"


def _dropping() -> bool:
    return os.geteuid() == 0


@contextmanager
def user_folder() -> Iterator[Path]:
    """A fresh folder owned by the user that :func:`run_as_user` runs as; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="saring-perm-"))
    try:
        if _dropping():
            os.chown(folder, NOBODY, NOBODY)
        yield folder
    finally:
        folder.chmod(0o700)
        shutil.rmtree(folder, ignore_errors=True)


def chown_to_user(path: Path) -> None:
    """Give ``path`` to the user that :func:`run_as_user` runs as."""
    if _dropping():
        os.chown(path, NOBODY, NOBODY)


def run_as_user(code: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (Python; ``sys.argv[1:]`` are ``args``) as an ordinary user; never as root."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    # The interpreter may live where only root can read (pyenv under /root), so the child starts
    # with the tester's rights, imports what it needs, and then drops them for good.
    drop = (f"os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY})\n" if _dropping() else "")
    probe = ("import os, sys\n"
             "import duckdb, saring.errors, saring.storage.database, saring.storage.schema\n" + drop
             + "assert os.geteuid() != 0, 'still root'\n")
    return subprocess.run([sys.executable, "-c", probe + textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=120, env=env, check=False)
