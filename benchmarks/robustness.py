"""How the rep counts hold up when people move differently from the presets.

The accuracy benchmarks (``benchmarks/drills.py``, ``benchmarks/accuracy.py``) vary the
sensors (rate, strap errors, loss); this one varies the *person*, as another simulator or
a real session would: each drill's asymmetric preset and the step-up, with

- tempo: reps 0.5x, 1.6x and 2.2x as long as the preset's;
- rests between reps: none (0-0.05 s: the next rep starts as the last ends), short
  (0.2-0.4 s);
- amplitude: every angle of the reps 0.8x (shallower) and 1.25x (deeper) the preset's;
- variation of durations and amplitudes from rep to rep: 25 % (the presets: 10 %);
- sides alternating rep by rep, or one set per side;
- the pose held between reps: a split squat's stance short or long, its rear thigh near
  vertical; a single-leg squat's free thigh forward, hanging or behind;
- no calibration walk before the drill (the README's protocol asks for one).

Per case and seed, ``analyze`` with the activity given, and again without it (neither
given nor in the sidecar: the analysis must find which movement it is): are the reps
counted, on their sides, as the truth has them, and is the movement found? Printed: per
movement, the number of exact sessions each way and the cases that were not.

Run: ``.venv/bin/python benchmarks/robustness.py [--seeds 2] [--movements squat step_up]``
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import fields, replace

from drills import preset_settings

from sensorlab.processing.movements import drill_names
from sensorlab.processing.pipeline import analyze
from sensorlab.simulate.drills import DrillSide, profile, simulate_drill
from sensorlab.simulate.step_up import SideSettings, StepUpSettings, simulate_step_ups

ANGLES = {
    DrillSide: [
        f.name for f in fields(DrillSide) if f.name.endswith("_deg") and f.name != "held_deg"
    ],
    SideSettings: [f.name for f in fields(SideSettings) if f.name.endswith("_deg")],
}


def scaled(side, factor: float):
    """``side`` (a :class:`DrillSide` or the step-up's :class:`SideSettings`) with every
    angle times ``factor``."""
    return replace(side, **{name: getattr(side, name) * factor for name in ANGLES[type(side)]})


def drill_cases(name: str) -> dict[str, object]:
    """The preset's :class:`DrillSettings` for each case."""
    base = preset_settings(name)
    nominal_s = profile(name).REP_DURATION_S
    sides = {side: getattr(base, side) or profile(name).DEFAULT_SIDE for side in ("left", "right")}
    cases = {
        "preset": base,
        "tempo x0.5": replace(base, rep_duration_s=0.5 * nominal_s),
        "tempo x1.6": replace(base, rep_duration_s=1.6 * nominal_s),
        "tempo x2.2": replace(base, rep_duration_s=2.2 * nominal_s),
        "no rest": replace(base, pause_range_s=(0.0, 0.05)),
        "short rest": replace(base, pause_range_s=(0.2, 0.4)),
        "angles x0.8": replace(base, **{s: scaled(v, 0.8) for s, v in sides.items()}),
        "angles x1.25": replace(base, **{s: scaled(v, 1.25) for s, v in sides.items()}),
        "variation 25 %": replace(base, variation=0.25),
        "no walk first": replace(base, calibration_walk_steps=0),
    }
    if profile(name).WORKING != "both":
        cases["alternating"] = replace(base, order="alternating")
        cases["blocked"] = replace(base, order="blocked")
    for label, held in HELD_POSES.get(name, {}).items():
        cases[label] = replace(base, **{s: replace(v, held_deg=held) for s, v in sides.items()})
    return cases


HELD_POSES = {
    "split_squat": {
        "short stance (front 8, rear -15 deg)": (8.0, -15.0),
        "long stance (front 40, rear -25 deg)": (40.0, -25.0),
        "rear thigh near vertical (30, -5 deg)": (30.0, -5.0),
    },
    "single_leg_squat": {
        "free thigh forward (45 deg)": (0.0, 45.0),
        "free thigh hanging (0 deg)": (0.0, 0.0),
        "free thigh behind (-15 deg)": (0.0, -15.0),
    },
}
"""How people hold the set's pose between reps, (working, other) thigh flexion, degrees:
a split squat's stance, short or long; a single-leg squat's free leg, held forward (as in
the clinical single-leg squat test), hanging (stepping down from a box) or behind, the
knee bent."""


def step_up_cases() -> dict[str, StepUpSettings]:
    """The step-up's :class:`StepUpSettings` for each case."""
    base = StepUpSettings()
    return {
        "preset": base,
        "tempo x0.6": replace(base, rep_duration_s=0.6 * base.rep_duration_s),
        "tempo x1.6": replace(base, rep_duration_s=1.6 * base.rep_duration_s),
        "no rest": replace(base, pause_range_s=(0.0, 0.05)),
        "no rest, alternating": replace(base, pause_range_s=(0.0, 0.05), pattern="alternating"),
        "short rest": replace(base, pause_range_s=(0.2, 0.4)),
        "angles x0.8": replace(base, left=scaled(base.left, 0.8), right=scaled(base.right, 0.8)),
        "angles x1.25": replace(base, left=scaled(base.left, 1.25), right=scaled(base.right, 1.25)),
        "alternating": replace(base, pattern="alternating"),
    }


def outcomes(name: str, settings, seed: int) -> tuple[str, str]:
    """What ``analyze`` made of the simulated session, given its activity and without it.

    Each is ``""`` when the reps are counted on their sides as the truth has them (and,
    without the activity, the movement was found), else what it found instead.
    """
    if name == "step_up":
        session = simulate_step_ups(settings, seed=seed)
        truth = [r.side for r in session.truth.reps]
    else:
        session = simulate_drill(settings, seed=seed)
        truth = [r.side for r in session.truth.drill_reps]
    recording = session.recording
    given = analyze(recording, name)
    undeclared = analyze(replace(recording, meta=replace(recording.meta, activity=None)))
    said = []
    for analysis in (given, undeclared):
        found = [r.side for r in analysis.reps]
        right = found == truth and analysis.activity == name
        said.append(
            ""
            if right
            else f"{len(found)} of {len(truth)} as {analysis.activity} ({analysis.activity_basis})"
        )
    return said[0], said[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--movements", nargs="+", default=["step_up", *drill_names()])
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the analysis's notes on each session
    for name in args.movements:
        cases = step_up_cases() if name == "step_up" else drill_cases(name)
        misses: dict[str, list[str]] = {"given": [], "not given": []}
        sessions = 0
        for label, settings in cases.items():
            for seed in range(args.seeds):
                sessions += 1
                for way, wrong in zip(misses, outcomes(name, settings, seed), strict=True):
                    if wrong:
                        misses[way].append(f"{label}, seed {seed}: {wrong}")
        exact = ", ".join(f"{sessions - len(m)}/{sessions} {way}" for way, m in misses.items())
        print(f"{name:17s} counts and sides exact, activity {exact}", flush=True)
        for way, wrong in misses.items():
            for miss in wrong:
                print(f"  wrong ({way}): {miss}")


if __name__ == "__main__":
    main()
