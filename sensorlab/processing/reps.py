"""Step-up repetitions from the two thigh angles, and their metrics.

A step-up leaves a clear signature in the thigh sagittal angles (flexion positive):

1. the *lead* thigh flexes first and far (the foot goes onto the box, ~60-70 deg);
2. it extends as it drives the body up, while the *trail* thigh leaves the floor
   (it flexes to bring the foot up): this is what separates a rep from an aborted one;
3. on the box both thighs are near vertical (any pause there is not the end of a rep);
4. stepping down, the lead thigh flexes again (lowering, then stepping off the box);
5. both thighs settle near vertical: the rep ends (if the next rep starts without a
   rest there, at the row where both were nearest vertical).

:class:`StepUpSegmenter` follows that sequence sample by sample on the common grid, so
it gives the same reps whether it sees the session whole or in blocks, and reports each
rep as soon as the subject is standing again. Threshold crossings, not shapes, decide:
fidgeting below ``start_deg`` never starts a rep, and a lift that comes back down without
the trail leg leaving the floor is counted as aborted, not as a rep.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from sensorlab.processing.columns import Columns
from sensorlab.processing.nanstats import highest, lowest, mean
from sensorlab.records import RepResult


@dataclass(frozen=True)
class StepUpSettings:
    """Thresholds of the step-up state machine (degrees of thigh sagittal angle).

    Attributes
    ----------
    start_deg : float
        A thigh flexing past this starts a candidate rep; it is the lead thigh.
    rest_deg : float
        Both thighs within +-this are near vertical (standing, on the floor or box).
    rest_s : float
        Near vertical this long, after stepping down, ends the rep; seconds.
    tall_deg : float
        The lead thigh extending below this means the body is up on the box.
    trail_lift_deg : float
        The trail thigh must flex past this (its foot left the floor) for a real rep,
        having been below it at the lead thigh's peak (both thighs flexing together, as
        in a squat, is not a step-up).
    lower_deg : float
        The lead thigh flexing past this again, after the top, starts the way down.
    min_lead_peak_deg : float
        A rep's lead thigh must reach at least this flexion.
    set_gap_s : float
        Reps further apart than this (or with a change of side) start a new set.
    still_dps : float
        A thigh slower than this is still: a rep starts when the lead thigh last was still
        before it rose, and ends when it is still again after stepping down, deg/s.
    """

    start_deg: float = 20.0
    rest_deg: float = 8.0
    rest_s: float = 0.3
    tall_deg: float = 15.0
    trail_lift_deg: float = 20.0
    lower_deg: float = 20.0
    min_lead_peak_deg: float = 35.0
    set_gap_s: float = 6.0
    still_dps: float = 5.0


DEFAULT_STEP_UP = StepUpSettings()

_IDLE, _LIFT, _ON_BOX, _DOWN = range(4)


@dataclass
class _Candidate:
    lead: str
    start: int
    peak: int
    trail_lifted: bool = False
    top: int | None = None
    rest_run: int = 0
    down_start: int | None = None
    returned: int | None = None


@dataclass(frozen=True)
class LiftStarted:
    """A thigh flexed past ``start_deg``: maybe a rep (row of the columns, side)."""

    row: int
    side: str


@dataclass(frozen=True)
class LiftAborted:
    """The lift came back down without the trail leg leaving the floor: not a rep."""

    row: int
    side: str


@dataclass(frozen=True)
class RepBounds:
    """A finished rep, as grid rows.

    Rows of its start, lead-thigh peak, top (standing tall on the box) and end, the working side,
    and the row at which the rest after it decided the end.
    """

    start: int
    peak: int
    top: int
    end: int
    side: str
    decided: int


class StepUpSegmenter:
    """Find step-up reps in growing kinematics columns.

    Parameters
    ----------
    rate_hz : float
        Grid rate, Hz.
    settings : StepUpSettings
        Thresholds.

    Attributes
    ----------
    aborted_ : int
        Lifts that came back down without a rep.
    """

    def __init__(self, rate_hz: float, settings: StepUpSettings = DEFAULT_STEP_UP) -> None:
        self.rate_hz = rate_hz
        self.settings = settings
        self.aborted_ = 0
        self._state = _IDLE
        self._cursor = 0
        self._last_end = 0
        self._candidate: _Candidate | None = None

    def update(self, columns: Columns) -> list[LiftStarted | LiftAborted | RepBounds]:
        """Advance over new rows; returns what happened, in order.

        Indices are rows of ``columns``, the session's from its first row on.
        """
        s = self.settings
        left = columns["left_thigh_sagittal_deg"]
        right = columns["right_thigh_sagittal_deg"]
        n = columns.size
        rest_samples = max(1, round(s.rest_s * self.rate_hz))
        finished: list[LiftStarted | LiftAborted | RepBounds] = []
        i = self._cursor
        while i < n:
            if self._state == _IDLE:
                active = np.flatnonzero((left[i:n] > s.start_deg) | (right[i:n] > s.start_deg))
                if active.size == 0:
                    i = n
                    break
                i += int(active[0])
                lead = "left" if left[i] >= right[i] else "right"
                lead_angle = left if lead == "left" else right
                earliest = self._last_end
                speed = np.abs(np.diff(lead_angle[earliest : i + 1])) * self.rate_hz
                still = np.flatnonzero(speed < s.still_dps)
                start = earliest + (int(still[-1]) if still.size else 0)
                self._candidate = _Candidate(lead=lead, start=start, peak=i)
                self._state = _LIFT
                finished.append(LiftStarted(i, lead))
                i += 1
                continue
            c = self._candidate
            assert c is not None
            lead_angle = left if c.lead == "left" else right
            trail_angle = right if c.lead == "left" else left
            lead_now, trail_now = lead_angle[i], trail_angle[i]
            both_rest = abs(lead_now) < s.rest_deg and abs(trail_now) < s.rest_deg
            c.rest_run = c.rest_run + 1 if both_rest else 0
            if both_rest and self._state == _DOWN and c.returned is None:
                c.returned = i
            if (
                trail_now > s.trail_lift_deg
                and c.top is None
                and lead_angle[c.peak] >= s.min_lead_peak_deg
                # The foot goes onto the box with the trail leg still standing: a trail
                # thigh flexed with the lead (a squat) is not a step-up's lift.
                and trail_angle[c.peak] < s.trail_lift_deg
            ):
                c.trail_lifted = True
            if self._state == _LIFT:
                if lead_now > lead_angle[c.peak]:
                    c.peak = i
                if lead_now < s.tall_deg:
                    self._state = _ON_BOX
            elif self._state == _ON_BOX:
                if not c.trail_lifted and c.rest_run >= rest_samples:
                    self.aborted_ += 1
                    finished.append(LiftAborted(i, c.lead))
                    self._reset(i)
                elif c.trail_lifted and lead_now > s.lower_deg:
                    segment = lead_angle[c.peak : i]
                    # Standing tall on the box is a plateau: its start is the moment
                    # the lead thigh first comes within 1 deg of its lowest angle.
                    c.top = c.peak + int(np.argmax(segment <= segment.min() + 1.0))
                    self._state = _DOWN
                elif not c.trail_lifted and lead_now > s.start_deg:
                    # Lifted again without having risen: treat as a new lift.
                    c.peak = i
                    self._state = _LIFT
            elif (
                self._state == _DOWN
                and c.returned is not None
                and max(lead_now, trail_now) > s.start_deg
            ):
                # The next rep began without a rest on the floor: this one ended where
                # both thighs were nearest vertical since they came back.
                between = np.maximum(
                    np.abs(lead_angle[c.returned : i]), np.abs(trail_angle[c.returned : i])
                )
                end = c.returned + int(np.nanargmin(between))
                assert c.top is not None
                finished.append(RepBounds(c.start, c.peak, c.top, end, c.lead, i))
                self._reset(end)
                continue  # row i starts the next lift
            elif self._state == _DOWN and c.rest_run >= rest_samples:
                rest_start = i - rest_samples + 1
                speed = np.abs(np.diff(lead_angle[rest_start - 1 : i + 1])) * self.rate_hz
                still = np.flatnonzero(speed < s.still_dps)
                if still.size == 0:
                    i += 1
                    continue
                end = rest_start + int(still[0])
                assert c.top is not None
                finished.append(RepBounds(c.start, c.peak, c.top, end, c.lead, i))
                self._reset(i)
            i += 1
        self._cursor = i
        return finished

    def _reset(self, i: int) -> None:
        self._state = _IDLE
        self._candidate = None
        self._last_end = i


def lost_data(
    columns: Columns,
    rows: slice,
    rate_hz: float,
    max_data_gap_s: float,
    judged_until: int | None = None,
) -> tuple[float, bool]:
    """Time lost over ``rows`` of the kinematics columns, and whether that leaves them out.

    ``judged_until``: the row a rep's end was judged at; the rows from the start of
    ``rows`` to it (inclusive) are those whose ``orientation_uncertain`` flag counts too
    (a tilt corrected there had been wrong during the rep).

    Returns
    -------
    data_gap_s : float
        Rows flagged ``data_gap`` (some sensor's data bridged or missing) times the grid
        period, seconds.
    left_out : bool
        More than ``max_data_gap_s`` lost, or some row flagged ``orientation_uncertain``
        (a sensor not yet re-levelled after a loss too long to bridge).
    """
    data_gap_s = float(columns["data_gap"][rows].sum() / rate_hz)
    flagged = rows
    if judged_until is not None:
        flagged = slice(rows.start, max(rows.stop, judged_until + 1))
    uncertain = bool((columns["orientation_uncertain"][flagged] > 0.5).any())
    return data_gap_s, data_gap_s > max_data_gap_s or uncertain


def rep_metrics(
    columns: Columns,
    bounds: RepBounds,
    rate_hz: float,
    index: int,
    set_index: int,
    max_data_gap_s: float = np.inf,
) -> RepResult:
    """Metrics of one rep from the kinematics columns (definitions in ``RepResult``).

    The load phase, during which the working leg bears the body, runs from the lead
    thigh's peak flexion (foot on the box, drive begins) to the end of the rep. A rep
    with more than ``max_data_gap_s`` seconds of lost data is marked ``left_out``
    (:func:`lost_data`); so is one whose orientation was uncertain before the rest that
    ended it was judged (a tilt corrected there had been wrong during the rep).
    """
    start, end = bounds.start, bounds.end
    data_gap_s, left_out = lost_data(
        columns, slice(start, end + 1), rate_hz, max_data_gap_s, judged_until=bounds.decided
    )
    with warnings.catch_warnings():
        # A segment with no data over the whole rep (a long loss) has no value: NaN,
        # which the summary writes as null; numpy's warning about it says nothing more.
        warnings.simplefilter("ignore", RuntimeWarning)
        return _rep_result(columns, bounds, rate_hz, index, set_index, data_gap_s, left_out)


def _rep_result(
    columns: Columns,
    bounds: RepBounds,
    rate_hz: float,
    index: int,
    set_index: int,
    data_gap_s: float,
    left_out: bool,
) -> RepResult:
    start, peak, top, end, side = bounds.start, bounds.peak, bounds.top, bounds.end, bounds.side
    side_sign = 1.0 if side == "left" else -1.0
    rep = slice(start, end + 1)
    load = slice(peak, end + 1)
    thigh = columns[f"{side}_thigh_sagittal_deg"]
    thigh_velocity_dps = np.gradient(thigh[rep]) * rate_hz
    drop = side_sign * columns["pelvis_obliquity_deg"][load]
    t = columns["t_s"]
    return RepResult(
        index=index,
        set_index=set_index,
        side=side,
        t_start=float(t[start]),
        t_end=float(t[end]),
        thigh_rom_deg=highest(thigh[rep]) - lowest(thigh[rep]),
        pelvic_drop_deg=highest(drop),
        pelvic_tilt_range_deg=(
            highest(columns["pelvis_tilt_deg"][rep]) - lowest(columns["pelvis_tilt_deg"][rep])
        ),
        peak_thigh_velocity_dps=highest(np.abs(thigh_velocity_dps)),
        up_duration_s=float(t[top] - t[start]),
        down_duration_s=float(t[end] - t[top]),
        thigh_adduction_excursion_deg=highest(columns[f"{side}_thigh_adduction_deg"][load]),
        pelvic_rate_rms_dps=math.sqrt(mean(columns["pelvis_rate_dps"][load] ** 2)),
        data_gap_s=data_gap_s,
        left_out=left_out,
    )
