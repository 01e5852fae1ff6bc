"""Tests for saring.score against the real trained models in classifiers/."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from saring.score import (
    ModelLoadError,
    Score,
    Scorer,
    _load_one,
    default_model_dir,
    lexicon_hits,
    lexicon_probability,
    load_scorer,
)
from saring.textnorm import normalize_text

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "classifiers"
SEED_MALANGPOST = REPO / "sample" / "seed_articles" / "malangpost_kpu_kota_batu_bakohumas.txt"
PRATIWI = MODELS / "data" / "pratiwi2017_hoax" / "pratiwi2017_hoax_train.csv"
NON_ELECTION_ROW_ID = 2  # topic 1: catfish ("lele") and cancer; nothing about elections


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return load_scorer(MODELS)


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    df = pd.read_csv(PRATIWI)
    return {
        "seed": SEED_MALANGPOST.read_text(encoding="utf-8"),
        "pratiwi": df.loc[df["row_id"] == NON_ELECTION_ROW_ID, "berita"].iloc[0],
    }


def _copy_models(dst: Path) -> Path:
    for name in ("election", "hoax"):
        for ext in ("skops", "json"):
            shutil.copy2(MODELS / f"{name}.{ext}", dst / f"{name}.{ext}")
    return dst


def test_scores_in_unit_interval(scorer: Scorer, texts: dict[str, str]) -> None:
    results = scorer.score([texts["seed"], texts["pratiwi"], "", None])  # type: ignore[list-item]
    assert len(results) == 4
    for r in results:
        assert isinstance(r, Score)
        for value in (r.election_score, r.hoax_score):
            assert isinstance(value, float)
            assert 0.0 <= value <= 1.0
            assert not math.isnan(value)


def test_empty_batch(scorer: Scorer) -> None:
    assert scorer.score([]) == []


def test_empty_and_none_text_do_not_crash(scorer: Scorer) -> None:
    empty, none = scorer.score(["", None])  # type: ignore[list-item]
    assert empty == none
    assert empty.election_terms == ()


def test_election_score_seed_article_high(scorer: Scorer, texts: dict[str, str]) -> None:
    seed, pratiwi = scorer.score([texts["seed"], texts["pratiwi"]])
    assert seed.election_score > 0.5
    assert pratiwi.election_score < seed.election_score
    assert pratiwi.election_score < 0.5


def test_terms_are_readable_strings(scorer: Scorer, texts: dict[str, str]) -> None:
    seed, pratiwi = scorer.score([texts["seed"], texts["pratiwi"]])
    for r in (seed, pratiwi):
        assert 0 < len(r.election_terms) <= 5
        assert 0 < len(r.hoax_terms) <= 5
        for term in r.election_terms + r.hoax_terms:
            assert isinstance(term, str) and term.strip() == term and term
            assert "urltoken" not in term and "numtoken" not in term
        assert len(set(r.election_terms)) == len(r.election_terms)
    # Lexicon hits come first for election terms.
    assert seed.election_terms[0] in {"pemilu", "pemilihan umum", "kpu", "bawaslu"}
    assert "kpu" in seed.election_terms


def test_versions_match_cards(scorer: Scorer) -> None:
    el = json.loads((MODELS / "election.json").read_text(encoding="utf-8"))
    hx = json.loads((MODELS / "hoax.json").read_text(encoding="utf-8"))
    assert scorer.election_version == el["version"]
    assert scorer.hoax_version == hx["version"]
    assert scorer.model_version == f"{el['version']}+{hx['version']}"
    assert hx["sha256"][:8] in scorer.hoax_version


def test_scoring_is_deterministic_and_order_independent(scorer: Scorer, texts: dict[str, str]) -> None:
    a = scorer.score([texts["seed"], texts["pratiwi"]])
    b = scorer.score([texts["pratiwi"], texts["seed"]])
    assert a[0] == b[1] and a[1] == b[0]


def test_lexicon_whole_words() -> None:
    hits = lexicon_hits(normalize_text("Ketua KPU dan Bawaslu bicara soal pemilihan umum."))
    assert hits[:3] == ["kpu", "bawaslu", "pemilihan umum"]
    assert lexicon_hits(normalize_text("kepemiluan pemilihan kepala sekolah")) == []
    assert lexicon_probability([]) == 0.0
    assert lexicon_probability(["pemilu"]) == pytest.approx(1 - math.exp(-1.0))


def test_tampered_model_file_refused(tmp_path: Path) -> None:
    d = _copy_models(tmp_path)
    data = bytearray((d / "hoax.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "hoax.skops").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match its model card"):
        load_scorer(d)


def test_missing_model_file(tmp_path: Path) -> None:
    d = _copy_models(tmp_path)
    (d / "election.skops").unlink()
    with pytest.raises(ModelLoadError, match="missing: run `make train`"):
        load_scorer(d)


def test_missing_card(tmp_path: Path) -> None:
    d = _copy_models(tmp_path)
    (d / "hoax.json").unlink()
    with pytest.raises(ModelLoadError, match="make train"):
        load_scorer(d)


def test_untrusted_type_refused(tmp_path: Path) -> None:
    import hashlib
    import os

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    d = _copy_models(tmp_path)
    sio.dump(FunctionTransformer(func=os.getcwd), d / "election.skops")
    card = json.loads((d / "election.json").read_text(encoding="utf-8"))
    card["sha256"] = hashlib.sha256((d / "election.skops").read_bytes()).hexdigest()
    (d / "election.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="does not trust"):
        load_scorer(d)


def test_sklearn_version_mismatch_warns(tmp_path: Path) -> None:
    d = _copy_models(tmp_path)
    card = json.loads((d / "election.json").read_text(encoding="utf-8"))
    card["sklearn_version"] = "0.0.1"
    (d / "election.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.warns(UserWarning, match="scikit-learn 0.0.1"):
        _load_one(d, "election")


def test_default_model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SARING_MODELS", raising=False)
    assert default_model_dir() == MODELS
    monkeypatch.setenv("SARING_MODELS", str(tmp_path))
    assert default_model_dir() == tmp_path


def test_import_is_light() -> None:
    code = (
        "import sys, saring.score; "
        "heavy = [m for m in ('sklearn', 'skops', 'numpy', 'prefect') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_fast_word_counts_equal_sklearn(scorer: Scorer) -> None:
    """The shared one-pass n-gram counting gives exactly each model's TfidfVectorizer output."""
    import numpy as np

    from saring.textnorm import normalize_texts

    df = pd.read_csv(PRATIWI)
    norm = normalize_texts(df["berita"].tolist()[:80] + ["", "x", "KPU KPU pemilu, www.kpu.go.id 2024"])
    assert scorer._shared is not None
    x_el, x_hx = scorer._shared.transform(norm)
    for model, x in ((scorer._election, x_el), (scorer._hoax, x_hx)):
        ref = model.transform_normalized(norm)
        assert abs(ref - x).max() < 1e-12
        assert np.allclose(model.proba(ref), model.proba(x))


def test_nested_lexicon_terms_counted() -> None:
    assert lexicon_hits(normalize_text("Awas kampanye hitam!")) == ["kampanye", "kampanye hitam"]
    assert lexicon_hits(normalize_text("Cek daftar pemilih")) == ["daftar pemilih", "pemilih"]
    assert lexicon_hits(normalize_text("tanpa kata kunci")) == []


def test_probabilities_match_score(scorer: Scorer, texts: dict[str, str]) -> None:
    el, hx = scorer.probabilities([texts["seed"], texts["pratiwi"], ""])
    full = scorer.score([texts["seed"], texts["pratiwi"], ""])
    assert list(el) == [s.election_score for s in full]
    assert list(hx) == [s.hoax_score for s in full]


def test_default_load_uses_current_registry_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SARING_MODELS", raising=False)
    monkeypatch.setenv("SARING_MODEL_HOME", str(tmp_path))
    assert load_scorer().source == MODELS  # nothing promoted: the shipped models
    v = tmp_path / "v1"
    v.mkdir()
    _copy_models(v)
    (v / "bundle.json").write_text("{}", encoding="utf-8")
    from saring import registry

    registry.promote("v1")
    assert load_scorer().source == v
    shutil.rmtree(v)
    with pytest.raises(ModelLoadError, match="rollback"):
        load_scorer()
