"""Loading model files safely: the file must match its card, and only trusted types load.

A ``.skops`` file is read only if its SHA-256 equals the one in its model card (``.json``) and
every type inside it comes from scikit-learn, NumPy, SciPy, Python builtins or ``saring.``.
Heavy imports (scikit-learn, skops) happen only when a file is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saring.errors import SaringError

if TYPE_CHECKING:  # pragma: no cover
    from sklearn.pipeline import Pipeline

__all__ = ["TRUSTED_TYPE_PREFIXES", "ModelLoadError", "default_model_dir", "load_model_file"]

logger = logging.getLogger(__name__)

CLASSIFIERS_DIR = Path(__file__).resolve().parents[3] / "classifiers"
"""The repository's ``classifiers/``: the shipped models, their cards and the training data."""

TRUSTED_TYPE_PREFIXES: tuple[str, ...] = ("sklearn.", "numpy.", "scipy.", "builtins.", "saring.")
"""A type stored in a model file is accepted only if its dotted name starts with one of these."""

REBUILD = ("restore the shipped models with `git checkout -- classifiers/` in the saring folder "
           "(or rebuild them with `make train`, 3-6 minutes)")
"""The way out of a broken shipped model; a promoted version is not rebuilt by it (see
:data:`saring.judge.classifier.registry.ROLL_BACK`)."""


class ModelLoadError(SaringError):
    """A classifier file is missing, altered, unsafe or unreadable."""


def default_model_dir() -> Path:
    """The directory that holds the *shipped* model files (or ``$SARING_MODELS``)."""
    env = os.environ.get("SARING_MODELS")
    if env:
        return Path(env).expanduser()
    return CLASSIFIERS_DIR


def read_card(model_dir: Path, name: str, remedy: str = REBUILD) -> dict[str, Any]:
    """One model's card (its version and the file's checksum); ModelLoadError if it is missing,
    unreadable or lacks them. Reading it takes milliseconds, loading the model seconds."""
    card_path = model_dir / f"{name}.json"
    if not card_path.is_file():
        raise ModelLoadError(f"Model card {card_path} is missing: {remedy}.")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        str(card["sha256"])
        str(card["version"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(
            f"Model card {card_path} is unreadable or incomplete: {remedy}."
        ) from exc
    return card


def load_model_file(model_dir: Path, name: str, remedy: str = REBUILD) -> tuple[Pipeline, dict[str, Any]]:
    """Load and verify one model file; raise ModelLoadError with a readable message ending in
    ``remedy``, the way out."""
    model_path = model_dir / f"{name}.skops"
    card_path = model_dir / f"{name}.json"
    if not model_path.is_file():
        raise ModelLoadError(f"Model file {model_path} is missing: {remedy}.")
    card = read_card(model_dir, name, remedy)
    expected_sha = str(card["sha256"])
    try:
        data = model_path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"Model file {model_path} cannot be read: {exc}.") from exc
    if hashlib.sha256(data).hexdigest() != expected_sha:
        raise ModelLoadError(
            f"Model file {model_path} does not match its model card {card_path.name} "
            f"(the file was changed or is damaged): {remedy}."
        )

    import sklearn
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises various errors for corrupt archives
        raise ModelLoadError(f"Model file {model_path} is damaged: {remedy}.") from exc
    refused = [t for t in untrusted if not t.startswith(TRUSTED_TYPE_PREFIXES)]
    if refused:
        raise ModelLoadError(
            f"Model file {model_path} contains code saring does not trust "
            f"({', '.join(sorted(refused))}); it was not loaded: {remedy}."
        )
    try:
        pipeline = sio.loads(data, trusted=list(untrusted))
    except Exception as exc:
        raise ModelLoadError(
            f"Model file {model_path} could not be loaded ({type(exc).__name__}): {remedy}."
        ) from exc
    trained_with = card.get("sklearn_version")
    if trained_with and trained_with != sklearn.__version__:
        warnings.warn(
            f"The {name} model was trained with scikit-learn {trained_with} but scikit-learn "
            f"{sklearn.__version__} is installed; scores may differ slightly. "
            f"Run `saring train` to retrain both models with the installed version.",
            UserWarning,
            stacklevel=3,
        )
    logger.info("Loaded %s model %s from %s", name, card["version"], model_path)
    return pipeline, card
