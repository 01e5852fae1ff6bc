"""Where an item happens: the provinces and regencies/cities (kabupaten/kota) it mentions.

The names and codes come from the Kemendagri gazetteer in ``saring/data/wilayah`` (see its
SOURCE.md). One compiled regular expression (the names folded into a character trie) finds
every candidate in a text; the rules below decide which candidates count:

* a province name (or a common short form: Jatim, DKI, Jogja, NTT, ...) counts as that
  province; a bare name shared by a province and a city (Jambi, Bengkulu, Gorontalo,
  Yogyakarta) counts as the province;
* a kabupaten/kota name counts when a prefix stands right before it — "Kota", "Kabupaten",
  "Kab.", "Kab", "Pemkot", "Pemkab", "Wali Kota"/"Walikota", "Bupati", "Wabup" ("Kota Batu",
  "Bupati Malang") — or, without a prefix, when it is written with a capital letter, belongs
  to one area only and is not an ordinary word (:data:`COMMON_WORDS`);
* a bare name shared by a Kota and a Kabupaten (Malang, Madiun, Kediri, Blitar, Bogor,
  Bekasi, Tangerang, ...) or listed in :data:`COMMON_WORDS` (Batu = stone, Batu Bara = coal,
  Kudus = holy, ...) counts only when a district (kecamatan) of exactly one of its areas is
  named within :data:`WINDOW_WORDS` words: "Malang" near "Lowokwaru" is Kota Malang;
* "Kecamatan X" / "Kec. X" / "Camat X" counts as the kabupaten/kota of district X when only
  one area has a district of that name; a district named without that prefix never counts on
  its own (thousands of them are ordinary words), it only decides the bare names above;
* the longest name wins: "Batu Bara" is never read as "Batu", "Tangerang Selatan" never as
  "Tangerang";
* a street is not its namesake: a name right after "Jl."/"Jln."/"Gg." or a capitalised
  "Jalan"/"Gang" (with "Raya" or not: "Jl. Surabaya", "Jalan Raya Batu") never counts, while
  "jalan kota Batu" (the city's roads) and "jalan Surabaya-Sidoarjo" (the road) still do;
* nothing inside a web or e-mail address counts ("www.Surabaya.go.id", "Bupati.Malang@...").

Villages are not in the gazetteer. :data:`PLACES_VERSION` changes whenever the data or these
rules change, so stored items are scanned again.
"""

from __future__ import annotations

import functools
import logging
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from saring.gazetteer import SEPARATOR, Area, Entry, Gazetteer, gazetteer, normalise

if TYPE_CHECKING:
    import duckdb

LOGGER = logging.getLogger(__name__)

PLACES_VERSION = "2"
#: How far (in words) a district name may stand from a bare ambiguous name to decide it.
WINDOW_WORDS = 30

#: Bare names that are ordinary Indonesian words (or name something else just as often); they
#: need a prefix ("Kota Batu") or a district nearby, like the names shared by a Kota and a Kabupaten.
COMMON_WORDS = frozenset({
    "batu",        # stone ("batu bata", "batu akik")
    "batu bara",   # coal
    "batang",      # stem, stick
    "buru",        # to hunt
    "kudus",       # holy ("Roh Kudus")
    "malaka",      # the Strait of Malacca, Melaka in Malaysia
    "metro",       # Polda Metro Jaya, Metro TV
    "padang",      # field; "nasi Padang" is a dish
    "puncak",      # peak; also the Puncak pass near Bogor
    "toba",        # Lake Toba spans seven regencies
    "agam",        # a given name
    "landak",      # porcupine
    "kapuas",      # the river
    "kotabaru",    # "kota baru" = new town
    "sabang",      # "dari Sabang sampai Merauke" = the whole country
    "merauke",
    "kuningan",    # also a business district of Jakarta
    "gunung mas",  # also a tea estate near Bogor
})

# Words before a name that say which kind of area it is. "Wali Kota Batu" ends in "Kota Batu".
_PREFIXES = {
    "kota": "kota", "kotamadya": "kota", "pemkot": "kota", "walikota": "kota", "walkot": "kota",
    "kabupaten": "kabupaten", "kab": "kabupaten", "pemkab": "kabupaten", "bupati": "kabupaten",
    "wabup": "kabupaten",
    "kecamatan": "kecamatan", "kec": "kecamatan", "camat": "kecamatan",
}
# Street words: "Jl. Surabaya" is an address, not news about Surabaya. Abbreviations in any case;
# "Jalan"/"Gang" only capitalised, since "jalan" is also "road" ("jalan Surabaya-Sidoarjo").
_STREETS = ("jalan", "gang", "jln", "jl", "gg")
_SEP = r"(?:\.\s*|\s+)"  # after an abbreviation or a word: "Kab. Malang", "Kab.Malang", "Kab Malang"
# Web and e-mail addresses (their domain part), matched whole so that no name inside them is.
_ADDRESS = r"(?:https?|ftp)://\S+|www\.\S+|@[\w-]+(?:\.[\w-]+)+"
# After a name: the local part of an e-mail ("Bupati.Malang@") or a domain ("Surabaya.go.id").
_NOT_IN_ADDRESS = r"(?![\w.+-]*@[\w-]|\.[\w-]+[./]\w)"
_LOWER_OK = {"dan"}  # words of official names written in lower case ("Pangkajene dan Kepulauan")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Place:
    """A province or kabupaten/kota that a text mentions."""

    code: str
    name: str
    level: str  # provinsi | kabupaten | kota
    province_code: str
    matched: str  # the text that decided it (its first occurrence)
    rule: str  # name | prefix | district | alias | region
    position: int  # character offset of that occurrence


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    key: str
    text: str
    prefix: str | None  # kota | kabupaten | kecamatan


def _capitalised(text: str) -> bool:
    return all(w[0].isupper() or w.lower() in _LOWER_OK or not w[0].isalpha()
               for w in SEPARATOR.split(text.strip()) if w)


def _lower(text: str) -> str:
    """``text.lower()`` with the same length, so match offsets point into the original."""
    low = text.lower()
    if len(low) != len(text):  # a few characters ("İ") lower-case to two
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return low


def _trie_regex(keys: Iterable[str]) -> str:
    """One alternation for many names, folded into a trie so matching fails fast.

    A space in a key matches any run of spaces or hyphens ("Bau-Bau", "Bau  Bau"). Longer names
    are tried before their prefixes, so "Batu Bara" wins over "Batu".
    """
    trie: dict = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        alts = []
        for ch in sorted(k for k in node if k):
            atom = r"[\s\-]+" if ch == " " else re.escape(ch)
            alts.append(atom + build(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


class Finder:
    """The gazetteer's names compiled into one regular expression, and the rules above."""

    def __init__(self, g: Gazetteer) -> None:
        self.areas: dict[str, Area] = g.areas
        self.index: dict[str, Entry] = g.index

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        # Both word lists folded into tries too: tried at every word boundary, they must fail fast.
        pre, street = _trie_regex(_PREFIXES), _trie_regex(_STREETS)
        # Matched against the lower-cased text: three times faster than re.IGNORECASE. A street word
        # followed by a prefix is a kind of road ("jalan kota Batu"), so the prefix is matched instead.
        return re.compile(rf"\b(?:{_ADDRESS}|(?:(?P<pre>{pre})(?:\s+administrasi)?{_SEP}"
                          rf"|(?P<street>{street}){_SEP}(?:raya{_SEP})?(?!(?:{pre}){_SEP}))?"
                          rf"(?P<name>{_trie_regex(self.index)})\b{_NOT_IN_ADDRESS})")

    def find(self, text: str, relaxed: bool = False) -> list[Place]:
        """The provinces and kabupaten/kota ``text`` mentions, in order of first mention.

        Args:
            relaxed: also count a bare ambiguous name as the province its areas share
                ("Malang Raya" -> Jawa Timur); for short labels such as a source's region,
                never for prose.
        """
        if not text:
            return []
        found: dict[str, Place] = {}
        pending: list[tuple[_Mention, list[str]]] = []  # bare ambiguous names
        districts: list[tuple[_Mention, list[str]]] = []  # district names: evidence only
        for m in self.pattern.finditer(_lower(text)):
            start = m.start("name")
            if start < 0:  # a web or e-mail address
                continue
            pre, street = m.group("pre"), m.group("street")
            if street and (len(street) <= 3 or text[m.start()].isupper()):  # "Jl. Surabaya"
                continue
            name = text[start:m.end("name")]  # as written: capitals matter below
            key = normalise(name)
            if key not in self.index:  # "Bau  Bau" -> "bau bau"; "Bau-bau" -> "bau bau"
                key = key.replace(" ", "")
            entry = self.index.get(key)
            if entry is None:
                continue
            mention = _Mention(start, m.end(), key, text[m.start("pre") if pre else start:m.end()],
                               _PREFIXES[pre.lower()] if pre else None)
            self._classify(mention, entry, name, found, pending, districts)
        for mention, candidates in pending:
            code = self._decide(text, mention, candidates, districts)
            if code:
                self._keep(found, code, mention, "district")
            elif relaxed and len({c[:2] for c in candidates}) == 1:
                self._keep(found, candidates[0][:2], mention, "region")
        return sorted(found.values(), key=lambda p: p.position)

    def _classify(self, mention: _Mention, entry: Entry, name: str, found: dict[str, Place],
                  pending: list, districts: list) -> None:
        prefix = mention.prefix
        if prefix in ("kota", "kabupaten") and entry.areas:
            same = [c for c in entry.areas if self.areas[c].level == prefix]
            chosen = same if len(same) == 1 else entry.areas if len(entry.areas) == 1 else []
            if chosen:
                self._keep(found, chosen[0], mention, "prefix")
                return
        if prefix == "kecamatan" and entry.districts:
            parents = {self.areas[c].parent for c in entry.districts}
            if len(parents) == 1:
                self._keep(found, parents.pop(), mention, "district")
            else:
                districts.append((mention, entry.districts))
            return
        if not _capitalised(name):  # "nasib malang", "batu bata": ordinary words
            return
        if entry.districts:
            districts.append((mention, entry.districts))
        rule = "alias" if entry.alias else "name"
        if len(entry.provinces) == 1:
            self._keep(found, entry.provinces[0], mention, rule)
        elif entry.areas:
            if len(entry.areas) == 1 and mention.key not in COMMON_WORDS:
                self._keep(found, entry.areas[0], mention, rule)
            else:
                pending.append((mention, entry.areas))

    def _decide(self, text: str, mention: _Mention, candidates: list[str],
                districts: list[tuple[_Mention, list[str]]]) -> str | None:
        """The one candidate area that has a district named within WINDOW_WORDS words, if any."""
        words = None
        hits: set[str] = set()
        for other, codes in districts:
            if other.key == mention.key or other.start < mention.end and mention.start < other.end:
                continue  # "Batu" the district cannot vouch for "Batu" the city
            parents = {self.areas[c].parent for c in codes} & set(candidates)
            if not parents:
                continue
            if words is None:
                words = [w.start() for w in _WORD.finditer(text)]
            if abs(bisect_right(words, other.start) - bisect_right(words, mention.start)) <= WINDOW_WORDS:
                hits |= parents
        return hits.pop() if len(hits) == 1 else None

    def _keep(self, found: dict[str, Place], code: str, mention: _Mention, rule: str) -> None:
        if code in found:
            return
        area = self.areas[code]
        found[code] = Place(code=code, name=area.short, level=area.level, province_code=area.province_code,
                            matched=mention.text, rule=rule, position=mention.start)


@functools.cache
def finder() -> Finder:
    """The shared :class:`Finder` (its expression is compiled on first use, about half a second)."""
    return Finder(gazetteer())


def find_places(title: str | None, text: str | None = None) -> list[Place]:
    """The places an item's title and text mention (see the module docstring for the rules)."""
    return finder().find(f"{title or ''}\n{text or ''}")


def region_places(region: str | None) -> list[Place]:
    """The places a source's ``region`` label names ("Kota Batu", "Malang Raya" -> Jawa Timur)."""
    return finder().find(region or "", relaxed=True)


# -- the database ------------------------------------------------------------------------------

def place_rows(item_id: str, places: Iterable[Place]) -> list[dict]:
    """``item_places`` rows for one item."""
    return [dict(item_id=item_id, code=p.code, name=p.name, level=p.level, province_code=p.province_code,
                 matched=p.matched, rule=p.rule, first_pos=p.position) for p in places]


def locate_pending(con: duckdb.DuckDBPyConnection, limit: int = 20_000, batch_size: int = 1000,
                   among: Sequence[str] | None = None) -> int:
    """Find the places of stored items (or of those ``among`` these ids) not yet scanned with
    these rules, newest first.

    Each batch replaces its items' rows in ``item_places`` and records the scan, in one
    transaction, so a rerun never duplicates and a killed run loses at most one batch of work.
    At most ``limit`` items per call: a database upgraded from before places existed is
    filled over the next runs instead of in one long one. Returns how many items were scanned.
    """
    only = "" if among is None else "AND list_contains($among, i.item_id)"
    ids = [r[0] for r in con.execute(
        f"""SELECT i.item_id FROM items i JOIN articles a USING (item_id)
           WHERE NOT EXISTS (SELECT 1 FROM item_place_scans s
                             WHERE s.item_id = i.item_id AND s.places_version = $version) {only}
           ORDER BY i.first_seen_at DESC, i.item_id LIMIT $limit""",
        {"version": PLACES_VERSION, "limit": limit} | ({} if among is None else {"among": list(among)})
    ).fetchall()]
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        # Both tables filtered by the constant list before the join: a join filtered afterwards
        # read every stored text (0.3 s a run at 1 M articles, growing with the history).
        locate(con, con.execute(
            """SELECT i.item_id, coalesce(a.title, i.title), coalesce(a.text, i.summary)
               FROM (SELECT item_id, title, summary FROM items WHERE list_contains($ids, item_id)) i
               JOIN (SELECT item_id, title, text FROM articles WHERE list_contains($ids, item_id)) a
               USING (item_id)""", {"ids": chunk}).fetchall())
    if ids:
        LOGGER.info("places: %d items scanned", len(ids))
    return len(ids)


def locate(con: duckdb.DuckDBPyConnection, texts: Sequence[tuple[str, str | None, str | None]],
           find: Callable[[list[tuple[str | None, str | None]]], list[list[Place]]] | None = None,
           lock: AbstractContextManager = nullcontext()) -> None:
    """Find and store the places of these ``(item_id, title, text)`` (one transaction).

    Args:
        find: the places of many ``(title, text)`` at once (default: :func:`find_places` of
            each, here; the ingest run's scoring lane finds them in a helper process).
        lock: held while writing, not while finding, for a caller whose other threads share ``con``.
    """
    pairs = [(title, text) for _, title, text in texts]
    found = find(pairs) if find is not None else [find_places(title, text) for title, text in pairs]
    rows = [row for (item_id, _, _), places in zip(texts, found, strict=True)
            for row in place_rows(item_id, places)]
    with lock:
        _save(con, [item_id for item_id, _, _ in texts], rows)


def _save(con: duckdb.DuckDBPyConnection, item_ids: list[str], rows: list[dict]) -> None:
    from saring.storage.database import rows_table

    con.begin()
    try:
        con.execute("DELETE FROM item_places WHERE item_id IN (SELECT unnest(?))", [item_ids])
        if rows:
            cols = ", ".join(rows[0])  # every row has place_rows' keys
            con.register("_places", rows_table(rows))
            try:
                con.execute(f"INSERT INTO item_places ({cols}) SELECT {cols} FROM _places")
            finally:
                con.unregister("_places")
        con.execute(
            """INSERT INTO item_place_scans (item_id, places_version, scanned_at) SELECT unnest(?), ?, now()
               ON CONFLICT (item_id) DO UPDATE SET places_version = excluded.places_version,
                                                   scanned_at = excluded.scanned_at""",
            [item_ids, PLACES_VERSION])
        con.commit()
    except Exception:
        con.rollback()
        raise


# -- the forum's own area ----------------------------------------------------------------------

SCOPES = ("area", "province", "other")


@dataclass(frozen=True)
class ForumScope:
    """The forum's area and province, to sort items into "ours", "our province" and "the rest"."""

    area: Area | None
    province: Area | None

    @classmethod
    def of(cls, area: str | None, province: str | None) -> ForumScope | None:
        """From ``settings.forum`` (already validated); None when neither is set."""
        if not area and not province:
            return None
        g = gazetteer()
        home = g.resolve(area, ("kabupaten", "kota")) if area else None
        prov = g.resolve(province, ("provinsi",)) if province else g.areas[home.province_code]
        return cls(home, prov)

    def scope(self, codes: Iterable[str]) -> str | None:
        """"area", "province" or "other" for an item mentioning these places; None for none."""
        codes = list(codes)
        if not codes:
            return None
        if self.area and self.area.code in codes:
            return "area"
        if self.province and any(c[:2] == self.province.code for c in codes):
            return "province"
        return "other"
