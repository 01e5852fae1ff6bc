"""Where model files written before the stage layout find the text normaliser.

The ``.skops`` files name ``saring.textnorm.normalize_texts`` / ``normalize_text`` (their
vectorizers' preprocessors); this module keeps that path working. The code lives in
:mod:`saring.judge.classifier.textnorm`.
"""

from saring.judge.classifier.textnorm import *  # noqa: F403
from saring.judge.classifier.textnorm import NUM_TOKEN, URL_TOKEN, dedup_key, normalize_text, normalize_texts

__all__ = ["NUM_TOKEN", "URL_TOKEN", "dedup_key", "normalize_text", "normalize_texts"]
