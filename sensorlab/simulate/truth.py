"""Ground truth of a simulated session, measured on the true segment orientations.

Every metric here is computed from the true orientations with the project's own angle
definitions (:mod:`sensorlab.processing.angles`), on a fine grid (``TRUTH_GRID_HZ``), not
copied from the prescribed parameters: a prescribed 6 deg obliquity combined with 5 deg
of tilt reads slightly differently through the projection angles, and the truth says what
a perfect pipeline must report. The prescribed values are kept beside them.

Times are true times in seconds since session start (equal to the recording's ``t_s``
when ``host_time_error_s`` is 0). Angles in degrees.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sensorlab.processing import angles
from sensorlab.records import Kinematics
from sensorlab.simulate.body import (
    BodyMotion,
    pelvis_pose,
    thigh_sagittal_rate_dps,
    true_kinematics,
)
from sensorlab.simulate.imu import SensorTruth

TRUTH_GRID_HZ = 1000.0
"""Sampling of the fine grid on which rep and step metrics are measured, Hz."""

KINEMATICS_RATE_HZ = 100.0
"""Rate of the :class:`Kinematics` record in the truth, Hz."""

SIDE_SIGN = {"left": 1.0, "right": -1.0}
"""Obliquity sign of a drop opposite the working leg: ``drop = SIDE_SIGN[side] * obliquity``."""


@dataclass(frozen=True)
class RepTruth:
    """One true step-up repetition.

    Attributes
    ----------
    side : str
        Lead (working) leg.
    set_index : int
        0-based set: a new set starts when the side changes or after a set pause.
    t_start, t_end : float
        Lead thigh starts to flex; back to standing, s.
    t_top : float
        End of the drive: the body fully up on the box, s.
    load_windows : tuple of (float, float)
        Single-leg support on the lead leg (drive, then step down), s.
    thigh_rom_deg : float
        Max - min of the working thigh's sagittal angle over ``[t_start, t_end]``.
    pelvic_drop_deg : float
        Max of ``SIDE_SIGN[side] * obliquity`` over the rep.
    pelvic_tilt_range_deg : float
        Max - min of pelvic tilt over the rep.
    peak_thigh_velocity_dps : float
        Max absolute rate of the working thigh's sagittal angle, deg/s.
    up_duration_s, down_duration_s : float
        ``t_top - t_start`` and ``t_end - t_top``, s.
    thigh_adduction_excursion_deg : float
        Max adduction of the working thigh over the rep (standing is 0).
    prescribed : dict of str to float
        The drawn parameters of this rep (duration_s, peak_flexion_deg, pelvic_drop_deg,
        tilt_excursion_deg, adduction_excursion_deg).
    """

    side: str
    set_index: int
    t_start: float
    t_end: float
    t_top: float
    load_windows: tuple[tuple[float, float], ...]
    thigh_rom_deg: float
    pelvic_drop_deg: float
    pelvic_tilt_range_deg: float
    peak_thigh_velocity_dps: float
    up_duration_s: float
    down_duration_s: float
    thigh_adduction_excursion_deg: float
    prescribed: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AbortedAttempt:
    """An aborted step-up (thigh lifts and lowers, body never rises): not a rep.

    Attributes
    ----------
    side : str
        The leg that lifted.
    t_start, t_end : float
        Seconds since session start.
    """

    side: str
    t_start: float
    t_end: float


@dataclass(frozen=True)
class StepTruth:
    """One true gait step (an initial contact and the stance that follows).

    Attributes
    ----------
    side : str
        Foot that makes initial contact.
    t : float
        Initial-contact time, s.
    pelvic_drop_deg : float
        Max of ``SIDE_SIGN[side] * obliquity`` from this contact to the next one.
    step_time_s : float or None
        Interval from the other foot's previous contact, s; ``None`` for the first step.
    """

    side: str
    t: float
    pelvic_drop_deg: float
    step_time_s: float | None


@dataclass(frozen=True)
class GaitTruth:
    """Session-level gait truth.

    Attributes
    ----------
    cadence_spm : float
        Steps per minute: two steps per (mean left + mean right step time).
    step_time_s : dict of str to float
        Mean step time per side (the step that this foot ends), s.
    steps : dict of str to int
        Initial contacts per side.
    walking_s : float
        First to last initial contact, s.
    """

    cadence_spm: float
    step_time_s: dict[str, float]
    steps: dict[str, int]
    walking_s: float


@dataclass(frozen=True)
class DrillRepTruth:
    """One true rep of a standing drill.

    Attributes
    ----------
    activity : str
        The drill.
    side : str
        Working side (``left``, ``right``; ``both`` for a bilateral drill).
    set_index : int
        0-based set.
    t_start, t_bottom, t_end : float
        Rep start, the middle of its hold at the bottom, and its end, s.
    metrics : dict of str to float
        Every per-rep metric of the drill on the true motion (names as in the summary).
    """

    activity: str
    side: str
    set_index: int
    t_start: float
    t_bottom: float
    t_end: float
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionTruth:
    """Everything true about a simulated session.

    Attributes
    ----------
    activity : str
        ``step_up``, ``walk`` or what the caller named it.
    duration_s : float
        Session length, s.
    seed : int or None
        The seed of ``numpy.random.default_rng`` that produced the session.
    reps : list of RepTruth
        Completed step-up reps in time order (aborted attempts excluded).
    aborted : list of AbortedAttempt
        Aborted step-up attempts.
    steps : list of StepTruth
        Gait steps in time order.
    gait : GaitTruth or None
        For walks.
    sensors : dict of str to SensorTruth
        True mount, biases, clock and losses per placement.
    kinematics : Kinematics
        True segment angles on a ``KINEMATICS_RATE_HZ`` grid from 0 to ``duration_s``.
    settings : dict
        The activity and sensor settings used, as plain JSON data.
    drill_reps : list of DrillRepTruth
        Reps of a standing drill (:mod:`sensorlab.simulate.drills`) in time order.
    """

    activity: str
    duration_s: float
    seed: int | None
    reps: list[RepTruth]
    aborted: list[AbortedAttempt]
    steps: list[StepTruth]
    gait: GaitTruth | None
    sensors: dict[str, SensorTruth]
    kinematics: Kinematics
    settings: dict = field(default_factory=dict)
    drill_reps: list[DrillRepTruth] = field(default_factory=list)


def _grid(t0_s: float, t1_s: float) -> np.ndarray:
    n = max(2, int(np.ceil((t1_s - t0_s) * TRUTH_GRID_HZ)) + 1)
    return np.linspace(t0_s, t1_s, n)


def measure_rep(
    motion: BodyMotion,
    *,
    side: str,
    set_index: int,
    t_start: float,
    t_end: float,
    t_top: float,
    load_windows: tuple[tuple[float, float], ...],
    prescribed: dict[str, float],
) -> RepTruth:
    """Measure one rep's metrics on the true orientations over ``[t_start, t_end]`` (s)."""
    t = _grid(t_start, t_end)
    kin = true_kinematics(motion, t)
    sagittal = kin.thigh_sagittal_deg(side)
    rate = thigh_sagittal_rate_dps(motion, side, t)
    return RepTruth(
        side=side,
        set_index=set_index,
        t_start=t_start,
        t_end=t_end,
        t_top=t_top,
        load_windows=load_windows,
        thigh_rom_deg=float(sagittal.max() - sagittal.min()),
        pelvic_drop_deg=float(np.max(SIDE_SIGN[side] * kin.pelvis_obliquity_deg)),
        pelvic_tilt_range_deg=float(np.ptp(kin.pelvis_tilt_deg)),
        peak_thigh_velocity_dps=float(np.max(np.abs(rate))),
        up_duration_s=t_top - t_start,
        down_duration_s=t_end - t_top,
        thigh_adduction_excursion_deg=float(np.max(kin.thigh_adduction_deg(side))),
        prescribed=dict(prescribed),
    )


def measure_steps(
    motion: BodyMotion, sides: list[str], contacts_s: np.ndarray, end_s: float
) -> tuple[list[StepTruth], GaitTruth]:
    """Steps and gait truth from initial contacts (``sides[k]`` at ``contacts_s[k]``, s).

    Each step's drop is measured from its contact to the next one (the last step: to
    ``end_s``, when walking has stopped).
    """
    t = _grid(contacts_s[0], end_s)
    obliquity = np.concatenate([_pelvis_obliquity_deg(motion, block) for block in _blocks(t)])
    starts = np.searchsorted(t, contacts_s)
    highest = np.maximum.reduceat(obliquity, starts)
    lowest = np.minimum.reduceat(obliquity, starts)
    steps = [
        StepTruth(
            side=side,
            t=float(contacts_s[k]),
            pelvic_drop_deg=float(highest[k] if side == "left" else -lowest[k]),
            step_time_s=None if k == 0 else float(contacts_s[k] - contacts_s[k - 1]),
        )
        for k, side in enumerate(sides)
    ]
    step_time_s = {
        side: float(np.mean([s.step_time_s for s in steps[1:] if s.side == side]))
        for side in ("left", "right")
    }
    gait = GaitTruth(
        cadence_spm=120.0 / (step_time_s["left"] + step_time_s["right"]),
        step_time_s=step_time_s,
        steps={side: sum(s.side == side for s in steps) for side in ("left", "right")},
        walking_s=float(contacts_s[-1] - contacts_s[0]),
    )
    return steps, gait


def _pelvis_obliquity_deg(motion: BodyMotion, t_s: np.ndarray) -> np.ndarray:
    return angles.pelvis_obliquity_deg(pelvis_pose(motion, t_s).rot[:, 2, :])


def _blocks(t_s: np.ndarray, size: int = 65536) -> list[np.ndarray]:
    """``t_s`` cut into pieces, so pose arrays of long sessions stay small."""
    return [t_s[i : i + size] for i in range(0, t_s.size, size)]


def kinematics_record(motion: BodyMotion, duration_s: float) -> Kinematics:
    """True angles on a ``KINEMATICS_RATE_HZ`` grid over ``[0, duration_s]``."""
    t = np.arange(int(np.floor(duration_s * KINEMATICS_RATE_HZ)) + 1) / KINEMATICS_RATE_HZ
    parts = [true_kinematics(motion, block) for block in _blocks(t)]
    return Kinematics(
        **{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in dataclasses.fields(Kinematics)
        }
    )


def settings_dict(*settings) -> dict:
    """Settings dataclasses as one plain JSON-compatible dict keyed by class name."""
    return json.loads(json.dumps({type(s).__name__: dataclasses.asdict(s) for s in settings}))


def _to_json(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def write_truth(truth: SessionTruth, path: str | Path) -> None:
    """Write ``truth`` as JSON (``"format": "sensorlab-sim-truth"``) to ``path``."""
    data = {"format": "sensorlab-sim-truth", "version": 1, **_to_json(truth)}
    Path(path).write_text(json.dumps(data), encoding="utf-8")


def read_truth(path: str | Path) -> SessionTruth:
    """Read a truth file written by :func:`write_truth`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("format") != "sensorlab-sim-truth":
        raise ValueError(f"{path}: not a sensorlab simulator truth file")
    reps = [
        RepTruth(**{**r, "load_windows": tuple(tuple(w) for w in r["load_windows"])})
        for r in data["reps"]
    ]
    sensors = {
        name: SensorTruth(
            **{
                **s,
                "sensor_to_segment": np.array(s["sensor_to_segment"]),
                "acc_bias_m_s2": np.array(s["acc_bias_m_s2"]),
                "gyr_bias_rad_s": np.array(s["gyr_bias_rad_s"]),
            }
        )
        for name, s in data["sensors"].items()
    }
    return SessionTruth(
        activity=data["activity"],
        duration_s=data["duration_s"],
        seed=data["seed"],
        reps=reps,
        aborted=[AbortedAttempt(**a) for a in data["aborted"]],
        steps=[StepTruth(**s) for s in data["steps"]],
        gait=None if data["gait"] is None else GaitTruth(**data["gait"]),
        sensors=sensors,
        kinematics=Kinematics(**{k: np.array(v) for k, v in data["kinematics"].items()}),
        settings=data["settings"],
        drill_reps=[DrillRepTruth(**r) for r in data.get("drill_reps", [])],
    )
