"""The calibration stage: reference pose, orientation filters and segment alignment.

Stages 3-5 of the analysis (:mod:`.pipeline`), on the common grid (:mod:`.grid`):

3. quiet standing (the sidecar's span, checked, or the first still span found by
   :mod:`.stillness` anywhere in the first ``calibration_search_s``) -> gyroscope bias
   and vertical; without any, brief pauses or the mean posture while moving stand in,
   graded low;
4. per sensor: Fusion AHRS on the grid (:mod:`.orientation`), forward from the quiet
   span and, when it came late, backward from it to the session's start, so nothing
   before it is lost; re-levelled where a recalibration was marked;
5. after enough movement (every thigh turned ``refine_rotation_deg``, or at most
   ``max_refine_wait_s``): each segment's heading, hence its sensor-to-segment alignment
   (:mod:`.calibration`), with the cues the activity's movement makes valid (a walk in
   the session gives every heading to a drill that hides some).

Every decision depends on the data, not on how it arrived, so a stream and a whole
recording calibrate alike.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from sensorlab.errors import InputError
from sensorlab.frames import mount_matrix
from sensorlab.processing import angles
from sensorlab.processing.activity import walking_rows
from sensorlab.processing.calibration import (
    DEFAULT_CUES,
    AlignmentCues,
    HeadingEvidence,
    StaticPose,
    ThighReference,
    calibrate_sensor,
    movement_pose,
    static_pose,
)
from sensorlab.processing.columns import Columns
from sensorlab.processing.events import CalibrationProgress
from sensorlab.processing.grid import MultiSensorGrid
from sensorlab.processing.orientation import (
    OrientationEstimator,
    rotate_to_world,
    time_reversed,
    up_in_sensor,
)
from sensorlab.processing.stillness import first_still_span, span_motion, still_mask
from sensorlab.records import SensorCalibration, SessionMeta

if TYPE_CHECKING:
    from sensorlab.processing.pipeline import AnalysisSettings

THIGHS = ("left_thigh", "right_thigh")


class _Turn(TypedDict):
    """A thigh's rotation summed from grid row 0 while calibration waits for movement."""

    row: int  # rows summed so far
    deg: float  # rotation in them, degrees
    hit: int | None  # row by which it reached ``refine_rotation_deg``, once it has


class CalibrationStage:
    """Calibration and orientation of every sensor of a session (module docstring).

    Parameters
    ----------
    meta : SessionMeta
        The sidecar: calibration span, nominal mounts.
    grid : MultiSensorGrid
        The sensors' samples on the common grid.
    settings : AnalysisSettings
        The analysis's settings.
    source : str
        Recording name, for messages.
    warnings : list of str
        Where the warnings a reader should see go (the analysis's list).
    relevel_k : list of int
        Grid indices (``round(t_s * rate_hz)``) at which a recalibration was marked, in
        order: every sensor's tilt is re-levelled at the next still moment after each
        (the analysis's list, to which later marks are added).

    Attributes
    ----------
    static : dict of str to StaticPose, or None
        Each sensor's reference pose, once found.
    static_rows, reference_rows : tuple of int, or None
        Grid rows of quiet standing ((0, 0) without any), and the rows whose mean
        orientation is the reference pose (quiet standing, or the movement without it).
    estimators : dict of str to OrientationEstimator
        Each sensor's orientation filter, once the reference pose is known.
    ahrs_rows : int
        Grid rows the filters have run over.
    calibration : dict of str to SensorCalibration, or None
        Each sensor's calibration, once refined.
    headings0_deg : dict of str to float
        Each segment's heading in the reference pose, in its own sensor's world frame,
        degrees (once refined).
    uncertain : dict of str to Columns
        Per sensor, from grid row 0: the filter's orientation is uncertain (after a gap,
        until re-levelled).
    marks : list of (float, float)
        Spans (start, end) in seconds a tilt check found wrong, to be flagged in the
        kinematics (the analysis takes them).
    """

    def __init__(
        self,
        meta: SessionMeta,
        grid: MultiSensorGrid,
        settings: AnalysisSettings,
        source: str,
        warnings: list[str],
        relevel_k: list[int],
    ) -> None:
        self.meta = meta
        self.grid = grid
        self.settings = settings
        self.source = source
        self.warnings = warnings
        self.rate_hz = settings.timebase.rate_hz
        self.placements = tuple(grid.sensors)
        self.static: dict[str, StaticPose] | None = None
        self.static_rows: tuple[int, int] | None = None
        self.reference_rows: tuple[int, int] | None = None
        self._span_problem: str | None = None  # why the sidecar's span was not used
        self._searched_rows = 0  # rows when quiet standing was last looked for
        self.estimators: dict[str, OrientationEstimator] = {}
        self.ahrs_rows = 0
        self.calibration: dict[str, SensorCalibration] | None = None
        self.headings0_deg: dict[str, float] = {}
        self.uncertain = {p: Columns(["flag"]) for p in self.placements}
        self.marks: list[tuple[float, float]] = []
        self._pending_quaternions: dict[str, list[np.ndarray]] = {p: [] for p in self.placements}
        # Thigh rotation summed from the start: rows done, degrees, row of the hit.
        self._turned: dict[str, _Turn] = {
            p: {"row": 0, "deg": 0.0, "hit": None} for p in THIGHS if p in self.placements
        }
        self._relevel_k = relevel_k

    def forget_before(self, row: int) -> None:
        """Grid rows before ``row`` are no longer needed (after calibration)."""
        self.grid.forget_before(row)
        for uncertain in self.uncertain.values():
            uncertain.forget_before(row)

    def progress(self, rows_seen: int) -> CalibrationProgress:
        """Where calibration stands (quiet standing, heading evidence, done)."""
        if self.calibration is not None:
            return CalibrationProgress("done", 1.0)
        if self.static is None or self.static_rows is None:
            return CalibrationProgress("stand", 0.0)
        turned = min((turn["deg"] for turn in self._turned.values()), default=0.0)
        waited = (rows_seen - self.evidence_start()) / self.rate_hz
        fraction = max(
            turned / self.settings.refine_rotation_deg, waited / self.settings.max_refine_wait_s
        )
        return CalibrationProgress("move", float(min(fraction, 1.0)))

    def _relevel_rows(self, lo: int, hi: int) -> np.ndarray | None:
        """Rows ``lo:hi`` where a recalibration marker re-levels the sensors (or None)."""
        assert self.grid.k0 is not None
        if not self._relevel_k or self._relevel_k[0] >= self.grid.k0 + hi:
            return None
        flags = np.zeros(hi - lo, dtype=bool)
        while self._relevel_k and self._relevel_k[0] < self.grid.k0 + hi:
            # A marker whose row was already processed takes effect at the next row.
            flags[max(self._relevel_k.pop(0) - self.grid.k0 - lo, 0)] = True
        return flags

    def find_static(self, rows: int, final: bool) -> bool:
        """Find the reference pose and start the orientation filters.

        False while the data so far does not decide it.

        The sidecar's span is used when every sensor is still in it. Otherwise the first
        still span in the first ``calibration_search_s`` (decided once it is over, or once
        that much data is in, so batch and streaming agree); without one, the movement.
        """
        t = self.grid.t_s(0, rows)
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
            acc, gyr = self.grid.raw(placement, lo, hi)
            valid = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
            problem = span_motion(acc[valid], gyr[valid], self.settings.stillness)
            if problem is not None:
                problems.append(f"{placement} {problem}")
        return "; ".join(problems) or None

    def _detect_still_span(self, rows: int):
        t = self.grid.t_s(0, rows)
        masks = []
        for placement in self.placements:
            acc, gyr = self.grid.raw(placement, 0, rows)
            valid = np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1)
            masks.append(
                (t[valid], still_mask(t[valid], acc[valid], gyr[valid], self.settings.stillness))
            )
        return first_still_span(masks, self.settings.stillness)

    def _start_from_standing(self, lo: int, hi: int, span: tuple[float, float]) -> bool:
        t = self.grid.t_s(lo, hi)
        try:
            poses = {}
            for placement in self.placements:
                acc, gyr = self.grid.raw(placement, lo, hi)
                valid = np.isfinite(acc).all(axis=1)
                poses[placement] = static_pose(t[valid], acc[valid], gyr[valid], span)
        except ValueError as error:
            raise InputError(
                f"{self.source or 'session'}: the calibration span {span[0]:.2f}-{span[1]:.2f} s "
                f"holds too few samples ({error}); give a span of quiet standing of at least 2 s"
            ) from None
        self.static = poses
        self.static_rows = self.reference_rows = (lo, hi)
        self._start_filters(lo, settled=True)
        return True

    def _start_filters(self, lo: int, settled: bool) -> None:
        """Start each sensor's AHRS at grid row ``lo`` in its reference pose, carried to row 0."""
        assert self.static is not None
        self.ahrs_rows = lo
        for placement, pose in self.static.items():
            self.estimators[placement] = OrientationEstimator(
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
        assert self.static is not None
        t = self.grid.t_s(0, lo)
        for placement, pose in self.static.items():
            backward = OrientationEstimator(
                pose.up_sensor, -pose.gyro_bias_rad_s, self.rate_hz, self.settings.orientation
            )
            raw, bridged = (
                self.grid.raw_block(placement, 0, lo),
                self.grid.bridged(placement, 0, lo),
            )
            t_back, raw_back, bridged_back = time_reversed(t, raw, bridged)
            quaternions, uncertain = _filter(backward, t_back, raw_back, None, bridged_back)
            # Its tilt corrections are spans of reversed time (-t): turned back.
            self.marks.extend((-end, -start) for start, end in backward.corrections_)
            self._pending_quaternions[placement].append(quaternions[::-1])
            self.uncertain[placement].append(flag=uncertain[::-1].astype(float))

    def _start_from_movement(self, hi: int) -> bool:
        """No quiet standing: calibrate on brief pauses, else the mean posture.

        Over grid rows ``0:hi``.
        """
        t = self.grid.t_s(0, hi)
        brief = replace(self.settings.stillness, window_s=self.settings.pause_window_s)
        paused = np.ones(hi, dtype=bool)
        raw = {p: self.grid.raw(p, 0, hi) for p in self.placements}
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
        self.static = poses
        self.static_rows = (0, 0)
        self.reference_rows = (0, hi)
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

    def run_orientation(self, rows: int) -> tuple[int, dict[str, np.ndarray]]:
        """Run the AHRS over new rows; returns their first row and quaternions per sensor.

        Before calibration is complete the quaternions are also kept for the refinement.
        """
        lo, hi = self.ahrs_rows, rows
        if hi <= lo:
            return lo, {p: np.empty((0, 4)) for p in self.placements}
        t = self.grid.t_s(lo, hi)
        relevel = self._relevel_rows(lo, hi)
        blocks = {}
        for placement, estimator in self.estimators.items():
            bridged = self.grid.bridged(placement, lo, hi)
            quaternions, uncertain = _filter(
                estimator, t, self.grid.raw_block(placement, lo, hi), relevel, bridged
            )
            self.uncertain[placement].append(flag=uncertain.astype(float))
            self.marks.extend(estimator.corrections_)
            estimator.corrections_.clear()
            blocks[placement] = quaternions
        self.ahrs_rows = hi
        if self.calibration is None:
            for placement, quaternions in blocks.items():
                self._pending_quaternions[placement].append(quaternions)
        return lo, blocks

    def quaternions(self) -> dict[str, np.ndarray]:
        """Every sensor's quaternions from grid row 0 until calibration is complete."""
        return {p: np.concatenate(self._pending_quaternions[p]) for p in self.placements}

    def evidence_start(self) -> int:
        """Row after which the refinement waits no longer than ``max_refine_wait_s``."""
        assert self.static_rows is not None and self.reference_rows is not None
        return max(self.static_rows[1], self.reference_rows[1])

    def refine_end(self, rows: int, final: bool) -> int | None:
        """Row where the heading evidence ends, once it is decided; else None.

        The evidence is every row outside quiet standing up to the first row by which
        every thigh has turned ``refine_rotation_deg`` (or ``max_refine_wait_s`` after
        the reference pose; without thighs, ``pelvis_evidence_s`` of movement): a row
        fixed by the data, not by how the data arrived. The rotation is summed
        incrementally, each new row once; still rows add nothing.
        """
        assert self.static is not None and self.static_rows is not None
        start = self.evidence_start()
        longest = start + round(self.settings.max_refine_wait_s * self.rate_hz)
        end = min(rows, longest)
        if not self._turned:
            static_lo, static_end = self.static_rows
            needed = round(self.settings.pelvis_evidence_s * self.rate_hz)
            enough = max(start, static_end + needed - static_lo)
            if rows >= min(enough, longest):
                return min(enough, longest)
            return rows if final else None
        for placement, turn in self._turned.items():
            lo = turn["row"]
            if turn["hit"] is not None or end <= lo:
                continue
            _, gyr = self.grid.raw(placement, lo, end)
            rate_dps = np.degrees(
                np.linalg.norm(gyr - self.static[placement].gyro_bias_rad_s, axis=1)
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

    def refine(self, evidence_end: int, cues: AlignmentCues) -> dict[str, np.ndarray]:
        """Calibrate every sensor on the evidence before ``evidence_end``.

        Sets :attr:`calibration` and :attr:`headings0_deg`; returns every sensor's
        quaternions from grid row 0 (no longer kept: the kinematics are computed from
        them once, and from the filters' output on).
        """
        quaternions = self.quaternions()
        self.calibration, self.headings0_deg = self.calibrate(evidence_end, quaternions, cues)
        self._pending_quaternions = {p: [] for p in self.placements}
        return quaternions

    def calibrate(
        self, evidence_end: int, quaternions: dict[str, np.ndarray], cues: AlignmentCues
    ) -> tuple[dict[str, SensorCalibration], dict[str, float]]:
        """Every sensor's calibration, and each segment's reference heading, from the evidence.

        The heading evidence on grid rows before ``evidence_end``, with the movement
        ``cues`` the activity makes valid. A segment's reference
        heading: that of its forward axis in the reference pose, in its sensor's world frame
        (each 6-axis sensor's heading is its own), degrees.
        """
        assert self.static is not None and self.reference_rows is not None
        assert self.static_rows is not None
        calibration = {}
        references: list[ThighReference] = []
        # Movement evidence: rows outside quiet standing where every sensor has data, so
        # that the sensors' evidence lines up.
        static_lo, static_end = self.static_rows
        evidence_rows = np.ones(evidence_end, dtype=bool)
        evidence_rows[static_lo:static_end] = False
        raw = {p: self.grid.raw(p, 0, evidence_end) for p in self.placements}
        for placement, (acc, _) in raw.items():
            evidence_rows &= np.isfinite(quaternions[placement][:evidence_end]).all(axis=1)
            evidence_rows &= np.isfinite(acc).all(axis=1)
        walked = None
        if cues != DEFAULT_CUES:
            # A drill that hides a heading: walking, if the session has some (the
            # README's protocol asks for a few steps first), shows every one.
            walked = evidence_rows & self._walking_rows(quaternions, raw, evidence_end)
            if np.count_nonzero(walked) >= self.settings.min_calibration_walk_s * self.rate_hz:
                evidence_rows, cues = walked, DEFAULT_CUES
            else:
                walked = None
        # Thighs first: the pelvis heading comes from their flexion axes.
        for placement in (*THIGHS, "pelvis"):
            if placement not in self.placements:
                continue
            pose = self.static[placement]
            evidence = self._heading_evidence(
                placement, quaternions[placement], raw[placement], evidence_rows
            )
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
        ref_lo, ref_hi = self.reference_rows
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

    def _walking_rows(
        self,
        quaternions: dict[str, np.ndarray],
        raw: dict[str, tuple[np.ndarray, np.ndarray]],
        end: int,
    ) -> np.ndarray:
        """Rows ``0:end`` inside walking, judged before the heading is known.

        ``raw``: each sensor's specific force and rate on grid rows ``0:end``.

        See :func:`activity.walking_rows`. Thigh angles through the nominal mounts (a strap error of
        some degrees does not hide a rhythm), the sacrum's world-vertical acceleration.
        """
        assert self.static is not None
        thighs: dict[str, np.ndarray | None] = {"left": None, "right": None}
        for side in ("left", "right"):
            info = self.meta.sensors.get(f"{side}_thigh")
            if f"{side}_thigh" in self.placements and info is not None and info.mount:
                up = up_in_sensor(quaternions[f"{side}_thigh"][:end]) @ mount_matrix(info.mount).T
                thighs[side] = angles.thigh_sagittal_deg(up)
        vertical = None
        if "pelvis" in self.placements:
            world = rotate_to_world(quaternions["pelvis"][:end], raw["pelvis"][0])
            vertical = world[:, 2] - self.static["pelvis"].gravity_m_s2
        return walking_rows(thighs["left"], thighs["right"], vertical, self.rate_hz)

    def _heading_evidence(
        self,
        placement: str,
        quaternions: np.ndarray,
        raw: tuple[np.ndarray, np.ndarray],
        rows: np.ndarray,
    ) -> HeadingEvidence | None:
        """A sensor's movement data on the evidence ``rows`` (a mask from grid row 0).

        ``raw``: its specific force and rate on those rows (from grid row 0).
        """
        assert self.static is not None
        if np.count_nonzero(rows) <= 10:
            return None
        pose = self.static[placement]
        acc, gyr = raw
        moving = quaternions[: rows.size][rows]
        linear_world = rotate_to_world(moving, acc[rows])
        linear_world[:, 2] -= pose.gravity_m_s2
        return HeadingEvidence(
            gyr[rows] - pose.gyro_bias_rad_s,
            linear_world,
            self._static_orientation(quaternions),
            self.rate_hz,
            up_in_sensor(moving),
        )

    def _static_orientation(self, quaternions: np.ndarray) -> np.ndarray:
        """Mean sensor-to-world rotation of a sensor over the reference rows.

        From the sensor's ``quaternions`` (from grid row 0); the rows of the result are the world
        axes.
        """
        assert self.reference_rows is not None
        ref_lo, ref_hi = self.reference_rows
        quaternions = quaternions[ref_lo:ref_hi]
        quaternions = quaternions[np.isfinite(quaternions).all(axis=1)]
        columns = [rotate_to_world(quaternions, axis).mean(axis=0) for axis in np.eye(3)]
        # Orthonormalise the averaged columns (a polar decomposition).
        u, _, vt = np.linalg.svd(np.column_stack(columns))
        return u @ vt


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
