"""Robustness of the analysis to everyday sample loss, against the same session without loss.

Each simulated session is analysed twice: as recorded without loss, and with
``--loss`` of every sensor's samples lost in bursts of 1-10 samples (the simulator's
``burst_loss_fraction``; same seed, so same motion and same readings of every kept
sample). Per sample rate x activity it prints whether rep or step counts and sides stay
exact, the median and largest |difference| of each per-rep or per-step metric over the
reps or steps kept, how many have any lost data (``data_gap_s`` above zero), and how many
the summary leaves out (``left_out``: more than ``AnalysisSettings.max_data_gap_s`` lost),
with the largest difference among those.
The tests (``tests/test_loss_robustness.py``) assert the requirement on fewer seeds.

Run: ``.venv/bin/python benchmarks/loss_robustness.py [--seeds 4] [--loss 0.02]``
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from sensorlab.processing.pipeline import analyze
from sensorlab.simulate.scenarios import make_scenario

ACTIVITIES = {"step_up": "step_up_alternating", "walk": "walk_asymmetric"}
REP_METRICS = (
    "pelvic_drop_deg",
    "thigh_rom_deg",
    "pelvic_tilt_range_deg",
    "thigh_adduction_excursion_deg",
)
STEP_METRICS = ("pelvic_drop_deg",)
RATES_HZ = (60.0, 100.0, 200.0)


def compare(activity: str, rate_hz: float, seed: int, loss_fraction: float) -> dict:
    """Analyse one session with and without loss; the differences per metric."""
    name = ACTIVITIES[activity]
    options = {"rate_hz": rate_hz}
    if activity == "walk":
        options["duration_s"] = 60.0
    clean = analyze(make_scenario(name, seed, **options).recording, activity)
    lossy_session = make_scenario(name, seed, loss_fraction=loss_fraction, **options)
    lossy = analyze(lossy_session.recording, activity)
    items = "reps" if activity == "step_up" else "steps"
    a, b = getattr(clean, items), getattr(lossy, items)
    exact = [x.side for x in a] == [x.side for x in b]
    deltas: dict[str, list[float]] = defaultdict(list)
    left_out_deltas: list[float] = []
    if exact:
        for x, y in zip(a, b, strict=True):
            worst = 0.0
            for metric in REP_METRICS if activity == "step_up" else STEP_METRICS:
                delta = abs(getattr(x, metric) - getattr(y, metric))
                worst = max(worst, delta)
                if not y.left_out:
                    deltas[metric].append(delta)
            if y.left_out:
                left_out_deltas.append(worst)
            elif items == "reps":
                deltas["time_s"].append(abs(x.t_start - y.t_start))
            else:
                deltas["time_s"].append(abs(x.t - y.t))
    return {
        "exact": exact,
        "count": (len(a), len(b)),
        "deltas": deltas,
        "left_out": sum(x.left_out for x in b),
        "left_out_deltas": left_out_deltas,
        "flagged": sum(x.data_gap_s > 0 for x in b),
        "lost_pct": 100
        * float(
            np.mean(
                [s.samples_lost / s.samples_generated for s in lossy_session.truth.sensors.values()]
            )
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--loss", type=float, default=0.02, help="fraction lost (0.02 = 2 %%)")
    args = parser.parse_args()
    print(
        f"loss {100 * args.loss:g} % in bursts of 1-10 samples, seeds 0-{args.seeds - 1}; "
        "|delta| vs the same session without loss"
    )
    header = (
        f"{'activity':8s} {'rate':>6s} {'counts exact':>12s} {'metric':30s} "
        f"{'median':>7s} {'max':>7s} {'flagged':>8s} {'left out':>9s}"
    )
    print(header)
    print("-" * len(header))
    for activity in ACTIVITIES:
        for rate_hz in RATES_HZ:
            results = [compare(activity, rate_hz, seed, args.loss) for seed in range(args.seeds)]
            exact = sum(r["exact"] for r in results)
            pooled: dict[str, list[float]] = defaultdict(list)
            for r in results:
                for metric, values in r["deltas"].items():
                    pooled[metric].extend(values)
            total = sum(r["count"][1] for r in results)
            out_deltas = [d for r in results for d in r["left_out_deltas"]]
            lost_pct = np.mean([r["lost_pct"] for r in results])
            flagged = sum(r["flagged"] for r in results)
            left_out = sum(r["left_out"] for r in results)
            for i, (metric, values) in enumerate(pooled.items()):
                unit_scale = 1000.0 if metric == "time_s" else 1.0
                label = "start/contact time (ms)" if metric == "time_s" else f"{metric} (deg)"
                first = i == 0
                print(
                    f"{activity if first else '':8s} {f'{rate_hz:g} Hz' if first else '':>6s} "
                    f"{f'{exact}/{len(results)}' if first else '':>12s} {label:30s} "
                    f"{unit_scale * np.median(values):7.2f} {unit_scale * np.max(values):7.2f} "
                    f"{f'{flagged}/{total}' if first else '':>8s} "
                    f"{f'{left_out}/{total}' if first else '':>9s}"
                )
            if not pooled:
                print(f"{activity:8s} {f'{rate_hz:g} Hz':>6s} {f'{exact}/{len(results)}':>12s}")
            worst_out = f"{max(out_deltas):.2f}" if out_deltas else "-"
            print(
                f"{'':8s} {'':>6s} {'':>12s} samples lost {lost_pct:.2f} %; largest |delta| "
                f"among those left out: {worst_out} deg"
            )
            for seed, r in enumerate(results):
                if not r["exact"]:
                    print(
                        f"    seed {seed}: {r['count'][0]} without loss, {r['count'][1]} with "
                        "(or sides differ)"
                    )


if __name__ == "__main__":
    main()
