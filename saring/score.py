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
from saring.textnorm import NUM_TOKEN, URL_TOKEN, normalize_texts

if TYPE_CHECKING:  # pragma: no cover
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

_LEXICON_ANY = re.compile(
    r"(?<!\w)(?:"
    + "|".join(r"\s+".join(map(re.escape, t.split()))
               for t in sorted(ELECTION_LEXICON, key=len, reverse=True))
    + r")(?!\w)"
)
_LEXICON_FIRST_WORDS: tuple[str, ...] = tuple(sorted({t.split()[0] for t in ELECTION_LEXICON}))
_LEXICON_NESTED: dict[str, tuple[str, ...]] = {
    term: tuple(sub for sub in ELECTION_LEXICON if sub != term and _LEXICON_PATTERNS[sub].search(term))
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
    """Return the directory that holds the *shipped* model files (or ``$SARING_MODELS``).

    :func:`load_scorer` without arguments loads the *current promoted* version instead
    (see :mod:`saring.registry`), which is this directory until a retrained version is promoted.

    Returns:
        ``$SARING_MODELS`` if that environment variable is set, else ``<repo>/classifiers``.
    """
    env = os.environ.get("SARING_MODELS")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "classifiers"


def lexicon_hits(normalized_text: str) -> list[str]:
    """Find the distinct election-lexicon terms present in a text.

    One regex pass finds the longest term at each place; lexicon terms nested inside a
    longer match (``kampanye`` in ``kampanye hitam``) are counted too, as before.

    Args:
        normalized_text: Text already passed through :func:`saring.textnorm.normalize_text`.

    Returns:
        Distinct matching terms, strongest weight first, then in order of first appearance.
    """
    first: dict[str, int] = {}
    if not any(w in normalized_text for w in _LEXICON_FIRST_WORDS):  # cheap C-level test first
        return []
    for m in _LEXICON_ANY.finditer(normalized_text):
        matched = re.sub(r"\s+", " ", m.group(0))
        if matched not in first:
            first[matched] = m.start()
        for sub in _LEXICON_NESTED.get(matched, ()):
            pos = m.start() + matched.find(sub)
            if sub not in first or pos < first[sub]:
                first[sub] = pos
    found = sorted((-ELECTION_LEXICON[t], pos, t) for t, pos in first.items())
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


def _linear_weights(estimator: Any) -> Any:
    """Per-feature weights of a fitted linear text classifier (positive = pushes class 1 up)."""
    import numpy as np

    if hasattr(estimator, "coef_"):
        return np.asarray(estimator.coef_).reshape(-1)
    if hasattr(estimator, "feature_log_prob_"):  # (Complement)NB: log-probability ratio
        flp = np.asarray(estimator.feature_log_prob_)
        return flp[1] - flp[0]
    raise AttributeError(f"{type(estimator).__name__} has no per-feature weights")


class _ExplainedModel:
    """A loaded pipeline plus what is needed to score and explain a batch fast.

    Expected structure: ``normalize -> features (FeatureUnion with a "word" TF-IDF and
    optionally a "char" TF-IDF) -> clf (CalibratedClassifierCV around a linear model)``.
    Explanations use the word features only: contribution = TF-IDF value x weight of the
    (single) inner linear model; sigmoid calibration is monotonic.
    """

    def __init__(self, name: str, pipeline: Pipeline) -> None:
        import numpy as np

        self.name = name
        self.pipeline = pipeline
        try:
            self.normalize = pipeline.named_steps["normalize"]
            self.features = pipeline.named_steps["features"]
            self.clf = pipeline.named_steps["clf"]
            transformers = dict(self.features.transformer_list)
            self.word_vec = transformers["word"]
            self.has_char = "char" in transformers
            weights = [_linear_weights(cc.estimator) for cc in self.clf.calibrated_classifiers_]
            self.word_names = np.asarray(self.word_vec.get_feature_names_out(), dtype=object)
        except (AttributeError, KeyError, TypeError, IndexError) as exc:
            raise ModelLoadError(
                f"The {name} model file does not have the structure saring expects "
                f"(normalize -> features[word(, char)] -> calibrated linear classifier). "
                f"Run `make train` to rebuild it."
            ) from exc
        self.coef = np.mean(np.vstack(weights), axis=0)
        self.n_word = len(self.word_names)
        n_total = sum(len(v.vocabulary_) for _, v in self.features.transformer_list)
        if n_total != self.coef.shape[0]:
            raise ModelLoadError(
                f"The {name} model file is inconsistent (feature count mismatch). "
                f"Run `make train` to rebuild it."
            )
        readable = np.array([_readable(str(t)) for t in self.word_names], dtype=bool)
        # Weight used for explanations: only readable word features that push class 1 up.
        self.explain_coef = np.where(readable & (self.coef[: self.n_word] > 0), self.coef[: self.n_word], 0.0)
        self.word_only = not self.has_char and self.word_vec.analyzer == "word"

    def transform_normalized(self, normalized: list[str]) -> Any:
        """Vectorise already-normalised texts (sparse CSR)."""
        return self.features.transform(normalized).tocsr()

    def word_part(self, x: Any) -> Any:
        """The word-feature columns of a feature matrix."""
        return x if self.word_only else x[:, : self.n_word]

    def proba(self, x: Any) -> Any:
        """Calibrated positive-class probability for each row of ``x``."""
        return self.clf.predict_proba(x)[:, 1]

    def top_terms(self, x_word: Any, k: int) -> list[list[str]]:
        """Top-``k`` readable words/phrases per row, largest positive contribution first.

        Vectorised: contributions for the whole batch are one sparse element-wise product;
        only each row's top ``k`` feature ids are mapped back to words.
        """
        import numpy as np

        x_word = x_word.tocsr()
        contrib = x_word.data * self.explain_coef[x_word.indices]
        out: list[list[str]] = []
        indptr, indices = x_word.indptr, x_word.indices
        for row in range(x_word.shape[0]):
            start, end = indptr[row], indptr[row + 1]
            c = contrib[start:end]
            pos = np.flatnonzero(c > 0)
            if pos.size == 0:
                out.append([])
                continue
            if pos.size > k:
                pos = pos[np.argpartition(-c[pos], k - 1)[:k]]
            # largest first; ties broken alphabetically for determinism
            feats = indices[start:end][pos]
            vals = c[pos]
            order = sorted(range(len(pos)), key=lambda i: (-vals[i], self.word_names[feats[i]]))
            out.append([str(self.word_names[feats[i]]) for i in order])
        return out


class _SharedWordCounts:
    """Counts n-grams once for several word-only TF-IDF models (one pass over the text).

    Equivalent to each model's ``TfidfVectorizer.transform``: counts over the union
    vocabulary, then per model the column selection, sublinear tf, idf and l2 norm.
    """

    def __init__(self, models: Sequence[_ExplainedModel]) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import CountVectorizer

        first = models[0].word_vec
        vocab: dict[str, int] = {}
        for m in models:
            for term in m.word_names:
                vocab.setdefault(str(term), len(vocab))
        self.counter = CountVectorizer(
            analyzer="word", ngram_range=first.ngram_range, lowercase=False,
            token_pattern=first.token_pattern, tokenizer=first.tokenizer,
            preprocessor=first.preprocessor, stop_words=first.stop_words,
            vocabulary=vocab, dtype=np.float64,
        )
        self.cols = [np.array([vocab[str(t)] for t in m.word_names], dtype=np.int64) for m in models]
        self.models = list(models)
        self.vocab = vocab
        # Fast path (same result as sklearn's analyzer): default token pattern, no custom
        # tokenizer/preprocessor/stop words, unigrams (+ bigrams).
        self._fast = (first.tokenizer is None and first.preprocessor is None and first.stop_words is None
                      and first.strip_accents is None and not first.binary
                      and tuple(first.ngram_range) in ((1, 1), (1, 2)))
        self._token_re = re.compile(first.token_pattern)
        self._bigrams = tuple(first.ngram_range) == (1, 2)

    @staticmethod
    def compatible(models: Sequence[_ExplainedModel]) -> bool:
        if not all(m.word_only for m in models):
            return False
        keys = {
            (m.word_vec.ngram_range, m.word_vec.token_pattern, m.word_vec.lowercase,
             m.word_vec.tokenizer, m.word_vec.preprocessor, m.word_vec.stop_words, m.word_vec.binary,
             m.word_vec.norm, m.word_vec.use_idf)
            for m in models
        }
        return len(keys) == 1

    def _counts(self, normalized: list[str]) -> Any:
        """Document x union-vocabulary count matrix (CSR)."""
        import numpy as np
        import scipy.sparse as sp

        if not self._fast:
            return self.counter.transform(normalized)
        from collections import Counter
        from itertools import repeat

        get = self.vocab.get
        findall = self._token_re.findall
        indptr = [0]
        all_ids: list[Any] = []
        all_counts: list[Any] = []
        for doc in normalized:
            toks = findall(doc)
            cnt = Counter(toks)
            if self._bigrams and len(toks) > 1:
                cnt.update(map(" ".join, zip(toks, toks[1:], strict=False)))
            ids = np.fromiter(map(get, cnt.keys(), repeat(-1)), dtype=np.int64, count=len(cnt))
            vals = np.fromiter(cnt.values(), dtype=np.float64, count=len(cnt))
            keep = ids >= 0
            all_ids.append(ids[keep])
            all_counts.append(vals[keep])
            indptr.append(indptr[-1] + int(keep.sum()))
        indices = np.concatenate(all_ids) if all_ids else np.zeros(0, dtype=np.int64)
        data = np.concatenate(all_counts) if all_counts else np.zeros(0)
        x = sp.csr_matrix((data, indices, np.asarray(indptr, dtype=np.int64)),
                          shape=(len(normalized), len(self.vocab)))
        x.sort_indices()
        return x

    def transform(self, normalized: list[str]) -> list[Any]:
        from sklearn.preprocessing import normalize as l2

        counts = self._counts(normalized).tocsc()
        result = []
        for m, cols in zip(self.models, self.cols, strict=True):
            x = counts[:, cols].tocsr()
            x.sort_indices()
            vec = m.word_vec
            if vec.sublinear_tf:
                import numpy as np

                np.log(x.data, x.data)
                x.data += 1.0
            if vec.use_idf:
                x.data *= vec.idf_[x.indices]
            if vec.norm:
                x = l2(x, norm=vec.norm, copy=False)
            result.append(x)
        return result


class Scorer:
    """Scores batches of article texts with the election and hoax models.

    Attributes:
        election_version: Version string of the election model (from its model card).
        hoax_version: Version string of the hoax model (from its model card).
        source: Where the models were loaded from (directory).
    """

    election_version: str
    hoax_version: str

    def __init__(
        self,
        election: _ExplainedModel,
        hoax: _ExplainedModel,
        election_version: str,
        hoax_version: str,
        source: Path | None = None,
    ) -> None:
        """Create a scorer from loaded models; use :func:`load_scorer` instead."""
        self._election = election
        self._hoax = hoax
        self.election_version = election_version
        self.hoax_version = hoax_version
        self.source = source
        self._shared = _SharedWordCounts([election, hoax]) if _SharedWordCounts.compatible(
            [election, hoax]) else None

    @property
    def model_version(self) -> str:
        """Combined version string, ``"<election_version>+<hoax_version>"``."""
        return f"{self.election_version}+{self.hoax_version}"

    def _features(self, normalized: list[str]) -> tuple[Any, Any]:
        if self._shared is not None:
            x_el, x_hx = self._shared.transform(normalized)
            return x_el, x_hx
        return self._election.transform_normalized(normalized), self._hoax.transform_normalized(normalized)

    def probabilities(self, texts: Sequence[str | None]) -> tuple[Any, Any]:
        """Election score and hoax score arrays for a batch (no explanations)."""
        import numpy as np

        normalized = normalize_texts(["" if t is None else str(t) for t in texts])
        if not normalized:
            return np.zeros(0), np.zeros(0)
        x_el, x_hx = self._features(normalized)
        p_model = self._election.proba(x_el)
        p_hoax = np.clip(self._hoax.proba(x_hx), 0.0, 1.0)
        election = np.array(
            [combine_election(float(p), lexicon_probability(lexicon_hits(n)))
             for p, n in zip(p_model, normalized, strict=True)]
        )
        return np.clip(election, 0.0, 1.0), p_hoax

    def score(self, texts: Sequence[str | None], workers: int = 1) -> list[Score]:
        """Score a batch of texts.

        Args:
            texts: Article texts; ``None`` or empty strings are scored as empty text.
            workers: Processes to use for large batches (>= 1,000 texts; POSIX fork only).
                ``saring score`` uses 2 (this machine has 2 cores); the ingest flow uses 1.

        Returns:
            One :class:`Score` per input text, in the same order.
        """
        raw = ["" if t is None else str(t) for t in texts]
        if not raw:
            return []
        if workers > 1 and len(raw) >= PARALLEL_MIN and _can_fork():
            return self._score_parallel(raw, workers)
        return self._score_serial(raw)

    def _score_parallel(self, raw: list[str], workers: int) -> list[Score]:
        """Score chunks in forked children (they inherit the loaded models) and here."""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        global _FORK_STATE
        n = len(raw)
        bounds = [(n * i // workers, n * (i + 1) // workers) for i in range(workers)]
        _FORK_STATE = (self, raw)
        try:
            with ProcessPoolExecutor(max_workers=workers - 1, mp_context=mp.get_context("fork")) as ex:
                futures = [ex.submit(_score_chunk, b) for b in bounds[1:]]
                first = self._score_serial(raw[bounds[0][0]:bounds[0][1]])
                rest = [f.result() for f in futures]
        finally:
            _FORK_STATE = None
        return first + [s for chunk in rest for s in chunk]

    def _score_serial(self, raw: list[str]) -> list[Score]:
        normalized = normalize_texts(raw)
        x_el, x_hx = self._features(normalized)
        p_model = self._election.proba(x_el)
        p_hoax = self._hoax.proba(x_hx)
        el_model_terms = self._election.top_terms(self._election.word_part(x_el), 2 * MAX_TERMS)
        hx_terms = self._hoax.top_terms(self._hoax.word_part(x_hx), MAX_TERMS)
        results: list[Score] = []
        for i, norm in enumerate(normalized):
            hits = lexicon_hits(norm) if norm else []
            election = combine_election(float(p_model[i]), lexicon_probability(hits))
            el_terms = list(hits[:MAX_TERMS])
            for t in el_model_terms[i]:
                if len(el_terms) >= MAX_TERMS:
                    break
                if t not in el_terms:
                    el_terms.append(t)
            results.append(
                Score(
                    election_score=min(1.0, max(0.0, election)),
                    hoax_score=min(1.0, max(0.0, float(p_hoax[i]))),
                    election_terms=tuple(el_terms),
                    hoax_terms=tuple(hx_terms[i]),
                )
            )
        return results


PARALLEL_MIN = 1000
_FORK_STATE: tuple[Scorer, list[str]] | None = None


def _can_fork() -> bool:
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods()


def _score_chunk(bounds: tuple[int, int]) -> list[Score]:
    """Runs in a forked child: score a slice of the parent's batch."""
    assert _FORK_STATE is not None
    scorer, raw = _FORK_STATE
    return scorer._score_serial(raw[bounds[0]:bounds[1]])


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
        str(card["version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"Model card {card_path} is unreadable or incomplete: run `make train`."
        ) from exc
    try:
        data = model_path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"Model file {model_path} cannot be read: {exc}.") from exc
    if _sha256(data) != expected_sha:
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
    logger.info("Loaded %s model %s from %s", name, card["version"], model_path)
    return model, card


def load_scorer(model_dir: Path | None = None) -> Scorer:
    """Load both models and return a ready :class:`Scorer`.

    Args:
        model_dir: Directory with ``election.skops``/``.json`` and ``hoax.skops``/``.json``.
            Default: ``$SARING_MODELS`` if set, else the *current promoted* version of the
            model registry (:func:`saring.registry.current_model_dir`), which is the shipped
            ``classifiers/`` until a retrained version is promoted.

    Returns:
        A scorer exposing ``election_version``, ``hoax_version`` and ``model_version``.

    Raises:
        ModelLoadError: A file is missing, does not match its model card, contains
            untrusted types or cannot be read.
    """
    if model_dir is not None:
        directory = Path(model_dir)
    elif os.environ.get("SARING_MODELS"):
        directory = default_model_dir()
    else:
        from saring.registry import current_model_dir

        directory = current_model_dir()
    election, el_card = _load_one(directory, "election")
    hoax, hx_card = _load_one(directory, "hoax")
    return Scorer(
        election=election,
        hoax=hoax,
        election_version=str(el_card["version"]),
        hoax_version=str(hx_card["version"]),
        source=directory,
    )
