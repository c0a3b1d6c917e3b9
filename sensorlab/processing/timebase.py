"""Put each sensor on the common analysis time base, block by block.

Sensors are sampled independently (different rates, phases and losses), but metrics such
as pelvic drop during a thigh's load phase need them together. Every sensor is therefore
resampled onto one grid, ``t_k = k / rate_hz`` seconds since session start:

- a sensor faster than the grid (e.g. 200 Hz onto 100 Hz) is averaged over each grid
  bin ``(t_k - P/2, t_k + P/2]`` (``P`` the grid period): a boxcar anti-alias filter
  that keeps the integral of the angular rate over the bin, so orientation integrates
  correctly;
- a sensor at or below the grid rate is linearly interpolated between the two samples
  that bracket ``t_k``.

A grid point inside a longer gap than ``max_gap_s`` is NaN: losses are never papered
over. Shorter losses are bridged linearly, and the last output column flags every grid
point that lies in a gap longer than ``flag_gap_s`` (1.0, else 0.0), so that later stages
know the samples there are estimates. The resampler emits a grid point only once the
samples that decide it have arrived, so feeding a recording in blocks gives exactly the
values of feeding it whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TimebaseSettings:
    """Common time base.

    Attributes
    ----------
    rate_hz : float
        Grid rate, Hz.
    max_gap_s : float
        Longest stretch without samples that is still bridged, seconds: a linear
        estimate of a lost quarter second keeps the integrated rotation closer to the
        truth than no rotation at all.
    flag_gap_s : float
        Grid points in a gap between samples longer than this are flagged, seconds.
    """

    rate_hz: float = 100.0
    max_gap_s: float = 0.3
    flag_gap_s: float = 0.05


DEFAULT_TIMEBASE = TimebaseSettings()


@dataclass(frozen=True)
class GridBlock:
    """Values of one sensor on consecutive grid points.

    Attributes
    ----------
    k0 : int
        Grid index of the first row (time ``k0 / rate_hz``).
    values : ndarray, shape (n, m + 1)
        One row per grid point; NaN where there was no data. The last column is the
        gap flag (1.0 inside a gap longer than ``flag_gap_s``).
    """

    k0: int
    values: np.ndarray


class GridResampler:
    """Resample one sensor's samples onto the grid, state carried between blocks.

    Parameters
    ----------
    settings : TimebaseSettings
        Grid rate and gap limit.
    averaging : bool
        True to average over bins (sensor faster than the grid), False to interpolate.
    """

    def __init__(self, settings: TimebaseSettings = DEFAULT_TIMEBASE, *, averaging: bool) -> None:
        self.settings = settings
        self.averaging = averaging
        self._period_s = 1.0 / settings.rate_hz
        self._t = np.empty(0)
        self._v: np.ndarray | None = None
        self._next_k: int | None = None

    @property
    def ready_margin_s(self) -> float:
        """A grid point is decided once a sample lies this far beyond it, seconds."""
        return self._period_s / 2 if self.averaging else 0.0

    @staticmethod
    def averaging_for(rate_hz: float, settings: TimebaseSettings = DEFAULT_TIMEBASE) -> bool:
        """Whether a sensor at ``rate_hz`` is averaged (faster than 1.5x the grid)."""
        return rate_hz > 1.5 * settings.rate_hz

    def update(self, t_s: np.ndarray, values: np.ndarray) -> GridBlock:
        """Add samples (times increasing) and return the grid points they complete."""
        if self._v is None:
            self._v = np.empty((0, values.shape[1]))
        if t_s.size:
            self._t = np.concatenate([self._t, t_s])
            self._v = np.concatenate([self._v, values])
        if self._t.size == 0:
            return GridBlock(0, np.empty((0, self._v.shape[1] + 1)))
        if self._next_k is None:
            self._next_k = int(np.ceil(self._t[0] * self.settings.rate_hz - 1e-9))
            if self.averaging:
                self._next_k += 1
        # A grid point is decided once a sample lies beyond its bin (or beyond it).
        last_ready = self.last_ready_k(self._t[-1])
        return self._emit(last_ready)

    def last_ready_k(self, newest_t_s: float) -> int:
        """Grid index of the last point decided once a sample at ``newest_t_s`` is in."""
        return math.floor((newest_t_s - self.ready_margin_s) * self.settings.rate_hz - 1e-9)

    def advance_to(self, t_s: float) -> GridBlock | None:
        """The sensor is silent up to ``t_s``: emit its grid points up to there.

        Only when the silence is already longer than ``max_gap_s``, so the points in it
        are empty, exactly as they will be when the next sample finally arrives (or as
        batch processing finds them). Lets the other sensors carry on meanwhile.
        Returns None when the sensor is not silent that long (a live session asks at
        every update, so the answer costs nothing).
        """
        if (
            self._t.size == 0
            or self._next_k is None
            or t_s - self._t[-1] <= self.settings.max_gap_s
        ):
            return None
        return self._emit(math.floor(t_s * self.settings.rate_hz + 1e-9))

    def flush(self) -> GridBlock:
        """Emit the remaining grid points up to the last sample (end of stream)."""
        if self._t.size == 0 or self._next_k is None:
            return GridBlock(0, np.empty((0, 1 if self._v is None else self._v.shape[1] + 1)))
        return self._emit(int(np.floor(self._t[-1] * self.settings.rate_hz + 1e-9)))

    def _emit(self, last_k: int) -> GridBlock:
        assert self._v is not None and self._next_k is not None
        k0 = self._next_k
        if last_k < k0:
            return GridBlock(k0, np.empty((0, self._v.shape[1] + 1)))
        grid_t = np.arange(k0, last_k + 1) * self._period_s
        if self.averaging:
            averaged, filled = self._bin_means(grid_t)
            if filled.all():
                # Every bin has samples, so every interpolated value would be replaced
                # by its mean: only the gap lengths are needed (the usual case, and the
                # interpolation's dozen small-array calls are most of a streaming update).
                out, span = averaged, self._spans(grid_t)
            else:
                out, span = self._interpolate(grid_t)
                out[filled] = averaged[filled]
        else:
            out, span = self._interpolate(grid_t)
        self._next_k = last_k + 1
        self._trim()
        block = np.empty((out.shape[0], out.shape[1] + 1))
        block[:, :-1] = out
        block[:, -1] = span > self.settings.flag_gap_s
        return GridBlock(k0, block)

    def _spans(self, grid_t: np.ndarray) -> np.ndarray:
        """The length of the sample gap around each point, as :meth:`_interpolate` has it."""
        t = self._t
        if t.size == 1:
            return np.zeros(grid_t.size)
        right = t.searchsorted(grid_t, side="left")
        # np.clip's dispatch costs more than the clipping for a row or two.
        right = np.minimum(np.maximum(right, 1, out=right), t.size - 1, out=right)
        return t[right] - t[right - 1]

    def _interpolate(self, grid_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear interpolation, and the length of the sample gap around each point."""
        t, v = self._t, self._v
        assert v is not None
        if t.size == 1:
            out = np.full((grid_t.size, v.shape[1]), np.nan)
            out[np.isclose(grid_t, t[0])] = v[0]
            return out, np.zeros(grid_t.size)
        right = np.clip(t.searchsorted(grid_t, side="left"), 1, t.size - 1)
        left = right - 1
        span = t[right] - t[left]
        weight = np.where(span > 0, (grid_t - t[left]) / np.where(span > 0, span, 1.0), 0.0)
        out = v[left] + weight[:, None] * (v[right] - v[left])
        bad = (span > self.settings.max_gap_s) | (grid_t < t[0]) | (grid_t > t[-1])
        out[bad] = np.nan
        return out, span

    def _bin_means(self, grid_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t, v = self._t, self._v
        assert v is not None
        half = self._period_s / 2
        lo = t.searchsorted(grid_t - half, side="right")
        hi = t.searchsorted(grid_t + half, side="right")
        cumulative = np.empty((v.shape[0] + 1, v.shape[1]))
        cumulative[0] = 0.0
        np.cumsum(v, axis=0, out=cumulative[1:])
        count = hi - lo
        filled = count > 0
        means = (cumulative[hi] - cumulative[lo]) / np.maximum(count, 1)[:, None]
        return means, filled

    def _trim(self) -> None:
        assert self._next_k is not None
        # Keep every sample that can still matter for the next grid point: those inside
        # its bin or gap window, plus one before for interpolation.
        keep_from_t = self._next_k * self._period_s - self._period_s - self.settings.max_gap_s
        first = max(int(self._t.searchsorted(keep_from_t, side="left")) - 1, 0)
        if first:
            self._t = self._t[first:]
            self._v = self._v[first:]
