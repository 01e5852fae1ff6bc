"""The one scorer cache: the current models, loaded once per process while they stay current
(loading takes seconds).

Used by the desk's checks and by scale-out workers; a run that is handed a scorer uses that one.
"""

from __future__ import annotations

import threading
from typing import Any

_LOADED: tuple[tuple[str, str], Any] | None = None
_LOADING = threading.Lock()


def current_scorer() -> Any:
    """The current models (``saring.judge.classifier.score.load_scorer()``), loaded at the first
    call and again after a promotion or rollback: a desk or worker that runs for weeks scores with
    the version the registry names, not the one current when it started."""
    global _LOADED
    from saring.judge.classifier.score import load_scorer, model_directory, model_version

    directory = model_directory()
    key = (str(directory), model_version(directory))  # the model cards only: milliseconds
    with _LOADING:
        if _LOADED is None or _LOADED[0] != key:
            _LOADED = (key, load_scorer(directory))
        return _LOADED[1]
