"""The standing drills from the command line: simulate, then analyse without the activity.

A single-leg RDL's alignment needs the activity (its movement does not show the pelvis's
heading): found without it, ``analyze`` analyses the recording again as that drill, says so,
and reports it ``detected`` with its findings.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from sensorlab.cli import main


def undeclared_rdl(folder: Path, seed: int) -> tuple[Path, list[str]]:
    """A simulated single-leg RDL recording whose sidecar does not say the activity.

    Returns its path and the true working side of each rep.
    """
    recording = folder / "rdl.csv"
    args = ["simulate", "--activity", "single_leg_rdl", "--seed", str(seed)]
    assert main([*args, "--out", str(recording)]) == 0
    sidecar = recording.with_suffix(".json")
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    meta.pop("activity")
    sidecar.write_text(json.dumps(meta), encoding="utf-8")
    truth = json.loads(recording.with_suffix(".truth.json").read_text(encoding="utf-8"))
    return recording, [rep["side"] for rep in truth["drill_reps"]]


def test_an_undeclared_drill_is_found_and_analysed_as_that_drill(tmp_path, capsys):
    recording, true_sides = undeclared_rdl(tmp_path, seed=3)
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["analyze", str(recording), "--out", str(out), "--no-catalogue"]) == 0
    printed = capsys.readouterr()
    assert "analysing again as single_leg_rdl" in printed.err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["activity"], summary["activity_basis"]) == ("single_leg_rdl", "detected")
    assert summary["findings_withheld"] == []
    assert [rep["side"] for rep in summary["reps"]] == true_sides
    assert "Single-leg RDL" in printed.out and "Hinge" in printed.out


def test_the_activity_option_lists_the_drills(capsys):
    with contextlib.suppress(SystemExit):  # --help exits
        main(["analyze", "--help"])
    text = capsys.readouterr().out
    for name in ("split_squat", "single_leg_rdl", "squat", "docs/drills.md"):
        assert name in text


def test_a_replayed_drill_without_an_activity_is_analysed_as_that_drill(tmp_path, capsys):
    """Streamed without an activity, a single-leg RDL's free thigh (which mostly extends)
    looks turned round and the stream finds only some reps; the replay analyses the
    recording again as the drill it found."""
    recording, true_sides = undeclared_rdl(tmp_path, seed=5)
    out = tmp_path / "out"
    args = ["replay", str(recording), "--speed", "max", "--out", str(out), "--no-catalogue"]
    assert main(args) == 0
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["activity"], summary["activity_basis"]) == ("single_leg_rdl", "detected")
    assert [rep["side"] for rep in summary["reps"]] == true_sides
    assert not [w for w in summary["warnings"] if "turned" in w]
