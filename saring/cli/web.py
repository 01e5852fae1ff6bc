"""The forum's desk commands: check, card, web (and web adduser)."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict
from pathlib import Path

import typer
from rich.text import Text

from saring.cli.base import DB_OPT, SOURCES_OPT, app, err, fail, out, shown, warn_if_public
from saring.errors import SaringError, StoreError

CARD_WAIT = 30.0  # seconds `saring card` waits for a running flow to read a check stored since its start

web_app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    invoke_without_command=True,
    help="The forum's web desk (digest, labels, checks, cards). Default: serve it.\n\n"
         "Example: saring web --db data/demo/saring.duckdb",
)
app.add_typer(web_app, name="web")


def _pct(v: float) -> str:
    return f"{v:.0%}"


# A forward written as a list starts with "- ": the message, not an option.
@app.command(context_settings={"ignore_unknown_options": True})
def check(
    text: str = typer.Argument(..., help="the forwarded text, or an http(s) link to an article"),
    db: Path = DB_OPT,
    no_save: bool = typer.Option(False, "--no-save", help="do not store the check"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    by: str = typer.Option(None, "--by", help="who checked (stored with the check)"),
    sources: Path = SOURCES_OPT,
) -> None:
    """Check one text or link now: scores with reasons, near-identical items, fact-checks.

    \b
    Example: saring check "Beredar kabar KPU memindahkan TPS ..."
    Example: saring check https://example.co.id/berita/123
    """
    from saring.context import resolved
    from saring.desk.card import NO_CLAIM, card_for_check, card_text
    from saring.desk.check import run_check
    from saring.report.digest import risk_pct

    try:
        setup = resolved(db, sources)
        bands, zone = setup.digest, setup.timezone  # the forum's risk bands and clock, as in its digest
        result = run_check(text, db, by=by or os.environ.get("USER"), save=not no_save, bands=bands)
    except SaringError as exc:
        fail(str(exc))
    if as_json:
        out.print_json(json.dumps(asdict(result), default=str, ensure_ascii=False))
        return
    from saring.report.digest import tanggal

    def local(value) -> str:  # on the forum's clock and in its words, as its digest and desk say times
        if getattr(value, "tzinfo", None) is None:
            return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"
        return tanggal(value, zone)

    if result.previous:
        p = result.previous[0]
        out.print(
            Text.assemble((f"Sudah pernah dicek pada {local(p.checked_at)}", "bold"),
                          f" ({len(result.previous)}x sebelumnya)."),
            highlight=False,
        )
    if result.title:
        out.print(shown(result.title), style="bold", highlight=False)
    if result.no_claim:  # "0% (alasan: -)" would read as a claim weighed and found low
        out.print(f"Risiko hoaks: -  (pesan ini {NO_CLAIM}: hanya salam, ucapan terima kasih atau "
                  "tanggapan singkat)", highlight=False)
    else:
        out.print(
            f"Risiko hoaks: {risk_pct(result.hoax_score, bands)}  "
            f"(alasan: {shown('; '.join(result.hoax_terms)) or '-'})",
            highlight=False,
        )
    out.print(
        f"Terkait pemilu: {_pct(result.election_score)}  ({shown(', '.join(result.election_terms)) or '-'})",
        highlight=False,
    )
    if result.factchecks:
        out.print("Cek fakta terdekat:")
        for f in result.factchecks:
            verdict = f"{shown(f.label)}: " if f.label else ""
            out.print(f"  {verdict}{shown(f.title)} {shown(f.url)} "
                      f"(kemiripan {_pct(f.similarity)})", highlight=False)
    else:
        out.print("Cek fakta: belum ada klarifikasi resmi yang cocok.")
    for page in result.linked:
        out.print(f"Isi tautannya: {shown(page['title'])} ({shown(page['source'])}), "
                  f"risiko hoaks {page['risk']} ({risk_pct(page['hoax_score'], bands)})", highlight=False)
    if result.similar:
        out.print("Berita serupa yang sudah terlihat:")
        for s in result.similar:
            out.print(
                f"  {shown(s.source_name)}, pertama terlihat {local(s.when)}: {shown(s.title)} "
                f"({_pct(s.similarity)})",
                highlight=False,
            )
    if result.note:
        err.print(f"Catatan: {shown(result.note)}", highlight=False)
    out.print(
        f"id {result.check_id} · model {result.model_version} · {result.seconds:.1f} s"
        f"{' · tersimpan' if result.saved else ''}",
        style="dim",
        highlight=False,
    )
    typer.echo("\n" + shown(card_text(card_for_check(result, bands, zone))))


@app.command()
def card(
    ref: str = typer.Argument(..., help="an item id or a check id"),
    db: Path = DB_OPT,
    png: Path = typer.Option(None, "--png", help="also write the card as a PNG here"),
    by: str = typer.Option(None, "--by", help="who made the card (default: your login name)"),
    sent_via: str = typer.Option(None, "--sent-via", help="the channel it was sent on, e.g. whatsapp"),
    sources: Path = SOURCES_OPT,
) -> None:
    """Print the WhatsApp clarification reply for an item or a check (and optionally its PNG).

    The card is recorded (who, when, the channel) for the rumour's lifecycle.

    Example: saring card 3f2a9c1d0b7e --png klarifikasi.png --by rina --sent-via whatsapp
    """
    from saring.context import resolved
    from saring.desk.card import card_for_check_id, card_for_item, card_png, card_text
    from saring.storage.database import connect_snapshot

    busy = None
    try:
        setup = resolved(db, sources)
        bands, zone = setup.digest, setup.timezone
        con = connect_snapshot(db)
        found = card_for_item(con, ref, bands, zone)
        con.close()
        if found is None:  # checks are stored after the last publication: read the database itself
            found, busy = _stored_check_card(db, ref, bands, zone)
        if found is None and busy is not None:
            con = connect_snapshot(db)
            found = card_for_check_id(con, ref, bands, zone)
            con.close()
    except SaringError as exc:
        fail(str(exc))
    if found is None and busy is not None:
        fail(f"no item with id {ref!r}; a check made since the last saring run is only in the database, "
             f"which cannot be read now: {busy}")
    if found is None:
        fail(f"no item or check with id {ref!r}")
    typer.echo(shown(card_text(found)))
    _record_card(db, found, by or getpass.getuser(), sent_via, zone)
    if png:
        png.write_bytes(card_png(found))
        err.print(f"PNG -> {shown(png)}", highlight=False)


def _stored_check_card(db: Path | None, ref: str, bands, zone: str):
    """(the card of a check in the database itself or None, None), or (None, why the database
    cannot be read). Through the writer's Store, waiting ``CARD_WAIT`` s for a running flow: a
    read-only open fails at once while a flow writes (and locks a flow out meanwhile)."""
    from saring.desk.card import card_for_check_id
    from saring.storage.database import Store

    try:
        with Store(db, lock_wait=0) as store:
            return card_for_check_id(store.con, ref, bands, zone), None
    except StoreError as exc:
        if "in use" not in str(exc):  # not a flow's lock (e.g. no permission to write): no wait helps
            return None, str(exc)
    err.print(f"(the database is busy with a saring run; waiting up to {CARD_WAIT:.0f} s for it)",
              highlight=False)
    try:
        with Store(db, lock_wait=CARD_WAIT) as store:
            return card_for_check_id(store.con, ref, bands, zone), None
    except StoreError:
        return None, "a saring run is still writing it; try again when the run has finished"


def _record_card(db: Path | None, found, by: str, sent_via: str | None, zone: str) -> None:
    from saring.report.lifecycle import record_card
    from saring.storage.database import Store

    try:
        with Store(db, lock_wait=3) as store:
            record_card(store.con, found.kind, found.ref, by, channel=sent_via, zone=zone)
    except SaringError as exc:  # the card is printed all the same; only its record is missing
        err.print(f"(the card was not recorded: {exc})", highlight=False)


@web_app.callback()
def web(
    ctx: typer.Context,
    db: Path = DB_OPT,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (default: this machine only)"),
    port: int = typer.Option(8000, "--port", help="port to listen on"),
    sources: Path = typer.Option(None, "--sources", help="sources file for the digest settings"),
    proxy_headers: bool = typer.Option(
        False, "--proxy-headers",
        help="behind a reverse proxy: trust its X-Forwarded-Proto/-For headers (HTTPS cookies, "
             "client addresses for login limits)"),
    forwarded_allow_ips: str = typer.Option(
        None, "--forwarded-allow-ips",
        help="with --proxy-headers: comma-separated addresses of the proxies to trust "
             "(default 127.0.0.1)"),
) -> None:
    """Serve the forum's desk on http://127.0.0.1:8000 (log in with a `saring web adduser` account).

    Example: saring web --db data/demo/saring.duckdb
    Example: saring web --proxy-headers --forwarded-allow-ips 127.0.0.1   (behind nginx/Caddy)
    """
    if ctx.invoked_subcommand is not None:
        return
    if forwarded_allow_ips and not proxy_headers:
        fail("--forwarded-allow-ips only matters with --proxy-headers; add --proxy-headers")
    import uvicorn

    from saring.context import resolved
    from saring.desk.app import create_app
    from saring.desk.auth import user_count
    from saring.storage.database import OlderSchemaError, Store

    try:
        setup = resolved(db, sources)
        application = create_app(setup.db, setup.digest if setup.config else None, forum=setup.forum,
                                 timezone=setup.timezone)
    except SaringError as exc:
        fail(str(exc))
    desk = application.state.desk
    try:
        try:
            with desk.fresh() as con:
                users = user_count(con)
        except OlderSchemaError:
            # saring was upgraded since the last run: every page would fail until the next run
            # republished the copy; opening the writer migrates the file and publishes it now
            out.print("saring web: the database is from an older saring; upgrading it first",
                      highlight=False)
            Store(setup.db).close()
            with desk.fresh() as con:
                users = user_count(con)
    except SaringError as exc:
        fail(str(exc))
    if not users and not os.environ.get("SARING_WEB_SECRET"):
        fail(
            "nobody can log in yet: create an account with `saring web adduser NAME` "
            "or set SARING_WEB_SECRET to a shared forum password"
        )
    warn_if_public(host, port, "sees the login page")
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    out.print(f"saring web: open http://{local}:{port}/ (Ctrl-C stops)", highlight=False)
    uvicorn.run(
        application, host=host, port=port, log_level="warning", server_header=False,
        proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips or "127.0.0.1",
    )


@web_app.command("adduser")
def adduser(
    name: str = typer.Argument(..., help="the user's name, shown on their labels"),
    db: Path = DB_OPT,
    password_env: str = typer.Option(
        None, "--password-env", help="read the password from this environment variable (scripts)"
    ),
) -> None:
    """Create a web account, or set a new password for an existing one (asks for the password).

    A new password logs the account out everywhere.

    Example: saring web adduser rina
    """
    from saring.desk.auth import add_user

    if password_env:
        password = os.environ.get(password_env, "")
    else:
        password = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Again: ") != password:
            fail("the two passwords differ; nothing was changed")
    try:
        add_user(db, name, password)
    except SaringError as exc:
        fail(str(exc))
    out.print(f"User {name} can now log in to `saring web`.", highlight=False)


@web_app.command("deluser")
def deluser(
    name: str = typer.Argument(..., help="the account to delete"),
    db: Path = DB_OPT,
) -> None:
    """Delete a web account; its open sessions end at once (its labels are kept).

    Example: saring web deluser rina
    """
    from saring.desk.auth import delete_user

    try:
        delete_user(db, name)
    except SaringError as exc:
        fail(str(exc))
    out.print(f"User {shown(name)} is deleted and logged out everywhere.", highlight=False)
