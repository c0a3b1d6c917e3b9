"""The cohort table ``cohort.csv`` and the list of skipped sessions ``batch_errors.csv``.

``cohort.csv``: one row per analysed session of a batch, and ``batch_errors.csv``: one
row per session skipped, with the reason.

Columns are fixed (every metric of every activity), so tables of different batches line
up; a value a session does not have is an empty cell. Paths are relative to the batch's
output folder (outputs) or input folder (sessions), never absolute.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sensorlab.batch.run import BatchRun
from sensorlab.batch.worker import SessionResult
from sensorlab.catalogue.entry import ALL_METRICS
from sensorlab.io.writer import write_atomically, write_error

COHORT_NAME = "cohort.csv"
ERRORS_NAME = "batch_errors.csv"

LEADING_COLUMNS: tuple[str, ...] = (
    "session",
    "subject",
    "date",
    "activity",
    "activity_basis",
    "duration_s",
    "left_count",
    "right_count",
    "left_out",
)
TRAILING_COLUMNS: tuple[str, ...] = (
    "min_calibration_quality",
    "max_missing_pct",
    "findings_withheld",
    "warnings",
    "outputs",
)
COHORT_COLUMNS: tuple[str, ...] = (
    *LEADING_COLUMNS,
    *(f"{key}_{part}" for key in ALL_METRICS for part in ("left", "right", "si_pct")),
    *TRAILING_COLUMNS,
)
"""Every column of ``cohort.csv``, in order (documented in docs/batch.md)."""


def cohort_row(result: SessionResult, out_dir: Path) -> dict[str, object]:
    """One ``cohort.csv`` row (column -> value; ``None`` for an empty cell)."""
    entry = result.entry()
    row: dict[str, object] = {
        "session": result.task.session.relative.as_posix(),
        "subject": entry.subject,
        "date": entry.date,
        "activity": entry.activity,
        "activity_basis": entry.activity_basis,
        "duration_s": entry.duration_s,
        "left_count": entry.left_count,
        "right_count": entry.right_count,
        "left_out": entry.left_out,
    }
    for key in ALL_METRICS:
        sides = entry.metrics.get(key)
        row[f"{key}_left"] = sides.left if sides else None
        row[f"{key}_right"] = sides.right if sides else None
        row[f"{key}_si_pct"] = sides.si_pct if sides else None
    row["min_calibration_quality"] = entry.min_calibration_quality
    row["max_missing_pct"] = entry.max_missing_pct
    row["findings_withheld"] = ";".join(entry.findings_withheld)
    row["warnings"] = len(entry.warnings)
    row["outputs"] = Path(os.path.relpath(result.task.out_dir, out_dir)).as_posix()
    return row


def relative_message(message: str, root: Path) -> str:
    """An error message without the tree's absolute location.

    The tree's location is taken out of the paths in it,
    so the outputs hold no absolute path (``/data/study/p01/x.csv:3`` -> ``p01/x.csv:3``).
    """
    for prefix in {str(root), os.path.abspath(root)}:
        message = message.replace(prefix.rstrip(os.sep) + os.sep, "")
    return message


def _csv_text(columns: tuple[str, ...], rows: Sequence[Mapping[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def write_cohort_tables(run: BatchRun) -> tuple[Path, Path]:
    """Write ``cohort.csv`` and ``batch_errors.csv``; return both paths.

    ``batch_errors.csv`` has the columns ``session`` and ``reason``;
    header only when nothing failed) into the batch's output folder; return both paths.
    """
    cohort = run.out_dir / COHORT_NAME
    errors = run.out_dir / ERRORS_NAME
    rows = [cohort_row(r, run.out_dir) for r in run.analysed]
    failures = [
        {
            "session": r.task.session.relative.as_posix(),
            "reason": relative_message(r.error or "", run.root),
        }
        for r in run.failed
    ]
    for path, text in (
        (cohort, _csv_text(COHORT_COLUMNS, rows)),
        (errors, _csv_text(("session", "reason"), failures)),
    ):
        try:
            write_atomically(path, lambda handle, text=text: handle.write(text))
        except OSError as error:
            raise write_error(path, error) from None
    return cohort, errors
