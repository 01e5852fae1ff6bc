"""Deliver the digest to every configured channel with apprise, once, and record every attempt.

A channel is named in ``settings.delivery.channels`` of sources.yaml with the *name* of an
environment variable holding its apprise URL (``mailto://…``, ``tgram://…``, ``whatsapp://…``,
``slack://…``, ``matrix://…``, ``json://…`` for a WhatsApp gateway). The URL itself is never in
the repository: put it in the environment or in a git-ignored ``.env`` file (in the working
folder, or next to the sources file).

Every send is a row in the ``deliveries`` table (schema v8), with the kind of report sent:
``daily`` (the digest) or ``weekly`` (saring.report.weekly, dated by its Monday). A report already
delivered to a channel is not sent again unless ``force``; a failing message is retried with
exponential backoff
(tenacity); one channel failing never stops the others. An e-mail channel's addresses that got
the report are in ``delivery_recipients`` (schema v14): when one address is refused, the next send
goes only to the addresses that lack it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import apprise
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from saring import clock
from saring.config import DeliveryChannel, DeliverySettings, decode_text
from saring.errors import SourceConfigError
from saring.localtime import TIME_ZONE, zone_label
from saring.report.digest import Digest, render, split_messages

LOGGER = logging.getLogger(__name__)

#: (title, messages, files to attach where the channel can take attachments) for one channel.
Payload = Callable[[DeliveryChannel], tuple[str, list[str], list[Path]]]
_BODY_FORMAT = {"whatsapp": apprise.NotifyFormat.TEXT, "markdown": apprise.NotifyFormat.MARKDOWN,
                "email": apprise.NotifyFormat.HTML, "email_text": apprise.NotifyFormat.TEXT}


class SendError(Exception):
    """One message was not accepted by the channel."""


class LoginRefused(SendError):
    """The mail server refused the account's login: trying again (or for another address) cannot
    help, and repeated failed logins get the account locked at most providers."""


@dataclass(frozen=True)
class ChannelResult:
    channel: str
    status: str  # sent | failed | skipped (already delivered) | in progress (by another run)
    attempts: int = 0
    messages: int = 0
    error: str | None = None
    since: datetime | None = None  # in progress: when the other run started sending
    reached: tuple[str, ...] = ()  # e-mail addresses that got every message in this send
    already: int = 0  # e-mail addresses that had the report from an earlier send: not sent again


@dataclass
class SendProgress:
    """How far a send got: what is recorded when it is interrupted (Ctrl-C, a cancelled flow)."""

    attempts: int = 0
    messages: int = 0  # accepted by the channel
    reached: list[str] = field(default_factory=list)  # e-mail addresses that accepted every message


@dataclass(frozen=True)
class DeliveryReport:
    day: date
    results: list[ChannelResult]
    kind: str = "daily"
    timezone: str = TIME_ZONE  # the forum's clock (settings.schedule.timezone), for the times said

    @property
    def attempted(self) -> list[ChannelResult]:
        return [r for r in self.results if r.status not in ("skipped", "in progress")]

    @property
    def failed(self) -> list[ChannelResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def all_failed(self) -> bool:
        """True when no channel has the digest (a channel skipped as already delivered has it)."""
        return bool(self.results) and all(r.status == "failed" for r in self.results)

    def lines(self) -> list[str]:
        out = []
        for r in self.results:
            if r.status == "sent":
                out.append(f"{r.channel}: sent ({r.messages} message(s), {r.attempts} attempt(s))"
                           + (f"; {r.error}" if r.error else ""))
            elif r.status == "skipped":
                what = f"the weekly report of {self.day}" if self.kind == "weekly" else str(self.day)
                out.append(f"{r.channel}: already delivered for {what}, not sent again (use --force)")
            elif r.status == "in progress":
                since = (f" since {r.since.astimezone(ZoneInfo(self.timezone)):%H:%M:%S} "
                         f"{zone_label(self.timezone)}" if r.since else "")
                out.append(f"{r.channel}: being sent by another run{since}, not sent again")
            else:
                out.append(f"{r.channel}: FAILED after {r.attempts} attempt(s): {r.error}")
            if r.already and r.status in ("sent", "failed"):
                out[-1] += f"; {r.already} address(es) already have it, not sent again"
        return out


def load_env_file(path: str | Path = ".env", sources: str | Path | None = None) -> bool:
    """Load ``.env`` (if present) into the environment; variables already set (not empty) win.

    With ``sources``, then the ``.env`` next to that file too (for what is still unset): a run
    started outside the forum's folder (``saring serve --sources /srv/forum/sources.yaml``).

    Raises:
        SourceConfigError: the file cannot be read, or is in an encoding other than UTF-8/UTF-16.
    """
    path = Path(path)
    beside = Path(sources).parent / ".env" if sources else None
    loaded = _load_env(path)
    if beside is not None and beside.resolve() != path.resolve():
        loaded = _load_env(beside) or loaded
    return loaded


def _load_env(path: Path) -> bool:
    import io

    from dotenv import dotenv_values

    if not path.is_file():
        return False
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceConfigError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    values = dotenv_values(stream=io.StringIO(decode_text(data, path)))
    # An exported but empty variable (`export SARING_WA_URL=` left in a profile) must not hide
    # the .env value: the channel would say "is not set" while .env sets it.
    for name, value in values.items():
        if value is not None and not os.environ.get(name):
            os.environ[name] = value
    return bool(values)


def reached_recipients(con, day: date, channel: str, kind: str = "daily") -> set[str]:
    """The e-mail addresses of ``channel`` that have the ``kind`` report of ``day`` (schema v14)."""
    return {r[0] for r in con.execute(
        "SELECT recipient FROM delivery_recipients WHERE digest_date = ? AND channel = ? "
        "AND report_kind = ?", [day, channel, kind]).fetchall()}


def already_delivered(con, day: date, channel: str, kind: str = "daily") -> bool:
    """True when the ``kind`` report of ``day`` was sent to ``channel`` (the table is schema v8)."""
    return bool(con.execute(
        "SELECT count(*) FROM deliveries WHERE digest_date = ? AND channel = ? AND report_kind = ? "
        "AND status = 'sent'",
        [day, channel, kind],
    ).fetchone()[0])


#: How long one try at one message to one address may take at most (connecting, a slow server),
#: for the claim's lease.
TRY_SECONDS = 120
#: What a claim past its lease becomes: the run that made it is taken for dead.
STOPPED = "the run sending it stopped"
# Two runs of one process (threads) claim in turn; DuckDB's file lock already serialises processes.
_CLAIMS = threading.Lock()


def claim_lease(settings: DeliverySettings, messages: int, addresses: int = 1) -> timedelta:
    """How long a send of ``messages`` can last; a claim older than that was left by a run that died.
    An e-mail channel's try mails its ``addresses`` one after the other, each up to TRY_SECONDS."""
    return timedelta(seconds=max(messages, 1) * settings.attempts
                     * (max(addresses, 1) * TRY_SECONDS + settings.max_wait))


def _address_count(url: str) -> int:
    """How many separate sends one try at a message makes: an e-mail URL's addresses, else 1."""
    with _url_quiet():
        try:
            return len(_one_per_recipient(_addresses_with_commas(url.strip())) or ()) or 1
        except Exception:  # noqa: BLE001  a URL apprise cannot parse: send_channel fails it, in one try
            return 1


def claim(con, day: date, channel: str, kind: str, force: bool, started: datetime,
          lease: timedelta) -> tuple[str, datetime | None]:
    """Claim the send of the ``kind`` report of ``day`` to ``channel``: (state, since).

    ``state`` is ``claimed`` (a ``sending`` row now stands for this run), ``skipped``
    (delivered, and not ``force``) or ``in progress`` (another run, the scheduled one or a
    manual one, is sending it since ``since``). The check and the claim
    are one transaction, so two runs at the same moment never both send.
    """
    from saring.storage.database import transaction

    key = [day, channel, kind]
    where = "digest_date = ? AND channel = ? AND report_kind = ?"
    with _CLAIMS, transaction(con):
        # A claim older than its lease was left by a run that was killed while sending.
        con.execute(f"UPDATE deliveries SET status = 'failed', error = ? "
                    f"WHERE {where} AND status = 'sending' AND started_at < ?",
                    [STOPPED, *key, started - lease])
        busy = con.execute(f"SELECT min(started_at) FROM deliveries WHERE {where} AND status = 'sending'",
                           key).fetchone()[0]
        if busy is not None:
            return "in progress", busy
        if not force and already_delivered(con, day, channel, kind):
            return "skipped", None
        con.execute("INSERT INTO deliveries (digest_date, channel, status, attempts, messages, forced, "
                    "started_at, report_kind) VALUES (?, ?, 'sending', 0, 0, ?, ?, ?)",
                    [day, channel, force, started, kind])
    return "claimed", None


def record(con, day: date, result: ChannelResult, forced: bool, started_at: datetime,
           kind: str = "daily") -> None:
    """Replace this run's claim (see :func:`claim`) by the send's outcome, also when another run
    took the claim for a dead run's (:data:`STOPPED`) while this one was still sending."""
    from saring.storage.database import transaction

    now = clock.now()  # a run on saring.clock (tests, simulations): the health section reads this clock
    with transaction(con):
        con.execute("DELETE FROM deliveries WHERE digest_date = ? AND channel = ? AND report_kind = ? "
                    "AND started_at = ? AND (status = 'sending' OR (status = 'failed' AND error = ?))",
                    [day, result.channel, kind, started_at, STOPPED])
        con.execute(
            "INSERT INTO deliveries (digest_date, channel, status, attempts, messages, error, forced, "
            "started_at, sent_at, report_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [day, result.channel, result.status, result.attempts, result.messages, result.error, forced,
             started_at, now if result.status == "sent" else None, kind],
        )
        if result.reached:
            con.executemany(
                "INSERT INTO delivery_recipients (digest_date, channel, report_kind, recipient, sent_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [[day, result.channel, kind, address, now] for address in result.reached])


def payload(digest: Digest, fmt: str, message_chars: int) -> tuple[str, list[str]]:
    """(title, messages) for a channel format; chat formats are split between items."""
    if fmt in ("whatsapp", "markdown"):
        return "", split_messages(digest, fmt, message_chars)
    return digest.subject, [render(digest, fmt)]


@contextmanager
def _url_quiet() -> Iterator[None]:
    """Keep apprise's records of a URL it cannot parse out of our logs: they hold the URL, token and all."""
    logger = logging.getLogger("apprise")
    with apprise.LogCapture(level=logging.WARNING):  # its own handler: nothing falls to logging.lastResort
        propagate, logger.propagate = logger.propagate, False
        try:
            yield
        finally:
            logger.propagate = propagate


def supports_attachments(url: str) -> bool:
    """Whether the apprise service at ``url`` takes file attachments (e-mail, Telegram do)."""
    with _url_quiet():
        try:
            plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        except Exception:  # noqa: BLE001  raised despite suppress_exceptions (see send_channel)
            plugin = None
    if plugin is not None and plugin.service_name == "Slack" and getattr(plugin, "mode", None) != "bot":
        return False  # Slack's webhooks drop the files (apprise says so only in its log)
    return bool(plugin is not None and getattr(plugin, "attachment_support", False))


# A semicolon before something with an "@" and no "=" separates e-mail addresses (Outlook writes
# "a@x; b@y"); apprise takes it for the end of an option, and the address after it was lost.
_ADDRESS_SEMICOLON = re.compile(r";(?=[^&;=]*@[^&;=]*(?:[&;]|$))")


def _addresses_with_commas(url: str) -> str:
    """``url`` with the semicolons between the addresses of an e-mail URL's options made commas."""
    if not url.lower().startswith(("mailto://", "mailtos://")) or "?" not in url:
        return url
    base, query = url.split("?", 1)
    return base + "?" + _ADDRESS_SEMICOLON.sub(",", query)


def _one_per_recipient(url: str) -> list[tuple[str, apprise.Apprise | None]] | None:
    """(address, Apprise) per address an e-mail URL sends to, None for any other URL.

    apprise sends one e-mail per address and says the call failed when one address is refused:
    retrying the call sent the digest again to every address that had it. One address is taken
    apart too: it may be the one left of several that had the report (the refused one removed).
    An address that is not one ("budi@@kpu.go.id") has no Apprise: apprise drops it with a line in
    its own log only, and the channel said "sent"."""
    from email.utils import parseaddr

    try:
        from apprise.utils.parse import is_email, parse_emails
    except ImportError:  # older apprise: one utils module
        from apprise.utils import is_email, parse_emails

    with _url_quiet():
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        parsed = type(plugin).parse_url(url) if plugin is not None else None
        if not parsed or parsed.get("schema") not in ("mailto", "mailtos"):
            return None
        # apprise's parse_emails skips what is not an address: each comma-separated part with an
        # "@" is kept whole when it holds none, to be said as one that was not sent to.
        targets = list(parsed.get("targets") or [])
        if not targets:
            return None  # apprise sends to the sender itself (with any cc): one e-mail
        # apprise sends each to= address the cc= and bcc= ones too: they got the report once per
        # to= address (and per retry of a refused one). Each gets its own e-mail here instead.
        for copies in (parsed.get("cc"), parsed.get("bcc")):
            targets += [copies] if isinstance(copies, str) else list(copies or [])
        addresses, seen = [], set()
        for part in (piece for target in targets for piece in re.split(r"[,;]", target)):
            if "@" not in part:
                continue
            found = [a for a in parse_emails(part, store_unparseable=False) if is_email(a)] or [part]
            for address in found:
                key = (parseaddr(address)[1] or address).lower()
                if key not in seen or not is_email(address):  # "a@x" in to= and cc=: one e-mail
                    seen.add(key)
                    addresses.append(address)
        if not addresses:
            return None
        each = [apprise.Apprise.instantiate({**parsed, "targets": [address], "cc": None, "bcc": None},
                                            suppress_exceptions=True)
                if is_email(address) else False for address in addresses]
    if any(p is None for p in each):
        return None
    out: list[tuple[str, apprise.Apprise | None]] = []
    for address, p in zip(addresses, each, strict=True):
        ap = None
        if p:
            ap = apprise.Apprise()
            ap.add(p)
        out.append(((parseaddr(address)[1] or address).lower(), ap))  # "KPU <Kpu@x>" is kpu@x
    return out


def _notify_each(pending: list[tuple[str | None, apprise.Apprise]], title: str, body: str, fmt: str,
                 attach: Sequence[Path] = (), reached: list[str] | None = None) -> None:
    """Send to each of ``pending``, removing those that accept it: a retry goes only to the others.
    The addresses that accept it are added to ``reached``, when given."""
    errors = []
    for address, ap in list(pending):
        try:
            _notify(ap, title, body, fmt, attach)
        except LoginRefused:
            raise
        except SendError as exc:
            errors.append(str(exc))
        else:
            pending.remove((address, ap))
            if reached is not None and address is not None:
                reached.append(address)
    if errors:
        raise SendError("; ".join(dict.fromkeys(errors))[:500])


def _notify(ap: apprise.Apprise, title: str, body: str, fmt: str,
            attach: Sequence[Path] = ()) -> None:
    # apprise says why an SMTP send failed (a refused login) only in a debug record: captured here,
    # and kept out of the service's log with the rest of apprise's records (ours say the outcome).
    with _url_quiet(), apprise.LogCapture(level=logging.DEBUG, fmt="\x00%(levelno)d %(message)s") as logs:
        files = apprise.AppriseAttachment([str(p) for p in attach]) if attach else None
        ok = ap.notify(body=body, title=title, body_format=_BODY_FORMAT[fmt], attach=files)
    if not ok:
        records = [x.split(" ", 1) for x in logs.getvalue().split("\x00") if " " in x]  # messages span lines
        for _, message in records:
            login = _LOGIN_REFUSED.search(message)
            if login:
                raise LoginRefused(f"the mail server refused the login ({login[1]} {login[2]})"[:500])
        lines = [line for level, message in records if int(level) >= logging.WARNING
                 for line in message.splitlines() if line.strip()]
        raise SendError((lines[-1] if lines else "the service did not accept the message")[:500])


# smtplib's SMTPAuthenticationError as apprise logs it: "Socket Exception: (535, b'5.7.8 ...')".
_LOGIN_REFUSED = re.compile(r"^Socket Exception: \((53[45]), b?['\"](.{0,200}?)['\"]\)")


def send_channel(channel: DeliveryChannel, title: str, messages: list[str], settings: DeliverySettings,
                 env: Mapping[str, str], attach: Sequence[Path] = (),
                 progress: SendProgress | None = None, skip: Collection[str] = ()) -> ChannelResult:
    """Send the messages in order; each is retried with backoff. Never raises.

    ``attach`` goes with the first message. A chat channel that refused part k gets every part
    again on the next run: resuming at part k would send the rest of a digest rebuilt meanwhile
    (a new fact-check match moves an item up), so an item could reach the group in no part.
    ``progress`` follows the send as it goes, for the caller to record an interrupted one.
    An e-mail URL's addresses in ``skip`` (they have the report from an earlier send) are passed over."""
    progress = progress if progress is not None else SendProgress()
    url = _addresses_with_commas((env.get(channel.url_env) or "").strip())
    if not url:
        return ChannelResult(channel.name, "failed", 0, 0,
                             f"environment variable {channel.url_env} is not set (put the apprise URL there)")
    ap = apprise.Apprise()
    with _url_quiet():
        try:
            added = ap.add(url)
        except Exception:  # noqa: BLE001  apprise's parsers raise on some input (a non-ASCII from= with name=)
            added = False
    if not added:
        return ChannelResult(channel.name, "failed", 0, 0,
                             f"{channel.url_env} does not hold a valid apprise URL")
    split = _one_per_recipient(url)
    # Positions, not the mistyped addresses: the error goes to the analysts' copy, whose mask
    # knows only well-formed addresses.
    bad = [i for i, (_, a) in enumerate(split or [], 1) if a is None]
    mistyped = None
    if bad:
        what = "addresses {} of {} in {} are not e-mail addresses" if len(bad) > 1 else \
            "address {} of {} in {} is not an e-mail address"
        mistyped = what.format(", ".join(map(str, bad)), len(split or []), channel.url_env) + \
            " (a typo?): not sent there"
    recipients: list[tuple[str | None, apprise.Apprise]] = (
        [(address, a) for address, a in split if a is not None] if split else [(None, ap)])
    already = sum(address in skip for address, _ in recipients)
    recipients = [(address, a) for address, a in recipients if address not in skip]
    if not recipients:  # every address has it (the one refused was taken out of the URL)
        return ChannelResult(channel.name, "failed" if bad else "sent", 0, 0, mistyped, already=already)
    # A chart deleted from the report's folder (or never drawn) made apprise refuse the whole mail:
    # the report goes with the files there are, and its record names the one left out.
    left_out = [Path(p).name for p in attach if not Path(p).is_file()]
    if left_out:
        attach = [p for p in attach if Path(p).is_file()]
        LOGGER.warning("delivery to %s: %s not found, sent without it", channel.name, ", ".join(left_out))
    not_attached = f"not attached (file not found): {', '.join(left_out)}" if left_out else None
    for i, body in enumerate(messages, 1):
        pending = list(recipients)
        retrying = Retrying(
            stop=stop_after_attempt(settings.attempts),
            wait=wait_exponential(multiplier=settings.backoff, max=settings.max_wait) if settings.backoff
            else wait_exponential(multiplier=0, max=0),
            retry=retry_if_exception_type(SendError) & retry_if_not_exception_type(LoginRefused),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    progress.attempts += 1
                    _notify_each(pending, title, body, channel.format, attach if i == 1 else (),
                                 progress.reached if i == len(messages) else None)
            progress.messages = i
        except (RetryError, LoginRefused) as exc:
            error = (f"{exc}: check the user and password in {channel.url_env}"
                     if isinstance(exc, LoginRefused) else str(exc.last_attempt.exception()))
            where = f"message {i}/{len(messages)}: " if len(messages) > 1 else ""
            LOGGER.warning("delivery to %s failed: %s%s", channel.name, where, error)
            return ChannelResult(channel.name, "failed", progress.attempts, i - 1,
                                 "; ".join(filter(None, (where + error, mistyped, not_attached))),
                                 reached=tuple(progress.reached), already=already)
    if mistyped:
        LOGGER.warning("delivery to %s: %s", channel.name, mistyped)
    return ChannelResult(channel.name, "failed" if bad else "sent", progress.attempts, len(messages),
                         "; ".join(filter(None, (mistyped, not_attached))) or None,
                         reached=tuple(progress.reached), already=already)


def deliver(db_path: str | Path | None, digest: Digest, settings: DeliverySettings,
            message_chars: int = 4000, force: bool = False, only: list[str] | None = None,
            env: Mapping[str, str] | None = None, kind: str = "daily",
            make_payload: Payload | None = None) -> DeliveryReport:
    """Send ``digest`` to every enabled channel (or those in ``only``) and record each send.

    ``digest`` is anything with a ``day``; another report than the daily digest passes its
    ``kind`` (the send log's key is day, channel and kind) and its own ``make_payload``.

    The database is opened only to claim the send and to record it, never while a message is in
    flight, so a slow channel does not hold the writer's lock; another run (the scheduled one and
    a manual one at the same moment) finds the claim and does not send the report again.
    """
    from saring.storage.database import Store

    env = os.environ if env is None else env
    channels = [c for c in settings.channels if c.enabled and (not only or c.name in only)]
    results = []
    for channel in channels:
        if make_payload is None:
            title, messages = payload(digest, channel.format, message_chars)
            attach: list[Path] = []
        else:
            title, messages, attach = make_payload(channel)
        lease = claim_lease(settings, len(messages), _address_count(env.get(channel.url_env) or ""))
        started = clock.now()
        with Store(db_path) as store:
            state, since = claim(store.con, digest.day, channel.name, kind, force, started, lease)
            skip = (reached_recipients(store.con, digest.day, channel.name, kind)
                    if state == "claimed" and not force else set())
        if state != "claimed":
            results.append(ChannelResult(channel.name, state, since=since))
            continue
        progress = SendProgress()
        try:
            result = send_channel(channel, title, messages, settings, env, attach, progress, skip)
        except BaseException:  # Ctrl-C, a cancelled flow: the claim must not block the next run
            # the parts already accepted are in the group: the log says so
            error = (f"interrupted after message {progress.messages}/{len(messages)}"
                     if progress.messages else "interrupted")
            with Store(db_path) as store:
                record(store.con, digest.day, ChannelResult(channel.name, "failed", progress.attempts,
                                                            progress.messages, error,
                                                            reached=tuple(progress.reached)),
                       force, started, kind)
            raise
        with Store(db_path) as store:
            record(store.con, digest.day, result, force, started, kind)
        results.append(result)
    return DeliveryReport(digest.day, results, kind, getattr(digest, "timezone", TIME_ZONE))


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (aiosmtpd's Controller cannot take port 0)."""
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
