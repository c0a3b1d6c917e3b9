"""Realistic :class:`~sensorlab.records.SessionAnalysis` objects for the summary and report tests.

They stand in for the real analysis: kinematics with plausible shapes (a 0 -> ~65 deg thigh
bump per step-up rep, a pelvic-obliquity dip toward the side opposite the working leg,
alternating thigh swings and stance-side obliquity bumps for walks), and per-rep or per-step
results drawn from seeded normal distributions around stated means. The tests compute what
they expect from these *inputs* (the result records), never from the code's output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

from sensorlab.records import (
    GaitResult,
    Kinematics,
    RepResult,
    SensorCalibration,
    SensorQuality,
    SessionAnalysis,
    StepResult,
)

RATE_HZ = 100.0
QUIET_S = 3.0

STEP_UP_MEANS: dict[str, dict[str, float]] = {
    "left": {
        "thigh_rom_deg": 64.0,
        "pelvic_drop_deg": 3.0,
        "pelvic_tilt_range_deg": 5.0,
        "peak_thigh_velocity_dps": 185.0,
        "up_duration_s": 1.25,
        "down_duration_s": 1.45,
        "thigh_adduction_excursion_deg": 4.0,
        "pelvic_rate_rms_dps": 7.0,
    },
    "right": {
        "thigh_rom_deg": 66.0,
        "pelvic_drop_deg": 6.0,
        "pelvic_tilt_range_deg": 8.0,
        "peak_thigh_velocity_dps": 190.0,
        "up_duration_s": 1.30,
        "down_duration_s": 1.40,
        "thigh_adduction_excursion_deg": 7.0,
        "pelvic_rate_rms_dps": 10.0,
    },
}
"""Per-side means of the step-up fixture: right pelvic drop ~6 deg, left ~3 deg."""

STEP_UP_SDS: dict[str, float] = {
    "thigh_rom_deg": 2.0,
    "pelvic_drop_deg": 0.5,
    "pelvic_tilt_range_deg": 0.8,
    "peak_thigh_velocity_dps": 10.0,
    "up_duration_s": 0.08,
    "down_duration_s": 0.08,
    "thigh_adduction_excursion_deg": 0.6,
    "pelvic_rate_rms_dps": 0.8,
}


def _bump(u: np.ndarray, center: float, half_width: float) -> np.ndarray:
    """Raised-cosine bump: 1 at ``center``, 0 beyond ``half_width`` from it."""
    x = (u - center) / half_width
    return np.where(np.abs(x) < 1.0, 0.5 * (1.0 + np.cos(np.pi * x)), 0.0)


def _calibration() -> dict[str, SensorCalibration]:
    spec = {
        "pelvis": (0.93, 4.2, ("Heading axis estimated from the movement.",)),
        "left_thigh": (0.88, 11.6, ()),
        "right_thigh": (
            0.46,
            22.8,
            ("The standing pose was not still; the gravity direction is less certain.",),
        ),
    }
    return {
        p: SensorCalibration(
            placement=p,
            static_span_s=(0.0, QUIET_S),
            gyro_bias_dps=np.array([0.3, -0.2, 0.1]),
            sensor_to_segment=np.eye(3),
            mount_correction_deg=corr,
            quality=q,
            notes=notes,
        )
        for p, (q, corr, notes) in spec.items()
    }


def _quality(duration_s: float, rate_hz: float) -> dict[str, SensorQuality]:
    n = int(round(duration_s * rate_hz))
    lost = {"pelvis": 0, "left_thigh": 37, "right_thigh": int(0.031 * n)}
    return {
        p: SensorQuality(
            placement=p,
            samples=n - k,
            lost=k,
            dropped=2 if p == "pelvis" else 0,
            rate_hz=rate_hz - (0.4 if p == "right_thigh" else 0.0),
            nominal_rate_hz=rate_hz,
        )
        for p, k in lost.items()
    }


def _empty_kinematics(duration_s: float, rate_hz: float, rng: np.random.Generator) -> dict:
    t = np.arange(int(round(duration_s * rate_hz))) / rate_hz
    noise = 0.15
    return {
        "t_s": t,
        "pelvis_tilt_deg": rng.normal(0.0, noise, t.size),
        "pelvis_obliquity_deg": rng.normal(0.0, noise, t.size),
        "pelvis_rotation_deg": rng.normal(0.0, noise, t.size),
        "left_thigh_sagittal_deg": rng.normal(0.0, noise, t.size),
        "right_thigh_sagittal_deg": rng.normal(0.0, noise, t.size),
        "left_thigh_adduction_deg": rng.normal(0.0, noise, t.size),
        "right_thigh_adduction_deg": rng.normal(0.0, noise, t.size),
    }


def make_step_up_analysis(
    sets: Sequence[tuple[str, int]] = (("right", 8), ("left", 8)),
    *,
    means: Mapping[str, Mapping[str, float]] = STEP_UP_MEANS,
    sd_scale: float = 1.0,
    rest_s: float = 6.0,
    min_duration_s: float = 0.0,
    rate_hz: float = RATE_HZ,
    seed: int = 0,
    source: str = "step_up_fixture.csv",
    activity: str = "step_up",
    warnings: Sequence[str] = ("Fixture: the right thigh strap slipped at 61 s.",),
    data_gap_s: Mapping[int, float] | None = None,
) -> SessionAnalysis:
    """A step-up session: sets of reps led by one side, separated by rests.

    Parameters
    ----------
    sets : sequence of (side, n_reps)
        The sets in order. ``()`` gives a session without reps.
    means : mapping
        Per side, the mean of every rep metric (see :data:`STEP_UP_MEANS`).
    sd_scale : float
        Multiplies :data:`STEP_UP_SDS`; 0 gives identical reps.
    rest_s : float
        Pause between reps of different sets, seconds (0.5 s between reps of one set).
    min_duration_s : float
        Pad the end with quiet standing up to this duration (for long sessions).
    rate_hz, seed, source, activity, warnings
        As they say.
    data_gap_s : mapping of int to float, optional
        Lost-data seconds of some reps, by 0-based rep index (the others have none).
    """
    rng = np.random.default_rng(seed)
    plan: list[tuple[int, str, float, dict[str, float]]] = []
    t = QUIET_S
    for set_index, (side, n_reps) in enumerate(sets):
        if set_index:
            t += rest_s
        for _ in range(n_reps):
            values = {
                key: float(mean + sd_scale * STEP_UP_SDS[key] * rng.standard_normal())
                for key, mean in means[side].items()
            }
            plan.append((set_index, side, t, values))
            t += values["up_duration_s"] + values["down_duration_s"] + 0.5
    duration_s = max(t + QUIET_S, min_duration_s)
    k = _empty_kinematics(duration_s, rate_hz, rng)
    time = k["t_s"]
    reps = []
    for index, (set_index, side, t0, v) in enumerate(plan):
        rep_s = v["up_duration_s"] + v["down_duration_s"]
        i0, i1 = np.searchsorted(time, [t0, t0 + rep_s])
        u = (time[i0:i1] - t0) / rep_s
        other = "left" if side == "right" else "right"
        # Lead thigh: lift onto the box (full range), drive up, flex again while the
        # trailing leg lowers. Trailing thigh: comes up onto the box, then steps down first.
        k[f"{side}_thigh_sagittal_deg"][i0:i1] += v["thigh_rom_deg"] * (
            _bump(u, 0.25, 0.25) + 0.55 * _bump(u, 0.72, 0.2)
        )
        k[f"{other}_thigh_sagittal_deg"][i0:i1] += 22.0 * _bump(u, 0.45, 0.15) + 14.0 * _bump(
            u, 0.85, 0.12
        )
        # Obliquity is positive when the right side is lower: a right-leg rep drops the left.
        sign = -1.0 if side == "right" else 1.0
        k["pelvis_obliquity_deg"][i0:i1] += sign * v["pelvic_drop_deg"] * _bump(u, 0.45, 0.3)
        k["pelvis_tilt_deg"][i0:i1] += v["pelvic_tilt_range_deg"] * _bump(u, 0.3, 0.3)
        k[f"{side}_thigh_adduction_deg"][i0:i1] += v["thigh_adduction_excursion_deg"] * _bump(
            u, 0.45, 0.25
        )
        reps.append(
            RepResult(
                index=index,
                set_index=set_index,
                side=side,
                t_start=t0,
                t_end=t0 + rep_s,
                data_gap_s=float((data_gap_s or {}).get(index, 0.0)),
                **v,
            )
        )
    return SessionAnalysis(
        source=source,
        activity=activity,
        duration_s=float(duration_s),
        kinematics=Kinematics(**k),
        reps=reps,
        steps=[],
        gait=None,
        calibration=_calibration(),
        quality=_quality(duration_s, rate_hz),
        warnings=list(warnings),
    )


def make_walk_analysis(
    n_steps: int = 100,
    *,
    step_time_s: Mapping[str, float] = {"left": 0.55, "right": 0.60},
    pelvic_drop_deg: Mapping[str, float] = {"left": 4.0, "right": 7.0},
    jitter_s: float = 0.015,
    drop_sd_deg: float = 0.6,
    rate_hz: float = RATE_HZ,
    seed: int = 1,
    source: str = "walk_fixture.csv",
    warnings: Sequence[str] = (),
) -> SessionAnalysis:
    """A straight walk: alternating steps starting with the left foot.

    ``step_time_s[side]`` is the mean interval ending on that side's contact;
    ``pelvic_drop_deg[side]`` the mean contralateral drop during that side's stance.
    """
    rng = np.random.default_rng(seed)
    sides = ["left" if i % 2 == 0 else "right" for i in range(n_steps)]
    times = [QUIET_S + 1.0] if n_steps else []
    intervals: list[float | None] = [None] if n_steps else []
    for side in sides[1:]:
        dt = float(step_time_s[side] + jitter_s * rng.standard_normal())
        intervals.append(dt)
        times.append(times[-1] + dt)
    drops = [float(pelvic_drop_deg[s] + drop_sd_deg * rng.standard_normal()) for s in sides]
    duration_s = (times[-1] if times else QUIET_S) + 1.0 + QUIET_S
    k = _empty_kinematics(duration_s, rate_hz, rng)
    time = k["t_s"]
    if n_steps:
        t_first, t_last = times[0], times[-1] + 0.6
        walking = (time >= t_first) & (time < t_last)
        for side in ("left", "right"):
            ics = np.array([t for t, s in zip(times, sides, strict=True) if s == side])
            if ics.size == 0:
                continue
            stride = np.diff(ics).mean() if ics.size > 1 else 1.15
            ics_ext = np.concatenate([ics, [ics[-1] + stride]])
            j = np.clip(np.searchsorted(ics_ext, time, side="right") - 1, 0, ics_ext.size - 2)
            phase = (time - ics_ext[j]) / (ics_ext[j + 1] - ics_ext[j])
            # Thigh flexed ~25 deg at initial contact, extended ~-10 deg at push-off.
            swing = 7.5 + 17.5 * np.cos(2 * np.pi * phase)
            k[f"{side}_thigh_sagittal_deg"] += np.where(walking, swing, 0.0)
            k[f"{side}_thigh_adduction_deg"] += np.where(
                walking, 1.5 * np.sin(2 * np.pi * phase), 0.0
            )
        k["pelvis_tilt_deg"] += np.where(walking, 1.5 * np.sin(4 * np.pi * time / 1.15), 0.0)
        for i, (t0, side) in enumerate(zip(times, sides, strict=True)):
            t1 = times[i + 1] if i + 1 < n_steps else t0 + step_time_s[side]
            i0, i1 = np.searchsorted(time, [t0, t1])
            u = (time[i0:i1] - t0) / (t1 - t0)
            sign = -1.0 if side == "right" else 1.0
            k["pelvis_obliquity_deg"][i0:i1] += sign * drops[i] * _bump(u, 0.4, 0.4)
    steps = [
        StepResult(side=s, t=t, pelvic_drop_deg=d, step_time_s=dt)
        for s, t, d, dt in zip(sides, times, drops, intervals, strict=True)
    ]
    gait = None
    if n_steps:
        per_side = {
            side: [dt for s, dt in zip(sides, intervals, strict=True) if s == side and dt]
            for side in ("left", "right")
        }
        walking_s = times[-1] - times[0]
        gait = GaitResult(
            steps_per_side={side: sides.count(side) for side in ("left", "right")},
            cadence_spm=60.0 * (n_steps - 1) / walking_s if walking_s > 0 else float("nan"),
            step_time_s={
                side: float(np.mean(v)) if v else float("nan") for side, v in per_side.items()
            },
            step_regularity=0.84,
            stride_regularity=0.91,
            walking_s=walking_s,
        )
    return SessionAnalysis(
        source=source,
        activity="walk",
        duration_s=float(duration_s),
        kinematics=Kinematics(**k),
        reps=[],
        steps=steps,
        gait=gait,
        calibration=_calibration(),
        quality=_quality(duration_s, rate_hz),
        warnings=list(warnings),
    )


def make_long_step_up_analysis(duration_s: float = 3600.0, seed: int = 2) -> SessionAnalysis:
    """One hour at 100 Hz: 20 sets of 8 reps, alternating sides, with long rests."""
    sets = [("right" if i % 2 == 0 else "left", 8) for i in range(20)]
    return make_step_up_analysis(
        sets, rest_s=150.0, min_duration_s=duration_s, seed=seed, source="long_fixture.csv"
    )


@lru_cache(maxsize=1)
def messy_step_up_analysis() -> SessionAnalysis:
    """The real pipeline on the simulator's ``step_up_messy`` session (seed 0): sample
    losses in bursts, so some reps carry ``data_gap_s`` above zero. Cached: about 2 s."""
    from sensorlab.processing.pipeline import analyze
    from sensorlab.simulate import SCENARIOS

    return analyze(SCENARIOS["step_up_messy"](0).recording)


@lru_cache(maxsize=1)
def real_walk_analysis() -> SessionAnalysis:
    """The real pipeline on a 20 s ``walk_asymmetric`` simulation (seed 0)."""
    from sensorlab.processing.pipeline import analyze
    from sensorlab.simulate import SCENARIOS

    return analyze(SCENARIOS["walk_asymmetric"](0, duration_s=20.0).recording)
