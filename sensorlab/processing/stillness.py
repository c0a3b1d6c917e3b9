"""Quiet-standing detection: the stretches where every sensor is still at once.

A sample is *still* when, over the trailing window, the accelerometer barely varies and the
gyroscope stays small; the calibration span is the first long enough stretch in which all
sensors are still together. The test is the moving-variance detector used for static
moments and zero-velocity updates (gaitmap's ``find_static_samples``; Skog et al. 2010,
"Zero-velocity detection: an algorithm evaluation"), on both sensors, with thresholds
that survive a gyroscope bias of a few deg/s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d


@dataclass(frozen=True)
class StillnessSettings:
    """Thresholds for :func:`still_mask` and :func:`first_still_span`.

    Attributes
    ----------
    window_s : float
        Trailing window length, seconds.
    acc_std_m_s2 : float
        Largest standard deviation of the accelerometer norm in the window, m/s^2.
    gyr_dps : float
        Largest gyroscope norm in the window, deg/s (covers an uncorrected bias).
    min_duration_s : float
        Shortest span that counts as quiet standing, seconds.
    max_duration_s : float
        A longer quiet stretch is cut at this length, so the span is known early.
    grid_hz : float
        Rate of the common grid on which sensors are combined, Hz.
    """

    window_s: float = 0.5
    acc_std_m_s2: float = 0.15
    gyr_dps: float = 8.0
    min_duration_s: float = 2.0
    max_duration_s: float = 10.0
    grid_hz: float = 50.0


DEFAULT_STILLNESS = StillnessSettings()


def _trailing_moving_std(values: np.ndarray, window: int) -> np.ndarray:
    csum = np.cumsum(np.concatenate([[0.0], values]))
    csum2 = np.cumsum(np.concatenate([[0.0], values * values]))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    count = idx - lo
    mean = (csum[idx] - csum[lo]) / count
    var = (csum2[idx] - csum2[lo]) / count - mean * mean
    return np.sqrt(np.maximum(var, 0.0))


def _trailing_moving_max(values: np.ndarray, window: int) -> np.ndarray:
    # origin shifts the filter so each output looks only backwards (causal).
    return maximum_filter1d(values, size=window, origin=(window - 1) // 2, mode="nearest")


def still_mask(
    t_s: np.ndarray,
    acc_m_s2: np.ndarray,
    gyr_rad_s: np.ndarray,
    settings: StillnessSettings = DEFAULT_STILLNESS,
) -> np.ndarray:
    """Boolean mask of samples at the end of a still trailing window.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds (sorted).
    acc_m_s2 : ndarray, shape (n, 3)
        Specific force, m/s^2.
    gyr_rad_s : ndarray, shape (n, 3)
        Angular rate, rad/s.
    settings : StillnessSettings
        Thresholds.

    Returns
    -------
    ndarray of bool, shape (n,)
        False for the first samples that do not yet fill a window.
    """
    n = t_s.size
    if n < 2:
        return np.zeros(n, dtype=bool)
    dt = float(np.median(np.diff(t_s)))
    window = max(2, int(round(settings.window_s / dt)))
    acc_norm = np.linalg.norm(acc_m_s2, axis=1)
    gyr_norm_dps = np.degrees(np.linalg.norm(gyr_rad_s, axis=1))
    still = (_trailing_moving_std(acc_norm, window) < settings.acc_std_m_s2) & (
        _trailing_moving_max(gyr_norm_dps, window) < settings.gyr_dps
    )
    still[: window - 1] = False
    return still


@dataclass(frozen=True)
class StillSpan:
    """A span during which all sensors were still.

    Attributes
    ----------
    start_s, end_s : float
        Span limits, seconds since session start.
    complete : bool
        True when the span is known to be over (movement followed, or it reached the
        maximum length); False while it may still grow with more data.
    """

    start_s: float
    end_s: float
    complete: bool


def first_still_span(
    masks: list[tuple[np.ndarray, np.ndarray]],
    settings: StillnessSettings = DEFAULT_STILLNESS,
) -> StillSpan | None:
    """First stretch in which every sensor is still, at least ``min_duration_s`` long.

    Parameters
    ----------
    masks : list of (t_s, still) pairs
        For each sensor its sample times and :func:`still_mask`.
    settings : StillnessSettings
        Durations and grid rate.

    Returns
    -------
    StillSpan or None
        ``None`` when no long enough stretch exists in the data given. A span that runs
        to the end of the data and is shorter than ``max_duration_s`` is returned with
        ``complete=False``: more data may lengthen it.
    """
    if not masks or any(t.size == 0 for t, _ in masks):
        return None
    start = max(float(t[0]) for t, _ in masks)
    end = min(float(t[-1]) for t, _ in masks)
    if end <= start:
        return None
    grid = np.arange(start, end, 1.0 / settings.grid_hz)
    together = np.ones(grid.size, dtype=bool)
    for t, still in masks:
        # A grid point is still when the latest sample at or before it is still.
        idx = np.searchsorted(t, grid, side="right") - 1
        together &= still[np.clip(idx, 0, t.size - 1)]
    edges = np.diff(np.concatenate([[0], together.astype(np.int8), [0]]))
    run_starts = np.flatnonzero(edges == 1)
    run_ends = np.flatnonzero(edges == -1)  # exclusive
    min_len = int(round(settings.min_duration_s * settings.grid_hz))
    max_len = int(round(settings.max_duration_s * settings.grid_hz))
    for run_start, run_end in zip(run_starts, run_ends, strict=True):
        # The mask looks back one window, so stillness began a window before it turned on.
        span_start = max(start, float(grid[run_start]) - settings.window_s)
        length = run_end - run_start
        reaches_end = run_end == grid.size
        if length >= max_len:
            return StillSpan(span_start, float(grid[run_start + max_len - 1]), True)
        if length >= min_len:
            return StillSpan(span_start, float(grid[run_end - 1]), not reaches_end)
        if reaches_end:
            return None
    return None


def span_motion(
    acc_m_s2: np.ndarray,
    gyr_rad_s: np.ndarray,
    settings: StillnessSettings = DEFAULT_STILLNESS,
) -> str | None:
    """Why a span said to be quiet standing is not, or ``None`` when it is.

    A span the user gives (the sidecar's ``calibration``) is held to twice the detector's
    thresholds over the whole span: the specific-force norm's SD and the 95th percentile
    of the angular rate's norm (which includes any gyroscope bias; a bias larger than
    that is itself a reason not to trust the sensor).

    Parameters
    ----------
    acc_m_s2 : ndarray, shape (n, 3)
        Specific force in the span, m/s^2.
    gyr_rad_s : ndarray, shape (n, 3)
        Angular rate in the span, rad/s.
    settings : StillnessSettings
        Thresholds.

    Returns
    -------
    str or None
        A plain description of the movement ("turning at up to 161 deg/s"), or None.
    """
    if acc_m_s2.shape[0] < 2:
        return "no samples"
    acc_sd = float(np.linalg.norm(acc_m_s2, axis=1).std())
    rate_dps = float(np.percentile(np.degrees(np.linalg.norm(gyr_rad_s, axis=1)), 95))
    problems = []
    if rate_dps > 2 * settings.gyr_dps:
        problems.append(f"turning at up to {rate_dps:.0f} deg/s")
    if acc_sd > 2 * settings.acc_std_m_s2:
        problems.append(f"accelerating (SD of |acc| {acc_sd:.2f} m/s^2)")
    return " and ".join(problems) or None
