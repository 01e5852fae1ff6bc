"""Evaluation metrics shared by training, ``saring evaluate`` and the model cards.

Pure functions over label and score arrays (NumPy in, plain dicts out).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)

THRESHOLD = 0.5


def _r(v: float) -> float:
    return round(float(v), 4)


def binary_metrics(y: Any, p: Any, threshold: float = THRESHOLD) -> dict[str, Any]:
    """Precision/recall/F1 at ``threshold``, ROC-AUC, PR-AUC, Brier and the confusion matrix."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    pred = (p >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    both = len(set(y.tolist())) > 1
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "threshold": threshold,
        "precision": _r(precision_score(y, pred, zero_division=0)),
        "recall": _r(recall_score(y, pred, zero_division=0)),
        "f1": _r(f1_score(y, pred, zero_division=0)),
        "roc_auc": _r(roc_auc_score(y, p)) if both else None,
        "pr_auc": _r(average_precision_score(y, p)) if both else None,
        "brier": _r(brier_score_loss(y, p, pos_label=1)) if len(y) else None,
        "brier_prior_baseline": _r(y.mean() * (1 - y.mean())) if len(y) else None,
        "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


def at_thresholds(y: Any, p: Any, thresholds: dict[str, float]) -> dict[str, dict[str, float]]:
    """Precision and recall of "score >= t" for named cut-offs (the digest's risk bands)."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    out = {}
    for name, t in thresholds.items():
        pred = p >= t
        out[name] = {
            "threshold": t,
            "flagged": int(pred.sum()),
            "precision": _r(precision_score(y, pred, zero_division=0)),
            "recall": _r(recall_score(y, pred, zero_division=0)),
        }
    return out


def calibration_table(y: Any, p: Any, bins: int = 5) -> list[dict[str, float]]:
    """Mean score vs observed rate in equal-width score bins (the calibration curve as rows)."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if m.any():
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": int(m.sum()),
                    "mean_score": _r(p[m].mean()),
                    "observed_rate": _r(y[m].mean()),
                }
            )
    return rows


def best_f1_threshold(y: Any, s: Any) -> float:
    """The score cut-off with the highest F1 (ties: the highest cut-off)."""
    y = np.asarray(y, dtype=int)
    precision, recall, thresholds = precision_recall_curve(y, np.asarray(s, dtype=float))
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    best = np.flatnonzero(f1[:-1] == f1[:-1].max())[-1]
    return float(thresholds[best])


def bootstrap_f1(y: Any, pred: Any, n: int = 1000, seed: int = 20171) -> tuple[float, float]:
    """95 % bootstrap interval of F1 (positives are few, so the interval is wide)."""
    y = np.asarray(y, dtype=int)
    pred = np.asarray(pred, dtype=int)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        values.append(f1_score(y[i], pred[i], zero_division=0))
    lo, hi = np.percentile(values, [2.5, 97.5])
    return _r(lo), _r(hi)


def within_group_auc(y: Any, s: Any, groups: Any) -> dict[str, Any]:
    """ROC-AUC over pairs from the same group only (a hoax text vs a valid text of the same claim).

    Removes what differs *between* claims (topic, base rate) from the comparison.
    """
    y = np.asarray(y, dtype=int)
    s = np.asarray(s, dtype=float)
    g = np.asarray(groups)
    concordant = pairs = 0.0
    used = 0
    for name in np.unique(g):
        m = g == name
        pos, neg = s[m & (y == 1)], s[m & (y == 0)]
        if len(pos) and len(neg):
            diff = pos[:, None] - neg[None, :]
            concordant += (diff > 0).sum() + 0.5 * (diff == 0).sum()
            pairs += diff.size
            used += 1
    return {"auc": _r(concordant / pairs) if pairs else None, "pairs": int(pairs), "groups": used}
