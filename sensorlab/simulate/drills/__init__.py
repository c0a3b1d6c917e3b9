"""Standing drills of a glute programme, simulated as exactly as the step-ups.

One module per drill in this package holds its *profile*: the keyframes of one rep (and
of the pose held between the reps of a set, as a split stance), as fractions of the
rep's duration, and the definitions of its per-rep metrics measured on the true motion.
:func:`simulate_drill` strings reps into sets on the body model (:mod:`..body`), records
every sensor through the sensor model (:mod:`..imu`: specific force ``R^T (a + g)``, gyro
from ``dR/dt``, strap errors, bias, noise, quantisation, drift, loss) and measures each
rep's truth. Adding a drill is adding a module here: it is found by name.

Each degree of freedom is a set of keyframes joined by minimum-jerk segments (C2), so the
accelerations and rates are analytic. Angles in the keyframes are degrees, positions m:

- ``x``, ``y``, ``z``: pelvis position change from standing (forward, left, up), m;
- ``tilt``, ``obliquity``, ``rotation``: the pelvis's Euler angles in the contract's
  rotation-obliquity-tilt order (anterior tilt, right side lower, left side back
  positive), degrees;
- ``<side>_flexion``, ``<side>_adduction``: thigh flexion (knee forward) and adduction
  (knee toward the midline), degrees.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass, replace
from types import ModuleType

import numpy as np

from sensorlab.simulate.body import (
    STANDING_HIP_HEIGHT_M,
    BodyMotion,
    pelvis_pose,
    true_kinematics,
)
from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS, SensorSettings
from sensorlab.simulate.profiles import KeyframeTrack, switched
from sensorlab.simulate.session import SimulatedSession, record_session, split_rng
from sensorlab.simulate.truth import SIDE_SIGN, DrillRepTruth
from sensorlab.simulate.walk import WalkSettings, gait_motion

TRACKS = (
    "x",
    "y",
    "z",
    "tilt",
    "obliquity",
    "rotation",
    "left_flexion",
    "right_flexion",
    "left_adduction",
    "right_adduction",
)
"""The degrees of freedom a profile's keyframes may move (units in the module docstring)."""

OTHER = {"left": "right", "right": "left"}

TRUTH_GRID_HZ = 1000.0
"""Rate of the grid the truth is measured on, Hz."""


@dataclass(frozen=True)
class DrillSide:
    """How one side performs a drill: amplitudes at the bottom of a rep.

    Each profile uses the attributes that mean something for it (its module docstring
    says which).

    Attributes
    ----------
    depth_deg : float
        Peak flexion of the working thigh (both thighs in a squat), degrees.
    other_thigh_deg : float
        Extension behind vertical of the other thigh (rear thigh of a split squat or
        lunge, free thigh of a single-leg RDL) or of the moving thigh (kickback), degrees.
    pelvic_drop_deg : float
        Drop of the unsupported side of the pelvis, degrees.
    adduction_deg : float
        Adduction of the working thigh (the valgus proxy), degrees.
    tilt_deg : float
        Anterior pelvic tilt gained (the hinge of a single-leg RDL), degrees.
    rotation_deg : float
        Pelvic rotation (the opening of a single-leg RDL), degrees.
    held_deg : tuple of float or None
        The set's held pose between reps, (working thigh, other thigh) flexion, degrees:
        a split squat's stance (front, rear), a single-leg squat's (stance, free); None
        takes the profile's.
    """

    depth_deg: float = 80.0
    other_thigh_deg: float = 20.0
    pelvic_drop_deg: float = 2.0
    adduction_deg: float = 3.0
    tilt_deg: float = 8.0
    rotation_deg: float = 3.0
    held_deg: tuple[float, float] | None = None


@dataclass(frozen=True)
class DrillSettings:
    """A session of one standing drill.

    Attributes
    ----------
    kind : str
        The drill: a module of this package (:func:`drill_kinds`).
    reps : int
        Number of repetitions in all. Unilateral drills do them ``order``-wise, right
        first; blocked halves (the right set gets the odd one).
    order : {"default", "alternating", "blocked"}
        Unilateral drills: sides alternating rep by rep, or one set per side; "default"
        takes the profile's usual order.
    left, right : DrillSide or None
        Each side's amplitudes; None takes the profile's defaults.
    rep_duration_s : float or None
        Nominal rep duration, s (None: the profile's); each varies by up to
        ``variation``.
    variation : float
        Rep durations and amplitudes vary by up to this fraction (uniform).
    pause_range_s : tuple of float
        Standing (or holding the set's pose) between reps, uniform in this range, s.
    set_pause_s : float
        Standing between two sets, s.
    standing_start_s, standing_end_s : float
        Quiet standing before the first and after the last rep, s.
    hip_height_m : float
        Standing height of the pelvis origin, m.
    calibration_walk_steps : int
        Steps walked (straight, after the standing start) before the first set, as the
        README's protocol asks: walking shows each sensor's heading, which standing
        drills do not (0: none).
    """

    kind: str = "lunge"
    reps: int = 12
    order: str = "default"
    left: DrillSide | None = None
    right: DrillSide | None = None
    rep_duration_s: float | None = None
    variation: float = 0.1
    pause_range_s: tuple[float, float] = (0.8, 1.6)
    set_pause_s: float = 4.0
    standing_start_s: float = 4.0
    standing_end_s: float = 2.0
    hip_height_m: float = STANDING_HIP_HEIGHT_M
    calibration_walk_steps: int = 0

    def __post_init__(self) -> None:
        if self.calibration_walk_steps and self.calibration_walk_steps < 6:
            raise ValueError("a calibration walk needs at least 6 steps (0 for none)")
        if self.kind not in drill_kinds():
            raise ValueError(f"kind must be one of {', '.join(drill_kinds())}, not {self.kind!r}")
        if self.reps < 1:
            raise ValueError("a drill session needs at least one rep")
        if self.order not in ("default", "alternating", "blocked"):
            raise ValueError(f"order must be alternating or blocked, not {self.order!r}")


Frames = list[tuple[float, float]]
"""Keyframes of one degree of freedom over a rep: (fraction of the rep's duration, value)."""


def excursion(value: float, shape: tuple[float, ...], base: float = 0.0) -> Frames:
    """Keyframes from ``base`` to ``value`` and back.

    ``shape`` holds the fractions at which the move starts, reaches ``value``, leaves it and is back
    (four fractions).
    """
    start, reach, leave, back = shape
    return [(start, base), (reach, value), (leave, value), (back, base)]


@functools.cache
def drill_kinds() -> tuple[str, ...]:
    """Names of the drills with a profile module here."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.ispkg))


def profile(kind: str) -> ModuleType:
    """The profile module of drill ``kind``."""
    if kind not in drill_kinds():
        raise ValueError(f"no simulator profile for drill {kind!r}")
    return importlib.import_module(f"{__name__}.{kind}")


def _sides(settings: DrillSettings, module: ModuleType) -> list[str]:
    """Working side of each rep in order."""
    if module.WORKING == "both":
        return ["both"] * settings.reps
    order = module.ORDER if settings.order == "default" else settings.order
    if order == "alternating":
        return [("right", "left")[k % 2] for k in range(settings.reps)]
    first = (settings.reps + 1) // 2
    return ["right"] * first + ["left"] * (settings.reps - first)


def _scaled(side: DrillSide, rng: np.random.Generator, variation: float) -> DrillSide:
    """``side`` with each amplitude varied by up to ``variation`` (fraction).

    The held pose stays as it is.
    """
    values = {
        name: getattr(side, name) * (1.0 + rng.uniform(-1, 1) * variation)
        for name in DrillSide.__dataclass_fields__
        if name != "held_deg"
    }
    return DrillSide(**values, held_deg=side.held_deg)


def _amplitudes(settings: DrillSettings, module: ModuleType) -> dict[str, DrillSide]:
    return {
        "left": settings.left or module.DEFAULT_SIDE,
        "right": settings.right or module.DEFAULT_SIDE,
    }


def simulate_drill(
    settings: DrillSettings = DrillSettings(),
    sensor_settings: SensorSettings = DEFAULT_SENSOR_SETTINGS,
    seed: int | None = 0,
) -> SimulatedSession:
    """Simulate a session of a standing drill, with the truth of every rep.

    Parameters
    ----------
    settings : DrillSettings
        The drill.
    sensor_settings : SensorSettings
        The sensors.
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives identical output.

    Returns
    -------
    SimulatedSession
        ``recording`` with activity ``settings.kind``; ``truth.drill_reps`` holds each
        rep's :class:`DrillRepTruth`.
    """
    s = settings
    module = profile(s.kind)
    rng, sensors_rng = split_rng(seed)
    tracks = {name: KeyframeTrack() for name in TRACKS}
    amplitudes = _amplitudes(s, module)
    nominal_s = s.rep_duration_s or module.REP_DURATION_S
    sides = _sides(s, module)
    reps: list[tuple[str, int, float, float, float]] = []
    walk = _calibration_walk(s)
    t = s.standing_start_s if walk is None else walk[1] + WALK_TO_DRILL_S
    order = module.ORDER if s.order == "default" else s.order
    set_index, held = 0, None
    for k, side in enumerate(sides):
        if k > 0:
            changed = side != sides[k - 1]
            if changed and held is not None:
                t, held = _leave_pose(tracks, module, held, t), None
            if changed and order == "blocked":
                t, set_index = t + s.set_pause_s, set_index + 1
            else:
                t += rng.uniform(*s.pause_range_s)
        if held is None and module.set_pose is not None:
            held = module.set_pose(side, amplitudes)
            t = _enter_pose(tracks, held, t, module.POSE_CHANGE_S)
        T = nominal_s * (1.0 + rng.uniform(-1, 1) * s.variation)
        drawn = {name: _scaled(a, rng, s.variation) for name, a in amplitudes.items()}
        for name, frames in module.rep_frames(side, drawn).items():
            for fraction, value in frames:
                tracks[name].add(t + fraction * T, value)
        reps.append((side, set_index, t, t + module.BOTTOM_FRACTION * T, t + T))
        t += T
    t = _leave_pose(tracks, module, held, t)
    duration_s = t + s.standing_end_s
    motion = _motion(tracks, s.hip_height_m)
    if walk is not None:
        motion = _after_walk(*walk, motion)
    truths = [
        _measure(module, motion, s.kind, side, set_index, t0, t_bottom, t1)
        for side, set_index, t0, t_bottom, t1 in reps
    ]
    session = record_session(
        motion,
        activity=s.kind,
        duration_s=duration_s,
        sensor_settings=sensor_settings,
        sensors_rng=sensors_rng,
        seed=seed,
        activity_settings=s,
        drill_reps=truths,
    )
    return session


WALK_TO_DRILL_S = 2.0
"""Standing between the calibration walk and the first set, s."""


def _calibration_walk(settings: DrillSettings) -> tuple[BodyMotion, float] | None:
    """The walk before the first set (its motion and end of movement, s), or None."""
    if not settings.calibration_walk_steps:
        return None
    walk = WalkSettings(
        standing_start_s=settings.standing_start_s, hip_height_m=settings.hip_height_m
    )
    # Start and stop take initiation_steps + termination_steps of the count.
    steady = settings.calibration_walk_steps - walk.initiation_steps - walk.termination_steps
    walk = replace(walk, duration_s=steady * 0.5 * walk.stride_s)
    return gait_motion(walk)


def _after_walk(walk: BodyMotion, walk_end_s: float, drill: BodyMotion) -> BodyMotion:
    """The walk, then (from a standing moment after it) the drill where the walk ended."""
    at_s = walk_end_s + 0.5 * WALK_TO_DRILL_S
    walked_m = float(walk.pelvis_x(np.array([at_s])).x[0])
    return BodyMotion(
        **{
            name: switched(
                getattr(walk, name),
                getattr(drill, name),
                at_s,
                walked_m if name == "pelvis_x" else 0.0,
            )
            for name in BodyMotion.__dataclass_fields__
        }
    )


def _enter_pose(tracks: dict, pose: dict[str, float], t_s: float, span_s: float) -> float:
    """Move from standing into the pose held between a set's reps; returns the end time."""
    for name, value in pose.items():
        tracks[name].add(t_s, 0.0)
        tracks[name].add(t_s + span_s, value)
    return t_s + span_s + 0.5


def _leave_pose(tracks: dict, module: ModuleType, pose: dict | None, t_s: float) -> float:
    """Back to standing from a set's pose (if any); returns the end time."""
    if not pose:
        return t_s
    t_s += 0.5
    for name, value in pose.items():
        tracks[name].add(t_s, value)
        tracks[name].add(t_s + module.POSE_CHANGE_S, 0.0)
    return t_s + module.POSE_CHANGE_S


def _motion(tracks: dict[str, KeyframeTrack], hip_height_m: float) -> BodyMotion:
    rad = np.pi / 180.0
    return BodyMotion(
        pelvis_x=tracks["x"].path(),
        pelvis_y=tracks["y"].path(),
        pelvis_z=tracks["z"].path(offset=hip_height_m),
        pelvis_tilt=tracks["tilt"].path(rad),
        pelvis_obliquity=tracks["obliquity"].path(rad),
        pelvis_rotation=tracks["rotation"].path(rad),
        left_flexion=tracks["left_flexion"].path(rad),
        left_adduction=tracks["left_adduction"].path(rad),
        right_flexion=tracks["right_flexion"].path(rad),
        right_adduction=tracks["right_adduction"].path(rad),
    )


@dataclass(frozen=True)
class TrueRep:
    """The true motion over one rep, on a fine grid, for a profile's ``measure``.

    Attributes
    ----------
    t_s : ndarray
        Times, s.
    tilt_deg, obliquity_deg, rotation_deg : ndarray
        The pelvis's prescribed Euler angles (rotation-obliquity-tilt order), degrees;
        rotation relative to the rep's start.
    sagittal_deg : dict of str to ndarray
        Each thigh's sagittal angle (the contract's definition), degrees.
    adduction_deg : dict of str to ndarray
        Each thigh's adduction: its long axis toward the midline in the pelvis's heading
        (the prescribed angle; a gravity-only projection loses it as the thigh nears
        horizontal), degrees.
    pelvis_rate_dps : ndarray
        Magnitude of the pelvis's angular velocity, deg/s.
    """

    t_s: np.ndarray
    tilt_deg: np.ndarray
    obliquity_deg: np.ndarray
    rotation_deg: np.ndarray
    sagittal_deg: dict[str, np.ndarray]
    adduction_deg: dict[str, np.ndarray]
    pelvis_rate_dps: np.ndarray


def _measure(
    module: ModuleType,
    motion: BodyMotion,
    activity: str,
    side: str,
    set_index: int,
    t_start: float,
    t_bottom: float,
    t_end: float,
) -> DrillRepTruth:
    t = np.linspace(t_start, t_end, max(2, int(np.ceil((t_end - t_start) * TRUTH_GRID_HZ)) + 1))
    kin = true_kinematics(motion, t)
    rotation = np.degrees(motion.pelvis_rotation(t).x)
    rep = TrueRep(
        t_s=t,
        tilt_deg=np.degrees(motion.pelvis_tilt(t).x),
        obliquity_deg=np.degrees(motion.pelvis_obliquity(t).x),
        rotation_deg=rotation - rotation[0],
        sagittal_deg={s: kin.thigh_sagittal_deg(s) for s in SIDE_SIGN},
        adduction_deg={
            side: np.degrees(getattr(motion, f"{side}_adduction")(t).x) for side in SIDE_SIGN
        },
        pelvis_rate_dps=np.degrees(np.linalg.norm(pelvis_pose(motion, t).body_rate(), axis=1)),
    )
    metrics = {
        **module.measure(rep, side),
        "down_duration_s": t_bottom - t_start,
        "up_duration_s": t_end - t_bottom,
        "pelvic_rate_rms_dps": float(np.sqrt(np.mean(rep.pelvis_rate_dps**2))),
    }
    return DrillRepTruth(activity, side, set_index, t_start, t_bottom, t_end, metrics)


__all__ = [
    "DrillRepTruth",
    "DrillSettings",
    "DrillSide",
    "Frames",
    "TrueRep",
    "drill_kinds",
    "excursion",
    "profile",
    "simulate_drill",
]
