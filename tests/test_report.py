"""report.html: one self-contained file with the numbers and figures; fast on long sessions."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import struct
from html.parser import HTMLParser

import numpy as np
import pytest
from summary_fixtures import (
    STEP_UP_MEANS,
    make_long_step_up_analysis,
    make_step_up_analysis,
    make_walk_analysis,
    messy_step_up_analysis,
)

from sensorlab.processing.symmetry import robinson_si_pct
from sensorlab.summary import style
from sensorlab.summary.downsample import minmax_bins
from sensorlab.summary.figures import (
    GAP_HATCH,
    event_curves,
    per_side_figure,
    time_series_figure,
)
from sensorlab.summary.findings import data_gap_note, grade
from sensorlab.summary.metrics import metric_info
from sensorlab.summary.outputs import write_outputs
from sensorlab.summary.report import render_report, write_report
from sensorlab.summary.summary import build_summary
from sensorlab.summary.svg import si_bar_svg

DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
VOID = {"meta", "img", "br", "hr", "input", "link", "col", "source", "wbr"}
SVG_LEAVES = {"rect", "line", "circle", "path"}


def robinson(left: float, right: float) -> float:
    return 100.0 * (right - left) / (0.5 * (right + left))


class _TagChecker(HTMLParser):
    """Checks that every non-void element is closed in order."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def png_size(uri_payload: str) -> tuple[int, int]:
    data = base64.b64decode(uri_payload)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def step_up_report(tmp_path_factory):
    analysis = make_step_up_analysis()
    summary = build_summary(analysis, started_at="2026-11-23T10:15:00+01:00")
    out = tmp_path_factory.mktemp("report")
    path = write_report(analysis, summary, out / "report.html")
    return analysis, summary, path


@pytest.fixture(scope="module")
def walk_report(tmp_path_factory):
    analysis = make_walk_analysis()
    summary = build_summary(analysis)
    path = write_report(analysis, summary, tmp_path_factory.mktemp("walk") / "report.html")
    return analysis, summary, path


def test_report_is_one_self_contained_file(step_up_report):
    _, _, path = step_up_report
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    without_images = DATA_URI.sub("data:image/png;base64,", text)
    lowered = without_images.lower()
    assert "http" not in lowered  # no links, no xmlns, no CDN
    assert "<script" not in lowered and "<link" not in lowered
    assert "@import" not in lowered and "url(" not in lowered
    for attr in re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)""", without_images):
        assert attr.startswith("data:"), attr


def test_report_html_is_well_formed(step_up_report, walk_report):
    for _, _, path in (step_up_report, walk_report):
        checker = _TagChecker()
        checker.feed(path.read_text(encoding="utf-8"))
        checker.close()
        unclosed = [t for t in checker.stack if t not in SVG_LEAVES]
        assert checker.errors == [] and unclosed == []


def test_report_has_figures(step_up_report):
    text = step_up_report[2].read_text(encoding="utf-8")
    payloads = DATA_URI.findall(text)
    assert len(payloads) >= 3  # time plot, per-side dots, average rep
    for payload in payloads:
        width, height = png_size(payload)
        assert width >= 1000 and height >= 200
    assert text.count("<svg") >= 8  # one SI gauge per rep metric


def test_report_contains_the_numbers(step_up_report):
    analysis, _summary, path = step_up_report
    text = path.read_text(encoding="utf-8")
    drop = {
        side: round(float(np.mean([r.pelvic_drop_deg for r in analysis.reps if r.side == side])), 1)
        for side in ("left", "right")
    }
    assert f"{drop['left']:.1f}°" in text and f"{drop['right']:.1f}°" in text
    assert f"{robinson(drop['left'], drop['right']):+.1f}%" in text
    n_left = sum(r.side == "left" for r in analysis.reps)
    assert f'<div class="value">{n_left}</div><div class="label">reps led by the left leg' in text
    # Every rep is a table row with its pelvic drop.
    assert text.count("<tr") >= len(analysis.reps)
    for rep in analysis.reps:
        assert f">{rep.pelvic_drop_deg:.1f}</td>" in text
    # Header, findings, quality and the reading guide.
    assert "23 Nov 2026" in text and analysis.source in text
    assert "When the right leg works, the pelvis drops" in text
    assert "0.46 poor" in text  # right thigh calibration quality from the fixture
    right_q = analysis.quality["right_thigh"]
    lost_pct = 100 * right_q.lost / (right_q.samples + right_q.lost)
    assert f"{right_q.lost:,} ({lost_pct:.2f}%)" in text
    assert "22.8°" in text  # mount correction
    assert analysis.warnings[0] in text
    assert "Robinson" in text and "not diagnoses" in text


def test_report_uses_the_shared_side_colours(step_up_report):
    text = step_up_report[2].read_text(encoding="utf-8")
    assert style.LEFT_COLOR in text and style.RIGHT_COLOR in text
    assert style.LEFT_COLOR.lower() != style.RIGHT_COLOR.lower()


def test_walk_report(walk_report):
    analysis, _summary, path = walk_report
    text = path.read_text(encoding="utf-8")
    assert f"{analysis.gait.cadence_spm:.1f}" in text
    assert "<details>" in text  # 100 steps: collapsed
    assert f"Show all {len(analysis.steps)} steps" in text
    assert "During stance on the right leg" in text
    assert len(DATA_URI.findall(text)) >= 4  # session, closer look, dots, average step


def test_empty_session_report(tmp_path):
    analysis = make_step_up_analysis(sets=())
    path = write_report(analysis, build_summary(analysis), tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "No repetitions were detected" in text
    assert "could not be compared" in text


def test_long_session_report_collapses_the_reps_and_stays_small(tmp_path):
    """A 1-hour session. (How long its report takes is a figure of
    ``benchmarks/bench_analyze.py``, stage ``summary+report``, not a test.)"""
    analysis = make_long_step_up_analysis()
    assert analysis.kinematics.t_s.size == 360_000
    summary = build_summary(analysis)
    path = write_report(analysis, summary, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert f"Show all {len(analysis.reps)} reps" in text
    assert path.stat().st_size < 2_000_000


def test_long_traces_are_downsampled():
    analysis = make_long_step_up_analysis()
    fig = time_series_figure(analysis.kinematics, analysis.reps, max_points=3000)
    labels = {
        "tilt (+ = anterior)",
        "obliquity (+ = right side lower)",
        "left thigh",
        "right thigh",
    }
    bands = [c for ax in fig.axes for c in ax.collections if c.get_label() in labels]
    assert {b.get_label() for b in bands} == labels
    for band in bands:
        n_vertices = sum(len(path.vertices) for path in band.get_paths())
        assert 1000 < n_vertices <= 3000 + 4  # min/max band over 1500 bins, closed
    # A short window is drawn sample by sample.
    zoom = time_series_figure(analysis.kinematics, analysis.reps, window_s=(10.0, 40.0))
    lines = [line for ax in zoom.axes for line in ax.get_lines() if line.get_label() in labels]
    assert len(lines) == 4
    assert all(len(line.get_xdata()) == 3000 for line in lines)  # 30 s at 100 Hz


def test_minmax_bins_against_a_loop():
    rng = np.random.default_rng(4)
    t = np.arange(1003) / 100.0
    y = rng.normal(size=t.size)
    y[100:250] = np.nan  # bin 1 (100..199) all NaN, bin 2 half NaN
    t_mid, low, high = minmax_bins(t, y, 10)
    assert t_mid.size == 10  # bins of 101 samples, the last one shorter
    for i in range(10):
        chunk = y[i * 101 : (i + 1) * 101]
        finite = chunk[np.isfinite(chunk)]
        if finite.size:
            assert low[i] == finite.min() and high[i] == finite.max()
        else:
            assert np.isnan(low[i]) and np.isnan(high[i])
        assert t_mid[i] == pytest.approx(t[i * 101 : (i + 1) * 101].mean())


def test_event_curves_time_normalise():
    t = np.linspace(0.0, 10.0, 1001)
    curves = event_curves(t, 2.0 * t, np.array([[1.0, 2.0], [4.0, 8.0], [9.0, 11.0]]), 5)
    np.testing.assert_allclose(curves[0], [2.0, 2.5, 3.0, 3.5, 4.0])
    np.testing.assert_allclose(curves[1], [8.0, 10.0, 12.0, 14.0, 16.0])
    assert np.isnan(curves[2, -1])  # beyond the recording


def test_si_gauge():
    inside = si_bar_svg(12.0, "borderline")
    assert "<circle" in inside and style.BORDERLINE_COLOR in inside
    clipped = si_bar_svg(180.0, "notable")
    assert "<path" in clipped and "<circle" not in clipped
    empty = si_bar_svg(None, "unavailable")
    assert "<circle" not in empty and "<path" not in empty
    assert "not available" in empty


def test_a_gauge_graded_balanced_within_noise_shows_no_bar_or_arrow():
    """SI +200 % between 0.1 and 0.5 deg of drop is balanced (the gap is under the noise
    floor): the gauge says so with a balanced dot at zero, not a full-length arrow."""
    left, right = 0.1, 0.5
    si = robinson_si_pct(left, right)
    level = grade("pelvic_drop_deg", left, right, si)
    assert si > 100 and level == "balanced"
    gauge = si_bar_svg(si, level)
    assert "<path" not in gauge and "<rect" not in gauge.split('stroke-width="1"/>')[1]
    zero = re.search(r'<line x1="([\d.]+)"', gauge).group(1)
    assert f'<circle cx="{zero}"' in gauge and style.OK_COLOR in gauge
    assert "less than the measurement noise" in gauge
    assert "<path" in si_bar_svg(si, "notable")  # the same SI, graded notable: an arrow


def test_render_report_matches_written_file(step_up_report):
    analysis, summary, path = step_up_report
    assert render_report(analysis, summary) == path.read_text(encoding="utf-8")


def test_report_without_a_thigh_sensor(tmp_path):
    """A thigh that was not recorded has all-NaN angles; the report still writes cleanly."""
    analysis = make_step_up_analysis()
    k = analysis.kinematics
    nan = np.full_like(k.t_s, np.nan)
    kinematics = dataclasses.replace(k, right_thigh_sagittal_deg=nan, right_thigh_adduction_deg=nan)
    analysis = dataclasses.replace(analysis, kinematics=kinematics)
    path = write_report(analysis, build_summary(analysis), tmp_path / "r.html")
    assert len(DATA_URI.findall(path.read_text(encoding="utf-8"))) >= 3
    walk = make_walk_analysis(n_steps=3)
    walk = dataclasses.replace(
        walk,
        kinematics=dataclasses.replace(
            walk.kinematics,
            left_thigh_sagittal_deg=np.full_like(walk.kinematics.t_s, np.nan),
            right_thigh_sagittal_deg=np.full_like(walk.kinematics.t_s, np.nan),
        ),
    )
    write_report(walk, build_summary(walk), tmp_path / "w.html")


def test_write_outputs_writes_the_three_files(tmp_path):
    analysis = make_step_up_analysis(sets=(("left", 3), ("right", 3)))
    outputs = write_outputs(analysis, tmp_path / "out", started_at="2026-11-23T10:15:00+01:00")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["report.html", "reps.csv", "summary.json"]
    assert json.loads(outputs.summary_path.read_text(encoding="utf-8")) == outputs.summary
    assert outputs.summary["sides"]["left"]["reps"] == 3
    assert len(outputs.table_path.read_text(encoding="utf-8").splitlines()) == 1 + 6
    assert "23 Nov 2026" in outputs.report_path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------- data gaps

GAP_ROW = re.compile(
    r'<tr class="[^"]*\bgap\b[^"]*"><td class="num"><span class="gap-mark">†</span>(\d+)'
    r"(?: \(left out\))?</td>"
)
LEFT_OUT_ROW = re.compile(r'<td class="num"><span class="gap-mark">†</span>(\d+) \(left out\)</td>')


def _gap_rows(text: str) -> list[int]:
    """1-based numbers of the rep-table rows marked as having lost data."""
    return [int(n) for n in GAP_ROW.findall(text)]


def test_report_marks_reps_with_lost_data(tmp_path):
    gaps = {2: 0.3, 3: 0.9, 9: 0.05}
    analysis = make_step_up_analysis(data_gap_s=gaps)
    summary = build_summary(analysis)
    text = write_report(analysis, summary, tmp_path / "r.html").read_text(encoding="utf-8")
    assert _gap_rows(text) == sorted(i + 1 for i in gaps)
    assert text.count('class="gap-mark"') == len(gaps) + 2  # rows, legend, quality note
    quality = text[text.index('<section id="quality">') :]
    assert f"{len(gaps)} reps contain lost data" in quality
    assert data_gap_note(summary) in quality.replace("&#x27;", "'")
    assert "No data were lost within any rep" not in text
    assert f"for up to {max(gaps.values()):.1f} s" in text  # the table's legend
    assert f'<div class="value">{len(gaps)} <small>of {len(analysis.reps)}</small>' in text
    assert "Hatched reps contain lost data" in text and "Open circles" in text


def _body(text: str) -> str:
    """The page without its stylesheet (which names every class)."""
    return text[text.index("</style>") :]


def test_report_without_gaps_says_so(step_up_report):
    body = _body(step_up_report[2].read_text(encoding="utf-8"))
    assert "No data were lost within any rep" in body
    assert _gap_rows(body) == [] and "gap-mark" not in body
    assert "Hatched" not in body and "Open circles" not in body


def test_real_analysis_report_marks_its_gap_reps(tmp_path):
    analysis = messy_step_up_analysis()
    expected = [r.index + 1 for r in analysis.reps if r.data_gap_s > 0]
    assert expected  # the premise: the loss bursts hit some reps
    summary = build_summary(analysis)
    text = write_report(analysis, summary, tmp_path / "r.html").read_text(encoding="utf-8")
    assert _gap_rows(text) == expected
    assert f"{len(expected)} reps contain lost data" in text
    left_out = [r.index + 1 for r in analysis.reps if r.left_out]
    assert left_out  # the two 0.25 s bursts per sensor leave some out
    assert [int(n) for n in LEFT_OUT_ROW.findall(text)] == left_out


def test_gap_reps_are_hatched_and_drawn_open():
    gaps = {1: 0.4, 9: 0.2, 10: 0.6}
    analysis = make_step_up_analysis(data_gap_s=gaps)
    fig = time_series_figure(analysis.kinematics, analysis.reps)
    hatched = [c for ax in fig.axes for c in ax.collections if c.get_hatch() == GAP_HATCH]
    # One hatched collection per side per panel (pelvis, thighs), a polygon per gap rep.
    sides = {analysis.reps[i].side for i in gaps}
    assert len(hatched) == 2 * len(sides)
    assert sum(len(c.get_paths()) for c in hatched) == 2 * len(gaps)

    metrics = [metric_info("pelvic_drop_deg")]
    ax = per_side_figure(analysis.reps, metrics).axes[0]
    open_points = [
        c
        for c in ax.collections
        if len(c.get_facecolors()) and c.get_facecolors()[0][:3].min() == 1
    ]
    gap_values = sorted(analysis.reps[i].pelvic_drop_deg for i in gaps)
    assert sorted(v for c in open_points for v in c.get_offsets()[:, 1]) == pytest.approx(
        gap_values
    )


def test_per_side_axes_start_at_zero_so_the_gap_is_seen_at_its_size():
    """Thigh range 64 vs 66 deg on an axis from 62 to 68 looked like a large asymmetry that
    the table calls balanced: every per-side axis includes zero and every value."""
    analysis = make_step_up_analysis()
    keys = ["pelvic_drop_deg", "thigh_rom_deg"]
    fig = per_side_figure(analysis.reps, [metric_info(k) for k in keys])
    for ax, key in zip(fig.axes, keys, strict=True):
        values = np.array([getattr(r, key) for r in analysis.reps])
        assert values.min() > 0, key  # so that the axis had to be extended down to zero
        bottom, top = ax.get_ylim()
        assert bottom == 0.0 and top > values.max(), key


def test_alternating_session_is_not_called_sixteen_sets(tmp_path):
    analysis = make_step_up_analysis(sets=[("right", 1), ("left", 1)] * 4, rest_s=0.5)
    assert len({r.set_index for r in analysis.reps}) == 8  # one-rep sets, as the pipeline has it
    body = _body(write_report(analysis, build_summary(analysis), tmp_path / "a.html").read_text())
    assert '<div class="value">alternating</div>' in body
    assert ">sets</div>" not in body and "set-start" not in body
    assert '<th class="num">set</th>' not in body
    assert "changed with every rep" in body
    # Two blocked sets keep their set count, set column and one set boundary.
    blocked = make_step_up_analysis(sets=(("right", 3), ("left", 3)))
    body = _body(write_report(blocked, build_summary(blocked), tmp_path / "b.html").read_text())
    assert '<div class="value">2</div><div class="label">sets</div>' in body
    assert '<th class="num">set</th>' in body
    assert body.count("set-start") == 1


def test_within_noise_note_in_the_comparison(tmp_path):
    # Tilt excursion 6.1 vs 6.9 deg: SI +12 % but a gap under the 1 deg floor.
    means = {
        "left": dict(STEP_UP_MEANS["left"], pelvic_tilt_range_deg=6.1),
        "right": dict(STEP_UP_MEANS["left"], pelvic_tilt_range_deg=6.9),
    }
    analysis = make_step_up_analysis(means=means, sd_scale=0.0)
    body = _body(write_report(analysis, build_summary(analysis), tmp_path / "r.html").read_text())
    assert body.count("within noise (gap under") == 1
    assert "within noise (gap under 1°)" in body
