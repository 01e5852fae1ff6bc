"""Places: the gazetteer's rules for ambiguous names, item_places in the pipeline, the forum's area
first in the digest and the desk, and the settings.forum checks."""

import gzip
from pathlib import Path

import pytest

import saring
from saring.config import DigestSettings, ForumSettings, load_config, parse_config
from saring.errors import SourceConfigError
from saring.gazetteer import gazetteer
from saring.judge.places import WINDOW_WORDS, ForumScope, find_places, region_places
from saring.report.digest import build_digest, render, today_wib
from saring.storage.database import Store

KOTA_BATU, KAB_MALANG, KOTA_MALANG, BATU_BARA = "35.79", "35.07", "35.73", "12.19"


def codes(text: str) -> set[str]:
    return {p.code for p in find_places(text)}


@pytest.mark.parametrize("text, expected", [
    # A prefix decides.
    ("KPU Kota Batu membuka pendaftaran KPPS", {KOTA_BATU}),
    ("Wali Kota Batu meresmikan posko pengaduan", {KOTA_BATU}),
    ("Pemkot Batu menyiapkan gudang logistik", {KOTA_BATU}),
    ("kpu kota batu", {KOTA_BATU}),
    ("Kabupaten Malang", {KAB_MALANG}),
    ("Kab. Malang", {KAB_MALANG}),
    ("Kab Malang", {KAB_MALANG}),
    ("Bupati Malang menghadiri rapat", {KAB_MALANG}),
    ("Pemkab Malang", {KAB_MALANG}),
    ("Kota Malang", {KOTA_MALANG}),
    ("Kota Batu dan Kabupaten Malang", {KOTA_BATU, KAB_MALANG}),
    ("KPU Kota Madiun", {"35.77"}),
    ("Kabupaten Madiun", {"35.19"}),
    ("Kabupaten Batu Bara", {BATU_BARA}),
    ("Kota Jambi", {"15.71"}),
    # A district (kecamatan) nearby decides a bare shared name.
    ("Warga Malang di Kecamatan Lowokwaru mengeluhkan DPT", {KOTA_MALANG}),
    ("Malang, Lowokwaru: warga antre", {KOTA_MALANG}),
    ("Malang - Panwas di Kepanjen menemukan baliho", {KAB_MALANG}),
    ("Kecamatan Lowokwaru", {KOTA_MALANG}),
    ("Camat Bumiaji", {KOTA_BATU}),
    ("Batu - Warga Bumiaji memasang baliho", {KOTA_BATU}),
    # Bare names of one area, provinces and their short forms.
    ("Bawaslu Surabaya", {"35.78"}),
    ("Tangerang Selatan", {"36.74"}),
    ("Baubau", {"74.72"}),
    ("Bau-Bau", {"74.72"}),
    ("Pilkada Jatim 2024", {"35"}),
    ("Pemilu di Bali dan Aceh", {"51", "11"}),
    ("Jambi", {"15"}),  # shared by a province and a city: the province
    ("DKI Jakarta", {"31"}),
    ("Solo", {"33.72"}),
    # Negatives: ordinary words, other areas, names shared by a Kota and a Kabupaten alone.
    ("batu bata", set()),
    ("Batu bata merah dijual murah", set()),
    ("Harga batu bara naik", set()),
    ("Harga Batu Bara Naik Lagi", set()),  # coal in a title: never Kota Batu, not Kab. Batu Bara either
    ("malang melintang di dunia politik", set()),
    ("nasib malang calon itu", set()),
    ("Malang nian nasibnya", set()),
    ("Malang", set()),
    ("Madiun", set()),
    ("Kediri, Blitar, Pasuruan, Probolinggo, Mojokerto", set()),
    ("Bogor Bekasi Tangerang Cirebon Tegal Magelang Semarang", set()),
    ("Solok Sorong Kupang Serang", set()),
    ("Batu akik dari Batu", set()),  # "Batu" the district cannot vouch for "Batu" the city
    ("Malang Raya", set()),
    ("Malang dan Batu", set()),
    ("Roh Kudus", set()),
    ("Polda Metro Jaya", set()),
    ("nasi Padang", set()),
])
def test_ambiguous_names(text, expected):
    assert codes(text) == expected


SURABAYA, JAKARTA_PUSAT, JATIM = "35.78", "31.71", "35"


@pytest.mark.parametrize("text, expected", [
    # Streets are very often named after cities, regencies and provinces: an address is not news
    # about that place.
    ("Posko pengaduan Bawaslu di Jl. Surabaya No 5, Jakarta Pusat", {JAKARTA_PUSAT}),
    ("Rapat pleno digelar di kantor KPU, Jalan Surabaya nomor 8", set()),
    ("Gudang logistik di Jalan Raya Surabaya sudah dijaga polisi", set()),
    ("Sekretariat panitia di Jln. Sidoarjo 12", set()),
    ("Warga Gg. Surabaya menerima undangan memilih", set()),
    ("Kantor panwas di Gang Sidoarjo", set()),
    ("Baliho dipasang di Jl Bali dan Jl. Riau", set()),
    ("JL. SURABAYA NO 5", set()),
    ("Kantor KPU di Jalan Malang, Lowokwaru", set()),  # no "Malang" left for the district to decide
    # The real mentions stay.
    ("Jl. Ahmad Yani, Surabaya", {SURABAYA}),
    ("Surabaya, Jawa Timur", {SURABAYA, JATIM}),
    ("Warga di Kota Batu", {KOTA_BATU}),
    ("jalan kota Batu rusak menjelang pemilu", {KOTA_BATU}),  # the city's roads, not a street
    ("perbaikan jalan kabupaten Malang", {KAB_MALANG}),
    ("arus kendaraan di jalan Surabaya-Sidoarjo", {SURABAYA, "35.15"}),  # the road, not a street name
    ("Bawaslu di Surabaya. Jalan Kawi ditutup", {SURABAYA}),
])
def test_street_names_are_not_places(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("text, expected", [
    # Nothing inside a web or e-mail address is a place mention.
    ("Daftar pemilih dapat dilihat di http://kab.malang.example/berita/dpt", set()),
    ("Aduan dikirim ke Bupati.Malang@example.com atau ke kantor", set()),
    ("Informasi resmi ada di www.Surabaya.go.id", set()),
    ("Laporan ke pengaduan@Surabaya.example", set()),
    ("Lihat Surabaya.go.id untuk jadwal", set()),
    ("Unduh formulir di https://kpu.example/Surabaya/formulir", set()),
    # Next to an address, the real mentions stay; so do names written without a space.
    ("KPU Kota Batu (https://kpu.example/batu) membuka pendaftaran", {KOTA_BATU}),
    ("Kab.Malang", {KAB_MALANG}),
    ("Warga Surabaya.Besok ada rapat", {SURABAYA}),
    ("Surabaya.", {SURABAYA}),
])
def test_web_and_email_addresses_are_not_places(text, expected):
    assert codes(text) == expected


def test_batu_bara_is_never_kota_batu():
    for text in ("Kabupaten Batu Bara", "batu bara", "Batu Bara", "BATU BARA", "PLTU batu bara di Batu Bara"):
        assert KOTA_BATU not in codes(text), text


def test_district_must_be_within_the_window():
    near = "Malang " + "kata " * (WINDOW_WORDS - 2) + "Lowokwaru"
    far = "Malang " + "kata " * (WINDOW_WORDS + 5) + "Lowokwaru"
    assert codes(near) == {KOTA_MALANG}
    assert codes(far) == set()


def test_place_details_and_order():
    places = find_places("Pilgub Jatim", "Kata KPU Kota Batu, Bupati Malang juga hadir.")
    assert [(p.code, p.name, p.level, p.province_code, p.rule) for p in places] == [
        ("35", "Jawa Timur", "provinsi", "35", "alias"),
        (KOTA_BATU, "Kota Batu", "kota", "35", "prefix"),
        (KAB_MALANG, "Kab. Malang", "kabupaten", "35", "prefix"),
    ]
    assert places[1].matched == "Kota Batu" and places[2].matched == "Bupati Malang"


def test_gazetteer_data_and_regions():
    g = gazetteer()
    levels = [a.level for a in g.areas.values()]
    assert levels.count("provinsi") == 38 and levels.count("kabupaten") + levels.count("kota") == 514
    assert g.areas[KOTA_BATU].name == "Kota Batu" and g.areas["35.79.02"].name == "Bumiaji"
    src = Path(__file__).resolve().parent.parent / "saring" / "data" / "wilayah"
    assert gzip.decompress((src / "gazetteer.csv.gz").read_bytes()).startswith(b"code,name,level,parent\n")
    assert "MIT License" in (src / "SOURCE.md").read_text(encoding="utf-8")
    # A source's region label: a shared name counts as the province its areas share.
    assert [p.code for p in region_places("Malang Raya")] == ["35"]
    assert [p.code for p in region_places("Kota Batu")] == [KOTA_BATU]
    assert region_places("Nasional") == [] and region_places(None) == []


def test_forum_scope():
    scope = ForumScope.of("Kota Batu", "Jawa Timur")
    assert scope.scope([KOTA_BATU, "31"]) == "area"
    assert scope.scope([KOTA_MALANG]) == scope.scope(["35"]) == "province"
    assert scope.scope(["31", "12.19"]) == "other"
    assert scope.scope([]) is None
    assert ForumScope.of(None, None) is None
    assert ForumScope.of("Kota Batu", None).province.name == "Jawa Timur"


# -- settings.forum -------------------------------------------------------------------------------

SRC = "sources:\n  - id: a1\n    name: A\n    url: https://a.id/feed\n"


@pytest.mark.parametrize("forum, expected", [
    ("area: Kota Batuu", "'forum.area': unknown kabupaten or kota 'Kota Batuu' (did you mean 'Kota Batu'?)"),
    ("area: Malang",
     "'forum.area': 'Malang' is more than one area; write 'Kabupaten Malang' or 'Kota Malang'"),
    ("area: Jawa Timur", "'forum.area': 'Jawa Timur' is a province, not a kabupaten or kota"),
    ("province: Jawa Timr", "'forum.province': unknown province 'Jawa Timr' (did you mean 'Jawa Timur'?)"),
    ("area: Kota Batu\n    province: Jawa Barat",
     "forum.area Kota Batu is in Jawa Timur, not in Jawa Barat; set forum.province to 'Jawa Timur'"),
    ("kota: Batu", "settings: unknown field 'forum.kota'"),
])
def test_forum_config_errors_name_the_field(tmp_path, forum, expected):
    path = tmp_path / "sources.yaml"
    path.write_text(f"settings:\n  forum:\n    {forum}\n{SRC}", encoding="utf-8")
    with pytest.raises(SourceConfigError) as info:
        load_config(path)
    assert expected in str(info.value) and str(info.value).startswith(f"{path}: ")


def test_forum_config_accepts_usual_spellings():
    def forum(**kw):
        return parse_config({"sources": [{"id": "a1", "name": "A", "url": "https://a.id/f"}],
                             "settings": {"forum": kw}}).forum

    assert forum(area="kab. malang").area == "Kabupaten Malang"
    assert forum(area="Batu", province="Jatim") == ForumSettings(area="Kota Batu", province="Jawa Timur")
    assert forum(area="35.79").area == "Kota Batu"
    assert forum() == ForumSettings()


def test_cli_reports_a_bad_forum_area(tmp_path):
    from typer.testing import CliRunner

    from saring.cli.main import app

    path = tmp_path / "sources.yaml"
    path.write_text(f"settings:\n  forum:\n    area: Kota Batuu\n{SRC}", encoding="utf-8")
    result = CliRunner().invoke(app, ["sources", "check", "--sources", str(path)])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2 and "'forum.area': unknown kabupaten or kota 'Kota Batuu'" in output
    assert "did you mean 'Kota Batu'" in output and "Traceback" not in output


def test_a_source_region_naming_no_place_is_a_warning_in_the_check_when_the_forum_is_set(tmp_path):
    # A Kota Malang outlet labelled "Bumi Arema" (Malang's nickname): with forum.area set, its news
    # that names no place went under "Luar Jawa Timur dan nasional", and the check said nothing.
    from typer.testing import CliRunner

    from saring.cli.main import app

    path = tmp_path / "sources.yaml"
    forum = "settings:\n  forum:\n    area: Kota Batu\n"
    for region, warned in (("Bumi Arema", True), ("Malang Raya", False), ("Nasional", False)):
        path.write_text(forum + SRC + f"    region: {region}\n", encoding="utf-8")
        result = CliRunner().invoke(app, ["sources", "check", "--sources", str(path)])
        output = " ".join(result.output.split())
        assert result.exit_code == 0 and "OK:" in output, output
        assert ("Warning: source 'a1': region 'Bumi Arema' names no" in output) == warned, output
        assert ("'Luar Jawa Timur dan nasional'" in output) == warned, output
    path.write_text(SRC + "    region: Bumi Arema\n", encoding="utf-8")  # no forum: no sections
    assert "Warning" not in CliRunner().invoke(app, ["sources", "check", "--sources", str(path)]).output


# -- the pipeline ---------------------------------------------------------------------------------

def _places(con):
    return con.execute("SELECT item_id, code, name, level, matched, rule, first_pos FROM item_places "
                       "ORDER BY ALL").fetchall()


def test_item_places_filled_idempotent_and_in_overview(ingested, sample_config, scorer, monkeypatch):
    from saring.pipeline.ingest import run_ingest

    with Store(ingested) as store:
        con = store.con
        first = _places(con)
        batu = con.execute("SELECT item_id FROM items WHERE title LIKE 'KPU Kota Batu%'").fetchone()[0]
        assert (KOTA_BATU, "Kota Batu", "kota") in {(c, n, lvl) for i, c, n, lvl, *_ in first if i == batu}
        scanned = con.execute("SELECT count(*) FROM item_place_scans").fetchone()[0]
        assert scanned == con.execute("SELECT count(*) FROM articles").fetchone()[0]
        # A second ingest (feeds re-read) adds nothing and changes nothing.
        con.execute("UPDATE sources SET etag = NULL, last_modified = NULL")
        run_ingest(sample_config, store, scorer=scorer)
        assert _places(con) == first
        # item_overview: names in the order they are mentioned, with their codes.
        row = con.execute("SELECT places, place_codes FROM item_overview WHERE item_id = ?", [batu])
        assert row.fetchone() == (["Kota Batu"], [KOTA_BATU])
        assert con.execute("SELECT count(*) FROM item_overview WHERE places = []").fetchone()[0] > 0
        # Items stored before places existed (or after a lost run) are filled by the next run...
        con.execute("DELETE FROM item_places")
        con.execute("DELETE FROM item_place_scans")
        run_ingest(sample_config, store, scorer=scorer)
        assert _places(con) == first
        # ...and new rules (a new PLACES_VERSION) rescan everything, replacing the old rows.
        monkeypatch.setattr("saring.judge.places.PLACES_VERSION", "test-next")
        con.execute("UPDATE item_places SET name = 'lama'")
        run_ingest(sample_config, store, scorer=scorer)
        assert _places(con) == first
        versions = con.execute("SELECT DISTINCT places_version FROM item_place_scans").fetchall()
        assert versions == [("test-next",)]
        # Analysts see the rescanned rows (published with their scans, not fingerprinted apart).
        with saring.connect(str(ingested)) as analyst:
            assert _places(analyst) == first


def test_digest_and_desk_put_the_forum_area_first(ingested):
    from fastapi.testclient import TestClient

    from saring.desk.app import create_app
    from saring.desk.auth import add_user

    forum = ForumSettings(area="Kota Batu", province="Jawa Timur")
    # Only the two seed articles are about elections: list every item to see all three sections.
    every = DigestSettings(election_threshold=0.0)
    with Store(ingested) as store:
        plain = build_digest(store.con, today_wib(), every)
        d = build_digest(store.con, today_wib(), every, forum)
    assert not plain.sections  # no forum: one list ranked by hoax risk, as before
    assert [s.key for s in d.sections][0] == "area" and d.sections[0].title == "Kota Batu"
    assert d.sections[0].items[0].title.startswith("KPU Kota Batu")
    assert [s.title for s in d.sections[1:]] == ["Jawa Timur di luar Kota Batu",
                                                 "Luar Jawa Timur dan nasional"]
    for s in d.sections:  # each section ranked by hoax risk
        assert [i.hoax_score for i in s.items] == sorted((i.hoax_score for i in s.items), reverse=True)
    assert d.election_items == [i for s in d.sections for i in s.items]
    text, html = render(d, "whatsapp"), render(d, "html")
    assert (text.index("*📍 KOTA BATU*") < text.index("KPU Kota Batu")
            < text.index("JAWA TIMUR DI LUAR KOTA BATU"))
    assert html.index("📍 Kota Batu</h2>") < html.index("Jawa Timur di luar Kota Batu</h2>")
    for fmt in ("markdown", "email", "email_text"):
        assert "kota batu" in render(d, fmt).split("KPU Kota Batu")[0].lower(), fmt  # its heading first

    add_user(ingested, "rina", "kata-sandi-rahasia")
    client = TestClient(create_app(ingested, settings=every, secret_key="k", forum=forum))
    token = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"csrf": token, "name": "rina", "password": "kata-sandi-rahasia", "next": "/"})
    page = client.get("/").text
    assert (page.index('class="section-area"') < page.index("KPU Kota Batu")
            < page.index('class="section-province"'))

    # An item that names no place goes where its source's region says.
    other = next(i for s in d.sections if s.key == "other" for i in s.items)
    with Store(ingested) as store:
        con = store.con
        source = con.execute("SELECT source_id FROM items WHERE item_id = ?", [other.item_id]).fetchone()[0]
        con.execute("DELETE FROM item_places WHERE item_id = ?", [other.item_id])
        con.execute("UPDATE sources SET region = 'Kota Batu' WHERE source_id = ?", [source])
        moved = build_digest(con, today_wib(), every, forum)
    assert other.item_id in [i.item_id for i in moved.sections[0].items]
