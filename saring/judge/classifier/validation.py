"""Honest validation of a model configuration: nothing a fold tests was seen when fitting it.

* hoax: folds split by *claim* (Pratiwi topic, IDNHoaxCorpus claim; IndoSum news by outlet),
  every fold refits everything (vocabulary, cue scaling, calibration); each tested text is also
  scored cut to its first 25 words, so length and genre cannot carry the score.
* election: folds split by month (and, separately, leaving one outlet out).

Used by ``classifiers/train.py`` for model selection and the model cards.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from saring.judge.classifier.metrics import (
    at_thresholds,
    binary_metrics,
    bootstrap_f1,
    calibration_table,
    within_group_auc,
)
from saring.judge.classifier.score import at_operating_point, operating_points
from saring.judge.classifier.textfeatures import lead_words
from saring.judge.classifier.training import SEED, fit_model

CUT_WORDS = 25


def cut(texts: list[str], words: int = CUT_WORDS) -> list[str]:
    """Every text cut to its first ``words`` words."""
    return lead_words(texts, words)


def _predict(pipeline: Any, texts: list[str], points: dict[str, Any] | None = None) -> np.ndarray:
    """The pipeline's probabilities as the scorer serves them (moved to the operating points)."""
    return at_operating_point(pipeline.predict_proba(texts)[:, 1], operating_points(texts, points or {}))


def grouped_oof(
    task: str, frame: pd.DataFrame, config: dict[str, Any], folds: int = 5, group_column: str = "group",
    cuts: tuple[int, ...] = (CUT_WORDS,),
) -> dict[str, np.ndarray]:
    """Out-of-fold scores with folds split by group: ``full`` (whole texts) and ``cut<N>`` (each
    text cut to its first N words, for each N in ``cuts``)."""
    y = frame["label"].to_numpy(dtype=int)
    groups = frame[group_column].astype(str).to_numpy()
    texts = frame["text"].astype(str).tolist()
    out = {name: np.full(len(frame), np.nan) for name in ("full", *(f"cut{n}" for n in cuts))}
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train, test in splitter.split(texts, y, groups):
        fitted = fit_model(task, frame.iloc[train], config)
        test_texts = [texts[i] for i in test]
        out["full"][test] = _predict(fitted.pipeline, test_texts, fitted.points)
        for n in cuts:
            out[f"cut{n}"][test] = _predict(fitted.pipeline, cut(test_texts, n), fitted.points)
    return out


def hoax_report(
    frame: pd.DataFrame, scores: dict[str, np.ndarray], bands: dict[str, float]
) -> dict[str, Any]:
    """Metrics of hoax scores on labelled claims (IndoSum news rows, if any, are left out)."""
    keep = (frame["dataset"] != "indosum").to_numpy()
    f = frame[keep]
    y = f["label"].to_numpy(dtype=int)
    report: dict[str, Any] = {}
    for name, s in scores.items():
        s = s[keep]
        r = binary_metrics(y, s)
        r["by_dataset"] = {
            ds: binary_metrics(y[m], s[m])["roc_auc"]
            for ds in sorted(f["dataset"].unique())
            if (m := (f["dataset"] == ds).to_numpy()).any()
        }
        r["within_claim"] = within_group_auc(y, s, f["group"].to_numpy())
        r["risk_bands"] = at_thresholds(y, s, bands)
        r["calibration"] = calibration_table(y, s)
        report[name] = r
    return report


def news_contrast(hoax_texts: list[str], news_texts: list[str], scorer_probs: Any) -> dict[str, Any]:
    """ROC-AUC of hoax texts against real news (whole and cut to 25 words)."""
    out = {}
    y = np.r_[np.ones(len(hoax_texts)), np.zeros(len(news_texts))].astype(int)
    for name, transform in (("full", lambda t: t), ("cut25", cut)):
        s = np.r_[scorer_probs(transform(hoax_texts)), scorer_probs(transform(news_texts))]
        out[name] = binary_metrics(y, s)
    return out


def election_report(y: Any, s: Any) -> dict[str, Any]:
    """Metrics at the served cut-off 0.5 with a bootstrap interval for F1."""
    y = np.asarray(y, dtype=int)
    s = np.asarray(s, dtype=float)
    r = binary_metrics(y, s)
    r["f1_ci95"] = bootstrap_f1(y, s >= 0.5)
    return r


def leave_one_outlet_out(frame: pd.DataFrame, config: dict[str, Any]) -> np.ndarray:
    """Election scores of each outlet's articles from a model that never saw that outlet."""
    out = np.full(len(frame), np.nan)
    for outlet in sorted(frame["outlet"].unique()):
        m = (frame["outlet"] == outlet).to_numpy()
        if frame.loc[~m, "label"].nunique() < 2:
            continue
        fitted = fit_model("election", frame[~m], config)
        out[m] = _predict(fitted.pipeline, frame.loc[m, "text"].astype(str).tolist(), fitted.points)
    return out
