"""The live window's parts: symmetry bars, the last rep in large type, sensor status.

Colours come from :mod:`sensorlab.summary.style`, so left and right, and the symmetry
grades, look the same here as in the report.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from sensorlab.live.tally import SymmetryBar
from sensorlab.records import AnyRep, DrillRepResult, SensorQuality
from sensorlab.summary.findings import NEUTRAL_SI_PCT, NOTABLE_SI_PCT, classify_si
from sensorlab.summary.metrics import rep_metrics_for, working_side
from sensorlab.summary.style import (
    BORDERLINE_ZONE_COLOR,
    LEFT_COLOR,
    LEVEL_COLORS,
    NEUTRAL_COLOR,
    NEUTRAL_ZONE_COLOR,
    RIGHT_COLOR,
    WARNING_ZONE_COLOR,
)

SI_AXIS_LIMIT_PCT = 60.0
"""The symmetry bars' axis runs from -60 % to +60 %."""
SI_BAR_LIMIT_PCT = 50.0
"""Bars stop here (as the report's gauges do); a larger value ends in an arrow to the
axis' end, labelled with the value."""
EMPTY_TEXT = "symmetry shows once both sides have a rep (or a step)"


def _provisional_note(provisional: bool) -> str:
    """The grey italic "provisional" after a count that is not final yet (or nothing)."""
    if not provisional:
        return ""
    return (
        ' <span style="font-size:12pt;font-weight:normal;font-style:italic;'
        f'color:{PROVISIONAL_COLOR}">provisional</span>'
    )


class SymmetryBars(pg.PlotWidget):
    """Horizontal bars of the Robinson SI per metric, on the zones of the report.

    |SI| < 10 % sits on a green band (balanced), 10-15 % on amber, above on red; each bar
    takes its grade's ink. Negative: the left value is larger, positive: the right. Bars
    agree with their grade: a metric balanced only because the sides differ by less than
    the measurement noise is a dot at zero ("within noise"), whatever its SI. Before any
    metric has both sides the plot says so instead of showing an empty axis.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w")
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMenuEnabled(False)
        plot = self.getPlotItem()
        plot.setLabel("bottom", "symmetry index, % (left larger ← → right larger)")
        plot.setXRange(-SI_AXIS_LIMIT_PCT, SI_AXIS_LIMIT_PCT, padding=0)
        zones = (
            (-SI_AXIS_LIMIT_PCT, -NOTABLE_SI_PCT, WARNING_ZONE_COLOR),
            (-NOTABLE_SI_PCT, -NEUTRAL_SI_PCT, BORDERLINE_ZONE_COLOR),
            (-NEUTRAL_SI_PCT, NEUTRAL_SI_PCT, NEUTRAL_ZONE_COLOR),
            (NEUTRAL_SI_PCT, NOTABLE_SI_PCT, BORDERLINE_ZONE_COLOR),
            (NOTABLE_SI_PCT, SI_AXIS_LIMIT_PCT, WARNING_ZONE_COLOR),
        )
        for lo, hi, color in zones:
            zone = pg.LinearRegionItem((lo, hi), movable=False, brush=pg.mkBrush(color))
            zone.setZValue(-10)
            for line in zone.lines:
                line.setPen(pg.mkPen(None))
            plot.addItem(zone)
        plot.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#5f6b76", width=1)))
        self._bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[])
        plot.addItem(self._bars)
        self._labels: list[pg.GraphicsObject] = []
        """Everything drawn per bar (labels, arrows, dots), removed on the next draw."""
        self._shown: list[SymmetryBar] | None = None
        self.empty_text = pg.TextItem(
            EMPTY_TEXT, color="#1d2733", anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 230)
        )
        plot.addItem(self.empty_text)
        self.empty_text.setPos(0, 0.5)
        self._show_empty(True)

    def _show_empty(self, empty: bool) -> None:
        """No bar yet: a sentence on a blank y axis (no meaningless 0-1 scale)."""
        plot = self.getPlotItem()
        self.empty_text.setVisible(empty)
        if empty:
            plot.setYRange(0, 1, padding=0)
            plot.getAxis("left").setTicks([[]])

    def show_bars(self, bars: list[SymmetryBar]) -> None:
        """Draw ``bars`` (top to bottom in the given order)."""
        if bars == self._shown:
            return
        self._shown = list(bars)
        plot = self.getPlotItem()
        for label in self._labels:
            plot.removeItem(label)
        self._labels = []
        n = len(bars)
        if not any(bar.si_pct is not None and math.isfinite(bar.si_pct) for bar in bars):
            self._bars.setOpts(x0=[], y=[], width=[], height=0.35, brushes=[])
            self._show_empty(True)
            return
        self._show_empty(False)
        ys = [n - 1 - i for i in range(n)]
        widths, brushes = [], []
        for bar, y in zip(bars, ys, strict=True):
            si = bar.si_pct if bar.si_pct is not None and math.isfinite(bar.si_pct) else 0.0
            ink = LEVEL_COLORS[bar.level]
            within_noise = bar.level == "balanced" and classify_si(si) != "balanced"
            text = "n/a" if bar.si_pct is None else f"{bar.si_pct:+.0f}%"
            if within_noise:
                si, text = 0.0, f"{text} (within noise)"
                self._add(pg.ScatterPlotItem([0.0], [y], size=11, brush=pg.mkBrush(ink)))
            clipped = max(-SI_BAR_LIMIT_PCT, min(SI_BAR_LIMIT_PCT, si))
            widths.append(clipped)
            brushes.append(pg.mkBrush(ink))
            if clipped != si:  # beyond the bar's end: an arrow head toward the axis' end
                self._add(_arrow_head(clipped, y, ink))
            label = pg.TextItem(f"{bar.label}  {text}", color="#1d2733", anchor=(0, 0.5))
            label.setPos(-SI_AXIS_LIMIT_PCT + 1, y + 0.42)
            self._add(label)
        self._bars.setOpts(x0=[0.0] * n, y=ys, width=widths, height=0.35, brushes=brushes)
        plot.setYRange(-0.6, max(n, 1) - 0.1, padding=0)
        plot.getAxis("left").setTicks([[(y, "") for y in ys]])

    def _add(self, item: pg.GraphicsObject) -> None:
        self.getPlotItem().addItem(item)
        self._labels.append(item)


def _arrow_head(x_pct: float, y: float, ink: str) -> QtWidgets.QGraphicsPolygonItem:
    """A triangle in data coordinates from a clipped bar's end (``x_pct``) outward."""
    tip = x_pct + math.copysign(0.8 * (SI_AXIS_LIMIT_PCT - SI_BAR_LIMIT_PCT), x_pct)
    head = QtWidgets.QGraphicsPolygonItem(
        QtGui.QPolygonF(
            [QtCore.QPointF(x_pct, y - 0.3), QtCore.QPointF(tip, y), QtCore.QPointF(x_pct, y + 0.3)]
        )
    )
    head.setBrush(pg.mkBrush(ink))
    head.setPen(pg.mkPen(None))
    return head


PROVISIONAL_COLOR = "#8a939c"
"""Grey of values not yet refined (they are also in italics, with the word provisional)."""
DRILL_REP_METRICS = 3
"""A drill's last rep shows its first this many per-rep metrics."""
SIDE_INK = {"left": LEFT_COLOR, "right": RIGHT_COLOR, "both": NEUTRAL_COLOR}
"""A rep's side in text; a bilateral drill's reps (``both``) in the neutral ink."""


class LastRepPanel(QtWidgets.QFrame):
    """Rep counts per side and the newest rep's metrics, in type readable from the mat.

    Values judged before the headings were refined are grey and italic, marked
    provisional, until the refined ones replace them.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        self.counts = QtWidgets.QLabel()
        self.counts.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.headline = QtWidgets.QLabel("no reps yet")
        self.metrics = QtWidgets.QLabel("")
        for label, size in ((self.counts, 22), (self.headline, 16), (self.metrics, 26)):
            font = label.font()
            font.setPointSize(size)
            font.setBold(label is not self.headline)
            label.setFont(font)
            layout.addWidget(label)
        self.show_counts("reps", 0, 0)

    def show_counts(self, unit: str, left: int, right: int, provisional: bool = False) -> None:
        """``L n · R m`` in the side colours (``provisional``: some not yet refined)."""
        self.counts.setText(
            f'<span style="color:{LEFT_COLOR}">L {left}</span> &nbsp;·&nbsp; '
            f'<span style="color:{RIGHT_COLOR}">R {right}</span> '
            f'<span style="font-size:12pt;font-weight:normal">{unit}</span>'
            f"{_provisional_note(provisional)}"
        )

    def show_total(self, count: int, words: str, provisional: bool = False) -> None:
        """``n reps (both legs)``: the count of a drill whose reps work both sides."""
        self.counts.setText(
            f'<span style="color:{NEUTRAL_COLOR}">{count}</span> '
            f'<span style="font-size:12pt;font-weight:normal">reps ({words})</span>'
            f"{_provisional_note(provisional)}"
        )

    def show_rep(self, number: int, rep: AnyRep, provisional: bool = False) -> None:
        """The newest rep (``provisional``: judged before the headings were refined)."""
        if isinstance(rep, DrillRepResult):
            self._show_drill_rep(number, rep, provisional)
            return
        self.metrics.setTextFormat(QtCore.Qt.TextFormat.AutoText)
        color = LEFT_COLOR if rep.side == "left" else RIGHT_COLOR
        gap = f" · lost data {rep.data_gap_s:.1f} s" if rep.data_gap_s > 0 else ""
        note = f' · <i style="color:{PROVISIONAL_COLOR}">provisional</i>' if provisional else ""
        self.headline.setText(
            f'<span style="color:{color}">rep {number}, {rep.side} lead</span>'
            f" · {rep.up_duration_s + rep.down_duration_s:.1f} s{gap}{note}"
        )
        self.metrics.setText(
            f"drop {rep.pelvic_drop_deg:.1f}°  ·  ROM {rep.thigh_rom_deg:.0f}°\n"
            f"tilt {rep.pelvic_tilt_range_deg:.1f}°  ·  "
            f"add {rep.thigh_adduction_excursion_deg:.1f}°"
        )
        self.metrics.setStyleSheet(
            f"color: {PROVISIONAL_COLOR}; font-style: italic;" if provisional else ""
        )

    def _show_drill_rep(self, number: int, rep: DrillRepResult, provisional: bool) -> None:
        """A drill's rep: its side in the drill's words and its first metrics, one a line."""
        side = working_side(rep.activity)
        who = side if rep.side == "both" else f"{rep.side} {side}"
        duration_s = rep.value("down_duration_s") + rep.value("up_duration_s")
        gap = f" · lost data {rep.data_gap_s:.1f} s" if rep.data_gap_s > 0 else ""
        note = f' · <i style="color:{PROVISIONAL_COLOR}">provisional</i>' if provisional else ""
        self.headline.setText(
            f'<span style="color:{SIDE_INK[rep.side]}">rep {number}, {who}</span>'
            f" · {duration_s:.1f} s{gap}{note}"
        )
        lines = [
            f'<span style="font-size:12pt;font-weight:normal">{info.short}</span> '
            f"{info.fmt(rep.value(info.key))}"
            for info in rep_metrics_for(rep.activity)[:DRILL_REP_METRICS]
        ]
        self.metrics.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.metrics.setText("<br>".join(lines))
        self.metrics.setStyleSheet(
            f"color: {PROVISIONAL_COLOR}; font-style: italic;" if provisional else ""
        )

    def clear_rep(self) -> None:
        """No rep to show (the only ones were withdrawn)."""
        self.headline.setText("no reps yet")
        self.metrics.setText("")

    def show_walk(self, cadence_steps_min: float | None) -> None:
        """Gait instead of reps."""
        self.headline.setText("walking")
        self.metrics.setText(
            "cadence –" if cadence_steps_min is None else f"cadence {cadence_steps_min:.0f}/min"
        )


STATE_COLORS = {
    "ok": "#2e7d4f",
    "waiting": "#5f6b76",
    "connecting": "#5f6b76",
    "stale": "#9a6b00",
    "reconnecting": "#9a6b00",
    "lost": "#b0285a",
}


class SensorTable(QtWidgets.QTableWidget):
    """One row per sensor: link state, measured vs nominal rate, samples lost, battery."""

    HEADERS = ("sensor", "state", "rate Hz", "lost", "battery", "calibration")

    def __init__(self, placements: tuple[str, ...], parent=None) -> None:
        super().__init__(len(placements), len(self.HEADERS), parent)
        self.placements = placements
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        for row, placement in enumerate(placements):
            self.setItem(row, 0, QtWidgets.QTableWidgetItem(placement.replace("_", " ")))
            for column in range(1, len(self.HEADERS)):
                self.setItem(row, column, QtWidgets.QTableWidgetItem("–"))
        self.setFixedHeight(self.verticalHeader().length() + self.horizontalHeader().height() + 4)

    def _cell(self, row: int, column: int) -> QtWidgets.QTableWidgetItem:
        """The item that the constructor put at ``(row, column)``."""
        item = self.item(row, column)
        if item is None:
            raise LookupError(f"the sensor table has no item at row {row}, column {column}")
        return item

    def show_status(
        self,
        states: dict[str, str],
        quality: dict[str, SensorQuality],
        battery_pct: dict[str, float | None],
        calibration: dict[str, str],
    ) -> None:
        """Refresh every row."""
        for row, placement in enumerate(self.placements):
            state = states.get(placement, "waiting")
            item = self._cell(row, 1)
            item.setText(state)
            item.setForeground(QtGui.QColor(STATE_COLORS.get(state, "#1d2733")))
            q = quality.get(placement)
            if q is not None and q.samples:
                nominal = f" / {q.nominal_rate_hz:.0f}" if q.nominal_rate_hz else ""
                self._cell(row, 2).setText(f"{q.rate_hz:.0f}{nominal}")
                self._cell(row, 3).setText(f"{q.lost} ({100 * q.lost / (q.samples + q.lost):.1f}%)")
            battery = battery_pct.get(placement)
            self._cell(row, 4).setText("–" if battery is None else f"{battery:.0f}%")
            self._cell(row, 5).setText(calibration.get(placement, "–"))
