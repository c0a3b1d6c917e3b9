"""Details of the live window (offscreen Qt): the calibration hint inside its view; the
symmetry bars' empty state, arrows past the end, and bars that agree with their grade."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtWidgets

from sensorlab.live.runner import SessionRunner
from sensorlab.live.tally import SymmetryBar
from sensorlab.live.widgets import SI_AXIS_LIMIT_PCT, SI_BAR_LIMIT_PCT, SymmetryBars
from sensorlab.processing.symmetry import robinson_si_pct
from sensorlab.session import Session
from sensorlab.sources.replay import ReplaySource
from sensorlab.summary.findings import grade

ROOT = Path(__file__).resolve().parents[1]
STEP_UP = ROOT / "recordings" / "step_up_asymmetric.csv"


def _bar(metric: str, left: float | None, right: float | None) -> SymmetryBar:
    si = None if left is None or right is None else robinson_si_pct(left, right)
    return SymmetryBar(metric, metric, left, right, si, grade(metric, left, right, si))


def _drawn_widths(bars: SymmetryBars) -> list[float]:
    return [float(w) for w in bars._bars.opts["width"]]


def _arrow_heads(bars: SymmetryBars) -> list[QtWidgets.QGraphicsPolygonItem]:
    return [item for item in bars._labels if isinstance(item, QtWidgets.QGraphicsPolygonItem)]


@pytest.fixture
def bars(qtbot):
    widget = SymmetryBars()
    qtbot.addWidget(widget)
    return widget


def test_before_both_sides_have_a_value_the_plot_says_so(bars):
    assert bars.empty_text.isVisible() and bars.getPlotItem().getAxis("left")._tickLevels == [[]]
    bars.show_bars([_bar("pelvic_drop_deg", 3.0, None)])
    assert bars.empty_text.isVisible() and _drawn_widths(bars) == []
    bars.show_bars([_bar("pelvic_drop_deg", 3.0, 3.2)])
    assert not bars.empty_text.isVisible() and len(_drawn_widths(bars)) == 1


def test_a_value_past_the_end_is_clipped_with_an_arrow_and_its_value(bars):
    big = _bar("thigh_rom_deg", 20.0, 60.0)  # SI +100 %, notable
    small = _bar("pelvic_drop_deg", 3.0, 3.2)
    assert big.level == "notable" and big.si_pct > SI_AXIS_LIMIT_PCT
    bars.show_bars([big, small])
    assert _drawn_widths(bars) == [SI_BAR_LIMIT_PCT, pytest.approx(small.si_pct)]
    (head,) = _arrow_heads(bars)
    tip = max(point.x() for point in head.polygon())
    assert SI_BAR_LIMIT_PCT < tip <= SI_AXIS_LIMIT_PCT
    texts = [item.toPlainText() for item in bars._labels if hasattr(item, "toPlainText")]
    assert f"thigh_rom_deg  {big.si_pct:+.0f}%" in texts


def test_a_bar_balanced_within_noise_is_a_dot_at_zero_not_a_long_bar(bars):
    """0.1 vs 0.5 deg of drop: SI +133 %, but the gap is under the noise floor, so the
    grade is balanced and the bar must not run off the scale in the balanced ink."""
    noise = _bar("pelvic_drop_deg", 0.1, 0.5)
    assert noise.level == "balanced" and noise.si_pct > 100
    bars.show_bars([noise])
    assert _drawn_widths(bars) == [0.0] and _arrow_heads(bars) == []
    texts = [item.toPlainText() for item in bars._labels if hasattr(item, "toPlainText")]
    assert any("within noise" in text for text in texts)


def test_the_calibration_hint_stays_inside_the_pelvis_view(qtbot, tmp_path):
    from sensorlab.live.window import LiveWindow

    runner = SessionRunner(lambda: Session(ReplaySource.from_path(STEP_UP, speed=1.0))).start()
    window = LiveWindow(runner, out_dir=tmp_path / "out")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: bool(window.calibration_text.toPlainText()), timeout=30_000)
    view = window.trace_plots[0].getViewBox()
    for width in (1400, 900):  # narrow windows wrap the hint, never cut it
        window.resize(width, 860)
        qtbot.wait(50)
        hint = window.calibration_text.sceneBoundingRect()
        assert view.sceneBoundingRect().contains(hint), (width, hint, view.sceneBoundingRect())
    window.timer.stop()
    runner.stop()
