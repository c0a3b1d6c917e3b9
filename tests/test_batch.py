"""``sensorlab batch``: every session of a tree analysed as ``analyze`` would, in worker
processes or on a Dask cluster; a broken file is listed with analyze's reason and
skipped; the cohort table and report hold one row per session and no absolute path."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from sensorlab.batch import discover
from sensorlab.batch.cohort import COHORT_COLUMNS, write_cohort_tables
from sensorlab.batch.discover import SessionFile, find_sessions
from sensorlab.batch.run import run_batch
from sensorlab.catalogue.entry import ALL_METRICS
from sensorlab.cli import main
from sensorlab.errors import InputError
from tests.cohort_sessions import BROKEN, SESSIONS, write_session_tree


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    truths = write_session_tree(root)
    return root, truths


@pytest.fixture(scope="module")
def batch_out(tree, tmp_path_factory):
    """``sensorlab batch`` run once with two worker processes."""
    root, _ = tree
    out = tmp_path_factory.mktemp("out") / "cohort"
    catalogue = out.parent / "catalogue.sqlite"
    code = main(
        ["batch", str(root), "--out", str(out), "--jobs", "2", "--catalogue", str(catalogue)]
    )
    return out, catalogue, code


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_session_is_analysed_into_its_own_folder_mirroring_the_tree(batch_out):
    out, _, code = batch_out
    assert code == 1  # one session skipped
    for relative in SESSIONS:
        folder = out / Path(relative).with_suffix("")
        for name in ("summary.json", "reps.csv", "report.html"):
            assert (folder / name).is_file(), folder / name


def test_the_cohort_table_holds_each_summary_s_numbers(batch_out):
    out, _, _ = batch_out
    rows = _rows(out / "cohort.csv")
    assert list(rows[0]) == list(COHORT_COLUMNS)
    assert [r["session"] for r in rows] == sorted(SESSIONS)
    for row in rows:
        assert (out / row["outputs"]).resolve() == (
            out / Path(row["session"]).with_suffix("")
        ).resolve()
        summary = json.loads((out / row["outputs"] / "summary.json").read_text())
        assert row["activity"] == summary["activity"]
        subject, started_at = SESSIONS[row["session"]][2:]
        assert (row["subject"], row["date"]) == (subject, started_at)
        count = "steps" if summary["gait"] else "reps"
        assert int(row["left_count"]) == summary["sides"]["left"][count]
        assert int(row["right_count"]) == summary["sides"]["right"][count]
        assert int(row["warnings"]) == len(summary["warnings"])
        for key in ALL_METRICS:
            pair = summary["symmetry"].get(key)
            for part in ("left", "right", "si_pct"):
                cell = row[f"{key}_{part}"]
                expected = None if pair is None else pair[part]
                assert (float(cell) if cell else None) == expected, (row["session"], key, part)


def test_the_cohort_sees_the_simulated_asymmetry(batch_out, tree):
    """Every session simulates a pelvis dropping more on one side: the table's pelvic-drop
    SI has the sign of the true per-side means."""
    out, _, _ = batch_out
    _, truths = tree
    for row in _rows(out / "cohort.csv"):
        truth = truths[row["session"]]
        events = truth.reps or truth.steps
        means = {
            side: sum(e.pelvic_drop_deg for e in events if e.side == side)
            / sum(1 for e in events if e.side == side)
            for side in ("left", "right")
        }
        si = float(row["pelvic_drop_deg_si_pct"])
        assert abs(si) > 15 and (si > 0) == (means["right"] > means["left"]), row["session"]


def test_a_broken_file_is_listed_with_analyze_s_reason_and_skipped(batch_out, tree, capsys):
    out, _, _ = batch_out
    root, _ = tree
    failures = _rows(out / "batch_errors.csv")
    assert [f["session"] for f in failures] == [BROKEN]
    analyze_out = out.parent / "analyze-broken"
    assert main(["analyze", str(root / BROKEN), "--out", str(analyze_out), "--no-catalogue"]) == 2
    message = capsys.readouterr().err.strip().removeprefix("sensorlab analyze: error: ")
    assert message.replace(f"{root}/", "") == failures[0]["reason"]
    assert BROKEN in (out / "cohort.html").read_text()


def test_outputs_hold_no_absolute_path(batch_out, tree):
    out, _, _ = batch_out
    root, _ = tree
    for name in ("cohort.csv", "cohort.html", "batch_errors.csv"):
        text = (out / name).read_text()
        assert str(root) not in text and str(out) not in text, name


def test_the_cohort_report_links_each_session_s_report(batch_out):
    out, _, _ = batch_out
    text = (out / "cohort.html").read_text()
    for relative in SESSIONS:
        href = f'href="{Path(relative).with_suffix("").as_posix()}/report.html"'
        assert href in text
    assert "data:image/png;base64," in text  # the SI-per-session figure


def test_one_process_two_processes_and_a_local_dask_cluster_agree(batch_out, tree, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, _, _ = batch_out
    root, _ = tree
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        run = run_batch(root, tmp_path / "dask", dask_address=cluster.scheduler_address)
    assert [r.error is None for r in run.results] == [
        not str(s).endswith("broken.csv") for s in sorted([*SESSIONS, BROKEN])
    ]
    code = main(
        ["batch", str(root), "--out", str(tmp_path / "serial"), "--jobs", "1", "--no-catalogue"]
    )
    assert code == 1
    write_cohort_tables(run)
    serial = (tmp_path / "serial" / "cohort.csv").read_text()
    assert (tmp_path / "dask" / "cohort.csv").read_text() == serial
    assert (out / "cohort.csv").read_text() == serial  # two worker processes


def test_dask_missing_names_the_extra(tree, tmp_path, monkeypatch):
    root, _ = tree
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError, match=r"--dask needs the 'dask' extra .*sensorlab\[dask\]"):
        run_batch(root, tmp_path / "out", dask_address="tcp://127.0.0.1:1")


def test_a_folder_without_sessions_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert "no sessions found" in capsys.readouterr().err


def test_find_sessions_skips_hidden_folders_and_the_output_folder(tmp_path):
    for relative in ("a.csv", "sub/b.csv", ".hidden/c.csv", "out/d/reps.csv", "notes.txt"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x")
    found = find_sessions(tmp_path, exclude=tmp_path / "out")
    assert [s.relative.as_posix() for s in found] == ["a.csv", "sub/b.csv"]


def test_another_format_joins_by_adding_a_finder(tmp_path, monkeypatch):
    (tmp_path / "s.parquet").write_text("x")
    (tmp_path / "t.csv").write_text("x")

    def parquet(path: Path, root: Path) -> SessionFile | None:
        if path.suffix != ".parquet":
            return None
        return SessionFile(path, path.relative_to(root), "parquet")

    monkeypatch.setattr(discover, "SESSION_FINDERS", [*discover.SESSION_FINDERS, parquet])
    found = find_sessions(tmp_path)
    assert [(s.relative.as_posix(), s.format) for s in found] == [
        ("s.parquet", "parquet"),
        ("t.csv", "contract-csv"),
    ]
