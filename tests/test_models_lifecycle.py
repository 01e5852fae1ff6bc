"""Scoring contract, evaluate, labels, retrain gate, registry, rescore — through the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from _db import copy_database
from typer.testing import CliRunner

from saring.cli.main import app

REPO = Path(__file__).resolve().parent.parent
PRATIWI = REPO / "classifiers" / "data" / "pratiwi2017_hoax" / "pratiwi2017_hoax_train.csv"
SEEDS = sorted((REPO / "sample" / "seed_articles").glob("*.txt"))
runner = CliRunner()


def flat(result) -> str:
    """CLI output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture(autouse=True)
def model_home(tmp_path, monkeypatch):
    """Every test gets its own empty model registry (never the repo's classifiers/versions)."""
    monkeypatch.delenv("SARING_MODELS", raising=False)
    monkeypatch.setenv("SARING_MODEL_HOME", str(tmp_path / "models"))
    return tmp_path / "models"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """A small real DuckDB: 40 Pratiwi articles (half of a held-out claim) + the 2 seed election
    articles, scored."""
    from saring.pipeline.ingest import score_pending
    from saring.storage.database import Store

    db = tmp_path_factory.mktemp("db") / "saring.duckdb"
    df = pd.read_csv(PRATIWI)
    df = pd.concat([df[df["topic_id"] == 1].head(20), df[df["topic_id"] == 2].head(20)])
    texts = df["berita"].tolist() + [p.read_text(encoding="utf-8") for p in SEEDS]
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    items, arts = [], []
    for i, text in enumerate(texts):
        iid = f"item{i:03d}"
        day = now - timedelta(days=i % 2)
        items.append(dict(item_id=iid, url=f"https://news.example/{i}", link=f"https://news.example/{i}",
                          source_id="src" + str(i % 3), title=text.split("\n")[0][:80], summary=None,
                          published_at=day, author=None, guid=iid, first_seen_at=day, state="seen"))
        arts.append(dict(item_id=iid, final_url=f"https://news.example/{i}", http_status=200, text=text,
                         text_source="page", title=text.split("\n")[0][:80], published_at=day, author=None,
                         language="id", extraction_error=None, fetched_at=day))
    with Store(db) as store:
        store.add_items(items)
        store.save_articles(arts)
        score_pending(store)
    return db


def _copy_db(src: Path, tmp_path: Path) -> Path:
    return copy_database(src, tmp_path / "copy.duckdb")


# --------------------------------------------------------------------------- score contract


def test_score_csv_contract(tmp_path):
    src = tmp_path / "in.csv"
    seed = SEEDS[0].read_text(encoding="utf-8")
    pd.DataFrame({"id": ["a", "b", "c"], "text": [seed, "", "Sebarkan!! Facebook akan ditutup"],
                  "note": ["x", "007", ""]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["score", str(src), "--text-column", "text", "--output", str(out)])
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(res.columns) == ["id", "text", "note", "election_score", "hoax_score", "hoax_reasons"]
    assert res["note"].tolist() == ["x", "007", ""]  # other columns untouched (no 007 -> 7)
    assert (res.loc[1, ["election_score", "hoax_score", "hoax_reasons"]] == "").all()
    for i in (0, 2):
        assert 0.0 <= float(res.loc[i, "election_score"]) <= 1.0
        assert 0.0 <= float(res.loc[i, "hoax_score"]) <= 1.0
    assert float(res.loc[0, "election_score"]) > 0.5
    assert all(t.strip() for t in res.loc[2, "hoax_reasons"].split("; "))


def test_score_parquet_roundtrip(tmp_path):
    src = tmp_path / "in.parquet"
    pd.DataFrame({"body": ["KPU menetapkan DPT pemilu", None], "n": [1, 2]}).to_parquet(src)
    out = tmp_path / "out.parquet"
    r = runner.invoke(app, ["score", str(src), "--text-column", "body", "--output", str(out)])
    assert r.exit_code == 0, r.output
    res = pd.read_parquet(out)
    assert res["n"].tolist() == [1, 2]
    assert res["election_score"].iloc[0] > 0.5 and pd.isna(res["election_score"].iloc[1])


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_score_keeps_the_id_a_parquet_holds_as_its_pandas_index(tmp_path, suffix):
    # An analyst's table saved with df.set_index("id").to_parquet(...): pandas stores the index as a
    # column and reads it back as the index, and the scored file came out without its ids.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(3)
    held = held[["text"]].assign(id=["a1", "b2", "c3"]).set_index("id")
    src = tmp_path / "in.parquet"
    held.to_parquet(src)
    out = tmp_path / f"out{suffix}"
    r = runner.invoke(app, ["score", str(src), "--output", str(out)])
    assert r.exit_code == 0, r.output
    res = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, dtype=str)
    assert list(res.columns) == ["id", "text", "election_score", "hoax_score", "hoax_reasons"]
    assert res["id"].tolist() == ["a1", "b2", "c3"]


def test_score_stdin_stdout():
    proc = subprocess.run([str(Path(sys.executable).parent / "saring"), "score", "-", "--output", "-"],
                          input=b"text,k\nPemilu damai di TPS,1\n", capture_output=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == "text,k,election_score,hoax_score,hoax_reasons"
    assert lines[1].startswith("Pemilu damai di TPS,1,")


@pytest.mark.parametrize("content,needle", [
    (None, "no such file"),
    (b"id,body\n1,x\n", "no column 'text'"),
    ("id,text\n1,kab\xe9\n".encode("latin-1"), "not UTF-8"),
])
def test_score_errors_exit_2(tmp_path, content, needle):
    src = tmp_path / "in.csv"
    if content is not None:
        src.write_bytes(content)
    r = runner.invoke(app, ["score", str(src), "--output", str(tmp_path / "o.csv")])
    assert r.exit_code == 2
    assert needle in flat(r) and "Traceback" not in flat(r)


def _scored(*sheets):
    """The bytes `saring score` writes for each sheet (to "<its name>.out.csv" beside it)."""
    outs = []
    for src in sheets:
        out = src.with_name(f"{src.name}.out.csv")
        r = runner.invoke(app, ["score", str(src), "--output", str(out)])
        assert r.exit_code == 0, r.output
        outs.append(out.read_bytes())
    return outs


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_score_reads_a_sheet_saved_by_excel_as_unicode_text(tmp_path, encoding):
    # An analyst saved the sheet with Excel's "Unicode Text (*.txt)" (UTF-16 with a byte-order mark,
    # tabs): saring score refused it ("not UTF-8 (byte 0)"), as label import did. Same rows out as
    # the sheet saved as CSV UTF-8 gives.
    import codecs

    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(3)
    held = held[["text", "label"]].assign(note=["007", "", "x"])
    as_csv = tmp_path / "sheet.csv"
    held.to_csv(as_csv, index=False)
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    as_unicode = tmp_path / "sheet.txt"
    as_unicode.write_bytes(bom + held.to_csv(sep="\t", index=False, lineterminator="\r\n").encode(encoding))

    outs = _scored(as_csv, as_unicode)
    assert outs[1] == outs[0]
    assert pd.read_csv(tmp_path / "sheet.txt.out.csv", dtype=str)["note"].tolist()[0] == "007"
def test_score_reads_a_header_written_with_a_space_after_each_semicolon(tmp_path):
    # A sheet typed by hand as "id; text" (a space after each ";"): the separator was found by the
    # trimmed names, but pandas keeps " text", and saring said "has no column 'text'".
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(3)
    src = tmp_path / "sheet.csv"
    src.write_text("id; text\n" + "".join(f'{i}; "{t}"\n' for i, t in zip("abc", held["text"], strict=True)),
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["score", str(src), "--output", str(out)])
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(res.columns) == ["id", "text", "election_score", "hoax_score", "hoax_reasons"]
    assert res["id"].tolist() == ["a", "b", "c"] and all(res["hoax_score"] != "")


@pytest.mark.parametrize("header,kept", [("id,Text", "Text"), ("ID;TEXT", "TEXT"), ("id, Text ", "Text"),
                                         ("\ufeffId\tText", "Text")])
def test_score_reads_a_text_column_whose_name_has_another_case(tmp_path, header, kept):
    # An analyst's own sheet with the header "Text" (or "TEXT", " Text "): saring score said "has no
    # column 'text'", while label import reads "ID;Hoax". The same scores as under "text", and the
    # column keeps the name the analyst gave it.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(3)
    sep = next(c for c in ";\t," if c in header)
    lower = tmp_path / "lower.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "text": held["text"]}).to_csv(lower, index=False)
    src = tmp_path / "sheet.csv"
    rows = "".join(f'{i}{sep}"{t}"\n' for i, t in zip("abc", held["text"], strict=True))
    src.write_text(f"{header}\n{rows}", encoding="utf-8")
    scored = []
    for given in (lower, src):
        out = tmp_path / f"{given.stem}.out.csv"
        r = runner.invoke(app, ["score", str(given), "--output", str(out)])
        assert r.exit_code == 0, r.output
        scored.append(pd.read_csv(out, dtype=str, keep_default_na=False))
    assert list(scored[1].columns)[1:] == [kept, "election_score", "hoax_score", "hoax_reasons"]
    assert scored[1]["hoax_score"].tolist() == scored[0]["hoax_score"].tolist()
    assert all(scored[1]["hoax_score"] != "")


def test_score_and_evaluate_read_rows_that_end_in_a_separator_the_header_does_not(tmp_path):
    # A sheet typed by hand (or written by a script) as "id;text" with every row ending in ";": pandas
    # took the ids for its index and the empty last cells for the text, and saring score wrote the
    # file back without its ids and with every score empty, "3 rows scored", exit 0.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(3)
    plain, ended = tmp_path / "plain.csv", tmp_path / "ended.csv"
    lines = [f'{i};"{t}";{v}' for i, t, v in zip("abc", held["text"], held["label"], strict=True)]
    plain.write_text("id;text;label\r\n" + "".join(f"{ln}\r\n" for ln in lines), encoding="utf-8")
    ended.write_text("id;text;label\r\n" + "".join(f"{ln};\r\n" for ln in lines), encoding="utf-8")
    scored = _scored(plain, ended)
    assert scored[1] == scored[0]
    assert pd.read_csv(tmp_path / "ended.csv.out.csv", dtype=str)["id"].tolist() == ["a", "b", "c"]
    metrics = [runner.invoke(app, ["evaluate", str(f), "--task", "hoax", "--json"]) for f in (plain, ended)]
    assert metrics[1].exit_code == 0, metrics[1].output
    assert json.loads(metrics[1].output)["n"] == json.loads(metrics[0].output)["n"] == 3
    # a cell under no column name cannot be placed: refused, not dropped
    ended.write_text("id;text\r\n" + f'a;"{held["text"][0]}";lihat foto\r\n', encoding="utf-8")
    r = runner.invoke(app, ["score", str(ended), "--output", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "row 2 has more cells than the header" in flat(r), flat(r)
    assert not (tmp_path / "x.csv").exists()


def test_a_row_with_more_cells_than_the_header_is_named_by_the_row_the_spreadsheet_shows(tmp_path):
    # A sheet whose rows end in ";" with blank rows between its groups of messages: the refusal named
    # row 3 for the row the spreadsheet shows as row 5, and the maintainer looked in the wrong row.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(2)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f'id;text\r\na;"{held["text"][0]}";\r\n\r\n\r\n'
                     f'b;"{held["text"][1]}";lihat foto\r\n', encoding="utf-8")
    r = runner.invoke(app, ["score", str(sheet), "--output", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "row 5 has more cells than the header" in flat(r), flat(r)


@pytest.mark.parametrize("above", ["Laporan mingguan Bawaslu", "Laporan mingguan Bawaslu;;", "sep=;"])
@pytest.mark.parametrize("command,options", [(["score"], []), (["evaluate"], ["--task", "hoax"]),
                                             (["label", "import"], ["--by", "KPU"])])
def test_a_sheet_with_a_title_row_above_its_header_is_refused_saying_so(demo_db, tmp_path, above, command,
                                                                       options):
    # A sheet with its title in row 1 and the column names in row 2 (or Excel's "sep=;" line): score
    # said "row 2 has more cells than the header" or "no column 'text' (columns: Laporan ...)", label
    # import "must have an 'id' column (found: Laporan ...)": the columns were there, one line down.
    f = tmp_path / "sheet.csv"
    f.write_text(f"{above}\r\nid;text;label;hoax\r\nitem000;KPU Kota Batu membuka pendaftaran KPPS;1;1\r\n",
                 encoding="utf-8-sig")
    if command[0] == "label":
        options = [*options, "--db", str(_copy_db(demo_db, tmp_path))]
    r = runner.invoke(app, [*command, str(f), *options])
    assert r.exit_code == 2 and "Traceback" not in flat(r), flat(r)
    assert "line 2 holds the column names" in flat(r) and "delete the line above it" in flat(r), flat(r)


@pytest.mark.parametrize("name", ["scored.xlsx", "scored.XLS", "scored.ods"])
def test_score_refuses_a_workbook_name_it_would_not_write(tmp_path, name):
    # `saring score articles.csv -o scored.xlsx` wrote a CSV under that name with exit 0, and Excel
    # then refused to open it ("the file format or file extension is not valid").
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a"], "text": [SEEDS[0].read_text(encoding="utf-8")]}).to_csv(src, index=False)
    r = runner.invoke(app, ["score", str(src), "--output", str(tmp_path / name)])
    assert r.exit_code == 2 and "scored.csv" in flat(r) and "Traceback" not in flat(r), flat(r)
    assert not (tmp_path / name).exists()


def test_score_reads_a_text_cell_written_as_an_excel_text_formula_as_its_text(tmp_path):
    # A sheet exported for Excel with its cells as ="…" (Excel's way to keep "007" from becoming 7):
    # the text was scored with its =" and " around it, and its scores were not the text's. A quote
    # inside is doubled in such a cell (="kata ""heboh"""); a cell that is any other formula stays as it is.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str)
    texts = [held["text"][0], held["text"][57], "Pemilu damai di TPS"]
    assert '"' in texts[1]
    plain, wrapped = tmp_path / "plain.csv", tmp_path / "wrapped.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "text": texts}).to_csv(plain, index=False)
    cells = ['="' + t.replace('"', '""') + '"' for t in texts]
    pd.DataFrame({"id": ["a", "b", "c"], "text": cells}).to_csv(wrapped, index=False)
    scored = [pd.read_csv(io.BytesIO(b), dtype=str, keep_default_na=False) for b in _scored(plain, wrapped)]
    for column in ("election_score", "hoax_score", "hoax_reasons"):
        assert scored[1][column].tolist() == scored[0][column].tolist(), column
    assert scored[1]["text"].tolist() == cells  # the row is written back as it was given
    # not the exact ="…" form: a formula joining two texts is scored as written
    joined = tmp_path / "joined.csv"
    pd.DataFrame({"text": ['="Pemilu damai" & " di TPS"', "Pemilu damai di TPS"]}).to_csv(joined, index=False)
    res = pd.read_csv(io.BytesIO(_scored(joined)[0]), dtype=str)
    assert res["hoax_score"][0] != res["hoax_score"][1]


@pytest.mark.parametrize("spelling", ["same", "relative", "symlink", "hardlink"])
def test_score_refuses_an_output_that_is_its_input_and_leaves_the_input_as_it_was(tmp_path, monkeypatch,
                                                                                spelling):
    # `saring score data.csv -o data.csv` (or ./data.csv, a link to it) wrote the scores over the
    # analyst's only copy: anything going wrong while writing lost the file.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(3)
    src = tmp_path / "data.csv"
    held[["text"]].to_csv(src, index=False)
    before = src.read_bytes()
    monkeypatch.chdir(tmp_path)
    names = {"same": str(src), "relative": "./data.csv", "symlink": "link.csv", "hardlink": "hard.csv"}
    given = names[spelling]
    if spelling == "symlink":
        (tmp_path / "link.csv").symlink_to(src)
    elif spelling == "hardlink":
        (tmp_path / "hard.csv").hardlink_to(src)
    r = runner.invoke(app, ["score", str(src), "--output", given])
    assert r.exit_code == 2 and "Traceback" not in flat(r), flat(r)
    assert "is the input file" in flat(r) and "data_scored.csv" in flat(r), flat(r)
    assert src.read_bytes() == before


@pytest.mark.parametrize("command", ["score", "label export"])
def test_writing_over_an_earlier_output_keeps_who_may_read_it(demo_db, tmp_path, command):
    # A scored sheet (or a label sheet) the analyst made readable by the forum's group (chmod 640) is
    # written again under the same name: the new file took the mode of the file written beside it and
    # renamed over it (0644 or 0600 by the umask), so the group lost it or everyone got it.
    out = tmp_path / "shared.csv"
    if command == "score":
        src = tmp_path / "data.csv"
        held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str)
        held[["text"]].head(3).to_csv(src, index=False)
        args = ["score", str(src), "--output", str(out)]
    else:
        args = ["label", "export", "--db", str(_copy_db(demo_db, tmp_path)), "-o", str(out), "--limit", "3"]
    assert runner.invoke(app, args).exit_code == 0
    out.chmod(0o640)
    out.write_bytes(out.read_bytes()[:-1])  # an older run's file, to see it replaced
    earlier = out.read_bytes()
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert out.read_bytes() != earlier and (out.stat().st_mode & 0o777) == 0o640


@pytest.mark.parametrize("columns,needle", [
    (["id", "texts"], "no column 'text'"),  # another word is another column, whatever its case
    (["Text", "TEXT"], "more than one column named 'text'"),  # which one to score cannot be told
    # two sheets pasted side by side: the first was scored and the second written back as "text.1"
    (["text", "text"], "more than one column named 'text'"),
])
def test_score_refuses_a_text_column_it_cannot_tell(tmp_path, columns, needle):
    src = tmp_path / "sheet.csv"
    src.write_text(",".join(columns) + "\nKPU Kota Batu,Bawaslu\n", encoding="utf-8")
    r = runner.invoke(app, ["score", str(src), "--output", str(tmp_path / "out.csv")])
    assert r.exit_code == 2 and needle in flat(r) and "Traceback" not in flat(r), flat(r)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("given", ["renamed.csv", "-"])
def test_score_reads_a_parquet_file_given_under_a_csv_name_or_on_stdin(tmp_path, given):
    # `saring score data.csv` of a Parquet file saved under the wrong name, or
    # `cat data.parquet | saring score -`: saring said "not UTF-8 (byte 8); save it as UTF-8".
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str).head(3)
    held = held[["text"]].assign(n=[1, 2, 3])
    src = tmp_path / "renamed.csv"
    held.to_parquet(src)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["score", str(src) if given != "-" else "-", "--output", str(out)],
                      input=src.read_bytes() if given == "-" else None)
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out, dtype=str)
    assert list(res.columns) == ["text", "n", "election_score", "hoax_score", "hoax_reasons"]
    assert res["n"].tolist() == ["1", "2", "3"]


def test_score_reads_a_sheet_of_articles_in_paragraphs_with_one_longer_than_131072_characters(tmp_path):
    # An evaluator's file of whole articles, paragraphs split by blank lines, one of them a live report
    # over 131,072 characters: saring score stopped with a traceback ("field larger than field limit"),
    # though texts that long are documented as scored on their first 100,000 characters.
    from saring.judge.classifier.score import load_scorer
    from saring.limits import cap_text

    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str)
    long = "\n\n".join(held["text"].head(200))
    assert len(long) > 131_072
    texts = [held["text"][0] + "\n\n" + held["text"][1], long, held["text"][2]]
    src = tmp_path / "articles.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "text": texts}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["score", str(src), "--output", str(out)])
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert res["id"].tolist() == ["a", "b", "c"] and res["text"].tolist() == texts
    direct = load_scorer().score([cap_text(t) for t in texts])
    assert res["hoax_score"].astype(float).tolist() == [round(s.hoax_score, 6) for s in direct]


def test_score_of_a_sheet_with_a_long_text_and_no_text_column_names_the_columns(tmp_path):
    # The same file with its texts under "berita": a traceback ("field larger than field limit")
    # instead of the sentence naming the columns there are.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str)
    src = tmp_path / "articles.csv"
    pd.DataFrame({"id": ["a"], "berita": [" ".join(held["text"].head(200))]}).to_csv(src, index=False)
    r = runner.invoke(app, ["score", str(src), "--output", str(tmp_path / "out.csv")])
    assert r.exit_code == 2 and "no column 'text' (columns: id, berita)" in flat(r), flat(r)
    assert "name the one to read with --text-column" in flat(r)  # what to do about it


@pytest.mark.parametrize("dtype", ["string", "string[pyarrow]"])
def test_score_leaves_empty_the_scores_of_a_missing_text_in_a_parquet_of_pandas_strings(tmp_path, dtype):
    # An analyst's table saved after df.convert_dtypes() (texts as pandas strings): its missing text
    # came back as pd.NA and was scored as the word "<NA>" (hoax 0.74) instead of left empty.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str)
    src = tmp_path / "in.parquet"
    texts = pd.array([held["text"][0], None, held["text"][1]], dtype=dtype)
    pd.DataFrame({"id": ["a", "b", "c"], "text": texts}).to_parquet(src)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["score", str(src), "--output", str(out)])
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert res["id"].tolist() == ["a", "b", "c"]
    assert res["hoax_score"].tolist()[1] == res["election_score"].tolist()[1] == ""
    assert all(res.loc[[0, 2], "hoax_score"] != "")


def test_parallel_scoring_matches_serial():
    from saring.judge.classifier.score import load_scorer

    s = load_scorer()
    texts = pd.read_csv(PRATIWI)["berita"].tolist()[:300] * 4
    assert s.score(texts, workers=2) == s.score(texts)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_prints_all_metrics():
    heldout = str(REPO / "classifiers/data/heldout/hoax_cross_topic.csv")
    r = runner.invoke(app, ["evaluate", heldout, "--task", "hoax"])
    assert r.exit_code == 0, r.output
    for word in ("precision", "recall", "F1", "ROC-AUC", "Brier", "confusion matrix", "threshold 0.5 "):
        assert word in flat(r)
    r = runner.invoke(app, ["evaluate", str(REPO / "classifiers/data/heldout/election_indosum_newest.csv"),
                            "--task", "election", "--json"])
    m = json.loads(r.output)  # soft-wrapped JSON stays valid
    assert m["threshold"] == 0.5 and m["n"] == 681 and 0 <= m["roc_auc"] <= 1
    card = json.loads((REPO / "classifiers/election.json").read_text(encoding="utf-8"))
    for key in ("roc_auc", "f1", "precision", "recall"):  # the card's numbers are reproducible
        assert m[key] == pytest.approx(card["metrics"]["time_split"][key], abs=1e-4)
    r = runner.invoke(app, ["evaluate", str(REPO / "classifiers/data/heldout/election_sib200.csv"),
                            "--task", "election", "--threshold", "0.3", "--json"])
    assert json.loads(r.output)["threshold"] == 0.3


def test_evaluate_reads_a_parquet_whose_label_column_has_gaps(tmp_path):
    # An analyst's labelled table saved from pandas: one row not labelled yet, so the label
    # column is float (1.0 / 0.0 / NaN); the labelled rows are evaluated, the gap is skipped.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv")
    full = runner.invoke(app, ["evaluate", str(REPO / "classifiers/data/heldout/hoax_cross_topic.csv"),
                               "--task", "hoax", "--json"])
    gappy = held.assign(label=held["label"].astype(float))
    gappy = pd.concat([gappy, pd.DataFrame({"text": ["Belum dilabeli"], "label": [float("nan")]})])
    f = tmp_path / "labelled.parquet"
    gappy.to_parquet(f)
    r = runner.invoke(app, ["evaluate", str(f), "--task", "hoax", "--json"])
    assert r.exit_code == 0, r.output
    m, expected = json.loads(r.output), json.loads(full.output)
    assert m["skipped_rows"] == 1 and m["n"] == expected["n"] == len(held)
    assert m["roc_auc"] == pytest.approx(expected["roc_auc"])


def test_evaluate_skips_a_labelled_row_whose_text_is_missing_in_a_parquet_of_pandas_strings(tmp_path):
    # A labelled table saved after df.convert_dtypes(): a row with a label but no text came back with
    # pd.NA for its text and was evaluated as the word "<NA>" (counted in n, not skipped), as
    # saring score once scored it.
    src = REPO / "classifiers/data/heldout/hoax_cross_topic.csv"
    held = pd.read_csv(src, dtype=str)[["text", "label"]]
    gappy = pd.concat([held, pd.DataFrame({"text": [None], "label": ["1"]})]).convert_dtypes()
    f = tmp_path / "labelled.parquet"
    gappy.to_parquet(f)
    full = runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--json"])
    r = runner.invoke(app, ["evaluate", str(f), "--task", "hoax", "--json"])
    assert r.exit_code == 0, r.output
    m, expected = json.loads(r.output), json.loads(full.output)
    assert m["skipped_rows"] == 1 and m["n"] == expected["n"] == len(held)
    assert m["roc_auc"] == pytest.approx(expected["roc_auc"])


def test_evaluate_reads_a_table_from_duckdb_whose_label_column_has_gaps(tmp_path):
    # An analyst builds the labelled table in DuckDB (a LEFT JOIN: rows not labelled yet are NULL),
    # takes it with .df() and saves it as Parquet: pandas holds DuckDB's INTEGER as Int32, the gap
    # as <NA>, and saring evaluate refused the file ("must hold 0/1; bad values on line(s) N").
    import duckdb

    src = REPO / "classifiers/data/heldout/hoax_cross_topic.csv"
    full = runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--json"])
    con = duckdb.connect()
    gappy = con.execute(
        "SELECT text, CAST(label AS INTEGER) AS label FROM read_csv(?) "
        "UNION ALL SELECT 'Belum dilabeli', NULL", [str(src)]).df()
    con.close()
    f = tmp_path / "labelled.parquet"
    gappy.to_parquet(f)
    r = runner.invoke(app, ["evaluate", str(f), "--task", "hoax", "--json"])
    assert r.exit_code == 0, r.output
    m, expected = json.loads(r.output), json.loads(full.output)
    assert m["skipped_rows"] == 1 and m["n"] == expected["n"]
    assert m["roc_auc"] == pytest.approx(expected["roc_auc"])


def test_evaluate_reads_a_semicolon_sheet_whose_header_has_a_space_after_the_semicolon(tmp_path):
    # A labelled sheet typed as "text; label" (Excel's semicolon CSV, a space after the ";"): the
    # separator was found by the text column, pandas kept " label", and saring said "has no column
    # 'label' (columns: text,  label)". Same metrics as the comma CSV it was made from.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv", dtype=str)
    src = tmp_path / "labelled.csv"
    rows = held[["text", "label"]].to_csv(sep=";", index=False).split("\n", 1)[1]
    src.write_text("text; label\n" + rows, encoding="utf-8")
    full = runner.invoke(app, ["evaluate", str(REPO / "classifiers/data/heldout/hoax_cross_topic.csv"),
                               "--task", "hoax", "--json"])
    r = runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--json"])
    assert r.exit_code == 0, r.output
    m, expected = json.loads(r.output), json.loads(full.output)
    assert m["n"] == expected["n"] == len(held) and m["skipped_rows"] == 0
    assert m["roc_auc"] == pytest.approx(expected["roc_auc"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_evaluate_reads_text_and_label_columns_named_in_another_case(tmp_path, suffix):
    # A labelled sheet with the header "Text;Label" (or a table saved with "TEXT", "Label"): saring
    # evaluate said "has no column 'text'". Same metrics as the file it was made from.
    src = REPO / "classifiers/data/heldout/hoax_cross_topic.csv"
    held = pd.read_csv(src, dtype=str)[["text", "label"]].rename(columns={"text": "TEXT", "label": " Label"})
    f = tmp_path / f"labelled{suffix}"
    held.to_csv(f, sep=";", index=False) if suffix == ".csv" else held.to_parquet(f)
    full = runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--json"])
    r = runner.invoke(app, ["evaluate", str(f), "--task", "hoax", "--json"])
    assert r.exit_code == 0, r.output
    m, expected = json.loads(r.output), json.loads(full.output)
    assert m["n"] == expected["n"] == len(held) and m["roc_auc"] == pytest.approx(expected["roc_auc"])


def test_evaluate_reads_a_text_cell_written_as_an_excel_text_formula_as_its_text(tmp_path):
    # A labelled sheet exported for Excel with its cells as ="…" (as saring score now reads them): the
    # model was measured on each text with =" and " around it, so its numbers were not the texts'.
    src = REPO / "classifiers/data/heldout/hoax_cross_topic.csv"
    held = pd.read_csv(src, dtype=str)[["text", "label"]]
    assert held["text"].str.contains('"').any()  # quotes inside are doubled in such a cell
    held["text"] = ['="' + t.replace('"', '""') + '"' for t in held["text"]]
    wrapped = tmp_path / "labelled.csv"
    held.to_csv(wrapped, index=False)
    full = runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--json"])
    r = runner.invoke(app, ["evaluate", str(wrapped), "--task", "hoax", "--json"])
    assert r.exit_code == 0, r.output
    m, expected = json.loads(r.output), json.loads(full.output)
    for key in ("n", "roc_auc", "brier", "confusion"):
        assert m[key] == expected[key], key


def test_evaluate_bad_inputs(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text("text,label\nabc,maybe\n", encoding="utf-8")
    r = runner.invoke(app, ["evaluate", str(f), "--task", "hoax"])
    assert r.exit_code == 2 and "0/1" in flat(r)
    r = runner.invoke(app, ["evaluate", str(f), "--task", "spam"])
    assert r.exit_code == 2 and "--task" in flat(r)


@pytest.mark.parametrize("threshold", ["50", "-0.5"])
def test_evaluate_refuses_a_threshold_that_is_not_a_score(threshold):
    # `saring evaluate ... --threshold 50` (meaning 50 %): every item counted as negative, and the
    # analyst read "precision 0.000, recall 0.000" as a model that finds nothing.
    heldout = str(REPO / "classifiers/data/heldout/hoax_cross_topic.csv")
    r = runner.invoke(app, ["evaluate", heldout, "--task", "hoax", "--threshold", threshold])
    assert r.exit_code == 2 and "--threshold" in flat(r) and "precision" not in flat(r), flat(r)
    assert "Invalid value for '--threshold'" in flat(r), flat(r)


def test_evaluate_shows_precision_and_recall_it_cannot_measure_as_undefined_saying_why(tmp_path):
    # A labelled file holding only valid items (positives 0), or a cut-off no score reaches: saring
    # evaluate printed "precision 0.000, recall 0.000", read as a model that finds nothing or is always
    # wrong, while 0 of 0 says nothing. The numbers it can measure stay numbers.
    src = REPO / "classifiers/data/heldout/hoax_cross_topic.csv"
    held = pd.read_csv(src)
    valid = tmp_path / "valid_only.csv"
    held[held["label"] == 0].to_csv(valid, index=False)
    r = runner.invoke(app, ["evaluate", str(valid), "--task", "hoax", "--json"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.output)
    assert m["positives"] == 0 and m["recall"] is None and "no item labelled 1" in m["undefined"]["recall"]
    if m["confusion"]["fp"] == 0:  # nothing flagged either: no precision nor F1
        assert m["precision"] is None and m["f1"] is None
    else:
        assert m["precision"] == 0 and m["f1"] == 0 and "precision" not in m["undefined"]
    text = flat(runner.invoke(app, ["evaluate", str(valid), "--task", "hoax"]))
    assert "recall n/a (no item labelled 1 in the file)" in text and "recall 0.000" not in text, text

    r = runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--threshold", "1", "--json"])
    m = json.loads(r.output)
    assert m["confusion"]["tp"] + m["confusion"]["fp"] == 0, m["confusion"]
    assert m["precision"] is None
    assert "no item scored at or above the threshold 1" in m["undefined"]["precision"]
    assert m["recall"] == 0 and m["f1"] == 0 and set(m["undefined"]) == {"precision"}
    text = flat(runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--threshold", "1"]))
    assert "precision n/a (no item scored at or above the threshold 1)" in text, text
    assert "recall 0.000" in text, text

    full = json.loads(runner.invoke(app, ["evaluate", str(src), "--task", "hoax", "--json"]).output)
    assert full["undefined"] == {} and isinstance(full["precision"], float)


def test_evaluate_prints_the_threshold_as_given():
    # An analyst measuring at a third (--threshold 0.333) read "threshold 0.33" above metrics counted
    # at 0.333: a score of 0.332 counted as negative under a threshold it seemed to pass.
    heldout = str(REPO / "classifiers/data/heldout/hoax_cross_topic.csv")
    r = runner.invoke(app, ["evaluate", heldout, "--task", "hoax", "--threshold", "0.333"])
    assert r.exit_code == 0 and "threshold 0.333 " in flat(r), flat(r)


def test_evaluate_refuses_a_label_column_written_benar_or_salah(tmp_path):
    # The same word in a labelled table for `saring evaluate`: "Benar" (the claim is true) was
    # measured as a hoax, and the precision printed was of the opposite labels.
    f = tmp_path / "eval.csv"
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    pd.DataFrame({"text": texts, "label": ["Benar", "0"]}).to_csv(f, index=False)
    r = runner.invoke(app, ["evaluate", str(f), "--task", "hoax"])
    assert r.exit_code == 2 and "line(s) 2" in flat(r) and "benar/salah" in flat(r), flat(r)


def _xlsx(path: Path, rows: list[list[str]]) -> None:
    """A minimal Excel workbook (Office Open XML: a zip of XML parts), one sheet of text cells."""
    import zipfile
    from xml.sax.saxutils import escape

    ns = "http://schemas.openxmlformats.org/"
    cells = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                                   for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{ns}spreadsheetml/2006/main" xmlns:r="{ns}officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'))
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{ns}spreadsheetml/2006/main">'
                                               f'<sheetData>{cells}</sheetData></worksheet>')


@pytest.mark.parametrize("command", [["score"], ["evaluate", "--task", "hoax"]])
@pytest.mark.parametrize("suffix,advice", [(".xlsx", "CSV UTF-8"), (".jsonl", "read_json")])
def test_score_and_evaluate_say_which_formats_they_read(tmp_path, command, suffix, advice):
    # An analyst gave the labelled sheet as it was kept (Excel's .xlsx, or the JSON Lines a
    # scraper wrote): saring said "not UTF-8; save it as UTF-8" for the workbook, and "no column
    # 'text' (columns: {"text": ...)" for the JSON Lines, though both have a text column.
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv").head(3)[["text", "label"]]
    f = tmp_path / f"labelled{suffix}"
    if suffix == ".xlsx":
        _xlsx(f, [["text", "label"], *([t, str(v)] for t, v in held.itertuples(index=False))])
    else:
        held.to_json(f, orient="records", lines=True, force_ascii=False)
    r = runner.invoke(app, [command[0], str(f), *command[1:]])
    assert r.exit_code == 2 and "Traceback" not in flat(r)
    assert "not UTF-8" not in flat(r) and "no column" not in flat(r), flat(r)
    assert "CSV" in flat(r) and "Parquet" in flat(r) and advice in flat(r)
    assert "UTF-16" in flat(r)  # it reads Excel's "Unicode Text" too: not only "save it as UTF-8"


# --------------------------------------------------------------------------- labels


def test_label_export_order_and_columns(demo_db, tmp_path):
    db = _copy_db(demo_db, tmp_path)
    out = tmp_path / "to_label.csv"
    r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(out)])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(f.columns)[:3] == ["id", "url", "title"] and {"excerpt", "hoax", "election"} <= set(f.columns)
    assert len(f) == 42 and (f["hoax"] == "").all()
    dist = [min(abs(float(h) - 0.5), abs(float(e) - 0.5))
            for h, e in zip(f["hoax_score"], f["election_score"], strict=True)]
    near = [d <= 0.15 for d in dist]
    assert near == sorted(near, reverse=True)  # near-threshold items first
    r = runner.invoke(app, ["label", "export", "--db", str(db), "--date", "2026-11-24", "-o", str(out)])
    assert len(pd.read_csv(out)) == 21
    r = runner.invoke(app, ["label", "export", "--db", str(db), "--since", "kemarin", "-o", str(out)])
    assert r.exit_code == 2 and "not a date" in flat(r)


def test_label_export_days_are_the_forums_days(demo_db, tmp_path):
    # A WIT forum's `label export --date` took Jakarta's days: an article published at 01:30 WIT
    # on the 25th was left out of the 25th (and put in the 24th).
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE articles SET published_at = TIMESTAMPTZ '2026-11-24 16:30:00+00' "
                    "WHERE item_id = 'item000'")
        con.execute("UPDATE items SET published_at = TIMESTAMPTZ '2026-11-24 16:30:00+00' "
                    "WHERE item_id = 'item000'")
    sources = tmp_path / "sources.yaml"
    sources.write_text("settings:\n  schedule:\n    timezone: Asia/Jayapura\nsources:\n"
                       "  - {id: media, name: Media, url: 'https://media.example/rss'}\n", encoding="utf-8")
    out = tmp_path / "to_label.csv"
    ids = {}
    for zone_args in ([], ["--sources", str(sources)]):
        r = runner.invoke(app, ["label", "export", "--db", str(db), "--date", "2026-11-25", "-o", str(out),
                                *zone_args])
        assert r.exit_code == 0, r.output
        ids[bool(zone_args)] = set(pd.read_csv(out, dtype=str)["id"])
    assert "item000" not in ids[False] and "item000" in ids[True]
    r = runner.invoke(app, ["label", "export", "--db", str(db), "--since", "2026-11-25", "-o", str(out),
                            "--sources", str(sources)])
    assert r.exit_code == 0, r.output
    assert "item000" in set(pd.read_csv(out, dtype=str)["id"])


def test_label_export_refuses_a_workbook_name_it_would_not_write(demo_db, tmp_path):
    # `-o to_label.xlsx` wrote a CSV under that name, which Excel then refused to open.
    db = _copy_db(demo_db, tmp_path)
    for name in ("to_label.xlsx", "to_label.XLS", "to_label.ods"):
        r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(tmp_path / name)])
        assert r.exit_code == 2 and "to_label.csv" in flat(r), (name, flat(r))
        assert not (tmp_path / name).exists()


def test_label_export_does_not_write_over_a_filled_in_file_not_imported_yet(demo_db, tmp_path):
    # The forum's filled-in to_label.csv is saved back over the export, and before importing it the
    # maintainer runs last week's `saring label export -o to_label.csv` again from the shell history:
    # the forum's labels were replaced by a fresh empty export, with exit 0.
    import csv

    db = _copy_db(demo_db, tmp_path)
    out = tmp_path / "to_label.csv"
    args = ["label", "export", "--db", str(db), "-o", str(out), "--limit", "3"]
    assert runner.invoke(app, args).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][-2:], rows[2][-2:] = ["1", "0"], ["tidak", ""]
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    filled = out.read_bytes()
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "3 labels" in flat(r) and "label import" in flat(r), flat(r)
    assert out.read_bytes() == filled
    # once imported, the file is the database's, and a new export may take its name
    r = runner.invoke(app, ["label", "import", str(out), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and out.read_bytes() != filled, flat(r)


def test_label_export_refuses_a_limit_below_one(demo_db, tmp_path):
    # `saring label export --limit -5` (a typo for 5) wrote every candidate but the last five,
    # and `--limit 0` an empty file, both with exit 0: the maintainer never knew.
    db = _copy_db(demo_db, tmp_path)
    out = tmp_path / "to_label.csv"
    for limit in ("-5", "0"):
        r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(out), "--limit", limit])
        assert r.exit_code == 2, (limit, r.output)
        assert "--limit" in flat(r) and "1" in flat(r), r.output
        assert not out.exists()


def test_label_import_validates_rows_and_keeps_history(demo_db, tmp_path):
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    f.write_text("id,hoax,election\nitem000,1,0\nnope,1,\nitem001,mungkin,1\nitem000,1,0\nitem002,,\n"
                 "item003,ya,tidak\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 1
    assert "line 3: unknown id 'nope'" in flat(r)
    assert "line 4: bad value hoax='mungkin'" in flat(r)
    assert "line 5" not in flat(r)  # the same labels twice: stored once, nothing to refuse
    assert "3 rows stored (4 labels" in flat(r) and "1 rows had no label" in flat(r)
    f2 = tmp_path / "again.csv"
    f2.write_text("id,hoax\nitem000,0\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f2), "--by", "KPU", "--db", str(db)])
    assert r.exit_code == 0, r.output
    con = duckdb.connect(str(db))
    where = "WHERE item_id='item000' AND task='hoax'"
    assert con.execute(f"SELECT count(*) FROM labels {where}").fetchone()[0] == 2
    cur = con.execute(f"SELECT value, labeled_by FROM current_labels {where}").fetchone()
    assert cur == (0, "KPU")
    con.close()


def test_label_import_names_the_line_a_spreadsheet_shows(demo_db, tmp_path):
    # A labeller's note with a line break in its cell (Alt+Enter in Excel) and a blank line: the
    # spreadsheet shows the note on one row, and "line 5" (the text file's line) sent the maintainer
    # to the row below the one to fix. The row number leads; the text editor's line is said too.
    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    f.write_text('id,hoax,election,note\nitem000,1,0,"dua baris:\nbaris kedua"\n\nnope,1,0,\n'
                 "item001,mungkin,1,\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "Bawaslu", "--db", str(db)])
    assert "line 4 (line 5 in a text editor): unknown id 'nope'" in flat(r), flat(r)
    assert "line 5 (line 6 in a text editor): bad value hoax='mungkin'" in flat(r), flat(r)


def test_evaluate_names_the_line_a_spreadsheet_shows(tmp_path):
    # The same sheet for saring evaluate: a text with a line break and a blank line above a bad
    # label; the line it names is the spreadsheet's row, as label import names it.
    f = tmp_path / "eval.csv"
    texts = [p.read_text(encoding="utf-8").strip() for p in SEEDS]
    with f.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["text", "label"], [texts[0], "1"], [], [texts[1], "mungkin"]])
    assert "\n" in texts[0]  # the cell spans several lines of the file
    r = runner.invoke(app, ["evaluate", str(f), "--task", "election"])
    assert r.exit_code == 2 and "bad values on line(s) 4" in flat(r), flat(r)


def _imports_the_two_labelled_rows(saved, db, rows) -> None:
    """`saring label import` of ``saved`` (the export ``rows`` with rows 1 and 2 labelled hoax 1/0
    and election 0/1, row 3 left empty) stores exactly those four labels."""
    import duckdb

    r = runner.invoke(app, ["label", "import", str(saved), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "2 rows stored (4 labels" in flat(r) and "1 rows had no label" in flat(r)
    con = duckdb.connect(str(db))
    stored = con.execute("SELECT item_id, task, value FROM labels ORDER BY ALL").fetchall()
    con.close()
    first, second = rows[1][0], rows[2][0]
    assert stored == sorted([(first, "election", 0), (first, "hoax", 1),
                             (second, "election", 1), (second, "hoax", 0)])


def test_label_export_shows_its_quotes_and_emoji_in_excel_and_imports_as_excel_saves_it_back(demo_db,
                                                                                             tmp_path):
    # Excel opens a CSV without a byte-order mark (by double-click) in the Windows code page: the
    # forum saw “Saring sebelum Sharing” as â€œSaring sebelum Sharingâ€ and 🙏 as ðŸ™. Excel then
    # saves the filled-in sheet as "CSV UTF-8": with a byte-order mark and CRLF line ends.
    import codecs

    import duckdb

    from saring.judge.labels import read_label_file

    seed = (REPO / "sample/seed_articles/malangpost_kpu_kota_batu_bakohumas.txt").read_text(encoding="utf-8")
    chat = (REPO / "tests/fixtures/social/WhatsApp Chat dengan Bakohumas Kota Batu.txt").read_text(
        encoding="utf-8")
    titles = {"item000": next(ln for ln in seed.splitlines() if "“" in ln).lstrip("- "),
              "item001": next(ln for ln in chat.splitlines() if "🙏" in ln).split(": ", 1)[1]}
    db = _copy_db(demo_db, tmp_path)
    with duckdb.connect(str(db)) as con:
        for item_id, title in titles.items():
            con.execute("UPDATE items SET title = ? WHERE item_id = ?", [title, item_id])
            con.execute("UPDATE articles SET title = ? WHERE item_id = ?", [title, item_id])
    exported = tmp_path / "to_label.csv"
    r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(exported)])
    assert r.exit_code == 0, r.output
    data = exported.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and not data[3:].startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "id"
    shown = {row[0]: row[2] for row in rows[1:]}
    assert {i: shown[i] for i in titles} == titles
    for row in rows[1:]:
        row[-2:] = {"item000": ["1", "0"], "item001": ["0", "1"]}.get(row[0], ["", ""])
    with exported.open("w", encoding="utf-8-sig", newline="") as fh:  # Excel's "CSV UTF-8"
        csv.writer(fh, lineterminator="\r\n").writerows(rows)
    assert {row["id"]: row["title"] for row in read_label_file(exported)}.items() >= titles.items()
    r = runner.invoke(app, ["label", "import", str(exported), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "2 rows stored (4 labels" in flat(r), flat(r)
    with duckdb.connect(str(db)) as con:
        assert con.execute("SELECT item_id, task, value FROM labels ORDER BY ALL").fetchall() == [
            ("item000", "election", 0), ("item000", "hoax", 1),
            ("item001", "election", 1), ("item001", "hoax", 0)]


def test_label_import_reads_a_file_saved_by_excel_with_semicolons(demo_db, tmp_path):
    # Excel on a Windows set to Indonesian separates a "CSV UTF-8" file's cells with ';' (the
    # decimal mark is ','), with a byte-order mark and CRLF line ends; the forum fills the export in.
    import csv


    db = _copy_db(demo_db, tmp_path)
    exported = tmp_path / "to_label.csv"
    r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(exported), "--limit", "3"])
    assert r.exit_code == 0, r.output
    with exported.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row, (hoax, election) in zip(rows[1:], [("1", "0"), ("tidak", "ya"), ("", "")], strict=True):
        row[-2:] = [hoax, election]
        row[6:8] = [v.replace(".", ",") for v in row[6:8]]
    saved = tmp_path / "labeled.csv"
    with saved.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(rows)

    _imports_the_two_labelled_rows(saved, db, rows)


@pytest.mark.parametrize("header", ["ID;Hoax;Election", "Id ; HOAX ; election", "ID,Hoax,Election",
                                    "\ufeffID\tHoax\tElection"])
def test_label_import_reads_a_header_typed_by_hand_in_capitals(demo_db, tmp_path, header):
    # A member makes their own sheet and types the header as "ID;Hoax;Election": the import said
    # it must have an 'id' column "(found: ID;Hoax;Election)", as if that were one column.
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    sep = next(c for c in ";,\t" if c in header)
    f = tmp_path / "labeled.csv"
    f.write_text("\r\n".join([header, sep.join(["item000", "1", "0"]), sep.join(["item001", "tidak", "ya"])])
                 + "\r\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "KPU", "--db", str(db)])
    assert r.exit_code == 0 and "2 rows stored (4 labels" in flat(r), r.output
    con = duckdb.connect(str(db))
    assert con.execute("SELECT item_id, task, value FROM labels ORDER BY ALL").fetchall() == [
        ("item000", "election", 0), ("item000", "hoax", 1),
        ("item001", "election", 1), ("item001", "hoax", 0)]
    con.close()


@pytest.mark.parametrize("header,needle", [
    # another word is another column, whatever its case
    ("ID;Hoaks;Pemilu", "found: ID, Hoaks, Pemilu"),
    # two columns that both read as 'hoax': which one holds the labels cannot be told
    ("id,hoax,Hoax", "more than one 'hoax' column"),
])
def test_label_import_refuses_a_header_it_cannot_read_naming_its_columns(demo_db, tmp_path, header, needle):
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    sep = ";" if ";" in header else ","
    f = tmp_path / "labeled.csv"
    f.write_text(f"{header}\n{sep.join(['item000', '1', '0'])}\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "KPU", "--db", str(db)])
    assert r.exit_code == 2 and needle in flat(r), r.output
    con = duckdb.connect(str(db))
    n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name='labels'").fetchone()[0]
    assert n == 0 or con.execute("SELECT count(*) FROM labels").fetchone()[0] == 0
    con.close()


def test_label_import_passes_over_the_empty_rows_excel_saves(demo_db, tmp_path):
    # A row whose cells were cleared in Excel (Delete, not "delete row") stays in the sheet and is
    # saved as ";;;;;;;;;": those rows are no one's labels, not rows to refuse (exit 1, "refused").
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    saved = tmp_path / "labeled.csv"
    empty = ";" * 9
    saved.write_bytes("\r\n".join([
        "id;url;title;source;published_at;excerpt;election_score;hoax_score;hoax;election",
        "item000;u;t;s;2026-11-24 10:00;e;0,1;0,6;1;0", empty, "item001;u;t;s;2026-11-24 10:00;e;0,1;0,2;0;",
        ";;;;;;;;1;0", empty, empty, ""]).encode("utf-8-sig"))
    r = runner.invoke(app, ["label", "import", str(saved), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 1 and "line 5: empty id" in flat(r)  # labels without an id are still refused
    assert "2 rows stored (3 labels" in flat(r) and "1 rows refused" in flat(r), flat(r)
    assert "line 3" not in flat(r) and "line 6" not in flat(r) and "0 rows had no label" in flat(r)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 3
    con.close()


def test_label_import_counts_a_row_without_a_label_as_no_label_whatever_its_id(demo_db, tmp_path):
    # The export's rows the forum left unlabelled, of items deleted since (or an id Excel made a
    # number, a stray "nope;;" line, a note under the table): nothing in them to store, yet the import
    # refused them as unknown ids and exited 1, as if labels had been lost.
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    saved = tmp_path / "labeled.csv"
    saved.write_bytes("\r\n".join([
        "id;title;hoax;election", "item000;t;1;0", "nope;;;", "3,47289E+15;judul;;", "item999;dihapus;;",
        ";catatan: sisanya besok;;", ""]).encode("utf-8-sig"))
    r = runner.invoke(app, ["label", "import", str(saved), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "1 rows stored (2 labels" in flat(r) and "0 rows refused; 4 rows had no label" in flat(r), flat(r)
    # a label on an unknown id is still refused: it was meant for an item that is not there
    saved.write_bytes(b"id;hoax;election\r\nnope;1;\r\n3,47289E+15;;0\r\n")
    r = runner.invoke(app, ["label", "import", str(saved), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 1 and "line 2: unknown id 'nope'" in flat(r), flat(r)
    assert "line 3: id '3,47289E+15' was turned into a number" in flat(r) and "2 rows refused" in flat(r)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 2
    con.close()


def test_label_import_reads_a_file_whose_lines_end_in_a_lone_carriage_return(demo_db, tmp_path):
    # Excel for Mac's "CSV (Macintosh)" ends lines with a carriage return only: the import
    # crashed with "new-line character seen in unquoted field", a Python traceback.
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    f.write_bytes(b"id,hoax,election\ritem000,1,0\ritem001,0,1\r")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "KPU", "--db", str(db)])
    assert r.exit_code == 0 and "2 rows stored (4 labels" in flat(r), r.output
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 4
    con.close()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_label_import_reads_a_file_saved_by_excel_as_unicode_text(demo_db, tmp_path, encoding):
    # Excel's "Unicode Text (*.txt)" is UTF-16 with a byte-order mark, cells separated by tabs and
    # quoted only when they must be: the import refused it ("not UTF-8 (byte 0)").
    import codecs
    import csv
    import io


    db = _copy_db(demo_db, tmp_path)
    exported = tmp_path / "to_label.csv"
    r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(exported), "--limit", "3"])
    assert r.exit_code == 0, r.output
    with exported.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row, (hoax, election) in zip(rows[1:], [("1", "0"), ("tidak", "ya"), ("", "")], strict=True):
        row[-2:] = [hoax, election]
    out = io.StringIO()
    csv.writer(out, delimiter="\t", lineterminator="\r\n").writerows(rows)
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    saved = tmp_path / "labeled.txt"
    saved.write_bytes(bom + out.getvalue().encode(encoding))

    _imports_the_two_labelled_rows(saved, db, rows)


def test_a_labels_file_the_csv_reader_cannot_split_is_refused_naming_the_line(demo_db, tmp_path):
    # A quote opened in a cell edited by hand and never closed swallows the rest of a big file:
    # Python's csv module gave up with "field larger than field limit", as a traceback.
    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    f.write_text('id,hoax,excerpt\nitem000,1,ok\nitem001,0,"dibuka tanpa ditutup\n'
                 + "item002,1,teks\n" * 20_000, encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "KPU", "--db", str(db)])
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit), repr(r.exception)
    assert "line 3" in flat(r) and "quote" in flat(r), r.output


def test_label_import_of_two_labellers_files_pasted_together_keeps_both_halves(demo_db, tmp_path):
    # Two forum members each label half of one export; the maintainer pastes the second file's
    # rows below the first's. Every id is there twice, once blank: the second copy was refused as
    # a "duplicate id ... only the first is kept" and the second member's labels were lost. Where
    # the two disagree, the first one's label was stored as if no one had said otherwise.
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    first = ["item000,1,0", "item001,0,1", "item002,,", "item003,,"]
    second = ["item000,,", "item001,1,1", "item002,0,1", "item003,mungkin,0"]
    f.write_text("id,hoax,election\n" + "\n".join(first + second) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 1
    assert ("line 7: id 'item001' is also on line 3 with a different hoax label (0 there, 1 here); "
            "neither is stored") in flat(r)
    assert "line 9: bad value hoax='mungkin'" in flat(r) and "duplicate" not in flat(r)
    assert "2 rows refused" in flat(r)
    con = duckdb.connect(str(db))
    stored = con.execute("SELECT item_id, task, value FROM labels ORDER BY ALL").fetchall()
    con.close()
    assert stored == [("item000", "election", 0), ("item000", "hoax", 1), ("item001", "election", 1),
                      ("item002", "election", 1), ("item002", "hoax", 0)]


def test_label_import_summary_counts_every_row_of_the_file_once(demo_db, tmp_path):
    # Two members' files pasted together, then imported again with one more row: the summary
    # counted items, not rows ("1 rows stored ... 2 rows refused; 1 rows had no label" for a file
    # of 6 rows), and the maintainer could not tell which rows had been taken in.
    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    rows = ["item000,1,0",  # stored
            "item001,0,",  # its only label disagrees with line 7's: stored from neither
            "item002,,",  # no label
            "item000,1,0",  # the same labels as line 2: stored (once)
            "nope,1,0",  # refused: unknown id
            "item001,1,"]  # refused: disagrees with line 3
    f.write_text("id,hoax,election\n" + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["label", "import", str(f), "--by", "Bawaslu", "--db", str(db)]
    r = runner.invoke(app, args)
    assert r.exit_code == 1
    assert "2 rows stored (2 labels" in flat(r) and "3 rows refused" in flat(r), flat(r)
    assert "1 rows had no label." in flat(r), flat(r)
    f.write_text("id,hoax,election\n" + "\n".join([*rows[:4], "item003,0,1"]) + "\n", encoding="utf-8")
    r = runner.invoke(app, args)  # again, without the two refused rows (line 3's label now agreed), one added
    assert r.exit_code == 0 and "2 rows stored (3 labels" in flat(r) and "0 rows refused" in flat(r), flat(r)
    assert "1 rows had no label; 2 rows already stored." in flat(r), flat(r)


def test_label_import_takes_labels_written_as_floats(demo_db, tmp_path):
    # A labels file merged in pandas: the label columns have gaps, so they were written as 1.0/0.0.
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "merged.csv"
    f.write_text("id,hoax,election\nitem000,1.0,0.0\nitem001,,1.0\nitem002,0.5,\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "KPU", "--db", str(db)])
    assert r.exit_code == 1 and "line 4: bad value hoax='0.5'" in flat(r)
    assert "2 rows stored (3 labels" in flat(r)
    con = duckdb.connect(str(db))
    stored = con.execute("SELECT item_id, task, value FROM labels ORDER BY ALL").fetchall()
    con.close()
    assert stored == [("item000", "election", 0), ("item000", "hoax", 1), ("item001", "election", 1)]


def test_a_label_written_t_is_refused_as_it_means_true_in_english_and_tidak_in_indonesian(demo_db, tmp_path):
    # A journalist labelling in an English spreadsheet wrote T/F for true/false: every "T" (hoax)
    # was stored as 0 (tidak), and the model was retrained on the opposite of the forum's word.
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    f.write_text("id,hoax,election\nitem000,T,1\nitem001,1,t\nitem002,1,0\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "AJI", "--db", str(db)])
    assert r.exit_code == 1
    assert "line 2: bad value hoax='T'" in flat(r) and "line 3: bad value election='t'" in flat(r)
    assert "1 rows stored (2 labels" in flat(r)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT DISTINCT item_id FROM labels").fetchall() == [("item002",)]
    con.close()


@pytest.mark.parametrize("word", ["Benar", "BENAR", "salah", "SALAH"])
def test_a_label_written_benar_or_salah_is_refused_saying_to_write_1_or_0(demo_db, tmp_path, word):
    # A fact-checker writes "Benar" (the claim is true: not a hoax) in the hoax column, while
    # Indonesian Excel writes a TRUE cell as BENAR: "Benar" was stored as hoax 1, the opposite of
    # what the fact-checker meant. The word cannot say which is meant, so it is refused, with why.
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    f.write_text(f"id,hoax,election\nitem000,{word},1\nitem001,1,{word}\nitem002,1,0\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "AFP", "--db", str(db)])
    assert r.exit_code == 1
    assert f"line 2: bad value hoax={word!r}" in flat(r) and f"line 3: bad value election={word!r}" in flat(r)
    assert "benar/salah" in flat(r) and "1/0 or ya/tidak" in flat(r), flat(r)
    assert "1 rows stored (2 labels" in flat(r)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT DISTINCT item_id FROM labels").fetchall() == [("item002",)]
    con.close()


def _bawaslus_file_imported(demo_db, tmp_path):
    """A copy of the demo database into which Bawaslu's labels file (two rows, three labels) was
    imported; returns the database, the file and the import's arguments (to run it again)."""
    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "labeled.csv"
    f.write_text("id,hoax,election\nitem000,1,0\nitem001,0,\n", encoding="utf-8")
    args = ["label", "import", str(f), "--by", "Bawaslu", "--db", str(db)]
    assert runner.invoke(app, args).exit_code == 0
    return db, f, args


def test_label_import_of_the_same_file_twice_stores_it_once(demo_db, tmp_path):
    # The maintainer is not sure the import went through and runs it again: the labels history
    # must not hold every judgement twice; a changed label in the file is still stored.
    import duckdb

    db, f, args = _bawaslus_file_imported(demo_db, tmp_path)
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "0 rows stored (0 labels" in flat(r) and "2 rows already stored" in flat(r)
    f.write_text("id,hoax,election\nitem000,0,0\nitem001,0,\n", encoding="utf-8")
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "1 rows stored (1 labels" in flat(r) and "1 rows already stored" in flat(r)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 4
    assert con.execute("SELECT value FROM current_labels WHERE item_id = 'item000' AND task = 'hoax'"
                       ).fetchone() == (0,)
    con.close()


def test_importing_a_file_again_does_not_undo_a_later_correction_made_on_the_desk(demo_db, tmp_path):
    # Bawaslu's file is imported; a KPU member then corrects one of its labels on the desk. The
    # maintainer, unsure the import went through, runs it again: Bawaslu's old label was stored a
    # second time as the newest, silently undoing the correction the retrain should learn from.
    import duckdb

    from saring.judge.labels import add_label
    from saring.storage.database import Store

    db, f, args = _bawaslus_file_imported(demo_db, tmp_path)
    with Store(db) as store:
        add_label(store.con, "item000", "hoax", 0, "rina (KPU)")
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "0 rows stored (0 labels" in flat(r) and "2 rows already stored" in flat(r)
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM labels").fetchone()[0] == 4
    assert con.execute("SELECT value, labeled_by FROM current_labels WHERE item_id = 'item000' AND "
                       "task = 'hoax'").fetchone() == (0, "rina (KPU)")
    con.close()
    f.write_text("id,hoax,election\nitem000,0,0\nitem001,0,\n", encoding="utf-8")
    r = runner.invoke(app, args)  # Bawaslu changed its mind: a new judgement, stored
    assert "1 rows stored (1 labels" in flat(r), flat(r)


# Ids are the first 16 hex digits of a hash of the URL: about 1 in 1,000 is all digits, or digits
# around one 'e', which a spreadsheet reads as a number. These URLs' ids are two such.
DIGIT_ID_URL, EXP_ID_URL = "https://news.example/695", "https://news.example/3615"


def _excel_opens_and_saves(src: Path, dst: Path) -> None:
    """What Excel on a Windows set to Indonesian does to the id column of a CSV it opens and saves
    as "CSV UTF-8" (Excel cannot run here): a cell that reads as a number becomes one, kept to
    15 digits and shown (so saved) as 3,47289E+15; a ="..." cell is text and is saved as its value."""
    import csv
    import re

    with src.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        cell = row[0]
        if (formula := re.fullmatch(r'="(.*)"', cell)) is not None:
            row[0] = formula.group(1)
        elif re.fullmatch(r"\d+(e\d+)?", cell, re.IGNORECASE) and float(cell) >= 1e11:
            row[0] = f"{float(cell):.5E}".replace(".", ",").replace("E+0", "E+").replace("0E", "E")
    with dst.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(rows)


@pytest.fixture()
def numeric_ids_db(tmp_path, scorer) -> Path:
    """A real database with three scored articles: two whose ids read as numbers, one plain."""
    from saring.collect.urls import url_key
    from saring.pipeline.ingest import score_pending
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    day = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    texts = pd.read_csv(PRATIWI)["berita"].head(3).tolist()
    urls = [DIGIT_ID_URL, EXP_ID_URL, "https://news.example/1"]
    items = [dict(item_id=url_key(u), url=u, link=u, source_id="src", title=t.split("\n")[0][:80],
                  summary=None, published_at=day, author=None, guid=u, first_seen_at=day, state="seen")
             for u, t in zip(urls, texts, strict=True)]
    arts = [dict(item_id=i["item_id"], final_url=i["url"], http_status=200, text=t, text_source="page",
                 title=i["title"], published_at=day, author=None, language="id", extraction_error=None,
                 fetched_at=day) for i, t in zip(items, texts, strict=True)]
    with Store(db) as store:
        store.add_items(items)
        store.save_articles(arts)
        score_pending(store, scorer)
    return db


def test_label_ids_that_look_like_numbers_survive_a_round_trip_through_excel(numeric_ids_db, tmp_path):
    # The maintainer exports, a forum member fills the file in in Excel and saves it; an id like
    # 3472889254122789 came back as 3,47289E+15 and its row was refused as "unknown id".
    import csv

    import duckdb

    from saring.collect.urls import url_key

    assert url_key(DIGIT_ID_URL).isdigit() and "e" in url_key(EXP_ID_URL)
    exported = tmp_path / "to_label.csv"
    r = runner.invoke(app, ["label", "export", "--db", str(numeric_ids_db), "-o", str(exported)])
    assert r.exit_code == 0, r.output
    with exported.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        row[-2:] = ["1", "0"]
    filled = tmp_path / "filled.csv"
    with filled.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)
    saved = tmp_path / "labeled.csv"
    _excel_opens_and_saves(filled, saved)

    r = runner.invoke(app, ["label", "import", str(saved), "--by", "Bawaslu", "--db", str(numeric_ids_db)])
    assert r.exit_code == 0, r.output
    assert "3 rows stored (6 labels" in flat(r)
    # A spreadsheet that shows the export's cells as they are (no Excel) and the file imported
    # without a spreadsheet: the same ids.
    r = runner.invoke(app, ["label", "import", str(filled), "--by", "KPU", "--db", str(numeric_ids_db)])
    assert r.exit_code == 0 and "3 rows stored (6 labels" in flat(r), r.output
    con = duckdb.connect(str(numeric_ids_db))
    stored = {i for (i,) in con.execute("SELECT DISTINCT item_id FROM labels").fetchall()}
    con.close()
    assert stored == {url_key(u) for u in (DIGIT_ID_URL, EXP_ID_URL, "https://news.example/1")}


def test_label_import_says_when_excel_turned_an_id_into_a_number(numeric_ids_db, tmp_path):
    # A file exported before ids were kept as text, filled in in Excel: the id's digits are lost,
    # so the row cannot be stored; the report says what happened and what to do, not "unknown id".
    from saring.collect.urls import url_key

    saved = tmp_path / "labeled.csv"
    saved.write_bytes("\r\n".join([
        "id;url;hoax;election", f"3,47289E+15;{DIGIT_ID_URL};1;0", f"{url_key('https://news.example/1')};u;0;0",
        "3472889254122780;u;1;1", "1111111111111111;u;1;1", ""]).encode("utf-8-sig"))
    r = runner.invoke(app, ["label", "import", str(saved), "--by", "Bawaslu", "--db", str(numeric_ids_db)])
    assert r.exit_code == 1 and "1 rows stored (2 labels" in flat(r)
    assert "line 5: unknown id '1111111111111111'" in flat(r)  # 16 digits: not one Excel made
    for line in ("line 2: id '3,47289E+15'", "line 4: id '3472889254122780'"):
        assert line in flat(r) and "turned into a number" in flat(r) and "saring label export" in flat(r)


def _workbook() -> bytes:
    """The start of an .xlsx file: a zip archive (what Excel's "Excel Workbook" saves)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData/></worksheet>")
    return buf.getvalue()


@pytest.mark.parametrize("content,needle", [
    (b"item,hoax\nitem000,1\n", "must have an 'id' column"),
    (b"id,comment\nitem000,x\n", "at least one of 'hoax', 'election'"),
    ("id,hoax\nitem000,1\ncaf\xe9,0\n".encode("latin-1"), "not UTF-8"),
    (None, "cannot read"),
    # A workbook renamed to .csv (or sent on as labels.csv): "not UTF-8 (byte 10)" puzzled someone
    # who had saved it from Excel.
    (_workbook(), "is an Excel or LibreOffice workbook, not a CSV"),
    # Excel's "Unicode Text" cut short (a copy that stopped), and UTF-16 saved without its byte-order
    # mark (a text editor's "UCS-2 LE w/o BOM"): the latter said "must have an 'id' column (found: id hoax)".
    (b"\xff\xfe" + "id\thoax\r\nitem000\t1\r\n".encode("utf-16-le")[:-1], "is not readable UTF-16"),
    ("id\thoax\r\nitem000\t1\r\n".encode("utf-16-le"), "is not UTF-8 (it holds NUL bytes"),
])
def test_label_import_bad_files_store_nothing(demo_db, tmp_path, content, needle):
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    f = tmp_path / "bad.csv"
    if content is not None:
        f.write_bytes(content)
    r = runner.invoke(app, ["label", "import", str(f), "--by", "x", "--db", str(db)])
    assert r.exit_code == 2 and needle in flat(r) and "Traceback" not in flat(r)
    con = duckdb.connect(str(db))
    n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name='labels'").fetchone()[0]
    assert n == 0 or con.execute("SELECT count(*) FROM labels").fetchone()[0] == 0
    con.close()


# --------------------------------------------------------------------------- gate, registry, rescore


def _import_some_labels(db: Path, tmp_path: Path) -> None:
    df = pd.read_csv(PRATIWI)
    df = pd.concat([df[df["topic_id"] == 1].head(20), df[df["topic_id"] == 2].head(20)])
    rows = [f"item{i:03d},{int(df['label'].iloc[i])},0" for i in range(40)] + ["item040,0,1", "item041,0,1"]
    f = tmp_path / "l.csv"
    f.write_text("id,hoax,election\n" + "\n".join(rows) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["label", "import", str(f), "--by", "tester", "--db", str(db)])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("command", [["rescore"], ["label", "export", "-o", "to_label.csv"],
                                     ["label", "import", "labeled.csv", "--by", "Bawaslu"],
                                     ["train", "--max-base-rows", "80", "--tolerance", "1.0"]], ids=" ".join)
@pytest.mark.parametrize("given", ["--db", "SARING_DB", "neither"])
def test_a_maintainer_command_on_a_database_that_is_not_there_stops_naming_it(command, given, tmp_path,
                                                                           monkeypatch, model_home):
    # After a rollback the maintainer ran `saring rescore` from another folder (or with a typo in
    # --db): it made an empty database there and said "0 articles scored", so the digest kept the
    # rolled-back model's scores; `saring train` trained and promoted a model without any of the
    # forum's labels, and label export/import made an empty file and refused every row as unknown.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SARING_DB", raising=False)
    (tmp_path / "labeled.csv").write_text("id,hoax,election\nitem000,1,0\n", encoding="utf-8")
    typo = tmp_path / "saring.dukdb"
    if given == "--db":
        command = [*command, "--db", str(typo)]
    elif given == "SARING_DB":
        monkeypatch.setenv("SARING_DB", str(typo))
    else:
        typo = Path("data/saring.duckdb")  # the default, in a folder that has none
    r = runner.invoke(app, command)
    assert r.exit_code == 2, r.output
    assert f"no database at {typo}" in flat(r), r.output
    assert not typo.exists() and not (tmp_path / "to_label.csv").exists()
    assert not model_home.exists()  # nothing trained, nothing promoted


def test_the_retrain_flow_on_a_database_that_is_not_there_trains_nothing(tmp_path, model_home):
    # The retrain flow (flows/retrain.py) run with a mistyped db trained on no forum label at all
    # and could promote that model; it now stops before training, naming the file.
    from saring.errors import StoreError
    from saring.judge.classifier.training import retrain

    typo = tmp_path / "saring.dukdb"
    with pytest.raises(StoreError, match="no database at"):
        retrain(typo, max_base_rows=80)
    assert not typo.exists() and not model_home.exists()


def test_gate_refuses_then_promotes_rescore_and_rollback(demo_db, tmp_path, model_home):
    import duckdb

    from saring.judge.classifier import registry
    from saring.judge.classifier.score import load_scorer

    db = _copy_db(demo_db, tmp_path)
    _import_some_labels(db, tmp_path)
    shipped = load_scorer().model_version

    # Refuse path: a negative tolerance demands a clear improvement the tiny model cannot give.
    from saring import progress

    tally = progress.Tally()  # what a terminal would show as bars: evaluate current, fit, evaluate new
    with progress.reporting(tally):
        r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", "-0.5"])
    assert r.exit_code == 0, r.output
    assert "Not promoted; current model stays shipped" in flat(r) and "worse" in flat(r)
    assert tally.totals["retrain steps"] == 3 and tally.done["retrain steps"] == 3
    assert registry.current_version() == "shipped" and load_scorer().model_version == shipped

    # Promote path: a generous tolerance lets the candidate through.
    r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", "1.0"])
    assert r.exit_code == 0, r.output
    assert "Promoted v" in flat(r) and "Run `saring rescore`" in flat(r)  # as `model promote` says
    new = registry.current_version()
    bundle = json.loads((model_home / new / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["gate"]["passed"] and bundle["forum_labels"] == {"hoax": 42, "election": 42}
    assert bundle["trained_rows"]["hoax"] > 80  # base subsample + non-held-out forum labels
    # forum-labelled copies of held-out base articles are never trained on (no leak)
    assert bundle["forum_labels_not_trained_duplicate_of_heldout"]["hoax"] >= 1
    scorer = load_scorer()
    assert scorer.model_version != shipped and scorer.source == model_home / new

    r = runner.invoke(app, ["model", "list"])
    assert r.exit_code == 0 and new in flat(r) and "shipped" in flat(r)
    r = runner.invoke(app, ["rescore", "--db", str(db)])
    assert r.exit_code == 0 and "42 articles scored" in flat(r)
    con = duckdb.connect(str(db))
    versions = dict(con.execute("SELECT model_version, count(*) FROM scores GROUP BY 1").fetchall())
    assert versions == {shipped: 42, scorer.model_version: 42}
    latest = con.execute("SELECT DISTINCT model_version FROM latest_scores").fetchall()
    assert latest == [(scorer.model_version,)]
    con.close()

    r = runner.invoke(app, ["model", "rollback"])
    assert r.exit_code == 0 and "shipped" in flat(r)
    assert load_scorer().model_version == shipped
    r = runner.invoke(app, ["model", "rollback"])
    assert r.exit_code == 2 and "nothing to roll back" in flat(r)
    r = runner.invoke(app, ["model", "promote", new])
    assert r.exit_code == 0 and load_scorer().model_version == scorer.model_version
    r = runner.invoke(app, ["model", "promote", "v-does-not-exist"])
    assert r.exit_code == 2 and "unknown model version" in flat(r)
    history = [json.loads(x) for x in (model_home / "history.jsonl").read_text().splitlines()]
    assert [h["action"] for h in history] == ["promote", "rollback", "promote"]


def test_promoting_a_version_the_gate_refused_warns_with_what_it_measured(demo_db, tmp_path, model_home):
    # `saring model promote v...` of a version `saring train` had refused (worse on the held-out
    # data) said only "Current model: v...": nothing reminded the maintainer it had been measured
    # worse. It is still promoted (they may know better), with the gate's numbers on stderr.
    from saring.judge.classifier import registry

    db = _copy_db(demo_db, tmp_path)
    r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", "-0.5"])
    assert r.exit_code == 0 and "Not promoted" in flat(r), r.output
    refused = [v["version"] for v in registry.list_versions() if v["version"] != "shipped"][0]
    r = runner.invoke(app, ["model", "promote", refused])
    assert r.exit_code == 0, r.output
    assert registry.current_version() == refused
    assert "gate refused" in flat(r) and "held-out ROC-AUC" in flat(r) and "worse" in flat(r)


def test_promoting_a_version_the_gate_refused_is_recorded_as_refused_in_the_history(demo_db, tmp_path,
                                                                                    model_home):
    # The desk's models page shows the last change's reason from the history: after a maintainer
    # promoted a version the gate had refused it read "(manual)", as for any good version.
    from saring.judge.classifier import registry

    db = _copy_db(demo_db, tmp_path)
    r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", "-0.5"])
    assert r.exit_code == 0 and "Not promoted" in flat(r), r.output
    refused = [v["version"] for v in registry.list_versions() if v["version"] != "shipped"][0]
    assert runner.invoke(app, ["model", "promote", refused]).exit_code == 0
    last = registry.history()[-1]
    assert last["version"] == refused and last["reason"].startswith("manual")
    assert "gate refused" in last["reason"] and "worse" in last["reason"], last


def test_train_no_promote_says_the_gate_passed_and_how_to_promote(demo_db, tmp_path):
    # The maintainer trains with --no-promote to look before switching: the gate passed, but the
    # command said "Not promoted", which reads as the gate refusing the new version.
    from saring.judge.classifier import registry

    db = _copy_db(demo_db, tmp_path)
    _import_some_labels(db, tmp_path)
    r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", "1.0",
                            "--no-promote"])
    assert r.exit_code == 0, r.output
    version = flat(r).split("Trained ")[1].split(":")[0]
    assert "Not promoted;" not in flat(r)
    assert "gate passed" in flat(r) and "--no-promote" in flat(r)
    assert f"saring model promote {version}" in flat(r)
    assert registry.current_version() == "shipped"


def test_train_says_how_many_forum_labels_it_trained_on_held_out_and_left_out(demo_db, tmp_path, model_home):
    # The maintainer imports the forum's labels and runs `saring train`: nothing said whether they
    # were used. Labels on copies of held-out texts (one forward sent in by several members) are left
    # out, and a database with no labels at all trains on the base data alone: only bundle.json knew.
    from saring.judge.classifier.training import is_heldout_label

    db = _copy_db(demo_db, tmp_path)
    args = ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", "1.0", "--no-promote"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and "No forum labels in the database: trained on the base data only" in flat(r)
    _import_some_labels(db, tmp_path)
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    version = flat(r).split("Trained ")[1].split(":")[0]
    bundle = json.loads((model_home / version / "bundle.json").read_text(encoding="utf-8"))
    copies = bundle["forum_labels_not_trained_duplicate_of_heldout"]
    held = sum(is_heldout_label(f"item{i:03d}") for i in range(42))
    assert copies["hoax"] >= 1
    for task in ("hoax", "election"):
        assert (f"{task} 42 ({42 - held - copies[task]} trained on, {held} held out for the gate, "
                f"{copies[task]} left out: copies of held-out texts)") in flat(r), flat(r)


def test_heldout_labels_are_never_trained_on():
    """The forum labels that reach training leave out held-out items and copies of held-out
    base articles; the held-out ones go to the gate's evaluation set instead."""
    from types import SimpleNamespace

    from saring.judge.classifier.textnorm import dedup_key
    from saring.judge.classifier.training import _forum_rows, heldout_sets, is_heldout_label

    ids = [f"item{i:03d}" for i in range(1000)]
    share = sum(map(is_heldout_label, ids)) / len(ids)
    assert 0.15 < share < 0.25
    assert [is_heldout_label(i) for i in ids[:50]] == [is_heldout_label(i) for i in ids[:50]]

    base_held = pd.DataFrame({"text": ["Beredar kabar KPU Kota Batu memindahkan TPS pada malam hari"],
                              "label": [1]})
    labels = pd.DataFrame({"item_id": ids[:200], "label": [i % 2 for i in range(200)],
                           "text": [f"Label nomor {i} tentang pemilu dan kabar viral" for i in range(200)]})
    copy_at = next(i for i, x in enumerate(ids) if not is_heldout_label(x))  # not held out by its id
    labels.loc[copy_at, "text"] = base_held["text"][0]  # but a copy of a held-out base article
    dropped: dict[str, int] = {}
    trained = _forum_rows(labels, {dedup_key(t) for t in base_held["text"]}, dropped, "hoax")
    trained_ids = set(trained["group"].str.removeprefix("forum:"))
    held_ids = {x for x in ids[:200] if is_heldout_label(x)}
    assert held_ids and not trained_ids & held_ids
    assert ids[copy_at] not in trained_ids and dropped == {"hoax": 1}
    assert trained_ids == set(ids[:200]) - held_ids - {ids[copy_at]}  # every other label is used
    sets = heldout_sets(SimpleNamespace(hoax_heldout=base_held, election_heldout=base_held.iloc[:0]),
                        {"hoax": labels})
    held_texts = set(labels.loc[labels["item_id"].isin(held_ids), "text"])
    assert set(sets["hoax"]["text"]) == held_texts | set(base_held["text"])


def test_a_copy_of_a_heldout_forum_label_is_not_trained_on():
    # The same forward reaches the tipline from several members (one item each, the same text),
    # and an agency's release runs word for word in several outlets. Labelled, 1 copy in 5 was
    # held out by its id and the others trained on: the candidate had seen the gate's texts and
    # passed it against a current model that had not.
    from types import SimpleNamespace

    from saring.judge.classifier.training import _forum_rows, heldout_keys, is_heldout_label

    ids = [f"item{i:03d}" for i in range(200)]
    held = next(x for x in ids if is_heldout_label(x))
    copies = [x for x in ids if not is_heldout_label(x)][:3]
    forward = SEEDS[0].read_text(encoding="utf-8")
    labels = pd.DataFrame({"item_id": [held, *copies, "item199"], "label": [1, 1, 1, 1, 0],
                           "text": [forward, forward, forward.upper(), "Judul\n" + forward, "lain"],
                           "body": [forward, forward, forward.upper(), forward, "lain"]})
    base = SimpleNamespace(hoax_heldout=pd.DataFrame({"text": ["x"], "label": [1]}),
                           election_heldout=pd.DataFrame({"text": ["y"], "label": [0]}))
    dropped: dict[str, int] = {}
    trained = _forum_rows(labels, heldout_keys(base, {"hoax": labels}), dropped, "hoax")
    assert list(trained["group"]) == ["forum:item199"] and dropped == {"hoax": 3}


def _forward_chat(store, scorer) -> None:
    """Import the bundled tipline chat and store its forwards, scored, as the tipline flow does."""
    from saring.collect.tipline import import_chat
    from saring.config import FetchSettings
    from saring.pipeline.forwarded import feed_tipline

    chat = REPO / "tests" / "fixtures" / "social" / "WhatsApp Chat dengan Bakohumas Kota Batu.txt"
    started = datetime.now(UTC)
    result = import_chat(store.con, chat, b"uji-rahasia-label-0123456789")
    feed_tipline(store, since=started, fetch=FetchSettings(retries=0, timeout=2), scorer=scorer,
                 scrubber=result.scrubber)


def _purge_all(store) -> None:
    """Retention purges every forward's text (all of them older than 0 days)."""
    from saring.collect.retention import purge_tipline

    purge_tipline(store, 0, now=datetime.now(UTC) + timedelta(seconds=1))


def test_labels_on_forwarded_messages_whose_text_was_purged_are_not_trained_on(tmp_path, scorer):
    # The forum labelled forwarded chat messages on the desk; 30 days later the morning flow's
    # retention purged their text (UU 27/2022). A retrain must not learn the placeholder left in
    # their place ("(pesan dihapus: masa simpan habis)") as a hoax, nor gate on it.
    from saring.collect.retention import PURGED_TITLE
    from saring.judge.labels import add_label, current_labels
    from saring.storage.database import Store

    with Store(tmp_path / "saring.duckdb") as store:
        _forward_chat(store, scorer)
        messages = [i for (i,) in store.con.execute(
            "SELECT item_id FROM item_overview WHERE text_source = 'tipline' ORDER BY item_id").fetchall()]
        assert len(messages) >= 2
        for n, item_id in enumerate(messages):
            add_label(store.con, item_id, "hoax", n % 2, "rina")
        assert len(current_labels(store.con, "hoax")) == len(messages)
        _purge_all(store)
        after = current_labels(store.con, "hoax")
    assert PURGED_TITLE not in set(after["text"]) and after["text"].notna().all()
    assert set(after["item_id"]).isdisjoint(messages)


def test_a_labelled_forward_is_trained_on_as_the_scorer_reads_it(tmp_path):
    # The scorer reads a forward's masks as stand-ins of their kind ("[nomor disamarkan]" as a
    # phone number); a retrain learning the mask words instead would learn another text.
    from saring.collect.scrub import MASK_PHONE, STAND_INS
    from saring.judge.labels import add_label, current_labels
    from saring.storage.database import Store

    with Store(tmp_path / "saring.duckdb") as store:
        store.con.execute("INSERT INTO items (item_id, url, source_id, title, first_seen_at, state) VALUES "
                          "('f1', 'https://tipline.saring.invalid/f1', 'tipline', ?, now(), 'scored')",
                          [f"Info penting, hubungi {MASK_PHONE} sekarang"])
        store.con.execute("INSERT INTO articles (item_id, text, text_source, fetched_at) "
                          "VALUES ('f1', ?, 'tipline', now())",
                          [f"Info penting, hubungi {MASK_PHONE} sekarang"])
        add_label(store.con, "f1", "hoax", 1, "rina")
        [text] = current_labels(store.con, "hoax")["text"]
    assert STAND_INS[MASK_PHONE] in text and MASK_PHONE not in text


def test_a_labelled_article_whose_page_could_not_be_read_is_trained_on_its_title(tmp_path, scorer):
    # An outlet answered 403, so the article was scored on its headline alone; a member labelled
    # it on the desk, and `saring train` (and the retrain flow) stopped with a TypeError.
    from saring.judge.labels import add_label, current_labels
    from saring.pipeline.ingest import score_pending
    from saring.storage.database import Store

    seed = SEEDS[0].read_text(encoding="utf-8")
    headline = seed.split("\n")[0]
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    with Store(tmp_path / "saring.duckdb") as store:
        store.add_items([dict(item_id=i, url=f"https://news.example/{i}", source_id="src", title=headline,
                              first_seen_at=now, state="seen") for i in ("read", "refused")])
        store.save_articles([dict(item_id="read", text=seed, text_source="page"),
                             dict(item_id="refused", text=None, extraction_error="HTTP 403")])
        score_pending(store, scorer)
        for item_id in ("read", "refused"):
            add_label(store.con, item_id, "hoax", 0, "rina")
        labels = current_labels(store.con, "hoax").set_index("item_id")
    assert labels.loc["refused", "text"].strip() == headline  # as it was scored
    assert labels.loc["read", "text"] == seed


def test_forwarded_messages_whose_text_was_purged_are_not_offered_for_labelling(tmp_path, scorer):
    # 30 days after a chat was imported, retention purged its messages' text: the label export
    # offered them anyway, as "(pesan dihapus: masa simpan habis)" with an empty excerpt, and a
    # label given to them is never trained on.
    from saring.collect.retention import PURGED_TITLE
    from saring.storage.database import Store

    db = tmp_path / "saring.duckdb"
    with Store(db) as store:
        _forward_chat(store, scorer)
        _purge_all(store)
        purged = {i for (i,) in store.con.execute(
            "SELECT item_id FROM item_overview WHERE source_id = 'tipline' AND text IS NULL").fetchall()}
    assert purged
    out = tmp_path / "to_label.csv"
    r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(out)])
    assert r.exit_code == 0, r.output
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert PURGED_TITLE not in set(exported["title"]) and not purged & set(exported["id"])


def test_labels_on_forwarded_messages_purged_since_the_export_are_passed_over_and_said_so(demo_db, tmp_path,
                                                                                       scorer):
    # The forum filled in an export for weeks; meanwhile retention purged the forwarded messages'
    # text. The import stored their labels and counted them as stored, though they are never
    # trained on: the maintainer believed the forum's work on them had been taken in.
    import csv

    import duckdb

    from saring.storage.database import Store

    db = _copy_db(demo_db, tmp_path)  # news articles, and then the forwards of a chat
    with Store(db) as store:
        _forward_chat(store, scorer)
    exported = tmp_path / "to_label.csv"
    r = runner.invoke(app, ["label", "export", "--db", str(db), "-o", str(exported)])
    assert r.exit_code == 0, r.output
    with exported.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        row[-2:] = ["1", "1"]
    with exported.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with Store(db) as store:
        _purge_all(store)
        purged = {i for (i,) in store.con.execute(
            "SELECT item_id FROM item_overview WHERE source_id = 'tipline' AND text IS NULL").fetchall()}
    offered = {row[0] for row in rows[1:]}
    assert purged & offered and offered - purged

    r = runner.invoke(app, ["label", "import", str(exported), "--by", "Bawaslu", "--db", str(db)])
    assert r.exit_code == 0, r.output
    n = len(purged & offered)
    assert f"{len(offered - purged)} rows stored" in flat(r)
    assert f"{n} rows passed over: forwarded messages whose text retention deleted" in flat(r)
    con = duckdb.connect(str(db), read_only=True)
    stored = {i for (i,) in con.execute("SELECT DISTINCT item_id FROM labels").fetchall()}
    con.close()
    assert stored == offered - purged


def test_fixed_split_has_no_claim_in_both():
    from saring.judge.classifier.training import ELECTION_HELDOUT_FROM, HOAX_HELDOUT_TOPICS, base_splits

    sp = base_splits()
    assert not set(sp.hoax_train["group"]) & set(sp.hoax_heldout["group"])
    held_pratiwi = sp.hoax_heldout[sp.hoax_heldout["dataset"] == "pratiwi"]
    assert set(held_pratiwi["topic_id"]) == set(HOAX_HELDOUT_TOPICS)
    assert set(sp.hoax_heldout["dataset"]) == {"pratiwi", "idnhoax"}
    # Time split: every training article is older than every held-out one, for both models.
    assert sp.election_train["date"].max() < ELECTION_HELDOUT_FROM <= sp.election_heldout["date"].min()
    news_in_hoax = sp.hoax_train[sp.hoax_train["dataset"] == "indosum"]
    assert news_in_hoax["date"].max() < ELECTION_HELDOUT_FROM
    held = pd.read_csv(REPO / "classifiers/data/heldout/hoax_cross_topic.csv")
    assert sorted(held["row_id"]) == sorted(held_pratiwi["row_id"])
    newest = pd.read_csv(REPO / "classifiers/data/heldout/election_indosum_newest.csv")
    assert sorted(newest["row_id"]) == sorted(sp.election_heldout["row_id"])


def _copy_shipped_as(model_home: Path, version: str) -> Path:
    """A registry version with the shipped model files under another version name (the files and
    their checksums are unchanged, so it loads like any retrained version without training)."""
    import shutil

    out = model_home / version
    out.mkdir(parents=True)
    for task in ("hoax", "election"):
        shutil.copy(REPO / "classifiers" / f"{task}.skops", out / f"{task}.skops")
        card = json.loads((REPO / "classifiers" / f"{task}.json").read_text(encoding="utf-8"))
        card["version"] = f"{task}-{version}"
        (out / f"{task}.json").write_text(json.dumps(card), encoding="utf-8")
    (out / "bundle.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    return out


def test_a_cut_history_line_or_a_broken_bundle_json_does_not_stop_scoring(model_home, caplog):
    # The disk filled up while `saring model promote` wrote its line, and a version's bundle.json
    # was cut by a power failure: every load_scorer (the morning flow, the desk) and
    # `saring model list` died with a JSONDecodeError traceback.
    import logging

    from saring.judge.classifier import registry
    from saring.judge.classifier.score import load_scorer

    _copy_shipped_as(model_home, "v-copy")
    _copy_shipped_as(model_home, "v-cut")
    assert runner.invoke(app, ["model", "promote", "v-copy"]).exit_code == 0
    with (model_home / "history.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"at": "2026-11-25T01:00:00+00:00", "action": "promote", "vers')  # no end of line
    (model_home / "v-cut" / "bundle.json").write_text('{"version": "v-cut", "gate": {"pas', encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="saring.judge.classifier.registry"):
        assert load_scorer().source == model_home / "v-copy"  # the last complete promotion stands
        r = runner.invoke(app, ["model", "list"])
    assert r.exit_code == 0 and "Traceback" not in flat(r), r.output
    assert "v-cut" in flat(r) and "unreadable" in flat(r)
    warned = " ".join(caplog.messages)
    assert "line 2 of" in warned and "history.jsonl" in warned
    assert "v-cut" in warned and "bundle.json" in warned

    # The next promotion after the cut line is kept (not glued onto it and lost).
    assert runner.invoke(app, ["model", "promote", "shipped"]).exit_code == 0
    assert registry.current_version() == "shipped"
    assert runner.invoke(app, ["model", "rollback"]).exit_code == 0
    assert registry.current_version() == "v-copy"


@pytest.mark.parametrize("lost", ["election.skops", "election.json", "hoax.json"])
def test_a_promoted_version_missing_a_file_says_to_roll_back(demo_db, tmp_path, model_home, lost):
    # A version folder copied to a new server without one of its files: every run and the desk
    # stopped with "election.skops is missing: run `make train`", which rebuilds the shipped
    # models and leaves the broken version current; the way out is a rollback.
    db = _copy_db(demo_db, tmp_path)
    _copy_shipped_as(model_home, "v-copy")
    assert runner.invoke(app, ["model", "promote", "v-copy"]).exit_code == 0
    (model_home / "v-copy" / lost).unlink()
    r = runner.invoke(app, ["rescore", "--db", str(db)])
    assert r.exit_code == 2, r.output
    assert "v-copy" in flat(r) and "saring model rollback" in flat(r) and "make train" not in flat(r)
    assert runner.invoke(app, ["model", "rollback"]).exit_code == 0
    assert runner.invoke(app, ["rescore", "--db", str(db)]).exit_code == 0


def _promote_damaged_copy(model_home, damage: str) -> None:
    """Promote a copy of the shipped models as "v-copy", then damage it: its hoax.skops ("changed")
    or its card cut ("card cut")."""
    _copy_shipped_as(model_home, "v-copy")
    assert runner.invoke(app, ["model", "promote", "v-copy"]).exit_code == 0
    if damage == "changed":
        data = bytearray((model_home / "v-copy" / "hoax.skops").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (model_home / "v-copy" / "hoax.skops").write_bytes(bytes(data))
    else:
        card = model_home / "v-copy" / "hoax.json"
        card.write_bytes(card.read_bytes()[:40])


@pytest.mark.parametrize("damage", ["changed", "card cut"])
def test_a_promoted_version_whose_file_is_damaged_says_to_roll_back(demo_db, tmp_path, model_home, damage):
    # A promoted version's hoax.skops damaged on disk (a bad copy, a disk error) or its card cut:
    # every run said "run `make train`", which rebuilds the shipped models and leaves the
    # broken version current; the way out is a rollback.
    db = _copy_db(demo_db, tmp_path)
    _promote_damaged_copy(model_home, damage)
    r = runner.invoke(app, ["rescore", "--db", str(db)])
    assert r.exit_code == 2, r.output
    assert "v-copy" in flat(r) and "saring model rollback" in flat(r) and "make train" not in flat(r)
    assert runner.invoke(app, ["model", "rollback"]).exit_code == 0
    assert runner.invoke(app, ["rescore", "--db", str(db)]).exit_code == 0


def test_promoting_a_damaged_version_says_to_choose_another_or_train_a_new_one(model_home):
    # A trained version's hoax.skops damaged on disk (a bad copy) before anyone promoted it:
    # `saring model promote` refused it, rightly, but said "run `make train`", which a forum
    # maintainer does not have and which rebuilds only the shipped models.
    from saring.judge.classifier import registry

    _copy_shipped_as(model_home, "v-copy")
    data = bytearray((model_home / "v-copy" / "hoax.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_home / "v-copy" / "hoax.skops").write_bytes(bytes(data))
    r = runner.invoke(app, ["model", "promote", "v-copy"])
    assert r.exit_code == 2, r.output
    assert "v-copy" in flat(r) and "make train" not in flat(r), flat(r)
    assert "saring model list" in flat(r) and "saring train" in flat(r)
    assert registry.current_version() == "shipped"


def test_promoting_a_version_a_stopped_retrain_left_without_its_bundle_json_is_refused_saying_so(model_home):
    # The server was restarted while `saring train` wrote its version: both model files and cards
    # were written, bundle.json (written last) was not. `saring model promote` made it current, and
    # `saring model list` then hid it and marked no version as current.
    from saring.judge.classifier import registry

    (_copy_shipped_as(model_home, "v-cut") / "bundle.json").unlink()
    r = runner.invoke(app, ["model", "promote", "v-cut"])
    assert r.exit_code == 2, r.output
    assert "v-cut" in flat(r) and "incomplete" in flat(r) and "bundle.json" in flat(r), flat(r)
    assert "saring model list" in flat(r) and "saring train" in flat(r), flat(r)
    assert registry.current_version() == "shipped" and registry.history() == []
    r = runner.invoke(app, ["model", "list"])
    assert r.exit_code == 0 and "*" in flat(r), r.output


def _version_of_another_structure(model_home: Path, version: str, v2_card: bool) -> Path:
    """A registry version whose files load safely (checksums match, only scikit-learn inside) but
    are not saring's pipelines: a TF-IDF + logistic regression from an analyst's notebook."""
    import hashlib

    import skops.io as sio
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    out = model_home / version
    out.mkdir(parents=True)
    texts = [p.read_text(encoding="utf-8") for p in SEEDS] + pd.read_csv(PRATIWI)["berita"].head(4).tolist()
    labels = [i % 2 for i in range(len(texts))]
    notebook = Pipeline([("tfidf", TfidfVectorizer()), ("clf", LogisticRegression())]).fit(texts, labels)
    data = sio.dumps(notebook)
    for task in ("hoax", "election"):
        (out / f"{task}.skops").write_bytes(data)
        card = json.loads((REPO / "classifiers" / f"{task}.json").read_text(encoding="utf-8"))
        card.update(version=f"{task}-{version}", sha256=hashlib.sha256(data).hexdigest())
        if not v2_card:  # read as a model file from before the v2 pipelines
            card.pop("pipeline_format")
        (out / f"{task}.json").write_text(json.dumps(card), encoding="utf-8")
    (out / "bundle.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    return out


@pytest.mark.parametrize("v2_card", [True, False], ids=["v2 card", "v1 card"])
def test_promoting_a_version_of_another_structure_says_to_choose_another_or_train_a_new_one(
        model_home, v2_card):
    # A notebook's model dropped into the registry as a version: `saring model promote` refused it,
    # rightly, but said "Run `make train` to rebuild it", which a forum maintainer does not have
    # and which rebuilds only the shipped models.
    from saring.judge.classifier import registry

    _version_of_another_structure(model_home, "v-odd", v2_card)
    r = runner.invoke(app, ["model", "promote", "v-odd"])
    assert r.exit_code == 2, r.output
    assert "structure" in flat(r) and "make train" not in flat(r), flat(r)
    assert "saring model list" in flat(r) and "saring train" in flat(r)
    assert registry.current_version() == "shipped"


def test_promoting_the_current_version_once_it_is_damaged_says_to_roll_back(model_home):
    # The promoted version's hoax.skops was damaged on disk; every run failed, and the maintainer
    # promoted it again to "repair" it: saring said to promote another one, not that this is the
    # current version and a rollback is the way out.
    from saring.judge.classifier import registry

    _copy_shipped_as(model_home, "v-copy")
    assert runner.invoke(app, ["model", "promote", "v-copy"]).exit_code == 0
    r = runner.invoke(app, ["model", "promote", "v-copy"])  # whole, it is only already current
    assert r.exit_code == 2 and "already the current model version" in flat(r), flat(r)
    data = bytearray((model_home / "v-copy" / "hoax.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_home / "v-copy" / "hoax.skops").write_bytes(bytes(data))
    r = runner.invoke(app, ["model", "promote", "v-copy"])
    assert r.exit_code == 2, r.output
    assert "current model version" in flat(r) and "saring model rollback" in flat(r), flat(r)
    assert "promote another" not in flat(r)
    assert registry.current_version() == "v-copy"


@pytest.mark.parametrize("damage", ["changed", "deleted", "another structure"])
def test_rolling_back_to_a_version_that_no_longer_loads_is_refused_and_says_what_to_promote(
        model_home, damage):
    # The version before the current one was damaged on disk, deleted to free space, or is of a
    # structure this saring no longer reads: `saring model rollback` said "Current model: v-old"
    # and the failure only showed at the next morning run, with no digest that day.
    import shutil

    from saring.judge.classifier import registry

    _copy_shipped_as(model_home, "v-new")
    if damage == "another structure":
        _version_of_another_structure(model_home, "v-old", v2_card=True)
        # promoted by hand in the history, as an older saring that did not check it would have
        with (model_home / "history.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"at": "2026-11-20T01:00:00+00:00", "action": "promote",
                                 "version": "v-old", "previous": "shipped", "reason": "manual"}) + "\n")
    else:
        _copy_shipped_as(model_home, "v-old")
        assert runner.invoke(app, ["model", "promote", "v-old"]).exit_code == 0
    assert runner.invoke(app, ["model", "promote", "v-new"]).exit_code == 0
    if damage == "changed":
        data = bytearray((model_home / "v-old" / "hoax.skops").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (model_home / "v-old" / "hoax.skops").write_bytes(bytes(data))
    elif damage == "deleted":
        shutil.rmtree(model_home / "v-old")
    r = runner.invoke(app, ["model", "rollback"])
    assert r.exit_code == 2, r.output
    assert "v-old" in flat(r) and "saring model promote" in flat(r) and "make train" not in flat(r), flat(r)
    assert registry.current_version() == "v-new"
    assert [h["action"] for h in registry.history()][-1] == "promote"


def test_rescore_after_rollback_serves_the_rolled_back_to_version(demo_db, tmp_path, model_home):
    # The maintainer promotes a retrained model, rescores, finds it worse and rolls back: the
    # digest and the desk must show the old version's scores again after `saring rescore`,
    # although that version's scores are already stored (older than the rolled-back ones).
    import duckdb

    db = _copy_db(demo_db, tmp_path)
    _copy_shipped_as(model_home, "v-copy")
    con = duckdb.connect(str(db))
    shipped = con.execute("SELECT DISTINCT model_version FROM scores").fetchall()
    con.close()
    assert len(shipped) == 1

    r = runner.invoke(app, ["model", "promote", "v-copy"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["rescore", "--db", str(db)])
    assert r.exit_code == 0 and "42 articles scored" in flat(r)
    r = runner.invoke(app, ["model", "rollback"])
    assert r.exit_code == 0 and "shipped" in flat(r) and "saring rescore" in flat(r)
    r = runner.invoke(app, ["rescore", "--db", str(db)])
    assert r.exit_code == 0 and "42 articles scored" in flat(r)

    def served_and_stored():
        con = duckdb.connect(str(db))
        served = con.execute("SELECT DISTINCT model_version FROM item_overview").fetchall()
        versions = dict(con.execute("SELECT model_version, count(*) FROM scores GROUP BY 1").fetchall())
        con.close()
        return served, versions

    copy = "election-v-copy+hoax-v-copy"
    assert served_and_stored() == (shipped, {shipped[0][0]: 42, copy: 42})  # history kept, no copies
    # Promoting the same version again: its stored scores are served again, not the shipped ones.
    r = runner.invoke(app, ["model", "promote", "v-copy"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["rescore", "--db", str(db)])
    assert r.exit_code == 0 and "42 articles scored" in flat(r)
    assert served_and_stored() == ([(copy,)], {shipped[0][0]: 42, copy: 42})
    r = runner.invoke(app, ["rescore", "--db", str(db)])  # nothing left to do: a second run is idle
    assert r.exit_code == 0 and "0 articles scored" in flat(r)


def test_a_running_desk_checks_with_the_version_current_after_a_rollback(demo_db, tmp_path, model_home):
    # `saring web` runs for weeks. The maintainer promotes a retrained model, finds it worse and
    # rolls back: the forum's checks on the running desk must be scored by the rolled-back-to
    # version (the one its Model page names), not by the one loaded when the desk started.
    import re

    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user
    from saring.judge.classifier.score import model_version

    db = _copy_db(demo_db, tmp_path)
    add_user(db, "rina", "kata-sandi-rahasia")
    _copy_shipped_as(model_home, "v-copy")
    assert runner.invoke(app, ["model", "promote", "v-copy"]).exit_code == 0
    client = TestClient(create_app(db, secret_key="test-key"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia", "next": "/"})

    def checked_with(text: str) -> str:
        page = client.get("/check").text
        r = client.post("/check", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1),
                                        "q": text})
        assert r.status_code == 200, r.text[-2000:]
        return re.search(r"Model (\S+) ·", r.text).group(1)

    seed = SEEDS[0].read_text(encoding="utf-8")
    copy = "election-v-copy+hoax-v-copy"
    assert checked_with(seed) == copy
    r = runner.invoke(app, ["model", "rollback"])
    assert r.exit_code == 0 and "shipped" in flat(r)
    assert checked_with(SEEDS[1].read_text(encoding="utf-8")) == model_version() != copy


def test_the_desk_s_models_page_says_the_last_model_change_in_indonesian(demo_db, tmp_path, model_home):
    # After the weekly retrain promoted a model, forum members read on the desk's Model page
    # "Perubahan terakhir: promote 2026... (gate passed: hoax held-out ROC-AUC 0.912 vs current ...)";
    # after a rollback "rollback shipped (manual)". The English detail stays in the CLI and history.
    import re

    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user
    from saring.judge.classifier import registry

    db = _copy_db(demo_db, tmp_path)
    add_user(db, "rina", "kata-sandi-rahasia")
    client = TestClient(create_app(db, secret_key="test-key"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia", "next": "/"})

    def last_change() -> str:
        page = client.get("/models").text
        return re.search(r"<dt>Perubahan terakhir</dt><dd>(.*?)</dd>", page, re.S).group(1)

    r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", "1.0"])
    assert r.exit_code == 0 and registry.current_version() != "shipped", r.output
    assert "gate passed" in registry.history()[-1]["reason"]  # the maintainer's detail is kept
    promoted = last_change()
    assert f"model {registry.current_version()} dipasang otomatis" in promoted, promoted
    assert runner.invoke(app, ["model", "rollback"]).exit_code == 0
    rolled_back = last_change()
    assert "dikembalikan ke model bawaan" in rolled_back, rolled_back
    refused = _copy_shipped_as(model_home, "v-refused")  # measured worse, promoted by hand all the same
    gate = {"passed": False, "reason": "hoax held-out ROC-AUC 0.700 vs current 0.871 (worse)"}
    (refused / "bundle.json").write_text(json.dumps({"version": "v-refused", "gate": gate}), encoding="utf-8")
    assert runner.invoke(app, ["model", "promote", "v-refused"]).exit_code == 0
    by_hand = last_change()
    assert "model v-refused dipasang oleh pengelola, walau tidak lolos uji" in by_hand, by_hand
    for shown in (promoted, rolled_back, by_hand):
        assert not re.search(r"promote|rollback|gate|manual|ROC-AUC|held-out", shown), shown


def test_the_desk_s_models_page_shows_each_retrained_version_s_held_out_numbers_the_current_one_marked(
        demo_db, tmp_path, model_home):
    # After two weekly retrains (one refused by the gate, one promoted) the desk's Model page showed
    # the current version's name and no number at all: a retrained version's cards hold none, its
    # held-out numbers are in its bundle.json. A forum member could not see what the change bought.
    import re

    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user
    from saring.judge.classifier import registry

    db = _copy_db(demo_db, tmp_path)
    add_user(db, "rina", "kata-sandi-rahasia")
    for tolerance in ("-0.5", "1.0"):  # refused, then promoted
        r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "80", "--tolerance", tolerance])
        assert r.exit_code == 0, r.output
        assert "Fact-check floor: the set rule (0 forum hoax labels on items with" in flat(r), r.output
    refused, promoted = sorted(p.name for p in model_home.iterdir() if p.is_dir())
    assert registry.current_version() == promoted
    client = TestClient(create_app(db, secret_key="test-key"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia", "next": "/"})
    page = client.get("/models")
    assert page.status_code == 200, page.text[-2000:]
    shown = {m.group(1): m.group(2) for m in re.finditer(
        r'<div class="version"><p><strong>([^<]+)</strong>(.*?)</div>', page.text, re.S)}
    assert set(shown) == {"shipped", refused, promoted}, page.text[-3000:]
    for version in (refused, promoted):
        gate = json.loads((model_home / version / "bundle.json").read_text(encoding="utf-8"))["gate"]
        for task, said in (("hoax", "Hoaks"), ("election", "Pemilu")):
            m = gate["candidate"][task]
            assert (f"{said} (n={m['n']}): ROC-AUC {m['roc_auc']:.3f}, PR-AUC {m['pr_auc']:.3f}, "
                    f"F1 {m['f1']:.3f}") in shown[version], shown[version]
    assert "tidak lolos uji" in shown[refused] and "tidak lolos" not in shown[promoted]
    assert [v for v, text in shown.items() if "aktif" in text] == [promoted]
    # Which fact-check floor serves: the rule, with how far the forum's labels are from fitting it
    assert ("Batas bawah risiko dari cek fakta</strong>: aturan tetap (0 label forum pada berita yang "
            "cocok dengan cek fakta; disesuaikan mulai 30)") in page.text
    card_path = model_home / promoted / "hoax.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["evidence_floor"] = dict(kind="fitted", intercept=-4.0, slope=6.0, labels=41, factchecks=6)
    card_path.write_text(json.dumps(card), encoding="utf-8")
    assert ("Batas bawah risiko dari cek fakta</strong>: disesuaikan dengan 41 label forum (6 cek fakta)"
            in client.get("/models").text)


def test_forum_labels_are_trained_on_the_text_as_it_is_scored(ingested):
    # Scoring reads an article as "title\ntext" (the hoax model reads the start first); the
    # forum's labels were trained on the body alone, so a retrain learned from texts without the
    # headline the label was given for.
    from saring.judge.labels import add_label, current_labels
    from saring.storage.database import Store

    with Store(ingested) as store:
        item_id, title, text = store.con.execute(
            "SELECT item_id, title, text FROM item_overview WHERE source_id = 'malangpost' "
            "AND text IS NOT NULL AND title IS NOT NULL ORDER BY item_id LIMIT 1").fetchone()
        add_label(store.con, item_id, "hoax", 0, "rina")
        (row,) = current_labels(store.con, "hoax").itertuples()
    assert row.text == f"{title}\n{text}"


def test_rescore_after_a_switch_keeps_the_scores_purged_forwards_were_given_on_their_text(demo_db, tmp_path,
                                                                                         model_home, scorer):
    # Retention purged the forwarded messages' text (only "(pesan dihapus: masa simpan habis)" is
    # left); the maintainer then promotes a retrained model and runs `saring rescore`, as told. Every
    # purged forward was scored again on that placeholder: all got the same score, their reasons
    # gone, and the digest re-reported old rumours whose score had "changed".
    import duckdb

    from saring.storage.database import Store

    db = _copy_db(demo_db, tmp_path)
    with Store(db) as store:
        _forward_chat(store, scorer)
        _purge_all(store)

    def purged_scores():
        con = duckdb.connect(str(db), read_only=True)
        rows = dict(con.execute(
            """SELECT item_id, round(hoax_score, 6) FROM item_overview
               WHERE source_id = 'tipline' AND text IS NULL""").fetchall())
        con.close()
        return rows

    before = purged_scores()
    assert len(before) >= 2 and len(set(before.values())) >= 2  # scored on their own texts
    _copy_shipped_as(model_home, "v-copy")  # the same model: a score on the text would not change
    for switch in (["model", "promote", "v-copy"], ["model", "rollback"]):
        r = runner.invoke(app, switch)
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["rescore", "--db", str(db)])
        assert r.exit_code == 0, r.output
        assert purged_scores() == before


@pytest.mark.parametrize("damage", ["changed", "card cut"])
def test_training_over_a_damaged_current_version_says_to_roll_back(demo_db, tmp_path, model_home, damage):
    # The promoted version's card was cut (a full disk) or its hoax.skops damaged (a bad copy);
    # the maintainer runs `saring train` to replace it: a JSONDecodeError traceback, or, after the
    # whole training, "restore the shipped models with `git checkout`", which leaves it current.
    db = _copy_db(demo_db, tmp_path)
    _promote_damaged_copy(model_home, damage)
    r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "60", "--tolerance", "1.0"])
    assert r.exit_code == 2, r.output
    assert "v-copy" in flat(r) and "saring model rollback" in flat(r) and "git checkout" not in flat(r)
    assert sorted(p.name for p in model_home.iterdir()) == ["history.jsonl", "v-copy"]  # no half version


@pytest.mark.parametrize("damage", ["changed", "another structure"])
def test_training_over_a_current_version_that_does_not_load_stops_before_fitting_the_new_one(
        demo_db, tmp_path, model_home, damage):
    # The promoted version's hoax.skops was damaged by a bad copy, or it is a notebook's model
    # promoted by an older saring: `saring train` fitted the whole new version (minutes on the
    # full data) and only then, measuring the current one for the gate, said to roll back.
    from saring import progress

    db = _copy_db(demo_db, tmp_path)
    if damage == "changed":
        _promote_damaged_copy(model_home, damage)
    else:
        _version_of_another_structure(model_home, "v-copy", v2_card=True)
        (model_home / "history.jsonl").write_text(json.dumps(
            {"at": "2026-11-20T01:00:00+00:00", "action": "promote", "version": "v-copy",
             "previous": "shipped", "reason": "manual"}) + "\n", encoding="utf-8")
    tally = progress.Tally()  # the steps a terminal shows: none may finish before the refusal
    with progress.reporting(tally):
        r = runner.invoke(app, ["train", "--db", str(db), "--max-base-rows", "60", "--tolerance", "1.0"])
    assert r.exit_code == 2, r.output
    assert "v-copy" in flat(r) and "saring model rollback" in flat(r), flat(r)
    assert tally.done.get("retrain steps", 0) == 0, tally.done
    assert sorted(p.name for p in model_home.iterdir()) == ["history.jsonl", "v-copy"]


def test_a_version_with_a_fitted_fact_check_floor_serves_it_and_the_next_run_moves_stored_floors(
        ingested, model_home):
    # A retrain that fits the fact-check floor on the forum's labels stores it in the new version's
    # hoax card. Promoted, it must serve everywhere the rule did, on the floors stored for earlier
    # items too (else the digest kept the old rule for them); a rollback brings the rule back.
    from saring.config import DigestSettings
    from saring.judge.classifier.evidence import FittedFloor, best_evidence, floor_for
    from saring.pipeline.link import link_items
    from saring.storage.database import Store

    high, medium = DigestSettings().high, DigestSettings().medium
    out = _copy_shipped_as(model_home, "v-fitted")
    card = json.loads((out / "hoax.json").read_text(encoding="utf-8"))
    card["evidence_floor"] = {"kind": "fitted", "intercept": -4.0, "slope": 6.0}
    (out / "hoax.json").write_text(json.dumps(card), encoding="utf-8")
    curve = FittedFloor(-4.0, 6.0)

    def linked() -> list[tuple[str, float, str, float, float]]:
        with Store(ingested) as store:
            link_items(store, since=datetime.now(UTC), stories_window=3.0)
            return store.con.execute(
                "SELECT e.item_id, e.similarity, e.verdict, e.floor, s.hoax_score FROM hoax_evidence e "
                "JOIN served_scores s USING (item_id) ORDER BY 1").fetchall()

    before = linked()
    assert before and all(f == pytest.approx(floor_for(s, v, high, medium)) for _, s, v, f, _ in before)
    assert runner.invoke(app, ["model", "promote", "v-fitted"]).exit_code == 0
    fitted = linked()
    assert [f for *_, f, _ in fitted] == pytest.approx([curve.floor(s, high) for _, s, *_ in fitted])
    assert all(new[3] < old[3] for new, old in zip(fitted, before, strict=True))  # this curve lies lower
    assert all(served >= floor for *_, floor, served in fitted)
    # a message checked at the desk or by `saring check` meets the same floor
    match = ("f1", "[HOAKS] Facebook ditutup", None, "HOAKS", 0.35)
    ev = best_evidence([match], "Facebook akan ditutup", high)
    assert ev is not None and ev.floor == curve.floor(0.35, high)
    assert runner.invoke(app, ["model", "rollback"]).exit_code == 0
    assert linked() == before


def test_models_served_from_saring_models_serve_their_own_fact_check_floor(model_home, monkeypatch):
    # $SARING_MODELS serves a model folder outside the registry: its hoax card's floor is the one
    # that serves, not the registry's current version's.
    from saring.judge.classifier.evidence import FittedFloor, served_floor

    out = _copy_shipped_as(model_home, "elsewhere")
    card = json.loads((out / "hoax.json").read_text(encoding="utf-8"))
    card["evidence_floor"] = {"kind": "fitted", "intercept": -2.0, "slope": 5.0}
    (out / "hoax.json").write_text(json.dumps(card), encoding="utf-8")
    assert served_floor() is None  # the registry serves the shipped models: the set rule
    monkeypatch.setenv("SARING_MODELS", str(out))
    assert served_floor() == FittedFloor(-2.0, 5.0)
    # A hand-edited card whose curve is no number serves the set rule, not a floor of 0.95 everywhere
    card["evidence_floor"] = {"kind": "fitted", "intercept": "nan", "slope": 1e308}
    (out / "hoax.json").write_text(json.dumps(card), encoding="utf-8")
    os.utime(out / "hoax.json", ns=(0, 1))  # a new mtime, whatever the clock's resolution
    assert served_floor() is None
    assert FittedFloor(0.0, -1e308).floor(1.0, 0.7) == 0.0  # no overflow at the extremes
