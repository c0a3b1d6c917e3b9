"""Accuracy of the standing drills as ``analyze`` reports them (issue 14, item 6).

Each drill's asymmetric preset (10 steps of walking, then 12 reps, the right side weaker:
``sensorlab.simulate.scenarios``; ``--walk 0`` leaves the walk out) is simulated over a
grid of sensor conditions: sample rates 60, 100 and 200 Hz; strap errors of exactly 5, 10
and 20 degrees about a random axis per sensor (``SensorSettings.mount_error_deg``, not
drawn up to it as the presets do); 0, 1 and 2 % of the samples lost in bursts of 1-10
samples (``SensorSettings.burst_loss_fraction``); several seeds. Each recording goes
through ``analyze(recording, drill)`` and its summary (``build_summary``); what they
report is compared with the simulator's truth:

- rep counts and sides: exact when the reps' sides in order equal the true ones;
- each angle metric (the ``*_deg`` ones of ``rep_metrics_for(drill)``): |error| of every
  rep the summary keeps (not ``left_out``) against the true rep of the same order, pooled
  over all sessions, median and 95th percentile; PASS when median <= 1.0 deg and
  p95 <= 2.0 deg (a session whose counts or sides differ gives no errors and is listed);
- the symmetry index's sign: for every per-side metric (``per_side_metrics_for(drill)``)
  whose true SI (Robinson, from the true reps' per-side means) is at least 20 % in size,
  whether the summary's ``si_pct`` has the same sign (right / checked);
- reps left out (``left_out``, too much data lost) per cell.

It prints one line per cell (rate, strap error, loss: all seeds), then per drill the
metrics pooled over the grid, and at the end a markdown table for the closing note.
``--truth`` instead runs each drill's segmenter on the simulator's true kinematics (the
segmenters and metrics alone, no sensors).

Run: ``.venv/bin/python benchmarks/drills.py [--seeds 3] [--rates 60 100 200]
[--straps 5 10 20] [--losses 0 0.01 0.02] [--drills lunge squat] [--quick]
[--walk 10] [--processes 2] [--truth]``
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import warnings
from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import product

import numpy as np

from sensorlab.processing.movements import drill, drill_names, side_value
from sensorlab.processing.movements.base import (
    ExcursionSegmenter,
    RepFound,
    RepView,
    kinematics_columns,
)
from sensorlab.processing.pipeline import analyze
from sensorlab.processing.symmetry import robinson_si_pct
from sensorlab.simulate.body import pelvis_pose
from sensorlab.simulate.drills import DrillSettings, DrillSide, simulate_drill
from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS
from sensorlab.simulate.scenarios import make_scenario
from sensorlab.simulate.truth import KINEMATICS_RATE_HZ
from sensorlab.summary.metrics import per_side_metrics_for, rep_metrics_for
from sensorlab.summary.summary import build_summary

RATES_HZ = (60.0, 100.0, 200.0)
STRAP_ERRORS_DEG = (5.0, 10.0, 20.0)
LOSS_FRACTIONS = (0.0, 0.01, 0.02)
QUICK = {"rates": (60.0, 200.0), "straps": (20.0,), "losses": (0.02,), "seeds": 2}
"""``--quick``: the hardest corner of the grid (largest strap error and loss)."""
MEDIAN_LIMIT_DEG = 1.0
P95_LIMIT_DEG = 2.0
SI_SIGN_MIN_PCT = 20.0
"""Where the true symmetry index is at least this large (%), its sign must be right."""


@dataclass(frozen=True)
class Cell:
    """One simulated session of the grid."""

    drill: str
    rate_hz: float
    strap_deg: float
    loss: float
    seed: int
    walk_steps: int


@dataclass
class Outcome:
    """What ``analyze`` reported for one session, against the truth.

    ``errors`` (|error|, deg, per angle metric of the reps kept) only when counts and
    sides are exact, and then ``left_out_errors`` too (each left-out rep's largest |error|
    over its angle metrics, deg); ``si`` holds ``(metric, true SI %, measured SI % or
    None)`` for each per-side metric with |true SI| >= ``SI_SIGN_MIN_PCT``.
    """

    cell: Cell
    sides: list[str]
    true_sides: list[str]
    left_out: int
    errors: dict[str, list[float]] = field(default_factory=dict)
    left_out_errors: list[float] = field(default_factory=list)
    si: list[tuple[str, float, float | None]] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.sides == self.true_sides


@functools.cache
def preset_settings(name: str) -> DrillSettings:
    """The drill settings of ``{name}_asymmetric``, as the preset's truth records them."""
    recorded = dict(make_scenario(f"{name}_asymmetric", 0).truth.settings["DrillSettings"])
    for side in ("left", "right"):
        if recorded[side] is not None:
            recorded[side] = DrillSide(**recorded[side])
    recorded["pause_range_s"] = tuple(recorded["pause_range_s"])
    return DrillSettings(**recorded)


def simulate(cell: Cell):
    """The preset's session under the cell's sensor conditions."""
    sensors = replace(
        DEFAULT_SENSOR_SETTINGS,
        rate_hz=cell.rate_hz,
        mount_error_deg=cell.strap_deg,
        mount_error_uniform=False,
        burst_loss_fraction=cell.loss,
    )
    settings = replace(preset_settings(cell.drill), calibration_walk_steps=cell.walk_steps)
    return simulate_drill(settings, sensors, cell.seed)


def true_si_pct(truth_reps, name: str, key: str) -> float | None:
    """Robinson SI (%) of the per-side metric ``key`` from the true reps' per-side means."""
    means = {}
    for side in ("left", "right"):
        values = [side_value(name, r.metrics, key, r.side, side) for r in truth_reps]
        values = [v for v in values if np.isfinite(v)]
        means[side] = float(np.mean(values)) if values else None
    return robinson_si_pct(means["left"], means["right"])


def evaluate(cell: Cell) -> Outcome:
    session = simulate(cell)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyze(session.recording, cell.drill)
        summary = build_summary(analysis)
    truth = session.truth.drill_reps
    outcome = Outcome(
        cell,
        sides=[r.side for r in analysis.reps],
        true_sides=[r.side for r in truth],
        left_out=sum(r.left_out for r in analysis.reps),
    )
    if outcome.exact:
        keys = [info.key for info in rep_metrics_for(cell.drill) if info.key.endswith("_deg")]
        for key in keys:
            outcome.errors[key] = [
                abs(rep.value(key) - true.metrics[key])
                for rep, true in zip(analysis.reps, truth, strict=True)
                if not rep.left_out
            ]
        outcome.left_out_errors = [
            max(abs(rep.value(key) - true.metrics[key]) for key in keys)
            for rep, true in zip(analysis.reps, truth, strict=True)
            if rep.left_out
        ]
    for info in per_side_metrics_for(cell.drill):
        true_si = true_si_pct(truth, cell.drill, info.key)
        if true_si is not None and abs(true_si) >= SI_SIGN_MIN_PCT:
            measured = summary["symmetry"].get(info.key, {}).get("si_pct")
            outcome.si.append((info.key, true_si, measured))
    return outcome


def si_right(si: tuple[str, float, float | None]) -> bool:
    _, true_si, measured = si
    return measured is not None and np.sign(measured) == np.sign(true_si)


def pooled_errors(outcomes: list[Outcome]) -> dict[str, np.ndarray]:
    pooled: dict[str, list[float]] = defaultdict(list)
    for outcome in outcomes:
        for key, values in outcome.errors.items():
            pooled[key].extend(values)
    return {key: np.array(values) for key, values in pooled.items()}


def median_p95(values: np.ndarray) -> tuple[float, float]:
    if values.size == 0:
        return float("nan"), float("nan")
    return float(np.median(values)), float(np.percentile(values, 95))


def passes(values: np.ndarray) -> bool:
    median, p95 = median_p95(values)
    return median <= MEDIAN_LIMIT_DEG and p95 <= P95_LIMIT_DEG


def cell_line(outcomes: list[Outcome]) -> str:
    """One grid cell (all its seeds) in a line: counts, left out, SI, worst metric."""
    first = outcomes[0].cell
    exact = sum(o.exact for o in outcomes)
    reps = sum(len(o.sides) for o in outcomes)
    left_out = sum(o.left_out for o in outcomes)
    si = [s for o in outcomes for s in o.si]
    errors = pooled_errors(outcomes)
    worst = max(errors, key=lambda k: median_p95(errors[k])[1], default=None)
    worst_text = "-"
    if worst is not None:
        median, p95 = median_p95(errors[worst])
        worst_text = f"{worst} {median:.2f}/{p95:.2f}"
    return (
        f"  {first.rate_hz:5.0f} Hz {first.strap_deg:4.0f} deg {100 * first.loss:3.0f} % | "
        f"exact {exact}/{len(outcomes)} | left out {left_out:2d}/{reps:3d} | "
        f"SI sign {sum(map(si_right, si)):2d}/{len(si):2d} | worst p95 {worst_text}"
    )


def drill_report(name: str, outcomes: list[Outcome]) -> dict:
    """Print the drill's cells and pooled figures; returns its row of the final table."""
    print(f"\n## {name}")
    by_cell: dict[tuple, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        c = outcome.cell
        by_cell[(c.rate_hz, c.strap_deg, c.loss)].append(outcome)
    for key in sorted(by_cell):
        print(cell_line(by_cell[key]))
    for o in outcomes:
        if not o.exact:
            c = o.cell
            print(
                f"  not exact: {c.rate_hz:g} Hz {c.strap_deg:g} deg {100 * c.loss:g} % seed "
                f"{c.seed}: {len(o.sides)} reps {o.sides} vs true {len(o.true_sides)} "
                f"{o.true_sides}"
            )
    exact = sum(o.exact for o in outcomes)
    reps = sum(len(o.sides) for o in outcomes)
    left_out = sum(o.left_out for o in outcomes)
    print(f"  counts and sides exact {exact}/{len(outcomes)} sessions; left out {left_out}/{reps}")
    out_errors = [e for o in outcomes for e in o.left_out_errors]
    if out_errors:
        print(
            f"  reps left out: largest |error| of each, median {np.median(out_errors):.2f}, "
            f"max {max(out_errors):.2f} deg (not in the figures below)"
        )
    errors = pooled_errors(outcomes)
    for key, values in errors.items():
        median, p95 = median_p95(values)
        flag = "PASS" if passes(values) else "FAIL"
        print(
            f"  {key:34s} median {median:6.2f}  p95 {p95:6.2f}  max {values.max():7.2f} deg "
            f"(n {values.size})  {flag}"
        )
    si = [s for o in outcomes for s in o.si]
    print(
        f"  SI sign right {sum(map(si_right, si))}/{len(si)} (|true SI| >= {SI_SIGN_MIN_PCT:g} %)"
    )
    wrong: dict[str, list[str]] = defaultdict(list)
    for o in outcomes:
        for s in o.si:
            if not si_right(s):
                measured = "none" if s[2] is None else f"{s[2]:+.0f}"
                wrong[s[0]].append(f"{s[1]:+.0f}->{measured}")
    for key, cases in wrong.items():
        print(f"    wrong: {key} ({len(cases)}x, true->measured %): {', '.join(cases[:6])}")
    worst = max(errors, key=lambda k: median_p95(errors[k])[1], default=None)
    return {
        "drill": name,
        "exact": f"{exact}/{len(outcomes)}",
        "worst": worst,
        "worst_figures": median_p95(errors[worst]) if worst else (float("nan"),) * 2,
        "failing": [k for k, v in errors.items() if not passes(v)],
        "si": f"{sum(map(si_right, si))}/{len(si)}",
        "left_out": f"{left_out}/{reps}",
    }


def markdown(rows: list[dict], args: argparse.Namespace) -> None:
    print(
        f"\n{', '.join(f'{r:g}' for r in args.rates)} Hz; strap errors "
        f"{', '.join(f'{s:g}' for s in args.straps)} deg; burst loss "
        f"{', '.join(f'{100 * loss:g}' for loss in args.losses)} %; seeds 0-{args.seeds - 1}; "
        f"{args.walk} steps of walking first; "
        f"|error| median / p95, deg (limits {MEDIAN_LIMIT_DEG:g} / {P95_LIMIT_DEG:g})\n"
    )
    print(
        "| drill | counts/sides exact | worst metric median / p95 | every metric pass? "
        "| SI sign right | reps left out |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        median, p95 = row["worst_figures"]
        worst = f"{row['worst']} {median:.2f} / {p95:.2f}" if row["worst"] else "-"
        verdict = "yes" if not row["failing"] else "no: " + ", ".join(row["failing"])
        print(
            f"| {row['drill']} | {row['exact']} | {worst} | {verdict} | {row['si']} "
            f"| {row['left_out']} |"
        )


def truth_reps(name: str, session) -> list[tuple[RepFound, dict]]:
    """The drill's segmenter and metrics on the session's true kinematics."""
    kin = session.truth.kinematics
    rate = np.degrees(np.linalg.norm(pelvis_pose(session.motion, kin.t_s).body_rate(), axis=1))
    columns = kinematics_columns(kin, rate)
    module = drill(name)
    segmenter = ExcursionSegmenter(module, KINEMATICS_RATE_HZ, module.DEFAULT_SETTINGS)
    found = [e for e in segmenter.update(columns) if isinstance(e, RepFound)]
    return [(e, module.metrics(RepView.of(columns, e.window), e.side)) for e in found]


def run_truth(names: list[str], seeds: int) -> None:
    print(f"segmenters on the true kinematics, seeds 0-{seeds - 1}, |error| median / p95 deg")
    for name in names:
        exact, errors = 0, defaultdict(list)
        for seed in range(seeds):
            session = make_scenario(f"{name}_asymmetric", seed)
            found, truth = truth_reps(name, session), session.truth.drill_reps
            if [e.side for e, _ in found] == [r.side for r in truth]:
                exact += 1
                for (_, measured), true in zip(found, truth, strict=True):
                    for key, value in true.metrics.items():
                        if key.endswith("_deg"):
                            errors[key].append(abs(measured[key] - value))
        print(f"\n{name}: counts and sides exact {exact}/{seeds}")
        for key, values in errors.items():
            median, p95 = median_p95(np.array(values))
            print(f"  {key:34s} median {median:6.2f}  p95 {p95:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per cell (3)")
    parser.add_argument("--rates", type=float, nargs="+", default=RATES_HZ, help="Hz")
    parser.add_argument("--straps", type=float, nargs="+", default=STRAP_ERRORS_DEG, help="deg")
    parser.add_argument(
        "--losses", type=float, nargs="+", default=LOSS_FRACTIONS, help="fractions (0.02 = 2 %%)"
    )
    parser.add_argument("--drills", nargs="+", default=drill_names(), choices=drill_names())
    parser.add_argument(
        "--walk", type=int, default=10, help="steps walked before the first set (10; 0: none)"
    )
    parser.add_argument("--quick", action="store_true", help="the hardest corner, 2 seeds")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--truth", action="store_true", help="segmenters on the true kinematics")
    args = parser.parse_args()
    if args.truth:
        run_truth(list(args.drills), args.seeds)
        return
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    cells = [
        Cell(name, rate, strap, loss, seed, args.walk)
        for name, rate, strap, loss, seed in product(
            args.drills, args.rates, args.straps, args.losses, range(args.seeds)
        )
    ]
    print(
        f"{len(cells)} sessions through analyze: {len(args.drills)} drills x "
        f"{len(args.rates)} rates x {len(args.straps)} strap errors x {len(args.losses)} losses "
        f"x {args.seeds} seeds; per cell: counts exact (sessions), reps left out, SI sign "
        "right / checked, worst angle metric's |error| median/p95 deg",
        flush=True,
    )
    with multiprocessing.get_context("fork").Pool(args.processes) as pool:
        outcomes = pool.map(evaluate, cells, chunksize=1)
    rows = []
    for name in args.drills:
        rows.append(drill_report(name, [o for o in outcomes if o.cell.drill == name]))
    markdown(rows, args)


if __name__ == "__main__":
    main()
