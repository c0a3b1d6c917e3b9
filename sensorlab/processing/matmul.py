"""Matrix products of many columns, computed in column blocks that stay on one BLAS thread.

NumPy hands ``a @ b`` to OpenBLAS, which spreads a product of more than 65536 x 4
multiplications over its threads; after the product they spin idle for about a tenth of
a second, which for the kinematics' products of a batch analysis costs more CPU than the
products themselves. Blocks under that threshold stay on one thread, and each column's
result is the one the whole product gives (the same kernel computes every column,
however the columns are split).
"""

from __future__ import annotations

import numpy as np

SINGLE_THREAD_PRODUCT = 65536 * 4
"""OpenBLAS computes a product of at most this many multiplications on one thread."""


def matmul_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a small 2-D ``a`` (k, m) and a 2-D ``b`` (m, n) of many columns."""
    step = max(1, SINGLE_THREAD_PRODUCT // (a.shape[0] * a.shape[1]))
    if b.shape[1] <= step:
        return np.matmul(a, b)  # (a live update's few rows: one call)
    out = np.empty((a.shape[0], b.shape[1]))
    for lo in range(0, b.shape[1], step):
        np.matmul(a, b[:, lo : lo + step], out=out[:, lo : lo + step])
    return out
