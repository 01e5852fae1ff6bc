"""Writing model files reproducibly (same model -> same bytes) and their JSON cards."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

_SKOPS_ID_RE = re.compile(r'("__id__": )(\d+)|("file": ")(\d+)(\.npy")')


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_json(path: Path, obj: dict[str, Any]) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _make_zip_reproducible(path: Path) -> None:
    """Renumber skops' memory-address ids and fix zip timestamps (same model -> same bytes)."""
    with zipfile.ZipFile(path) as zin:
        entries = {info.filename: zin.read(info.filename) for info in zin.infolist()}
    mapping: dict[str, str] = {}

    def renumber(m: re.Match[str]) -> str:
        old = m.group(2) or m.group(4)
        new = mapping.setdefault(old, str(len(mapping) + 1))
        return m.group(1) + new if m.group(1) else m.group(3) + new + m.group(5)

    schema = _SKOPS_ID_RE.sub(renumber, entries.pop("schema.json").decode("utf-8"))
    out: dict[str, bytes] = {"schema.json": schema.encode("utf-8")}
    for filename, payload in entries.items():
        stem, _, ext = filename.partition(".")
        if ext != "npy" or stem not in mapping:
            raise RuntimeError(f"unexpected entry {filename} in {path}")
        out[f"{mapping[stem]}.npy"] = payload
    tmp = path.with_suffix(".skops.tmp")
    with zipfile.ZipFile(tmp, "w") as zout:
        for filename in sorted(out):
            info = zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, out[filename], compresslevel=6)
    tmp.replace(path)


def _compact(model: Any) -> None:
    """Make fitted vectorizers small and fast to load.

    ``stop_words_`` keeps every dropped term and is not needed to predict; a fitted
    ``vocabulary_`` maps terms to NumPy integers, which skops writes as one file each (a char
    n-gram vocabulary took 10 s to load), so they become plain ints. ``_stop_words_id`` is the
    memory address of the stop-word list (a cache of scikit-learn's, rebuilt when needed): kept,
    it made every ``make train`` write different bytes.
    """
    for est in _walk(model):
        if hasattr(est, "stop_words_"):
            est.stop_words_ = None
        if hasattr(est, "_stop_words_id"):
            del est._stop_words_id
        if isinstance(getattr(est, "vocabulary_", None), dict):
            est.vocabulary_ = {str(k): int(v) for k, v in est.vocabulary_.items()}


def _walk(est: Any):
    yield est
    for attr in ("steps", "transformer_list"):
        for _, child in getattr(est, attr, []) or []:
            yield from _walk(child)


def dump_model(model: Any, name: str, out_dir: Path, created: dt.date, texts: list[str]) -> tuple[str, str]:
    """Write ``<out_dir>/<name>.skops`` reproducibly; return (sha256, version string).

    Raises:
        RuntimeError: the written file does not reproduce the model's predictions.
    """
    import skops.io as sio

    _compact(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.skops"
    sio.dump(model, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    _make_zip_reproducible(path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    if not np.array_equal(model.predict_proba(texts[:50]), loaded.predict_proba(texts[:50])):
        raise RuntimeError(f"{path} does not reproduce the trained model's predictions")
    digest = sha256_file(path)
    return digest, f"{name}-{created:%Y.%m.%d}-{digest[:8]}"
