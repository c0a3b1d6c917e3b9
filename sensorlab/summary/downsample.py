"""Min/max envelope downsampling of long traces for static plots.

A one-hour session at 100 Hz has 360 000 samples per trace; a figure a thousand pixels
wide shows at most a few thousand. Each bin's minimum and maximum, drawn as a filled band,
give the same picture as the full trace, peaks included, at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np

DEFAULT_MAX_POINTS = 3000
"""Points per trace after downsampling: two per bin, about two per pixel column."""


def minmax_bins(
    t_s: np.ndarray, values: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin minimum and maximum of a trace, for drawing it as a filled band.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times in seconds, increasing.
    values : ndarray, shape (n,)
        The trace; NaN is ignored, and a bin with only NaN gives NaN (a gap).
    n_bins : int
        Number of bins (at least 1); consecutive samples, the last bin may be shorter.

    Returns
    -------
    t_mid_s, low, high : ndarray, shape (m,)
        Mean time, minimum and maximum of each bin; ``m <= n_bins``.
    """
    t = np.asarray(t_s, dtype=float)
    y = np.asarray(values, dtype=float)
    if t.shape != y.shape:
        raise ValueError(f"t_s and values differ in shape: {t.shape} vs {y.shape}")
    if y.size == 0:
        return t, y, y
    bin_size = -(-y.size // max(1, n_bins))
    starts = np.arange(0, y.size, bin_size)
    nan = np.isnan(y)
    low = np.minimum.reduceat(np.where(nan, np.inf, y), starts)
    high = np.maximum.reduceat(np.where(nan, -np.inf, y), starts)
    empty = ~np.isfinite(low)
    low[empty] = np.nan
    high[empty] = np.nan
    counts = np.diff(np.append(starts, y.size))
    t_mid = np.add.reduceat(t, starts) / counts
    return t_mid, low, high
