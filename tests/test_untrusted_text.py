"""Untrusted text stays text: digest formats, e-mail from Markdown, WhatsApp links, bidi controls,
the labels CSV, and the CLI's console (Rich markup, ANSI escapes)."""

from __future__ import annotations

import csv
import email
import io
from dataclasses import replace
from email import policy

import lxml.html
import pytest
from test_deliver import digest_of, item

from saring.config import DeliveryChannel, DeliverySettings
from saring.report.archive import write_archive
from saring.report.deliver import deliver
from saring.report.digest import render, split_messages
from saring.safetext import BIDI_CONTROLS, safe_link, strip_controls

PHISH = 'https://media.example/a) <script>alert(1)</script> [resmi](https://phish.example/login "KPU")'
SPACED = "https://media.example/berita/2 *PENGUMUMAN RESMI KPU: TPS DIPINDAH*"


def hostile_digest():
    first = item(
        1,
        title="Judul <img src=x onerror=alert(1)>",
        url=PHISH,
        excerpt="cuplikan <script>alert(2)</script>",
        story_outlets=2,
        story_first="<img src=y onerror=alert(3)>",
        factchecks=[
            {
                "verdict": "<b>*RESMI*</b>",
                "title": "cek <img src=z onerror=alert(4)>",
                "url": "https://cek.example/x) <img src=q onerror=alert(5)>",
            }
        ],
    )
    second = item(
        2, "sedang", url=SPACED, title="KPU \u202eumumkan\u202c hasil", region="Kota\u2066 Batu\u2069"
    )
    return digest_of([first, second])


def test_markdown_channel_mail_holds_no_live_html(tmp_path, smtp):  # noqa: F811
    """A `format: markdown` channel: apprise turns the Markdown into the e-mail's HTML."""
    channel = DeliveryChannel(name="md-mail", url_env="T_MD", format="markdown")
    report = deliver(
        tmp_path / "saring.duckdb",
        hostile_digest(),
        DeliverySettings(channels=(channel,), attempts=1, backoff=0),
        env={"T_MD": smtp.url},
    )
    assert [r.status for r in report.results] == ["sent"], report.lines()
    msg = email.message_from_bytes(smtp.received[0].content, policy=policy.default)
    html = msg.get_body(("html",)).get_content()
    tree = lxml.html.fromstring(html)
    assert not tree.xpath("//script | //img | //iframe | //object")
    assert not [a for el in tree.iter() for a in el.attrib if a.lower().startswith("on")]
    hrefs = {a.get("href") for a in tree.xpath("//a")}
    assert all(h.startswith(("https://media.example/", "https://cek.example/")) for h in hrefs), hrefs
    assert not any(" " in h or "phish.example/login" == h.split("://")[-1] for h in hrefs)


@pytest.mark.parametrize("fmt", ["markdown", "whatsapp", "email_text", "html", "email"])
def test_links_cannot_carry_text_out_of_themselves(fmt):
    text = render(hostile_digest(), fmt)
    assert "RESMI KPU: TPS" not in text  # the words appended to a link stay inside it, encoded
    assert "https://media.example/berita/2%20" in text
    assert "https://cek.example/x%29%20%3Cimg%20src=q%20onerror=alert%285%29%3E" in text


@pytest.mark.parametrize("fmt", ["markdown", "whatsapp", "email_text", "html", "email"])
def test_links_stay_links_when_the_digest_is_in_sections_by_place(fmt):
    # A forum with its area set (Kota Batu) gets its news in sections by place: the links there
    # are as untrusted as anywhere else.
    d = hostile_digest()
    d = replace(d, forum_area="Kota Batu", forum_province="Jawa Timur",
                election_items=[replace(i, scope="area") for i in d.election_items])
    assert d.sections
    text = render(d, fmt)
    assert "RESMI KPU: TPS" not in text
    assert "https://media.example/berita/2%20" in text
    assert "phish.example/login" not in text.replace("phish.example/login%20", "")


def test_whatsapp_text_neutralises_markup_in_untrusted_fields():
    text = "".join(split_messages(hostile_digest(), "whatsapp", 4000))
    assert "*RESMI*" not in text  # a fact-check verdict cannot bold text
    assert "https://media.example/berita/2%20%2APENGUMUMAN%20RESMI%20KPU:%20TPS%20DIPINDAH%2A" in text
    for line in text.splitlines():
        if "media.example" in line:
            assert len(line.split()) == 1, line  # the link is one token: nothing follows it


def test_bidi_controls_never_reach_the_archive(tmp_path):
    paths = write_archive(hostile_digest(), tmp_path)
    assert len(paths) == 5
    for path in paths:
        content = path.read_text(encoding="utf-8")
        assert not set(BIDI_CONTROLS) & set(content), path.name
        assert "umumkan" in content


@pytest.mark.parametrize("mark", ["\u200f", "\u2069", "\x1b"])
def test_a_control_mark_beside_a_space_never_breaks_the_bold_or_italics_around_a_text(mark):
    # A title or forwarded text with a right-to-left mark (or an isolate, as in text copied from
    # X) after a space: the mark was taken out after the markup was placed, leaving "Bakohumas *"
    # and "_ KPU": WhatsApp and Markdown then show the marks instead of bold or italics.
    title = "KPU Kota Batu Bentuk Bakohumas"  # the sample's Malangpost article
    text = f"{mark} {title} {mark}"
    forwarded = item(2, "sedang", kind="tipline", url="https://tipline.saring.invalid/m/2", excerpt=text)
    d = replace(digest_of([item(1, title=text, excerpt=text)]), tipline=[forwarded])
    chat = render(d, "whatsapp")
    assert f"*1. {title}*" in chat and f"\n_{title}_\n" in chat and f"• _{title}_" in chat
    md = render(d, "markdown")
    assert f"[{title}](" in md and f"> {title}\n" in md and f"- *{title}* — risiko" in md


def test_safe_text_helpers():
    assert strip_controls("a\x1b[31mb\u202ec\td\ne\x9b") == "a[31mbc\td\ne"
    assert safe_link("javascript:alert(1)") is None and safe_link("http://[::1") is None
    assert safe_link("https://x.id/a b(c)'d\"<e>") == "https://x.id/a%20b%28c%29%27d%22%3Ce%3E"
    assert safe_link("https://x.id/sudah%20aman?q=a&b=1#f") == "https://x.id/sudah%20aman?q=a&b=1#f"
    assert safe_link("http://[::1]:8080/x") == "http://[::1]:8080/x"
    assert safe_link("https://bücher.example/ä") == "https://xn--bcher-kva.example/%C3%A4"


# --------------------------------------------------------------------------- labels CSV


def test_label_export_neutralises_formulas_and_import_undoes_it(ingested, tmp_path):
    import duckdb
    from typer.testing import CliRunner

    from saring.cli.main import app
    from saring.judge.labels import EXCEL_TEXT, read_label_file
    from saring.storage.database import Store

    formulas = ['=HYPERLINK("https://phish.example","klik")', "+62 812", "-1+1", "@SUM(A1)", "\tx", "\rx"]
    with Store(ingested) as store:
        ids = [r[0] for r in store.con.execute(
            "SELECT item_id FROM latest_scores ORDER BY item_id LIMIT ?", [len(formulas)]).fetchall()]
        for item_id, text in zip(ids, formulas, strict=True):
            store.con.execute("UPDATE items SET title = ? WHERE item_id = ?", [text, item_id])
            store.con.execute("UPDATE articles SET title = ? WHERE item_id = ?", [text, item_id])
        store.publish_snapshot()
    out = tmp_path / "to_label.csv"
    runner = CliRunner()
    r = runner.invoke(app, ["label", "export", "--db", str(ingested), "-o", str(out), "--limit", "500"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    # An id a spreadsheet would read as a number ("4e34470283598548") is written ="…" on purpose
    # (excel_text_id): a constant text, the one formula allowed.
    def plain(written: str) -> str:
        return m.group(1) if (m := EXCEL_TEXT.fullmatch(written)) else written

    titles = {plain(row["id"]): row["title"] for row in rows}
    for item_id, text in zip(ids, formulas, strict=True):
        assert titles[item_id] == "'" + text  # a spreadsheet shows it as text, never runs it
    for row in rows:
        for column, value in row.items():
            if column == "id" and plain(value).isalnum():
                continue
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    # Import: the quote comes off again, and a label on a neutralised row is stored.
    back = {row["id"]: row for row in read_label_file(out)}
    for item_id, text in zip(ids, formulas, strict=True):
        assert back[item_id]["title"] == text
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            if plain(row["id"]) in ids:
                writer.writerow({**row, "hoax": "1", "election": "0"})
    r = runner.invoke(app, ["label", "import", str(out), "--db", str(ingested), "--by", "Bawaslu"])
    assert r.exit_code == 0, r.output
    con = duckdb.connect(str(ingested), read_only=True)
    assert con.execute("SELECT count(DISTINCT item_id) FROM labels").fetchone()[0] == len(ids)
    con.close()


# --------------------------------------------------------------------------- the console

def _cli(*args: str):
    from typer.testing import CliRunner

    from saring.cli.main import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and "MarkupError" not in result.output


def test_check_of_a_link_with_markup_characters_gives_one_clear_message(tmp_path):
    result = _cli("check", "http://127.0.0.1:9/berita/x[/]", "--db", str(tmp_path / "x.duckdb"), "--no-save")
    _no_traceback(result)
    assert "x[/]" in result.output


def test_query_shows_markup_as_text_and_no_terminal_escapes(tmp_path):
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        store.con.execute(
            "INSERT INTO items (item_id, url, source_id, title) VALUES "
            "('a1', 'https://x.example/1', 'src', 'Hoaks [/] KPU [bold]besar[/bold] \x1b[2J\x1b]0;judul\x07')"
        )
        store.publish_snapshot()
    result = _cli("query", "SELECT title FROM items", "--db", str(db))
    _no_traceback(result)
    assert result.exit_code == 0
    assert "Hoaks [/] KPU [bold]besar[/bold]" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    # Piped CSV keeps the data as stored (it is data, not a screen).
    result = _cli("query", "SELECT title FROM items", "--db", str(db), "--csv")
    assert result.exit_code == 0 and "[/]" in result.output


def test_query_shows_list_and_struct_cells_without_terminal_escapes(tmp_path):
    # A tipline member pasted a link carrying an OSC 8 hyperlink and a screen clear; the import
    # keeps it in tipline_messages.urls, and `saring query "SELECT urls FROM tipline_messages"`
    # sent those escapes to the analyst's terminal (only text cells were cleaned).
    from pathlib import Path

    from saring.collect.tipline import import_chat
    from saring.storage.database import Store

    chat = tmp_path / "WhatsApp Chat dengan Bakohumas Kota Batu.txt"
    fixture = Path(__file__).parent / "fixtures" / "social" / chat.name
    chat.write_text(fixture.read_text(encoding="utf-8") + "13/10/23, 08.00 - Budi Santoso: cek "
                    "https://berita.example/tps\x1b]8;;https://kpu.go.id\x1b\\resmi\x1b]8;;\x1b\\\x1b[2J\u202e\n",
                    encoding="utf-8")
    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        import_chat(store.con, chat, b"test-secret-0123456789abcdef")
        store.publish_snapshot()
    result = _cli("query", "SELECT urls, {'first': urls[1]} AS s FROM tipline_messages "
                  "WHERE urls[1] LIKE 'https://berita.example/tps%'", "--db", str(db))
    _no_traceback(result)
    assert result.exit_code == 0 and "berita.example/tps" in result.output, result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output, repr(result.output)


@pytest.mark.parametrize("sql", ["", "   ", "/* nothing */", ";"])
def test_query_without_a_query_is_a_clear_error(tmp_path, sql):
    from saring.storage.database import Store

    with Store(tmp_path / "saring.duckdb") as store:
        store.publish_snapshot()
    result = _cli("query", sql, "--db", str(tmp_path / "saring.duckdb"))
    _no_traceback(result)
    assert result.exit_code == 2 and "Error:" in result.output


def test_sources_status_after_a_redirect_with_markup_in_its_location(tmp_path):
    from http.server import BaseHTTPRequestHandler

    from saring.serving import BackgroundServer

    class Redirect(BaseHTTPRequestHandler):  # sends the Location header exactly as written
        def do_GET(self):  # noqa: N802 (http.server API)
            self.send_response(302)
            self.send_header("Location", "ftp://arsip.example/pindah[/]/[bold]x")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with BackgroundServer(Redirect) as server:
        cfg = tmp_path / "sources.yaml"
        cfg.write_text(
            "sources:\n  - id: pindah\n    name: Pindah\n"
            f"    url: {server.base_url}/feed\n    options: {{allow_private: true}}\n",
            encoding="utf-8",
        )
        db = str(tmp_path / "saring.duckdb")
        result = _cli("ingest", "--sources", str(cfg), "--db", db)
    _no_traceback(result)
    assert result.exit_code == 1
    assert "ftp://arsip.example/pindah[/]/[bold]x" in result.output
    result = _cli("sources", "status", "--db", db)
    _no_traceback(result)
    assert result.exit_code == 0 and "ftp://arsip.example/pindah[/]/[bold]x" in result.output


@pytest.mark.parametrize("tail", ["", ".", "!!"])
def test_whatsapp_italic_excerpt_never_glues_its_closing_mark_to_a_link(tail):
    # WhatsApp takes a "_" right after a link into the link ("…/pengumuman_"), which then opens a
    # page that does not exist: the italics end before a link that ends the excerpt.
    d = digest_of([item(1, excerpt=f"Mohon dicek https://kpu.example/pengumuman{tail}")])
    text = render(d, "whatsapp")
    line = next(line for line in text.splitlines() if "kpu.example/pengumuman" in line)
    assert line == f"_Mohon dicek_ https://kpu.example/pengumuman{tail}"
    only_link = render(digest_of([item(1, excerpt="https://kpu.example/a_b")]), "whatsapp")
    assert "https://kpu.example/a_b\n" in only_link and "_https://" not in only_link


HIGH_IN_GROUP = {"whatsapp": "*2 pesan di grup berisiko hoaks tinggi*",
                 "email_text": "2 pesan di grup berisiko hoaks tinggi",
                 "email": "<b>2</b> pesan di grup berisiko hoaks tinggi",
                 "markdown": "**2** pesan di grup berisiko hoaks tinggi",
                 "html": "<b>2</b>pesan di grup berisiko hoaks tinggi"}


@pytest.mark.parametrize("fmt", list(HIGH_IN_GROUP))
def test_the_headline_counts_high_risk_messages_in_the_group_too(fmt):
    # The demo's digest opened with "0 berisiko hoaks tinggi" while two forwarded chain messages
    # below it were "tinggi" (98 %, 91 %): a member who reads only the first line thinks all is calm.
    tips = [item(20 + k, risk, kind="tipline", url=f"https://tipline.saring.invalid/m/{k}")
            for k, risk in enumerate(["tinggi", "tinggi", "rendah"])]
    d = replace(digest_of([item(1, "rendah")]), tipline=tips)
    text = render(d, fmt)
    assert HIGH_IN_GROUP[fmt] in text, fmt
    assert text.index(HIGH_IN_GROUP[fmt]) < text.index("Judul berita nomor 1")  # in the headline
    assert "2 pesan di grup berisiko hoaks tinggi" in d.subject
    assert "pesan di grup berisiko" not in render(digest_of([item(1, "rendah")]), fmt)
