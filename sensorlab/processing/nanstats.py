"""The largest value, the smallest and the mean of an array with missing (NaN) samples.

As floats. ``np.nanmax``, ``np.nanmin`` and ``np.nanmean`` give the same values, but cost
several times the reduction itself per call (checks, warnings, dispatch); a rep's or a step's
metrics take a dozen of them on a few hundred rows, hundreds of times a session. A
window whose values are all missing gives NaN here, silently: the callers report it
as a missing value.
"""

from __future__ import annotations

import numpy as np


def highest(values: np.ndarray) -> float:
    """The largest value, NaN ignored (NaN when every value is NaN)."""
    return float(np.fmax.reduce(values))


def lowest(values: np.ndarray) -> float:
    """The smallest value, NaN ignored (NaN when every value is NaN)."""
    return float(np.fmin.reduce(values))


def mean(values: np.ndarray) -> float:
    """The mean of the values that are not NaN (NaN when every value is NaN).

    ``np.nanmean``'s value: the values with NaN as zero, summed as numpy sums them, over
    their count, without its per-call overhead.
    """
    present = ~np.isnan(values)
    count = np.count_nonzero(present)
    return float(np.where(present, values, 0.0).sum() / count) if count else float("nan")
