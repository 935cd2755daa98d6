"""Saving and restoring a trained model inside a Rasa component's resource.

Our trainable NLU components keep their model as plain files (JSON, NumPy archives) in the
folder Rasa's model storage lends them; these two helpers are the write and the tolerant read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)
Model = TypeVar("Model")


class Saveable(Protocol):
    """A model that writes itself into a folder."""

    def save(self, folder: Path) -> None:
        """Write the model's files into ``folder``."""


def persist_model(storage: ModelStorage, resource: Resource, model: Saveable | None) -> None:
    """Write ``model`` into ``resource`` (nothing when there is no model)."""
    if model is None:
        return
    with storage.write_to(resource) as folder:
        model.save(Path(folder))


def restore_model(
    storage: ModelStorage, resource: Resource, load: Callable[[Path], Model], what: str
) -> Model | None:
    """``load`` the model persisted in ``resource``; None (logged) when it was never trained.

    A component whose training was skipped (too little data) has no files, so loading the
    bot must not fail on it: the component then runs without a model.
    """
    try:
        with storage.read_from(resource) as folder:
            return load(Path(folder))
    except (ValueError, FileNotFoundError, KeyError) as error:
        logger.warning("%s has no trained model (%s).", what, error)
        return None
