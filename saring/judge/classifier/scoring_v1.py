"""Scoring with model files from before the v2 pipelines (cards without ``pipeline_format``).

A version promoted with an older saring stays the current model after an upgrade until it is
retrained, so it must keep loading and scoring as it did: the hoax score is its calibrated
probability; the election score combines its politics model with the old election lexicon
(``1 - (1 - w * p_model) * (1 - p_lex)``, ``w`` = 0.5 without any lexicon term).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from saring.judge.classifier.textnorm import NUM_TOKEN, URL_TOKEN, normalize_texts

MAX_TERMS = 5
LEXICON_RATE = 0.5
MODEL_WEIGHT_WITHOUT_LEXICON = 0.5
ELECTION_LEXICON: dict[str, float] = {
    "pemilu": 2.0,
    "pemilihan umum": 2.0,
    "pilkada": 2.0,
    "pilpres": 2.0,
    "pileg": 2.0,
    "kpu": 2.0,
    "kpud": 2.0,
    "bawaslu": 2.0,
    "panwaslu": 1.0,
    "dkpp": 1.0,
    "tps": 1.0,
    "caleg": 1.0,
    "capres": 1.0,
    "cawapres": 1.0,
    "calon legislatif": 1.0,
    "kampanye": 1.0,
    "kampanye hitam": 1.0,
    "dpt": 1.0,
    "daftar pemilih": 1.0,
    "surat suara": 1.0,
    "kotak suara": 1.0,
    "quick count": 1.0,
    "hitung cepat": 1.0,
    "real count": 1.0,
    "rekapitulasi": 1.0,
    "coblos": 1.0,
    "mencoblos": 1.0,
    "pencoblosan": 1.0,
    "golput": 1.0,
    "politik uang": 1.0,
    "money politics": 1.0,
    "paslon": 1.0,
    "pasangan calon": 1.0,
    "partai politik": 1.0,
    "parpol": 1.0,
    "debat kandidat": 1.0,
    "pemungutan suara": 1.0,
    "hak pilih": 1.0,
    "pemilih": 1.0,
    "bakohumas": 1.0,
    "situng": 1.0,
    "sirekap": 1.0,
}
_PATTERNS = {
    t: re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, t.split())) + r"(?!\w)") for t in ELECTION_LEXICON
}
_WORD_STOP = frozenset("""ada adalah akan dan di dari dengan ini itu ke pada tidak untuk yang""".split())


def lexicon_hits(normalized_text: str) -> list[str]:
    """Distinct lexicon terms in a normalised text, strongest weight first, then by position."""
    found = [
        (-ELECTION_LEXICON[t], m.start(), t)
        for t, rx in _PATTERNS.items()
        if (m := rx.search(normalized_text))
    ]
    return [t for _, _, t in sorted(found)]


def combine_election(p_model: float, hits: list[str]) -> float:
    weighted = sum(ELECTION_LEXICON[t] for t in hits)
    p_lex = 1.0 - math.exp(-LEXICON_RATE * weighted)
    weight = 1.0 if p_lex > 0 else MODEL_WEIGHT_WITHOUT_LEXICON
    return min(1.0, max(0.0, 1.0 - (1.0 - weight * p_model) * (1.0 - p_lex)))


class V1Models:
    """The two v1 pipelines (normalize -> features -> calibrated linear model)."""

    def __init__(self, election: Any, hoax: Any) -> None:
        self.election = election
        self.hoax = hoax
        self.hoax_words = _word_explainer(hoax)
        self.election_words = _word_explainer(election)

    def probabilities(self, raw: list[str], _: Any = None) -> tuple[np.ndarray, np.ndarray]:
        norm = normalize_texts(raw)
        p_el = self.election.predict_proba(raw)[:, 1]
        el = np.array([combine_election(float(p), lexicon_hits(n)) for p, n in zip(p_el, norm, strict=True)])
        return el, np.clip(self.hoax.predict_proba(raw)[:, 1], 0.0, 1.0)

    def score(self, raw: list[str], _: Any = None) -> list[Any]:
        from saring.judge.classifier.explain import Score

        el, hx = self.probabilities(raw)
        hx_terms = self.hoax_words(raw, MAX_TERMS)
        el_terms = self.election_words(raw, MAX_TERMS)
        out = []
        for i, n in enumerate(normalize_texts(raw)):
            terms = lexicon_hits(n)[:MAX_TERMS]
            terms += [t for t in el_terms[i] if t not in terms][: MAX_TERMS - len(terms)]
            out.append(
                Score(
                    election_score=float(el[i]),
                    hoax_score=float(hx[i]),
                    election_terms=tuple(terms),
                    hoax_terms=tuple(hx_terms[i]),
                )
            )
        return out


def _word_explainer(pipeline: Any):
    """Top positive word features per text (TF-IDF value x weight of the inner linear model)."""
    union = pipeline.named_steps["features"]
    word = dict(union.transformer_list)["word"]
    names = np.asarray(word.get_feature_names_out(), dtype=object)
    coef = np.mean(
        [
            np.asarray(c.estimator.coef_).reshape(-1)
            for c in pipeline.named_steps["clf"].calibrated_classifiers_
        ],
        axis=0,
    )[: len(names)]
    ok = np.array(
        [
            all(w.isalpha() and w not in _WORD_STOP for w in str(t).split())
            and URL_TOKEN not in t
            and NUM_TOKEN not in t
            for t in names
        ]
    )
    weight = np.where(ok & (coef > 0), coef, 0.0)

    def explain(raw: list[str], k: int) -> list[list[str]]:
        x = word.transform(normalize_texts(raw)).tocsr()
        out = []
        for row in range(x.shape[0]):
            s, e = x.indptr[row], x.indptr[row + 1]
            c = x.data[s:e] * weight[x.indices[s:e]]
            order = [j for j in np.argsort(-c, kind="stable")[:k] if c[j] > 0]
            out.append([str(names[x.indices[s + j]]) for j in order])
        return out

    return explain


def load_v1(el_pipe: Any, el_card: dict[str, Any], hx_pipe: Any, hx_card: dict[str, Any],
            remedy: str | None = None) -> tuple[Any, Any]:
    """Both v1 models as one object (the scorer asks it for everything); a load error ends with
    ``remedy``, the way out (default: rebuild the shipped models)."""
    from saring.judge.classifier.modelload import REBUILD, ModelLoadError

    try:
        models = V1Models(el_pipe, hx_pipe)
    except (AttributeError, KeyError, TypeError, IndexError) as exc:
        raise ModelLoadError(
            f"A model file does not have the structure saring expects: {remedy or REBUILD}."
        ) from exc
    return models, models
