"""Personal data out of forwarded chat text and links (UU 27/2022): the one tipline scrubber.

Everything the forum forwards into saring passes through :class:`Scrubber` before it is stored,
fetched or shown: the chat import (``saring.collect.tipline``), the items and fetched pages of the
tipline source (``saring.pipeline.forwarded``), and the digest's "Beredar di grup" and the desk.

What is replaced, in text and inside links (query strings, paths, fragments):

* **member names** (only known during an import, never stored): a member's whole name, in any
  case, with any spacing or symbols between its words, after Unicode NFKD folding with accents,
  emoji and other symbols dropped, becomes ``[anggota 1a2b3c4d]`` (the first 8 hex digits of the
  member's keyed pseudonym). A *single word* of a name ("Bu Rina", "kata rina") is replaced too,
  unless it is shorter than 3 letters or a title, role, institution or place word
  (:data:`COMMON_WORDS`, plus the words of a group chat's own name): "Budi KPU" hides "Budi"
  everywhere but "KPU" only as part of "Budi KPU". A word two members share becomes ``[anggota]``.
  In text a name glued to digits, underscores or symbols counts ("Budi0812…", "_Rina_"), and so
  does a whole name run together after "@" or in CamelCase ("@budisantoso", "BudiSantoso").
* **phone numbers**: ``+62``/``62``/``0`` prefixes and international ``+CC``, any grouping with
  spaces, (spaced) hyphens, en/em dashes, dots or parentheses, the letter o for a zero,
  full-width digits → ``[nomor disamarkan]``. Glued to the word before it ("WA0812…",
  "hp+62 812…") only a mobile number (``08``/``628``/``+62``) counts.
  The start of a number where a quote or title was cut ("+62 813 0000…") counts too. A mention
  of a member whom the export names by number ("@62341…") is masked whatever the number.
* **NIK/KK-like numbers**: 16 digits, plain or grouped → ``[NIK disamarkan]``; glued to a word
  ("NIK3579…") only when its province code, birth day and month are possible; cut by a quote
  ("NIK 3579 0112…"), its first 8 digits or more when they are possible.
* **e-mail addresses** (also ``nama (at) host (dot) id``, and one cut after its "@" or "(at)":
  ``rina@surel…``) → ``[email disamarkan]``.
* **contact links** (``wa.me``, ``api.whatsapp.com``, ``chat.whatsapp.com``, ``wa.link``,
  ``m.me``, ``t.me``/``telegram.me`` except public channel posts) → ``[tautan kontak disamarkan]``;
  they are never stored as links and never fetched.

What is kept exactly: times (``pukul 08.00-14.00``), dates (``17-04-2024``, ``2024/04/17``),
money (``Rp 2.300.000.000``, ``Rp2,3 miliar``), counts with thousands separators
(``DPT 187.654.321``), percentages, and any number that is not phone-shaped (it does not start
with ``+``, ``0`` or ``628``) — those are recognised first and never masked.

A link whose query string or fragment held personal data keeps its page address with that part
removed (and may be fetched); there a value that is one word of a member's name counts too
("?nama=Budi"); one whose host or path held it is shown masked and never fetched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote, unquote, unquote_plus, urlsplit, urlunsplit

MASK_PHONE = "[nomor disamarkan]"
MASK_EMAIL = "[email disamarkan]"
MASK_NIK = "[NIK disamarkan]"
MASK_CONTACT = "[tautan kontak disamarkan]"
MASK_MEMBER = "[anggota]"

#: Words of a member's name that are *not* replaced when they stand alone (only as part of the
#: whole name): titles and honorifics, roles, institutions and places that contact names carry
#: ("Budi KPU", "Rina Jurnalis", "Pak Andi Bawaslu Batu"). Lower case, accents removed.
COMMON_WORDS = frozenset("""
    pak bu bapak ibu mas mbak mba bang abang kak kakak adik dik om tante bro sis mr mrs ms miss
    dr drs dra ir prof haji hj ustadz ustad ustazah kyai gus ning cak teh kang akang neng uda uni
    mister madam sir
    admin ketua wakil sekretaris sekjen bendahara anggota staf staff humas jurnalis wartawan
    redaksi reporter editor kabag kasubag kasi kasat kapolres kapolsek kepala camat lurah kades
    komisioner koordinator korwil relawan pengawas panitia operator official resmi info berita
    media news grup group forum tim team kantor office kontak contact call center pusat
    kpu kpud bawaslu panwaslu panwascam ppk pps kpps pantarlih polri polres polresta polsek polda
    tni kodim koramil kejaksaan kejari kominfo diskominfo pemkot pemkab pemprov dprd dpr aji pwi
    fkub lsm ormas muhammadiyah kesbangpol satpol bpbd dinas rri tvri bakohumas
    kota kabupaten kab kec kecamatan desa kelurahan kel jatim jateng jabar jawa timur barat tengah
    utara selatan batu malang madiun surabaya kediri blitar jakarta indonesia
    you anda saya aku kamu
""".split())

# Characters folded before matching: dashes to "-", unusual spaces to " ".
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

_MASKS = (r"\[(?:anggota(?: [0-9a-f]{8})?|nomor disamarkan|email disamarkan|NIK disamarkan|"
          r"tautan kontak disamarkan)\]|(?<![\w-])(?:anggota-[0-9a-f]{8}|nomor-disamarkan|"
          r"email-disamarkan|nik-disamarkan)(?![\w-])")
_CONTACT_HOSTS = (r"(?:wa\.me|wa\.link|api\.whatsapp\.com|chat\.whatsapp\.com|t\.me|telegram\.me|"
                  r"telegram\.dog|m\.me)")
# A link ends at a control or direction character: a right-to-left override makes
# "…/berita\u202efdp.exe" show as "…/beritaexe.pdf", and terminal escapes ride along.
_LINK_CHAR = r"[^\s<>\"'`\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
_FORMAT_CHAR = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_URL = (rf"(?:https?://|www\.){_LINK_CHAR}+"
        rf"|(?<![\w./@-]){_CONTACT_HOSTS}/{_LINK_CHAR}*")
_EMAIL = (r"(?<![\w.+-])[\w.+-]+(?:@|[ \t]?[\[(]at[\])][ \t]?)[\w-]+"
          r"(?:(?:\.|[ \t]?[\[(]dot[\])][ \t]?)[\w-]+)+")
# Kept: these are recognised before phone numbers so that a claim's numbers survive.
_DAY, _MONTH = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])"
_DATE = (rf"(?<![\w./-])(?:\d{{1,2}}(?P<ds>[./-])\d{{1,2}}(?P=ds)(?:\d{{4}}|\d{{2}})"
         rf"|(?:19|20)\d{{2}}(?P<ds2>[./-]){_MONTH}(?P=ds2){_DAY})(?![\w]|[./-]\d)")
_CLOCK = r"(?:[01]?\d|2[0-4])[.:][0-5]\d(?:[.:][0-5]\d)?"
_TIME = rf"(?<![\w.:]){_CLOCK}(?:[ \t]?-[ \t]?{_CLOCK})?(?![\w]|[.:]\d)"
_MONEY = (r"(?:(?<!\w)(?:Rp|IDR|USD|US\$)\.?|\$)[ \t]?\d[\d.,]*"
          r"(?:[ \t]?(?:ribu|rb|juta|jt|miliar|milyar|M|triliun|T)(?![\w@]|\.\w))?")
_PERCENT = r"(?<![\w.,])\d+(?:[.,]\d+)?[ \t]?(?:%|persen(?!\w)|percent(?!\w))"
_COUNT = r"(?<![\w.,])[1-9]\d{0,2}(?P<cs>[.,])\d{3}(?:(?P=cs)\d{3})*(?![\w]|[.,]\d)"
_NIK_DIGITS = r"[1-9](?:(?:[ \t]?[-.][ \t]?|[ \t])?\d){15}(?!\d)"
_NIK = rf"(?<![\w.-]){_NIK_DIGITS}"
# A phone candidate: a phone-like start, then digits (or the letter o standing for a zero,
# when its word holds only digits and o's) with at most one separator between two of them.
# Which leading part of it is a phone number is decided in Python (_phone_length).
_D = r"(?:[0-9]|o(?=[0-9o]*(?![a-z0-9])))"
_SEP = r"(?:[ \t]*[-.][ \t]*|[ \t]+|[ \t]*\([ \t]*|[ \t]*\)[ \t]*)"
# Not inside a longer number ("1.062.000", "17-04"); after "/" or "," one may start: "0812…/0857…".
_PHONE = (rf"(?<![\w+])(?<!\d[.-])"
          rf"(?:\+[ \t]?|\(\+[ \t]?(?=\d{{1,3}}\))|\((?=[0o]\d{{1,4}}\)[ \t]?\d)|(?=[0o]|62))"
          rf"{_D}(?:{_SEP}?{_D}){{5,15}}")
_PHONE_DIGITS = re.compile(_D + "|" + _SEP, re.I)
# Glued to the word before it ("WA0812…", "hp+62 812…", "NIK3579…"): only a mobile number
# (08…, 628…, +62…) or a NIK whose region, birth day and month are possible counts, so that
# ids, codes and years glued to letters ("ID2024…", "trx3579…") stay as they are.
_GLUED_PHONE = (rf"(?<=[^\W\d])(?:\(?\+[ \t]?(?=62)|(?=08|62))"
                rf"[0-9](?:{_SEP}?{_D}){{5,15}}")
_GLUED_NIK = rf"(?<=[^\W\d]){_NIK_DIGITS}"
_GLUED_PHONE_AT = re.compile(_GLUED_PHONE, re.I)
# Where a quote, title or excerpt was cut ("…", folded to "..."): a phone candidate too short to
# be a number there is the start of one; so are an address cut after its "@" or "(at)" and 8 to
# 15 digits grouped as a NIK is (checked by _possible_nik_start).
_CUT = re.compile(r"[ \t]*\.\.\.")
_CUT_AHEAD = r"(?=[ \t]*\.\.\.)"
_CUT_EMAIL = (r"(?<![\w.+-])[\w.+-]+(?:@|[ \t]?[\[(]at[\])][ \t]?)[\w-]*"
              rf"(?:(?:\.|[ \t]?[\[(]dot[\])][ \t]?)[\w-]+)*{_CUT_AHEAD}")
_CUT_NIK = rf"(?<![\d.,-])[1-9](?:(?:[ \t]?[-.][ \t]?|[ \t])?\d){{7,14}}{_CUT_AHEAD}"

_WORD = re.compile(r"[^\W_]+")
_TRAILING = ".,;:!?)]}'\"*_~"


def fold(text: str) -> tuple[str, list[int] | None]:
    """The matching form of ``text`` and, per folded character, the index it came from.

    NFKD compatibility folding (full-width digits become ASCII), accents dropped, dashes made
    "-", unusual spaces " ", format characters (zero-width, bidi marks) removed. Returns
    ``None`` as the index map when the text is unchanged (pure ASCII).
    """
    if text.isascii():
        return text, None
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in _DASHES:
            piece = "-"
        elif ch in _SPACES:
            piece = " "
        elif unicodedata.category(ch) == "Cf":
            continue
        else:
            piece = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        for c in piece:
            chars.append(c)
            where.append(i)
    return "".join(chars), where


def name_key(name: str) -> str:
    """A name's comparison form: folded, lower case, emoji and symbols dropped, one space
    between words ("Rina  Wulandari 🌺" and "rina wulandari" give the same key)."""
    folded, _ = fold(name)
    return " ".join(w.casefold() for w in _WORD.findall(folded))


def phone_key(value: str) -> str | None:
    """The digits of ``value`` when the whole of it is a phone number (0812… as 62812…)."""
    folded = fold(value)[0].strip().lstrip("~@").strip()
    if not re.fullmatch(r"[+(]*[0-9o][0-9o ().-]*", folded, re.I):
        return None
    if _phone_length(folded) < len(folded.rstrip(") ")):
        return None
    digits = re.sub(r"\D", "", folded.replace("o", "0").replace("O", "0"))
    return "62" + digits[1:] if digits.startswith("0") and not digits.startswith("00") else digits


_MASKED = re.compile(_MASKS, re.I)


def same_text(one: str, other: str) -> bool:
    """Whether two scrubbed texts can be the same message's: equal, spacing aside, except where
    either holds a mask (a later import may know more members, or mask more, than an earlier one)."""
    one, other = " ".join(one.split()), " ".join(other.split())
    return _fits(one, other) or _fits(other, one)


def _fits(masked: str, text: str) -> bool:
    """Whether ``text`` is ``masked`` with each of its masks standing for any text (a glob)."""
    parts = _MASKED.split(masked)
    if len(parts) == 1:
        return masked == text
    head, tail = parts[0], parts[-1]
    if len(head) + len(tail) > len(text) or not text.startswith(head) or not text.endswith(tail):
        return False
    pos, end = len(head), len(text) - len(tail)
    for part in parts[1:-1]:  # leftmost matches are enough for a glob
        found = text.find(part, pos, end)
        if found < 0:
            return False
        pos = found + len(part)
    return True


#: What the models read for each mask: a neutral stand-in of the same kind, so that a scrubbed
#: message scores as its original did (the normaliser reads "[nomor disamarkan]" as two words, and
#: the phone-number cue needs a number). A member's name is read as nothing.
STAND_INS = {MASK_PHONE: "081200000000", MASK_NIK: "3500000000000000", MASK_EMAIL: "x@contoh.id",
             MASK_CONTACT: "wa.me/620000000000"}
_MASK_IN_TEXT = re.compile(r"\[(?:anggota(?: [0-9a-f]{8})?|nomor disamarkan|email disamarkan|NIK disamarkan|"
                           r"tautan kontak disamarkan)\]")


def for_model(text: str) -> str:
    """``text`` with each mask replaced by its stand-in (:data:`STAND_INS`): what the models score."""
    if "disamarkan]" not in text and "[anggota" not in text:
        return text
    return _MASK_IN_TEXT.sub(lambda m: STAND_INS.get(m.group(0), ""), text)


def masked_again(quote: str) -> str:
    """A reason quoting a scrubbed text read through :func:`for_model`, with its masks back."""
    for mask, stand_in in STAND_INS.items():
        quote = quote.replace(stand_in, mask)
    return quote


def pseudonym(value: str, secret: bytes) -> str:
    """Keyed hash (HMAC-SHA256 under the tipline secret) of a sender name or number.

    A number is keyed by its digits (``+62 812-0000-0001`` and ``081200000001`` are the same
    person); a name by :func:`name_key` (emoji, case and spacing do not matter).
    """
    key = phone_key(value) or name_key(value) or value.strip()
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:24]


def _valid_phone(digits: str, international: bool) -> bool:
    if international:
        if digits.startswith("62"):
            return 10 <= len(digits) <= 14
        return 8 <= len(digits) <= 15
    if digits.startswith("00"):
        return 10 <= len(digits) <= 16
    if digits.startswith("628"):
        return 10 <= len(digits) <= 14
    if digits.startswith("08"):
        return 10 <= len(digits) <= 13
    if digits.startswith("0"):
        return 9 <= len(digits) <= 12  # landline: 0 + area code + subscriber
    return False


def _possible_nik(candidate: str) -> bool:
    """Whether 16 digits can be a NIK: a province code, a birth day (plus 40 for a woman) and
    month where the NIK has them (digits 1-2, 7-8 and 9-10)."""
    digits = re.sub(r"\D", "", candidate)
    day, month = int(digits[6:8]), int(digits[8:10])
    return 11 <= int(digits[:2]) <= 97 and (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12


def _possible_nik_start(candidate: str) -> bool:
    """Whether 8 to 15 digits can be the start of a NIK (province code, then birth day and month
    as far as they go: see :func:`_possible_nik`)."""
    digits = re.sub(r"\D", "", candidate)
    if not 11 <= int(digits[:2]) <= 97:
        return False
    day = int(digits[6:8])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    return len(digits) < 10 or 1 <= int(digits[8:10]) <= 12


def _phone_length(candidate: str) -> int:
    """How many leading characters of a phone candidate are a phone number (0 if none).

    The candidate may run on into what follows ("0812-0000-0001 17-04-2024", "… 50 orang"):
    after a hyphen or dot has separated its groups, a plain space ends the number; otherwise the
    longest run of whole digit groups that is a valid number wins, and a last group of one or
    two digits after a space is left out when the number is valid without it.
    """
    international = candidate.lstrip("( \t").startswith("+")
    groups: list[tuple[int, str, bool]] = []  # (end offset, digits so far, after a space) per group
    digits = ""
    punctuated = spaced = False
    for m in _PHONE_DIGITS.finditer(candidate):
        token = m.group(0)
        if len(token) == 1 and (token.isdigit() or token in "oO"):
            digits += "0" if token in "oO" else token
            if groups and groups[-1][0] == m.start():
                groups[-1] = (m.end(), digits, groups[-1][2])  # the same group goes on
            else:
                groups.append((m.end(), digits, spaced))
            spaced = False
        elif token.strip(" \t") == "":
            if punctuated:
                break  # "0812-0000-0001 187 orang": the space ends the number
            spaced = True
        else:
            punctuated = punctuated or "-" in token or "." in token
            spaced = False
    valid = [i for i, (_, got, _) in enumerate(groups) if _valid_phone(got, international)]
    best = valid[-1] if valid else None
    if best is None:
        return 0
    # A short group after a space ("0812 0000 0001 50 orang") belongs to what follows when the
    # number stands without it.
    while best > 0:
        this = len(groups[best][1]) - len(groups[best - 1][1])
        if this <= 2 and groups[best][2] and _valid_phone(groups[best - 1][1], international):
            best -= 1
        else:
            break
    return groups[best][0]


def _spellings(key: str) -> str:
    """A pattern for a name of several words as chats write it: any spacing or symbols between its
    words ("Budi  Santoso", "budi_santoso", "Budi-Santoso"), or run together after "@" or in
    CamelCase ("@budisantoso", "BudiSantoso"; not in one case, where "Ana Lisa" would hide "analisa")."""
    words = [re.escape(w) for w in key.split()]
    camel = words[0] + "".join(f"(?-i:{w[0].upper()}{w[1:]})" for w in words[1:])
    return "|".join([r"(?:[^\w\n]|_){1,5}".join(words), "(?<=@)" + "".join(words), camel])


class Scrubber:
    """Replaces personal data in text and links; see the module docstring for the rules.

    Args:
        names: member names to replace (senders, people named in system lines, the other
            person of a one-to-one chat). Kept in memory only.
        secret: the tipline secret; without it every member becomes ``[anggota]``.
        common: extra words that are not replaced when they stand alone (a group's name).
    """

    def __init__(self, names: Iterable[str] = (), secret: bytes | None = None,
                 common: Iterable[str] = ()) -> None:
        self.secret = secret
        stop = COMMON_WORDS | {w for c in common for w in name_key(c).split()}
        full: dict[str, str] = {}
        words: dict[str, set[str]] = {}
        numbers: set[str] = set()
        for name in names:
            key = name_key(name)
            if number := phone_key(name):
                numbers.add(number)
            if not key or number or len(key) < 3:
                continue  # a number is masked as a number
            tag = self._tag(name)
            full[key] = tag
            for word in key.split():
                if len(word) >= 3 and word.isalpha() and word not in stop:
                    words.setdefault(word, set()).add(tag)
        self._tags = dict(full)
        for key, tag in full.items():  # a handle runs the words together: "@budisantoso"
            self._tags.setdefault(key.replace(" ", ""), tag)
        for word, tags in words.items():
            self._tags.setdefault(word, tags.pop() if len(tags) == 1 else MASK_MEMBER)
        whole = sorted(full, key=len, reverse=True)
        single = sorted((w for w in words if w not in full), key=len, reverse=True)
        several = "|".join(_spellings(k) for k in whole if " " in k)
        one = "|".join(re.escape(k) for k in whole if " " not in k)
        alternatives = [("keep", _MASKS), ("url", _URL), ("email", _EMAIL), ("email", _CUT_EMAIL),
                        ("keep", _DATE), ("keep", _TIME), ("keep", _MONEY), ("keep", _PERCENT),
                        ("nik", _NIK), ("keep", _COUNT), ("cutnik", _CUT_NIK), ("phone", _PHONE),
                        ("gluednik", _GLUED_NIK), ("gluedphone", _GLUED_PHONE)]
        if numbers:  # a mention of a member known by number: "@62341…", landline or foreign too
            mention = "|".join(sorted(numbers, key=len, reverse=True))
            alternatives.insert(1, ("mention", rf"(?<![\w@])@(?:{mention})(?!\d)"))
        # In text a name glued to digits, underscores or symbols is still a name ("Budi0812…",
        # "_Rina_" in italics, "budi_santoso88").
        names = "|".join(filter(None, [several, one, *map(re.escape, single)]))
        self._text = self._compile(alternatives, names)
        # Inside a link's parts only whole names count (a slug's "budi-pekerti" is no mention), and a
        # one-word name only standing alone: ids glue letters to digits ("x7dede9").
        self._part = self._compile([a for a in alternatives if a[0] != "url"], several, one)

    def _tag(self, name: str) -> str:
        return f"[anggota {pseudonym(name, self.secret)[:8]}]" if self.secret else MASK_MEMBER

    @staticmethod
    def _compile(alternatives: list[tuple[str, str]], names: str, alone: str = "") -> re.Pattern[str]:
        parts = [f"(?P<{kind}{i}>{pattern})" for i, (kind, pattern) in enumerate(alternatives)]
        forms = [rf"(?<![^\W\d_])(?:{names})(?![^\W\d_])" if names else "",
                 rf"(?<!\w)(?:{alone})(?!\w)" if alone else ""]
        if any(forms):
            parts.append(f"(?P<name>@?(?:{'|'.join(filter(None, forms))}))")
        return re.compile("|".join(parts), re.I)

    # -- text ---------------------------------------------------------------------------

    def text(self, value: str | None) -> str | None:
        """``value`` with personal data replaced; everything else kept as it was."""
        if not value:
            return value
        return self._apply(value, self._text, url_safe=False)

    def _apply(self, value: str, pattern: re.Pattern[str], url_safe: bool) -> str:
        folded, where = fold(value)
        out: list[str] = []
        last = 0  # position in the original text
        pos = 0  # position in the folded text
        while (m := pattern.search(folded, pos)) is not None:
            kind = re.sub(r"\d+$", "", m.lastgroup or "")
            start, end = m.span()
            pos = max(end, start + 1)
            candidate = m.group(0)
            if kind == "keep":
                continue
            if kind == "cutnik":
                if not _possible_nik_start(candidate):
                    pos = start + 1
                    continue
                kind = "nik"
            if kind == "gluednik":
                if _possible_nik(candidate):
                    kind = "nik"
                elif (phone := _GLUED_PHONE_AT.match(folded, start)) is not None:
                    kind, candidate = "phone", phone.group(0)  # "WA6281…": a number, not a NIK
                else:
                    pos = start + 1
                    continue
            if kind in ("phone", "gluedphone"):
                kind = "phone"
                # The candidate may run on into what follows: only its phone-number part is
                # replaced, and scanning goes on right after it (a date, another number...).
                length = _phone_length(candidate)
                if not length and _CUT.match(folded, end):
                    length = len(candidate)  # a quote or title cut inside the number: its first digits
                if not length:
                    pos = start + 1
                    continue
                end = pos = start + length
            replacement = self._replace(kind, folded[start:end], url_safe)
            o_start = where[start] if where else start
            o_end = (where[end - 1] + 1) if where else end
            out.append(value[last:o_start])
            out.append(replacement)
            last = o_end
        out.append(value[last:])
        return "".join(out)

    def _replace(self, kind: str, found: str, url_safe: bool) -> str:
        """What replaces one match."""
        if kind == "url":
            return self._url_in_text(found)
        if kind == "email":
            return "email-disamarkan" if url_safe else MASK_EMAIL
        if kind == "nik":
            return "nik-disamarkan" if url_safe else MASK_NIK
        if kind == "phone":
            return "nomor-disamarkan" if url_safe else MASK_PHONE
        if kind == "mention":
            return "@nomor-disamarkan" if url_safe else "@" + MASK_PHONE
        tag = self._tags.get(name_key(found), MASK_MEMBER)
        return tag.strip("[]").replace(" ", "-") if url_safe else tag

    # -- links --------------------------------------------------------------------------

    def _url_in_text(self, found: str) -> str:
        core = found.rstrip(_TRAILING)
        trailing = found[len(core):]
        if not core:
            return found
        clean, _ = self.url(core)
        return (clean if clean is not None else MASK_CONTACT) + trailing

    def url(self, url: str) -> tuple[str | None, bool]:
        """A link with personal data removed, and whether it may be fetched.

        Returns ``(None, False)`` for a contact link (WhatsApp/Telegram/Messenger to a person or
        an invitation). Personal data in the query string or fragment removes that parameter
        (the page may still be fetched); in the host or path it is masked and the link is not
        fetched (it no longer points at the real page).
        """
        folded, _ = fold(url.strip())
        has_scheme = bool(re.match(r"(?i)https?://", folded))
        try:
            parts = urlsplit(folded if has_scheme else "https://" + folded)
            host = (parts.hostname or "").lower()
        except ValueError:
            return self._apply(folded, self._part, url_safe=True), False
        if _is_contact(host, parts.path):
            return None, False
        altered = False
        netloc = parts.netloc
        if "@" in netloc:  # credentials (or an address posing as one) never travel on
            netloc = netloc.rpartition("@")[2]
            altered = True
        clean_netloc = self._apply(netloc, self._part, url_safe=True)
        altered |= clean_netloc != netloc
        segments = []
        for segment in parts.path.split("/"):
            decoded = unquote(segment)
            clean = self._apply(decoded, self._part, url_safe=True)
            if clean != decoded:
                altered = True
                segment = quote(clean, safe="")
            segments.append(segment)
        query = "&".join(p for p in parts.query.split("&") if p and not self._personal_param(p))
        fragment = parts.fragment
        if fragment and self._apply(unquote(fragment), self._part, url_safe=True) != unquote(fragment):
            fragment = ""
        rebuilt = urlunsplit((parts.scheme, clean_netloc, "/".join(segments), query, fragment))
        if not has_scheme:
            rebuilt = rebuilt.split("://", 1)[1]
        return rebuilt, not altered

    def _personal_param(self, piece: str) -> bool:
        key, _, value = piece.partition("=")
        if name_key(unquote_plus(value)) in self._tags:  # a form pre-filled with a name: "?nama=Budi"
            return True
        for part in (unquote_plus(key), unquote_plus(value)):
            if part and self._apply(part, self._part, url_safe=True) != part:
                return True
        return False

    def link(self, url: str) -> str | None:
        """The address to store and fetch for a shared link, or None when it must not be."""
        clean, fetchable = self.url(url)
        if clean is None or not fetchable:
            return None
        return clean if re.match(r"(?i)https?://", clean) else "https://" + clean

    def links(self, text: str | None) -> list[str]:
        """The links in ``text`` that may be stored and fetched, scrubbed, in order, once each."""
        found: list[str] = []
        folded, where = fold(text or "")
        for m in re.finditer(_URL, folded, re.I):
            core = m.group(0)
            if where is not None and (cut := _FORMAT_CHAR.search(
                    source := (text or "")[where[m.start()]:where[m.end() - 1] + 1])):
                core = fold(source[:cut.start()])[0]  # folding dropped it: the link ends there
            core = core.rstrip(_TRAILING)
            url = self.link(core) if core else None
            if url and url not in found:
                found.append(url)
        return found


def _is_contact(host: str, path: str) -> bool:
    host = host.rstrip(".").removeprefix("www.")  # "chat.whatsapp.com." is the same host
    if host in {"wa.me", "wa.link", "api.whatsapp.com", "chat.whatsapp.com", "m.me"}:
        return True
    if host.endswith("whatsapp.com") and path.lower().startswith("/send"):
        return True
    if host in {"t.me", "telegram.me", "telegram.dog"}:
        # Public channel posts and previews (t.me/s/kanal, t.me/kanal/123) are pages; anything
        # else (t.me/+62…, t.me/joinchat/…, t.me/username) reaches a person or a private group.
        return not re.fullmatch(r"/(?:s/[A-Za-z0-9_]{4,}(?:/\d+)?|[A-Za-z0-9_]{4,}/\d+)/?", path)
    return False


#: The scrubber without member names: numbers, e-mail addresses and contact links only. Used
#: where the names are unknown (storage of fetched pages, the digest, the desk).
GENERIC = Scrubber()
