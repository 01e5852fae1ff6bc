"""Hand-built text features for the classifiers: chain-message cues and election terms.

Both are scikit-learn transformers stored *inside* the model files (``classifiers/*.skops``)
together with the pattern lists they were fitted with, so a model keeps computing what it was
trained on when the lists below change (a change takes effect with ``make train``).

* :class:`HoaxCues` counts, per kind, what fact-checkers describe as the marks of Indonesian
  chain messages (calls to spread the message, alarm, hearsay, "the media hides it", shouting,
  links to non-news hosts, phone numbers) and the marks of a clarification or of news
  reporting that *lower* the risk (denials, "tidak benar", "[HOAKS]" in a title, quoted
  officials, a claim reported as a claim: "diklaim", "benarkah"; links to news or social media
  sites counted apart). Sources for the lists: turnbackhoax.id / Mafindo and cekfakta.com
  write-ups of chain messages, Kominfo's "ciri-ciri hoaks", and the training data (the cue
  kinds were kept only where grouped cross-validation improved; see the hoax model card).
* :class:`ElectionTerms` counts Indonesian election vocabulary by kind (contests, election
  bodies, candidacy, voting, campaign, parties) plus foreign-election markers, so that the
  election model weighs them as features rather than by a hand-set rule.

Pure functions over strings; no IO. Counts are ``log1p``-scaled by the transformers.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler

from saring.judge.classifier.identity import without_identity_words
from saring.judge.classifier.textnorm import normalize_text

__all__ = [
    "CUE_KINDS",
    "CUE_PATTERNS",
    "CueScaler",
    "ELECTION_TERMS",
    "ElectionTerms",
    "HoaxCues",
    "LeadText",
    "WholeTextCue",
    "cue_counts",
    "cue_evidence",
    "election_term_hits",
    "lead_words",
    "lead_words_keeping_text",
    "normalize_char_lead",
    "normalize_char_lead_blind",
]


def _by_kind(patterns: Iterable[tuple[str, Iterable[str]]]) -> re.Pattern[str]:
    """One whole-word regex with a named group per kind: one pass counts every kind."""
    groups = [f"(?P<k{i}>{'|'.join(sorted(p, key=len, reverse=True))})" for i, (_, p) in enumerate(patterns)]
    return re.compile(rf"(?<!\w)(?:{'|'.join(groups)})(?!\w)")


def _alternation(patterns: Iterable[str]) -> re.Pattern[str]:
    """One whole-word regex over several patterns (longest first)."""
    body = "|".join(sorted(patterns, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


# ----------------------------------------------------------------------------- hoax cues

# kind -> regex patterns over NFKC lower-cased text. Kept short and specific: a pattern that
# news reporting uses as often as chain messages ("segera", "tolong") is left out.
CUE_PATTERNS: dict[str, list[str]] = {
    "spread": [
        r"(?:di)?sebar(?:kan|luaskan)",
        r"(?:di)?viralkan",
        r"bagikan(?:lah)?(?: ke| kepada)?",
        r"share(?: ke| kepada| sebanyak)?",
        r"di ?share",
        r"teruskan(?: ke| pesan)?",
        r"forward(?:kan)?",
        r"broadcast",
        r"kirim(?:kan)? ke (?:semua|seluruh|\w+ (?:grup|group|orang|teman|kontak))",
        r"jangan (?:berhenti|putus|stop) di (?:anda|kamu|sini|tangan \w+)",
        r"jgn (?:berhenti|putus)",
        r"ramaikan",
        r"bantu (?:share|sebar\w*|viral\w*)",
        r"copas",
        r"copy ?paste",
        r"info a1",
        r"semua grup",
        r"grup sebelah",
        r"tolong (?:di)?(?:sebar\w*|share|viralkan|teruskan)",
        r"sampaikan (?:ke|kepada) (?:semua|keluarga|teman)",
        r"(?:agar|biar|supaya) (?:semua|banyak) (?:orang )?tahu",
    ],
    "alarm": [
        r"info penting",
        r"pesan penting",
        r"sangat penting",
        r"penting(?= ?!)",
        r"waspada",
        r"hati[- ]?hati",
        r"hati2",
        r"awas",
        r"darurat",
        r"mendesak",
        r"gawat",
        r"bahaya",
        r"berbahaya",
        r"heboh",
        r"geger",
        r"breaking news",
        r"jangan sampai",
        r"sebelum terlambat",
        r"mulai besok",
        r"mulai hari ini",
        r"pengumuman",
        r"peringatan",
        r"astag?h?firullah",
        r"innalillahi",
        r"ngeri",
        r"mengerikan",
        r"merinding",
        r"mohon perhatian",
        r"urgent",
        r"siaga",
        r"mematikan",
        r"menggemparkan",
        r"menghebohkan",
        r"⚠\ufe0f?",
        r"🚨",
        r"‼\ufe0f?",
        r"❗",
        r"📢",
        r"🆘",
    ],
    "hearsay": [
        r"katanya(?= \w)",
        r"kabarnya",
        r"konon",
        r"dengar[- ]dengar",
        r"denger2",
        r"dengar2",
        r"info dari",
        r"dari teman",
        r"teman saya",
        r"teman (?:yang|yg) (?:kerja|bekerja)",
        r"saudara saya",
        r"orang dalam",
        r"sumber terpercaya",
        r"info valid",
        r"valid 100",
        r"100 ?% (?:benar|valid|akurat)",
        r"sudah terbukti",
        r"terbukti ampuh",
        r"bukan hoa(?:x|ks)",
        r"ini nyata",
        r"fakta mengejutkan",
        r"menurut (?:seorang|salah satu) (?:dokter|ahli|pakar)",
        r"seorang dokter",
        r"baru tau",
        r"baru tahu",
    ],
    "hidden": [
        r"media (?:tidak|tak|nggak|gak|ga) (?:memberitakan|meliput|berani|mau)",
        r"tidak (?:di)?beritakan",
        r"tak (?:di)?beritakan",
        r"media (?:bungkam|diam)",
        r"dibungkam",
        r"ditutup[- ]tutupi",
        r"disembunyikan",
        r"menyembunyikan",
        r"tidak akan (?:diberitakan|ditayangkan|tayang)",
        r"sebelum dihapus",
        r"(?:akan|segera) dihapus",
        r"jarang diketahui",
        r"tidak pernah diberitakan",
        r"media mainstream",
        r"dirahasiakan",
        r"konspirasi",
    ],
    "clarify": [
        r"tidak benar",
        r"tak benar",
        r"(?<!bukan )hoa(?:x|ks)",
        r"klarifikasi",
        r"mengklarifikasi",
        r"faktanya",
        r"fakta",
        r"\[\s*(?:salah|hoaks|hoax|disinformasi|misinformasi|menyesatkan)\s*\]",
        r"cek fakta",
        r"membantah",
        r"dibantah",
        r"bantah",
        r"menepis",
        r"meluruskan",
        r"dipastikan",
        r"tidak ditemukan",
        r"disinformasi",
        r"misinformasi",
        r"menyesatkan",
        r"keliru",
        r"tidak terbukti",
        r"belum terbukti",
        r"tidak ada (?:kaitan|hubungan)",
        r"mitos",
        r"salah kaprah",
        r"turnbackhoax",
        r"mafindo",
        r"kominfo",
        r"penjelasan",
        r"menegaskan",
        r"pesan berantai",
        r"beredar (?:kabar|pesan|informasi|narasi|video|foto|isu|unggahan|postingan)",
        r"bohong",
        r"(?:tidak|tak) perlu (?:khawatir|cemas|takut|panik|resah)",
        r"dipastikan aman",
        r"aman dikonsumsi",
        r"(?:tidak|tak) mengandung",
        r"hasil uji",
        r"uji lab(?:oratorium)?",
        r"bernafas lega",
        r"(?:tidak|tak|belum) ada bukti",
        r"ternyata (?:tidak|tak|bukan)",
        r"sebenarnya",
        r"bukan fakta",
        r"(?:tidak|tak) sesuai fakta",
        r"(?:rekaman|foto|video|gambar) lama",
        r"daur ulang",
        r"di luar konteks",
        r"konteks yang (?:salah|keliru)",
    ],
    "attribution": [
        r"ujar(?:nya)?",
        r"tutur(?:nya)?",
        r"ungkap(?:nya)?",
        r"jelasnya",
        r"katanya(?=\s*[,.\"”])",
        r"kata (?:dia|beliau|kepala|ketua|direktur|juru bicara|kapolres|kapolda|kapolri|menteri)",
        r"saat dikonfirmasi",
        r"dalam keterangan(?: tertulis| resmi| pers)?",
        r"kepada wartawan",
        r"di kantornya",
        r"dikutip dari",
        r"mengatakan",
        r"menyatakan",
        r"menjelaskan",
        r"kepala (?:dinas|bidang|bagian|badan|seksi)",
        r"kabid ?humas",
        r"kabag ?penum",
        r"kadiv ?humas",
        r"juru bicara",
        r"jubir",
        r"konferensi pers",
        r"siaran pers",
    ],
    # A claim reported *as* a claim, as fact-checks and news write about what circulates
    # ("diklaim", "benarkah", "narasi"); a chain message states its claim. Added 2026-11-28
    # (grouped CV: classifiers/README.md).
    "report": [
        r"diklaim",
        r"klaim(?:nya)?",
        r"disebut[- ]sebut",
        r"dikabarkan",
        r"kabar burung",
        r"isu(?:nya)?",
        r"benarkah",
        r"(?:mitos|hoaks|hoax) atau fakta",
        r"narasi",
        r"anggapan",
        r"rumor",
        r"desas[- ]desus",
        r"simpang siur",
        r"viral di media sosial",
        r"ramai di media sosial",
    ],
}

NEWS_HOSTS: tuple[str, ...] = (
    "kompas",
    "detik",
    "tempo",
    "antaranews",
    "cnnindonesia",
    "liputan6",
    "tribunnews",
    "okezone",
    "viva",
    "republika",
    "suara",
    "merdeka",
    "kumparan",
    "sindonews",
    "jawapos",
    "beritasatu",
    "idntimes",
    "tirto",
    "katadata",
    "bisnis",
    "kontan",
    "medcom",
    "inews",
    "jpnn",
    "grid",
    "cnbcindonesia",
    "tvonenews",
    "metrotvnews",
    "kompastv",
    "malangpost",
    "jatimpos",
    "suryamalang",
    "radarmalang",
    "timesindonesia",
    "turnbackhoax",
    "cekfakta",
    "bbc",
    "voaindonesia",
    "mediaindonesia",
    "poskota",
    "rmol",
    "go.id",
)
"""Hosts counted as news, fact-checkers or government; links anywhere else are a cue."""

SOCIAL_HOSTS: tuple[str, ...] = (
    "facebook.com", "fb.me", "fb.com", "fb.watch", "youtube.com", "youtu.be", "twitter.com", "t.co",
    "x.com", "instagram.com", "instagr.am", "tiktok.com", "chat.whatsapp.com", "wa.me", "t.me",
    "blogspot.com", "wordpress.com",
)
"""Social media, messaging and blog sites (the site or a subdomain of it): where chain messages
point, where a news report points to an outlet."""

_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_PHONE = re.compile(r"(?<![\w/])(?:\+?62|0)8\d(?:[\s.-]?\d){6,11}(?!\d)")
_CAPS_WORD = re.compile(r"\b[A-Z]{5,}\b")
_PUNCT_RUN = re.compile(r"[!?]{2,}")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")  # not the dots of "www.kpu.go.id" or "Rp 1.500"
_NON_LETTERS = re.compile(r"[\W\d_]+")  # the complement of letters ([^\W\d_])
_UPPER = re.compile(r"[A-Z\u00c0-\u00de]")  # Latin capitals (Indonesian is written in Latin script)

_SHOUTING_AND_LINKS = (
    "shouting_share",
    "shouting_words",
    "punct_runs",
    "exclamations",
    "links_non_news",
    "phone_numbers",
)
CUE_KINDS: tuple[str, ...] = (*CUE_PATTERNS, *_SHOUTING_AND_LINKS)
"""Column order of :func:`cue_counts` with the default patterns."""

LOWERS_RISK = _alternation(CUE_PATTERNS["clarify"] + CUE_PATTERNS["attribution"] + CUE_PATTERNS["report"])
"""The cue kinds that mark a clarification or news reporting."""
_LINK_KINDS = ("links_news", "links_social")
"""Columns of :class:`HoaxCues` with ``link_kinds``: links to news (or the forum's outlets), and
to social media (:data:`SOCIAL_HOSTS`)."""


@functools.lru_cache(maxsize=16)
def _compiled(patterns: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, re.Pattern[str]]:
    return {kind: _alternation(p) for kind, p in patterns}


@functools.lru_cache(maxsize=16)
def _combined(patterns: tuple[tuple[str, tuple[str, ...]], ...]) -> re.Pattern[str]:
    return _by_kind(patterns)


def _count_kinds(rx: re.Pattern[str], text: str, n: int) -> list[float]:
    counts = [0.0] * n
    for m in rx.finditer(text):
        counts[int(m.lastgroup[1:])] += 1  # type: ignore[index]
    return counts


def _frozen(patterns: dict[str, list[str]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((k, tuple(v)) for k, v in (patterns or CUE_PATTERNS).items())


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _non_news_hosts(text: str, news_hosts: Sequence[str] = NEWS_HOSTS,
                    outlets: Sequence[str] = ()) -> list[str]:
    """Hosts of the links in ``text`` that are neither news (a fragment of ``news_hosts``) nor
    on a configured outlet's site (``outlets``: the site or a subdomain of it, so a look-alike
    such as ``malangpost.id.kabar-viral.com`` stays a cue)."""
    hosts = []
    for url in _URL.findall(text):
        try:
            host = (urlsplit(url if "://" in url else "http://" + url).hostname or "").lower()
        except ValueError:  # a bracket in its site name ("https://[tautan]"): no site to name
            continue
        # A link ending a sentence or an aside ("sumber: www.kabar.id." or "(kabar.id),") carries
        # the punctuation in its host: the site comparison must not see it.
        bare = host.rstrip(".,;:!?)]}")
        if (host and not any(h in host for h in news_hosts)
                and not any(bare == site or bare.endswith("." + site) for site in outlets)):
            hosts.append(host)
    return hosts


def _may_link(low: str) -> bool:
    """Whether lower-cased ``low`` can hold a link (:data:`_URL` needs "://" or "www."): a text
    without one skips the link patterns."""
    return "://" in low or "www." in low


def _without_urls(text: str) -> str:
    """``text`` with each link blanked to spaces of its length (positions kept for quoting)."""
    return _URL.sub(lambda m: " " * len(m.group()), text)


def _social(hosts: Iterable[str]) -> list[str]:
    bare = (h.rstrip(".,;:!?)]}") for h in hosts)
    return [h for h in bare if any(h == s or h.endswith("." + s) for s in SOCIAL_HOSTS)]


def cue_counts(
    text: str | None, patterns: dict[str, list[str]] | None = None, news_hosts: Sequence[str] = NEWS_HOSTS,
    outlets: Sequence[str] = (), link_kinds: bool = False, skip_urls: bool = False,
) -> list[float]:
    """Raw cue counts of one text: one per pattern kind, then the shouting and link counts, and with
    ``link_kinds`` the links to news sites (or ``outlets``) and to social media (:data:`_LINK_KINDS`).

    ``skip_urls``: the pattern kinds read the text without its links (a link's path, such as
    ``…/pengumuman`` or a news slug with "hoaks" in it, is not the message's own words)."""
    raw = _fold(text)
    low = raw.lower()
    linked = _may_link(low)
    frozen = _frozen(patterns)
    row = _count_kinds(_combined(frozen), _without_urls(low) if skip_urls and linked else low, len(frozen))
    letters = len(_NON_LETTERS.sub("", raw))  # counted without a list of every letter
    upper = len(_UPPER.findall(raw))
    other = _non_news_hosts(raw, news_hosts, outlets) if linked else []
    row += [
        upper / letters if letters >= 20 else 0.0,
        float(len(_CAPS_WORD.findall(raw))),
        float(len(_PUNCT_RUN.findall(raw))),
        float(raw.count("!")),
        float(len(other)),
        float(len(_PHONE.findall(raw))),
    ]
    if link_kinds:  # the hosts read once for both
        row += [float(len(_URL.findall(raw)) - len(other)) if linked else 0.0, float(len(_social(other)))]
    return row


def cue_evidence(
    text: str | None,
    kind: str,
    patterns: dict[str, list[str]] | None = None,
    news_hosts: Sequence[str] = NEWS_HOSTS,
    outlets: Sequence[str] = (), skip_urls: bool = False,
) -> str | None:
    """A short quote of what made ``kind`` fire in ``text`` (for a reason), or None."""
    raw = _fold(text)
    compiled = _compiled(_frozen(patterns))
    if kind in compiled:
        # the links blanked as counting skipped them (same length: the quote is cut from ``raw``)
        m = compiled[kind].search(_without_urls(raw.lower()) if skip_urls else raw.lower())
        if not m:
            return None
        # Quote from the match to the end of its sentence (at most five words), case as written;
        # a quote cut short says so, and never stops inside a word.
        stop = _SENTENCE_END.search(raw, m.end())
        sentence = raw[m.start() : stop.end() if stop else len(raw)].split()
        words = sentence[:5]
        while len(" ".join(words)) > 60 and len(words) > 1:
            words = words[:-1]
        quote = " ".join(words)
        cut = len(words) < len(sentence) or len(quote) > 60
        quote = quote[:60].strip(" ,;:")
        return (quote + "…" if cut else quote) or None
    if kind in ("links_non_news", "links_social"):
        hosts = _non_news_hosts(raw, news_hosts, outlets)
        hosts = _social(hosts) if kind == "links_social" else hosts
        return ", ".join(dict.fromkeys(hosts[:3])) or None
    if kind == "shouting_words":  # a link's capitals ("t.me/INFOPEMILU") are not the message shouting
        return ", ".join(list(dict.fromkeys(_CAPS_WORD.findall(_without_urls(raw))))[:3]) or None
    return None  # phone numbers are never quoted back


def lead_words(texts: Iterable[str | None], max_words: int = 100) -> list[str]:
    """The first ``max_words`` words of each text (a post is usually shorter and stays whole).

    The hoax model reads what a reader sees first: for an article that is the title and lead.
    """
    out = []
    for t in texts:
        t = t or ""
        if len(t) > max_words * 4:  # cheap test before splitting a long text
            words = t.split(maxsplit=max_words)
            t = " ".join(words[:max_words])
        out.append(t)
    return out


_DPT_SHORTHAND = re.compile(r"\bdpt\b")  # case-sensitive: "DPT" stays


def dpt_shorthand_expanded(texts: Iterable[str | None]) -> list[str]:
    """Each text with "dpt" written small read as "dapat" (can, get), its chat shorthand.

    The voter list (Daftar Pemilih Tetap) is written "DPT". Read case-blind, 22 of IDNHoaxCorpus's
    tweets ("masker ... dpt memicu jerawat") counted an election term, and none is about one.
    """
    out = []
    for t in texts:
        t = t or ""
        out.append(_DPT_SHORTHAND.sub("dapat", t) if "dpt" in t else t)
    return out


class LeadText(str):
    """A text's lead (as :func:`lead_words` cuts it) that keeps the whole text in ``whole``, for
    the one feature block that reads past the lead (:class:`WholeTextCue`; one without it is
    read as its own whole)."""

    whole: str


def lead_words_keeping_text(texts: Iterable[str | None], max_words: int = 100) -> list[LeadText]:
    """:func:`lead_words`, each lead carrying its whole text."""
    texts = list(texts)
    out = []
    for text, lead in zip(texts, lead_words(texts, max_words), strict=True):
        kept = LeadText(lead)
        kept.whole = text or ""
        out.append(kept)
    return out


class WholeTextCue(TransformerMixin, BaseEstimator):
    """``log1p`` count of one cue kind over the whole text (``LeadText.whole``; a plain string is
    its own whole), links skipped.

    The hoax model reads an article's lead, and a news report often restates the rumour there
    and says "tidak benar" or "klarifikasi" only further down (classifiers/README, session 27).

    Args:
        kind: the cue kind counted (a key of ``patterns``).
        patterns: kind -> regex patterns (default :data:`CUE_PATTERNS`, copied at fit).
        max_chars: the most of a text read (a cap on time for a very long page).
    """

    def __init__(self, kind: str = "clarify", patterns: dict[str, list[str]] | None = None,
                 max_chars: int = 50_000) -> None:
        self.kind = kind
        self.patterns = patterns
        self.max_chars = max_chars

    def fit(self, X: Sequence[str], y: object = None) -> WholeTextCue:
        self.patterns_ = {k: list(v) for k, v in (self.patterns or CUE_PATTERNS).items()}
        if self.kind not in self.patterns_:
            raise ValueError(f"no cue kind {self.kind!r}")
        self.n_features_in_ = 1
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:
        # the kind's own regex, not the combined one of every kind: a third of the time on articles
        rx = _compiled(_frozen(self.patterns_))[self.kind]
        counts = []
        for text in X:
            low = _fold(getattr(text, "whole", text)[: self.max_chars]).lower()
            if _may_link(low):
                low = _without_urls(low)
            counts.append(len(rx.findall(low)))
        return np.log1p(np.asarray(counts, dtype=np.float64).reshape(-1, 1))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray([self.kind], dtype=object)


class HoaxCues(TransformerMixin, BaseEstimator):
    """Chain-message and clarification cue counts, ``log1p``-scaled.

    Args:
        patterns: kind -> regex patterns (default :data:`CUE_PATTERNS`, copied at fit).
        news_hosts: host fragments that count as news (default :data:`NEWS_HOSTS`).
        link_kinds: also count links to news and to social media (:data:`_LINK_KINDS`);
            off in models made before it (a class default, so they load and score as before).
        skip_urls: the pattern kinds do not read inside links (see :func:`cue_counts`); off in
            models made before it, likewise.

    ``outlets_`` (set on a copy by the scorer, never fitted): the sites of the forum's own news
    sources, whose links count as news too.
    """

    outlets_: tuple[str, ...] = ()
    link_kinds: bool = False
    skip_urls: bool = False

    def __init__(
        self, patterns: dict[str, list[str]] | None = None, news_hosts: Sequence[str] | None = None,
        link_kinds: bool = False, skip_urls: bool = False,
    ) -> None:
        self.patterns = patterns
        self.news_hosts = news_hosts
        self.link_kinds = link_kinds
        self.skip_urls = skip_urls

    def fit(self, X: Sequence[str], y: object = None) -> HoaxCues:
        self.patterns_ = {k: list(v) for k, v in (self.patterns or CUE_PATTERNS).items()}
        self.news_hosts_ = list(self.news_hosts or NEWS_HOSTS)
        self.n_features_in_ = 1
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:
        args = (self.patterns_, self.news_hosts_, self.outlets_, self.link_kinds, self.skip_urls)
        rows = [cue_counts(t, *args) for t in X]
        return np.log1p(np.array(rows, dtype=np.float64).reshape(len(X), len(self.kinds())))

    def kinds(self) -> tuple[str, ...]:
        return (*self.patterns_, *_SHOUTING_AND_LINKS, *(_LINK_KINDS if self.link_kinds else ()))

    def evidence(self, text: str, kind: str) -> str | None:
        """What made ``kind`` fire in ``text``, quoted (see :func:`cue_evidence`)."""
        return cue_evidence(text, kind, self.patterns_, self.news_hosts_, self.outlets_, self.skip_urls)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(self.kinds(), dtype=object)


class CueScaler(StandardScaler):
    """Standardises cue counts, dividing each by its spread, but by no less than ``floor``.

    A cue that fired in a handful of training texts has a tiny spread: divided by it, one
    occurrence became 30+ standard units, and a small weight fitted on four texts moved a score
    by nearly 3 logits (a phone number in a chain message turned "tinggi" into the band's edge).
    With the floor such a cue keeps its own scale, and regularisation lets it count only as far
    as the data supports. ``mean_`` and ``scale_`` keep StandardScaler's meaning (the scorer reads
    them to recover a cue's raw count).
    """

    def __init__(self, floor: float = 1.0) -> None:
        super().__init__()
        self.floor = floor

    def fit(self, X, y=None, sample_weight=None) -> CueScaler:  # noqa: N803 - sklearn's names
        super().fit(X, y, sample_weight)
        self.scale_ = np.maximum(self.scale_, self.floor)
        return self


# ----------------------------------------------------------------------------- election terms

ELECTION_TERMS: dict[str, list[str]] = {
    "contest": [
        "pemilu",
        "pemilihan umum",
        "pilkada",
        "pilpres",
        "pileg",
        "pilgub",
        "pilbup",
        "pilwali",
        "pilwalkot",
        "pilkades",
        "pemilihan gubernur",
        "pemilihan bupati",
        "pemilihan wali kota",
        "pemilihan walikota",
        "pemilihan kepala daerah",
        "pemilihan presiden",
        "pemilihan legislatif",
        "pesta demokrasi",
    ],
    "bodies": [
        "kpu",
        "kpud",
        "bawaslu",
        "panwaslu",
        "panwas",
        "panwascam",
        "dkpp",
        "gakkumdu",
        "kpps",
        "pps",
        "ppk",
        "bakohumas",
        "sentra gakkumdu",
    ],
    "candidacy": [
        "cagub",
        "cawagub",
        "cabup",
        "cawabup",
        "cawali",
        "cawawali",
        "capres",
        "cawapres",
        "caleg",
        "bakal calon",
        "bacalon",
        "calon gubernur",
        "calon wakil gubernur",
        "calon bupati",
        "calon wakil bupati",
        "calon wali kota",
        "calon walikota",
        "calon wakil wali kota",
        "calon presiden",
        "calon wakil presiden",
        "calon legislatif",
        "calon kepala daerah",
        "calon anggota legislatif",
        "calon independen",
        "jalur perseorangan",
        "paslon",
        "pasangan calon",
        "petahana",
        "diusung",
        "mengusung",
        "pengusung",
        "partai pengusung",
        "tim pemenangan",
        "tim sukses",
        "timses",
        "nomor urut",
        "elektabilitas",
        "pencalonan",
        "dicalonkan",
        "mencalonkan",
    ],
    "voting": [
        "tps",
        "surat suara",
        "kotak suara",
        "coblos",
        "mencoblos",
        "pencoblosan",
        "tercoblos",
        "pemungutan suara",
        "hak pilih",
        "pemilih",
        "dpt",
        "daftar pemilih",
        "golput",
        "quick count",
        "hitung cepat",
        "real count",
        "rekapitulasi",
        "perolehan suara",
        "suara sah",
        "situng",
        "sirekap",
        "penghitungan suara",
    ],
    "campaign": [
        "kampanye",
        "kampanye hitam",
        "politik uang",
        "money politic",
        "money politics",
        "serangan fajar",
        "debat kandidat",
        "debat publik",
        "ambang batas",
        "presidential threshold",
        "parliamentary threshold",
        "sengketa pilkada",
        "sengketa pemilu",
        "uu pemilu",
        "ruu pemilu",
        "undang-undang pemilu",
    ],
    "party": ["partai politik", "parpol", "koalisi", "partai"],
    # Foreign elections are not the forum's business (IndoSum labels them 0).
    "foreign": [
        "amerika serikat",
        "as",
        "inggris",
        "prancis",
        "perancis",
        "jerman",
        "rusia",
        "korea selatan",
        "korsel",
        "jepang",
        "thailand",
        "filipina",
        "malaysia",
        "singapura",
        "australia",
        "turki",
        "iran",
        "trump",
        "clinton",
        "obama",
        "macron",
        "le pen",
        "merkel",
        "brexit",
        "duterte",
        "putin",
    ],
}
"""Kinds of election vocabulary, whole words on lower-cased text. ``party`` and ``foreign`` are
context, not election terms: they are features but never shown as "election terms"."""

_SHOWN_KINDS = ("contest", "bodies", "candidacy", "voting", "campaign")


def _trie_pattern(phrases: Iterable[str]) -> str:
    """One regex alternation over literal phrases, factored by common prefix.

    A flat alternation of ~150 phrases tries every phrase at every word start; the factored
    form reads each character once. Longer continuations come first, so at a position the
    longest phrase that ends at a word boundary wins (what the longest-first flat list gives).
    """
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for word_i, word in enumerate(phrase.split()):
            for ch in (" " if word_i else "") + word:
                node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [
            (r"\s+" if ch == " " else re.escape(ch)) + build(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if "" in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return build(trie)


@functools.lru_cache(maxsize=16)
def _election_compiled(
    terms: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[re.Pattern[str], dict[str, int]]:
    """The election-term regex and, per phrase (single-spaced), its kind's index.

    A phrase listed under two kinds counts for the first, as a flat alternation in kind order would.
    """
    kind_of: dict[str, int] = {}
    for i, (_, words) in enumerate(terms):
        for w in words:
            kind_of.setdefault(" ".join(w.split()), i)
    rx = re.compile(rf"(?<!\w){_trie_pattern(kind_of)}(?!\w)")
    return rx, kind_of


def _election_matches(
    text: str | None, terms: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[list[float], list[str]]:
    """Counts per kind, and the shown terms (election kinds only) in order of appearance."""
    counts = [0.0] * len(terms)
    shown: list[str] = []
    rx, kind_of = _election_compiled(terms)
    for found in rx.findall(_fold(text).lower()):
        phrase = " ".join(found.split())
        i = kind_of[phrase]
        counts[i] += 1
        if terms[i][0] in _SHOWN_KINDS:
            shown.append(phrase)
    return counts, list(dict.fromkeys(shown))


def _frozen_terms(terms: dict[str, list[str]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((k, tuple(v)) for k, v in (terms or ELECTION_TERMS).items())


def election_term_hits(text: str | None, terms: dict[str, list[str]] | None = None) -> list[str]:
    """Distinct election terms in a text (contests, bodies, candidacy, voting, campaign), in order."""
    return _election_matches(text, _frozen_terms(terms))[1]


class ElectionTerms(TransformerMixin, BaseEstimator):
    """Election vocabulary counts by kind plus the number of distinct terms, ``log1p``-scaled.

    Args:
        terms: kind -> words (default :data:`ELECTION_TERMS`, copied at fit).
    """

    def __init__(self, terms: dict[str, list[str]] | None = None) -> None:
        self.terms = terms

    def fit(self, X: Sequence[str], y: object = None) -> ElectionTerms:
        self.terms_ = {k: list(v) for k, v in (self.terms or ELECTION_TERMS).items()}
        self.n_features_in_ = 1
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:
        return self.transform_with_hits(X)[0]

    def transform_with_hits(self, X: Sequence[str]) -> tuple[np.ndarray, list[list[str]]]:
        """The features and, per text, its distinct election terms in order (one pass)."""
        frozen = _frozen_terms(self.terms_)
        out = np.zeros((len(X), len(frozen) + 1))
        hits = []
        for i, text in enumerate(X):
            counts, shown = _election_matches(text, frozen)
            out[i, :-1] = counts
            out[i, -1] = len(shown)
            hits.append(shown)
        return np.log1p(out), hits

    def hits(self, text: str) -> list[str]:
        """The election terms of ``text`` as this model knows them."""
        return election_term_hits(text, self.terms_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray((*self.terms_, "distinct_terms"), dtype=object)


CHAR_LEAD = 300
"""Character n-grams read only a text's first characters (they are ~5x slower than words)."""


def normalize_char_lead(text: str) -> str:
    """The normalised first :data:`CHAR_LEAD` characters (the char TF-IDF's preprocessor)."""
    return normalize_text(text[: CHAR_LEAD * 2])[:CHAR_LEAD]


def normalize_char_lead_blind(text: str) -> str:
    """:func:`normalize_char_lead` without identity words (see :mod:`~.identity`): the hoax
    model's character n-grams must not spell out "islam" or "prabowo" either."""
    return without_identity_words(normalize_text(text[: CHAR_LEAD * 2]))[:CHAR_LEAD]
