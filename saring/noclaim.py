"""Messages that carry no claim: greetings, thanks, acknowledgements ("Siap, terima kasih").

The hoax model learned from claims. In IDNHoaxCorpus 95 % of the tweets of at most five words
are hoax-labelled (short claims: "Vaksin mengandung babi"), so a text the model knows nothing
about reads as a short claim: "Selamat pagi semua" scored 0.78 and "ya" 0.73, in the "tinggi"
band. A message made only of the words below says nothing that could be true or false; the
scorer gives it :data:`NO_CLAIM_SCORE` and no reasons (:func:`has_no_claim`).

The rule is deliberately narrow: one word outside the list, a link, or a capitalised word that
is not a name after "@" or an honorific ("Pak Budi") and the text is scored by the model.
Pure functions; no IO.
"""

from __future__ import annotations

import re

__all__ = ["NO_CLAIM_SCORE", "has_no_claim"]

NO_CLAIM_SCORE = 0.0
"""Hoax score of a message that carries no claim."""

_PHATIC = frozenset(
    """
    selamat pagi siang sore malam subuh datang jalan tidur istirahat
    terima kasih terimakasih trimakasih makasih makasi trims tks thx thanks thank you tq ty
    siap siapp oke okey okay okee ok oce sip sipp mantap mantab mantul ya yaa iya iyaa iye yoi yup
    baik noted hadir setuju aamiin amin aamin alhamdulillah masyaallah subhanallah
    assalamualaikum assalamu'alaikum assalamu alaikum wr wb warahmatullahi wabarakatuh
    waalaikumsalam wa'alaikumsalam walaikumsalam salam sejahtera shalom om swastiastu
    halo hallo hai hi hello morning night afternoon evening good
    semua semuanya rekan rekan-rekan rekan2 teman teman-teman teman2 kawan kawan-kawan sahabat
    sobat saudara saudari sekalian para anggota grup
    bapak ibu bapak-bapak ibu-ibu pak bu mas mbak mba kak bang dik om tante mbah gus bro sis
    sama sama-sama sehat selalu semangat juga untuk atas nya
    infonya informasinya atensinya perhatiannya bantuannya kerjasamanya kerja samanya
    responnya tanggapannya waktunya
    matur nuwun suwun sugeng enjing nggih injih inggih monggo punten
    dong deh nih yah sih lho kok ah oh
    """.split()
)
_HONORIFICS = frozenset(
    "pak bu bapak ibu mas mbak mba kak bang dik om tante mbah gus bro sis ustadz ust dr".split()
)
_LAUGH = re.compile(r"(?:wk)+w?|(?:h[aeiu])+h?|(?:[aeiu]h)+|(?:xi)+|(?:ck)+")
_WORD = re.compile(r"@\S*|[^\W\d_]+(?:['-][^\W\d_]+)*")
_LINK = re.compile(r"(?i)://|www\.|wa\.me/|bit\.ly|\.[a-z]{2,}/")
MAX_WORDS = 12
MAX_CHARS = 300
"""Longer texts are always scored by the model."""


def has_no_claim(text: str | None) -> bool:
    """Whether ``text`` is only a greeting, thanks or acknowledgement (or has no words at all).

    >>> has_no_claim("Siap, terima kasih @Budi Santoso 🙏")
    True
    >>> has_no_claim("Selamat pagi, surat suara sudah dicoblos")
    False
    """
    text = text or ""
    if len(text) > MAX_CHARS or _LINK.search(text):
        return False
    words = _WORD.findall(text)
    if len(words) > MAX_WORDS:
        return False
    after_name_marker = False
    for word in words:
        low = word.lower()
        if word.startswith("@"):
            after_name_marker = True
            continue
        if after_name_marker and word[0].isupper():
            continue  # a name: "@Budi Santoso", "Pak Budi"
        after_name_marker = low in _HONORIFICS
        if len(word) == 1 or low in _PHATIC or _LAUGH.fullmatch(low):
            continue
        return False
    return True
