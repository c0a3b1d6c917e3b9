"""Motion-BIDS export: every file checked against the specification's requirement tables
(:mod:`sensorlab.io.bids_spec`, themselves checked against the BIDS schema package), the
file names against the BIDS validator's rules, and the data against the recording and
the simulator's ground truth."""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensorlab.cli import main
from sensorlab.io import bids_spec as spec
from sensorlab.io.bids_motion import merge_rows
from sensorlab.io.recording import read_recording, write_recording

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


# ----------------------------------------------------------------- the tables vs the schema
def _schema():
    schema = pytest.importorskip("bidsschematools.schema", reason="in the [dev] extra")
    return schema.load_schema()


def _levels(fields) -> dict[str, str]:
    return {
        name: (level if isinstance(level, str) else level["level"])
        for name, level in fields.items()
    }


def test_the_encoded_tables_are_the_specifications():
    loaded = _schema()
    assert loaded["bids_version"] == spec.BIDS_VERSION
    sidecars = loaded["rules"]["sidecars"]["motion"]
    from_schema = {}
    for group in sidecars.values():
        from_schema.update(_levels(group["fields"]))
    from_schema.pop("MISCChannelCount")  # deprecated for MiscChannelCount
    assert from_schema == spec.MOTION_SIDECAR_FIELDS
    channels = loaded["rules"]["tabular_data"]["motion"]["motionChannels"]
    columns = {name.split("__")[0]: level for name, level in _levels(channels["columns"]).items()}
    assert columns == spec.CHANNELS_COLUMNS
    assert [c.split("__")[0] for c in channels["initial_columns"]] == list(spec.CHANNELS_COLUMNS)[
        :5
    ]
    events = loaded["rules"]["tabular_data"]["events"]["Events"]
    assert _levels(events["columns"]) == spec.EVENTS_COLUMNS
    described = loaded["rules"]["json"]["dataset"]["dataset_description"]["fields"]
    assert _levels(described) == spec.DATASET_DESCRIPTION_FIELDS
    participants = loaded["rules"]["tabular_data"]["modality_agnostic"]["Participants"]
    assert _levels(participants["columns"]) == spec.PARTICIPANTS_COLUMNS
    scans = loaded["rules"]["tabular_data"]["modality_agnostic"]["Scans"]
    assert {k.split("__")[0]: v for k, v in _levels(scans["columns"]).items()} == (
        spec.SCANS_COLUMNS
    )
    objects = loaded["objects"]["columns"]
    assert set(objects["component"]["enum"]) | {"n/a"} == spec.COMPONENTS
    assert set(objects["type__channels"]["enum"]) >= spec.CHANNEL_TYPES
    assert set(loaded["objects"]["metadata"]["DatasetType"]["enum"]) == spec.DATASET_TYPES


# ------------------------------------------------------------------------- a validator
def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split("\t")


def _is_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def _check_table(path: Path, table: dict[str, str], problems: list[str]) -> None:
    header = _header(path)
    for column, level in table.items():
        if level == "required" and column not in header:
            problems.append(f"{path.name}: required column {column} missing")
    for row in _read_tsv(path):
        for column in header:
            if row[column] == "":
                problems.append(f"{path.name}: empty cell in {column} (use n/a)")


def _check_json(path: Path, table: dict[str, str], levels: tuple, problems: list[str]) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    for field, level in table.items():
        if level in levels and field not in data:
            problems.append(f"{path.name}: {level} field {field} missing")
    return data


def validate_dataset(root: Path) -> list[str]:
    """Every problem with the dataset at ``root``, by the specification's tables."""
    problems: list[str] = []
    description = _check_json(
        root / "dataset_description.json", spec.DATASET_DESCRIPTION_FIELDS, ("required",), problems
    )
    if description.get("DatasetType", "raw") not in spec.DATASET_TYPES:
        problems.append("DatasetType not one of raw, derivative, study")
    _check_table(root / "participants.tsv", spec.PARTICIPANTS_COLUMNS, problems)
    participants = {r["participant_id"] for r in _read_tsv(root / "participants.tsv")}
    subjects = {p.name for p in root.glob("sub-*")}
    if participants != subjects:
        problems.append(f"participants.tsv lists {participants}, folders are {subjects}")
    for motion in root.rglob("*_motion.tsv"):
        stem = motion.name[: -len("_motion.tsv")]
        pairs = [part.split("-", 1) for part in stem.split("_")]
        if any(len(pair) != 2 for pair in pairs):
            problems.append(f"{motion.name}: not made of key-value entities")
        entities = {pair[0]: pair[1] for pair in pairs if len(pair) == 2}
        for entity in ("sub", "task", "tracksys"):
            if entity not in entities:
                problems.append(f"{motion.name}: required entity {entity} missing")
        for value in entities.values():
            if not re.match(spec.LABEL_PATTERN, value):
                problems.append(f"{motion.name}: label {value!r} is not alphanumeric")
        if motion.parent.name != "motion":
            problems.append(f"{motion}: not in a motion/ folder")
        channels_tsv = motion.with_name(f"{stem}_channels.tsv")
        if not channels_tsv.is_file():
            problems.append(f"{motion.name}: no {channels_tsv.name} beside it")
            continue
        _check_table(channels_tsv, spec.CHANNELS_COLUMNS, problems)
        if _header(channels_tsv)[:5] != list(spec.CHANNELS_COLUMNS)[:5]:
            problems.append(f"{channels_tsv.name}: the required columns do not come first")
        channels = _read_tsv(channels_tsv)
        levels = json.loads(motion.with_name(f"{stem}_channels.json").read_text())[
            "reference_frame"
        ]["Levels"]
        for channel in channels:
            kind = channel["type"]
            if kind not in spec.CHANNEL_TYPES:
                problems.append(f"{channel['name']}: type {kind} is not a motion type")
            if channel["component"] not in spec.COMPONENTS:
                problems.append(f"{channel['name']}: component {channel['component']}")
            if kind in spec.AXIS_TYPES and channel["component"] not in ("x", "y", "z"):
                problems.append(f"{channel['name']}: {kind} needs an axis component")
            frame = channel["reference_frame"]
            if frame != "n/a" and frame not in levels:
                problems.append(f"{channel['name']}: reference frame {frame} not described")
        for level in levels.values():
            if set(level) - set(spec.REFERENCE_FRAME_KEYS):
                problems.append(f"unknown reference frame keys {set(level)}")
            axes = level.get("SpatialAxes", "")
            if axes and (len(axes) != 3 or set(axes) - spec.SPATIAL_AXIS_LETTERS):
                problems.append(f"SpatialAxes {axes!r}")
        rows = motion.read_text(encoding="utf-8").splitlines()
        if not rows or not all(_is_number(cell) or cell == "n/a" for cell in rows[0].split("\t")):
            problems.append(f"{motion.name}: has a header row (it must not)")
        widths = {len(row.split("\t")) for row in rows}
        if widths != {len(channels)}:
            problems.append(f"{motion.name}: {widths} columns, {len(channels)} channels")
        sidecar = _check_json(
            motion.with_name(f"{stem}_motion.json"),
            spec.MOTION_SIDECAR_FIELDS,
            ("required", "recommended"),
            problems,
        )
        if not isinstance(sidecar.get("SamplingFrequency"), int | float):
            problems.append(f"{stem}: SamplingFrequency is not a number")
        if sidecar.get("TrackingSystemName", entities["tracksys"]) != entities["tracksys"]:
            problems.append(f"{stem}: TrackingSystemName differs from tracksys")
        for kind in spec.CHANNEL_TYPES:
            key = "MiscChannelCount" if kind == "MISC" else f"{kind}ChannelCount"
            if sidecar[key] != sum(c["type"] == kind for c in channels):
                problems.append(f"{stem}: {key} is wrong")
        if sidecar["MotionChannelCount"] != len(channels):
            problems.append(f"{stem}: MotionChannelCount is wrong")
    for events in root.rglob("*_events.tsv"):
        _check_table(events, spec.EVENTS_COLUMNS, problems)
        if _header(events)[:2] != ["onset", "duration"]:
            problems.append(f"{events.name}: onset and duration must come first")
        for row in _read_tsv(events):
            if not _is_number(row["onset"]) or not _is_number(row["duration"]):
                problems.append(f"{events.name}: onset/duration not numbers: {row}")
            elif float(row["duration"]) < 0:
                problems.append(f"{events.name}: negative duration")
    for scans in root.rglob("*_scans.tsv"):
        _check_table(scans, spec.SCANS_COLUMNS, problems)
        for row in _read_tsv(scans):
            if not (scans.parent / row["filename"]).is_file():
                problems.append(f"{scans.name}: {row['filename']} does not exist")
    return problems


def _validator_names(root: Path) -> list[str]:
    """Files the BIDS validator's file-name rules reject."""
    validator = pytest.importorskip("bids_validator", reason="in the [dev] extra")
    check = validator.BIDSValidator()
    return [
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not check.is_bids("/" + path.relative_to(root).as_posix())
    ]


# -------------------------------------------------------------------------- the export
@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("bids") / "dataset"
    csv_path = RECORDINGS / "step_up_asymmetric.csv"
    assert main(["export-bids", str(csv_path), "--out", str(root), "--subject", "01"]) == 0
    return root


def test_the_dataset_meets_the_specification(exported):
    assert validate_dataset(exported) == []
    assert _validator_names(exported) == []
    motion_dir = exported / "sub-01" / "motion"
    assert sorted(p.name for p in motion_dir.iterdir()) == [
        f"sub-01_task-stepup_tracksys-imu_{suffix}"
        for suffix in (
            "channels.json",
            "channels.tsv",
            "events.json",
            "events.tsv",
            "motion.json",
            "motion.tsv",
        )
    ]


def test_the_validator_would_catch_a_broken_dataset(exported, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    stem = broken / "sub-01" / "motion" / "sub-01_task-stepup_tracksys-imu"
    sidecar = json.loads(Path(f"{stem}_motion.json").read_text())
    del sidecar["SamplingFrequency"], sidecar["MissingValues"]
    Path(f"{stem}_motion.json").write_text(json.dumps(sidecar))
    channels = Path(f"{stem}_channels.tsv")
    channels.write_text(channels.read_text().replace("\tACCEL\t", "\taccel\t", 1))
    shutil.copy(f"{stem}_motion.tsv", broken / "sub-01" / "motion" / "sub-01_stepup_motion.tsv")
    problems = validate_dataset(broken)
    assert any("required field SamplingFrequency" in p for p in problems)
    assert any("recommended field MissingValues" in p for p in problems)
    assert any("type accel" in p for p in problems)
    assert any("required entity task" in p for p in problems)
    assert "sub-01/motion/sub-01_stepup_motion.tsv" in _validator_names(broken)


def _motion_table(root: Path, subject: str = "01", tracksys: str = "imu"):
    stem = next((root / f"sub-{subject}").rglob(f"*_tracksys-{tracksys}_motion.tsv"))
    channels = [
        r["name"] for r in _read_tsv(Path(str(stem).replace("_motion.tsv", "_channels.tsv")))
    ]
    values = np.genfromtxt(stem, delimiter="\t", missing_values="n/a", filling_values=np.nan)
    return channels, np.atleast_2d(values)


def test_each_sensors_samples_are_written_as_recorded(exported):
    recording = read_recording(RECORDINGS / "step_up_asymmetric.csv")
    channels, values = _motion_table(exported)
    onset = min(c.t_s[0] for c in recording.chunks.values())
    for name, chunk in recording.chunks.items():
        latency = values[:, channels.index(f"{name}_latency")]
        present = np.isfinite(latency)
        assert present.sum() == len(chunk)
        assert np.allclose(latency[present] + onset, chunk.t_s, atol=1e-6, rtol=0)
        acc = values[present][:, [channels.index(f"{name}_acc_{a}") for a in "xyz"]]
        gyr = values[present][:, [channels.index(f"{name}_gyr_{a}") for a in "xyz"]]
        assert np.allclose(acc, chunk.acc_m_s2, atol=6e-6, rtol=0)
        assert np.allclose(gyr, np.degrees(chunk.gyr_rad_s), atol=6e-5, rtol=0)
    # Lossless sensors at one rate: one row per sample, no cell empty.
    assert values.shape[0] == len(next(iter(recording.chunks.values())))
    assert np.isfinite(values).all()


def test_the_events_are_the_reps_of_the_ground_truth(exported):
    truth = json.loads((RECORDINGS / "step_up_asymmetric.truth.json").read_text())
    events = _read_tsv(next(exported.rglob("*_events.tsv")))
    reps = [e for e in events if e["trial_type"].startswith("rep_")]
    assert [e["trial_type"] for e in reps] == [f"rep_{r['side']}" for r in truth["reps"]]
    assert [e["side"] for e in reps] == [r["side"] for r in truth["reps"]]
    recording = read_recording(RECORDINGS / "step_up_asymmetric.csv")
    onset = min(c.t_s[0] for c in recording.chunks.values())
    for event, rep in zip(reps, truth["reps"], strict=True):
        assert abs(float(event["onset"]) + onset - rep["t_start"]) < 0.5
        end = float(event["onset"]) + float(event["duration"]) + onset
        assert abs(end - rep["t_end"]) < 0.5
        assert abs(float(event["thigh_rom_deg"]) - rep["thigh_rom_deg"]) < 3.0
    described = json.loads(next(exported.rglob("*_events.json")).read_text())
    assert set(described) == set(_header(next(exported.rglob("*_events.tsv"))))


def test_a_walk_exports_steps_with_their_side(tmp_path):
    root = tmp_path / "bids"
    walk = RECORDINGS / "walk_asymmetric.csv"
    args = ["export-bids", str(walk), "--out", str(root), "--subject", "02", "--session", "1"]
    assert main(args) == 0
    assert validate_dataset(root) == [] and _validator_names(root) == []
    events = _read_tsv(next(root.rglob("sub-02_ses-1_task-walk_tracksys-imu_events.tsv")))
    truth = json.loads((RECORDINGS / "walk_asymmetric.truth.json").read_text())
    steps = [e for e in events if e["trial_type"].startswith("step_")]
    assert abs(len(steps) - len(truth["steps"])) <= 0.1 * len(truth["steps"])
    assert {e["trial_type"] for e in steps} == {"step_left", "step_right"}
    assert all(e["trial_type"] == f"step_{e['side']}" and e["duration"] == "0.0" for e in steps)


def _session_with(tmp_path: Path, change) -> Path:
    """The step-up recording with ``change(recording)`` applied, as a new CSV."""
    recording = change(read_recording(RECORDINGS / "step_up_asymmetric.csv"))
    path = tmp_path / "changed.csv"
    write_recording(recording, path)
    return path


def test_sensors_at_different_rates_get_a_tracking_system_each(tmp_path):
    def halve_pelvis(recording):
        pelvis = recording.chunks["pelvis"].take(slice(None, None, 2))
        sensors = dict(recording.meta.sensors)
        sensors["pelvis"] = replace(sensors["pelvis"], rate_hz=50.0)
        return replace(
            recording,
            chunks={**recording.chunks, "pelvis": pelvis},
            meta=replace(recording.meta, sensors=sensors),
        )

    path = _session_with(tmp_path, halve_pelvis)
    root = tmp_path / "bids"
    assert main(["export-bids", str(path), "--out", str(root), "--subject", "03"]) == 0
    assert validate_dataset(root) == [] and _validator_names(root) == []
    names = sorted(p.name for p in root.rglob("*_motion.json"))
    assert names == [
        "sub-03_task-stepup_tracksys-imu100_motion.json",
        "sub-03_task-stepup_tracksys-imu50_motion.json",
    ]
    fifty = json.loads((root / "sub-03" / "motion" / names[1]).read_text())
    assert fifty["SamplingFrequency"] == 50 and fifty["TrackedPointsCount"] == 1
    channels, values = _motion_table(root, "03", "imu50")
    assert channels[0] == "pelvis_acc_x" and values.shape[0] == len(
        read_recording(path).chunks["pelvis"]
    )
    assert len(list(root.rglob("*_tracksys-imu100_events.tsv"))) == 1


def test_lost_samples_are_empty_cells_not_invented_values(tmp_path):
    lost = slice(1000, 1150)

    def lose(recording):
        chunk = recording.chunks["left_thigh"]
        keep = np.ones(len(chunk), dtype=bool)
        keep[lost] = False
        return replace(recording, chunks={**recording.chunks, "left_thigh": chunk.take(keep)})

    path = _session_with(tmp_path, lose)
    root = tmp_path / "bids"
    assert main(["export-bids", str(path), "--out", str(root), "--subject", "04"]) == 0
    assert validate_dataset(root) == []
    channels, values = _motion_table(root, "04")
    left = values[:, channels.index("left_thigh_acc_x")]
    right = values[:, channels.index("right_thigh_acc_x")]
    assert np.isnan(left).sum() == 150 and np.isfinite(right).all()


def test_merge_rows_puts_each_sample_in_one_row_with_one_per_sensor():
    rng = np.random.default_rng(7)
    period = 0.01
    times = []
    jitter = 5e-4
    for k, drift in enumerate((0.0, 40e-6, -30e-6)):  # clocks drift apart by >1 period
        t = np.arange(20_000) * period * (1 + drift) + 0.003 * k + rng.normal(0, jitter, 20_000)
        times.append(np.sort(np.delete(t, rng.choice(20_000, 300, replace=False))))
    rows, n_rows = merge_rows(times, period)
    for sensor_rows in rows:
        assert np.unique(sensor_rows).size == sensor_rows.size  # one sample per row
    row_times = [[] for _ in range(n_rows)]
    for sensor_t, sensor_rows in zip(times, rows, strict=True):
        for t, row in zip(sensor_t, sensor_rows, strict=True):
            row_times[row].append(t)
    assert all(row_times), "no empty row"
    # Each sample within half a period of its row's time, give or take the jitter.
    assert max(max(r) - min(r) for r in row_times) < period + 8 * jitter
    for sensor_rows in rows:
        assert np.all(np.diff(sensor_rows) > 0), "each sensor's rows follow its samples"
    # The pairing follows the drift, not the jitter: hardly more rows than the 20,000
    # sample slots (each sensor lost 300 different ones, so every slot has a sample).
    assert n_rows < 1.005 * 20_000


def test_a_second_subject_is_added_and_nothing_is_overwritten(exported, tmp_path, capsys):
    root = tmp_path / "dataset"
    shutil.copytree(exported, root)
    csv_path = str(RECORDINGS / "step_up_asymmetric.csv")
    assert main(["export-bids", csv_path, "--out", str(root), "--subject", "01"]) == 2
    assert "already exported" in capsys.readouterr().err
    assert main(["export-bids", csv_path, "--out", str(root), "--subject", "05"]) == 0
    participants = [r["participant_id"] for r in _read_tsv(root / "participants.tsv")]
    assert participants == ["sub-01", "sub-05"]
    assert validate_dataset(root) == []


@pytest.mark.parametrize("label", ["0-1", "a_b", "x y", ""])
def test_a_label_bids_cannot_hold_is_refused(label, tmp_path, capsys):
    csv_path = str(RECORDINGS / "step_up_asymmetric.csv")
    assert main(["export-bids", csv_path, "--out", str(tmp_path), "--subject", label]) == 2
    error = capsys.readouterr().err
    assert "a BIDS label has only letters, digits" in error and "Traceback" not in error
    assert not any(tmp_path.iterdir())
