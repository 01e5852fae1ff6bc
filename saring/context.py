"""One resolved configuration for every entry point: the CLI, the flows, the desk and the demo.

:func:`resolve` turns the optional ``--db``/``--sources`` values (or ``$SARING_DB`` /
``$SARING_SOURCES``, or the defaults in :mod:`saring.config`) into one :class:`Resolved`: the
paths, the validated sources file when there is one, and the settings read from it (or their
defaults). The CLI resolves once per invocation (:func:`resolved` caches on the typer context
that the ``saring`` callback creates); the flows and the desk call :func:`resolve` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from saring.config import (
    Config,
    DigestSettings,
    FetchSettings,
    ForumSettings,
    StorySettings,
    TiplineSettings,
    default_db_path,
    default_sources_path,
    load_config,
)
from saring.localtime import TIME_ZONE


@dataclass(frozen=True)
class Resolved:
    """Where the data is and how saring is set up, decided once."""

    db: Path
    sources: Path
    config: Config | None  # None: no sources file (commands that need none still work)

    @property
    def digest(self) -> DigestSettings:
        return self.config.digest if self.config else DigestSettings()

    @property
    def forum(self) -> ForumSettings | None:
        return self.config.forum if self.config else None

    @property
    def fetch(self) -> FetchSettings:
        return self.config.fetch if self.config else FetchSettings()

    @property
    def stories(self) -> StorySettings:
        return self.config.stories if self.config else StorySettings()

    @property
    def tipline(self) -> TiplineSettings:
        return self.config.tipline if self.config else TiplineSettings()

    @property
    def timezone(self) -> str:
        return self.config.schedule.timezone if self.config else TIME_ZONE


def resolve(db: str | Path | None = None, sources: str | Path | None = None,
            require_sources: bool = False) -> Resolved:
    """Resolve paths and settings.

    A sources file named explicitly (or required) must exist and be valid; the default one is
    read when it exists.

    Raises:
        SourceConfigError: the sources file is missing (when named or required) or invalid.
    """
    db_path = Path(db) if db else default_db_path()
    src = Path(sources) if sources else default_sources_path()
    config = load_config(src) if (sources or require_sources or src.exists()) else None
    return Resolved(db_path, src, config)


def resolved(db: str | Path | None = None, sources: str | Path | None = None,
             require_sources: bool = False) -> Resolved:
    """:func:`resolve`, once per CLI invocation (cached on the root typer context's ``obj``)."""
    ctx = click.get_current_context(silent=True)
    cache = ctx.find_root().obj if ctx is not None else None
    if not isinstance(cache, dict):
        return resolve(db, sources, require_sources)
    key = (str(db or ""), str(sources or ""), require_sources)
    if key not in cache:
        cache[key] = resolve(db, sources, require_sources)
    return cache[key]
