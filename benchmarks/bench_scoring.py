"""Scoring throughput and training time, measured in one run on this machine.

    .venv/bin/python benchmarks/bench_scoring.py [--articles 5000]

Scoring: the Pratiwi article texts (mean ~2,300 characters) repeated to N articles, scored by
the current model version with explanations (``Scorer.score``) and through the public CSV
contract (``score_frame``). Training: one fit of both shipped pipelines on their training split (with calibration).
Prints numbers only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--skip-training", action="store_true")
    args = ap.parse_args()

    import pandas as pd

    from saring.judge.classifier.score import load_scorer
    from saring.judge.classifier.training import HOAX_CSV
    from saring.judge.scorefile import score_frame

    base = pd.read_csv(HOAX_CSV)["berita"].tolist()
    texts = (base * (args.articles // len(base) + 1))[: args.articles]
    print(f"articles: {len(texts)} (mean {sum(map(len, texts)) / len(texts):.0f} characters)")
    t0 = time.perf_counter()
    scorer = load_scorer()
    print(f"load models: {time.perf_counter() - t0:.2f} s  ({scorer.model_version})")
    scorer.score(texts[:50])  # warm-up
    t0 = time.perf_counter()
    scorer.score(texts)
    dt = time.perf_counter() - t0
    print(f"Scorer.score with explanations: {len(texts) / dt:,.0f} articles/s ({dt:.2f} s)")
    t0 = time.perf_counter()
    scorer.score(texts, workers=2)
    dt = time.perf_counter() - t0
    print(f"Scorer.score with explanations, 2 processes: {len(texts) / dt:,.0f} articles/s ({dt:.2f} s)")
    t0 = time.perf_counter()
    scorer.probabilities(texts)
    dt = time.perf_counter() - t0
    print(f"Scorer.probabilities (no explanations): {len(texts) / dt:,.0f} articles/s")
    frame = pd.DataFrame({"id": range(len(texts)), "text": texts})
    t0 = time.perf_counter()
    score_frame(scorer, frame, "text")
    dt = time.perf_counter() - t0
    print(f"score_frame (CSV contract, in memory, 2 processes): {len(texts) / dt:,.0f} articles/s")

    if not args.skip_training:
        import json

        from saring.judge.classifier.training import CLASSIFIERS_DIR, base_splits, fit_model

        sp = base_splits()
        for name, frame_ in (("hoax", sp.hoax_train), ("election", sp.election_train)):
            cfg = json.loads((CLASSIFIERS_DIR / f"{name}.json").read_text(encoding="utf-8"))["config"]
            t0 = time.perf_counter()
            fit_model(name, frame_, cfg)
            print(f"training {name} ({len(frame_)} rows, {cfg}): {time.perf_counter() - t0:.2f} s")
        print("full `make train` (model selection: 4 + 4 candidates x grouped CV + fits + metrics): "
              "see the classifiers/train.py log")


if __name__ == "__main__":
    main()
