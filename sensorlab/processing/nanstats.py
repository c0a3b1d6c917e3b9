"""The largest and smallest value of an array with missing (NaN) samples, as floats.

``np.nanmax`` and ``np.nanmin`` give the same values, but check every result for NaN
(to warn) at several times the cost of the reduction itself; a rep's or a step's
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
