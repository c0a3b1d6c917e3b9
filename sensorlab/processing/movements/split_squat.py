"""Bulgarian split squat: from the split stance, down and up; the working side is the
front leg.

Driver: each thigh's flexion. A rep rises past 45 deg (the split stance holds the front
thigh near 25 deg), peaks at 55 deg or more, and ends still below 40 deg, back in the
stance. The front leg is the thigh that drove it. The window is a split squat's when the
other (rear) thigh stayed behind vertical all through it (its mean below
``-rear_behind_deg``; a lunge or squat brings it forward), the front thigh started in the
split stance (above ``stance_min_deg``, not standing), and the rear thigh never flexed
past ``other_thigh_max_deg`` (a step-up's trail leg does).

Per-rep metrics (max - min over the rep unless said): ``thigh_rom_deg`` of the front
thigh; ``rear_thigh_extension_deg``, the rear thigh's peak angle behind vertical;
``pelvic_drop_deg``, the peak drop of the rear-leg side; ``pelvic_rotation_range_deg``;
``pelvic_tilt_range_deg``; ``thigh_adduction_excursion_deg`` of the front thigh; and the
tempo every drill keeps (:meth:`~.base.RepView.tempo`).
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
)

NAME = "split_squat"
WORKING_SIDE = "front leg"
PER_SIDE_METRICS = (
    "thigh_rom_deg",
    "rear_thigh_extension_deg",
    "pelvic_drop_deg",
    "pelvic_rotation_range_deg",
    "pelvic_tilt_range_deg",
    "thigh_adduction_excursion_deg",
)

# Alignment: a set on one side has its rear thigh only extending.
ALIGNMENT = AlignmentCues(thigh_flexion_dominates=False, pelvis_heading_from_thighs=True)


@dataclass(frozen=True)
class SplitSquatSettings:
    """Split squat thresholds.

    Attributes
    ----------
    excursion : ExcursionSettings
        The front thigh's flexion as the driver, degrees.
    stance_min_deg : float
        The front thigh at the rep's start is flexed at least this (the split stance),
        degrees.
    rear_behind_deg : float
        The rear thigh at the rep's start, and its mean over the rep, is at least this
        far behind vertical, degrees.
    other_thigh_max_deg : float
        The rear thigh never flexes past this during the rep, degrees.
    """

    excursion: ExcursionSettings = field(
        default_factory=lambda: ExcursionSettings(start_deg=45.0, rest_deg=40.0, min_peak_deg=55.0)
    )
    stance_min_deg: float = 12.0
    rear_behind_deg: float = 8.0
    other_thigh_max_deg: float = 15.0


DEFAULT_SETTINGS = SplitSquatSettings()


def drivers(columns: Columns, lo: int, hi: int) -> dict[str, np.ndarray]:
    """Each thigh's flexion, rows ``lo:hi``, degrees."""
    return {side: columns.rows(f"{side}_thigh_sagittal_deg", lo, hi) for side in SIDES}


def judge(view: RepView, settings: SplitSquatSettings) -> tuple[str | None, str]:
    """The front leg if the window is a split squat's rep, else None and why."""
    front, rear = view.driver, OTHER[view.driver]
    if (
        view.sagittal_deg[front][0] < settings.stance_min_deg
        or view.sagittal_deg[rear][0] > -settings.rear_behind_deg
    ):
        return None, "did not start from a split stance"
    return _rear_thigh_behind(view, front, rear, settings)


def _rear_thigh_behind(view: RepView, front: str, rear: str, settings) -> tuple[str | None, str]:
    """Shared with the lunge: the rear thigh stays back and never comes forward."""
    rear_angle = view.sagittal_deg[rear]
    if np.nanmax(rear_angle) > settings.other_thigh_max_deg:
        return None, f"the other thigh flexed past {settings.other_thigh_max_deg:g} deg"
    if np.nanmean(rear_angle) > -settings.rear_behind_deg:
        return None, "the other thigh did not stay behind the body"
    return front, ""


def metrics(view: RepView, front: str) -> dict[str, float]:
    """Per-rep metrics (module docstring), degrees and seconds."""
    rear = OTHER[front]
    return {
        "thigh_rom_deg": float(
            np.nanmax(view.sagittal_deg[front]) - np.nanmin(view.sagittal_deg[front])
        ),
        "rear_thigh_extension_deg": float(np.nanmax(-view.sagittal_deg[rear])),
        "pelvic_drop_deg": float(np.nanmax(SIDE_SIGN[front] * view.obliquity_deg)),
        "pelvic_rotation_range_deg": float(
            np.nanmax(view.rotation_deg) - np.nanmin(view.rotation_deg)
        ),
        "pelvic_tilt_range_deg": float(np.nanmax(view.tilt_deg) - np.nanmin(view.tilt_deg)),
        "thigh_adduction_excursion_deg": float(
            np.nanmax(view.adduction_deg[front]) - np.nanmin(view.adduction_deg[front])
        ),
        **view.tempo(),
    }
