"""Summary statistics shared by the benchmarks."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0..1) percentile by the nearest-rank method; 0.0 for no values.

    Examples:
        >>> percentile(range(1, 101), 0.95)
        95
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(share * len(ordered))))
    return ordered[rank - 1]
