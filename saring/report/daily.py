"""The report stage's daily run: build the digest, write it into the archive, record it.

Above :mod:`saring.report.digest` (building and rendering) and :mod:`saring.report.archive`
(the dated files and their index), so neither of those two imports the other's caller.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from saring.config import DigestSettings, ForumSettings
from saring.localtime import TIME_ZONE
from saring.report.archive import write_archive
from saring.report.digest import Digest, build_digest, record_reported


def write_digest(digest: Digest, out_dir: str | Path, message_chars: int = 4000) -> list[Path]:
    """Write every format into the dated archive ``out_dir`` and rebuild its index.

    Returns the WhatsApp text and HTML page first (the two files most people want), then the
    Markdown and e-mail files. See :mod:`saring.report.archive` for the layout.
    """
    return write_archive(digest, out_dir, message_chars)


def make_digest(
    db_path: str | Path | None, day: date, settings: DigestSettings, out_dir: str | Path,
    forum: ForumSettings | None = None, timezone: str = TIME_ZONE,
) -> tuple[Digest, list[Path]]:
    """Build, write and record the digest for ``day`` (a calendar day in ``timezone``, the forum's
    ``settings.schedule.timezone``); refreshes the analysts' snapshot."""
    from saring.storage.database import Store

    with Store(db_path) as store:
        digest = build_digest(store.con, day, settings, forum, timezone)
        paths = write_digest(digest, out_dir, settings.message_chars)
        record_reported(store.con, digest)
        store.record_digest(day, digest.items_seen, digest.election_count,
                            digest.high_risk, [str(p) for p in paths])
        store.publish_snapshot()
    return digest, paths
