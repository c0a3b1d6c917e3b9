"""Write every session output into one folder: summary.json, reps.csv and report.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sensorlab.catalogue.entry import SessionOrigin, session_entry
from sensorlab.catalogue.store import record_session
from sensorlab.io.writer import check_output_dir, write_error
from sensorlab.records import SessionAnalysis, SessionMeta
from sensorlab.summary.report import write_report
from sensorlab.summary.summary import build_summary, write_summary
from sensorlab.summary.table import write_reps_csv

SUMMARY_NAME = "summary.json"
TABLE_NAME = "reps.csv"
REPORT_NAME = "report.html"


@dataclass(frozen=True)
class SessionOutputs:
    """What :func:`write_outputs` wrote.

    Attributes
    ----------
    summary : dict
        The summary written to ``summary_path`` (as from
        :func:`~sensorlab.summary.summary.build_summary`).
    summary_path, table_path, report_path : Path
        ``summary.json``, ``reps.csv`` and ``report.html`` in the output folder.
    catalogue : Path or None
        The catalogue the session was recorded in; ``None`` when not recorded.
    """

    summary: dict
    summary_path: Path
    table_path: Path
    report_path: Path
    catalogue: Path | None = None


def write_outputs(
    analysis: SessionAnalysis,
    out_dir: str | Path,
    *,
    started_at: str | None = None,
    meta: SessionMeta | None = None,
    catalogue: Path | None = None,
    origin: SessionOrigin | None = None,
) -> SessionOutputs:
    """Build the summary and write summary.json, reps.csv and report.html into ``out_dir``.

    Parameters
    ----------
    analysis : SessionAnalysis
        The analysed session.
    out_dir : str or Path
        Output folder, created if needed; existing files of the same names are replaced.
        Each file is written atomically, so a failed write (a full disk) leaves the
        earlier file or none, never a truncated one.
    started_at : str, optional
        ISO 8601 session start from the sidecar (``SessionMeta.started_at``), shown in the
        report and written as ``started_at`` in the summary.
    meta : SessionMeta, optional
        The sidecar: its ``started_at`` (unless given above), ``subject`` and ``date`` go
        into the summary and the report's header.
    catalogue : Path, optional
        Once the files are written, record the session in this catalogue
        (:func:`~sensorlab.catalogue.store.record_session`; created on first use).
    origin : SessionOrigin, optional
        Subject, date and recording file, for the catalogue.

    Raises
    ------
    InputError
        ``out_dir`` is a file or cannot be written, or a write failed (a full disk,
        permissions), or the catalogue cannot be written (the outputs are then in place):
        the message names the file and the fix.
    """
    out = Path(out_dir)
    check_output_dir(out)
    meta = meta or SessionMeta()
    summary = build_summary(
        analysis, started_at=started_at or meta.started_at, subject=meta.subject, date=meta.date
    )
    path = out / SUMMARY_NAME
    try:
        summary_path = write_summary(summary, path)
        path = out / TABLE_NAME
        table_path = write_reps_csv(analysis, path)
        path = out / REPORT_NAME
        report_path = write_report(analysis, summary, path)
    except OSError as error:
        raise write_error(path, error) from None
    if catalogue is not None:
        origin = origin or SessionOrigin()
        record_session(catalogue, session_entry(summary, origin), out, origin.recording)
    return SessionOutputs(summary, summary_path, table_path, report_path, catalogue)
