"""nanstats gives numpy's nan-reductions' values exactly, and NaN for all-missing input."""

import warnings

import numpy as np
import pytest

from sensorlab.processing.nanstats import highest, lowest, mean


@pytest.mark.parametrize("seed", range(20))
def test_the_values_of_numpys_nan_reductions_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(scale=10.0 ** rng.integers(-3, 4), size=rng.integers(1, 700))
    values[rng.random(values.size) < rng.random() * 0.5] = np.nan
    if np.isnan(values).all():
        values[0] = 1.5
    strided = np.repeat(values, 3)[::3]  # a column of a row-major table
    for x in (values, strided):
        assert highest(x) == np.nanmax(x)
        assert lowest(x) == np.nanmin(x)
        assert mean(x) == np.nanmean(x)


def test_all_missing_is_nan_without_a_warning():
    missing = np.full(40, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(highest(missing))
        assert np.isnan(lowest(missing))
        assert np.isnan(mean(missing))
