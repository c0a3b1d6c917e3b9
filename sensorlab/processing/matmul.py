"""Matrix products of many rows, computed in row blocks that stay on one BLAS thread.

NumPy hands ``a @ b`` to OpenBLAS, which spreads a product with more than 65536 x 4
multiplications over its threads; after the product they spin idle for about a tenth of
a second, which for the kinematics' (n, 3) x (3, 3) products of a batch analysis costs
more CPU than the products themselves. Blocks of :data:`PRODUCT_ROWS` rows stay under
that threshold, and each row's result is the one the whole product gives (the same
kernel computes every row, however the rows are split).
"""

from __future__ import annotations

import numpy as np

PRODUCT_ROWS = 4096
"""Rows per block: 4096 x 4 x 8, the largest product here, stays under 65536 x 4."""


def matmul_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a 2-D ``a`` of many rows and a small 2-D ``b``, in row blocks."""
    out = np.empty((a.shape[0], b.shape[1]))
    for lo in range(0, a.shape[0], PRODUCT_ROWS):
        np.matmul(a[lo : lo + PRODUCT_ROWS], b, out=out[lo : lo + PRODUCT_ROWS])
    return out
