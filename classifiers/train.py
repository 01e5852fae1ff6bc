"""Train saring's shipped classifiers: choose each configuration by validation on the training
split only, fit, measure on the fixed held-out data, write models, cards and the README tables.

Run from the repository root::

    .venv/bin/python classifiers/train.py      # or: make train   (add --quick to skip selection)

Outputs in ``classifiers/``: ``{hoax,election}.skops`` + ``.json`` + ``.md`` model cards,
``data/heldout/*.csv`` (the held-out data, for ``saring evaluate``), and the metrics tables in
``README.md`` and ``classifiers/README.md`` (between their ``classifier-table`` markers).
Deterministic (fixed seeds, single-threaded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CLASSIFIERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = CLASSIFIERS_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from saring.config import DigestSettings  # noqa: E402
from saring.judge.classifier.metrics import binary_metrics  # noqa: E402
from saring.judge.classifier.modelfiles import sha256_file, write_json  # noqa: E402
from saring.judge.classifier.score import load_scorer  # noqa: E402
from saring.judge.classifier.training import (  # noqa: E402
    ELECTION_HELDOUT_FROM,
    HELDOUT_DIR,
    HOAX_CSV,
    HOAX_HELDOUT_TOPICS,
    NEWS_CSV,
    NEWS_WEIGHT,
    SEED,
    SIB_CSV,
    TWEET_HELDOUT_SHARE,
    TWEETS_CSV,
    base_splits,
    fit_version,
)
from saring.judge.classifier.validation import (  # noqa: E402
    cut,
    election_report,
    grouped_oof,
    hoax_report,
    leave_one_outlet_out,
    news_contrast,
)

logger = logging.getLogger("classifiers.train")

HOAX_CANDIDATES: list[dict[str, Any]] = [
    {"C": 0.5, "char_lead": 300},
    {"C": 0.5, "char_lead": 0},
    {"C": 1.0, "char_lead": 300},
    {"C": 0.25, "char_lead": 300},
]
ELECTION_CANDIDATES: list[dict[str, Any]] = [
    {"C": 1.0, "ngrams": 1, "short_copies": [25, 50]},
    {"C": 1.0, "ngrams": 2, "short_copies": [25, 50]},
    {"C": 1.0, "ngrams": 1, "short_copies": [10, 25, 50]},
    {"C": 0.3, "ngrams": 1, "dpt_shorthand": False},  # shipped until 2026-11-29
]
ELECTION_CUTS = (10, 25, 50)
"""The election model is also chosen on articles cut to these lengths: posts are that short."""
BANDS = {"sedang (>= 0.4)": DigestSettings().medium, "tinggi (>= 0.7)": DigestSettings().high}

DATA = {
    "pratiwi": {
        "file": HOAX_CSV,
        "licence": "CC BY 4.0",
        "citation": "Pratiwi, Asmara, Rahutomo (2017), Mendeley Data, doi:10.17632/p3hfgr5j3m.1",
    },
    "idnhoax": {
        "file": TWEETS_CSV,
        "licence": "MIT (Copyright (c) 2024 Gus nanang syaifuddiin)",
        "citation": "Arifin et al. (2023), JIST 11(2), doi:10.52547/jist.33532.11.42.94; "
        "Arifin et al. (2023), Informatica 46(9)",
    },
    "indosum": {
        "file": NEWS_CSV,
        "licence": "CC BY-SA 4.0 (share-alike)",
        "citation": "Kurniawan & Louvan (2018), IndoSum, IALP 2018, doi:10.1109/IALP.2018.8629109",
    },
    "sib200": {
        "file": SIB_CSV,
        "licence": "CC BY-SA 4.0",
        "citation": "Adelani et al. (2023), SIB-200, arXiv:2309.07445 (proxy metric only)",
    },
}


def select(task: str, frame: pd.DataFrame, candidates: list[dict[str, Any]]) -> tuple[dict, list, dict]:
    """Validate each candidate on the training split; return (chosen, rows, oof of the chosen)."""
    rows, oofs = [], {}
    for i, cfg in enumerate(candidates):
        t0 = time.perf_counter()
        oof = grouped_oof(task, frame, cfg, cuts=(25,) if task == "hoax" else ELECTION_CUTS)
        if task == "hoax":
            rep = hoax_report(frame, oof, BANDS)
            key = (rep["full"]["roc_auc"] + rep["cut25"]["roc_auc"]) / 2
            row = {
                "config": cfg,
                "roc_auc": rep["full"]["roc_auc"],
                "roc_auc_cut25": rep["cut25"]["roc_auc"],
                "within_claim_cut25": rep["cut25"]["within_claim"]["auc"],
                "score": round(key, 4),
            }
        else:
            rep = election_report(frame["label"], oof["full"])
            short = {n: election_report(frame["label"], oof[f"cut{n}"])["f1"] for n in ELECTION_CUTS}
            key = (rep["f1"] + sum(short.values())) / (1 + len(short)) + 0.01 * (rep["pr_auc"] or 0)
            row = {
                "config": cfg,
                "f1": rep["f1"],
                **{f"f1_cut{n}": f1 for n, f1 in short.items()},
                "pr_auc": rep["pr_auc"],
                "roc_auc": rep["roc_auc"],
                "score": round(key, 4),
            }
        row["seconds"] = round(time.perf_counter() - t0, 1)
        logger.info("%s candidate %s: %s", task, cfg, row)
        rows.append(row)
        oofs[i] = oof
    best = max(range(len(rows)), key=lambda i: rows[i]["score"])
    return candidates[best], rows, oofs[best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip model selection (use the defaults)")
    parser.add_argument("--tables", action="store_true",
                        help="only rewrite the .md cards and the README tables from the .json cards")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.tables:
        cards = {t: json.loads((CLASSIFIERS_DIR / f"{t}.json").read_text(encoding="utf-8"))
                 for t in ("hoax", "election")}
        write_cards_md(cards)
        update_tables(cards)
        return
    created = dt.date.today()
    t_all = time.perf_counter()
    sp = base_splits()
    write_heldout(sp)

    hx_candidates = HOAX_CANDIDATES[:1] if args.quick else HOAX_CANDIDATES
    el_candidates = ELECTION_CANDIDATES[:1] if args.quick else ELECTION_CANDIDATES
    hx_cfg, hx_rows, hx_oof = select("hoax", sp.hoax_train, hx_candidates)
    el_cfg, el_rows, el_oof = select("election", sp.election_train, el_candidates)

    t0 = time.perf_counter()
    cards = fit_version(CLASSIFIERS_DIR, sp.hoax_train, sp.election_train, hx_cfg, el_cfg, created)
    fit_seconds = round(time.perf_counter() - t0, 1)
    scorer = load_scorer(CLASSIFIERS_DIR)

    def hoax_probs(texts: list[str]) -> np.ndarray:
        return scorer.probabilities(texts)[1]

    def election_probs(texts: list[str]) -> np.ndarray:
        return scorer.probabilities(texts)[0]

    held = sp.hoax_heldout
    held_scores = {
        "full": hoax_probs(held["text"].astype(str).tolist()),
        "cut25": hoax_probs(cut(held["text"].astype(str).tolist())),
    }
    news_held = sp.election_heldout
    hoax_texts = held.loc[held["label"] == 1, "text"].astype(str).tolist()
    el_held = election_probs(news_held["text"].astype(str).tolist())
    el_held_cut = election_probs(cut(news_held["text"].astype(str).tolist()))
    lolo = leave_one_outlet_out(sp.election_train, el_cfg)
    ok = ~np.isnan(lolo)
    hoax_metrics = {
        "grouped_cv": hoax_report(sp.hoax_train, hx_oof, BANDS),
        "heldout_claims": hoax_report(held, held_scores, BANDS),
        "heldout_pratiwi_claims": hoax_report(
            held[held["dataset"] == "pratiwi"],
            {k: v[(held["dataset"] == "pratiwi").to_numpy()] for k, v in held_scores.items()},
            BANDS,
        ),
        "narrative_vs_news": news_contrast(
            hoax_texts, news_held.loc[news_held["label"] == 1, "text"].astype(str).tolist(), hoax_probs
        ),
    }
    election_metrics = {
        "time_split": election_report(news_held["label"], el_held),
        "time_split_cut25": election_report(news_held["label"], el_held_cut),
        "grouped_cv_by_month": election_report(sp.election_train["label"], el_oof["full"]),
        **{f"grouped_cv_by_month_cut{n}": election_report(sp.election_train["label"], el_oof[f"cut{n}"])
           for n in ELECTION_CUTS},
        "leave_one_outlet_out": election_report(sp.election_train["label"].to_numpy()[ok], lolo[ok]),
        "sib200_proxy": binary_metrics(
            sp.sib_heldout["label"], election_probs(sp.sib_heldout["text"].astype(str).tolist())
        ),
    }
    common = {
        "training_data_files": {
            k: {
                "file": str(v["file"].relative_to(REPO_ROOT)),
                "sha256": sha256_file(v["file"]),
                "licence": v["licence"],
                "citation": v["citation"],
            }
            for k, v in DATA.items()
        },
        "split": {
            "hoax_heldout_pratiwi_topics": list(HOAX_HELDOUT_TOPICS),
            "hoax_heldout_idnhoax_claim_share": TWEET_HELDOUT_SHARE,
            "election_heldout_from": ELECTION_HELDOUT_FROM,
            "news_weight_in_hoax": NEWS_WEIGHT,
            "seed": SEED,
            "rows": {
                "hoax_train": len(sp.hoax_train),
                "hoax_heldout": len(sp.hoax_heldout),
                "election_train": len(sp.election_train),
                "election_heldout": len(sp.election_heldout),
            },
        },
        "fit_seconds_both": fit_seconds,
    }
    selections = {
        "hoax": (
            hx_cfg,
            hx_rows,
            "5-fold cross-validation split by claim (StratifiedGroupKFold) "
            "on the training split; score = mean of ROC-AUC whole and cut "
            "to 25 words",
        ),
        "election": (
            el_cfg,
            el_rows,
            "5-fold cross-validation split by month on the training "
            "split; score = mean of F1 at the served cut-off 0.5 on whole "
            "articles and on articles cut to 10, 25 and 50 words",
        ),
    }
    for task, metrics in (("hoax", hoax_metrics), ("election", election_metrics)):
        card = cards[task]
        card.update(common)
        card["metrics"] = metrics
        cfg, rows, protocol = selections[task]
        card["model_selection"] = {"protocol": protocol, "chosen": cfg, "candidates": rows}
        write_json(CLASSIFIERS_DIR / f"{task}.json", card)
    write_cards_md(cards)
    update_tables(cards)
    logger.info("done in %.1fs", time.perf_counter() - t_all)


def write_heldout(sp: Any) -> None:
    """The fixed held-out data as files ``saring evaluate`` reads."""
    HELDOUT_DIR.mkdir(parents=True, exist_ok=True)
    held = sp.hoax_heldout
    pratiwi = held[held["dataset"] == "pratiwi"]
    pratiwi[["row_id", "topic_id", "text", "label"]].astype({"topic_id": int}).to_csv(
        HELDOUT_DIR / "hoax_cross_topic.csv", index=False
    )
    held[held["dataset"] == "idnhoax"][["row_id", "group", "text", "label"]].to_csv(
        HELDOUT_DIR / "idnhoax_heldout_claims.csv", index=False
    )
    sp.election_heldout[["row_id", "date", "outlet", "text", "label"]].to_csv(
        HELDOUT_DIR / "election_indosum_newest.csv", index=False
    )
    sp.sib_heldout.to_csv(HELDOUT_DIR / "election_sib200.csv", index=False)
    stale = HELDOUT_DIR / "hoax_within_topic.csv"
    if stale.exists():  # v1's "within-topic" split is training data now
        stale.unlink()


def fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def hoax_rows(card: dict[str, Any]) -> list[str]:
    m = card["metrics"]
    cv, held, pr = m["grouped_cv"], m["heldout_claims"], m["heldout_pratiwi_claims"]
    news = m["narrative_vs_news"]

    def line(label: str, r: dict[str, Any], target: str = "") -> str:
        bands = r.get("risk_bands", {})
        hi = bands.get("tinggi (>= 0.7)", {})
        return (
            f"| {label} | {r['n']} | {fmt(r['roc_auc'])} | {fmt(r['pr_auc'])} | {fmt(r['brier'])} "
            f"| {fmt(hi.get('precision'))} / {fmt(hi.get('recall'))} | {target} |"
        )

    return [
        line("hoax, grouped CV by claim (Pratiwi + IDNHoaxCorpus training claims)", cv["full"], ">= 0.80"),
        line("hoax, grouped CV, every text cut to 25 words", cv["cut25"], ">= 0.80"),
        f"| hoax, narrative vs clarification: same-claim pairs only, cut to 25 words (grouped CV) "
        f"| {cv['cut25']['within_claim']['pairs']} pairs | {fmt(cv['cut25']['within_claim']['auc'])} "
        f"| | | | >= 0.75 |",
        line("hoax, held-out claims never trained on (2 Pratiwi + 1/5 of IDNHoaxCorpus)", held["full"]),
        line("hoax, held-out claims, cut to 25 words", held["cut25"]),
        f"| hoax, narrative vs clarification on the held-out claims, cut to 25 words "
        f"| {held['cut25']['within_claim']['pairs']} pairs | {fmt(held['cut25']['within_claim']['auc'])} "
        f"| | | | |",
        line("hoax, the 2 held-out Pratiwi claims (articles)", pr["full"]),
        f"| hoax, held-out hoax texts vs held-out real election news (IndoSum 2017-07/08) "
        f"| {news['full']['n']} | {fmt(news['full']['roc_auc'])} | {fmt(news['full']['pr_auc'])} | | | |",
        f"| hoax, the same, every text cut to 25 words | {news['cut25']['n']} "
        f"| {fmt(news['cut25']['roc_auc'])} | {fmt(news['cut25']['pr_auc'])} | | | |",
    ]


_PRIORS_NOTE = (
    "\nThe scores are calibrated for equal priors: training balances each labelled dataset by "
    "class (and adds IndoSum news as non-hoax), so a score of 0.5 means \"as likely hoax as not, "
    "before knowing how common hoaxes are\". These rows are {share:.0%} hoax texts, so the observed "
    "rate is expected above the mean score; the table checks that the rate rises with the score. "
    "Among a day's news, where hoaxes are rare, the observed rate at a given score is lower.\n"
)


def election_rows(card: dict[str, Any]) -> list[str]:
    m = card["metrics"]

    def line(label: str, r: dict[str, Any], target: str = "") -> str:
        ci = r.get("f1_ci95")
        f1 = f"{fmt(r['f1'])} [{fmt(ci[0])}, {fmt(ci[1])}]" if ci else fmt(r["f1"])
        return (
            f"| {label} | {r['n']} ({r['positives']} pos.) | {fmt(r['roc_auc'])} | {fmt(r['pr_auc'])} "
            f"| {fmt(r['precision'])} / {fmt(r['recall'])} | {f1} | {target} |"
        )

    return [
        line("election, newest months held out by time (IndoSum 2017-07/08)", m["time_split"], "F1 >= 0.85"),
        *([line("election, the same, every article cut to 25 words", m["time_split_cut25"])]
          if "time_split_cut25" in m else []),
        line("election, leave one outlet out (training months)", m["leave_one_outlet_out"]),
        line("election, grouped CV by month (training months)", m["grouped_cv_by_month"]),
        *(line(f"election, grouped CV by month, every article cut to {n} words", m[key])
          for n in ELECTION_CUTS if (key := f"grouped_cv_by_month_cut{n}") in m),
        line("election, SIB-200 politics sentences (a proxy: politics is not elections)", m["sib200_proxy"]),
    ]


def tables(cards: dict[str, dict[str, Any]]) -> str:
    hx, el = cards["hoax"], cards["election"]
    return "\n".join(
        [
            f"Models `{hx['version']}` and `{el['version']}` (written by `make train`, "
            f"{hx['created']}); every number is on data the measured model never trained on.",
            "",
            "| Hoax risk | n | ROC-AUC | PR-AUC | Brier | P / R at 'tinggi' (0.7) | target |",
            "|---|---|---|---|---|---|---|",
            *hoax_rows(hx),
            "",
            "| Election relevance (served score, cut-off 0.5) | n | ROC-AUC | PR-AUC | P / R "
            "| F1 [95 % CI] | target |",
            "|---|---|---|---|---|---|---|",
            *election_rows(el),
        ]
    )


_MARKERS = re.compile(r"(<!-- classifier-table:start -->\n).*?(<!-- classifier-table:end -->)", re.S)


def update_tables(cards: dict[str, dict[str, Any]]) -> None:
    block = tables(cards)
    for path in (REPO_ROOT / "README.md", CLASSIFIERS_DIR / "README.md"):
        text = path.read_text(encoding="utf-8")
        if _MARKERS.search(text):
            path.write_text(
                _MARKERS.sub(lambda m: m.group(1) + block + "\n" + m.group(2), text), encoding="utf-8"
            )
        else:
            logger.warning("%s has no classifier-table markers; table not written", path)


def write_cards_md(cards: dict[str, dict[str, Any]]) -> None:
    for task, card in cards.items():
        sel = card["model_selection"]
        cand = "\n".join(
            f"| `{r['config']}` | " + ", ".join(f"{k} {v}" for k, v in r.items() if k != "config") + " |"
            for r in sel["candidates"]
        )
        data = "\n".join(
            f"- **{k}**: `{v['file']}` — {v['licence']}; {v['citation']}"
            for k, v in card["training_data_files"].items()
        )
        rows = hoax_rows(card) if task == "hoax" else election_rows(card)
        header = (
            "| Set | n | ROC-AUC | PR-AUC | Brier | P / R at 0.7 | target |"
            if task == "hoax"
            else "| Set | n | ROC-AUC | PR-AUC | P / R | F1 [95 % CI] | target |"
        )
        extra = ""
        if task == "hoax":
            cal = card["metrics"]["grouped_cv"]["full"]["calibration"]
            extra = (
                "\n## Calibration (grouped CV, whole texts)\n\n"
                "| score bin | n | mean score | observed hoax rate |\n"
                "|---|---|---|---|\n"
                + "\n".join(
                    f"| {c['bin']} | {c['n']} | {c['mean_score']} | {c['observed_rate']} |" for c in cal
                )
                + "\n"
                + _PRIORS_NOTE.format(share=sum(c["n"] * c["observed_rate"] for c in cal)
                                      / max(1, sum(c["n"] for c in cal)))
            )
        else:
            extra = (
                f"\nOperating point: the calibrated probability {card['operating_point']:.3f} (the F1-best "
                "cut-off on out-of-fold scores of the training months) is served as 0.5.\n"
            )
            if card.get("short_operating_point"):
                extra += (
                    f"A text of at most {card['short_words']} words (a post, or an article's first lines) "
                    f"has its own: {card['short_operating_point']:.3f}, the F1-best cut-off on the "
                    "out-of-fold scores of the training articles cut short (`short_copies`).\n"
                )
        (CLASSIFIERS_DIR / f"{task}.md").write_text(
            f"""# Model card: {task} (`{card["version"]}`)

Trained {card["created"]} with scikit-learn {card["sklearn_version"]} on {card["training_rows"]} rows
({card["training_rows_by_dataset"]}; labels {card["label_counts"]}). sha256 `{card["sha256"]}`.
Pipeline format `{card["pipeline_format"]}`, configuration `{card["config"]}`; see
`classifiers/README.md` for the features and the combination with pipeline evidence.

## Data

{data}

## Metrics (data the model never trained on; reproduce with `make train`)

{header}
|---|---|---|---|---|---|---|
{chr(10).join(rows)}
{extra}
## Model selection ({sel["protocol"]})

Chosen: `{sel["chosen"]}`.

| candidate | results |
|---|---|
{cand}
""",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
