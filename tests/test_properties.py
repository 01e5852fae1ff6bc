"""Property tests (hypothesis): URL canonicalisation, WhatsApp message splitting, tipline scrubbing.

Each states a rule that must hold for every input of its kind, not only for the examples the
other tests picked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saring.collect.scrub import MASK_EMAIL, MASK_MEMBER, Scrubber
from saring.collect.tipline import parse_chat
from saring.collect.urls import TRACKING_PARAMS, canonical_url
from saring.report.digest import Digest, DigestItem, chat_length, split_messages

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------ URL canonicalisation

_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
_hosts = st.lists(_label, min_size=1, max_size=3).map(lambda ls: ".".join(ls) + ".example")
_segment = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs"),
                                 exclude_characters="/?#%\\"), max_size=12)
_paths = st.lists(_segment, max_size=4).map(lambda ss: "/" + "/".join(ss))
_keys = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda k: not k.startswith("utm_") and k not in TRACKING_PARAMS)
_values = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~ ", max_size=10)
_params = st.lists(st.tuples(_keys, _values), max_size=4)
_tracking = st.lists(st.tuples(st.sampled_from(sorted(TRACKING_PARAMS) + ["utm_source", "UTM_Medium",
                                                                            "utm_campaign", "FBCLID"]),
                               _values), max_size=3)


def _query(pairs) -> str:
    return "&".join(f"{k}={v.replace(' ', '+')}" for k, v in pairs)


@SETTINGS
@given(scheme=st.sampled_from(["http", "https"]), host=_hosts, path=_paths, params=_params)
def test_canonical_url_is_idempotent(scheme, host, path, params):
    once = canonical_url(f"{scheme}://{host}{path}?{_query(params)}")
    assert canonical_url(once) == once


@SETTINGS
@given(scheme=st.sampled_from(["http", "https"]), host=_hosts, path=_paths, params=_params,
       tracking=_tracking, data=st.data())
def test_the_same_article_gets_the_same_key(scheme, host, path, params, tracking, data):
    """Case of scheme and host, the default port, a fragment, tracking parameters and the order
    of the other parameters never change the key."""
    plain = canonical_url(f"{scheme}://{host}{path}?{_query(params)}")
    default_port = {"http": 80, "https": 443}[scheme]
    shuffled = data.draw(st.permutations(params + tracking))
    fragment = data.draw(st.sampled_from(["", "#top", "#komentar-3"]))
    port = data.draw(st.sampled_from(["", f":{default_port}"]))
    noisy = f"{scheme.upper()}://{host.upper()}{port}{path}?{_query(shuffled)}{fragment}"
    assert canonical_url(noisy) == plain


@SETTINGS
@given(scheme=st.sampled_from(["http", "https"]), host=_hosts, path=_paths, params=_params,
       port=st.integers(1, 65535))
def test_what_tells_articles_apart_is_kept(scheme, host, path, params, port):
    """Host, path, a non-default port and every non-tracking parameter survive."""
    url = canonical_url(f"{scheme}://{host}:{port}{path}?{_query(params)}")
    parts = urlsplit(url)
    assert parts.hostname == host and parts.path == (urlsplit(f"http://x{path}").path or "/")
    assert parts.port == (None if port == {"http": 80, "https": 443}[scheme] else port)
    assert sorted(parse_qsl(parts.query, keep_blank_values=True)) == sorted(params)
    assert not parts.fragment


# ------------------------------------------------------------ WhatsApp: a digest in messages

_words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@st.composite
def _items(draw):
    n = draw(st.integers(1, 60))
    items = []
    for i in range(n):
        title = " ".join(draw(st.lists(_words, min_size=1, max_size=25)))
        risk = draw(st.sampled_from(["tinggi", "sedang", "rendah"]))
        items.append(DigestItem(
            item_id=f"i{i}", title=f"{title} {i}", source_name=f"Media {i % 3}", region=f"Kota {i % 4}",
            url=f"https://media.example/berita/{i}",
            published_at=datetime(2026, 11, 25, 1, i % 60, tzinfo=UTC),
            excerpt=" ".join(draw(st.lists(_words, max_size=60))), election_score=0.9,
            hoax_score={"tinggi": 0.9, "sedang": 0.5, "rendah": 0.1}[risk], risk=risk,
            election_terms=["kpu"], hoax_terms=["viral"], text_source="trafilatura"))
    return items


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=_items(), limit=st.integers(900, 4000))
def test_a_digest_splits_into_messages_within_the_limit_between_items(items, limit):
    digest = Digest(day=date(2026, 11, 25), generated_at=datetime(2026, 11, 25, 23, tzinfo=UTC),
                    items_seen=len(items) * 2, unscored=0, election_items=items, omitted=0,
                    model_versions=["m1"])
    messages = split_messages(digest, "whatsapp", limit)
    assert all(chat_length(m) <= limit for m in messages)
    for it in items:  # every item exactly once, its title and its link in the same message
        holder = [m for m in messages if it.url + "\n" in m]
        assert len(holder) == 1 and holder[0].count(it.url + "\n") == 1
        assert it.title in " ".join(holder[0].split())
    if len(messages) > 1:
        assert all(f"(bagian {i}/{len(messages)})" in m for i, m in enumerate(messages[1:], 2))


# ------------------------------------------------------- WhatsApp: an export into messages

_senders = st.sampled_from(["Rina Wulandari", "+62 812-0000-0002", "Pak Budi KPU", "~ Andi"])
_body_line = st.text("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,!?()'", min_size=1,
                     max_size=40).map(str.strip).filter(bool)


@SETTINGS
@given(messages=st.lists(st.tuples(_senders, st.lists(_body_line, min_size=1, max_size=4),
                                   st.integers(0, 60 * 24 * 30)), min_size=1, max_size=12),
       ios=st.booleans())
def test_an_export_splits_back_into_the_messages_written(messages, ios):
    """Multi-line messages, Android or iOS headers: each message comes back whole, in order,
    with its sender and its time."""
    start = datetime(2023, 10, 13, 8, 0)  # day 13: the date order is unambiguous
    lines = []
    for sender, body, minutes in messages:
        at = start + timedelta(minutes=minutes)
        head = (f"[{at:%d/%m/%y} {at:%H.%M.%S}] " if ios else f"{at:%d/%m/%y}, {at:%H.%M} - ")
        lines.append(f"{head}{sender}: " + "\n".join(body))
    lines.append(f"{start:%d/%m/%y}, 07.00 - Rina Wulandari: penutup")  # a day-13 anchor line
    parsed = parse_chat("\n".join(lines), tz="UTC")
    assert len(parsed) == len(messages) + 1
    for (sender, body, minutes), got in zip(messages, parsed, strict=False):
        assert got.sender == sender.lstrip("~ ")
        assert got.text == "\n".join(body).strip()
        assert got.sent_at == (start + timedelta(minutes=minutes)).replace(tzinfo=UTC)


# -------------------------------------------------------------------------- tipline scrubbing

_first = st.sampled_from(["Rina", "Wahyu", "Siti", "Agus", "Dewi", "Yohanes"])
_last = st.sampled_from(["Wulandari", "Hidayat", "Rahmawati", "Santoso", "Purnomo"])
_filler = st.lists(st.sampled_from(["kabar", "TPS", "dipindah", "besok", "pagi", "kata", "menurut", "cek",
                                    "dulu", "ya", "pukul 08.00", "Rp 2.300.000", "17-04-2024"]),
                   min_size=1, max_size=8).map(" ".join)


@SETTINGS
@given(first=_first, last=_last, before=_filler, after=_filler,
       spelling=st.sampled_from(["{f} {l}", "{F} {L}", "{f}_{l}", "{f}  {l}", "@{f} {l}", "{f}.{l}"]),
       secret=st.sampled_from([None, b"rahasia-uji-0123456789"]))
def test_a_member_name_never_survives_scrubbing(first, last, before, after, spelling, secret):
    name = f"{first} {last}"
    said = spelling.format(f=first, l=last, F=first.upper(), L=last.upper())
    scrubber = Scrubber([name], secret)
    clean = scrubber.text(f"{before} {said} {after}")
    assert first.lower() not in clean.lower() and last.lower() not in clean.lower()
    assert ("[anggota" in clean) and (secret is not None or MASK_MEMBER in clean)
    assert clean.startswith(before) and clean.endswith(after)  # the rest is kept as it was
    assert scrubber.text(clean) == clean  # scrubbing twice changes nothing


@SETTINGS
@given(user=st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12).filter(
           lambda u: u[0].isalnum() and u[-1].isalnum()),
       host=_hosts, before=_filler, after=_filler)
def test_an_email_address_never_survives_scrubbing(user, host, before, after):
    clean = Scrubber().text(f"{before} {user}@{host} {after}")
    assert f"{user}@{host}" not in clean and MASK_EMAIL in clean
    assert clean.startswith(before) and clean.endswith(after)
