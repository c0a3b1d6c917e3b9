"""Tell from the data whether a recording's accelerometer is in g and its gyroscope in rad/s.

The contract stores m/s^2 and deg/s, but exports from other tools often hold g or rad/s.
Both can be recognised from the physics, without trusting any label:

- At rest an accelerometer reads gravity, so the median ``|acc|`` over the quietest second
  is about 9.81 in m/s^2 and about 1 in g.
- While a sensor turns slowly, the direction of the low-passed acceleration (gravity, up)
  turns in the sensor frame as ``d(u)/dt = u x omega`` with ``omega`` in rad/s. Fitting
  ``u x gyr = s * d(u)/dt`` over moving stretches gives the gyroscope's scale ``s`` in file
  units per rad/s: about 57.3 for deg/s, about 1 for rad/s. Rotation about the vertical
  does not move ``u`` and drops out of both sides. At rest both sides are near zero, so the
  fit only uses samples where ``u`` turns, and no answer is given without enough of them.

Pure functions on arrays; the reader decides what to do with the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from sensorlab.units import DEG_PER_RAD


@dataclass(frozen=True)
class UnitCheckSettings:
    """Settings of the unit checks.

    Attributes
    ----------
    quiet_window_s : float
        Length of the quietest window whose median ``|acc|`` is taken, seconds.
    smooth_s : float
        Block-average length applied to acc and gyro first (a light low-pass), seconds.
    average_s : float
        Moving-average length applied to both sides of ``d(u)/dt = u x gyr / scale`` before
        the fit, seconds; it averages out impacts and linear accelerations.
    min_turn_rate_rad_s, max_turn_rate_rad_s : float
        Turn rate of the gravity direction, rad/s, between which a sample counts as slow
        movement for the gyro fit.
    max_linear_acc_fraction : float
        Largest ``| |acc| / |acc|_rest - 1 |`` for a sample to count as slow movement
        (its acceleration is then mostly gravity).
    min_turn_rad : float
        Total turn of the gravity direction over the samples used, radians, below which the
        evidence is too weak to decide the gyro unit.
    min_correlation : float
        Smallest normalised agreement (in absolute value; 1 = perfect) between ``u x gyr``
        and ``d(u)/dt``.
    """

    quiet_window_s: float = 1.0
    smooth_s: float = 0.04
    average_s: float = 0.3
    min_turn_rate_rad_s: float = 0.15
    max_turn_rate_rad_s: float = 6.0
    max_linear_acc_fraction: float = 0.15
    min_turn_rad: float = 1.0
    min_correlation: float = 0.7


DEFAULT_UNIT_CHECK = UnitCheckSettings()

G_BAND = (0.7, 1.35)
"""Range of the median ``|acc|`` at rest that means the accelerometer is in g."""
M_S2_BAND = (7.0, 13.0)
"""Range of the median ``|acc|`` at rest that is plausible for m/s^2."""


@dataclass(frozen=True)
class QuietAcc:
    """The quietest window of a sensor.

    Attributes
    ----------
    magnitude : float
        Median ``|acc|`` in that window, in the file's unit.
    t_start_s, t_end_s : float
        The window, seconds.
    """

    magnitude: float
    t_start_s: float
    t_end_s: float


@dataclass(frozen=True)
class GyroScale:
    """Result of the gyroscope scale fit.

    Attributes
    ----------
    scale : float
        File units per rad/s (about 57.3 for deg/s, 1 for rad/s); NaN when not fitted.
    correlation : float
        Normalised agreement of ``u x gyr`` with ``d(u)/dt`` over the samples used.
    turn_rad : float
        Total turn of the gravity direction over the samples used, radians.
    """

    scale: float
    correlation: float
    turn_rad: float


def _in_time_order(t_s: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sort by time and drop repeated or non-finite times (for derivatives)."""
    steps = np.diff(t_s)
    if np.all(steps > 0) and np.isfinite(t_s[:1]).all() and np.isfinite(t_s[-1:]).all():
        return (t_s, *arrays)
    order = np.argsort(t_s, kind="stable")
    t_sorted = t_s[order]
    keep = np.isfinite(t_sorted)
    keep[1:] &= np.diff(t_sorted) > 0
    index = order[keep]
    return (t_s[index], *(a[index] for a in arrays))


def _median_period_s(t_s: np.ndarray) -> float:
    return float(np.median(np.diff(t_s))) if t_s.size > 1 else float("nan")


def _block_means(block: int, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Means over consecutive blocks of ``block`` samples (a remainder is dropped)."""
    block = max(1, min(block, arrays[0].shape[0]))
    n = (arrays[0].shape[0] // block) * block
    starts = np.arange(0, n, block)
    return tuple(np.add.reduceat(a[:n], starts, axis=0) / block for a in arrays)


def quiet_acc(
    t_s: np.ndarray, acc: np.ndarray, settings: UnitCheckSettings = DEFAULT_UNIT_CHECK
) -> QuietAcc | None:
    """The median ``|acc|`` over the quietest window (least variance of the acc vector).

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds (any order).
    acc : ndarray, shape (n, 3)
        Accelerometer samples in the file's unit.
    settings : UnitCheckSettings
        ``quiet_window_s`` is used.

    Returns
    -------
    QuietAcc or None
        ``None`` when there are fewer than 10 samples.
    """
    t_s, acc = _in_time_order(t_s, acc)
    if t_s.size < 10:
        return None
    period = _median_period_s(t_s)
    window = int(np.clip(round(settings.quiet_window_s / period), 5, t_s.size))
    # Variance per window from block sums: blocks of ~1/20 window keep this cheap.
    block = max(1, window // 20)
    means, squares = _block_means(block, acc, acc * acc)
    blocks = max(1, min(window // block, means.shape[0]))
    csum = np.cumsum(np.vstack([np.zeros((1, 3)), means]), axis=0)
    csum2 = np.cumsum(np.vstack([np.zeros((1, 3)), squares]), axis=0)
    mean = (csum[blocks:] - csum[:-blocks]) / blocks
    variance = ((csum2[blocks:] - csum2[:-blocks]) / blocks - mean**2).sum(axis=1)
    start = int(np.argmin(variance)) * block
    stop = min(start + blocks * block, t_s.size)
    magnitude = float(np.median(np.linalg.norm(acc[start:stop], axis=1)))
    return QuietAcc(magnitude, float(t_s[start]), float(t_s[stop - 1]))


def acc_unit(quiet: QuietAcc | None) -> str | None:
    """``"g"``, ``"m/s^2"`` or ``None`` (unknown) from the quietest window's ``|acc|``."""
    if quiet is None:
        return None
    if G_BAND[0] <= quiet.magnitude <= G_BAND[1]:
        return "g"
    if M_S2_BAND[0] <= quiet.magnitude <= M_S2_BAND[1]:
        return "m/s^2"
    return None


def gyro_scale(
    t_s: np.ndarray,
    acc: np.ndarray,
    gyr: np.ndarray,
    settings: UnitCheckSettings = DEFAULT_UNIT_CHECK,
) -> GyroScale:
    """Fit the gyroscope's scale against the turning of the gravity direction.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds (any order).
    acc : ndarray, shape (n, 3)
        Accelerometer samples, any unit (only directions and ratios are used).
    gyr : ndarray, shape (n, 3)
        Gyroscope samples in the file's unit.
    settings : UnitCheckSettings
        Smoothing and the thresholds that define slow movement.

    Returns
    -------
    GyroScale
        ``scale`` in file units per rad/s, or NaN when no sample qualifies.
    """
    nothing = GyroScale(float("nan"), 0.0, 0.0)
    t_s, acc, gyr = _in_time_order(t_s, acc, gyr)
    if t_s.size < 10:
        return nothing
    period = _median_period_s(t_s)
    # Block means: a light low-pass (and decimation) for the direction of gravity.
    block = max(1, round(settings.smooth_s / period))
    t_s, acc, gyr = _block_means(block, t_s, acc, gyr)
    if t_s.size < 5:
        return nothing
    norm = np.linalg.norm(acc, axis=1)
    rest = float(np.median(norm))
    if not rest > 0:
        return nothing
    up = acc / np.where(norm > 0, norm, np.nan)[:, None]
    # d(up)/dt = up x omega holds sample by sample, so it survives any linear filter applied
    # to both sides alike: averaging both sides washes out impacts and linear accelerations.
    span = max(1, round(settings.average_s / (period * block)))
    up_rate = uniform_filter1d(np.gradient(up, t_s, axis=0), span, axis=0, mode="nearest")
    predicted = uniform_filter1d(np.cross(up, gyr), span, axis=0, mode="nearest")
    linear = uniform_filter1d(np.abs(norm / rest - 1.0), span, mode="nearest")
    turn_rate = np.linalg.norm(up_rate, axis=1)
    use = (
        (turn_rate > settings.min_turn_rate_rad_s)
        & (turn_rate < settings.max_turn_rate_rad_s)
        & (linear < settings.max_linear_acc_fraction)
        & np.all(np.isfinite(up_rate), axis=1)
        & np.all(np.isfinite(predicted), axis=1)
    )
    if not np.any(use):
        return nothing
    b, c = up_rate[use], predicted[use]
    bb, cc, cb = float(np.sum(b * b)), float(np.sum(c * c)), float(np.sum(c * b))
    turn = float(np.sum(turn_rate[use] * np.gradient(t_s)[use]))
    correlation = cb / np.sqrt(bb * cc) if bb > 0 and cc > 0 else 0.0
    return GyroScale(cb / bb, float(correlation), turn)


def gyro_unit(fit: GyroScale, settings: UnitCheckSettings = DEFAULT_UNIT_CHECK) -> str | None:
    """``"deg/s"``, ``"rad/s"`` or ``None`` (evidence too weak or inconsistent)."""
    evident = fit.turn_rad >= settings.min_turn_rad
    if not (evident and abs(fit.correlation) >= settings.min_correlation):
        return None
    scale = abs(fit.scale)  # the sign says whether the axes agree, not the unit
    if DEG_PER_RAD / 2 <= scale <= DEG_PER_RAD * 2:
        return "deg/s"
    if 0.5 <= scale <= 2.0:
        return "rad/s"
    return None
