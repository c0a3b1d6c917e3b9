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

Then a loss too long to bridge in the middle of a walk, for the stride-average
re-levelling. Then, when ``../shared`` is beside the repository, the same losses on real lower-back
walking (IPOL dev set, L5 sensor, 100 Hz): the error of the rotation integrated over each
loss (what the orientation keeps of it) with a straight line, the cubic, and the fill
matched to an earlier moment, since the simulator's walk repeats exactly and real gait
does not.

Run: ``.venv/bin/python benchmarks/loss_robustness.py [--seeds 4] [--loss 0.02]``
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from sensorlab.processing.pipeline import analyze
from sensorlab.processing.timebase import GridResampler, TimebaseSettings
from sensorlab.simulate.imu import short_burst_mask
from sensorlab.simulate.scenarios import make_scenario

SHARED = Path(__file__).resolve().parents[2] / "shared"
IPOL_SET = Path("data") / "ipol-lowback-gait-dev"

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


def long_loss_walk(gap_s: float, seed: int) -> tuple[int, int, float, float]:
    """Every sensor loses ``gap_s`` mid-walk (too long to bridge, no stillness after):
    steps, steps left out, the largest |delta| of a kept step's pelvic drop and of the
    thigh angles from 3 s after the loss on, against the walk without it (deg)."""
    session = make_scenario("walk_asymmetric", seed, duration_s=60.0)
    t0 = session.truth.steps[20].t + 0.2
    chunks = {}
    for placement, chunk in session.recording.chunks.items():
        keep = (chunk.t_s < t0) | (chunk.t_s > t0 + gap_s)
        chunks[placement] = replace(
            chunk,
            t_s=chunk.t_s[keep],
            acc_m_s2=chunk.acc_m_s2[keep],
            gyr_rad_s=chunk.gyr_rad_s[keep],
            seq=chunk.seq[keep],
            device_t_s=chunk.device_t_s[keep],
        )
    lossy = analyze(replace(session.recording, chunks=chunks), "walk")
    clean = analyze(session.recording, "walk")
    clean_t = np.array([s.t for s in clean.steps])
    drop = [
        abs(s.pelvic_drop_deg - clean.steps[int(np.argmin(np.abs(clean_t - s.t)))].pelvic_drop_deg)
        for s in lossy.steps
        if not s.left_out
    ]
    after = lossy.kinematics.t_s > t0 + gap_s + 3.0
    thigh = max(
        float(
            np.nanmax(
                np.abs(getattr(lossy.kinematics, n)[after] - getattr(clean.kinematics, n)[after])
            )
        )
        for n in ("left_thigh_sagittal_deg", "right_thigh_sagittal_deg")
    )
    return len(lossy.steps), sum(s.left_out for s in lossy.steps), max(drop), thigh


def real_sacrum_errors(ipol: Path, loss: float) -> dict[str, list[float]]:
    """Rotation error (deg) over each loss in real L5 walking, per way of filling it."""
    rng = np.random.default_rng(0)
    errors: dict[str, list[float]] = defaultdict(list)
    for path in sorted((ipol / "GaitData").glob("*_lb.txt")):
        data = np.loadtxt(path, skiprows=2)
        counter = data[:, 0]
        edges = np.r_[0, np.flatnonzero(np.diff(counter) != 1) + 1, counter.size]
        longest = int(np.argmax(np.diff(edges)))
        data = data[edges[longest] : edges[longest + 1]]
        t = np.arange(data.shape[0]) / 100.0 + 0.003
        values = data[:, 1:7]
        lost = short_burst_mask(t.size, loss, 10, rng)
        lost[:20] = lost[-20:] = False
        keep = ~lost
        fills = {}
        for name, residual in (("cubic", -1.0), ("matched", TimebaseSettings().match_max_residual)):
            resampler = GridResampler(
                TimebaseSettings(match_max_residual=residual),
                averaging=False,
                sample_rate_hz=100.0,
                match_columns=(3, 4, 5),
            )
            # The losses as a sample counter tells them: after each lost run.
            lost_before = np.concatenate([[False], lost[:-1]])[keep]
            blocks = [resampler.update(t[keep], values[keep], lost_before), resampler.flush()]
            fills[name] = np.vstack([b.values for b in blocks])
        k0 = blocks[0].k0
        grid_t = (k0 + np.arange(fills["cubic"].shape[0])) / 100.0
        truth = np.column_stack([np.interp(grid_t, t, values[:, j]) for j in range(3, 6)])
        fills["linear"] = np.column_stack(
            [np.interp(grid_t, t[keep], values[keep, j]) for j in range(6)]
        )
        flags = fills["cubic"][:, -1] > 0.5
        starts = np.flatnonzero(flags[1:] & ~flags[:-1]) + 1
        ends = np.flatnonzero(flags[:-1] & ~flags[1:]) + 1
        for name, out in fills.items():
            for a, b in zip(starts, ends, strict=False):
                lost_rate = np.sum(out[a:b, 3:6] - truth[a:b], axis=0) / 100.0
                errors[name].append(float(np.degrees(np.linalg.norm(lost_rate))))
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--loss", type=float, default=0.02, help="fraction lost (0.02 = 2 %%)")
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
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

    print(
        "\nlong loss mid-walk (every sensor, too long to bridge, no stillness after; "
        "re-levelled over whole strides)"
    )
    for gap_s in (0.5, 1.0, 3.0):
        results = [long_loss_walk(gap_s, seed) for seed in range(args.seeds)]
        print(
            f"  {gap_s:g} s: steps left out {sum(r[1] for r in results)}/"
            f"{sum(r[0] for r in results)}; kept steps' pelvic drop max |delta| "
            f"{max(r[2] for r in results):.2f} deg; thigh angles 3 s after the loss max "
            f"|delta| {max(r[3] for r in results):.2f} deg"
        )
    ipol = args.shared / IPOL_SET
    if not ipol.is_dir():
        print(f"\nreal lower-back walking: {ipol} not found, skipped")
        return
    errors = real_sacrum_errors(ipol, args.loss)
    print(
        f"\nreal lower-back walking (IPOL dev set, 100 Hz, {args.loss:.0%} lost in bursts of "
        "1-10): |rotation error| over each loss, deg"
    )
    for name in ("linear", "cubic", "matched"):
        e = np.array(errors[name])
        print(
            f"  {name:8s} {e.size} losses: median {np.median(e):.2f}  "
            f"p95 {np.percentile(e, 95):.2f}  max {e.max():.2f}"
        )


if __name__ == "__main__":
    main()
