"""Convert cahyadsn/wilayah's ``db/wilayah.sql`` into saring's compact gazetteer (run once).

Usage (from the repository root)::

    git -C /path/to/wilayah show HEAD:db/wilayah.sql > /tmp/wilayah.sql
    python saring/data/wilayah/build_gazetteer.py /tmp/wilayah.sql

Writes ``saring/data/wilayah/gazetteer.csv.gz`` with the columns ``code,name,level,parent``:
provinces (``provinsi``), regencies and cities (``kabupaten`` / ``kota``) and districts
(``kecamatan``). Villages (``desa``/``kelurahan``, codes with four parts) are left out: saring
does not use them and they are 90% of the file. Names are kept as the source spells them,
except surrounding spaces, which are stripped. See SOURCE.md.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from pathlib import Path

OUT = Path(__file__).with_name("gazetteer.csv.gz")
# One row of the dump: ('35.79','Kota Batu'),  — a quote inside a name is doubled ('').
ROW = re.compile(r"^\('([0-9.]+)','((?:[^']|'')*)'\)", re.M)


def level(code: str, name: str) -> str | None:
    parts = code.count(".") + 1
    if parts == 1:
        return "provinsi"
    if parts == 2:
        return "kota" if name.startswith("Kota ") else "kabupaten"
    if parts == 3:
        return "kecamatan"
    return None  # villages


def convert(sql: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for code, raw in ROW.findall(sql):
        name = raw.replace("''", "'").strip()
        lvl = level(code, name)
        if lvl:
            rows.append((code, name, lvl, code.rpartition(".")[0]))
    rows.sort()
    return rows


def main(path: str) -> None:
    rows = convert(Path(path).read_text(encoding="utf-8"))
    counts = {lvl: sum(r[2] == lvl for r in rows) for lvl in ("provinsi", "kabupaten", "kota", "kecamatan")}
    if counts["provinsi"] < 30 or counts["kabupaten"] + counts["kota"] < 500:
        sys.exit(f"{path}: does not look like wilayah.sql ({counts})")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("code", "name", "level", "parent"))
    writer.writerows(rows)
    # mtime=0: the same input gives a byte-identical file.
    OUT.write_bytes(gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{OUT}: {counts}, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
