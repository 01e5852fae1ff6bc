"""Login limiting, per account and per client address, kept in the web app's memory.

* **Per account**: after 5 failed logins in a row (each within 15 minutes of the previous one or
  of the end of the last wait), the account waits 1 minute before the next try, then 2, 4, 8 …
  up to 60 minutes after each further failure. During a wait even the right password is refused
  (otherwise guessing would go on). A successful login, or 15 quiet minutes, clears the count.
* **Per address**: 20 failed logins from one client address within 15 minutes, and that address
  waits until the oldest of them is 15 minutes old. Behind a reverse proxy the address is the
  one the proxy forwards (``saring web --proxy-headers``), so one locked address is one client.

Names are compared case-insensitively, and names without an account are counted like real ones,
so a refusal tells nothing about which accounts exist. Restarting the app clears the counts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

ACCOUNT_FAILURES = 5  # failed logins in a row before an account has to wait
QUIET = 15 * 60.0  # seconds without a failure after which the count starts again
FIRST_WAIT = 60.0  # the first wait; doubled after each further failure ...
MAX_WAIT = 3600.0  # ... up to this
ADDRESS_FAILURES = 20  # failed logins from one address ...
ADDRESS_WINDOW = 15 * 60.0  # ... within this many seconds
MAX_TRACKED = 10_000  # accounts/addresses remembered before stale entries are dropped


@dataclass
class _Account:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Decides whether a login may be tried now; thread-safe; ``clock`` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._accounts: dict[str, _Account] = {}
        self._addresses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(name: str) -> str:
        return (name or "").strip().casefold()

    def attempt(self, name: str, address: str) -> float:
        """Seconds to wait before a login for ``name`` from ``address`` may be tried; 0 = go on.

        An allowed attempt is counted as failed at once (so parallel guesses cannot slip past
        the limit while their passwords are being checked); :meth:`succeeded` takes it back.
        """
        now = self.clock()
        with self._lock:
            self._prune(now)
            key = self._key(name)
            account = self._current(key, now) or _Account()
            recent = self._recent(address, now)
            wait = max(account.locked_until - now,
                       (recent[0] + ADDRESS_WINDOW - now) if len(recent) >= ADDRESS_FAILURES else 0.0)
            if wait > 0:
                return wait
            account.failures += 1
            account.last = now
            if account.failures >= ACCOUNT_FAILURES:
                extra = account.failures - ACCOUNT_FAILURES
                account.locked_until = now + min(FIRST_WAIT * 2 ** min(extra, 32), MAX_WAIT)
            self._accounts[key] = account
            recent.append(now)
            self._addresses[address] = recent
            return 0.0

    def succeeded(self, name: str, address: str) -> None:
        """The password was right: the account starts afresh and the address's try is taken back."""
        with self._lock:
            self._accounts.pop(self._key(name), None)
            recent = self._addresses.get(address)
            if recent:
                recent.pop()

    def _current(self, key: str, now: float) -> _Account | None:
        account = self._accounts.get(key)
        if account and now - max(account.last, account.locked_until) > QUIET:
            del self._accounts[key]  # forgiven after a quiet spell
            return None
        return account

    def _recent(self, address: str, now: float) -> deque[float]:
        recent = self._addresses.get(address, deque())
        while recent and recent[0] <= now - ADDRESS_WINDOW:
            recent.popleft()
        return recent

    def _prune(self, now: float) -> None:
        if len(self._accounts) > MAX_TRACKED:
            for key in list(self._accounts):
                self._current(key, now)
        if len(self._addresses) > MAX_TRACKED:
            for address in list(self._addresses):
                if not self._recent(address, now):
                    del self._addresses[address]
