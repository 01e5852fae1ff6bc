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
  "Tangerang".

Villages are not in the gazetteer. :data:`PLACES_VERSION` changes whenever the data or these
rules change, so stored items are scanned again.
"""

from __future__ import annotations

import csv
import difflib
import functools
import gzip
import io
import logging
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

LOGGER = logging.getLogger(__name__)

PLACES_VERSION = "1"
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

#: Common short forms and spellings, by official name.
ALIASES: dict[str, tuple[str, ...]] = {
    "Daerah Khusus Ibukota Jakarta": ("Jakarta", "DKI Jakarta", "DKI", "Daerah Khusus Jakarta"),
    "Daerah Istimewa Yogyakarta": ("Yogyakarta", "DI Yogyakarta", "DIY", "Jogja", "Yogya", "Jogjakarta"),
    "Jawa Timur": ("Jatim",),
    "Jawa Tengah": ("Jateng",),
    "Jawa Barat": ("Jabar",),
    "Sumatera Utara": ("Sumut", "Sumatra Utara"),
    "Sumatera Barat": ("Sumbar", "Sumatra Barat"),
    "Sumatera Selatan": ("Sumsel", "Sumatra Selatan"),
    "Kepulauan Bangka Belitung": ("Babel", "Bangka Belitung"),
    "Kepulauan Riau": ("Kepri",),
    "Kalimantan Barat": ("Kalbar",),
    "Kalimantan Tengah": ("Kalteng",),
    "Kalimantan Selatan": ("Kalsel",),
    "Kalimantan Timur": ("Kaltim",),
    "Kalimantan Utara": ("Kaltara",),
    "Sulawesi Utara": ("Sulut",),
    "Sulawesi Tengah": ("Sulteng",),
    "Sulawesi Selatan": ("Sulsel",),
    "Sulawesi Tenggara": ("Sultra",),
    "Sulawesi Barat": ("Sulbar",),
    "Maluku Utara": ("Malut",),
    "Nusa Tenggara Barat": ("NTB",),
    "Nusa Tenggara Timur": ("NTT",),
    "Kota Surakarta": ("Solo",),
    "Kota Tangerang Selatan": ("Tangsel",),
    "Kota Administrasi Jakarta Selatan": ("Jaksel",),
    "Kota Administrasi Jakarta Pusat": ("Jakpus",),
    "Kota Administrasi Jakarta Timur": ("Jaktim",),
    "Kota Administrasi Jakarta Barat": ("Jakbar",),
    "Kota Administrasi Jakarta Utara": ("Jakut",),
    "Kota Palangkaraya": ("Palangka Raya",),
    "Kabupaten Gunungkidul": ("Gunung Kidul",),
    "Kota Pematangsiantar": ("Pematang Siantar", "Siantar"),
    "Kota Padangsidimpuan": ("Padang Sidempuan", "Padangsidempuan", "Padang Sidimpuan"),
    "Kota Tanjungbalai": ("Tanjung Balai",),
    "Kota Banjarbaru": ("Banjar Baru",),
    "Kota Bukittinggi": ("Bukit Tinggi",),
    "Kota Sawahlunto": ("Sawah Lunto",),
    "Kabupaten Labuhanbatu": ("Labuhan Batu",),
    "Kabupaten Batanghari": ("Batang Hari",),
    "Kabupaten Kep. Siau Tagulandang Biaro": ("Sitaro", "Kepulauan Siau Tagulandang Biaro"),
    "Kabupaten Pangkajene dan Kepulauan": ("Pangkep",),
    "Kota Tidore Kepulauan": ("Tidore",),
}

# Words before a name that say which kind of area it is. "Wali Kota Batu" ends in "Kota Batu".
_PREFIXES = {
    "kota": "kota", "kotamadya": "kota", "pemkot": "kota", "walikota": "kota", "walkot": "kota",
    "kabupaten": "kabupaten", "kab": "kabupaten", "pemkab": "kabupaten", "bupati": "kabupaten",
    "wabup": "kabupaten",
    "kecamatan": "kecamatan", "kec": "kecamatan", "camat": "kecamatan",
}
_OFFICIAL_PREFIX = re.compile(r"^(?:Kabupaten Administrasi|Kota Administrasi|Kabupaten|Kota)\s+")
_SEPARATOR = re.compile(r"[\s\-]+")
_LOWER_OK = {"dan"}  # words of official names written in lower case ("Pangkajene dan Kepulauan")
_WORD = re.compile(r"\w+")
_SHORT_PROVINCES = {"31": "DKI Jakarta", "34": "DI Yogyakarta"}


@dataclass(frozen=True)
class Area:
    """One row of the gazetteer."""

    code: str
    name: str
    level: str  # provinsi | kabupaten | kota | kecamatan
    parent: str

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def core(self) -> str:
        """The name without "Kabupaten"/"Kota": what a bare mention looks like."""
        return _OFFICIAL_PREFIX.sub("", self.name)

    @property
    def config_name(self) -> str:
        """How a configuration error suggests writing it: "Kabupaten Malang", "Kota Batu"."""
        return self.name if self.level == "kabupaten" else self.short

    @property
    def short(self) -> str:
        """The name as the digest shows it: "Kab. Malang", "Kota Batu", "Jawa Timur"."""
        if self.level == "kabupaten":
            return "Kab. " + self.core
        if self.code in _SHORT_PROVINCES:
            return _SHORT_PROVINCES[self.code]
        if self.name.startswith("Kota Administrasi "):
            return "Kota " + self.core
        return self.name


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


@dataclass
class _Entry:
    """Everything one (normalised) name can mean."""

    provinces: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)  # kabupaten/kota codes
    districts: list[str] = field(default_factory=list)  # kecamatan codes
    alias: bool = False


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    key: str
    text: str
    prefix: str | None  # kota | kabupaten | kecamatan


def _key(name: str) -> str:
    return _SEPARATOR.sub(" ", name.strip().lower())


def _capitalised(text: str) -> bool:
    return all(w[0].isupper() or w.lower() in _LOWER_OK or not w[0].isalpha()
               for w in _SEPARATOR.split(text.strip()) if w)


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


class Gazetteer:
    """The areas and the name index; :func:`gazetteer` returns the shared instance."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        self.areas: dict[str, Area] = {}
        for code, name, level, parent in rows:
            self.areas[code] = Area(code, name, level, parent)
        self.index: dict[str, _Entry] = {}
        for area in self.areas.values():
            if area.level == "provinsi":
                self._add(area.name, "provinces", area.code)
            elif area.level in ("kabupaten", "kota"):
                self._add(area.core, "areas", area.code)
            elif not area.name.lower().startswith("kota "):  # "Kota X" is read as the city X
                self._add(area.name, "districts", area.code)
        by_name = {a.name: a for a in self.areas.values()}
        for official, aliases in ALIASES.items():
            area = by_name[official]  # a KeyError here means ALIASES names an area the data lacks
            bucket = "provinces" if area.level == "provinsi" else "areas"
            for alias in aliases:
                self._add(alias, bucket, area.code, alias=True)

    def _add(self, name: str, bucket: str, code: str, alias: bool = False) -> None:
        key = _key(name)
        variants = {key}
        if " " in key:  # "Bau Bau" is also written "Baubau", "Tanjung Pinang" "Tanjungpinang"
            variants.add(key.replace(" ", ""))
        for k in variants:
            entry = self.index.setdefault(k, _Entry())
            codes = getattr(entry, bucket)
            if code not in codes:
                codes.append(code)
            entry.alias = entry.alias or alias

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        prefixes = "|".join(sorted(_PREFIXES, key=len, reverse=True))
        # Matched against the lower-cased text: three times faster than re.IGNORECASE.
        return re.compile(rf"\b(?:(?P<pre>{prefixes})(?:\s+administrasi)?(?:\.\s*|\s+))?"
                          rf"(?P<name>{_trie_regex(self.index)})\b")

    # -- finding places ------------------------------------------------------------------

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
            name = text[m.start("name"):m.end("name")]  # as written: capitals matter below
            pre = m.group("pre")
            key = _key(name)
            if key not in self.index:  # "Bau  Bau" -> "bau bau"; "Bau-bau" -> "bau bau"
                key = key.replace(" ", "")
            entry = self.index.get(key)
            if entry is None:
                continue
            mention = _Mention(m.start("name"), m.end(), key, text[m.start():m.end()],
                               _PREFIXES[pre.lower()] if pre else None)
            self._classify(mention, entry, name, found, pending, districts)
        for mention, candidates in pending:
            code = self._decide(text, mention, candidates, districts)
            if code:
                self._keep(found, code, mention, "district")
            elif relaxed and len({c[:2] for c in candidates}) == 1:
                self._keep(found, candidates[0][:2], mention, "region")
        return sorted(found.values(), key=lambda p: p.position)

    def _classify(self, mention: _Mention, entry: _Entry, name: str, found: dict[str, Place],
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

    # -- names in the configuration --------------------------------------------------------

    def resolve(self, name: str, levels: tuple[str, ...]) -> Area:
        """The area called ``name`` ("Kota Batu", "Kab. Malang", "Jatim", "35.79").

        Raises:
            LookupError: unknown or ambiguous, with a sentence that suggests the right spelling.
        """
        text = " ".join(str(name).split())
        spellings = self._spellings()
        codes = spellings.get(_key(text)) or spellings.get(_key(text).replace(" ", "")) or []
        wanted = [c for c in codes if self.areas[c].level in levels]
        if len(wanted) == 1:
            return self.areas[wanted[0]]
        if len(wanted) > 1:
            options = " or ".join(f"'{self.areas[c].config_name}'" for c in wanted)
            raise LookupError(f"'{text}' is more than one area; write {options}")
        kind = "province" if levels == ("provinsi",) else "kabupaten or kota"
        if codes:  # a real area of the other kind
            other = self.areas[codes[0]]
            raise LookupError(f"'{text}' is a {'province' if other.level == 'provinsi' else other.level}, "
                              f"not a {kind}")
        by_spelling = {form: code for form, code in self._display_spellings().items()
                       if self.areas[code].level in levels}
        close = difflib.get_close_matches(text, list(by_spelling), n=1, cutoff=0.75)
        hint = (f"did you mean '{self.areas[by_spelling[close[0]]].config_name}'?" if close else
                "write it as in the Kemendagri list, e.g. "
                + ("'Jawa Timur'" if kind == "province" else "'Kota Batu' or 'Kabupaten Malang'"))
        raise LookupError(f"unknown {kind} '{text}' ({hint})")

    def _display_spellings(self) -> dict[str, str]:
        """Every way the configuration may write a province or kabupaten/kota -> its code."""
        forms: dict[str, str] = {}
        for a in self.areas.values():
            if a.level == "kecamatan":
                continue
            forms[a.name] = forms[a.short] = forms[a.config_name] = a.code
            if a.level in ("kabupaten", "kota"):
                forms[f"{'Kab' if a.level == 'kabupaten' else 'Kota'} {a.core}"] = a.code
                forms[a.code] = a.code
        by_name = {a.name: a.code for a in self.areas.values()}
        for official, aliases in ALIASES.items():
            for alias in aliases:
                forms[alias] = by_name[official]
        return forms

    def _spellings(self) -> dict[str, list[str]]:
        """:meth:`_display_spellings` by normalised key, plus bare core names (which may be shared)."""
        out: dict[str, list[str]] = {}
        for form, code in self._display_spellings().items():
            out.setdefault(_key(form), []).append(code)
        for a in self.areas.values():
            if a.level in ("kabupaten", "kota"):
                out.setdefault(_key(a.core), []).append(a.code)
        for key in out:
            out[key] = sorted(set(out[key]))
        return out


def _rows() -> list[tuple[str, str, str, str]]:
    data = resources.files("saring").joinpath("data/wilayah/gazetteer.csv.gz").read_bytes()
    reader = csv.reader(io.StringIO(gzip.decompress(data).decode("utf-8")))
    next(reader)
    return [(r[0], r[1], r[2], r[3]) for r in reader]


@functools.cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer (loaded once per process)."""
    return Gazetteer(_rows())


def find_places(title: str | None, text: str | None = None) -> list[Place]:
    """The places an item's title and text mention (see the module docstring for the rules)."""
    return gazetteer().find(f"{title or ''}\n{text or ''}")


def region_places(region: str | None) -> list[Place]:
    """The places a source's ``region`` label names ("Kota Batu", "Malang Raya" -> Jawa Timur)."""
    return gazetteer().find(region or "", relaxed=True)


# -- the database ------------------------------------------------------------------------------

def place_rows(item_id: str, places: Iterable[Place]) -> list[dict]:
    """``item_places`` rows for one item."""
    return [dict(item_id=item_id, code=p.code, name=p.name, level=p.level, province_code=p.province_code,
                 matched=p.matched, rule=p.rule, first_pos=p.position) for p in places]


def locate_pending(con: duckdb.DuckDBPyConnection, limit: int = 20_000, batch_size: int = 1000) -> int:
    """Find the places of stored items not yet scanned with these rules, newest first.

    Each batch replaces its items' rows in ``item_places`` and records the scan, in one
    transaction, so a rerun never duplicates and a killed run loses at most one batch of work.
    At most ``limit`` items per call: a database upgraded from before places existed is
    filled over the next runs instead of in one long one. Returns how many items were scanned.
    """
    ids = [r[0] for r in con.execute(
        """SELECT i.item_id FROM items i JOIN articles a USING (item_id)
           WHERE NOT EXISTS (SELECT 1 FROM item_place_scans s
                             WHERE s.item_id = i.item_id AND s.places_version = ?)
           ORDER BY i.first_seen_at DESC, i.item_id LIMIT ?""", [PLACES_VERSION, limit]).fetchall()]
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        texts = con.execute(
            """SELECT i.item_id, coalesce(a.title, i.title), coalesce(a.text, i.summary)
               FROM items i JOIN articles a USING (item_id) WHERE i.item_id IN (SELECT unnest(?))""",
            [chunk]).fetchall()
        rows = [row for item_id, title, text in texts for row in place_rows(item_id, find_places(title, text))]
        _save(con, chunk, rows)
    if ids:
        LOGGER.info("places: %d items scanned", len(ids))
    return len(ids)


def _save(con: duckdb.DuckDBPyConnection, item_ids: list[str], rows: list[dict]) -> None:
    import pandas as pd

    con.begin()
    try:
        con.execute("DELETE FROM item_places WHERE item_id IN (SELECT unnest(?))", [item_ids])
        if rows:
            frame = pd.DataFrame(rows)
            con.register("_places", frame)
            try:
                con.execute(f"INSERT INTO item_places ({', '.join(frame.columns)}) "
                            f"SELECT {', '.join(frame.columns)} FROM _places")
            finally:
                con.unregister("_places")
        con.execute(
            """INSERT INTO item_place_scans SELECT unnest(?), ?, now()
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
