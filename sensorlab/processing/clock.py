r"""Clock alignment: put every sample of a sensor on the host clock, block by block.

A body-worn BLE sensor stamps its samples with its own clock (``device_t_s``), or only
counts them (``seq``), and the host stamps each notification when it arrives
(``host_t_s``). Samples travel in batches: several share one receive time, the wait for
the next connection event (7.5-50 ms) adds latency, the radio sometimes stalls for
100 ms or more, and packets get lost. The model is

.. math::  t_{host} = t_{device} (1 + d) + o + \ell, \qquad \ell \ge 0,

with ``d`` the device clock's drift, ``o`` its offset and ``ell`` a random latency that is
never negative. So ``y = host_t - device_t`` lies on or above the line ``o + d *
device_t``, and the samples that arrived quickest trace that line from above: the lower
envelope of ``y`` against ``device_t`` is the clock mapping, and averaging (as a
least-squares fit of all stamps would) would instead add the mean latency and its jitter.

Method (:class:`ClockAligner`)
------------------------------
1. Running minima. The samples are cut into windows of ``window_s`` seconds of device
   time; each window keeps its lowest ``y`` (the quickest arrival) as one point.
2. Lower line. Through the points of the last ``history_s`` seconds goes a
   least-squares line (its slope shrunk towards the prior drift while the points are
   few), lowered until it touches the lowest point: a line below every point, the lower
   bound that Moon et al. (1999) fit by linear programming and Zhang et al. (2002) by
   the convex hull. The points' scatter is that of a window's quickest arrival, so the
   slope, averaged over all of them, is steadier than a hull edge between two extreme
   points. Until the points span ``startup_s`` seconds only the offset is fitted.
3. Causal clamp. Within the open window the line is lowered at once, never raised,
   whenever a sample arrives below it, and the aligned time is ``device_t`` mapped by
   that line: so no aligned time is later than its own receive stamp (less
   ``latency_floor_s``), and the output is made non-decreasing.

This is Lab Streaming Layer's practice [4] with BLE's one-way delays in place of its
round trips: LSL keeps, of each burst of clock-offset measurements, the one with the
smallest round-trip time (NTP's clock filter), and its XDF importer fits a line through
those offsets; the running minima play the clock filter's part, the lower line the
importer's. (LSL's own dejitter, a least-squares or RLS fit of the time stamps
themselves, would carry the mean BLE latency, tens of milliseconds, into the times.)

What the estimate for a sample uses
-----------------------------------
Only that sample and the samples before it in the stream: the points of the *completed*
windows of the last ``history_s`` seconds (the line is refitted when the first sample of
a new window arrives) and the running minimum of the open window up to and including the
sample. Feeding a stream in blocks of any size therefore gives exactly (bit for bit) the
output of one block with the whole stream.

Resets
------
A device clock that jumps backwards (by more than ``reset_backward_s``), a sample that
arrives ``reset_below_s`` before the line says it was taken (the device clock jumped
forwards), or every window for ``reset_above_for_s`` seconds arriving more than
``reset_above_s`` after the line (the clock paused or jumped back less than the time that
passed) restart the fit from that sample on, and count in ``resets_``. Gaps (no samples
for seconds) are not resets: the line carries across them.

Sensors without a device clock
------------------------------
With a sample counter, :func:`device_time_from_seq` unwraps it into seconds of device
time (the counter is the device clock, ticking at the nominal rate; the drift then also
absorbs the sampling-rate error). With neither, :class:`ArrivalDejitter` puts the
samples on a grid at the nominal rate, as the XDF importer dejitters regularly sampled
streams by a fit of time stamp against sample index [4], and maps the grid by the same
lower envelope; lost samples, which the grid cannot see, are inferred from the arrivals
coming late by whole sample periods. See its docstring for what that costs.

References
----------
.. [1] S. B. Moon, P. Skelly, D. Towsley, "Estimation and removal of clock skew from
   network delay measurements", Proc. IEEE INFOCOM 1999, pp. 227-234.
.. [2] L. Zhang, Z. Liu, C. H. Xia, "Clock synchronization algorithms for network
   measurements", Proc. IEEE INFOCOM 2002, pp. 160-169.
.. [3] V. Paxson, "On calibrating measurements of packet transit times", Proc. ACM
   SIGMETRICS 1998, pp. 11-21 (minimum-delay filtering of one-way delays).
.. [4] Lab Streaming Layer, "Time Synchronization" (clock offsets by the NTP clock
   filter, linear fit at import, dejitter by index-vs-stamp fit and RLS smoothing),
   https://labstreaminglayer.readthedocs.io/info/time_synchronization.html; liblsl
   ``src/time_postprocessor.cpp`` (``proc_clocksync | proc_dejitter``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Smallest scatter assumed for window minima about the line, seconds (see _lower_line).
_NOISE_FLOOR_S = 0.5e-3

__all__ = [
    "DEFAULT_ARRIVAL_SETTINGS",
    "DEFAULT_CLOCK_SETTINGS",
    "ArrivalDejitter",
    "ClockAligner",
    "ClockSettings",
    "device_time_from_seq",
    "unwrap_seq",
]


@dataclass(frozen=True)
class ClockSettings:
    """Settings of :class:`ClockAligner` and :class:`ArrivalDejitter`.

    Attributes
    ----------
    window_s : float
        Length of a running-minimum window, seconds of device time. Each window gives one
        point of the envelope; longer windows give lower (better) points, shorter ones
        let the line follow sooner. 0.5 s holds 10 or more BLE packets.
    history_s : float
        The line is fitted to the windows of the last ``history_s`` seconds of device
        time. The quickest arrival of a window scatters by a millisecond or two over BLE,
        so the drift's precision grows as ``history_s ** 1.5``: on the simulated link of
        the tests, 300 s keeps it within about 3 ppm, 120 s within about 10 ppm (and
        the extrapolated offset with it). Shorter follows a changing drift (temperature)
        sooner.
    startup_s : float
        Until the windows span this long, seconds, only the offset is fitted, the drift
        held at its prior (0 after a start or reset; the last drift after a gap longer
        than ``history_s``).
    drift_prior_ppm : float
        Standard deviation of the prior on the drift, ppm, around the same value: while
        the history is short, the fitted drift is shrunk towards it by the weight of the
        evidence. 100 ppm suits crystal clocks; use some 10000 (1 %) for a sample counter
        (:func:`device_time_from_seq`) of a device whose sampling rate may be off by a
        percent. Not used by :class:`ArrivalDejitter`, which keeps the nominal rate.
    latency_floor_s : float
        A known constant transport latency, seconds, subtracted from every aligned time.
        The envelope only sees the quickest arrivals, so without it (0) the aligned
        times are late by the shortest latency the link ever achieves.
    reset_backward_s : float
        A device time that goes back by more than this, seconds, is a clock reset; a
        smaller step back (reordering, jitter) is kept, its output held by the
        non-decreasing rule.
    reset_below_s : float
        A sample that arrives more than this, seconds, before the line says it was taken
        (a negative latency) means the device clock jumped forwards: a reset. (For
        :class:`ArrivalDejitter`, half a sample period early means too many samples were
        taken as lost, and the count is corrected instead.)
    reset_above_s, reset_above_for_s : float
        When the quickest arrival of every window over ``reset_above_for_s`` seconds is
        more than ``reset_above_s`` seconds above the line, the device clock paused or
        jumped back by less than the time that passed: a reset. (Not used by
        :class:`ArrivalDejitter`, which takes these as lost samples.)
    arrival_gap_s : float
        :class:`ArrivalDejitter` only: a pause between two receive stamps longer than
        this, seconds, is taken as a loss of unknown length, and the sample count is
        re-anchored on the next sample at once.
    arrival_confirm_s : float
        :class:`ArrivalDejitter` only: samples are taken as lost once the quickest
        arrival of every window over this long, seconds, came whole sample periods late.
        Shorter reacts sooner, longer is surer (a window's quickest arrival itself can be
        a few milliseconds late).
    arrival_step_s : float
        :class:`ArrivalDejitter` only: the smallest lateness, seconds, of those quickest
        arrivals that is taken as lost samples. It must stay above their scatter (the
        quickest arrival over 0.75 s is itself up to about 10 ms late over BLE), so
        shorter losses (one sample at 100 Hz, two at 200 Hz) are mostly not seen.
    """

    window_s: float = 0.5
    history_s: float = 300.0
    startup_s: float = 2.0
    drift_prior_ppm: float = 100.0
    latency_floor_s: float = 0.0
    reset_backward_s: float = 0.01
    reset_below_s: float = 0.05
    reset_above_s: float = 1.0
    reset_above_for_s: float = 3.0
    arrival_gap_s: float = 0.5
    arrival_confirm_s: float = 0.75
    arrival_step_s: float = 0.012

    def __post_init__(self) -> None:
        positive = (
            "window_s",
            "history_s",
            "drift_prior_ppm",
            "reset_below_s",
            "reset_above_s",
            "arrival_gap_s",
            "arrival_confirm_s",
            "arrival_step_s",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(
                    f"ClockSettings.{name} must be positive, got {getattr(self, name)}"
                )
        if self.history_s < 2 * self.window_s:
            raise ValueError(
                f"ClockSettings.history_s ({self.history_s} s) must hold at least two windows "
                f"of window_s ({self.window_s} s)"
            )
        for name in ("startup_s", "latency_floor_s", "reset_backward_s", "reset_above_for_s"):
            if not getattr(self, name) >= 0:
                raise ValueError(
                    f"ClockSettings.{name} must be zero or positive, got {getattr(self, name)}"
                )


DEFAULT_CLOCK_SETTINGS = ClockSettings()

#: Defaults of :class:`ArrivalDejitter`: short windows, so that a loss is taken within
#: about a second, and a 10 s history, so that a loss too small to be taken (under
#: ``arrival_step_s``) is forgotten within 10 s.
DEFAULT_ARRIVAL_SETTINGS = ClockSettings(window_s=0.25, history_s=10.0)


def unwrap_seq(
    seq: np.ndarray, modulus: int | None = 65536, last_count: int | None = None
) -> np.ndarray:
    """Unwrap a wrapping sample counter into a monotonic count.

    Every step from one value to the next is read as a forward step of
    ``(seq[i] - seq[i - 1]) mod modulus`` counts, 0 to ``modulus - 1``: a wrap (65535 to 0
    is one count) or a loss of ``step - 1`` samples. A loss of ``modulus`` or more samples
    (327 s of a 16-bit counter at 200 Hz) cannot be told from the counter alone and is
    read as ``step mod modulus``; a step back (reordering, a counter reset) is read as an
    almost full turn, so remove duplicates and reordered samples first
    (:class:`sensorlab.processing.cleaning.SampleCleaner`).

    Parameters
    ----------
    seq : array_like of int, shape (n,)
        Counter values in arrival order, each in ``0 .. modulus - 1``.
    modulus : int or None
        Counter range (65536 for a 16-bit counter); ``None`` for a counter that does not
        wrap (the values are returned as they are).
    last_count : int, optional
        The unwrapped count of the sample before ``seq[0]`` (the last value returned for
        the previous block), to continue a stream block by block. Without it the first
        value is its own count.

    Returns
    -------
    ndarray of int64, shape (n,)
        The unwrapped count of each sample.

    Raises
    ------
    ValueError
        If a value lies outside ``0 .. modulus - 1``.
    """
    values = np.asarray(seq, dtype=np.int64).reshape(-1)
    if modulus is None:
        return values.copy()
    if values.size and (values.min() < 0 or values.max() >= modulus):
        raise ValueError(
            f"seq values must lie in 0 .. {modulus - 1} for modulus={modulus}; got "
            f"{values.min()} .. {values.max()} (pass modulus=None for a counter that does not wrap)"
        )
    if values.size == 0:
        return values.copy()
    if last_count is None:
        start = int(values[0])
    else:
        start = int(last_count) + int((values[0] - last_count) % modulus)
    steps = np.mod(np.diff(values), modulus)
    return start + np.concatenate([[0], np.cumsum(steps)]).astype(np.int64)


def device_time_from_seq(
    seq: np.ndarray,
    rate_hz: float,
    modulus: int | None = 65536,
    last_count: int | None = None,
) -> np.ndarray:
    """Device time from a wrapping sample counter, for sensors without a device clock.

    The counter counts samples of the device's own sampling clock, so ``count / rate_hz``
    is a device clock whose drift is the sampling-rate error (crystal-driven IMUs: tens
    of ppm; RC oscillators: up to a few percent), which :class:`ClockAligner` fits.

    Parameters
    ----------
    seq : array_like of int, shape (n,)
        Sample counter (one count per sample, not per packet), in arrival order.
    rate_hz : float
        Nominal sampling rate, Hz.
    modulus : int or None
        Counter range (65536 for 16 bits); ``None`` for a counter that does not wrap.
    last_count : int, optional
        The unwrapped count of the previous sample, to continue block by block (see
        :func:`unwrap_seq`; the count of the last sample is ``round(t[-1] * rate_hz)``).

    Returns
    -------
    ndarray of float64, shape (n,)
        Device time of each sample, seconds: the unwrapped count divided by ``rate_hz``.

    Raises
    ------
    ValueError
        If ``rate_hz`` is not positive or a value lies outside ``0 .. modulus - 1``.
    """
    if not rate_hz > 0:
        raise ValueError(f"rate_hz must be positive, got {rate_hz}")
    return unwrap_seq(seq, modulus, last_count).astype(np.float64) / float(rate_hz)


def _lower_line(
    x: np.ndarray, y: np.ndarray, prior_slope: float, prior_sd: float
) -> tuple[float, float]:
    """A line under the points: least-squares slope with a prior, lowered onto the lowest.

    The slope is the least-squares slope of the points shrunk towards ``prior_slope``
    (the posterior mean under a Gaussian prior of standard deviation ``prior_sd``, the
    noise taken from the least-squares residuals, at least ``_NOISE_FLOOR_S``), so that
    a few seconds of points cannot produce a wild drift. The intercept puts the line on
    the lowest point, below all others: a lower bound, as in Moon et al. [1].
    Returns ``(slope, intercept)``.
    """
    slope = prior_slope
    if x.size >= 3:
        dx = x - x.mean()
        dy = y - y.mean()
        sxx = float(np.dot(dx, dx))
        if sxx > 0:
            sxy = float(np.dot(dx, dy))
            residual = dy - (sxy / sxx) * dx
            noise_var = max(float(np.dot(residual, residual)) / (x.size - 2), _NOISE_FLOOR_S**2)
            ridge = noise_var / prior_sd**2
            slope = (sxy + ridge * prior_slope) / (sxx + ridge)
    return slope, float(np.min(y - slope * x))


class _EnvelopeAligner:
    """The shared engine of :class:`ClockAligner` and :class:`ArrivalDejitter`.

    ``period_s`` is ``None`` for a device clock (steps in the clock are resets) and the
    nominal sample period for a counted grid (steps are whole lost or surplus samples).
    """

    def __init__(self, settings: ClockSettings, period_s: float | None) -> None:
        self.settings = settings
        self._period_s = period_s
        self._confirm_windows = max(1, math.ceil(settings.arrival_confirm_s / settings.window_s))
        self.resets_ = 0
        self.offset_s_ = float("nan")
        self.drift_ppm_ = float("nan")
        self._lost = 0  # counted grid: samples taken as lost so far (net)
        self._gaps = 0
        self._out_last = -np.inf
        self._host_last: float | None = None
        self._restart()

    # -- state ------------------------------------------------------------------------
    def _restart(self) -> None:
        """Forget the fit (start or reset); the output stays non-decreasing."""
        self._x_last: float | None = None
        self._x0 = 0.0  # reference device time of the fit, set by the first window
        self._hist_x: list[float] = []
        self._hist_y: list[float] = []
        # Counted grid: closed windows awaiting the loss check, as [k, x, y].
        self._pending: list[list] = []
        self._slope = 0.0
        self._slope_prior = 0.0
        self._c0 = np.inf  # line: y = c0 + slope * (x - x0); inf before any window
        self._win_open = False
        self._win_start = 0.0
        self._win_end = np.inf
        self._win_min_y = np.inf
        self._win_min_x = 0.0
        self._win_min_k = 0
        self._run_c = np.inf
        self._above_since: float | None = None

    def _reset(self) -> None:
        self.resets_ += 1
        self._restart()

    def _fitted(self) -> bool:
        # math, not numpy: called several times per block, on a Python float.
        return math.isfinite(self._c0)

    def _line(self, x: np.ndarray | float) -> np.ndarray | float:
        return self._c0 + self._slope * (x - self._x0)

    def _history_span(self) -> float:
        return self._hist_x[-1] - self._hist_x[0] if self._hist_x else 0.0

    # -- windows and the fit ----------------------------------------------------------
    def _open_window(self, x: float) -> None:
        if not self._hist_x and not self._pending:
            self._x0 = x
        self._win_open = True
        self._win_start = x
        self._win_end = x + self.settings.window_s
        self._win_min_y = np.inf
        self._run_c = np.inf

    def _commit(self, x: float, y: float) -> None:
        """Add a window's quickest arrival to the history and refit the line."""
        self._hist_x.append(x)
        self._hist_y.append(y)
        oldest = x - self.settings.history_s
        drop = 0
        while self._hist_x[drop] < oldest:
            drop += 1
        if drop:
            if drop == len(self._hist_x) - 1:
                self._slope_prior = self._slope  # a gap longer than the history
            del self._hist_x[:drop]
            del self._hist_y[:drop]
        x_rel = np.asarray(self._hist_x) - self._x0
        y_arr = np.asarray(self._hist_y)
        fit = self._period_s is None  # the counted grid keeps the nominal rate
        if fit and x_rel.size >= 3 and self._history_span() >= self.settings.startup_s:
            prior_sd = self.settings.drift_prior_ppm * 1e-6
            self._slope, self._c0 = _lower_line(x_rel, y_arr, self._slope_prior, prior_sd)
        else:  # start-up: offset only, at the prior drift
            self._slope = self._slope_prior
            self._c0 = float(np.min(y_arr - self._slope * x_rel))

    def _close_window(self) -> None:
        """Close the open window (at the first sample past it) and use its minimum."""
        s = self.settings
        self._win_open = False
        if not math.isfinite(self._win_min_y):
            return
        if self._period_s is None:
            if self._fitted():
                excess = self._win_min_y - self._line(self._win_min_x)
                if excess <= s.reset_above_s:
                    self._above_since = None
                else:
                    if self._above_since is None:
                        self._above_since = self._win_start
                    if self._win_end - self._above_since >= s.reset_above_for_s:
                        self._reset()
                        return
            self._commit(self._win_min_x, self._win_min_y)
            return
        self._pending.append([self._win_min_k, self._win_min_x, self._win_min_y])
        if not self._fitted() or self._history_span() < s.startup_s:
            self._flush_pending()
            return
        while len(self._pending) > self._confirm_windows:  # after a re-anchoring
            _, x, y = self._pending.pop(0)
            self._commit(x, y)
        if len(self._pending) < self._confirm_windows:
            return
        # The quickest arrival of every pending window late by whole sample periods:
        # samples were lost before them. Floor(+1/4) because latency is never negative.
        excess = min(y - self._line(x) for _, x, y in self._pending)
        if excess >= s.arrival_step_s:
            self._shift_pending(math.floor(excess / self._grid_period_s() + 0.25))
        _, x, y = self._pending.pop(0)
        self._commit(x, y)

    def _grid_period_s(self) -> float:
        """Sample period of the counted grid, seconds (called on the counted grid only)."""
        if self._period_s is None:
            raise RuntimeError("the device-clock aligner has no counted grid")
        return self._period_s

    def _flush_pending(self) -> None:
        for _, x, y in self._pending:
            self._commit(x, y)
        self._pending.clear()

    def _shift_pending(self, shift: int) -> None:
        """Take ``shift`` more samples as lost, from the oldest pending window on."""
        self._lost += shift
        period = self._grid_period_s()
        for point in self._pending:
            x_new = float(point[0] + self._lost) * period
            point[2] -= x_new - point[1]
            point[1] = x_new

    def _reanchor(self, x: float, y: float, carry: bool) -> None:
        """Counted grid: re-count so that the sample ``(x, y)`` lies 0 to 1 period late.

        ``carry``: the pending windows were counted like this sample (the count was
        too high) and are re-counted with it; otherwise (a pause in arrivals) they are
        committed as they are first.
        """
        if self._win_open and math.isfinite(self._win_min_y):
            self._pending.append([self._win_min_k, self._win_min_x, self._win_min_y])
        self._win_open = False
        period = self._grid_period_s()
        if carry:
            self._shift_pending(math.floor((y - self._line(x)) / period))
        else:
            self._flush_pending()  # refits the line before the sample is placed on it
            self._lost += math.floor((y - self._line(x)) / period)

    # -- main loop --------------------------------------------------------------------
    def _run(self, host: list[float], x: list[float] | None, first_k: int) -> np.ndarray:
        """Align one block, sample by sample, in arrival order.

        ``x``: device times (a device clock), or ``None`` on the counted grid, where
        sample ``first_k + i`` sits at ``(first_k + i + lost) * period``. A loop over
        Python floats: a live block holds a few samples, where numpy's per-call cost
        would be most of the work; each step is the same float operation a vectorised
        form would do, so the output does not depend on how the stream is cut.
        """
        s = self.settings
        counted = self._period_s is not None
        period = self._period_s if self._period_s is not None else math.nan
        device = x if x is not None else []
        below_s = 0.5 * period if counted else s.reset_below_s
        if not host:
            return np.empty(0)
        out = []
        for i, h in enumerate(host):
            xi = float(first_k + i + self._lost) * period if counted else device[i]
            y = h - xi
            changed = False
            # Events known before any fitting: pauses in arrivals (counted grid), device
            # time going back (device clock). Both compare with the sample before.
            if counted:
                if self._host_last is not None and h - self._host_last > s.arrival_gap_s:
                    self._gaps += 1
                    if self._fitted():
                        self._reanchor(xi, y, carry=False)
                        changed = True
            elif self._x_last is not None and xi < self._x_last - s.reset_backward_s:
                self._reset()
                changed = True
            if self._win_open and xi >= self._win_end:
                before = (self.resets_, self._lost)
                self._close_window()
                changed |= before != (self.resets_, self._lost)
            if self._fitted() and y < self._line(xi) - below_s:
                # Earlier than the line allows: the device clock jumped forward, or (on
                # the counted grid) more samples were taken as lost than were.
                if counted:
                    self._reanchor(xi, y, carry=True)
                else:
                    self._reset()
                changed = True
            if changed and counted:
                xi = float(first_k + i + self._lost) * period
                y = h - xi
            if not self._win_open:
                self._open_window(xi)
            out.append(self._emit(xi, y, h))
            if y < self._win_min_y:  # the open window's quickest arrival so far
                self._win_min_y, self._win_min_x = y, xi
                if counted:
                    self._win_min_k = first_k + i
            self._host_last = h
        self.offset_s_, self.drift_ppm_ = self._mapping()
        return np.array(out)

    def _emit(self, x: float, y: float, host: float) -> float:
        """Aligned time of a sample in the open window, with the current line."""
        slope_term = self._slope * (x - self._x0)
        self._run_c = min(self._run_c, y - slope_term)
        aligned = x + slope_term + min(self._run_c, self._c0)
        # The clamp keeps it at or before the arrival; make that exact in floating point.
        aligned = min(aligned, host) - self.settings.latency_floor_s
        self._out_last = max(aligned, self._out_last)
        self._x_last = x
        return self._out_last

    def _mapping(self) -> tuple[float, float]:
        """(offset_s, drift_ppm) of ``host = device * (1 + drift) + offset`` now."""
        c = min(self._c0, self._run_c)
        if not math.isfinite(c):
            return float("nan"), float("nan")
        return float(c - self._slope * self._x0), float(self._slope * 1e6)


def _as_times(name: str, values: np.ndarray) -> list[float]:
    """The values as a list of finite floats (what the aligner's loop works on)."""
    times = np.asarray(values, dtype=np.float64).reshape(-1).tolist()
    if not all(map(math.isfinite, times)):
        raise ValueError(f"{name} must be finite; drop or fill NaN samples first")
    return times


class ClockAligner:
    """Map one sensor's device clock to the host clock, block by block.

    Fits the lower envelope of ``host_t - device_t`` against ``device_t`` with a line
    (offset and drift), as described in :mod:`sensorlab.processing.clock`: the quickest
    arrival of each ``window_s``; through those of the last ``history_s``, a
    least-squares line lowered onto the lowest of them, so that it bounds them from
    below as the lines of Moon et al. [1]_ and Zhang et al. [2]_ do; a clamp from the open
    window; a short offset-only start-up. Causal: the output for a sample depends on that
    sample and the ones before it only (the completed windows within ``history_s`` and
    the open window's minimum so far), so blocks of any size give the output of one
    block with the whole stream. On the simulated BLE link of ``tests/test_clock.py``
    (batching, 7.5-45 ms connection events, stalls, losses) the aligned times are
    within 2 ms of the truth after 10 s, the median error about 0.3 ms.

    Parameters
    ----------
    settings : ClockSettings
        Window, history and reset thresholds.

    Attributes
    ----------
    offset_s_ : float
        Current offset, seconds: ``host = device * (1 + drift) + offset`` (NaN before
        any sample).
    drift_ppm_ : float
        Current drift of the device clock against the host's, parts per million (the
        device clock runs slow for positive values; 0 during the start-up).
    resets_ : int
        Device-clock resets detected (each restarts the fit).

    References
    ----------
    .. [1] S. B. Moon, P. Skelly, D. Towsley, "Estimation and removal of clock skew
       from network delay measurements", Proc. IEEE INFOCOM 1999.
    .. [2] L. Zhang, Z. Liu, C. H. Xia, "Clock synchronization algorithms for network
       measurements", Proc. IEEE INFOCOM 2002.
    .. [3] Lab Streaming Layer, "Time Synchronization",
       https://labstreaminglayer.readthedocs.io/info/time_synchronization.html.
    """

    def __init__(self, settings: ClockSettings = DEFAULT_CLOCK_SETTINGS) -> None:
        self.settings = settings
        self._engine = _EnvelopeAligner(settings, period_s=None)

    @property
    def offset_s_(self) -> float:
        """Current offset of the mapping, seconds (see the class docstring)."""
        return self._engine.offset_s_

    @property
    def drift_ppm_(self) -> float:
        """Current drift of the mapping, ppm (see the class docstring)."""
        return self._engine.drift_ppm_

    @property
    def resets_(self) -> int:
        """Device-clock resets detected so far."""
        return self._engine.resets_

    def update(self, device_t_s: np.ndarray, host_t_s: np.ndarray) -> np.ndarray:
        """Align the next block of samples.

        Parameters
        ----------
        device_t_s : array_like, shape (n,)
            Device clock of each sample, seconds, in stream order.
        host_t_s : array_like, shape (n,)
            Receive stamp of each sample on the host clock, seconds (samples of one
            packet share it).

        Returns
        -------
        ndarray, shape (n,)
            Sample times on the host clock, seconds: non-decreasing over the whole
            stream, and never later than the sample's own receive stamp minus
            ``latency_floor_s`` unless an earlier output was.

        Raises
        ------
        ValueError
            If the arrays differ in length or hold NaN or infinite values.
        """
        x = _as_times("device_t_s", device_t_s)
        host = _as_times("host_t_s", host_t_s)
        if len(x) != len(host):
            raise ValueError(
                f"device_t_s and host_t_s must have the same length, got {len(x)} and {len(host)}"
            )
        return self._engine._run(host, x, 0)


class ArrivalDejitter:
    """Sample times from receive stamps alone, for sensors with neither clock nor counter.

    The fallback of last resort. The ``j``-th sample received is placed on a grid at the
    nominal rate, ``x_j = (j + lost) / rate_hz``, and the grid is mapped to the host
    clock by the lower envelope of :class:`ClockAligner` with the drift held at 0: the
    nominal rate is trusted, because from arrival times alone a rate error and a steady
    trickle of lost samples look the same. A sample's time is thus a dejittered host
    time: the quickest arrivals of the last ``history_s`` on the nominal-rate grid.

    Lost samples push every later arrival late by whole sample periods. So:

    - when the quickest arrival of each of the last ``arrival_confirm_s`` worth of
      windows was ``arrival_step_s`` or more late on the line, ``m = floor(lateness *
      rate_hz + 1/4)`` samples are taken as lost, from those windows on;
    - when a sample comes half a period earlier than the line allows, too many were
      taken: the count is lowered at once;
    - after a pause in arrivals longer than ``arrival_gap_s`` the count is re-anchored
      on the first sample after it, taken to be 0 to 1 period late.

    What this costs (defaults: 0.25 s windows, 0.75 s confirmation, 12 ms step, 10 s
    history; measured on the simulated BLE link of ``tests/test_clock.py``):

    - no losses: the median error is under 1 ms, 98 % or more of the samples within
      5 ms; a stretch of 0.75 s without a quick arrival is now and then taken for a lost
      sample, leaving the output one period late until a quick arrival corrects it; no
      error exceeds ``arrival_step_s`` plus two periods;
    - after a loss, the samples are early by the lost duration until the loss is taken:
      within 1.25 s of received samples after it (plus the loss's own length); a loss
      shorter than ``arrival_step_s`` (one sample at 100 or 200 Hz) is not taken and
      leaves them up to that early until the 10 s history forgets it;
    - after a pause, the first samples are up to the first arrival's latency late (its
      age in its packet, the wait for a connection event, a stall), held (not going
      back) until the following ones catch up. A radio stall longer than
      ``arrival_gap_s`` is handled as a pause.

    Use a sample counter (:func:`device_time_from_seq`) wherever the device sends one.

    Parameters
    ----------
    rate_hz : float
        Nominal sampling rate, Hz.
    settings : ClockSettings
        Windows, history and the ``arrival_*`` thresholds; ``drift_prior_ppm`` and the
        ``reset_*`` thresholds are not used.

    Attributes
    ----------
    offset_s_ : float
        Host time of grid time 0, seconds (NaN before any sample).
    lost_samples_ : int
        Samples taken as lost so far (net of those taken back).
    gaps_ : int
        Pauses in arrivals longer than ``arrival_gap_s`` seen.

    References
    ----------
    .. [1] Lab Streaming Layer, "Time Synchronization": smoothing at import time (a
       linear fit of time stamp against sample index per uninterrupted segment),
       https://labstreaminglayer.readthedocs.io/info/time_synchronization.html.
    .. [2] S. B. Moon, P. Skelly, D. Towsley, "Estimation and removal of clock skew
       from network delay measurements", Proc. IEEE INFOCOM 1999.
    """

    def __init__(self, rate_hz: float, settings: ClockSettings = DEFAULT_ARRIVAL_SETTINGS) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz}")
        self.rate_hz = rate_hz
        self.settings = settings
        self._engine = _EnvelopeAligner(settings, period_s=1.0 / rate_hz)
        self._count = 0

    @property
    def offset_s_(self) -> float:
        """Host time of grid time 0, seconds."""
        return self._engine.offset_s_

    @property
    def lost_samples_(self) -> int:
        """Samples taken as lost so far, net."""
        return self._engine._lost

    @property
    def gaps_(self) -> int:
        """Pauses in arrivals longer than ``arrival_gap_s``."""
        return self._engine._gaps

    def update(self, host_t_s: np.ndarray) -> np.ndarray:
        """Dejitter the next block of receive stamps.

        Parameters
        ----------
        host_t_s : array_like, shape (n,)
            Receive stamp of each sample, seconds on the host clock, in arrival order.

        Returns
        -------
        ndarray, shape (n,)
            Estimated sample times on the host clock, seconds, non-decreasing.
        """
        host = _as_times("host_t_s", host_t_s)
        first_k = self._count
        self._count += len(host)
        return self._engine._run(host, None, first_k)
