"""The analysis pipeline: samples in, calibrated angles, reps, steps and metrics out.

One :class:`SessionAnalyzer` serves both uses: batch analysis feeds a whole recording as
one block per sensor, streaming feeds blocks as they arrive; every stage carries its state
(cleaning, resampling, orientation filters, segmentation state machines), so both give
the same result. The analyzer runs the stages in order, each in its module, and reports
typed events (:mod:`.events`) as they happen:

1. the multi-sensor grid (:mod:`.grid`): per sensor, sort, drop duplicates, account
   losses, watch its health, and put it onto the common 100 Hz grid;
2. the calibration stage (:mod:`.calibration_stage`): quiet standing -> gyroscope bias
   and vertical; the Fusion AHRS per sensor; after enough movement, each segment's
   heading, hence its sensor-to-segment alignment. Until then a live session reports
   *provisional* reps and steps (found on angles with the nominal mounts, their values
   computed with the headings the movement so far gives), which the refined ones replace
   once it lands (see :class:`SessionAnalyzer`);
3. kinematics (:mod:`.kinematics`): segment angles, the pelvis's rate and accelerations;
4. segmentation (:mod:`.segmentation`): the step-up reps, gait steps or standing-drill
   reps the activity calls for, each reported as soon as no pending tilt check can change
   it;
5. at the end, the activity (:mod:`.activity_choice`): what the movement looks like and
   the reps found pick it when none was given and check a given one; reps and steps of a
   movement that is not the activity are not reported.

Any subset of the three placements is analysed (the sidecar's sensors, or those with
data): what a missing sensor takes away is listed in ``SessionAnalysis.unavailable``.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np

from sensorlab.errors import InputError
from sensorlab.frames import PLACEMENTS
from sensorlab.processing.activity import (
    COUNTED_BASES,
    DEFAULT_MOVEMENT,
    Movement,
    MovementSettings,
    classify_movement,
)
from sensorlab.processing.activity_choice import (
    ACTIVITIES,
    MIN_DETECTED_DRILL_REPS,
    ActivityChoice,
    ActivityEvidence,
    ambiguity_warning,
    choose_activity,
    detected_warning,
    rival_drill,
)
from sensorlab.processing.calibration import (
    DEFAULT_ALIGNMENT,
    AlignmentCues,
    AlignmentSettings,
)
from sensorlab.processing.calibration_stage import CalibrationStage
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
from sensorlab.processing.kinematics import KINEMATICS_COLUMNS, KinematicsStage
from sensorlab.processing.movements import alignment_cues, drill_names
from sensorlab.processing.orientation import (
    DEFAULT_ORIENTATION,
    OrientationSettings,
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
        self._relevel_k: list[int] = []
        """Grid indices of the recalibration marks not yet reached (the calibration stage's)."""
        self.placements: tuple[str, ...] = ()
        self._use_placements(
            placements or tuple(p for p in PLACEMENTS if p in meta.sensors) or PLACEMENTS
        )
        self._rows_seen = 0
        self.kinematics = Columns(KINEMATICS_COLUMNS)
        self._last_step_t: float | None = None
        # Segmentation output in order, reps and steps waiting while a tilt check on
        # their data is pending (see OrientationSettings.check_hold_s).
        self._held: list[tuple] = []
        self.reps: list[AnyRep] = []
        self.steps: list[StepResult] = []
        # Without an activity, every drill's reps, kept aside until the end decides it.
        self._drill_candidates: dict[str, list[DrillRepResult]] = defaultdict(list)
        self.final_events: list = []
        """Events that only the end of the stream decided (e.g. the last step)."""
        self.timings_s: dict[str, float] = defaultdict(float)
        """Seconds spent per stage so far (for benchmarks and profiling)."""
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
        self._stage = CalibrationStage(
            self.meta, self._grid, self.settings, self.source, self.warnings, self._relevel_k
        )
        self._kinematics = KinematicsStage(self._grid, self._stage)

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

    def _cues(self) -> AlignmentCues:
        """The movement cues the stated activity makes valid for the alignment."""
        return alignment_cues(self._stated_activity)

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
        return self._stage.progress(self._rows_seen)

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
        self._stage.forget_before(self._stage.ahrs_rows)

    def _advance(self, final: bool) -> list:
        rows = self._grid.rows()
        events: list = []
        if rows == 0 or (rows == self._rows_seen and not final):
            return events  # nothing new on the common time base
        self._rows_seen = rows
        if self._stage.static is None:
            with self._timed("calibration"):
                if not self._stage.find_static(rows, final):
                    return events
        with self._timed("orientation"):
            lo, blocks = self._stage.run_orientation(rows)
        refine_end = None
        calibrated_t = math.nan  # when the refinement landed, once it has
        if self._stage.calibration is not None:
            with self._timed("angles"):
                self._append_kinematics(lo, rows, blocks)
                self._forget_consumed()
        else:
            with self._timed("calibration"):
                refine_end = self._stage.refine_end(rows, final)
            if self._early is not None and not final:
                with self._timed("provisional"):
                    events.extend(self._early_events(lo, blocks))
            if refine_end is None:
                return events
            with self._timed("calibration"):
                quaternions = self._stage.refine(refine_end, self._cues())
                self._append_kinematics(0, self._stage.ahrs_rows, quaternions)
            calibration = self._stage.calibration
            assert calibration is not None
            calibrated_t = float(self._grid.t_s(refine_end - 1, refine_end)[0])
            events.append(CalibrationDone(calibrated_t, calibration))
        with self._timed("segmentation+metrics"):
            events.extend(self._segment(final))
        if refine_end is not None and self._early is not None:
            events.extend(self._withdraw_unconfirmed(calibrated_t))
        return events

    # ----------------------------------------------------------- kinematics
    def _append_kinematics(self, lo: int, hi: int, quaternions: dict[str, np.ndarray]) -> None:
        assert self._stage.calibration is not None
        self.kinematics.append(
            **self._kinematics.columns(
                lo, hi, quaternions, self._stage.calibration, self._stage.headings0_deg
            )
        )

    def _segment(self, final: bool) -> list:
        t_s = self.kinematics["t_s"]
        for found in self._segmenters.update(self.kinematics, final):
            if isinstance(found, LiftStarted | LiftAborted):
                if found.row < self._early_rows:
                    continue  # told by the provisional analysis already
                self._held.append((None, _lift_event(found, t_s)))
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
            for estimator in self._stage.estimators.values()
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
        for start_t, end_t in self._stage.marks:
            hi = math.floor(end_t * self.rate_hz + 1e-9) - self._grid.k0 + 1
            if hi > size:
                kept.append((start_t, end_t))  # its rows are not in the kinematics yet
                continue
            lo = max(math.ceil(start_t * self.rate_hz - 1e-9) - self._grid.k0, 0)
            if hi > lo:
                self.kinematics.rows("orientation_uncertain", lo, hi)[:] = 1.0
        self._stage.marks = kept

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

    def _step(self, columns: Columns, found: StepFound, last_step_t: float | None) -> StepResult:
        return step_result(
            columns,
            found.contact,
            found.next_row,
            last_step_t,
            self.rate_hz,
            self.settings.gait,
            self.settings.max_data_gap_s,
        )

    def _finish_step(self, found: StepFound) -> StepDetected:
        step = self._step(self.kinematics, found, self._last_step_t)
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
        start, hi = early.kinematics.size, self._stage.ahrs_rows
        if hi > start:
            if start != lo:  # the first rows: every row so far
                blocks = {p: q[start:hi] for p, q in self._stage.quaternions().items()}
            early.kinematics.append(
                **self._kinematics.columns(start, hi, blocks, *early.calibration)
            )
        self._early_rows = hi
        events: list = []
        t_s = early.kinematics["t_s"]
        for found in early.segmenters.update(early.kinematics):
            if isinstance(found, LiftStarted | LiftAborted):
                events.append(_lift_event(found, t_s))
                continue
            columns = self._early_columns(found.decided + 1)
            if isinstance(found, StepFound):
                step = self._step(columns, found, early.last_step_t)
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
                end = self._stage.evidence_start()
            else:
                end = early.tried_end + round(self.rate_hz)
            if end > self._stage.ahrs_rows:
                return None
            early.tried_end = end
            try:
                return self._stage.calibrate(end, self._stage.quaternions(), self._cues())
            except InputError:
                continue  # too little movement yet

    def _early_columns(self, end: int) -> Columns:
        """Kinematics of grid rows ``0:end``, calibrated on the heading evidence before ``end``.

        Where that evidence gives no calibration, the segmentation's is used.
        """
        assert self._early is not None and self._early.calibration is not None
        quaternions = self._stage.quaternions()
        try:
            calibration = self._stage.calibrate(end, quaternions, self._cues())
        except InputError:
            calibration = self._early.calibration
        columns = Columns(KINEMATICS_COLUMNS, capacity=end)
        rows = {p: q[:end] for p, q in quaternions.items()}
        columns.append(**self._kinematics.columns(0, end, rows, *calibration))
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
        if self._stage.calibration is None:
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
            rejected = segmenter.unexplained_rejections(first)
            if rejected:
                self.warnings.append(
                    f"{rejected} movement(s) after the first repetition rose like "
                    f"a {name} repetition but did not move as one (docs/drills.md: telling the "
                    "drills apart) and were not counted"
                )

    def _analysis(self, activity: str, movement: Movement, basis: str) -> SessionAnalysis:
        assert self._stage.calibration is not None
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
        for cal in self._stage.calibration.values():
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
            calibration=dict(self._stage.calibration),
            quality=quality,
            warnings=list(self.warnings),
            unavailable=dict(unavailable),
            movement=movement,
            activity_basis=basis,
            recorded_s=max(recorded, duration),
        )


def _lift_event(lift: LiftStarted | LiftAborted, t_s: np.ndarray) -> RepStarted | RepAborted:
    """The event of a lift's start or end, at its row of the kinematics' times ``t_s``."""
    event = RepStarted if isinstance(lift, LiftStarted) else RepAborted
    return event(lift.side, float(t_s[lift.row]))


def analyze(
    recording, activity: str | None = None, settings: AnalysisSettings = DEFAULT_ANALYSIS
) -> SessionAnalysis:
    """Batch analysis of a whole :class:`~sensorlab.records.Recording` (one block per sensor).

    Without a given activity, a session the first analysis could not tell for sure (a drill
    ``guessed``, or a movement not recognised) is analysed again as each drill its sensors
    allow (:func:`drills_to_reanalyse`); the one whose reps it finds is reported as
    ``detected`` (:func:`as_detected`).
    """
    analysis = _analyze_once(recording, activity, settings)
    drills = drills_to_reanalyse(analysis)
    again = analyses_as(drills, lambda name: _analyze_once(recording, name, settings))
    return as_detected(analysis, again)


def analyses_as(
    drills: Iterable[str], analyse: Callable[[str], SessionAnalysis]
) -> dict[str, SessionAnalysis]:
    """``analyse(name)`` of each drill it can analyse.

    A drill whose alignment needs a sensor's mount that the sidecar does not give cannot
    be (:class:`~sensorlab.errors.InputError`): the first analysis, which did not need
    it, stands for that drill.
    """
    out = {}
    for name in drills:
        try:
            out[name] = analyse(name)
        except InputError:
            continue
    return out


REANALYSED_MOVEMENTS = ("unknown", "other_exercise")
"""Undeclared movements not recognised as an analysed activity (``not_analysed``): every
drill is tried on them (:func:`drills_to_reanalyse`)."""


def drills_to_reanalyse(analysis: SessionAnalysis) -> tuple[str, ...]:
    """The drills to analyse a recording again as, the first analysis's guess first.

    Every drill whose sensors were analysed, when the activity was not given and the
    first analysis could not tell it for sure: a drill or another activity ``guessed``
    (from the reps or steps found, or two drills' reps), or a movement not recognised
    (:data:`REANALYSED_MOVEMENTS`). The first analysis aligned the sensors with every
    movement cue; measured with cues a drill's movement does not support, the angles may
    hide its reps or show another's (a single-leg RDL without the walk first was found
    as 5 lunges; as the RDL, its 12 reps).
    """
    unsure = analysis.activity_basis == "guessed" or (
        analysis.activity_basis == "not_analysed" and analysis.activity in REANALYSED_MOVEMENTS
    )
    if not unsure:
        return ()
    possible = [
        name for name in drill_names() if drill_missing(name, tuple(analysis.calibration)) is None
    ]
    return tuple(sorted(possible, key=lambda name: name != analysis.activity))


def as_detected(first: SessionAnalysis, again: dict[str, SessionAnalysis]) -> SessionAnalysis:
    """The analysis, of ``first`` and those ``again`` as each drill, to report.

    The drill whose analysis counts the most reps (at least
    :data:`~sensorlab.processing.activity_choice.MIN_DETECTED_DRILL_REPS`, the activity not
    contradicted), reported as ``detected``, or ``guessed`` (without findings) when a
    rival drill counts nearly as many (:func:`~.activity_choice.rival_drill`); ``first``
    when none does.
    """
    counts = {
        name: len(analysis.reps)
        for name, analysis in again.items()
        if analysis.activity_basis == "given" and len(analysis.reps) >= MIN_DETECTED_DRILL_REPS
    }
    if not counts:
        return first
    best = again[max(counts, key=counts.__getitem__)]
    rival = rival_drill(counts)
    if rival is not None:
        said = ambiguity_warning(best.activity, rival, counts)
        return replace(best, activity_basis="guessed", warnings=[said, *best.warnings])
    said = f"{detected_warning(best.activity, len(best.reps))} (set it with --activity)"
    return replace(best, activity_basis="detected", warnings=[said, *best.warnings])


def _analyze_once(recording, activity: str | None, settings: AnalysisSettings) -> SessionAnalysis:
    analyzer = SessionAnalyzer(
        recording.meta, activity, settings, source=recording.source, provisional=False
    )
    analyzer.warnings.extend(recording.warnings)
    analyzer.update(recording.chunks.values())
    return analyzer.finish()
