"""Each standing drill in the report, the live window, the terminal and the catalogue.

The drills' asymmetric presets (simulated through the sensors and analysed as
``sensorlab analyze`` does) must read in the drill's own words and show its own metrics:

- the report names the drill's per-side metrics, its side words and its metric help, and
  its average-rep curves are the signals its metrics come from (each rep's curve peaks,
  or spans, at the rep's metric);
- the live window, fed a replay, shows the drill's symmetry bars with the summary's
  per-side means, and counts per side equal to the summary's, in the drill's words;
- the terminal text and the event lines say which leg, a squat's reps once;
- a drill session goes into the catalogue with its own metrics, and the history shows
  the SI of its first per-side metric.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex

from sensorlab.catalogue.entry import SessionOrigin, session_entry
from sensorlab.catalogue.history import history_table
from sensorlab.catalogue.store import open_catalogue, record_session, subject_sessions
from sensorlab.events_text import EventPrinter
from sensorlab.processing.movements import drill, drill_names
from sensorlab.processing.pipeline import analyze
from sensorlab.session import Session
from sensorlab.simulate.scenarios import make_scenario
from sensorlab.sources.replay import ReplaySource
from sensorlab.summary.figures import _drill_curves, time_series_figure
from sensorlab.summary.findings import session_findings
from sensorlab.summary.metrics import (
    is_bilateral,
    per_side_metrics_for,
    rep_metrics_for,
    side_phrase,
)
from sensorlab.summary.report import render_report
from sensorlab.summary.style import NEUTRAL_COLOR
from sensorlab.summary.summary import build_summary
from sensorlab.summary.text import format_text_summary
from tests.test_live import replayed_window

SEED = 2


@pytest.fixture(scope="module", params=drill_names())
def analysed(request):
    name = request.param
    recording = make_scenario(f"{name}_asymmetric", SEED).recording
    analysis = analyze(recording)
    assert analysis.activity == name and analysis.reps
    return name, recording, analysis


def test_the_report_speaks_the_drills_words_and_shows_its_metrics(analysed):
    name, _, analysis = analysed
    summary = build_summary(analysis)
    page = html.unescape(render_report(analysis, summary))
    module = drill(name)
    for info in per_side_metrics_for(name):
        assert info.label in page and info.help in page
    if is_bilateral(name):
        assert f"{len(analysis.reps)}</div>" in page and "reps (both legs)" in page
    else:
        for side in ("left", "right"):
            card = f'{summary["sides"][side]["reps"]}</div><div class="label">reps '
            assert card + side_phrase(name, side) in page
    assert module.WORKING_SIDE in page.split("How to read this report")[1]
    assert "led by the" not in page and "lead leg" not in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)


PEAK, RANGE = "peak", "range"
CURVE_METRICS = {
    "split_squat": [(0, RANGE, "thigh_rom_deg"), (1, PEAK, "pelvic_drop_deg")],
    "lunge": [(0, RANGE, "thigh_rom_deg"), (1, PEAK, "pelvic_drop_deg")],
    "single_leg_squat": [(0, RANGE, "thigh_rom_deg"), (1, PEAK, "pelvic_drop_deg")],
    "single_leg_rdl": [
        (0, PEAK, "hinge_deg"),
        (1, PEAK, "free_thigh_extension_deg"),
        (2, PEAK, "pelvic_drop_deg"),
    ],
    "kickback": [(0, PEAK, "hip_extension_deg"), (1, PEAK, "pelvic_drop_deg")],
    "squat": [(0, PEAK, "depth_{side}_deg"), (1, RANGE, "pelvic_obliquity_range_deg")],
}
"""Per drill: which of its average-rep curves gives which metric, by its peak or range."""
CURVE_TOLERANCE_DEG = 0.3
"""A curve is 101 points over the rep: its peak may miss a sample's by a little."""


def test_each_average_rep_curve_is_the_signal_of_its_metric(analysed):
    """Each rep's curve peaks (or spans) at the rep's metric: the drill's own driver, and
    the drop on the drill's own side (a kickback's on the moving leg's)."""
    name, _, analysis = analysed
    shapes = drill(name).SHAPES
    for index, how, key in CURVE_METRICS[name]:
        curves = _drill_curves(analysis.kinematics, analysis.reps, shapes[index])
        for group, rows in curves.items():
            reps = [r for r in analysis.reps if r.side in (group, "both")]
            assert len(rows) == len(reps) > 0
            found = np.nanmax(rows, axis=1) - (np.nanmin(rows, axis=1) if how == RANGE else 0)
            side = group if group != "both" else ""
            expected = [r.value(key.format(side=side)) for r in reps]
            np.testing.assert_allclose(found, expected, atol=CURVE_TOLERANCE_DEG, err_msg=key)


def test_a_squats_reps_are_shaded_in_the_neutral_colour(analysed):
    name, _, analysis = analysed
    fig = time_series_figure(analysis.kinematics, analysis.reps)
    shaded = {
        to_hex(c.get_facecolor()[0])
        for ax in fig.axes
        for c in ax.collections
        if isinstance(c, PolyCollection) and len(c.get_facecolor())
    }
    assert (to_hex(NEUTRAL_COLOR) in shaded) == is_bilateral(name)


def test_the_text_says_which_leg_and_a_squat_counts_once(analysed):
    name, _, analysis = analysed
    summary = build_summary(analysis)
    lines = format_text_summary(summary).splitlines()
    if is_bilateral(name):
        assert lines[1] == f"Reps: {len(analysis.reps)} (both legs)"
        assert any(line.strip().startswith("Depth") for line in lines)
    else:
        left, right = (summary["sides"][s]["reps"] for s in ("left", "right"))
        assert lines[1] == f"Reps: left {left}, right {right} (by the {drill(name).WORKING_SIDE})"
    assert all(len(line) <= 78 for line in lines)


def test_the_catalogue_keeps_the_drills_metrics_and_the_history_its_si(analysed, tmp_path):
    name, _, analysis = analysed
    summary = build_summary(analysis)
    entry = session_entry(summary, SessionOrigin(subject="P07", date="2026-12-01T10:00"))
    first = per_side_metrics_for(name)[0]
    assert entry.metrics[first.key].si_pct == summary["symmetry"][first.key]["si_pct"]
    catalogue = tmp_path / "catalogue.sqlite"
    record_session(catalogue, entry, tmp_path / "out")
    connection = open_catalogue(catalogue, create=False)
    try:
        sessions = subject_sessions(connection, "P07")
    finally:
        connection.close()
    table = history_table(sessions)
    head, _, row = table.splitlines()
    assert "drill SI" in head
    si = summary["symmetry"][first.key]["si_pct"]
    assert f"{first.short} {'—' if si is None else f'{si:+.1f}%'}" in row


# ------------------------------------------------------------------------ live


@pytest.mark.parametrize("name", ["split_squat", "squat"])
def test_the_live_window_shows_the_drills_bars_and_counts(qapp, tmp_path, name):
    recording = make_scenario(f"{name}_asymmetric", SEED).recording
    window = replayed_window(qapp, ReplaySource(recording, speed=None), tmp_path / "out")
    try:
        assert window.activity_box.findText(name) >= 0
        outputs = window.finish()
        assert outputs is not None
        summary = json.loads(outputs.summary_path.read_text(encoding="utf-8"))
        assert summary["activity"] == name and summary["reps"]
        assert not window.tally.provisional_reps
        bars = window.tally.bars()
        assert [b.metric for b in bars] == list(drill(name).PER_SIDE_METRICS[:4])
        for bar in bars:
            entry = summary["symmetry"][bar.metric]
            assert bar.left == pytest.approx(entry["left"], abs=0.051)
            assert bar.right == pytest.approx(entry["right"], abs=0.051)
        panel = window.last_rep
        counts = panel.counts.text()
        if is_bilateral(name):
            assert re.search(rf">{len(summary['reps'])}</span> .*reps \(both legs\)", counts)
            assert "rep " in panel.headline.text() and "both legs" in panel.headline.text()
        else:
            for side, letter in (("left", "L"), ("right", "R")):
                assert window.tally.count(side) == summary["sides"][side]["reps"] > 0
                assert f">{letter} {summary['sides'][side]['reps']}</span>" in counts
            assert f"reps by {drill(name).WORKING_SIDE}" in counts
            assert drill(name).WORKING_SIDE in panel.headline.text()
        first = rep_metrics_for(name)[0]
        assert panel.metrics.text().startswith(
            f'<span style="font-size:12pt;font-weight:normal">{first.short}'
        )
    finally:
        window.close()
        window.deleteLater()


def test_the_event_lines_say_which_leg_and_the_drills_si():
    recording = make_scenario("split_squat_asymmetric", SEED).recording
    session = Session(ReplaySource(recording, speed=None))

    async def run():
        return [event async for event in session.events()]

    printer = EventPrinter()
    lines = [line for event in asyncio.run(run()) if (line := printer.line(event))]
    reps = [line for line in lines if re.search(r"\] rep \d+, ", line)]
    assert reps and all(re.search(r"rep \d+, (left|right) front leg: thigh range", r) for r in reps)
    assert "thigh range (depth) SI so far" in reps[-1]


@pytest.mark.parametrize("name", [n for n in drill_names() if not is_bilateral(n)])
def test_every_finding_names_the_sides_in_the_drills_words(name):
    """Each per-side metric's finding, the tempo's too, names a side as the drill does
    (the drill's own sentence, or "with the right leg in front"), never as a step-up."""
    own = drill(name).FINDINGS
    for info in per_side_metrics_for(name):
        summary = {
            "activity": name,
            "gait": None,
            "symmetry": {info.key: {"left": 10.0, "right": 20.0, "si_pct": 66.7}},
        }
        (finding,) = session_findings(summary)
        assert finding.level == "notable" and "{" not in finding.text
        assert "right" in finding.observation
        assert "left" in finding.observation or "the other way" in finding.observation
        assert "leg works" not in finding.text and "diagnos" not in finding.text
        if info.key not in own:
            assert side_phrase(name, "right") in finding.observation, finding.text
