"""Segmentation: the reps and steps an activity calls for, found on the kinematics rows.

:class:`Segmenters` runs the segmenters of the activity over the kinematics columns as
they grow, each streaming (its cursor kept between calls, so blocks give what the whole
does): step-up lifts and reps (:mod:`.reps`), gait initial contacts (:mod:`.gait`) and the
standing drills (:mod:`.movements`). Without a given activity it runs them all; a drill's
reps are then candidates, kept aside until the end decides the activity. What each found
is turned into a record with its metrics by :func:`step_up_rep`, :func:`drill_rep` and
:func:`~sensorlab.processing.gait.step_result`, on whichever kinematics the caller holds
(the refined ones, or a live session's provisional ones).
"""

from __future__ import annotations

from dataclasses import dataclass

from sensorlab.processing.columns import Columns
from sensorlab.processing.gait import GaitSettings
from sensorlab.processing.movements import drill, drill_names, step_up, walk
from sensorlab.processing.movements.base import (
    ExcursionSegmenter,
    RepFound,
    RepView,
    drill_rep_metrics,
)
from sensorlab.processing.reps import (
    LiftAborted,
    LiftStarted,
    RepBounds,
    StepUpSettings,
    lost_data,
    rep_metrics,
)
from sensorlab.records import AnyRep, DrillRepResult, RepResult


@dataclass(frozen=True)
class StepFound:
    """A gait step: its initial contact and the next one.

    Attributes
    ----------
    contact : tuple of (float, str)
        Its initial contact: row (fractional) and side.
    next_row : float or None
        The next initial contact's row; None for the session's last step.
    decided : int
        The row by which it is known.
    """

    contact: tuple[float, str]
    next_row: float | None
    decided: int


@dataclass(frozen=True)
class DrillRepFound:
    """A rep of drill ``drill`` (its window and side in ``found``)."""

    drill: str
    found: RepFound

    @property
    def decided(self) -> int:
        """The row by which it is known."""
        return self.found.window.decided


Found = LiftStarted | LiftAborted | RepBounds | StepFound | DrillRepFound
"""What :meth:`Segmenters.update` reports, in order."""


class Segmenters:
    """The segmenters of one activity (module docstring).

    Parameters
    ----------
    rate_hz : float
        Kinematics grid rate, Hz.
    step_up_settings, gait : StepUpSettings, GaitSettings
        The step-up's and the walk's settings (the segmenters are their modules'
        ``Segmenter``).
    placements : tuple of str
        The sensors analysed (a drill whose sensors are missing is not run).
    unavailable : dict of str to str
        What the sensors cannot give (``step_up_reps``, ``gait_steps``): not run.
    activity : str or None
        The activity; None runs every segmenter.
    drill_candidates : bool
        Without an activity, run every drill too (a live session's provisional analysis
        does not: it shows no drill until one is chosen).
    """

    def __init__(
        self,
        rate_hz: float,
        step_up_settings: StepUpSettings,
        gait: GaitSettings,
        placements: tuple[str, ...],
        unavailable: dict[str, str],
        activity: str | None,
        drill_candidates: bool = True,
    ) -> None:
        self.rate_hz = rate_hz
        self.gait = gait
        self.placements = placements
        self.unavailable = unavailable
        self.step_up = step_up.Segmenter(rate_hz, step_up_settings)
        self.contacts = walk.Segmenter(rate_hz, gait)
        self._drill_candidates = drill_candidates
        self._last_contact: tuple[float, str] | None = None
        self.drills: dict[str, ExcursionSegmenter] = {}
        self.activity = activity

    @property
    def activity(self) -> str | None:
        """The activity segmented for.

        Setting it starts its drills' segmenters afresh (they catch up from row 0).
        """
        return self._activity

    @activity.setter
    def activity(self, value: str | None) -> None:
        self._activity = value
        names: tuple[str, ...] = ()
        if value in drill_names():
            names = (value,)
        elif value is None and self._drill_candidates:
            names = drill_names()
        self.drills = {
            name: ExcursionSegmenter(drill(name), self.rate_hz, drill(name).DEFAULT_SETTINGS)
            for name in names
            if drill_missing(name, self.placements) is None
        }

    def update(self, kinematics: Columns, final: bool = False) -> list[Found]:
        """What the rows added since the last call end, in order.

        ``final``: the stream ended (the last step's stance is over).
        """
        found: list[Found] = []
        if self.activity in (None, "step_up") and "step_up_reps" not in self.unavailable:
            found.extend(self.step_up.update(kinematics))
        if self.activity in (None, "walk") and "gait_steps" not in self.unavailable:
            for contact in self.contacts.update(kinematics, final):
                if self._last_contact is not None:
                    found.append(StepFound(self._last_contact, contact[0], round(contact[0])))
                self._last_contact = contact
            if final and self._last_contact is not None:
                max_step_rows = self.gait.max_step_s * self.rate_hz / 2
                last = self._last_contact
                found.append(StepFound(last, None, round(last[0] + max_step_rows)))
                self._last_contact = None
        for name, segmenter in self.drills.items():
            found.extend(
                DrillRepFound(name, event)
                for event in segmenter.update(kinematics)
                if isinstance(event, RepFound)
            )
        return found


def drill_missing(name: str, placements: tuple[str, ...]) -> str | None:
    """Why drill ``name``'s reps cannot be found with ``placements``; None if they can."""
    missing = [p for p in drill(name).SENSORS if p not in placements]
    if not missing:
        return None
    return f"needs the {' and '.join(p.replace('_', ' ') for p in missing)} sensor"


def next_set_index(reps: list, side: str, start_t_s: float, set_gap_s: float) -> int:
    """The set of a rep of ``side`` starting at ``start_t_s`` after ``reps``.

    A new set starts when the working side changes or after a pause longer than
    ``set_gap_s`` seconds.
    """
    if not reps:
        return 0
    previous = reps[-1]
    same_set = previous.side == side and start_t_s - previous.t_end <= set_gap_s
    return int(previous.set_index + (0 if same_set else 1))


def step_up_rep(
    columns: Columns,
    bounds: RepBounds,
    reps: list[AnyRep],
    rate_hz: float,
    settings: StepUpSettings,
    max_data_gap_s: float,
) -> RepResult:
    """The step-up rep ``bounds`` marks in ``columns`` (rows from grid row 0), after ``reps``."""
    start_t_s = float(columns["t_s"][bounds.start])
    set_index = next_set_index(reps, bounds.side, start_t_s, settings.set_gap_s)
    return rep_metrics(columns, bounds, rate_hz, len(reps), set_index, max_data_gap_s)


def drill_rep(
    columns: Columns,
    found: DrillRepFound,
    reps: list,
    rate_hz: float,
    set_gap_s: float,
    max_data_gap_s: float,
) -> DrillRepResult:
    """The drill rep ``found`` marks in ``columns`` (rows from grid row 0), after ``reps``.

    Its metrics from the drill's module; lost data and set as for step-ups
    (:func:`~sensorlab.processing.reps.lost_data`): left out when the orientation was
    uncertain before the rest that ended it was judged.
    """
    window, side = found.found.window, found.found.side
    # The kinematics rows are only appended to, so the metrics measured as the drill
    # accepted the rep on the same columns still hold; the provisional analysis
    # measures on columns of its own.
    if found.found.columns is columns:
        values = dict(found.found.metrics)
    else:
        values = drill_rep_metrics(drill(found.drill), RepView.of(columns, window), side)
    t_s = columns["t_s"]
    data_gap_s, left_out = lost_data(
        columns,
        slice(window.start, window.end + 1),
        rate_hz,
        max_data_gap_s,
        judged_until=window.decided,
    )
    return DrillRepResult(
        index=len(reps),
        set_index=next_set_index(reps, side, float(t_s[window.start]), set_gap_s),
        activity=found.drill,
        side=side,
        t_start=float(t_s[window.start]),
        t_end=float(t_s[window.end]),
        metrics=values,
        data_gap_s=data_gap_s,
        left_out=left_out,
    )
