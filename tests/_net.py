"""Stand-ins for what tests cannot reach: a scripted DNS server and the public internet; and a
real SMTP server on 127.0.0.1 (:func:`smtp_server`).

Tests never leave 127.0.0.1, so where a test needs a *public* server, 127.0.0.1 plays it
(:func:`pretend_public`), and host names resolve through :class:`FakeDNS`, which can answer
differently on each question (DNS rebinding).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading

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


@contextlib.contextmanager
def expired_certificate_site(tmp_path, monkeypatch):
    """An HTTPS server on 127.0.0.1 whose certificate expired yesterday, signed by a test CA the
    fetcher trusts (a stand-in for a public CA); gives its port and the connections it accepted."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def cert(subject, key, issuer, signer, start, end, ca):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(STAND_IN))]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, site_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "saring test CA")])
    day = dt.timedelta(days=1)
    ca = cert(ca_name, ca_key, ca_name, ca_key, now - 400 * day, now + 400 * day, True)
    site = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, STAND_IN)]), site_key, ca_name, ca_key,
                now - 90 * day, now - day, False)
    key = site_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    (tmp_path / "site.pem").write_bytes(site.public_bytes(serialization.Encoding.PEM) + key)
    trusted = ssl.create_default_context()
    trusted.load_verify_locations(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    monkeypatch.setattr("saring.collect.fetch.ssl_context", lambda: trusted)

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "site.pem")
    listener = socket.create_server((STAND_IN, 0))
    accepted = []

    def run():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed at the end of the test
                return
            accepted.append(1)
            with conn:
                try:
                    server.wrap_socket(conn, server_side=True).close()
                except OSError:  # the client refused the certificate (ssl.SSLError is an OSError)
                    pass

    threading.Thread(target=run, daemon=True).start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        listener.close()


@contextlib.contextmanager
def smtp_server(handler, **options):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 answering with ``handler`` (``options`` go to
    its Controller: an ``authenticator``); its ``url_to("a@x,b@y")`` is the apprise URL sending
    to those addresses through it."""
    import pytest

    from saring.report.deliver import free_port

    # Only the tests that send e-mail need aiosmtpd: the others run without the dev extra.
    aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd (dev extra) is not installed")
    port = free_port()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    controller.url_to = lambda to: (f"mailto://127.0.0.1:{port}?smtp=127.0.0.1&mode=insecure"
                                    f"&from=saring@test.invalid&to={to}")
    try:
        yield controller
    finally:
        controller.stop()
