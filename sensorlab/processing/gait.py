"""Gait steps from the sacrum and the thighs: initial contacts, sides, and gait measures.

Timing follows McCamley et al. 2012 ("An enhanced estimate of initial contact and final
contact instants of time using lower trunk inertial sensor data", Gait & Posture 36):
they integrate the vertical acceleration of a lower-trunk sensor and differentiate it with
a Gaussian continuous wavelet; initial contacts are the extrema of the result. Integrating
then Gaussian-differentiating is Gaussian smoothing of the acceleration itself, so here an
initial contact is a peak of the Gaussian-smoothed vertical (world-frame, gravity removed)
acceleration of the sacrum, which is how the loading of each heel strike shows at the
pelvis. Peaks count only while both thighs swing (walking), at least ``min_step_s`` apart.

The side comes from the thighs: at initial contact the leg reaching forward is the more
flexed one.

Step and stride regularity follow Moe-Nilssen & Helbostad 2004 ("Estimation of gait
cycle characteristics by trunk accelerometry", J Biomech 37): the unbiased autocorrelation
of the vertical trunk acceleration at the step lag and at the stride lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

from sensorlab.processing.columns import Columns
from sensorlab.processing.reps import lost_data
from sensorlab.records import GaitResult, StepResult


@dataclass(frozen=True)
class GaitSettings:
    """Settings of the initial-contact detector and the gait measures.

    Attributes
    ----------
    smoothing_s : float
        Standard deviation of the Gaussian smoothing, seconds.
    min_step_s : float
        Shortest time between two initial contacts, seconds.
    max_step_s : float
        A longer interval ends a walking bout (no step time for the next step), seconds.
    min_peak_m_s2 : float
        Smallest smoothed vertical acceleration peak that counts, m/s^2.
    swing_range_deg : float
        Each thigh's sagittal range around a contact must exceed this (walking), degrees.
    swing_window_s : float
        Window centred on the contact for that range, seconds.
    reach_s : float
        The side is the thigh with the larger flexion within this long before the
        contact, seconds.

    The defaults were chosen on both kinds of evidence: on simulated walks a 10 ms
    smoothing keeps every contact within 2 ms, where 20 ms lets the broad centre-of-mass
    peak pull the first step of gait initiation 90 ms late; on the real OpenSense MTw walk
    (``tests/test_realdata_gait.py``) the weakest real contact peaks at 1.10 m/s^2 and a
    bump during a turn at 0.85, hence ``min_peak_m_s2`` = 1.0. Very slow or shuffling
    gait may peak lower: that needs checking on patients' recordings.
    """

    smoothing_s: float = 0.01
    min_step_s: float = 0.3
    max_step_s: float = 1.5
    min_peak_m_s2: float = 1.0
    swing_range_deg: float = 15.0
    swing_window_s: float = 2.0
    reach_s: float = 0.3


DEFAULT_GAIT = GaitSettings()


class PeakPicker:
    """Peaks of a Gaussian-smoothed signal, found block by block.

    A peak is a sample of the smoothed signal that is the largest within
    ``min_separation_s / 2`` on either side, rises from the sample before, and reaches
    ``min_height``; its time is refined by a parabola through it and its neighbours.
    Each peak is reported once the samples that decide it have arrived, so blocks of any
    size give the peaks of the whole signal.

    Parameters
    ----------
    rate_hz : float
        Sampling rate, Hz.
    smoothing_s : float
        Standard deviation of the Gaussian smoothing, seconds.
    min_separation_s : float
        Shortest time between two peaks, seconds.
    min_height : float
        Smallest smoothed value that counts, in the signal's unit.
    """

    def __init__(
        self, rate_hz: float, smoothing_s: float, min_separation_s: float, min_height: float
    ) -> None:
        self.rate_hz = rate_hz
        self.min_height = min_height
        sigma = smoothing_s * rate_hz
        half = int(np.ceil(4 * sigma))
        kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
        self._kernel = kernel / kernel.sum()
        self._half = half
        self._gap = max(1, round(min_separation_s * rate_hz / 2))
        self._raw = Columns(["value"])
        self._smoothed = Columns(["value"])
        self._cursor = 1
        self._last_peak = -np.inf

    def update(self, block: np.ndarray, final: bool = False) -> list[tuple[float, float]]:
        """Add samples (NaN counts as 0); returns new peaks as ``(fractional index, value)``.

        Indices count samples from the first one ever given.
        """
        if block.size:
            self._raw.append(value=np.nan_to_num(block))
        raw = self._raw["value"]
        n, half = raw.size, self._half
        start = self._smoothed.size
        stop = n if final else n - half
        if stop > start:
            lo, hi = max(start - half, 0), min(stop + half, n)
            padded = np.pad(raw[lo:hi], (half - (start - lo), half - (hi - stop)), mode="edge")
            self._smoothed.append(value=np.convolve(padded, self._kernel, mode="valid"))
        smoothed = self._smoothed["value"]
        last = smoothed.size - 1 if final else smoothed.size - self._gap
        if last <= self._cursor:
            return []
        lo = max(self._cursor - self._gap, 0)
        window = smoothed[lo : min(last + self._gap, smoothed.size)]
        local_max = maximum_filter1d(window, size=2 * self._gap + 1, mode="nearest")
        index = np.arange(self._cursor, last)
        value = smoothed[index]
        candidates = index[
            (value >= self.min_height)
            & (value == local_max[index - lo])
            & (value > smoothed[index - 1])
        ]
        self._cursor = last
        peaks = []
        for i in candidates.tolist():
            if i - self._last_peak < 2 * self._gap:
                continue
            y0, y1, y2 = smoothed[i - 1], smoothed[i], smoothed[min(i + 1, smoothed.size - 1)]
            curvature = y0 - 2 * y1 + y2
            offset = 0.5 * (y0 - y2) / curvature if curvature < 0 else 0.0
            peaks.append((i + offset, float(y1)))
            self._last_peak = i
        return peaks


class InitialContactDetector:
    """Initial contacts from the kinematics columns, block by block.

    Peaks of the sacrum's vertical acceleration (:class:`PeakPicker`) count while both
    thighs swing; the more flexed thigh at the peak names the side.

    Parameters
    ----------
    rate_hz : float
        Grid rate, Hz.
    settings : GaitSettings
        Detector settings.
    """

    def __init__(self, rate_hz: float, settings: GaitSettings = DEFAULT_GAIT) -> None:
        self.rate_hz = rate_hz
        self.settings = settings
        self._peaks = PeakPicker(
            rate_hz, settings.smoothing_s, settings.min_step_s, settings.min_peak_m_s2
        )
        self._first_row: int | None = None
        self._fed = 0
        self._pending: list[float] = []

    def update(
        self, columns: Columns, first_valid: int, final: bool = False
    ) -> list[tuple[float, str]]:
        """Advance over new rows; returns contacts as ``(fractional row, side)``."""
        if self._first_row is None:
            self._first_row = self._fed = first_valid
        acc = columns["pelvis_vertical_acc_m_s2"]
        n = columns.size
        peaks = self._peaks.update(acc[self._fed : n], final)
        self._fed = n
        self._pending.extend(self._first_row + index for index, _ in peaks)
        swing = round(self.settings.swing_window_s * self.rate_hz / 2)
        reach = round(self.settings.reach_s * self.rate_hz)
        left = columns["left_thigh_sagittal_deg"]
        right = columns["right_thigh_sagittal_deg"]
        contacts = []
        while self._pending and (final or round(self._pending[0]) + swing < n):
            row = self._pending.pop(0)
            i = round(row)
            lo, hi = max(i - swing, self._first_row), min(i + swing + 1, n)
            left_range = np.nanmax(left[lo:hi]) - np.nanmin(left[lo:hi])
            right_range = np.nanmax(right[lo:hi]) - np.nanmin(right[lo:hi])
            if min(left_range, right_range) > self.settings.swing_range_deg:
                # The leg reaching forward to land is the one that flexed furthest just
                # before contact; an instant comparison fails when the other thigh is
                # already swinging through.
                recent = slice(max(i - reach, self._first_row), i + 1)
                side = "left" if np.nanmax(left[recent]) >= np.nanmax(right[recent]) else "right"
                contacts.append((row, side))
        return contacts


def step_result(
    columns: Columns,
    contact: tuple[float, str],
    next_row: float | None,
    previous_t: float | None,
    rate_hz: float,
    settings: GaitSettings = DEFAULT_GAIT,
    max_data_gap_s: float = np.inf,
) -> StepResult:
    """A step's record: its time, the contralateral drop over the stance that follows.

    The stance window runs from this contact to the next (the other foot's) contact, or
    for the last step of a bout, one typical step time. Its lost data (``data_gap_s``)
    and whether that leaves the step out are counted over the same window, from
    ``min_step_s / 2`` before the contact (the stretch the contact's peak was picked
    from: a loss there moves the contact) (:func:`sensorlab.processing.reps.lost_data`).
    """
    row, side = contact
    t0 = float(columns["t_s"][0])
    t = t0 + row / rate_hz
    end = next_row if next_row is not None else row + settings.max_step_s * rate_hz / 2
    lo, hi = round(row), min(round(end) + 1, columns.size)
    side_sign = 1.0 if side == "left" else -1.0
    drop = side_sign * columns["pelvis_obliquity_deg"][lo:hi]
    step_time = None
    if previous_t is not None and t - previous_t <= settings.max_step_s:
        step_time = t - previous_t
    picked_from = max(round(row - settings.min_step_s * rate_hz / 2), 0)
    data_gap_s, left_out = lost_data(columns, slice(picked_from, hi), rate_hz, max_data_gap_s)
    return StepResult(
        side=side,
        t=round(t, 4),
        pelvic_drop_deg=float(np.nanmax(drop)) if np.any(np.isfinite(drop)) else float("nan"),
        step_time_s=step_time,
        data_gap_s=data_gap_s,
        left_out=left_out,
    )


def _unbiased_autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    x = x - x.mean()
    n = x.size
    spectrum = np.fft.rfft(x, 2 * n)
    raw = np.fft.irfft(spectrum * np.conj(spectrum))[: max_lag + 1]
    unbiased = raw / (n - np.arange(max_lag + 1))
    return unbiased / unbiased[0]


def regularity(
    vertical_acc_m_s2: np.ndarray, step_time_s: float, rate_hz: float
) -> tuple[float, float]:
    """Step and stride regularity (Moe-Nilssen & Helbostad 2004), each in [-1, 1].

    Parameters
    ----------
    vertical_acc_m_s2 : ndarray, shape (n,)
        Vertical trunk acceleration during steady walking, m/s^2.
    step_time_s : float
        Typical step time, seconds: the peaks are searched within +-25% of it and of
        twice it.
    rate_hz : float
        Sampling rate, Hz.
    """
    x = vertical_acc_m_s2[np.isfinite(vertical_acc_m_s2)]
    step_lag = step_time_s * rate_hz
    max_lag = int(2.5 * step_lag)
    if x.size < 2 * max_lag or step_lag < 2:
        return float("nan"), float("nan")
    ac = _unbiased_autocorrelation(x, max_lag)

    def peak_near(lag: float) -> float:
        lo, hi = int(0.75 * lag), min(int(1.25 * lag) + 1, ac.size)
        # The unbiased estimate divides each lag by its own number of products, so a
        # near-periodic signal can exceed the lag-0 value by a hair; a correlation is <= 1.
        return min(float(ac[lo:hi].max()), 1.0)

    return peak_near(step_lag), peak_near(2 * step_lag)


def gait_result(
    steps: list[StepResult], t_s: np.ndarray, vertical_acc_m_s2: np.ndarray, rate_hz: float
) -> GaitResult:
    """Session gait measures from the steps and the vertical sacrum acceleration.

    Steps marked ``left_out`` (lost data) count per side but give no step time.

    Parameters
    ----------
    steps : list of StepResult
        In time order.
    t_s, vertical_acc_m_s2 : ndarray, shape (n,)
        Grid times (s) and the vertical sacrum acceleration (m/s^2) on them.
    rate_hz : float
        Grid rate, Hz.
    """
    counts = {side: sum(1 for s in steps if s.side == side) for side in ("left", "right")}
    timed = [s for s in steps if s.step_time_s is not None and not s.left_out]
    step_times = {
        side: float(np.mean([s.step_time_s for s in timed if s.side == side]))
        if any(s.side == side for s in timed)
        else float("nan")
        for side in ("left", "right")
    }
    if not timed:
        return GaitResult(counts, float("nan"), step_times, float("nan"), float("nan"), 0.0)
    mean_step = float(np.mean([s.step_time_s for s in timed]))
    # Regularity over the longest stretch of consecutive timed steps (one walking bout);
    # a step left out for lost data ends the stretch, as its signal is partly missing.
    bouts: list[list[StepResult]] = []
    for step in steps:
        if step.left_out:
            bouts.append([])
        elif step.step_time_s is None or not bouts:
            bouts.append([step])
        else:
            bouts[-1].append(step)
    longest = max(bouts, key=len)
    lo, hi = np.searchsorted(t_s, [longest[0].t, longest[-1].t])
    step_reg, stride_reg = regularity(vertical_acc_m_s2[lo:hi], mean_step, rate_hz)
    return GaitResult(
        steps_per_side=counts,
        cadence_spm=60.0 / mean_step,
        step_time_s=step_times,
        step_regularity=step_reg,
        stride_regularity=stride_reg,
        walking_s=float(sum(s.step_time_s for s in timed)),
    )
