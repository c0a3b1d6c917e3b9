"""Left-right symmetry: the Robinson symmetry index and per-side descriptive statistics.

Pure functions on plain numbers and arrays; no I/O.

The Robinson symmetry index (Robinson et al. 1987) of a metric with a left and a right value
is ``SI = 100 * (right - left) / (0.5 * (right + left))`` in percent. It is 0 for perfect
symmetry, positive when the right value is larger and negative when the left is larger;
one side at zero and the other not gives +/-200 %.

The index is meant for ratio-scale quantities that keep one sign (ranges, durations, rates,
drops). Two remarks for metrics that can be negative (a pelvic "drop" below zero means the
pelvis rose on that side):

- When both values are negative the formula is applied as it stands, and its sign then
  compares magnitudes: ``left=-2, right=-4`` gives +66.7 % (the right is larger in size).
- When the values have opposite signs the denominator shrinks and the index grows past
  200 %; when they nearly cancel (``|right + left|`` below ``cancel_tol`` times
  ``|right| + |left|``) the index is meaningless and :func:`robinson_si_pct` returns
  ``None``. This also covers both values being zero. Compare the values themselves then.

References
----------
Robinson RO, Herzog W, Nigg BM (1987). Use of force platform variables to quantify the
effects of chiropractic manipulation on gait symmetry. J Manipulative Physiol Ther 10(4).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

CANCEL_TOL = 0.1
"""Default relative tolerance under which ``left + right`` counts as zero (see module doc)."""


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def robinson_si_pct(
    left: float | None, right: float | None, *, cancel_tol: float = CANCEL_TOL
) -> float | None:
    """Robinson symmetry index in percent, positive when the right value is larger.

    Parameters
    ----------
    left, right : float or None
        The metric's value on each side (usually a per-side mean), in any one unit.
    cancel_tol : float
        The index is undefined (``None``) when ``|right + left| <= cancel_tol *
        (|right| + |left|)``: both zero, or values of opposite sign that nearly cancel.
        Values of the same sign never trigger it unless both are zero.

    Returns
    -------
    float or None
        ``100 * (right - left) / (0.5 * (right + left))``; ``None`` when either value is
        missing (``None`` or NaN/inf) or when the denominator is (close to) zero.
    """
    left_v = _finite_or_none(left)
    right_v = _finite_or_none(right)
    if left_v is None or right_v is None:
        return None
    total = right_v + left_v
    if abs(total) <= cancel_tol * (abs(right_v) + abs(left_v)):
        return None
    return 100.0 * (right_v - left_v) / (0.5 * total)


@dataclass(frozen=True)
class SideStats:
    """Descriptive statistics of one metric on one side.

    Attributes
    ----------
    n : int
        Number of finite values used (NaN and ``None`` are left out).
    mean : float or None
        Arithmetic mean, in the metric's unit; ``None`` when ``n == 0``.
    sd : float or None
        Sample standard deviation (``ddof=1``), in the metric's unit; ``None`` when
        ``n < 2``.
    cv_pct : float or None
        Coefficient of variation ``100 * sd / |mean|`` in percent (rep-to-rep
        consistency); ``None`` without ``sd`` or when the mean is (close to) zero, where
        it is meaningless.
    """

    n: int
    mean: float | None
    sd: float | None
    cv_pct: float | None


def side_stats(values: Iterable[float | None], *, zero_tol: float = 1e-9) -> SideStats:
    """Count, mean, sample SD and coefficient of variation of one side's values.

    Parameters
    ----------
    values : iterable of float or None
        Per-rep (or per-step) values of one metric on one side. Non-finite values and
        ``None`` are ignored.
    zero_tol : float
        ``cv_pct`` is ``None`` when ``|mean| <= zero_tol``.

    Returns
    -------
    SideStats
    """
    arr = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    arr = arr[np.isfinite(arr)]
    n = int(arr.size)
    if n == 0:
        return SideStats(n=0, mean=None, sd=None, cv_pct=None)
    mean = float(np.mean(arr))
    sd = float(np.std(arr, ddof=1)) if n >= 2 else None
    cv_pct = 100.0 * sd / abs(mean) if sd is not None and abs(mean) > zero_tol else None
    return SideStats(n=n, mean=mean, sd=sd, cv_pct=cv_pct)
