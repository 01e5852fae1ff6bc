"""A ``TfidfVectorizer`` whose fitted vocabulary is stored as arrays in a model file.

skops writes a dict or a list entry by entry and audits every entry when loading: the shipped
models' ~140,000 vocabulary entries made loading them take 3-4 s of every run and command. Stored
as a term array and an index array, the same vocabulary loads in milliseconds. Fitting and
transforming are the parent's; only what is pickled changes, and it is rebuilt exactly on load.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["CompactTfidfVectorizer"]


def _as_array(terms: list[str]) -> bool:
    # numpy's fixed-width strings drop trailing NUL characters: such a term (a character n-gram
    # of a text with NULs) would come back as another term, so those vocabularies stay as they are.
    return all(isinstance(t, str) and not t.endswith("\x00") for t in terms)


class CompactTfidfVectorizer(TfidfVectorizer):
    """``TfidfVectorizer`` with its vocabulary (fitted, and given as a list) kept as arrays."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # object.__getstate__ returns the live __dict__
        fitted = state.pop("vocabulary_", None)
        if isinstance(fitted, dict) and _as_array(list(fitted)):
            state["vocabulary_terms_"] = np.array(list(fitted), dtype=str)
            state["vocabulary_index_"] = np.fromiter(fitted.values(), dtype=np.int64, count=len(fitted))
        elif fitted is not None:
            state["vocabulary_"] = fitted
        given = state.get("vocabulary")
        if isinstance(given, list) and _as_array(given):
            state["vocabulary"] = None
            state["vocabulary_given_"] = np.array(given, dtype=str)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        terms = state.pop("vocabulary_terms_", None)
        index = state.pop("vocabulary_index_", None)
        if terms is not None:
            state["vocabulary_"] = dict(zip(terms.tolist(), index.tolist(), strict=True))
        given = state.pop("vocabulary_given_", None)
        if given is not None:
            state["vocabulary"] = given.tolist()
        super().__setstate__(state)
