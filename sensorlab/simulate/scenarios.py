"""Named, seeded sessions for tests, demos and benchmarks.

Each preset is a function of the seed (and of the length or rate where that makes sense)
returning a :class:`~sensorlab.simulate.session.SimulatedSession`. Sensors use
:data:`~sensorlab.simulate.imu.DEFAULT_SENSOR_SETTINGS` except where a preset says
otherwise; all presets draw each strap error uniformly up to 20 deg. Those that take
``loss_fraction`` lose that fraction of each sensor's samples in bursts of 1-10 samples
(:attr:`~sensorlab.simulate.imu.SensorSettings.burst_loss_fraction`); the losses draw from
their own random stream, so the same seed with and without loss gives the same motion
and the same readings of every sample kept.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace

from sensorlab.simulate.drills import DrillSettings, drill_kinds, profile, simulate_drill
from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS, SensorSettings
from sensorlab.simulate.session import SimulatedSession
from sensorlab.simulate.step_up import SideSettings, StepUpSettings, simulate_step_ups
from sensorlab.simulate.walk import WalkSettings, simulate_walk

PRESET_MOUNT_ERROR_DEG = 20.0
"""Largest strap error in the presets, degrees (each sensor's is uniform up to this)."""


def _sensors(rate_hz: float, loss_fraction: float = 0.0, **changes) -> SensorSettings:
    return replace(
        DEFAULT_SENSOR_SETTINGS,
        rate_hz=rate_hz,
        burst_loss_fraction=loss_fraction,
        mount_error_deg=PRESET_MOUNT_ERROR_DEG,
        mount_error_uniform=True,
        **changes,
    )


def _reps_for(settings: StepUpSettings, duration_s: float | None, reps_per_side: int) -> int:
    """Reps per side that fill about ``duration_s`` (two sides, mean pauses)."""
    if duration_s is None:
        return reps_per_side
    overhead_s = settings.standing_start_s + settings.standing_end_s + settings.set_pause_s
    per_rep_s = settings.rep_duration_s + 0.5 * sum(settings.pause_range_s)
    return max(1, round((duration_s - overhead_s) / (2.0 * per_rep_s)))


ASYMMETRIC_STEP_UPS = StepUpSettings(
    pattern="sets",
    right=SideSettings(pelvic_drop_deg=6.0, peak_flexion_deg=68.0, adduction_excursion_deg=6.0),
    left=SideSettings(pelvic_drop_deg=3.0, peak_flexion_deg=64.0, adduction_excursion_deg=3.0),
)
"""Two sets, right first; the right working leg drops the pelvis 6 deg, the left 3 deg."""


def step_up_asymmetric(
    seed: int = 0,
    *,
    reps_per_side: int = 8,
    duration_s: float | None = None,
    rate_hz: float = 100.0,
    loss_fraction: float = 0.0,
) -> SimulatedSession:
    """Step-ups in two sets with a weaker right side (drop 6 vs 3 deg).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``.
    reps_per_side : int
        Completed reps per side (ignored when ``duration_s`` is given).
    duration_s : float, optional
        Approximate session length, s: sets ``reps_per_side`` to fill it.
    rate_hz : float
        Sampling rate of every sensor, Hz.
    loss_fraction : float
        Fraction of each sensor's samples lost in bursts of 1-10 samples.
    """
    settings = replace(
        ASYMMETRIC_STEP_UPS, reps_per_side=_reps_for(ASYMMETRIC_STEP_UPS, duration_s, reps_per_side)
    )
    return simulate_step_ups(settings, _sensors(rate_hz, loss_fraction), seed)


def step_up_alternating(
    seed: int = 0,
    *,
    reps_per_side: int = 8,
    rate_hz: float = 100.0,
    loss_fraction: float = 0.0,
) -> SimulatedSession:
    """Step-ups with alternating lead legs, right first, symmetric 4 deg drops.

    ``loss_fraction`` as in :func:`step_up_asymmetric`.
    """
    settings = StepUpSettings(pattern="alternating", reps_per_side=reps_per_side)
    return simulate_step_ups(settings, _sensors(rate_hz, loss_fraction), seed)


def step_up_messy(
    seed: int = 0, *, reps_per_side: int = 6, rate_hz: float = 100.0
) -> SimulatedSession:
    """Asymmetric step-up sets with distractors.

    Two aborted attempts, fidgets in most pauses, 1% random sample loss, two 25-sample loss bursts
    per sensor, 2 ms host-time error.
    """
    settings = replace(
        ASYMMETRIC_STEP_UPS,
        reps_per_side=reps_per_side,
        aborted_reps=(1, reps_per_side + 2),
        fidget_probability=0.7,
    )
    sensors = _sensors(
        rate_hz,
        drop_fraction=0.01,
        burst_count=2,
        burst_length_samples=25,
        host_time_error_s=0.002,
    )
    return simulate_step_ups(settings, sensors, seed)


def walk_symmetric(
    seed: int = 0, *, duration_s: float = 60.0, rate_hz: float = 100.0, loss_fraction: float = 0.0
) -> SimulatedSession:
    """Steady walking at 108 steps/min, symmetric 4 deg drops.

    ``loss_fraction`` as in :func:`step_up_asymmetric`.
    """
    return simulate_walk(
        WalkSettings(duration_s=duration_s), _sensors(rate_hz, loss_fraction), seed
    )


def walk_asymmetric(
    seed: int = 0, *, duration_s: float = 60.0, rate_hz: float = 100.0, loss_fraction: float = 0.0
) -> SimulatedSession:
    """Walking with asymmetric step times and pelvic drops.

    Right step time 1.1 x the left one and drops of 5 (right stance) vs 2.5 deg (left stance);
    ``loss_fraction`` as in :func:`step_up_asymmetric`.
    """
    settings = WalkSettings(
        duration_s=duration_s,
        step_time_ratio=1.1,
        right_pelvic_drop_deg=5.0,
        left_pelvic_drop_deg=2.5,
    )
    return simulate_walk(settings, _sensors(rate_hz, loss_fraction), seed)


def lunges(seed: int = 0, *, rate_hz: float = 100.0) -> SimulatedSession:
    """12 forward lunges to 80 deg, alternating front legs, without a calibration walk."""
    return simulate_drill(DrillSettings(kind="lunge"), _sensors(rate_hz), seed)


def squats(seed: int = 0, *, rate_hz: float = 100.0) -> SimulatedSession:
    """12 bilateral squats to 80 deg, without a calibration walk."""
    return simulate_drill(DrillSettings(kind="squat"), _sensors(rate_hz), seed)


def _drill_asymmetric(kind: str) -> Callable[..., SimulatedSession]:
    def make(seed: int = 0, *, rate_hz: float = 100.0, loss_fraction: float = 0.0):
        normal = profile(kind).DEFAULT_SIDE
        weak = replace(
            normal,
            depth_deg=0.9 * normal.depth_deg,
            pelvic_drop_deg=2.0 * normal.pelvic_drop_deg,
            adduction_deg=1.8 * normal.adduction_deg,
            tilt_deg=1.3 * normal.tilt_deg,
            rotation_deg=1.5 * normal.rotation_deg,
            other_thigh_deg=0.85 * normal.other_thigh_deg,
        )
        settings = DrillSettings(
            kind=kind, reps=12, left=normal, right=weak, calibration_walk_steps=10
        )
        return simulate_drill(settings, _sensors(rate_hz, loss_fraction), seed)

    make.__doc__ = (
        f"10 steps of walking, then 12 reps of {kind.replace('_', ' ')}, the right side "
        "weaker: twice the pelvic drop, 1.8 times the adduction, 10 % less depth."
    )
    return make


SCENARIOS: dict[str, Callable[..., SimulatedSession]] = {
    "step_up_asymmetric": step_up_asymmetric,
    "step_up_alternating": step_up_alternating,
    "step_up_messy": step_up_messy,
    "walk_symmetric": walk_symmetric,
    "walk_asymmetric": walk_asymmetric,
    "lunges": lunges,
    "squats": squats,
    **{f"{kind}_asymmetric": _drill_asymmetric(kind) for kind in drill_kinds()},
}
"""Every preset by name; each takes ``seed`` first."""


def make_scenario(
    name: str,
    seed: int = 0,
    *,
    duration_s: float | None = None,
    rate_hz: float | None = None,
    loss_fraction: float | None = None,
) -> SimulatedSession:
    """The preset ``name``.

    Passing ``duration_s``, ``rate_hz`` and ``loss_fraction`` where it takes them.

    Raises
    ------
    KeyError
        For an unknown name.
    """
    make = SCENARIOS[name]
    accepted = inspect.signature(make).parameters
    options = {"duration_s": duration_s, "rate_hz": rate_hz, "loss_fraction": loss_fraction}
    return make(seed, **{k: v for k, v in options.items() if k in accepted and v is not None})


def with_asymmetry(
    activity: str,
    drop_si_pct: float,
    seed: int = 0,
    *,
    duration_s: float | None = None,
    rate_hz: float = 100.0,
    mean_drop_deg: float = 4.5,
    loss_fraction: float = 0.0,
) -> SimulatedSession:
    """A session whose pelvic drop has a chosen Robinson symmetry index.

    Parameters
    ----------
    activity : {"step_up", "walk"}
        Step-ups in two sets, or a walk.
    drop_si_pct : float
        Target SI of the pelvic drop, %: positive when the right working (or stance) leg
        lets the pelvis drop more. The two drops are ``mean * (1 -/+ SI / 200)``.
    seed : int
        Seed of ``numpy.random.default_rng``.
    duration_s : float, optional
        Approximate length, seconds.
    rate_hz : float
        Sensor rate, Hz.
    mean_drop_deg : float
        Mean of the two sides' drops, degrees.
    loss_fraction : float
        Fraction of each sensor's samples lost in bursts of 1-10 samples.
    """
    left = mean_drop_deg * (1 - drop_si_pct / 200.0)
    right = mean_drop_deg * (1 + drop_si_pct / 200.0)
    if activity == "walk":
        walk = WalkSettings(
            duration_s=duration_s or 60.0, left_pelvic_drop_deg=left, right_pelvic_drop_deg=right
        )
        return simulate_walk(walk, _sensors(rate_hz, loss_fraction), seed)
    step_ups = replace(
        ASYMMETRIC_STEP_UPS,
        left=replace(ASYMMETRIC_STEP_UPS.left, pelvic_drop_deg=left),
        right=replace(ASYMMETRIC_STEP_UPS.right, pelvic_drop_deg=right),
    )
    step_ups = replace(step_ups, reps_per_side=_reps_for(step_ups, duration_s, 8))
    return simulate_step_ups(step_ups, _sensors(rate_hz, loss_fraction), seed)
