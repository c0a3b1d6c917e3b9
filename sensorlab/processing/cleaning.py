"""Per-sensor sample cleaning: time order, duplicates, non-finite values, losses.

Losses are found from ``seq`` gaps.

:class:`SampleCleaner` is a stateful streaming step (``update(chunk) -> chunk``): it sorts
each chunk by time (stable), drops samples whose time is not later than the last one it
emitted (duplicates and late arrivals, also across chunk boundaries), drops and counts
samples whose acc or gyro holds a NaN or an infinity (from a decoder, a calibration file or
the API: one such value would otherwise poison every later grid row through the resampler's
running sums), and counts samples missing according to gaps in the device counter ``seq``.
Batch cleaning is one update with the whole recording (:func:`clean_chunk`).

A non-finite sample still has a valid time and counter: it is taken out only after the
time order and ``seq`` are accounted, so it moves the time on and is not counted again as a
``seq`` loss; the analysis sees a gap of one sample where it was.

Batch versus streaming
----------------------
Feeding a recording in chunks gives exactly the batch result (samples and counts) when no
sample arrives after a later one in an earlier chunk. A sample that is earlier than
something already emitted can only be dropped, since what was emitted cannot be re-sorted:
in batch it is sorted into place, in streaming it counts as ``dropped_``. Repeated times
behave the same either way (the first in arrival order is kept).

Counter wrap
------------
Many devices count ``seq`` in 16 bits. While every ``seq`` seen so far lies within
``0 .. seq_modulus - 1`` the counter is taken as wrapping at ``seq_modulus`` (65535 -> 0 is
a step of one). A forward step larger than ``max_seq_step`` (or, once values beyond the
modulus have been seen, any backward step) is taken as a counter reset, not a loss, and is
counted in ``seq_resets_``. Between two samples whose seq steps by ``d``, ``d - 1`` samples
are missing; for a packet counter shared by several samples, read losses as packets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensorlab.records import ImuChunk, SensorQuality

_PERIOD_BIN_S = 1e-5
_PERIOD_BINS = 50_000


@dataclass(frozen=True)
class CleanerSettings:
    """Settings of :class:`SampleCleaner`.

    Attributes
    ----------
    seq_modulus : int
        Counter range: ``seq`` wraps from ``seq_modulus - 1`` to 0 while every value seen is
        below it (65536 for a 16-bit counter).
    max_seq_step : int
        Largest forward ``seq`` step (in counts) taken as a loss of ``step - 1`` samples;
        larger steps are counter resets.
    """

    seq_modulus: int = 65536
    max_seq_step: int = 32768


DEFAULT_CLEANER_SETTINGS = CleanerSettings()


class SampleCleaner:
    """Sort, de-duplicate and account losses for one sensor, chunk by chunk.

    Parameters
    ----------
    settings : CleanerSettings
        Counter handling; the defaults suit a 16-bit counter.

    Attributes
    ----------
    placement_ : str or None
        The sensor seen (every chunk must come from the same one).
    samples_ : int
        Samples emitted so far.
    dropped_ : int
        Samples removed because their time was not later than the last emitted one
        (duplicates or out of order), or not a number.
    non_finite_ : int
        Samples removed because an acc or gyro value was NaN or infinite (their time was
        valid and in order).
    lost_ : int
        Samples missing according to ``seq`` gaps between emitted samples.
    seq_resets_ : int
        ``seq`` steps taken as counter resets rather than losses.
    last_t_s_ : float
        Time of the last emitted sample, seconds (``-inf`` before any).
    rate_hz_ : float
        Measured median sampling rate of the emitted samples, Hz (NaN before two samples).
    """

    def __init__(self, settings: CleanerSettings = DEFAULT_CLEANER_SETTINGS) -> None:
        self.settings = settings
        self.placement_: str | None = None
        self.samples_ = 0
        self.dropped_ = 0
        self.non_finite_ = 0
        self.lost_ = 0
        self.seq_resets_ = 0
        self.last_t_s_ = -np.inf
        self._last_seq: int | None = None
        self._seq_wide = False
        self.lost_before_: np.ndarray | None = None
        """For the samples the last :meth:`update` returned: True where the device's
        counter says samples were lost just before it (a dropped non-finite sample
        counts as lost); None when they carry no counter."""
        self._loss_pending = False  # a non-finite sample dropped at the end of a chunk
        # Sample periods as a histogram (10 us bins up to 0.5 s, then one overflow bin):
        # the median rate in fixed memory however long the stream, the same in blocks.
        self._period_counts = np.zeros(_PERIOD_BINS + 1, dtype=np.int64)

    @property
    def rate_hz_(self) -> float:
        """Median sampling rate of what was emitted, Hz (NaN with fewer than two samples).

        Resolved to 10 us of sample period (0.2 % at 200 Hz).
        """
        total = int(self._period_counts.sum())
        if total == 0:
            return float("nan")
        median_bin = int(np.searchsorted(np.cumsum(self._period_counts), (total + 1) / 2))
        return float(1.0 / ((median_bin + 0.5) * _PERIOD_BIN_S))

    def update(self, chunk: ImuChunk) -> ImuChunk:
        """Clean the next chunk of samples.

        Parameters
        ----------
        chunk : ImuChunk
            The next samples of the sensor, in arrival order.

        Returns
        -------
        ImuChunk
            The samples kept, in time order, strictly later than everything emitted before,
            every acc and gyro value finite.

        Raises
        ------
        ValueError
            If the chunk comes from another sensor than the earlier ones.
        """
        if self.placement_ is None:
            self.placement_ = chunk.placement
        elif chunk.placement != self.placement_:
            raise ValueError(
                f"SampleCleaner cleans one sensor ({self.placement_!r}); got a chunk of "
                f"{chunk.placement!r}: use one cleaner per sensor"
            )
        t_s = np.asarray(chunk.t_s, dtype=np.float64)
        if t_s.size and t_s[0] > self.last_t_s_ and bool((t_s[1:] > t_s[:-1]).all()):
            # The usual streaming case: strictly increasing and after everything emitted,
            # so every sample is kept as it is (a live stream sends blocks of ~4 samples,
            # where the sort and copies below would be most of the work).
            kept, emitted = chunk, t_s
        else:
            order = np.argsort(t_s, kind="stable")
            t_sorted = t_s[order]
            previous = np.concatenate([[self.last_t_s_], t_sorted[:-1]])
            keep = t_sorted > previous
            keep[1:] &= t_sorted[1:] > self.last_t_s_
            index = order[keep]
            kept, emitted = chunk.take(index), t_s[index]
        self.dropped_ += int(t_s.size - emitted.size)
        if emitted.size:
            self._count_periods(emitted)
            self.last_t_s_ = float(emitted[-1])
        lost = None
        if kept.seq is None and emitted.size:
            self._last_seq = None  # samples without a counter break the chain
        elif kept.seq is not None:
            lost = self._account_seq(np.asarray(kept.seq, dtype=np.int64))
        if not (np.isfinite(kept.acc_m_s2).all() and np.isfinite(kept.gyr_rad_s).all()):
            finite = np.isfinite(kept.acc_m_s2).all(axis=1) & np.isfinite(kept.gyr_rad_s).all(
                axis=1
            )
            self.non_finite_ += int(finite.size - np.count_nonzero(finite))
            if lost is not None:
                lost = self._lost_across_drops(lost, finite)
            kept = kept.take(finite)
        elif lost is not None and self._loss_pending and lost.size:
            lost[0], self._loss_pending = True, False
        self.lost_before_ = lost
        self.samples_ += len(kept)
        return kept

    def _lost_across_drops(self, lost: np.ndarray, finite: np.ndarray) -> np.ndarray:
        """``lost`` for the finite samples only.

        A sample after dropped ones (or after a loss before a dropped one) follows a loss.
        """
        carried = lost | ~finite
        if self._loss_pending and carried.size:
            carried[0] = True
        kept = np.flatnonzero(finite)
        if kept.size == 0:
            self._loss_pending = bool(carried.any())
            return np.zeros(0, dtype=bool)
        self._loss_pending = bool(carried[kept[-1] + 1 :].any())
        # Each kept sample takes in the dropped ones since the kept sample before it.
        starts = np.concatenate([[0], kept[:-1] + 1])
        return np.logical_or.reduceat(carried[: kept[-1] + 1], starts)

    def _count_periods(self, emitted: np.ndarray) -> None:
        """Add the periods before each emitted sample to the histogram."""
        counts = self._period_counts
        if emitted.size <= 16:
            # The same bins as below, with floats: numpy's fixed cost per call dominates
            # for a few samples.
            previous = self.last_t_s_
            for t in emitted.tolist():
                if math.isfinite(previous):
                    counts[min(int((t - previous) / _PERIOD_BIN_S), _PERIOD_BINS)] += 1
                previous = t
            return
        joined = emitted
        if np.isfinite(self.last_t_s_):
            joined = np.concatenate([[self.last_t_s_], emitted])
        bins = np.minimum((np.diff(joined) / _PERIOD_BIN_S).astype(np.int64), _PERIOD_BINS)
        np.add.at(counts, bins, 1)

    def _account_seq(self, seq: np.ndarray) -> np.ndarray:
        """Count losses and resets of the device counter.

        Returns, per sample, whether samples were lost just before it.
        """
        lost = np.zeros(seq.size, dtype=bool)
        if seq.size == 0:
            return lost
        # Python ints for a live block of a few samples (numpy's cost per call dominates).
        first, last = int(seq[0]), int(seq[-1])
        expected = first if self._last_seq is None else self._last_seq + 1
        if (
            first == expected
            and last - first == seq.size - 1
            and last < self.settings.seq_modulus
            and (seq.size < 3 or bool((seq[1:] - seq[:-1] == 1).all()))
        ):
            # The usual case, a gap-free counter: nothing lost, no wrap, no reset.
            self._last_seq = last
            return lost
        values = seq if self._last_seq is None else np.concatenate([[self._last_seq], seq])
        modulus = self.settings.seq_modulus
        out_of_range = (values < 0) | (values >= modulus)
        # A wide counter from the first value outside 0 .. modulus - 1 on: no more wraps.
        wide = np.logical_or.accumulate(out_of_range) | self._seq_wide
        step = np.diff(values)
        wraps = ~wide[1:] & (step < 0)
        step = np.where(wraps, step + modulus, step)
        forward = (step > 0) & (step <= self.settings.max_seq_step)
        self.lost_ += int(np.sum(step[forward] - 1))
        self.seq_resets_ += int(np.sum((step < 0) | (step > self.settings.max_seq_step)))
        # With no counter value before this block, its first sample follows no step.
        lost[seq.size - step.size :] = forward & (step > 1)
        self._last_seq = int(seq[-1])
        self._seq_wide = bool(wide[-1])
        return lost

    def quality(self, nominal_rate_hz: float | None = None) -> SensorQuality:
        """The data-quality account so far.

        Parameters
        ----------
        nominal_rate_hz : float, optional
            The sidecar's rate, Hz, reported alongside the measured one.

        Returns
        -------
        SensorQuality
        """
        return SensorQuality(
            placement=self.placement_ or "",
            samples=self.samples_,
            lost=self.lost_,
            dropped=self.dropped_,
            non_finite=self.non_finite_,
            rate_hz=self.rate_hz_,
            nominal_rate_hz=nominal_rate_hz,
        )


def clean_chunk(
    chunk: ImuChunk,
    nominal_rate_hz: float | None = None,
    settings: CleanerSettings = DEFAULT_CLEANER_SETTINGS,
) -> tuple[ImuChunk, SensorQuality]:
    """Clean all samples of one sensor at once (one :meth:`SampleCleaner.update`).

    Parameters
    ----------
    chunk : ImuChunk
        All samples of the sensor, e.g. ``recording.chunks["pelvis"]``.
    nominal_rate_hz : float, optional
        The sidecar's rate, Hz, for the quality account.
    settings : CleanerSettings
        Counter handling.

    Returns
    -------
    cleaned : ImuChunk
        Sorted by time, duplicates removed.
    quality : SensorQuality
        Samples kept, dropped, non-finite and lost, and the measured median rate.
    """
    cleaner = SampleCleaner(settings)
    cleaned = cleaner.update(chunk)
    return cleaned, cleaner.quality(nominal_rate_hz)
