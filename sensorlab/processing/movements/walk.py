"""Walking: steps, each by the side of the foot that makes contact (its stance leg).

What a step is and how it is found, streaming, is
:class:`~sensorlab.processing.gait.InitialContactDetector` (initial contacts from the
sacrum's accelerations, sides from the thighs or the pelvis's roll); a step's record is
:func:`~sensorlab.processing.gait.step_result`, defined in
:class:`~sensorlab.records.StepResult`, and the session's gait measures are
:func:`~sensorlab.processing.gait.gait_result`. Here is how people read them.
"""

from __future__ import annotations

from sensorlab.processing.calibration import DEFAULT_CUES
from sensorlab.processing.gait import DEFAULT_GAIT, InitialContactDetector
from sensorlab.processing.movements.base import MetricText

NAME = "walk"
TITLE = "Walk"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "stance leg"
SIDE_PHRASE = "during {side} stance"
"""A step of ``side`` in words ("steps during left stance")."""
SENSORS = ("pelvis",)
"""The placements its steps need: contacts come from the sacrum (thighs only side them)."""
ALIGNMENT = DEFAULT_CUES
"""Every movement cue is valid: walking swings each thigh about its own axis."""

DEFAULT_SETTINGS = DEFAULT_GAIT
Segmenter = InitialContactDetector

PER_SIDE_METRICS = ("pelvic_drop_deg", "step_time_s")
"""Per-step metrics by the side of the foot that makes contact (stance side)."""

METRICS = {
    "pelvic_drop_deg": MetricText(
        "Pelvic drop",
        "largest drop of the pelvis on the swing side during this leg's stance",
        "pelvic drop",
    ),
    "step_time_s": MetricText(
        "Step time",
        "from the other foot's initial contact to this foot's initial contact",
        "step time",
    ),
}
"""How people read each per-step metric, for every view."""

FINDINGS = {
    "pelvic_drop_deg": (
        "During stance on the {big} leg, the pelvis drops {bv} on the {small}, "
        "against {small_drop} ({si}).",
        "less hip-abductor (gluteus medius) control on the {big}",
    ),
    "step_time_s": (
        "Steps ending on the {big} foot take {bv}, against {sv} for the {small} ({si}).",
        "an uneven rhythm with less time spent standing on the {big} leg (as when sparing it)",
    ),
}
"""Per metric: the observation and what the pattern is consistent with (observations,
never diagnoses), as ``str.format`` templates (as the step-up's, :mod:`.step_up`);
``small_drop`` compares with the other side's stance."""

MIN_DIFFERENCE = {"pelvic_drop_deg": 1.0, "step_time_s": 0.02}
"""Smallest left-right difference that can count as a finding, in the metric's unit."""
