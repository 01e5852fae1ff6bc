"""Evidence from the pipeline on top of the text score: a match to a fact-check that says "false".

The text model only reads the words. When an item closely matches a fact-check whose verdict
is false ([SALAH], [HOAKS], [DISINFORMASI], …), the claim may already have been checked and
found false, so the served risk gets a floor that rises with the similarity, piecewise linear:

    similarity  MATCH_THRESHOLD (0.14)  ->  "sedang" (settings.digest.medium)
                STRONG_AT (0.30)        ->  "tinggi" (settings.digest.high)
                FULL_AT (0.50) or more  ->  FLOOR_TOP (0.95)

Served ``hoax_score = max(text score, floor)``. Why not "tinggi" from the first match: in the
demo the three matches between 0.15 and 0.24 shared the *topic* of the fact-check (catfish and
cancer, Facebook) and two of them were not the hoax; the same-claim matches were above 0.3.
Only false verdicts give a floor: a graded one ("MENYESATKAN", "SEBAGIAN BENAR", "KONTEKS KELIRU",
"SATIRE") is shown beside the match but raises nothing, since part of such a claim holds and the
rule is kept conservative (below). A combined label ("[DISINFORMASI/HOAKS]", "[MENYESATKAN/HOAKS]")
with a false part is stored as that false verdict (:func:`saring.collect.verdicts.verdict_from_title`).
The floor is *not* applied to an item that is itself a clarification (its title or lead denies
or debunks: "tidak benar", "hoaks", "klarifikasi", …), because a news report of the debunk
matches the fact-check too.

No labelled data with this evidence exists yet, so the rule is set, not fitted, and kept
conservative (it only raises, and only on a match above the fact-check threshold). The forum's
labels on matched items are counted by ``saring train`` (:func:`labelled_matches`, recorded in
the candidate's ``bundle.json``); once there are enough, the combination can be fitted instead.
The source kind (news, social, tipline) is never an input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from saring.collect.verdicts import FALSE_VERDICTS, verdict_from_title
from saring.judge.factcheck import MATCH_THRESHOLD

FLOOR_TOP = 0.95
STRONG_AT = 0.30
"""Similarity from which the floor is "tinggi" (the same claim, not only its topic)."""
FULL_AT = 0.5
"""Similarity from which the floor is FLOOR_TOP (near-copies of the checked claim)."""


@dataclass(frozen=True)
class Evidence:
    """The strongest false-verdict fact-check match of one item and the floor it gives."""

    factcheck_id: str
    title: str
    url: str | None
    verdict: str
    similarity: float
    floor: float

    @property
    def reason(self) -> str:
        """The reason shown first in the digest, the desk and `saring check` (Indonesian)."""
        link = f" ({self.url})" if self.url else ""
        return f"cocok dengan cek fakta: {_short(self.title)}{link}"


def _short(text: str, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:  # between words: "ini b…" reads as nothing
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:") + "…"


def floor_for(similarity: float, verdict: str | None, high: float, medium: float = 0.4) -> float | None:
    """The risk floor a fact-check match gives, or None (not a false verdict / too weak a match)."""
    if (verdict or "").upper() not in FALSE_VERDICTS or similarity < MATCH_THRESHOLD:
        return None
    top = max(FLOOR_TOP, high)
    if similarity < STRONG_AT:
        share = (similarity - MATCH_THRESHOLD) / (STRONG_AT - MATCH_THRESHOLD)
        return round(medium + (high - medium) * share, 4)
    share = min(1.0, (similarity - STRONG_AT) / (FULL_AT - STRONG_AT))
    return round(high + (top - high) * share, 4)


_QUESTION = re.compile(r"[^.!?\n]*\?")
"""A sentence that asks ("Ini hoaks atau bukan?", "Benarkah ...?")."""


def is_clarification(text: str | None) -> bool:
    """True when the text's title or lead itself denies or debunks a claim, or its first line
    carries a fact-checker's false verdict label.

    Its questions are left out: "hoaks atau bukan?" asks, it denies nothing (the model's
    features still count the cue; only the floor's decision reads the text this way)."""
    from saring.judge.classifier.textfeatures import CUE_KINDS, cue_counts, lead_words

    # A fact-checker's own post passed on ("[PENIPUAN] ...", "[FITNAH] ..."): its label is no
    # clarify cue, yet it states the debunk ("Benar, ..." opens many a claim: false labels only).
    if verdict_from_title((text or "").strip().split("\n", 1)[0]) in FALSE_VERDICTS:
        return True
    stated = _QUESTION.sub(" ", lead_words([text or ""], 60)[0])
    counts = cue_counts(stated)
    return counts[CUE_KINDS.index("clarify")] > 0


def best_evidence(
    matches: Sequence[tuple[str, str, str | None, str | None, float]],
    text: str | None,
    high: float,
    medium: float = 0.4,
) -> Evidence | None:
    """The evidence of the best false-verdict match (id, title, url, verdict, similarity), if any."""
    best = None
    for fid, title, url, verdict, sim in matches:
        floor = floor_for(sim, verdict, high, medium)
        if floor is not None and (best is None or sim > best.similarity):
            best = Evidence(fid, title or "", url, (verdict or "").upper(), float(sim), floor)
    if best is None or is_clarification(text):
        return None
    return best


def served(text_score: float, evidence: Evidence | None) -> float:
    """The served hoax score: the text score, raised to the evidence's floor."""
    return text_score if evidence is None else max(text_score, evidence.floor)


LINK_ONLY_REASON = "hanya meneruskan tautan: risiko dinilai dari isi tautannya (teks pesannya sendiri {own})"


def judged_by_links(text_score: float, reasons: Sequence[str],
                    linked_scores: Sequence[float]) -> tuple[float, str] | None:
    """The risk of a forwarded message that gives no reason of its own, from the pages its links
    point at that saring has read (the riskiest of them), with the reason to show; else None.

    "Ada yang kirim ini ke grup, mohon dicek <link>" says nothing by itself: the text model scores
    such a short informal note "sedang" with no reason (short informal texts are mostly hoaxes in
    its training data), whatever the link holds. The page is what members are asked about. A
    message with a reason of its own (a cue, a look-alike host, a fact-check match) keeps its score.
    """
    if reasons or not linked_scores:
        return None
    return max(linked_scores), LINK_ONLY_REASON.format(own=f"{text_score:.0%}")


def record_evidence(
    con: duckdb.DuckDBPyConnection, item_ids: Sequence[str], high: float, medium: float = 0.4
) -> int:
    """Recompute ``hoax_evidence`` for these items from their stored fact-check matches. Idempotent."""
    if not item_ids:
        return 0
    rows = con.execute(
        """SELECT m.item_id, f.factcheck_id, f.title, f.url, f.verdict, m.similarity,
                  coalesce(a.title, i.title, '') || '\n' || coalesce(a.text, i.summary, '')
           FROM factcheck_matches m JOIN factchecks f USING (factcheck_id)
           JOIN items i USING (item_id) LEFT JOIN articles a USING (item_id)
           WHERE m.item_id IN (SELECT unnest(?))""",
        [list(item_ids)],
    ).fetchall()
    by_item: dict[str, list] = {}
    texts: dict[str, str] = {}
    for item_id, fid, title, url, verdict, sim, text in rows:
        by_item.setdefault(item_id, []).append((fid, title, url, verdict, sim))
        texts[item_id] = text
    now = datetime.now(UTC)
    out = []
    for item_id, matches in by_item.items():
        ev = best_evidence(matches, texts[item_id], high, medium)
        if ev is not None:
            out.append((item_id, ev.factcheck_id, ev.similarity, ev.verdict, ev.floor, ev.reason, now))
    con.execute("DELETE FROM hoax_evidence WHERE item_id IN (SELECT unnest(?))", [list(item_ids)])
    if out:
        con.executemany(
            "INSERT INTO hoax_evidence "
            "(item_id, factcheck_id, similarity, verdict, floor, reason, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            out,
        )
    return len(out)


def labelled_matches(con: duckdb.DuckDBPyConnection) -> int:
    """How many forum hoax labels are on items with fact-check evidence (to fit the rule later)."""
    return con.execute(
        """SELECT count(*) FROM current_labels l JOIN hoax_evidence e USING (item_id)
           WHERE l.task = 'hoax'"""
    ).fetchone()[0]
