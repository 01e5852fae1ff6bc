"""Train saring's shipped classifiers: choose the model by cross-validation, fit on the
fixed training split, measure on the fixed held-out split, write models + cards.

Run from the repository root::

    .venv/bin/python classifiers/train.py      # or: make train

Outputs in ``classifiers/``: ``{hoax,election}.skops`` + ``.json`` + ``.md`` model cards,
``data/heldout/*.csv`` (the held-out data, for ``saring evaluate``) and ``README.md``
metrics filled from the cards. Deterministic (fixed seeds, single-threaded).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

CLASSIFIERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = CLASSIFIERS_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from saring.score import combine_election, lexicon_hits, lexicon_probability, load_scorer  # noqa: E402
from saring.textnorm import normalize_texts  # noqa: E402
from saring.training import (  # noqa: E402
    HELDOUT_DIR,
    HOAX_CSV,
    HOAX_HELDOUT_TOPICS,
    SEED,
    SIB_CSV,
    base_splits,
    binary_metrics,
    build_pipeline,
    describe,
    fit_version,
    sha256_file,
    write_json,
)

logger = logging.getLogger("classifiers.train")

CANDIDATES: list[dict[str, Any]] = [
    {"features": "word", "clf": "lr", "C": 0.3},
    {"features": "word", "clf": "lr", "C": 1.0},
    {"features": "word", "clf": "lr", "C": 3.0},
    {"features": "word", "clf": "lr", "C": 10.0},
    {"features": "word", "clf": "svm", "C": 0.1},
    {"features": "word", "clf": "svm", "C": 1.0},
    {"features": "word", "clf": "cnb", "C": 1.0},
    {"features": "word+char", "clf": "lr", "C": 1.0},
]
CHAR_MARGIN = 0.02
"""word+char features cut scoring speed ~5x; they are chosen only if better by this margin."""


def oof(frame: pd.DataFrame, cfg: dict[str, Any], splitter) -> np.ndarray:
    texts = np.asarray(frame["text"].tolist(), dtype=object)
    y = frame["label"].to_numpy(dtype=int)
    out = np.full(len(y), np.nan)
    for tr, te in splitter:
        model = clone(build_pipeline(cfg)).fit(list(texts[tr]), y[tr])
        out[te] = model.predict_proba(list(texts[te]))[:, 1]
    return out


def select(frame: pd.DataFrame, grouped: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    y = frame["label"].to_numpy(dtype=int)
    rows = []
    for cfg in CANDIDATES:
        t0 = time.perf_counter()
        if grouped:
            split = LeaveOneGroupOut().split(frame, y, groups=frame["topic_id"].to_numpy())
        else:
            split = StratifiedKFold(5, shuffle=True, random_state=SEED).split(frame, y)
        m = binary_metrics(y, oof(frame, cfg, split))
        rows.append({"config": cfg, "model": describe(cfg), "roc_auc": m["roc_auc"], "f1": m["f1"],
                     "brier": m["brier"], "seconds": round(time.perf_counter() - t0, 1)})
        logger.info("%s: %s", describe(cfg), rows[-1])
    word = [r for r in rows if r["config"]["features"] == "word"]
    best = max(word, key=lambda r: (r["roc_auc"], -r["brier"]))
    best_char = max((r for r in rows if r["config"]["features"] != "word"), key=lambda r: r["roc_auc"])
    chosen = best_char if best_char["roc_auc"] > best["roc_auc"] + CHAR_MARGIN else best
    return chosen["config"], rows


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    created = dt.date.today()
    t_all = time.perf_counter()
    sp = base_splits()
    HELDOUT_DIR.mkdir(parents=True, exist_ok=True)
    sp.hoax_cross[["row_id", "topic_id", "topic_keyword", "text", "label"]].to_csv(
        HELDOUT_DIR / "hoax_cross_topic.csv", index=False)
    sp.hoax_within[["row_id", "topic_id", "topic_keyword", "text", "label"]].to_csv(
        HELDOUT_DIR / "hoax_within_topic.csv", index=False)
    sp.election_heldout[["index_id", "category", "text", "label"]].to_csv(
        HELDOUT_DIR / "election_sib200.csv", index=False)

    hx_cfg, hx_rows = select(sp.hoax_train, grouped=True)
    el_cfg, el_rows = select(sp.election_train, grouped=False)
    t0 = time.perf_counter()
    cards = fit_version(CLASSIFIERS_DIR, sp.hoax_train, sp.election_train, hx_cfg, el_cfg, created)
    fit_seconds = round(time.perf_counter() - t0, 1)

    scorer = load_scorer(CLASSIFIERS_DIR)
    def ev(frame: pd.DataFrame, task: str) -> dict[str, Any]:
        el, hx = scorer.probabilities(frame["text"].tolist())
        return binary_metrics(frame["label"].to_numpy(dtype=int), hx if task == "hoax" else el)

    # Does the lexicon help? Model-only vs served (combined) score, on data never trained on.
    seeds = sorted((REPO_ROOT / "sample" / "seed_articles").glob("*.txt"))
    news = pd.concat([
        pd.DataFrame({"text": [p.read_text(encoding="utf-8") for p in seeds], "label": 1}),
        pd.DataFrame({"text": pd.read_csv(HOAX_CSV)["berita"], "label": 0}),
    ], ignore_index=True)

    def lex_compare(frame: pd.DataFrame) -> dict[str, Any]:
        norm = normalize_texts(frame["text"].tolist())
        pm = scorer._election.proba(scorer._election.transform_normalized(norm))
        plex = np.array([lexicon_probability(lexicon_hits(t)) for t in norm])
        comb = np.array([combine_election(a, b) for a, b in zip(pm, plex, strict=True)])
        y = frame["label"].to_numpy(dtype=int)
        return {"model_only": binary_metrics(y, pm), "lexicon_only": binary_metrics(y, plex),
                "combined": binary_metrics(y, comb)}

    heldout = {
        "hoax_cross_topic": ev(sp.hoax_cross, "hoax"),
        "hoax_within_topic": ev(sp.hoax_within, "hoax"),
        "election_sib200": ev(sp.election_heldout, "election"),
        "election_lexicon_sib200": lex_compare(sp.election_heldout),
        "election_lexicon_news_sanity": lex_compare(news),
    }
    common = {"training_data_files": {
        "hoax": {"file": str(HOAX_CSV.relative_to(REPO_ROOT)), "sha256": sha256_file(HOAX_CSV),
                 "licence": "CC BY 4.0",
                 "citation": "Pratiwi, Asmara, Rahutomo (2017), doi:10.17632/p3hfgr5j3m.1"},
        "election": {"file": str(SIB_CSV.relative_to(REPO_ROOT)), "sha256": sha256_file(SIB_CSV),
                     "licence": "CC BY-SA 4.0", "citation": "Adelani et al. (2023), arXiv:2309.07445"}},
        "split": {"hoax_heldout_topics": list(HOAX_HELDOUT_TOPICS), "hoax_within_fraction": 0.15,
                  "election_heldout_fraction": 0.2, "seed": SEED,
                  "rows": {"hoax_train": len(sp.hoax_train), "hoax_cross": len(sp.hoax_cross),
                           "hoax_within": len(sp.hoax_within), "election_train": len(sp.election_train),
                           "election_heldout": len(sp.election_heldout)},
                  "hoax_duplicates_removed": sp.notes["hoax_duplicate_groups"]},
        "heldout_metrics": heldout, "fit_seconds_both": fit_seconds}
    for name, rows, cfg in (("hoax", hx_rows, hx_cfg), ("election", el_rows, el_cfg)):
        card = cards[name]
        card.update(common)
        card["model_selection"] = {
            "protocol": "leave-one-claim-out CV on the 7 training claims" if name == "hoax"
            else "stratified 5-fold CV on the SIB-200 training split",
            "rule": "highest ROC-AUC among word-only candidates; "
                    f"word+char only if better by > {CHAR_MARGIN}",
            "chosen": cfg, "candidates": rows}
        write_json(CLASSIFIERS_DIR / f"{name}.json", card)
        write_markdown(name, card)
    logger.info("done in %.1fs", time.perf_counter() - t_all)


def fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def row(label: str, m: dict[str, Any]) -> str:
    return (f"| {label} | {m['n']} | {fmt(m['roc_auc'])} | {fmt(m['precision'])} | {fmt(m['recall'])} | "
            f"{fmt(m['f1'])} | {fmt(m['brier'])} (prior {fmt(m['brier_prior_baseline'])}) |")


HEADER = ("| Held-out set | n | ROC-AUC | Precision@0.5 | Recall@0.5 | F1@0.5 | Brier |\n"
          "|---|---|---|---|---|---|---|")


def write_markdown(name: str, card: dict[str, Any]) -> None:
    h = card["heldout_metrics"]
    sel = "\n".join(f"| {r['model']} | {fmt(r['roc_auc'])} | {fmt(r['f1'])} | {fmt(r['brier'])} | "
                    f"{r['seconds']} |"
                    for r in card["model_selection"]["candidates"])
    if name == "hoax":
        metrics = "\n".join([HEADER,
                             row("cross-topic: 2 unseen claims (hoax_cross_topic.csv)",
                                 h["hoax_cross_topic"]),
                             row("within-topic: 15% of training claims' articles (optimistic)",
                                 h["hoax_within_topic"])])
    else:
        lx, ln = h["election_lexicon_sib200"], h["election_lexicon_news_sanity"]
        metrics = "\n".join([HEADER, row("SIB-200 held-out 20%, served score", h["election_sib200"]),
                             row("SIB-200 held-out, model only", lx["model_only"]),
                             row("SIB-200 held-out, lexicon only", lx["lexicon_only"]),
                             row("news sanity (2 election articles vs 450 Pratiwi), model only",
                                 ln["model_only"]),
                             row("news sanity, lexicon only", ln["lexicon_only"]),
                             row("news sanity, combined (served)", ln["combined"])])
    (CLASSIFIERS_DIR / f"{name}.md").write_text(f"""# Model card: {name} (`{card['version']}`)

**Pipeline.** {card['pipeline']} (one scikit-learn Pipeline; normalisation =
`saring.textnorm.normalize_texts`). Trained {card['created']} with scikit-learn
{card['sklearn_version']} on {card['training_rows']} rows ({card['label_counts']}). sha256 `{card['sha256']}`.
Data: `{card['training_data_files'][name]['file']}` ({card['training_data_files'][name]['licence']};
{card['training_data_files'][name]['citation']}).

## Held-out metrics (data this model never trained on; reproduce with `saring evaluate`)

{metrics}

## Model selection ({card['model_selection']['protocol']}; training split only)

Rule: {card['model_selection']['rule']}. Chosen: `{card['model_selection']['chosen']}`.

| Candidate | ROC-AUC | F1@0.5 | Brier | seconds |
|---|---|---|---|---|
{sel}
""", encoding="utf-8")


if __name__ == "__main__":
    main()
