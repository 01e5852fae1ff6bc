"""The forum's WhatsApp tipline: import chat exports, pseudonymised, and purge old raw text.

``import_chat`` reads a WhatsApp "Export chat" text file, or the zip holding it (Android
``12/10/23, 14.05 - Nama: pesan`` or iOS ``[12/10/23 14.05.33] Nama: pesan``; Indonesian and
English locales; 24 h with ``.`` or ``:``, or AM/PM), keeps the messages worth checking (with a
link, forwarded, or long), and stores them in ``tipline_messages``. Personal data never reaches
the database: senders become an HMAC-SHA256 under a local secret, and every text and link goes through
:class:`saring.collect.scrub.Scrubber` with the chat's member names: senders, people named in system lines
("X menambahkan Y", "X keluar", "X created group", "X added Y", "X left") and, for a one-to-one
chat, the other person named by the export's file name ("WhatsApp Chat - Rina Wulandari.txt").
The names themselves are never stored.

Why not whatstk / chat-miner: both fit the parsing job but pull plotting stacks (matplotlib,
plotly/seaborn or polars/wordcloud) into a server tool, and whatstk drops system lines by guessing
one header format per file; the parser here is small, handles mixed Android/iOS lines, and is
tested on both formats (tests/test_tipline.py).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from saring.collect.scrub import GENERIC, MASK_PHONE, Scrubber, name_key, phone_key, pseudonym, same_text
from saring.config import default_db_path
from saring.errors import SaringError
from saring.filemodes import readable_by_others
from saring.localtime import TIME_ZONE, zone_name
from saring.textclean import text_encoding

__all__ = ["ChatMessage", "ImportResult", "TiplineError", "chat_name_from_file", "find_urls", "import_chat",
           "load_secret", "member_names", "page_link", "parse_chat", "pseudonym", "purge", "scrub"]

SECRET_ENV = "SARING_TIPLINE_SECRET"
MESSAGE_ADDRESS = "https://tipline.saring.invalid/"
"""What a chat message is stored under (items are keyed by URL): a key, never a page to open."""
LONG_MESSAGE = 200
"""A message at least this long (characters, links excluded) is kept as a possible rumour."""


def page_link(url: str | None) -> str | None:
    """``url`` when it leads to a page; None for a chat message's key (:data:`MESSAGE_ADDRESS`)."""
    return None if not url or url.startswith(MESSAGE_ADDRESS) else url


_DATE = r"(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"
_TIME = r"(?P<time>\d{1,2}[.:]\d{2}(?:[.:]\d{2})?)(?:\s?(?P<ampm>[AaPp]\.?\s?[Mm]\.?))?"
# Not a message's own line with a date and a time range ("17/04/2024 08.00 - 14.00 WIB").
_ANDROID = re.compile(rf"^{_DATE},?\s{_TIME}\s[-–]\s(?!\d{{1,2}}[.:]\d{{2}}(?!\d))(?P<rest>.*)$")
_IOS = re.compile(rf"^\u200e?\[{_DATE},?\s{_TIME}\]\s(?P<rest>.*)$")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_DATE_PARTS = re.compile(r"[./-]")  # split once per message of a chat: compiled once
_TIME_PARTS = re.compile(r"[.:]")
PHONE_MASK = MASK_PHONE

_MEDIA = re.compile(
    r"^\u200e?(<Media tidak disertakan>|<Media omitted>|<media omitted>|"
    r"(gambar|video|audio|stiker|dokumen|GIF|image|sticker|document|Kartu kontak|Contact card)"
    r" (tidak disertakan|dihilangkan|omitted)|.*\(file (terlampir|attached)\))\s*$", re.I)
# An iPhone export "with media" names the file: "\u200e<attached: 00000012-PHOTO-….jpg>", Indonesian
# "<terlampir: …>"; a document first writes its own name and page count ("X.pdf • 3 pages <attached: …>").
_ATTACHED = re.compile(r"^(?P<head>.*?)\s*\u200e?<(?:attached|terlampir): \d+-(?P<name>[^<>\n]+)>\s*$", re.S)
# The same document exported without media: "X.pdf • 3 halaman \u200edokumen tidak disertakan".
_DOCUMENT_OMITTED = re.compile(
    r"^[^\n]+\.\w{1,5}(?:\s\u2022\s[^\n]*?)?\s\u200e?(?:document omitted|dokumen tidak disertakan)\s*$", re.I)
# A shared place ("Lokasi"/"Location" in the attach menu): a member's position, not a claim to check.
# A place picked from an iPhone's list is its name and address, then a Foursquare venue link.
_LOCATION = re.compile(r"^\u200e?(?:(lokasi|location): https?://maps\.google\.com/\?q=[-+\d.,\s]+|"
                       r"[^\n]{1,300}: https?://(?:www\.)?foursquare\.com/v/[\w%-]+(?:/[\w%-]+)?/?)$", re.I)
_DELETED = re.compile(
    r"^\u200e?(Pesan ini telah dihapus|Anda menghapus pesan ini|This message was deleted|"
    r"You deleted this message|Pesan ini dihapus)\.?\s*(<Pesan ini diedit>)?$", re.I)
_EDITED = re.compile(r"\s*\u200e?<(Pesan ini diedit|This message was edited)>\s*$", re.I)  # iOS: \u200e<
_SYSTEM = re.compile(
    r"(end-to-end|ujung ke ujung|terenkripsi|encrypted|bergabung|joined|keluar$|\bleft$|"
    r"menambahkan|\badded\b|mengeluarkan|\bremoved\b|membuat grup|created group|mengubah|changed|"
    r"tautan undangan|invite link|sekarang admin|now an admin|nomor telepon|phone number|"
    r"pesan sementara|disappearing messages|keamanan|security code|Missed (voice|video) call|"
    r"Panggilan (suara|video) tak terjawab)", re.I)
_QUOTE = re.compile("[\"\u201c\u201d]")
_FORWARDED = re.compile(
    r"(diteruskan|forwarded|pesan berantai|sebarkan|share ke|bagikan ke|viralkan|copas|copy paste|"
    r"dari grup sebelah|info a1|broadcast)", re.I)


class TiplineError(SaringError):
    """A chat export cannot be read."""


@dataclass(frozen=True)
class ChatMessage:
    sent_at: datetime | None
    sender: str | None  # None for a system line
    text: str
    kind: str = "text"  # text | media | location | deleted | system


@dataclass(frozen=True)
class ImportResult:
    kept: int
    skipped: int
    urls: list[str] = field(default_factory=list)
    new: int = 0
    purged: int = 0  # kept, but from the chat's purged past: not stored again
    new_urls: list[str] = field(default_factory=list)  # the links of the messages this import stored
    scrubber: Scrubber | None = field(default=None, repr=False, compare=False)  # names: memory only


# --------------------------------------------------------------------------------- parsing


def _lines(text: str) -> Iterator[str]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for line in text.split("\n"):
        yield line.replace("\u202f", " ").replace("\u00a0", " ")


def _headers(text: str) -> list[tuple[re.Match[str], int]]:
    found = []
    for number, line in enumerate(_lines(text)):
        m = _IOS.match(line) or _ANDROID.match(line)
        if m:
            found.append((m, number))
    return found


def _date_order(matches: Sequence[re.Match[str]]) -> str:
    """"dmy", "mdy" or "ymd": from values that can only be a day; without them, the clock as a US
    phone writes it ("8:17 PM") means US; Indonesian ("8.17 PM") and British, Indian or Australian
    English ("8:17 pm") phones write the day first."""
    firsts, seconds, ampm = [], [], False
    for m in matches:
        parts = _DATE_PARTS.split(m.group("date"))
        if len(parts[0]) == 4:
            return "ymd"
        firsts.append(int(parts[0]))
        seconds.append(int(parts[1]))
        ampm = ampm or (m.group("ampm") in ("AM", "PM") and ":" in m.group("time"))
    if any(v > 12 for v in firsts):
        return "dmy"
    if any(v > 12 for v in seconds):
        return "mdy"
    return "mdy" if ampm else "dmy"


def _when(m: re.Match[str], order: str, tz: ZoneInfo) -> datetime | None:
    parts = [int(p) for p in _DATE_PARTS.split(m.group("date"))]
    if order == "ymd":
        year, month, day = parts
    elif order == "mdy":
        month, day, year = parts
    else:
        day, month, year = parts
    if year < 100:
        year += 2000
    clock = [int(p) for p in _TIME_PARTS.split(m.group("time"))]
    hour, minute, second = clock[0], clock[1], clock[2] if len(clock) > 2 else 0
    ampm = (m.group("ampm") or "").lower().replace(".", "").replace(" ", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return None


# The export's zone: WIB, WITA, WIT as people say them, or a name (saring tipline import --tz WITA).
def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone_name(tz))
    except ValueError as exc:
        raise TiplineError(str(exc)) from None


def _only_attachment(message: str) -> bool:
    """An iPhone's attached file with nothing else: text before it other than the document's own
    name (and page count) is a caption, which stays a message."""
    m = _ATTACHED.match(message)
    if not m:
        return False
    head = m.group("head").replace("\u200e", "").strip()
    return not head or head.split(" \u2022 ")[0].strip() == m.group("name").strip()


def _caption(message: str) -> str:
    """A file sent with a caption, as the caption alone: the file's name (with a date) is no part
    of the claim, and each phone places it otherwise: Android on the first line ("IMG-….jpg (file
    attached)"), an iPhone after the caption ("… \u200e<attached: 00000012-PHOTO-….jpg>")."""
    first, newline, rest = message.partition("\n")
    if newline and _MEDIA.match(first):
        return rest.strip()
    m = _ATTACHED.match(message)
    return m.group("head").strip() if m else message


def parse_chat(text: str, tz: str = TIME_ZONE, date_order: str | None = None) -> list[ChatMessage]:
    """Messages of a WhatsApp chat export, in file order.

    Lines that do not start a message continue the previous one (multi-line messages). The
    date order (day/month) is guessed from the whole file unless ``date_order`` ("dmy", "mdy",
    "ymd") is given; times are read in ``tz`` (the exporting phone's zone) and returned in UTC.

    Raises:
        TiplineError: no line looks like a WhatsApp message.
    """
    lines = list(_lines(text))
    heads = _headers(text)
    if not heads:
        raise TiplineError("this file does not look like a WhatsApp chat export (no line starts with "
                           "a date and time such as '12/10/23, 14.05 - ' or '[12/10/23 14.05.33] ')")
    order = date_order or _date_order([m for m, _ in heads])
    zone = _zone(tz)
    messages: list[ChatMessage] = []
    starts = [n for _, n in heads] + [len(lines)]
    for (m, start), end in zip(heads, starts[1:], strict=True):
        body = "\n".join([m.group("rest")] + lines[start + 1:end]).strip()
        when = _when(m, order, zone)
        sender, sep, message = body.partition(": ")
        # A system line holds ": " only inside the text it quotes (a group's new name, "Info: ...");
        # a name may hold a word of one ("Pak Andi Keamanan"), and a contact saved with titles and
        # office may be long ("Dr. H. …, S.Sos., M.Si. (Kabag Humas …)").
        quoting = _SYSTEM.search(sender) and (_QUOTE.search(sender) or len(sender) > 60)
        if not sep or "\n" in sender or quoting:
            messages.append(ChatMessage(when, None, body.lstrip("\u200e"), "system"))
            continue
        sender = sender.strip().lstrip("\u200e~ ").strip()
        marked = message.startswith("\u200e")  # iOS marks system notices and media this way
        message = _EDITED.sub("", message.lstrip("\u200e")).strip()
        kind = "text"
        if _MEDIA.match(message) or _DOCUMENT_OMITTED.match(message) or _only_attachment(message):
            kind = "media"
        elif _LOCATION.match(message):
            kind = "location"
        elif _DELETED.match(message):
            kind = "deleted"
        elif marked and _SYSTEM.search(message) and len(message) < 200:
            kind = "system"
        else:
            message = _caption(message)
        messages.append(ChatMessage(when, sender, message, kind))
    return messages


# ----------------------------------------------------------------------- pseudonymisation


def load_secret(db_path: str | Path | None = None) -> bytes:
    """The HMAC key: ``$SARING_TIPLINE_SECRET``, else ``<db>.tipline-secret`` next to the database,
    created once with a random key and permissions 0600.

    Raises:
        TiplineError: the environment secret is shorter than 16 characters, or the file is
            readable by others.
    """
    env = os.environ.get(SECRET_ENV)
    if env is not None:
        if len(env) < 16:
            raise TiplineError(f"{SECRET_ENV} is too short: use at least 16 random characters")
        return env.encode()
    db = Path(db_path) if db_path else default_db_path()
    path = db.with_name(db.name + ".tipline-secret")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if readable_by_others(path):
            raise TiplineError(f"{path} is readable by other users; run: chmod 600 {path}") from None
        key = path.read_text().strip()
        if len(key) < 16:
            raise TiplineError(f"{path} holds no usable secret; delete it only if no tipline data "
                               f"was imported with it (pseudonyms would change)") from None
        return key.encode()
    os.fchmod(fd, 0o600)  # exactly 0600 whatever the umask
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


# System lines that name people: the actor comes first; for "added"/"removed" the objects follow.
_PEOPLE_LINE = re.compile(
    r"^(?P<actor>.{1,80}?)\s+(?:"
    r"(?:menambahkan|mengeluarkan|added|removed)\s+(?P<objects>.+?)\.?"
    r"|(?:membuat grup|created group|created this group|keluar|left|bergabung|joined|mengubah|changed|"
    r"menyematkan|pinned|menghapus|deleted|mengaktifkan|menonaktifkan|turned on|turned off|"
    r"sekarang admin|is now an admin|is no longer an admin)(?!\w).*"
    r")$", re.I | re.S)
_SECURITY_LINE = re.compile(r"(?:Kode keamanan Anda dengan|Your security code with)\s+(?P<actor>.{1,80}?)\s+"
                            r"(?:berubah|telah berubah|changed)", re.I)
_LIST_SPLIT = re.compile(r"\s*,\s*|\s+(?:dan|and|&)\s+", re.I)
_EXPORTER = {"anda", "you", "kamu"}  # the phone that exported the chat
_GROUP_LINE = re.compile(r"(membuat grup|created group|menambahkan|\badded\b|mengeluarkan|\bremoved\b|"
                         r"bergabung|\bjoined\b|keluar$|\bleft$|subjek|subject|\bgrup\b|\bgroup\b)", re.I)
_FILE_CHAT = re.compile(r"^(?:WhatsApp Chat(?: with| dengan| -)|Chat WhatsApp(?: dengan| with| -)|"
                        r"Percakapan WhatsApp dengan)\s*(?P<name>.+?)(?:\s*\(\d+\))?$", re.I)


def chat_name_from_file(path: str | Path) -> str | None:
    """The chat's name in an export's file name ("WhatsApp Chat - Rina Wulandari.txt",
    "WhatsApp Chat with …", "Chat WhatsApp dengan …"), or None."""
    m = _FILE_CHAT.match(Path(path).stem.strip())
    return m.group("name").strip() if m else None


def _people_in_system_line(text: str) -> list[str]:
    line = text.lstrip("\u200e~ ").strip()
    found: list[str] = []
    m = _SECURITY_LINE.search(line)
    if m:
        found.append(m.group("actor"))
    m = _PEOPLE_LINE.match(line)
    if m:
        found.append(re.sub(r"\s+(?:telah|has)$", "", m.group("actor"), flags=re.I))
        if m.group("objects"):
            found.extend(_LIST_SPLIT.split(m.group("objects")))
    return [p.strip().lstrip("\u200e~@ ").strip().strip('"') for p in found
            if p and name_key(p) not in _EXPORTER and len(p.split()) <= 8]


def is_group_chat(messages: Sequence[ChatMessage]) -> bool:
    """A group: a system line about members or the group, or three or more people writing."""
    if any(m.kind == "system" and _GROUP_LINE.search(m.text) for m in messages):
        return True
    return len({name_key(m.sender) for m in messages if m.sender and m.kind != "system"}) >= 3


def member_names(messages: Sequence[ChatMessage], chat: str | None = None) -> tuple[list[str], bool]:
    """Every person named by the chat's structure, and whether the chat is a group.

    Senders, the people in system lines, and for a one-to-one chat its ``chat`` name (from the
    file name: the other person). In a group, a "sender" that only ever appears on system lines
    is the group itself (iOS writes the group's name there), not a member.
    """
    group = is_group_chat(messages)
    writers = {m.sender for m in messages if m.sender and m.kind != "system"}
    writer_keys = {name_key(s) for s in writers}
    names = set(writers)
    for message in messages:
        if message.kind != "system":
            continue
        names.update(_people_in_system_line(message.text))
        if message.sender and (not group or name_key(message.sender) in writer_keys):
            names.add(message.sender)
    if chat and not group:
        names.add(chat)
    return sorted(n for n in names if n and name_key(n) not in _EXPORTER), group


def find_urls(text: str) -> list[str]:
    """Links in a message that may be stored and fetched (``www.`` gets ``https://``), with
    personal data removed; contact links (wa.me, t.me/+62…) are never among them."""
    return GENERIC.links(text)


def scrub(text: str, names: Sequence[str] = (), secret: bytes | None = None) -> str:
    """Text without personal data (see :mod:`saring.collect.scrub`); ``names`` are member names."""
    return Scrubber(names, secret).text(text) or ""


def keep_reason(message: ChatMessage, urls: Sequence[str]) -> str | None:
    """Why a message is worth checking ("link", "forwarded", "long"), or None to skip it."""
    if message.kind != "text" or message.sender is None:
        return None
    if urls:
        return "link"
    if _FORWARDED.search(message.text):
        return "forwarded"
    if len(_URL.sub("", message.text)) >= LONG_MESSAGE:
        return "long"
    return None


# --------------------------------------------------------------------------------- storage


def _label(path: Path, chat: str | None, names_scrubber: Scrubber, group: bool,
           from_file: str | None) -> str:
    if chat:
        return names_scrubber.text(chat) or chat
    if from_file and not group:
        if phone_key(from_file) and names_scrubber.secret:
            # An unsaved contact: the number would become the mask every such chat shares.
            return f"[anggota {pseudonym(from_file, names_scrubber.secret)[:8]}]"
        return names_scrubber.text(from_file) or from_file  # a person: becomes their pseudonym
    return names_scrubber.text(from_file or path.stem) or path.stem


def _key(secret: bytes, sender: str, stamp: str, nth: int, text: str | None = None) -> str:
    parts = [sender, stamp, str(nth)] + ([text] if text is not None else [])
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class _Found:
    """A kept message of an import, as it is matched against the stored ones."""
    message_id: str
    sender: str
    sent_at: datetime | None
    minute: datetime | None
    rank: int  # its place among the kept messages of its sender and minute
    text: str  # scrubbed
    legacy: tuple[str, str]


def _match_stored(con: duckdb.DuckDBPyConnection, secret: bytes, found: Sequence[_Found],
                  kept_in_minute: Counter[tuple[str, datetime | None]],
                  chat: str) -> tuple[list[str | None], set[str]]:
    """The id to store each message under, or None when it is stored already; and the stored
    rows the messages were matched to.

    A stored message is the same when an id of older saring matches (the same second), or when
    sender, minute, place in the minute and text agree; a purged row, whose text cannot be
    compared, is the same at the same place (its text must not come back). Last, a message of
    the same ``chat``, minute and text under another sender is the same one written from another
    phone, which knows its sender by another name (a saved contact there, a number here).
    """
    if not found:
        return [], set()
    minutes = [f.minute for f in found if f.minute is not None]
    ids = [i for f in found for i in (f.message_id, *f.legacy)]
    low, high = (min(minutes), max(minutes) + timedelta(minutes=1)) if minutes else (None, None)
    stored: dict[str, tuple[str, datetime | None, str | None]] = {}
    in_minute: dict[tuple[str, datetime | None], list[tuple[datetime | None, str]]] = {}
    in_chat: dict[datetime, list[tuple[datetime, str]]] = {}
    for message_id, sender, sent_at, text, row_chat in con.execute(
            "SELECT message_id, sender_hash, sent_at, text, chat FROM tipline_messages WHERE "
            "list_contains(?, message_id) OR ((list_contains(?, sender_hash) OR chat = ?) "
            "AND sent_at >= ? AND sent_at < ?)",
            [ids, sorted({f.sender for f in found}), chat, low, high]).fetchall():
        when = sent_at.astimezone(UTC) if sent_at else None
        minute = when.replace(second=0, microsecond=0) if when else None
        stored[message_id] = (sender, when, text)
        in_minute.setdefault((sender, minute), []).append((when, message_id))
        if row_chat == chat and when and minute and text is not None:
            in_chat.setdefault(minute, []).append((when, message_id))
    claimed: set[str] = set()
    result: list[str | None] = []

    def claim(message_id: str) -> bool:
        if message_id in stored and message_id not in claimed:
            claimed.add(message_id)
            return True
        return False

    # First the ids: an older saring's id for this very second, then sender, minute and place;
    # from another export format (another time) the text must agree too.
    for f in found:
        _, when, text = stored.get(f.message_id, ("", None, None))
        same_place = text is None or when == f.sent_at or same_text(text, f.text)
        if (f.legacy[0] != f.message_id and claim(f.legacy[0])) or claim(f.legacy[1]) or (
                f.message_id in stored and same_place and claim(f.message_id)):
            result.append(None)
        else:
            result.append(f.message_id)
    # Then rows of older saring stored under their second (an iPhone export), matched by text,
    # or, once purged, by place when the minute holds as many rows as this import keeps there.
    for i, f in enumerate(found):
        if result[i] is None:
            continue
        group = sorted(in_minute.get((f.sender, f.minute), []), key=lambda r: (r[0] is None, r[0], r[1]))
        same = [m for _, m in group if stored[m][2] is not None and same_text(stored[m][2] or "", f.text)]
        if any(claim(m) for m in same):
            result[i] = None
        elif (len(group) == kept_in_minute[f.sender, f.minute] and stored[group[f.rank][1]][2] is None
              and claim(group[f.rank][1])):
            result[i] = None
        elif f.message_id in stored:  # another message at this place (another chat, a shorter export)
            result[i] = _key(secret, f.sender, f.minute.isoformat() if f.minute else "", f.rank,
                             " ".join(f.text.split()))
    for i, f in enumerate(found):
        if result[i] is None or f.minute is None:
            continue
        others = [m for _, m in sorted(in_chat.get(f.minute, []))
                  if stored[m][0] != f.sender and same_text(stored[m][2] or "", f.text)]
        if any(claim(m) for m in others):
            result[i] = None
    return result, claimed


def _decoded(data: bytes) -> str:
    """An export's text: UTF-8 as WhatsApp writes it, or UTF-16 with a byte-order mark, as Windows'
    Notepad saves it again as "Unicode", or Windows-1252, its "ANSI" on an Indonesian Windows."""
    if text_encoding(data) == "utf-16":
        return data.decode("utf-16", errors="replace")
    text = data.decode("utf-8-sig", errors="replace")
    if "\ufffd" not in text or any(c > "\x7f" and c != "\ufffd" for c in text):
        return text  # UTF-8, maybe with a damaged byte: its emoji and letters stay as they are
    # no character UTF-8 could read: read as UTF-8, its dashes and curly quotes became "\ufffd"
    return data.decode("cp1252", errors="replace")


def _export_text(path: Path) -> tuple[str, str | None]:
    """The chat text of an export, and the name of the zip member it came from (None for a .txt).

    An iPhone always shares a zip ("WhatsApp Chat - <chat>.zip" holding ``_chat.txt``), Android
    one with the media when they are included; only the chat text is read from it."""
    try:
        if not zipfile.is_zipfile(path):
            return _decoded(path.read_bytes()), None
        with zipfile.ZipFile(path) as archive:
            texts = [info for info in archive.infolist() if not info.is_dir()
                     and info.filename.lower().endswith(".txt") and "__MACOSX" not in info.filename]
            chats = [info for info in texts if Path(info.filename).name == "_chat.txt"] or texts
            if len(chats) != 1:
                found = ", ".join(info.filename for info in chats) or "no .txt file"
                raise TiplineError(f"{path} is a zip with no chat text to import, or several "
                                   f"({found}): unzip it and import the chat's .txt file")
            return _decoded(archive.read(chats[0])), chats[0].filename
    except OSError as exc:
        raise TiplineError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: a password-protected member
        raise TiplineError(f"cannot read the zip {path} ({exc}): export the WhatsApp chat again") from None


_STAMP = pa.timestamp("us", tz="UTC")
_ROWS = pa.schema([("message_id", pa.string()), ("chat", pa.string()), ("sender_hash", pa.string()),
                   ("sent_at", _STAMP), ("text", pa.string()), ("urls", pa.list_(pa.string())),
                   ("forwarded", pa.bool_()), ("reason", pa.string()), ("imported_at", _STAMP),
                   ("purged_at", _STAMP)])
"""The columns of ``tipline_messages`` an import writes, in its rows' order."""


def import_chat(con: duckdb.DuckDBPyConnection, path: str | Path, secret: bytes, chat: str | None = None,
                tz: str = TIME_ZONE, date_order: str | None = None) -> ImportResult:
    """Import one WhatsApp export into ``tipline_messages``; importing it again adds nothing, nor
    does the same chat exported from another phone (iPhone: seconds; Android: minutes).

    A message of the chat sent before the minute of its last purged one is not stored again: a
    purged row cannot be matched by its sender, whom another member's phone may name otherwise,
    nor by its gone text; the result counts those as ``purged``. In that last minute, a message
    that matches no row is new (sent after the purged export) once as many as that minute has
    unmatched purged rows are left out, unless the minute holds a purged row of its sender.

    Returns kept/skipped counts, the URLs of the kept messages (scrubbed, for the fetch/extract
    pipeline), those of the messages it stored (``new_urls``) and the import's scrubber (member
    names in memory only). ``chat`` labels the chat (default: a group's name from the file name;
    a one-to-one chat's label is the other person's pseudonym).

    Raises:
        TiplineError: the file cannot be read or is not a WhatsApp export.
    """
    path = Path(path)
    text, member = _export_text(path)
    messages = parse_chat(text, tz=tz, date_order=date_order)
    from_file = chat_name_from_file(path) or (chat_name_from_file(member) if member else None)
    if from_file is None and path.name == "_chat.txt":
        # An iPhone's zip unzipped by the computer: its folder keeps the zip's name, the group's.
        from_file = chat_name_from_file(path.parent.name + ".zip")
    names, group = member_names(messages, from_file)
    # A group's own name ("Bakohumas Kota Batu") is no member: its words stay readable alone.
    common = [from_file] if group and from_file else []
    scrubber = Scrubber(names, secret, common=common)
    label = _label(path, chat, scrubber, group, from_file)
    now = datetime.now(UTC)
    rows, skipped = [], 0
    found: list[_Found] = []
    nth: Counter[tuple[str, str]] = Counter()
    nth_second: Counter[tuple[str, str]] = Counter()
    kept_in_minute: Counter[tuple[str, datetime | None]] = Counter()
    senders: dict[str, str] = {}  # a chat has few senders and many messages: each hashed once
    for message in messages:
        if (sender := senders.get(message.sender or "")) is None:
            sender = senders[message.sender or ""] = pseudonym(message.sender or "", secret)
        minute = message.sent_at.replace(second=0, microsecond=0) if message.sent_at else None
        stamp = message.sent_at.isoformat() if message.sent_at else ""
        minute_stamp = minute.isoformat() if minute else ""
        nth[sender, minute_stamp] += 1
        nth_second[sender, stamp] += 1
        # Only a member's text can be kept (keep_reason): no other message's links are looked for.
        urls = scrubber.links(message.text) if message.kind == "text" and message.sender is not None else []
        reason = keep_reason(message, urls)
        if reason is None:
            skipped += 1
            continue
        clean = scrubber.text(message.text) or ""
        # A message is its sender, its minute and its place among that sender's messages of that
        # minute: the same in an iPhone export (seconds) and an Android one (minutes). Not its
        # scrubbed text, which changes when a later export of the same history knows more members
        # (a second "Bambang" joined), while the message must keep its row (and stay purged); and
        # not its raw text, which even hashed would let the tipline secret's holder test guesses
        # of the numbers scrubbed from it. The text is compared, though, before two are merged.
        message_id = _key(secret, sender, minute_stamp, nth[sender, minute_stamp])
        found.append(_Found(
            message_id, sender, message.sent_at, minute, kept_in_minute[sender, minute], clean,
            # Ids of older saring: the iPhone's second and place in it, and before that the
            # scrubbed text. For an Android export the first is message_id itself.
            (_key(secret, sender, stamp, nth_second[sender, stamp]),
             hashlib.sha256(f"{sender}\x1f{stamp}\x1f{clean}".encode()).hexdigest()[:32])))
        kept_in_minute[sender, minute] += 1
        # keep_reason searched a message without links already: not again (a long text's slowest search).
        forwarded = reason == "forwarded" or (reason == "link" and bool(_FORWARDED.search(message.text)))
        rows.append([message_id, label, sender, message.sent_at, clean, urls, forwarded, reason, now, None])
    kept = len(rows)
    # Each link once, first mention first: a lookup in the growing list was quadratic in the links.
    urls_all = list(dict.fromkeys(u for row in rows for u in row[5]))
    new_ids, claimed = _match_stored(con, secret, found, kept_in_minute, label)
    purged = 0
    horizon = con.execute("SELECT max(sent_at) FROM tipline_messages WHERE chat = ? AND text IS NULL",
                          [label]).fetchall()[0][0]
    last: list[tuple[str, str]] = []  # the purged rows of the last purged minute
    if horizon is not None:  # to the minute: an Android export of an iPhone's message has no seconds
        horizon = horizon.astimezone(UTC).replace(second=0, microsecond=0)
        last = con.execute("SELECT message_id, sender_hash FROM tipline_messages WHERE chat = ? "
                           "AND text IS NULL AND sent_at >= ? AND sent_at < ?",
                           [label, horizon, horizon + timedelta(minutes=1)]).fetchall()
    left = sum(message_id not in claimed for message_id, _ in last)
    purged_senders = {sender for _, sender in last}
    for row, message_id, f in zip(rows, new_ids, found, strict=True):
        if message_id is not None and horizon is not None and f.minute is not None and f.minute <= horizon:
            # The last purged minute may also hold messages sent after the purged export: an
            # unmatched one there is new once the minute's unmatched purged rows are accounted for
            # (they come first in the file) and no purged row there is its sender's, which a
            # message that export lacked (deleted for me) could have shifted from its place.
            last_minute = f.minute == horizon
            if not last_minute or left or f.sender in purged_senders:
                message_id, purged = None, purged + 1
                left -= 1 if last_minute and left else 0
        row[0] = message_id
    rows = [tuple(row) for row in rows if row[0] is not None]
    new_urls = list(dict.fromkeys(u for row in rows for u in row[5]))
    before = con.execute("SELECT count(*) FROM tipline_messages").fetchall()[0][0]
    if rows:
        # One statement from an Arrow table: executemany inserts row by row (minutes for a year's chat).
        columns = dict(zip(_ROWS.names, zip(*rows, strict=True), strict=True))
        con.register("_tipline_rows", pa.Table.from_pydict(columns, schema=_ROWS))
        try:
            con.execute(f"INSERT INTO tipline_messages ({', '.join(_ROWS.names)}) "
                        "SELECT * FROM _tipline_rows ON CONFLICT (message_id) DO NOTHING")
        finally:
            con.unregister("_tipline_rows")
    after = con.execute("SELECT count(*) FROM tipline_messages").fetchall()[0][0]
    return ImportResult(kept=kept, skipped=skipped, urls=urls_all, new=after - before, purged=purged,
                        new_urls=new_urls, scrubber=scrubber)


def purge(con: duckdb.DuckDBPyConnection, older_than_days: float, now: datetime | None = None) -> int:
    """Delete the raw text of messages imported more than ``older_than_days`` ago.

    Keeps the row (message id, sender hash, time, URLs, reason) so counts and links survive.
    Returns the number of messages purged. Only the rows: the old text stays in the file's
    free blocks until :func:`saring.collect.retention.purge_tipline` rewrites the file.
    """
    from saring.collect.retention import purge_messages

    return purge_messages(con, older_than_days, now)

