"""report.html: one self-contained file with the numbers and figures; fast on long sessions."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import struct
import time
from html.parser import HTMLParser

import numpy as np
import pytest
from summary_fixtures import make_long_step_up_analysis, make_step_up_analysis, make_walk_analysis

from sensorlab.summary import style
from sensorlab.summary.downsample import minmax_bins
from sensorlab.summary.figures import event_curves, time_series_figure
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


def test_long_session_report_is_fast(tmp_path):
    analysis = make_long_step_up_analysis()
    assert analysis.kinematics.t_s.size == 360_000
    summary = build_summary(analysis)
    write_report(analysis, summary, tmp_path / "warm.html")  # first call loads fonts
    start = time.perf_counter()
    path = write_report(analysis, summary, tmp_path / "report.html")
    elapsed_s = time.perf_counter() - start
    print(f"1-hour report written in {elapsed_s:.3f} s")
    assert elapsed_s < 2.5, f"report took {elapsed_s:.2f} s"
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
