"""The analysis pipeline: samples in, calibrated angles, reps, steps and metrics out.

One :class:`SessionAnalyzer` serves both uses: batch analysis feeds a whole recording as
one block per sensor, streaming feeds blocks as they arrive; every stage carries its state
(cleaning, resampling, orientation filters, segmentation state machines), so both give
the same result. The stages, in order:

1. per sensor: sort, drop duplicates, account losses (:mod:`.cleaning`);
2. per sensor: onto the common 100 Hz grid (:mod:`.timebase`);
3. quiet standing (the sidecar's span, checked, or the first still span found by
   :mod:`.stillness` anywhere in the first ``calibration_search_s``) -> gyroscope bias
   and vertical; without any, the mean posture while moving stands in, graded low;
4. per sensor: Fusion AHRS on the grid (:mod:`.orientation`), forward from the quiet
   span and, when it came late, backward from it to the session's start, so nothing
   before it is lost;
5. after enough movement (or at most ``max_refine_wait_s``): heading of each segment,
   hence sensor-to-segment alignment (:mod:`.calibration`). Until then a live session
   reports *provisional* reps and steps (found on angles with the nominal mounts, their
   values computed with the headings the movement so far gives), which the refined ones
   replace once it lands (see :class:`SessionAnalyzer`);

Any subset of the three placements is analysed (the sidecar's sensors, or those with
data): what a missing sensor takes away is listed in ``SessionAnalysis.unavailable``.
6. segment angles (:mod:`.angles`), then reps (:mod:`.reps`) or steps (:mod:`.gait`),
   each reported as soon as it can be judged;
7. at the end: what the movement looks like (:mod:`.activity`) picks the activity when
   none was given and checks a given one; reps and steps of a movement that is not the
   activity are not reported.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TypedDict

import numpy as np

from sensorlab.errors import InputError
from sensorlab.frames import PLACEMENTS, mount_matrix
from sensorlab.processing import angles
from sensorlab.processing.activity import (
    COUNTED_BASES,
    DEFAULT_MOVEMENT,
    Movement,
    MovementSettings,
    classify_movement,
    walking_rows,
)
from sensorlab.processing.activity_choice import (
    ACTIVITIES,
    ActivityChoice,
    ActivityEvidence,
    choose_activity,
)
from sensorlab.processing.calibration import (
    DEFAULT_ALIGNMENT,
    DEFAULT_CUES,
    AlignmentSettings,
    HeadingEvidence,
    StaticPose,
    ThighReference,
    calibrate_sensor,
    movement_pose,
    static_pose,
)
from sensorlab.processing.columns import Columns
from sensorlab.processing.events import (
    CalibrationDone,
    CalibrationProgress,
    ProvisionalWithdrawn,
    RepAborted,
    RepFinished,
    RepStarted,
    StepDetected,
)
from sensorlab.processing.gait import (
    DEFAULT_GAIT,
    GaitSettings,
    gait_result,
    step_result,
)
from sensorlab.processing.grid import MultiSensorGrid, SensorGrid
from sensorlab.processing.movements import alignment_cues, drill_names
from sensorlab.processing.orientation import (
    DEFAULT_ORIENTATION,
    OrientationEstimator,
    OrientationSettings,
    horizontal_in_world,
    rotate_to_world,
    time_reversed,
    up_in_sensor,
)
from sensorlab.processing.reps import (
    DEFAULT_STEP_UP,
    LiftAborted,
    LiftStarted,
    RepBounds,
    StepUpSettings,
)
from sensorlab.processing.segmentation import (
    DrillRepFound,
    Segmenters,
    StepFound,
    drill_missing,
    drill_rep,
    step_up_rep,
)
from sensorlab.processing.sensor_health import check_health
from sensorlab.processing.stillness import (
    DEFAULT_STILLNESS,
    StillnessSettings,
    first_still_span,
    span_motion,
    still_mask,
)
from sensorlab.processing.timebase import (
    DEFAULT_TIMEBASE,
    TimebaseSettings,
)
from sensorlab.records import (
    AnyRep,
    DrillRepResult,
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

UNANALYSED_TAIL_S = 1.0
"""Warn when the other sensors recorded this much longer than the analysis reaches, s."""
THIGHS = ("left_thigh", "right_thigh")
#: What each placement is needed for, as listed in ``SessionAnalysis.unavailable``.
NEEDS = {
    "pelvis": (
        "pelvic_drop_deg",
        "pelvic_tilt_range_deg",
        "pelvic_rate_rms_dps",
        "pelvic_rotation",
        "gait_steps",
    ),
    "left_thigh": ("step_up_reps", "left_thigh_angles"),
    "right_thigh": ("step_up_reps", "right_thigh_angles"),
}
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
    "pelvis_forward_acc_m_s2",
    "data_gap",
    "orientation_uncertain",
)


@dataclass(frozen=True)
class AnalysisSettings:
    """All settings of the pipeline, one frozen record per stage.

    Attributes
    ----------
    refine_rotation_deg : float
        Rotation each thigh must have made after quiet standing before the headings are
        refined, degrees: about 15 s of walking or 4-8 step-ups. Less data leaves the
        pelvis heading a few degrees off (5 deg for walks at 360 deg), which mixes tilt
        into obliquity; until this is reached a live session's reps and steps are
        provisional (see ``SessionAnalyzer``'s ``provisional``).
    max_refine_wait_s : float
        Refine with what there is after this long, seconds.
    calibration_search_s : float
        Quiet standing is looked for in this much of the session's start, seconds (the
        data waits meanwhile); without any there, the sensors are calibrated from the
        movement in it (graded low, with a warning).
    pelvis_evidence_s : float
        Without thigh sensors, the pelvis heading is refined from this much movement
        (outside quiet standing), seconds.
    pause_window_s : float
        Without quiet standing: the still window that finds brief pauses (a second of
        standing between repetitions), whose mean pose, once they add up to a second,
        replaces the mean posture while moving, seconds.
    min_movement_calibration_s : float
        Without quiet standing, a session shorter than this is refused, seconds.
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
    min_calibration_walk_s : float
        In a drill whose movement hides a heading (its ``ALIGNMENT`` cues), walking of
        at least this long before the refinement gives every sensor's heading instead,
        seconds (about eight steps).
    """

    timebase: TimebaseSettings = DEFAULT_TIMEBASE
    stillness: StillnessSettings = DEFAULT_STILLNESS
    orientation: OrientationSettings = DEFAULT_ORIENTATION
    alignment: AlignmentSettings = DEFAULT_ALIGNMENT
    step_up: StepUpSettings = DEFAULT_STEP_UP
    gait: GaitSettings = DEFAULT_GAIT
    movement: MovementSettings = DEFAULT_MOVEMENT
    refine_rotation_deg: float = 1080.0
    silent_sensor_s: float = 3.0
    max_refine_wait_s: float = 60.0
    calibration_search_s: float = 300.0
    pelvis_evidence_s: float = 20.0
    pause_window_s: float = 0.3
    min_movement_calibration_s: float = 10.0
    max_data_gap_s: float = 0.3
    min_calibration_walk_s: float = 4.0


DEFAULT_ANALYSIS = AnalysisSettings()


@dataclass
class _EarlyAnalysis:
    """The provisional analysis of a live session until the headings are refined.

    Attributes
    ----------
    calibration : tuple or None
        The calibration whose angles segment reps and steps (the standing pose with the
        nominal mounts; without mounts, the headings of the first second of movement
        that gives them) and each segment's reference heading, degrees.
    tried_end : int
        Grid row at which that calibration was last tried.
    segmenters : Segmenters
        Its segmentation: a given drill's reps, but no candidates of every drill (none is
        shown until one is chosen).
    """

    segmenters: Segmenters
    calibration: tuple[dict[str, SensorCalibration], dict[str, float]] | None = None
    tried_end: int = -1
    kinematics: Columns = field(default_factory=lambda: Columns(KINEMATICS_COLUMNS))
    last_step_t: float | None = None
    reps: list[AnyRep] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)


class _Turn(TypedDict):
    """A thigh's rotation summed from grid row 0 while calibration waits for movement."""

    row: int  # rows summed so far
    deg: float  # rotation in them, degrees
    hit: int | None  # row by which it reached ``refine_rotation_deg``, once it has


class SessionAnalyzer:
    """Incremental analysis of one session.

    Parameters
    ----------
    meta : SessionMeta
        Sidecar (mounts, rates, calibration span, activity).
    activity : str, optional
        ``step_up``, ``walk`` or a standing drill (:data:`ACTIVITIES`); defaults to the
        sidecar's, else decided at the end from what the movement looks like
        (:mod:`.activity`) and the drills' reps found, which also check a given one.
    settings : AnalysisSettings
        Pipeline settings.
    source : str
        Recording name for the summary.
    placements : tuple of str, optional
        The placements to analyse, a subset of :data:`~sensorlab.frames.PLACEMENTS`;
        default: those the sidecar lists (all three when it lists none).
    provisional : bool
        Report provisional reps and steps before the headings are refined (a live
        session): from quiet standing on, reps and steps are found on angles with the
        standing pose and the nominal mounts (without mounts: the headings of the first
        movement that gives them), and each one's values are computed when it is judged
        with the headings the movement up to then gives (the refinement of
        :mod:`.calibration` on the evidence so far, the first rep's flexion axis for a
        thigh). Their events say ``provisional``; once the refinement lands, the refined
        reps and steps replace them by index (:class:`ProvisionalWithdrawn` removes any
        it does not confirm). The analysis's results (:meth:`finish`) are the refined
        ones either way; batch analysis turns this off, as nobody watches it.
    """

    def __init__(
        self,
        meta: SessionMeta,
        activity: str | None = None,
        settings: AnalysisSettings = DEFAULT_ANALYSIS,
        source: str = "",
        placements: tuple[str, ...] | None = None,
        provisional: bool = True,
    ) -> None:
        self.meta = meta
        self.settings = settings
        self.source = source
        if activity is not None and activity not in ACTIVITIES:
            raise InputError(
                f"activity {activity!r} is not analysed yet; use --activity "
                f"{' or '.join(ACTIVITIES)}"
            )
        # A sidecar may name any drill (the contract lists split_squat, squat...): one
        # that is not analysed is reported as such at the end, with what the movement
        # looks like, rather than refused.
        self._stated_activity = activity or meta.activity
        self._activity = self._stated_activity if self._stated_activity in ACTIVITIES else None
        self._activity_origin = "from --activity" if activity else "from the sidecar"
        self.rate_hz = settings.timebase.rate_hz
        self.warnings: list[str] = []
        self.placements: tuple[str, ...] = ()
        self._use_placements(
            placements or tuple(p for p in PLACEMENTS if p in meta.sensors) or PLACEMENTS
        )
        self._static: dict[str, StaticPose] | None = None
        # Grid rows of quiet standing ((0, 0) without any), and the rows whose mean
        # orientation is the reference pose (quiet standing, or the movement without it).
        self._static_rows: tuple[int, int] | None = None
        self._reference_rows: tuple[int, int] | None = None
        self._span_problem: str | None = None  # why the sidecar's span was not used
        self._searched_rows = 0  # rows when quiet standing was last looked for
        self._estimators: dict[str, OrientationEstimator] = {}
        self._ahrs_rows = 0
        self._rows_seen = 0
        self._calibration: dict[str, SensorCalibration] | None = None
        self._headings0_deg: dict[str, float] = {}
        self.kinematics = Columns(KINEMATICS_COLUMNS)
        self._last_step_t: float | None = None
        # Segmentation output in order, reps and steps waiting while a tilt check on
        # their data is pending (see OrientationSettings.check_hold_s); and the
        # (start, end) times the checks found wrong, to flag in the kinematics.
        self._held: list[tuple] = []
        self._marks: list[tuple[float, float]] = []
        self.reps: list[AnyRep] = []
        self.steps: list[StepResult] = []
        # Without an activity, every drill's reps, kept aside until the end decides it.
        self._drill_candidates: dict[str, list[DrillRepResult]] = defaultdict(list)
        self.final_events: list = []
        """Events that only the end of the stream decided (e.g. the last step)."""
        self.timings_s: dict[str, float] = defaultdict(float)
        """Seconds spent per stage so far (for benchmarks and profiling)."""
        self._relevel_k: list[int] = []
        self._segmenters = self._new_segmenters()
        self._early = (
            _EarlyAnalysis(self._new_segmenters(provisional=True)) if provisional else None
        )
        self._early_rows = 0
        """Grid rows the provisional analysis covered (its lift events are not repeated)."""
        for marker in meta.markers:
            self.add_marker(marker)

    def _use_placements(
        self, placements: tuple[str, ...], grids: dict[str, SensorGrid] | None = None
    ) -> None:
        """Analyse these placements, before any row was analysed.

        With the samples their ``grids`` already hold (new grids by default).
        """
        unknown = [p for p in placements if p not in PLACEMENTS]
        if unknown:
            raise InputError(
                f"cannot analyse {', '.join(unknown)}: the analysis uses {', '.join(PLACEMENTS)}"
            )
        self.placements = tuple(p for p in PLACEMENTS if p in placements)
        self._grid = MultiSensorGrid(self.meta, self.placements, self.settings.timebase, grids)
        self.unavailable: dict[str, str] = {}
        """What the analysed placements cannot measure, and why (see :data:`NEEDS`)."""
        for placement, measures in NEEDS.items():
            if placement not in self.placements:
                for measure in measures:
                    reason = f"needs the {placement.replace('_', ' ')} sensor"
                    self.unavailable.setdefault(measure, reason)
        # What the recording itself says it cannot give (an import of a vendor file that
        # lacks a signal: sensorlab.io.vendors.session), e.g. gait steps without pelvis
        # acceleration.
        declared = self.meta.extra.get("unavailable")
        if isinstance(declared, dict):
            for measure, reason in declared.items():
                self.unavailable.setdefault(str(measure), str(reason))
        # Orientation uncertain (after a gap, until reset), per sensor, from grid row 0.
        self._uncertain = {p: Columns(["flag"]) for p in self.placements}
        self._pending_quaternions: dict[str, list[np.ndarray]] = {p: [] for p in self.placements}
        # Thigh rotation summed from the start: rows done, degrees, row of the hit.
        self._turned: dict[str, _Turn] = {
            p: {"row": 0, "deg": 0.0, "hit": None} for p in THIGHS if p in self.placements
        }

    @property
    def activity(self) -> str | None:
        """The activity segmented for: ``step_up``, ``walk``, or None for both.

        None: decided at the end. A live session may change it (the segmenter catches up).
        """
        return self._activity

    @activity.setter
    def activity(self, value: str | None) -> None:
        self._activity = self._stated_activity = value
        self._activity_origin = "as chosen during the session"
        self._segmenters.activity = value
        if self._early is not None:
            self._early.segmenters.activity = value

    def _new_segmenters(self, provisional: bool = False) -> Segmenters:
        """The segmentation of the activity on the placements analysed."""
        return Segmenters(
            self.rate_hz,
            self.settings.step_up,
            self.settings.gait,
            self.placements,
            self.unavailable,
            self._activity,
            drill_candidates=not provisional,
        )

    def add_marker(self, marker: Marker) -> None:
        """Take a marked moment into account.

        At a ``recalibrate`` marker every sensor's tilt is re-levelled at the next still moment, as
        after a gap in its data (and Fusion's bias tracker re-estimates the gyroscope bias over 3 s
        of stillness).

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
        turned = min((turn["deg"] for turn in self._turned.values()), default=0.0)
        waited = (self._rows_seen - self._evidence_start()) / self.rate_hz
        fraction = max(
            turned / self.settings.refine_rotation_deg, waited / self.settings.max_refine_wait_s
        )
        return CalibrationProgress("move", float(min(fraction, 1.0)))

    def quality(self) -> dict[str, SensorQuality]:
        """Samples, losses and measured rate per sensor so far."""
        return self._grid.quality()

    def last_ready_k(self, newest_t_s: dict[str, float]) -> int | None:
        """Grid index of the last row the sensors' newest samples decide.

        None while that is not known yet (a sensor without samples, or still gathering its first).

        A live session wakes the analysis only when this grows: a block that decides no
        new row cannot change any result.
        """
        return self._grid.last_ready_k(newest_t_s)

    def _relevel_rows(self, lo: int, hi: int) -> np.ndarray | None:
        """Rows ``lo:hi`` where a recalibration marker re-levels the sensors (or None)."""
        assert self._grid.k0 is not None
        if not self._relevel_k or self._relevel_k[0] >= self._grid.k0 + hi:
            return None
        flags = np.zeros(hi - lo, dtype=bool)
        while self._relevel_k and self._relevel_k[0] < self._grid.k0 + hi:
            # A marker whose row was already processed takes effect at the next row.
            flags[max(self._relevel_k.pop(0) - self._grid.k0 - lo, 0)] = True
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
                self._grid.add(chunk)
            if now_t_s is not None:
                self._grid.advance_silent(now_t_s - self.settings.silent_sensor_s)
        return self._advance(final=False)

    # ------------------------------------------------------------- the stages
    def _forget_consumed(self) -> None:
        """After calibration, grid rows the orientation filter has used are not needed."""
        self._grid.forget_before(self._ahrs_rows)
        for uncertain in self._uncertain.values():
            uncertain.forget_before(self._ahrs_rows)

    def _advance(self, final: bool) -> list:
        rows = self._grid.rows()
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
        refine_end = None
        if self._calibration is not None:
            with self._timed("angles"):
                self._append_kinematics(lo, rows, blocks)
                self._forget_consumed()
        else:
            with self._timed("calibration"):
                refine_end = self._refine_end(rows, final)
            if self._early is not None and not final:
                with self._timed("provisional"):
                    events.extend(self._early_events(lo, blocks))
            if refine_end is None:
                return events
            with self._timed("calibration"):
                calibration = self._refine(refine_end)
            calibrated_t = float(self._grid.t_s(refine_end - 1, refine_end)[0])
            events.append(CalibrationDone(calibrated_t, calibration))
        with self._timed("segmentation+metrics"):
            events.extend(self._segment(final))
        if refine_end is not None and self._early is not None:
            events.extend(self._withdraw_unconfirmed(calibrated_t))
        return events

    # ---------------------------------------------------------- calibration
    def _find_static(self, rows: int, final: bool) -> bool:
        """Find the reference pose and start the orientation filters.

        False while the data so far does not decide it.

        The sidecar's span is used when every sensor is still in it. Otherwise the first
        still span in the first ``calibration_search_s`` (decided once it is over, or once
        that much data is in, so batch and streaming agree); without one, the movement.
        """
        t = self._grid.t_s(0, rows)
        search_rows = round(self.settings.calibration_search_s * self.rate_hz)
        decided = final or rows >= search_rows
        span = None if self._span_problem else self.meta.calibration_span_s
        if span is not None:
            if t[-1] < span[1] and not final:
                return False
            lo, hi = self._span_rows(t, span)
            problem = self._span_motion(lo, hi)
            if problem is None:
                return self._start_from_standing(lo, hi, span)
            self._span_problem = (
                f"the sidecar's calibration span {span[0]:.2f}-{span[1]:.2f} s is not quiet "
                f"standing ({problem})"
            )
        if not decided and rows - self._searched_rows < round(0.5 * self.rate_hz):
            # Look again every half second of data: a live session may wait minutes for
            # standing, and a span found later is the same span.
            return False
        self._searched_rows = rows
        found = self._detect_still_span(min(rows, search_rows))
        if (found is None or not found.complete) and not decided:
            return False
        if found is not None:
            span = (found.start_s, found.end_s)
            if self._span_problem:
                self.warnings.append(
                    f"{self._span_problem}; calibrated on the still span "
                    f"{span[0]:.2f}-{span[1]:.2f} s instead"
                )
            return self._start_from_standing(*self._span_rows(t, span), span)
        if rows < round(self.settings.min_movement_calibration_s * self.rate_hz):
            raise InputError(
                f"{self.source or 'session'}: no quiet standing of "
                f"{self.settings.stillness.min_duration_s:g} s with every sensor still, and "
                f"only {rows / self.rate_hz:.1f} s of data (calibrating from the movement "
                f"needs {self.settings.min_movement_calibration_s:g} s); record 3 s of standing "
                "still at the start, then the exercise"
            )
        if self._span_problem:
            raise InputError(
                f"{self.source or 'session'}: {self._span_problem}, and no other quiet "
                f"standing of {self.settings.stillness.min_duration_s:g} s was found; give the "
                "span in which the subject stood still, or remove 'calibration' from the "
                "sidecar to calibrate from the movement"
            )
        return self._start_from_movement(min(rows, search_rows))

    @staticmethod
    def _span_rows(t: np.ndarray, span: tuple[float, float]) -> tuple[int, int]:
        lo = np.searchsorted(t, span[0])
        return int(lo), int(np.searchsorted(t, span[1], side="right"))

    def _span_motion(self, lo: int, hi: int) -> str | None:
        """Which sensors move in grid rows ``lo:hi``, and how (None when all are still)."""
        problems = []
        for placement in self.placements:
            acc, gyr = self._grid.raw(placement, lo, hi)
            valid = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
            problem = span_motion(acc[valid], gyr[valid], self.settings.stillness)
            if problem is not None:
                problems.append(f"{placement} {problem}")
        return "; ".join(problems) or None

    def _detect_still_span(self, rows: int):
        t = self._grid.t_s(0, rows)
        masks = []
        for placement in self.placements:
            acc, gyr = self._grid.raw(placement, 0, rows)
            valid = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
            masks.append(
                (t[valid], still_mask(t[valid], acc[valid], gyr[valid], self.settings.stillness))
            )
        return first_still_span(masks, self.settings.stillness)

    def _start_from_standing(self, lo: int, hi: int, span: tuple[float, float]) -> bool:
        t = self._grid.t_s(lo, hi)
        try:
            poses = {}
            for placement in self.placements:
                acc, gyr = self._grid.raw(placement, lo, hi)
                valid = np.isfinite(acc).all(axis=1)
                poses[placement] = static_pose(t[valid], acc[valid], gyr[valid], span)
        except ValueError as error:
            raise InputError(
                f"{self.source or 'session'}: the calibration span {span[0]:.2f}-{span[1]:.2f} s "
                f"holds too few samples ({error}); give a span of quiet standing of at least 2 s"
            ) from None
        self._static = poses
        self._static_rows = self._reference_rows = (lo, hi)
        self._start_filters(lo, settled=True)
        return True

    def _start_filters(self, lo: int, settled: bool) -> None:
        """Start each sensor's AHRS at grid row ``lo`` in its reference pose, carried to row 0."""
        assert self._static is not None
        self._ahrs_rows = lo
        for placement, pose in self._static.items():
            self._estimators[placement] = OrientationEstimator(
                pose.up_sensor,
                pose.gyro_bias_rad_s,
                self.rate_hz,
                self.settings.orientation,
                settled=settled,
            )
        if lo > 0:
            self._orientation_before(lo)

    def _orientation_before(self, lo: int) -> None:
        """Carry the quiet pose back to the session's start.

        The AHRS runs backward in time over rows ``0:lo``
        (:func:`~sensorlab.processing.orientation.time_reversed`).
        """
        assert self._static is not None
        t = self._grid.t_s(0, lo)
        for placement, pose in self._static.items():
            backward = OrientationEstimator(
                pose.up_sensor, -pose.gyro_bias_rad_s, self.rate_hz, self.settings.orientation
            )
            raw, bridged = (
                self._grid.raw_block(placement, 0, lo),
                self._grid.bridged(placement, 0, lo),
            )
            t_back, raw_back, bridged_back = time_reversed(t, raw, bridged)
            quaternions, uncertain = _filter(backward, t_back, raw_back, None, bridged_back)
            # Its tilt corrections are spans of reversed time (-t): turned back.
            self._marks.extend((-end, -start) for start, end in backward.corrections_)
            self._pending_quaternions[placement].append(quaternions[::-1])
            self._uncertain[placement].append(flag=uncertain[::-1].astype(float))

    def _start_from_movement(self, hi: int) -> bool:
        """No quiet standing: calibrate on brief pauses, else the mean posture.

        Over grid rows ``0:hi``.
        """
        t = self._grid.t_s(0, hi)
        brief = replace(self.settings.stillness, window_s=self.settings.pause_window_s)
        paused = np.ones(hi, dtype=bool)
        raw = {p: self._grid.raw(p, 0, hi) for p in self.placements}
        finite = {p: np.isfinite(np.hstack(raw[p])).all(axis=1) for p in self.placements}
        for placement, (acc, gyr) in raw.items():
            valid = finite[placement]
            paused[valid] &= still_mask(t[valid], acc[valid], gyr[valid], brief)
            paused &= valid
        poses = {}
        for placement, (acc, gyr) in raw.items():
            valid = finite[placement]
            try:
                poses[placement] = movement_pose(
                    t[valid], acc[valid], gyr[valid], paused[valid], round(self.rate_hz)
                )
            except ValueError:
                raise InputError(
                    f"{self.source or 'session'}: {placement} has almost no data in the first "
                    f"{t[-1] - t[0] + 1 / self.rate_hz:.0f} s, so it cannot be calibrated; check "
                    "the sensor"
                ) from None
        self._static = poses
        self._static_rows = (0, 0)
        self._reference_rows = (0, hi)
        searched = f"in the first {hi / self.rate_hz:.0f} s"
        if next(iter(poses.values())).method == "pauses":
            # Start where the sensors first paused, in the pause's pose, and carry it back.
            self._start_filters(int(np.argmax(paused)), settled=True)
            paused_s = np.count_nonzero(paused) / self.rate_hz
            how = (
                f"from brief pauses between movements ({paused_s:.1f} s in all), whose pose "
                "may differ from standing by a few degrees"
            )
        else:
            self._start_filters(0, settled=False)
            how = (
                "from the movement itself: angles are relative to the average posture while "
                "moving, not to standing (absolute angles may be several degrees off; ranges "
                "and left-right differences less so)"
            )
        self.warnings.append(
            f"no quiet standing of {self.settings.stillness.min_duration_s:g} s with every "
            f"sensor still {searched}: the sensors were calibrated {how}; start each session "
            "with 3 s of standing still"
        )
        return True

    def _run_orientation(self, rows: int) -> tuple[int, dict[str, np.ndarray]]:
        """Run the AHRS over new rows; returns their first row and quaternions per sensor.

        Before calibration is complete the quaternions are also kept for the refinement.
        """
        lo, hi = self._ahrs_rows, rows
        if hi <= lo:
            return lo, {p: np.empty((0, 4)) for p in self.placements}
        t = self._grid.t_s(lo, hi)
        relevel = self._relevel_rows(lo, hi)
        blocks = {}
        for placement, estimator in self._estimators.items():
            bridged = self._grid.bridged(placement, lo, hi)
            quaternions, uncertain = _filter(
                estimator, t, self._grid.raw_block(placement, lo, hi), relevel, bridged
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

    def _quaternions(self) -> dict[str, np.ndarray]:
        """Every sensor's quaternions from grid row 0 until calibration is complete."""
        return {p: np.concatenate(self._pending_quaternions[p]) for p in self.placements}

    def _evidence_start(self) -> int:
        """Row after which the refinement waits no longer than ``max_refine_wait_s``."""
        assert self._static_rows is not None and self._reference_rows is not None
        return max(self._static_rows[1], self._reference_rows[1])

    def _refine_end(self, rows: int, final: bool) -> int | None:
        """Row where the heading evidence ends, once it is decided; else None.

        The evidence is every row outside quiet standing up to the first row by which
        every thigh has turned ``refine_rotation_deg`` (or ``max_refine_wait_s`` after
        the reference pose; without thighs, ``pelvis_evidence_s`` of movement): a row
        fixed by the data, not by how the data arrived. The rotation is summed
        incrementally, each new row once; still rows add nothing.
        """
        assert self._static is not None and self._static_rows is not None
        start = self._evidence_start()
        longest = start + round(self.settings.max_refine_wait_s * self.rate_hz)
        end = min(rows, longest)
        if not self._turned:
            static_lo, static_end = self._static_rows
            needed = round(self.settings.pelvis_evidence_s * self.rate_hz)
            enough = max(start, static_end + needed - static_lo)
            if rows >= min(enough, longest):
                return min(enough, longest)
            return rows if final else None
        for placement, turn in self._turned.items():
            lo = turn["row"]
            if turn["hit"] is not None or end <= lo:
                continue
            _, gyr = self._grid.raw(placement, lo, end)
            rate_dps = np.degrees(
                np.linalg.norm(gyr - self._static[placement].gyro_bias_rad_s, axis=1)
            )
            # NaN rows (no data) compare False, so they add no rotation.
            moving = np.where(rate_dps > self.settings.alignment.moving_rate_dps, rate_dps, 0.0)
            turned = turn["deg"] + np.cumsum(moving) / self.rate_hz
            hits = np.flatnonzero(turned >= self.settings.refine_rotation_deg)
            turn["hit"] = lo + int(hits[0]) + 1 if hits.size else None
            turn["deg"], turn["row"] = float(turned[-1]), end
        reached = [turn["hit"] for turn in self._turned.values() if turn["hit"] is not None]
        if len(reached) == len(self._turned):
            return max(*reached, start)
        if rows >= longest:
            return longest
        return rows if final else None

    def _refine(self, evidence_end: int) -> dict[str, SensorCalibration]:
        """Calibrate every sensor on the evidence before ``evidence_end``; returns it."""
        quaternions = self._quaternions()
        calibration, self._headings0_deg = self._calibrate(evidence_end, quaternions)
        self._calibration = calibration
        self._append_kinematics(0, self._ahrs_rows, quaternions)
        self._pending_quaternions = {p: [] for p in self.placements}
        return calibration

    def _calibrate(
        self, evidence_end: int, quaternions: dict[str, np.ndarray]
    ) -> tuple[dict[str, SensorCalibration], dict[str, float]]:
        """Every sensor's calibration, and each segment's reference heading, from the evidence.

        The heading evidence on grid rows before ``evidence_end``. A segment's reference
        heading: that of its forward axis in the reference pose, in its sensor's world frame
        (each 6-axis sensor's heading is its own), degrees.
        """
        assert self._static is not None and self._reference_rows is not None
        assert self._static_rows is not None
        calibration = {}
        references: list[ThighReference] = []
        # Movement evidence: rows outside quiet standing where every sensor has data, so
        # that the sensors' evidence lines up.
        static_lo, static_end = self._static_rows
        evidence_rows = np.ones(evidence_end, dtype=bool)
        evidence_rows[static_lo:static_end] = False
        for placement in self.placements:
            acc, _ = self._grid.raw(placement, 0, evidence_end)
            evidence_rows &= np.isfinite(quaternions[placement][:evidence_end]).all(axis=1)
            evidence_rows &= np.isfinite(acc).all(axis=1)
        cues = alignment_cues(self._stated_activity)
        walked = None
        if cues != DEFAULT_CUES:
            # A drill that hides a heading: walking, if the session has some (the
            # README's protocol asks for a few steps first), shows every one.
            walked = evidence_rows & self._walking_rows(quaternions, evidence_end)
            if np.count_nonzero(walked) >= self.settings.min_calibration_walk_s * self.rate_hz:
                evidence_rows, cues = walked, DEFAULT_CUES
            else:
                walked = None
        # Thighs first: the pelvis heading comes from their flexion axes.
        for placement in (*THIGHS, "pelvis"):
            if placement not in self.placements:
                continue
            pose = self._static[placement]
            evidence = self._heading_evidence(placement, quaternions[placement], evidence_rows)
            info = self.meta.sensors.get(placement)
            nominal = mount_matrix(info.mount) if info is not None and info.mount else None
            try:
                calibration[placement] = calibrate_sensor(
                    placement,
                    pose,
                    evidence,
                    nominal,
                    self.settings.alignment,
                    references,
                    cues,
                )
            except ValueError as error:
                raise InputError(f"{self.source or 'session'}: {error}") from None
            if walked is not None:
                calibration[placement] = replace(
                    calibration[placement],
                    notes=(*calibration[placement].notes, "heading from the walk before the drill"),
                )
            if placement != "pelvis" and evidence is not None:
                references.append(
                    ThighReference(evidence, calibration[placement].sensor_to_segment[1])
                )
        headings0_deg = {}
        ref_lo, ref_hi = self._reference_rows
        for placement in self.placements:
            forward = rotate_to_world(
                quaternions[placement][ref_lo:ref_hi], calibration[placement].sensor_to_segment[0]
            )
            # NaN for a sensor with no orientation there (a dead one is reported as such).
            headings0_deg[placement] = (
                float(np.degrees(np.arctan2(np.nanmean(forward[:, 1]), np.nanmean(forward[:, 0]))))
                if np.isfinite(forward[:, 0]).any()
                else math.nan
            )
        return {p: calibration[p] for p in self.placements}, headings0_deg

    def _walking_rows(self, quaternions: dict[str, np.ndarray], end: int) -> np.ndarray:
        """Rows ``0:end`` inside walking, judged before the heading is known.

        See :func:`activity.walking_rows`. Thigh angles through the nominal mounts (a strap error of
        some degrees does not hide a rhythm), the sacrum's world-vertical acceleration.
        """
        assert self._static is not None
        thighs: dict[str, np.ndarray | None] = {"left": None, "right": None}
        for side in ("left", "right"):
            info = self.meta.sensors.get(f"{side}_thigh")
            if f"{side}_thigh" in self.placements and info is not None and info.mount:
                up = up_in_sensor(quaternions[f"{side}_thigh"][:end]) @ mount_matrix(info.mount).T
                thighs[side] = angles.thigh_sagittal_deg(up)
        vertical = None
        if "pelvis" in self.placements:
            acc, _ = self._grid.raw("pelvis", 0, end)
            world = rotate_to_world(quaternions["pelvis"][:end], acc)
            vertical = world[:, 2] - self._static["pelvis"].gravity_m_s2
        return walking_rows(thighs["left"], thighs["right"], vertical, self.rate_hz)

    def _heading_evidence(
        self, placement: str, quaternions: np.ndarray, rows: np.ndarray
    ) -> HeadingEvidence | None:
        """A sensor's movement data on the evidence ``rows`` (a mask from grid row 0)."""
        assert self._static is not None
        if np.count_nonzero(rows) <= 10:
            return None
        pose = self._static[placement]
        acc, gyr = self._grid.raw(placement, 0, rows.size)
        linear_world = rotate_to_world(quaternions[: rows.size][rows], acc[rows])
        linear_world[:, 2] -= pose.gravity_m_s2
        return HeadingEvidence(
            gyr[rows] - pose.gyro_bias_rad_s,
            linear_world,
            self._static_orientation(quaternions),
            self.rate_hz,
            up_in_sensor(quaternions[: rows.size][rows]),
        )

    def _static_orientation(self, quaternions: np.ndarray) -> np.ndarray:
        """Mean sensor-to-world rotation of a sensor over the reference rows.

        From the sensor's ``quaternions`` (from grid row 0); the rows of the result are the world
        axes.
        """
        assert self._reference_rows is not None
        ref_lo, ref_hi = self._reference_rows
        quaternions = quaternions[ref_lo:ref_hi]
        quaternions = quaternions[np.isfinite(quaternions).all(axis=1)]
        columns = [rotate_to_world(quaternions, axis).mean(axis=0) for axis in np.eye(3)]
        # Orthonormalise the averaged columns (a polar decomposition).
        u, _, vt = np.linalg.svd(np.column_stack(columns))
        return u @ vt

    # ----------------------------------------------------------- kinematics
    def _append_kinematics(self, lo: int, hi: int, quaternions: dict[str, np.ndarray]) -> None:
        assert self._calibration is not None
        self.kinematics.append(
            **self._kinematics_columns(lo, hi, quaternions, self._calibration, self._headings0_deg)
        )

    def _kinematics_columns(
        self,
        lo: int,
        hi: int,
        quaternions: dict[str, np.ndarray],
        calibration: dict[str, SensorCalibration],
        headings0_deg: dict[str, float],
    ) -> dict[str, np.ndarray]:
        """The :data:`KINEMATICS_COLUMNS` of grid rows ``lo:hi``.

        From the sensors' quaternions on them, with ``calibration`` and each segment's
        reference heading (:meth:`_calibrate`).
        """
        assert self._static is not None
        columns: dict[str, np.ndarray] = {"t_s": self._grid.t_s(lo, hi)}
        present = self.placements
        up_sensor = up_in_sensor(np.array([quaternions[p] for p in present]))
        up_segment = np.full((len(PLACEMENTS), hi - lo, 3), np.nan)
        for placement, up in zip(present, up_sensor, strict=True):
            up_segment[PLACEMENTS.index(placement)] = (
                up @ calibration[placement].sensor_to_segment.T
            )
        columns.update(angles.segment_angles_deg(up_segment))
        columns.update(self._adduction_columns(quaternions, calibration, headings0_deg, hi - lo))
        if "pelvis" in present:
            columns.update(
                self._pelvis_columns(
                    lo,
                    hi,
                    quaternions["pelvis"],
                    up_sensor[0],
                    calibration["pelvis"].sensor_to_segment[0],
                    headings0_deg["pelvis"],
                )
            )
        else:
            for name in (
                "pelvis_rotation_deg",
                "pelvis_rate_dps",
                "pelvis_vertical_acc_m_s2",
                "pelvis_forward_acc_m_s2",
            ):
                columns[name] = np.full(hi - lo, np.nan)
        # Lost: some sensor's row bridged across a loss or empty. Uncertain: some
        # sensor's orientation not yet re-levelled after a loss too long to bridge.
        lost = np.zeros(hi - lo, dtype=bool)
        uncertain = np.zeros(hi - lo, dtype=bool)
        for placement in present:
            lost |= self._grid.bridged(placement, lo, hi) | ~np.isfinite(
                quaternions[placement][:, 0]
            )
            uncertain |= self._uncertain[placement].rows("flag", lo, hi) > 0.5
        columns["data_gap"] = lost.astype(float)
        columns["orientation_uncertain"] = uncertain.astype(float)
        return columns

    def _pelvis_columns(
        self,
        lo: int,
        hi: int,
        quaternions: np.ndarray,
        pelvis_up: np.ndarray,
        forward_sensor: np.ndarray,
        heading0_deg: float,
    ) -> dict[str, np.ndarray]:
        """Pelvis rotation, angular-rate norm, world-vertical and forward acceleration.

        On grid rows ``lo:hi``. ``forward_sensor``: the pelvis's forward axis in its sensor
        frame; ``heading0_deg``: its heading in the reference pose.
        """
        assert self._static is not None
        columns = {}
        forward = rotate_to_world(quaternions, forward_sensor, horizontal_only=True)
        heading = angles.heading_deg(forward) - heading0_deg
        columns["pelvis_rotation_deg"] = (heading + 180.0) % 360.0 - 180.0
        acc, gyr = self._grid.raw("pelvis", lo, hi)
        # Forward acceleration: the world-horizontal specific force along the pelvis's
        # horizontal heading (gravity has no horizontal part; the contact detector uses it).
        acc_horizontal = rotate_to_world(quaternions, acc, horizontal_only=True)
        forward_norm = np.sqrt(forward[:, 0] * forward[:, 0] + forward[:, 1] * forward[:, 1])
        columns["pelvis_forward_acc_m_s2"] = (
            acc_horizontal[:, 0] * forward[:, 0] + acc_horizontal[:, 1] * forward[:, 1]
        ) / forward_norm
        rate = gyr - self._static["pelvis"].gyro_bias_rad_s
        columns["pelvis_rate_dps"] = np.degrees(np.sqrt(np.add.reduce(rate * rate, axis=1)))
        # World-vertical specific force: up in the sensor frame (the rotation matrix's
        # last row) dotted with it. The sensor's own reading of gravity in standing, not
        # 9.81: a scale or offset error would otherwise shift the whole vertical signal.
        columns["pelvis_vertical_acc_m_s2"] = (
            pelvis_up[:, 0] * acc[:, 0] + pelvis_up[:, 1] * acc[:, 1] + pelvis_up[:, 2] * acc[:, 2]
        ) - self._static["pelvis"].gravity_m_s2
        return columns

    def _adduction_columns(
        self,
        quaternions: dict[str, np.ndarray],
        calibration: dict[str, SensorCalibration],
        headings0_deg: dict[str, float],
        rows: int,
    ) -> dict[str, np.ndarray]:
        """Each thigh's adduction in the pelvis's heading (:func:`angles.thigh_adduction_deg`).

        On ``rows`` rows of the sensors' ``quaternions``. The thigh's long axis is taken in
        its own sensor's world frame and the pelvis's medial-lateral axis in the pelvis
        sensor's: their headings are independent (no magnetometer), but in the reference
        pose both segments face forward, so the pelvis's axis turns into the thigh's world
        by the difference of the two reference headings (``headings0_deg``). Without a
        pelvis sensor, the thigh's own heading in the reference pose stands in for the
        pelvis's (a pelvis that turns by some degrees then reads as about as many times
        the sine of the flexion of adduction). NaN for a thigh not analysed.
        """
        columns = {}
        for side in ("left", "right"):
            placement = f"{side}_thigh"
            if placement not in self.placements:
                columns[f"{side}_thigh_adduction_deg"] = np.full(rows, np.nan)
                continue
            heading0_deg = headings0_deg[placement]
            if "pelvis" in self.placements:
                left = horizontal_in_world(
                    quaternions["pelvis"],
                    tuple(calibration["pelvis"].sensor_to_segment[1]),
                    heading0_deg - headings0_deg["pelvis"],
                )
            else:
                heading0 = math.radians(heading0_deg)
                left = np.array([-math.sin(heading0), math.cos(heading0)])
            long_axis = horizontal_in_world(
                quaternions[placement], tuple(calibration[placement].sensor_to_segment[2])
            )
            columns[f"{side}_thigh_adduction_deg"] = angles.thigh_adduction_deg(
                long_axis, left, side
            )
        return columns

    def _segment(self, final: bool) -> list:
        t_s = self.kinematics["t_s"]
        for found in self._segmenters.update(self.kinematics, final):
            if isinstance(found, LiftStarted | LiftAborted):
                if found.row < self._early_rows:
                    continue  # told by the provisional analysis already
                lift = RepStarted if isinstance(found, LiftStarted) else RepAborted
                self._held.append((None, lift(found.side, float(t_s[found.row]))))
            else:
                self._held.append((self._grid.row_t(found.decided), found))
        return self._release(final)

    def _release(self, final: bool) -> list:
        """Events of the held segmentation output that no pending tilt check can change.

        A check pending since ``since`` can still flag rows from ``since`` on, as long
        as it resolves within ``check_hold_s``: a rep or step judged at or after that
        waits. Flags found meanwhile are written into the kinematics first, so every
        rep and step sees the same rows in a live stream as in batch.
        """
        self._apply_marks()
        now_t = self._grid.row_t(self.kinematics.size - 1)
        hold_s = self.settings.orientation.check_hold_s
        pending = [
            since
            for estimator in self._estimators.values()
            if (since := estimator.pending_check_since_t) is not None and now_t - since <= hold_s
        ]
        blocked_from_t = min(pending) if pending and not final else np.inf
        events = []
        while self._held:
            decided_t, item = self._held[0]
            if decided_t is not None and decided_t >= blocked_from_t:
                break
            self._held.pop(0)
            if decided_t is None:  # a lift's start or end: nothing to hold it
                events.append(item)
            elif isinstance(item, RepBounds):
                rep = self._step_up_rep(self.kinematics, item, self.reps)
                self.reps.append(rep)
                events.append(RepFinished(rep))
            elif isinstance(item, StepFound):
                events.append(self._finish_step(item))
            elif item.drill == self.activity:
                drill_rep = self._drill_rep(self.kinematics, item, self.reps)
                self.reps.append(drill_rep)
                events.append(RepFinished(drill_rep))
            else:  # a candidate, until the end decides the activity
                candidates = self._drill_candidates[item.drill]
                candidates.append(self._drill_rep(self.kinematics, item, candidates))
        return events

    def _apply_marks(self) -> None:
        """Flag as orientation-uncertain the kinematics rows a tilt check found wrong."""
        assert self._grid.k0 is not None
        size = self.kinematics.size
        kept = []
        for start_t, end_t in self._marks:
            hi = math.floor(end_t * self.rate_hz + 1e-9) - self._grid.k0 + 1
            if hi > size:
                kept.append((start_t, end_t))  # its rows are not in the kinematics yet
                continue
            lo = max(math.ceil(start_t * self.rate_hz - 1e-9) - self._grid.k0, 0)
            if hi > lo:
                self.kinematics.rows("orientation_uncertain", lo, hi)[:] = 1.0
        self._marks = kept

    def _step_up_rep(self, columns: Columns, bounds: RepBounds, reps: list) -> RepResult:
        return step_up_rep(
            columns, bounds, reps, self.rate_hz, self.settings.step_up, self.settings.max_data_gap_s
        )

    def _drill_rep(self, columns: Columns, found: DrillRepFound, reps: list) -> DrillRepResult:
        return drill_rep(
            columns,
            found,
            reps,
            self.rate_hz,
            self.settings.step_up.set_gap_s,
            self.settings.max_data_gap_s,
        )

    def _finish_step(self, found: StepFound) -> StepDetected:
        step = step_result(
            self.kinematics,
            found.contact,
            found.next_row,
            self._last_step_t,
            self.rate_hz,
            self.settings.gait,
            self.settings.max_data_gap_s,
        )
        self._last_step_t = step.t
        self.steps.append(step)
        return StepDetected(step, len(self.steps) - 1)

    # ------------------------------------------------------------ provisional
    def _early_events(self, lo: int, blocks: dict[str, np.ndarray]) -> list:
        """Provisional events of the rows the orientation filters have reached.

        ``blocks``: the quaternions of the newest rows, from grid row ``lo``.
        """
        early = self._early
        assert early is not None
        if early.calibration is None:
            early.calibration = self._early_calibration(early)
            if early.calibration is None:
                return []
        start, hi = early.kinematics.size, self._ahrs_rows
        if hi > start:
            if start != lo:  # the first rows: every row so far
                blocks = {p: q[start:hi] for p, q in self._quaternions().items()}
            early.kinematics.append(
                **self._kinematics_columns(start, hi, blocks, *early.calibration)
            )
        self._early_rows = hi
        events: list = []
        t_s = early.kinematics["t_s"]
        for found in early.segmenters.update(early.kinematics):
            if isinstance(found, LiftStarted | LiftAborted):
                lift = RepStarted if isinstance(found, LiftStarted) else RepAborted
                events.append(lift(found.side, float(t_s[found.row])))
                continue
            columns = self._early_columns(found.decided + 1)
            if isinstance(found, StepFound):
                step = step_result(
                    columns,
                    found.contact,
                    found.next_row,
                    early.last_step_t,
                    self.rate_hz,
                    self.settings.gait,
                    self.settings.max_data_gap_s,
                )
                early.last_step_t = step.t
                early.steps.append(step)
                events.append(StepDetected(step, len(early.steps) - 1, provisional=True))
                continue
            rep: AnyRep
            if isinstance(found, RepBounds):
                rep = self._step_up_rep(columns, found, early.reps)
            else:
                rep = self._drill_rep(columns, found, early.reps)
            early.reps.append(rep)
            events.append(RepFinished(rep, provisional=True))
        return events

    def _early_calibration(
        self, early: _EarlyAnalysis
    ) -> tuple[dict[str, SensorCalibration], dict[str, float]] | None:
        """The calibration that segments the provisional reps and steps.

        None while the data so far cannot give one.

        With every sensor's nominal mount that is the standing pose with those mounts
        (the heading evidence then ends where the reference pose does); without, the
        movement's headings, tried after each further second of movement, so which rows
        it uses depends on the data, not on how it arrived.
        """
        while True:
            if early.tried_end < 0:
                end = self._evidence_start()
            else:
                end = early.tried_end + round(self.rate_hz)
            if end > self._ahrs_rows:
                return None
            early.tried_end = end
            try:
                return self._calibrate(end, self._quaternions())
            except InputError:
                continue  # too little movement yet

    def _early_columns(self, end: int) -> Columns:
        """Kinematics of grid rows ``0:end``, calibrated on the heading evidence before ``end``.

        Where that evidence gives no calibration, the segmentation's is used.
        """
        assert self._early is not None and self._early.calibration is not None
        quaternions = self._quaternions()
        try:
            calibration = self._calibrate(end, quaternions)
        except InputError:
            calibration = self._early.calibration
        columns = Columns(KINEMATICS_COLUMNS, capacity=end)
        rows = {p: q[:end] for p, q in quaternions.items()}
        columns.append(**self._kinematics_columns(0, end, rows, *calibration))
        return columns

    def _withdraw_unconfirmed(self, t_s: float) -> list[ProvisionalWithdrawn]:
        """Once refined, withdraw the provisional reps and steps the refinement did not find.

        Those beyond the ones the refined segmentation has found (released or held) are withdrawn;
        the provisional analysis ends.
        """
        early, self._early = self._early, None
        assert early is not None
        held = [item for decided_t, item in self._held if decided_t is not None]
        held_reps = sum(
            isinstance(item, RepBounds)
            or (isinstance(item, DrillRepFound) and item.drill == self.activity)
            for item in held
        )
        held_steps = sum(isinstance(item, StepFound) for item in held)
        events = []
        for kind, provisional, confirmed in (
            ("rep", early.reps, len(self.reps) + held_reps),
            ("step", early.steps, len(self.steps) + held_steps),
        ):
            if len(provisional) > confirmed:
                events.append(ProvisionalWithdrawn(kind, confirmed, t_s))
        return events

    # ----------------------------------------------------------------- output
    def finish(self) -> SessionAnalysis:
        """End of stream: flush every stage and return the whole analysis."""
        missing = [p for p, sensor in self._grid.sensors.items() if sensor.empty]
        if len(missing) == len(self.placements):
            raise InputError(
                f"{self.source or 'session'}: no samples from {', '.join(missing)}; "
                f"the analysis needs at least one of {', '.join(PLACEMENTS)} "
                "(check the 'sensor' column names)"
            )
        if missing and self._grid.k0 is None:
            # Nothing was analysed yet (the grid waits for every sensor): go on without them.
            listed = [p for p in missing if p in self.meta.sensors]
            if listed:
                self.warnings.append(
                    f"no samples from {', '.join(listed)} (listed in the sidecar): analysed "
                    "without it; check the sensor"
                )
            sensors = {p: s for p, s in self._grid.sensors.items() if p not in missing}
            self._use_placements(tuple(sensors), sensors)
            self._segmenters = self._new_segmenters()
        health = {placement: sensor.health for placement, sensor in self._grid.sensors.items()}
        self.warnings.extend(check_health(health, self.source or "session"))
        self._grid.flush()
        self.final_events = self._advance(final=True)
        if self._calibration is None:
            raise InputError(
                f"{self.source or 'session'}: too little data to calibrate the sensors "
                f"({self._grid.rows() / self.rate_hz:.1f} s with every sensor); record "
                "at least 3 s of standing still and a few repetitions or steps"
            )
        with self._timed("movement"):
            movement = classify_movement(
                self.kinematics["t_s"],
                self.kinematics["left_thigh_sagittal_deg"],
                self.kinematics["right_thigh_sagittal_deg"],
                self.kinematics["pelvis_vertical_acc_m_s2"],
                self.rate_hz,
                self.settings.movement,
            )
        choice = self._choose_activity(movement)
        self.warnings.extend(choice.warnings)
        return self._analysis(choice.activity, movement, choice.basis)

    def _choose_activity(self, movement: Movement) -> ActivityChoice:
        """The activity to report and its basis (:mod:`.activity_choice`)."""
        drill_reps = {name: len(reps) for name, reps in self._drill_candidates.items()}
        evidence = ActivityEvidence(
            self._stated_activity,
            self._activity_origin,
            movement,
            reps=len(self.reps),
            steps=len(self.steps),
            drill_reps=drill_reps if self._stated_activity is None else {},
        )
        return choose_activity(evidence)

    def _drill_warnings(self, activity: str, reps: list) -> None:
        """What a reader should know about a drill's reps: none possible, none found, rejected."""
        name = activity.replace("_", " ")
        missing = drill_missing(activity, self.placements)
        if missing is not None:
            self.unavailable[f"{activity}_reps"] = missing
            self.warnings.append(f"no {name} repetitions counted: their detection {missing}")
        elif not reps:
            self.warnings.append(f"no {name} repetitions found")
        # Excursions rejected among the sets (not the walk or the set-up before them).
        segmenter = self._segmenters.drills.get(activity)
        if segmenter is not None and reps:
            first = round(reps[0].t_start * self.rate_hz) - (self._grid.k0 or 0)
            rejected = sum(row > first for row in segmenter.rejected_start_rows_)
            if rejected:
                self.warnings.append(
                    f"{rejected} movement(s) after the first repetition rose like "
                    f"a {name} repetition but did not move as one (docs/drills.md: telling the "
                    "drills apart) and were not counted"
                )

    def _analysis(self, activity: str, movement: Movement, basis: str) -> SessionAnalysis:
        assert self._calibration is not None
        k = self.kinematics
        kinematics = Kinematics(**{name: k[name].copy() for name in KINEMATICS_COLUMNS[:8]})
        counted = basis in COUNTED_BASES
        reps: list[AnyRep] = []
        if counted and activity == "step_up":
            reps = list(self.reps)
        elif counted and activity in drill_names():
            reps = list(
                self.reps if activity == self.activity else self._drill_candidates[activity]
            )
            self._drill_warnings(activity, reps)
        steps = self.steps if activity == "walk" and counted else []
        gait = (
            gait_result(steps, k["t_s"], k["pelvis_vertical_acc_m_s2"], self.rate_hz)
            if activity == "walk" and counted
            else None
        )
        unavailable = self.unavailable
        needed = {"step_up": "step_up_reps", "walk": "gait_steps"}.get(activity)
        if counted and needed in unavailable:
            what = "step-up repetitions" if activity == "step_up" else "gait steps"
            self.warnings.append(f"no {what} counted: their detection {unavailable[needed]}")
        elif activity == "step_up" and counted and not reps:
            self.warnings.append("no step-up repetitions found")
        elif activity == "walk" and counted and not steps:
            self.warnings.append("no gait steps found")
        if activity == "walk" and steps and not any(t in self.placements for t in THIGHS):
            self.warnings.append(
                "no thigh sensors: each step's side comes from the pelvis's roll after the "
                "contact (right for 98 % of the steps of healthy walkers in the IPOL set); in "
                "gait where the pelvis rises on the swing side (a compensated Trendelenburg) "
                "the sides, and so the drops per side, could be swapped: add a thigh sensor "
                "to be sure"
            )
        if self._segmenters.step_up.aborted_ and activity == "step_up" and counted:
            self.warnings.append(
                f"{self._segmenters.step_up.aborted_} lift(s) came back down without a rep "
                "and were not counted"
            )
        quality = self.quality()
        for cal in self._calibration.values():
            self.warnings.extend(f"{cal.placement}: {warning}" for warning in cal.warnings)
        t = k["t_s"]
        duration = float(t[-1] - t[0] + 1.0 / self.rate_hz) if k.size else 0.0
        # The analysis ends with the sensor that ends first; the recording may go on.
        span = self._grid.recorded_span_s()
        recorded = 0.0
        if span is not None:
            first_s, lasts = span
            recorded = max(lasts.values()) - first_s + 1.0 / self.rate_hz
            first_end = min(lasts, key=lasts.__getitem__)
            unanalysed_s = max(lasts.values()) - float(t[-1]) if k.size else 0.0
            if unanalysed_s > UNANALYSED_TAIL_S:
                self.warnings.append(
                    f"the analysis ends at {float(t[-1]):.1f} s, where the {first_end} data "
                    f"end; the last {unanalysed_s:.1f} s of the other sensors are not analysed"
                )
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
            unavailable=dict(unavailable),
            movement=movement,
            activity_basis=basis,
            recorded_s=max(recorded, duration),
        )


def analyze(
    recording, activity: str | None = None, settings: AnalysisSettings = DEFAULT_ANALYSIS
) -> SessionAnalysis:
    """Batch analysis of a whole :class:`~sensorlab.records.Recording` (one block per sensor).

    A standing drill detected without a given activity whose alignment needs to be told
    (``guessed``: see :meth:`SessionAnalyzer._detected_drill`) is analysed again as that
    drill, and reported as ``detected``.
    """
    analysis = _analyze_once(recording, activity, settings)
    drill_name = drill_to_reanalyse(analysis)
    if drill_name is None:
        return analysis
    return as_detected(analysis, _analyze_once(recording, drill_name, settings))


def drill_to_reanalyse(analysis: SessionAnalysis) -> str | None:
    """The drill to analyse a recording again as, or None.

    A drill found without a given activity whose alignment needs the activity
    (``guessed``, see :meth:`SessionAnalyzer._detected_drill`).
    """
    if analysis.activity_basis == "guessed" and analysis.activity in drill_names():
        return analysis.activity
    return None


def as_detected(first: SessionAnalysis, again: SessionAnalysis) -> SessionAnalysis:
    """The analysis ``again`` (as the drill ``first`` found), reported as ``detected``.

    ``first`` when the second analysis did not confirm the drill's reps.
    """
    if again.activity_basis != "given" or not again.reps:
        return first
    said = (
        f"activity not given: analysed as {again.activity} because {len(again.reps)} of its "
        "repetitions were found (set it with --activity)"
    )
    return replace(again, activity_basis="detected", warnings=[said, *again.warnings])


def _analyze_once(recording, activity: str | None, settings: AnalysisSettings) -> SessionAnalysis:
    analyzer = SessionAnalyzer(
        recording.meta, activity, settings, source=recording.source, provisional=False
    )
    analyzer.warnings.extend(recording.warnings)
    analyzer.update(recording.chunks.values())
    return analyzer.finish()


def _filter(
    estimator: OrientationEstimator,
    t_s: np.ndarray,
    raw: np.ndarray,
    relevel: np.ndarray | None,
    bridged: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Quaternions and uncertainty of grid rows, skipping empty rows.

    ``raw``: acc then gyro. Empty rows (no data) get a NaN quaternion and are uncertain; ``relevel``
    and ``bridged`` as in :meth:`OrientationEstimator.update`.
    """
    if np.isfinite(raw).all():  # the usual case: no masked copies
        return estimator.update(t_s, raw[:, :3], raw[:, 3:], relevel, bridged)
    valid = np.isfinite(raw).all(axis=1)
    quaternions = np.full((t_s.size, 4), np.nan)
    uncertain = np.ones(t_s.size, dtype=bool)
    quaternions[valid], uncertain[valid] = estimator.update(
        t_s[valid],
        raw[valid, :3],
        raw[valid, 3:],
        None if relevel is None else relevel[valid],
        bridged[valid],
    )
    return quaternions, uncertain
