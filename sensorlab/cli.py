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


def _simulated_session(args: argparse.Namespace):
    from sensorlab.simulate.scenarios import make_scenario, with_asymmetry

    if args.asymmetry is not None:
        if args.scenario:
            raise InputError("give either --scenario or --asymmetry, not both")
        name = f"{args.activity} with pelvic-drop SI {args.asymmetry:+g}%"
        session = with_asymmetry(
            args.activity,
            args.asymmetry,
            args.seed,
            duration_s=args.duration,
            rate_hz=args.rate or 100.0,
        )
        return name, session
    name = args.scenario or f"{args.activity}_asymmetric"
    return name, make_scenario(name, args.seed, duration_s=args.duration, rate_hz=args.rate)


def _simulate(args: argparse.Namespace) -> int:
    from sensorlab.io.recording import write_recording
    from sensorlab.simulate import write_truth

    name, session = _simulated_session(args)
    truth = session.truth
    counts = f"{len(truth.reps)} reps" if truth.reps else f"{len(truth.steps)} steps"
    print(f"{name}, seed {args.seed}: {truth.duration_s:.0f} s, {counts}")
    out = Path(args.out) if args.out else None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_truth(truth, out.with_suffix(".truth.json"))
    if args.live:
        from sensorlab.sources.simulated import SimulatedSource

        source = SimulatedSource.from_session(session, f"sim:{name}", speed=args.speed)
        return _run_session(source, args, record=out, report_dir=None)
    if out is None:
        raise InputError("give --out NEW.csv for the recording (or --live to stream it)")
    write_recording(session.recording, out)
    print(f"recording  {out} (+ {out.with_suffix('.json').name})")
    print(f"truth      {out.with_suffix('.truth.json')}")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from sensorlab.sources.replay import ReplaySource

    source = ReplaySource.from_path(Path(args.recording), speed=args.speed)
    return _run_session(
        source, args, record=Path(args.record) if args.record else None, report_dir=Path(args.out)
    )


def _run_session(
    source, args: argparse.Namespace, record: Path | None, report_dir: Path | None
) -> int:
    """Stream a source through the live pipeline, printing events; then the summary."""
    import asyncio

    from sensorlab.events_text import EventPrinter
    from sensorlab.session import Session
    from sensorlab.summary.outputs import write_outputs
    from sensorlab.summary.summary import build_summary
    from sensorlab.summary.text import format_text_summary

    session = Session(source, getattr(args, "activity", None), record_path=record)
    printer = EventPrinter()

    async def stream() -> None:
        async for event in session.events():
            line = printer.line(event)
            if line is not None:
                print(line, flush=True)

    speed = "as fast as possible" if args.speed is None else f"at {args.speed:g}x"
    print(f"streaming {source.name} {speed} (Ctrl-C ends the session early)", flush=True)
    try:
        asyncio.run(stream())
        analysis = session.analysis
    except KeyboardInterrupt:
        print("\nstopped: summarising what came in", file=sys.stderr)
        analysis = session.analyzer.finish()
    for warning in analysis.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print()
    if report_dir is not None:
        outputs = write_outputs(analysis, report_dir, started_at=source.meta.started_at)
        print(format_text_summary(outputs.summary))
        print()
        print(f"summary  {outputs.summary_path}")
        print(f"report   {outputs.report_path}")
        print(f"reps     {outputs.table_path}")
    else:
        print(format_text_summary(build_summary(analysis, started_at=source.meta.started_at)))
    if record is not None:
        print(f"recorded {record}")
    return 0


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = float(text.rstrip("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"speed is a number (1, 4, ...) or 'max', not {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError("speed must be positive")
    return value


REPLAY_EPILOG = """\
examples:
  sensorlab replay recordings/step_up_asymmetric.csv --out out/replay
  sensorlab replay walk.csv --speed max --record copy.csv --out out/walk

Plays a recording through the live pipeline exactly as if the sensors were streaming
(original timing, jitter and gaps), prints events as they happen ("rep 3, right lead:
thigh ROM 68 deg, pelvic drop 6.1 deg; SI so far +41%"), and at the end writes the same
summary.json, report.html and reps.csv as 'sensorlab analyze'. The first reps appear once
calibration is done (quiet standing, then enough movement to find each segment's axes).
"""


LIVE_EPILOG = """\
examples:
  sensorlab live --source replay:recordings/step_up_asymmetric.csv
  sensorlab live --source sim:walk_asymmetric --record recordings/walk.csv
  sensorlab live --source replay:recordings/step_up_asymmetric.csv --speed 4 \\
      --duration 30 --screenshot live.png          (headless: no screen needed)

Sources:
{sources}

The window shows the last 10 s of pelvic obliquity and tilt and both thighs' sagittal
angles (left blue, right orange, as in the report), each rep as a shaded span, the last
rep's metrics, per-side symmetry bars (green |SI| < 10 %, amber to 15 %, red above) and
each sensor's state, rate and losses; a tab shows raw acc/gyro. Keys: R record,
M mark, C recalibrate (stand still 3 s), Space pause the view. Angles appear once
calibration is done (quiet standing, then a few reps or steps). Closing the window
writes summary.json, report.html and reps.csv to --out.
"""


def _live(args: argparse.Namespace) -> int:
    from sensorlab.live.app import LiveOptions, run_live

    return run_live(
        LiveOptions(
            source=args.source,
            speed=args.speed,
            activity=args.activity,
            record=Path(args.record) if args.record else None,
            out_dir=Path(args.out),
            duration_s=args.duration,
            screenshot=Path(args.screenshot) if args.screenshot else None,
            window_s=args.window,
        )
    )


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


def _add_recording_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of every command that reads a recording and writes the outputs."""
    parser.add_argument("recording", help="the session CSV (its sidecar NAME.json is read too)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs")
    parser.add_argument(
        "--activity",
        choices=("step_up", "walk"),
        help="what the session is (default: the sidecar's 'activity', else detected)",
    )


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
    _add_recording_arguments(analyze)
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
        "--speed", type=_speed, default=1.0, help="with --live: 1, 4, ... or max (default 1)"
    )
    simulate.add_argument(
        "--out",
        metavar="NEW.csv",
        help="recording to write (with --live: recorded while it streams)",
    )
    simulate.set_defaults(handler=_simulate)

    replay = commands.add_parser(
        "replay",
        help="play a recording through the live pipeline, printing events as they happen",
        description="Play a recording through the live pipeline as if the sensors were streaming.",
        epilog=REPLAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_recording_arguments(replay)
    replay.add_argument(
        "--speed", type=_speed, default=1.0, help="1 (real time), 4, ... or max (default 1)"
    )
    replay.add_argument("--record", metavar="NEW.csv", help="record the stream to a new file")
    replay.set_defaults(handler=_replay)

    from sensorlab.sources.base import SOURCE_HELP

    live = commands.add_parser(
        "live",
        help="the live window: traces, reps, symmetry and sensor status as the session runs",
        description="Open the live view on a source (a replay, the simulator or sensors).",
        epilog=LIVE_EPILOG.format(sources=SOURCE_HELP),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    live.add_argument(
        "--source",
        required=True,
        metavar="KIND[:ARG]",
        help="replay:SESSION.csv, sim[:SCENARIO], ... (see below)",
    )
    live.add_argument(
        "--speed", type=_speed, default=1.0, help="replays and sim: 1, 4, ... or max (default 1)"
    )
    live.add_argument(
        "--activity", choices=("step_up", "walk"), help="default: the sidecar's, else both"
    )
    live.add_argument("--record", metavar="NEW.csv", help="record from the start to this file")
    live.add_argument(
        "--out", default="out/live", metavar="DIR", help="outputs at close (default out/live)"
    )
    live.add_argument(
        "--window", type=float, default=10.0, metavar="S", help="seconds of traces (default 10)"
    )
    live.add_argument("--duration", type=float, metavar="S", help="close by itself after S seconds")
    live.add_argument(
        "--screenshot",
        metavar="PNG",
        help="with --duration: save the window to PNG at the end (runs headless if no screen)",
    )
    live.set_defaults(handler=_live)
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
