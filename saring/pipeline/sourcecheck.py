"""What `saring sources check` says beyond the file's own rules: the sources every run would
refuse (judged from the file alone, never a lookup) and what works but not as the file suggests."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from saring.collect.kinds import options_not_used, page_not_feed
from saring.collect.urls import written_private
from saring.judge.places import ForumScope, region_places

if TYPE_CHECKING:
    from saring.config import Config


def source_warnings(config: Config) -> list[str]:
    """What runs read differently from what the file suggests (each a sentence naming the source)."""
    return [*_unused_options(config), *_placeless_regions(config)]


def refused_sources(config: Config) -> list[str]:
    """What every run would refuse in the enabled sources, judged from the file alone (no lookup)."""
    problems = []
    for source in config.enabled_sources:
        if page := page_not_feed(source.kind, source.url):
            problems.append(f"source '{source.id}': {page}")
        host = urlsplit(source.url).hostname or ""
        if not source.options.allow_private and written_private(host):
            problems.append(f"source '{source.id}': {source.url} is on this computer or a private network, "
                            "which saring refuses to read on every run; write the feed's public address "
                            "(or set options.allow_private: true, only for a test or the demo)")
    return problems


def _unused_options(config: Config) -> list[str]:
    """Enabled sources with both a url and the options their kind builds an address from: runs read
    the url alone, which the file does not show."""
    return [f"source '{s.id}': {unused}" for s in config.enabled_sources
            if not page_not_feed(s.kind, s.url)
            and (unused := options_not_used(s.kind, s.url, s.options.model_dump()))]


def _placeless_regions(config: Config) -> list[str]:
    """Enabled sources whose region names no place, when the digest sorts news by the forum's place:
    their news that names no place goes to the last section, however local the source."""
    scope = ForumScope.of(config.forum.area, config.forum.province)
    if scope is None:
        return []
    rest = f"Luar {scope.province.short} dan nasional"  # the digest's last section
    return [f"source '{s.id}': region '{s.region}' names no kabupaten, kota or province saring knows, so its "
            f"news that names no place goes under '{rest}' in the digest; if the source is local, write "
            "its place as the region, e.g. 'Kabupaten Malang' or 'Jawa Timur'"
            for s in config.enabled_sources
            if s.region.strip().lower() not in ("nasional", "internasional") and not region_places(s.region)]
