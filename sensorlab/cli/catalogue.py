"""``sensorlab history``, and the catalogue options of the commands that analyse.

``sensorlab history --subject ID``, and the catalogue options of the commands that
analyse (``--catalogue PATH``, ``--no-catalogue``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sensorlab.catalogue.store import CATALOGUE_ENV, CATALOGUE_NAME

HISTORY_EPILOG = f"""\
examples:
  sensorlab history --subject P07 --catalogue out/{CATALOGUE_NAME}
  sensorlab history --subject P07 --format svg --out figures/

Lists the subject's sessions in the catalogue, oldest first (date, activity, counts, pelvic
drop per side, and the symmetry indices of pelvic drop, thigh range and step time), and
draws those indices over time into history-SUBJECT.png next to the catalogue (or in --out).
The catalogue: --catalogue, else ${CATALOGUE_ENV}, else ./{CATALOGUE_NAME}.
"""


def add_catalogue_arguments(parser: argparse.ArgumentParser) -> None:
    """``--catalogue PATH`` and ``--no-catalogue``, for a command that writes outputs."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--catalogue",
        metavar="PATH",
        help=f"record the session in this SQLite catalogue (default: ${CATALOGUE_ENV}, else "
        f"{CATALOGUE_NAME} in the parent folder of --out)",
    )
    group.add_argument(
        "--no-catalogue", action="store_true", help="do not record the session in a catalogue"
    )


def chosen_catalogue(args: argparse.Namespace, out_dir: Path | None) -> Path | None:
    """The catalogue a command records into, from its arguments (None: nowhere)."""
    from sensorlab.catalogue.location import catalogue_path

    return catalogue_path(out_dir, args.catalogue, disabled=args.no_catalogue)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``history`` to the subcommands."""
    history = commands.add_parser(
        "history",
        help="a subject's sessions over time from the catalogue: table and asymmetry plot",
        description="Follow a subject's asymmetries over the sessions in the catalogue.",
        epilog=HISTORY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument("--subject", required=True, metavar="ID", help="the subject's id")
    history.add_argument(
        "--catalogue", metavar="PATH", help=f"the catalogue (default ${CATALOGUE_ENV})"
    )
    history.add_argument("--out", metavar="DIR", help="folder for the plot (default: beside it)")
    history.add_argument(
        "--format", choices=("png", "svg"), default="png", help="plot format (default png)"
    )
    history.set_defaults(handler=run_history_command)


def run_history_command(args: argparse.Namespace) -> int:
    """Run ``sensorlab history``: print the table, write the plot, print its path."""
    from sensorlab.catalogue.history import history_table, safe_name, write_history_figure
    from sensorlab.catalogue.store import known_subjects, open_catalogue, subject_sessions
    from sensorlab.errors import InputError

    catalogue = Path(args.catalogue or os.environ.get(CATALOGUE_ENV) or CATALOGUE_NAME)
    connection = open_catalogue(catalogue, create=False)
    try:
        sessions = subject_sessions(connection, args.subject)
        subjects = known_subjects(connection) if not sessions else []
    finally:
        connection.close()
    if not sessions:
        listed = ", ".join(f"{name} ({count})" for name, count in subjects)
        raise InputError(
            f"{catalogue}: no session of subject {args.subject!r}; "
            + (
                f"subjects recorded (sessions): {listed}"
                if listed
                else 'no session there has a subject: give one in the sidecar\'s "subject" '
                "or with analyze --subject ID"
            )
        )
    print(f"subject {args.subject}: {len(sessions)} session(s) in {catalogue}")
    print(history_table(sessions))
    folder = Path(args.out) if args.out else catalogue.parent
    plot = folder / f"history-{safe_name(args.subject)}.{args.format}"
    write_history_figure(sessions, args.subject, plot)
    print(f"\nplot     {plot}")
    return 0
