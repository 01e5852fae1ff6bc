"""The command line, through typer's runner: help, clear errors, exit codes."""

import os
import re

import pytest
import typer
from typer.testing import CliRunner

from saring.cli.main import app

runner = CliRunner()


def _leaf_commands(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every runnable command under ``group``, as the words typed after ``saring`` (a group that
    runs by itself, like ``saring web``, counts too)."""
    found = []
    for name, command in sorted(group.commands.items()):
        path = prefix + (name,)
        if hasattr(command, "commands"):  # a group (typer ships its own copy of click's classes)
            if getattr(command, "invoke_without_command", False):
                found.append(path)
            found += _leaf_commands(command, path)
        else:
            found.append(path)
    return found


COMMANDS = _leaf_commands(typer.main.get_command(app))


def test_the_command_tree_is_walked_whole():
    """Guards the walk itself: nested groups (``model``, ``web``, ``tipline``, ...) are entered."""
    assert len(COMMANDS) >= 25
    for command in [("ingest",), ("web",), ("model", "promote"), ("stories", "assign"), ("tipline", "purge")]:
        assert command in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example: saring " + " ".join(command) in " ".join(result.output.split())


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_example_in_help_starts_its_own_line_so_it_can_be_copied(command):
    # `saring query --help` showed `... LIMIT 5" Example: saring query --file ...` on one line:
    # a newcomer copying the first example got the second one's words in their SQL.
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    for line in result.output.splitlines():
        assert "Example:" not in line or (line.strip().startswith("Example:")
                                          and line.count("Example:") == 1), line


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_option_says_in_its_help_what_it_does(command):
    # `saring ingest --help` listed "-v, --verbose" and `saring serve --help` "--out <path>
    # [default: data/digests]" with no word on what the flag does or what goes in the folder.
    found = typer.main.get_command(app)
    for word in command:
        found = found.commands[word]
    bare = [p.opts for p in found.params if p.param_type_name == "option" and not p.help]
    assert not bare, bare


def test_serve_help_says_the_schedules_are_on_the_forums_clock_not_wib():
    # A WITA forum (settings.schedule.timezone: Asia/Makassar) read "digest at 06:00 WIB" in
    # `saring serve --help`, an hour off their own clock, whatever the sources file said.
    result = runner.invoke(app, ["serve", "--help"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "WIB" not in text, text
    assert "settings.schedule" in text


def test_bad_sources_file_exits_2_with_one_sentence(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - id: x1\n    name: X\n    url: notaurl\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--sources", str(bad), "--db", str(tmp_path / "db.duckdb")])
    assert result.exit_code == 2
    assert "source 'x1', field 'url'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "db.duckdb").exists()  # nothing ran


def test_every_source_failed_exits_1(tmp_path, httpserver):
    httpserver.expect_request("/feed").respond_with_data("no", status=404)
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(f"sources:\n  - id: only\n    name: Only\n    url: {httpserver.url_for('/feed')}\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--sources", str(cfg), "--db", str(tmp_path / "db.duckdb")])
    assert result.exit_code == 1
    assert "every source failed" in result.output


def test_ingest_only_with_a_mistyped_source_id_says_so_and_reads_nothing(tmp_path):
    # The maintainer re-read two fixed feeds with `saring ingest --only a --only typo`: the typo was
    # dropped without a word, one feed was read, and the other was believed read.
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources:\n  - id: kompas\n    name: Kompas\n    url: https://kompas.example/feed\n"
                   "  - id: antara\n    name: Antara\n    url: https://antara.example/feed\n"
                   "    enabled: false\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = runner.invoke(app, ["ingest", "--sources", str(cfg), "--db", str(db),
                                 "--only", "kompas", "--only", "kompass"])
    assert result.exit_code == 2
    assert "only: no source 'kompass' in" in " ".join(result.output.split())
    result = runner.invoke(app, ["ingest", "--sources", str(cfg), "--db", str(db), "--only", "antara"])
    assert result.exit_code == 2 and "is switched off" in result.output
    assert not db.exists()  # nothing was read, no run recorded


def test_ingest_digest_query(sample_site, tmp_path):
    from saring.pipeline.demo import write_demo_sources

    cfg = write_demo_sources(tmp_path / "sources.yaml", sample_site.base_url)
    db = str(tmp_path / "db.duckdb")
    result = runner.invoke(app, ["ingest", "--sources", str(cfg), "--db", db])
    assert result.exit_code == 0, result.output
    assert "malangpost" in result.output
    assert "sources read" not in result.output and "items scored" not in result.output  # no TTY: no bars
    result = runner.invoke(app, ["digest", "--sources", str(cfg), "--db", db, "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "election-related" in result.output
    result = runner.invoke(app, ["query", "SELECT count(*) AS n FROM items", "--db", db, "--csv"])
    assert result.exit_code == 0 and result.output.splitlines()[0] == "n"
    result = runner.invoke(app, ["query", "SELECT nope FROM items", "--db", db])
    assert result.exit_code == 2 and "the query failed" in result.output



def test_a_query_saved_to_a_file_keeps_one_line_per_row(tmp_path):
    # `saring query "SELECT item_id, title, url FROM items" > hasil.txt`: the table was folded at
    # 80 columns, each row spread over two or three lines with its values cut in the middle.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        for i in range(3):
            store.con.execute("INSERT INTO items (item_id, url, source_id, title) VALUES (?, ?, 'src', ?)",
                              [f"item{i}", f"https://berita.example/2026/11/{i}/kpu-kota-batu-bentuk-bakohumas",
                               f"KPU Kota Batu Bentuk Bakohumas Jelang Pemilu {i}"])
        store.publish_snapshot()
    sql = "SELECT item_id, title, url FROM items ORDER BY 1"
    result = runner.invoke(app, ["query", sql, "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 4, lines  # the header and three rows
    assert all(line.split()[0] == f"item{i}" and line.endswith("...")
               for i, line in enumerate(lines[1:])), lines


@pytest.mark.parametrize("sql", ["UPDATE items SET title = 'x'", "DELETE FROM items",
                                 "INSERT INTO sources (source_id) VALUES ('x')"])
def test_a_change_through_query_says_the_copy_is_read_only(sql, tmp_path):
    # An analyst fixing a title with `saring query "UPDATE items ..."` read "Can only update base
    # table" or "sources is not an table", as if the database were broken.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    result = runner.invoke(app, ["query", sql, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "read-only" in " ".join(result.output.split()), result.output


@pytest.mark.parametrize("sql", ["CREATE TABLE hasil AS SELECT source_id, count(*) FROM items GROUP BY 1",
                                 "CREATE VIEW kpu AS SELECT * FROM items WHERE title ILIKE '%KPU%'",
                                 "CREATE MACRO persen(a, b) AS 100.0 * a / b"])
def test_a_table_or_view_created_through_query_says_the_copy_is_read_only(sql, tmp_path):
    # An analyst keeping a result with `saring query "CREATE TABLE hasil AS SELECT ..."` read DuckDB's
    # 'Cannot execute statement of type "CREATE" on database ... attached in read-only mode!'
    # after "the query failed", where an UPDATE gets saring's own sentence.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    result = runner.invoke(app, ["query", sql, "--db", str(db)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "the analysts' copy is read-only: saring query cannot change it" in text, result.output
    assert "the query failed" not in text, result.output


def test_a_file_that_is_not_a_saring_database_is_named_so(tmp_path):
    # `saring query "SELECT 1" --db hasil.csv` (last week's export given for the database) said
    # "Cannot launch in-memory database in read-only mode!"; a text file, DuckDB's "not a valid
    # DuckDB database file"; another program's DuckDB file, "Table with name schema_version does
    # not exist!". Each names the file as not a saring database, and nothing is made beside it.
    import duckdb

    exported = tmp_path / "hasil.csv"
    exported.write_text("source_id,n\nkompas,2\n", encoding="utf-8")
    notes = tmp_path / "catatan.txt"
    notes.write_text("kueri minggu ini\n", encoding="utf-8")
    other = tmp_path / "lain.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE t (a INTEGER)")
    for path in (exported, notes, other):
        before = sorted(tmp_path.iterdir())
        result = runner.invoke(app, ["query", "SELECT 1", "--db", str(path)])
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert f"{path} is not a saring database" in text, result.output
        assert "in-memory" not in text and "schema_version" not in text, result.output
        assert sorted(tmp_path.iterdir()) == before
    assert exported.read_text(encoding="utf-8") == "source_id,n\nkompas,2\n"


def test_a_temporary_table_is_kept_for_the_query_and_its_typo_is_not_called_read_only(tmp_path):
    # A TEMP table lives in memory, not in the copy: it works, and a wrong column in it is a
    # mistake in the query, not an attempt to change the copy.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    result = runner.invoke(app, ["query", "CREATE TEMP TABLE t AS SELECT 2 AS n; SELECT n * 3 AS n FROM t",
                                 "--db", str(db), "--csv"])
    assert result.exit_code == 0 and result.output == "n\n6\n", result.output
    result = runner.invoke(app, ["query", "CREATE TEMP TABLE t AS SELECT judul FROM items", "--db", str(db)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "the query failed" in text and "read-only" not in text, result.output

def test_bad_date(tmp_path):
    result = runner.invoke(app, ["digest", "--date", "kemarin", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2 and "not a date" in result.output


def test_a_digest_date_still_to_come_is_refused_and_today_on_the_forums_clock_is_not(tmp_path, httpserver,
                                                                                    monkeypatch):
    # `--date 2062-11-25` (a typo for 2026) wrote an empty digest into the archive, recorded it,
    # and with --send gave the forum "0 berita" as an all-clear.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import duckdb

    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    cfg = tmp_path / "sources.yaml"  # a forum in Papua: its day starts two hours before Jakarta's
    cfg.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n"
                   "settings:\n  schedule: {timezone: WIT}\n  delivery:\n    channels:\n"
                   "      - {name: wa, url_env: T_CLI_HOOK}\n", encoding="utf-8")
    monkeypatch.setenv("T_CLI_HOOK", "json://" + httpserver.url_for("/wa").split("://")[1])
    monkeypatch.chdir(tmp_path)  # no .env here
    out = tmp_path / "arsip"
    base = ["digest", "--sources", str(cfg), "--db", str(db), "--out", str(out)]
    for extra in ([], ["--send"]):
        result = runner.invoke(app, [*base, "--date", "2062-11-25", *extra])
        assert result.exit_code == 2, result.output
        assert "2062-11-25 has not come yet" in result.output
    assert not out.exists() and not httpserver.log
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM digests").fetchone()[0] == 0
    today = datetime.now(ZoneInfo("Asia/Jayapura")).date().isoformat()
    result = runner.invoke(app, [*base, "--date", today])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["digest"], ["report", "weekly"]], ids=" ".join)
def test_a_mistyped_db_path_sends_no_empty_report(command, tmp_path, httpserver, monkeypatch):
    # `--db data/saring.dukdb` (a typo) created an empty database and sent the forum a report of
    # "0 berita ... Semua sumber terbaca": a false all-clear. It must stop, naming the file.
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n"
                   "settings:\n  delivery:\n    channels:\n      - {name: wa, url_env: T_CLI_HOOK}\n",
                   encoding="utf-8")
    monkeypatch.setenv("T_CLI_HOOK", "json://" + httpserver.url_for("/wa").split("://")[1])
    monkeypatch.chdir(tmp_path)  # no .env here
    typo = tmp_path / "saring.dukdb"
    result = runner.invoke(app, [*command, "--sources", str(cfg), "--db", str(typo),
                                 "--out", str(tmp_path / "out"), "--send"])
    assert result.exit_code == 2, result.output
    assert f"no database at {typo}" in " ".join(result.output.split())
    assert not typo.exists() and not (tmp_path / "out").exists() and not httpserver.log


def test_a_database_of_a_newer_saring_says_upgrade_not_wait(tmp_path):
    # An analyst's old saring on a copy of the forum's newer database file: "it is refreshed by
    # the next run" sent them waiting for a run that never fixes it; the way out is to upgrade.
    import duckdb

    from saring.storage.database import Store, snapshot_path

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    snapshot_path(db).unlink(missing_ok=True)  # the database file alone was copied
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (99, now())")
    con.close()
    for args in (["query", "SELECT 1"], ["sources", "status"]):
        result = runner.invoke(app, [*args, "--db", str(db)])
        message = " ".join(result.output.split())
        assert result.exit_code == 2 and "newer than this saring" in message, message
        assert "upgrade saring" in message and "next run" not in message


@pytest.mark.parametrize("extra", [[], ["--channel", "wa"]], ids=["all", "named"])
def test_send_to_disabled_channels_says_so(extra, tmp_path):
    # The WhatsApp channel paused with `enabled: false`: `saring digest --send` printed the digest's
    # files, no channel line and exit 0, so the maintainer believed the forum had it.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources:\n  - id: only\n    name: Only\n    url: https://only.example/feed\n"
                   "settings:\n  delivery:\n    channels:\n"
                   "      - {name: wa, url_env: T_CLI_WA, enabled: false}\n", encoding="utf-8")
    result = runner.invoke(app, ["digest", "--sources", str(cfg), "--db", str(db),
                                 "--out", str(tmp_path / "out"), "--send", *extra])
    assert result.exit_code == 2, result.output
    assert "wa" in result.output and "enabled: false" in " ".join(result.output.split())


@pytest.mark.parametrize("extra", [["--csv"], []], ids=["csv", "table"])
def test_a_query_piped_into_head_ends_quietly(extra, tmp_path):
    # `saring query "..." --csv | head`: head closes the pipe after ten lines and saring died on
    # the next write with exit 1 (BrokenPipeError), which a shell script with `set -o pipefail`
    # reports as a failed query.
    import subprocess
    import sys

    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    proc = subprocess.Popen([sys.executable, "-m", "saring", "query", "SELECT range AS n FROM range(300000)",
                             "--db", str(db), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # what head does after its lines
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and first.split() == [b"n"], stderr
    assert stderr == ""


def test_a_query_written_to_a_csv_file_keeps_list_and_struct_cells_readable(ingested, tmp_path):
    # `saring query "SELECT item_id, hoax_terms FROM item_overview" --csv > hasil.csv` wrote each
    # list as numpy prints it (['a' 'b'], no commas): neither a DuckDB list nor anything a
    # spreadsheet or script can split again. A list or struct cell is now JSON.
    import json
    import subprocess
    import sys

    import duckdb
    import pandas as pd

    from saring.storage.database import connect_snapshot

    sql = ("SELECT item_id, hoax_terms, election_terms, {'score': hoax_score, 'terms': hoax_terms} AS why "
           "FROM item_overview ORDER BY item_id")
    con = connect_snapshot(ingested)
    stored = con.execute(sql).fetchall()
    con.close()
    assert any(len(terms) > 1 for _, terms, _, _ in stored)
    written = tmp_path / "hasil.csv"
    with written.open("wb") as fh:
        proc = subprocess.run([sys.executable, "-m", "saring", "query", sql, "--db", str(ingested), "--csv"],
                              stdout=fh, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    frame = pd.read_csv(written, dtype=str, keep_default_na=False)
    back = [(i, json.loads(h), json.loads(e), json.loads(w))
            for i, h, e, w in frame.itertuples(index=False)]
    assert back == [(i, h, e, {"score": pytest.approx(w["score"]), "terms": w["terms"]})
                    for i, h, e, w in stored]
    with duckdb.connect() as reader:  # and DuckDB reads it back as lists
        again = reader.execute("SELECT item_id, hoax_terms::JSON::VARCHAR[] "
                               "FROM read_csv(?, all_varchar = true) ORDER BY item_id",
                               [str(written)]).fetchall()
    assert again == [(i, h) for i, h, _, _ in stored]


def test_a_query_without_rows_shows_its_columns_and_zero_rows(tmp_path):
    # `saring query "SELECT title, url FROM items WHERE title ILIKE '%bawaslu%'"` on a quiet day
    # printed pandas' "Empty DataFrame / Columns: [title, url] / Index: []".
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    result = runner.invoke(app, ["query", "SELECT title, url FROM items WHERE title ILIKE '%bawaslu%'",
                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["title", "url", "(0", "rows)"], result.output
    result = runner.invoke(app, ["query", "SELECT title, url FROM items", "--db", str(db), "--csv"])
    assert result.exit_code == 0 and result.output == "title,url\n", result.output


def test_a_sum_of_counts_prints_whole_numbers(tmp_path):
    # `saring query "SELECT source_id, sum(items) FROM source_daily GROUP BY 1" --csv` printed 6.0
    # for six items: DuckDB sums integers into a 128-bit integer, which pandas held as a float.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        for i, source in enumerate(["kompas", "kompas", "detik"]):
            store.con.execute("INSERT INTO items (item_id, url, source_id, first_seen_at) "
                              "VALUES (?, ?, ?, now())", [f"i{i}", f"https://berita.example/{i}", source])
        store.publish_snapshot()
    sql = ("SELECT source_id, sum(items) AS items, sum(CASE WHEN source_id = 'detik' THEN NULL ELSE 1 END) "
           "AS n FROM source_daily GROUP BY 1 ORDER BY 1")
    result = runner.invoke(app, ["query", sql, "--db", str(db), "--csv"])
    assert result.exit_code == 0, result.output
    assert result.output == "source_id,items,n\ndetik,1,\nkompas,2,1\n", result.output
    result = runner.invoke(app, ["query", sql, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines()] == [
        ["source_id", "items", "n"], ["detik", "1", "<NA>"], ["kompas", "2", "1"]], result.output


def test_a_query_is_read_from_a_sql_file(tmp_path):
    # An analyst's query of several lines with quotes ('%KPU%') does not survive the shell:
    # `saring query --file q.sql` reads it, also as Windows' Notepad saves it (UTF-8 with a BOM).
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    sql = tmp_path / "q.sql"
    sql.write_text("-- jumlah sumber\nSELECT count(*) AS n\nFROM sources\nWHERE name NOT ILIKE '%kpu%';\n",
                   encoding="utf-8-sig")
    result = runner.invoke(app, ["query", "--file", str(sql), "--db", str(db), "--csv"])
    assert result.exit_code == 0 and result.output == "n\n0\n", result.output
    missing = tmp_path / "tidak-ada.sql"
    result = runner.invoke(app, ["query", "--file", str(missing), "--db", str(db)])
    assert result.exit_code == 2 and f"no SQL file at {missing}" in " ".join(result.output.split())
    sql.write_bytes("SELECT 'Pemilu Kota Batu' AS judul -- cp1252: \u201ckutipan\u201d\n".encode("cp1252"))
    result = runner.invoke(app, ["query", "--file", str(sql), "--db", str(db)])
    assert result.exit_code == 2 and "not UTF-8" in result.output, result.output
    result = runner.invoke(app, ["query", "SELECT 1", "--file", str(sql), "--db", str(db)])
    assert result.exit_code == 2 and "either" in result.output, result.output


def test_a_sql_file_of_two_queries_is_refused_not_answered_with_the_last_ones_rows(tmp_path):
    # An analyst's kueri.sql held two SELECTs (one per source, one per day): `saring query --file
    # kueri.sql --csv > hasil.csv` wrote the second's rows only, without a word about the first.
    # A statement that only prepares the last (SET TimeZone, a temporary table) stays allowed.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    sql = tmp_path / "kueri.sql"
    sql.write_text("SELECT source_id, count(*) FROM items GROUP BY 1;\n"
                   "SELECT day, sum(items) FROM source_daily GROUP BY 1;\n", encoding="utf-8")
    result = runner.invoke(app, ["query", "--file", str(sql), "--db", str(db), "--csv"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "2 statements" in said and "one at a time" in said, said
    sql.write_text("SET TimeZone = 'Asia/Makassar';\n"
                   "CREATE TEMP TABLE n AS SELECT count(*) AS n FROM items;\n"
                   "SELECT n, current_setting('TimeZone') AS zona FROM n;\n", encoding="utf-8")
    result = runner.invoke(app, ["query", "--file", str(sql), "--db", str(db), "--csv"])
    assert result.exit_code == 0 and result.output == "n,zona\n0,Asia/Makassar\n", result.output


def test_a_query_written_to_a_file_is_utf8_whatever_the_systems_code_page(tmp_path):
    # On Windows a redirected stdout takes the ANSI code page (cp1252; PYTHONIOENCODING stands in
    # for it here): `saring query "SELECT text FROM tipline_messages" --csv > hasil.csv` stopped
    # with a UnicodeEncodeError traceback at the first emoji of a forwarded message, the file cut.
    import subprocess
    import sys

    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    greeting = "Selamat pagi rekan-rekan forum Bakohumas \U0001f64f"  # the fixture chat's first line
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    for extra in (["--csv"], []):
        written = tmp_path / "hasil.txt"
        with written.open("wb") as fh:
            proc = subprocess.run([sys.executable, "-m", "saring", "query", f"SELECT '{greeting}' AS pesan",
                                   "--db", str(db), *extra], stdout=fh, stderr=subprocess.PIPE, env=env,
                                  timeout=120)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        assert greeting in written.read_text(encoding="utf-8"), extra
    proc = subprocess.run([sys.executable, "-m", "saring", "query", 'SELECT * FROM "pesan \U0001f64f"',
                           "--db", str(db)], capture_output=True, env=env, timeout=120)
    said = proc.stderr.decode("utf-8")
    assert proc.returncode == 2 and "Traceback" not in said and "pesan \U0001f64f" in said, said


def test_an_error_naming_a_long_path_keeps_the_path_whole_in_a_log_or_pipe(tmp_path):
    # A cron job's log (or `saring ... 2>&1 | tee`) showed the path cut at 80 columns with a
    # line break inside a folder name: the maintainer could not copy it back into a command.
    import subprocess
    import sys

    db = tmp_path / "pemilu-kota-2026" / "data-forum-humas" / "pemantauan-hoaks-pemilu-walikota.duckdb"
    proc = subprocess.run([sys.executable, "-m", "saring", "query", "SELECT 1", "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert f"no database at {db}" in proc.stderr


def test_a_query_goes_on_while_the_sources_file_is_halfway_through_an_edit(tmp_path, monkeypatch):
    # The maintainer saves sources.yaml with a bracket still open while an analyst runs `saring
    # query`: every query was refused ("sources.yaml: is not valid YAML"), though a query reads
    # the file only for the forum's clock, and saring.connect() goes on in WIB with a warning.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SARING_SOURCES", raising=False)
    (tmp_path / "sources.yaml").write_text("settings:\n  schedule: [timezone\n", encoding="utf-8")
    sql = "SELECT current_setting('TimeZone') AS zona"
    result = runner.invoke(app, ["query", sql, "--db", str(db), "--csv"])
    assert result.exit_code == 0, result.output
    assert "zona\nAsia/Jakarta\n" in result.output and "days are counted in WIB" in result.output
    result = runner.invoke(app, ["query", sql, "--db", str(db), "--sources", "sources.yaml"])  # named: wanted
    assert result.exit_code == 2 and "not valid YAML" in result.output, result.output


_PEAK_OF_A_QUERY = """
import sys, tracemalloc
import duckdb, pandas  # noqa: F401  imported before measuring: only the query's own memory counts
import saring.cli.pipeline as pipeline
import saring.context, saring.storage.database  # noqa: F401
from saring.cli.main import app
pipeline._CHUNK_VECTORS = 1  # 2048 rows at a time, so that a test's result spans many chunks
tracemalloc.start()
try:
    app(sys.argv[1:])
finally:
    sys.stderr.write(f"peak={tracemalloc.get_traced_memory()[1]}")
"""


def test_a_large_query_written_to_a_csv_file_is_written_a_few_thousand_rows_at_a_time(tmp_path):
    # `saring query "SELECT * FROM articles" --csv > semua.csv` held every text in memory, twice,
    # before writing a line (4 GB for 300,000 articles): on a year of articles an analyst's laptop
    # ran out of memory. The file is now written in chunks, and is the same file.
    import subprocess
    import sys

    import duckdb

    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        store.con.execute("INSERT INTO articles (item_id, text, fetched_at) SELECT printf('it%05d', range), "
                          "repeat('Berita pemilu kota, \"dikutip\". ', 60) || range, now() FROM range(50000)")
        store.publish_snapshot()
    sql = ("SELECT item_id, text, [length(text)] AS n, sum(length(text)) OVER () AS total "
           "FROM articles ORDER BY 1")
    written = tmp_path / "semua.csv"
    with written.open("wb") as fh:
        proc = subprocess.run([sys.executable, "-c", _PEAK_OF_A_QUERY, "query", sql, "--db", str(db),
                               "--csv"], stdout=fh, stderr=subprocess.PIPE, timeout=300)
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, stderr
    peak = int(stderr.rsplit("peak=", 1)[1])
    size = written.stat().st_size
    assert size > 90_000_000 and peak < size / 3, (peak, size)  # one chunk at a time, not the whole
    with duckdb.connect() as con:
        stored = con.execute(f"ATTACH '{db}' AS s (READ_ONLY); "
                             "SELECT item_id, text, '[' || length(text) || ']', sum(length(text)) OVER () "
                             "FROM s.articles ORDER BY 1").fetchall()
        back = con.execute("""SELECT * FROM read_csv(?, all_varchar = true, header = true, delim = ',',
                                                    quote = '"', escape = '"') ORDER BY 1""",
                           [str(written)]).fetchall()
    assert back == [(i, t, n, str(total)) for i, t, n, total in stored]  # one header, every row once


def test_an_infinite_or_far_time_is_shown_not_a_traceback(tmp_path):
    # `saring query "SELECT title, coalesce(published_at, 'infinity') AS terbit FROM items ORDER BY 2"`
    # (undated items last) printed a Python traceback (OutOfBoundsDatetime): pandas cannot put
    # 'infinity', or a year past 9999, on the forum's clock. DuckDB's own words are shown instead.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        store.con.execute("INSERT INTO items (item_id, url, source_id, title, published_at) VALUES "
                          "('a', 'https://berita.example/a', 'src', 'Bertanggal', '2026-11-02 01:00:00+00'), "
                          "('b', 'https://berita.example/b', 'src', 'Tanpa tanggal', NULL)")
        store.publish_snapshot()
    sql = ("SELECT title, coalesce(published_at, 'infinity') AS terbit, "
           "coalesce(published_at, '-infinity'::TIMESTAMPTZ) AS awal, "
           "coalesce(published_at, TIMESTAMPTZ '20260-01-01 00:00:00+00') AS salah_ketik, "
           "coalesce(published_at::TIMESTAMP, 'infinity') AS tanpa_zona FROM items ORDER BY 1")
    result = runner.invoke(app, ["query", sql, "--db", str(db), "--csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "title,terbit,awal,salah_ketik,tanpa_zona",
        "Bertanggal,2026-11-02 08:00:00+07:00,2026-11-02 08:00:00+07:00,2026-11-02 08:00:00+07:00,"
        "2026-11-02 08:00:00",
        "Tanpa tanggal,infinity,-infinity,20260-01-01 00:00:00+00,infinity"], result.output
    result = runner.invoke(app, ["query", sql, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines()[1:]] == [
        ["Bertanggal", *["2026-11-02", "08:00:00+07:00"] * 3, "2026-11-02", "08:00:00"],
        ["Tanpa", "tanggal", "infinity", "-infinity", "20260-01-01", "00:00:00+00", "infinity"],
    ], result.output


def test_exact_numbers_intervals_bytes_and_infinite_dates_are_shown_as_duckdb_shows_them(tmp_path):
    # An analyst's `saring query "SELECT item_id, age(first_seen_at, published_at) ..."` read an age
    # of 14 months as "420 days", an exact DECIMAL sum as a rounded float, encode(title) as
    # bytearray(b'...'), and `coalesce(published_at::DATE, 'infinity')` (undated last) stopped with
    # a conversion error. Each is now DuckDB's own text; NULLs print as before.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        store.con.execute("INSERT INTO items (item_id, url, source_id, title, published_at, first_seen_at) "
                          "VALUES ('a', 'https://berita.example/a', 'src', 'D\u00e9bat Pemilu', "
                          "'2025-09-02 01:00:00+00', '2026-11-02 01:00:00+00'), "
                          "('b', 'https://berita.example/b', 'src', 'Tanpa tanggal', NULL, "
                          "'2026-11-02 01:00:00+00')")
        store.publish_snapshot()
    sql = ("SELECT item_id, encode(title) AS isi, age(first_seen_at, published_at) AS umur, "
           "coalesce(published_at::DATE, 'infinity') AS terbit, published_at::DATE AS tanggal, "
           "12345678901234567890.123456789::DECIMAL(38,9) AS jumlah FROM items ORDER BY 1")
    result = runner.invoke(app, ["query", sql, "--db", str(db), "--csv"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "item_id,isi,umur,terbit,tanggal,jumlah",
        r"a,D\xC3\xA9bat Pemilu,1 year 2 months,2025-09-02,2025-09-02,12345678901234567890.123456789",
        "b,Tanpa tanggal,,infinity,,12345678901234567890.123456789"], result.output
    result = runner.invoke(app, ["query", sql, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.output.splitlines()[1:]] == [
        ["a", r"D\xC3\xA9bat", "Pemilu", "1", "year", "2", "months", "2025-09-02", "2025-09-02",
         "12345678901234567890.123456789"],
        ["b", "Tanpa", "tanggal", "NaT", "infinity", "NaT", "12345678901234567890.123456789"],
    ], result.output


def test_a_query_shown_as_duckdbs_text_still_runs_once(tmp_path):
    # The statements before the last (a temporary sequence or table) and a last SELECT that takes
    # a sequence's next value must not run twice when its DECIMAL column is shown as text.
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    Store(db).close()
    sql = ("CREATE TEMP SEQUENCE nomor; CREATE TEMP TABLE skor AS SELECT 2.50::DECIMAL(4,2) AS skor; "
           "SELECT nextval('nomor') AS n, skor FROM skor")
    result = runner.invoke(app, ["query", sql, "--db", str(db), "--csv"])
    assert result.exit_code == 0 and result.output == "n,skor\n1,2.50\n", result.output


def test_the_demo_s_closing_commands_run_without_an_activated_venv(capsys):
    # `make demo` runs .venv/bin/saring without activating the venv: the demo's hints
    # "browse: saring serve --archive ..." and "Query it: saring query ..." then answered
    # "saring: command not found"; only the desk's hint said .venv/bin/saring.
    from pathlib import Path

    from saring.cli.digest import _print_demo_commands

    _print_demo_commands(Path("data/demo"), Path("data/demo/saring.duckdb"))
    commands = re.findall(r"(\S*saring) (serve|query|web)\b", capsys.readouterr().out)
    assert {name for _, name in commands} == {"serve", "query", "web"}
    assert {program for program, _ in commands} == {".venv/bin/saring"}


def test_the_demo_counts_one_mention_of_a_clarified_story_in_the_singular(capsys):
    # The demo's weekly part printed "(1 mentions before, 0 after)".
    from saring.cli.digest import _print_spread

    _print_spread([{"story_id": "s1", "kept_spreading": False, "mentions_before": 1, "mentions_after": 0},
                   {"story_id": "s2", "kept_spreading": True, "mentions_before": 3, "mentions_after": 1}])
    assert capsys.readouterr().out.splitlines() == [
        "Clarified story s1: kept spreading after the card? no (1 mention before, 0 after)",
        "Clarified story s2: kept spreading after the card? yes (3 mentions before, 1 after)"]
