"""Accuracy of the whole analysis against simulated ground truth, as figures.

The tests assert the requirements (tests/test_pipeline_truth.py, test_calibration.py); this
prints the measured errors over the same scenarios and more seeds, for the README and the
closing notes of issues.

Run: ``.venv/bin/python benchmarks/accuracy.py [--seeds 5]``
"""

from __future__ import annotations

import argparse

import numpy as np

from sensorlab.processing.pipeline import analyze
from sensorlab.simulate import SCENARIOS

STEP_UPS = ("step_up_asymmetric", "step_up_alternating", "step_up_messy")
WALKS = ("walk_asymmetric", "walk_symmetric")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    seeds = range(parser.parse_args().seeds)

    rep_errors: dict[str, list[float]] = {
        "pelvic_drop_deg": [],
        "thigh_rom_deg": [],
        "pelvic_tilt_range_deg": [],
        "thigh_adduction_excursion_deg": [],
    }
    counts_ok = sides_ok = sessions = flagged = reps = 0
    for name in STEP_UPS:
        for seed in seeds:
            session = SCENARIOS[name](seed)
            analysis = analyze(session.recording)
            sessions += 1
            counts_ok += len(analysis.reps) == len(session.truth.reps)
            same_sides = [r.side for r in analysis.reps] == [r.side for r in session.truth.reps]
            sides_ok += same_sides
            if not same_sides:
                continue
            for rep, true in zip(analysis.reps, session.truth.reps, strict=True):
                reps += 1
                if rep.left_out:
                    flagged += 1
                    continue
                for metric, errors in rep_errors.items():
                    errors.append(getattr(rep, metric) - getattr(true, metric))
    print(f"step-ups: {sessions} sessions ({', '.join(STEP_UPS)}; seeds 0-{len(seeds) - 1})")
    print(
        f"  rep counts exact in {counts_ok}/{sessions}, lead sides exact in {sides_ok}/{sessions}"
    )
    print(f"  {reps} reps, {flagged} left out for lost data (excluded below, as in the summary)")
    for metric, errors in rep_errors.items():
        e = np.abs(errors)
        spread = f"median {np.median(e):.2f}  p95 {np.percentile(e, 95):.2f}  max {e.max():.2f}"
        print(f"  {metric:29s} |error| {spread} deg")

    contact_errors, cadence_errors, count_errors, drop_errors = [], [], [], []
    for name in WALKS:
        for seed in seeds:
            session = SCENARIOS[name](seed)
            analysis = analyze(session.recording)
            true_t = np.array([s.t for s in session.truth.steps])
            count_errors.append(len(analysis.steps) - len(session.truth.steps))
            for step in analysis.steps:
                nearest = int(np.argmin(np.abs(true_t - step.t)))
                contact_errors.append(step.t - true_t[nearest])
                drop_errors.append(
                    step.pelvic_drop_deg - session.truth.steps[nearest].pelvic_drop_deg
                )
            cadence_errors.append(analysis.gait.cadence_spm / session.truth.gait.cadence_spm - 1)
    ms = np.abs(contact_errors) * 1e3
    print(f"walks: {len(WALKS) * len(seeds)} sessions ({', '.join(WALKS)})")
    print(f"  step count error: {min(count_errors)} to {max(count_errors)}")
    spread = f"median {np.median(ms):.1f}  p95 {np.percentile(ms, 95):.1f}  max {ms.max():.1f}"
    print(f"  initial contact |error| {spread} ms")
    print(f"  cadence |error| max {100 * np.max(np.abs(cadence_errors)):.2f} %")
    print(f"  pelvic drop per step |error| max {np.max(np.abs(drop_errors)):.2f} deg")


if __name__ == "__main__":
    main()
