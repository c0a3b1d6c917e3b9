"""The ``sensorlab`` command line.

Each subcommand is a thin layer over the library: parse arguments, call it, print what a
person needs, and turn a user's mistake (:class:`sensorlab.errors.InputError`) into one
clear message and exit status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sensorlab import __version__
from sensorlab.errors import InputError

EXIT_USER_ERROR = 2

ANALYZE_EPILOG = """\
examples:
  sensorlab analyze recordings/step_up_asymmetric.csv --out out/demo
  sensorlab analyze walk.csv --out out/walk --activity walk

The recording is the contract CSV (t, sensor, acc_x..z in m/s^2, gyr_x..z in deg/s) with
its JSON sidecar next to it (same name, .json). The session must start with about 3 s of
quiet standing (or the sidecar's "calibration" span says where it is); sensors: pelvis,
left_thigh, right_thigh. Writes DIR/summary.json, DIR/report.html and DIR/reps.csv.
"""


def _analyze(args: argparse.Namespace) -> int:
    from sensorlab.io.recording import read_recording
    from sensorlab.processing.pipeline import SessionAnalyzer
    from sensorlab.summary.outputs import write_outputs
    from sensorlab.summary.text import format_text_summary

    started = time.perf_counter()
    recording = read_recording(Path(args.recording))
    analyzer = SessionAnalyzer(recording.meta, args.activity, source=recording.source)
    analyzer.warnings.extend(recording.warnings)
    _feed_with_progress(analyzer, recording, show=not args.quiet)
    analysis = analyzer.finish()
    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    outputs = write_outputs(analysis, Path(args.out), started_at=recording.meta.started_at)
    print(format_text_summary(outputs.summary))
    print()
    print(f"summary  {outputs.summary_path}")
    print(f"report   {outputs.report_path}")
    print(f"reps     {outputs.table_path}")
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


SIMULATE_EPILOG = """\
examples:
  sensorlab simulate --out sim/step_up.csv
  sensorlab simulate --scenario walk_asymmetric --duration 120 --seed 3 --out sim/walk.csv

Writes NEW.csv with its sidecar NEW.json (the recording contract) and NEW.truth.json, the
ground truth (reps or steps and their true metrics, true mounts and biases). The
simulator is physically exact: specific force R^T(a + g) and body-frame angular rate of
prescribed body motion, then noise, bias, quantisation, strap error, clocks and losses.
"""


def _simulate(args: argparse.Namespace) -> int:
    import inspect

    from sensorlab.io.recording import write_recording
    from sensorlab.simulate import SCENARIOS, write_truth

    scenario = args.scenario or f"{args.activity}_asymmetric"
    make = SCENARIOS[scenario]
    options = {"duration_s": args.duration, "rate_hz": args.rate}
    accepted = inspect.signature(make).parameters
    session = make(
        args.seed, **{k: v for k, v in options.items() if k in accepted and v is not None}
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_recording(session.recording, out)
    truth_path = out.with_suffix(".truth.json")
    write_truth(session.truth, truth_path)
    truth = session.truth
    counts = f"{len(truth.reps)} reps" if truth.reps else f"{len(truth.steps)} steps"
    print(f"{scenario}, seed {args.seed}: {truth.duration_s:.0f} s, {counts}")
    print(f"recording  {out} (+ {out.with_suffix('.json').name})")
    print(f"truth      {truth_path}")
    return 0


def _feed_with_progress(analyzer, recording, show: bool) -> None:
    """Feed the recording in 60 s blocks (same result as one block) behind a progress bar."""
    from tqdm import tqdm

    from sensorlab.io.blocks import iter_time_blocks

    duration_s = recording.duration_s
    with tqdm(
        total=round(duration_s),
        unit="s",
        desc="analysing",
        disable=not show or duration_s < 600 or not sys.stderr.isatty(),
        leave=False,
    ) as bar:
        for block_end_s, chunks in iter_time_blocks(recording, block_s=60.0):
            analyzer.update(chunks)
            bar.update(round(block_end_s) - bar.n)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="sensorlab",
        description=(
            "Pelvis and thigh IMUs -> repetitions and gait steps -> pelvic drop, tilt, "
            "thigh depth, tempo, stability and left-right symmetry."
        ),
    )
    parser.add_argument("--version", action="version", version=f"sensorlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    analyze = commands.add_parser(
        "analyze",
        help="analyse a recorded session into summary.json, report.html and reps.csv",
        description="Analyse a recorded session (contract CSV + sidecar).",
        epilog=ANALYZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze.add_argument("recording", help="the session CSV (its sidecar NAME.json is read too)")
    analyze.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs")
    analyze.add_argument(
        "--activity",
        choices=("step_up", "walk"),
        help="what the session is (default: the sidecar's 'activity', else detected)",
    )
    analyze.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    analyze.set_defaults(handler=_analyze)

    from sensorlab.simulate.scenarios import SCENARIOS

    simulate = commands.add_parser(
        "simulate",
        help="make a recording (and its ground truth) with the physically exact simulator",
        description="Simulate a session into a contract recording plus its ground truth.",
        epilog=SIMULATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    simulate.add_argument(
        "--activity", choices=("step_up", "walk"), default="step_up", help="default: step_up"
    )
    simulate.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        help="a named preset (default: <activity>_asymmetric)",
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    simulate.add_argument("--duration", type=float, metavar="S", help="approximate length, s")
    simulate.add_argument("--rate", type=float, metavar="HZ", help="sensor rate (default 100)")
    simulate.add_argument("--out", required=True, metavar="NEW.csv", help="recording to write")
    simulate.set_defaults(handler=_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sensorlab`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"sensorlab {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
