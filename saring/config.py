"""Load and validate ``sources.yaml`` once into a frozen :class:`Config`.

Defaults live in code; the file overrides only what it sets. Every later stage
receives the validated object and never reads the file again.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import yaml
from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from saring.errors import SourceConfigError
from saring.localtime import TIME_ZONE, zone_name
from saring.textclean import text_encoding

LOGGER = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "saring/0.1 (+https://github.com/saring-id/saring; election-misinformation monitor)"

_FROZEN = ConfigDict(extra="forbid", frozen=True)
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def check_http_url(value: str) -> str:
    """``value`` when it is a complete http(s) address; else ValueError saying what is wrong.

    Checked here, once, so that a typo stops ``saring sources check`` instead of failing at
    fetch time: scheme, host name (or IP address), port number, no spaces.
    """
    value = value or ""
    if not re.match(r"^https?://", value, re.I):
        raise ValueError("must be an http:// or https:// address")
    if re.search(r"\s", value):
        raise ValueError("must not contain spaces (write a space in a link as %20)")
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        raise ValueError("is not a valid address (check the [ ] around an IPv6 address)") from None
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("has a port that is not a number from 1 to 65535")
    if "@" in parts.netloc:
        # The fetcher refuses such a link on every run, and its error (the address with the
        # password) would go to the digest's health section and the published sources table.
        raise ValueError("must not contain a user name or password (the part before '@'); saring "
                         "reads only feeds open to everyone")
    if parts.netloc.endswith(":"):
        raise ValueError("has a ':' but no port number after it")
    if not host:
        raise ValueError("has no host name (e.g. https://www.example.co.id/feed/)")
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValueError(f"has an invalid IPv6 address {host!r}") from None
        return value
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"has an invalid host name {host!r}") from None
    labels = ascii_host.rstrip(".").split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"has an invalid host name {host!r}")
    return value


def check_cron(value: str) -> str:
    """``value`` when it is a 5-field cron expression (checked with cronsim), else ValueError."""
    if len(value.split()) != 5:
        raise ValueError("must be a cron expression with 5 fields, e.g. '0 * * * *'")
    try:
        CronSim(value, datetime(2026, 1, 1))
    except CronSimError as exc:
        raise ValueError(f"is not a valid cron expression ({exc}); e.g. '0 * * * *' is every hour") from None
    # cronsim knows these, Prefect's schedules (saring serve, prefect deploy) do not: checked here,
    # not with Prefect's own validator, which would cost every command a second to import Prefect.
    _, _, day, _, weekday = value.upper().split()
    if "W" in day or "L" in weekday:
        raise ValueError("uses W in the day of the month or L in the day of the week, which the scheduler "
                         "(Prefect) does not support; e.g. '0 6 L * *' is the last day of the month, "
                         "'0 6 * * 5#4' the fourth Friday")
    return value


class SourceOptions(BaseModel):
    """Per-source switches; all optional. Which ones a kind needs: see ``saring.collect.kinds.source_url``."""

    model_config = _FROZEN

    allow_private: bool = False
    """Allow the feed address and its article links to resolve to loopback/private addresses
    (tests and the demo only)."""
    fetch_articles: bool = True
    """Download each new item's page; when False the feed's summary is the text."""
    max_items: int = Field(default=50, ge=1, le=1000)
    query: str | None = None
    """Search terms for ``google_news`` sources."""
    hl: str | None = None
    gl: str | None = None
    instance: str | None = None
    hashtag: str | None = None
    account: str | None = None
    subreddit: str | None = None
    search: str | None = None
    channel_id: str | None = None
    playlist_id: str | None = None
    channel: str | None = None
    link_pattern: str | None = None
    """Regular expression an article link must match (``webpage`` sources)."""
    outlet: bool | None = None
    """Links to this source's site count as links to a news outlet when the hoax model looks for
    links to non-news sites. Default: yes for ``rss``, ``atom``, ``webpage`` and ``factcheck``
    sources; set ``false`` for a site read because it spreads hoaxes."""


SourceKind = Literal["rss", "atom", "google_news", "mastodon", "reddit", "youtube", "telegram",
                     "webpage", "factcheck"]
OUTLET_KINDS = ("rss", "atom", "webpage", "factcheck")
"""Kinds whose site is, by default, a news outlet (the others are platforms full of posts)."""


def outlet_site(url: str, kind: str, outlet: bool | None = None) -> str | None:
    """The site of a source read at ``url`` (:attr:`Source.outlet_host`), or None when it is not a
    news outlet (``outlet``: its ``options.outlet``; None: by its kind, :data:`OUTLET_KINDS`)."""
    from saring.collect.urls import url_site

    site = url_site(url)
    return site if (kind in OUTLET_KINDS if outlet is None else outlet) else None


class Source(BaseModel):
    """One feed (or page, or channel) that saring reads."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")
    name: str = Field(min_length=1)
    url: str = Field(default="", validate_default=True)  # checked when left out: a feed needs one
    kind: SourceKind = "rss"
    """``factcheck``: an RSS/Atom feed of a fact-checker; its entries go to the fact-check registry."""
    region: str = "Nasional"
    enabled: bool = True
    schedule: str | None = None
    options: SourceOptions = SourceOptions()

    @property
    def outlet_host(self) -> str | None:
        """The site of this news source (``options.outlet``), or None. While the source is enabled,
        the hoax model counts links to it as news links (``Store.outlet_hosts``).

        The whole site, not only the feed's host: a feed on ``rss.kabar.co.id`` vouches for
        links to ``www.kabar.co.id`` (:func:`saring.collect.urls.site_of`). Kept when the source is
        switched off: its past items still count as that outlet's (``outlet_sql``).
        """
        return outlet_site(self.url, self.kind, self.options.outlet)

    @model_validator(mode="before")
    @classmethod
    def _address(cls, data: Any) -> Any:
        """Build the address from the options for kinds that have one (Google News, Mastodon...)."""
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind is not None and kind not in get_args(SourceKind):
            # said first: the url a kind would build is not missing, the kind is unknown
            raise ValueError("kind " + one_of(kind, get_args(SourceKind)))
        if kind in (None, "rss", "atom", "factcheck"):
            return data
        from saring.collect.kinds import POST_KINDS, source_url

        options = data.get("options") or {}
        if not isinstance(options, dict):  # reported here, under the source, not as a crash
            raise ValueError("options must be a mapping (name: value lines), e.g. options: {hashtag: pemilu}")
        options = dict(options)
        if not data.get("url") or data["kind"] == "webpage":
            data = {**data, "url": source_url(data["kind"], {**options, "url": data.get("url")})}
        if data["kind"] in POST_KINDS:
            # Posts are the text; their links (redirects, JS pages) are not articles to extract.
            data["options"] = {"fetch_articles": False, **options}
        return data

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value:
            raise ValueError("is missing: write the feed's address, e.g. url: https://www.example.co.id/feed/")
        return check_http_url(value)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @property
    def is_factcheck(self) -> bool:
        return self.kind == "factcheck"


class FetchSettings(BaseModel):
    model_config = _FROZEN

    timeout: float = Field(default=20.0, gt=0, description="seconds per connect/read")
    total_timeout: float = Field(default=60.0, gt=0, description="seconds for one URL, retries included")
    max_bytes: int = Field(default=5_000_000, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    per_host: int = Field(default=2, ge=1, le=16)
    workers: int = Field(default=8, ge=1, le=64, description="concurrent page downloads")
    source_workers: int = Field(default=4, ge=1, le=64, description="sources read side by side")
    retries: int = Field(default=2, ge=0, le=10)
    user_agent: str = DEFAULT_USER_AGENT


class DigestSettings(BaseModel):
    model_config = _FROZEN

    election_threshold: float = Field(default=0.5, ge=0, le=1)
    high: float = Field(default=0.7, ge=0, le=1, description="hoax score for 'tinggi'")
    medium: float = Field(default=0.4, ge=0, le=1, description="hoax score for 'sedang'")
    max_items: int = Field(default=30, ge=1)
    excerpt_chars: int = Field(default=220, ge=40)
    group_by: Literal["region", "outlet"] = "region"
    """How the election news that is not high-risk is grouped (without ``forum``: with it, by place)."""
    rereport_change: float = Field(default=0.2, ge=0, le=1)
    """An item already in an earlier digest comes back only when its hoax score moved more than this."""
    message_chars: int = Field(default=4000, ge=500, le=65536)
    """Longest WhatsApp/chat message; longer digests are split between items."""

    @model_validator(mode="after")
    def _ordered(self) -> DigestSettings:
        if self.medium > self.high:
            raise ValueError("digest.medium must not be above digest.high")
        return self


class DeliveryChannel(BaseModel):
    """One place the digest goes; its apprise URL is read from an environment variable."""

    model_config = _FROZEN

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    url_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$",
                         description="environment variable with the apprise URL")
    format: Literal["whatsapp", "markdown", "email", "email_text"] = "whatsapp"
    enabled: bool = True


class DeliverySettings(BaseModel):
    model_config = _FROZEN

    channels: tuple[DeliveryChannel, ...] = ()
    attempts: int = Field(default=3, ge=1, le=10, description="tries per message before a channel fails")
    backoff: float = Field(default=2.0, ge=0, le=300, description="first wait in seconds, doubled each retry")
    max_wait: float = Field(default=60.0, ge=0, le=3600)

    @field_validator("channels")
    @classmethod
    def _unique_names(cls, value: tuple[DeliveryChannel, ...]) -> tuple[DeliveryChannel, ...]:
        names = [c.name for c in value]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"channel name '{name}' is used twice; names must be unique")
        return value


class ScheduleSettings(BaseModel):
    model_config = _FROZEN

    ingest: str = "0 * * * *"
    digest: str = "0 6 * * *"
    weekly: str = "0 7 * * 1"  # Monday, after the daily digest (prefect.yaml's weekly-report too)
    timezone: str = TIME_ZONE

    @field_validator("ingest", "digest", "weekly")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return zone_name(value)  # WIB, WITA, WIT as people say them, stored as the zone's name


class TiplineSettings(BaseModel):
    model_config = _FROZEN

    retention_days: int = Field(default=30, ge=1, description="raw chat text is deleted after this")


class StorySettings(BaseModel):
    model_config = _FROZEN

    window_days: float = Field(default=3, gt=0, description="items further apart are never one story")


class ForumSettings(BaseModel):
    """Where the forum is: its news comes first in the digest and the desk (see saring.judge.places)."""

    model_config = _FROZEN

    area: str | None = None
    """The forum's own kabupaten or kota, e.g. "Kota Batu" or "Kabupaten Malang"."""
    province: str | None = None
    """Its province, e.g. "Jawa Timur"; when only ``area`` is set, the area's province."""

    @field_validator("area")
    @classmethod
    def _known_area(cls, value: str | None) -> str | None:
        return None if value is None else _gazetteer_name(value, ("kabupaten", "kota"))

    @field_validator("province")
    @classmethod
    def _known_province(cls, value: str | None) -> str | None:
        return None if value is None else _gazetteer_name(value, ("provinsi",))

    @model_validator(mode="after")
    def _area_in_province(self) -> ForumSettings:
        if self.area and self.province:
            from saring.gazetteer import gazetteer

            g = gazetteer()
            area = g.resolve(self.area, ("kabupaten", "kota"))
            home = g.areas[area.province_code].name
            if home != self.province:
                raise ValueError(f"forum.area {self.area} is in {home}, not in {self.province}; "
                                 f"set forum.province to '{home}' or leave it out")
        return self


def _gazetteer_name(value: str, levels: tuple[str, ...]) -> str:
    """The official name of an area as the config may spell it ("Kab. Malang", "Jatim")."""
    from saring.gazetteer import gazetteer

    try:
        return gazetteer().resolve(value, levels).name
    except LookupError as exc:
        raise ValueError(str(exc)) from None


class ArchiveSettings(BaseModel):
    model_config = _FROZEN

    base_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    """Where the report archive is published (e.g. https://forum.example/saring); the weekly
    report links its charts there on channels that take no attachments (WhatsApp)."""


class Config(BaseModel):
    """Everything saring needs to run, validated once."""

    model_config = _FROZEN

    sources: tuple[Source, ...]
    fetch: FetchSettings = FetchSettings()
    digest: DigestSettings = DigestSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    tipline: TiplineSettings = TiplineSettings()
    stories: StorySettings = StorySettings()
    delivery: DeliverySettings = DeliverySettings()
    forum: ForumSettings = ForumSettings()
    archive: ArchiveSettings = ArchiveSettings()

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, value: tuple[Source, ...]) -> tuple[Source, ...]:
        seen: set[str] = set()
        for source in value:
            if source.id in seen:
                raise ValueError(f"source id '{source.id}' is used twice; ids must be unique")
            seen.add(source.id)
        # The digest and the desk name an item's source by its name: two alike could not be told apart.
        named: dict[str, Source] = {}
        for source in value:
            said = " ".join(source.name.split()).casefold()
            if (other := named.get(said)) is not None:
                names = dict.fromkeys([other.name.strip(), source.name.strip()])
                raise ValueError(f"sources '{other.id}' and '{source.id}' have the same name "
                                 f"({' and '.join(map(repr, names))}), and the digest could not tell their "
                                 f"items apart; give '{source.id}' its own name")
            named[said] = source
        from saring.collect.urls import canonical_url

        # A copied block whose url was not changed: the copy would read the first one's feed, its
        # items already the first's, and the outlet it was meant for would never be read.
        reading: dict[tuple, str] = {}
        for source in value:
            if not source.enabled:
                continue
            key = (source.kind, canonical_url(source.url),
                   source.options.link_pattern if source.kind == "webpage" else None)
            if key in reading:
                raise ValueError(f"sources '{reading[key]}' and '{source.id}' have the same address "
                                 f"({source.url}) and would read the same feed; give '{source.id}' "
                                 "its own url (or enabled: false)")
            reading[key] = source.id
        return value

    @property
    def enabled_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.enabled)

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


class _DuplicateKey(yaml.constructor.ConstructorError):
    def __init__(self, key: object, mark: yaml.Mark) -> None:
        super().__init__(None, None, f"duplicate key {key!r}", mark)
        self.key = key


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, but a key written twice in one mapping is an error, not 'last wins'."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: PyYAML reports it itself
                continue
            if duplicate:
                raise _DuplicateKey(key, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def decode_text(data: bytes, path: str | Path) -> str:
    """A hand-edited file's text: UTF-8 (with or without a byte-order mark) or UTF-16 with one.

    Raises:
        SourceConfigError: any other encoding, naming the line (never the text: .env holds secrets).
    """
    # Notepad saves "Unicode" as UTF-16 with a byte-order mark: unambiguous, so read it.
    try:
        return data.decode(text_encoding(data))
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SourceConfigError(f"{path}: is not saved as UTF-8 (line {line}); save it again choosing "
                                "UTF-8 as the encoding.") from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely: no duplicate keys, no unbounded nesting.

    Raises:
        SourceConfigError: the file is missing, unreadable or not valid YAML.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceConfigError(f"{path}: file not found. Pass --sources FILE or create it.") from None
    except OSError as exc:
        raise SourceConfigError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    text = decode_text(data, path)
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as exc:
        raise SourceConfigError(
            f"{path}: the key '{exc.key}' appears twice in the same block near line "
            f"{exc.problem_mark.line + 1}; keep only one."
        ) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        if where and "'\\t'" in str(getattr(exc, "problem", "")):
            raise SourceConfigError(f"{path}: uses a tab to indent line {where.line + 1}; indent with "
                                    "spaces (YAML does not allow tabs there).") from None
        line = f" near line {where.line + 1}" if where else ""
        raise SourceConfigError(f"{path}: is not valid YAML{line}.") from None
    except RecursionError:
        raise SourceConfigError(f"{path}: is nested far too deeply to be a sources file.") from None


#: The defaults, written once: the database, the sources file, the digest archive.
DEFAULT_DB = Path("data/saring.duckdb")
DEFAULT_SOURCES = Path("sources.yaml")
DEFAULT_DIGESTS = Path("data/digests")


def default_sources_path() -> Path:
    """``SARING_SOURCES`` if set, else ``sources.yaml`` in the working directory."""
    return Path(os.environ.get("SARING_SOURCES") or DEFAULT_SOURCES)


def default_db_path() -> Path:
    """``SARING_DB`` if set, else ``data/saring.duckdb``."""
    return Path(os.environ.get("SARING_DB") or DEFAULT_DB)


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a sources file.

    Raises:
        SourceConfigError: the file is missing, is not YAML, or breaks a rule. The
            message names the file, the source and the field.
    """
    path = Path(path) if path else default_sources_path()
    return parse_config(read_yaml(path), origin=str(path))


def parse_config(raw: Any, origin: str = "sources.yaml") -> Config:
    """Validate an already-loaded mapping (see :func:`load_config`)."""
    if not isinstance(raw, dict) or "sources" not in raw:
        raise SourceConfigError(f"{origin}: must be a mapping with a 'sources:' list.")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        raise SourceConfigError(f"{origin}: 'sources:' must be a non-empty list.")
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        raise SourceConfigError(f"{origin}: 'settings:' must be a mapping.")
    unknown = set(raw) - {"sources", "settings"}
    if unknown:
        # str: YAML reads a stray "2024:" or "on:" as a number or true, which do not sort with names.
        names = sorted(map(str, unknown))
        settings_names = [n for n in Config.model_fields if n != "sources"]
        hints = [(n, _hint(n, ("sources", "settings"), {"settings": settings_names})) for n in names]
        said = [(f"it {h}" if h.startswith("belongs") else h) if len(names) == 1 else f"'{n}': {h}"
                for n, h in hints if h]
        raise SourceConfigError(_sentence(f"{origin}: unknown top-level key(s): "
                                          + "; ".join([", ".join(names), *said])))
    if not all(isinstance(k, str) for k in settings):
        raise SourceConfigError(f"{origin}: settings: every key must be a name like 'digest'.")
    try:
        return Config(sources=sources, **settings)
    except ValidationError as exc:
        raise SourceConfigError(_explain(exc, raw, origin)) from None
    except RecursionError:
        raise SourceConfigError(f"{origin}: is nested far too deeply to be a sources file.") from None


def _explain(exc: ValidationError, raw: dict, origin: str) -> str:
    """Turn pydantic's first error into one sentence naming the source and field."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    msg = _plain(err)
    if loc and loc[0] == "sources" and len(loc) > 1 and isinstance(loc[1], int):
        index = loc[1]
        entry = raw["sources"][index] if index < len(raw["sources"]) else {}
        sid = entry.get("id") if isinstance(entry, dict) else None
        who = f"source '{sid}'" if sid else f"source #{index + 1}"
        field = ".".join(str(p) for p in loc[2:] if not str(p).startswith("function-"))
        if not field:  # the entry as a whole (e.g. a kind's options)
            return _sentence(f"{origin}: {who}: {msg}")
        if "Extra inputs" in msg:
            return _sentence(f"{origin}: {who}: unknown field '{field}'{_unknown_hint(loc)}")
        return _sentence(f"{origin}: {who}, field '{field}': {msg}")
    field = ".".join(str(p) for p in loc)
    if "Extra inputs" in msg:
        return _sentence(f"{origin}: settings: unknown field '{field}'{_unknown_hint(loc)}")
    return _sentence(f"{origin}: '{field}': {msg}")


def _sentence(text: str) -> str:
    return text if text.endswith("?") else text + "."


def _block_model(annotation: Any) -> type[BaseModel] | None:
    """The settings block a field holds (``Source`` for ``tuple[Source, ...]``), or None."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _unknown_hint(loc: list) -> str:
    """"; it belongs under 'options:'" or "; did you mean 'enabled'?" for an unknown name at ``loc``."""
    model: type[BaseModel] | None = Config
    for part in loc[:-1]:
        if model is not None and not isinstance(part, int):
            known = model.model_fields.get(str(part))
            model = _block_model(known.annotation) if known else None
    if model is None:
        return ""
    here = [name for name in model.model_fields if name != "sources"]
    blocks = {}
    for name in here:
        if (block := _block_model(model.model_fields[name].annotation)) is not None:
            blocks[name] = block.model_fields
    hint = _hint(str(loc[-1]), here, blocks)
    return f"; it {hint}" if hint.startswith("belongs") else (f"; {hint}" if hint else "")


def _hint(name: str, here: Any, blocks: dict[str, Any]) -> str:
    """Where a misplaced ``name`` belongs (one of ``blocks``, each a block's names), or the name of
    ``here`` it is a typo of; "" when neither."""
    homes = [block for block, names in blocks.items() if name in names]
    if homes:
        return "belongs under " + " or ".join(f"'{b}:'" for b in homes) + " (indent it below that line)"
    close = difflib.get_close_matches(name, list(here), n=1, cutoff=0.75)
    return f"did you mean '{close[0]}'?" if close else ""


# What a field that fails its pattern must look like, said for someone who does not read regexes.
_PATTERN_WORDS = {
    "id": "must be small letters (a-z), digits, '-' or '_' (2 to 64, no spaces), e.g. 'malang-post'",
    "name": "must be small letters (a-z), digits, '-' or '_' (no spaces), e.g. 'wa-forum'",
    "url_env": "must be an environment variable name: capital letters, digits and '_', e.g. SARING_WA_URL",
    "base_url": "must be an http:// or https:// address without spaces",
}


def _plain(err: Any) -> str:
    """pydantic's message for one error, in words a maintainer who is not a programmer can act on."""
    kind, value, field = err["type"], err.get("input"), err["loc"][-1] if err["loc"] else ""
    if kind == "string_pattern_mismatch" and field in _PATTERN_WORDS:
        return _PATTERN_WORDS[str(field)]
    if kind == "string_type":
        if value is None:
            return f"is empty; write a value after '{field}:'"
        return f"must be text; write it in quotes: '{value}'"
    if kind == "bool_parsing":
        return f"must be true or false, not {value!r}"
    if kind == "float_parsing":
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+,\d+\s*", value):
            return f"must be a number; write {value.strip().replace(',', '.')} (a dot, not a comma)"
        return f"must be a number, not {value!r}"
    if kind in ("int_parsing", "int_from_float"):
        return f"must be a whole number, not {value!r}"
    if kind in ("model_type", "dict_type"):
        return "must be a block of 'name: value' lines (see the examples in the project's sources.yaml)"
    if kind in ("tuple_type", "list_type"):
        return "must be a list, one entry per line starting with '- '"
    if kind == "literal_error":
        return one_of(value, re.findall(r"'([^']*)'", err["ctx"]["expected"]))
    return err["msg"].removeprefix("Value error, ")


def one_of(value: Any, names: Any) -> str:
    """"must be one of 'a', 'b'; did you mean 'b'?" for a value written as people say it ("Google News")."""
    said = re.sub(r"[\s-]+", "_", str(value).strip().lower())
    close = [said] if said in names else difflib.get_close_matches(said, list(names), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return "must be one of " + ", ".join(f"'{n}'" for n in names) + hint
