"""Stand-ins for what tests cannot reach: a scripted DNS server and the public internet.

Tests never leave 127.0.0.1, so where a test needs a *public* server, 127.0.0.1 plays it
(:func:`pretend_public`), and host names resolve through :class:`FakeDNS`, which can answer
differently on each question (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket

import saring.collect.urls

STAND_IN = "127.0.0.1"


def pretend_public(monkeypatch) -> None:
    """Treat 127.0.0.1 as a public address (every other address is judged as usual)."""
    real = saring.collect.urls.is_public
    monkeypatch.setattr("saring.collect.urls.is_public", lambda address: address == STAND_IN or real(address))


class FakeDNS:
    """A resolver answering from a table: ``{"name": [["first answer"], ["second", ...]]}``.

    Each question about a name takes the next answer; the last answer then repeats. IP
    literals answer themselves, unknown names do not resolve.
    """

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = {name: list(answers) for name, answers in table.items()}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int | None) -> list[str]:
        self.asked.append(host)
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        answers = self.table.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers.pop(0) if len(answers) > 1 else answers[0]
