"""The gazetteer: Indonesia's provinces, kabupaten/kota and kecamatan with their Kemendagri codes.

The data is ``saring/data/wilayah/gazetteer.csv.gz`` (see its SOURCE.md); the common short
forms and spellings the news uses are :data:`ALIASES`. :func:`gazetteer` loads it once per
process; :meth:`Gazetteer.resolve` reads a name from the configuration, and
:mod:`saring.judge.places` finds the names in text.
"""

from __future__ import annotations

import csv
import difflib
import functools
import gzip
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

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

_OFFICIAL_PREFIX = re.compile(r"^(?:Kabupaten Administrasi|Kota Administrasi|Kabupaten|Kota)\s+")
SEPARATOR = re.compile(r"[\s\-]+")
"""Between the words of a name: "Bau-Bau", "Bau  Bau" and "Bau Bau" are one name."""
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


@dataclass
class Entry:
    """Everything one (normalised) name can mean."""

    provinces: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)  # kabupaten/kota codes
    districts: list[str] = field(default_factory=list)  # kecamatan codes
    alias: bool = False


def normalise(name: str) -> str:
    """The index key of a name: lower case, one space between words."""
    return SEPARATOR.sub(" ", name.strip().lower())


class Gazetteer:
    """The areas and the name index; :func:`gazetteer` returns the shared instance."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        self.areas: dict[str, Area] = {}
        for code, name, level, parent in rows:
            self.areas[code] = Area(code, name, level, parent)
        self.index: dict[str, Entry] = {}
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
        key = normalise(name)
        variants = {key}
        if " " in key:  # "Bau Bau" is also written "Baubau", "Tanjung Pinang" "Tanjungpinang"
            variants.add(key.replace(" ", ""))
        for k in variants:
            entry = self.index.setdefault(k, Entry())
            codes = getattr(entry, bucket)
            if code not in codes:
                codes.append(code)
            entry.alias = entry.alias or alias

    # -- names in the configuration --------------------------------------------------------

    def resolve(self, name: str, levels: tuple[str, ...]) -> Area:
        """The area called ``name`` ("Kota Batu", "Kab. Malang", "Jatim", "35.79").

        Raises:
            LookupError: unknown or ambiguous, with a sentence that suggests the right spelling.
        """
        text = " ".join(str(name).split())
        spellings = self._spellings()
        codes = spellings.get(normalise(text)) or spellings.get(normalise(text).replace(" ", "")) or []
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
            out.setdefault(normalise(form), []).append(code)
        for a in self.areas.values():
            if a.level in ("kabupaten", "kota"):
                out.setdefault(normalise(a.core), []).append(a.code)
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
