"""Recording reader and writer: round trip, bad input, unit detection."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sensorlab.errors import InputError
from sensorlab.io.recording import read_recording, write_recording
from sensorlab.records import ImuChunk, Recording, SensorInfo, SessionMeta

GRAVITY = 9.81
RATE_HZ = 100.0
MOUNTS = {
    "pelvis": {"x": "up", "y": "left", "z": "backward"},
    "left_thigh": {"x": "up", "y": "forward", "z": "left"},
    "right_thigh": {"x": "up", "y": "backward", "z": "right"},
}


# --------------------------------------------------------------------------------------
# physically sensible test data
# --------------------------------------------------------------------------------------


def swinging_chunk(
    placement: str,
    *,
    duration_s: float = 10.0,
    rest_s: float = 2.0,
    amplitude_rad: float = 0.7,
    frequency_hz: float = 0.5,
    t0_s: float = 0.0,
    seed: int = 0,
) -> ImuChunk:
    """A sensor that stands still, then swings about a horizontal sensor axis.

    The sensor's x axis points up at rest. After ``rest_s`` it rotates about its own y axis
    (horizontal) by ``amplitude_rad * sin(2 pi f t)``. acc is gravity's reaction rotated into
    the sensor frame (no linear acceleration: the sensor turns about its own origin), gyro is
    the rotation rate in rad/s about y; small noise on both.
    """
    rng = np.random.default_rng(seed)
    t_s = t0_s + np.arange(int(duration_s * RATE_HZ)) / RATE_HZ
    moving_s = np.clip(t_s - t0_s - rest_s, 0.0, None)
    phase = 2 * np.pi * frequency_hz * moving_s
    angle = amplitude_rad * np.sin(phase)
    rate = amplitude_rad * 2 * np.pi * frequency_hz * np.cos(phase) * (moving_s > 0)
    axis = np.array([0.0, 1.0, 0.0])
    x_up = Rotation.from_euler("y", -90.0, degrees=True)
    sensor_to_world = x_up * Rotation.from_rotvec(angle[:, None] * axis)
    acc = sensor_to_world.inv().apply([0.0, 0.0, GRAVITY]) + rng.normal(0, 0.02, (t_s.size, 3))
    gyr = rate[:, None] * axis + rng.normal(0, np.deg2rad(0.3), (t_s.size, 3))
    return ImuChunk(placement, t_s, acc, gyr)


def still_chunk(placement: str, duration_s: float = 10.0, seed: int = 0) -> ImuChunk:
    """A sensor at rest (x up) with small noise."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE_HZ)
    acc = np.array([GRAVITY, 0.0, 0.0]) + rng.normal(0, 0.02, (n, 3))
    gyr = rng.normal(0, np.deg2rad(0.3), (n, 3))
    return ImuChunk(placement, np.arange(n) / RATE_HZ, acc, gyr)


def make_recording(with_optional: bool = True) -> Recording:
    """Three swinging sensors with seq, device_t, mag and a text column, plus a sidecar."""
    chunks = {}
    for k, placement in enumerate(MOUNTS):
        base = swinging_chunk(placement, t0_s=0.003 * k, seed=k)
        n = len(base)
        extra = {}
        seq = device_t = None
        if with_optional:
            seq = (np.arange(n, dtype=np.int64) + 65500) % 65536
            device_t = 1000.0 + base.t_s * 1.00001
            rng = np.random.default_rng(10 + k)
            extra = {
                "mag_x": rng.normal(20.0, 5.0, n),
                "label": np.array([f"rep {i // 300}, ok" for i in range(n)], dtype=object),
            }
        chunks[placement] = ImuChunk(
            placement, base.t_s, base.acc_m_s2, base.gyr_rad_s, seq, device_t, extra
        )
    sensors = {
        p: SensorInfo(p, model="XS-1", rate_hz=RATE_HZ, mount=MOUNTS[p], extra={"fw": "4.0.2"})
        for p in MOUNTS
    }
    meta = SessionMeta(
        activity="step_up",
        sensors=sensors,
        calibration_span_s=(0.0, 2.0),
        started_at="2026-11-23T10:15:00+01:00",
        subject="anon-7",
        notes="",
        extra={"operator": "JD", "calibration": {"method": "standing"}},
    )
    return Recording("session.csv", meta, chunks)


@pytest.fixture()
def written(tmp_path: Path) -> tuple[Path, Recording]:
    """A clean recording written to ``tmp_path/session.csv`` (+ ``session.json``)."""
    recording = make_recording()
    path = tmp_path / "session.csv"
    write_recording(recording, path)
    return path, recording


@pytest.fixture(params=["quoted", "plain"])
def either(request, tmp_path: Path) -> tuple[Path, Recording]:
    """Like ``written``, with and without a quoted text column (the two diagnostic parsers)."""
    recording = make_recording(with_optional=request.param == "quoted")
    path = tmp_path / "session.csv"
    write_recording(recording, path)
    assert ('"' in path.read_text()) == (request.param == "quoted")
    return path, recording


def total_rows(recording: Recording) -> int:
    return sum(len(c) for c in recording.chunks.values())


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Replace one cell (1-based line, header is line 1) of a CSV written by the writer."""
    lines = lines_of(path)
    header = lines[0].split(",")
    fields = lines[line - 1].split(",")
    fields[header.index(column)] = value
    lines[line - 1] = ",".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")


def sensor_of_line(path: Path, line: int) -> str:
    lines = lines_of(path)
    return lines[line - 1].split(",")[lines[0].split(",").index("sensor")]


def simple_csv(path: Path, chunks: list[ImuChunk], acc_scale=1.0, gyr_scale=None) -> None:
    """Write chunks with acc multiplied by ``acc_scale`` and gyro in deg/s (or times
    ``gyr_scale`` from rad/s), to make files in the wrong units."""
    gyr_scale = np.rad2deg(1.0) if gyr_scale is None else gyr_scale
    rows = ["t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"]
    for c in chunks:
        for t, a, g in zip(c.t_s, c.acc_m_s2 * acc_scale, c.gyr_rad_s * gyr_scale, strict=True):
            rows.append(
                f"{t:.6f},{c.placement},{a[0]:.6f},{a[1]:.6f},{a[2]:.6f},"
                f"{g[0]:.6f},{g[1]:.6f},{g[2]:.6f}"
            )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def has_fix_hint(message: str) -> bool:
    hints = (
        "rename",
        "fix",
        "save",
        "write",
        "check",
        "use",
        "delete",
        "give",
        "add",
        "export",
        "make",
        "leave",
        "swap",
        "name it",
        "nothing to fix",
        "record",
    )
    return any(h in message.lower() for h in hints)


def only(warnings: list[str], pattern: str) -> str:
    found = [w for w in warnings if re.search(pattern, w)]
    assert len(found) == 1, (pattern, warnings)
    return found[0]


# --------------------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------------------


def test_round_trip_keeps_arrays_extras_and_sidecar(written):
    path, original = written
    result = read_recording(path)
    assert result.warnings == []
    assert result.source == "session.csv"
    assert list(result.chunks) == list(original.chunks)
    for name, want in original.chunks.items():
        got = result.chunks[name]
        assert got.placement == name
        np.testing.assert_allclose(got.t_s, want.t_s, rtol=0, atol=0.5e-6 + 1e-9)
        np.testing.assert_allclose(got.acc_m_s2, want.acc_m_s2, rtol=0, atol=0.5e-5 + 1e-9)
        gyr_dps_err = np.rad2deg(np.abs(got.gyr_rad_s - want.gyr_rad_s))
        assert gyr_dps_err.max() <= 0.5e-4 + 1e-9
        np.testing.assert_array_equal(got.seq, want.seq)
        assert got.seq.dtype == np.int64
        np.testing.assert_allclose(got.device_t_s, want.device_t_s, rtol=0, atol=0.5e-6 + 1e-9)
        np.testing.assert_array_equal(got.extra["mag_x"], want.extra["mag_x"])
        assert list(got.extra["label"]) == list(want.extra["label"])
    assert result.meta == original.meta
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["format"] == "sensorlab-recording" and sidecar["version"] == 1
    assert sidecar["calibration"] == {
        "static_start_s": 0.0,
        "static_end_s": 2.0,
        "method": "standing",
    }


def test_round_trip_without_optional_columns(tmp_path):
    original = make_recording(with_optional=False)
    path = tmp_path / "plain.csv"
    write_recording(original, path)
    assert lines_of(path)[0] == "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"
    result = read_recording(path)
    assert result.warnings == []
    for name, chunk in result.chunks.items():
        assert chunk.seq is None and chunk.device_t_s is None and chunk.extra == {}
        assert len(chunk) == len(original.chunks[name])


def test_writer_interleaves_by_time_keeps_sensor_order_and_leaves_no_temp_files(tmp_path):
    a = ImuChunk("pelvis", np.array([0.0, 0.2, 0.1, 0.3]), np.ones((4, 3)), np.zeros((4, 3)))
    b = ImuChunk("left_thigh", np.array([0.05, 0.1, 0.25]), np.ones((3, 3)), np.zeros((3, 3)))
    path = tmp_path / "order.csv"
    write_recording(Recording("order.csv", SessionMeta(), {"pelvis": a, "left_thigh": b}), path)
    rows = [line.split(",")[:2] for line in lines_of(path)[1:] if line]
    assert rows == [
        ["0.000000", "pelvis"],
        ["0.050000", "left_thigh"],
        ["0.100000", "left_thigh"],
        ["0.200000", "pelvis"],
        ["0.100000", "pelvis"],  # the pelvis's own (unsorted) order is kept
        ["0.250000", "left_thigh"],
        ["0.300000", "pelvis"],
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order.csv", "order.json"]
    result = read_recording(path)
    np.testing.assert_array_equal(result.chunks["pelvis"].t_s, a.t_s)


def test_bom_and_crlf_just_work(written):
    path, _ = written
    plain = read_recording(path)
    text = path.read_text(encoding="utf-8")
    odd = path.with_name("odd.csv")
    odd.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    result = read_recording(odd)
    assert result.warnings == []
    for name, chunk in plain.chunks.items():
        np.testing.assert_array_equal(result.chunks[name].t_s, chunk.t_s)
        np.testing.assert_array_equal(result.chunks[name].gyr_rad_s, chunk.gyr_rad_s)
        assert list(result.chunks[name].extra["label"]) == list(chunk.extra["label"])


def test_no_trailing_newline_with_a_complete_last_line_is_kept(written):
    path, original = written
    path.write_text(path.read_text().rstrip("\n"))
    result = read_recording(path)
    assert result.warnings == []
    assert total_rows(result) == total_rows(original)


# --------------------------------------------------------------------------------------
# header problems (errors)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrong", "right"),
    [("acc_X", "acc_x"), ("gyro_x", "gyr_x"), ("time", "t"), ("Sensor", "sensor")],
)
def test_misnamed_column_suggests_the_closest_name(written, wrong, right):
    path, _ = written
    lines = lines_of(path)
    header = lines[0].split(",")
    column = header.index(right) + 1
    header[column - 1] = wrong
    lines[0] = ",".join(header)
    path.write_text("\n".join(lines))
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert f"{path.name}:1" in message
    assert f"column {column} is named {wrong!r}: rename it to {right!r}" in message
    assert has_fix_hint(message)


def test_missing_column_without_a_close_name_lists_the_required_ones(tmp_path):
    path = tmp_path / "nogyro.csv"
    path.write_text("t,sensor,acc_x,acc_y,acc_z\n0.0,pelvis,9.8,0,0\n")
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert f"{path.name}:1" in message
    for column in ("gyr_x", "gyr_y", "gyr_z"):
        assert f"{column!r} is missing" in message
    assert "t, sensor, acc_x, acc_y, acc_z, gyr_x, gyr_y, gyr_z" in message


def test_duplicate_column_is_an_error(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z,acc_x\n0,pelvis,1,2,3,4,5,6,7\n")
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert f"{path.name}:1" in message and "columns 3 and 9" in message and has_fix_hint(message)


def test_empty_file_and_header_only_are_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty") as info:
        read_recording(empty)
    assert has_fix_hint(str(info.value))
    header_only = tmp_path / "header.csv"
    header_only.write_text("t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\r\n")
    with pytest.raises(InputError, match=r"header\.csv: the header is there but") as info:
        read_recording(header_only)
    assert has_fix_hint(str(info.value))


def test_missing_file_and_missing_explicit_sidecar_are_errors(written, tmp_path):
    path, _ = written
    with pytest.raises(InputError, match="no such file"):
        read_recording(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"other\.json: sidecar not found"):
        read_recording(path, tmp_path / "other.json")


def test_sidecar_is_optional(written):
    path, original = written
    path.with_suffix(".json").unlink()
    result = read_recording(path)
    assert result.meta == SessionMeta()
    assert result.warnings == []
    assert total_rows(result) == total_rows(original)


def test_not_utf8_names_the_line(written):
    path, _ = written
    data = bytearray(path.read_bytes())
    lines = data.split(b"\n")
    lines[6] = lines[6].replace(b"rep 0", b"r\xe9p 0")
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert f"{path.name}:7:" in message and "UTF-8" in message and has_fix_hint(message)


# --------------------------------------------------------------------------------------
# bad rows (warnings; good rows survive)
# --------------------------------------------------------------------------------------


def test_non_numeric_and_empty_cells_drop_those_rows_with_one_warning(either):
    path, original = either
    set_cell(path, 10, "acc_y", "abc")
    set_cell(path, 20, "gyr_z", "")
    set_cell(path, 30, "t", "NaN")
    set_cell(path, 40, "sensor", "")
    result = read_recording(path)
    message = only(result.warnings, "dropped")
    assert "dropped 4 row(s)" in message
    assert f"{path.name}:10:acc_y 'abc'" in message
    assert f"{path.name}:20:gyr_z '' (empty)" in message
    assert f"{path.name}:30:t 'NaN'" in message
    assert f"{path.name}:40:sensor '' (empty)" in message
    assert has_fix_hint(message)
    assert total_rows(result) == total_rows(original) - 4
    assert len(result.warnings) == 1


def test_line_with_too_few_or_too_many_fields_is_dropped_and_named(either):
    path, original = either
    lines = lines_of(path)
    lines[11] = ",".join(lines[11].split(",")[:4])  # line 12
    lines[21] = lines[21] + ",7,8"  # line 22
    path.write_text("\n".join(lines))
    result = read_recording(path)
    message = only(result.warnings, "dropped")
    width = len(lines[0].split(","))
    assert f"{path.name}:12: only 4 of {width} fields" in message
    assert f"{path.name}:22: {width + 2} fields, the header has {width}" in message
    assert total_rows(result) == total_rows(original) - 2


def test_no_good_row_left_is_an_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,pelvis,x,0,0,0,0,0\n"
        "0.01,pelvis,,0,0,0,0,0\n"
    )
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert "no usable row" in message and f"{path.name}:2:acc_x 'x'" in message
    assert f"{path.name}:3:acc_x '' (empty)" in message and has_fix_hint(message)


def test_truncated_last_line_with_fewer_fields_is_dropped(either):
    path, original = either
    text = path.read_text()
    last_line = len(text.rstrip("\n").split("\n"))
    cut = text.rstrip("\n")
    cut = cut[: cut.rindex(",", 0, cut.rindex(",") - 1)]  # lose the last fields
    path.write_text(cut)
    result = read_recording(path)
    message = only(result.warnings, "last line")
    assert f"{path.name}:{last_line}:" in message and "cut short" in message
    assert has_fix_hint(message)
    assert total_rows(result) == total_rows(original) - 1
    assert len(result.warnings) == 1


def test_partial_number_at_end_of_file_is_dropped(tmp_path):
    original = make_recording(with_optional=False)
    path = tmp_path / "cut.csv"
    write_recording(original, path)
    text = path.read_text().rstrip("\n")
    path.write_text(text[:-3])  # gyr_z "-12.3456" -> "-12.3" with no line end
    last_line = len(text.split("\n"))
    result = read_recording(path)
    message = only(result.warnings, "ends in the middle")
    assert f"{path.name}:{last_line}:gyr_z" in message and has_fix_hint(message)
    assert total_rows(result) == total_rows(original) - 1


def test_blank_lines_are_ignored(either):
    path, original = either
    lines = lines_of(path)
    lines.insert(5, "")
    path.write_text("\n".join(lines) + "\n\n")
    result = read_recording(path)
    assert result.warnings == []
    assert total_rows(result) == total_rows(original)


def test_line_numbers_stay_right_in_the_slow_path_with_quotes(written):
    path, original = written  # the label column is quoted ("rep 0, ok")
    assert '"rep 0, ok"' in path.read_text()
    set_cell_quoted = lines_of(path)
    header = set_cell_quoted[0].split(",")
    fields = set_cell_quoted[49].split(",")
    fields[header.index("acc_z")] = "1.2.3"
    set_cell_quoted[49] = ",".join(fields)
    path.write_text("\n".join(set_cell_quoted))
    result = read_recording(path)
    message = only(result.warnings, "dropped")
    assert f"{path.name}:50:acc_z '1.2.3'" in message
    assert total_rows(result) == total_rows(original) - 1
    assert result.chunks["pelvis"].extra["label"][0] == "rep 0, ok"


# --------------------------------------------------------------------------------------
# time order
# --------------------------------------------------------------------------------------


def test_duplicate_and_backward_times_are_reported_and_kept_in_file_order(either):
    path, original = either
    lines = lines_of(path)
    pelvis_lines = [i for i, line in enumerate(lines, start=1) if ",pelvis," in line]
    first, second = pelvis_lines[100], pelvis_lines[201]
    t_before = lines[pelvis_lines[99] - 1].split(",")[0]
    set_cell(path, first, "t", t_before)  # repeats the time before it
    set_cell(path, second, "t", "0.500000")  # goes back in time
    result = read_recording(path)
    message = only(result.warnings, "not later than")
    assert "sensor 'pelvis': 2 sample(s)" in message
    assert "1 go back in time, 1 repeat a time" in message
    assert f"first at lines {first}, {second}" in message
    chunk = result.chunks["pelvis"]
    assert len(chunk) == len(original.chunks["pelvis"])
    assert chunk.t_s[201] == 0.5  # file order, not sorted
    assert has_fix_hint(message)


# --------------------------------------------------------------------------------------
# sensor names
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("pelvic", "pelvis"), ("left thigh", "left_thigh"), ("LeftThigh", "left_thigh")],
)
def test_unknown_sensor_name_is_kept_with_did_you_mean(written, typo, meant):
    path, original = written
    text = path.read_text()
    path.write_text(text.replace(f",{meant},", f",{typo},"))
    first_line = next(i for i, line in enumerate(lines_of(path), start=1) if f",{typo}," in line)
    result = read_recording(path)
    message = only(result.warnings, "not a known placement")
    assert f"{path.name}:{first_line}: sensor {typo!r}" in message
    assert f"did you mean {meant!r}?" in message and has_fix_hint(message)
    assert len(result.chunks[typo]) == len(original.chunks[meant])
    assert meant not in result.chunks
    mismatch = only(result.warnings, "sidecar lists")
    assert repr(meant) in mismatch and has_fix_hint(mismatch)


def test_other_placements_in_the_sidecar_are_not_unknown(tmp_path):
    shank = swinging_chunk("left_shank")
    meta = SessionMeta(sensors={"left_shank": SensorInfo("left_shank", rate_hz=RATE_HZ)})
    path = tmp_path / "shank.csv"
    write_recording(Recording("shank.csv", meta, {"left_shank": shank}), path)
    assert read_recording(path).warnings == []


def test_csv_sensor_missing_from_sidecar_is_reported(written):
    path, _ = written
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sidecar["sensors"]["right_thy"] = sidecar["sensors"].pop("right_thigh")
    path.with_suffix(".json").write_text(json.dumps(sidecar))
    result = read_recording(path)
    message = only(result.warnings, "not among the sidecar's sensors")
    assert "sensor 'right_thigh'" in message and "did you mean 'right_thy'?" in message
    assert path.name in message
    assert "right_thigh" in result.chunks


# --------------------------------------------------------------------------------------
# units
# --------------------------------------------------------------------------------------


def test_acc_in_g_is_detected_converted_and_reported(tmp_path):
    truth = [swinging_chunk("pelvis", seed=1), still_chunk("left_thigh", seed=2)]
    path = tmp_path / "g.csv"
    simple_csv(path, truth, acc_scale=1 / 9.80665)
    result = read_recording(path)
    message = only(result.warnings, "look like g")
    assert f"{path.name}: acc_x..acc_z look like g" in message and has_fix_hint(message)
    assert "pelvis 1.0" in message and "left_thigh 1.0" in message
    for chunk in truth:
        np.testing.assert_allclose(
            result.chunks[chunk.placement].acc_m_s2, chunk.acc_m_s2, atol=1e-4
        )
    assert len(result.warnings) == 1


def test_gyro_in_rad_s_is_detected_converted_and_reported(tmp_path):
    truth = swinging_chunk("pelvis", seed=3)
    still = still_chunk("left_thigh", seed=4)
    path = tmp_path / "rad.csv"
    simple_csv(path, [truth, still], gyr_scale=1.0)
    result = read_recording(path)
    message = only(result.warnings, "look like rad/s")
    assert f"{path.name}: gyr_x..gyr_z look like rad/s" in message and has_fix_hint(message)
    assert "(pelvis: over" in message
    np.testing.assert_allclose(result.chunks["pelvis"].gyr_rad_s, truth.gyr_rad_s, atol=1e-6)
    # The still sensor gives no evidence of its own: one file has one unit, so it is
    # read as rad/s like the pelvis, and the warning says so.
    assert "left_thigh: no clear evidence alone, read the same way" in message
    assert len(result.warnings) == 1
    np.testing.assert_allclose(result.chunks["left_thigh"].gyr_rad_s, still.gyr_rad_s, atol=1e-6)


@pytest.mark.parametrize("frequency_hz", [0.3, 1.0, 2.0])
def test_correct_units_with_movement_raise_no_alarm(tmp_path, frequency_hz):
    truth = swinging_chunk("pelvis", frequency_hz=frequency_hz, seed=5)
    path = tmp_path / "ok.csv"
    simple_csv(path, [truth])
    result = read_recording(path)
    assert result.warnings == []
    np.testing.assert_allclose(result.chunks["pelvis"].gyr_rad_s, truth.gyr_rad_s, atol=1e-6)


def test_both_wrong_units_at_once(tmp_path):
    truth = swinging_chunk("left_thigh", frequency_hz=1.0, seed=6)
    path = tmp_path / "both.csv"
    simple_csv(path, [truth], acc_scale=1 / 9.80665, gyr_scale=1.0)
    result = read_recording(path)
    assert len(result.warnings) == 2
    chunk = result.chunks["left_thigh"]
    np.testing.assert_allclose(chunk.acc_m_s2, truth.acc_m_s2, atol=1e-4)
    np.testing.assert_allclose(chunk.gyr_rad_s, truth.gyr_rad_s, atol=1e-6)


def test_implausible_acc_magnitude_is_reported_not_converted(tmp_path):
    truth = still_chunk("pelvis")
    path = tmp_path / "mg.csv"
    simple_csv(path, [truth], acc_scale=1000 / 9.81)  # milli-g
    result = read_recording(path)
    message = only(result.warnings, "median \\|acc\\|")
    assert "should be about 9.81" in message and has_fix_hint(message)
    np.testing.assert_allclose(
        result.chunks["pelvis"].acc_m_s2, truth.acc_m_s2 * 1000 / 9.81, atol=1e-4
    )


# --------------------------------------------------------------------------------------
# optional columns
# --------------------------------------------------------------------------------------


def test_bad_seq_switches_loss_accounting_off_for_that_sensor(written):
    path, original = written
    sensor = sensor_of_line(path, 9)
    set_cell(path, 9, "seq", "12x")
    result = read_recording(path)
    message = only(result.warnings, "column seq")
    assert f"sensor {sensor!r}" in message and "lines 9" in message and has_fix_hint(message)
    assert result.chunks[sensor].seq is None
    assert total_rows(result) == total_rows(original)
    others = [c for name, c in result.chunks.items() if name != sensor]
    assert all(c.seq is not None for c in others)


def test_misnamed_optional_column_is_kept_as_extra_with_a_hint(written):
    path, _ = written
    text = path.read_text()
    path.write_text(text.replace(",seq,", ",Seq,", 1))
    result = read_recording(path)
    message = only(result.warnings, "looks like 'seq'")
    assert f"{path.name}:1" in message and "rename it to 'seq'" in message
    assert all(c.seq is None and "Seq" in c.extra for c in result.chunks.values())


# --------------------------------------------------------------------------------------
# sidecar
# --------------------------------------------------------------------------------------


def write_sidecar(path: Path, text: str) -> Path:
    sidecar = path.with_suffix(".json")
    sidecar.write_text(text)
    return sidecar


def test_invalid_json_names_line_and_column(written):
    path, _ = written
    sidecar = write_sidecar(path, '{\n  "activity": "walk",\n  "subject": "x",\n}\n')
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert f"{sidecar.name}:4:1: invalid JSON" in message and has_fix_hint(message)
    assert info.value.__suppress_context__  # no chained traceback for the CLI to show


def test_left_handed_mount_names_sensor_and_fix(written):
    path, _ = written
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sidecar["sensors"]["left_thigh"]["mount"] = {"x": "up", "y": "forward", "z": "right"}
    sidecar_path = write_sidecar(path, json.dumps(sidecar, indent=2))
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert sidecar_path.name in message and "sensor 'left_thigh'" in message
    assert "left-handed" in message and "right-handed" in message and has_fix_hint(message)
    lines = sidecar_path.read_text().split("\n")
    sensor_line = next(i for i, text in enumerate(lines) if '"left_thigh"' in text)
    mount_line = next(i for i in range(sensor_line, len(lines)) if '"mount"' in lines[i]) + 1
    assert f"{sidecar_path.name}:{mount_line} (sensors.left_thigh.mount)" in message


@pytest.mark.parametrize(
    ("mount", "expect"),
    [
        ({"x": "up", "y": "left"}, "missing z"),
        ({"x": "up", "y": "sideways", "z": "backward"}, "unknown direction"),
        ({"x": "up", "y": "up", "z": "left"}, "same line"),
        ({"x": "up", "y": "left", "z": "backward", "w": "up"}, "only x, y and z"),
        ({"x": 1, "y": "left", "z": "backward"}, "direction name"),
        ("x up", "must be an object"),
    ],
)
def test_malformed_mount_is_an_error(written, mount, expect):
    path, _ = written
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sidecar["sensors"]["pelvis"]["mount"] = mount
    write_sidecar(path, json.dumps(sidecar, indent=2))
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert "sensors.pelvis.mount" in message and "sensor 'pelvis'" in message
    assert expect in message and "right-handed" in message


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda s: s["sensors"]["pelvis"].update(rate_hz="fast"), "sensors.pelvis.rate_hz"),
        (lambda s: s["sensors"]["pelvis"].update(rate_hz=True), "sensors.pelvis.rate_hz"),
        (lambda s: s.update(activity=5), "activity"),
        (lambda s: s.update(sensors=["pelvis"]), "sensors"),
        (lambda s: s["calibration"].pop("static_end_s"), "calibration.static_end_s"),
        (lambda s: s.update(calibration={"static_start_s": 3, "static_end_s": 1}), "calibration"),
        (lambda s: s.update(format="sensorlab-summary"), "format"),
        (lambda s: s["sensors"]["left_thigh"].update(model=7), "sensors.left_thigh.model"),
    ],
)
def test_wrong_types_in_the_sidecar_are_errors(written, edit, field):
    path, _ = written
    sidecar = json.loads(path.with_suffix(".json").read_text())
    edit(sidecar)
    sidecar_path = write_sidecar(path, json.dumps(sidecar, indent=2))
    with pytest.raises(InputError) as info:
        read_recording(path)
    message = str(info.value)
    assert re.search(
        re.escape(sidecar_path.name) + r":\d+ \(" + re.escape(field) + r"\)", message
    ), message
    assert has_fix_hint(message) or "e.g." in message


def test_sidecar_that_is_not_an_object_is_an_error(written):
    path, _ = written
    sidecar = write_sidecar(path, "[1, 2]")
    with pytest.raises(InputError, match=re.escape(f"{sidecar.name}:1: the sidecar must be")):
        read_recording(path)


def test_newer_sidecar_version_is_read_with_a_warning(written):
    path, _ = written
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sidecar["version"] = 2
    sidecar["new_field"] = {"a": 1}
    write_sidecar(path, json.dumps(sidecar))
    result = read_recording(path)
    message = only(result.warnings, "version 2")
    assert "update sensorlab" in message
    assert result.meta.extra["new_field"] == {"a": 1}
    assert result.meta.sensors["pelvis"].mount == MOUNTS["pelvis"]
    assert result.meta.calibration_span_s == (0.0, 2.0)


@pytest.mark.parametrize("long_line", [False, True])
def test_quoted_line_break_keeps_line_numbers(tmp_path, long_line):
    rows = [
        "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z,note",
        '0.00,pelvis,9.81,0,0,0,0,0,"two',
        'lines"',
        "0.01,pelvis,9.81,0,0,0,0,0,ok",
        "0.02,pelvis,abc,0,0,0,0,0,ok",
        '0.03,pelvis,9.81,0,0,0,0,0,"a,b"',
    ]
    if long_line:
        rows.append("0.04,pelvis,9.81,0,0,0,0,0,ok,surplus")
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(rows) + "\n")
    result = read_recording(path)
    message = only(result.warnings, "dropped")
    assert f"{path.name}:5:acc_x 'abc'" in message
    assert (f"{path.name}:7: 10 fields, the header has 9" in message) == long_line
    chunk = result.chunks["pelvis"]
    np.testing.assert_array_equal(chunk.t_s, [0.0, 0.01, 0.03])
    assert list(chunk.extra["note"]) == ["two\nlines", "ok", "a,b"]


def small_file(path: Path, header: str, rows: list[str], end: str = "\n") -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + end)
    return path


def still_rows(n: int, sensor_last: bool = False) -> list[str]:
    rows = []
    for i in range(n):
        values = f"{i / 100:.6f},9.81000,0.01000,-0.02000,0.1000,-0.2000,0.3000"
        t, rest = values.split(",", 1)
        rows.append(f"{t},{rest},pelvis" if sensor_last else f"{t},pelvis,{rest}")
    return rows


def test_partial_number_in_a_small_file(tmp_path):
    rows = still_rows(20)
    rows[-1] = rows[-1][:-2]  # "0.3000" -> "0.30", no line end
    path = small_file(
        tmp_path / "small.csv", "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z", rows, end=""
    )
    result = read_recording(path)
    assert f"{path.name}:21:gyr_z" in only(result.warnings, "ends in the middle")
    assert len(result.chunks["pelvis"]) == 19


def test_partial_sensor_name_at_end_of_file(tmp_path):
    rows = still_rows(20, sensor_last=True)
    rows[-1] = rows[-1][:-3]  # "pelvis" -> "pel", no line end
    header = "t,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z,sensor"
    path = small_file(tmp_path / "name.csv", header, rows, end="")
    result = read_recording(path)
    assert f"{path.name}:21:sensor" in only(result.warnings, "ends in the middle")
    assert list(result.chunks) == ["pelvis"] and len(result.chunks["pelvis"]) == 19


def test_unnamed_column_and_non_numeric_device_t(tmp_path):
    rows = [r + f",{1000 + i},x" for i, r in enumerate(still_rows(20))]
    rows[4] = rows[4].replace(",1004,", ",late,")
    header = "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z,device_t,"
    path = small_file(tmp_path / "odd.csv", header, rows)
    result = read_recording(path)
    unnamed = only(result.warnings, "has no name")
    assert f"{path.name}:1: column 10" in unnamed and has_fix_hint(unnamed)
    device_t = only(result.warnings, "column device_t")
    assert f"{path.name}:6:device_t 'late'" in device_t and has_fix_hint(device_t)
    chunk = result.chunks["pelvis"]
    assert len(chunk) == 20 and np.isnan(chunk.device_t_s[4]) and chunk.device_t_s[5] == 1005
    assert chunk.extra == {}
