"""Timing the sidecar or the file gets wrong: a sidecar rate the data contradicts (warned,
measured rate used) and a clock restart, two takes joined in one file (refused, saying
where and how to split it)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess

import numpy as np
import pytest

from sensorlab.cli import main
from sensorlab.io.recording import read_recording, write_recording
from sensorlab.processing.pipeline import analyze
from sensorlab.simulate.scenarios import make_scenario


@pytest.fixture(scope="module")
def walk_60_hz():
    return make_scenario("walk_asymmetric", 0, duration_s=25.0, rate_hz=60.0)


def test_a_sidecar_rate_the_data_contradicts_is_warned_and_the_measured_one_used(
    walk_60_hz, tmp_path
):
    right = tmp_path / "right.csv"
    write_recording(walk_60_hz.recording, right)
    wrong = tmp_path / "wrong.csv"
    write_recording(walk_60_hz.recording, wrong)
    sidecar = json.loads(wrong.with_suffix(".json").read_text())
    assert sidecar["sensors"]["pelvis"]["rate_hz"] == 60
    sidecar["sensors"]["pelvis"]["rate_hz"] = 100
    wrong.with_suffix(".json").write_text(json.dumps(sidecar))

    expected, got = read_recording(right), read_recording(wrong)
    assert expected.warnings == []
    (message,) = got.warnings
    line = 1 + next(
        k for k, text in enumerate(wrong.read_text().splitlines()) if ",pelvis," in text
    )
    assert message.startswith(f"{wrong.name}:{line}: sensor 'pelvis': the sidecar says 100 Hz")
    assert "the samples come at 60 Hz" in message and "using 60 Hz" in message
    assert "sensors.pelvis.rate_hz" in message
    assert got.meta.sensors["pelvis"].rate_hz == pytest.approx(60.0, rel=1e-3)
    assert got.meta.sensors["left_thigh"].rate_hz == 60

    want = analyze(expected, "walk")
    have = analyze(dataclasses.replace(got, warnings=[]), "walk")
    assert [s.side for s in have.steps] == [s.side for s in want.steps]
    np.testing.assert_allclose([s.t for s in have.steps], [s.t for s in want.steps], atol=1e-6)


def test_a_rate_within_clock_tolerance_is_not_reported(walk_60_hz, tmp_path):
    path = tmp_path / "close.csv"
    write_recording(walk_60_hz.recording, path)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sidecar["sensors"]["pelvis"]["rate_hz"] = 62  # 3 %: a cheap crystal, not a mistake
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    assert read_recording(path).warnings == []


def test_two_takes_joined_in_one_file_are_refused_with_where_and_how_to_split(tmp_path, capsys):
    takes = [make_scenario("step_up_asymmetric", seed, duration_s=30.0) for seed in (1, 2)]
    parts = []
    for k, take in enumerate(takes):
        path = tmp_path / f"part{k}.csv"
        write_recording(take.recording, path)
        parts.append(path.read_text().splitlines(keepends=True))
    joined = tmp_path / "joined.csv"
    joined.write_text("".join(parts[0] + parts[1][1:]))  # one header, as `cat` users do
    (tmp_path / "part0.json").rename(joined.with_suffix(".json"))
    split_line = len(parts[0]) + 1

    assert main(["analyze", str(joined), "--out", str(tmp_path / "out"), "-q"]) == 2
    error = capsys.readouterr().err
    first_sensor = parts[1][1].split(",")[1]
    last_t = max(float(line.split(",")[0]) for line in parts[0][1:] if f",{first_sensor}," in line)
    assert f"{joined.name}:{split_line}: sensor {first_sensor!r}: the time goes back from " in error
    assert f"{last_t:.3f} s to" in error and "the clock restarted" in error
    assert "Traceback" not in error
    assert not (tmp_path / "out" / "summary.json").exists()

    # The commands in the message split the file into the two takes, byte for byte.
    commands = re.findall(r"head -n \d+ '[^']+' > take1\.csv|\(head -n 1 .*?> take2\.csv", error)
    assert len(commands) == 2
    for command in commands:
        subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True)
    assert (tmp_path / "take1.csv").read_text() == "".join(parts[0])
    assert (tmp_path / "take2.csv").read_text() == "".join(parts[1])
