"""The pipeline's clock: real time, unless a simulation sets it (``make demo``'s two weeks of runs).

Only the times saring *records* (when it first saw an item, when it scored it) read this clock;
the articles' own dates are never touched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_lock = threading.Lock()
_fixed: datetime | None = None  # process-wide on purpose: ingest works in worker threads


def now() -> datetime:
    """The current time (UTC), or the simulated one inside :func:`frozen`."""
    return _fixed if _fixed is not None else datetime.now(UTC)


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Make :func:`now` return ``at`` (timezone-aware) until the block ends.

    Raises:
        ValueError: ``at`` has no timezone.
    """
    global _fixed
    if at.tzinfo is None:
        raise ValueError("the simulated time needs a timezone")
    with _lock:
        before, _fixed = _fixed, at.astimezone(UTC)
    try:
        yield
    finally:
        with _lock:
            _fixed = before
