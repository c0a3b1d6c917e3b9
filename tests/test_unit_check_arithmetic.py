"""The unit checks' faster arithmetic gives numpy's own results, to the last bit.

Block means are summed in the order of ``numpy.add.reduceat``, lengths in the order of
``numpy.linalg.norm``; a median interval the reader already has changes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensorlab.io.unit_check import _block_means, _norm, gyro_evidence, quiet_acc


@pytest.mark.parametrize("block", [1, 2, 3, 4, 5, 7, 8, 9, 10, 16, 40, 200])
def test_block_means_equal_reduceat(block):
    rng = np.random.default_rng(block)
    vectors = rng.normal(size=(3, 1003)) * 10.0 ** rng.integers(-3, 4, size=(3, 1003))
    times = np.cumsum(rng.uniform(0.004, 0.006, size=1003))
    n = (1003 // block) * block
    starts = np.arange(0, n, block)
    got_vectors, got_times = _block_means(block, vectors, times)
    np.testing.assert_array_equal(
        got_vectors, np.add.reduceat(vectors.T[:n], starts, axis=0).T / block
    )
    np.testing.assert_array_equal(got_times, np.add.reduceat(times[:n], starts) / block)


def test_norm_equals_linalg_norm():
    vectors = np.random.default_rng(1).normal(size=(500, 3)) * 9.81
    np.testing.assert_array_equal(
        _norm(np.ascontiguousarray(vectors.T)), np.linalg.norm(vectors, axis=1)
    )


def swinging(seed: int = 0, n: int = 6000, rate_hz: float = 200.0):
    """A sensor swinging about x with a wandering amplitude: gravity's direction turns."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(n) / rate_hz + rng.uniform(0, 1e-4, n)
    angle = 0.8 * np.sin(2 * np.pi * 0.7 * t_s) * (1 + 0.3 * np.sin(0.1 * t_s))
    rate = np.gradient(angle, t_s)
    acc = 9.81 * np.column_stack([np.zeros(n), np.sin(angle), np.cos(angle)])
    gyr = np.column_stack([np.degrees(rate), np.zeros(n), np.zeros(n)])
    return t_s, acc + rng.normal(0, 0.05, (n, 3)), gyr + rng.normal(0, 0.5, (n, 3))


def test_a_known_median_interval_changes_nothing():
    t_s, acc, gyr = swinging()
    period_s = float(np.median(np.diff(t_s)))
    evidence = gyro_evidence(t_s, acc, gyr)
    assert evidence.stretches >= 20 and evidence.error_deg_s_rad < evidence.error_rad_s_rad
    assert gyro_evidence(t_s, acc, gyr, period_s=period_s) == evidence
    assert quiet_acc(t_s, acc, period_s=period_s) == quiet_acc(t_s, acc)
    # Component-major arrays, as the reader passes them (transposed views), likewise.
    acc_cm, gyr_cm = np.ascontiguousarray(acc.T), np.ascontiguousarray(gyr.T)
    assert gyro_evidence(t_s, acc_cm.T, gyr_cm.T, period_s=period_s) == evidence
