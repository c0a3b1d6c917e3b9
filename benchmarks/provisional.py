"""Provisional reps and steps (issue 12): how far from the refined values, how much sooner.

A live session reports each rep or step as soon as it is judged, before the headings are
refined (``SessionAnalyzer(provisional=True)``), and replaces it once the refinement
lands. On simulated sessions (step-ups in two sets, alternating step-ups, a walk; several
seeds each; two of them again without the sidecar's mounts) streamed in time-ordered
random blocks as a live session receives them, this prints:

- per metric, max and median |provisional - refined| over every provisional rep or step,
  and the largest |provisional - truth| next to |refined - truth| (the simulator's truth,
  matched by start time);
- count and side agreement: provisional items, those the refinement confirmed with the
  same side, those withdrawn;
- time of the first rep or step feedback, s of session time: the first event of any kind
  (provisional) against the first refined one (what the live view showed before this
  change: the refined chain's timing does not depend on the provisional one), and their
  ratio.

Goal: reps and sides identical, angles within 2 deg.

Run: ``.venv/bin/python benchmarks/provisional.py [--seeds 5]``
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from sensorlab.io.blocks import slice_chunk
from sensorlab.io.recording import read_recording
from sensorlab.processing.events import ProvisionalWithdrawn, RepFinished, StepDetected
from sensorlab.processing.pipeline import SessionAnalyzer
from sensorlab.simulate import SCENARIOS

REP_METRICS = (
    "thigh_rom_deg",
    "pelvic_drop_deg",
    "pelvic_tilt_range_deg",
    "thigh_adduction_excursion_deg",
    "peak_thigh_velocity_dps",
    "up_duration_s",
    "down_duration_s",
)
STEP_METRICS = ("pelvic_drop_deg", "step_time_s", "t")
SCENARIO_NAMES = ("step_up_asymmetric", "step_up_alternating", "walk_asymmetric")
WITHOUT_MOUNTS = ("step_up_asymmetric", "walk_asymmetric")
"""Also run with the sidecar's mounts removed: reps and steps are then found on the
headings of the first movement, not on the nominal mounts."""


@dataclass
class Run:
    """One streamed session: first provisional values, refined values, timings."""

    provisional: dict[int, object] = field(default_factory=dict)
    refined: list = field(default_factory=list)
    withdrawn: int = 0
    first_feedback_s: float = float("nan")
    first_refined_s: float = float("nan")


def time_ordered_blocks(recording, rng, max_block=20):
    """Random-size blocks (1..max_block samples) in the order their last samples were
    taken, as sensors streaming together deliver them."""
    blocks = []
    for name, chunk in recording.chunks.items():
        lo = 0
        while lo < len(chunk):
            hi = min(lo + int(rng.integers(1, max_block + 1)), len(chunk))
            blocks.append((float(chunk.t_s[hi - 1]), name, lo, hi))
            lo = hi
    for _, name, lo, hi in sorted(blocks):
        yield slice_chunk(recording.chunks[name], lo, hi)


def stream(recording, seed: int) -> Run:
    """Stream ``recording`` through a live analysis; what it showed and when."""
    analyzer = SessionAnalyzer(recording.meta, source=recording.source)
    run = Run()
    now = -np.inf
    for block in time_ordered_blocks(recording, np.random.default_rng(seed)):
        now = max(now, float(block.t_s[-1]))
        for event in analyzer.update([block], now_t_s=now):
            if isinstance(event, RepFinished | StepDetected):
                index = event.rep.index if isinstance(event, RepFinished) else event.index
                item = event.rep if isinstance(event, RepFinished) else event.step
                if np.isnan(run.first_feedback_s):
                    run.first_feedback_s = now
                if event.provisional:
                    run.provisional.setdefault(index, item)
                elif np.isnan(run.first_refined_s):
                    run.first_refined_s = now
            elif isinstance(event, ProvisionalWithdrawn):
                run.withdrawn += len(run.provisional) - event.first_index
    analysis = analyzer.finish()
    run.refined = analysis.reps or analysis.steps
    return run


def nearest_truth(item, truth: list, key: str, within_s: float):
    """The truth record whose ``key`` time is nearest the item's, within ``within_s``."""
    if not truth:
        return None
    times = np.array([getattr(t, key) for t in truth])
    i = int(np.argmin(np.abs(times - getattr(item, key))))
    return truth[i] if abs(times[i] - getattr(item, key)) <= within_s else None


def without_mounts(recording):
    """The recording with no sensor's mount in its sidecar."""
    sensors = {p: replace(info, mount=None) for p, info in recording.meta.sensors.items()}
    return replace(recording, meta=replace(recording.meta, sensors=sensors))


def summarise(name: str, runs: list[tuple[Run, object]]) -> None:
    walk = name.startswith("walk")
    metrics = STEP_METRICS if walk else REP_METRICS
    key = "t" if walk else "t_start"
    differences = defaultdict(list)
    vs_truth = defaultdict(lambda: ([], []))
    items = confirmed = withdrawn = 0
    for run, truth in runs:
        truth_items = truth.steps if walk else truth.reps
        withdrawn += run.withdrawn
        for index, early in run.provisional.items():
            items += 1
            if index >= len(run.refined):
                continue
            refined = run.refined[index]
            if refined.side != early.side or abs(getattr(refined, key) - getattr(early, key)) > 0.1:
                continue
            confirmed += 1
            true = nearest_truth(refined, truth_items, key, 0.5 if walk else 1.0)
            for metric in metrics:
                a, b = getattr(early, metric), getattr(refined, metric)
                if a is None or b is None:
                    continue
                differences[metric].append(abs(a - b))
                true_value = None if true is None else getattr(true, metric, None)
                if true_value is not None and metric != "t":
                    vs_truth[metric][0].append(abs(a - true_value))
                    vs_truth[metric][1].append(abs(b - true_value))
    kind = "steps" if walk else "reps"
    print(f"\n{name}, {len(runs)} seeds: {items} provisional {kind}, {confirmed} confirmed by the")
    print(f"  refinement (same index, side and time), {withdrawn} withdrawn")
    header = ("max |p-r|", "median", "max |p-truth|", "|r-truth|")
    print(f"  {'metric':32s} " + " ".join(f"{h:>14s}" for h in header))
    for metric in metrics:
        values = np.array(differences[metric])
        if values.size == 0:
            continue
        truth_p, truth_r = (np.array(v) for v in vs_truth[metric])
        figures = [values.max(), np.median(values)]
        figures += [truth_p.max(), truth_r.max()] if truth_p.size else []
        print(f"  {metric:32s} " + " ".join(f"{x:14.3f}" for x in figures))
    firsts = np.array([run.first_feedback_s for run, _ in runs])
    refined_firsts = np.array([run.first_refined_s for run, _ in runs])
    sooner = np.median(refined_firsts / firsts)
    print(
        f"  first feedback: {np.median(firsts):.1f} s (median; max {firsts.max():.1f}) against "
        f"{np.median(refined_firsts):.1f} s refined only: {sooner:.1f}x sooner"
    )


def bundled() -> None:
    root = Path(__file__).resolve().parents[1] / "recordings"
    print("\nbundled recordings, time of the first feedback (session seconds):")
    for path in sorted(root.glob("*.csv")):
        run = stream(read_recording(path), seed=0)
        print(
            f"  {path.name:28s} {run.first_feedback_s:5.1f} s (provisional) against "
            f"{run.first_refined_s:5.1f} s (refined only): "
            f"{run.first_refined_s / run.first_feedback_s:.1f}x sooner"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print("provisional (p) vs refined (r) values, and both vs the simulator's truth;")
    print("angles in deg, velocity in deg/s, durations and times in s")
    cases = [(name, False) for name in SCENARIO_NAMES] + [(name, True) for name in WITHOUT_MOUNTS]
    for name, strip in cases:
        runs = []
        for seed in range(args.seeds):
            session = SCENARIOS[name](seed)
            recording = without_mounts(session.recording) if strip else session.recording
            runs.append((stream(recording, seed), session.truth))
        summarise(f"{name}{', sidecar without mounts' if strip else ''}", runs)
    bundled()


if __name__ == "__main__":
    main()
