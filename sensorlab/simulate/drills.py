"""Standing drills that sensorlab does not analyse: forward lunges and bilateral squats.

They exist so that tests can check that a movement which is neither a step-up nor a walk
is recognised as such (:mod:`sensorlab.processing.activity`) and never turned into reps,
steps or findings. The body model, sensor model and truth are the simulator's own
(:mod:`.body`, :mod:`.imu`), so the signals are as physically exact as the step-ups'.

Each rep of duration ``T`` is a set of keyframes joined by minimum-jerk segments (C2).
Phases, as fractions of ``T``:

- lunge, with front (working) leg F: 0-0.15 F thigh swings forward to 30 deg as the foot
  steps out; 0.15-0.45 descent: F thigh flexes to ``depth_deg``, the rear thigh extends to
  ``-rear_extension_deg``, the pelvis lowers by ``drop_m`` and travels forward by
  ``forward_travel_m``; 0.45-0.55 bottom; 0.55-0.85 ascent back to the start position;
  0.85-1.0 F thigh back to 0.
- squat: 0-0.45 both thighs flex to ``depth_deg`` together while the pelvis lowers by
  ``drop_m``, moves back by ``backward_travel_m`` and tilts forward by ``tilt_deg``;
  0.45-0.55 bottom; 0.55-1.0 back up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensorlab.simulate.body import STANDING_HIP_HEIGHT_M, BodyMotion
from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS, SensorSettings
from sensorlab.simulate.profiles import KeyframeTrack
from sensorlab.simulate.session import SimulatedSession, record_session, split_rng
from sensorlab.simulate.truth import SIDE_SIGN

DRILLS = ("lunge", "squat")


@dataclass(frozen=True)
class DrillSettings:
    """A session of lunges or squats.

    Attributes
    ----------
    kind : {"lunge", "squat"}
        Forward lunges (alternating front legs, right first) or bilateral squats.
    reps : int
        Number of repetitions.
    rep_duration_s : float
        Nominal rep duration, s; each varies by up to ``rep_duration_variation``
        (fraction, uniform).
    pause_range_s : tuple of float
        Standing between reps, uniform in this range, s.
    depth_deg : float
        Peak thigh sagittal angle of the working (lunge) or both (squat) thighs, degrees.
    rear_extension_deg : float
        Lunge: extension of the rear thigh at the bottom, degrees (positive number).
    drop_m : float
        How far the pelvis lowers at the bottom, m.
    forward_travel_m, backward_travel_m : float
        Lunge: pelvis travel forward over the front foot; squat: hips back, m.
    tilt_deg : float
        Anterior pelvic tilt at the bottom, degrees.
    obliquity_deg : float
        Lunge: pelvic obliquity toward the rear side at the bottom, degrees.
    standing_start_s, standing_end_s : float
        Quiet standing before the first and after the last rep, s.
    hip_height_m : float
        Standing height of the pelvis origin, m.
    """

    kind: str = "lunge"
    reps: int = 12
    rep_duration_s: float = 3.0
    rep_duration_variation: float = 0.1
    pause_range_s: tuple[float, float] = (0.8, 1.6)
    depth_deg: float = 80.0
    rear_extension_deg: float = 20.0
    drop_m: float = 0.35
    forward_travel_m: float = 0.35
    backward_travel_m: float = 0.15
    tilt_deg: float = 8.0
    obliquity_deg: float = 2.0
    standing_start_s: float = 4.0
    standing_end_s: float = 2.0
    hip_height_m: float = STANDING_HIP_HEIGHT_M

    def __post_init__(self) -> None:
        if self.kind not in DRILLS:
            raise ValueError(f"kind must be one of {', '.join(DRILLS)}, not {self.kind!r}")
        if self.reps < 1:
            raise ValueError("a drill session needs at least one rep")


def _put(track: KeyframeTrack, t0_s: float, span_s: float, frames) -> None:
    for fraction, value in frames:
        track.add(t0_s + fraction * span_s, value)


def simulate_drill(
    settings: DrillSettings = DrillSettings(),
    sensor_settings: SensorSettings = DEFAULT_SENSOR_SETTINGS,
    seed: int | None = 0,
) -> SimulatedSession:
    """Simulate a lunge or squat session (the truth has no reps or steps: not analysed).

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
        ``recording`` with activity ``settings.kind``, and its truth.
    """
    s = settings
    rng, sensors_rng = split_rng(seed)
    names = ("x", "y", "z", "tilt", "obliquity", "rotation")
    pelvis = {name: KeyframeTrack() for name in names}
    flexion = {side: KeyframeTrack() for side in SIDE_SIGN}
    t = s.standing_start_s
    for k in range(s.reps):
        if k > 0:
            t += rng.uniform(*s.pause_range_s)
        T = s.rep_duration_s * (1.0 + rng.uniform(-1, 1) * s.rep_duration_variation)
        tilt = [(0.15, 0), (0.45, s.tilt_deg), (0.55, s.tilt_deg), (0.85, 0)]
        down = [(0.15, 0), (0.45, -s.drop_m), (0.55, -s.drop_m), (0.85, 0)]
        if s.kind == "lunge":
            front = ("right", "left")[k % 2]
            rear = "left" if front == "right" else "right"
            _put(flexion[front], t, T, [(0, 0), (0.15, 30), (0.45, s.depth_deg)])
            _put(flexion[front], t, T, [(0.55, s.depth_deg), (0.85, 30), (1.0, 0)])
            rear_frames = [(0.10, 0), (0.45, -s.rear_extension_deg)]
            _put(flexion[rear], t, T, [*rear_frames, (0.55, -s.rear_extension_deg), (0.9, 0)])
            travel = s.forward_travel_m
            _put(pelvis["x"], t, T, [(0.05, 0), (0.45, travel), (0.55, travel), (0.9, 0)])
            # The pelvis drops toward the rear (unloaded) side: obliquity sign as for a
            # drop opposite the front leg.
            drop = SIDE_SIGN[front] * s.obliquity_deg
            _put(pelvis["obliquity"], t, T, [(0.15, 0), (0.45, drop), (0.55, drop), (0.85, 0)])
        else:
            for side in SIDE_SIGN:
                frames = [(0, 0), (0.45, s.depth_deg), (0.55, s.depth_deg), (1.0, 0)]
                _put(flexion[side], t, T, frames)
            back = -s.backward_travel_m
            _put(pelvis["x"], t, T, [(0.05, 0), (0.45, back), (0.55, back), (0.95, 0)])
            tilt = [(0, 0), (0.45, s.tilt_deg), (0.55, s.tilt_deg), (1.0, 0)]
            down = [(0.05, 0), (0.45, -s.drop_m), (0.55, -s.drop_m), (0.95, 0)]
        _put(pelvis["tilt"], t, T, tilt)
        _put(pelvis["z"], t, T, down)
        t += T
    duration_s = t + s.standing_end_s
    rad = np.pi / 180.0
    zero = KeyframeTrack().path()
    motion = BodyMotion(
        pelvis_x=pelvis["x"].path(),
        pelvis_y=pelvis["y"].path(),
        pelvis_z=pelvis["z"].path(offset=s.hip_height_m),
        pelvis_tilt=pelvis["tilt"].path(rad),
        pelvis_obliquity=pelvis["obliquity"].path(rad),
        pelvis_rotation=pelvis["rotation"].path(rad),
        left_flexion=flexion["left"].path(rad),
        left_adduction=zero,
        right_flexion=flexion["right"].path(rad),
        right_adduction=zero,
    )
    return record_session(
        motion,
        activity=s.kind,
        duration_s=duration_s,
        sensor_settings=sensor_settings,
        sensors_rng=sensors_rng,
        seed=seed,
        activity_settings=s,
    )
