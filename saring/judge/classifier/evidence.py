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
conservative (it only raises, and only on a match above the fact-check threshold). ``saring train``
fits the floor on the forum's own labels once enough of them fall on items the rule applies to
(:func:`fit_floor`: at least :data:`MIN_FIT_LABELS` labels, :data:`MIN_FIT_CLASS` of each answer, on
matches to at least :data:`MIN_FIT_CHECKS` fact-checks): a logistic curve of the similarity,
``floor = 1 / (1 + exp(-(intercept + slope * similarity)))``, kept only if it rises with the
similarity and, validated across fact-checks (no fact-check's matches in both the fitting and
the scoring part), gives the served scores ``max(text score, floor)`` a lower Brier score than
the rule. It is stored in the new version's hoax card (``evidence_floor``, with the numbers either
way) and serves with that version; every run's linking brings the stored floors in line with
the served version and the bands (:func:`refresh_floors`), so a promotion, a rollback or new
bands reach the old items too. The source kind (news, social, tipline) is never an input.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from saring.collect.verdicts import FALSE_VERDICTS, verdict_from_title
from saring.judge.factcheck import MATCH_THRESHOLD

FLOOR_TOP = 0.95
STRONG_AT = 0.30
"""Similarity from which the floor is "tinggi" (the same claim, not only its topic)."""
FULL_AT = 0.5
"""Similarity from which the floor is FLOOR_TOP (near-copies of the checked claim)."""
MIN_FIT_LABELS = 30
"""Forum hoax labels on items the floor applies to, before ``saring train`` fits it."""
MIN_FIT_CLASS = 8
"""Of each answer (hoax, not hoax) among them."""
MIN_FIT_CHECKS = 4
"""Distinct fact-checks they match (the validation holds out one group of fact-checks at a time)."""

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class FittedFloor:
    """The floor fitted on the forum's labels: a logistic curve of the match's similarity."""

    intercept: float
    slope: float

    def floor(self, similarity: float, high: float) -> float:
        z = self.intercept + self.slope * similarity
        # the logistic function, written with tanh: exp(-z) overflows at the extremes
        return round(min(max(FLOOR_TOP, high), 0.5 * (1.0 + math.tanh(z / 2))), 4)


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


def floor_for(similarity: float, verdict: str | None, high: float, medium: float = 0.4,
              fitted: FittedFloor | None = None) -> float | None:
    """The risk floor a fact-check match gives, or None (not a false verdict / too weak a match):
    the set rule, or the ``fitted`` curve when the served model has one."""
    if (verdict or "").upper() not in FALSE_VERDICTS or similarity < MATCH_THRESHOLD:
        return None
    if fitted is not None:
        return fitted.floor(similarity, high)
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


_SERVED: Any = object()
"""``fitted`` left out: the served model's curve (:func:`served_floor`), or the rule."""


def served_floor() -> FittedFloor | None:
    """The fitted floor of the served hoax model (its card's ``evidence_floor``), or None: the
    rule (no curve fitted, or a model that cannot be read: the scorer reports that)."""
    from saring.judge.classifier import registry
    from saring.judge.classifier.modelload import ModelLoadError

    try:
        model_dir = registry.served_model_dir()
        return _card_floor(model_dir, (model_dir / "hoax.json").stat().st_mtime_ns)
    except (ModelLoadError, OSError):
        return None


@functools.lru_cache(maxsize=8)
def _card_floor(model_dir: Path, _mtime_ns: int) -> FittedFloor | None:
    from saring.judge.classifier.modelload import read_card

    card = read_card(model_dir, "hoax")  # ModelLoadError: unreadable, as the scorer reports it
    try:
        fit = card.get("evidence_floor") or {}
        if fit.get("kind") != "fitted":
            return None
        curve = FittedFloor(float(fit["intercept"]), float(fit["slope"]))
        if not (math.isfinite(curve.intercept) and math.isfinite(curve.slope)):
            raise ValueError("not a number")
        return curve
    except (ValueError, KeyError, TypeError, AttributeError):
        LOGGER.warning("the fitted fact-check floor in %s is unreadable; the set rule serves",
                       model_dir / "hoax.json")
        return None


def best_evidence(
    matches: Sequence[tuple[str, str, str | None, str | None, float]],
    text: str | None,
    high: float,
    medium: float = 0.4,
    fitted: FittedFloor | None = _SERVED,
) -> Evidence | None:
    """The evidence of the best false-verdict match (id, title, url, verdict, similarity), if any."""
    fitted = served_floor() if fitted is _SERVED else fitted
    best = None
    for fid, title, url, verdict, sim in matches:
        floor = floor_for(sim, verdict, high, medium, fitted)
        if floor is not None and (best is None or sim > best.similarity):
            best = Evidence(fid, title or "", url, (verdict or "").upper(), float(sim), floor)
    if best is None or is_clarification(text):
        return None
    return best


def served(text_score: float, evidence: Evidence | None) -> float:
    """The served hoax score: the text score, raised to the evidence's floor."""
    return text_score if evidence is None else max(text_score, evidence.floor)


LINK_ONLY_REASON = "hanya meneruskan tautan: risiko dinilai dari isi tautannya (teks pesannya sendiri {own})"
LINK_UNREAD_REASON = "isi tautannya belum terbaca oleh saring: risiko hanya dinilai dari teks pesannya"


def judged_by_links(text_score: float, reasons: Sequence[str], linked_scores: Sequence[float],
                    has_links: bool = False) -> tuple[float, str] | None:
    """The risk of a forwarded message that gives no reason of its own, from the pages its links
    point at that saring has read (the riskiest of them), with the reason to show; else None.

    "Ada yang kirim ini ke grup, mohon dicek <link>" says nothing by itself: the text model scores
    such a short informal note "sedang" with no reason (short informal texts are mostly hoaxes in
    its training data), whatever the link holds. The page is what members are asked about. A
    message with a reason of its own (a cue, a look-alike host, a fact-check match) keeps its score.
    A message that ``has_links`` of which none was read (the page failed, or saring never fetched
    it) keeps its own score, with a reason saying that the page is not in it. (Not "open the link
    to check": a link saring did not read may be a phishing page.)
    """
    if reasons:
        return None
    if linked_scores:
        return max(linked_scores), LINK_ONLY_REASON.format(own=f"{text_score:.0%}")
    return (text_score, LINK_UNREAD_REASON) if has_links else None


def _matches_of(con: duckdb.DuckDBPyConnection, item_ids: Sequence[str],
                scores: bool = False) -> dict[str, tuple[list[tuple], str, float]]:
    """Item id -> (its fact-check matches as :func:`best_evidence` reads them, the text it was
    matched on, with ``scores`` its latest stored hoax score, else 0), for the items among
    ``item_ids`` with a match. (Linking leaves the scores out: they are one more pass over
    every stored score.)"""
    latest = ("(SELECT hoax_score FROM latest_scores sc WHERE sc.item_id = m.item_id)" if scores
              else "NULL")
    out: dict[str, tuple[list[tuple], str, float]] = {}
    for item_id, fid, title, url, verdict, sim, text, score in con.execute(
        f"""SELECT m.item_id, f.factcheck_id, f.title, f.url, f.verdict, m.similarity,
                   coalesce(a.title, i.title, '') || '\n' || coalesce(a.text, i.summary, ''), {latest}
            FROM factcheck_matches m JOIN factchecks f USING (factcheck_id)
            JOIN items i USING (item_id) LEFT JOIN articles a USING (item_id)
            WHERE m.item_id IN (SELECT unnest(?))""", [list(item_ids)]).fetchall():
        out.setdefault(item_id, ([], text, float(score or 0.0)))[0].append((fid, title, url, verdict, sim))
    return out


def record_evidence(
    con: duckdb.DuckDBPyConnection, item_ids: Sequence[str], high: float, medium: float = 0.4
) -> int:
    """Recompute ``hoax_evidence`` for these items from their stored fact-check matches. Idempotent."""
    if not item_ids:
        return 0
    now = datetime.now(UTC)
    out = []
    fitted = served_floor()
    for item_id, (matches, text, _) in _matches_of(con, item_ids).items():
        ev = best_evidence(matches, text, high, medium, fitted)
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


def refresh_floors(con: duckdb.DuckDBPyConnection, high: float, medium: float = 0.4) -> int:
    """Bring every stored floor in line with the served floor (rule or fitted curve) and these
    bands. Returns how many changed (none, unless the model version or the bands did)."""
    fitted = served_floor()
    changed = [(floor, item_id) for item_id, sim, verdict, old in con.execute(
        "SELECT item_id, similarity, verdict, floor FROM hoax_evidence").fetchall()
        if (floor := floor_for(sim, verdict, high, medium, fitted)) is not None and floor != old]
    if changed:
        con.executemany("UPDATE hoax_evidence SET floor = ? WHERE item_id = ?", changed)
    return len(changed)


def labelled_evidence(con: duckdb.DuckDBPyConnection, labels: Any, high: float,
                      medium: float = 0.4) -> list[tuple[float, int, str, float]]:
    """(similarity, label, fact-check id, text score) of each labelled item the floor applies to.

    ``labels``: the forum's hoax labels to use (item_id, label), e.g. without the held-out ones.
    The text score is the item's latest stored one (0 when it has none), as ``max(text, floor)``
    is served."""
    if labels is None or len(labels) == 0:
        return []
    label_of = dict(zip(labels["item_id"], labels["label"], strict=True))
    out = []
    for item_id, (matches, text, score) in sorted(_matches_of(con, list(label_of), scores=True).items()):
        ev = best_evidence(matches, text, high, medium, None)
        if ev is not None:
            out.append((ev.similarity, int(label_of[item_id]), ev.factcheck_id, score))
    return out


def fit_floor(rows: Sequence[tuple[float, int, str, float]], high: float, medium: float = 0.4) -> dict:
    """Fit the floor on :func:`labelled_evidence` rows, or say why the set rule stays.

    Returns the card's ``evidence_floor``: ``kind`` "fitted" (with ``intercept`` and ``slope``) or
    "rule", the counts, and when there were enough labels the Brier score of the served scores
    under each, out of fold: each fact-check's matches scored by a curve fitted without them."""
    import numpy as np

    n, hoax = len(rows), sum(r[1] for r in rows)
    checks = len({r[2] for r in rows})
    out: dict[str, Any] = {"kind": "rule", "labels": n, "hoax_labels": hoax, "factchecks": checks,
                           "min_labels": MIN_FIT_LABELS, "min_each": MIN_FIT_CLASS,
                           "min_factchecks": MIN_FIT_CHECKS}
    if n < MIN_FIT_LABELS or min(hoax, n - hoax) < MIN_FIT_CLASS or checks < MIN_FIT_CHECKS:
        out["why"] = (f"{n} forum hoax labels on items with a false-verdict fact-check match ({hoax} hoax, "
                      f"{n - hoax} not, {checks} fact-checks): fitting needs {MIN_FIT_LABELS}, "
                      f"{MIN_FIT_CLASS} of each answer and {MIN_FIT_CHECKS} fact-checks")
        return out
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    x = np.array([[r[0]] for r in rows])
    y = np.array([r[1] for r in rows])
    groups = np.array([r[2] for r in rows])
    text = np.array([r[3] for r in rows])
    rule = np.array([floor_for(r[0], "HOAKS", high, medium) for r in rows])
    oof = np.empty(n)
    for train, test in GroupKFold(n_splits=min(5, checks)).split(x, y, groups):
        if len(set(y[train])) < 2:
            out["why"] = "a validation part held matches of one answer only; the set rule stays"
            return out
        m = LogisticRegression().fit(x[train], y[train])
        part = FittedFloor(float(m.intercept_[0]), float(m.coef_[0, 0]))
        oof[test] = [part.floor(s, high) for s in x[test, 0]]
    final = LogisticRegression().fit(x, y)
    curve = FittedFloor(round(float(final.intercept_[0]), 6), round(float(final.coef_[0, 0]), 6))
    brier_rule = float(np.mean((np.maximum(text, rule) - y) ** 2))
    brier_fit = float(np.mean((np.maximum(text, oof) - y) ** 2))
    out.update(intercept=curve.intercept, slope=curve.slope, brier_rule=round(brier_rule, 4),
               brier_fitted=round(brier_fit, 4))
    if curve.slope <= 0:
        out["why"] = "the fitted floor does not rise with the similarity; the set rule stays"
    elif brier_fit >= brier_rule:
        out["why"] = (f"the fitted floor scores no better across fact-checks (Brier {brier_fit:.4f} "
                      f"against the rule's {brier_rule:.4f}); the set rule stays")
    else:
        out["kind"] = "fitted"
        out["why"] = (f"fitted on {n} labels across {checks} fact-checks: Brier {brier_fit:.4f} against "
                      f"the rule's {brier_rule:.4f} across fact-checks")
    return out
