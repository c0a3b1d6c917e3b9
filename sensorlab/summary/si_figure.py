"""The symmetry index of a few key metrics across sessions.

One panel per metric: the
cohort report (sessions in table order) and ``sensorlab history`` (sessions over time).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sensorlab.summary.figures import FIGURE_WIDTH_IN, RC, _grid
from sensorlab.summary.findings import NEUTRAL_SI_PCT, NOTABLE_SI_PCT
from sensorlab.summary.metrics import metric_info
from sensorlab.summary.style import LEVEL_ZONE_COLORS, NEUTRAL_COLOR

PANEL_HEIGHT_IN = 1.9
MIN_SI_RANGE_PCT = 25.0
"""The SI axis shows at least +/- this much, so the grade bands are always in view."""


def si_across_sessions_figure(
    x: Sequence[float],
    si_by_metric: dict[str, Sequence[float | None]],
    *,
    x_label: str,
    x_ticks: Sequence[float] | None = None,
    x_ticklabels: Sequence[str] | None = None,
    course: bool = False,
) -> Figure:
    """One panel per metric: its symmetry index (%) per session, over the grade bands.

    Parameters
    ----------
    x : sequence of float
        Each session's position (a session number, or days since the first session).
    si_by_metric : dict of str to sequence of float or None
        Metric key -> each session's SI in percent (Robinson, positive = right larger);
        ``None`` where the session has no SI for it (drawn as nothing). A metric without
        any value gets no panel (unless none has a value: then the first, with a note).
    x_label : str
        What ``x`` is.
    x_ticks, x_ticklabels : sequence, optional
        Tick positions and their labels (dates); default: whole numbers.
    course : bool
        The sessions are one subject's over time: join them by a thin line (when there
        are at most 50, few enough for a line to read as a course). Not for a cohort,
        where neighbours are unrelated.

    The bands are the report's grades: balanced below 10 %, borderline to 15 %, notable
    beyond (:mod:`sensorlab.summary.findings`).
    """
    # A metric no session has (thigh range in a walking cohort) gets no empty panel.
    metrics = [k for k, v in si_by_metric.items() if any(x is not None for x in v)]
    metrics = metrics or list(si_by_metric)[:1]
    height = 0.5 + PANEL_HEIGHT_IN * len(metrics) + 0.3 * (len(metrics) - 1)
    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIGURE_WIDTH_IN, height))
        axes = fig.subplots(
            len(metrics), 1, sharex=True, squeeze=False, gridspec_kw=_grid(fig, len(metrics), 1)
        )[:, 0]
        xs = np.asarray(x, dtype=float)
        for ax, key in zip(axes, metrics, strict=True):
            si = np.array([np.nan if v is None else v for v in si_by_metric[key]], dtype=float)
            limit = max(MIN_SI_RANGE_PCT, float(np.nanmax(np.abs(si), initial=0.0)) * 1.15)
            for low, high, level in (
                (0.0, NEUTRAL_SI_PCT, "balanced"),
                (NEUTRAL_SI_PCT, NOTABLE_SI_PCT, "borderline"),
                (NOTABLE_SI_PCT, limit, "notable"),
            ):
                for sign in (1, -1):
                    ax.axhspan(
                        sign * low, sign * high, color=LEVEL_ZONE_COLORS[level], lw=0, zorder=0
                    )
            ax.axhline(0.0, color=NEUTRAL_COLOR, lw=0.8, zorder=1)
            if course and len(xs) <= 50:
                keep = np.isfinite(si)
                ax.plot(xs[keep], si[keep], color=NEUTRAL_COLOR, lw=0.8, alpha=0.6, zorder=2)
            ax.plot(xs, si, "o", color=NEUTRAL_COLOR, ms=4.5, zorder=3)
            ax.set_ylim(-limit, limit)
            info = metric_info(key)
            ax.set_title(f"{info.label}: symmetry index")
            ax.set_ylabel("SI %  (+ right larger)")
            if not np.isfinite(si).any():
                ax.text(
                    0.5,
                    0.5,
                    "no session has this metric",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color=NEUTRAL_COLOR,
                )
        axes[-1].set_xlabel(x_label)
        if x_ticks is not None:
            axes[-1].set_xticks(list(x_ticks), labels=list(x_ticklabels or ()))
        else:
            axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig
