"""Every sensor of a session on one time grid: the analysis's first stage.

Each sensor's samples are cleaned (sorted, duplicates dropped, losses accounted:
:mod:`.cleaning`), watched for a dead or stuck sensor (:mod:`.sensor_health`) and put on
the common grid (:mod:`.timebase`: averaging down, interpolating up, short losses filled).
Grid row 0 is the first row every sensor has; a stream grows the grid as the slowest
sensor allows. Specific force in m/s^2 and angular rate in rad/s, sensor frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensorlab.processing.cleaning import SampleCleaner
from sensorlab.processing.columns import Columns
from sensorlab.processing.sensor_health import SensorHealthMonitor
from sensorlab.processing.timebase import GridBlock, GridResampler, TimebaseSettings
from sensorlab.records import ImuChunk, SensorQuality, SessionMeta

RAW_COLUMNS = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z", "bridged")
"""A sensor's columns on the grid: specific force, rate, and whether the row was filled."""
GYRO_COLUMNS = (3, 4, 5)
"""The gyroscope's columns of the values resampled (acc, then gyr): a loss is filled from
the earlier moment whose rotation matches (see ``GridResampler``)."""
MIN_SAMPLES_FOR_RATE = 20
"""A sensor's grid starts once this many samples tell its rate (or at the end)."""


@dataclass
class SensorGrid:
    """One sensor's values on the grid, from grid index ``k0``."""

    cleaner: SampleCleaner = field(default_factory=SampleCleaner)
    health: SensorHealthMonitor = field(default_factory=SensorHealthMonitor)
    resampler: GridResampler | None = None
    # Cleaned chunks, each with the cleaner's lost-before flags, until the grid starts.
    pending: list[tuple[ImuChunk, np.ndarray | None]] = field(default_factory=list)
    values: Columns = field(default_factory=lambda: Columns(RAW_COLUMNS))
    k0: int | None = None

    @property
    def empty(self) -> bool:
        """No sample has arrived."""
        return self.cleaner.samples_ == 0 and not self.pending


class MultiSensorGrid:
    """The sensors' samples on the common grid (module docstring).

    Parameters
    ----------
    meta : SessionMeta
        The sidecar: each sensor's nominal rate.
    placements : tuple of str
        The sensors.
    settings : TimebaseSettings
        The grid.
    sensors : dict of str to SensorGrid, optional
        Grids that already hold samples (to go on without a sensor that sent none).

    Attributes
    ----------
    k0 : int or None
        Grid index (``round(t_s * rate_hz)``) of row 0, once every sensor has a row.
    """

    def __init__(
        self,
        meta: SessionMeta,
        placements: tuple[str, ...],
        settings: TimebaseSettings,
        sensors: dict[str, SensorGrid] | None = None,
    ) -> None:
        self.meta = meta
        self.settings = settings
        self.rate_hz = settings.rate_hz
        self.sensors = {p: (sensors or {}).get(p) or SensorGrid() for p in placements}
        self.k0: int | None = None

    def add(self, chunk: ImuChunk) -> None:
        """Take a block of one sensor's samples (a sensor not analysed is ignored)."""
        sensor = self.sensors.get(chunk.placement)
        if sensor is None or len(chunk) == 0:
            return
        cleaned = sensor.cleaner.update(chunk)
        sensor.health.update(cleaned)
        if len(cleaned):
            self._resample(chunk.placement, sensor, [(cleaned, sensor.cleaner.lost_before_)])

    def advance_silent(self, until_t_s: float) -> None:
        """Treat every sensor as missing up to ``until_t_s`` where it sent nothing (live)."""
        for sensor in self.sensors.values():
            if sensor.resampler is not None:
                self._store(sensor, sensor.resampler.advance_to(until_t_s))

    def flush(self) -> None:
        """End of stream: every sample still held goes onto the grid."""
        for placement, sensor in self.sensors.items():
            if sensor.resampler is None and sensor.pending:
                self._resample(placement, sensor, [], final=True)
            if sensor.resampler is not None:
                self._store(sensor, sensor.resampler.flush())

    def rows(self) -> int:
        """Rows from row 0 that every sensor has (0 until each has one)."""
        starts = [s.k0 for s in self.sensors.values() if s.k0 is not None]
        if len(starts) < len(self.sensors):
            return 0
        if self.k0 is None:
            self.k0 = max(starts)
        ends = [k0 + s.values.size for k0, s in zip(starts, self.sensors.values(), strict=True)]
        return max(0, min(ends) - self.k0)

    def raw_block(self, placement: str, lo: int, hi: int) -> np.ndarray:
        """A sensor's specific force and rate on grid rows ``lo:hi``, shape (n, 6), a copy."""
        return self.raw_columns(placement, lo, hi).T.copy()

    def raw(self, placement: str, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """A sensor's specific force (m/s^2) and rate (rad/s) on rows ``lo:hi``, (n, 3) each."""
        raw = self.raw_block(placement, lo, hi)
        return raw[:, :3], raw[:, 3:]

    def raw_columns(self, placement: str, lo: int, hi: int) -> np.ndarray:
        """A sensor's specific force (m/s^2) and rate (rad/s) on rows ``lo:hi``, (6, n).

        Rows ``acc_x, acc_y, acc_z, gyr_x, gyr_y, gyr_z``: a view of the stored columns
        (no copy; each contiguous).
        """
        sensor = self.sensors[placement]
        offset = self._row_offset(sensor)
        # acc_x..acc_z and gyr_x..gyr_z are the first six of RAW_COLUMNS.
        return sensor.values.view(offset + lo, offset + hi, 0, 6)

    def bridged(self, placement: str, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` of a sensor filled across a short loss."""
        sensor = self.sensors[placement]
        offset = self._row_offset(sensor)
        return sensor.values.rows("bridged", offset + lo, offset + hi) > 0.5

    def forget_before(self, row: int) -> None:
        """Rows before ``row`` are no longer needed."""
        for sensor in self.sensors.values():
            sensor.values.forget_before(row + self._row_offset(sensor))

    def t_s(self, lo: int, hi: int) -> np.ndarray:
        """Times of rows ``lo:hi``, seconds."""
        assert self.k0 is not None
        return (self.k0 + np.arange(lo, hi)) / self.rate_hz

    def row_t(self, row: int) -> float:
        """Time of ``row``, seconds."""
        assert self.k0 is not None
        return (self.k0 + row) / self.rate_hz

    def last_ready_k(self, newest_t_s: dict[str, float]) -> int | None:
        """Grid index of the last row the sensors' newest samples decide.

        None while that is not known yet (a sensor without samples, or still gathering
        its first).
        """
        last = None
        for placement, sensor in self.sensors.items():
            newest = newest_t_s.get(placement, -np.inf)
            if sensor.resampler is None or not np.isfinite(newest):
                return None
            k = sensor.resampler.last_ready_k(newest)
            last = k if last is None else min(last, k)
        return last

    def quality(self) -> dict[str, SensorQuality]:
        """Samples, losses and measured rate per sensor so far."""
        quality = {}
        for placement, sensor in self.sensors.items():
            info = self.meta.sensors.get(placement)
            quality[placement] = sensor.cleaner.quality(info.rate_hz if info else None)
        return quality

    def recorded_span_s(self) -> tuple[float, dict[str, float]] | None:
        """The first grid time of any sensor and each sensor's last sample time, seconds.

        None before any sensor has a grid row.
        """
        firsts = [s.k0 / self.rate_hz for s in self.sensors.values() if s.k0 is not None]
        lasts = {p: s.cleaner.last_t_s_ for p, s in self.sensors.items() if s.cleaner.samples_}
        return (min(firsts), lasts) if firsts and lasts else None

    def _resample(
        self,
        placement: str,
        sensor: SensorGrid,
        blocks: list[tuple[ImuChunk, np.ndarray | None]],
        final: bool = False,
    ) -> None:
        """Put cleaned chunks (with their lost-before flags) on the grid.

        The grid starts once :data:`MIN_SAMPLES_FOR_RATE` samples tell the sensor's rate
        (or at the end of the stream).
        """
        if sensor.resampler is None:
            sensor.pending.extend(blocks)
            if sum(len(chunk) for chunk, _ in sensor.pending) < MIN_SAMPLES_FOR_RATE and not final:
                return
            blocks, sensor.pending = sensor.pending, []
            sensor.resampler = self._new_resampler(
                placement, np.concatenate([chunk.t_s for chunk, _ in blocks])
            )
        for chunk, lost_before in blocks:
            values = np.concatenate([chunk.acc_m_s2, chunk.gyr_rad_s], axis=1)
            self._store(sensor, sensor.resampler.update(chunk.t_s, values, lost_before))

    def _new_resampler(self, placement: str, t_s: np.ndarray) -> GridResampler:
        """A sensor's resampler, for the sidecar's rate or else the rate of ``t_s``."""
        info = self.meta.sensors.get(placement)
        rate_hz = info.rate_hz if info is not None and info.rate_hz else None
        if rate_hz is None:
            rate_hz = 1.0 / float(np.median(np.diff(t_s))) if t_s.size > 1 else self.rate_hz
        return GridResampler(
            self.settings,
            averaging=GridResampler.averaging_for(rate_hz, self.settings),
            sample_rate_hz=rate_hz,
            match_columns=GYRO_COLUMNS,
        )

    @staticmethod
    def _store(sensor: SensorGrid, block: GridBlock | None) -> None:
        if block is None or block.values.shape[0] == 0:
            return
        if sensor.k0 is None:
            sensor.k0 = block.k0
        sensor.values.append_block(block.values)  # its columns are RAW_COLUMNS, in order

    def _row_offset(self, sensor: SensorGrid) -> int:
        """Index in a sensor's stored values of grid row 0 (the first common row)."""
        assert self.k0 is not None and sensor.k0 is not None
        return self.k0 - sensor.k0
