"""``reps.csv``: one row per repetition (or per gait step for walks), for spreadsheets.

Column names carry their units (``_s``, ``_deg``, ``_dps``); numbers are rounded as in
``summary.json``; a missing value is an empty cell.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sensorlab.io.writer import write_atomically
from sensorlab.records import SessionAnalysis
from sensorlab.summary.metrics import (
    ANGLE_DECIMALS,
    STEP_UP_METRICS,
    TIME_DECIMALS,
    rep_metrics_for,
    round_or_none,
)
from sensorlab.summary.summary import is_gait_session

REP_COLUMNS: tuple[str, ...] = (
    "rep",
    "set",
    "side",
    "t_start_s",
    "t_end_s",
    "duration_s",
    *(m.key for m in STEP_UP_METRICS),
    "data_gap_s",
    "left_out",
)
"""Columns of a step-up rep table (a standing drill's has its own metrics instead of
:data:`~sensorlab.summary.metrics.STEP_UP_METRICS`, and ``activity``): ``rep`` and ``set`` are
1-based, as people count them;
``data_gap_s`` is the time within the rep whose data were lost, bridged or missing (above
zero, that rep's metrics are partly estimates); ``left_out`` is 1 for a rep left out of
the means, symmetry and findings for lost data, else 0."""

STEP_COLUMNS: tuple[str, ...] = (
    "step",
    "side",
    "t_s",
    "step_time_s",
    "pelvic_drop_deg",
    "data_gap_s",
    "left_out",
)
"""Columns of a walk's step table: ``side`` is the foot making contact (the stance side);
``data_gap_s`` and ``left_out`` as for reps, over the step's contact and stance."""


def table_rows(analysis: SessionAnalysis) -> tuple[tuple[str, ...], list[list[object]]]:
    """Header and rows of the session's table (reps, or steps for walks).

    Parameters
    ----------
    analysis : SessionAnalysis
        The analysed session.

    Returns
    -------
    columns : tuple of str
        :data:`REP_COLUMNS` (a drill's metrics in place of the step-up's) or
        :data:`STEP_COLUMNS`.
    rows : list of list
        One per rep or step; rounded floats, ``None`` for missing values.
    """
    if is_gait_session(analysis):
        rows: list[list[object]] = [
            [
                i + 1,
                s.side,
                round_or_none(s.t, TIME_DECIMALS),
                round_or_none(s.step_time_s, TIME_DECIMALS),
                round_or_none(s.pelvic_drop_deg, ANGLE_DECIMALS),
                round_or_none(s.data_gap_s, TIME_DECIMALS),
                int(s.left_out),
            ]
            for i, s in enumerate(analysis.steps)
        ]
        return STEP_COLUMNS, rows
    metrics = rep_metrics_for(analysis.activity if analysis.reps else None)
    columns = REP_COLUMNS
    if metrics != STEP_UP_METRICS:
        keys = tuple(m.key for m in STEP_UP_METRICS)
        at = REP_COLUMNS.index(keys[0])
        columns = (
            *REP_COLUMNS[:at],
            *(m.key for m in metrics),
            *REP_COLUMNS[at + len(keys) :],
        )
    rows = [
        [
            r.index + 1,
            r.set_index + 1,
            r.side,
            round_or_none(r.t_start, TIME_DECIMALS),
            round_or_none(r.t_end, TIME_DECIMALS),
            round_or_none(r.t_end - r.t_start, TIME_DECIMALS),
            *(round_or_none(r.value(m.key), m.decimals) for m in metrics),
            round_or_none(r.data_gap_s, TIME_DECIMALS),
            int(r.left_out),
        ]
        for r in analysis.reps
    ]
    return columns, rows


def write_reps_csv(analysis: SessionAnalysis, path: str | Path) -> Path:
    """Write the rep (or step) table as UTF-8 CSV with a header row, and return the path.

    Parameters
    ----------
    analysis : SessionAnalysis
        The analysed session.
    path : str or Path
        Output file (usually ``reps.csv``); parent folders are created. A session
        without reps or steps gives a header-only file. Written atomically
        (:func:`~sensorlab.io.writer.write_atomically`): a failed write leaves any earlier
        file as it was, never a truncated one.
    """
    path = Path(path)
    columns, rows = table_rows(analysis)

    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])

    write_atomically(path, write)
    return path
