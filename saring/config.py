"""Load and validate ``sources.yaml`` once into a frozen :class:`Config`.

Defaults live in code; the file overrides only what it sets. Every later stage
receives the validated object and never reads the file again.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from saring.errors import SourceConfigError

LOGGER = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "saring/0.1 (+https://github.com/saring-id/saring; election-misinformation monitor)"

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class SourceOptions(BaseModel):
    """Per-source switches; all optional. Which ones a kind needs: see ``saring.kinds.source_url``."""

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


SourceKind = Literal["rss", "atom", "google_news", "mastodon", "reddit", "youtube", "telegram",
                     "webpage", "factcheck"]


class Source(BaseModel):
    """One feed (or page, or channel) that saring reads."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")
    name: str = Field(min_length=1)
    url: str = ""
    kind: SourceKind = "rss"
    """``factcheck``: an RSS/Atom feed of a fact-checker; its entries go to the fact-check registry."""
    region: str = "Nasional"
    enabled: bool = True
    schedule: str | None = None
    options: SourceOptions = SourceOptions()

    @model_validator(mode="before")
    @classmethod
    def _address(cls, data: Any) -> Any:
        """Build the address from the options for kinds that have one (Google News, Mastodon...)."""
        if not isinstance(data, dict) or data.get("kind") in (None, "rss", "atom", "factcheck"):
            return data
        from saring.kinds import POST_KINDS, source_url

        options = dict(data.get("options") or {})
        if not data.get("url") or data["kind"] == "webpage":
            data = {**data, "url": source_url(data["kind"], {**options, "url": data.get("url")})}
        if data["kind"] in POST_KINDS:
            # Posts are the text; their links (redirects, JS pages) are not articles to extract.
            data["options"] = {"fetch_articles": False, **options}
        return data

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value or ""):
            raise ValueError("must be an http:// or https:// address")
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError("must be a cron expression with 5 fields, e.g. '0 * * * *'")
        return value

    @property
    def is_factcheck(self) -> bool:
        return self.kind == "factcheck"


class FetchSettings(BaseModel):
    model_config = _FROZEN

    timeout: float = Field(default=20.0, gt=0, description="seconds per connect/read")
    total_timeout: float = Field(default=60.0, gt=0, description="seconds for one whole download")
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
    """How the election news that is not high-risk is grouped."""
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
    timezone: str = "Asia/Jakarta"


class TiplineSettings(BaseModel):
    model_config = _FROZEN

    retention_days: int = Field(default=30, ge=1, description="raw chat text is deleted after this")


class StorySettings(BaseModel):
    model_config = _FROZEN

    window_days: float = Field(default=3, gt=0, description="items further apart are never one story")


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

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, value: tuple[Source, ...]) -> tuple[Source, ...]:
        seen: set[str] = set()
        for source in value:
            if source.id in seen:
                raise ValueError(f"source id '{source.id}' is used twice; ids must be unique")
            seen.add(source.id)
        return value

    @property
    def enabled_sources(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.enabled)

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


def default_sources_path() -> Path:
    """``SARING_SOURCES`` if set, else ``sources.yaml`` in the working directory."""
    return Path(os.environ.get("SARING_SOURCES", "sources.yaml"))


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate a sources file.

    Raises:
        SourceConfigError: the file is missing, is not YAML, or breaks a rule. The
            message names the file, the source and the field.
    """
    path = Path(path) if path else default_sources_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceConfigError(f"{path}: file not found. Pass --sources FILE or create it.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceConfigError(f"{path}: cannot be read ({exc}).") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" near line {where.line + 1}" if where else ""
        raise SourceConfigError(f"{path}: is not valid YAML{line}.") from None
    return parse_config(raw, origin=str(path))


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
        raise SourceConfigError(f"{origin}: unknown top-level key(s): {', '.join(sorted(unknown))}.")
    try:
        return Config(sources=sources, **settings)
    except ValidationError as exc:
        raise SourceConfigError(_explain(exc, raw, origin)) from None
    except TypeError as exc:  # settings with a key Config does not take
        raise SourceConfigError(f"{origin}: settings: {exc}.") from None


def _explain(exc: ValidationError, raw: dict, origin: str) -> str:
    """Turn pydantic's first error into one sentence naming the source and field."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if loc and loc[0] == "sources" and len(loc) > 1 and isinstance(loc[1], int):
        index = loc[1]
        entry = raw["sources"][index] if index < len(raw["sources"]) else {}
        sid = entry.get("id") if isinstance(entry, dict) else None
        who = f"source '{sid}'" if sid else f"source #{index + 1}"
        field = ".".join(str(p) for p in loc[2:] if not str(p).startswith("function-")) or "entry"
        if "Extra inputs" in msg:
            return f"{origin}: {who}: unknown field '{field}'."
        return f"{origin}: {who}, field '{field}': {msg}."
    field = ".".join(str(p) for p in loc)
    if "Extra inputs" in msg:
        return f"{origin}: settings: unknown field '{field}'."
    return f"{origin}: '{field}': {msg}."
