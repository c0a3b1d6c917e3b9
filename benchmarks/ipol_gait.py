"""Initial contacts and sides from a lower-back sensor alone, against real heel strikes.

The IPOL lower-back development set (``../shared/data/ipol-lowback-gait-dev``: Xsens MTw at
L5, 100 Hz, 60 trials of 10 healthy adults walking 10 m, turning and walking back; heel
strikes from foot sensors, hand-checked) through ``tests/ipol.py``: its loader, the
pelvis-only analysis (``SessionAnalyzer`` on the L5 sensor alone) and its scoring.
Prints, pooled over the trials, F1 within +-100 ms, the median and IQR of the signed
error (ms, negative = early), side accuracy and cadence error, for:

- this detector (``gait.InitialContactDetector``), with and without the U-turn steps;
- the previous detector's timing (peaks of the 10 ms-smoothed vertical acceleration, the
  McCamley et al. 2012 marker; its thigh gate cannot run without thighs, so every peak
  inside the trial counts) with two published lower-back side rules: McCamley's sign of
  the vertical angular rate at the contact and the roll variant (Ullrich et al. 2022,
  mobgap's ``LrcMcCamley``), both band-passed 0.5-2 Hz as mobgap does;

then per-subject rows, and the leave-subjects-out figures: the parameters were scanned
on subjects 1, 5, 9, 13, 17 (half A) and are reported on 3, 7, 11, 15, 19 (half B);
``--scan`` repeats that scan.

Run: ``SENSORLAB_SHARED=/path/to/shared .venv/bin/python benchmarks/ipol_gait.py [--scan]``
(``SENSORLAB_SHARED`` defaults to ``../shared`` beside the repository).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import ipol  # tests/ipol.py, shared with tests/test_realdata_ipol.py

from sensorlab.processing.gait import DEFAULT_GAIT, GaitSettings, PeakPicker

HALF_A = (1, 5, 9, 13, 17)
"""Subjects the parameters were chosen on; the others are held out."""


def this_detector(name: str, settings: GaitSettings = DEFAULT_GAIT):
    return ipol.detect(ipol.trial_kinematics(name).columns, settings)


def _band_sign(values: np.ndarray, rate_hz: float) -> np.ndarray:
    sos = signal.butter(4, [0.5, 2.0], btype="bandpass", fs=rate_hz, output="sos")
    return signal.sosfiltfilt(sos, np.nan_to_num(values))


def previous_detector(name: str, side_rule: str):
    """Vertical peaks (the previous timing) with a published sign rule for the side."""
    columns = ipol.trial_kinematics(name).columns
    rate = ipol.IPOL_RATE_HZ
    picker = PeakPicker(rate, DEFAULT_GAIT.smoothing_s, DEFAULT_GAIT.min_step_s, 1.0)
    rows = np.array([row for row, _ in picker.update(columns["pelvis_vertical_acc_m_s2"], True)])
    if side_rule == "yaw":
        # rate of the pelvis heading (about the world vertical, left turn +), deg/s
        angle = np.unwrap(np.radians(columns["pelvis_rotation_deg"]))
        # a right turn of the pelvis (the left hip coming forward) at a left contact
        sign = -1.0
    else:
        # rate of the obliquity (about the forward axis, right side down +), deg/s
        angle = np.radians(columns["pelvis_obliquity_deg"])
        sign = 1.0
    rate_signal = _band_sign(np.gradient(np.nan_to_num(angle)) * rate, rate)
    at = np.clip(np.round(rows).astype(int), 0, rate_signal.size - 1)
    sides = tuple("left" if sign * v > 0 else "right" for v in rate_signal[at])
    return columns["t_s"][0] + rows / rate, sides


def run(detector, names, include_uturn=True):
    scores = []
    for name in names:
        t_s, sides = detector(name)
        scores.append(ipol.score(ipol.load_trial(name), t_s, sides, include_uturn))
    return scores


def row(label: str, pooled: ipol.PooledScore) -> str:
    return (
        f"{label:44s} {pooled.f1:6.3f} {pooled.median_error_ms:+8.1f} "
        f"[{pooled.iqr_error_ms[0]:+6.1f}, {pooled.iqr_error_ms[1]:+6.1f}] "
        f"{pooled.side_accuracy:6.3f} {pooled.cadence_error_pct[0]:6.2f} / "
        f"{pooled.cadence_error_pct[1]:5.2f}"
    )


HEADER = (
    f"{'':44s} {'F1':>6s} {'median':>8s} {'IQR (ms)':>16s} {'side':>6s} "
    f"{'cadence err % med / max':>24s}"
)


def scan(names_a: list[str], names_b: list[str]) -> None:
    print("\nscan on half A (held-out half B beside it)")
    print(f"{'search_s':>8s} {'drop_s':>6s}  A: F1  median side   B: F1  median side")
    for search_s, drop_s in itertools.product((0.08, 0.12, 0.15, 0.2), (0.1, 0.15, 0.2)):
        settings = replace(DEFAULT_GAIT, contact_search_s=search_s, drop_window_s=drop_s)

        def detector(name, settings=settings):
            return this_detector(name, settings)

        a, b = ipol.pool(run(detector, names_a)), ipol.pool(run(detector, names_b))
        print(
            f"{search_s:8.2f} {drop_s:6.2f}  {a.f1:8.3f} {a.median_error_ms:+7.1f} "
            f"{a.side_accuracy:.3f}  {b.f1:8.3f} {b.median_error_ms:+7.1f} {b.side_accuracy:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan", action="store_true", help="rerun the parameter scan")
    args = parser.parse_args()
    if not ipol.available():
        sys.exit(f"the IPOL set is not at {ipol.IPOL_DIR}; set SENSORLAB_SHARED")
    names = ipol.trial_names()
    reference = sum(ipol.load_trial(n).contacts_s.size for n in names)
    subjects = sorted({ipol.subject_of(n) for n in names})
    relaxed = [n for n in names if ipol.trial_kinematics(n).calibration_method != "standing"]
    print(
        f"IPOL lower-back dev set: {len(names)} trials, {len(subjects)} subjects, "
        f"{reference} reference heel strikes; contacts and heel strikes inside "
        "TrialBoundaries, matched one-to-one within +-100 ms"
    )
    if relaxed:
        print(f"(no quiet standing of 2 s, calibrated on brief pauses: {', '.join(relaxed)})")
    print(HEADER)
    print(row("this detector", ipol.pool(run(this_detector, names))))
    print(row("this detector, U-turns left out", ipol.pool(run(this_detector, names, False))))
    for rule, label in (("yaw", "McCamley yaw sign"), ("roll", "roll sign (Ullrich/mobgap)")):

        def baseline(name, rule=rule):
            return previous_detector(name, rule)

        print(row(f"previous timing + {label}", ipol.pool(run(baseline, names))))

    print("\nper subject (this detector)")
    print(HEADER)
    for subject in subjects:
        trials = [n for n in names if ipol.subject_of(n) == subject]
        print(row(f"subject {subject}", ipol.pool(run(this_detector, trials))))

    names_a = [n for n in names if ipol.subject_of(n) in HALF_A]
    names_b = [n for n in names if ipol.subject_of(n) not in HALF_A]
    print("\nleave subjects out (parameters chosen on half A)")
    print(HEADER)
    chosen_on = ", ".join(str(s) for s in HALF_A)
    print(row(f"half A, subjects {chosen_on}", ipol.pool(run(this_detector, names_a))))
    held_out = ", ".join(str(s) for s in subjects if s not in HALF_A)
    print(row(f"half B (held out), subjects {held_out}", ipol.pool(run(this_detector, names_b))))
    if args.scan:
        scan(names_a, names_b)


if __name__ == "__main__":
    main()
