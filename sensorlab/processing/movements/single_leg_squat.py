"""Single-leg squat (also a step-down from a box).

The stance thigh flexes to depth and back; the working side is the stance leg.

Driver: each thigh's flexion. A rep rises past 25 deg, peaks at 35 deg or more, and ends
still below 12 deg. The stance leg is the thigh that drove it. The window is a single-leg
squat's when the other (free) thigh moved less than ``other_excursion_max_deg`` (a squat
moves both, a step-up's trail leg lifts, a lunge's rear thigh swings back), never went
back more than ``other_behind_max_deg`` from where it was held at the rep's start (held
forward, hanging or a little behind, the knee bent; a split squat's rear thigh extends,
and stepping down from the box at the end of a step-up the trail leg reaches back for the
floor), and the pelvis hinged less than ``hinge_max_deg`` (a single-leg RDL hinges).

Per-rep metrics (max - min over the rep unless said): ``thigh_rom_deg`` of the stance
thigh; ``pelvic_drop_deg``, the peak drop of the free-leg side; ``pelvic_tilt_range_deg``;
``thigh_adduction_excursion_deg`` of the stance thigh (the valgus proxy); and the tempo
every drill keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensorlab.processing.calibration import AlignmentCues
from sensorlab.processing.columns import Columns
from sensorlab.processing.movements.base import (
    OTHER,
    SIDE_SIGN,
    SIDES,
    ExcursionSettings,
    RepView,
    ShapeCurve,
    drop_curve,
)
from sensorlab.processing.nanstats import highest, lowest

NAME = "single_leg_squat"
TITLE = "Single-leg squat"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "stance leg"
SIDE_PHRASE = "standing on the {side} leg"
"""A rep of ``side`` in words ("reps standing on the left leg")."""
PER_SIDE_METRICS = (
    "thigh_rom_deg",
    "pelvic_drop_deg",
    "pelvic_tilt_range_deg",
    "thigh_adduction_excursion_deg",
)

METRICS = {
    "thigh_rom_deg": ("Thigh range (depth)", "range of the stance thigh's sagittal angle"),
    "pelvic_drop_deg": ("Pelvic drop", "largest drop of the pelvis on the free-leg side"),
    "pelvic_tilt_range_deg": ("Pelvic tilt excursion", "range of pelvic tilt over the rep"),
    "thigh_adduction_excursion_deg": (
        "Thigh adduction range",
        "range of the stance thigh's movement toward the midline (valgus proxy)",
    ),
}
"""Label and one-line help of each per-side metric, for every view."""

FINDINGS = {
    "pelvic_drop_deg": (
        "Standing on the {big} leg, the pelvis drops {bv} on the {small}, against "
        "{small_drop} ({si}).",
        "less hip-abductor (gluteus medius) control on the {big}",
    ),
    "thigh_rom_deg": (
        "Squatting on the {small} leg goes less deep: {sv} against {bv} on the {big} ({si}).",
        "avoiding deep loading on the {small} leg",
    ),
    "pelvic_tilt_range_deg": (
        "The pelvis tilts through {bv} squatting on the {big} leg, against {sv} on the "
        "{small} ({si}).",
        "the trunk leaning forward or the low back taking over on the {big}",
    ),
    "thigh_adduction_excursion_deg": (
        "On the {big} leg the thigh moves {bv} toward the midline, against {sv} on the "
        "{small} ({si}).",
        "a dynamic valgus tendency (knee drifting inward) on the {big}; this is a "
        "thigh-angle proxy, not a knee angle",
    ),
}
"""Per metric: the observation and what the pattern is consistent with (observations,
never diagnoses), as ``str.format`` templates: ``big`` is the side with the larger mean
and ``bv`` its value, ``small`` and ``sv`` the other side's, ``si`` the symmetry index."""

MIN_DIFFERENCE: dict[str, float] = {}
"""Smallest left-right difference that can count as a finding, for the drill's metrics
that are not in :data:`.base.SHARED_MIN_DIFFERENCE`, in the metric's unit."""

SHAPES = (
    ShapeCurve(
        "Stance thigh flexion, by stance leg", "thigh angle (°)", "{side}_thigh_sagittal_deg"
    ),
    drop_curve("Pelvic drop on the free-leg side, by stance leg", "working"),
)
"""The curves of the report's average rep: the driver and the drop (:func:`metrics`)."""

SENSORS = ("left_thigh", "right_thigh")
"""The placements its reps need: the drill tells its rep by how both thighs move."""

# Alignment: the pelvis tilts and drops together on the spot.
ALIGNMENT = AlignmentCues(thigh_flexion_dominates=True, pelvis_heading_from_thighs=False)


@dataclass(frozen=True)
class SingleLegSquatSettings:
    """Single-leg squat thresholds.

    Attributes
    ----------
    excursion : ExcursionSettings
        The stance thigh's flexion as the driver, degrees.
    other_excursion_max_deg : float
        The free thigh's range over the rep stays below this, degrees.
    other_behind_max_deg : float
        The free thigh never goes further back than this from its angle at the rep's
        start, degrees.
    hinge_max_deg : float
        The pelvis's anterior tilt stays below this, degrees.
    """

    excursion: ExcursionSettings = field(
        default_factory=lambda: ExcursionSettings(start_deg=25.0, rest_deg=12.0, min_peak_deg=35.0)
    )
    other_excursion_max_deg: float = 15.0
    other_behind_max_deg: float = 8.0
    hinge_max_deg: float = 30.0


DEFAULT_SETTINGS = SingleLegSquatSettings()


def drivers(columns: Columns, lo: int, hi: int) -> dict[str, np.ndarray]:
    """Each thigh's flexion, rows ``lo:hi``, degrees."""
    return {side: columns.rows(f"{side}_thigh_sagittal_deg", lo, hi) for side in SIDES}


def judge(view: RepView, settings: SingleLegSquatSettings) -> tuple[str | None, str]:
    """The stance leg if the window is a single-leg squat's rep, else None and why."""
    free = view.sagittal_deg[OTHER[view.driver]]
    if highest(free) - lowest(free) > settings.other_excursion_max_deg:
        return None, "the other thigh moved too"
    held = free[np.isfinite(free)]
    if held.size and lowest(free) - held[0] < -settings.other_behind_max_deg:
        return None, "the other thigh went back"
    if highest(view.tilt_deg) > settings.hinge_max_deg:
        return None, "the pelvis hinged forward"
    return view.driver, ""


def metrics(view: RepView, stance: str) -> dict[str, float]:
    """Per-rep metrics (module docstring), degrees and seconds."""
    thigh, adduction = view.sagittal_deg[stance], view.adduction_deg[stance]
    return {
        "thigh_rom_deg": highest(thigh) - lowest(thigh),
        "pelvic_drop_deg": highest(SIDE_SIGN[stance] * view.obliquity_deg),
        "pelvic_tilt_range_deg": highest(view.tilt_deg) - lowest(view.tilt_deg),
        "thigh_adduction_excursion_deg": highest(adduction) - lowest(adduction),
        **view.tempo(),
    }
