"""Model commands: score."""

from __future__ import annotations

import typer

from saring.cli import app, fail, out


@app.command()
def score(text: str = typer.Argument(..., help="the text to score")) -> None:
    """Score one text for election relevance and hoax risk (no database, no Prefect).

    Example: saring score "KPU Kota Batu membuka pendaftaran KPPS"
    """
    from saring.score import load_scorer

    try:
        scorer = load_scorer()
    except Exception as exc:  # ModelLoadError's message is written for people
        fail(str(exc))
    s = scorer.score([text])[0]
    out.print(f"election_score {s.election_score:.2f}  ({', '.join(s.election_terms) or '-'})")
    out.print(f"hoax_score     {s.hoax_score:.2f}  ({', '.join(s.hoax_terms) or '-'})")
    out.print(f"model {scorer.model_version}")

