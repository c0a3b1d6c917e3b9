"""Robinson symmetry index and per-side statistics against their formulas and numpy."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from sensorlab.processing.symmetry import SideStats, robinson_si_pct, side_stats


def robinson(left: float, right: float) -> float:
    """The contract's formula, written out independently."""
    return 100.0 * (right - left) / (0.5 * (right + left))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (3.2, 6.0),  # the contract's example: +60.9 %
        (6.0, 3.2),
        (66.0, 69.1),
        (0.57, 0.59),
        (5.0, 5.0),
        (190.0, 1.0),
        (-2.0, -4.0),  # both negative: the formula as it stands
        (-0.5, 6.0),  # opposite signs that do not cancel
    ],
)
def test_si_matches_the_formula(left, right):
    assert robinson_si_pct(left, right) == pytest.approx(robinson(left, right), rel=1e-12)


def test_si_examples_by_hand():
    assert robinson_si_pct(3.2, 6.0) == pytest.approx(60.869565, abs=1e-6)
    assert robinson_si_pct(5.0, 5.0) == 0.0
    # One side at zero is the largest possible asymmetry for same-sign values.
    assert robinson_si_pct(0.0, 5.0) == pytest.approx(200.0)
    assert robinson_si_pct(5.0, 0.0) == pytest.approx(-200.0)


def test_si_sign_says_which_side_is_larger():
    assert robinson_si_pct(3.0, 6.0) > 0  # right larger -> positive
    assert robinson_si_pct(6.0, 3.0) < 0
    assert robinson_si_pct(3.0, 6.0) == pytest.approx(-robinson_si_pct(6.0, 3.0))
    # Both negative: positive means the right is larger in size (more negative).
    assert robinson_si_pct(-2.0, -4.0) == pytest.approx(200.0 / 3.0)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (0.0, 0.0),
        (None, 3.0),
        (3.0, None),
        (None, None),
        (float("nan"), 3.0),
        (3.0, float("nan")),
        (3.0, float("inf")),
        (-3.0, 3.0),  # cancels exactly
        (-3.0, 3.1),  # nearly cancels: |l + r| = 0.1 <= 0.1 * 6.1
    ],
)
def test_si_is_none_when_undefined(left, right):
    assert robinson_si_pct(left, right) is None


def test_si_cancel_tolerance_is_a_parameter():
    assert robinson_si_pct(-3.0, 3.1, cancel_tol=0.0) == pytest.approx(robinson(-3.0, 3.1))
    # Opposite signs outside the tolerance keep the formula's value.
    assert robinson_si_pct(-1.0, 3.0) == pytest.approx(robinson(-1.0, 3.0))
    assert robinson_si_pct(-1.0, 3.0, cancel_tol=0.6) is None


def test_si_accepts_numpy_scalars():
    value = robinson_si_pct(np.float32(3.0), np.float64(4.0))
    assert isinstance(value, float)
    assert value == pytest.approx(robinson(3.0, 4.0), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_side_stats_against_numpy(seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(5.0, 1.5, size=int(rng.integers(2, 30)))
    stats = side_stats(values)
    assert stats.n == values.size
    assert stats.mean == pytest.approx(np.mean(values))
    assert stats.sd == pytest.approx(np.std(values, ddof=1))
    assert stats.cv_pct == pytest.approx(100.0 * np.std(values, ddof=1) / abs(np.mean(values)))


def test_side_stats_ignores_missing_values():
    values = [1.0, None, 2.0, float("nan"), 4.0, float("inf")]
    stats = side_stats(values)
    finite = np.array([1.0, 2.0, 4.0])
    assert stats.n == 3
    assert stats.mean == pytest.approx(finite.mean())
    assert stats.sd == pytest.approx(finite.std(ddof=1))


def test_side_stats_small_samples():
    assert side_stats([]) == SideStats(n=0, mean=None, sd=None, cv_pct=None)
    assert side_stats([None, float("nan")]).n == 0
    one = side_stats([4.2])
    assert (one.n, one.mean, one.sd, one.cv_pct) == (1, 4.2, None, None)


def test_side_stats_cv_with_negative_or_zero_mean():
    stats = side_stats([-2.0, -4.0])
    assert stats.mean == pytest.approx(-3.0)
    assert stats.cv_pct == pytest.approx(100.0 * math.sqrt(2.0) / 3.0)  # |mean|, so >= 0
    zero_mean = side_stats([-1.0, 1.0])
    assert zero_mean.sd == pytest.approx(math.sqrt(2.0))
    assert zero_mean.cv_pct is None


def test_side_stats_is_frozen():
    stats = side_stats([1.0, 2.0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.n = 5  # type: ignore[misc]
