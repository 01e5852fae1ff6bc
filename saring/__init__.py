"""saring: watch Indonesian news for election misinformation ("Saring sebelum Sharing")."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def connect(db_path: str | None = None):
    """Open a read-only DuckDB connection to the newest published snapshot.

    Analysts use this from pandas or notebooks while the flows keep writing.
    See :func:`saring.storage.database.connect_snapshot`.
    """
    from saring.storage.database import connect_snapshot

    return connect_snapshot(db_path)
