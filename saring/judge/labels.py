"""The forum's labels: export items to label, import labelled CSVs, read current labels.

Tables (created by migration v7 in :mod:`saring.storage.schema`):

* ``labels`` — append-only history: one row per (item, task) judgement with who/when/batch.
* ``current_labels`` (view) — the latest judgement per item and task (later overrides earlier).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from saring.collect.scrub import GENERIC
from saring.errors import SaringError
from saring.filemodes import written_whole
from saring.localtime import TIME_ZONE
from saring.textclean import text_encoding

TASKS = ("hoax", "election")
EXCERPT_CHARS = 300
EXPORT_COLUMNS = ["id", "url", "title", "source", "published_at", "excerpt",
                  "election_score", "hoax_score", "hoax", "election"]
# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TRUE_VALUES = {"1", "ya", "y", "yes", "true"}
# Not "t": tidak in Indonesian, but true in an English sheet's T/F; refused as a bad value.
FALSE_VALUES = {"0", "tidak", "no", "n", "false", "bukan"}
# Refused too: in a hoax column a fact-checker's "Benar" says the claim is true (not a hoax), while
# Excel in Indonesian writes a TRUE cell as BENAR (FALSE as SALAH). A label must never be a guess.
AMBIGUOUS_VALUES = {"benar", "salah"}
AMBIGUOUS_ADVICE = ("benar/salah cannot be read as a label: to a fact-checker 'benar' says the claim is true "
                    "(not a hoax), while Excel in Indonesian writes TRUE as BENAR; write 1/0 or ya/tidak")
# An id (16 hex digits) a spreadsheet reads as a number: all digits, or digits around one "e"
# (3529797884470e31). Excel keeps 15 digits and saves it as 3,47289E+15: the id is lost.
NUMBER_LIKE_ID = re.compile(r"\d+(e\d+)?")
# What such an id comes back as: Excel's 3,47289E+15 / 3.47289E+15, or all digits with the 16th
# made 0 (Excel keeps 15) or leading zeros dropped.
NUMBER_FROM_ID = re.compile(r"\d+([.,]\d+)?e[+-]?\d+|\d{15}0|\d{12,15}", re.IGNORECASE)
EXCEL_TEXT = re.compile(r'="(.*)"')
# An item_overview row (alias o) of a forwarded message whose text retention purged: only a
# placeholder title or its link is left (:data:`saring.collect.retention.PURGED_TITLE`).
PURGED_FORWARD = "o.source_id = 'tipline' AND o.text IS NULL"


class LabelFileError(SaringError):
    """A labels file cannot be used at all (unreadable, not UTF-8 or UTF-16, missing columns)."""


# --------------------------------------------------------------------------- export


def export_candidates(con: Any, day: date | None = None, since: date | None = None,
                      threshold: float = 0.5, band: float = 0.15, limit: int = 200,
                      include_labeled: bool = False, zone: str = TIME_ZONE) -> pd.DataFrame:
    """Items to label, most informative first.

    Order: items whose hoax or election score is within ``band`` of ``threshold`` (closest
    first), then the rest by hoax score, highest first. Days (and the times shown) are on the
    clock of ``zone`` (the forum's), of the publication time (or first sighting). Items already
    labelled for both tasks are left out, and so are forwarded messages whose text retention
    purged (see :func:`current_labels`).
    """
    where, params = ["o.hoax_score IS NOT NULL", f"NOT ({PURGED_FORWARD})"], []
    ZoneInfo(zone)  # a known zone name, before it goes into the SQL
    local_day = f"CAST(timezone('{zone}', coalesce(o.published_at, o.first_seen_at)) AS DATE)"
    if day is not None:
        where.append(f"{local_day} = ?")
        params.append(day)
    if since is not None:
        where.append(f"{local_day} >= ?")
        params.append(since)
    if not include_labeled:
        where.append("(SELECT count(DISTINCT task) FROM current_labels c WHERE c.item_id = o.item_id) < 2")
    sql = f"""
        SELECT o.item_id AS id, o.url, o.title, o.source_id AS source,
               strftime(timezone('{zone}', coalesce(o.published_at, o.first_seen_at)),
                        '%Y-%m-%d %H:%M') AS published_at,
               left(regexp_replace(coalesce(o.text, ''), '\\s+', ' ', 'g'),
                    CASE WHEN o.source_id = 'tipline' THEN 4 * ? ELSE ? END) AS excerpt,
               round(o.election_score, 3) AS election_score, round(o.hoax_score, 3) AS hoax_score,
               least(abs(o.hoax_score - ?), abs(o.election_score - ?)) AS dist
        FROM item_overview o WHERE {' AND '.join(where)}
    """
    frame = con.execute(sql, [EXCERPT_CHARS, EXCERPT_CHARS, threshold, threshold, *params]).df()
    frame["near"] = frame["dist"] <= band
    near = frame[frame["near"]].sort_values(["dist", "hoax_score", "id"], ascending=[True, False, True])
    rest = frame[~frame["near"]].sort_values(["hoax_score", "id"], ascending=[False, True])
    frame = pd.concat([near, rest]).head(limit).copy()
    # The file leaves the machine: forwarded text is scrubbed again on the way out, as the desk
    # does (rows stored by an older saring), before the cut so that no number is cut in half.
    forwarded = frame["source"] == "tipline"
    for column in ("title", "excerpt"):
        frame.loc[forwarded, column] = frame.loc[forwarded, column].map(
            lambda t: GENERIC.text(t) if isinstance(t, str) else t)
    frame.loc[forwarded, "url"] = frame.loc[forwarded, "url"].map(
        lambda u: (GENERIC.url(u)[0] or "") if isinstance(u, str) else u)
    frame["excerpt"] = frame["excerpt"].str[:EXCERPT_CHARS]
    frame["hoax"] = ""
    frame["election"] = ""
    return frame[EXPORT_COLUMNS].reset_index(drop=True)


def neutralise_cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: a leading ``'`` before a formula character."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """Undo :func:`neutralise_cell` (a spreadsheet may also have dropped the quote itself)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def excel_text_id(item_id: Any) -> Any:
    """An id a spreadsheet would read as a number, written as ``="…"``: Excel shows it as text
    and saves its value; :func:`read_label_file` reads either form."""
    if isinstance(item_id, str) and NUMBER_LIKE_ID.fullmatch(item_id):
        return f'="{item_id}"'
    return item_id


def write_label_file(frame: pd.DataFrame, path: Path | str) -> None:
    """Write an export for people to open in a spreadsheet (text from feeds cannot run there).

    UTF-8 with a byte-order mark (curly quotes and emoji show right in Excel); every cell is quoted,
    and a text starting with ``= + - @``, a tab or a carriage return gets a
    leading ``'`` (OWASP's advice); :func:`read_label_file` takes it off again. Ids that read as
    numbers are written as ``="…"`` (:func:`excel_text_id`). Written whole or not at all
    (:func:`~saring.filemodes.written_whole`): the file may be the forum's filled-in sheet.
    """
    safe = frame.astype(object).map(neutralise_cell)
    if "id" in safe.columns:
        safe["id"] = safe["id"].map(excel_text_id)
    # with a byte-order mark: Excel opening the file by double-click reads UTF-8 only so ("CSV UTF-8")
    with written_whole(path) as part:
        safe.to_csv(part, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_ALL)


def labels_not_stored(con: Any, path: Path | str) -> int:
    """How many filled-in label cells the file at ``path`` holds that the labels history does not
    (a filled-in export not imported yet, bad values included: someone's work); 0 when there is no
    such file or it is not a labels file."""
    path = Path(path)
    if not path.is_file():
        return 0
    try:
        rows = read_label_lines(path)
    except LabelFileError:
        return 0
    given, bad = set(), 0
    for _, row in rows:
        for task in TASKS:
            v = _parse_value(row.get(task))
            if isinstance(v, str):
                bad += 1
            elif v is not None:
                given.add((row.get("id", "").strip(), task, v))
    held = set(con.execute(
        "SELECT item_id, task, value FROM labels WHERE item_id IN (SELECT unnest(?))",
        [sorted({i for i, _, _ in given})]).fetchall()) if given else set()
    return len(given - held) + bad


# --------------------------------------------------------------------------- import


@dataclass
class ImportResult:
    """Outcome of one import. Every row of the file with something in it is counted once: stored,
    refused, without a label, already stored or passed over (the labels are counted apart)."""

    stored_rows: int = 0  # rows that gave at least one label stored now (a copied row too)
    stored_labels: int = 0
    refused_rows: int = 0  # rows in ``problems``, and rows whose every label a dispute refused
    skipped_empty: int = 0
    already_rows: int = 0  # rows whose labels all equal the same labeller's latest ones (a re-import)
    already_stored: int = 0  # such labels
    purged_forwards: int = 0  # labelled rows of forwarded messages whose text retention deleted since
    problems: list[str] = field(default_factory=list)
    batch_id: str = ""


def _parse_value(raw: Any) -> int | None | str:
    """0/1 for a label, None for blank, or the offending text."""
    if raw is None or raw is pd.NA:  # pd.NA: a nullable integer column's gap (DuckDB's .df())
        return None
    text = str(raw).strip().lower()
    if text in ("", "nan"):
        return None
    if text in TRUE_VALUES:
        return 1
    if text in FALSE_VALUES:
        return 0
    try:  # 1.0 / 0.0: a label column with gaps saved from pandas is float (1,0 with a decimal comma)
        number = float(text.replace(",", "."))
    except ValueError:
        return str(raw)
    return int(number) if number in (0.0, 1.0) else str(raw)


def is_ambiguous(raw: Any) -> bool:
    """A label written benar/salah (see :data:`AMBIGUOUS_VALUES`)."""
    return isinstance(raw, str) and raw.strip().lower() in AMBIGUOUS_VALUES


def column_key(name: Any) -> str:
    """A column name as it is matched: in any case, spaces around it ignored (a header typed by hand
    reads "ID;Hoax" or "id; text"); no other word is taken for it."""
    return str(name).strip().lower()


@contextmanager
def any_cell_size(text: str) -> Iterator[None]:
    """csv's cell limit (131,072 characters) raised to the length of ``text`` while it is read:
    pandas reads a longer cell (a whole article is scored on its first 100,000 characters), and
    csv raised on it instead."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text)))
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def header_delimiter(text: str, column: str) -> str:
    """``,``, or the ``;`` (or tab) a spreadsheet writes where ``,`` is the decimal mark (Excel on
    a Windows set to Indonesian): the one that makes ``column`` a cell of the first line (in any
    case: a header typed by hand reads "ID;Hoax"); failing that, the one that splits the line into
    the most cells, so that a message about missing columns names them one by one."""
    first = re.split(r"\r\n?|\n", text, maxsplit=1)[0]  # lines may end in CR alone (Excel for Mac)
    best, most = ",", 1
    for delimiter in (",", ";", "\t"):
        with any_cell_size(first):
            cells = [column_key(c) for c in next(csv.reader([first], delimiter=delimiter), [])]
        if column_key(column) in cells:
            return delimiter
        if len(cells) > most:
            best, most = delimiter, len(cells)
    return best


def header_line(text: str, column: str, lines: int = 10) -> int:
    """The line (1 to ``lines``) that has ``column`` as a cell, with any separator; 0 if none. Below
    line 1: a sheet with its title, or Excel's "sep=;", above its column names."""
    for n, line in enumerate(re.split(r"\r\n?|\n", text, maxsplit=lines)[:lines], start=1):
        for delimiter in (",", ";", "\t"):
            with any_cell_size(line):
                cells = next(csv.reader([line], delimiter=delimiter), [])
            if column_key(column) in {column_key(c) for c in cells}:
                return n
    return 0


def title_rows(n: int) -> str:
    """What to do when :func:`header_line` finds the column names on line ``n`` > 1."""
    return (f"line {n} holds the column names, not line 1 (a title row above them?); delete the "
            f"line{'s' if n > 2 else ''} above it and try again")


class SheetEncodingError(ValueError):
    """A sheet saved as text in an encoding :func:`sheet_text` does not read (the message names it)."""


def sheet_text(data: bytes, name: str) -> str:
    """The text of a sheet saved as text: UTF-8 (with or without a byte-order mark), or UTF-16 with
    one, as Excel's "Unicode Text" saves it (with tabs, which :func:`header_delimiter` finds)."""
    encoding = text_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        what = "readable UTF-16" if encoding == "utf-16" else "UTF-8"
        raise SheetEncodingError(f"{name} is not {what} (byte {exc.start})") from None


def read_label_file(path: Path | str) -> list[dict[str, str]]:
    """The rows of a labels file (see :func:`read_label_lines`)."""
    return [row for _, row in read_label_lines(path)]


def read_label_lines(path: Path | str) -> list[tuple[int, dict[str, str]]]:
    """A labels CSV (UTF-8, or UTF-16 with a byte-order mark) as (line, row) pairs of strings, each
    line as a spreadsheet numbers it (the header is line 1); raise LabelFileError with one clear sentence."""
    return [(n, row) for n, _, row in read_label_records(path)]


def sheet_line(row: int, line: int) -> str:
    """A line named as the spreadsheet's row number, with the text file's line when a cell on
    several lines (Alt+Enter in Excel) above it makes the two differ."""
    return f"line {row}" if row == line else f"line {row} (line {line} in a text editor)"


def read_label_records(path: Path | str) -> list[tuple[int, int, dict[str, str]]]:
    """(spreadsheet row, line in the text file, row) of each row of a labels CSV; see
    :func:`read_label_lines`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabelFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx/.ods (a zip), .xls (OLE)
        raise LabelFileError(
            f"{path} is an Excel or LibreOffice workbook, not a CSV (whatever its name says); open it and "
            f"save the sheet with File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)' (LibreOffice: "
            f"'Text CSV', character set UTF-8), then import that file")
    try:
        text = sheet_text(data, str(path))
    except SheetEncodingError as exc:
        raise LabelFileError(f"{exc}; save it as 'CSV UTF-8' and try again") from None
    if "\x00" in text:  # UTF-16 or UTF-32 without a byte-order mark: its header showed as "id hoax"
        raise LabelFileError(f"{path} is not UTF-8 (it holds NUL bytes, as UTF-16 without a byte-order "
                             f"mark does); save it as 'CSV UTF-8' and try again")
    # csv.reader, not DictReader: a blank line must still count, to name the line a spreadsheet shows
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=header_delimiter(text, "id"))
    try:
        names = [c.strip() for c in next(reader, [])]
    except csv.Error:
        names = []
    columns = [column_key(c) for c in names]  # "ID", " Hoax ": a header typed by hand
    missing = [c for c in ("id",) if c not in columns]
    if missing and (n := header_line(text, "id")) > 1:
        raise LabelFileError(f"{path}: {title_rows(n)}")
    if missing or not any(t in columns for t in TASKS):
        raise LabelFileError(
            f"{path} must have an 'id' column and at least one of 'hoax', 'election' "
            f"(found: {', '.join(names) or 'no header'})"
        )
    for name in ("id", *TASKS):
        if columns.count(name) > 1:  # the later one was read, whichever held the labels
            raise LabelFileError(f"{path} has more than one {name!r} column (found: {', '.join(names)}); "
                                 f"keep one and import the file again")
    rows = []
    row_number = 1  # a blank line is a row of its own, a cell on several lines is on one
    while True:
        start = reader.line_num + 1
        row_number += 1
        try:
            raw = next(reader)
        except StopIteration:
            return rows
        except csv.Error:  # with these settings: a quoted cell runs on past the field size limit
            raise LabelFileError(
                f"{path}: line {start} cannot be read: a cell that starts with a quote (\") must end with "
                f"one; fix that line in a text editor, or open the file in a spreadsheet and save it again "
                f"as 'CSV UTF-8'") from None
        if not raw:  # a blank line
            continue
        row = dict.fromkeys(columns, "") | {c: restore_cell(v) for c, v in zip(columns, raw, strict=False)}
        if (text_id := EXCEL_TEXT.fullmatch(row.get("id", "").strip())) is not None:
            row["id"] = text_id.group(1)  # the export's ="…", kept as written (not opened in Excel)
        rows.append((row_number, start, row))


def import_labels(con: Any, path: Path | str, by: str, now: datetime | None = None) -> ImportResult:
    """Validate every row, then store all valid labels in one transaction.

    Lines in messages are the rows a spreadsheet shows (header = line 1), see :func:`sheet_line`.
    """
    if not by or not by.strip():
        raise LabelFileError("--by must name who labelled the file")
    records = read_label_records(path)
    rows = [(n, row) for n, _, row in records]
    where = {n: sheet_line(n, line) for n, line, _ in records}
    now = now or datetime.now(UTC)
    result = ImportResult(batch_id=uuid.uuid4().hex[:12])
    ids = sorted({r.get("id", "").strip() for _, r in rows if r.get("id", "").strip()})
    known = {r[0] for r in con.execute("SELECT item_id FROM items WHERE item_id IN (SELECT unnest(?))",
                                       [ids]).fetchall()} if ids else set()
    # A file imported again must not write every judgement twice into the history, nor undo a later
    # correction by someone else: compared with this labeller's own latest judgement, not the current one.
    own = {(r[0], r[1]): r[2] for r in con.execute(
        """SELECT item_id, task, value FROM labels WHERE labeled_by = ? AND item_id IN (SELECT unnest(?))
           QUALIFY row_number() OVER (PARTITION BY item_id, task ORDER BY labeled_at DESC, seq DESC) = 1""",
        [by.strip(), sorted(known)]).fetchall()} if known else {}
    # An older export can list forwards whose text has been purged since: nothing left to train on.
    purged = {r[0] for r in con.execute(
        f"SELECT item_id FROM item_overview o WHERE {PURGED_FORWARD} AND item_id IN (SELECT unnest(?))",
        [sorted(known)]).fetchall()} if known else set()
    # An id may be on several lines (two labellers' files pasted together): its labels are merged,
    # and a task its lines disagree on is stored from neither (the file cannot say who is right).
    given: dict[str, dict[str, tuple[int, int]]] = {}  # id -> task -> (value, line it was first on)
    disputed: set[tuple[str, str]] = set()
    labelled: list[tuple[int, str, dict[str, int]]] = []  # (line, id, its labels), to count rows by
    dispute_lines: set[int] = set()
    to_store: list[tuple[str, str, int]] = []
    for n, row in rows:
        item_id = row.get("id", "").strip()
        if not any((v or "").strip() for v in row.values()):
            continue  # a row cleared in a spreadsheet (saved as ";;;;"): nothing in it to store or refuse
        values, bad = {}, []
        for task in TASKS:
            v = _parse_value(row.get(task))
            if isinstance(v, str):
                bad.append(f"{task}={v!r}")
            elif v is not None:
                values[task] = v
        if not values and not bad:  # whatever its id (an unlabelled row of an item deleted since)
            result.skipped_empty += 1
            continue
        if not item_id:
            result.problems.append(f"{where[n]}: empty id")
            continue
        if item_id not in known and NUMBER_FROM_ID.fullmatch(item_id):
            result.problems.append(
                f"{where[n]}: id {item_id!r} was turned into a number by a spreadsheet (Excel keeps 15 "
                f"digits), so the item cannot be found; copy this row's id from the exported file "
                f"opened in a text editor, or label a new `saring label export` (its ids stay text)")
            continue
        if item_id not in known:
            result.problems.append(f"{where[n]}: unknown id {item_id!r} (not in the database)")
            continue
        if bad:
            advice = AMBIGUOUS_ADVICE if any(is_ambiguous(row.get(t)) for t in TASKS) else \
                "use 1/0, ya/tidak or leave empty"
            result.problems.append(f"{where[n]}: bad value {', '.join(bad)} ({advice})")
            continue
        if item_id in purged:
            result.purged_forwards += 1
            continue
        labels = given.setdefault(item_id, {})
        labelled.append((n, item_id, values))
        for task, v in values.items():
            if task not in labels:
                labels[task] = (v, n)
            elif labels[task][0] != v and (item_id, task) not in disputed:
                disputed.add((item_id, task))
                dispute_lines.add(n)
                result.problems.append(
                    f"{where[n]}: id {item_id!r} is also on {where[labels[task][1]]} with a different {task} "
                    f"label ({labels[task][0]} there, {v} here); neither is stored: keep the right one and "
                    f"import the file again")
    for item_id, labels in given.items():
        values = {t: v for t, (v, _) in labels.items() if (item_id, t) not in disputed}
        new = {t: v for t, v in values.items() if own.get((item_id, t)) != v}
        result.already_stored += len(values) - len(new)
        to_store.extend((item_id, task, v) for task, v in new.items())
    # Rows, not items: an id on several lines counts on each, so the summary adds up to the file's rows.
    new_labels = {(i, t) for i, t, _ in to_store}
    for n, item_id, values in labelled:
        kept = [t for t in values if (item_id, t) not in disputed]
        if n in dispute_lines or not kept:  # named in a problem, or nothing of it could be stored
            result.refused_rows += 1
        elif any((item_id, t) in new_labels for t in kept):
            result.stored_rows += 1
        else:
            result.already_rows += 1
    result.refused_rows += len(result.problems) - len(disputed)  # the rows refused one by one above
    if to_store:
        frame = pd.DataFrame(to_store, columns=["item_id", "task", "value"])
        frame["labeled_by"] = by.strip()
        frame["labeled_at"] = now
        frame["batch_id"] = result.batch_id
        frame["source_file"] = Path(path).name
        con.begin()
        try:
            con.register("_labels", frame)
            con.execute("""INSERT INTO labels
                               (item_id, task, value, labeled_by, labeled_at, batch_id, source_file)
                           SELECT item_id, task, value, labeled_by, labeled_at, batch_id, source_file
                           FROM _labels""")
            con.unregister("_labels")
            con.commit()
        except Exception:
            con.rollback()
            raise
        result.stored_labels = len(to_store)
    return result


def current_labels(con: Any, task: str) -> pd.DataFrame:
    """Current labels for one task with the item's text: item_id, text, label, labeled_at, body.

    The text is the item as scoring reads it (:func:`~saring.textclean.item_text`, masks as
    :func:`~saring.collect.scrub.for_model` reads them), so a
    retrain learns from what the label was given for, headline first; ``body`` is the text alone
    (a copy of a held-out article is found by either).

    Labels on forwarded messages whose text retention purged are left out: only a placeholder
    title is left of them (:data:`saring.collect.retention.PURGED_TITLE`), nothing to learn from.
    """
    from saring.collect.scrub import for_model
    from saring.textclean import item_text

    frame = con.execute(
        # '' not NULL: pandas reads a NULL string as NaN (a page that could not be read: 403)
        f"""SELECT c.item_id, coalesce(o.title, '') AS title, coalesce(o.text, '') AS text,
                  c.value AS label, c.labeled_at, coalesce(o.text, o.title, '') AS body
           FROM current_labels c JOIN item_overview o USING (item_id)
           WHERE c.task = ? AND NOT ({PURGED_FORWARD})
           ORDER BY c.item_id""", [task]).df()
    # a forward's masks read as the scorer reads them (stand-ins of their kind), so training and
    # scoring see the same text
    frame["text"] = [for_model(item_text(t, x)) for t, x in zip(frame["title"], frame["text"], strict=True)]
    return frame[["item_id", "text", "label", "labeled_at", "body"]]


def add_label(con: Any, item_id: str, task: str, value: int, by: str,
              batch_id: str = "web", source: str = "saring web") -> None:
    """Store one label (e.g. one tap in the web desk); same table, same history rules.

    A label equal to the item's current one by the same person is not stored again (a double
    tap, a resent form), as :func:`import_labels` does for a file imported twice.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, not {task!r}")
    if value not in (0, 1):
        raise ValueError(f"value must be 0 or 1, not {value!r}")
    current = con.execute("SELECT value, labeled_by FROM current_labels WHERE item_id = ? AND task = ?",
                          [item_id, task]).fetchone()
    if current == (int(value), by):
        return
    con.execute(
        """INSERT INTO labels (item_id, task, value, labeled_by, labeled_at, batch_id, source_file)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [item_id, task, int(value), by, datetime.now(UTC), batch_id, source])
