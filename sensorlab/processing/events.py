"""The events a :class:`~sensorlab.processing.pipeline.SessionAnalyzer` reports.

As a stream arrives, its :meth:`~sensorlab.processing.pipeline.SessionAnalyzer.update`
returns them in session order: calibration done, a lift that may become a rep, a rep or
step judged (provisional ones first in a live session, then their refined values by
index), provisional ones withdrawn. The live view, the terminal printer and the LSL
markers are views of these records.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensorlab.records import AnyRep, SensorCalibration, StepResult


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
    """Event: a repetition was judged, with its metrics.

    Attributes
    ----------
    rep : RepResult or DrillRepResult
        The rep (a drill's for the standing drills); ``rep.index`` is its place in the
        session. A later event with the same
        index replaces it (the refined values of a provisional rep).
    provisional : bool
        Judged before the headings were refined (see :class:`SessionAnalyzer`): the
        values may still change a little, and the count and sides are not final.
    """

    rep: AnyRep
    provisional: bool = False


@dataclass(frozen=True)
class StepDetected:
    """Event: a gait step (its stance is over, so its pelvic drop is known).

    Attributes
    ----------
    step : StepResult
        The step.
    index : int
        Its 0-based place in the session; a later event with the same index replaces it.
    provisional : bool
        As for :class:`RepFinished`.
    """

    step: StepResult
    index: int
    provisional: bool = False


@dataclass(frozen=True)
class ProvisionalWithdrawn:
    """Event: the refined analysis did not confirm some provisional reps or steps.

    Those of ``kind`` (``rep`` or ``step``) from ``first_index`` on; they are no longer counted.

    ``t_s``: when the refinement landed, seconds.
    """

    kind: str
    first_index: int
    t_s: float
