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
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from saring.errors import SaringError
from saring.judge.classifier.modelload import CLASSIFIERS_DIR, REBUILD

LOGGER = logging.getLogger(__name__)

SHIPPED = "shipped"
ROLL_BACK = "run `saring model rollback` or `saring model promote shipped`"
"""The way out of a broken promoted version (`make train` rebuilds the shipped models only)."""
GATE_PASSED = "gate passed: "
"""How a promotion by the retrain itself (its gate passed) starts its reason in the history."""


def roll_back_from(version: str) -> str:
    """The way out of ``version``, the current one, broken: go back to the one before it."""
    return f"{version!r} is the current model version; {ROLL_BACK}"


def not_promotable(version: str) -> str:
    """The way out of a broken version that is not current: leave it, use another or train anew."""
    return (f"version {version!r} cannot be used; promote another one from `saring model list`, "
            "or train a new one with `saring train`")


def cannot_roll_back_to(version: str) -> str:
    """The way out when the version a rollback goes back to is broken: promote one that works."""
    if version == SHIPPED:
        return f"cannot roll back to {version!r}; {REBUILD}"
    return (f"cannot roll back to {version!r}, the version before the current one; promote one that "
            "works from `saring model list` (`saring model promote shipped`: the models saring came with)")


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
    """The history's records; a line that is not one (cut by a full disk or a power failure, or
    edited by hand) is skipped with a warning: the promotions before it still stand."""
    path = root() / "history.jsonl"
    if not path.exists():
        return []
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            rec = None
        if not isinstance(rec, dict) or rec.get("action") not in ("promote", "rollback") \
                or not isinstance(rec.get("version"), str):
            LOGGER.warning("skipping line %d of %s: not a complete promote/rollback record (%.80r); "
                           "check `saring model list` shows the model you expect as current", n, path, line)
            continue
        records.append(rec)
    return records


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


def served_model_dir() -> Path:
    """Where the served models are read from: ``$SARING_MODELS`` when set, else the current
    promoted version's directory (:func:`current_model_dir`)."""
    from saring.judge.classifier.modelload import default_model_dir

    return default_model_dir() if os.environ.get("SARING_MODELS") else current_model_dir()


def current_model_dir() -> Path:
    """Directory of the current promoted version (``classifiers/`` when none was promoted)."""
    version = current_version()
    path = version_dir(version)
    # Every file, not only one: "run `make train`" (the loader's advice) rebuilds the shipped
    # models and leaves a promoted version with a file lost in a copy current.
    missing = [f"{task}.{ext}" for task in ("hoax", "election") for ext in ("skops", "json")
               if not (path / f"{task}.{ext}").exists()]
    if missing and version != SHIPPED:  # the shipped files are rebuilt by `make train`, as the loader says
        from saring.judge.classifier.modelload import ModelLoadError

        what = "is missing from" if len(missing) == 4 else f"has lost {', '.join(missing)} in"
        raise ModelLoadError(
            f"The current model version {version!r} {what} {path}; {ROLL_BACK}."
        )
    return path


def _append(record: dict[str, Any]) -> None:
    r = root()
    r.mkdir(parents=True, exist_ok=True)
    path = r / "history.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        if fh.tell() and not path.read_bytes().endswith(b"\n"):
            fh.write("\n")  # after a cut last line: a record glued onto it would be lost with it
        fh.write(json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **record}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_json(path: Path) -> dict[str, Any] | None:
    """A version's JSON file, or None with a warning when it cannot be read (cut, edited by hand)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        data = exc
    if isinstance(data, dict):
        return data
    LOGGER.warning("cannot read %s (%s); its version is listed without it", path,
                   data if isinstance(data, Exception) else "not a JSON object")
    return None


def bundle_info(version: str) -> dict[str, Any]:
    """What a version's files say about it; ``unreadable`` names the files that could not be read."""
    path = version_dir(version)
    info: dict[str, Any] = {"version": version, "path": str(path)}
    unreadable = []
    for name in ("bundle", "hoax", "election"):
        file = path / f"{name}.json"
        if not file.exists():
            continue
        data = _read_json(file)
        if data is None:
            unreadable.append(file.name)
        elif name == "bundle":
            info.update(data)
        else:
            info[f"{name}_version"] = data.get("version")
    if unreadable:
        info["unreadable"] = unreadable
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
    if version != SHIPPED and not (path / "bundle.json").exists():
        # bundle.json is written last: without it `model list` hides the version, current or not
        raise RegistryError(
            f"version {version!r} is incomplete: {path} has no bundle.json (the retrain that wrote it "
            "was stopped before it finished); promote another one from `saring model list`, or train "
            f"a new one with `saring train` (the folder {path.name} can be deleted)")
    previous = current_version()
    if previous == version:
        raise RegistryError(f"{version} is already the current model version")
    from saring.judge.classifier.modelload import load_model_file

    remedy = not_promotable(version) if version != SHIPPED else REBUILD
    for name in ("election", "hoax"):  # refuse a version whose files do not load (hash, types)
        load_model_file(path, name, remedy)
    gate = bundle_info(version).get("gate")
    if isinstance(gate, dict) and gate.get("passed") is False:  # the history must not read as a good one
        reason = f"{reason}; the retrain gate refused it: {gate.get('reason', '?')}"
    _append({"action": "promote", "version": version, "previous": previous, "reason": reason})
    return previous


def rollback_target() -> str:
    """The version :func:`rollback` goes back to."""
    stack = _stack()
    if len(stack) < 2:
        raise RegistryError(
            "nothing to roll back: the current model is the shipped one and was never replaced"
        )
    return stack[-2]


def rollback(reason: str = "manual") -> str:
    """Go back to the version that was current before the last promotion. Returns it."""
    target, current = rollback_target(), current_version()
    from saring.judge.classifier.modelload import load_model_file

    # as promote: a version damaged or deleted since would only fail at the next run
    for name in ("election", "hoax"):
        load_model_file(version_dir(target), name, cannot_roll_back_to(target))
    _append({"action": "rollback", "version": target, "previous": current, "reason": reason})
    return target


def history() -> list[dict[str, Any]]:
    return _history()
