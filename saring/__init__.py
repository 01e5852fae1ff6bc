"""saring: watch Indonesian news for election misinformation ("Saring sebelum Sharing")."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def connect(db_path: str | None = None, timezone: str | None = None):
    """Open a read-only DuckDB connection to the newest published snapshot.

    Analysts use this from pandas or notebooks while the flows keep writing. Times are shown,
    and the day views count days, on the clock of ``timezone`` (WIB, WITA, WIT or a zone name);
    by default the forum's (``settings.schedule.timezone`` in the sources file saring's commands
    read: ``$SARING_SOURCES`` or ``sources.yaml`` here), else WIB. A sources file that cannot be
    read (a maintainer halfway through an edit) does not stop an analyst: WIB, with a warning.
    See :func:`saring.storage.database.connect_snapshot`.
    """
    from saring.storage.database import connect_snapshot

    if timezone is None:
        from saring.context import resolve
        from saring.errors import SaringError
        from saring.localtime import TIME_ZONE

        try:
            timezone = resolve(db_path).timezone
        except SaringError as exc:
            logging.getLogger(__name__).warning("days are counted in WIB: %s", exc)
            timezone = TIME_ZONE
    return connect_snapshot(db_path, timezone)
