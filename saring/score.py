"""Score article texts for election relevance and hoax-likeness.

Two scikit-learn pipelines, trained by ``classifiers/train.py`` and stored as
``classifiers/{election,hoax}.skops`` next to their model cards
(``classifiers/{election,hoax}.json``), are loaded safely with skops:

* the file's SHA-256 must match the one recorded in its model card;
* only types from scikit-learn, NumPy, SciPy, Python builtins and ``saring.`` modules
  are allowed inside the file.

The **election score** served to users is not the model probability alone. The model is
trained on SIB-200 "politics" sentences, a weak proxy, so it is combined with a transparent
Indonesian election lexicon::

    p_lex          = 1 - exp(-0.5 * weighted_distinct_term_hits)
    w              = 1 if the text has any lexicon term, else 0.5
    election_score = 1 - (1 - w * p_model) * (1 - p_lex)

The model learned "politics", not "elections": a text without a single election term is
capped below 0.5 however political it reads (see :func:`combine_election`).

The **hoax score** is the calibrated probability of the hoax model.

"Terms" explanations use the (single, uncalibrated) logistic-regression model that sits
inside the calibration wrapper: contribution of a feature = its TF-IDF value in the text
times its coefficient. Sigmoid calibration is monotonic, so a larger total contribution
always means a larger score. Character n-gram contributions are credited to the words of
the text that contain them (shared equally when several words contain the same n-gram) and
added to that word's own word-feature contribution, so only readable words/phrases are shown.

This module imports nothing heavy at import time: NumPy, scikit-learn and skops are only
imported by :func:`load_scorer`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saring.errors import SaringError
from saring.textnorm import NUM_TOKEN, URL_TOKEN, normalize_text

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from sklearn.pipeline import Pipeline

__all__ = [
    "ELECTION_LEXICON",
    "LEXICON_RATE",
    "ModelLoadError",
    "Score",
    "Scorer",
    "default_model_dir",
    "lexicon_hits",
    "lexicon_probability",
    "load_scorer",
]

logger = logging.getLogger(__name__)

MODEL_NAMES: tuple[str, str] = ("election", "hoax")
"""Model file stems inside the model directory."""

TRUSTED_TYPE_PREFIXES: tuple[str, ...] = ("sklearn.", "numpy.", "scipy.", "builtins.", "saring.")
"""A type stored in a model file is accepted only if its dotted name starts with one of these."""

MAX_TERMS = 5

# Indonesian election lexicon: term -> weight. Strong, unambiguous election terms weigh 2.
# Matching is on normalised text (lower-case), whole words only, distinct terms counted once.
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

LEXICON_RATE = 0.5
"""``p_lex = 1 - exp(-LEXICON_RATE * weighted_hits)``: one strong term -> 0.63, one ordinary -> 0.39."""

_LEXICON_PATTERNS: dict[str, re.Pattern[str]] = {
    term: re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, term.split())) + r"(?!\w)")
    for term in ELECTION_LEXICON
}

# Display-only filter for explanations: function words are never shown as "terms".
_STOPWORDS = frozenset(
    """
    ada adalah agar akan aku anda antara apa apabila atas atau bagi bahkan bahwa baik banyak
    bagaimana belum bila bisa buat dalam dan dapat dari demikian di dia dengan harus hal hanya
    ia ini itu jadi jika juga justru ke kami kamu kan karena kata kita kini lagi lain lalu
    lebih maka mana masih mau melalui memang mereka meski namun nya oleh pada para pula pun
    saat saja sampai sangat satu saya sebagai sebelum sedang sehingga sejak sekarang selain
    seperti serta setelah sudah supaya tak tanpa tapi telah tentang tersebut terus tetapi
    tidak untuk yaitu yakni yang the and for this that with are was from
    """.split()
)
_PLACEHOLDERS = (URL_TOKEN, NUM_TOKEN)
_WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*")
_STRIP_CHARS = "\"'“”‘’.,:;!?()[]{}<>-–—/\\*_#@"
_TOKEN_CACHE_MAX = 200_000


@dataclass(frozen=True)
class Score:
    """Scores and explanations for one text.

    Attributes:
        election_score: Election relevance in [0, 1] (model probability combined with lexicon).
        hoax_score: Calibrated hoax-likeness in [0, 1].
        election_terms: Up to 5 terms that pushed the election score up (lexicon hits
            first, then the top positive model features present in the text).
        hoax_terms: Up to 5 terms present in the text with the largest positive
            contribution to the hoax score.
    """

    election_score: float
    hoax_score: float
    election_terms: tuple[str, ...]
    hoax_terms: tuple[str, ...]


class ModelLoadError(SaringError):
    """A classifier file is missing, altered, unsafe or unreadable."""


def default_model_dir() -> Path:
    """Return the directory that holds the model files.

    Returns:
        ``$SARING_MODELS`` if that environment variable is set, else ``<repo>/classifiers``.
    """
    env = os.environ.get("SARING_MODELS")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "classifiers"


def lexicon_hits(normalized_text: str) -> list[str]:
    """Find the distinct election-lexicon terms present in a text.

    Args:
        normalized_text: Text already passed through :func:`saring.textnorm.normalize_text`.

    Returns:
        Distinct matching terms, strongest weight first, then in order of first appearance.
    """
    found: list[tuple[float, int, str]] = []
    for term, pattern in _LEXICON_PATTERNS.items():
        m = pattern.search(normalized_text)
        if m is not None:
            found.append((-ELECTION_LEXICON[term], m.start(), term))
    found.sort()
    return [term for _, _, term in found]


def lexicon_probability(hits: Sequence[str]) -> float:
    """Turn lexicon hits into the lexicon evidence ``p_lex``.

    Args:
        hits: Distinct lexicon terms found in a text.

    Returns:
        ``1 - exp(-LEXICON_RATE * sum(weights))``, in [0, 1).
    """
    weighted = sum(ELECTION_LEXICON.get(t, 0.0) for t in set(hits))
    return 1.0 - math.exp(-LEXICON_RATE * weighted)


MODEL_WEIGHT_WITHOUT_LEXICON = 0.5
"""How much the politics model counts when a text holds no election term (a design rule,
not fitted: politics without any election vocabulary is at most weak evidence)."""


def combine_election(p_model: float, p_lex: float) -> float:
    """Combine the politics-model probability and the lexicon evidence into the election score."""
    weight = 1.0 if p_lex > 0 else MODEL_WEIGHT_WITHOUT_LEXICON
    return 1.0 - (1.0 - weight * p_model) * (1.0 - p_lex)


def _readable(term: str) -> bool:
    """Return True if a word or phrase is worth showing to a reader."""
    words = term.split()
    if not words or any(p in w for w in words for p in _PLACEHOLDERS):
        return False
    if any(not any(ch.isalpha() for ch in w) for w in words):
        return False
    if len(words) == 1:
        return len(term) >= 3 and term not in _STOPWORDS
    return not all(w in _STOPWORDS for w in words)


class _ExplainedModel:
    """A loaded pipeline plus what is needed to explain its scores."""

    def __init__(self, name: str, pipeline: Pipeline) -> None:
        import numpy as np

        self.name = name
        self.pipeline = pipeline
        try:
            self.normalize = pipeline.named_steps["normalize"]
            self.features = pipeline.named_steps["features"]
            self.clf = pipeline.named_steps["clf"]
            transformers = dict(self.features.transformer_list)
            word_vec = transformers["word"]
            char_vec = transformers["char"]
            coefs = [cc.estimator.coef_[0] for cc in self.clf.calibrated_classifiers_]
        except (AttributeError, KeyError, TypeError, IndexError) as exc:
            raise ModelLoadError(
                f"The {name} model file does not have the structure saring expects "
                f"(normalize -> features[word, char] -> calibrated classifier). "
                f"Run `make train` to rebuild it."
            ) from exc
        # With ensemble=False there is exactly one inner estimator; averaging keeps this
        # correct for ensemble=True models too (all inner models share the same features).
        self.coef: np.ndarray = np.mean(np.vstack(coefs), axis=0)
        self.word_names: list[str] = [str(t) for t in word_vec.get_feature_names_out()]
        self.n_word = len(self.word_names)
        self.char_vocab: dict[str, int] = char_vec.vocabulary_
        self.char_analyzer = char_vec.build_analyzer()
        self._token_cache: dict[str, tuple[str, tuple[int, ...]]] = {}
        if self.n_word + len(self.char_vocab) != self.coef.shape[0]:
            raise ModelLoadError(
                f"The {name} model file is inconsistent (feature count mismatch). "
                f"Run `make train` to rebuild it."
            )

    def _token_grams(self, token: str) -> tuple[str, tuple[int, ...]]:
        """Readable word for a whitespace token and the char-vocabulary ids of its n-grams.

        Results are memoised per model (tokens repeat across articles); the cache is
        cleared when it grows past ``_TOKEN_CACHE_MAX`` entries.
        """
        cached = self._token_cache.get(token)
        if cached is not None:
            return cached
        m = _WORD_RE.search(token)
        if m is None:
            result: tuple[str, tuple[int, ...]] = ("", ())
        else:
            word = token.strip(_STRIP_CHARS) or m.group(0)
            ids = {self.char_vocab.get(g) for g in self.char_analyzer(token)}
            ids.discard(None)
            result = (word, tuple(sorted(ids)))  # type: ignore[arg-type]
        if len(self._token_cache) >= _TOKEN_CACHE_MAX:
            self._token_cache.clear()
        self._token_cache[token] = result
        return result

    def transform(self, raw_texts: list[str]) -> Any:
        """Normalise and vectorise raw texts (sparse CSR matrix)."""
        return self.features.transform(self.normalize.transform(raw_texts)).tocsr()

    def proba(self, x: Any) -> np.ndarray:
        """Calibrated positive-class probability for each row of ``x``."""
        return self.clf.predict_proba(x)[:, 1]

    def positive_terms(self, x: Any, row: int, normalized_text: str, k: int) -> list[str]:
        """Readable words/phrases with the largest positive contribution in one text.

        Args:
            x: Feature matrix from :meth:`transform`.
            row: Row index of the text in ``x``.
            normalized_text: The same text after :func:`normalize_text`.
            k: Maximum number of terms.

        Returns:
            Up to ``k`` terms, largest contribution first, all with contribution > 0.
        """
        start, end = x.indptr[row], x.indptr[row + 1]
        idx = x.indices[start:end]
        contrib = x.data[start:end] * self.coef[idx]
        scores: dict[str, float] = {}
        char_contrib: dict[int, float] = {}
        for j, c in zip(idx.tolist(), contrib.tolist(), strict=True):
            if c == 0.0:
                continue
            if j < self.n_word:
                term = self.word_names[j]
                scores[term] = scores.get(term, 0.0) + c
            else:
                char_contrib[j - self.n_word] = c
        if char_contrib:
            # Which whitespace tokens contain each char n-gram (char_wb works per token).
            owners: dict[int, list[str]] = {}
            for token in set(normalized_text.split()):
                word, gram_ids = self._token_grams(token)
                if not word:
                    continue
                for j in gram_ids:
                    if j in char_contrib:
                        owners.setdefault(j, []).append(word)
            for j, words in owners.items():
                share = char_contrib[j] / len(words)
                for w in words:
                    scores[w] = scores.get(w, 0.0) + share
        ranked = sorted(
            ((s, t) for t, s in scores.items() if s > 0.0 and _readable(t)),
            key=lambda st: (-st[0], st[1]),
        )
        return [t for _, t in ranked[:k]]


class Scorer:
    """Scores batches of article texts with the election and hoax models.

    Attributes:
        election_version: Version string of the election model (from its model card).
        hoax_version: Version string of the hoax model (from its model card).
    """

    election_version: str
    hoax_version: str

    def __init__(
        self,
        election: _ExplainedModel,
        hoax: _ExplainedModel,
        election_version: str,
        hoax_version: str,
    ) -> None:
        """Create a scorer from loaded models; use :func:`load_scorer` instead."""
        self._election = election
        self._hoax = hoax
        self.election_version = election_version
        self.hoax_version = hoax_version

    @property
    def model_version(self) -> str:
        """Combined version string, ``"<election_version>+<hoax_version>"``."""
        return f"{self.election_version}+{self.hoax_version}"

    def score(self, texts: Sequence[str | None]) -> list[Score]:
        """Score a batch of texts.

        Args:
            texts: Article texts; ``None`` or empty strings are scored as empty text.

        Returns:
            One :class:`Score` per input text, in the same order.
        """
        raw = ["" if t is None else str(t) for t in texts]
        if not raw:
            return []
        normalized = [normalize_text(t) for t in raw]
        x_el = self._election.transform(raw)
        x_hx = self._hoax.transform(raw)
        p_model = self._election.proba(x_el)
        p_hoax = self._hoax.proba(x_hx)
        results: list[Score] = []
        for i, norm in enumerate(normalized):
            hits = lexicon_hits(norm)
            p_lex = lexicon_probability(hits)
            election = combine_election(float(p_model[i]), p_lex)
            el_terms = list(hits[:MAX_TERMS])
            if len(el_terms) < MAX_TERMS:
                for t in self._election.positive_terms(x_el, i, norm, MAX_TERMS + len(el_terms)):
                    if t not in el_terms:
                        el_terms.append(t)
                    if len(el_terms) == MAX_TERMS:
                        break
            hx_terms = self._hoax.positive_terms(x_hx, i, norm, MAX_TERMS)
            results.append(
                Score(
                    election_score=min(1.0, max(0.0, election)),
                    hoax_score=min(1.0, max(0.0, float(p_hoax[i]))),
                    election_terms=tuple(el_terms),
                    hoax_terms=tuple(hx_terms),
                )
            )
        return results


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_one(model_dir: Path, name: str) -> tuple[_ExplainedModel, dict[str, Any]]:
    """Load, verify and wrap one model; raise ModelLoadError with a readable message."""
    model_path = model_dir / f"{name}.skops"
    card_path = model_dir / f"{name}.json"
    if not model_path.is_file():
        raise ModelLoadError(f"Model file {model_path} is missing: run `make train`.")
    if not card_path.is_file():
        raise ModelLoadError(f"Model card {card_path} is missing: run `make train`.")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        expected_sha = str(card["sha256"])
        version = str(card["version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"Model card {card_path} is unreadable or incomplete: run `make train`."
        ) from exc
    try:
        data = model_path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"Model file {model_path} cannot be read: {exc}.") from exc
    actual_sha = _sha256(data)
    if actual_sha != expected_sha:
        raise ModelLoadError(
            f"Model file {model_path} does not match its model card {card_path.name} "
            f"(the file was changed or is damaged). Run `make train` to rebuild the models."
        )

    import sklearn
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises various errors for corrupt archives
        raise ModelLoadError(f"Model file {model_path} is damaged: run `make train`.") from exc
    refused = [t for t in untrusted if not t.startswith(TRUSTED_TYPE_PREFIXES)]
    if refused:
        raise ModelLoadError(
            f"Model file {model_path} contains code saring does not trust "
            f"({', '.join(sorted(refused))}); it was not loaded. Run `make train` to rebuild it."
        )
    try:
        pipeline = sio.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise ModelLoadError(
            f"Model file {model_path} could not be loaded ({type(exc).__name__}): run `make train`."
        ) from exc

    trained_with = card.get("sklearn_version")
    if trained_with and trained_with != sklearn.__version__:
        warnings.warn(
            f"The {name} model was trained with scikit-learn {trained_with} but "
            f"scikit-learn {sklearn.__version__} is installed; scores may differ slightly. "
            f"Run `make train` to retrain with the installed version.",
            UserWarning,
            stacklevel=3,
        )
    if name == "election":
        card_lexicon = card.get("election_lexicon", {}).get("terms")
        if card_lexicon is not None and card_lexicon != ELECTION_LEXICON:
            warnings.warn(
                "The election lexicon in saring/score.py differs from the one recorded in "
                f"{card_path.name}; the model card is out of date. Run `make train`.",
                UserWarning,
                stacklevel=3,
            )
    model = _ExplainedModel(name, pipeline)
    logger.info("Loaded %s model %s from %s", name, version, model_path)
    return model, card


def load_scorer(model_dir: Path | None = None) -> Scorer:
    """Load both models and return a ready :class:`Scorer`.

    Args:
        model_dir: Directory with ``election.skops``/``.json`` and ``hoax.skops``/``.json``;
            defaults to :func:`default_model_dir`.

    Returns:
        A scorer exposing ``election_version``, ``hoax_version`` and ``model_version``.

    Raises:
        ModelLoadError: A file is missing, does not match its model card, contains
            untrusted types or cannot be read.
    """
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    election, el_card = _load_one(directory, "election")
    hoax, hx_card = _load_one(directory, "hoax")
    return Scorer(
        election=election,
        hoax=hoax,
        election_version=str(el_card["version"]),
        hoax_version=str(hx_card["version"]),
    )
