"""The cohort report ``cohort.html``: the batch at a glance.

Every session's counts, key symmetry indices
and data quality in one table (each linked to its own report), the symmetry indices of
the key metrics per session as a figure, and the sessions that were skipped, with why.

One self-contained file in the session report's style (same stylesheet, colours and
grade bands); links and paths are relative to the output folder.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from sensorlab import __version__
from sensorlab.batch.cohort import relative_message
from sensorlab.batch.run import BatchRun
from sensorlab.catalogue.entry import KEY_METRICS, SessionEntry
from sensorlab.io.writer import write_atomically, write_error
from sensorlab.summary.figures import figure_to_data_uri
from sensorlab.summary.findings import NEUTRAL_SI_PCT, NOTABLE_SI_PCT
from sensorlab.summary.metrics import activity_name, format_duration, format_si, metric_info
from sensorlab.summary.outputs import REPORT_NAME
from sensorlab.summary.report_css import report_css
from sensorlab.summary.si_figure import si_across_sessions_figure

COHORT_REPORT_NAME = "cohort.html"
CALIBRATION_POOR = 0.5
"""Calibration quality below this is flagged in the table (the report's "poor")."""

_E = html.escape


def _grade(si_pct: float | None) -> str:
    if si_pct is None:
        return ""
    size = abs(si_pct)
    if size > NOTABLE_SI_PCT:
        return "q-poor"
    return "q-fair" if size >= NEUTRAL_SI_PCT else ""


def _row(number: int, relative: str, entry: SessionEntry, report_href: str) -> str:
    cells = [
        f'<td class="num">{number}</td>',
        f'<td><a href="{_E(report_href)}">{_E(relative)}</a></td>',
        f"<td>{_E(entry.subject or '—')}</td>",
        f"<td>{_E((entry.date or '—')[:10])}</td>",
        f"<td>{_E(activity_name(entry.activity))}</td>",
        f'<td class="num">{_E(format_duration(entry.duration_s))}</td>',
        f'<td class="num">{entry.left_count} / {entry.right_count}</td>',
    ]
    for key in KEY_METRICS:
        sides = entry.metrics.get(key)
        si = sides.si_pct if sides else None
        cells.append(f'<td class="num si {_grade(si)}">{_E(format_si(si))}</td>')
    quality = entry.min_calibration_quality
    poor = quality is not None and quality < CALIBRATION_POOR
    cells.append(
        f'<td class="num{" q-poor" if poor else ""}">'
        f"{'—' if quality is None else f'{quality:.2f}'}</td>"
    )
    withheld = ", ".join(entry.findings_withheld)
    cells.append(f"<td>{_E(withheld or '—')}</td>")
    cells.append(f'<td class="num">{len(entry.warnings)}</td>')
    return "<tr>" + "".join(cells) + "</tr>"


def render_cohort_report(run: BatchRun) -> str:
    """The cohort report of ``run`` as one HTML document (a string)."""
    analysed = run.analysed
    entries = [r.entry() for r in analysed]
    metric_heads = "".join(
        f'<th class="num">{_E(metric_info(k).short)}<br><small>SI</small></th>' for k in KEY_METRICS
    )
    head = (
        '<tr><th class="num">#</th><th>session</th><th>subject</th><th>date</th>'
        '<th>activity</th><th class="num">duration</th><th class="num">left / right'
        "<br><small>reps or steps</small></th>"
        f'{metric_heads}<th class="num">calibration<br><small>worst sensor</small></th>'
        '<th>no finding<br><small>because</small></th><th class="num">warnings</th></tr>'
    )
    rows = "".join(
        _row(
            number,
            r.task.session.relative.as_posix(),
            entry,
            Path(os.path.relpath(r.task.out_dir / REPORT_NAME, run.out_dir)).as_posix(),
        )
        for number, (r, entry) in enumerate(zip(analysed, entries, strict=True), start=1)
    )
    table = (
        '<section><h2>Sessions</h2><p class="lede">One row per analysed session; the name '
        "links to its report. SI: Robinson symmetry index, positive when the right side is "
        f"larger; amber from {NEUTRAL_SI_PCT:.0f} %, red beyond {NOTABLE_SI_PCT:.0f} %. "
        "The full table, with every metric per side, is cohort.csv.</p>"
        f'<div class="table-wrap"><table class="data"><thead>{head}</thead>'
        f"<tbody>{rows}</tbody></table></div></section>"
        if analysed
        else '<section><h2>Sessions</h2><p class="empty">No session could be analysed.</p>'
        "</section>"
    )
    figure = ""
    if analysed:
        fig = si_across_sessions_figure(
            range(1, len(entries) + 1),
            {
                k: [e.metrics[k].si_pct if k in e.metrics else None for e in entries]
                for k in KEY_METRICS
            },
            x_label="session (# in the table)",
        )
        figure = (
            "<section><h2>Symmetry per session</h2>"
            f'<figure><img src="{figure_to_data_uri(fig)}" alt="symmetry index per session">'
            "<figcaption>Each dot is one session's symmetry index; the bands are balanced "
            f"(below {NEUTRAL_SI_PCT:.0f} %), borderline and notable (beyond "
            f"{NOTABLE_SI_PCT:.0f} %). Thigh range is a step-up metric, step time a walk's."
            "</figcaption></figure></section>"
        )
    failed = "".join(
        f"<li><b>{_E(r.task.session.relative.as_posix())}</b>: "
        f"{_E(relative_message(r.error or '', run.root))}</li>"
        for r in run.failed
    )
    failures = (
        f'<section><h2>Skipped</h2><ul class="warnings">{failed}</ul></section>' if failed else ""
    )
    header = (
        '<header class="top"><div class="kicker">sensorlab · cohort report</div>'
        f"<h1>{len(analysed)} sessions analysed"
        f"{f' <span class=src>· {len(run.failed)} skipped</span>' if run.failed else ''}</h1>"
        "</header>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>sensorlab cohort report</title>"
        f"<style>{report_css()}</style></head><body><main>{header}{table}{figure}{failures}"
        '<footer><p class="disclaimer">The findings are observations from body-worn sensors, '
        f"not diagnoses.</p><p>Made by sensorlab {_E(__version__)}.</p></footer>"
        "</main></body></html>\n"
    )


def write_cohort_report(run: BatchRun) -> Path:
    """Write ``cohort.html`` into the batch's output folder and return its path."""
    path = run.out_dir / COHORT_REPORT_NAME
    text = render_cohort_report(run)
    try:
        write_atomically(path, lambda handle: handle.write(text))
    except OSError as error:
        raise write_error(path, error) from None
    return path
