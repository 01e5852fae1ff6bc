"""Tests for saring.judge.classifier.score against the real trained models in classifiers/."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from saring.config import DigestSettings
from saring.judge.classifier.explain import CUE_REASONS
from saring.judge.classifier.modelload import load_model_file as _load_one
from saring.judge.classifier.score import ModelLoadError, Score, Scorer, default_model_dir, load_scorer
from saring.judge.classifier.textfeatures import (
    CueScaler,
    ElectionTerms,
    HoaxCues,
    WholeTextCue,
    cue_counts,
    election_term_hits,
    lead_words,
    lead_words_keeping_text,
)

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "classifiers"
V1_MODELS = Path(__file__).parent / "fixtures" / "models_v1"
SEED_MALANGPOST = REPO / "sample" / "seed_articles" / "malangpost_kpu_kota_batu_bakohumas.txt"
PRATIWI = MODELS / "data" / "pratiwi2017_hoax" / "pratiwi2017_hoax_train.csv"
NON_ELECTION_ROW_ID = 2  # topic 1: catfish ("lele") and cancer; nothing about elections
# The demo's forwarded chain message (sample/tipline/demo-chat.txt, hand-written, fake number).
CHAIN = (
    "INFO PENTING!!! Surat suara Pemilu 2024 di Kota Batu katanya sudah dicoblos sebelum hari H.\n"
    "Hubungi 0812-0000-0009 kalau mau bukti. Sebarkan ke semua grup!"
)
# Texts where a per-word shortcut could differ from whole-text processing: URLs and numbers next
# to punctuation, NFKC turning one character into several (with a space), odd whitespace.
TRICKY = [
    "Lihat https://kpu.go.id/x?a=1,2 dan www.bit.ly/abc.\u00a0Nomor 1.234,5-6/7:8 ok",
    "pemilu2024 (pemilu) PEMILU,kpu.go.id surat\tsuara\n\nsurat   suara bakal-calon",
    "\u00a8\u2474 \ufb01le \u2028 \u3000 \x1c x\x1dy ² ½ Ⅻ café e\u0301 ΣΑΣ ά",
    "money politics money politic money politician pemilihan umum pemilih pemilihan kepala daerah",
    "partai pengusung partai politik uu pemilu undang-undang pemilu as AS amerika serikat",
    "",
    " ",
]
# Words that say nothing about a claim: never a reason.
GENERIC = {"instansi", "pemerintah", "kabupaten", "kota", "provinsi", "batu", "malang", "jakarta", "kpu"}


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


def _copy_models(dst: Path, src: Path = MODELS) -> Path:
    for name in ("election", "hoax"):
        for ext in ("skops", "json"):
            shutil.copy2(src / f"{name}.{ext}", dst / f"{name}.{ext}")
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
    assert pratiwi.election_score < 0.5


def test_election_terms_come_from_the_vocabulary(scorer: Scorer, texts: dict[str, str]) -> None:
    seed = scorer.score([texts["seed"]])[0]
    assert 0 < len(seed.election_terms) <= 5
    assert "kpu" in seed.election_terms and len(set(seed.election_terms)) == len(seed.election_terms)
    assert seed.election_terms[0] in {"pemilu", "pemilihan umum", "kpu", "bawaslu"}


def test_chain_message_reasons_name_the_cues(scorer: Scorer) -> None:
    s = scorer.score([CHAIN])[0]
    reasons = " | ".join(s.hoax_terms)
    assert "ajakan menyebarkan: 'Sebarkan ke semua grup!'" in reasons
    assert "sumber tidak jelas: 'katanya" in reasons
    assert "0812" not in reasons  # a phone number is never quoted back
    # "!!!" is both a run and three exclamation marks: one reason, not "tanda seru/tanya
    # berlebihan" and "tanda seru berlebihan" side by side
    labels = [r.split(":")[0] for r in s.hoax_terms]
    assert len(labels) == len(set(labels)) and not any(label == "tanda seru berlebihan" for label in labels)
    for r in s.hoax_terms:
        assert isinstance(r, str) and r.strip() == r and r
        assert "urltoken" not in r and "numtoken" not in r


def test_a_reason_s_quote_never_stops_inside_an_address_or_a_word(scorer: Scorer) -> None:
    # The demo chat's "... katanya admin KPU, dan www.kpu-batukota.example.id/pengumuman" was quoted
    # as "sumber tidak jelas: 'katanya admin KPU, dan www.'": the dot of "www." read as the end of
    # a sentence. A quote ends at a sentence's end or a word's, and says when it was cut.
    chat = (REPO / "sample" / "tipline" / "demo-chat.txt").read_text(encoding="utf-8")
    (line,) = [ln for ln in chat.splitlines() if "www.kpu-batukota.example.id" in ln]
    forward = line.split(": ", 1)[1]
    quotes = [r.split(": ", 1)[1] for r in scorer.score([forward])[0].hoax_terms
              if r.startswith(CUE_REASONS["hearsay"])]
    assert quotes, scorer.score([forward])[0].hoax_terms
    quote = quotes[0].strip("'")
    assert quote.startswith("katanya admin KPU") and not quote.endswith("www."), quote
    shown = quote.removesuffix("…").split()
    assert all(word in forward.split() for word in shown), quote  # whole words only
    chain = scorer.score([CHAIN])[0].hoax_terms  # "... sebelum hari H.": six words, shown as cut
    assert "sumber tidak jelas: 'katanya sudah dicoblos sebelum hari…'" in chain, chain


def test_a_marker_word_pair_never_shows_the_models_stand_in_for_a_number_or_a_link(scorer: Scorer) -> None:
    # A member checked a subheading of the sample's fact-check "Facebook Diberi Waktu hingga 26 April"
    # and read "kata penanda: 'facebook', 'numtoken april'": a word the text never had (the
    # model's stand-in for "26"). A pair with a stand-in in it is no marker word to show.
    page = (REPO / "sample" / "site" / "cekfakta" / "feed.xml").read_text(encoding="utf-8")
    (line,) = [ln for ln in page.splitlines() if ln.startswith("Facebook Diberi Waktu hingga 26 April")]
    reasons = " | ".join(scorer.score([line])[0].hoax_terms)
    assert "numtoken" not in reasons and "urltoken" not in reasons, reasons


def test_one_word_in_capitals_is_quoted_not_called_excessive(scorer: Scorer) -> None:
    # A news lead "JATIMPOS.CO/KOTA MADIUN - Menjelang ..." (the dateline style of Indonesian news)
    # had the reason "huruf kapital berlebihan" at 14 % capitals: the forum read a judgement the
    # text does not bear out. The words are quoted instead; "berlebihan" needs a shouting text.
    lead = ("JATIMPOS.CO/KOTA MADIUN - Menjelang tahapan Pemilihan Umum (Pemilu) Serentak 2024, Komisi "
            "Pemilihan Umum (KPU) Kota Madiun menggelar sosialisasi pembentukan Badan Koordinasi Kehumasan.")
    shouting = "RAPAT KOORDINASI BAKOHUMAS DIUNDUR KE HARI KAMIS PUKUL SEMBILAN PAGI DI KANTOR KPU"
    news, loud = scorer.score([lead, shouting])
    assert not any("berlebihan" in r and "kapital" in r for r in news.hoax_terms), news.hoax_terms
    assert all("JATIMPOS, MADIUN" in r for r in news.hoax_terms if "kapital" in r), news.hoax_terms
    assert any(r.startswith("huruf kapital berlebihan") for r in loud.hoax_terms), loud.hoax_terms
    assert sum("kapital" in r for r in loud.hoax_terms) == 1, loud.hoax_terms


def test_reasons_never_generic_words_or_clarification(scorer: Scorer, texts: dict[str, str]) -> None:
    debunk = (
        "Beredar video yang menyebut Bawaslu menemukan KTP palsu. Video itu sebenarnya rekaman lama "
        "dan tidak benar; mohon tunggu klarifikasi resmi."
    )
    for s in scorer.score([texts["seed"], texts["pratiwi"], CHAIN, debunk]):
        words = {w.strip("',:") for r in s.hoax_terms for w in r.lower().split()}
        assert not words & GENERIC, s.hoax_terms
        assert not any("klarifikasi" in r or "tidak benar" in r for r in s.hoax_terms)



def test_no_faith_people_party_candidate_or_institution_is_a_hoax_reason(scorer: Scorer) -> None:
    # Shown as a reason, "kata penanda: 'islam'" would read as the forum calling a faith a hoax
    # (the previous model showed 'islam', 'jokowi', 'masjid' for the second text).
    from saring.judge.classifier.explain import NEVER_HOAX_REASONS

    hoax = scorer._hoax
    shown = {t for t, w in zip(hoax.terms, hoax.word_weight, strict=True) if w > 0}
    assert shown, "the model must still have words it can show"
    assert not {w for t in shown for w in t.split()} & NEVER_HOAX_REASONS
    for text in ("Umat Islam di Kota Batu diminta waspada terhadap produk dari China, kata Polres.",
                 "Jokowi dan PDIP disebut akan melarang umat Islam, kata seorang ulama di masjid."):
        reasons = scorer.score([text])[0].hoax_terms
        markers = [r for r in reasons if r.startswith("kata penanda")]
        words = {w.strip("',:").lower() for r in markers for w in r.split()[2:]}
        assert not words & NEVER_HOAX_REASONS, reasons


def test_the_hoax_score_barely_moves_with_the_faith_people_party_or_candidate_named(scorer: Scorer) -> None:
    # The previous model gave the first sentence 0.78 ("tinggi") and the second 0.55 ("sedang"):
    # its training claims are about particular faiths, peoples and politicians.
    from saring.judge.classifier.identity import IDENTITY_WORDS

    pairs = [
        ("Jokowi dan PDIP disebut akan melarang umat Islam, kata seorang ulama di masjid.",
         "Prabowo dan Gerindra disebut akan melarang umat Kristen, kata seorang pendeta di gereja."),
        ("Umat Islam di Kota Batu diminta waspada terhadap produk dari China, kata Polres.",
         "Umat Hindu di Kota Batu diminta waspada terhadap produk dari Jepang, kata Polres."),
    ]
    for one, other in pairs:
        a, b = scorer.score([one, other])
        assert abs(a.hoax_score - b.hoax_score) < 0.05, (one, a.hoax_score, other, b.hoax_score)
    hoax = scorer._hoax
    assert hoax.card["config"]["identity_blind"] is True
    word_terms = set(dict(hoax.parts)["word"].vocabulary)
    assert word_terms and not {w for t in word_terms for w in t.split()} & IDENTITY_WORDS

def test_clarification_scores_below_its_rumour(scorer: Scorer) -> None:
    rumour, debunk = scorer.score(
        [
            CHAIN,
            "KPU Kota Batu menegaskan kabar surat suara sudah dicoblos sebelum hari H tidak benar. "
            "Informasi yang beredar di grup WhatsApp itu hoaks, kata Ketua KPU Kota Batu kepada wartawan.",
        ]
    )
    assert rumour.hoax_score > debunk.hoax_score
    assert rumour.hoax_score >= 0.5


def test_articles_are_read_from_their_lead_and_past_it_only_for_a_clarification(
        scorer: Scorer, texts: dict[str, str]) -> None:
    """The hoax score reads the first 100 words; past them, only a clarification counts (a news
    report often restates the rumour first and says "tidak benar" further down)."""
    article = texts["pratiwi"]
    assert len(article.split()) > 100
    a, b, c = scorer.score([article, article + " Sebarkan!!! HEBOH!!! katanya begitu.",
                            article + " Polisi memastikan kabar itu tidak benar dan membantahnya."])
    assert a.hoax_score == pytest.approx(b.hoax_score)  # chain-message cues past the lead: nothing
    assert c.hoax_score < a.hoax_score
    assert c.hoax_terms == a.hoax_terms  # a clarification is never a reason for risk


def test_the_whole_text_clarify_count_reads_past_the_lead_and_not_inside_links() -> None:
    words = " ".join(["kata"] * 120)
    texts = [f"{words} Kabar itu tidak benar.", f"{words} https://contoh.example/hoaks-tidak-benar",
             "tidak benar", None]
    cut = lead_words_keeping_text(texts, 100)
    assert all("tidak benar" not in lead for lead in cut[:2])  # not in the leads themselves
    counts = WholeTextCue("clarify").fit([]).transform(cut)
    assert np.expm1(counts).ravel().round().tolist() == [1.0, 0.0, 1.0, 0.0]
    assert WholeTextCue("clarify").fit([]).transform(["tidak benar"]).shape == (1, 1)  # a plain text


def test_versions_match_cards(scorer: Scorer) -> None:
    el = json.loads((MODELS / "election.json").read_text(encoding="utf-8"))
    hx = json.loads((MODELS / "hoax.json").read_text(encoding="utf-8"))
    assert scorer.election_version == el["version"]
    assert scorer.hoax_version == hx["version"]
    assert scorer.model_version == f"{el['version']}+{hx['version']}"
    assert hx["sha256"][:8] in scorer.hoax_version
    assert 0 < el["operating_point"] < 1


def test_scoring_is_deterministic_and_order_independent(scorer: Scorer, texts: dict[str, str]) -> None:
    a = scorer.score([texts["seed"], texts["pratiwi"]])
    b = scorer.score([texts["pratiwi"], texts["seed"]])
    assert a[0] == b[1] and a[1] == b[0]


def test_cues_and_terms_whole_words() -> None:
    kinds = HoaxCues().fit([]).kinds()
    counts = dict(
        zip(kinds, cue_counts("PENTING!!! Sebarkan ke semua grup, katanya sudah terjadi"), strict=True)
    )
    assert counts["spread"] >= 1 and counts["hearsay"] == 1 and counts["punct_runs"] == 1
    assert counts["clarify"] == 0
    assert election_term_hits("Ketua KPU dan Bawaslu bicara soal pemilihan umum.") == [
        "kpu",
        "bawaslu",
        "pemilihan umum",
    ]
    assert election_term_hits("kepemiluan pemilihan kepala sekolah") == []
    assert ElectionTerms().fit([]).transform(["", "KPU"]).shape == (
        2,
        len(ElectionTerms().fit([]).terms_) + 1,
    )
    assert lead_words(["satu dua tiga " * 100], 5) == ["satu dua tiga satu dua"]


def test_reason_labels_are_indonesian() -> None:
    assert set(CUE_REASONS) <= set(HoaxCues(link_kinds=True).fit([]).kinds())


def test_links_to_news_and_to_social_media_are_counted_apart() -> None:
    # A forward pointing to a video or a post is what chain messages do; one pointing to an
    # outlet's article is news being shared. Both used to be only "a link" or "a non-news link".
    cues = HoaxCues(link_kinds=True).fit([])
    text = ("Lihat videonya https://www.youtube.com/watch?v=abc dan https://m.facebook.com/story, "
            "beritanya https://regional.kompas.com/read/2024/kpu dan www.beritabatu.example.")
    counts = dict(zip(cues.kinds(), cues.transform([text])[0], strict=True))
    assert counts["links_social"] == pytest.approx(math.log1p(2))
    assert counts["links_news"] == pytest.approx(math.log1p(1))
    assert counts["links_non_news"] == pytest.approx(math.log1p(3))
    local = HoaxCues(link_kinds=True).fit([])  # the forum's own outlets are news links too
    local.outlets_ = ("beritabatu.example",)
    assert dict(zip(local.kinds(), local.transform([text])[0], strict=True))["links_news"] == pytest.approx(
        math.log1p(2))
    assert cues.evidence(text, "links_social") == "www.youtube.com, m.facebook.com"
    assert dict(zip(cues.kinds(), cues.transform(["tanpa tautan"])[0], strict=True))["links_news"] == 0


def test_the_words_of_a_link_are_not_the_messages_words() -> None:
    # "Tolong dicek juga ... www.kpu-batukota.example.id/pengumuman" (the demo's chat) read as
    # alarm ("pengumuman") from the link's path, and a news slug "...-hoaks-..." as a denial.
    text = "Tolong dicek juga www.kpu-batukota.example.id/pengumuman dan https://x.example/berita-hoaks-itu"
    new, old = HoaxCues(skip_urls=True).fit([]), HoaxCues().fit([])
    counts = dict(zip(new.kinds(), new.transform([text])[0], strict=True))
    assert counts["alarm"] == 0 and counts["clarify"] == 0 and counts["links_non_news"] > 0
    # models made before keep counting them (their weights were fitted so)
    before = dict(zip(old.kinds(), old.transform([text])[0], strict=True))
    assert before["alarm"] > 0 and before["clarify"] > 0
    # a word said outside the link still counts, and is quoted from there
    said = "PENGUMUMAN: lihat www.kpu-batukota.example.id/pengumuman"
    alarm = dict(zip(new.kinds(), new.transform([said])[0], strict=True))["alarm"]
    assert alarm == pytest.approx(math.log1p(1))
    assert new.evidence(said, "alarm").startswith("PENGUMUMAN: lihat")
    assert new.evidence(text, "alarm") is None


def test_a_links_capitals_are_never_shown_as_shouting(scorer: Scorer) -> None:
    # "Gabung ke https://t.me/INFOPEMILUBATU ..." read "ditulis dengan huruf kapital:
    # 'INFOPEMILUBATU'" beside a message written in lower case; the channel's name is the link's.
    join = "Gabung ke https://t.me/INFOPEMILUBATU untuk info lokasi TPS terbaru"
    (score,) = scorer.score([join])
    assert not any(r.startswith(CUE_REASONS["shouting_words"]) for r in score.hoax_terms), score.hoax_terms
    assert HoaxCues().fit([]).evidence(join, "shouting_words") is None
    (shout,) = scorer.score(["AWAS PENTING: lihat https://t.me/INFOPEMILUBATU sekarang juga, sebarkan!"])
    capitals = [r for r in shout.hoax_terms if "kapital" in r]  # the message's own still count
    assert capitals and capitals[0].endswith(": 'PENTING'"), shout.hoax_terms


def test_a_cue_seen_in_a_few_training_texts_keeps_its_own_scale() -> None:
    # Divided by its spread, a cue that fired in 4 of 1,000 texts became 15 units per
    # occurrence, and its weight (fitted on four texts) moved a score by nearly 3 logits.
    x = np.zeros((1000, 2))
    x[:4, 0] = math.log1p(1)
    x[:, 1] = np.linspace(0, 6, 1000)  # a common, widely spread count keeps its own spread
    scaler = CueScaler(floor=1.0).fit(x)
    assert scaler.scale_[0] == 1.0 and scaler.scale_[1] == pytest.approx(x[:, 1].std())
    assert scaler.transform(x[:1])[0, 0] == pytest.approx(math.log1p(1) - scaler.mean_[0])


def test_a_number_to_call_does_not_lower_a_chain_messages_risk(scorer: Scorer) -> None:
    # "Hubungi 0812-… kalau mau bukti" is what chain and scam messages ask; the tipline masks the
    # number to a stand-in of the same kind, so every forward with a number was scored lower.
    without = CHAIN.replace("Hubungi 0812-0000-0009 kalau mau bukti. ", "")
    with_number, plain = scorer.score([CHAIN, without])
    assert with_number.hoax_score >= plain.hoax_score - 0.05
    assert with_number.hoax_score >= DigestSettings().high


def test_cues_of_a_model_made_before_the_link_kinds_count_as_they_did() -> None:
    # A promoted version's HoaxCues was stored without the attribute: it must load, print and
    # score with its own columns (the class default), not the new ones.
    old = HoaxCues().fit([])
    del old.__dict__["link_kinds"]
    assert old.get_params()["link_kinds"] is False
    assert "links_news" not in old.kinds()
    assert old.transform(["https://youtu.be/x"]).shape == (1, len(old.kinds()))


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
    with pytest.raises(ModelLoadError, match="missing: restore the shipped models with `git checkout"):
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


def test_sklearn_version_mismatch_says_to_retrain_with_saring_train(tmp_path: Path) -> None:
    # After a `pip install -U` the warning said "Run `make train`": a forum maintainer has no
    # Makefile; `saring train` retrains both models with the installed scikit-learn.
    d = _copy_models(tmp_path)
    card = json.loads((d / "hoax.json").read_text(encoding="utf-8"))
    card["sklearn_version"] = "0.0.1"
    (d / "hoax.json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.warns(UserWarning) as warned:
        _load_one(d, "hoax")
    message = " ".join(str(w.message) for w in warned)
    assert "`saring train`" in message and "make train" not in message


def test_default_model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SARING_MODELS", raising=False)
    assert default_model_dir() == MODELS
    monkeypatch.setenv("SARING_MODELS", str(tmp_path))
    assert default_model_dir() == tmp_path


def test_import_is_light() -> None:
    code = (
        "import sys, saring.judge.classifier.score; "
        "heavy = [m for m in ('sklearn', 'skops', 'numpy', 'prefect') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_probabilities_match_score(scorer: Scorer, texts: dict[str, str]) -> None:
    el, hx = scorer.probabilities([texts["seed"], texts["pratiwi"], ""])
    full = scorer.score([texts["seed"], texts["pratiwi"], ""])
    assert list(el) == [s.election_score for s in full]
    assert list(hx) == [s.hoax_score for s in full]


def test_models_promoted_before_v2_still_load_and_score(tmp_path: Path, texts: dict[str, str]) -> None:
    """A version promoted with an older saring (v1 pipelines + lexicon rule) keeps working."""
    d = _copy_models(tmp_path, V1_MODELS)
    v1 = load_scorer(d)
    seed, pratiwi = v1.score([texts["seed"], texts["pratiwi"]])
    assert v1.model_version == "election-2026.11.25-4b0e8ca2+hoax-2026.11.25-70682503"
    assert seed.election_score > 0.5 and "kpu" in seed.election_terms
    assert 0 <= pratiwi.hoax_score <= 1 and all(isinstance(t, str) for t in pratiwi.hoax_terms)
    el, hx = v1.probabilities([texts["seed"]])
    assert el[0] == pytest.approx(seed.election_score) and hx[0] == pytest.approx(seed.hoax_score)


def test_default_load_uses_current_registry_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SARING_MODELS", raising=False)
    monkeypatch.setenv("SARING_MODEL_HOME", str(tmp_path))
    assert load_scorer().source == MODELS  # nothing promoted: the shipped models
    v = tmp_path / "v1"
    v.mkdir()
    _copy_models(v)
    (v / "bundle.json").write_text("{}", encoding="utf-8")
    from saring.judge.classifier import registry

    registry.promote("v1")
    assert load_scorer().source == v
    shutil.rmtree(v)
    with pytest.raises(ModelLoadError, match="rollback"):
        load_scorer()


def test_fast_tfidf_equals_sklearn(scorer: Scorer, texts: dict[str, str]) -> None:
    """The scorer's counting (no per-n-gram KeyError) gives exactly each vectorizer's output."""
    from saring.judge.classifier.vectorize import CachedTfidf as _FastTfidf

    sample = [
        texts["seed"],
        texts["pratiwi"],
        "",
        "x",
        "KPU KPU pemilu, www.kpu.go.id 2024 🙏",
        CHAIN,
        *TRICKY,
    ]
    checked = 0
    for model in (scorer._election, scorer._hoax):
        lead = model.before.transform(sample) if model.before is not None else sample
        for _, part in model.parts:
            if isinstance(part, _FastTfidf):
                assert abs(part.transform(lead) - part.vec.transform(lead)).max() < 1e-12
                checked += 1
    assert checked == 3  # hoax words and characters, election words
    import numpy as np

    from saring.noclaim import has_no_claim

    sklearn_path = _load_one(MODELS, "hoax")[0].predict_proba(sample)[:, 1]  # the pipeline as saved
    claims = np.array([not has_no_claim(t) for t in sample])  # "" and "x" carry no claim
    assert np.allclose(sklearn_path[claims], scorer.probabilities(sample)[1][claims])


def _normalize_reference(text: str | None) -> str:
    """normalize_text as first written: substitutions over the whole text (the trained behaviour)."""
    import re
    import unicodedata

    from saring.judge.classifier import textnorm

    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).lower()
    if any(h in s for h in textnorm._URL_HINTS):
        s = textnorm._URL_RE.sub(" urltoken ", s)
    s = textnorm._NUM_RE.sub(" numtoken ", s)
    return re.sub(r"\s+", " ", s).strip()


def _random_texts(n: int, seed: int) -> list[str]:
    import random

    rnd = random.Random(seed)
    parts = [
        "http://",
        "www.",
        ".com",
        ".co.id",
        ".id",
        ".ly",
        "1",
        "23",
        ".",
        ",",
        ":",
        "/",
        "-",
        " ",
        "\n",
        "\u00a0",
        "a",
        "kpu",
        "pemilu",
        "surat",
        "suara",
        "\u00a8",
        "\u2474",
        "_",
        "é",
        "x.y",
        "!",
    ]
    return ["".join(rnd.choice(parts) for _ in range(rnd.randint(0, 30))) for _ in range(n)]


def test_normalize_text_equals_whole_text_substitution(texts: dict[str, str]) -> None:
    """The chunk-by-chunk normaliser gives exactly what the models were trained with."""
    from saring.judge.classifier.textnorm import normalize_text

    sample = [texts["seed"], texts["pratiwi"], CHAIN, *TRICKY, *_random_texts(3000, 7)]
    assert [normalize_text(t) for t in sample] == [_normalize_reference(t) for t in sample]


def test_election_term_trie_equals_flat_alternation(texts: dict[str, str]) -> None:
    """One factored regex counts exactly what a flat, kind-ordered alternation counts."""
    import re

    from saring.judge.classifier import textfeatures as tf

    terms = tf._frozen_terms(None)

    def phrase(words: str) -> str:
        return r"\s+".join(map(re.escape, words.split()))

    groups = []
    for i, (_, words) in enumerate(terms):
        body = "|".join(sorted(map(phrase, words), key=len, reverse=True))
        groups.append(f"(?P<k{i}>{body})")
    flat = re.compile(r"(?<!\w)(?:" + "|".join(groups) + r")(?!\w)")

    def reference(text: str) -> tuple[list[float], list[str]]:
        counts, shown = [0.0] * len(terms), []
        for m in flat.finditer(tf._fold(text).lower()):
            i = int(m.lastgroup[1:])  # type: ignore[index]
            counts[i] += 1
            if terms[i][0] in tf._SHOWN_KINDS:
                shown.append(" ".join(m.group(0).split()))
        return counts, list(dict.fromkeys(shown))

    sample = [texts["seed"], texts["pratiwi"], CHAIN, *TRICKY, *_random_texts(3000, 8)]
    sample += [" ".join(w for _, ws in terms for w in ws)]
    assert [tf._election_matches(t, terms) for t in sample] == [reference(t) for t in sample]


def test_a_compact_vectorizer_stores_its_vocabulary_as_arrays_and_loads_it_back_exactly(tmp_path):
    # skops writes and audits a dict entry by entry: 140,000 vocabulary entries took 3-4 s to
    # load on every run and command. The compact vectorizer writes two arrays instead.
    import io
    import zipfile

    import skops.io as sio
    from sklearn.feature_extraction.text import TfidfVectorizer

    from saring.judge.classifier.compact_tfidf import CompactTfidfVectorizer
    from saring.judge.classifier.textnorm import normalize_text

    docs = pd.read_csv(PRATIWI)["berita"].astype(str).tolist()[:120]
    given = sorted({w for d in docs[:30] for w in normalize_text(d).split()})
    for make in (lambda cls: cls(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True),
                 lambda cls: cls(preprocessor=normalize_text, vocabulary=given)):
        compact, plain = make(CompactTfidfVectorizer).fit(docs), make(TfidfVectorizer).fit(docs)
        data = sio.dumps(compact)
        assert compact.vocabulary_ == plain.vocabulary_  # dumping did not change the fitted object
        schema = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json"))
        assert "vocabulary_terms_" in json.dumps(schema) and "vocabulary_" not in schema["content"]["content"]
        loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
        assert loaded.vocabulary_ == plain.vocabulary_ and loaded.get_params() == compact.get_params()
        assert (loaded.transform(docs) != plain.transform(docs)).nnz == 0
        assert len(data) < len(sio.dumps(plain))


def test_a_model_file_has_the_same_bytes_whichever_process_writes_it(tmp_path):
    # classifiers/README promises that the same data and library versions give the same .skops
    # bytes; scikit-learn's vectorizers kept the memory address of their stop-word list
    # (``_stop_words_id``), so every `make train` wrote a new election file for the same model.
    import os

    script = f"""
import datetime, pathlib, sys
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from saring.judge.classifier.compact_tfidf import CompactTfidfVectorizer
from saring.judge.classifier.modelfiles import dump_model
rows = pd.read_csv({str(PRATIWI)!r}).head(80)
texts = rows["berita"].astype(str).tolist()
model = Pipeline([("word", CompactTfidfVectorizer(min_df=2)), ("clf", LogisticRegression())])
model.fit(texts, rows["label"].astype(int))
dump_model(model, "m", pathlib.Path(sys.argv[1]), datetime.date(2026, 1, 1), texts)
"""
    for seed in ("1", "2"):  # string hashing differs between the two processes
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / seed)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "1" / "m.skops").read_bytes() == (tmp_path / "2" / "m.skops").read_bytes()


def test_a_compact_vectorizer_keeps_terms_ending_in_a_nul_character():
    # numpy's fixed-width strings drop trailing NULs: 'b\x00' came back as 'b' and took its index.
    import skops.io as sio

    from saring.judge.classifier.compact_tfidf import CompactTfidfVectorizer

    docs = ["ab cd", "ab\x00", "ab\x00 x", "ab\x00 y"]
    fitted = CompactTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 2)).fit(docs)
    data = sio.dumps(fitted)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert loaded.vocabulary_ == fitted.vocabulary_
    assert (loaded.transform(docs) != fitted.transform(docs)).nnz == 0


GREETINGS = ["ya", "x", "Mantap", "Oke pak", "Selamat pagi semua", "Siap, terima kasih",
             "Siap, terima kasih @Budi Santoso 🙏", "Terima kasih infonya Pak Budi", "wkwkwk", "👍"]


def test_greetings_and_thanks_carry_no_claim(scorer: Scorer) -> None:
    """A greeting read as a short claim: "Selamat pagi semua" scored 0.78 and "ya" 0.73 ("tinggi")."""
    claims = ["Vaksin mengandung babi", "Selamat pagi, surat suara sudah dicoblos. Sebarkan!",
              "Selamat pagi https://bit.ly/surat-suara", "Awas!"]
    scored = scorer.score(GREETINGS + claims)
    assert [(s.hoax_score, s.hoax_terms) for s in scored[: len(GREETINGS)]] == [(0.0, ())] * len(GREETINGS)
    assert all(s.hoax_score > 0.3 for s in scored[len(GREETINGS):])
    assert list(scorer.probabilities(GREETINGS + claims)[1]) == [s.hoax_score for s in scored]


def test_no_claim_rule_touches_no_training_or_heldout_text() -> None:
    """The rule changes no measured number: no labelled text of the model card is a greeting."""
    from saring.judge.classifier.training import base_splits
    from saring.noclaim import has_no_claim

    sp = base_splits()
    texts = pd.concat([sp.hoax_train["text"], sp.hoax_heldout["text"], sp.election_heldout["text"]])
    assert not any(has_no_claim(str(t)) for t in texts)


def test_greetings_scored_before_the_no_claim_rule_are_served_as_scoring_now_stores_them(
        tmp_path, scorer: Scorer) -> None:
    # A forum upgrading saring kept what the saring before the no-claim rule stored: "Selamat
    # pagi semua" posted on a Telegram channel, and the thanks a member pasted into `saring check`
    # (the fixture chat's), at 0.78 and 0.70, until someone ran `saring rescore`.
    # The upgrade serves them as scoring now stores them, without loading a model.
    from _db import database_at

    from saring.collect.retention import PURGED_TITLE
    from saring.collect.scrub import GENERIC, for_model
    from saring.desk.check import load_check
    from saring.pipeline.ingest import score_pending
    from saring.storage.database import Store, connect_snapshot

    greeting, thanks = "Selamat pagi semua", "Siap, terima kasih @Budi Santoso"
    copied = f"+62 812-0000-0002: {thanks}"  # copied with its sender's number: stored masked
    chain = GENERIC.text(CHAIN)  # the demo's forward, as the tipline stores it
    items = [("post", "pemkot", "telegram", greeting, greeting),
             ("chain", "tipline", "tipline", chain.splitlines()[0], chain),
             ("purged", "tipline", "tipline", PURGED_TITLE, None)]  # retention dropped its text
    # What the older saring stored: the models' own scores (the rule did not exist).
    old = scorer._model_scores([for_model(t) for t in (greeting, chain, f"{PURGED_TITLE}\n", thanks, chain,
                                                       copied)])
    assert old[0].hoax_score > 0.5 and old[3].hoax_score > 0.5 and old[5].hoax_score > 0  # the control
    db = tmp_path / "saring.duckdb"
    con = database_at(db, 16)
    for (item_id, source, kind, title, text), s in zip(items, old, strict=False):
        con.execute("INSERT INTO items (item_id, url, source_id, title, summary, first_seen_at, state, kind) "
                    "VALUES (?, ?, ?, ?, ?, now(), 'scored', ?)",
                    [item_id, f"https://x.example/{item_id}", source, title, text, kind])
        con.execute("INSERT INTO articles (item_id, title, text, text_source) VALUES (?, ?, ?, 'summary')",
                    [item_id, title, text])
        con.execute("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, now() - INTERVAL 1 DAY)",
                    [item_id, scorer.model_version, s.election_score, s.hoax_score, list(s.election_terms),
                     list(s.hoax_terms)])
    checks = (("c1", thanks, old[3]), ("c2", chain, old[4]), ("c3", GENERIC.text(copied), old[5]))
    for check_id, text, s in checks:
        con.execute("INSERT INTO checks (check_id, fingerprint, query, text, election_score, hoax_score, "
                    "election_terms, hoax_terms, model_version, similar_json, factchecks_json, checked_at) "
                    "VALUES (?, 'f', ?, ?, ?, ?, ?, ?, ?, '[]', '[]', now())",
                    [check_id, text, text, s.election_score, s.hoax_score, list(s.election_terms),
                     list(s.hoax_terms), scorer.model_version])
    con.close()
    served = "SELECT item_id, election_score, hoax_score, election_terms, hoax_terms FROM served_scores"

    with Store(db) as store:  # the upgrade
        upgraded = sorted(store.con.execute(served).fetchall())
        score_pending(store, scorer, again=[i[0] for i in items])  # what scoring them again stores
        rescored = sorted(store.con.execute(served).fetchall())
        after = [load_check(store.con, c) for c in ("c1", "c2", "c3")]
    assert upgraded == rescored
    assert [(r[0], r[2], r[4]) for r in upgraded if r[0] == "post"] == [("post", 0.0, [])]
    assert {r[0]: r[2] for r in upgraded}["chain"] == old[1].hoax_score
    assert {r[0]: r[2] for r in upgraded}["purged"] == old[2].hoax_score
    assert (after[0].hoax_score, after[0].hoax_terms, after[0].no_claim) == (0.0, [], True)
    assert after[0].election_score == old[3].election_score
    assert (after[1].hoax_score, after[1].no_claim) == (old[4].hoax_score, False)
    assert (after[2].hoax_score, after[2].hoax_terms, after[2].no_claim) == (0.0, [], True)
    with connect_snapshot(db) as copy:  # the analysts', the digest's and the desk's
        assert copy.execute("SELECT hoax_score FROM item_overview WHERE item_id = 'post'").fetchone() == (0,)


def test_a_short_text_has_the_cut_off_of_short_texts_and_an_old_card_one_for_all() -> None:
    from saring.judge.classifier.score import operating_points

    card = {"operating_point": 0.98, "short_operating_point": 0.94, "short_words": 3}
    texts = ["satu dua tiga", "satu dua tiga empat", "", "  satu\n dua  "]
    assert operating_points(texts, card).tolist() == [0.94, 0.98, 0.94, 0.94]
    assert operating_points(texts, {"operating_point": 0.98}) == 0.98  # a version from before


def test_the_first_words_of_held_out_election_articles_are_election_news(scorer: Scorer) -> None:
    """Trained on whole articles only, the first 25 words of 11 of the 22 held-out election
    articles scored under 0.5: a post is as short as that. Measured, never trained on."""
    card = json.loads((MODELS / "election.json").read_text(encoding="utf-8"))
    assert card["short_operating_point"] < card["operating_point"] and card["short_words"] >= 25
    held = pd.read_csv(MODELS / "data" / "heldout" / "election_indosum_newest.csv")
    scores = scorer.probabilities(lead_words(held["text"].astype(str).tolist(), 25))[0]
    flagged = scores >= 0.5
    positives = held["label"].to_numpy() == 1
    assert flagged[positives].mean() >= 0.6  # recall; 0.50 before
    assert flagged[~positives].sum() <= 2  # none of the 659 other articles before, none now


def test_dpt_written_small_is_dapat_not_the_voter_list(scorer: Scorer) -> None:
    from saring.judge.classifier.textfeatures import dpt_shorthand_expanded

    assert dpt_shorthand_expanded(["masker dpt memicu jerawat", "DPT Pemilu", None]) == [
        "masker dapat memicu jerawat", "DPT Pemilu", ""]
    # The tweet is IDNHoaxCorpus's; the second sentence reports a voter list.
    tweet, voters = scorer.score([
        "Jeruk lemon dpt menghilangkan jerawat dan bekasnya, bintik dan flek hitam, mencerahkan kulit "
        "serta mengurangi komedo.",
        "KPU menetapkan DPT Pemilu 2024 di Kota Batu sebanyak 150 ribu pemilih."])
    assert "dpt" not in tweet.election_terms and tweet.election_score < 0.5
    assert "dpt" in voters.election_terms and voters.election_score > 0.5


def test_short_copies_are_the_longer_texts_cut_with_their_labels() -> None:
    from saring.judge.classifier.training import with_short_copies

    texts = ["satu dua tiga empat lima", "satu dua", "enam tujuh delapan sembilan"]
    frame = pd.DataFrame({"text": texts, "label": [1, 0, 0], "group": ["m1", "m2", "m3"]})
    out = with_short_copies(frame, [3])
    assert out["text"].tolist() == [*texts, "satu dua tiga", "enam tujuh delapan"]
    assert out["label"].tolist() == [1, 0, 0, 1, 0]
    assert out["group"].tolist() == ["m1", "m2", "m3", "m1", "m3"]
