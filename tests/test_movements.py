"""Conformance suite of the standing drills (:mod:`sensorlab.processing.movements`).

Every drill module passes the same checks, on the simulator's true motion (its exact
segment angles on a 100 Hz grid, the columns the pipeline's kinematics stage gives):

- reps, sides and every per-rep metric against the simulator's truth;
- any block size gives what one block gives (streaming equals batch);
- degenerate input: standing only, one rep on one side, a shallow attempt;
- another drill's data (and step-ups and walks) gives zero reps of this drill;
- each settings class documents exactly its fields.

Through the sensors, the orientation filter and the whole analysis they are tested in
``tests/test_drill_analysis.py`` and measured by ``benchmarks/drills.py``.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from sensorlab.processing import angles
from sensorlab.processing.calibration import AlignmentCues
from sensorlab.processing.columns import Columns
from sensorlab.processing.gait import DEFAULT_GAIT
from sensorlab.processing.movements import base, drill, drill_names, movement, movement_names
from sensorlab.processing.movements.base import (
    ExcursionSegmenter,
    ExcursionSettings,
    RepFound,
    RepView,
    WindowRejected,
    kinematics_columns,
)
from sensorlab.processing.pipeline import THIGHS, analyze
from sensorlab.processing.reps import DEFAULT_STEP_UP, RepBounds
from sensorlab.processing.segmentation import DrillRepFound, Segmenters, drill_rep
from sensorlab.records import Kinematics
from sensorlab.simulate.body import BodyMotion, pelvis_pose, thigh_pose
from sensorlab.simulate.drills import DrillSettings, DrillSide, simulate_drill
from sensorlab.simulate.profiles import constant
from sensorlab.simulate.scenarios import make_scenario
from sensorlab.simulate.truth import KINEMATICS_RATE_HZ
from sensorlab.summary.findings import session_findings
from sensorlab.summary.metrics import metric_info
from sensorlab.summary.summary import build_summary

RATE_HZ = KINEMATICS_RATE_HZ
ANGLE_TOLERANCE_DEG = 0.5
TEMPO_TOLERANCE_S = 0.3


def true_columns(session) -> Columns:
    """The kinematics columns of the true motion (the pipeline's names and units)."""
    kin = session.truth.kinematics
    rate = np.degrees(np.linalg.norm(pelvis_pose(session.motion, kin.t_s).body_rate(), axis=1))
    return kinematics_columns(kin, rate)


def segment(name: str, columns: Columns, block_rows: list[int] | None = None):
    """Every event of drill ``name`` over ``columns``, fed whole or in blocks."""
    module = drill(name)
    segmenter = ExcursionSegmenter(module, RATE_HZ, module.DEFAULT_SETTINGS)
    if block_rows is None:
        return segmenter.update(columns), segmenter
    fed = Columns(columns.names)
    events, row = [], 0
    for size in block_rows:
        fed.append(
            **{n: columns.rows(n, row, min(row + size, columns.size)) for n in columns.names}
        )
        events += segmenter.update(fed)
        row += size
        if row >= columns.size:
            break
    return events, segmenter


def reps_of(events) -> list[RepFound]:
    return [e for e in events if isinstance(e, RepFound)]


@pytest.fixture(scope="module", params=[(name, seed) for name in drill_names() for seed in (0, 1)])
def session(request):
    name, seed = request.param
    return name, simulate_drill(DrillSettings(kind=name, reps=8), seed=seed)


@pytest.fixture(scope="module")
def sessions():
    """One session of every drill, plus step-ups and a walk."""
    out = {name: simulate_drill(DrillSettings(kind=name, reps=6), seed=3) for name in drill_names()}
    out["step_up"] = make_scenario("step_up_alternating", 3)
    out["walk"] = make_scenario("walk_asymmetric", 3, duration_s=40.0)
    return out


def assert_reps_match_the_truth(name: str, sim, found: list[RepFound]) -> None:
    """Sides in order, and every metric of each rep within tolerance of its truth."""
    columns = true_columns(sim)
    truth = sim.truth.drill_reps
    assert [r.side for r in found] == [r.side for r in truth]
    module = drill(name)
    for rep, true in zip(found, truth, strict=True):
        measured = module.metrics(RepView.of(columns, rep.window), rep.side)
        assert set(measured) == set(true.metrics)
        for metric, value in true.metrics.items():
            if metric.endswith("_s"):
                assert measured[metric] == pytest.approx(value, abs=TEMPO_TOLERANCE_S), metric
            elif metric.endswith("_pct") or metric.endswith("_dps"):
                assert measured[metric] == pytest.approx(value, rel=0.05, abs=0.5), metric
            else:
                assert measured[metric] == pytest.approx(value, abs=ANGLE_TOLERANCE_DEG), metric


def test_reps_sides_and_metrics_match_the_truth(session):
    name, sim = session
    assert_reps_match_the_truth(name, sim, reps_of(segment(name, true_columns(sim))[0]))


@pytest.mark.parametrize("name", drill_names())
def test_reps_back_to_back_without_a_rest(name):
    """People often start the next rep as the last one ends: the driver turns at its
    lowest, never still. Each rep ends there, counted as the truth has it, in any blocks."""
    sim = simulate_drill(DrillSettings(kind=name, reps=8, pause_range_s=(0.0, 0.05)), seed=2)
    columns = true_columns(sim)
    whole, _ = segment(name, columns)
    assert_reps_match_the_truth(name, sim, reps_of(whole))
    sizes = list(np.random.default_rng(5).integers(1, 250, size=columns.size))
    assert segment(name, columns, sizes)[0] == whole


@pytest.mark.parametrize("name", drill_names())
def test_any_block_size_equals_one_block(name, sessions):
    columns = true_columns(sessions[name])
    whole, _ = segment(name, columns)
    assert reps_of(whole)
    rng = np.random.default_rng(4)
    for sizes in ([1] * columns.size, list(rng.integers(1, 250, size=columns.size))):
        pieces, _ = segment(name, columns, sizes)
        assert pieces == whole


@pytest.mark.parametrize("name", drill_names())
def test_a_reps_metrics_are_its_windows_on_the_columns_measured(name, sessions):
    """The metrics a found rep carries (measured as the drill accepted it, the rows fed
    whole or in blocks) are the drill's metrics of a fresh view of its window;
    ``drill_rep`` on other columns (a provisional analysis's) measures on those."""
    columns = true_columns(sessions[name])
    module = drill(name)
    whole = reps_of(segment(name, columns)[0])
    sizes = list(np.random.default_rng(8).integers(1, 60, size=columns.size))
    streamed = reps_of(segment(name, columns, sizes)[0])
    assert whole
    for rep, piece in zip(whole, streamed, strict=True):
        fresh = module.metrics(RepView.of(columns, rep.window), rep.side)
        assert repr(rep.metrics) == repr(fresh) == repr(piece.metrics)
    angles_scaled = {n: columns[n] * (1.1 if n.endswith("_deg") else 1.0) for n in columns.names}
    other = Columns((*columns.names, "data_gap", "orientation_uncertain"))
    other.append(
        **angles_scaled,
        data_gap=np.zeros(columns.size),
        orientation_uncertain=np.zeros(columns.size),
    )
    for rep in whole:
        result = drill_rep(other, DrillRepFound(name, rep), [], RATE_HZ, 1.0, 1.0)
        expected = module.metrics(RepView.of(other, rep.window), rep.side)
        assert repr(result.metrics) == repr(expected) != repr(rep.metrics)


@pytest.mark.parametrize("name", drill_names())
def test_another_drills_data_gives_no_reps(name, sessions):
    for other, sim in sessions.items():
        if other != name:
            assert reps_of(segment(name, true_columns(sim))[0]) == [], other


def test_the_step_up_segmenter_finds_no_rep_in_a_drill(sessions):
    """The step-up's own segmenter on every drill's true kinematics (a squat's two thighs
    flex together: its trail leg never 'leaves the floor' after the lead's peak)."""
    step_up = movement("step_up")
    for name in drill_names():
        segmenter = step_up.Segmenter(RATE_HZ, step_up.DEFAULT_SETTINGS)
        events = segmenter.update(true_columns(sessions[name]))
        assert not [e for e in events if isinstance(e, RepBounds)], name
    segmenter = step_up.Segmenter(RATE_HZ, step_up.DEFAULT_SETTINGS)
    reps = [
        e for e in segmenter.update(true_columns(sessions["step_up"])) if isinstance(e, RepBounds)
    ]
    assert len(reps) == len(sessions["step_up"].truth.reps)


@pytest.mark.parametrize("name", drill_names())
def test_step_ups_or_walking_given_on_a_drill_count_nothing(name, sessions):
    """Through the whole analysis: the step-up or the walk named on a drill's recording
    counts no rep and no step, and states no finding."""
    for activity in ("step_up", "walk"):
        summary = build_summary(analyze(sessions[name].recording, activity))
        assert summary["reps"] == [] and summary["steps"] == [], activity
        assert not [f for f in session_findings(summary) if f.level in ("notable", "borderline")]


@pytest.mark.parametrize("name", drill_names())
def test_standing_gives_no_reps(name):
    t = np.arange(0.0, 30.0, 1.0 / RATE_HZ)
    standing = Kinematics(t, *[np.zeros_like(t)] * (len(dataclasses.fields(Kinematics)) - 1))
    columns = kinematics_columns(standing, np.zeros_like(t))
    events, segmenter = segment(name, columns)
    assert events == [] and segmenter.rejected_ == 0


@pytest.mark.parametrize("name", drill_names())
def test_one_rep_on_one_side(name):
    sim = simulate_drill(DrillSettings(kind=name, reps=1), seed=5)
    found = reps_of(segment(name, true_columns(sim))[0])
    assert [r.side for r in found] == [sim.truth.drill_reps[0].side]


SHALLOW = {
    "single_leg_squat": DrillSide(depth_deg=30.0),
    "lunge": DrillSide(depth_deg=50.0),
    "split_squat": DrillSide(depth_deg=50.0),
    "squat": DrillSide(depth_deg=38.0),
    "single_leg_rdl": DrillSide(tilt_deg=30.0, other_thigh_deg=25.0),
    "kickback": DrillSide(other_thigh_deg=11.0),
}


@pytest.mark.parametrize("name", sorted(SHALLOW))
def test_a_shallow_attempt_is_rejected_not_counted(name):
    """A rep that crosses the start but stops short of the drill's least peak: two
    attempts, two rejected movements (a single-leg squat's free thigh, swinging past the
    start with the stance thigh, is part of the same one)."""
    shallow = SHALLOW[name]
    sim = simulate_drill(
        DrillSettings(kind=name, reps=2, left=shallow, right=shallow, variation=0.0), seed=6
    )
    events, segmenter = segment(name, true_columns(sim))
    assert reps_of(events) == []
    assert len(movements(segmenter.rejected_windows_)) == 2
    assert all("peaked below" in e.reason for e in events if isinstance(e, WindowRejected))


def test_the_other_thighs_part_in_a_rep_is_no_rejected_movement():
    """A single-leg squat's free thigh held 45 deg forward stays past the start through
    the set: its excursion is judged and rejected (the stance thigh moved), but it
    overlaps the reps, so no movement is left unexplained."""
    held = DrillSide(depth_deg=55.0, other_thigh_deg=0.0, held_deg=(0.0, 45.0))
    sim = simulate_drill(
        DrillSettings(kind="single_leg_squat", reps=6, left=held, right=held), seed=2
    )
    events, segmenter = segment("single_leg_squat", true_columns(sim))
    assert [r.side for r in reps_of(events)] == [r.side for r in sim.truth.drill_reps]
    assert segmenter.rejected_ > 0
    assert segmenter.unexplained_rejections(-1) == 0


def movements(windows) -> list[tuple[int, int]]:
    """The windows merged where they overlap: (first row, last row) of each movement."""
    merged: list[tuple[int, int]] = []
    for w in sorted(windows, key=lambda w: w.start):
        if merged and w.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], w.end))
        else:
            merged.append((w.start, w.end))
    return merged


def _documented_attributes(cls) -> list[str]:
    doc = cls.__doc__ or ""
    section = doc.split("Attributes\n")[1]
    names = re.findall(r"^    (\w+(?:, \w+)*) :", section, flags=re.MULTILINE)
    return [n for group in names for n in group.split(", ")]


@pytest.mark.parametrize("name", movement_names())
def test_settings_document_exactly_their_fields(name):
    settings = type(movement(name).DEFAULT_SETTINGS)
    fields = [f.name for f in dataclasses.fields(settings)]
    assert _documented_attributes(settings) == fields
    assert _documented_attributes(ExcursionSettings) == [
        f.name for f in dataclasses.fields(ExcursionSettings)
    ]


@pytest.mark.parametrize("name", movement_names())
def test_every_movement_module_has_the_catalogue(name):
    """What the views and the analysis read of every movement, the step-up and walk too."""
    module = movement(name)
    assert name == module.NAME and isinstance(module.TITLE, str)
    assert isinstance(module.WORKING_SIDE, str) and module.PER_SIDE_METRICS
    assert set(module.PER_SIDE_METRICS) <= set(module.METRICS)
    assert isinstance(module.ALIGNMENT, AlignmentCues)
    assert module.SENSORS and set(module.SENSORS) <= {"pelvis", "left_thigh", "right_thigh"}
    assert all(value > 0 for value in module.MIN_DIFFERENCE.values())
    assert hasattr(module, "BILATERAL") or "{side}" in module.SIDE_PHRASE


@pytest.mark.parametrize("name", ["step_up", "walk"])
def test_step_up_and_walk_name_their_own_segmenter(name):
    """The analysis segments a step-up or a walk with its module's ``Segmenter``."""
    module = movement(name)
    assert name not in drill_names()
    segmenters = Segmenters(
        100.0, DEFAULT_STEP_UP, DEFAULT_GAIT, ("pelvis", *THIGHS), {}, activity=name
    )
    used = segmenters.step_up if name == "step_up" else segmenters.contacts
    assert type(used) is module.Segmenter


@pytest.mark.parametrize("name", drill_names())
def test_every_drill_module_has_the_interface(name):
    module = drill(name)
    for attribute in ("drivers", "judge", "metrics"):
        assert callable(getattr(module, attribute))
    assert module.SHAPES and all(isinstance(shape, base.ShapeCurve) for shape in module.SHAPES)


def test_an_unknown_drill_names_the_known_ones():
    with pytest.raises(ValueError, match="single_leg_squat"):
        drill("burpee")


@pytest.mark.parametrize(
    ("tilt", "obliquity", "rotation"), [(60.0, 5.0, 10.0), (30.0, -4.0, -7.0), (75.0, 8.0, 20.0)]
)
def test_pelvic_angles_in_the_rotation_obliquity_tilt_order(tilt, obliquity, rotation):
    """From the kinematics' projections back to the Euler angles the body model prescribes:
    at 60 deg of hinge the projected obliquity doubles and the forward axis turns by 9 deg."""
    rad = np.radians
    motion = BodyMotion(
        constant(0.0),
        constant(0.0),
        constant(1.0),
        constant(rad(tilt)),
        constant(rad(obliquity)),
        constant(rad(rotation)),
        *[constant(0.0)] * 4,
    )
    R = pelvis_pose(motion, np.zeros(1)).rot[0]
    projected_obliquity = angles.pelvis_obliquity_deg(R[2])
    heading = angles.heading_deg(R[:, 0])
    euler_obliquity, euler_rotation = angles.pelvis_euler_deg(
        angles.pelvis_tilt_deg(R[2]), projected_obliquity, heading
    )
    assert euler_obliquity == pytest.approx(obliquity, abs=1e-9)
    assert euler_rotation == pytest.approx(rotation, abs=1e-9)
    if tilt >= 60:
        assert abs(projected_obliquity - obliquity) > 4.0


@pytest.mark.parametrize("rotation_first", [False, True])
def test_a_views_pelvic_angles_are_the_euler_angles_of_its_rows(rotation_first):
    """A view's obliquity and rotation, computed on first use in either order, are
    :func:`angles.pelvis_euler_deg` of its rows to the last bit, the rotation unwrapped
    (a heading through 180 deg) and from the window's first row."""
    rng = np.random.default_rng(7)
    n = 400
    names = [f.name for f in dataclasses.fields(Kinematics)]
    kinematics = Kinematics(**{name: rng.normal(0.0, 20.0, n) for name in names})
    kinematics.pelvis_tilt_deg[:] = rng.uniform(-10.0, 70.0, n)
    heading = np.linspace(150.0, 215.0, n)
    kinematics.pelvis_rotation_deg[:] = (heading + 180.0) % 360.0 - 180.0
    kinematics.pelvis_obliquity_deg[:] = rng.normal(0.0, 3.0, n)
    columns = kinematics_columns(kinematics, np.abs(rng.normal(0.0, 30.0, n)))
    window = base.RepWindow(20, 200, 380, "left", 390)
    view = RepView.of(columns, window)
    if rotation_first:
        rotation = view.rotation_deg
    obliquity = view.obliquity_deg
    rotation = view.rotation_deg
    rows = slice(window.start, window.end + 1)
    euler_obliquity, euler_rotation = angles.pelvis_euler_deg(
        kinematics.pelvis_tilt_deg[rows],
        kinematics.pelvis_obliquity_deg[rows],
        kinematics.pelvis_rotation_deg[rows],
    )
    unwrapped = np.degrees(np.unwrap(np.radians(euler_rotation)))
    assert obliquity.tobytes() == euler_obliquity.tobytes()
    assert rotation.tobytes() == (unwrapped - unwrapped[0]).tobytes()
    assert rotation.max() > 40.0  # through 180 deg without a jump


def test_thigh_adduction_in_the_pelvis_heading_is_the_body_models():
    """The thigh's long axis toward the midline in the pelvis's heading is the adduction
    the body model prescribes, at any flexion (past horizontal too), pelvic rotation,
    tilt and obliquity (the sign's physical meaning: tests/test_simulate.py)."""
    rng = np.random.default_rng(14)
    rad = np.radians
    flexions = np.concatenate([rng.uniform(-30.0, 100.0, 200), [88.0, 90.0, 92.0, 100.0]])
    for flexion in flexions:
        adduction, rotation = rng.uniform(-15.0, 15.0), rng.uniform(-40.0, 40.0)
        tilt, obliquity = rng.uniform(-10.0, 60.0), rng.uniform(-8.0, 8.0)
        motion = BodyMotion(
            *[constant(0.0)] * 2,
            constant(1.0),
            constant(rad(tilt)),
            constant(rad(obliquity)),
            constant(rad(rotation)),
            *[constant(rad(flexion)), constant(rad(adduction))] * 2,
        )
        pelvis = pelvis_pose(motion, np.zeros(1))
        for side in ("left", "right"):
            thigh = thigh_pose(motion, side, np.zeros(1), pelvis).rot[0]
            measured = angles.thigh_adduction_deg(thigh[:, 2], pelvis.rot[0][:, 1], side)
            assert measured == pytest.approx(adduction, abs=1e-9), (side, flexion)
    with pytest.raises(ValueError, match="side"):
        angles.thigh_adduction_deg(np.zeros(3), np.ones(3), "middle")


def test_a_dip_counts_as_a_new_excursion_only_well_below_the_start():
    assert not base._several_excursions(np.array([0.0, 50, 40, 50, 0]), 45.0, 10.0)
    assert base._several_excursions(np.array([0.0, 50, 30, 50, 0]), 45.0, 10.0)
    assert base._several_excursions(np.array([50.0, 30, 50]), 45.0, 10.0)
    assert not base._several_excursions(np.array([50.0, 30, np.nan]), 45.0, 10.0)


def _excursion_count(values: np.ndarray, start_deg: float, rearm_deg: float) -> int:
    """Rises past ``start_deg``, each after being below ``start_deg - rearm_deg`` (or first)."""
    count, armed = 0, True
    for value in values:
        if value > start_deg and armed:
            count, armed = count + 1, False
        elif value < start_deg - rearm_deg:
            armed = True
    return count


@pytest.mark.parametrize("seed", range(30))
def test_several_excursions_as_counted_row_by_row(seed):
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(scale=rng.uniform(1.0, 15.0), size=rng.integers(1, 400)))
    values[rng.random(values.size) < rng.random() * 0.2] = np.nan
    several = base._several_excursions(values, 30.0, 10.0)
    assert several == (_excursion_count(values, 30.0, 10.0) > 1)


@pytest.mark.parametrize("name", movement_names())
def test_every_per_side_metric_is_named_and_has_a_finding(name):
    """Each per-side metric has a label and a plain-language finding in the movement's
    module, and the findings of a session of that movement use them."""
    module = movement(name)
    for metric in module.PER_SIDE_METRICS:
        info = metric_info(metric, name)
        assert (info.label, info.help) == tuple(module.METRICS[metric])[:2]
        assert info.unit in ("°", "s", "%", "°/s")
        assert metric in module.FINDINGS
        summary = {
            "activity": name,
            "gait": None,
            "symmetry": {metric: {"left": 10.0, "right": 20.0, "si_pct": 66.7}},
        }
        (finding,) = session_findings(summary)
        assert finding.level == "notable"
        assert "right" in finding.observation and "{" not in finding.text
        assert finding.text.startswith(module.FINDINGS[metric][0].split("{")[0].strip()[:20])
        assert "diagnos" not in finding.text


def test_a_drill_difference_below_its_noise_is_no_finding():
    summary = {
        "activity": "single_leg_rdl",
        "gait": None,
        "symmetry": {"pelvic_opening_deg": {"left": 2.0, "right": 3.0, "si_pct": 40.0}},
    }
    (finding,) = session_findings(summary)
    assert finding.level == "balanced" and finding.within_noise


@pytest.mark.parametrize("blocks", [None, [1] * 400, [7] * 60])
def test_a_spike_rising_into_the_next_rep_is_not_the_last_reps_peak(blocks):
    """A driver that rose past the start, came back below the rest level and, before
    resting, jumped past the start again in one row (a single-thigh sample through a loss
    of the other) ends the first excursion at the valley between them: the jump is the
    next one's. Taking it for the first one's peak put that window's start after its end."""
    thigh = np.concatenate(
        [
            np.zeros(100),
            np.linspace(0.0, 35.0, 40),  # rises past the squat's 30 deg start
            np.linspace(35.0, 10.0, 20),  # back below its 15 deg rest level
            np.full(10, 10.0),
            [80.0],  # the next excursion's first row
            np.zeros(200),
        ]
    )
    zeros = np.zeros(thigh.size)
    kinematics = Kinematics(
        np.arange(thigh.size) / RATE_HZ, zeros, zeros, zeros, thigh, thigh, zeros, zeros
    )
    events, _ = segment("squat", kinematics_columns(kinematics, zeros), blocks)
    first = events[0]
    assert isinstance(first, WindowRejected) and "peaked below" in first.reason
    assert first.window.start <= first.window.bottom <= first.window.end < 170
    assert events[1].window.start >= first.window.end
