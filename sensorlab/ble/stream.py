"""One sensor's decoded notifications as one stream across its connections.

The collector (:mod:`sensorlab.ble.collector`) stamps each notification on the host
clock, decodes it and hands the decoded samples here, grouped per drain of its queue.
:class:`SensorStream` turns them into :class:`~sensorlab.records.ImuChunk` blocks, with
no I/O, asyncio or Bluetooth involved:

* the device clock continued across reconnections (a new connection's decoder unwraps
  the clock afresh; see :meth:`SensorStream._session_clock`);
* the device counter continued across reconnections, with the samples missed meanwhile
  counted as lost (see :meth:`SensorStream._session_seq`);
* the samples of one notification spread back from its receive stamp by their age in
  it, for the alignment (see :meth:`SensorStream.chunk`);
* ``t_s`` from the best clock the model offers: :class:`~sensorlab.processing.clock.
  ClockAligner` on the device clock or on ``seq / rate_hz``, else
  :class:`~sensorlab.processing.clock.ArrivalDejitter` on the arrivals;
* repeated aligned times moved on by 2 us each (the recorder writes microseconds).

Each connection has its own :class:`ConnectionOffsets` (made fresh on every
reconnection), which the stream fills on the connection's first samples.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from sensorlab.devices import DecodedSamples
from sensorlab.processing.clock import ArrivalDejitter, ClockAligner, ClockSettings
from sensorlab.records import ImuChunk

logger = logging.getLogger(__name__)

CLOCK_MATCH_S = 2.0
"""Largest difference between a reconnected device clock's step and the host's for the
device clock to be taken as having run on (see :meth:`SensorStream._session_clock`), s."""
TIE_STEP_S = 2e-6
"""Spacing given to samples whose aligned times repeat (the recorder writes microseconds), s."""
DEFAULT_COUNTER_DRIFT_PRIOR_PPM = 10_000.0
"""Drift prior for devices with a sample counter but no clock (their sampling rate may be
off by a percent), ppm."""


@dataclass
class ConnectionOffsets:
    """What one connection's device clock and counter are moved by onto the session's.

    Attributes
    ----------
    clock_offset_s : float or None
        Added to the connection's device clock, seconds (``None`` until its first sample
        with a clock).
    seq_offset : int or None
        Added to the connection's counter (``None`` until its first sample with a counter).
    """

    clock_offset_s: float | None = None
    seq_offset: int | None = None


StreamPart = tuple[float, ConnectionOffsets, DecodedSamples]
"""One notification's samples: receive stamp (s since the session started), the
connection it came on, and what it decoded to."""


class SensorStream:
    """One sensor's samples across its connections, as :class:`ImuChunk` blocks.

    Parameters
    ----------
    placement : str
        Written to every block.
    rate_hz : float
        The rate the device runs at, Hz (the counter's and the arrival grid's step).
    clock_period_s : float or None
        Period after which the device clock field wraps, seconds (e.g. 2**32 us), or
        ``None`` for a clock that does not wrap or no clock.
    counter_drift_prior_ppm : float
        Drift prior of the alignment of a counter without a clock, ppm.

    Attributes
    ----------
    last_seq : int or None
        Session count of the newest sample (``None`` without a counter).
    lost_samples : int
        Samples missing from the session count.
    samples : int
        Samples delivered.
    """

    def __init__(
        self,
        placement: str,
        rate_hz: float,
        clock_period_s: float | None = None,
        counter_drift_prior_ppm: float = DEFAULT_COUNTER_DRIFT_PRIOR_PPM,
    ) -> None:
        self.placement = placement
        self.rate_hz = rate_hz
        self.clock_period_s = clock_period_s
        self.counter_drift_prior_ppm = counter_drift_prior_ppm
        self.last_seq: int | None = None
        self.lost_samples = 0
        self.samples = 0
        self._mode: str | None = None
        self._aligner: ClockAligner | ArrivalDejitter | None = None
        self._last_device_t_s: float | None = None
        self._last_device_host_s: float | None = None  # when _last_device_t_s arrived
        self._last_t_s: float | None = None

    def chunk(self, parts: list[StreamPart]) -> ImuChunk:
        """One block from the samples of several notifications, in arrival order.

        ``host_t_s`` is each notification's receive stamp; ``t_s`` the aligned time;
        ``seq`` and ``device_t_s`` the session's count and clock where the device sends
        them.
        """
        seqs: list[np.ndarray] = []
        device_ts: list[np.ndarray] = []
        hosts: list[np.ndarray] = []
        arrivals: list[np.ndarray] = []
        period_s = 1.0 / self.rate_hz
        for host_s, conn, decoded in parts:
            n = len(decoded)
            seq = device_t_s = None
            if decoded.device_t_s is not None:
                device_t_s = self._session_clock(conn, decoded.device_t_s, host_s)
            if decoded.seq is not None:
                seq = self._session_seq(conn, decoded.seq, device_t_s)
                seqs.append(seq)
            if device_t_s is not None:
                device_ts.append(device_t_s)
                self._last_device_t_s, self._last_device_host_s = float(device_t_s[-1]), host_s
            hosts.append(np.full(n, host_s))
            # The samples of one notification arrive together, the first one the longest
            # after it was taken. For the alignment, each is taken to arrive as much before
            # the notification as it was taken before the last sample: the envelope then
            # sees the notification's quickest arrival for all of them at once, instead of
            # holding the first ones back (a time repeated for several samples).
            if n == 1:
                arrivals.append(hosts[-1])
                continue
            if device_t_s is not None:
                before_last_s = device_t_s[-1] - device_t_s
            elif seq is not None:
                before_last_s = (seq[-1] - seq) * period_s
            else:
                before_last_s = np.arange(n - 1, -1, -1) * period_s
            arrivals.append(host_s - np.maximum(before_last_s, 0.0))
        if len(parts) == 1:
            _, _, decoded = parts[0]
            acc, gyr, extra = decoded.acc_m_s2, decoded.gyr_rad_s, decoded.extra
            host, arrival = hosts[0], arrivals[0]
        else:
            acc = np.concatenate([d.acc_m_s2 for _, _, d in parts])
            gyr = np.concatenate([d.gyr_rad_s for _, _, d in parts])
            host, arrival = np.concatenate(hosts), np.concatenate(arrivals)
            keys = set.intersection(*(set(d.extra) for _, _, d in parts))
            extra = {k: np.concatenate([d.extra[k] for _, _, d in parts]) for k in keys}
        seq = seqs[0] if len(seqs) == 1 else np.concatenate(seqs) if seqs else None
        if seq is not None and len(seq) != len(acc):
            seq = None  # a packet without a counter among ones with: should not happen
        device_t = device_ts[0] if len(device_ts) == 1 else None
        if len(device_ts) > 1:
            device_t = np.concatenate(device_ts)
        if device_t is not None and len(device_t) != len(acc):
            device_t = None
        t_s = self._strictly_increasing(self._align(device_t, seq, arrival))
        self.samples += len(acc)
        return ImuChunk(
            placement=self.placement,
            t_s=t_s,
            acc_m_s2=acc,
            gyr_rad_s=gyr,
            seq=seq,
            device_t_s=device_t,
            extra=extra,
            host_t_s=host,
        )

    def _session_clock(
        self, conn: ConnectionOffsets, device_t_s: np.ndarray, host_s: float
    ) -> np.ndarray:
        """The device clock continued across reconnections.

        A new connection's decoder unwraps the clock afresh, so a clock that had wrapped
        (a DIY's or a DOT's 32-bit microseconds, every 71.6 min), or that wraps while
        the link is down, would step back. The connection's clock is moved by the whole
        periods that make its step from the last sample match the host's, when one
        does (within 2 s, or 1 % of a long gap); otherwise the device restarted its clock,
        and the step back stays.
        """
        if conn.clock_offset_s is None:
            conn.clock_offset_s = 0.0
            period_s = self.clock_period_s
            if period_s and self._last_device_t_s is not None:
                assert self._last_device_host_s is not None
                host_step_s = host_s - self._last_device_host_s
                device_step_s = float(device_t_s[0]) - self._last_device_t_s
                offset_s = period_s * round((host_step_s - device_step_s) / period_s)
                mismatch_s = abs(host_step_s - device_step_s - offset_s)
                if mismatch_s < max(CLOCK_MATCH_S, 0.01 * host_step_s):
                    conn.clock_offset_s = offset_s
                else:
                    logger.info("%s: the device clock restarted", self.placement)
        return device_t_s + conn.clock_offset_s if conn.clock_offset_s else device_t_s

    def _session_seq(
        self, conn: ConnectionOffsets, seq: np.ndarray, device_t_s: np.ndarray | None
    ) -> np.ndarray:
        """The device counter continued across reconnections (the device restarts it).

        A reconnected device whose clock ran on tells how many samples it took meanwhile
        (the clock's step times the rate): the count jumps by that many, and those are
        lost. Without such a clock the count just continues.
        """
        if conn.seq_offset is None:
            first = int(seq[0])
            if self.last_seq is None:
                conn.seq_offset = 0
            elif (
                device_t_s is not None
                and self._last_device_t_s is not None
                and device_t_s[0] > self._last_device_t_s
            ):
                elapsed = (float(device_t_s[0]) - self._last_device_t_s) * self.rate_hz
                conn.seq_offset = self.last_seq + max(1, round(elapsed)) - first
            else:
                conn.seq_offset = self.last_seq + 1 - first
        seq = seq + conn.seq_offset
        if self.last_seq is not None and seq[0] > self.last_seq + 1:
            self.lost_samples += int(seq[0]) - self.last_seq - 1
        self.last_seq = int(seq[-1])
        return seq

    def _strictly_increasing(self, t_s: np.ndarray) -> np.ndarray:
        """The aligned times with repeats (held outputs) moved on by 2 us each.

        The aligners' output never goes back but may repeat a time while a lowered
        estimate catches up; the recording's cleaner would drop such samples as repeats.
        """
        previous = self._last_t_s
        self._last_t_s = float(t_s[-1]) if len(t_s) else previous
        if previous is None:
            steps_ok = len(t_s) < 2 or bool(np.all(np.diff(t_s) > 0))
        else:
            steps_ok = t_s[0] > previous and (len(t_s) < 2 or bool(np.all(np.diff(t_s) > 0)))
        if steps_ok:
            return t_s
        start = -np.inf if previous is None else previous
        ramp = TIE_STEP_S * np.arange(1, len(t_s) + 1)
        floor = np.maximum.accumulate(np.maximum(t_s - ramp, start))
        fixed = np.maximum(t_s, floor + ramp)
        self._last_t_s = float(fixed[-1])
        return fixed

    def _align(
        self, device_t: np.ndarray | None, seq: np.ndarray | None, arrival: np.ndarray
    ) -> np.ndarray:
        """Aligned times from the clock the stream's first block had (kept thereafter)."""
        if self._mode is None:
            if device_t is not None:
                self._mode, self._aligner = "clock", ClockAligner()
            elif seq is not None:
                prior = ClockSettings(drift_prior_ppm=self.counter_drift_prior_ppm)
                self._mode, self._aligner = "counter", ClockAligner(prior)
            else:
                self._mode, self._aligner = "arrival", ArrivalDejitter(self.rate_hz)
        aligner = self._aligner
        if self._mode == "clock" and device_t is not None:
            assert isinstance(aligner, ClockAligner)
            return aligner.update(device_t, arrival)
        if self._mode == "counter" and seq is not None:
            assert isinstance(aligner, ClockAligner)
            return aligner.update(seq / self.rate_hz, arrival)
        if self._mode == "arrival":
            assert isinstance(aligner, ArrivalDejitter)
            return aligner.update(arrival)
        return arrival  # a packet lacking the clock its stream had: keep the receive time
