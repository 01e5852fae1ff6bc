"""Score texts for election relevance and hoax risk, with reasons a reader can act on.

Two scikit-learn pipelines, trained by ``classifiers/train.py`` and stored as
``classifiers/{election,hoax}.skops`` next to their model cards (``.json``), are loaded safely
with skops: the file's SHA-256 must match its card, and only types from scikit-learn, NumPy,
SciPy, Python builtins and ``saring.`` modules may be inside.

* **hoax_score**: the calibrated probability of the hoax model, which reads the first 100 words
  (an article's title and lead; a post whole) through word and character n-grams and the
  chain-message cues of :mod:`~saring.judge.classifier.textfeatures`. Calibrated across claims,
  for equal priors.
* **election_score**: the election model's calibrated probability, moved so that 0.5 is its
  operating point (the F1-best cut-off found on training data only, recorded in the card).

Reasons are the *positive* contributions to one text's score (feature value x weight of the
linear model inside the calibration; sigmoid calibration is monotonic): cue kinds in Indonesian
with a short quote, then words, never place or institution names.

Model files written before the v2 pipelines (``pipeline_format`` missing from the card) still
load and score as they did (:mod:`saring.judge.classifier.scoring_v1`).

This module imports nothing heavy at import time: NumPy, scikit-learn and skops are only
imported by :func:`load_scorer`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saring.judge.classifier.explain import (
    MAX_TERMS,
    NEVER_HOAX_REASONS,
    Score,
    hoax_reasons,
    not_generic_words,
    readable,
)
from saring.judge.classifier.modelload import (
    REBUILD,
    ModelLoadError,
    default_model_dir,
    load_model_file,
    read_card,
)
from saring.judge.classifier.vectorize import CachedTfidf
from saring.limits import cap_text
from saring.noclaim import NO_CLAIM_SCORE, has_no_claim
from saring.textclean import item_text

if TYPE_CHECKING:  # pragma: no cover
    from sklearn.pipeline import Pipeline

# ModelLoadError, Score and default_model_dir stay importable from here (the analysts' API).
__all__ = ["ModelLoadError", "Score", "Scorer", "default_model_dir", "item_text", "load_scorer"]

logger = logging.getLogger(__name__)

MIN_ELECTION_WORD = 0.2
"""A model word is shown as an election term (when no election term is found) from this contribution."""


class _Model:
    """A loaded pipeline: features, calibrated probabilities and per-feature contributions."""

    def __init__(self, name: str, pipeline: Pipeline, card: dict[str, Any], hidden: frozenset[str],
                 remedy: str = REBUILD) -> None:
        import numpy as np

        self.name = name
        self.card = card
        try:
            self.before = pipeline[:-2] if len(pipeline) > 2 else None  # e.g. the lead-words cut
            self.clf = pipeline.steps[-1][1]
            union = pipeline.named_steps["features"]
            self.parts = [(name, CachedTfidf.wrap(t)) for name, t in union.transformer_list]
            names = np.asarray(union.get_feature_names_out(), dtype=object)
            weights = [np.asarray(cc.estimator.coef_).reshape(-1) for cc in self.clf.calibrated_classifiers_]
        except (AttributeError, KeyError, TypeError, IndexError, ValueError) as exc:
            raise ModelLoadError(
                f"The {name} model file does not have the structure saring expects "
                f"(features -> calibrated linear classifier): {remedy}."
            ) from exc
        self.coef = np.mean(np.vstack(weights), axis=0)
        if len(names) != self.coef.shape[0]:
            raise ModelLoadError(
                f"The {name} model file is inconsistent (feature count mismatch): {remedy}."
            )
        kind = np.array([str(n).split("__", 1)[0] for n in names])
        self.terms = np.array([str(n).split("__", 1)[-1] for n in names], dtype=object)
        # Only a word that raises the score can be a reason: only those words are read.
        raising = np.flatnonzero((kind == "word") & (self.coef > 0))
        shown = raising[[readable(t, hidden) for t in self.terms[raising]]]
        self.word_weight = np.zeros_like(self.coef)
        self.word_weight[shown] = self.coef[shown]
        # Dense counted features (cues, election terms), standardised: a contribution is measured
        # against the average text, and the raw count is recovered to say whether a cue fired.
        self.dense = np.flatnonzero((kind == "cues") | (kind == "terms"))
        self.dense_mean = np.zeros(len(self.dense))
        self.dense_scale = np.ones(len(self.dense))
        for part in ("cues", "terms"):
            scaler = _step(union, part, "scale")
            if scaler is not None:
                cols = np.flatnonzero(kind[self.dense] == part)
                self.dense_mean[cols], self.dense_scale[cols] = scaler.mean_, scaler.scale_
        self.counter = _step(union, "cues", "count") or _step(union, "terms", "count")

    def with_outlets(self, hosts: tuple[str, ...]) -> _Model:
        """A copy whose cue counter also counts links to the sites ``hosts`` (or their
        subdomains) as news links (the rest shared)."""
        import copy

        from sklearn.pipeline import Pipeline

        old = self.counter
        if not hosts or not hasattr(old, "news_hosts_"):  # the election model, or no link cue
            return self
        counter = copy.copy(old)
        counter.outlets_ = tuple(hosts)
        model = copy.copy(self)
        model.counter = counter
        model.parts = [
            (name, Pipeline([(s, counter if t is old else t) for s, t in part.steps])
             if any(t is old for _, t in getattr(part, "steps", ())) else part)
            for name, part in self.parts
        ]
        return model

    def features(self, texts: list[str]) -> Any:
        """The feature union's output (the pipeline's own, see :class:`~.vectorize.CachedTfidf`)."""
        return self.features_with_hits(texts)[0]

    def features_with_hits(self, texts: list[str]) -> tuple[Any, list[list[str]] | None]:
        """The features and, when the model counts election terms, each text's terms (one pass)."""
        import scipy.sparse as sp

        if self.before is not None:
            texts = self.before.transform(texts)
        blocks, hits = [], None
        for _, part in self.parts:
            counter = getattr(part, "named_steps", {}).get("count")
            if hits is None and hasattr(counter, "transform_with_hits"):
                counts, hits = counter.transform_with_hits(texts)
                blocks.append(part[1:].transform(counts))
            else:
                blocks.append(part.transform(texts))
        x = sp.hstack([b if sp.issparse(b) else sp.csr_matrix(b) for b in blocks], format="csr")
        return x, hits

    def proba(self, x: Any) -> Any:
        return self.clf.predict_proba(x)[:, 1]

    def top_words(self, x: Any, k: int) -> list[list[tuple[str, float]]]:
        """Per row, up to ``k`` readable words with the largest positive contribution."""
        import numpy as np

        contrib = x.data * self.word_weight[x.indices]
        out = []
        for row in range(x.shape[0]):
            start, end = x.indptr[row], x.indptr[row + 1]
            c = contrib[start:end]
            pos = np.flatnonzero(c > 0)
            if pos.size > k:
                pos = pos[np.argpartition(-c[pos], k - 1)[:k]]
            feats = x.indices[start:end][pos]
            pairs = sorted(
                ((str(self.terms[f]), float(v)) for f, v in zip(feats, c[pos], strict=True)),
                key=lambda p: (-p[1], p[0]),
            )
            out.append(pairs)
        return out

    def dense_contributions(self, x: Any) -> tuple[Any, Any, list[str]]:
        """(rows x counted features): contributions against the average text, raw values, names."""
        import numpy as np

        z = x[:, self.dense].toarray()
        raw = np.expm1(z * self.dense_scale + self.dense_mean)
        return z * self.coef[self.dense], raw, [str(t) for t in self.terms[self.dense]]


def _step(union: Any, part: str, step: str) -> Any:
    """A step of one of the feature union's sub-pipelines ("cues" -> "count"), or None."""
    for name, transformer in union.transformer_list:
        if name == part and hasattr(transformer, "named_steps"):
            return transformer.named_steps.get(step)
    return None


def at_operating_point(p: Any, operating_point: Any) -> Any:
    """Election probabilities moved (a logit shift) so that ``operating_point`` becomes 0.5
    (one value, or one per probability).

    Without an operating point (cards from before it existed) they are only clipped to [0, 1].
    """
    import numpy as np

    p = np.asarray(p, dtype=np.float64)
    if operating_point is None or (np.ndim(operating_point) == 0 and not operating_point):
        return np.clip(p, 0.0, 1.0)
    p = np.clip(p, 1e-9, 1 - 1e-9)
    point = np.asarray(operating_point, dtype=np.float64)
    shift = np.log(point / (1 - point))
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) - shift)))


def is_short(text: str, words: int) -> bool:
    """Whether ``text`` has at most ``words`` words (a post, not an article, for the election cut-off)."""
    return len(text.split(maxsplit=words)) <= words


def operating_points(texts: Sequence[str], card: dict[str, Any]) -> Any:
    """Each text's election operating point from a model card: ``short_operating_point`` for a
    text of at most ``short_words`` words (a post, or an article's first lines), else
    ``operating_point`` (an article). A card without the short one has one point for all."""
    import numpy as np

    point, short = card.get("operating_point"), card.get("short_operating_point")
    words = card.get("short_words")
    if not point or not short or not words:
        return point
    return np.where([is_short(t, int(words)) for t in texts], float(short), float(point))


class Scorer:
    """Scores batches of texts with the election and hoax models.

    Attributes:
        election_version / hoax_version: the models' versions (from their cards).
        source: the directory the models were loaded from.
    """

    def __init__(
        self, election: Any, hoax: Any, election_version: str, hoax_version: str, source: Path | None = None
    ) -> None:
        """Create a scorer from loaded models; use :func:`load_scorer` instead."""
        self._election = election
        self._hoax = hoax
        self.election_version = election_version
        self.hoax_version = hoax_version
        self.source = source
        self._election_card = election.card if isinstance(election, _Model) else {}

    def with_outlets(self, hosts: Sequence[str]) -> Scorer:
        """This scorer, counting links to ``hosts`` (the configured news sources' sites, see
        :attr:`saring.config.Source.outlet_host`) as news links rather than a hoax cue.

        ``saring score`` has no configuration and keeps the model's own list of news hosts.
        """
        hosts = tuple(sorted({h.lower() for h in hosts if h}))
        if not hosts or not isinstance(self._hoax, _Model):
            return self
        return Scorer(self._election, self._hoax.with_outlets(hosts), self.election_version,
                      self.hoax_version, self.source)

    @property
    def model_version(self) -> str:
        """Combined version string, ``"<election_version>+<hoax_version>"``."""
        return f"{self.election_version}+{self.hoax_version}"

    def _election_scores(self, p: Any, texts: Sequence[str]) -> Any:
        return at_operating_point(p, operating_points(texts, self._election_card))

    def probabilities(self, texts: Sequence[str | None]) -> tuple[Any, Any]:
        """Election score and hoax score arrays for a batch (no explanations)."""
        import numpy as np

        raw = _prepare(texts)
        if not raw:
            return np.zeros(0), np.zeros(0)
        if not isinstance(self._election, _Model):  # a v1 model file
            el, hx = self._election.probabilities(raw, self._hoax)
        else:
            el = self._election_scores(self._election.proba(self._election.features(raw)), raw)
            hx = np.clip(self._hoax.proba(self._hoax.features(raw)), 0.0, 1.0)
        hx[[has_no_claim(t) for t in raw]] = NO_CLAIM_SCORE
        return el, hx

    def score(self, texts: Sequence[str | None], workers: int = 1) -> list[Score]:
        """Score a batch of texts.

        Args:
            texts: Texts (title + body for an article); ``None`` or "" are scored as empty text.
            workers: Processes for large batches (>= 1,000 texts; POSIX fork only).

        Returns:
            One :class:`Score` per input text, in the same order.
        """
        texts = list(texts)
        raw = _prepare(texts)
        if not raw:
            return []
        if workers > 1 and len(raw) >= PARALLEL_MIN and _can_fork():
            scores = self._score_parallel(raw, workers)
        else:
            scores = self._score_serial(raw)
        return [_masks_back(s) if t and "disamarkan]" in str(t) else s
                for s, t in zip(scores, texts, strict=True)]

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
                first = self._score_serial(raw[bounds[0][0] : bounds[0][1]])
                rest = [f.result() for f in futures]
        finally:
            _FORK_STATE = None
        return first + [s for chunk in rest for s in chunk]

    def _score_serial(self, raw: list[str]) -> list[Score]:
        from dataclasses import replace

        return [replace(s, hoax_score=NO_CLAIM_SCORE, hoax_terms=()) if has_no_claim(t) else s
                for s, t in zip(self._model_scores(raw), raw, strict=True)]

    def _model_scores(self, raw: list[str]) -> list[Score]:
        if not isinstance(self._election, _Model):
            return self._election.score(raw, self._hoax)
        from saring.judge.classifier.textfeatures import lead_words

        x_el, term_hits = self._election.features_with_hits(raw)
        x_hx = self._hoax.features(raw)
        election = self._election_scores(self._election.proba(x_el), raw)
        hoax = self._hoax.proba(x_hx)
        el_words = self._election.top_words(x_el, MAX_TERMS)
        hx_words = self._hoax.top_words(x_hx, 3)
        cue_contrib, cue_raw, cue_names = self._hoax.dense_contributions(x_hx)
        leads = lead_words(raw, self._hoax.card.get("config", {}).get("lead_words", 100))
        results = []
        for i in range(len(raw)):
            terms = term_hits[i][:MAX_TERMS] if term_hits is not None else []
            if not terms:  # no election vocabulary: the model's strongest words say why
                terms = [w for w, v in el_words[i] if v >= MIN_ELECTION_WORD][:3]
            results.append(
                Score(
                    election_score=min(1.0, max(0.0, float(election[i]))),
                    hoax_score=min(1.0, max(0.0, float(hoax[i]))),
                    election_terms=tuple(terms),
                    hoax_terms=tuple(
                        hoax_reasons(
                            leads[i],
                            cue_contrib[i],
                            cue_raw[i],
                            cue_names,
                            hx_words[i],
                            self._hoax.counter.evidence,
                        )
                    ),
                )
            )
        return results


def _prepare(texts: Sequence[str | None]) -> list[str]:
    """What the models read: a scrubbed text (a forwarded message) as its original would read, each
    mask a neutral stand-in of its kind (:func:`saring.collect.scrub.for_model`); other texts as given."""
    from saring.collect.scrub import for_model

    return [cap_text(for_model("" if t is None else str(t))) for t in texts]


def _masks_back(score: Score) -> Score:
    """A scrubbed text's reasons quote its masks, not the stand-ins the models read."""
    from dataclasses import replace

    from saring.collect.scrub import masked_again

    return replace(score, hoax_terms=tuple(masked_again(t) for t in score.hoax_terms))


PARALLEL_MIN = 1000
_FORK_STATE: tuple[Scorer, list[str]] | None = None


def _can_fork() -> bool:
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods()


def _score_chunk(bounds: tuple[int, int]) -> list[Score]:
    """Runs in a forked child: score a slice of the parent's batch."""
    assert _FORK_STATE is not None
    scorer, raw = _FORK_STATE
    return scorer._score_serial(raw[bounds[0] : bounds[1]])


def model_directory(model_dir: Path | None = None) -> Path:
    """Where :func:`load_scorer` reads the models from (see there)."""
    if model_dir is not None:
        return Path(model_dir)
    from saring.judge.classifier.registry import served_model_dir

    return served_model_dir()


def model_version(model_dir: Path | None = None) -> str:
    """The :attr:`Scorer.model_version` :func:`load_scorer` would load, read from the model cards
    alone (milliseconds, against seconds to import scikit-learn and load the models): a run with
    nothing to score needs only this.

    Raises:
        ModelLoadError: a model card is missing or unreadable.
    """
    directory = model_directory(model_dir)
    remedy = _remedy(model_dir, directory)
    return "+".join(str(read_card(directory, name, remedy)["version"]) for name in ("election", "hoax"))


def _remedy(model_dir: Path | None, directory: Path) -> str:
    """The way out of a broken model in ``directory``: a promoted version (the registry's current
    one) is rolled back; `make train` would rebuild the shipped models and leave it current."""
    if model_dir is None and directory != default_model_dir():
        from saring.judge.classifier.registry import roll_back_from

        return roll_back_from(directory.name)
    return REBUILD


def load_scorer(model_dir: Path | None = None, remedy: str | None = None) -> Scorer:
    """Load both models and return a ready :class:`Scorer`.

    Args:
        model_dir: Directory with ``election.skops``/``.json`` and ``hoax.skops``/``.json``.
            Default: ``$SARING_MODELS`` if set, else the *current promoted* version of the
            model registry (:func:`saring.judge.classifier.registry.current_model_dir`).
        remedy: The way out a load error ends with (default: see :func:`_remedy`).

    Raises:
        ModelLoadError: A file is missing, does not match its card, contains untrusted types
            or cannot be read.
    """
    directory = model_directory(model_dir)
    remedy = remedy or _remedy(model_dir, directory)
    el_pipe, el_card = load_model_file(directory, "election", remedy)
    hx_pipe, hx_card = load_model_file(directory, "hoax", remedy)
    if "pipeline_format" not in el_card or "pipeline_format" not in hx_card:
        from saring.judge.classifier.scoring_v1 import load_v1

        election, hoax = load_v1(el_pipe, el_card, hx_pipe, hx_card, remedy)
    else:
        places = not_generic_words()
        election = _Model("election", el_pipe, el_card, places, remedy)
        hoax = _Model("hoax", hx_pipe, hx_card, places | NEVER_HOAX_REASONS, remedy)
    return Scorer(
        election=election,
        hoax=hoax,
        election_version=str(el_card["version"]),
        hoax_version=str(hx_card["version"]),
        source=directory,
    )
