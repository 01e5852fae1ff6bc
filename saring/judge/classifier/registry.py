"""Model registry: retrained versions and the "current" pointer.

Layout (root = ``$SARING_MODEL_HOME`` or ``classifiers/versions/``)::

    <root>/<bundle>/election.{skops,json}  hoax.{skops,json}  bundle.json
    <root>/history.jsonl    one line per promote / rollback (append-only)

The *current* version is the top of the promotion stack replayed from ``history.jsonl``
(promote pushes, rollback pops). With no history it is ``shipped``: the models in
``classifiers/`` that come with the code. ``score.load_scorer()`` loads the current one (this
module does not import the scorer: data flows from the registry to it, never back).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from saring.errors import SaringError
from saring.judge.classifier.modelload import CLASSIFIERS_DIR

SHIPPED = "shipped"


class RegistryError(SaringError):
    """A model version is unknown or the registry cannot be changed."""


def root() -> Path:
    env = os.environ.get("SARING_MODEL_HOME")
    return Path(env).expanduser() if env else CLASSIFIERS_DIR / "versions"


def version_dir(version: str) -> Path:
    if version == SHIPPED:
        return CLASSIFIERS_DIR
    return root() / version


def _history() -> list[dict[str, Any]]:
    path = root() / "history.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _stack() -> list[str]:
    stack = [SHIPPED]
    for rec in _history():
        if rec["action"] == "promote":
            stack.append(rec["version"])
        elif rec["action"] == "rollback" and len(stack) > 1:
            stack.pop()
    return stack


def current_version() -> str:
    return _stack()[-1]


def current_model_dir() -> Path:
    """Directory of the current promoted version (``classifiers/`` when none was promoted)."""
    version = current_version()
    path = version_dir(version)
    if not (path / "hoax.skops").exists():
        from saring.judge.classifier.modelload import ModelLoadError

        raise ModelLoadError(
            f"The current model version {version!r} is missing from {path}; "
            f"run `saring model rollback` or `saring model promote shipped`."
        )
    return path


def _append(record: dict[str, Any]) -> None:
    r = root()
    r.mkdir(parents=True, exist_ok=True)
    with (r / "history.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **record}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def bundle_info(version: str) -> dict[str, Any]:
    path = version_dir(version)
    info: dict[str, Any] = {"version": version, "path": str(path)}
    meta = path / "bundle.json"
    if meta.exists():
        info.update(json.loads(meta.read_text(encoding="utf-8")))
    for name in ("hoax", "election"):
        card = path / f"{name}.json"
        if card.exists():
            info[f"{name}_version"] = json.loads(card.read_text(encoding="utf-8")).get("version")
    return info


def list_versions() -> list[dict[str, Any]]:
    """Every known version, oldest first, with ``current`` marked."""
    cur = current_version()
    versions = [SHIPPED]
    if root().exists():
        versions += sorted(p.name for p in root().iterdir() if (p / "bundle.json").exists())
    out = []
    for v in versions:
        info = bundle_info(v)
        info["current"] = v == cur
        out.append(info)
    return out


def promote(version: str, reason: str = "manual") -> str:
    """Make ``version`` current. Returns the previous current version."""
    path = version_dir(version)
    if not (path / "hoax.skops").exists() or not (path / "election.skops").exists():
        known = ", ".join(v["version"] for v in list_versions())
        raise RegistryError(f"unknown model version {version!r}; known versions: {known}")
    previous = current_version()
    if previous == version:
        raise RegistryError(f"{version} is already the current model version")
    from saring.judge.classifier.modelload import load_model_file

    for name in ("election", "hoax"):  # refuse a version whose files do not load (hash, types)
        load_model_file(path, name)
    _append({"action": "promote", "version": version, "previous": previous, "reason": reason})
    return previous


def rollback(reason: str = "manual") -> str:
    """Go back to the version that was current before the last promotion. Returns it."""
    stack = _stack()
    if len(stack) < 2:
        raise RegistryError(
            "nothing to roll back: the current model is the shipped one and was never replaced"
        )
    _append({"action": "rollback", "version": stack[-2], "previous": stack[-1], "reason": reason})
    return stack[-2]


def history() -> list[dict[str, Any]]:
    return _history()
