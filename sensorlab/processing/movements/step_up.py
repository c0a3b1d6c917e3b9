"""Step-up onto a box: lead leg up, trail leg follows, step back down.

The working side is the lead leg, the one that steps onto the box first. What a rep is
and how it is found, streaming, is :class:`~sensorlab.processing.reps.StepUpSegmenter`
(its own state machine: lift, drive up with the trail leg leaving the floor, on the box,
down); its metrics are :func:`~sensorlab.processing.reps.rep_metrics`, defined in
:class:`~sensorlab.records.RepResult`. Their load phase runs from the lead thigh's peak
flexion to the end of the rep. Here is how people read them.
"""

from __future__ import annotations

from sensorlab.processing.calibration import DEFAULT_CUES
from sensorlab.processing.movements.base import SHARED_MIN_DIFFERENCE, MetricText
from sensorlab.processing.reps import DEFAULT_STEP_UP, StepUpSegmenter

NAME = "step_up"
TITLE = "Step-up"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "lead leg"
SIDE_PHRASE = "led by the {side} leg"
"""A rep of ``side`` in words ("reps led by the left leg")."""
SENSORS = ("left_thigh", "right_thigh")
"""The placements its reps need: a rep is told by how both thighs move."""
ALIGNMENT = DEFAULT_CUES
"""Every movement cue is valid: stepping up flexes each thigh about its own axis."""

DEFAULT_SETTINGS = DEFAULT_STEP_UP
Segmenter = StepUpSegmenter

PER_SIDE_METRICS = (
    "pelvic_drop_deg",
    "thigh_rom_deg",
    "pelvic_tilt_range_deg",
    "thigh_adduction_excursion_deg",
    "up_duration_s",
    "down_duration_s",
    "peak_thigh_velocity_dps",
    "pelvic_rate_rms_dps",
)
"""Per-rep metrics by lead leg, in the order the views show them (pelvic drop first)."""

METRICS = {
    "pelvic_drop_deg": MetricText(
        "Pelvic drop",
        "largest drop of the pelvis on the side opposite the working leg, vs standing",
        "pelvic drop",
    ),
    "thigh_rom_deg": MetricText(
        "Thigh range (depth)",
        "range of the working thigh's sagittal angle during the rep",
        "thigh range",
    ),
    "pelvic_tilt_range_deg": MetricText(
        "Pelvic tilt excursion",
        "range of pelvic tilt during the rep (low-back compensation proxy)",
        "tilt excursion",
    ),
    "thigh_adduction_excursion_deg": MetricText(
        "Thigh adduction under load",
        "largest move of the working thigh toward the midline under load "
        "(dynamic valgus proxy, not a knee angle)",
        "adduction",
    ),
    "up_duration_s": MetricText(
        "Time up", "from the start of the rep to standing tall on the box", "time up", 2
    ),
    "down_duration_s": MetricText(
        "Time down", "from standing tall on the box to the end of the rep", "time down", 2
    ),
    "peak_thigh_velocity_dps": MetricText(
        "Peak thigh speed", "peak sagittal angular velocity of the working thigh", "peak speed"
    ),
    "pelvic_rate_rms_dps": MetricText(
        "Pelvic sway (RMS rate)",
        "RMS pelvis angular rate while the working leg bears the load (lower = steadier)",
        "sway",
    ),
}
"""How people read each per-rep metric, for every view."""

FINDINGS = {
    "pelvic_drop_deg": (
        "When the {big} leg works, the pelvis drops {bv} on the {small}, "
        "against {small_drop} ({si}).",
        "less hip-abductor (gluteus medius) control on the {big}",
    ),
    "thigh_rom_deg": (
        "The {small} thigh works through less range: {sv} against {bv} on the {big} ({si}).",
        "the {small} leg working less deep (avoiding deep loading on that side)",
    ),
    "pelvic_tilt_range_deg": (
        "The pelvis tilts through {bv} when the {big} leg works, "
        "against {sv} with the {small} ({si}).",
        "the low back taking over some of the work when the {big} leg works",
    ),
    "thigh_adduction_excursion_deg": (
        "Under load the {big} thigh moves {bv} toward the midline, "
        "against {sv} on the {small} ({si}).",
        "a dynamic valgus tendency (knee drifting inward) on the {big}; "
        "this is a thigh-angle proxy, not a knee angle",
    ),
    "up_duration_s": (
        "Stepping up takes {bv} when the {big} leg works, against {sv} with the {small} ({si}).",
        "the rise being harder for the {big} leg (less strength or confidence on that side)",
    ),
    "down_duration_s": (
        "Lowering is quicker when the {small} leg works: {sv} against {bv} on the {big} ({si}).",
        "less eccentric (lowering) control on the {small}",
    ),
    "peak_thigh_velocity_dps": (
        "The {small} thigh moves more slowly at its peak: {sv} against {bv} on the {big} ({si}).",
        "a more guarded or less powerful {small} side",
    ),
    "pelvic_rate_rms_dps": (
        "The pelvis is less steady when the {big} leg bears the load: sway {bv} "
        "against {sv} on the {small} ({si}).",
        "less single-leg stability on the {big}",
    ),
}
"""Per metric: the observation and what the pattern is consistent with (observations,
never diagnoses), as ``str.format`` templates: ``big`` is the side with the larger mean
and ``bv`` its value, ``small`` and ``sv`` the other side's, ``si`` the symmetry index."""

MIN_DIFFERENCE = {**SHARED_MIN_DIFFERENCE, "peak_thigh_velocity_dps": 10.0}
"""Smallest left-right difference that can count as a finding, in the metric's unit."""
