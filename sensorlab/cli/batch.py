"""``sensorlab batch DIR --out DIR``: analyse every session of a tree (the command line)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sensorlab.cli.catalogue import add_catalogue_arguments, chosen_catalogue

EXIT_SOME_SKIPPED = 1

BATCH_EPILOG = """\
examples:
  sensorlab batch study/ --out out/study
  sensorlab batch study/ --out out/study --jobs 2 --no-catalogue
  sensorlab batch /shared/study --out /shared/out --dask tcp://scheduler:8786

Every recording NAME.csv under DIR (with its sidecar NAME.json) is analysed as 'sensorlab
analyze' would, into its own folder under --out that mirrors the tree (study/p01/walk.csv
-> OUT/p01/walk/summary.json, report.html, reps.csv). A file that cannot be analysed is
listed with the reason and skipped. Then OUT/cohort.csv (one row per session: per-side
metrics and symmetry indices), OUT/cohort.html and OUT/batch_errors.csv. Each session is
recorded in the catalogue (see 'sensorlab history'). Exit status 0 when every session was
analysed, 1 when some were skipped, 2 when nothing could be done.
"""


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``batch`` to the subcommands."""
    batch = commands.add_parser(
        "batch",
        help="analyse every session in a folder tree, in parallel; cohort table and report",
        description="Analyse every session (contract CSV + sidecar) in a folder tree.",
        epilog=BATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    batch.add_argument("folder", metavar="DIR", help="the folder tree of sessions")
    batch.add_argument("--out", required=True, metavar="DIR", help="folder for all outputs")
    batch.add_argument(
        "--jobs", type=int, metavar="N", help="worker processes (default: the CPU count)"
    )
    batch.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on this Dask scheduler (tcp://host:8786) instead; needs sensorlab[dask]",
    )
    batch.add_argument(
        "--activity",
        choices=("step_up", "walk"),
        help="the activity of every session (default: each sidecar's, else detected)",
    )
    batch.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_catalogue_arguments(batch)
    batch.set_defaults(handler=run_batch_command)


def run_batch_command(args: argparse.Namespace) -> int:
    """Run ``sensorlab batch``; print what was analysed, skipped and written."""
    from sensorlab.batch.cohort import relative_message, write_cohort_tables
    from sensorlab.batch.cohort_report import write_cohort_report
    from sensorlab.batch.run import default_jobs, record_batch, run_batch
    from sensorlab.io.writer import check_output_dir

    started = time.perf_counter()
    out = Path(args.out)
    check_output_dir(out)
    catalogue = chosen_catalogue(args, out)
    if catalogue is not None:  # a catalogue it cannot use is found before, not after, the run
        from sensorlab.catalogue.store import open_catalogue

        open_catalogue(catalogue).close()
    where = f"Dask at {args.dask}" if args.dask else f"{args.jobs or default_jobs()} process(es)"
    print(f"analysing the sessions under {args.folder} with {where}", flush=True)
    run = run_batch(
        Path(args.folder),
        out,
        jobs=args.jobs,
        dask_address=args.dask,
        activity=args.activity,
        progress=not args.quiet,
    )
    for result in run.failed:
        reason = relative_message(result.error or "", run.root)
        print(f"skipped {result.task.session.relative.as_posix()}: {reason}", file=sys.stderr)
    cohort, errors = write_cohort_tables(run)
    report = write_cohort_report(run)
    if catalogue is not None and run.analysed:
        record_batch(run, catalogue)
    elapsed = time.perf_counter() - started
    print(
        f"{len(run.analysed)} of {len(run.results)} sessions analysed"
        f"{f', {len(run.failed)} skipped (listed above and in {errors})' if run.failed else ''}"
        f" ({elapsed:.1f} s)"
    )
    print(f"cohort   {cohort}")
    print(f"report   {report}")
    if catalogue is not None and run.analysed:
        print(f"catalogue {catalogue}")
    return EXIT_SOME_SKIPPED if run.failed else 0
