"""Parquet recordings: ``sensorlab convert --to parquet`` keeps the CSV's columns, values and
sidecar, and ``analyze`` on the Parquet file gives the CSV's summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sensorlab.cli import main
from sensorlab.io.parquet import SIDECAR_KEY, convert_csv_to_parquet
from sensorlab.io.recording import read_recording, write_recording
from sensorlab.records import ImuChunk, Recording, SensorInfo, SessionMeta

pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is in the [dev] extra")

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


@pytest.fixture
def step_up_csv(tmp_path):
    for suffix in (".csv", ".json"):
        shutil.copy(RECORDINGS / f"step_up_asymmetric{suffix}", tmp_path / f"session{suffix}")
    return tmp_path / "session.csv"


def test_analyze_gives_the_same_summary_from_parquet_as_from_the_csv(step_up_csv, tmp_path):
    assert main(["convert", str(step_up_csv), "--to", "parquet"]) == 0
    parquet = step_up_csv.with_suffix(".parquet")
    assert main(["analyze", str(step_up_csv), "--out", str(tmp_path / "csv"), "-q"]) == 0
    assert main(["analyze", str(parquet), "--out", str(tmp_path / "pq"), "-q"]) == 0
    from_csv = json.loads((tmp_path / "csv" / "summary.json").read_text())
    from_parquet = json.loads((tmp_path / "pq" / "summary.json").read_text())
    assert from_csv["source"] == "session.csv" and from_parquet["source"] == "session.parquet"
    from_parquet["source"] = from_csv["source"]
    assert from_csv["reps"], "the session has reps to compare"
    assert json.dumps(from_parquet, sort_keys=True) == json.dumps(from_csv, sort_keys=True)


def test_the_parquet_file_has_the_csv_columns_dtypes_and_embedded_sidecar(step_up_csv):
    parquet = step_up_csv.with_suffix(".parquet")
    convert_csv_to_parquet(step_up_csv, parquet)
    table = pq.read_table(parquet)
    header = step_up_csv.read_text().splitlines()[0].split(",")
    assert table.column_names == header
    types = {field.name: str(field.type) for field in table.schema}
    assert types["t"] == "double" and types["acc_x"] == "double" and types["gyr_z"] == "double"
    assert types["sensor"].startswith("dictionary<values=string")
    embedded = json.loads(table.schema.metadata[SIDECAR_KEY])
    assert embedded == json.loads(step_up_csv.with_suffix(".json").read_text())
    # The first rows read as text from the CSV equal the stored values.
    first = step_up_csv.read_text().splitlines()[1].split(",")
    row = table.slice(0, 1).to_pylist()[0]
    assert row["sensor"] == first[1]
    assert [row[c] for c in ("t", "acc_x", "gyr_y")] == [float(first[i]) for i in (0, 2, 6)]


def _recording_with_extras() -> Recording:
    rng = np.random.default_rng(4)
    chunks = {}
    for k, name in enumerate(("pelvis", "left_thigh")):
        n = 300
        t = np.arange(n) / 100.0 + 0.003 * k
        chunks[name] = ImuChunk(
            placement=name,
            t_s=t,
            acc_m_s2=rng.normal([0, 0, 9.81], 0.2, (n, 3)),
            gyr_rad_s=rng.normal(0, 0.5, (n, 3)),
            seq=np.arange(n, dtype=np.int64) + 65000 * k,
            device_t_s=t + 12.5,
            extra={
                "mag_x": rng.normal(20, 1, n),
                "note": np.array(["a,b" if i % 7 == 0 else "" for i in range(n)], dtype=object),
            },
        )
    meta = SessionMeta(
        activity="walk",
        sensors={p: SensorInfo(p, rate_hz=100) for p in chunks},
        subject="s1",
    )
    return Recording("x.csv", meta, chunks)


def test_seq_device_time_and_extra_columns_survive_the_conversion(tmp_path):
    csv = tmp_path / "extras.csv"
    write_recording(_recording_with_extras(), csv)
    parquet = tmp_path / "extras.parquet"
    convert_csv_to_parquet(csv, parquet)
    assert str(pq.read_table(parquet).schema.field("seq").type) == "int64"
    a, b = read_recording(csv), read_recording(parquet)
    assert a.meta == b.meta
    assert list(a.chunks) == list(b.chunks)
    for name, chunk in a.chunks.items():
        other = b.chunks[name]
        for field in ("t_s", "acc_m_s2", "gyr_rad_s", "seq", "device_t_s"):
            assert np.array_equal(getattr(chunk, field), getattr(other, field)), field
        assert other.seq.dtype == np.int64
        assert set(chunk.extra) == set(other.extra) == {"mag_x", "note"}
        assert np.array_equal(chunk.extra["mag_x"], other.extra["mag_x"])
        assert list(chunk.extra["note"]) == list(other.extra["note"])


def test_without_a_sidecar_beside_it_the_embedded_one_is_used(step_up_csv, tmp_path):
    alone = tmp_path / "elsewhere" / "copy.parquet"
    convert_csv_to_parquet(step_up_csv, alone)
    assert not alone.with_suffix(".json").exists()
    assert read_recording(alone).meta == read_recording(step_up_csv).meta


def test_rows_the_reader_drops_are_left_out_and_reported(step_up_csv):
    lines = step_up_csv.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace(lines[5].split(",")[3], "oops", 1)
    step_up_csv.write_text("".join(lines))
    warnings = convert_csv_to_parquet(step_up_csv, step_up_csv.with_suffix(".parquet"))
    assert any("dropped 1 row" in w and ":6:" in w for w in warnings)
    parquet = read_recording(step_up_csv.with_suffix(".parquet"))
    assert sum(len(c) for c in parquet.chunks.values()) == len(lines) - 2
    assert parquet.warnings == []


def test_convert_refuses_to_overwrite_and_wants_a_parquet_name(step_up_csv, capsys):
    assert main(["convert", str(step_up_csv), "--to", "parquet", "--out", "x.csv"]) == 2
    assert "ending in .parquet" in capsys.readouterr().err
    assert main(["convert", str(step_up_csv), "--to", "parquet"]) == 0
    assert main(["convert", str(step_up_csv), "--to", "parquet"]) == 2
    assert "exists" in capsys.readouterr().err


def test_a_damaged_parquet_file_is_a_clear_error(tmp_path, capsys):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    assert main(["analyze", str(broken), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert "not a readable Parquet file" in error and "Traceback" not in error
