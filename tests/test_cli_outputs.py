"""Where the outputs go: the folder is checked before any work, every file is written
atomically, and a failed write is one clear message (exit 2), never a traceback or a
truncated report. ``simulate`` never overwrites a recording, like ``record``."""

from __future__ import annotations

import errno
import io
import os
import shutil
from pathlib import Path

import pytest

import sensorlab.io.writer as writer
from sensorlab.cli import main
from sensorlab.io.recording import read_recording
from sensorlab.simulate.truth import read_truth
from tests.unprivileged import run_unprivileged

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def step_up_csv(tmp_path):
    for suffix in (".csv", ".json"):
        shutil.copy(RECORDINGS / f"step_up_asymmetric{suffix}", tmp_path / f"session{suffix}")
    return tmp_path / "session.csv"


def test_out_naming_a_file_is_refused_before_the_analysis(step_up_csv, tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    assert main(["analyze", str(step_up_csv), "--out", str(a_file), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"--out {a_file}" in error and "is a file, not a folder" in error
    assert "give a folder" in error and "Traceback" not in error
    assert a_file.read_text() == "not a folder"
    nested = a_file / "deeper"
    assert main(["analyze", str(step_up_csv), "--out", str(nested), "-q"]) == 2
    assert f"{a_file} is a file" in capsys.readouterr().err


def test_an_unwritable_out_folder_is_refused_as_an_ordinary_user(step_up_csv, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run_unprivileged(["analyze", str(step_up_csv), "--out", str(locked), "-q"])
        inside = run_unprivileged(["analyze", str(step_up_csv), "--out", str(locked / "new"), "-q"])
    finally:
        locked.chmod(0o755)
    for outcome, named in ((result, locked), (inside, locked / "new")):
        assert outcome.returncode == 2, outcome.stderr
        assert f"--out {named}: cannot write there (Permission denied)" in outcome.stderr
        assert "choose a folder you can write to" in outcome.stderr
        assert "Traceback" not in outcome.stderr
        assert "Reps" not in outcome.stdout  # refused before the analysis, not after
    assert list(locked.iterdir()) == []


class _DiskFillsUp(io.TextIOWrapper):
    """A text file whose disk is full after ``room`` characters (ENOSPC, as a real
    full disk raises it on write)."""

    room = 2000

    def write(self, text: str) -> int:
        if len(text) > self.room:
            super().write(text[: self.room])
            type(self).room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        type(self).room -= len(text)
        return super().write(text)


def _full_disk_fdopen(descriptor, *args, **kwargs):
    raw = open(descriptor, "wb", closefd=True)  # noqa: SIM115 (the wrapper owns it)
    return _DiskFillsUp(raw, encoding=kwargs.get("encoding"), newline=kwargs.get("newline"))


def test_a_full_disk_is_a_clear_error_and_leaves_no_truncated_output(
    step_up_csv, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    assert main(["analyze", str(step_up_csv), "--out", str(out), "-q"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    monkeypatch.setattr(writer.os, "fdopen", _full_disk_fdopen)
    _DiskFillsUp.room = 2000
    assert main(["analyze", str(step_up_csv), "--out", str(out), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"{out / 'summary.json'}: cannot write (No space left on device)" in error
    assert "the disk is full" in error and "Traceback" not in error
    # Every file is the complete earlier one; no temporary file is left behind.
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # Into a fresh folder: the files that fit are complete, the rest absent, none cut.
    fresh = tmp_path / "fresh"
    _DiskFillsUp.room = 60_000
    assert main(["analyze", str(step_up_csv), "--out", str(fresh), "-q"]) == 2
    error = capsys.readouterr().err
    assert "No space left on device" in error
    written = sorted(p.name for p in fresh.iterdir())
    assert written == sorted(n for n in before if n in written)
    for name in written:
        assert (fresh / name).read_bytes() == before[name], name
    assert "report.html" not in written  # the largest file did not fit


def test_simulate_refuses_to_overwrite_a_recording(tmp_path, capsys):
    csv = tmp_path / "sim.csv"
    argv = ["simulate", "--scenario", "walk_asymmetric", "--duration", "8", "--out", str(csv)]
    assert main(argv) == 0
    capsys.readouterr()
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(files) == ["sim.csv", "sim.json", "sim.truth.json"]
    for existing in ("sim.csv", "sim.json", "sim.truth.json"):
        for other in files:
            if other != existing:
                (tmp_path / other).rename(tmp_path / f"{other}.aside")
        assert main([*argv[:-1], str(csv), "--seed", "3"]) == 2
        error = capsys.readouterr().err
        assert f"{tmp_path / existing} exists" in error
        assert "never overwrites a recording" in error and "Traceback" not in error
        for other in files:
            if other != existing:
                (tmp_path / f"{other}.aside").rename(tmp_path / other)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


def test_simulate_a_drill_into_a_new_folder(tmp_path, capsys):
    csv = tmp_path / "new" / "split.csv"
    assert main(["simulate", "--activity", "split_squat", "--out", str(csv)]) == 0
    assert "split_squat_asymmetric, seed 0" in capsys.readouterr().out
    truth = read_truth(csv.with_suffix(".truth.json"))
    assert truth.activity == "split_squat" and len(truth.drill_reps) == 12
    assert read_recording(csv).meta.activity == "split_squat"
    argv = ["simulate", "--activity", "kickback", "--asymmetry", "20"]
    assert main([*argv, "--out", str(tmp_path / "k.csv")]) == 2
    assert "--asymmetry is for step_up and walk" in capsys.readouterr().err


def test_simulate_wants_a_csv_name(tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path / "sim.txt")]) == 2
    assert "give a file name ending in .csv" in capsys.readouterr().err


def test_a_refused_run_leaves_no_output_folder_behind(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\0" * 64)
    out = tmp_path / "new" / "out"
    assert main(["analyze", str(bad), "--out", str(out), "-q"]) == 2
    assert "binary file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


@pytest.mark.parametrize("command", ["replay", "live", "record", "simulate --live"])
def test_every_command_checks_where_it_writes_before_it_starts(
    command, step_up_csv, tmp_path, capsys
):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    argv = {
        "replay": ["replay", str(step_up_csv), "--speed", "max", "--out", str(a_file)],
        "live": ["live", "--source", "sim", "--duration", "1", "--out", str(a_file)],
        "record": ["record", "--virtual", "sim", "--out", str(a_file / "new.csv")],
        "simulate --live": ["simulate", "--live", "--out", str(a_file / "new.csv")],
    }[command]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "is a file, not a folder" in captured.err and "Traceback" not in captured.err
    assert "streaming" not in captured.out and "connecting" not in captured.out
    assert a_file.read_text() == "not a folder"


def test_a_permission_error_while_writing_is_a_clear_error(
    step_up_csv, tmp_path, capsys, monkeypatch
):
    """The folder passed the check, then a write is refused (permissions changed, an
    ACL, a network share): the file and the fix are named, nothing is half written."""

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(writer.tempfile, "mkstemp", refused)
    out = tmp_path / "out"
    assert main(["analyze", str(step_up_csv), "--out", str(out), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"{out / 'summary.json'}: cannot write (Permission denied)" in error
    assert "choose a folder you can write to" in error and "Traceback" not in error
    assert not out.exists() or list(out.iterdir()) == []
