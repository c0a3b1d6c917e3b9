"""Unit tests of single stages against analytic cases and independent oracles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sensorlab.processing.columns import Columns
from sensorlab.processing.gait import PeakPicker, regularity
from sensorlab.processing.matmul import SINGLE_THREAD_PRODUCT, matmul_columns
from sensorlab.processing.orientation import (
    ROTATION_MATRIX,
    ROTATION_MATRIX_HOMOGENEOUS,
    OrientationEstimator,
    rotate_to_world,
    rotation_terms,
    up_in_sensor,
)
from sensorlab.processing.stillness import first_still_span, still_mask
from sensorlab.processing.timebase import GridResampler, TimebaseSettings


def test_still_span_is_the_first_stretch_where_every_sensor_rests():
    rate = 100.0
    t = np.arange(0, 12, 1 / rate)
    rng = np.random.default_rng(0)
    masks = []
    for moving_until in (1.0, 1.5):  # the second sensor settles later
        acc = np.tile([0.0, 0.0, 9.81], (t.size, 1)) + rng.normal(0, 0.02, (t.size, 3))
        gyr = rng.normal(0, 0.002, (t.size, 3))
        moving = (t < moving_until) | (t > 6.0)
        gyr[moving] += np.radians(60) * np.sin(2 * np.pi * t[moving])[:, None]
        acc[moving] += 2.0 * np.cos(2 * np.pi * t[moving])[:, None]
        masks.append((t, still_mask(t, acc, gyr)))
    span = first_still_span(masks)
    assert span is not None and span.complete
    assert span.start_s == pytest.approx(1.5, abs=0.1)
    assert span.end_s == pytest.approx(6.0, abs=0.1)
    # Cut the data while still standing: the span is found but may still grow.
    cut = [(tt[tt < 5.0], m[tt < 5.0]) for tt, m in masks]
    assert not first_still_span(cut).complete


def test_no_quiet_stretch_gives_none():
    t = np.arange(0, 10, 0.01)
    gyr = np.column_stack([np.radians(90) * np.sin(3 * t)] * 3)
    acc = np.tile([0.0, 0.0, 9.81], (t.size, 1))
    assert first_still_span([(t, still_mask(t, acc, gyr))]) is None


@pytest.mark.parametrize("rate_hz", [60.0, 100.0, 200.0, 52.0])
def test_resampling_reproduces_a_smooth_signal_and_marks_gaps(rate_hz):
    t = np.arange(0.0, 10.0, 1 / rate_hz) + 0.0017
    keep = np.ones(t.size, dtype=bool)
    keep[(t > 4.0) & (t < 4.5)] = False  # a 0.5 s loss: longer than the bridge limit
    t = t[keep]
    values = np.column_stack([np.sin(2 * np.pi * 0.7 * t), np.cos(2 * np.pi * 1.3 * t)])
    resampler = GridResampler(averaging=GridResampler.averaging_for(rate_hz))
    blocks = [resampler.update(t, values), resampler.flush()]
    k0 = blocks[0].k0
    out = np.vstack([b.values for b in blocks])
    grid_t = (k0 + np.arange(out.shape[0])) / 100.0
    truth = np.column_stack([np.sin(2 * np.pi * 0.7 * grid_t), np.cos(2 * np.pi * 1.3 * grid_t)])
    in_gap = (grid_t > 4.0) & (grid_t < 4.5)
    assert np.all(np.isnan(out[in_gap, 0]))
    ok = ~np.isnan(out[:, 0])
    # Bins at the edge of a loss hold one sample, up to half a sample period off the
    # grid time: a shift of 2.5 ms on a 1.3 Hz signal is 0.02.
    assert np.max(np.abs(out[ok, :2] - truth[ok])) < 0.03
    near_gap = (grid_t >= 4.0 - 0.01) & (grid_t <= 4.5 + 0.01)
    assert np.all(out[~near_gap, 2] == 0.0)  # no gap flag away from the loss


def test_short_losses_are_bridged_and_flagged():
    t = np.arange(0.0, 5.0, 0.01)
    t = t[(t < 2.0) | (t > 2.2)]
    resampler = GridResampler(averaging=False)
    block = resampler.update(t, np.column_stack([t]))
    grid_t = (block.k0 + np.arange(block.values.shape[0])) / 100.0
    inside = (grid_t > 2.0) & (grid_t < 2.2)
    np.testing.assert_allclose(block.values[inside, 0], grid_t[inside], atol=1e-9)
    assert np.all(block.values[inside, 1] == 1.0)


def test_orientation_follows_a_known_rotation():
    """Noise-free rotation at a constant rate about a tilted axis: compare the filter's
    vertical with scipy's exact orientation."""
    rate = 100.0
    t = np.arange(0, 20, 1 / rate)
    axis = np.array([1.0, 0.5, 0.2]) / np.linalg.norm([1.0, 0.5, 0.2])
    omega = np.radians(40.0)
    rotations = Rotation.from_rotvec(np.outer(omega * t, axis))  # sensor -> world
    gravity_in_sensor = rotations.inv().apply([0.0, 0.0, 9.81])
    gyr = np.tile(omega * axis, (t.size, 1))
    estimator = OrientationEstimator(gravity_in_sensor[0], np.zeros(3), rate)
    quaternions, uncertain = estimator.update(t, gravity_in_sensor, gyr)
    up = up_in_sensor(quaternions)
    exact = gravity_in_sensor / 9.81
    error_deg = np.degrees(np.arccos(np.clip(np.sum(up * exact, axis=1), -1, 1)))
    assert error_deg.max() < 0.5
    assert not uncertain.any()


def test_rotation_matrix_from_its_terms_is_the_quaternions_rotation():
    """Both forms against scipy's matrices at random unit quaternions; off unit length,
    ROTATION_MATRIX is what rotate_to_world and up_in_sensor compute, and the homogeneous
    form the rotation scaled by the squared norm."""
    rng = np.random.default_rng(5)
    rotations = Rotation.random(50, random_state=rng)
    quaternions = rotations.as_quat()[:, [3, 0, 1, 2]]  # scipy is scalar-last
    quaternions[7] = np.nan  # a lost row stays lost
    keep = np.arange(50) != 7
    terms = rotation_terms(quaternions)
    assert terms.shape == (11, 50)
    for coefficients in (ROTATION_MATRIX, ROTATION_MATRIX_HOMOGENEOUS):
        matrices = np.einsum("ijt,tn->nij", coefficients, terms)
        assert np.isnan(matrices[7]).all()
        np.testing.assert_allclose(matrices[keep], rotations.as_matrix()[keep], atol=1e-12)
    scaled = quaternions * 1.01
    terms = rotation_terms(scaled)
    for _ in range(5):
        vector = rng.normal(size=3)
        got = np.einsum("ijt,j,tn->ni", ROTATION_MATRIX, vector, terms)
        np.testing.assert_allclose(got[keep], rotate_to_world(scaled, vector)[keep], atol=1e-12)
        got = np.einsum("ijt,j,tn->ni", ROTATION_MATRIX_HOMOGENEOUS, vector, terms)
        expected = 1.01**2 * rotations.apply(vector)
        np.testing.assert_allclose(got[keep], expected[keep], atol=1e-12)
    up = np.einsum("jt,tn->nj", ROTATION_MATRIX[2], terms)
    np.testing.assert_allclose(up[keep], up_in_sensor(scaled)[keep], atol=1e-12)


@pytest.mark.parametrize("shape", [(18, 11, 40_000), (5, 11, 3), (3, 3, 100_000)])
def test_matmul_in_column_blocks_is_the_whole_product(shape):
    """Bit for bit, split into blocks or not (a few columns are one product)."""
    k, m, n = shape
    rng = np.random.default_rng(k)
    a, b = rng.normal(size=(k, m)), rng.normal(size=(m, n))
    assert (k * m * n > SINGLE_THREAD_PRODUCT) == (n > 3)
    np.testing.assert_array_equal(matmul_columns(a, b), a @ b)


def test_orientation_recovers_after_a_gap_at_the_next_still_moment():
    rate = 100.0
    t = np.arange(0, 6, 1 / rate)
    tilt = np.where(t < 2.0, 0.0, np.radians(30.0))  # turned 30 deg while no data came
    up = np.column_stack([np.sin(tilt), np.zeros_like(t), np.cos(tilt)])
    keep = (t < 1.5) | (t > 2.5)
    estimator = OrientationEstimator(up[0], np.zeros(3), rate)
    quaternions, uncertain = estimator.update(t[keep], 9.81 * up[keep], np.zeros((keep.sum(), 3)))
    after = t[keep] > 3.0
    assert uncertain[t[keep] > 2.5][0]
    assert not uncertain[after].any()
    error = np.degrees(
        np.arccos(np.clip(np.sum(up_in_sensor(quaternions) * up[keep], axis=1), -1, 1))
    )
    assert error[after].max() < 0.5


def test_peak_picker_is_block_size_invariant_and_finds_known_peaks():
    rate = 100.0
    t = np.arange(0, 30, 1 / rate)
    true_peaks = np.arange(1.0, 29.0, 0.55)
    signal = sum(4.0 * np.exp(-0.5 * ((t - p) / 0.03) ** 2) for p in true_peaks)
    signal += np.random.default_rng(1).normal(0, 0.1, t.size)
    whole = PeakPicker(rate, 0.01, 0.3, 1.0).update(signal, final=True)
    picker = PeakPicker(rate, 0.01, 0.3, 1.0)
    rng = np.random.default_rng(2)
    pieces, i = [], 0
    while i < t.size:
        n = int(rng.integers(1, 50))
        pieces += picker.update(signal[i : i + n], final=i + n >= t.size)
        i += n
    assert pieces == whole
    found = np.array([index for index, _ in whole]) / rate
    assert found.size == true_peaks.size
    assert np.max(np.abs(found - true_peaks)) < 0.01


def test_regularity_of_a_periodic_and_of_a_random_signal():
    rate = 100.0
    t = np.arange(0, 60, 1 / rate)
    step_s = 0.55
    periodic = np.sin(2 * np.pi * t / step_s) + 0.3 * np.sin(2 * np.pi * t / (2 * step_s))
    step, stride = regularity(periodic, step_s, rate)
    assert stride == pytest.approx(1.0, abs=0.02)
    assert step < stride
    noise = np.random.default_rng(0).normal(size=t.size)
    assert max(regularity(noise, step_s, rate)) < 0.2


def test_columns_grow_and_keep_their_values():
    columns = Columns(["a", "b"], capacity=2)
    for i in range(5):
        columns.append(a=np.array([i, i + 0.5]), b=np.array([-i, -i - 0.5]))
    assert columns.size == 10
    np.testing.assert_array_equal(columns["a"], [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5])


def test_columns_forget_old_rows_but_keep_numbering():
    columns = Columns(["a"], capacity=4)
    columns.append(a=np.arange(10.0))
    columns.forget_before(6)
    columns.append(a=np.arange(10.0, 13.0))
    assert columns.size == 13 and columns.first == 6
    np.testing.assert_array_equal(columns.rows("a", 8, 12), [8, 9, 10, 11])
    np.testing.assert_array_equal(columns["a"], np.arange(6.0, 13.0))
    with pytest.raises(IndexError):
        columns.rows("a", 5, 7)


def test_columns_in_a_long_stream_hold_the_right_rows_in_flat_memory():
    """Appends and forgetting in random steps, as a live stream does them: every held row
    reads back as appended, and the buffer stops growing once the held rows stop."""
    rng = np.random.default_rng(3)
    columns = Columns(["a", "b"], capacity=8)
    appended = 0
    capacities = []
    for _ in range(3000):
        n = int(rng.integers(0, 5))
        values = np.arange(appended, appended + n, dtype=float)
        if rng.random() < 0.5:
            columns.append(a=values, b=-values)
        else:
            columns.append_block(np.column_stack([values, -values]))
        appended += n
        columns.forget_before(appended - int(rng.integers(0, 40)))
        lo = columns.first
        np.testing.assert_array_equal(columns["a"], np.arange(lo, appended, dtype=float))
        np.testing.assert_array_equal(columns.rows("b", lo, appended), -columns["a"])
        np.testing.assert_array_equal(
            columns.block(lo, appended, 0, 2), np.column_stack([columns["a"], -columns["a"]])
        )
        np.testing.assert_array_equal(
            columns.view(lo, appended, 0, 2), np.vstack([columns["a"], -columns["a"]])
        )
        capacities.append(columns._data.shape[0])
    assert capacities[-1] == capacities[len(capacities) // 10] <= 128


def _lossy(t, rng, fraction=0.05):
    """Times with bursts of 1-10 samples removed (the simulator's loss model)."""
    from sensorlab.simulate.imu import short_burst_mask

    return t[~short_burst_mask(t.size, fraction, 10, rng)]


def _fill_error(resampler, t, signal):
    """Integral error of the values on the grid over each loss, and the gap flags."""
    blocks = [resampler.update(t, signal(t)), resampler.flush()]
    out = np.vstack([b.values for b in blocks])
    grid_t = (blocks[0].k0 + np.arange(out.shape[0])) / 100.0
    flags = out[:, -1] > 0.5
    return np.abs(np.sum((out[flags, :-1] - signal(grid_t[flags])), axis=0)) / 100.0, flags


def test_losses_are_filled_from_the_same_moment_of_an_earlier_repetition():
    """A repeating rate with sharp features (a stride's impacts), 60 Hz, 5 % lost in
    bursts: the matched fill keeps the integral over the losses (the rotation the
    orientation integrates) several times closer than a cubic, which keeps it closer
    than a straight line; noise (quiet standing) matches nothing and keeps the cubic."""
    rng = np.random.default_rng(5)
    t = _lossy(np.arange(0.0, 30.0, 1 / 60) + 0.004, rng)

    def stride(x):
        phase = (x / 1.1) % 1.0
        impacts = 3.0 * np.exp(-0.5 * ((phase - 0.1) / 0.02) ** 2)
        impacts += 2.0 * np.exp(-0.5 * ((phase - 0.6) / 0.025) ** 2)
        return np.column_stack([np.sin(2 * np.pi * x / 1.1) + impacts])

    errors = {}
    for name, residual in (("matched", 0.2), ("cubic", -1.0)):
        settings = TimebaseSettings(match_max_residual=residual)
        errors[name], flags = _fill_error(
            GridResampler(settings, averaging=False, sample_rate_hz=60.0), t, stride
        )
    assert flags.any()
    assert errors["matched"][0] < 0.2 * errors["cubic"][0]

    noise = np.random.default_rng(6).normal(0.0, 0.01, (t.size, 1))
    filled = {}
    for residual in (0.2, -1.0):
        resampler = GridResampler(
            TimebaseSettings(match_max_residual=residual), averaging=False, sample_rate_hz=60.0
        )
        filled[residual] = np.vstack([resampler.update(t, noise).values, resampler.flush().values])
    np.testing.assert_array_equal(filled[0.2], filled[-1.0])


def test_the_earlier_moment_is_found_to_a_fraction_of_a_sample():
    """A stride of 1.1083 s is 66.5 samples at 60 Hz: a lag on the sample grid is half a
    sample off, which over a loss of a sharp impact loses a good part of its integral.
    The lag is refined between samples, so the fill keeps each loss's integral within
    5 % of the integral of the signal's magnitude over it (on the sample grid alone:
    up to 94 %)."""
    rng = np.random.default_rng(11)
    t = _lossy(np.arange(0.0, 30.0, 1 / 60) + 0.004, rng)
    stride_s = 1.1083

    def stride(x):
        phase = (x / stride_s) % 1.0
        impacts = 40.0 * np.exp(-0.5 * ((phase - 0.1) / 0.015) ** 2)
        return np.column_stack([np.sin(2 * np.pi * x / stride_s) + impacts])

    resampler = GridResampler(TimebaseSettings(), averaging=False, sample_rate_hz=60.0)
    blocks = [resampler.update(t, stride(t)), resampler.flush()]
    out = np.vstack([b.values for b in blocks])
    grid_t = (blocks[0].k0 + np.arange(out.shape[0])) / 100.0
    flags = out[:, -1] > 0.5
    starts = np.flatnonzero(flags[1:] & ~flags[:-1]) + 1
    ends = np.flatnonzero(flags[:-1] & ~flags[1:]) + 1
    relative = []
    for a, b in zip(starts, ends, strict=False):
        truth = stride(grid_t[a:b])[:, 0]
        if np.abs(truth).max() > 10.0:  # the losses over an impact
            relative.append(abs(np.sum(out[a:b, 0] - truth)) / np.sum(np.abs(truth)))
    assert len(relative) >= 3
    assert max(relative) < 0.05


@pytest.mark.parametrize("rate_hz", [60.0, 200.0])
def test_filled_losses_are_block_size_invariant(rate_hz):
    rng = np.random.default_rng(7)
    t = _lossy(np.arange(0.0, 20.0, 1 / rate_hz) + 0.0017, rng)
    values = np.column_stack([np.sin(2 * np.pi * t / 1.1) ** 3, np.cos(2 * np.pi * t / 0.55)])
    settings = TimebaseSettings()
    averaging = GridResampler.averaging_for(rate_hz)
    whole = GridResampler(settings, averaging=averaging, sample_rate_hz=rate_hz)
    expected = np.vstack([whole.update(t, values).values, whole.flush().values])
    pieces = GridResampler(settings, averaging=averaging, sample_rate_hz=rate_hz)
    got, i = [], 0
    while i < t.size:
        n = int(rng.integers(1, 40))
        got.append(pieces.update(t[i : i + n], values[i : i + n]).values)
        i += n
    got.append(pieces.flush().values)
    np.testing.assert_allclose(np.vstack(got), expected, rtol=0, atol=1e-12)


def test_the_counter_decides_what_was_lost_not_a_jittery_clock():
    """Host times jittered by up to 0.4 sample periods: one spacing nearly two periods
    long is no loss when the counter says so, and a real loss is flagged."""
    t = np.arange(0.0, 2.0, 0.01)
    t[50] += 0.004
    t[51] -= 0.004  # spacing 0.018 s, above 1.5 periods, yet nothing lost
    keep = np.ones(t.size, dtype=bool)
    keep[120:123] = False  # three samples really lost
    lost_before = np.zeros(t.size, dtype=bool)
    lost_before[123] = True
    resampler = GridResampler(averaging=False, sample_rate_hz=100.0)
    block = resampler.update(t[keep], np.column_stack([t[keep]]), lost_before[keep])
    block_t = (block.k0 + np.arange(block.values.shape[0])) / 100.0
    flagged = block_t[block.values[:, -1] > 0.5]
    assert flagged.min() > 1.19 and flagged.max() <= 1.23


def test_orientation_carries_through_a_bridged_loss_and_checks_the_tilt_when_still():
    """A rotation integrated through bridged rows is not uncertain; a tilt that a bridge
    got wrong (here by 6 deg) is put right at the next still moment and that row flagged."""
    rate = 100.0
    t = np.arange(0, 6, 1 / rate)
    axis = np.array([1.0, 0.0, 0.0])
    angle = np.radians(30.0) * np.clip((t - 1.0) / 1.0, 0.0, 1.0)  # turns 30 deg in 1-2 s
    rotations = Rotation.from_rotvec(np.outer(angle, axis))
    gravity = rotations.inv().apply([0.0, 0.0, 9.81])
    gyr = np.zeros((t.size, 3))
    gyr[(t >= 1.0) & (t < 2.0), 0] = np.radians(30.0)
    bridged = (t > 1.4) & (t < 1.6)
    estimator = OrientationEstimator(gravity[0] / 9.81, np.zeros(3), rate)
    quaternions, uncertain = estimator.update(t, gravity, gyr, bridged=bridged)
    assert not uncertain.any()
    exact = gravity / 9.81
    error = np.degrees(np.arccos(np.clip(np.sum(up_in_sensor(quaternions) * exact, 1), -1, 1)))
    assert error.max() < 0.5

    wrong = gyr.copy()
    wrong[bridged, 0] = 0.0  # the bridge missed 6 deg of the turn
    estimator = OrientationEstimator(gravity[0] / 9.81, np.zeros(3), rate)
    quaternions, uncertain = estimator.update(t, gravity, wrong, bridged=bridged)
    error = np.degrees(np.arccos(np.clip(np.sum(up_in_sensor(quaternions) * exact, 1), -1, 1)))
    assert error[(t > 1.7) & (t < 2.0)].min() > 4.0
    assert uncertain.sum() == 1 and 2.0 < t[uncertain][0] < 2.5
    assert error[t > t[uncertain][0] + 0.05].max() < 0.5
