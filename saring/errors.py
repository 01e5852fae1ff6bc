"""Named exceptions. Each message is written for a forum member, not an engineer."""


class SaringError(Exception):
    """Base class for every error saring reports to its user."""


class SourceConfigError(SaringError):
    """sources.yaml is missing, unreadable or invalid."""


class FetchError(SaringError):
    """A feed or page could not be downloaded."""


class UnsafeURLError(FetchError):
    """A URL points somewhere saring refuses to go (private address, odd scheme...)."""


class UnresolvedHostError(UnsafeURLError):
    """A link's host name does not resolve (mistyped, or the site is gone)."""


class ContactLinkError(UnsafeURLError):
    """A link (or a redirect) leads to a person or a private group (wa.me, t.me/+…): never fetched."""


class TooLargeError(FetchError):
    """A response is larger than the configured size cap."""


class FeedError(SaringError):
    """A feed was downloaded but holds nothing readable."""


class StoreError(SaringError):
    """The DuckDB file cannot be opened or written."""


class MalformedURLError(FetchError):
    """A link cannot be read at all (a port that is not a number, a broken IPv6 address...)."""
