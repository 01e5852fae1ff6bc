"""Where model files written before the stage layout find the hand-built text features.

The ``.skops`` files name ``saring.textfeatures.HoaxCues`` / ``ElectionTerms`` / ``lead_words``
/ ``normalize_char_lead``; this module keeps that path working. The code lives in
:mod:`saring.judge.classifier.textfeatures`.
"""

from saring.judge.classifier.textfeatures import (
    ElectionTerms,
    HoaxCues,
    lead_words,
    normalize_char_lead,
)

__all__ = ["ElectionTerms", "HoaxCues", "lead_words", "normalize_char_lead"]
