"""summary.json (contract v1), reps.csv, findings and the terminal text.

Expected values are computed here from the fixtures' inputs (the result records), with the
contract's formulas; never copied from the code's output.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from summary_fixtures import (
    STEP_UP_MEANS,
    make_step_up_analysis,
    make_walk_analysis,
    messy_step_up_analysis,
    real_walk_analysis,
)

from sensorlab.processing.pipeline import analyze
from sensorlab.records import RepResult
from sensorlab.simulate.scenarios import make_scenario
from sensorlab.summary.findings import (
    classify_si,
    data_gap_note,
    finding_sentences,
    grade,
    main_finding,
    min_difference,
    session_findings,
)
from sensorlab.summary.summary import build_summary, summary_to_json, write_summary
from sensorlab.summary.table import write_reps_csv
from sensorlab.summary.text import format_text_summary

# The contract's example, as printed in ../shared/spec/formats.md (version 1; docs/formats.md).
CONTRACT_EXAMPLE = json.loads(
    """
{
  "format": "sensorlab-summary", "version": 1,
  "source": "NAME.csv", "activity": "step_up", "duration_s": 182.4,
  "reps": [
    {"side": "right", "t_start": 5.1, "t_end": 7.9,
     "thigh_rom_deg": 68.2, "pelvic_drop_deg": 6.1, "pelvic_tilt_range_deg": 7.5,
     "peak_thigh_velocity_dps": 190.0}
  ],
  "sides": {"left": {"reps": 8}, "right": {"reps": 8}},
  "symmetry": {
    "thigh_rom_deg":   {"left": 66.0, "right": 69.1, "si_pct": 4.6},
    "pelvic_drop_deg": {"left": 3.2,  "right": 6.0,  "si_pct": 60.9}
  },
  "steps": [{"side": "left", "t": 12.31, "pelvic_drop_deg": 4.2}],
  "gait": {"steps": {"left": 40, "right": 41}, "cadence_spm": 104.2,
           "step_time_s": {"left": 0.57, "right": 0.59, "si_pct": 3.4}}
}
"""
)

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "spec" / "formats.md"

NON_METRIC_REP_FIELDS = {
    "index",
    "set_index",
    "side",
    "t_start",
    "t_end",
    "data_gap_s",
    "left_out",
}
"""RepResult fields that are not per-side metrics (``data_gap_s`` and ``left_out`` are
quality flags)."""


def robinson(left: float, right: float) -> float:
    return 100.0 * (right - left) / (0.5 * (right + left))


def check_contract(value, example, path: str = "summary") -> None:
    """Every key of the example exists, with a compatible JSON type (null for numbers)."""
    if isinstance(example, dict):
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        for key, sub in example.items():
            assert key in value, f"{path}: missing contract field {key!r}"
            check_contract(value[key], sub, f"{path}.{key}")
    elif isinstance(example, list):
        assert isinstance(value, list), f"{path}: expected a list"
        for i, item in enumerate(value):
            check_contract(item, example[0], f"{path}[{i}]")
    elif isinstance(example, bool):
        assert isinstance(value, bool), path
    elif isinstance(example, int):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r}"
    elif isinstance(example, float):
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool)), (
            f"{path}: expected a number or null, got {value!r}"
        )
        if value is not None:
            assert math.isfinite(value), path
    elif isinstance(example, str):
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"


def rep_metric_keys() -> list[str]:
    return [f.name for f in dataclasses.fields(RepResult) if f.name not in NON_METRIC_REP_FIELDS]


@pytest.fixture(scope="module")
def step_up():
    return make_step_up_analysis()


@pytest.fixture(scope="module")
def walk():
    return make_walk_analysis()


# ------------------------------------------------------------------------- contract


@pytest.mark.skipif(not SPEC_PATH.exists(), reason="shared spec not beside the repository")
def test_embedded_contract_example_matches_the_spec():
    text = SPEC_PATH.read_text(encoding="utf-8")
    section = text[text.index("## Summary: `summary.json`") :]
    block = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    assert json.loads(block) == CONTRACT_EXAMPLE


def test_step_up_summary_follows_the_contract(step_up):
    summary = json.loads(summary_to_json(build_summary(step_up)))
    example = {k: v for k, v in CONTRACT_EXAMPLE.items() if k not in ("steps", "gait")}
    check_contract(summary, example)
    assert summary["format"] == "sensorlab-summary"
    assert summary["version"] == 1
    assert summary["source"] == step_up.source
    assert summary["activity"] == "step_up"
    assert summary["duration_s"] == pytest.approx(step_up.duration_s, abs=5e-4)
    assert summary["steps"] == []
    assert summary["gait"] is None


def test_walk_summary_follows_the_contract(walk):
    summary = json.loads(summary_to_json(build_summary(walk)))
    example = {k: v for k, v in CONTRACT_EXAMPLE.items() if k not in ("reps", "symmetry")}
    check_contract(summary, example)
    assert summary["reps"] == []
    for key in ("step_time_s", "pelvic_drop_deg"):
        check_contract(summary["symmetry"][key], CONTRACT_EXAMPLE["symmetry"]["thigh_rom_deg"])


def test_reps_carry_contract_fields_and_extensions(step_up):
    summary = build_summary(step_up)
    assert len(summary["reps"]) == len(step_up.reps)
    for row, rep in zip(summary["reps"], step_up.reps, strict=True):
        assert row["side"] == rep.side
        assert row["index"] == rep.index
        assert row["set"] == rep.set_index
        assert row["t_start"] == pytest.approx(rep.t_start, abs=5e-4)
        assert row["t_end"] == pytest.approx(rep.t_end, abs=5e-4)
        for key in rep_metric_keys():
            tol = 5e-4 if key.endswith("_s") else 0.05
            assert row[key] == pytest.approx(getattr(rep, key), abs=tol), key
        assert row["data_gap_s"] == pytest.approx(rep.data_gap_s, abs=5e-4)


def test_sides_count_reps_and_describe_each_metric(step_up):
    summary = build_summary(step_up)
    for side in ("left", "right"):
        mine = [r for r in step_up.reps if r.side == side]
        assert summary["sides"][side]["reps"] == len(mine)
        for key in rep_metric_keys():
            values = np.array([getattr(r, key) for r in mine])
            stats = summary["sides"][side][key]
            tol = 5e-4 if key.endswith("_s") else 0.05
            assert stats["mean"] == pytest.approx(values.mean(), abs=tol)
            assert stats["sd"] == pytest.approx(values.std(ddof=1), abs=tol)
            cv = 100 * values.std(ddof=1) / abs(values.mean())
            assert stats["cv_pct"] == pytest.approx(cv, abs=0.05)
            assert stats["n"] == len(mine)


def test_symmetry_covers_every_rep_metric_with_the_robinson_index(step_up):
    summary = build_summary(step_up)
    assert set(summary["symmetry"]) == set(rep_metric_keys())
    for key in rep_metric_keys():
        decimals = 3 if key.endswith("_s") else 1
        left = round(np.mean([getattr(r, key) for r in step_up.reps if r.side == "left"]), decimals)
        right = round(
            np.mean([getattr(r, key) for r in step_up.reps if r.side == "right"]), decimals
        )
        entry = summary["symmetry"][key]
        assert entry["left"] == pytest.approx(left)
        assert entry["right"] == pytest.approx(right)
        assert entry["si_pct"] == pytest.approx(robinson(left, right), abs=0.051)


def test_walk_symmetry_gait_and_steps(walk):
    summary = build_summary(walk)
    assert set(summary["symmetry"]) == {"step_time_s", "pelvic_drop_deg"}
    steps_by_side = {s: [x for x in walk.steps if x.side == s] for s in ("left", "right")}
    for side, steps in steps_by_side.items():
        assert summary["sides"][side]["steps"] == len(steps)
        assert summary["sides"][side]["reps"] == 0
        assert summary["gait"]["steps"][side] == len(steps)
        times = [x.step_time_s for x in steps if x.step_time_s is not None]
        assert summary["sides"][side]["step_time_s"]["mean"] == pytest.approx(
            np.mean(times), abs=5e-4
        )
        drop = round(np.mean([x.pelvic_drop_deg for x in steps]), 1)
        assert summary["symmetry"]["pelvic_drop_deg"][side] == pytest.approx(drop)
    gait = summary["gait"]
    assert gait["cadence_spm"] == pytest.approx(walk.gait.cadence_spm, abs=0.05)
    left = round(walk.gait.step_time_s["left"], 3)
    right = round(walk.gait.step_time_s["right"], 3)
    assert gait["step_time_s"]["left"] == pytest.approx(left)
    assert gait["step_time_s"]["si_pct"] == pytest.approx(robinson(left, right), abs=0.051)
    assert summary["symmetry"]["step_time_s"] == gait["step_time_s"]
    assert gait["step_regularity"] == pytest.approx(walk.gait.step_regularity, abs=5e-4)
    assert gait["walking_s"] == pytest.approx(walk.gait.walking_s, abs=5e-4)
    assert len(summary["steps"]) == len(walk.steps)
    first = summary["steps"][0]
    assert first["side"] == walk.steps[0].side
    assert first["t"] == pytest.approx(walk.steps[0].t, abs=5e-4)
    assert first["step_time_s"] is None  # first step of the bout


def test_quality_block(step_up):
    quality = build_summary(step_up)["quality"]
    assert list(quality) == ["pelvis", "left_thigh", "right_thigh"]
    for placement, q in step_up.quality.items():
        entry = quality[placement]
        assert entry["samples"] == q.samples
        assert entry["lost"] == q.lost
        assert entry["lost_pct"] == pytest.approx(100 * q.lost / (q.samples + q.lost), abs=0.005)
        cal = step_up.calibration[placement]
        assert entry["calibration_quality"] == pytest.approx(cal.quality, abs=0.005)
        assert entry["mount_correction_deg"] == pytest.approx(cal.mount_correction_deg, abs=0.05)
        assert entry["notes"] == list(cal.notes)


def test_json_is_strict_and_nan_becomes_null(step_up, tmp_path):
    reps = list(step_up.reps)
    reps[0] = dataclasses.replace(reps[0], pelvic_rate_rms_dps=float("nan"))
    analysis = dataclasses.replace(step_up, reps=reps)
    summary = build_summary(analysis, started_at="2026-11-23T10:15:00+01:00")
    path = write_summary(summary, tmp_path / "out" / "summary.json")
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    loaded = json.loads(text)
    assert loaded["reps"][0]["pelvic_rate_rms_dps"] is None
    side = reps[0].side
    n_side = sum(r.side == side for r in reps)
    assert loaded["sides"][side]["pelvic_rate_rms_dps"]["n"] == n_side - 1
    assert loaded["started_at"] == "2026-11-23T10:15:00+01:00"
    # Even a hand-made NaN anywhere in the dict is written as null.
    assert json.loads(summary_to_json({"x": float("nan"), "y": [np.float64("inf")]})) == {
        "x": None,
        "y": [None],
    }


def test_zero_rep_session(tmp_path):
    analysis = make_step_up_analysis(sets=(), warnings=())
    summary = build_summary(analysis)
    check_contract(
        summary, {k: v for k, v in CONTRACT_EXAMPLE.items() if k not in ("steps", "gait")}
    )
    assert summary["reps"] == []
    assert summary["sides"]["left"]["reps"] == 0
    assert summary["sides"]["right"]["reps"] == 0
    assert set(summary["symmetry"]) == set(rep_metric_keys())
    assert all(e["si_pct"] is None for e in summary["symmetry"].values())
    assert len(summary["warnings"]) == 1
    assert "no repetitions" in summary["warnings"][0].lower()
    json.loads(write_summary(summary, tmp_path / "s.json").read_text())


def test_zero_step_walk():
    summary = build_summary(make_walk_analysis(n_steps=0))
    assert summary["gait"]["steps"] == {"left": 0, "right": 0}
    assert summary["gait"]["cadence_spm"] is None
    assert summary["sides"]["left"]["steps"] == 0
    assert any("no steps" in w.lower() for w in summary["warnings"])


def test_one_sided_session_warns():
    summary = build_summary(make_step_up_analysis(sets=(("right", 5),)))
    assert summary["sides"]["left"]["reps"] == 0
    assert summary["symmetry"]["pelvic_drop_deg"]["left"] is None
    assert summary["symmetry"]["pelvic_drop_deg"]["si_pct"] is None
    assert any("left side" in w for w in summary["warnings"])


# --------------------------------------------------------------------------- reps.csv


def test_reps_csv_one_row_per_rep_with_units(step_up, tmp_path):
    path = write_reps_csv(step_up, tmp_path / "reps.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(step_up.reps)
    header = list(rows[0])
    for key in rep_metric_keys():
        assert key in header
    numeric = [h for h in header if h not in ("rep", "set", "side", "left_out")]
    assert all(h.endswith(("_s", "_deg", "_dps")) for h in numeric), numeric
    for row, rep in zip(rows, step_up.reps, strict=True):
        assert int(row["rep"]) == rep.index + 1
        assert row["side"] == rep.side
        assert float(row["pelvic_drop_deg"]) == pytest.approx(rep.pelvic_drop_deg, abs=0.05)
        assert float(row["duration_s"]) == pytest.approx(rep.t_end - rep.t_start, abs=1e-3)


def test_reps_csv_for_walks_and_empty_sessions(walk, tmp_path):
    path = write_reps_csv(walk, tmp_path / "steps.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(walk.steps)
    assert rows[0]["step_time_s"] == ""  # None -> empty cell
    assert float(rows[1]["step_time_s"]) == pytest.approx(walk.steps[1].step_time_s, abs=5e-4)
    assert set(rows[0]) == {
        "step",
        "side",
        "t_s",
        "step_time_s",
        "pelvic_drop_deg",
        "data_gap_s",
        "left_out",
    }
    empty = write_reps_csv(make_step_up_analysis(sets=()), tmp_path / "empty.csv")
    lines = empty.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and "pelvic_drop_deg" in lines[0]


# --------------------------------------------------------------------------- findings


@pytest.mark.parametrize(
    ("si", "level"),
    [
        (0.0, "balanced"),
        (9.99, "balanced"),
        (-9.99, "balanced"),
        (10.0, "borderline"),
        (-12.0, "borderline"),
        (15.0, "borderline"),
        (15.01, "notable"),
        (-60.9, "notable"),
        (None, "unavailable"),
        (float("nan"), "unavailable"),
    ],
)
def test_classify_si_thresholds(si, level):
    assert classify_si(si) == level


def test_small_differences_are_not_findings():
    # 0.8 deg against 1.4 deg of drop: SI 54 %, but within measurement noise.
    assert grade("pelvic_drop_deg", 0.8, 1.4, robinson(0.8, 1.4)) == "balanced"
    assert grade("pelvic_drop_deg", 3.0, 6.0, robinson(3.0, 6.0)) == "notable"
    assert grade("pelvic_drop_deg", None, 6.0, None) == "unavailable"
    # Opposite signs that cancel have no SI, but a large gap is still a finding.
    assert grade("pelvic_drop_deg", -3.0, 3.0, None) == "notable"


def _means(analysis, key):
    return {
        side: round(float(np.mean([getattr(r, key) for r in analysis.reps if r.side == side])), 1)
        for side in ("left", "right")
    }


def test_pelvic_drop_sentence_matches_the_fixture(step_up):
    m = _means(step_up, "pelvic_drop_deg")
    si = robinson(m["left"], m["right"])
    assert m["right"] > m["left"]  # the fixture's premise: the right leg lets the pelvis drop
    text = main_finding(build_summary(step_up))
    assert text.startswith(
        f"When the right leg works, the pelvis drops {m['right']:.1f}° on the left, "
        f"against {m['left']:.1f}° the other way (SI {si:+.0f}%)."
    )
    assert "gluteus medius) control on the right" in text


def test_findings_follow_the_side_with_the_larger_value():
    mirrored = {"left": STEP_UP_MEANS["right"], "right": STEP_UP_MEANS["left"]}
    analysis = make_step_up_analysis(means=mirrored, seed=5)
    m = _means(analysis, "pelvic_drop_deg")
    si = robinson(m["left"], m["right"])
    sentences = finding_sentences(build_summary(analysis))
    drop = next(s for s in sentences if "pelvis drops" in s)
    assert (
        f"When the left leg works, the pelvis drops {m['left']:.1f}° on the right, "
        f"against {m['right']:.1f}°" in drop
    )
    assert f"(SI {si:+.0f}%)" in drop and si < 0
    assert "control on the left" in drop


def test_each_flagged_metric_gets_a_sentence(step_up):
    summary = build_summary(step_up)
    flagged = [f for f in session_findings(summary) if f.level in ("notable", "borderline")]
    for f in flagged:
        assert classify_si(summary["symmetry"][f.metric]["si_pct"]) in ("notable", "borderline")
    # The fixture's means: drop 3 vs 6 deg, tilt 5 vs 8 deg, adduction 4 vs 7 deg, sway
    # 7 vs 10 deg/s are far apart; thigh range 64 vs 66 deg and the tempo are close.
    metrics = {f.metric for f in flagged}
    assert {"pelvic_drop_deg", "pelvic_tilt_range_deg", "thigh_adduction_excursion_deg"} <= metrics
    assert "pelvic_rate_rms_dps" in metrics
    assert not metrics & {"thigh_rom_deg", "up_duration_s", "down_duration_s"}
    sentences = finding_sentences(summary)
    assert len(sentences) == len(flagged)
    assert sentences[0].startswith("When the right leg works")  # notable first, drop first
    assert any("not a knee angle" in s for s in sentences)
    assert any("low back" in s for s in sentences)


def test_balanced_session_gets_one_overall_line():
    same = {"left": STEP_UP_MEANS["left"], "right": STEP_UP_MEANS["left"]}
    summary = build_summary(make_step_up_analysis(means=same, sd_scale=0.0))
    assert all(e["si_pct"] == 0.0 for e in summary["symmetry"].values())
    sentences = finding_sentences(summary)
    assert len(sentences) == 1
    assert "balanced" in sentences[0]


def test_borderline_wording():
    summary = {
        "activity": "step_up",
        "gait": None,
        "symmetry": {"thigh_rom_deg": {"left": 60.0, "right": 53.0, "si_pct": -12.4}},
    }
    (sentence,) = finding_sentences(summary)
    assert sentence.startswith(
        "The right thigh works through less range: 53.0° against 60.0° on the left (SI -12%)."
    )
    assert "borderline" in sentence


def test_negative_drop_is_worded_as_no_drop():
    summary = {
        "activity": "step_up",
        "gait": None,
        "symmetry": {"pelvic_drop_deg": {"left": -0.5, "right": 6.0, "si_pct": 236.4}},
    }
    assert "against no drop the other way (-0.5°)" in main_finding(summary)


def test_walk_findings_by_stance_side(walk):
    summary = build_summary(walk)
    drops = {
        side: round(float(np.mean([s.pelvic_drop_deg for s in walk.steps if s.side == side])), 1)
        for side in ("left", "right")
    }
    si = robinson(drops["left"], drops["right"])
    text = main_finding(summary)
    assert text.startswith(
        f"During stance on the right leg, the pelvis drops {drops['right']:.1f}° on the left, "
        f"against {drops['left']:.1f}° during left stance (SI {si:+.0f}%)."
    )


def test_walk_step_time_finding():
    analysis = make_walk_analysis(
        step_time_s={"left": 0.50, "right": 0.65}, pelvic_drop_deg={"left": 5, "right": 5}
    )
    sentences = finding_sentences(build_summary(analysis))
    assert len(sentences) == 1
    assert sentences[0].startswith("Steps ending on the right foot take 0.65 s")


def test_findings_never_diagnose(step_up, walk):
    summaries = [
        build_summary(step_up),
        build_summary(walk),
        build_summary(make_step_up_analysis(sets=())),
        build_summary(
            make_step_up_analysis(
                means={"left": STEP_UP_MEANS["right"]} | {"right": STEP_UP_MEANS["left"]}
            )
        ),
    ]
    for summary in summaries:
        texts = [f.text for f in session_findings(summary)] + finding_sentences(summary)
        texts.append(format_text_summary(summary))
        for text in texts:
            assert "diagnos" not in text.lower()


# ------------------------------------------------------------------------------- text


def test_text_summary(step_up):
    summary = build_summary(step_up)
    text = format_text_summary(summary)
    lines = text.splitlines()
    assert 4 <= len(lines) <= 14
    assert all(len(line) <= 78 for line in lines)
    n_left = sum(r.side == "left" for r in step_up.reps)
    n_right = sum(r.side == "right" for r in step_up.reps)
    assert f"Reps: left {n_left}, right {n_right}" in text
    m = _means(step_up, "pelvic_drop_deg")
    drop_line = next(line for line in lines if line.strip().startswith("Pelvic drop"))
    assert f"{m['left']:.1f}°" in drop_line and f"{m['right']:.1f}°" in drop_line
    assert f"{robinson(m['left'], m['right']):+.1f}%" in drop_line
    assert "1 warning" in text
    # The main finding is there (wrapped), word for word.
    assert " ".join(text.split()).count(" ".join(main_finding(summary).split())) == 1


def test_text_summary_for_walks_and_empty_sessions(walk):
    text = format_text_summary(build_summary(walk))
    assert f"cadence {walk.gait.cadence_spm:.1f} steps/min" in text
    assert "No warnings." in text
    empty = format_text_summary(build_summary(make_step_up_analysis(sets=(), warnings=())))
    assert "Reps: left 0, right 0" in empty
    assert "1 warning" in empty


def test_tempo_wording_follows_the_activity():
    entry = {"up_duration_s": {"left": 1.2, "right": 1.6, "si_pct": 28.6}}
    step_up = {"activity": "step_up", "gait": None, "symmetry": entry}
    squat = {"activity": "split_squat", "gait": None, "symmetry": entry}
    assert main_finding(step_up).startswith("Stepping up takes 1.60 s when the right leg works")
    assert main_finding(squat).startswith(
        "The rising phase takes 1.60 s with the right leg in front, against 1.20 s with the left"
    )


# ------------------------------------------------------------------------- data gaps


@pytest.fixture(scope="module")
def messy():
    """The real pipeline's analysis of a session with sample-loss bursts."""
    return messy_step_up_analysis()


def test_real_analysis_gaps_reach_summary_csv_and_text(messy, tmp_path):
    gap_reps = [r for r in messy.reps if r.data_gap_s > 0]
    left_out = [r for r in messy.reps if r.left_out]
    # The premise: the loss bursts leave some reps out and not others.
    assert 0 < len(left_out) < len(messy.reps)
    for rep in messy.reps:
        assert 0.0 <= rep.data_gap_s <= rep.t_end - rep.t_start + 0.01
    summary = json.loads(summary_to_json(build_summary(messy)))
    check_contract(
        summary, {k: v for k, v in CONTRACT_EXAMPLE.items() if k not in ("steps", "gait")}
    )
    assert set(summary["symmetry"]) == set(rep_metric_keys())
    for row, rep in zip(summary["reps"], messy.reps, strict=True):
        assert row["data_gap_s"] == pytest.approx(round(rep.data_gap_s, 3), abs=1e-9)
    # A quality flag, not a per-side metric.
    assert "data_gap_s" not in summary["symmetry"]
    assert all("data_gap_s" not in summary["sides"][side] for side in ("left", "right"))
    # Reps left out are listed, counted, named, and kept out of the per-side statistics.
    assert [row["left_out"] for row in summary["reps"]] == [r.left_out for r in messy.reps]
    assert summary["left_out"] == len(left_out)
    for side in ("left", "right"):
        kept = [r.pelvic_drop_deg for r in messy.reps if r.side == side and not r.left_out]
        assert summary["sides"][side]["pelvic_drop_deg"]["n"] == len(kept)
        assert summary["sides"][side]["pelvic_drop_deg"]["mean"] == pytest.approx(
            np.mean(kept), abs=0.051
        )
    numbers = ", ".join(str(r.index + 1) for r in left_out)
    assert any("left out" in w and numbers in w for w in summary["warnings"])

    path = write_reps_csv(messy, tmp_path / "reps.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["data_gap_s"]) for r in rows] == pytest.approx(
        [r.data_gap_s for r in messy.reps], abs=5e-4
    )

    text = format_text_summary(summary)
    flat = " ".join(text.split())
    assert f"{len(gap_reps)} reps contain lost data" in flat
    assert "their metrics are estimates" in flat
    assert f"{len(left_out)} of them are left out of the means" in flat
    assert all(len(line) <= 78 for line in text.splitlines())


def test_text_has_no_gap_line_without_gaps(step_up):
    assert all(r.data_gap_s == 0 for r in step_up.reps)
    summary = build_summary(step_up)
    assert data_gap_note(summary) is None
    assert "lost data" not in format_text_summary(summary)


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [
        ({}, None),
        ({4: 0.04}, "1 rep contains lost data (rep 5, 0.04 s); its metrics are estimates."),
        (
            {2: 0.3, 3: 0.86, 4: 1.3, 5: 1.49},
            "4 reps contain lost data (reps 3–6, 0.3–1.5 s each); their metrics are estimates.",
        ),
        (
            {0: 0.5, 9: 0.5},
            "2 reps contain lost data (reps 1 and 10, 0.5 s each); their metrics are estimates.",
        ),
        (
            {0: 0.2, 2: 0.2, 3: 0.2, 7: 0.7},
            "4 reps contain lost data (reps 1, 3–4, 8, 0.2–0.7 s each); "
            "their metrics are estimates.",
        ),
    ],
)
def test_data_gap_note_wording(gaps, expected):
    analysis = make_step_up_analysis(data_gap_s=gaps)
    assert data_gap_note(build_summary(analysis)) == expected


def test_data_gap_note_leaves_out_long_lists():
    gaps = {i: 0.1 for i in range(0, 16, 2)}  # 8 separate reps: too many to list
    note = data_gap_note(build_summary(make_step_up_analysis(data_gap_s=gaps)))
    assert note == "8 reps contain lost data (0.1 s each); their metrics are estimates."


def test_small_gap_with_a_large_si_is_marked_within_noise():
    # Tilt excursion 6.1 vs 6.9 deg: SI +12.3 % (borderline by SI) but a 0.8 deg gap,
    # under the 1 deg floor, so balanced and "within noise". Adduction 4 vs 4.5 deg:
    # SI +11.8 %, gap 0.5 deg: likewise. Pelvic drop 3 vs 6 deg: notable, not noise.
    left = dict(STEP_UP_MEANS["left"], pelvic_tilt_range_deg=6.1)
    right = dict(STEP_UP_MEANS["left"], pelvic_tilt_range_deg=6.9, pelvic_drop_deg=6.0)
    left["thigh_adduction_excursion_deg"], right["thigh_adduction_excursion_deg"] = 4.0, 4.5
    summary = build_summary(
        make_step_up_analysis(means={"left": left, "right": right}, sd_scale=0.0)
    )
    graded = {f.metric: f for f in session_findings(summary)}
    tilt = graded["pelvic_tilt_range_deg"]
    assert tilt.si_pct == pytest.approx(robinson(6.1, 6.9), abs=0.05)
    assert classify_si(tilt.si_pct) == "borderline"
    tilt_gap = 6.9 - 6.1
    assert tilt_gap < min_difference("pelvic_tilt_range_deg", "step_up")
    assert tilt.level == "balanced" and tilt.within_noise
    assert graded["thigh_adduction_excursion_deg"].within_noise
    assert graded["pelvic_drop_deg"].level == "notable"
    assert not graded["pelvic_drop_deg"].within_noise
    assert not graded["thigh_rom_deg"].within_noise  # identical sides: SI 0
    text = format_text_summary(summary)
    tilt_line = next(line for line in text.splitlines() if "Pelvic tilt" in line)
    assert tilt_line.rstrip().endswith("within noise")
    drop_line = next(line for line in text.splitlines() if "Pelvic drop" in line)
    assert drop_line.rstrip().endswith("notable")


DOCS_PATH = Path(__file__).resolve().parents[1] / "docs" / "summary.md"


def _keys(value, found: set[str]) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, sub in value.items():
            found.add(key)
            _keys(sub, found)
    elif isinstance(value, list):
        for item in value:
            _keys(item, found)
    return found


@pytest.fixture(scope="module")
def drills():
    """Analysed sessions of a unilateral and a bilateral drill (simulated, as analyze does)."""
    return [analyze(make_scenario(f"{name}_asymmetric", 1).recording) for name in DOC_DRILLS]


DOC_DRILLS = ("split_squat", "squat")


def test_docs_name_every_summary_field_and_csv_column(step_up, walk, drills, tmp_path):
    docs = DOCS_PATH.read_text(encoding="utf-8")
    assert [d.activity for d in drills] == list(DOC_DRILLS) and all(d.reps for d in drills)
    summaries = [
        build_summary(step_up, started_at="2026-11-23T10:15:00+01:00"),
        build_summary(walk),
        *(build_summary(d) for d in drills),
    ]
    keys = set().union(*(_keys(s, set()) for s in summaries))
    keys -= {"pelvis", "left_thigh", "right_thigh", "left", "right"}  # names, not fields
    undocumented = sorted(k for k in keys if f"`{k}`" not in docs and f".{k}`" not in docs)
    assert undocumented == []
    for analysis in (step_up, walk, *drills):
        header = (
            write_reps_csv(analysis, tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()[0]
        )
        missing = [c for c in header.split(",") if f"`{c}`" not in docs]
        assert missing == []


def test_real_walk_summary_follows_the_contract():
    walk = real_walk_analysis()
    assert walk.activity == "walk" and len(walk.steps) > 10 and walk.gait is not None
    summary = json.loads(summary_to_json(build_summary(walk)))
    check_contract(
        summary, {k: v for k, v in CONTRACT_EXAMPLE.items() if k not in ("reps", "symmetry")}
    )
    assert set(summary["symmetry"]) == {"step_time_s", "pelvic_drop_deg"}
    for side in ("left", "right"):
        assert summary["gait"]["steps"][side] == sum(s.side == side for s in walk.steps)
        expected = round(walk.gait.step_time_s[side], 3)
        assert summary["gait"]["step_time_s"][side] == pytest.approx(expected)
        assert summary["symmetry"]["step_time_s"][side] == pytest.approx(expected)
        drops = [s.pelvic_drop_deg for s in walk.steps if s.side == side]
        assert summary["symmetry"]["pelvic_drop_deg"][side] == pytest.approx(
            round(float(np.mean(drops)), 1)
        )
    left, right = (summary["gait"]["step_time_s"][k] for k in ("left", "right"))
    assert summary["gait"]["step_time_s"]["si_pct"] == pytest.approx(
        robinson(left, right), abs=0.051
    )
    text = format_text_summary(summary)
    assert all(len(line) <= 78 for line in text.splitlines())
    assert f"cadence {summary['gait']['cadence_spm']:.1f} steps/min" in text
