"""Step-up sessions: quiet standing, reps onto a box (sets or alternating), standing.

Each rep of duration ``T`` with lead (working) leg L is a set of keyframes joined by
minimum-jerk segments (C2). Phases, as fractions of ``T``:

- 0-0.20: L thigh flexes to its peak (foot onto the box); trail leg and pelvis still.
- 0.20-0.45: drive up: L thigh extends to 3 deg, pelvis rises by the box height and moves
  forward; the trail thigh pushes off (-12 deg), flexes to 40 deg and is back to 0 by
  0.50. Single-leg support on L from trail toe-off (0.27) to trail foot on the box (0.46):
  the pelvis drops on the trail side, tilts anteriorly, and the L thigh adducts.
- 0.45-0.55: standing on the box (``t_top`` = 0.45: body fully up).
- 0.55-0.80: step down, trail leg first and backward: L thigh flexes to 35 deg, trail
  thigh extends to -12 deg and reaches the floor at 0.78; pelvis lowers and goes back;
  single-leg support on L from 0.57 to 0.78 with the same drop, tilt and adduction bumps.
- 0.80-1.00: L thigh flexes to 40 deg lifting off the box and returns to 0; standing.

Randomness (rep durations, pauses, per-rep variation, fidgets) comes from the activity
stream of ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensorlab.simulate.body import STANDING_HIP_HEIGHT_M, BodyMotion
from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS, SensorSettings
from sensorlab.simulate.profiles import KeyframeTrack
from sensorlab.simulate.session import SimulatedSession, record_session, split_rng
from sensorlab.simulate.truth import SIDE_SIGN, AbortedAttempt, RepTruth, measure_rep

TOP_FRACTION = 0.45
"""End of the drive (body fully up on the box), fraction of the rep."""

LOAD_WINDOWS = ((0.27, 0.46), (0.57, 0.78))
"""Single-leg support on the lead leg (drive, step down), fractions of the rep."""

ABORTED_DURATION_FRACTION = 0.5
"""Duration of an aborted attempt relative to ``rep_duration_s``."""

_FIDGET_MIN_PAUSE_S = 1.0


@dataclass(frozen=True)
class SideSettings:
    """How a rep looks with this leg as the lead (working) leg.

    Attributes
    ----------
    peak_flexion_deg : float
        Lead thigh sagittal angle when the foot is placed on the box, degrees.
    pelvic_drop_deg : float
        Pelvic obliquity toward the trail side under single-leg load, degrees.
    tilt_excursion_deg : float
        Anterior pelvic tilt excursion during drive and step down, degrees.
    adduction_excursion_deg : float
        Lead thigh adduction under load, degrees.
    """

    peak_flexion_deg: float = 65.0
    pelvic_drop_deg: float = 4.0
    tilt_excursion_deg: float = 6.0
    adduction_excursion_deg: float = 4.0


@dataclass(frozen=True)
class StepUpSettings:
    """A step-up session.

    Attributes
    ----------
    pattern : {"sets", "alternating"} or tuple of str
        ``"sets"``: ``reps_per_side`` reps with ``first_side`` leading, a ``set_pause_s``
        pause, then the other side. ``"alternating"``: sides alternate, starting with
        ``first_side``, ``2 * reps_per_side`` reps. Or an explicit sequence of
        ``"left"``/``"right"`` lead legs.
    reps_per_side : int
        Completed reps per side (for the two named patterns).
    first_side : {"right", "left"}
        Lead leg of the first rep (named patterns).
    left, right : SideSettings
        Rep shape with that leg leading.
    rep_duration_s : float
        Nominal rep duration, s; each rep varies by up to ``rep_duration_variation``
        (fraction, uniform).
    pause_range_s : tuple of float
        Standing between reps, uniform in this range, s.
    set_pause_s : float
        Standing between the two sets of the ``"sets"`` pattern, s.
    box_height_m, forward_travel_m, lateral_shift_m : float
        Pelvis rise, forward travel onto the box, and shift toward the lead leg, m.
    pelvic_rotation_deg : float
        Pelvic rotation bump (lead hip forward) in drive and step down, degrees.
    flexion_variation_deg, drop_variation_deg, tilt_variation_deg, adduction_variation_deg
        Per-rep uniform variation of the side's values, +- degrees.
    aborted_reps : tuple of int
        Positions in the rep sequence before which an aborted attempt happens (lead thigh
        0 -> ``aborted_peak_flexion_deg`` -> 0, body never rises; not a rep). A position
        may repeat; ``len(sequence)`` means after the last rep.
    aborted_peak_flexion_deg : float
        Thigh peak of an aborted attempt, degrees.
    fidget_probability : float
        Chance that a pause of at least 1 s holds a fidget: a small weight shift, a thigh
        movement under 10 deg and an obliquity wobble under 2 deg.
    standing_start_s, standing_end_s : float
        Quiet standing before the first and after the last movement, s.
    hip_height_m : float
        Standing height of the pelvis origin, m.
    """

    pattern: str | tuple[str, ...] = "sets"
    reps_per_side: int = 8
    first_side: str = "right"
    left: SideSettings = SideSettings()
    right: SideSettings = SideSettings()
    rep_duration_s: float = 3.0
    rep_duration_variation: float = 0.10
    pause_range_s: tuple[float, float] = (0.6, 1.5)
    set_pause_s: float = 8.0
    box_height_m: float = 0.25
    forward_travel_m: float = 0.30
    lateral_shift_m: float = 0.04
    pelvic_rotation_deg: float = 2.0
    flexion_variation_deg: float = 2.0
    drop_variation_deg: float = 0.3
    tilt_variation_deg: float = 0.5
    adduction_variation_deg: float = 0.5
    aborted_reps: tuple[int, ...] = ()
    aborted_peak_flexion_deg: float = 60.0
    fidget_probability: float = 0.0
    standing_start_s: float = 4.0
    standing_end_s: float = 2.0
    hip_height_m: float = STANDING_HIP_HEIGHT_M

    def side_sequence(self) -> list[str]:
        """Lead legs of the completed reps, in order."""
        if isinstance(self.pattern, tuple | list):
            sides = list(self.pattern)
        else:
            other = "left" if self.first_side == "right" else "right"
            if self.pattern == "sets":
                sides = [self.first_side] * self.reps_per_side + [other] * self.reps_per_side
            elif self.pattern == "alternating":
                sides = [self.first_side, other] * self.reps_per_side
            else:
                raise ValueError(
                    f"pattern must be 'sets', 'alternating' or a sequence of sides, "
                    f"not {self.pattern!r}"
                )
        if not sides:
            raise ValueError("a step-up session needs at least one rep")
        bad = [s for s in sides if s not in SIDE_SIGN]
        if bad or self.first_side not in SIDE_SIGN:
            raise ValueError(f"sides must be 'left' or 'right', got {bad or self.first_side!r}")
        if any(not 0 <= k <= len(sides) for k in self.aborted_reps):
            raise ValueError(f"aborted_reps positions must be within 0..{len(sides)}")
        return sides


DEFAULT_STEP_UP_SETTINGS = StepUpSettings()
"""8 reps per side in two sets, right first, symmetric 4 deg drops."""


class _Tracks:
    """Keyframe tracks of every degree of freedom (angles in deg here, metres)."""

    def __init__(self, hip_height_m: float) -> None:
        self.hip_height_m = hip_height_m
        names = ("x", "y", "z", "tilt", "obliquity", "rotation")
        self.pelvis = {name: KeyframeTrack() for name in names}
        self.flexion = {side: KeyframeTrack() for side in SIDE_SIGN}
        self.adduction = {side: KeyframeTrack() for side in SIDE_SIGN}

    @staticmethod
    def put(track: KeyframeTrack, t0_s: float, span_s: float, frames) -> None:
        for fraction, value in frames:
            track.add(t0_s + fraction * span_s, value)

    def motion(self) -> BodyMotion:
        rad = np.pi / 180.0
        return BodyMotion(
            pelvis_x=self.pelvis["x"].path(),
            pelvis_y=self.pelvis["y"].path(),
            pelvis_z=self.pelvis["z"].path(offset=self.hip_height_m),
            pelvis_tilt=self.pelvis["tilt"].path(rad),
            pelvis_obliquity=self.pelvis["obliquity"].path(rad),
            pelvis_rotation=self.pelvis["rotation"].path(rad),
            left_flexion=self.flexion["left"].path(rad),
            left_adduction=self.adduction["left"].path(rad),
            right_flexion=self.flexion["right"].path(rad),
            right_adduction=self.adduction["right"].path(rad),
        )


def _add_rep(tracks: _Tracks, t0: float, T: float, side: str, p: dict, s: StepUpSettings):
    trail = "left" if side == "right" else "right"
    sign = SIDE_SIGN[side]  # +1 left lead: +Y shift, +obliquity (right side lower)
    (a0, a1), (b0, b1) = LOAD_WINDOWS
    bump = p["adduction_excursion_deg"]
    drop = sign * p["pelvic_drop_deg"]
    put = tracks.put
    put(tracks.flexion[side], t0, T, [(0, 0), (0.20, p["peak_flexion_deg"]), (0.45, 3)])
    put(tracks.flexion[side], t0, T, [(0.55, 3), (0.80, 35), (0.88, 40), (1.0, 0)])
    put(tracks.flexion[trail], t0, T, [(0.20, 0), (a0, -12), (0.38, 40), (0.50, 0)])
    put(tracks.flexion[trail], t0, T, [(0.55, 0), (b1, -12), (0.95, 0)])
    for track, value in ((tracks.adduction[side], bump), (tracks.pelvis["obliquity"], drop)):
        put(track, t0, T, [(a0, 0), ((a0 + a1) / 2, value), (a1, 0)])
        put(track, t0, T, [(b0, 0), ((b0 + b1) / 2, value), (b1, 0)])
    rotation = -sign * s.pelvic_rotation_deg  # lead hip forward
    for track, value in (
        (tracks.pelvis["tilt"], p["tilt_excursion_deg"]),
        (tracks.pelvis["rotation"], rotation),
    ):
        put(track, t0, T, [(0.20, 0), (0.33, value), (0.46, 0)])
        put(track, t0, T, [(0.55, 0), (0.67, value), (0.80, 0)])
    put(tracks.pelvis["x"], t0, T, [(0.20, 0), (0.45, s.forward_travel_m)])
    put(tracks.pelvis["x"], t0, T, [(0.55, s.forward_travel_m), (0.88, 0)])
    put(tracks.pelvis["z"], t0, T, [(0.20, 0), (0.45, s.box_height_m)])
    put(tracks.pelvis["z"], t0, T, [(0.55, s.box_height_m), (0.80, 0)])
    shift = sign * s.lateral_shift_m
    put(tracks.pelvis["y"], t0, T, [(0.10, 0), (a0, shift), (b1, shift), (0.95, 0)])


def _add_fidget(tracks: _Tracks, t0: float, t1: float, rng: np.random.Generator) -> None:
    span = min(t1 - t0 - 0.2, 2.5)
    start = t0 + 0.1 + rng.uniform(0.0, t1 - t0 - 0.2 - span)
    side = ("left", "right")[rng.integers(2)]
    put = tracks.put
    put(tracks.flexion[side], start, span, [(0, 0), (0.5, rng.uniform(3.0, 9.0)), (1, 0)])
    wobble = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.8)
    put(tracks.pelvis["obliquity"], start, span, [(0, 0), (0.4, wobble), (0.8, 0)])
    sway = rng.choice([-1.0, 1.0]) * rng.uniform(0.005, 0.02)
    put(tracks.pelvis["y"], start, span, [(0, 0), (0.5, sway), (1, 0)])


def _draw_rep(s: StepUpSettings, side: str, rng: np.random.Generator) -> dict[str, float]:
    base = s.left if side == "left" else s.right
    return {
        "duration_s": s.rep_duration_s * (1.0 + rng.uniform(-1, 1) * s.rep_duration_variation),
        "peak_flexion_deg": base.peak_flexion_deg + rng.uniform(-1, 1) * s.flexion_variation_deg,
        "pelvic_drop_deg": base.pelvic_drop_deg + rng.uniform(-1, 1) * s.drop_variation_deg,
        "tilt_excursion_deg": base.tilt_excursion_deg + rng.uniform(-1, 1) * s.tilt_variation_deg,
        "adduction_excursion_deg": base.adduction_excursion_deg
        + rng.uniform(-1, 1) * s.adduction_variation_deg,
    }


def simulate_step_ups(
    activity_settings: StepUpSettings = DEFAULT_STEP_UP_SETTINGS,
    sensor_settings: SensorSettings = DEFAULT_SENSOR_SETTINGS,
    seed: int | None = 0,
) -> SimulatedSession:
    """Simulate a step-up session and its ground truth.

    Parameters
    ----------
    activity_settings : StepUpSettings
        The exercise.
    sensor_settings : SensorSettings
        The sensors.
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives identical output.

    Returns
    -------
    SimulatedSession
        ``recording`` (activity ``step_up``) and ``truth`` (reps, aborted attempts).
    """
    s = activity_settings
    sides = s.side_sequence()
    rng, sensors_rng = split_rng(seed)
    events = []  # (kind, side) in time order
    for k, side in enumerate(sides):
        events += [("aborted", side)] * s.aborted_reps.count(k) + [("rep", side)]
    events += [("aborted", sides[-1])] * s.aborted_reps.count(len(sides))

    tracks = _Tracks(s.hip_height_m)
    plans, aborted = [], []
    t = s.standing_start_s
    previous_side = None
    for k, (kind, side) in enumerate(events):
        if k > 0:
            block_change = s.pattern == "sets" and side != previous_side
            pause = s.set_pause_s if block_change else rng.uniform(*s.pause_range_s)
            if pause >= _FIDGET_MIN_PAUSE_S and rng.random() < s.fidget_probability:
                _add_fidget(tracks, t, t + pause, rng)
            t += pause
        if kind == "aborted":
            span = ABORTED_DURATION_FRACTION * s.rep_duration_s
            frames = [(0, 0), (0.4, s.aborted_peak_flexion_deg), (1, 0)]
            tracks.put(tracks.flexion[side], t, span, frames)
            aborted.append(AbortedAttempt(side=side, t_start=t, t_end=t + span))
        else:
            params = _draw_rep(s, side, rng)
            span = params["duration_s"]
            _add_rep(tracks, t, span, side, params, s)
            plans.append((side, t, span, params))
        previous_side = side
        t += span
    duration_s = t + s.standing_end_s

    motion = tracks.motion()
    reps: list[RepTruth] = []
    for side, t0, span, params in plans:
        set_index = 0 if not reps else reps[-1].set_index + (reps[-1].side != side)
        reps.append(
            measure_rep(
                motion,
                side=side,
                set_index=set_index,
                t_start=t0,
                t_end=t0 + span,
                t_top=t0 + TOP_FRACTION * span,
                load_windows=tuple((t0 + a * span, t0 + b * span) for a, b in LOAD_WINDOWS),
                prescribed=params,
            )
        )
    return record_session(
        motion,
        activity="step_up",
        duration_s=duration_s,
        sensor_settings=sensor_settings,
        sensors_rng=sensors_rng,
        seed=seed,
        reps=reps,
        aborted=aborted,
        activity_settings=activity_settings,
    )
