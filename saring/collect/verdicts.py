"""The verdict a fact-checker's title carries ("[SALAH] ...", "[DISINFORMASI/HOAKS] ...", "Keliru, ...").

Read as fact-checks are stored (:func:`saring.judge.factcheck.upsert_factchecks`) and by the schema
step that re-reads the titles stored before a label was known (:mod:`saring.storage.schema`), so it
sits below both.
"""

from __future__ import annotations

import re

FALSE_VERDICTS: frozenset[str] = frozenset(
    {"SALAH", "HOAKS", "DISINFORMASI", "PENIPUAN", "FITNAH", "MISINFORMASI"})
"""Verdicts that say the claim is false: only these give a risk floor (classifier/evidence.py)."""
# Graded verdicts (Tempo, cekfakta.com) are kept as their own: shown beside the fact-check, but no
# risk floor, since a claim that is partly true, misleading or out of context is not a checked hoax.
VERDICTS = ("SALAH", "HOAKS", "DISINFORMASI", "PENIPUAN", "FITNAH", "MISINFORMASI", "BENAR", "KLARIFIKASI",
            "MENYESATKAN", "SEBAGIAN BENAR", "KONTEKS KELIRU", "SATIRE")
_ALIASES = {"HOAX": "HOAKS", "HOAXS": "HOAKS", "HOAKS": "HOAKS", "MISINFORMATION": "MISINFORMASI",
            "DISINFORMATION": "DISINFORMASI", "FALSE": "SALAH", "KELIRU": "SALAH", "SCAM": "PENIPUAN",
            "TIDAK BENAR": "SALAH", "KONTEKS SALAH": "KONTEKS KELIRU", "KONTEKS YANG SALAH": "KONTEKS KELIRU",
            "KONTEN YANG MENYESATKAN": "MENYESATKAN", "MISLEADING": "MENYESATKAN",
            "MISLEADING CONTENT": "MENYESATKAN"}  # Jabar Saber Hoaks
_LABELS = {**{v: v for v in VERDICTS}, **_ALIASES}
_WORD = "|".join(w.replace(" ", r"\s+") for w in sorted(_LABELS, key=len, reverse=True))
# Combined labels ("DISINFORMASI/HOAKS"): a title's leading one is joined by / & +, a bracketed
# one by any of / & + , | - (the bracket closes it).
_CHAIN = rf"(?:{_WORD})(?:\s*[/&+]\s*(?:{_WORD}))*"
_BRACKETED = re.compile(r"[\[(【]([^\[\]()【】]{1,60})[\])】]")
_PARTS = re.compile(r"[/&+,|\-–]")
# The rubric, "Cek Fakta:" or bracketed as Liputan6 and Medcom share it ("[Cek Fakta] Hoaks ...").
_RUBRIC = r"(?:cek\s+fakta\s*[:\-–|]|[\[(【]\s*cek\s+fakta\s*[\])】])"
_LEADING = re.compile(rf"^\s*(?:{_RUBRIC}\s*)?({_CHAIN})\s*[:!\-–|,]", re.I)
# After the rubric the first words are the verdict even without punctuation
# (Liputan6: "Cek Fakta: Hoaks Foto ...", "Cek Fakta: Tidak Benar ...").
_AFTER_RUBRIC = re.compile(rf"^\s*{_RUBRIC}\s*({_CHAIN})\b(?!\s+satu\b)", re.I)
# A verdict stamped over the kind of content ("SALAH [MISLEADING CONTENT] ..."): one combined label.
_STAMPED = re.compile(rf"^\s*({_CHAIN})\s*[\[(【]\s*({_CHAIN})\s*[\])】]", re.I)
# The verdict stated at the end ("... Adalah Hoaks, Ini Alasannya", "... Ternyata Cuma Hoax!"):
# only after a word that asserts it, since a title ending in "Hoaks" may only mention hoaxes
# ("Pelaku Penyebar Hoax", "Waspada Hoaks"); "Disebut Hoaks" reports someone else's word.
_STATED = re.compile(r"\b(?:adalah|merupakan|ternyata|dipastikan|dinyatakan)"
                     r"(?:\s+(?:cuma|hanya))?\s+(hoaks|hoaxs?)\s*(?:[,:\-–|]\s*ini\s+\w+)?\s*[.!]*\s*$", re.I)
_DENIED = re.compile(r"\b(?:bukan|tidak|tak|belum)\b[^,:;.!?]*$", re.I)


def _label_verdict(label: str) -> str | None:
    """The verdict of a label such as "HOAKS", "Tidak Benar" or "DISINFORMASI/HOAKS": a label that
    combines a false verdict with any other says the claim is false. None when no part is a verdict."""
    known = [_LABELS[w] for w in (" ".join(p.upper().split()) for p in _PARTS.split(label)) if w in _LABELS]
    return next((v for v in known if v in FALSE_VERDICTS), known[0] if known else None)


def verdict_from_title(title: str | None) -> str | None:
    """The fact-checker's verdict carried by a title, upper-case (``"SALAH"``, ``"HOAKS"``...).

    Recognises "[SALAH] ...", "(HOAKS) ...", "HOAKS: ...", "Keliru, ...", "Cek Fakta: [HOAX] ...",
    "Cek Fakta: Hoaks ...", "[Cek Fakta] Hoaks ..." and "Cek Fakta: Tidak Benar ..." (= SALAH) in any case,
    and a verdict stated at the end ("... Adalah Hoaks, Ini Alasannya", "... Ternyata Hoax!");
    English aliases map to the Indonesian label (HOAX -> HOAKS, FALSE -> SALAH, MISLEADING CONTENT ->
    MENYESATKAN). A combined label ("[DISINFORMASI/HOAKS]", "[MENYESATKAN/HOAKS]", "SALAH [MISLEADING
    CONTENT]") is false when one of its parts is; graded
    verdicts ("Menyesatkan", "Sebagian Benar", "Konteks Keliru", "Satire") are their own. None when
    the title carries no verdict.
    """
    if not title:
        return None
    # The leading label first: a bracket later in the title is part of the claim ("Keliru, ... (Satire)").
    if m := _LEADING.match(title) or _AFTER_RUBRIC.match(title):
        return _label_verdict(m.group(1))
    if m := _STAMPED.match(title):
        return _label_verdict(f"{m.group(1)}/{m.group(2)}")
    for bracket in _BRACKETED.finditer(title):  # "[VIDEO] [HOAKS] ...": the first bracket with a verdict
        if verdict := _label_verdict(bracket.group(1)):
            return verdict
    # "Tidak Semua Kabar Viral adalah Hoaks": a denial in the same clause says no verdict.
    if (m := _STATED.search(title)) and not _DENIED.search(title, 0, m.start()):
        return _label_verdict(m.group(1))
    return None
