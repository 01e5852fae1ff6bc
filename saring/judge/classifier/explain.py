"""What a score says to a reader: the result type and its Indonesian reasons.

The policy of what may be shown as a reason lives here: cue kinds that can *raise* the risk,
each with an Indonesian label and a short quote, then marker words of the model — never
function words, places, institutions or titles, which explain nothing about a claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from saring.judge.classifier.identity import IDENTITY_WORDS
from saring.judge.classifier.textnorm import NUM_TOKEN, URL_TOKEN

__all__ = [
    "CUE_REASONS", "MAX_TERMS", "NEVER_HOAX_REASONS", "Score",
    "hoax_reasons", "not_generic_words", "readable",
]

MAX_TERMS = 5
MIN_REASON = 0.05
"""A cue or word is shown as a reason only if it adds at least this much to the logit."""
SHOWN_FROM: dict[str, float] = {"shouting_share": 0.3, "exclamations": 2}
"""A cue is shown once its raw value reaches this (counts: once it fired at all)."""

# Indonesian labels of the cue kinds that can raise the risk (kinds that lower it are never shown).
CUE_REASONS: dict[str, str] = {
    "spread": "ajakan menyebarkan",
    "alarm": "nada mendesak atau menakut-nakuti",
    "hearsay": "sumber tidak jelas",
    "hidden": "mengaku ada yang ditutup-tutupi",
    "shouting_share": "huruf kapital berlebihan",
    # a word or two in capitals (a news dateline, "PENTING") is quoted, not called excessive
    "shouting_words": "ditulis dengan huruf kapital",
    "punct_runs": "tanda seru/tanya berlebihan",
    "exclamations": "tanda seru/tanya berlebihan",  # one reason with punct_runs ("!!!" is both)
    "links_non_news": "tautan ke situs yang bukan media berita",
    "links_social": "tautan ke situs yang bukan media berita",  # one reason with links_non_news
    "phone_numbers": "meminta menghubungi nomor pribadi",
}

# Words that explain nothing about a claim: function words, places, institutions, titles.
_STOPWORDS = frozenset(
    """
    ada adalah agar akan aku anda antara apa apabila atas atau bagi bahkan bahwa baik banyak
    bagaimana belum bila bisa buat dalam dan dapat dari demikian di dia dengan harus hal hanya
    ia ini itu jadi jika juga justru ke kami kamu kan karena kata kita kini lagi lain lalu
    lebih maka mana masih mau melalui memang mereka meski namun nya oleh pada para pula pun
    saat saja sampai sangat satu saya sebagai sebelum sedang sehingga sejak sekarang selain
    seperti serta setelah sudah supaya tak tanpa tapi telah tentang tersebut terus tetapi
    tidak untuk yaitu yakni yang yg dgn utk dan the and for this that with are was from
    instansi pemerintah pemerintahan kabupaten kota provinsi kecamatan kelurahan desa daerah
    wilayah negara dinas badan kementerian kantor lembaga presiden menteri gubernur bupati
    walikota wali polisi polri tni warga masyarakat rakyat indonesia nasional jakarta pusat
    selatan utara timur barat tengah pak bapak ibu bu tahun bulan hari minggu senin selasa rabu
    kamis jumat sabtu orang urltoken numtoken mohon tolong kalau semua selamat pagi siang sore
    malam forum informasi komisi berita kabar media
    """.split()
)

_STAND_INS = frozenset({NUM_TOKEN, URL_TOKEN})
"""What the models read in place of a number or a link: a term holding one quotes nothing written."""

# Words never shown as a reason for hoax risk: a reason "kata penanda: 'islam'" or "'prabowo'"
# reads as the forum calling a faith, a people, a party or a candidate a hoax (the hoax model no
# longer reads those, but older promoted models do), and an institution's or an outlet's name
# explains nothing about a claim. (Election terms may still show candidates and election bodies.)
NEVER_HOAX_REASONS = IDENTITY_WORDS | frozenset(
    """
    polres polda polsek polresta polrestabes kapolres kapolda kapolri kapolsek brimob densus
    satpol dpr dprd mpr dpd kpu kpud bawaslu panwaslu dkpp kpps kejaksaan kejari kejati kejagung
    jaksa pengadilan hakim mahkamah kpk bnn bpom bin intelijen militer tentara kodim koramil
    kodam pemkot pemkab pemprov pemda dirjen kadis kepala ketua wakil wapres camat lurah kades
    pns asn kominfo menkominfo kemenkes menkes kemendagri kemenag istana pejabat aparat petugas
    pihak pihaknya
    detikcom detik kompas kompascom tribun tribunnews liputan6 okezone cnn kumparan republika
    sindonews jpnn idntimes kaskus
    """.split()
)

@dataclass(frozen=True)
class Score:
    """Scores and explanations for one text.

    Attributes:
        election_score: Election relevance in [0, 1]; 0.5 is the operating point.
        hoax_score: Calibrated hoax risk in [0, 1].
        election_terms: Up to 5 election terms found in the text, then model words.
        hoax_terms: Up to 5 reasons (Indonesian) that pushed the hoax score up.
    """

    election_score: float
    hoax_score: float
    election_terms: tuple[str, ...]
    hoax_terms: tuple[str, ...]


def not_generic_words() -> frozenset[str]:
    """Single-word place names of the gazetteer (never shown as a reason)."""
    try:
        from saring.gazetteer import gazetteer

        return frozenset(k for k in gazetteer().index if " " not in k)
    except Exception:  # the gazetteer is optional for scoring
        return frozenset()


def readable(term: str, hidden: frozenset[str]) -> bool:
    """Whether a model term may be shown as a reason (``hidden``: words it must not contain,
    e.g. place names, and for the hoax model :data:`NEVER_HOAX_REASONS`)."""
    from saring.judge.classifier.textfeatures import LOWERS_RISK

    words = term.split()
    if LOWERS_RISK.search(term):  # "klarifikasi" is never a reason for risk
        return False
    if not words or any(not w.isalpha() for w in words):
        return False
    if any(w in hidden or w in _STAND_INS for w in words):  # "numtoken april": never in the text
        return False
    if len(words) == 1:
        return len(term) >= 3 and term not in _STOPWORDS
    return not all(w in _STOPWORDS for w in words)


def hoax_reasons(
    lead: str, contrib: Any, raw: Any, names: list[str], words: list[tuple[str, float]], evidence: Any
) -> list[str]:
    """Indonesian reasons, strongest first: cue kinds that fired (with a quote), then marker words."""
    found: dict[str, tuple[float, str]] = {}
    loud = dict(zip(names, raw, strict=True)).get("shouting_share", 0) >= SHOWN_FROM["shouting_share"]
    for value, count, name in sorted(zip(contrib, raw, names, strict=True), key=lambda p: -p[0]):
        label = CUE_REASONS["shouting_share"] if name == "shouting_words" and loud else CUE_REASONS.get(name)
        if label is None or value < MIN_REASON or label in found or count < SHOWN_FROM.get(name, 0.5):
            continue
        quote = evidence(lead, name)
        if name == "shouting_words" and not quote:  # its capitals were only in a link
            continue
        found[label] = (float(value), f"{label}: '{quote}'" if quote else label)
    reasons = [text for _, text in sorted(found.values(), key=lambda p: -p[0])]
    strong = [w for w, v in words if v >= MIN_REASON]
    if strong and len(reasons) < MAX_TERMS:
        reasons.append("kata penanda: " + ", ".join(f"'{w}'" for w in strong))
    return reasons[:MAX_TERMS]
