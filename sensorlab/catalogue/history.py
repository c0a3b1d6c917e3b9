"""A subject's sessions over time, from the catalogue.

A terminal table and a figure of
the key symmetry indices (pelvic drop, thigh range, step time) per session date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from matplotlib.figure import Figure

from sensorlab.catalogue.entry import KEY_METRICS, SessionEntry
from sensorlab.catalogue.store import CatalogueSession
from sensorlab.processing.movements import drill_names
from sensorlab.summary.figures import FIGURE_DPI, RC
from sensorlab.summary.metrics import (
    activity_name,
    format_si,
    metric_info,
    per_side_metrics_for,
)
from sensorlab.summary.si_figure import si_across_sessions_figure

SECONDS_PER_DAY = 86400.0


def session_time(session: CatalogueSession) -> datetime | None:
    """When the session took place.

    Its date, else when it was analysed; ``None`` when
    neither reads as ISO 8601. Times with and without a zone are compared as given.
    """
    for text in (session.entry.date, session.analysed_at):
        if text:
            try:
                return datetime.fromisoformat(text).replace(tzinfo=None)
            except ValueError:
                continue
    return None


def _date_text(session: CatalogueSession) -> str:
    if session.entry.date:
        return session.entry.date[:16].replace("T", " ")
    return f"({session.analysed_at[:10]} analysed)"


def history_table(sessions: Sequence[CatalogueSession]) -> str:
    """The sessions as a plain-text table, oldest first.

    Columns: date, activity, counts per side,
    pelvic drop per side, the key symmetry indices, and whether findings were withheld;
    with standing drills among them, also each drill's first per-side metric's SI.
    """
    drop = metric_info("pelvic_drop_deg")
    drills = any(s.entry.activity in drill_names() for s in sessions)
    heads = ["date", "activity", "L/R n", "drop L", "drop R"]
    heads += [f"{metric_info(k).short} SI" for k in KEY_METRICS]
    heads += ["drill SI"] if drills else []
    heads += ["note"]
    rows = []
    for session in sessions:
        entry = session.entry
        pelvic = entry.metrics.get("pelvic_drop_deg")
        row = [
            _date_text(session),
            activity_name(entry.activity),
            f"{entry.left_count}/{entry.right_count}",
            drop.fmt(pelvic.left if pelvic else None),
            drop.fmt(pelvic.right if pelvic else None),
        ]
        for key in KEY_METRICS:
            sides = entry.metrics.get(key)
            row.append(format_si(sides.si_pct if sides else None))
        if drills:
            row.append(_drill_si(entry))
        note = (
            "not judged: " + ", ".join(entry.findings_withheld) if entry.findings_withheld else ""
        )
        row.append(note)
        rows.append(row)
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in [heads, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _drill_si(entry: SessionEntry) -> str:
    """A drill session's first per-side metric and its SI (``depth -7.9%``); else ``""``."""
    if entry.activity not in drill_names():
        return ""
    info = per_side_metrics_for(entry.activity)[0]
    sides = entry.metrics.get(info.key)
    return f"{info.short} {format_si(sides.si_pct if sides else None)}"


def history_figure(sessions: Sequence[CatalogueSession], subject: str) -> Figure:
    """The key symmetry indices of ``sessions`` against their dates.

    The axis is in days since the first
    dated session; a session without a readable date is placed after the last one).
    """
    times = [session_time(s) for s in sessions]
    known = [t for t in times if t is not None]
    first = min(known) if known else None
    xs: list[float] = []
    for t in times:
        if t is None or first is None:
            xs.append((max(xs) + 1.0) if xs else 0.0)
        else:
            xs.append((t - first).total_seconds() / SECONDS_PER_DAY)
    labels = [(t.strftime("%d %b %Y") if t is not None else "?") for t in times]
    fig = si_across_sessions_figure(
        xs,
        {
            k: [s.entry.metrics[k].si_pct if k in s.entry.metrics else None for s in sessions]
            for k in KEY_METRICS
        },
        x_label=(
            f"session date (subject {subject})"
            if len(xs) <= 12
            else f"days since the first session, {labels[0]} (subject {subject})"
        ),
        x_ticks=xs if len(xs) <= 12 else None,
        x_ticklabels=labels if len(xs) <= 12 else None,
        course=True,
    )
    return fig


def safe_name(text: str) -> str:
    """``text`` usable in a file name.

    Anything but letters, digits, ``-``, ``_`` and
    ``.`` becomes ``_``.
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", text) or "_"


def write_history_figure(sessions: Sequence[CatalogueSession], subject: str, path: Path) -> Path:
    """Draw :func:`history_figure` into ``path`` (PNG or SVG, by its suffix).

    Raises
    ------
    InputError
        The file cannot be written (permissions, a full disk): names it and the fix.
    """
    import matplotlib as mpl

    from sensorlab.io.writer import write_error

    fig = history_figure(sessions, subject)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with mpl.rc_context(RC):
            fig.savefig(path, dpi=FIGURE_DPI)
    except OSError as error:
        raise write_error(path, error) from None
    return path
