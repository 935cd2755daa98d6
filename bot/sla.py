"""Response-time promises per complaint category, read from ``sla.yml`` (``SLA_FILE``).

The bot may only promise what this file allows: over-promising creates the next complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import get_settings


@dataclass(frozen=True)
class SlaTable:
    """Hours promised per category, with a default for categories not listed.

    Attributes:
        default_hours: Response time of a category not listed.
        hours_by_category: Response time per complaint intent.
        handoff_minutes: How soon a staff member usually answers after a handoff, quoted to
            the customer when the bot hands the conversation over.
    """

    default_hours: int
    hours_by_category: dict[str, int]
    handoff_minutes: int = 30

    def hours_for(self, category: str | None) -> int:
        """Return the promised response time in hours for ``category``."""
        return self.hours_by_category.get(category or "", self.default_hours)

    def due_at(self, category: str | None, now: datetime) -> datetime:
        """Return when a ticket of ``category`` opened at ``now`` is due."""
        return now + timedelta(hours=self.hours_for(category))


def load_sla(path: Path) -> SlaTable:
    """Read an SLA table from YAML.

    Args:
        path: File with ``default_hours`` and a ``categories`` mapping of intent → hours.

    Raises:
        ValueError: if a number of hours is not a positive integer.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    default = int(raw.get("default_hours", 48))
    table = {str(k): int(v) for k, v in (raw.get("categories") or {}).items()}
    handoff = int(raw.get("handoff_minutes", 30))
    if default <= 0 or handoff <= 0 or any(v <= 0 for v in table.values()):
        raise ValueError(f"{path}: SLA hours and minutes must be positive")
    return SlaTable(default_hours=default, hours_by_category=table, handoff_minutes=handoff)


@lru_cache(maxsize=1)
def get_sla() -> SlaTable:
    """The SLA table of this process, loaded once from ``settings.sla_file``."""
    return load_sla(get_settings().sla_file)
