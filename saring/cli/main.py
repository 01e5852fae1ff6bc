"""The ``saring`` console script: every command module registered on :data:`saring.cli.base.app`."""

from __future__ import annotations

import codecs
import os
import sys

from saring.cli import digest, models, pipeline, report, social, web  # noqa: F401 (each registers its commands)
from saring.cli.base import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``saring`` console script."""
    # saring runs where the internet may be closed: Prefect's server must not phone home.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    _utf8_when_redirected()
    app()


def _utf8_when_redirected() -> None:
    """A file or pipe gets UTF-8, as every file saring writes: Windows gives a redirected stream
    its ANSI code page (cp1252), in which an emoji of a forwarded message stopped
    ``saring query --csv > hasil.csv`` with a traceback. A terminal keeps its own encoding."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream.isatty() or codecs.lookup(stream.encoding).name == "utf-8":
                continue
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, LookupError, OSError, TypeError, ValueError):  # not a file's text stream
            continue
