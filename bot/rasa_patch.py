"""Installing a fix to one of Rasa's methods, once per process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def patch_method(owner: type, name: str, wrap: Callable[[Any], Any]) -> None:
    """Replace ``owner.name`` by ``wrap(original)``, unless this was done already.

    Args:
        owner: Rasa's class.
        name: The method's name.
        wrap: Takes the original function and returns its replacement.
    """
    marker = f"_bot_patched_{name}"
    if owner.__dict__.get(marker):
        return
    setattr(owner, name, wrap(getattr(owner, name)))
    setattr(owner, marker, True)
