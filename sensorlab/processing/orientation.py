"""Orientation of each sensor from its accelerometer and gyroscope (6-axis AHRS).

sensorlab uses x-io's Fusion AHRS (``imufusion``, MIT): Madgwick's revised complementary
filter (Madgwick 2014, PhD thesis ch. 7) with acceleration rejection, which ignores the
accelerometer while the body accelerates hard (the drive onto a box) and trusts the
gyroscope then. ``benchmarks/compare_orientation.py`` measures it against a hand-written
complementary filter on simulated ground truth; see the README for the figures.

Without a magnetometer the heading is only relative: each sensor's world frame has its
own arbitrary heading, fixed at the start. The segment angles to gravity need only the
vertical; pelvic rotation is the pelvis heading relative to its own heading in quiet
standing; thigh adduction is taken in the pelvis's heading, carried into each thigh
sensor's world by the two headings in quiet standing (both segments face forward then),
so it holds while the two sensors' headings drift together
(``benchmarks/adduction_frame.py``).

Quaternions are ``(w, x, y, z)`` and rotate sensor-frame vectors into the world frame
(X, Y horizontal, Z up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import imufusion
import numpy as np

from sensorlab.units import GRAVITY_M_S2

if TYPE_CHECKING:
    from typing_extensions import Buffer


@dataclass(frozen=True)
class OrientationSettings:
    """Settings of the Fusion AHRS (``imufusion.AhrsSettings``).

    Attributes
    ----------
    gain : float
        Accelerometer feedback gain (Fusion's default 0.5).
    acceleration_rejection_deg : float
        The accelerometer is ignored while its direction disagrees with the estimate by
        more than this, degrees.
    rejection_timeout_s : float
        After this long of rejection the filter re-trusts the accelerometer, seconds.
    gyroscope_range_dps : float
        Gyroscope full scale, deg/s (Fusion recovers after over-range).
    max_gap_s : float
        After a gap between the samples fed longer than this the orientation is
        uncertain (the gyroscope did not see the motion): at the next moment the sensor
        is still (``still_dps``, ``still_s``, specific force within 3 % of 1 g) its tilt
        is reset to the accelerometer's, keeping its heading, or, in a repeating
        movement, once whole cycles after the gap are in (``cycle_window_s``). A
        low-gain filter would otherwise take tens of seconds to recover: a thigh 10 deg
        off after a 1 s loss mid-walk was still 2 deg off 30 s later. Losses the time
        base bridged (up to ``TimebaseSettings.max_gap_s``) arrive as samples on the
        grid and are integrated through: the bridged rate follows the motion across
        them (the same moment of an earlier repetition, or a cubic through the samples
        on either side), which keeps the orientation within a few tenths of a degree of
        the lossless one at 100 and 200 Hz (``benchmarks/loss_robustness.py``), where
        waiting for stillness would flag seconds of good data. Where a bridge still
        missed some rotation (a fifth of a second at 60 Hz as a thigh stops, say), the
        next still moment checks the tilt: if the accelerometer there (averaged over
        ``still_s``) disagrees with the estimate by more than ``relevel_min_deg``, the
        tilt is reset to it, and by more than ``relevel_flag_deg`` the rows since the
        loss are flagged uncertain.
    still_dps, still_s : float
        Stillness for that reset: rate below ``still_dps`` deg/s for ``still_s`` s.
    still_acc_range_g : float
        Stillness also needs every axis of the specific force to stay within this range
        over the still run, g: a segment that does not rotate can still translate (the
        pelvis shifting its weight), and its acceleration then tilts the measured
        vertical; the magnitude alone cannot show a horizontal acceleration.
    relevel_min_deg : float
        After a bridged loss, the tilt is reset at the next still moment only if it
        disagrees with the accelerometer's by more than this, degrees: below it the
        filter's own estimate is as good (the accelerometer's bias and the sway of
        quiet standing are worth a few tenths of a degree; on simulated step-ups with
        2 % loss the checks after bridges that kept the rotation find 0-0.5 deg at
        200 Hz, up to 1.3 deg at 60 Hz, and 3-5 deg after those that missed some).
    relevel_flag_deg : float
        A reset larger than this after a bridged loss flags its row as uncertain, so the
        rep or step around it is left out: the tilt was that wrong during it, degrees.
    check_hold_s : float
        Such a reset within this long of the loss's start also flags every row since
        then (:attr:`OrientationEstimator.corrections_`); the pipeline holds back reps
        and steps that long while a check is pending, so the flags reach them in a live
        stream as in batch, seconds. A rep ends 0.3 s after the thighs come to rest and
        the check needs 0.2 s of stillness, so either can come first.
    cycle_window_s : float
        After a gap too long to bridge during a repeating movement (walking), the tilt
        is re-levelled without waiting for stillness: over whole cycles of the movement
        lasting at least this long, seconds, before and after the gap, the sensor's
        specific force in the world frame averages to the same vector (velocity
        returns to itself each cycle, so only gravity remains), and the estimate after
        the gap is turned so that its average matches the one before. The cycle is the
        lag, between 0.4 and 2.5 s, at which the angular rate's magnitude over the
        ``cycle_history_s`` before the gap correlates best.
    cycle_history_s : float
        Samples kept to find the cycle and the average before a gap, seconds.
    min_cycle_correlation : float
        The movement repeats when that best correlation reaches this; else the tilt
        waits for the next still moment.
    bias_stationary_dps, bias_stationary_s : float
        Fusion's gyroscope bias tracker (``imufusion.Bias``) re-estimates the bias
        whenever the rate stays below this (deg/s) for this long (s), e.g. standing
        between sets, so a drifting bias does not tilt the estimate.

    The defaults (gain 0.1, rejection 20 deg) were chosen on simulated ground truth:
    Fusion's default gain 0.5 lets the swing accelerations of a thigh in walking pull
    its tilt by 5-7 deg (``benchmarks/compare_orientation.py``).
    """

    gain: float = 0.1
    acceleration_rejection_deg: float = 20.0
    rejection_timeout_s: float = 5.0
    gyroscope_range_dps: float = 2000.0
    max_gap_s: float = 0.05
    still_dps: float = 5.0
    still_s: float = 0.2
    still_acc_range_g: float = 0.02
    relevel_min_deg: float = 1.0
    relevel_flag_deg: float = 2.0
    check_hold_s: float = 1.0
    cycle_window_s: float = 2.0
    cycle_history_s: float = 6.0
    min_cycle_correlation: float = 0.8
    bias_stationary_dps: float = 3.0
    bias_stationary_s: float = 3.0


DEFAULT_ORIENTATION = OrientationSettings()


def quaternion_from_to(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation (w, x, y, z) taking unit vector ``a`` onto unit vector ``b``."""
    axis = np.cross(a, b)
    sin_angle = np.linalg.norm(axis)
    cos_angle = float(np.dot(a, b))
    if sin_angle < 1e-9:
        if cos_angle > 0:
            return np.array([1.0, 0.0, 0.0, 0.0])
        # Half turn about any axis perpendicular to a.
        perpendicular = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        return np.concatenate([[0.0], perpendicular / np.linalg.norm(perpendicular)])
    half = np.arctan2(sin_angle, cos_angle) / 2.0
    return np.concatenate([[np.cos(half)], np.sin(half) * axis / sin_angle])


def quaternion_between(up_sensor: np.ndarray) -> np.ndarray:
    """Smallest rotation (w, x, y, z) taking the sensor-frame vector ``up_sensor`` to +Z."""
    return quaternion_from_to(up_sensor / np.linalg.norm(up_sensor), np.array([0.0, 0.0, 1.0]))


def quaternion_multiply(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product ``p * q`` of quaternions (w, x, y, z)."""
    pw, px, py, pz = p
    qw, qx, qy, qz = q
    return np.array(
        [
            pw * qw - px * qx - py * qy - pz * qz,
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw,
        ]
    )


def fusion_filters(
    rate_hz: float, settings: OrientationSettings = DEFAULT_ORIENTATION
) -> tuple[imufusion.Ahrs, imufusion.Bias]:
    """Fusion's AHRS (NWU, no magnetometer) and gyroscope-bias tracker with ``settings``.

    For samples at ``rate_hz``, Hz; fed gyroscope rates in deg/s and specific force in g.
    """
    ahrs = imufusion.Ahrs()
    ahrs.set_settings(
        imufusion.AhrsSettings(
            sample_rate=rate_hz,
            convention=imufusion.CONVENTION_NWU,
            gain=settings.gain,
            gyroscope_range=settings.gyroscope_range_dps,
            acceleration_rejection=settings.acceleration_rejection_deg,
            magnetic_rejection=0.0,
            rejection_timeout=settings.rejection_timeout_s,
        )
    )
    bias = imufusion.Bias()
    bias.set_settings(
        imufusion.BiasSettings(
            sample_rate=rate_hz,
            stationary_threshold=settings.bias_stationary_dps,
            stationary_period=settings.bias_stationary_s,
        )
    )
    return ahrs, bias


class OrientationEstimator:
    """Fusion AHRS over blocks of samples of one sensor, state carried between blocks.

    Parameters
    ----------
    up_sensor : ndarray, shape (3,)
        Up direction in the sensor frame from quiet standing; the filter starts there.
    gyro_bias_rad_s : ndarray, shape (3,)
        Gyroscope bias from quiet standing, rad/s: the bias tracker's starting value.
    rate_hz : float
        Nominal sampling rate, Hz (for the filter's timeouts).
    settings : OrientationSettings
        Filter settings.
    settled : bool
        True when ``up_sensor`` is the sensor's pose at the first sample (quiet standing):
        the filter starts there at its working gain. False when it is only a guess (no
        quiet standing: the mean specific force while moving): Fusion's start-up, a few
        seconds of high gain without acceleration rejection, levels it first.
    """

    def __init__(
        self,
        up_sensor: np.ndarray,
        gyro_bias_rad_s: np.ndarray,
        rate_hz: float,
        settings: OrientationSettings = DEFAULT_ORIENTATION,
        settled: bool = True,
    ) -> None:
        self.settings = settings
        self.gyro_bias_rad_s = np.asarray(gyro_bias_rad_s, dtype=float)
        self.rate_hz = float(rate_hz)
        self._ahrs, self._bias = fusion_filters(self.rate_hz, settings)
        self._bias.set_offset(np.degrees(self.gyro_bias_rad_s))
        self._ahrs.set_quaternion(quaternion_between(up_sensor))
        if settled:
            # The start pose is already known from quiet standing: no high-gain start-up.
            self._ahrs.skip_startup()
        self._last_t_s: float | None = None
        self._uncertain = False
        self._check_tilt = False
        self._check_since_t: float | None = None
        self.corrections_: list[tuple[float, float]] = []
        """``(start, end)`` times (s) of the stretches whose tilt a check found more
        than ``relevel_flag_deg`` off, from the loss to the correction, within
        ``check_hold_s``; the caller takes them (and empties the list)."""
        self._still_run = 0
        self._still_acc_g = np.zeros(3)
        self._still_acc_low = np.zeros(3)
        self._still_acc_high = np.zeros(3)
        # The last cycle_history_s of quaternions, specific force (g) and rate (deg/s),
        # and the cycle-average re-levelling under way after a long gap (or None).
        self._history = np.empty((0, 8))
        self._cycle: _CycleRelevel | None = None

    def update(
        self,
        t_s: np.ndarray,
        acc_m_s2: np.ndarray,
        gyr_rad_s: np.ndarray,
        relevel: np.ndarray | None = None,
        bridged: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Feed a block of samples; returns their quaternions and an uncertainty flag.

        Returns
        -------
        quaternions : ndarray, shape (n, 4)
            Orientation (w, x, y, z), sensor to world, after each sample.
        uncertain : ndarray of bool, shape (n,)
            True from a gap longer than ``max_gap_s`` (or a re-levelling request) until
            the tilt was reset at the next still moment, and at a still moment where the
            tilt after a bridged loss had to be corrected.

        Parameters
        ----------
        t_s : ndarray, shape (n,)
            Sample times, seconds, increasing (also across blocks).
        acc_m_s2 : ndarray, shape (n, 3)
            Specific force, m/s^2.
        gyr_rad_s : ndarray, shape (n, 3)
            Angular rate, rad/s (bias not yet removed).
        relevel : ndarray of bool, shape (n,), optional
            Samples from which the tilt is to be re-levelled at the next still moment
            (a recalibration mark): treated like the first sample after a gap.
        bridged : ndarray of bool, shape (n,), optional
            Samples estimated across a short loss: integrated like the others, and the
            tilt is checked at the next still moment (``relevel_min_deg``).
        """
        n = t_s.size
        if n == 0:
            return np.empty((0, 4)), np.empty(0, dtype=bool)
        nominal_period_s = 1.0 / self.rate_hz
        previous = float(t_s[0]) - nominal_period_s if self._last_t_s is None else self._last_t_s
        steps_s = t_s - np.concatenate(([previous], t_s[:-1]))
        gaps = set(np.flatnonzero(steps_s > self.settings.max_gap_s).tolist())
        long_gaps = set(gaps)
        if relevel is not None and relevel.any():
            gaps.update(np.flatnonzero(relevel).tolist())
        checks = set() if bridged is None else set(np.flatnonzero(bridged).tolist())
        # (Not np.clip: the same values, but its per-call cost is most of a live update's.)
        # Rounded to float32 as Fusion takes them: the grid's steps, which differ in their
        # last bits, then compare equal, and Fusion is told only when one really changes.
        np.maximum(steps_s, 1e-6, out=steps_s)
        periods32 = np.minimum(steps_s, nominal_period_s, out=steps_s).astype(np.float32)
        changes = _period_changes(periods32)
        next_change = 0
        # Plain floats for the rows that need more than Fusion (they compare fast), made
        # when the first such row comes.
        times: list[float] = []
        periods: list[float] = []
        still_needed = max(1, round(self.settings.still_s * self.rate_hz))
        gyr_dps = np.degrees(gyr_rad_s)
        acc_g = acc_m_s2 / GRAVITY_M_S2
        # Fusion computes in float32 and casts every float64 row it is given; rows cast
        # once here give it the same numbers and save a third of the loop's time (not
        # worth a cast's own cost for a live update's few rows).
        few = n <= FEW_ROWS
        gyr_dps32 = gyr_dps if few else gyr_dps.astype(np.float32)
        acc_g32 = acc_g if few else acc_g.astype(np.float32)
        ahrs = self._ahrs
        set_period, update, get_quaternion = (
            ahrs.set_sample_period,
            ahrs.update_no_magnetometer,
            ahrs.get_quaternion,
        )
        unbias = self._bias.update
        quaternions: list[np.ndarray] = []
        append = quaternions.append
        flags = np.zeros(n, dtype=bool)
        current_period = -1.0
        # Rows where the state may change (a gap, a re-levelling request, a bridged loss),
        # and a sentinel: between them, while nothing is pending, a row is Fusion alone.
        events = [*sorted(gaps | checks), n]
        next_event = 0
        i = 0
        while i < n:
            if not (self._uncertain or self._check_tilt or self._cycle is not None):
                while events[next_event] < i:
                    next_event += 1
                stop = events[next_event]
                # The common case, kept lean: most rows of a session run here, in runs
                # of one sample period.
                while i < stop:
                    while changes[next_change] <= i:
                        next_change += 1
                    end = min(stop, changes[next_change])
                    period = float(periods32[i])
                    if period != current_period:
                        set_period(period)
                        current_period = period
                    for gyr, acc in zip(gyr_dps32[i:end], acc_g32[i:end], strict=True):
                        update(unbias(gyr), acc)
                        append(get_quaternion())
                    i = end
                if i == n:
                    break
            if not times:
                times, periods = t_s.tolist(), periods32.tolist()
            period, gyr, acc = periods[i], gyr_dps[i], acc_g[i]
            if i in gaps:
                # A second gap before the cycles after the first are in: the history
                # then holds the doubtful stretch, so only stillness re-levels.
                fresh = not self._uncertain
                self._uncertain, self._still_run = True, 0
                self._cycle = (
                    self._start_cycle(quaternions, acc_g[:i], gyr_dps[:i])
                    if i in long_gaps and fresh
                    else None
                )
            if i in checks:
                since = self._check_since_t
                if since is None or times[i] - since > self.settings.check_hold_s:
                    # A check pending longer than that can no longer flag what came
                    # before: from here on it covers this loss.
                    self._check_since_t = times[i]
                self._check_tilt, self._still_run = True, 0
            if self._uncertain or self._check_tilt:
                flags[i] = self._uncertain
                # A tilt the check had to correct was wrong since the loss: the row
                # of the correction is flagged, so a rep or step around it is left out.
                if self._recover_when_still(gyr, acc, still_needed):
                    flags[i] = True
                    assert self._check_since_t is not None
                    if times[i] - self._check_since_t <= self.settings.check_hold_s:
                        self.corrections_.append((self._check_since_t, times[i]))
                if not self._check_tilt:
                    self._check_since_t = None
            if period != current_period:
                set_period(period)
                current_period = period
            update(unbias(gyr), acc)
            q = get_quaternion()
            if self._cycle is not None:
                if not self._uncertain:
                    self._cycle = None  # re-levelled at a still moment first
                elif self._cycle.add(q, acc, gyr):
                    q = self._finish_cycle(q)
            append(q)
            i += 1
        self._last_t_s = float(t_s[-1])
        out = _float64_rows(quaternions)
        keep = max(1, round(self.settings.cycle_history_s * self.rate_hz))
        recent_gyr = gyr_dps[-keep:]
        recent = np.column_stack(
            [out[-keep:], acc_g[-keep:], np.sqrt(np.sum(recent_gyr * recent_gyr, axis=1))]
        )
        self._history = np.concatenate([self._history, recent])[-keep:]
        return out, flags

    def _start_cycle(
        self, block_q: list, block_acc_g: np.ndarray, block_gyr_dps: np.ndarray
    ) -> _CycleRelevel | None:
        """The cycle-average re-levelling after a long gap, if the movement repeats.

        None when the movement before the gap does not repeat (or too little of it was seen).
        """
        history = self._history
        if block_q:
            rate = np.sqrt(np.sum(block_gyr_dps * block_gyr_dps, axis=1))
            block = np.column_stack([np.asarray(block_q, dtype=np.float64), block_acc_g, rate])
            history = np.concatenate([history, block])
        # The same rows however the samples came in blocks.
        history = history[-max(1, round(self.settings.cycle_history_s * self.rate_hz)) :]
        rate_hz = self.rate_hz
        shortest, longest = round(0.4 * rate_hz), round(2.5 * rate_hz)
        window_min = round(self.settings.cycle_window_s * rate_hz)
        if history.shape[0] < longest + window_min:
            return None
        x = history[:, 7] - history[:, 7].mean()
        energy = float(np.dot(x, x))
        if energy <= 0:
            return None
        lags = np.arange(shortest, longest + 1)
        correlation = np.array([np.dot(x[lag:], x[:-lag]) for lag in lags])
        correlation /= energy * (x.size - lags) / x.size
        best = int(np.argmax(correlation))
        if correlation[best] < self.settings.min_cycle_correlation:
            return None
        cycle = int(lags[best])
        window = cycle * math.ceil(window_min / cycle)
        recent = history[-window:]
        before = rotate_to_world(recent[:, :4], recent[:, 4:7]).mean(axis=0)
        return _CycleRelevel(before, float(recent[:, 7].mean()), window)

    def _finish_cycle(self, q: np.ndarray) -> np.ndarray:
        """Turn the estimate so its cycle average after the gap matches the one before.

        Only if the movement went on as before (its mean rate within 30 %).
        """
        cycle, self._cycle = self._cycle, None
        assert cycle is not None
        rate_ratio = cycle.rate_total / cycle.count / max(cycle.rate_before, 1e-9)
        if not 0.7 <= rate_ratio <= 1.3:
            # Stopped or changed pace: the averages no longer cancel the motion.
            return q
        after = cycle.total / cycle.count
        correction = quaternion_from_to(
            after / np.linalg.norm(after), cycle.before / np.linalg.norm(cycle.before)
        )
        self._ahrs.set_quaternion(quaternion_multiply(correction, q))
        self._uncertain = False
        return np.asarray(self._ahrs.get_quaternion())

    def _recover_when_still(self, gyr_dps: np.ndarray, acc_g: np.ndarray, needed: int) -> bool:
        """Count still samples after a gap (or a bridged loss); once enough, re-level.

        Re-levelling resets the tilt to the accelerometer's mean over the still samples (after a
        bridged loss only when the two disagree by more than ``relevel_min_deg``). True when a
        bridged loss's tilt was reset here.
        """
        # Plain floats: this runs for every sample while a check is pending.
        gx, gy, gz = (gyr_dps - self._bias.get_offset()).tolist()
        ax, ay, az = acc_g.tolist()
        still = (
            math.sqrt(gx * gx + gy * gy + gz * gz) < self.settings.still_dps
            and abs(math.sqrt(ax * ax + ay * ay + az * az) - 1.0) < 0.03
        )
        if still and self._still_run:
            low = np.minimum(self._still_acc_low, acc_g)
            high = np.maximum(self._still_acc_high, acc_g)
            if np.any(high - low > self.settings.still_acc_range_g):
                # The run so far is not still after all: start a new one here.
                self._still_run = 0
        if not still:
            self._still_run = 0
            return False
        if self._still_run == 0:
            self._still_acc_g = acc_g.copy()
            self._still_acc_low = self._still_acc_high = acc_g
        else:
            self._still_acc_g = self._still_acc_g + acc_g
            self._still_acc_low, self._still_acc_high = low, high
        self._still_run += 1
        if self._still_run < needed:
            return False
        q = self._ahrs.get_quaternion()
        up_estimated = up_in_sensor(q[None])[0]
        up_measured = self._still_acc_g / np.linalg.norm(self._still_acc_g)
        disagreement_deg = np.degrees(
            np.arccos(np.clip(np.dot(up_measured, up_estimated), -1.0, 1.0))
        )
        corrected = disagreement_deg > self.settings.relevel_min_deg
        if self._uncertain or corrected:
            # Rotate the sensor frame so its estimated up becomes the measured up; the
            # rotation axis is horizontal, so the heading is kept.
            correction = quaternion_from_to(up_measured, up_estimated)
            self._ahrs.set_quaternion(quaternion_multiply(q, correction))
        checked = self._check_tilt and not self._uncertain
        self._uncertain = self._check_tilt = False
        return checked and disagreement_deg > self.settings.relevel_flag_deg

    @property
    def pending_check_since_t(self) -> float | None:
        """Time (s) of the loss whose tilt check is still pending, or None."""
        return self._check_since_t


class _CycleRelevel:
    """World-frame specific force (g) and rate magnitude (deg/s) summed after a long gap.

    Summed over the samples after the gap until they cover as many whole cycles as the averages
    ``before`` and ``rate_before`` were taken over.
    """

    def __init__(self, before: np.ndarray, rate_before: float, window: int) -> None:
        self.before = before
        self.rate_before = rate_before
        self.window = window
        self.total = np.zeros(3)
        self.rate_total = 0.0
        self.count = 0

    def add(self, q: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray) -> bool:
        """Add one sample (quaternion after it, specific force, rate); True when done."""
        self.total += rotate_to_world(q[None], acc_g)[0]
        self.rate_total += float(np.linalg.norm(gyr_dps))
        self.count += 1
        return self.count >= self.window


def time_reversed(
    t_s: np.ndarray, raw: np.ndarray, bridged: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples as seen running backward in time, for a filter started at their end.

    Orientation obeys dq/dt = q * (0, w) / 2; in reversed time tau = -t it obeys
    dq/dtau = q * (0, -w) / 2. So an AHRS fed the samples in reverse order, with the
    angular rate negated (and its bias negated), tracks the orientation backward from a
    known pose: how sensorlab carries quiet standing found late in a session back to the
    session's start.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds, increasing.
    raw : ndarray, shape (n, 6)
        Specific force (m/s^2) then angular rate (rad/s), sensor frame.
    bridged : ndarray of bool, shape (n,)
        Samples estimated across a gap.

    Returns
    -------
    t_s, raw, bridged
        Reversed: times ``-t`` (increasing), rows in reverse order, rate negated.
    """
    reversed_raw = raw[::-1].copy()
    reversed_raw[:, 3:] *= -1.0
    return -t_s[::-1], reversed_raw, bridged[::-1]


FEW_ROWS = 64
"""Blocks of at most this many rows (a live update's) are prepared with plain Python,
which beats numpy's cost per call there."""


def _period_changes(periods: np.ndarray) -> list[int]:
    """Rows whose sample period differs from the row before's, then the row count.

    The lean loop of :meth:`OrientationEstimator.update` runs between them.
    """
    n = periods.size
    if n <= FEW_ROWS:
        p = periods.tolist()
        return [k for k in range(1, n) if p[k] != p[k - 1]] + [n]
    return [*(np.flatnonzero(periods[1:] != periods[:-1]) + 1).tolist(), n]


def _float64_rows(quaternions: list[np.ndarray]) -> np.ndarray:
    """Fusion's quaternions, float32 arrays of 4, as one float64 array (n, 4).

    Fusion computes in float32; the stages after it work in float64. The arrays' bytes
    joined are read at once, a third of the time of ``np.asarray`` over a long list;
    a short list, or one whose arrays are not all 16 bytes (a float32 quaternion), is
    converted as it is.
    """
    # ndarrays are buffers (numpy's stubs say so only from Python 3.12 on).
    if len(quaternions) <= FEW_ROWS:
        return np.asarray(quaternions, dtype=np.float64)
    joined = b"".join(cast("list[Buffer]", quaternions))
    if len(joined) != 16 * len(quaternions):
        return np.asarray(quaternions, dtype=np.float64)
    return np.frombuffer(joined, dtype=np.float32).reshape(-1, 4).astype(np.float64)


def up_in_sensor(quaternions: np.ndarray) -> np.ndarray:
    """World up (+Z) in the sensor frame: the last row of the rotation matrix.

    ``quaternions`` of shape (..., 4) give shape (..., 3): several sensors' quaternions
    stacked along a first axis cost one call.
    """
    w, x, y, z = (quaternions[..., i] for i in range(4))
    up = np.empty((*quaternions.shape[:-1], 3))
    up[..., 0] = 2 * (x * z - w * y)
    up[..., 1] = 2 * (y * z + w * x)
    up[..., 2] = 1 - 2 * (x * x + y * y)
    return up


def rotate_to_world(
    quaternions: np.ndarray, vectors: np.ndarray, horizontal_only: bool = False
) -> np.ndarray:
    """Rotate sensor-frame vectors (n, 3) or one vector (3,) into the world frame, (n, 3).

    ``horizontal_only``: only the world X and Y components, shape (n, 2) (a heading
    needs no more, and a live update saves a third of the work).
    """
    w, x, y, z = quaternions.T
    # One vector's components are scalars, which broadcast in the products below.
    vectors = np.asarray(vectors)
    vx, vy, vz = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    world = np.empty((w.size, 2 if horizontal_only else 3))
    world[:, 0] = (
        (1 - 2 * (y * y + z * z)) * vx + 2 * (x * y - w * z) * vy + 2 * (x * z + w * y) * vz
    )
    world[:, 1] = (
        2 * (x * y + w * z) * vx + (1 - 2 * (x * x + z * z)) * vy + 2 * (y * z - w * x) * vz
    )
    if not horizontal_only:
        world[:, 2] = (
            2 * (x * z - w * y) * vx + 2 * (y * z + w * x) * vy + (1 - 2 * (x * x + y * y)) * vz
        )
    return world


ROTATION_TERMS = ("ww", "wx", "wy", "wz", "xx", "xy", "xz", "yy", "yz", "zz", "1")
"""The terms every entry of a quaternion's rotation matrix is a fixed linear combination
of: the ten products of its components ``(w, x, y, z)``, and 1."""


def rotation_terms(quaternions: np.ndarray) -> np.ndarray:
    """The :data:`ROTATION_TERMS` of quaternions (n, 4), one row per term: shape (11, n).

    Any vector linear in the rotation matrix (a fixed sensor-frame vector in the world
    frame, world up in a segment frame) is then one matrix product of fixed coefficients
    (from :data:`ROTATION_MATRIX`) with them, for all rows at once.
    """
    q = np.asarray(quaternions, dtype=float).T
    terms = np.empty((len(ROTATION_TERMS), q.shape[1]))
    row = 0
    for i in range(4):  # w (w, x, y, z), then x (x, y, z), y (y, z), z z
        np.multiply(q[i], q[i:], out=terms[row : row + 4 - i])
        row += 4 - i
    terms[row] = 1.0
    return terms


def _rotation_matrix_coefficients(homogeneous: bool) -> np.ndarray:
    """The rotation matrix's entries as coefficients of :data:`ROTATION_TERMS`, (3, 3, 11).

    Its diagonal as ``1 - 2 (y^2 + z^2)`` (as :func:`rotate_to_world`), or, ``homogeneous``,
    as ``w^2 + x^2 - y^2 - z^2``: the same for a unit quaternion.
    """
    one = {"ww": 1.0, "xx": 1.0, "yy": 1.0, "zz": 1.0} if homogeneous else {"1": 1.0}
    entries = (
        ({"yy": -2.0, "zz": -2.0}, {"xy": 2.0, "wz": -2.0}, {"xz": 2.0, "wy": 2.0}),
        ({"xy": 2.0, "wz": 2.0}, {"xx": -2.0, "zz": -2.0}, {"yz": 2.0, "wx": -2.0}),
        ({"xz": 2.0, "wy": -2.0}, {"yz": 2.0, "wx": 2.0}, {"xx": -2.0, "yy": -2.0}),
    )
    coefficients = np.zeros((3, 3, len(ROTATION_TERMS)))
    for i, row in enumerate(entries):
        for j, entry in enumerate(row):
            for term, value in [*entry.items(), *(one.items() if i == j else ())]:
                coefficients[i, j, ROTATION_TERMS.index(term)] += value
    coefficients.setflags(write=False)
    return coefficients


ROTATION_MATRIX = _rotation_matrix_coefficients(homogeneous=False)
"""The sensor-to-world rotation matrix as coefficients of :data:`ROTATION_TERMS`, (3, 3, 11).

``ROTATION_MATRIX[i, j] @ rotation_terms(q)`` is entry ``(i, j)`` of each quaternion's
matrix as :func:`rotate_to_world` and :func:`up_in_sensor` compute it (diagonal
``1 - 2 (y^2 + z^2)``, ``1 - 2 (x^2 + z^2)``, ``1 - 2 (x^2 + y^2)``); the coefficients of
``R v`` for a fixed sensor-frame vector ``v`` are ``np.einsum("ijt,j->it", ROTATION_MATRIX,
v)``."""

ROTATION_MATRIX_HOMOGENEOUS = _rotation_matrix_coefficients(homogeneous=True)
""":data:`ROTATION_MATRIX` with the diagonal ``w^2 + x^2 - y^2 - z^2``, ``w^2 - x^2 + y^2 -
z^2``, ``w^2 - x^2 - y^2 + z^2``: the rotation scaled by ``|q|^2``. The same for a unit
quaternion; for Fusion's, unit to float32 precision, ``R v`` differs between the two by
``(1 - |q|^2) v``, a few 1e-7 times ``|v|``."""
