"""The demo's e-mail part is library code (saring.pipeline.demo): a real local SMTP server gets the digest."""

from saring.pipeline.demo import mail_demo_digest, write_demo_sources


def test_mail_demo_delivers_the_digest_to_a_local_smtp_server(ingested, sample_site, tmp_path):
    sources = write_demo_sources(tmp_path / "sources.demo.yaml", sample_site.base_url)
    mail = mail_demo_digest(ingested, sources)
    assert mail.port > 0 and not mail.report.failed
    assert len(mail.received) == 1
    assert "to forum-bakohumas@demo.invalid" in mail.received[0] and "text/html" in mail.received[0]
