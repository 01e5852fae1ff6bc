"""The ``saring`` console script: every command module registered on :data:`saring.cli.base.app`."""

from __future__ import annotations

import os

from saring.cli import digest, models, pipeline, report, social, web  # noqa: F401 (each registers its commands)
from saring.cli.base import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``saring`` console script."""
    # saring runs where the internet may be closed: Prefect's server must not phone home.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    app()
