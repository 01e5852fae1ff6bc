"""Training library shared by ``classifiers/train.py`` (shipped models) and ``saring train``.

* :func:`build_pipeline` builds one scikit-learn ``Pipeline`` from a small config dict
  (``features``: ``word`` or ``word+char``; ``clf``: ``lr``, ``svm`` or ``cnb``; ``C``).
* :func:`base_splits` gives the **fixed held-out split** every model version is measured on:
  hoax = 2 whole claims (topics) never trained on ("cross-topic") plus 15% of the other
  claims' articles ("within-topic"); election = 20% of the SIB-200 sentences. Fixed seed.
* Forum labels (:mod:`saring.labels`) are split by a hash of the item id: 1 in 5 labelled
  items is held out for evaluation, forever, so no version ever trains on them.
* :func:`retrain` fits a candidate version on base-train + forum labels, evaluates it and the
  current version on the same held-out data, and promotes it only if it passes the gate.

Imports scikit-learn lazily-at-call is not needed here: this module is only imported by
training commands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from saring.score import ELECTION_LEXICON, LEXICON_RATE
from saring.textnorm import dedup_key, normalize_texts

SEED = 20171
THRESHOLD = 0.5
GATE_TOLERANCE = 0.01
"""A candidate is promoted when its gate metric is >= current - GATE_TOLERANCE."""

CLASSIFIERS_DIR = Path(__file__).resolve().parent.parent / "classifiers"
HOAX_CSV = CLASSIFIERS_DIR / "data" / "pratiwi2017_hoax" / "pratiwi2017_hoax_train.csv"
SIB_CSV = CLASSIFIERS_DIR / "data" / "sib200_ind_topic" / "sib200_ind_train_dev.csv"
HELDOUT_DIR = CLASSIFIERS_DIR / "data" / "heldout"

HOAX_HELDOUT_TOPICS: tuple[int, ...] = (2, 3)
"""Claims never trained on by any version (needle-prick for stroke; iPhone 6 bending),
drawn once with ``RandomState(20171).choice(topics, 2, replace=False)`` and then fixed."""

DEFAULT_CONFIG: dict[str, Any] = {"features": "word", "clf": "lr", "C": 1.0}


# --------------------------------------------------------------------------- pipeline


def build_pipeline(config: dict[str, Any] | None = None) -> Pipeline:
    """Build the unfitted pipeline ``normalize -> features -> calibrated linear model``."""
    cfg = {**DEFAULT_CONFIG, **(config or {})}
    parts = [
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, max_df=0.95,
                                 sublinear_tf=True, lowercase=False, dtype=np.float64)),
    ]
    if cfg["features"] == "word+char":
        parts.append(("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2,
                                              max_df=0.95, sublinear_tf=True, lowercase=False,
                                              dtype=np.float64)))
    if cfg["clf"] == "lr":
        base = LogisticRegression(C=cfg["C"], class_weight="balanced", solver="liblinear",
                                  max_iter=1000, random_state=SEED)
    elif cfg["clf"] == "svm":
        base = LinearSVC(C=cfg["C"], class_weight="balanced", random_state=SEED)
    elif cfg["clf"] == "cnb":
        base = ComplementNB(alpha=cfg.get("alpha", 1.0))
    else:
        raise ValueError(f"unknown classifier {cfg['clf']!r}")
    clf = CalibratedClassifierCV(base, method="sigmoid",
                                 cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED),
                                 ensemble=False)
    return Pipeline([
        ("normalize", FunctionTransformer(normalize_texts, validate=False)),
        ("features", FeatureUnion(parts)),
        ("clf", clf),
    ])


def describe(config: dict[str, Any]) -> str:
    cfg = {**DEFAULT_CONFIG, **config}
    feats = "word 1-2" if cfg["features"] == "word" else "word 1-2 + char_wb 3-5"
    name = {"lr": f"LogisticRegression(C={cfg['C']})", "svm": f"LinearSVC(C={cfg['C']})",
            "cnb": "ComplementNB(alpha=1)"}[cfg["clf"]]
    return f"TF-IDF {feats} -> {name}, sigmoid-calibrated"


# --------------------------------------------------------------------------- metrics


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float = THRESHOLD) -> dict[str, Any]:
    """Precision/recall/F1 at ``threshold``, ROC-AUC, Brier, confusion matrix."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    pred = (p >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "threshold": threshold,
        "precision": round(float(precision_score(y, pred, zero_division=0)), 4),
        "recall": round(float(recall_score(y, pred, zero_division=0)), 4),
        "f1": round(float(f1_score(y, pred, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if len(set(y.tolist())) > 1 else None,
        "brier": round(float(brier_score_loss(y, p, pos_label=1)), 4) if len(y) else None,
        "brier_prior_baseline": round(float(y.mean() * (1 - y.mean())), 4) if len(y) else None,
        "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
    }


# --------------------------------------------------------------------------- data


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_hoax() -> tuple[pd.DataFrame, pd.DataFrame, list[list[int]]]:
    """Pratiwi data, near-duplicates dropped (first kept): (raw, dedup, duplicate groups)."""
    raw = pd.read_csv(HOAX_CSV)
    key = raw["berita"].map(dedup_key)
    groups = [sorted(g["row_id"].tolist()) for _, g in raw.groupby(key) if len(g) > 1]
    dedup = raw.loc[~key.duplicated(keep="first")].reset_index(drop=True)
    return raw, dedup, groups


@dataclass
class Splits:
    """Fixed base-data splits (frames with columns text, label[, topic_id])."""

    hoax_train: pd.DataFrame
    hoax_cross: pd.DataFrame
    hoax_within: pd.DataFrame
    election_train: pd.DataFrame
    election_heldout: pd.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)


def base_splits() -> Splits:
    """The fixed held-out split (deterministic; see module docstring)."""
    _, hx, groups = load_hoax()
    hx = hx.rename(columns={"berita": "text"})[["row_id", "text", "label", "topic_id", "topic_keyword"]]
    cross = hx[hx["topic_id"].isin(HOAX_HELDOUT_TOPICS)].reset_index(drop=True)
    rest = hx[~hx["topic_id"].isin(HOAX_HELDOUT_TOPICS)]
    tr, within = train_test_split(rest, test_size=0.15, random_state=SEED,
                                  stratify=rest["topic_id"].astype(str) + "_" + rest["label"].astype(str))
    el = pd.read_csv(SIB_CSV)[["index_id", "text", "label", "category"]]
    el_tr, el_ho = train_test_split(el, test_size=0.2, random_state=SEED, stratify=el["label"])
    return Splits(
        hoax_train=tr.sort_values("row_id").reset_index(drop=True),
        hoax_cross=cross,
        hoax_within=within.sort_values("row_id").reset_index(drop=True),
        election_train=el_tr.sort_values("index_id").reset_index(drop=True),
        election_heldout=el_ho.sort_values("index_id").reset_index(drop=True),
        notes={"hoax_duplicate_groups": groups},
    )


def is_heldout_label(item_id: str) -> bool:
    """1 in 5 labelled items (by a hash of the id) is held out for evaluation, forever."""
    return int(hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:8], 16) % 5 == 0


# --------------------------------------------------------------------------- saving


_SKOPS_ID_RE = re.compile(r'("__id__": )(\d+)|("file": ")(\d+)(\.npy")')


def _make_zip_reproducible(path: Path) -> None:
    """Renumber skops' memory-address ids and fix zip timestamps (same model -> same bytes)."""
    with zipfile.ZipFile(path) as zin:
        entries = {info.filename: zin.read(info.filename) for info in zin.infolist()}
    mapping: dict[str, str] = {}

    def renumber(m: re.Match[str]) -> str:
        old = m.group(2) or m.group(4)
        new = mapping.setdefault(old, str(len(mapping) + 1))
        return m.group(1) + new if m.group(1) else m.group(3) + new + m.group(5)

    schema = _SKOPS_ID_RE.sub(renumber, entries.pop("schema.json").decode("utf-8"))
    out: dict[str, bytes] = {"schema.json": schema.encode("utf-8")}
    for filename, payload in entries.items():
        stem, _, ext = filename.partition(".")
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


def dump_model(model: Pipeline, name: str, out_dir: Path, created: dt.date,
               texts: list[str]) -> tuple[str, str]:
    """Write ``<out_dir>/<name>.skops`` reproducibly; return (sha256, version string)."""
    import skops.io as sio

    for _, vec in model.named_steps["features"].transformer_list:
        vec.stop_words_ = None
        if hasattr(vec, "_stop_words_id"):
            del vec._stop_words_id
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.skops"
    sio.dump(model, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    _make_zip_reproducible(path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    if not np.array_equal(model.predict_proba(texts[:50]), loaded.predict_proba(texts[:50])):
        raise RuntimeError(f"{path} does not reproduce the trained model's predictions")
    digest = sha256_file(path)
    return digest, f"{name}-{created:%Y.%m.%d}-{digest[:8]}"


def write_json(path: Path, obj: dict[str, Any]) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def card_common(name: str, version: str, digest: str, created: dt.date,
                config: dict[str, Any]) -> dict[str, Any]:
    import skops

    card: dict[str, Any] = {
        "name": name, "version": version, "created": created.isoformat(), "sha256": digest,
        "config": {**DEFAULT_CONFIG, **config}, "pipeline": describe(config),
        "sklearn_version": sklearn.__version__, "skops_version": skops.__version__,
        "python_version": sys.version.split()[0],
    }
    if name == "election":
        card["election_lexicon"] = {"terms": ELECTION_LEXICON, "rate": LEXICON_RATE}
    return card


# --------------------------------------------------------------------------- fit / evaluate / gate


def fit_version(out_dir: Path, hoax_train: pd.DataFrame, election_train: pd.DataFrame,
                hoax_config: dict[str, Any] | None = None, election_config: dict[str, Any] | None = None,
                created: dt.date | None = None,
                extra: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Fit both models on the given frames (columns text, label); write skops + cards to out_dir."""
    created = created or dt.date.today()
    cards = {}
    for name, frame, cfg in (("hoax", hoax_train, hoax_config),
                             ("election", election_train, election_config)):
        texts = frame["text"].astype(str).tolist()
        y = frame["label"].to_numpy(dtype=int)
        model = build_pipeline(cfg).fit(texts, y)
        digest, version = dump_model(model, name, out_dir, created, texts)
        card = card_common(name, version, digest, created, cfg or {})
        card["training_rows"] = int(len(frame))
        card["label_counts"] = {str(k): int(v) for k, v in frame["label"].value_counts().sort_index().items()}
        card.update(extra or {})
        write_json(out_dir / f"{name}.json", card)
        cards[name] = card
    return cards


def heldout_sets(splits: Splits, labels: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Gate evaluation sets: fixed base held-out data plus held-out forum labels."""
    def held(task: str) -> pd.DataFrame:
        f = labels.get(task)
        if f is None or f.empty:
            return pd.DataFrame(columns=["text", "label"])
        return f[f["item_id"].map(is_heldout_label)][["text", "label"]]

    return {
        "hoax": pd.concat([splits.hoax_cross[["text", "label"]], held("hoax")], ignore_index=True),
        "election": pd.concat([splits.election_heldout[["text", "label"]], held("election")],
                              ignore_index=True),
        "hoax_labels_heldout": held("hoax"),
        "election_labels_heldout": held("election"),
    }


def evaluate_dir(model_dir: Path, sets: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """ROC-AUC etc. of the version in ``model_dir`` on the gate's evaluation sets."""
    from saring.score import load_scorer

    scorer = load_scorer(model_dir)
    out: dict[str, Any] = {"model_version": scorer.model_version}
    for task in ("hoax", "election"):
        f = sets[task]
        el, hx = scorer.probabilities(f["text"].tolist())
        out[task] = binary_metrics(f["label"].to_numpy(dtype=int), hx if task == "hoax" else el)
    return out


@dataclass
class RetrainResult:
    version: str
    promoted: bool
    reason: str
    candidate: dict[str, Any]
    current: dict[str, Any]
    current_version: str


def _subsample(frame: pd.DataFrame, n: int | None) -> pd.DataFrame:
    if n is None or len(frame) <= n:
        return frame
    sub, _ = train_test_split(frame, train_size=n, random_state=SEED, stratify=frame["label"])
    return sub


def retrain(db: Path | str | None = None, tolerance: float = GATE_TOLERANCE,
            max_base_rows: int | None = None, promote_if_better: bool = True,
            now: dt.datetime | None = None) -> RetrainResult:
    """Retrain on base-train + forum labels, gate against the current version, maybe promote.

    Gate (the agreed metric): ROC-AUC of ``hoax_score`` on the held-out claims + held-out
    hoax labels must be >= current - ``tolerance``, and ROC-AUC of ``election_score`` on
    the held-out SIB-200 sentences + held-out election labels must be >= current - tolerance.
    """
    from saring import registry
    from saring.labels import current_labels
    from saring.store import Store

    now = now or dt.datetime.now(dt.UTC)
    splits = base_splits()
    labels: dict[str, pd.DataFrame] = {}
    if db is not None or Path("data/saring.duckdb").exists():
        with Store(db) as store:
            labels = {t: current_labels(store.con, t) for t in ("hoax", "election")}
    sets = heldout_sets(splits, labels)

    # A forum-labelled item whose text is (near-)identical to a held-out base row must not be
    # trained on, or the held-out claim would leak into training (e.g. the demo's articles).
    heldout_keys = {dedup_key(t) for f in (splits.hoax_cross, splits.hoax_within, splits.election_heldout)
                    for t in f["text"]}
    dropped: dict[str, int] = {}

    def train_part(task: str, base: pd.DataFrame) -> pd.DataFrame:
        f = labels.get(task)
        if f is None or f.empty:
            extra = pd.DataFrame(columns=["text", "label"])
        else:
            f = f[~f["item_id"].map(is_heldout_label)]
            leak = f["text"].map(lambda t: dedup_key(t) in heldout_keys)
            dropped[task] = int(leak.sum())
            extra = f[~leak][["text", "label"]]
        return pd.concat([_subsample(base[["text", "label"]], max_base_rows), extra], ignore_index=True)

    current = registry.current_version()
    cur_dir = registry.current_model_dir()
    cfgs = {}
    for name in ("hoax", "election"):
        card = json.loads((cur_dir / f"{name}.json").read_text(encoding="utf-8"))
        cfgs[name] = card.get("config") or DEFAULT_CONFIG
    version = f"v{now:%Y%m%d-%H%M%S}"
    n = 1
    while (registry.root() / version).exists():  # two retrains within one second
        n += 1
        version = f"v{now:%Y%m%d-%H%M%S}-{n}"
    out_dir = registry.root() / version
    hx_train, el_train = train_part("hoax", splits.hoax_train), train_part("election", splits.election_train)
    fit_version(out_dir, hx_train, el_train, cfgs["hoax"], cfgs["election"], created=now.date(),
                extra={"forum_labels_used": {t: int(len(f)) for t, f in labels.items()}})
    cand = evaluate_dir(out_dir, sets)
    cur = evaluate_dir(cur_dir, sets)
    checks = []
    ok = True
    for task in ("hoax", "election"):
        c, p = cand[task]["roc_auc"], cur[task]["roc_auc"]
        passed = c is not None and p is not None and c >= p - tolerance
        ok &= passed
        checks.append(f"{task} held-out ROC-AUC {c:.3f} vs current {p:.3f} "
                      f"({'ok' if passed else 'worse'} with tolerance {tolerance:g})")
    reason = "; ".join(checks)
    meta = {
        "version": version, "created_at": now.isoformat(timespec="seconds"),
        "trained_rows": {"hoax": int(len(hx_train)), "election": int(len(el_train))},
        "max_base_rows": max_base_rows,
        "forum_labels": {t: int(len(f)) for t, f in labels.items()},
        "forum_labels_not_trained_duplicate_of_heldout": dropped,
        "heldout_rows": {t: int(len(sets[t])) for t in ("hoax", "election")},
        "gate": {"metric": "held-out ROC-AUC (hoax: unseen claims + held-out labels; election: "
                           "SIB-200 held-out + held-out labels)", "tolerance": tolerance,
                 "candidate": cand, "current": cur, "current_version": current, "passed": bool(ok),
                 "reason": reason},
    }
    write_json(out_dir / "bundle.json", meta)
    promoted = False
    if ok and promote_if_better:
        registry.promote(version, reason="gate passed: " + reason)
        promoted = True
    return RetrainResult(version=version, promoted=promoted, reason=reason, candidate=cand,
                         current=cur, current_version=current)
