"""The analysis pipeline: samples in, calibrated angles, reps, steps and metrics out.

One :class:`SessionAnalyzer` serves both uses: batch analysis feeds a whole recording as
one block per sensor, streaming feeds blocks as they arrive; every stage carries its state
(cleaning, resampling, orientation filters, segmentation state machines), so both give
the same result. The stages, in order:

1. per sensor: sort, drop duplicates, account losses (:mod:`.cleaning`);
2. per sensor: onto the common 100 Hz grid (:mod:`.timebase`);
3. quiet standing (sidecar span or :mod:`.stillness`) -> gyroscope bias and vertical;
4. per sensor: Fusion AHRS on the grid (:mod:`.orientation`);
5. after enough movement (or at most ``max_refine_wait_s``): heading of each segment,
   hence sensor-to-segment alignment (:mod:`.calibration`); until then samples wait, so
   the first events of a live session come once calibration is done;
6. segment angles (:mod:`.angles`), then reps (:mod:`.reps`) or steps (:mod:`.gait`),
   each reported as soon as it can be judged.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from sensorlab.errors import InputError
from sensorlab.frames import PLACEMENTS, mount_matrix
from sensorlab.processing import angles
from sensorlab.processing.calibration import (
    DEFAULT_ALIGNMENT,
    AlignmentSettings,
    HeadingEvidence,
    StaticPose,
    ThighReference,
    calibrate_sensor,
    static_pose,
)
from sensorlab.processing.cleaning import SampleCleaner
from sensorlab.processing.columns import Columns
from sensorlab.processing.gait import (
    DEFAULT_GAIT,
    GaitSettings,
    InitialContactDetector,
    gait_result,
    step_result,
)
from sensorlab.processing.orientation import (
    DEFAULT_ORIENTATION,
    OrientationEstimator,
    OrientationSettings,
    rotate_to_world,
    up_in_sensor,
)
from sensorlab.processing.reps import (
    DEFAULT_STEP_UP,
    LiftAborted,
    LiftStarted,
    RepBounds,
    StepUpSegmenter,
    StepUpSettings,
    rep_metrics,
)
from sensorlab.processing.stillness import (
    DEFAULT_STILLNESS,
    StillnessSettings,
    first_still_span,
    still_mask,
)
from sensorlab.processing.timebase import (
    DEFAULT_TIMEBASE,
    GridBlock,
    GridResampler,
    TimebaseSettings,
)
from sensorlab.records import (
    ImuChunk,
    Kinematics,
    Marker,
    RepResult,
    SensorCalibration,
    SensorQuality,
    SessionAnalysis,
    SessionMeta,
    StepResult,
)

ACTIVITIES = ("step_up", "walk")
RECALIBRATE = "recalibrate"
"""Label of a :class:`~sensorlab.records.Marker` at which every sensor is re-levelled."""
KINEMATICS_COLUMNS = (
    "t_s",
    "pelvis_tilt_deg",
    "pelvis_obliquity_deg",
    "pelvis_rotation_deg",
    "left_thigh_sagittal_deg",
    "right_thigh_sagittal_deg",
    "left_thigh_adduction_deg",
    "right_thigh_adduction_deg",
    "pelvis_rate_dps",
    "pelvis_vertical_acc_m_s2",
    "data_gap",
    "orientation_uncertain",
)
_RAW = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z", "bridged")
_GYRO_COLUMNS = (3, 4, 5)
"""The gyroscope's columns of the values resampled (acc, then gyr): a loss is filled from
the earlier moment whose rotation matches (see ``GridResampler``)."""


@dataclass(frozen=True)
class AnalysisSettings:
    """All settings of the pipeline, one frozen record per stage.

    Attributes
    ----------
    refine_rotation_deg : float
        Rotation each thigh must have made after quiet standing before the headings are
        refined, degrees: about 15 s of walking or 4-8 step-ups. Less data leaves the
        pelvis heading a few degrees off (5 deg for walks at 360 deg), which mixes tilt
        into obliquity; a live session shows its first reps once this is reached.
    max_refine_wait_s : float
        Refine with what there is after this long, seconds.
    calibration_search_s : float
        Quiet standing must start within this long of the session start, seconds.
    silent_sensor_s : float
        In a live stream, a sensor silent this long (the session then reports it lost)
        no longer holds the others back, seconds (see :meth:`SessionAnalyzer.update`).
        Its samples that still arrive later than that are recorded but not analysed.
    max_data_gap_s : float
        A rep or step with more lost data than this (``data_gap_s``: time in it during
        which some sensor's samples were missing or bridged), seconds, is listed but
        left out of the per-side means, symmetry, gait measures and findings; so is one
        during which a sensor's orientation was uncertain (not yet re-levelled after a
        loss too long to bridge, or found more than 2 deg off by the tilt check after a
        bridged one). 0.3 s: on simulated step-ups with 2 % loss in bursts of 1-10
        samples at 60, 100 and 200 Hz, no rep with less lost moved an angle by more
        than 1 deg against the same session without loss, while 0.4 s let one through
        4 deg off (``benchmarks/loss_robustness.py``); and a single loss that long is
        no longer bridged.
    """

    timebase: TimebaseSettings = DEFAULT_TIMEBASE
    stillness: StillnessSettings = DEFAULT_STILLNESS
    orientation: OrientationSettings = DEFAULT_ORIENTATION
    alignment: AlignmentSettings = DEFAULT_ALIGNMENT
    step_up: StepUpSettings = DEFAULT_STEP_UP
    gait: GaitSettings = DEFAULT_GAIT
    refine_rotation_deg: float = 1080.0
    silent_sensor_s: float = 3.0
    max_refine_wait_s: float = 60.0
    calibration_search_s: float = 60.0
    max_data_gap_s: float = 0.3


DEFAULT_ANALYSIS = AnalysisSettings()


@dataclass(frozen=True)
class CalibrationProgress:
    """How far calibration has come, for a live display.

    Attributes
    ----------
    stage : str
        ``stand`` (waiting for quiet standing), ``move`` (gathering the movement that
        fixes each segment's heading) or ``done``.
    fraction : float
        Of the current stage, 0 to 1.
    """

    stage: str
    fraction: float


@dataclass(frozen=True)
class CalibrationDone:
    """Event: calibration finished; angles and events follow from here."""

    t_s: float
    calibration: dict[str, SensorCalibration]


@dataclass(frozen=True)
class RepStarted:
    """Event: a thigh lifted past the start threshold; a rep may be under way."""

    side: str
    t_s: float


@dataclass(frozen=True)
class RepAborted:
    """Event: the lift came back down without a rep."""

    side: str
    t_s: float


@dataclass(frozen=True)
class RepFinished:
    """Event: a repetition was judged, with its metrics."""

    rep: RepResult


@dataclass(frozen=True)
class StepDetected:
    """Event: a gait step (its stance is over, so its pelvic drop is known)."""

    step: StepResult


@dataclass
class _SensorGrid:
    """One sensor's values on the grid, from grid index ``k0``."""

    cleaner: SampleCleaner = field(default_factory=SampleCleaner)
    resampler: GridResampler | None = None
    pending: list[ImuChunk] = field(default_factory=list)
    values: Columns = field(default_factory=lambda: Columns(_RAW))
    k0: int | None = None
    last_seq: int | None = None

    def lost_before(self, chunk: ImuChunk) -> np.ndarray | None:
        """Per cleaned sample, whether the device's counter says samples were lost just
        before it (a forward step of more than one); None without a counter, when the
        resampler judges losses by the spacing of the times instead. A 16-bit counter
        wraps (65535 -> 0 is a step of one); any other step back, or one of more than
        half the 16-bit range, is a restart, not a loss."""
        if chunk.seq is None:
            self.last_seq = None
            return None
        seq = np.asarray(chunk.seq, dtype=np.int64)
        previous = seq[:1] - 1 if self.last_seq is None else np.array([self.last_seq])
        values = np.concatenate([previous, seq])
        step = np.diff(values)
        if values.min() >= 0 and values.max() < 65536:
            step = np.where(step < 0, step + 65536, step)
        self.last_seq = int(seq[-1]) if seq.size else self.last_seq
        return (step > 1) & (step <= 32768)


class SessionAnalyzer:
    """Incremental analysis of one session.

    Parameters
    ----------
    meta : SessionMeta
        Sidecar (mounts, rates, calibration span, activity).
    activity : str, optional
        ``step_up`` or ``walk``; defaults to the sidecar's, else detected at the end.
    settings : AnalysisSettings
        Pipeline settings.
    source : str
        Recording name for the summary.
    """

    def __init__(
        self,
        meta: SessionMeta,
        activity: str | None = None,
        settings: AnalysisSettings = DEFAULT_ANALYSIS,
        source: str = "",
    ) -> None:
        self.meta = meta
        self.settings = settings
        self.source = source
        self.activity = activity or meta.activity
        if self.activity is not None and self.activity not in ACTIVITIES:
            raise InputError(
                f"activity {self.activity!r} is not analysed yet; use --activity "
                f"{' or '.join(ACTIVITIES)}"
            )
        self.rate_hz = settings.timebase.rate_hz
        self.warnings: list[str] = []
        self._sensors = {p: _SensorGrid() for p in PLACEMENTS}
        self._k0: int | None = None
        self._static: dict[str, StaticPose] | None = None
        self._static_rows: tuple[int, int] | None = None
        self._estimators: dict[str, OrientationEstimator] = {}
        # Orientation uncertain (after a gap, until reset), per sensor, rows from the
        # start of the quiet span on.
        self._uncertain = {p: Columns(["flag"]) for p in PLACEMENTS}
        self._pending_quaternions: dict[str, list[np.ndarray]] = {p: [] for p in PLACEMENTS}
        self._ahrs_rows = 0
        self._rows_seen = 0
        # Thigh rotation summed since quiet standing: rows done, degrees, row of the hit.
        self._turned = {
            p: {"row": 0, "deg": 0.0, "hit": None} for p in ("left_thigh", "right_thigh")
        }
        self._calibration: dict[str, SensorCalibration] | None = None
        self._pelvis_heading0_deg = 0.0
        self.kinematics = Columns(KINEMATICS_COLUMNS)
        self._step_up = StepUpSegmenter(self.rate_hz, settings.step_up)
        self._contacts = InitialContactDetector(self.rate_hz, settings.gait)
        self._last_contact: tuple[float, str] | None = None
        self._last_step_t: float | None = None
        # Segmentation output in order, reps and steps waiting while a tilt check on
        # their data is pending (see OrientationSettings.check_hold_s); and the
        # (start, end) times the checks found wrong, to flag in the kinematics.
        self._held: list[tuple] = []
        self._marks: list[tuple[float, float]] = []
        self.reps: list[RepResult] = []
        self.steps: list[StepResult] = []
        self.final_events: list = []
        """Events that only the end of the stream decided (e.g. the last step)."""
        self.timings_s: dict[str, float] = defaultdict(float)
        """Seconds spent per stage so far (for benchmarks and profiling)."""
        self._relevel_k: list[int] = []
        for marker in meta.markers:
            self.add_marker(marker)

    def add_marker(self, marker: Marker) -> None:
        """Take a marked moment into account: at a ``recalibrate`` marker every sensor's
        tilt is re-levelled at the next still moment, as after a gap in its data (and
        Fusion's bias tracker re-estimates the gyroscope bias over 3 s of stillness).

        The live view adds markers as they are made and the recording keeps them, so a
        later ``analyze`` of the recording re-levels at the same grid row.
        """
        if marker.label == RECALIBRATE:
            self._relevel_k.append(int(np.ceil(marker.t_s * self.rate_hz - 1e-9)))
            self._relevel_k.sort()

    @property
    def calibration_progress(self) -> CalibrationProgress:
        """Where calibration stands (quiet standing, heading evidence, done)."""
        if self._calibration is not None:
            return CalibrationProgress("done", 1.0)
        if self._static is None or self._static_rows is None:
            return CalibrationProgress("stand", 0.0)
        turned = min(turn["deg"] for turn in self._turned.values())
        waited = (self._rows_seen - self._static_rows[1]) / self.rate_hz
        fraction = max(
            turned / self.settings.refine_rotation_deg, waited / self.settings.max_refine_wait_s
        )
        return CalibrationProgress("move", float(min(fraction, 1.0)))

    def quality(self) -> dict[str, SensorQuality]:
        """Samples, losses and measured rate per sensor so far."""
        quality = {}
        for placement, sensor in self._sensors.items():
            info = self.meta.sensors.get(placement)
            quality[placement] = sensor.cleaner.quality(info.rate_hz if info else None)
        return quality

    def last_ready_k(self, newest_t_s: dict[str, float]) -> int | None:
        """Grid index of the last row the sensors' newest samples decide, or None while
        that is not known yet (a sensor without samples, or still gathering its first).

        A live session wakes the analysis only when this grows: a block that decides no
        new row cannot change any result.
        """
        last = None
        for placement, sensor in self._sensors.items():
            newest = newest_t_s.get(placement, -np.inf)
            if sensor.resampler is None or not np.isfinite(newest):
                return None
            k = sensor.resampler.last_ready_k(newest)
            last = k if last is None else min(last, k)
        return last

    def _relevel_rows(self, lo: int, hi: int) -> np.ndarray | None:
        """Rows ``lo:hi`` where a recalibration marker re-levels the sensors (or None)."""
        if not self._relevel_k or self._relevel_k[0] >= self._k0 + hi:
            return None
        flags = np.zeros(hi - lo, dtype=bool)
        while self._relevel_k and self._relevel_k[0] < self._k0 + hi:
            # A marker whose row was already processed takes effect at the next row.
            flags[max(self._relevel_k.pop(0) - self._k0 - lo, 0)] = True
        return flags

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings_s[stage] += time.perf_counter() - started

    # ------------------------------------------------------------------ input
    def update(self, chunks: Iterable[ImuChunk], now_t_s: float | None = None) -> list:
        """Feed blocks of samples (any sensors, any sizes); returns the new events.

        Parameters
        ----------
        chunks : iterable of ImuChunk
            New samples.
        now_t_s : float, optional
            In a live stream, the newest sample time of any sensor, seconds: a sensor
            silent for more than ``silent_sensor_s`` before it is treated as missing up
            to there, so that the others carry on (the missing rows are empty, as batch
            analysis finds them). Without it the analysis waits for every sensor.
        """
        with self._timed("clean+timebase"):
            for chunk in chunks:
                sensor = self._sensors.get(chunk.placement)
                if sensor is None or len(chunk) == 0:
                    continue
                cleaned = sensor.cleaner.update(chunk)
                if len(cleaned):
                    self._resample(chunk.placement, sensor, [cleaned])
            if now_t_s is not None:
                for sensor in self._sensors.values():
                    if sensor.resampler is not None:
                        silent_until = now_t_s - self.settings.silent_sensor_s
                        self._store(sensor, sensor.resampler.advance_to(silent_until))
        return self._advance(final=False)

    def _resample(self, placement: str, sensor: _SensorGrid, chunks: list[ImuChunk]) -> None:
        if sensor.resampler is None:
            sensor.pending.extend(chunks)
            if sum(len(c) for c in sensor.pending) < 20:
                return
            chunks, sensor.pending = sensor.pending, []
            info = self.meta.sensors.get(placement)
            rate_hz = info.rate_hz if info is not None and info.rate_hz else None
            if rate_hz is None:
                t = np.concatenate([c.t_s for c in chunks])
                rate_hz = 1.0 / float(np.median(np.diff(t)))
            sensor.resampler = GridResampler(
                self.settings.timebase,
                averaging=GridResampler.averaging_for(rate_hz, self.settings.timebase),
                sample_rate_hz=rate_hz,
                match_columns=_GYRO_COLUMNS,
            )
        for chunk in chunks:
            values = np.concatenate([chunk.acc_m_s2, chunk.gyr_rad_s], axis=1)
            block = sensor.resampler.update(chunk.t_s, values, sensor.lost_before(chunk))
            self._store(sensor, block)

    @staticmethod
    def _store(sensor: _SensorGrid, block: GridBlock | None) -> None:
        if block is None or block.values.shape[0] == 0:
            return
        if sensor.k0 is None:
            sensor.k0 = block.k0
        sensor.values.append_block(block.values)  # its columns are _RAW, in order

    # ------------------------------------------------------------- the stages
    def _rows_available(self) -> int:
        if any(s.k0 is None for s in self._sensors.values()):
            return 0
        if self._k0 is None:
            self._k0 = max(s.k0 for s in self._sensors.values())
        return max(0, min(s.k0 + s.values.size for s in self._sensors.values()) - self._k0)

    def _raw_block(self, placement: str, lo: int, hi: int) -> np.ndarray:
        """A sensor's specific force and rate on grid rows ``lo:hi``, shape (n, 6)."""
        sensor = self._sensors[placement]
        offset = self._k0 - sensor.k0
        # acc_x..acc_z and gyr_x..gyr_z are the first six columns of _RAW.
        return sensor.values.block(offset + lo, offset + hi, 0, 6)

    def _raw(self, placement: str, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """A sensor's specific force and rate on grid rows ``lo:hi``, shape (n, 3) each."""
        raw = self._raw_block(placement, lo, hi)
        return raw[:, :3], raw[:, 3:]

    def _bridged(self, placement: str, lo: int, hi: int) -> np.ndarray:
        sensor = self._sensors[placement]
        offset = self._k0 - sensor.k0
        return sensor.values.rows("bridged", offset + lo, offset + hi) > 0.5

    def _forget_consumed(self) -> None:
        """After calibration, grid rows the orientation filter has used are not needed."""
        for placement, sensor in self._sensors.items():
            sensor.values.forget_before(self._ahrs_rows + self._k0 - sensor.k0)
            self._uncertain[placement].forget_before(self._ahrs_rows - self._static_rows[0])

    def _grid_t(self, lo: int, hi: int) -> np.ndarray:
        return (self._k0 + np.arange(lo, hi)) / self.rate_hz

    def _advance(self, final: bool) -> list:
        rows = self._rows_available()
        events: list = []
        if rows == 0 or (rows == self._rows_seen and not final):
            return events  # nothing new on the common time base
        self._rows_seen = rows
        if self._static is None:
            with self._timed("calibration"):
                if not self._find_static(rows, final):
                    return events
        with self._timed("orientation"):
            lo, blocks = self._run_orientation(rows)
        if self._calibration is not None:
            with self._timed("angles"):
                self._append_kinematics(lo, rows, blocks)
                self._forget_consumed()
        else:
            with self._timed("calibration"):
                refine_end = self._refine_end(rows, final)
                if refine_end is None:
                    return events
                self._refine(refine_end)
            events.append(
                CalibrationDone(
                    float(self._grid_t(refine_end - 1, refine_end)[0]), self._calibration
                )
            )
        with self._timed("segmentation+metrics"):
            events.extend(self._segment(final))
        return events

    def _find_static(self, rows: int, final: bool) -> bool:
        span = self.meta.calibration_span_s
        t = self._grid_t(0, rows)
        if span is not None:
            if t[-1] < span[1] and not final:
                return False
        else:
            search = t <= t[0] + self.settings.calibration_search_s
            masks = []
            for placement in PLACEMENTS:
                acc, gyr = self._raw(placement, 0, int(search.sum()))
                valid = np.isfinite(acc).all(axis=1)
                masks.append(
                    (
                        t[: acc.shape[0]][valid],
                        still_mask(
                            t[: acc.shape[0]][valid],
                            acc[valid],
                            gyr[valid],
                            self.settings.stillness,
                        ),
                    )
                )
            found = first_still_span(masks, self.settings.stillness)
            if found is None or (not found.complete and not final):
                return False
            span = (found.start_s, found.end_s)
        lo, hi = np.searchsorted(t, span[0]), np.searchsorted(t, span[1], side="right")
        try:
            poses = {}
            for placement in PLACEMENTS:
                acc, gyr = self._raw(placement, lo, hi)
                valid = np.isfinite(acc).all(axis=1)
                poses[placement] = static_pose(t[lo:hi][valid], acc[valid], gyr[valid], span)
        except ValueError as error:
            raise InputError(
                f"{self.source or 'session'}: the calibration span {span[0]:.2f}-{span[1]:.2f} s "
                f"holds too few samples ({error}); give a span of quiet standing of at least 2 s"
            ) from None
        self._static = poses
        self._static_rows = (int(lo), int(hi))
        self._ahrs_rows = int(lo)
        for placement, pose in poses.items():
            self._estimators[placement] = OrientationEstimator(
                pose.up_sensor, pose.gyro_bias_rad_s, self.rate_hz, self.settings.orientation
            )
        return True

    def _run_orientation(self, rows: int) -> tuple[int, dict[str, np.ndarray]]:
        """Run the AHRS over new rows; returns their first row and quaternions per sensor.

        Before calibration is complete the quaternions are also kept for the refinement.
        """
        lo, hi = self._ahrs_rows, rows
        if hi <= lo:
            return lo, {p: np.empty((0, 4)) for p in PLACEMENTS}
        t = self._grid_t(lo, hi)
        relevel = self._relevel_rows(lo, hi)
        blocks = {}
        for placement, estimator in self._estimators.items():
            raw = self._raw_block(placement, lo, hi)
            acc, gyr = raw[:, :3], raw[:, 3:]
            bridged = self._bridged(placement, lo, hi)
            if np.isfinite(raw).all():  # the usual case: no masked copies
                quaternions, uncertain = estimator.update(t, acc, gyr, relevel, bridged)
            else:
                valid = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
                quaternions = np.full((hi - lo, 4), np.nan)
                uncertain = np.ones(hi - lo, dtype=bool)
                quaternions[valid], uncertain[valid] = estimator.update(
                    t[valid],
                    acc[valid],
                    gyr[valid],
                    None if relevel is None else relevel[valid],
                    bridged[valid],
                )
            self._uncertain[placement].append(flag=uncertain.astype(float))
            self._marks.extend(estimator.corrections_)
            estimator.corrections_.clear()
            blocks[placement] = quaternions
        self._ahrs_rows = hi
        if self._calibration is None:
            for placement, quaternions in blocks.items():
                self._pending_quaternions[placement].append(quaternions)
        return lo, blocks

    def _quaternions(self, placement: str) -> np.ndarray:
        return np.concatenate(self._pending_quaternions[placement])

    def _refine_end(self, rows: int, final: bool) -> int | None:
        """Row where the heading evidence ends, once it is decided; else None.

        The evidence runs from the end of quiet standing to the first row by which both
        thighs have turned ``refine_rotation_deg`` (or ``max_refine_wait_s`` later): a
        row fixed by the data, not by how the data arrived. The rotation is summed
        incrementally, each new row once.
        """
        assert self._static is not None and self._static_rows is not None
        static_end = self._static_rows[1]
        longest = static_end + round(self.settings.max_refine_wait_s * self.rate_hz)
        end = min(rows, longest)
        for placement, turn in self._turned.items():
            lo = max(turn["row"], static_end)
            if turn["hit"] is not None or end <= lo:
                continue
            _, gyr = self._raw(placement, lo, end)
            rate_dps = np.degrees(
                np.linalg.norm(gyr - self._static[placement].gyro_bias_rad_s, axis=1)
            )
            # NaN rows (no data) compare False, so they add no rotation.
            moving = np.where(rate_dps > self.settings.alignment.moving_rate_dps, rate_dps, 0.0)
            turned = turn["deg"] + np.cumsum(moving) / self.rate_hz
            hits = np.flatnonzero(turned >= self.settings.refine_rotation_deg)
            turn["hit"] = lo + int(hits[0]) + 1 if hits.size else None
            turn["deg"], turn["row"] = float(turned[-1]), end
        reached = [turn["hit"] for turn in self._turned.values()]
        if all(row is not None for row in reached):
            return max(reached)
        if rows >= longest:
            return longest
        return rows if final else None

    def _refine(self, evidence_end: int) -> None:
        assert self._static is not None and self._static_rows is not None
        static_lo, static_end = self._static_rows
        calibration = {}
        references = []
        # Thighs first: the pelvis heading comes from their flexion axes.
        for placement in ("left_thigh", "right_thigh", "pelvis"):
            pose = self._static[placement]
            evidence = self._heading_evidence(placement, evidence_end)
            info = self.meta.sensors.get(placement)
            nominal = mount_matrix(info.mount) if info is not None and info.mount else None
            try:
                calibration[placement] = calibrate_sensor(
                    placement, pose, evidence, nominal, self.settings.alignment, references
                )
            except ValueError as error:
                raise InputError(f"{self.source or 'session'}: {error}") from None
            if placement != "pelvis" and evidence is not None:
                references.append(
                    ThighReference(evidence, calibration[placement].sensor_to_segment[1])
                )
        self._calibration = {p: calibration[p] for p in PLACEMENTS}
        pelvis_q = self._quaternions("pelvis")[: static_end - static_lo]
        forward = rotate_to_world(pelvis_q, calibration["pelvis"].sensor_to_segment[0])
        self._pelvis_heading0_deg = float(
            np.degrees(np.arctan2(np.nanmean(forward[:, 1]), np.nanmean(forward[:, 0])))
        )
        self.kinematics.append(**{name: np.full(static_lo, np.nan) for name in KINEMATICS_COLUMNS})
        self._append_kinematics(
            static_lo, self._ahrs_rows, {p: self._quaternions(p) for p in PLACEMENTS}
        )
        self._pending_quaternions = {p: [] for p in PLACEMENTS}

    def _heading_evidence(self, placement: str, evidence_end: int) -> HeadingEvidence | None:
        """Movement data from the end of quiet standing to ``evidence_end``."""
        static_lo, static_end = self._static_rows
        pose = self._static[placement]
        quaternions = self._quaternions(placement)[
            static_end - static_lo : evidence_end - static_lo
        ]
        acc, gyr = self._raw(placement, static_end, evidence_end)
        # Keep rows where every sensor has data, so that the sensors' evidence lines up.
        valid = np.ones(evidence_end - static_end, dtype=bool)
        for other in PLACEMENTS:
            other_q = self._quaternions(other)[static_end - static_lo : evidence_end - static_lo]
            other_acc, _ = self._raw(other, static_end, evidence_end)
            valid &= np.isfinite(other_q).all(axis=1) & np.isfinite(other_acc).all(axis=1)
        if np.count_nonzero(valid) <= 10:
            return None
        linear_world = rotate_to_world(quaternions[valid], acc[valid])
        linear_world[:, 2] -= pose.gravity_m_s2
        return HeadingEvidence(
            gyr[valid] - pose.gyro_bias_rad_s,
            linear_world,
            self._static_orientation(placement),
            self.rate_hz,
        )

    def _static_orientation(self, placement: str) -> np.ndarray:
        """Mean sensor-to-world rotation over quiet standing (its rows: world axes)."""
        static_lo, static_end = self._static_rows
        quaternions = self._quaternions(placement)[: static_end - static_lo]
        quaternions = quaternions[np.isfinite(quaternions).all(axis=1)]
        columns = [rotate_to_world(quaternions, axis).mean(axis=0) for axis in np.eye(3)]
        # Orthonormalise the averaged columns (a polar decomposition).
        u, _, vt = np.linalg.svd(np.column_stack(columns))
        return u @ vt

    def _append_kinematics(self, lo: int, hi: int, quaternions: dict[str, np.ndarray]) -> None:
        assert self._calibration is not None and self._static is not None
        columns: dict[str, np.ndarray] = {"t_s": self._grid_t(lo, hi)}
        up_sensor = up_in_sensor(np.array([quaternions[p] for p in PLACEMENTS]))
        up_segment = np.array(
            [
                up @ self._calibration[p].sensor_to_segment.T
                for p, up in zip(PLACEMENTS, up_sensor, strict=True)
            ]
        )
        columns.update(angles.segment_angles_deg(up_segment))
        forward = rotate_to_world(
            quaternions["pelvis"],
            self._calibration["pelvis"].sensor_to_segment[0],
            horizontal_only=True,
        )
        heading = angles.heading_deg(forward) - self._pelvis_heading0_deg
        columns["pelvis_rotation_deg"] = (heading + 180.0) % 360.0 - 180.0
        acc, gyr = self._raw("pelvis", lo, hi)
        bias = self._static["pelvis"].gyro_bias_rad_s
        rate = gyr - bias
        columns["pelvis_rate_dps"] = np.degrees(np.sqrt(np.add.reduce(rate * rate, axis=1)))
        # World-vertical specific force: up in the sensor frame (the rotation matrix's
        # last row) dotted with it. The sensor's own reading of gravity in standing, not
        # 9.81: a scale or offset error would otherwise shift the whole vertical signal.
        pelvis_up = up_sensor[PLACEMENTS.index("pelvis")]
        columns["pelvis_vertical_acc_m_s2"] = (
            pelvis_up[:, 0] * acc[:, 0] + pelvis_up[:, 1] * acc[:, 1] + pelvis_up[:, 2] * acc[:, 2]
        ) - self._static["pelvis"].gravity_m_s2
        # Lost: some sensor's row bridged across a loss or empty. Uncertain: some
        # sensor's orientation not yet re-levelled after a loss too long to bridge.
        first = self._static_rows[0]
        lost = np.zeros(hi - lo, dtype=bool)
        uncertain = np.zeros(hi - lo, dtype=bool)
        for placement in PLACEMENTS:
            lost |= self._bridged(placement, lo, hi) | ~np.isfinite(quaternions[placement][:, 0])
            uncertain |= self._uncertain[placement].rows("flag", lo - first, hi - first) > 0.5
        columns["data_gap"] = lost.astype(float)
        columns["orientation_uncertain"] = uncertain.astype(float)
        self.kinematics.append(**columns)

    def _segment(self, final: bool) -> list:
        assert self._static_rows is not None
        first = self._static_rows[0]
        held = self._held
        if self.activity in (None, "step_up"):
            t_s = self.kinematics["t_s"]
            for notice in self._step_up.update(self.kinematics, first):
                if isinstance(notice, LiftStarted):
                    held.append(("event", RepStarted(notice.side, float(t_s[notice.row]))))
                elif isinstance(notice, LiftAborted):
                    held.append(("event", RepAborted(notice.side, float(t_s[notice.row]))))
                else:
                    held.append(("rep", self._row_t(notice.decided), notice))
        if self.activity in (None, "walk"):
            max_step_rows = self.settings.gait.max_step_s * self.rate_hz / 2
            for contact in self._contacts.update(self.kinematics, first, final):
                if self._last_contact is not None:
                    end = self._row_t(round(contact[0]))
                    held.append(("step", end, self._last_contact, contact[0]))
                self._last_contact = contact
            if final and self._last_contact is not None:
                end = self._row_t(round(self._last_contact[0] + max_step_rows))
                held.append(("step", end, self._last_contact, None))
                self._last_contact = None
        return self._release(final)

    def _row_t(self, row: int) -> float:
        return (self._k0 + row) / self.rate_hz

    def _release(self, final: bool) -> list:
        """Events of the held segmentation output that no pending tilt check can change.

        A check pending since ``since`` can still flag rows from ``since`` on, as long
        as it resolves within ``check_hold_s``: a rep or step judged at or after that
        waits. Flags found meanwhile are written into the kinematics first, so every
        rep and step sees the same rows in a live stream as in batch.
        """
        self._apply_marks()
        now_t = self._row_t(self.kinematics.size - 1)
        hold_s = self.settings.orientation.check_hold_s
        pending = [
            since
            for estimator in self._estimators.values()
            if (since := estimator.pending_check_since_t) is not None and now_t - since <= hold_s
        ]
        blocked_from_t = min(pending) if pending and not final else np.inf
        events = []
        while self._held:
            kind, *item = self._held[0]
            if kind != "event" and item[0] >= blocked_from_t:
                break
            self._held.pop(0)
            if kind == "event":
                events.append(item[0])
            elif kind == "rep":
                events.append(RepFinished(self._finish_rep(item[1])))
            else:
                events.append(self._finish_step(*item[1:]))
        return events

    def _apply_marks(self) -> None:
        """Flag as orientation-uncertain the kinematics rows a tilt check found wrong."""
        assert self._static_rows is not None
        first, size = self._static_rows[0], self.kinematics.size
        kept = []
        for start_t, end_t in self._marks:
            hi = math.floor(end_t * self.rate_hz + 1e-9) - self._k0 + 1
            if hi > size:
                kept.append((start_t, end_t))  # its rows are not in the kinematics yet
                continue
            lo = max(math.ceil(start_t * self.rate_hz - 1e-9) - self._k0, first)
            if hi > lo:
                self.kinematics.rows("orientation_uncertain", lo, hi)[:] = 1.0
        self._marks = kept

    def _finish_rep(self, bounds: RepBounds) -> RepResult:
        previous = self.reps[-1] if self.reps else None
        set_index = 0
        if previous is not None:
            gap_s = self.kinematics["t_s"][bounds.start] - previous.t_end
            same_set = previous.side == bounds.side and gap_s <= self.settings.step_up.set_gap_s
            set_index = previous.set_index + (0 if same_set else 1)
        rep = rep_metrics(
            self.kinematics,
            bounds,
            self.rate_hz,
            len(self.reps),
            set_index,
            self.settings.max_data_gap_s,
        )
        self.reps.append(rep)
        return rep

    def _finish_step(self, contact: tuple[float, str], next_row: float | None) -> StepDetected:
        step = step_result(
            self.kinematics,
            contact,
            next_row,
            self._last_step_t,
            self.rate_hz,
            self.settings.gait,
            self.settings.max_data_gap_s,
        )
        self._last_step_t = step.t
        self.steps.append(step)
        return StepDetected(step)

    # ----------------------------------------------------------------- output
    def finish(self) -> SessionAnalysis:
        """End of stream: flush every stage and return the whole analysis."""
        missing = [p for p, s in self._sensors.items() if s.cleaner.samples_ == 0 and not s.pending]
        if missing:
            raise InputError(
                f"{self.source or 'session'}: no samples from {', '.join(missing)}; "
                f"the analysis needs {', '.join(PLACEMENTS)} "
                "(check the 'sensor' column names)"
            )
        for placement, sensor in self._sensors.items():
            if sensor.resampler is None and sensor.pending:
                info = self.meta.sensors.get(placement)
                sensor.resampler = GridResampler(
                    self.settings.timebase,
                    averaging=GridResampler.averaging_for(
                        info.rate_hz if info and info.rate_hz else 100.0
                    ),
                    sample_rate_hz=info.rate_hz if info and info.rate_hz else None,
                    match_columns=_GYRO_COLUMNS,
                )
                chunks, sensor.pending = sensor.pending, []
                self._resample(placement, sensor, chunks)
            if sensor.resampler is not None:
                self._store(sensor, sensor.resampler.flush())
        self.final_events = self._advance(final=True)
        if self._calibration is None:
            raise InputError(
                f"{self.source or 'session'}: no quiet standing of at least "
                f"{self.settings.stillness.min_duration_s:g} s found with all three sensors still "
                f"(searched the first {self.settings.calibration_search_s:g} s); start the session "
                "standing still for 3 s, or give the quiet span in the sidecar's "
                "'calibration' field"
            )
        activity = self.activity or self._detect_activity()
        return self._analysis(activity)

    def _detect_activity(self) -> str:
        if len(self.reps) >= 2:
            detected = "step_up"
        elif len(self.steps) >= 6:
            detected = "walk"
        else:
            detected = "step_up"
        self.warnings.append(f"activity not given: analysed as {detected} (set it with --activity)")
        return detected

    def _analysis(self, activity: str) -> SessionAnalysis:
        assert self._static_rows is not None and self._calibration is not None
        first = self._static_rows[0]
        k = self.kinematics
        kinematics = Kinematics(**{name: k[name][first:].copy() for name in KINEMATICS_COLUMNS[:8]})
        reps = self.reps if activity == "step_up" else []
        steps = self.steps if activity == "walk" else []
        gait = (
            gait_result(steps, k["t_s"], k["pelvis_vertical_acc_m_s2"], self.rate_hz)
            if activity == "walk"
            else None
        )
        if activity == "step_up" and not reps:
            self.warnings.append("no step-up repetitions found")
        if activity == "walk" and not steps:
            self.warnings.append("no gait steps found")
        if self._step_up.aborted_ and activity == "step_up":
            self.warnings.append(
                f"{self._step_up.aborted_} lift(s) came back down without a rep "
                "and were not counted"
            )
        quality = self.quality()
        for cal in self._calibration.values():
            self.warnings.extend(f"{cal.placement}: {warning}" for warning in cal.warnings)
        t = k["t_s"]
        duration = float(t[-1] - t[0] + 1.0 / self.rate_hz) if k.size else 0.0
        return SessionAnalysis(
            source=self.source,
            activity=activity,
            duration_s=duration,
            kinematics=kinematics,
            reps=list(reps),
            steps=list(steps),
            gait=gait,
            calibration=dict(self._calibration),
            quality=quality,
            warnings=list(self.warnings),
        )


def analyze(
    recording, activity: str | None = None, settings: AnalysisSettings = DEFAULT_ANALYSIS
) -> SessionAnalysis:
    """Batch analysis of a whole :class:`~sensorlab.records.Recording` (one block per sensor)."""
    analyzer = SessionAnalyzer(recording.meta, activity, settings, source=recording.source)
    analyzer.warnings.extend(recording.warnings)
    analyzer.update(recording.chunks.values())
    return analyzer.finish()
