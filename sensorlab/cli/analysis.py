"""``sensorlab analyze`` and ``sensorlab simulate``: recordings in, outputs or recordings out."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sensorlab.cli import vendor_import
from sensorlab.cli.catalogue import chosen_catalogue
from sensorlab.cli.common import (
    add_lsl_argument,
    add_recording_arguments,
    check_lsl,
    check_new_recording,
    parse_speed,
    print_output_paths,
    run_session,
)
from sensorlab.errors import InputError

ANALYZE_EPILOG = """\
examples:
  sensorlab analyze recordings/step_up_asymmetric.csv --out out/demo
  sensorlab analyze walk.csv --out out/walk --activity walk

The recording is the contract CSV (t, sensor, acc_x..z in m/s^2, gyr_x..z in deg/s) with
its JSON sidecar next to it (same name, .json), or the vendor exports of one session
(see 'sensorlab import --help'). The session must start with about 3 s of
quiet standing (or the sidecar's "calibration" span says where it is); sensors: pelvis,
left_thigh, right_thigh. Writes DIR/summary.json, DIR/report.html and DIR/reps.csv.
"""


def _analyze(args: argparse.Namespace) -> int:
    from sensorlab.io.open_session import read_session_files
    from sensorlab.io.writer import check_output_dir

    started = time.perf_counter()
    check_output_dir(Path(args.out))  # before the analysis, not after minutes of it
    recording = read_session_files(args.recording, vendor_import.import_settings(args))
    catalogue = chosen_catalogue(args, Path(args.out))
    # The analysis and report stack (about 150 MB) only once the file is known to be good.
    from sensorlab.catalogue.entry import session_origin
    from sensorlab.processing.pipeline import (
        SessionAnalyzer,
        analyses_as,
        as_detected,
        drills_to_reanalyse,
    )
    from sensorlab.summary.outputs import write_outputs
    from sensorlab.summary.text import format_text_summary

    def analysed_as(activity: str | None):
        analyzer = SessionAnalyzer(
            recording.meta, activity, source=recording.source, provisional=False
        )
        analyzer.warnings.extend(recording.warnings)
        _feed_with_progress(analyzer, recording, show=not args.quiet)
        return analyzer.finish()

    analysis = analysed_as(args.activity)
    drills = drills_to_reanalyse(analysis)
    if drills and not args.quiet:
        print(
            f"activity not given and {analysis.activity} is not certain "
            f"({analysis.activity_basis}): analysing again as {', '.join(drills)} "
            "(--activity saves this)",
            file=sys.stderr,
        )
    analysis = as_detected(analysis, analyses_as(drills, analysed_as))
    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    outputs = write_outputs(
        analysis,
        Path(args.out),
        meta=recording.meta,
        catalogue=catalogue,
        origin=session_origin(recording.meta, [Path(p) for p in args.recording], args.subject),
    )
    print(format_text_summary(outputs.summary))
    print()
    print_output_paths(outputs)
    print(f"({time.perf_counter() - started:.1f} s)")
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


SIMULATE_EPILOG = """\
examples:
  sensorlab simulate --out sim/step_up.csv
  sensorlab simulate --scenario walk_asymmetric --duration 120 --seed 3 --out sim/walk.csv

Writes NEW.csv with its sidecar NEW.json (the recording contract) and NEW.truth.json, the
ground truth (reps or steps and their true metrics, true mounts and biases). The
simulator is physically exact: specific force R^T(a + g) and body-frame angular rate of
prescribed body motion, then noise, bias, quantisation, strap error, clocks and losses.
"""


def _simulated_session(args: argparse.Namespace):
    from sensorlab.simulate.scenarios import make_scenario, with_asymmetry

    loss_fraction = None
    if args.loss is not None:
        if not 0.0 <= args.loss < 50.0:
            raise InputError(f"--loss {args.loss:g}: give a percentage from 0 to below 50")
        loss_fraction = args.loss / 100.0
    if args.asymmetry is not None:
        if args.scenario:
            raise InputError("give either --scenario or --asymmetry, not both")
        if args.activity not in ("step_up", "walk"):
            raise InputError(
                f"--asymmetry is for step_up and walk; {args.activity}_asymmetric has the "
                "right side weaker (--activity alone gives it)"
            )
        name = f"{args.activity} with pelvic-drop SI {args.asymmetry:+g}%"
        session = with_asymmetry(
            args.activity,
            args.asymmetry,
            args.seed,
            duration_s=args.duration,
            rate_hz=args.rate or 100.0,
            loss_fraction=loss_fraction or 0.0,
        )
        return name, session
    name = args.scenario or f"{args.activity}_asymmetric"
    session = make_scenario(
        name, args.seed, duration_s=args.duration, rate_hz=args.rate, loss_fraction=loss_fraction
    )
    return name, session


def _simulate(args: argparse.Namespace) -> int:
    from sensorlab.io.recording import write_recording
    from sensorlab.io.writer import check_output_dir
    from sensorlab.simulate import write_truth

    out = Path(args.out) if args.out else None
    if out is None and not args.live:
        raise InputError("give --out NEW.csv for the recording (or --live to stream it)")
    if args.lsl is not None and not args.live:
        raise InputError("--lsl publishes a streaming session: add --live")
    check_lsl(args, args.speed)
    if out is not None:  # like 'record': never overwrite, and know before simulating
        check_new_recording(out, also=(".truth.json",))
        check_output_dir(out.parent, "--out")
    name, session = _simulated_session(args)
    truth = session.truth
    counts = (
        f"{len(truth.steps)} steps"
        if truth.steps
        else f"{len(truth.reps) or len(truth.drill_reps)} reps"
    )
    print(f"{name}, seed {args.seed}: {truth.duration_s:.0f} s, {counts}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_truth(truth, out.with_suffix(".truth.json"))
    if args.live:
        from sensorlab.sources.simulated import SimulatedSource

        source = SimulatedSource.from_session(session, f"sim:{name}", speed=args.speed)
        return run_session(source, args, record=out, report_dir=None)
    assert out is not None  # without --live, --out was required above
    write_recording(session.recording, out)
    print(f"recording  {out} (+ {out.with_suffix('.json').name})")
    print(f"truth      {out.with_suffix('.truth.json')}")
    return 0


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``analyze`` and ``simulate`` to the subcommands."""
    analyze = commands.add_parser(
        "analyze",
        help="analyse a recorded session into summary.json, report.html and reps.csv",
        description="Analyse a recorded session (contract CSV + sidecar, or vendor exports).",
        epilog=ANALYZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_recording_arguments(analyze, vendor=True)
    analyze.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    vendor_import.add_vendor_arguments(analyze)
    analyze.add_argument(
        "--subject", metavar="ID", help="subject id for the catalogue (default: the sidecar's)"
    )
    analyze.set_defaults(handler=_analyze)

    from sensorlab.simulate.scenarios import SCENARIOS

    simulate = commands.add_parser(
        "simulate",
        help="make a recording (and its ground truth) with the physically exact simulator",
        description="Simulate a session into a contract recording plus its ground truth.",
        epilog=SIMULATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from sensorlab.simulate.drills import drill_kinds

    simulate.add_argument(
        "--activity",
        choices=("step_up", "walk", *drill_kinds()),
        default="step_up",
        help="default: step_up; the standing drills are in docs/drills.md",
    )
    simulate.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        help="a named preset (default: <activity>_asymmetric)",
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    simulate.add_argument("--duration", type=float, metavar="S", help="approximate length, s")
    simulate.add_argument("--rate", type=float, metavar="HZ", help="sensor rate (default 100)")
    simulate.add_argument(
        "--loss",
        type=float,
        metavar="PCT",
        help="percent of each sensor's samples lost in bursts of 1-10 samples, as over "
        "Bluetooth (default 0; e.g. 2)",
    )
    simulate.add_argument(
        "--asymmetry",
        type=float,
        metavar="SI",
        help="pelvic-drop symmetry index to simulate, %% (positive: the right leg lets "
        "the pelvis drop more)",
    )
    simulate.add_argument(
        "--live", action="store_true", help="stream in real time through the live pipeline"
    )
    simulate.add_argument(
        "--speed", type=parse_speed, default=1.0, help="with --live: 1, 4, ... or max (default 1)"
    )
    simulate.add_argument(
        "--out",
        metavar="NEW.csv",
        help="recording to write (with --live: recorded while it streams)",
    )
    add_lsl_argument(simulate)
    simulate.set_defaults(handler=_simulate)
