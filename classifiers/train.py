"""Train saring's two text classifiers and write their model cards.

Run from the repository root::

    .venv/bin/python classifiers/train.py      # or: make train

Outputs (all in ``classifiers/``):

* ``hoax.skops`` / ``hoax.json`` / ``hoax.md`` — hoax-stance model (Pratiwi et al. 2017 data)
* ``election.skops`` / ``election.json`` / ``election.md`` — politics-topic model (SIB-200)
* ``README.md`` — how to retrain, data sources, metrics table

Everything is deterministic (fixed seeds, single-threaded estimators). Vectorisers are only
ever fitted inside a training fold: each evaluation fold clones the complete pipeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
import skops
import skops.io as sio
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

CLASSIFIERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = CLASSIFIERS_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from saring.score import (  # noqa: E402
    ELECTION_LEXICON,
    LEXICON_RATE,
    lexicon_hits,
    combine_election,
    lexicon_probability,
    load_scorer,
)
from saring.textnorm import dedup_key, normalize_texts  # noqa: E402

logger = logging.getLogger("classifiers.train")

SEED = 20171
THRESHOLD = 0.5
HOAX_CSV = CLASSIFIERS_DIR / "data" / "pratiwi2017_hoax" / "pratiwi2017_hoax_train.csv"
SIB_CSV = CLASSIFIERS_DIR / "data" / "sib200_ind_topic" / "sib200_ind_train_dev.csv"
SEED_ARTICLES_DIR = REPO_ROOT / "sample" / "seed_articles"

HYPERPARAMS: dict[str, Any] = {
    "normalize": "saring.textnorm.normalize_texts (NFKC, lower-case, URL->urltoken, digits->numtoken)",
    "word_tfidf": {
        "analyzer": "word",
        "ngram_range": [1, 2],
        "min_df": 2,
        "max_df": 0.95,
        "sublinear_tf": True,
        "lowercase": False,
    },
    "char_tfidf": {
        "analyzer": "char_wb",
        "ngram_range": [3, 5],
        "min_df": 2,
        "max_df": 0.95,
        "sublinear_tf": True,
        "lowercase": False,
    },
    "logistic_regression": {
        "C": 1.0,
        "class_weight": "balanced",
        "solver": "liblinear",
        "max_iter": 1000,
    },
    "calibration": {
        "method": "sigmoid",
        "cv": f"StratifiedKFold(n_splits=5, shuffle=True, random_state={SEED})",
        "ensemble": False,
    },
    "threshold_for_precision_recall_f1": THRESHOLD,
    "tuning": "none: hyper-parameters fixed a priori (no search on the evaluation folds)",
}

DATA_SOURCES: dict[str, dict[str, str]] = {
    "hoax": {
        "name": "Indonesian Hoax News Detection Dataset (training part, 9 of 12 topics)",
        "citation": "Pratiwi, I. Y. R., Asmara, R. A., Rahutomo, F. (2017). Indonesian Hoax News "
        "Detection Dataset. Mendeley Data, V1, doi:10.17632/p3hfgr5j3m.1. Paper: 'Study of hoax "
        "news detection using naive bayes classifier in Indonesian language', ICTS 2017, "
        "pp. 73-78, doi:10.1109/ICTS.2017.8265649.",
        "licence": "CC BY 4.0",
        "copy_used": "github.com/svmihar/indo-hoax-dataset @ 308ff68e4e51e536c2221fe51eb271e5ac1c443a",
        "details": "classifiers/data/pratiwi2017_hoax/SOURCE.md",
    },
    "election": {
        "name": "SIB-200 topic classification, Indonesian (ind_Latn), train+dev",
        "citation": "Adelani, D. I. et al. (2023). SIB-200: A Simple, Inclusive, and Big "
        "Evaluation Dataset for Topic Classification in 200+ Languages and Dialects. "
        "arXiv:2309.07445. Text from FLORES-200 (NLLB Team, Meta AI).",
        "licence": "CC BY-SA 4.0 (data; SIB-200 repository code Apache-2.0)",
        "copy_used": "github.com/dadelani/sib-200 @ 593cea88519930f776c1a4a1980b6a35b39dca57",
        "details": "classifiers/data/sib200_ind_topic/SOURCE.md",
    },
}


# --------------------------------------------------------------------------- pipeline


def build_pipeline() -> Pipeline:
    """Build the (unfitted) text-classification pipeline shared by both models.

    Returns:
        ``normalize -> FeatureUnion(word TF-IDF 1-2, char_wb TF-IDF 3-5) ->
        CalibratedClassifierCV(LogisticRegression, sigmoid, ensemble=False)``.
    """
    w = HYPERPARAMS["word_tfidf"]
    c = HYPERPARAMS["char_tfidf"]
    lr = HYPERPARAMS["logistic_regression"]
    features = FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=tuple(w["ngram_range"]),
                    min_df=w["min_df"],
                    max_df=w["max_df"],
                    sublinear_tf=w["sublinear_tf"],
                    lowercase=False,
                    dtype=np.float64,
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=tuple(c["ngram_range"]),
                    min_df=c["min_df"],
                    max_df=c["max_df"],
                    sublinear_tf=c["sublinear_tf"],
                    lowercase=False,
                    dtype=np.float64,
                ),
            ),
        ]
    )
    clf = CalibratedClassifierCV(
        LogisticRegression(
            C=lr["C"],
            class_weight=lr["class_weight"],
            solver=lr["solver"],
            max_iter=lr["max_iter"],
            random_state=SEED,
        ),
        method="sigmoid",
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED),
        ensemble=False,
    )
    return Pipeline(
        [
            ("normalize", FunctionTransformer(normalize_texts, validate=False)),
            ("features", features),
            ("clf", clf),
        ]
    )


# --------------------------------------------------------------------------- metrics


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC-AUC, precision/recall/F1/accuracy at THRESHOLD, Brier score."""
    pred = (p >= THRESHOLD).astype(int)
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if len(set(y)) > 1 else None,
        "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y, pred, zero_division=0)), 4),
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "brier_prior_baseline": round(float(y.mean() * (1 - y.mean())), 4),
    }


def out_of_fold(
    texts: list[str], y: np.ndarray, splits: Iterator[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Fit a fresh pipeline per fold and collect out-of-fold probabilities.

    Returns:
        (pooled out-of-fold probabilities, list of test-index arrays per fold)
    """
    oof = np.full(len(y), np.nan)
    folds = []
    arr = np.asarray(texts, dtype=object)
    for train_idx, test_idx in splits:
        model = clone(build_pipeline())
        model.fit(list(arr[train_idx]), y[train_idx])
        oof[test_idx] = model.predict_proba(list(arr[test_idx]))[:, 1]
        folds.append(test_idx)
    assert not np.isnan(oof).any()
    return oof, folds


# --------------------------------------------------------------------------- data


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_hoax() -> tuple[pd.DataFrame, pd.DataFrame, list[list[int]]]:
    """Load Pratiwi data and drop near-duplicates (normalised-text key), keeping the first.

    Returns:
        (raw frame, deduplicated frame, list of duplicate groups as row_ids)
    """
    raw = pd.read_csv(HOAX_CSV)
    key = raw["berita"].map(dedup_key)
    groups = [sorted(g["row_id"].tolist()) for _, g in raw.groupby(key) if len(g) > 1]
    for g in groups:
        labels = raw.loc[raw["row_id"].isin(g), "label"].unique()
        if len(labels) != 1:
            raise SystemExit(f"Duplicate group {g} has conflicting labels {labels}")
    dedup = raw.loc[~key.duplicated(keep="first")].reset_index(drop=True)
    return raw, dedup, groups


def data_entry(path: Path, frame: pd.DataFrame, source: dict[str, str]) -> dict[str, Any]:
    """Training-data description for a model card."""
    return {
        "file": str(path.relative_to(REPO_ROOT)),
        "sha256": sha256_file(path),
        "rows": int(len(frame)),
        "label_counts": {str(k): int(v) for k, v in frame["label"].value_counts().sort_index().items()},
        **source,
    }


# --------------------------------------------------------------------------- outputs


def dump_model(model: Pipeline, name: str, created: dt.date, texts: list[str]) -> tuple[str, str]:
    """Write ``<name>.skops`` (deflate-compressed); return (sha256, version string).

    The vectorisers' ``stop_words_`` (every n-gram dropped by min_df/max_df, only kept for
    introspection) is removed first: it is most of the file size and unused at predict time.
    The written file is checked to predict exactly like ``model`` on ``texts``.
    """
    for _, vec in model.named_steps["features"].transformer_list:
        vec.stop_words_ = None
        # id() of the stop-word list, cached by sklearn only to skip a re-check; it is a
        # memory address, so it would make the file differ on every run.
        if hasattr(vec, "_stop_words_id"):
            del vec._stop_words_id
    path = CLASSIFIERS_DIR / f"{name}.skops"
    sio.dump(model, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    _make_zip_reproducible(path)
    _check_roundtrip(model, path, texts)
    digest = sha256_file(path)
    version = f"{name}-{created:%Y.%m.%d}-{digest[:8]}"
    return digest, version


_SKOPS_ID_RE = re.compile(r'("__id__": )(\d+)|("file": ")(\d+)(\.npy")')


def _make_zip_reproducible(path: Path) -> None:
    """Rewrite a .skops zip so that the same model gives the same bytes on every run.

    skops names array files and tags shared objects with ``id(obj)`` (memory addresses) and
    stamps zip entries with the current time. Ids are renumbered in order of first
    appearance (consistently for ``__id__`` and ``<id>.npy``, so shared references stay
    shared), entries are sorted and timestamps fixed. The caller verifies the result loads
    and predicts identically.
    """
    with zipfile.ZipFile(path) as zin:
        entries = {info.filename: zin.read(info.filename) for info in zin.infolist()}
    mapping: dict[str, str] = {}

    def renumber(m: re.Match[str]) -> str:
        old = m.group(2) or m.group(4)
        new = mapping.setdefault(old, str(len(mapping) + 1))
        if m.group(1):
            return m.group(1) + new
        return m.group(3) + new + m.group(5)

    schema = _SKOPS_ID_RE.sub(renumber, entries.pop("schema.json").decode("utf-8"))
    out: dict[str, bytes] = {"schema.json": schema.encode("utf-8")}
    for filename, payload in entries.items():
        stem, dot, ext = filename.partition(".")
        if ext != "npy" or stem not in mapping:
            raise RuntimeError(f"unexpected entry {filename} in {path}")
        out[f"{mapping[stem]}.npy"] = payload
    tmp = path.with_suffix(".skops.tmp")
    with zipfile.ZipFile(tmp, "w") as zout:
        for filename in sorted(out):
            info = zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, out[filename], compresslevel=6)
    tmp.replace(path)


def _check_roundtrip(model: Pipeline, path: Path, texts: list[str]) -> None:
    """Reload a written model file and check it predicts exactly like the in-memory model."""
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    expected = model.predict_proba(texts)
    got = loaded.predict_proba(texts)
    if not np.array_equal(expected, got):
        raise RuntimeError(f"{path} does not reproduce the trained model's predictions")


def write_json(path: Path, obj: dict[str, Any]) -> None:
    """Write pretty, stable JSON."""
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def fmt(v: float | None) -> str:
    """Format a metric for Markdown tables."""
    return "n/a" if v is None else f"{v:.3f}"


def metric_row(label: str, m: dict[str, Any]) -> str:
    """One Markdown table row."""
    return (
        f"| {label} | {m['n']} | {fmt(m['roc_auc'])} | {fmt(m['precision'])} | "
        f"{fmt(m['recall'])} | {fmt(m['f1'])} | {fmt(m['brier'])} "
        f"(prior {fmt(m['brier_prior_baseline'])}) |"
    )


METRIC_HEADER = (
    "| Evaluation | n | ROC-AUC | Precision@0.5 | Recall@0.5 | F1@0.5 | Brier (prior-only) |\n"
    "|---|---|---|---|---|---|---|"
)


def pipeline_description() -> str:
    """Human-readable pipeline summary."""
    return (
        "normalize (saring.textnorm.normalize_texts) -> FeatureUnion[word TF-IDF 1-2 grams, "
        "char_wb TF-IDF 3-5 grams, both sublinear_tf, min_df=2] -> "
        "CalibratedClassifierCV(LogisticRegression(class_weight='balanced', C=1.0, liblinear), "
        "method='sigmoid', 5-fold, ensemble=False)"
    )


# --------------------------------------------------------------------------- main


def train_hoax(created: dt.date) -> dict[str, Any]:
    """Evaluate and fit the hoax model; write hoax.skops/json; return the card."""
    raw, df, dup_groups = load_hoax()
    texts = df["berita"].tolist()
    y = df["label"].to_numpy(dtype=int)
    topics = df["topic_id"].to_numpy(dtype=int)
    logger.info("hoax: %d rows, %d after dedup (%s)", len(raw), len(df), dup_groups)

    # Cross-topic: leave one topic (viral claim) out -> 9 folds.
    t0 = time.perf_counter()
    oof_x, folds_x = out_of_fold(texts, y, LeaveOneGroupOut().split(texts, y, groups=topics))
    cross = binary_metrics(y, oof_x)
    per_topic = {}
    for test_idx in folds_x:
        tid = int(topics[test_idx][0])
        kw = str(df["topic_keyword"].iloc[test_idx[0]])
        per_topic[str(tid)] = {"topic_keyword": kw, **binary_metrics(y[test_idx], oof_x[test_idx])}
    aucs = [m["roc_auc"] for m in per_topic.values() if m["roc_auc"] is not None]
    cross["per_topic_roc_auc_mean"] = round(float(np.mean(aucs)), 4)
    cross["per_topic_roc_auc_min"] = round(float(np.min(aucs)), 4)
    cross["per_topic_roc_auc_max"] = round(float(np.max(aucs)), 4)
    cross["oof_probability_p10_p50_p90"] = [round(float(q), 3) for q in np.quantile(oof_x, [0.1, 0.5, 0.9])]
    logger.info("hoax cross-topic done in %.1fs: %s", time.perf_counter() - t0, cross)

    # Within-topic: stratified 5-fold (topics shared between train and test -> optimistic).
    t0 = time.perf_counter()
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    oof_w, _ = out_of_fold(texts, y, skf.split(texts, y))
    within = binary_metrics(y, oof_w)
    logger.info("hoax within-topic done in %.1fs: %s", time.perf_counter() - t0, within)

    model = build_pipeline().fit(texts, y)
    digest, version = dump_model(model, "hoax", created, texts)
    card = {
        "name": "hoax",
        "version": version,
        "created": created.isoformat(),
        "task": "Binary text classification: does an Indonesian news/blog article spread "
        "(label 1, 'Hoax') or clarify/report neutrally (label 0, 'Valid') a viral claim? "
        "Output: calibrated probability of label 1.",
        "model_file": "classifiers/hoax.skops",
        "sha256": digest,
        "training_data": [data_entry(HOAX_CSV, raw, DATA_SOURCES["hoax"])],
        "rows_used": int(len(df)),
        "label_counts_used": {str(k): int(v) for k, v in df["label"].value_counts().sort_index().items()},
        "dedup": {
            "rule": "saring.textnorm.dedup_key (lower-case, punctuation removed, whitespace "
            "collapsed); first row of each group kept",
            "rows_removed": int(len(raw) - len(df)),
            "duplicate_groups_row_ids": dup_groups,
        },
        "pipeline": pipeline_description(),
        "hyperparameters": HYPERPARAMS,
        "metrics": {
            "cross_topic_leave_one_topic_out": cross,
            "cross_topic_per_topic": per_topic,
            "within_topic_stratified_5fold": within,
            "note": "Pooled out-of-fold predictions. The cross-topic (leave-one-topic-out) "
            "numbers are the ones to trust for new claims; within-topic numbers are optimistic "
            "because articles about the same claim share wording.",
        },
        "explanations": "Terms = TF-IDF value x coefficient of the single logistic regression "
        "inside the calibration wrapper (ensemble=False, so one model fitted on all rows); "
        "char n-gram contributions credited to the words containing them.",
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "python_version": sys.version.split()[0],
        "caveats": [
            "The label is the article's stance on one viral claim (spreading vs clarifying), "
            "not a fact-check of the article; many 'Valid' articles are debunks that repeat "
            "the hoax text.",
            "Only 9 non-election claims from 2013-2018 (health, gadgets, religion, Facebook...). "
            "No election content at all; the three political topics of the original dataset "
            "(5, 10, 12) are held out and not used here.",
            "446 articles after deduplication: small. Expect the score to track writing style "
            "(sensational wording, chain-message phrasing) more than truth.",
            "Use as a triage signal for human reviewers, never as a verdict.",
        ],
    }
    write_json(CLASSIFIERS_DIR / "hoax.json", card)
    return card


def train_election(created: dt.date) -> dict[str, Any]:
    """Evaluate and fit the election (politics proxy) model; write election.skops/json."""
    df = pd.read_csv(SIB_CSV)
    texts = df["text"].tolist()
    y = df["label"].to_numpy(dtype=int)
    t0 = time.perf_counter()
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    oof, _ = out_of_fold(texts, y, skf.split(texts, y))
    cv = binary_metrics(y, oof)
    lex_oof = np.array([lexicon_probability(lexicon_hits(t)) for t in normalize_texts(texts)])
    combined = np.array([combine_election(m, lx) for m, lx in zip(oof, lex_oof, strict=True)])
    cv_combined = binary_metrics(y, combined)
    cv_combined["lexicon_hit_rows"] = int((lex_oof > 0).sum())
    logger.info("election CV done in %.1fs: %s", time.perf_counter() - t0, cv)

    model = build_pipeline().fit(texts, y)
    digest, version = dump_model(model, "election", created, texts)
    card = {
        "name": "election",
        "version": version,
        "created": created.isoformat(),
        "task": "Election relevance of an Indonesian text. The model predicts the SIB-200 "
        "'politics' topic (a weak proxy); the served election_score combines its probability "
        "with a transparent election lexicon: p_lex = 1 - exp(-0.5 * weighted distinct-term "
        "hits), w = 1 with any lexicon term else 0.5, election_score = 1 - (1 - w * p_model) * (1 - p_lex).",
        "model_file": "classifiers/election.skops",
        "sha256": digest,
        "training_data": [data_entry(SIB_CSV, df, DATA_SOURCES["election"])],
        "rows_used": int(len(df)),
        "label_counts_used": {str(k): int(v) for k, v in df["label"].value_counts().sort_index().items()},
        "dedup": {"rows_removed": 0, "rule": "none (SIB-200 sentences are distinct)"},
        "pipeline": pipeline_description(),
        "hyperparameters": HYPERPARAMS,
        "election_lexicon": {
            "terms": ELECTION_LEXICON,
            "rate": LEXICON_RATE,
            "formula": "p_lex = 1 - exp(-rate * sum of weights of distinct terms found); "
            "w = 1 if any lexicon term else 0.5; election_score = 1 - (1 - w * p_model) * (1 - p_lex)",
            "matching": "whole words on normalised (lower-cased) text; each term counted once; "
            "overlapping terms (e.g. 'kampanye' and 'kampanye hitam') both count",
            "source_of_truth": "saring/score.py ELECTION_LEXICON (copied here at training time)",
        },
        "metrics": {
            "model_stratified_5fold": cv,
            "combined_score_stratified_5fold": cv_combined,
            "note": "Measured on SIB-200 sentences (politics vs other topics), not on "
            "Indonesian election news: this says how well the proxy task is learned, not how "
            "well election articles are found.",
        },
        "explanations": "election_terms = lexicon hits first, then words with the largest "
        "TF-IDF x coefficient contribution of the single logistic regression inside the "
        "calibration wrapper.",
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "python_version": sys.version.split()[0],
        "caveats": [
            "SIB-200 sentences are single sentences translated from English WikiNews/"
            "WikiVoyage/WikiJunior; 'politics' covers government, war, protests, elections "
            "worldwide. Only a handful are about elections.",
            "The model was calibrated on single sentences; on full articles it is overconfident "
            "and gives high probabilities to any government/protest/regulation story (see the "
            "sanity check). The lexicon is what makes the score election-specific.",
            "Lexicon terms like 'pemilih', 'kampanye' or 'partai politik' also occur outside "
            "elections (e.g. an anti-hoax 'kampanye'); one ordinary term alone gives p_lex=0.39.",
        ],
    }
    write_json(CLASSIFIERS_DIR / "election.json", card)
    return card


def sanity_check(el_card: dict[str, Any]) -> dict[str, Any]:
    """Score real seed election articles and the Pratiwi articles with the served scorer."""
    scorer = load_scorer(CLASSIFIERS_DIR)
    seeds = sorted(SEED_ARTICLES_DIR.glob("*.txt"))
    seed_texts = [p.read_text(encoding="utf-8") for p in seeds]
    _, pratiwi, _ = load_hoax()
    pr_texts = pratiwi["berita"].tolist()
    seed_scores = scorer.score(seed_texts)
    pr_scores = scorer.score(pr_texts)
    el = np.array([s.election_score for s in pr_scores])
    pm = scorer._election.proba(scorer._election.transform(pr_texts))  # model-only part
    seed_model = scorer._election.proba(scorer._election.transform(seed_texts))
    high = [
        {
            "row_id": int(pratiwi["row_id"].iloc[i]),
            "topic_id": int(pratiwi["topic_id"].iloc[i]),
            "election_score": round(float(el[i]), 3),
            "election_terms": list(pr_scores[i].election_terms),
        }
        for i in np.argsort(-el)[:5]
    ]
    return {
        "note": "Sanity check, not a benchmark: 2 real election articles vs 446 Pratiwi "
        "articles (none about elections).",
        "seed_articles": [
            {
                "file": str(p.relative_to(REPO_ROOT)),
                "election_score": round(s.election_score, 3),
                "model_probability": round(float(m), 3),
                "election_terms": list(s.election_terms),
                "hoax_score": round(s.hoax_score, 3),
                "hoax_terms": list(s.hoax_terms),
            }
            for p, s, m in zip(seeds, seed_scores, seed_model, strict=True)
        ],
        "pratiwi_articles": {
            "n": len(pr_texts),
            "share_election_score_ge_0_5": round(float((el >= 0.5).mean()), 4),
            "count_election_score_ge_0_5": int((el >= 0.5).sum()),
            "share_model_probability_ge_0_5": round(float((pm >= 0.5).mean()), 4),
            "share_with_any_lexicon_hit": round(
                float(np.mean([len(lexicon_hits(t)) > 0 for t in normalize_texts(pr_texts)])), 4
            ),
            "count_ge_0_5_by_topic": {
                str(t): int(((el >= 0.5) & (pratiwi["topic_id"].to_numpy() == t)).sum())
                for t in sorted(pratiwi["topic_id"].unique())
            },
            "count_with_strong_lexicon_term": int(
                sum(any(ELECTION_LEXICON[h] >= 2 for h in lexicon_hits(t)) for t in normalize_texts(pr_texts))
            ),
            "election_score_median": round(float(np.median(el)), 3),
            "election_score_p90": round(float(np.quantile(el, 0.9)), 3),
            "highest_5": high,
        },
        "model_version": scorer.model_version,
    }


def write_markdown(hx: dict[str, Any], el: dict[str, Any]) -> None:
    """Write hoax.md, election.md and README.md from the cards."""
    hm = hx["metrics"]
    cross, within = hm["cross_topic_leave_one_topic_out"], hm["within_topic_stratified_5fold"]
    topic_rows = "\n".join(
        f"| {tid} | {m['topic_keyword']} | {m['n']} | {m['positives']} | {fmt(m['roc_auc'])} | "
        f"{fmt(m['f1'])} | {fmt(m['brier'])} |"
        for tid, m in hm["cross_topic_per_topic"].items()
    )
    hx_data = hx["training_data"][0]
    caveats_h = "\n".join(f"- {c}" for c in hx["caveats"])
    (CLASSIFIERS_DIR / "hoax.md").write_text(
        f"""# Model card: hoax (`{hx["version"]}`)

**Task.** {hx["task"]}

**Data.** {hx_data["name"]} — {hx_data["rows"]} rows in `{hx_data["file"]}`
(sha256 `{hx_data["sha256"][:16]}…`), {hx["dedup"]["rows_removed"]} near-duplicates removed
before any split -> {hx["rows_used"]} articles (label counts {hx["label_counts_used"]}), 9 claims
(topics). Licence {hx_data["licence"]}. {hx_data["citation"]}

**Pipeline.** {hx["pipeline"]}. No hyper-parameter tuning. Trained with scikit-learn
{hx["sklearn_version"]}, skops {hx["skops_version"]}. File `hoax.skops`, sha256
`{hx["sha256"]}`.

## Metrics (pooled out-of-fold predictions, threshold 0.5)

**Trust the cross-topic row.** It trains on 8 claims and tests on an unseen 9th — the
situation saring is in with every new rumour. The within-topic row mixes articles about
the same claim into training and test and is optimistic.

Plainly: on claims it has not seen, this model is only slightly better than chance
(ROC-AUC {fmt(cross["roc_auc"])}; Brier {fmt(cross["brier"])} vs
{fmt(cross["brier_prior_baseline"])} for always answering the base rate) and at 0.5 it
flags few hoax articles (recall {fmt(cross["recall"])}).
Out-of-fold scores on unseen claims mostly sit near the base rate (10th/50th/90th
percentile {", ".join(f"{q:.2f}" for q in cross["oof_probability_p10_p50_p90"])}). It is a weak first
version; do not show `hoax_score` to forum members as a judgement.

{METRIC_HEADER}
{metric_row("Cross-topic (leave-one-topic-out, 9 folds)", cross)}
{metric_row("Within-topic (stratified 5-fold)", within)}

Per-topic ROC-AUC in the cross-topic run: mean {fmt(cross["per_topic_roc_auc_mean"])},
min {fmt(cross["per_topic_roc_auc_min"])}, max {fmt(cross["per_topic_roc_auc_max"])}.

| Held-out topic | Claim | n | Hoax | ROC-AUC | F1@0.5 | Brier |
|---|---|---|---|---|---|---|
{topic_rows}

## Explanations

`hoax_terms` are the words present in the text with the largest positive contribution
(TF-IDF value x logistic-regression coefficient of the single model inside the calibration
wrapper); character n-gram contributions are credited to the words that contain them.

## Caveats

{caveats_h}
""",
        encoding="utf-8",
    )

    em = el["metrics"]
    sc = el["sanity_check"]
    el_data = el["training_data"][0]
    caveats_e = "\n".join(f"- {c}" for c in el["caveats"])
    lex = el["election_lexicon"]["terms"]
    strong = ", ".join(f"`{t}`" for t, w in lex.items() if w >= 2)
    normal = ", ".join(f"`{t}`" for t, w in lex.items() if w < 2)
    seed_rows = "\n".join(
        f"| `{Path(s['file']).name}` | {s['model_probability']:.3f} | {s['election_score']:.3f} | "
        f"{', '.join(s['election_terms'])} |"
        for s in sc["seed_articles"]
    )
    pr = sc["pratiwi_articles"]
    highest = ", ".join(
        f"row {h['row_id']} ({h['election_score']:.2f}: {', '.join(h['election_terms'][:3])})"
        for h in pr["highest_5"]
    )
    kw = {t: m["topic_keyword"] for t, m in hx["metrics"]["cross_topic_per_topic"].items()}
    by_topic = ", ".join(
        f"topic {t} ({kw.get(t, '?')}) {n}" for t, n in pr["count_ge_0_5_by_topic"].items() if n
    )
    (CLASSIFIERS_DIR / "election.md").write_text(
        f"""# Model card: election (`{el["version"]}`)

**Task.** {el["task"]}

**Data.** {el_data["name"]} — {el_data["rows"]} sentences in `{el_data["file"]}`
(sha256 `{el_data["sha256"][:16]}…`), label 1 = politics ({el["label_counts_used"]}).
Licence {el_data["licence"]}. {el_data["citation"]}

**Pipeline.** {el["pipeline"]}. No hyper-parameter tuning. Trained with scikit-learn
{el["sklearn_version"]}, skops {el["skops_version"]}. File `election.skops`, sha256
`{el["sha256"]}`.

## Served score

```
p_lex          = 1 - exp(-{el["election_lexicon"]["rate"]} * sum of weights of distinct lexicon terms found)
w              = 1 if the text holds any lexicon term, else 0.5 (politics alone is weak evidence)
election_score = 1 - (1 - w * p_model) * (1 - p_lex)
```

Lexicon (whole-word match on lower-cased text, each term counted once):

- weight 2: {strong}
- weight 1: {normal}

One weight-2 term alone gives p_lex = 0.63, one weight-1 term 0.39, two weight-2 terms 0.86.

## Metrics on the proxy task (SIB-200 politics vs rest, stratified 5-fold, pooled out-of-fold)

{METRIC_HEADER}
{metric_row("Model probability", em["model_stratified_5fold"])}
{metric_row("Combined score (model + lexicon)", em["combined_score_stratified_5fold"])}

These measure the proxy (politics sentences), not election-news detection. The lexicon
matched {em["combined_score_stratified_5fold"]["lexicon_hit_rows"]} of {el_data["rows"]} SIB-200 sentences.

## Sanity check (not a benchmark)

Two real Indonesian election articles (`sample/seed_articles/`) against the
{pr["n"]} Pratiwi hoax-dataset articles, none of which is about elections. Too few
examples to estimate accuracy; it only checks the score behaves sensibly.

| Seed article | p_model | election_score | election_terms |
|---|---|---|---|
{seed_rows}

Pratiwi articles: {pr["count_election_score_ge_0_5"]} of {pr["n"]}
({100 * pr["share_election_score_ge_0_5"]:.1f}%) score >= 0.5 (model alone:
{100 * pr["share_model_probability_ge_0_5"]:.1f}%; {100 * pr["share_with_any_lexicon_hit"]:.1f}% contain
at least one lexicon term); median {pr["election_score_median"]:.3f}, 90th percentile
{pr["election_score_p90"]:.3f}. Highest: {highest}.

Articles scoring >= 0.5 by Pratiwi topic: {by_topic}. Almost all of this comes from the
model, not the lexicon: the SIB-200 "politics" proxy fires on government, protest and
regulation wording (e.g. the "Facebook will be shut down in Indonesia" and "Reog burned in
the Philippines" claims). {pr["count_with_strong_lexicon_term"]} Pratiwi article(s) mention a
strong election term in passing (e.g. `pilpres`), so "none is about elections" is only
approximately true. Read a high election_score as "political/governmental, possibly election"
unless `election_terms` starts with lexicon terms.

## Caveats

{caveats_e}
""",
        encoding="utf-8",
    )

    seed_list = ", ".join(f"{s['election_score']:.2f}" for s in sc["seed_articles"])
    (CLASSIFIERS_DIR / "README.md").write_text(
        f"""# classifiers/

Two small scikit-learn text classifiers used by `saring/score.py`. This file, the model
cards (`*.json`, `*.md`) and the model files (`*.skops`) are all written by `train.py`.

## Retrain

```
make train                     # = .venv/bin/python classifiers/train.py
```

Deterministic (fixed seeds, single-threaded); about one minute on 2 cores. With the same
data and library versions the `.skops` files are byte-identical between runs (train.py
renumbers skops' memory-address ids and fixes zip timestamps), so their sha256 is stable;
the version string `<name>-<training date>-<sha256[:8]>` changes with the date or the model.
`saring.score.load_scorer()` refuses a model file whose sha256 does not match its card.
Models are loaded with skops, accepting only scikit-learn / NumPy / SciPy / builtins /
`saring.` types. Set `SARING_MODELS=/path/to/dir` to load models from elsewhere.

| Model | Version | Card |
|---|---|---|
| hoax | `{hx["version"]}` | [hoax.md](hoax.md), [hoax.json](hoax.json) |
| election | `{el["version"]}` | [election.md](election.md), [election.json](election.json) |

## Data sources and licences

- **Hoax model** — {DATA_SOURCES["hoax"]["citation"]} Licence: **{DATA_SOURCES["hoax"]["licence"]}**.
  Copy taken from {DATA_SOURCES["hoax"]["copy_used"]}. File
  `{hx_data["file"]}` (9 of the 12 claims; the 3 political claims are held out and not in
  this repository). Details: `{DATA_SOURCES["hoax"]["details"]}`.
- **Election model** — {DATA_SOURCES["election"]["citation"]} Licence:
  **{DATA_SOURCES["election"]["licence"]}**. Copy taken from
  {DATA_SOURCES["election"]["copy_used"]}. File `{el_data["file"]}` (train+dev; the test split
  is held out). Details: `{DATA_SOURCES["election"]["details"]}`. Redistributed derivatives of
  the data itself must stay CC BY-SA 4.0.

## Metrics (honest version)

Hoax (pooled out-of-fold; **the cross-topic row is the number to trust**):

{METRIC_HEADER}
{metric_row("hoax, cross-topic (leave-one-topic-out)", cross)}
{metric_row("hoax, within-topic (stratified 5-fold, optimistic)", within)}
{metric_row("election model, SIB-200 politics proxy (5-fold)", em["model_stratified_5fold"])}
{metric_row("election combined, SIB-200 proxy (5-fold)", em["combined_score_stratified_5fold"])}

The hoax model is barely better than chance on unseen claims (see [hoax.md](hoax.md)).

Election sanity check (not a benchmark): seed election articles score {seed_list};
{100 * pr["share_election_score_ge_0_5"]:.1f}% of the {pr["n"]} Pratiwi (non-election) articles
score >= 0.5, mostly government/protest stories (see [election.md](election.md)).

Neither model has been evaluated on real Indonesian election misinformation: no such
labelled data is in this repository. Treat both scores as triage signals for people.
""",
        encoding="utf-8",
    )


def main() -> None:
    """Train both models, write cards and README."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    np.random.seed(SEED)
    created = dt.date.today()
    t0 = time.perf_counter()
    hx = train_hoax(created)
    el = train_election(created)
    el["sanity_check"] = sanity_check(el)
    write_json(CLASSIFIERS_DIR / "election.json", el)
    write_markdown(hx, el)
    logger.info("done in %.1fs: %s / %s", time.perf_counter() - t0, hx["version"], el["version"])


if __name__ == "__main__":
    main()
