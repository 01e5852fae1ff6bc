"""saring: watch Indonesian news for election misinformation ("Saring sebelum Sharing")."""

import logging
import os
from pathlib import Path

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def connect(db_path: str | None = None, timezone: str | None = None):
    """Open a read-only DuckDB connection to the newest published snapshot.

    Analysts use this from pandas or notebooks while the flows keep writing. Times are shown,
    and the day views count days, on the clock of ``timezone`` (WIB, WITA, WIT or a zone name);
    by default the forum's (``settings.schedule.timezone`` in the sources file saring's commands
    read: ``$SARING_SOURCES`` or ``sources.yaml`` here), else WIB. Without that file (a script in
    another folder), or when it cannot be read (a maintainer halfway through an edit), an analyst
    still gets a session: WIB, with a warning (a Python warning: a notebook shows it, and no
    logging set up would show a log record).
    See :func:`saring.storage.database.connect_snapshot`.
    """
    from saring.storage.database import connect_snapshot

    if timezone is None:
        from saring.context import resolve
        from saring.errors import SaringError
        from saring.localtime import TIME_ZONE

        try:
            setup = resolve(db_path)
            timezone = setup.timezone
            if setup.config is None:
                _in_wib(f"no sources file at {setup.sources.resolve()} to read the forum's "
                        "settings.schedule.timezone from")
        except SaringError as exc:
            _in_wib(str(exc))
            timezone = TIME_ZONE
    return connect_snapshot(db_path, timezone)


def notebook_db(root: str | os.PathLike, demo: str = "data/demo/saring.duckdb") -> Path:
    """The database an analysts' notebook opens: ``$SARING_DB`` as set, else the forum's
    ``data/saring.duckdb`` under ``root`` (the repository), else the demo's ``demo`` there (after
    `make demo`).

    A ``$SARING_DB`` that is not there stays the answer: :func:`connect` then says "no database at",
    never shows the demo's items as if they were that database's. With neither file, the forum's
    path, for the same message.
    """
    if os.environ.get("SARING_DB"):
        return Path(os.environ["SARING_DB"])
    forum, demo_db = Path(root) / "data/saring.duckdb", Path(root) / demo
    return demo_db if demo_db.exists() and not forum.exists() else forum


def _in_wib(why: str) -> None:
    import warnings

    warnings.warn(f"days are counted in WIB (Asia/Jakarta): {why.rstrip('.')}. For the forum's clock: "
                  "saring.connect(db, timezone='WITA') (WIB, WITA, WIT or a zone name), or set "
                  "SARING_SOURCES to its sources.yaml", UserWarning, stacklevel=3)
