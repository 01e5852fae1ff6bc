"""The one scorer cache: the current models, loaded once per process (loading takes seconds).

Used by the desk's checks and by scale-out workers; a run that is handed a scorer uses that one.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def current_scorer() -> Any:
    """The current models (``saring.judge.classifier.score.load_scorer()``), loaded at the first call."""
    from saring.judge.classifier.score import load_scorer

    return load_scorer()
