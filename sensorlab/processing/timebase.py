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
over. Shorter losses are bridged: with the same moment of an earlier repetition of the
movement when the signal around the loss matches one (:meth:`GridResampler._matched_fill`),
else with the cubic through the two samples on each side (Lagrange's four-point formula on
the actual sample times; linear when a neighbour is missing or itself across a long gap).
A linear bridge of the angular rate cuts every peak that falls in the loss, and the
orientation keeps the lost rotation for the tens of seconds its accelerometer correction
takes: a 0.11 s loss during a step-up's lift left a thigh 4 deg off
(``benchmarks/loss_robustness.py``). The last output column flags every grid point between
two samples with a loss between them (1.0, else 0.0), as the device's sample counter tells
it, else a spacing above ``flag_gap_s`` or 1.5 sample periods, whichever is longer;
later stages know the values there are estimates and count that time as lost. The
resampler emits a grid point only once the samples that decide it have arrived (for a
bridged point, those within ``match_context_s`` after the loss too), so feeding a
recording in blocks gives exactly the values of feeding it whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CUBIC_MARGIN = 0.5
"""The cubic across a loss stays within this fraction of its nodes' range beyond them."""

MATCH_COARSE_S = 0.02
"""Step of the first, coarse search for the earlier moment that fills a loss, seconds:
finer than the narrowest feature of a stride's rate (a heel strike's, about 0.05 s)."""


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
        Without the device's sample counter, a spacing between samples longer than
        this (or than 1.5 sample periods, whichever is longer) counts as a loss and
        flags the grid points in it, seconds: host time stamps jitter by up to half a
        sample period, so a shorter spacing cannot tell a lost sample from a late one.
    match_context_s : float
        A bridged loss is filled from the same moment of an earlier repetition when the
        signal this long before and after the loss matches that moment's, seconds.
    match_history_s : float
        How far back that earlier moment is searched for, seconds: a stride (about
        1.1 s) or a step-up rep and a half.
    match_max_residual : float
        Largest mismatch accepted over the context, as a fraction of the context's own
        variance (sum of squared differences over sum of squared deviations from its
        mean); otherwise the loss is bridged by the cubic.
    """

    rate_hz: float = 100.0
    max_gap_s: float = 0.3
    flag_gap_s: float = 0.05
    match_context_s: float = 0.1
    match_history_s: float = 2.5
    match_max_residual: float = 0.2


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
        loss flag (1.0 between two samples with a loss between them).
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
    sample_rate_hz : float, optional
        The sensor's nominal rate, Hz: a spacing above 1.5 of its periods is bridged as
        a loss (filled), and flagged when it is also above ``settings.flag_gap_s`` and
        no sample counter says otherwise.
    match_columns : tuple of int, optional
        Value columns compared to find the earlier moment that fills a loss (e.g. the
        gyroscope's); all when not given.
    """

    def __init__(
        self,
        settings: TimebaseSettings = DEFAULT_TIMEBASE,
        *,
        averaging: bool,
        sample_rate_hz: float | None = None,
        match_columns: tuple[int, ...] | None = None,
    ) -> None:
        self.settings = settings
        self.averaging = averaging
        self._match_columns = None if match_columns is None else list(match_columns)
        self._loss_gap_s = (
            settings.flag_gap_s if sample_rate_hz is None else 1.5 / float(sample_rate_hz)
        )
        self._flag_gap_s = max(self._loss_gap_s, settings.flag_gap_s)
        self._period_s = 1.0 / settings.rate_hz
        self._t = np.empty(0)
        self._lost = np.empty(0, dtype=bool)
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

    def update(
        self, t_s: np.ndarray, values: np.ndarray, lost_before: np.ndarray | None = None
    ) -> GridBlock:
        """Add samples (times increasing) and return the grid points they complete.

        ``lost_before`` (bool, one per sample) marks the samples that follow a loss, as
        the device's sample counter tells it; without it a loss is a spacing of more than
        ``flag_gap_s`` (or 1.5 sample periods if longer).
        """
        if self._v is None:
            self._v = np.empty((0, values.shape[1]))
        if t_s.size:
            if lost_before is None:
                previous = self._t[-1:] if self._t.size else t_s[:1]
                lost_before = np.diff(np.concatenate([previous, t_s])) > self._flag_gap_s
            self._t = np.concatenate([self._t, t_s])
            self._v = np.concatenate([self._v, values])
            self._lost = np.concatenate([self._lost, np.asarray(lost_before, dtype=bool)])
        if self._t.size == 0:
            return GridBlock(0, np.empty((0, self._v.shape[1] + 1)))
        if self._next_k is None:
            self._next_k = int(np.ceil(self._t[0] * self.settings.rate_hz - 1e-9))
            if self.averaging:
                self._next_k += 1
        # A grid point is decided once a sample lies beyond its bin (or beyond it), and
        # a point bridged across a loss once the samples after the loss's end that fill
        # it (the match context, and the cubic's second node) are in too.
        last_ready = self.last_ready_k(self._t[-1])
        t = self._t
        first = max(t.searchsorted(t[-1] - self.settings.match_context_s, side="left") - 1, 0)
        recent = t[first:]
        if recent.size >= 2:
            open_gaps = np.flatnonzero(np.diff(recent) > self._loss_gap_s)
            if open_gaps.size:
                before_gap_s = float(recent[open_gaps[0]])
                last_ready = min(
                    last_ready, math.floor(before_gap_s * self.settings.rate_hz + 1e-9)
                )
        return self._emit(last_ready)

    def last_ready_k(self, newest_t_s: float) -> int:
        """Grid index of the last point decided once a sample at ``newest_t_s`` is in.

        Points in a loss just before it may wait for ``match_context_s`` more.
        """
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
                # by its mean: no interpolation (the usual case, and the interpolation's
                # dozen small-array calls are most of a streaming update).
                out = averaged
            else:
                out = self._interpolate(grid_t)
                out[filled] = averaged[filled]
        else:
            out = self._interpolate(grid_t)
        flags = self._lost_flags(grid_t)
        self._next_k = last_k + 1
        self._trim()
        block = np.empty((out.shape[0], out.shape[1] + 1))
        block[:, :-1] = out
        block[:, -1] = flags
        return GridBlock(k0, block)

    def _lost_flags(self, grid_t: np.ndarray) -> np.ndarray:
        """Whether each point lies across a loss, or across a gap too long to bridge."""
        t = self._t
        if t.size == 1:
            return np.zeros(grid_t.size, dtype=bool)
        right = t.searchsorted(grid_t, side="left")
        # np.clip's dispatch costs more than the clipping for a row or two.
        right = np.minimum(np.maximum(right, 1, out=right), t.size - 1, out=right)
        return self._lost[right] | (t[right] - t[right - 1] > self.settings.max_gap_s)

    def _interpolate(self, grid_t: np.ndarray) -> np.ndarray:
        """Values at ``grid_t``: linear between samples, filled across losses.

        NaN in gaps longer than ``max_gap_s``.
        """
        t, v = self._t, self._v
        assert v is not None
        if t.size == 1:
            out = np.full((grid_t.size, v.shape[1]), np.nan)
            out[np.isclose(grid_t, t[0])] = v[0]
            return out
        right = np.clip(t.searchsorted(grid_t, side="left"), 1, t.size - 1)
        left = right - 1
        span = t[right] - t[left]
        weight = np.where(span > 0, (grid_t - t[left]) / np.where(span > 0, span, 1.0), 0.0)
        out = v[left] + weight[:, None] * (v[right] - v[left])
        bridged = np.flatnonzero(
            (span > self._loss_gap_s)
            & (span <= self.settings.max_gap_s)
            & (left >= 1)
            & (right <= t.size - 2)
        )
        if bridged.size:
            out[bridged] = self._cubic(grid_t[bridged], left[bridged], out[bridged])
            for gap_left in np.unique(left[bridged]).tolist():
                points = bridged[left[bridged] == gap_left]
                filled = self._matched_fill(grid_t[points], gap_left)
                if filled is not None:
                    out[points] = filled
        bad = (span > self.settings.max_gap_s) | (grid_t < t[0]) | (grid_t > t[-1])
        out[bad] = np.nan
        return out

    def _cubic(self, grid_t: np.ndarray, left: np.ndarray, linear: np.ndarray) -> np.ndarray:
        """Lagrange cubic through samples ``left - 1 .. left + 2`` at ``grid_t``.

        Each point lies inside the loss between ``left`` and ``left + 1``; the linear value where an
        outer neighbour lies across a gap longer than ``max_gap_s``.
        """
        t, v = self._t, self._v
        assert v is not None
        nodes = t[left[:, None] + np.arange(-1, 3)]  # (m, 4)
        outer_ok = (nodes[:, 1] - nodes[:, 0] <= self.settings.max_gap_s) & (
            nodes[:, 3] - nodes[:, 2] <= self.settings.max_gap_s
        )
        x = grid_t[:, None]
        weights = np.ones_like(nodes)
        for j in range(4):
            for m in range(4):
                if m != j:
                    weights[:, j] *= (x[:, 0] - nodes[:, m]) / (nodes[:, j] - nodes[:, m])
        values = v[left[:, None] + np.arange(-1, 3)]  # (m, 4, columns)
        cubic = np.einsum("mj,mjc->mc", weights, values)
        # Noisy close pairs of nodes can swing the cubic far over a long loss: keep it
        # within half the nodes' range beyond them.
        low, high = values.min(axis=1), values.max(axis=1)
        margin = CUBIC_MARGIN * (high - low)
        cubic = np.clip(cubic, low - margin, high + margin)
        return np.where(outer_ok[:, None], cubic, linear)

    def _matched_fill(self, grid_t: np.ndarray, left: int) -> np.ndarray | None:
        """Values at ``grid_t`` inside the loss after sample ``left``, from a repetition.

        Taken from the same moment of an earlier repetition of the movement; None when none matches.

        The lag ``tau`` is the one whose shifted history best matches the samples within
        ``match_context_s`` before and after the loss (least squares over the match
        columns, from just past the loss up to ``match_history_s``, first every
        :data:`MATCH_COARSE_S`, then every sample period around the best, then every
        tenth of one: the samples are interpolated linearly); the fill is
        the history at ``t - tau`` plus the linear
        ramp that meets the samples at both ends of the loss. It is used only when the
        residual is below ``match_max_residual`` of the context's variance, so a
        movement that does not repeat (or standing, whose context is noise) keeps the
        cubic. The rotation over a loss is what the orientation integrates, and during
        walking a fifth of a second of sacrum rate holds impacts no polynomial through
        its ends can restore: at 60 Hz the cubic left the pelvis 2-4 deg off for ten
        seconds and more; the previous stride's rate, matched in time, keeps most steps'
        pelvic drop within a few tenths (``benchmarks/loss_robustness.py``; on real
        lower-back walking it cuts the 95th percentile of the rotation lost over a loss
        from 2.9 to 2.25 deg). This is packet-loss
        concealment by waveform matching, as speech codecs do it (e.g. ITU-T G.711
        Appendix I).
        """
        assert self._v is not None
        s = self.settings
        c = s.match_context_s
        t_left, t_right = float(self._t[left]), float(self._t[left + 1])
        # Only the samples the search can reach: the history before the context, one
        # more for interpolation, and the context after the loss.
        lo = max(int(self._t.searchsorted(t_left - c - s.match_history_s, side="left")) - 1, 0)
        hi = int(self._t.searchsorted(t_right + c, side="right"))
        t, v = self._t[lo:hi], self._v[lo:hi]
        left -= lo
        pre_lo = int(t.searchsorted(t_left - c, side="left"))
        context = np.r_[pre_lo : hi - lo]
        columns = self._match_columns if self._match_columns is not None else slice(None)
        ctx_t = t[context]
        ctx_v = v[context][:, columns]
        if ctx_t.size < 4:
            return None
        period_s = float(np.median(np.diff(ctx_t)))
        shortest = (t_right + c) - (t_left - c) + period_s
        longest = min(s.match_history_s, (t_left - c) - float(t[0]))
        if longest <= shortest:
            return None
        history_v = v[:, columns]
        variance = float(np.sum((ctx_v - ctx_v.mean(axis=0)) ** 2))
        losses_before = np.concatenate([[0], np.cumsum(np.diff(t) > self._loss_gap_s)])

        def mismatch(taus: np.ndarray) -> np.ndarray:
            query = ctx_t[None, :] - taus[:, None]
            shifted = np.stack(
                [np.interp(query, t, history_v[:, j]) for j in range(history_v.shape[1])],
                axis=-1,
            )
            error = np.sum((shifted - ctx_v[None]) ** 2, axis=(1, 2))
            # The template's own span must hold real samples, not another loss: no
            # sample after a loss from its first to the one after its end.
            starts = t.searchsorted(t_left - taus, side="left")
            ends = np.minimum(t.searchsorted(t_right - taus, side="right"), t.size - 1)
            error[losses_before[ends] - losses_before[np.maximum(starts - 1, 0)] > 0] = np.inf
            return error

        # Coarse lags every MATCH_COARSE_S (a fast sensor's every sample would cost four
        # times as much), then every sample period around the best of them.
        coarse_s = max(period_s, MATCH_COARSE_S)
        taus = np.arange(shortest, longest, coarse_s)
        coarse = float(taus[int(np.argmin(mismatch(taus)))])
        taus = np.arange(
            max(shortest, coarse - coarse_s), min(longest, coarse + coarse_s) + 1e-9, period_s
        )
        best_tau = float(taus[int(np.argmin(mismatch(taus)))])
        # Then a tenth of a sample period: a stride is no whole number of samples, and
        # at 60 Hz a lag a third of a sample off loses a degree over a fifth of a second
        # of a sacrum's impact-laden rate.
        taus = np.linspace(
            max(shortest, best_tau - period_s), min(longest, best_tau + period_s), 21
        )
        error = mismatch(taus)
        best = int(np.argmin(error))
        if not np.isfinite(error[best]) or error[best] > s.match_max_residual * variance:
            return None
        tau = float(taus[best])
        template = np.stack(
            [np.interp(grid_t - tau, t, v[:, j]) for j in range(v.shape[1])], axis=-1
        )
        ends_template = np.stack(
            [np.interp([t_left - tau, t_right - tau], t, v[:, j]) for j in range(v.shape[1])],
            axis=-1,
        )
        weight = ((grid_t - t_left) / (t_right - t_left))[:, None]
        offset_left = v[left] - ends_template[0]
        offset_right = v[left + 1] - ends_template[1]
        return template + (1 - weight) * offset_left + weight * offset_right

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
        assert self._next_k is not None and self._v is not None
        # Keep every sample that can still matter for the next grid point: those inside
        # its bin or gap window, plus the history a loss after it may be filled from.
        s = self.settings
        keep_from_t = (
            self._next_k * self._period_s
            - self._period_s
            - s.max_gap_s
            - 2 * s.match_context_s
            - s.match_history_s
        )
        first = max(int(self._t.searchsorted(keep_from_t, side="left")) - 2, 0)
        if first:
            self._t = self._t[first:]
            self._lost = self._lost[first:]
            self._v = self._v[first:]
