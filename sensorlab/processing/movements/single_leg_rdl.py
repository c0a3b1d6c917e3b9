"""Single-leg Romanian deadlift: hinge forward on one leg and return.

The free leg extends back; the working side is the stance leg.

Driver: the pelvis's anterior tilt (the hinge). A rep rises past 25 deg, peaks at 35 deg
or more, and ends still below 12 deg. The free leg is the thigh that went furthest
behind vertical (at least ``free_behind_min_deg``); the stance leg is the other, whose
range must stay below the free thigh's.

Per-rep metrics: ``hinge_deg``, the peak anterior pelvic tilt; ``pelvic_opening_deg``,
the peak rotation moving the free-leg side back, from the rep's start (the heading has no
absolute reference); ``pelvic_drop_deg``, the peak drop of the free-leg side;
``free_thigh_extension_deg``, the free thigh's peak angle behind vertical;
``thigh_rom_deg`` of the stance thigh; and the tempo every drill keeps. Pelvic angles are
in the rotation-obliquity-tilt order: at a 60 deg hinge the projected obliquity would
double the drop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensorlab.processing.calibration import AlignmentCues
from sensorlab.processing.columns import Columns
from sensorlab.processing.movements.base import (
    OTHER,
    SIDE_SIGN,
    ExcursionSettings,
    RepView,
    ShapeCurve,
    drop_curve,
)
from sensorlab.processing.nanstats import highest, lowest

NAME = "single_leg_rdl"
TITLE = "Single-leg RDL"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "stance leg"
SIDE_PHRASE = "standing on the {side} leg"
"""A rep of ``side`` in words ("reps standing on the left leg")."""
PER_SIDE_METRICS = (
    "hinge_deg",
    "pelvic_opening_deg",
    "pelvic_drop_deg",
    "free_thigh_extension_deg",
    "thigh_rom_deg",
)

METRICS = {
    "hinge_deg": ("Hinge", "largest anterior pelvic tilt"),
    "pelvic_opening_deg": (
        "Pelvic opening",
        "largest rotation turning the free-leg side of the pelvis back",
    ),
    "pelvic_drop_deg": ("Pelvic drop", "largest drop of the pelvis on the free-leg side"),
    "free_thigh_extension_deg": (
        "Free thigh extension",
        "largest angle of the free thigh behind vertical",
    ),
    "thigh_rom_deg": ("Stance thigh range", "range of the stance thigh's sagittal angle"),
}
"""Label and one-line help of each per-side metric (by the stance leg), for every view."""

FINDINGS = {
    "hinge_deg": (
        "The hinge reaches {bv} standing on the {big} leg, against {sv} on the {small} ({si}).",
        "less hip-hinge range or confidence standing on the {small} leg",
    ),
    "pelvic_opening_deg": (
        "Standing on the {big} leg the pelvis opens {bv} (the free side turning back), "
        "against {sv} on the {small} ({si}).",
        "less control of pelvic rotation over the {big} leg (gluteus medius and the hip's "
        "external rotators)",
    ),
    "pelvic_drop_deg": (
        "Standing on the {big} leg, the pelvis drops {bv} on the free side, against "
        "{small_drop} ({si}).",
        "less hip-abductor (gluteus medius) control on the {big}",
    ),
    "free_thigh_extension_deg": (
        "The free leg reaches {bv} behind the body standing on the {big} leg, against {sv} "
        "on the {small} ({si}).",
        "a shorter lever (less hip extension of the free leg) when standing on the {small}",
    ),
    "thigh_rom_deg": (
        "The {big} stance thigh moves through {bv}, against {sv} on the {small} ({si}).",
        "the {big} knee and hip bending more to balance",
    ),
    # The pelvis's rate over the rep is mostly the hinge itself, not sway.
    "pelvic_rate_rms_dps": (
        "The pelvis moves faster standing on the {big} leg: {bv} (RMS rate) against {sv} "
        "on the {small} ({si}).",
        "a deeper or quicker hinge, or less steadiness, on the {big} leg (compare the hinge)",
    ),
}
"""Per metric: the observation and what the pattern is consistent with (observations,
never diagnoses), as ``str.format`` templates: ``big`` is the side with the larger mean
and ``bv`` its value, ``small`` and ``sv`` the other side's, ``si`` the symmetry index."""

MIN_DIFFERENCE = {"hinge_deg": 3.0, "pelvic_opening_deg": 1.5, "free_thigh_extension_deg": 3.0}
"""Smallest left-right difference that can count as a finding, for the drill's metrics
that are not in :data:`.base.SHARED_MIN_DIFFERENCE`, degrees."""

SHAPES = (
    ShapeCurve("Pelvic hinge (anterior tilt), by stance leg", "tilt (°)", "pelvis_tilt_deg", ""),
    ShapeCurve(
        "Free thigh extension, by stance leg",
        "extension (°)",
        "{side}_thigh_sagittal_deg",
        side="other",
        sign=-1.0,
    ),
    drop_curve("Pelvic drop, free-leg side, by stance leg", "working"),
)
"""The curves of the report's average rep: the driver, the free leg and the drop
(:func:`metrics`)."""

SENSORS = ("pelvis", "left_thigh", "right_thigh")
"""The placements its reps need: the pelvis's hinge drives a rep, the thighs tell the sides."""

# Alignment: the free thigh mostly extends, and the pelvis hinges on the spot.
ALIGNMENT = AlignmentCues(thigh_flexion_dominates=False, pelvis_heading_from_thighs=False)


@dataclass(frozen=True)
class SingleLegRdlSettings:
    """Single-leg RDL thresholds.

    Attributes
    ----------
    excursion : ExcursionSettings
        The pelvis's anterior tilt as the driver, degrees.
    free_behind_min_deg : float
        The free thigh goes at least this far behind vertical, degrees.
    """

    excursion: ExcursionSettings = field(
        default_factory=lambda: ExcursionSettings(start_deg=25.0, rest_deg=12.0, min_peak_deg=35.0)
    )
    free_behind_min_deg: float = 20.0


DEFAULT_SETTINGS = SingleLegRdlSettings()


def drivers(columns: Columns, lo: int, hi: int) -> dict[str, np.ndarray]:
    """The pelvis's anterior tilt, rows ``lo:hi``, degrees (one driver: the hinge)."""
    return {"both": columns.rows("pelvis_tilt_deg", lo, hi)}


def judge(view: RepView, settings: SingleLegRdlSettings) -> tuple[str | None, str]:
    """The stance leg if the window is a single-leg RDL's rep, else None and why."""
    behind = {side: -lowest(angle) for side, angle in view.sagittal_deg.items()}
    free = max(behind, key=behind.__getitem__)
    if behind[free] < settings.free_behind_min_deg:
        return None, "no thigh extended behind the body"
    stance = OTHER[free]
    ranges = {side: highest(a) - lowest(a) for side, a in view.sagittal_deg.items()}
    if ranges[stance] >= ranges[free]:
        return None, "both legs moved alike"
    return stance, ""


def metrics(view: RepView, stance: str) -> dict[str, float]:
    """Per-rep metrics (module docstring), degrees and seconds."""
    free = OTHER[stance]
    thigh = view.sagittal_deg[stance]
    return {
        "hinge_deg": highest(view.tilt_deg),
        "pelvic_opening_deg": highest(SIDE_SIGN[free] * view.rotation_deg),
        "pelvic_drop_deg": highest(SIDE_SIGN[stance] * view.obliquity_deg),
        "free_thigh_extension_deg": highest(-view.sagittal_deg[free]),
        "thigh_rom_deg": highest(thigh) - lowest(thigh),
        **view.tempo(),
    }
