"""Dead and stuck sensors: constant channels and an accelerometer that misses gravity.

A working IMU never repeats a value for long: its noise moves every channel by at least a
fraction of the resolution from one sample to the next. So a channel that holds one value
exactly for seconds is stuck (a frozen driver, a saturated axis at full scale), and a
sensor whose accelerometer or gyroscope holds one value throughout (an all-zero sensor
above all) is dead, whatever the calibration makes of it (an all-zero sensor "stands"
perfectly still, so its calibration quality used to come out at 1.00). At rest an
accelerometer reads gravity, so ``|acc|`` in the quietest second far from 9.81 m/s^2 is
a scale or offset error, or a broken sensor.

:class:`SensorHealthMonitor` is a streaming step fed the cleaned samples of one sensor
(time-ordered): constant runs are tracked across chunks and the quietest second is kept
from fixed time bins, so any split of the stream gives the batch result.
:func:`health_findings` turns the account into a refusal (a dead sensor) and warnings.

The detector assumes the sensor's noise is at least about a third of its resolution, as
for the IMUs sensorlab reads (otherwise a still axis could legitimately repeat a value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensorlab.errors import InputError
from sensorlab.records import ImuChunk
from sensorlab.units import GRAVITY_M_S2

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")


@dataclass(frozen=True)
class HealthSettings:
    """Settings of :class:`SensorHealthMonitor` and :func:`health_findings`.

    Attributes
    ----------
    flat_s : float
        A channel holding exactly one value for at least this long is stuck, seconds.
    min_flat_samples : int
        ... and for at least this many samples.
    dead_fraction : float
        An accelerometer or gyroscope whose three channels each hold one value over at
        least this fraction of the sensor's samples is dead.
    rest_window_s : float
        Length of the fixed time bins searched for the quietest one, seconds.
    gravity_tolerance : float
        Largest relative difference between ``|acc|`` in the quietest bin and gravity
        before a warning.
    max_listed : int
        Stuck spans kept per channel for the messages.
    """

    flat_s: float = 5.0
    min_flat_samples: int = 50
    dead_fraction: float = 0.9
    rest_window_s: float = 1.0
    gravity_tolerance: float = 0.15
    max_listed: int = 3


DEFAULT_HEALTH = HealthSettings()


@dataclass(frozen=True)
class FlatSpan:
    """A stretch in which one channel held exactly one value.

    Attributes
    ----------
    channel : str
        ``acc_x`` ... ``gyr_z``.
    t_start_s, t_end_s : float
        First and last sample of the stretch, seconds.
    samples : int
        Samples in it.
    value : float
        The value held (m/s^2 or rad/s).
    """

    channel: str
    t_start_s: float
    t_end_s: float
    samples: int
    value: float


@dataclass(frozen=True)
class SensorHealth:
    """The health account of one sensor.

    Attributes
    ----------
    placement : str
        The sensor.
    samples : int
        Samples seen.
    t_start_s, t_end_s : float
        First and last sample time, seconds.
    longest_flat : tuple of int
        Per channel (:data:`CHANNELS` order), samples in its longest constant run; 0 when
        none reached ``min_flat_samples`` (shorter runs are not tracked: a live chunk of
        a few samples then costs a handful of array operations).
    flat_spans : tuple of FlatSpan
        Constant runs of at least ``flat_s`` and ``min_flat_samples`` (a few per channel).
    rest_acc_m_s2 : float
        Mean ``|acc|`` in the quietest ``rest_window_s`` bin (least acc variance), m/s^2;
        NaN before one full bin.
    rest_t_s : float
        Start of that bin, seconds.
    """

    placement: str
    samples: int
    t_start_s: float
    t_end_s: float
    longest_flat: tuple[int, ...]
    flat_spans: tuple[FlatSpan, ...]
    rest_acc_m_s2: float
    rest_t_s: float


class SensorHealthMonitor:
    """Track constant channels and the quietest second of one sensor, chunk by chunk.

    Parameters
    ----------
    settings : HealthSettings
        Thresholds.

    Attributes
    ----------
    placement_ : str or None
        The sensor seen.
    samples_ : int
        Samples seen.
    """

    def __init__(self, settings: HealthSettings = DEFAULT_HEALTH) -> None:
        self.settings = settings
        self.placement_: str | None = None
        self.samples_ = 0
        self._t_first = float("nan")
        self._t_last = float("nan")
        # The open constant run of each channel: its value, first time, sample count.
        self._value = np.full(6, np.nan)
        self._run_t0 = np.full(6, np.nan)
        self._run_n = np.zeros(6, dtype=np.int64)
        self._longest = np.zeros(6, dtype=np.int64)
        self._spans: list[list[FlatSpan]] = [[] for _ in CHANNELS]
        # The open rest bin: its index and the sums of 1, acc, acc^2 and |acc| over it.
        self._bin: int | None = None
        self._bin_sums = np.zeros(8)
        # The quietest closed bin: acc variance, mean |acc|, start time.
        self._rest = (np.inf, float("nan"), float("nan"))

    def update(self, chunk: ImuChunk) -> None:
        """Account the next cleaned samples (finite, in time order, after the earlier ones)."""
        if len(chunk) == 0:
            return
        self.placement_ = self.placement_ or chunk.placement
        t = np.asarray(chunk.t_s, dtype=np.float64)
        acc, gyr = chunk.acc_m_s2, chunk.gyr_rad_s
        if self.samples_ == 0:
            self._t_first = float(t[0])
        previous_t = self._t_last
        # Channel-major (6, n): each channel's changes are then one contiguous row, and
        # the samples are compared where they are, not copied into an (n, 6) stack first.
        n, shortest = t.size, self.settings.min_flat_samples
        change = np.empty((6, n), dtype=bool)
        last_values = np.concatenate([acc[-1], gyr[-1]])
        np.not_equal(np.concatenate([acc[0], gyr[0]]), self._value, out=change[:, 0])
        np.not_equal(acc[1:].T, acc[:-1].T, out=change[:3, 1:])
        np.not_equal(gyr[1:].T, gyr[:-1].T, out=change[3:, 1:])
        if n < shortest and (self._run_n + n < shortest).all():
            # The live case, a few samples: no run can reach ``min_flat_samples`` in this
            # chunk, so none can be listed or be the longest; only the open runs move.
            changed = change.any(axis=1)
            last = n - 1 - np.argmax(change[:, ::-1], axis=1)
            self._run_n = np.where(changed, n - last, self._run_n + n)
            self._run_t0 = np.where(changed, t[last], self._run_t0)
            self._value = last_values
        else:
            # A run of ``shortest`` samples or more inside the chunk leaves ``shortest - 1``
            # unchanged samples in a row, and those hold a whole aligned block of
            # ``shortest // 2``: a channel with a change in every block has only short runs
            # inside the chunk (noise makes this the usual case), so only its first and last
            # run need a look, without listing its runs.
            block = shortest // 2
            short: np.ndarray = np.zeros(6, dtype=bool)
            if block:
                blocks = change[:, : n - n % block].reshape(6, -1, block)
                short = np.all(np.any(blocks, axis=2), axis=1)
            if short.any():
                self._short_runs(np.flatnonzero(short), t, change, last_values, previous_t)
            for channel in np.flatnonzero(~short).tolist():
                values = acc[:, channel] if channel < 3 else gyr[:, channel - 3]
                self._runs(channel, t, values, change[channel], previous_t)
        self._rest_bins(t, chunk.acc_m_s2)
        self.samples_ += t.size
        self._t_last = float(t[-1])

    def _short_runs(
        self,
        channels: np.ndarray,
        t: np.ndarray,
        change: np.ndarray,
        last_values: np.ndarray,
        previous_t: float,
    ) -> None:
        """As :meth:`_runs` for ``channels``, whose runs inside the chunk are all short.

        Only the run open before the chunk can be closed long, and only the last run of
        the chunk stays open.
        """
        n, shortest = t.size, self.settings.min_flat_samples
        rows = change[channels]
        changed = rows.any(axis=1)
        first = np.argmax(rows, axis=1)
        last = n - 1 - np.argmax(rows[:, ::-1], axis=1)
        run_n = self._run_n[channels]
        for k in np.flatnonzero(changed & (run_n > 0) & (run_n + first >= shortest)).tolist():
            channel = int(channels[k])
            end_t = t[first[k] - 1] if first[k] else previous_t
            self._close(
                channel,
                self._run_t0[channel : channel + 1],
                np.array([end_t]),
                np.array([run_n[k] + first[k]]),
                self._value[channel : channel + 1],
            )
        self._value[channels] = np.where(changed, last_values[channels], self._value[channels])
        self._run_t0[channels] = np.where(changed, t[last], self._run_t0[channels])
        self._run_n[channels] = np.where(changed, n - last, run_n + n)

    def _runs(
        self, channel: int, t: np.ndarray, v: np.ndarray, change: np.ndarray, previous_t: float
    ) -> None:
        """Close the constant runs that end in this chunk; the last one stays open.

        ``change`` marks the samples that differ from the one before (a run starts there).
        """
        starts = np.flatnonzero(change)
        if starts.size == 0:
            self._run_n[channel] += v.size
            return
        # Only runs of ``min_flat_samples`` or more can be listed or be the longest; noise
        # makes most runs a single sample, so those are dropped before their times are read.
        counts = np.diff(starts)
        long = np.flatnonzero(counts >= self.settings.min_flat_samples)
        counts = counts[long]
        run_starts = starts[long]
        first_t = t[run_starts]
        last_t = t[run_starts + counts - 1]
        values = v[run_starts]
        if self._run_n[channel]:  # the run open before this chunk ends at starts[0]
            end_t = t[starts[0] - 1] if starts[0] else previous_t
            first_t = np.concatenate([[self._run_t0[channel]], first_t])
            last_t = np.concatenate([[end_t], last_t])
            counts = np.concatenate([[self._run_n[channel] + starts[0]], counts])
            values = np.concatenate([[self._value[channel]], values])
        self._close(channel, first_t, last_t, counts, values)
        self._value[channel] = v[-1]
        self._run_t0[channel] = t[starts[-1]]
        self._run_n[channel] = v.size - starts[-1]

    def _close(
        self,
        channel: int,
        first_t: np.ndarray,
        last_t: np.ndarray,
        counts: np.ndarray,
        values: np.ndarray,
    ) -> None:
        if counts.size == 0:
            return
        if counts.max() >= self.settings.min_flat_samples:
            self._longest[channel] = max(self._longest[channel], int(counts.max()))
        long = (last_t - first_t >= self.settings.flat_s) & (
            counts >= self.settings.min_flat_samples
        )
        spans = self._spans[channel]
        for k in np.flatnonzero(long)[: max(0, self.settings.max_listed - len(spans))]:
            spans.append(
                FlatSpan(
                    CHANNELS[channel],
                    float(first_t[k]),
                    float(last_t[k]),
                    int(counts[k]),
                    float(values[k]),
                )
            )

    def _rest_bins(self, t: np.ndarray, acc: np.ndarray) -> None:
        """Add the samples to fixed time bins; each finished bin may be the quietest."""
        window_s = self.settings.rest_window_s
        first = math.floor(t[0] / window_s)
        if first == math.floor(t[-1] / window_s) and self._bin in (None, first):
            # The live case: a few samples inside the open bin.
            self._bin = first
            sums = self._bin_sums
            sums[0] += t.size
            sums[1:4] += acc.sum(axis=0)
            sums[4:7] += (acc * acc).sum(axis=0)
            sums[7] += np.sqrt(np.einsum("ij,ij->i", acc, acc)).sum()
            return
        bins = np.floor(t / window_s).astype(np.int64)
        starts = np.flatnonzero(np.concatenate([[True], bins[1:] != bins[:-1]]))
        # Each sum over rows (acc, acc^2 as (3, n)): a bin's sum then runs over contiguous
        # memory when ``acc`` is the transpose of a (3, n) array (as the reader's chunks
        # are), five times faster than down the columns of an (n, 3) array, and numpy adds
        # a bin's samples in the same order either way.
        rows = acc.T
        sums = np.empty((starts.size, 8))
        sums[:, 0] = np.diff(starts, append=t.size)
        sums[:, 1:4] = np.add.reduceat(rows, starts, axis=1).T
        sums[:, 4:7] = np.add.reduceat(rows * rows, starts, axis=1).T
        sums[:, 7] = np.add.reduceat(np.sqrt(np.einsum("ij,ij->i", acc, acc)), starts)
        indices = bins[starts]
        if self._bin == indices[0]:
            sums[0] += self._bin_sums  # the open bin goes on
        elif self._bin is not None:
            sums = np.concatenate([self._bin_sums[None], sums])
            indices = np.concatenate([[self._bin], indices])
        # Every bin but the last is closed: the quietest of them, all at once.
        self._rest = self._quietest(self._rest, indices[:-1], sums[:-1])
        self._bin, self._bin_sums = int(indices[-1]), sums[-1]

    def _quietest(self, best: tuple, indices: np.ndarray, sums: np.ndarray) -> tuple:
        """``best`` or the first quietest of the full bins ``indices`` with ``sums`` (rows).

        As :meth:`_quieter` over them in order: a bin must be strictly quieter to win.
        """
        n = sums[:, 0]
        mean = sums[:, 1:4] / n[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = np.sum(sums[:, 4:7] / n[:, None] - mean * mean, axis=1)
        variance[~(n >= 10) | np.isnan(variance)] = np.inf
        if variance.size == 0 or not variance.min() < best[0]:
            return best
        k = int(np.argmin(variance))
        return (
            float(variance[k]),
            float(sums[k, 7] / n[k]),
            int(indices[k]) * self.settings.rest_window_s,
        )

    def _quieter(self, best: tuple, index: int, sums: np.ndarray) -> tuple:
        """``best`` or the bin ``index`` with ``sums``, whichever is quieter (full bins)."""
        n = sums[0]
        if n < 10:
            return best
        mean = sums[1:4] / n
        variance = float(np.sum(sums[4:7] / n - mean * mean))
        if variance < best[0]:
            return (variance, float(sums[7] / n), index * self.settings.rest_window_s)
        return best

    def report(self) -> SensorHealth:
        """The account so far (the open run and bin included as they stand)."""
        open_runs = np.where(self._run_n >= self.settings.min_flat_samples, self._run_n, 0)
        longest = np.maximum(self._longest, open_runs)
        spans = [list(channel_spans) for channel_spans in self._spans]
        for channel in range(6):
            n = int(self._run_n[channel])
            duration = self._t_last - self._run_t0[channel]
            if (
                n >= self.settings.min_flat_samples
                and duration >= self.settings.flat_s
                and len(spans[channel]) < self.settings.max_listed
            ):
                spans[channel].append(
                    FlatSpan(
                        CHANNELS[channel],
                        float(self._run_t0[channel]),
                        self._t_last,
                        n,
                        float(self._value[channel]),
                    )
                )
        rest = self._rest
        if self._bin is not None:
            rest = self._quieter(rest, self._bin, self._bin_sums)
        return SensorHealth(
            placement=self.placement_ or "",
            samples=self.samples_,
            t_start_s=self._t_first,
            t_end_s=self._t_last,
            longest_flat=tuple(int(x) for x in longest),
            flat_spans=tuple(span for channel_spans in spans for span in channel_spans),
            rest_acc_m_s2=rest[1],
            rest_t_s=rest[2],
        )


def _shown(span: FlatSpan) -> str:
    """The held value in the unit people read (m/s^2, deg/s)."""
    if span.channel.startswith("gyr"):
        return f"{np.degrees(span.value):.4g} deg/s"
    return f"{span.value:.4g} m/s^2"


def health_findings(
    health: SensorHealth, settings: HealthSettings = DEFAULT_HEALTH
) -> tuple[str | None, list[str]]:
    """What a sensor's health account means for the analysis.

    Parameters
    ----------
    health : SensorHealth
        From :meth:`SensorHealthMonitor.report`.
    settings : HealthSettings
        Thresholds.

    Returns
    -------
    refusal : str or None
        Set when the sensor is dead (its accelerometer or gyroscope holds one value on
        every axis over ``dead_fraction`` of its samples): nothing it gives can be trusted.
        Names the sensor and says what to do.
    warnings : list of str
        Stuck channels (constant for ``flat_s`` or more, e.g. saturated at full scale) and
        an ``|acc|`` at rest far from gravity, each naming the sensor, channel and times.
    """
    name, n = health.placement, health.samples
    where = f"t = {health.t_start_s:.1f} to {health.t_end_s:.1f} s"
    if n >= settings.min_flat_samples:
        dead = [
            part
            for part, columns in (("accelerometer", range(3)), ("gyroscope", range(3, 6)))
            if all(health.longest_flat[c] >= settings.dead_fraction * n for c in columns)
        ]
        if dead:
            held = "".join(
                f"; {span.channel} {_shown(span)}"
                for span in health.flat_spans
                if span.channel.startswith("acc" if "accelerometer" in dead else "gyr")
            )
            return (
                f"sensor {name!r}: its {' and '.join(dead)} hold{'s' * (len(dead) == 1)} one "
                f"value on every axis over at least {settings.dead_fraction:.0%} of its {n} "
                f"samples ({where}{held}): the sensor is dead, disconnected or not "
                "streaming (an all-zero sensor reads this way), and no number from it could "
                "be trusted. Check and charge it and record again (or remove its rows to "
                "analyse the others)",
                [],
            )
    warnings = []
    if health.flat_spans:
        spans = "; ".join(
            f"{span.channel} held {_shown(span)} from t = {span.t_start_s:.1f} to "
            f"{span.t_end_s:.1f} s ({span.samples} samples)"
            for span in health.flat_spans
        )
        warnings.append(
            f"sensor {name!r}: stuck channel(s): {spans}. A working sensor never repeats a "
            f"value for {settings.flat_s:g} s (its noise moves it): the channel is frozen or "
            "saturated (at full scale: fast movement beyond the sensor's range). Angles from "
            "this sensor in those spans are unreliable; check the sensor and its range setting"
        )
    rest = health.rest_acc_m_s2
    if np.isfinite(rest) and abs(rest / GRAVITY_M_S2 - 1.0) > settings.gravity_tolerance:
        warnings.append(
            f"sensor {name!r}: |acc| in its quietest second (t = {health.rest_t_s:.1f} s on) "
            f"is {rest:.3g} m/s^2, far from gravity ({GRAVITY_M_S2} m/s^2) at rest: its "
            "accelerometer's scale or offset is off, or it is faulty; its tilt angles are "
            "unreliable. Calibrate it ('sensorlab calibrate-device') or replace it"
        )
    return None, warnings


def check_health(
    monitors: dict[str, SensorHealthMonitor], source: str, settings: HealthSettings = DEFAULT_HEALTH
) -> list[str]:
    """The analysis's health check of every sensor that sent samples.

    Returns
    -------
    list of str
        Warnings (stuck channels, ``|acc|`` at rest far from gravity), each naming the
        sensor.

    Raises
    ------
    InputError
        When a sensor is dead (see :func:`health_findings`), naming it: a report without
        it would not say so, and one with it would be confidently wrong.
    """
    warnings = []
    for monitor in monitors.values():
        if monitor.samples_ == 0:
            continue
        refusal, found = health_findings(monitor.report(), settings)
        if refusal is not None:
            raise InputError(f"{source}: {refusal}")
        warnings.extend(found)
    return warnings
