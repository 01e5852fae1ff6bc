"""Evaluate the current (or a given) model version on a labelled CSV/parquet file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from saring.judge.labels import AMBIGUOUS_ADVICE, _parse_value, is_ambiguous
from saring.judge.scorefile import ScoreFileError, cell_text, find_column, read_table, sheet_row


def evaluate_frame(scorer: Any, texts: list[str], labels: list[int], task: str,
                   threshold: float = 0.5) -> dict[str, Any]:
    """Score texts and compute metrics for one task (``hoax`` or ``election``)."""
    from saring.judge.classifier.metrics import binary_metrics

    election, hoax = scorer.probabilities(texts)
    p = hoax if task == "hoax" else election
    return binary_metrics(np.asarray(labels, dtype=int), p, threshold)


def evaluate_file(scorer: Any, path: str, task: str, text_column: str = "text",
                  label_column: str = "label", threshold: float = 0.5) -> dict[str, Any]:
    """Read a labelled file, drop rows without text or label (counted), evaluate."""
    if task not in ("hoax", "election"):
        raise ScoreFileError(f"--task must be 'hoax' or 'election', not {task!r}")
    frame = read_table(path, text_column, (label_column,))
    text_column = find_column(frame, text_column, path, "--text-column")
    label_column = find_column(frame, label_column, path, "--label-column")
    texts, labels, skipped, bad, ambiguous = [], [], 0, [], False
    for i, (t, raw) in enumerate(zip(frame[text_column], frame[label_column], strict=True)):
        v = _parse_value(raw)
        if isinstance(v, str):
            bad.append(sheet_row(frame, i))
            ambiguous = ambiguous or is_ambiguous(raw)
            continue
        text = cell_text(t)
        if v is None or not text.strip():
            skipped += 1
            continue
        texts.append(text)
        labels.append(v)
    if bad:
        raise ScoreFileError(f"{path}: column {label_column!r} must hold 0/1; bad values on "
                             f"line(s) {', '.join(map(str, bad[:10]))}"
                             + (f" ({AMBIGUOUS_ADVICE})" if ambiguous else ""))
    if not texts:
        raise ScoreFileError(f"{path} has no row with both text and a label")
    metrics = evaluate_frame(scorer, texts, labels, task, threshold)
    metrics["undefined"] = undefined_rates(metrics)
    for name in metrics["undefined"]:
        metrics[name] = None
    metrics["skipped_rows"] = skipped
    metrics["file"] = str(Path(path))
    metrics["task"] = task
    metrics["model_version"] = scorer.model_version
    return metrics


def undefined_rates(m: dict[str, Any]) -> dict[str, str]:
    """Precision, recall and F1 that are 0 of 0 here, each with why. binary_metrics gives them as 0
    (the model cards and the retrain gate keep that), but shown to an analyst 0 reads as measured."""
    c = m["confusion"]
    none_flagged = f"no item scored at or above the threshold {m['threshold']:g}"
    none_labelled = "no item labelled 1 in the file"
    out = {}
    if c["tp"] + c["fp"] == 0:
        out["precision"] = none_flagged
    if c["tp"] + c["fn"] == 0:
        out["recall"] = none_labelled
    if c["tp"] + c["fp"] + c["fn"] == 0:
        out["f1"] = f"{none_labelled}, and {none_flagged}"
    return out


def format_metrics(m: dict[str, Any]) -> str:
    """Plain-text report for the terminal."""
    def f(v: Any) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    def rate(name: str) -> str:
        why = m.get("undefined", {}).get(name)
        return f"{f(m[name])}  ({why})" if why else f(m[name])

    c = m["confusion"]
    lines = [
        f"task {m['task']}  file {m['file']}  model {m['model_version']}",
        f"rows evaluated {m['n']} (positives {m['positives']}), skipped (no text/label) {m['skipped_rows']}",
        f"threshold  {m['threshold']:g}",  # as given: 0.333 is not 0.33
        f"precision  {rate('precision')}",
        f"recall     {rate('recall')}",
        f"F1         {rate('f1')}",
        f"ROC-AUC    {f(m['roc_auc'])}",
        f"PR-AUC     {f(m.get('pr_auc'))}",
        f"Brier      {f(m['brier'])}  (always answering the base rate: {f(m['brier_prior_baseline'])})",
        "confusion matrix (rows = true, columns = predicted)",
        "            pred 0  pred 1",
        f"  true 0  {c['tn']:>7} {c['fp']:>7}",
        f"  true 1  {c['fn']:>7} {c['tp']:>7}",
    ]
    return "\n".join(lines)
