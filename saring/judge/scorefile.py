"""The public scoring contract: a CSV/parquet (or stdin/stdout) in, the same rows out with
``election_score``, ``hoax_score`` and ``hoax_reasons`` added.

Stable: other columns are kept as they are (as text for CSV) in the same order; rows whose
text is empty get empty scores; scores are calibrated probabilities in [0, 1] (6 decimals);
``hoax_reasons`` are the terms that pushed the hoax score up, separated by ``"; "``.
A text longer than :data:`saring.limits.MAX_TEXT_CHARS` (100,000) characters is scored on its
first 100,000 characters, and a text cell written as Excel's ``="…"`` as the text inside; the row
itself is written back unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from saring.errors import SaringError
from saring.filemodes import written_whole
from saring.judge.labels import (
    SheetEncodingError,
    any_cell_size,
    column_key,
    header_delimiter,
    header_line,
    sheet_text,
    title_rows,
)
from saring.limits import cap_text

ADDED_COLUMNS = ("election_score", "hoax_score", "hoax_reasons")
BLANK_LINE = re.compile(r"(\r\n?|\n)[ \t]*(\r\n?|\n)")
# A cell written ="…" (Excel keeps "007" as text so); a quote inside it is doubled. No other formula.
EXCEL_TEXT_CELL = re.compile(r'="((?:[^"]|"")*)"', re.DOTALL)
BATCH = 10_000
WORKERS = 2


class ScoreFileError(SaringError):
    """The input file cannot be read, or lacks the text column."""


def _is_parquet(name: str) -> bool:
    return name.lower().endswith((".parquet", ".pq"))


def read_table(path: str, column: str | None = None, others: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read CSV (UTF-8, or UTF-16 with a byte-order mark; every column as text) or parquet; ``-`` =
    stdin (CSV, or Parquet told by its first bytes, as is a Parquet file under a .csv name).

    ``column``: a column the file must have; a CSV whose header has it between ``;`` (or tabs)
    is read with that separator (Excel where ``,`` is the decimal mark, as in Indonesia).
    ``others``: more columns the caller reads (``evaluate``'s labels), matched as ``column`` is.
    """
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
            return _read_csv_bytes(data, "stdin", column, others)
        p = Path(path)
        if not p.is_file():
            raise ScoreFileError(f"cannot read {path}: no such file")
        if _is_parquet(path):
            return _read_parquet(p)
        return _read_csv_bytes(p.read_bytes(), path, column, others)
    except ScoreFileError:
        raise
    except (OSError, ValueError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScoreFileError(f"cannot read {path}: {first}") from None


def _read_parquet(source: Any) -> pd.DataFrame:
    frame = pd.read_parquet(source)
    # A named index (df.set_index("id").to_parquet()) is a column of the file: keep it.
    return frame.reset_index() if any(n is not None for n in frame.index.names) else frame


READ_FORMATS = ("saring reads CSV (UTF-8, or UTF-16 as Excel's 'Unicode Text' saves it) and Parquet "
                "(.parquet) files")


def _not_a_csv(data: bytes, name: str) -> str | None:
    """What a file given as CSV is instead (a workbook, JSON), and how to save it as one; None
    for anything else. Told by its first bytes, so a renamed file or stdin is told too."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx/.ods (a zip), .xls (OLE)
        return (f"{name} is a spreadsheet workbook (Excel or LibreOffice), not a CSV; {READ_FORMATS}. "
                "Open it and save the sheet with File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)' "
                "(LibreOffice: 'Text CSV', character set UTF-8), then give that .csv file")
    try:
        lines = isinstance(json.loads(start.partition(b"\n")[0]), dict)
    except ValueError:
        lines = False
    if lines or (start.startswith(b"[") and start[1:].lstrip().startswith(b"{")):
        src = "file.jsonl" if name == "stdin" else name
        return (f"{name} is JSON{' Lines' if lines else ''}, not a CSV; {READ_FORMATS}. Convert it, e.g. "
                f"python -c \"import pandas as pd; pd.read_json('{src}'{', lines=True' if lines else ''})"
                f".to_parquet('{Path(src).stem}.parquet')\" and give that .parquet file")
    return None


def _read_csv_bytes(data: bytes, name: str, column: str | None, others: tuple[str, ...] = ()) -> pd.DataFrame:
    if data.startswith(b"PAR1"):  # a Parquet file under another name, or piped to stdin
        return _read_parquet(io.BytesIO(data))
    if (problem := _not_a_csv(data, name)) is not None:
        raise ScoreFileError(problem)
    try:
        text = sheet_text(data, name)
    except SheetEncodingError as exc:
        raise ScoreFileError(f"{exc}; save it as UTF-8 and try again") from None
    if not text.strip():
        raise ScoreFileError(f"{name} is empty")
    if column and (n := header_line(text, column)) > 1:
        raise ScoreFileError(f"{name}: {title_rows(n)}")
    try:
        sep = header_delimiter(text, column) if column else ","
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise ScoreFileError(f"{name} is not a readable CSV: {str(exc).strip().splitlines()[0]}") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # Rows with one cell more than the header: pandas takes their first cells for its index and
        # reads every column one to the left. Rows ending in a separator ("1;teks;") lose nothing.
        extra = frame.iloc[:, -1]
        filled = [i for i, v in enumerate(extra) if isinstance(v, str) and v.strip()]
        if filled:
            _mark_sheet_rows(frame, text, sep)
            raise ScoreFileError(
                f"{name}: row {sheet_row(frame, filled[0])} has more cells than the header has column names "
                f"({len(frame.columns)}); give every column a name in the header (row 1), or take the "
                f"extra cells out")
        with warnings.catch_warnings():  # pandas warns of the (empty) last cells it leaves out
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, index_col=False)
    with any_cell_size(text):
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), [])
    for wanted in (column, *others) if column is not None else ():
        # pandas reads a second "text" as "text.1": the first would be scored, which one is meant unknown
        if any(header.count(c) > 1 for c in header if column_key(c) == column_key(wanted)):
            raise ScoreFileError(f"{name} has more than one column named {wanted!r} (columns: "
                                 f"{', '.join(header)}); keep one, or rename the others")
        if wanted in frame.columns:
            continue
        # A header typed "id; text": the separator was found by the trimmed name, pandas keeps " text".
        spaced = [c for c in frame.columns if column_key(c) == column_key(wanted)]
        if len(spaced) == 1:
            frame = frame.rename(columns={spaced[0]: str(spaced[0]).strip()})
    _mark_sheet_rows(frame, text, sep)
    return frame


def _mark_sheet_rows(frame: pd.DataFrame, text: str, sep: str) -> None:
    """Note on ``frame`` the row a spreadsheet shows for each of its rows, for :func:`sheet_row`."""
    if BLANK_LINE.search(text):  # pandas skips blank lines, a spreadsheet shows each as a row
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        with any_cell_size(text):
            rows = [n for n, cells in enumerate(reader, start=1)
                    if cells[1:] or "".join(cells).strip(" \t")][1:]
        if len(rows) == len(frame):
            frame.attrs["sheet_rows"] = rows


def sheet_row(frame: pd.DataFrame, i: int) -> int:
    """The row a spreadsheet shows for ``frame``'s ``i``-th row (the header is row 1), as label
    import names it."""
    rows = frame.attrs.get("sheet_rows")
    return rows[i] if rows else i + 2


def find_column(frame: pd.DataFrame, wanted: str, name: str, option: str) -> str:
    """The column of ``frame`` read as ``wanted``: the one of that very name, else the one
    :func:`~saring.judge.labels.column_key` matches (as label import does: "Text", " TEXT ").
    Two such ("Text", "TEXT") are refused: which one is meant cannot be told."""
    if wanted in frame.columns:
        return wanted
    found = [c for c in frame.columns if column_key(c) == column_key(wanted)]
    if len(found) == 1:
        return found[0]
    columns = ", ".join(map(str, frame.columns))
    if found:
        raise ScoreFileError(f"{name} has more than one column named {wanted!r} (columns: {columns}); keep "
                             f"one, or give the one to read as it is written with {option}")
    raise ScoreFileError(f"{name} has no column {wanted!r} (columns: {columns}); name the one to read "
                         f"with {option}")


def write_table(frame: pd.DataFrame, path: str) -> None:
    """Write ``frame`` to ``path`` whole or not at all (:func:`~saring.filemodes.written_whole`)."""
    if path == "-":
        frame.to_csv(sys.stdout, index=False)
        sys.stdout.flush()
        return
    with written_whole(path) as part:
        _write_to(frame, str(part))


def _write_to(frame: pd.DataFrame, path: str) -> None:
    if _is_parquet(path):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")


def same_file(a: str, b: str) -> bool:
    """Whether the two names are one file (the same path spelled otherwise, a symlink, a hard link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def excel_text(cell: str) -> str:
    """The text of a cell written as Excel's ``="…"``; any other cell as it is."""
    if (m := EXCEL_TEXT_CELL.fullmatch(cell)) is not None:
        return m.group(1).replace('""', '"')
    return cell


def cell_text(cell: Any) -> str:
    """The text a table's cell gives the model: ``""`` for a missing one, Excel's ``="…"`` unwrapped."""
    if isinstance(cell, str):
        return excel_text(cell)
    # pd.NA too (a Parquet column of pandas strings): str() of it is "<NA>", a text to the model
    return "" if pd.api.types.is_scalar(cell) and pd.isna(cell) else str(cell)


def score_frame(scorer: Any, frame: pd.DataFrame, text_column: str, workers: int = WORKERS) -> pd.DataFrame:
    """Return ``frame`` with the three contract columns appended (existing ones replaced)."""
    if text_column not in frame.columns:
        raise ScoreFileError(
            f"no column {text_column!r} in the input (columns: {', '.join(map(str, frame.columns))})")
    out = frame.drop(columns=[c for c in ADDED_COLUMNS if c in frame.columns and c != text_column])
    texts = [cap_text(cell_text(t)) for t in frame[text_column].tolist()]
    has_text = [bool(t.strip()) for t in texts]
    idx = [i for i, h in enumerate(has_text) if h]
    el: list[Any] = [None] * len(texts)
    hx: list[Any] = [None] * len(texts)
    reasons: list[Any] = [None] * len(texts)
    for start in range(0, len(idx), BATCH):
        chunk = idx[start:start + BATCH]
        for i, s in zip(chunk, scorer.score([texts[i] for i in chunk], workers=workers), strict=True):
            el[i] = round(s.election_score, 6)
            hx[i] = round(s.hoax_score, 6)
            reasons[i] = "; ".join(s.hoax_terms)
    out = out.copy()
    out["election_score"] = pd.array(el, dtype="Float64")
    out["hoax_score"] = pd.array(hx, dtype="Float64")
    out["hoax_reasons"] = pd.array(reasons, dtype="string")
    return out
