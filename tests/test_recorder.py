"""Streaming recorder: round trip, row order, columns, kill -9 safety, write errors."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from record_until_killed import session_blocks

from sensorlab.errors import InputError
from sensorlab.io.blocks import slice_chunk
from sensorlab.io.recorder import Recorder, RecorderSettings
from sensorlab.io.recording import read_recording
from sensorlab.io.writer import ACC_DECIMALS, GYR_DECIMALS, T_DECIMALS, write_recording
from sensorlab.records import ImuChunk, Recording, SessionMeta
from tests.unprivileged import run_python_unprivileged

CHILD = Path(__file__).with_name("record_until_killed.py")
T_TOL = 0.5 * 10.0**-T_DECIMALS + 1e-9
"""Largest t (and device_t) error the file's decimals allow, s."""
ACC_TOL = 0.5 * 10.0**-ACC_DECIMALS + 1e-9
GYR_TOL_DPS = 0.5 * 10.0**-GYR_DECIMALS + 1e-9
CUT_LAST_LINE = re.compile(r"cut short|ends in the middle of the last line")


@pytest.fixture(scope="module")
def session() -> tuple[Recording, list[ImuChunk]]:
    """The simulated step-up session and its blocks, interleaved by time (0.05 s blocks)."""
    return session_blocks("step_up_asymmetric", 0, block_s=0.05)


def assert_prefix_of(got: Recording, truth: Recording) -> dict[str, int]:
    """Each sensor's rows in ``got`` are the first samples of ``truth``, within file precision.

    Returns the number of rows per sensor.
    """
    counts = {}
    for name, chunk in got.chunks.items():
        want = truth.chunks[name]
        n = len(chunk)
        assert 0 < n <= len(want)
        np.testing.assert_allclose(chunk.t_s, want.t_s[:n], rtol=0, atol=T_TOL)
        np.testing.assert_allclose(chunk.acc_m_s2, want.acc_m_s2[:n], rtol=0, atol=ACC_TOL)
        assert np.rad2deg(np.abs(chunk.gyr_rad_s - want.gyr_rad_s[:n])).max() <= GYR_TOL_DPS
        np.testing.assert_array_equal(chunk.seq, want.seq[:n])
        np.testing.assert_allclose(chunk.device_t_s, want.device_t_s[:n], rtol=0, atol=T_TOL)
        counts[name] = n
    return counts


def synthetic(placement: str, n: int, rate_hz: float = 100.0, t0_s: float = 0.0) -> ImuChunk:
    """``n`` samples of a sensor at rest (x up) with a little noise, no optional fields."""
    rng = np.random.default_rng(len(placement))
    acc = np.array([9.81, 0.0, 0.0]) + rng.normal(0, 0.02, (n, 3))
    gyr = rng.normal(0, 0.005, (n, 3))
    return ImuChunk(placement, t0_s + np.arange(n) / rate_hz, acc, gyr)


def blocks_of(chunk: ImuChunk, size: int) -> list[ImuChunk]:
    return [slice_chunk(chunk, lo, lo + size) for lo in range(0, len(chunk), size)]


# --------------------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------------------


def test_round_trip_of_a_simulated_session(session, tmp_path):
    recording, blocks = session
    path = tmp_path / "live.csv"
    started_s = time.monotonic()
    with Recorder(path, recording.meta) as recorder:
        for block in blocks:
            recorder.write(block)
    result = read_recording(path)
    assert result.warnings == []
    assert set(result.chunks) == set(recording.chunks)
    counts = assert_prefix_of(result, recording)
    assert counts == {name: len(c) for name, c in recording.chunks.items()}  # all of them
    # the sidecar: the session's meta, with the start time filled in (ISO 8601 with offset)
    started = datetime.datetime.fromisoformat(recorder.meta.started_at)
    assert started.tzinfo is not None
    assert abs(datetime.datetime.now(datetime.UTC) - started).total_seconds() < 60
    assert recorder.meta == dataclasses.replace(recording.meta, started_at=recorder.meta.started_at)
    assert result.meta == recorder.meta
    # rows in time order across sensors, and byte for byte what the batch writer writes
    assert np.all(np.diff(pd.read_csv(path)["t"].to_numpy()) >= 0)
    batch = tmp_path / "batch.csv"
    write_recording(dataclasses.replace(recording, meta=recorder.meta), batch)
    assert path.read_bytes() == batch.read_bytes()
    assert path.with_suffix(".json").read_bytes() == batch.with_suffix(".json").read_bytes()
    # the counters
    assert recorder.rows_written_ == sum(counts.values())
    assert recorder.bytes_written_ == path.stat().st_size
    assert recorder.error_ is None
    assert recorder.rows_dropped_ == recorder.rows_out_of_order_ == 0
    assert recorder.columns_dropped_ == {}
    assert recorder.last_fsync_t_ is not None  # the file was fsynced during this recording
    assert started_s < recorder.last_fsync_t_ <= time.monotonic()


def wait_for(predicate, guard_s: float = 60.0) -> bool:
    """Poll until ``predicate()`` holds; ``guard_s`` only ends a hung test."""
    deadline_s = time.monotonic() + guard_s
    while not predicate() and time.monotonic() < deadline_s:
        time.sleep(0.01)
    return predicate()


@pytest.mark.realtime
def test_rows_reach_the_file_without_later_samples_and_the_fsync_keeps_beating(session, tmp_path):
    """While recording, without stop(): what was handed over reaches the file although no
    later sample comes to push it out of the reorder window (the wall-clock side of the
    window lets it go), and the thread keeps fsyncing with nothing new to write.

    (How soon: at most the window plus the flush interval, a figure of
    ``benchmarks/bench_recorder.py``; here only that it happens.)
    """
    recording, blocks = session
    settings = RecorderSettings(flush_interval_s=0.25, reorder_window_s=0.5)
    path = tmp_path / "live.csv"
    recorder = Recorder(path, recording.meta, settings).start()
    try:
        assert path.read_text().splitlines() == [
            "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z,seq,device_t"
        ]
        assert json.loads(path.with_suffix(".json").read_text())["activity"] == "step_up"
        half = blocks[: len(blocks) // 2]
        for block in half:
            recorder.write(block)
        fed = sum(len(b) for b in half)
        assert wait_for(lambda: recorder.rows_written_ == fed)
        live = read_recording(path)  # the file as it is on disk now, mid-session
        assert live.warnings == []
        assert sum(assert_prefix_of(live, recording).values()) == fed
        beat = recorder.last_fsync_t_
        assert wait_for(lambda: recorder.last_fsync_t_ != beat)  # nothing new, still fsyncs
        assert recorder.rows_written_ == fed
    finally:
        recorder.stop()


# --------------------------------------------------------------------------------------
# row order and columns
# --------------------------------------------------------------------------------------


def feed_paced(recorder: Recorder, blocks: list[tuple[float, ImuChunk]], speed: float) -> None:
    """Write each block when the wall clock reaches its arrival time (s) divided by speed."""
    start = time.monotonic()
    for arrival_s, block in sorted(blocks, key=lambda item: item[0]):
        delay = start + arrival_s / speed - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        recorder.write(block)


@pytest.mark.realtime
@pytest.mark.parametrize("delay_s, merged", [(0.2, True), (1.6, False)])
def test_a_late_sensor_is_merged_in_time_within_the_window(tmp_path, delay_s, merged):
    """Blocks of right_thigh arrive ``delay_s`` late: within the 0.5 s window the file is
    still in time order across sensors; beyond it the late rows come after later rows of the
    others (counted), and each sensor's own order and every row are kept either way."""
    names = ("pelvis", "left_thigh", "right_thigh")
    chunks = [synthetic(name, 200, t0_s=0.001 * k) for k, name in enumerate(names)]
    timed = []
    for chunk in chunks:
        for block in blocks_of(chunk, 5):
            late = delay_s if chunk.placement == "right_thigh" else 0.0
            timed.append((float(block.t_s[-1]) + late, block))
    settings = RecorderSettings(flush_interval_s=0.2, reorder_window_s=0.5)
    path = tmp_path / "late.csv"
    with Recorder(path, SessionMeta(), settings) as recorder:
        feed_paced(recorder, timed, speed=2.0)
    result = read_recording(path)
    for chunk in chunks:
        got = result.chunks[chunk.placement]
        np.testing.assert_allclose(got.t_s, chunk.t_s, rtol=0, atol=T_TOL)  # all, in order
    in_order = bool(np.all(np.diff(pd.read_csv(path)["t"].to_numpy()) >= 0))
    assert in_order == merged
    assert (recorder.rows_out_of_order_ == 0) == merged
    assert result.warnings == []


def test_writes_from_several_threads(tmp_path):
    chunks = [synthetic(name, 3000) for name in ("pelvis", "left_thigh", "right_thigh")]
    path = tmp_path / "threads.csv"
    with Recorder(path, SessionMeta(), RecorderSettings(reorder_window_s=0.0)) as recorder:
        threads = [
            threading.Thread(target=lambda c=c: [recorder.write(b) for b in blocks_of(c, 7)])
            for c in chunks
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    result = read_recording(path)
    assert result.warnings == []
    for chunk in chunks:
        np.testing.assert_allclose(result.chunks[chunk.placement].t_s, chunk.t_s, atol=T_TOL)


def test_columns_are_fixed_at_start(tmp_path):
    """Default header: seq and device_t, empty for chunks without them (read back as absent);
    an extra column the header does not have is left out and counted."""
    n = 300
    plain = synthetic("pelvis", n)
    with_mag = dataclasses.replace(plain, extra={"mag_x": np.linspace(10.0, 20.0, n)})
    path = tmp_path / "cols.csv"
    with Recorder(path, SessionMeta()) as recorder:
        for block in blocks_of(with_mag, 50):
            recorder.write(block)
    result = read_recording(path)
    assert result.warnings == []
    got = result.chunks["pelvis"]
    assert got.seq is None and got.device_t_s is None and got.extra == {}
    assert recorder.columns_dropped_ == {"mag_x": n}

    path = tmp_path / "mag.csv"
    settings = RecorderSettings(optional_columns=("seq", "mag_x"))
    with Recorder(path, SessionMeta(), settings) as recorder:
        recorder.write(
            [with_mag, dataclasses.replace(synthetic("left_thigh", n), seq=np.arange(n))]
        )
    assert path.read_text().splitlines()[0].endswith(",seq,mag_x,device_t")  # device_t last
    result = read_recording(path)
    np.testing.assert_array_equal(result.chunks["pelvis"].extra["mag_x"], with_mag.extra["mag_x"])
    np.testing.assert_array_equal(result.chunks["left_thigh"].seq, np.arange(n))
    assert result.chunks["pelvis"].seq is None
    assert recorder.columns_dropped_ == {}


def test_settings_and_misuse_are_reported_clearly(tmp_path):
    with pytest.raises(ValueError, match=r"at most 1\.0 s"):
        RecorderSettings(flush_interval_s=2.0)
    with pytest.raises(ValueError, match="required column"):
        RecorderSettings(optional_columns=("acc_x",))
    recorder = Recorder(tmp_path / "x.csv", SessionMeta())
    with pytest.raises(RuntimeError, match="start"):
        recorder.write(synthetic("pelvis", 3))
    recorder.start()
    bad = dataclasses.replace(synthetic("pelvis", 3), acc_m_s2=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="acc_m_s2"):
        recorder.write(bad)
    recorder.stop()
    recorder.write(synthetic("pelvis", 4))  # after stop: ignored, counted, no exception
    assert recorder.rows_dropped_ == 4
    recorder.stop()  # twice is fine


def test_the_file_is_complete_when_the_session_code_raises(tmp_path):
    chunk = synthetic("pelvis", 500)
    path = tmp_path / "boom.csv"
    with pytest.raises(KeyError), Recorder(path, SessionMeta()) as recorder:
        recorder.write(chunk)
        raise KeyError("the session code failed")
    assert len(read_recording(path).chunks["pelvis"]) == 500


# --------------------------------------------------------------------------------------
# kill -9
# --------------------------------------------------------------------------------------


def run_child(
    args: list[str], stderr: Path
) -> tuple[subprocess.Popen, list[dict], threading.Thread]:
    """Start the recording child; its JSON lines are appended to the returned list as they
    come, its stderr goes to the file ``stderr``."""
    with stderr.open("w") as err:
        child = subprocess.Popen(
            [sys.executable, str(CHILD), *args], stdout=subprocess.PIPE, stderr=err, text=True
        )
    events: list[dict] = []

    def collect() -> None:
        with child.stdout:
            for line in child.stdout:
                events.append(json.loads(line))

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    return child, events, reader


@pytest.mark.realtime
@pytest.mark.parametrize("speed", [1.0, 4.0])
def test_sigkill_keeps_every_row_written_before_it(session, tmp_path, speed):
    """A child records the session paced in time (real time, and 4x) and is killed with
    SIGKILL mid-session, as soon as it has reported rows written to the file. The file
    must read back (a cut-off last line allowed), hold only true samples, and hold every
    row the child's recorder had written before the kill: what a kill takes is only what
    had not been written yet. (How much that is at most, the reorder window plus the
    flush interval, is a figure of ``benchmarks/bench_recorder.py``.)"""
    recording, _ = session
    settings = RecorderSettings()  # the defaults: 0.5 s window, 0.5 s flush interval
    path = tmp_path / "killed.csv"
    child, events, reader = run_child(
        stderr=tmp_path / "child.err",
        args=[
            str(path),
            f"--speed={speed}",
            "--report-every-s=0.2",
            f"--flush-interval-s={settings.flush_interval_s}",
            f"--reorder-window-s={settings.reorder_window_s}",
        ],
    )
    try:
        wrote = lambda: [e for e in events if e["event"] == "fed" and e["rows_written"] > 0]  # noqa: E731
        assert wait_for(lambda: wrote() or child.poll() is not None)
        reported = wrote()
        assert reported, (tmp_path / "child.err").read_text()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(60) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    reader.join(5)

    result = read_recording(path)
    assert [w for w in result.warnings if not CUT_LAST_LINE.search(w)] == []
    counts = assert_prefix_of(result, recording)  # complete, true rows only
    rows_written = max(e["rows_written"] for e in events if e["event"] == "fed")
    assert sum(counts.values()) >= rows_written >= reported[0]["rows_written"] > 0
    # and it is a real kill in mid-session: the child had more to feed than the file holds
    assert events[-1]["event"] == "fed"
    assert sum(counts.values()) < sum(len(c) for c in recording.chunks.values())


@pytest.mark.parametrize(
    "columns, device_t",
    [(("seq", "device_t"), True), (("seq", "device_t"), False), (("seq", "mag_x"), False)],
)
def test_a_row_cut_off_anywhere_is_dropped_with_a_warning(tmp_path, columns, device_t):
    """What a kill in the middle of a write can leave: the file cut at any byte of its last
    rows. The reader must keep exactly the complete rows, all true, and drop a cut one with a
    warning: with device_t carried (fixed decimals last), not carried (empty last cell), and
    with an exact-float extra column (device_t still goes last)."""
    n = 10
    chunk = dataclasses.replace(
        synthetic("pelvis", n),
        seq=np.arange(n, dtype=np.int64) + 1000,
        device_t_s=(500.0 + np.arange(n) / 100.0) if device_t else None,
        extra={"mag_x": np.random.default_rng(1).normal(20.0, 5.0, n)},
    )
    settings = RecorderSettings(optional_columns=columns)
    path = tmp_path / "full.csv"
    with Recorder(path, SessionMeta(), settings) as recorder:
        recorder.write(chunk)
    data = path.read_bytes()
    line_ends = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    cut = tmp_path / "cut.csv"
    for size in range(line_ends[-3], len(data) + 1):
        cut.write_bytes(data[:size])
        result = read_recording(cut)
        complete = sum(end <= size for end in line_ends) - 1  # minus the header
        got = result.chunks["pelvis"]
        # a row cut just before its line end is whole: kept (or dropped as cut: also fine)
        whole = data[size : size + 1] == b"\n" and len(got) == complete + 1
        assert whole or len(got) == complete, size
        np.testing.assert_allclose(got.t_s, chunk.t_s[: len(got)], rtol=0, atol=T_TOL)
        np.testing.assert_allclose(got.acc_m_s2, chunk.acc_m_s2[: len(got)], atol=ACC_TOL)
        np.testing.assert_array_equal(got.seq, chunk.seq[: len(got)])
        if "mag_x" in columns:
            np.testing.assert_array_equal(got.extra["mag_x"], chunk.extra["mag_x"][: len(got)])
        if size in line_ends or whole:
            assert result.warnings == [], size
        else:
            assert len(result.warnings) == 1 and CUT_LAST_LINE.search(result.warnings[0]), size


# --------------------------------------------------------------------------------------
# write errors
# --------------------------------------------------------------------------------------


def test_an_unwritable_path_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    path = tmp_path / "afile" / "session.csv"
    recorder = Recorder(path, SessionMeta())
    with pytest.raises(InputError) as error:
        recorder.start()
    message = str(error.value)
    assert message.startswith(f"{path}: cannot create the recording: ")
    assert "is a file, not a folder" in message
    assert not path.parent.is_dir() and not (tmp_path / "afile.json").exists()
    recorder.write(synthetic("pelvis", 3))  # an acquisition thread already running: no raise
    assert recorder.rows_dropped_ == 3
    recorder.stop()  # nothing to stop; no exception


def test_a_folder_without_write_permission_is_a_clear_error(tmp_path):
    """As an ordinary user (root's power to ignore permissions dropped in a child)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    code = (
        "from sensorlab.errors import InputError\n"
        "from sensorlab.io.recorder import Recorder\n"
        "from sensorlab.records import SessionMeta\n"
        "try:\n"
        f"    Recorder({str(folder / 's.csv')!r}, SessionMeta()).start()\n"
        "except InputError as error:\n"
        "    print(error)\n"
    )
    try:
        result = run_python_unprivileged(code)
    finally:
        folder.chmod(0o700)
    assert result.returncode == 0, result.stderr
    assert re.match(re.escape(str(folder / "s.csv")) + ".*[Pp]ermission", result.stdout)
    assert not (folder / "s.csv").exists()


def test_an_existing_recording_is_not_overwritten(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("precious\n")
    with pytest.raises(InputError, match=re.escape(str(path)) + ": already exists"):
        Recorder(path, SessionMeta()).start()
    assert path.read_text() == "precious\n"
    assert not path.with_suffix(".json").exists()
    with Recorder(path, SessionMeta(), RecorderSettings(overwrite=True)) as recorder:
        recorder.write(synthetic("pelvis", 10))
    assert len(read_recording(path).chunks["pelvis"]) == 10


def test_a_disk_error_while_recording_is_reported_not_raised(session, tmp_path):
    """The child may write at most 200 kB (RLIMIT_FSIZE), so writing fails with EFBIG the way
    a full disk fails with ENOSPC: write() keeps returning, error_ is set, stop() raises an
    InputError naming the path, and the file keeps every complete row before the failure."""
    recording, _ = session
    limit = 200_000
    path = tmp_path / "full.csv"
    args = [str(path), "--speed=0", f"--max-file-bytes={limit}"]
    child, events, reader = run_child(args, stderr=tmp_path / "child.err")
    assert child.wait(30) == 0, (tmp_path / "child.err").read_text()  # write() never raised
    reader.join(5)
    error = events[-1]
    assert error["event"] == "error"
    assert error["message"].startswith(f"{path}: writing the recording failed: ")
    assert "EFBIG" in error["message"]
    assert f"keeps the {error['rows_written']} rows" in error["message"]
    total = sum(len(c) for c in recording.chunks.values())
    assert error["rows_written"] + error["rows_dropped"] == total
    assert path.stat().st_size == error["bytes_written"] <= limit
    result = read_recording(path)
    assert result.warnings == []  # the cut-off row of the failed write was trimmed
    assert sum(assert_prefix_of(result, recording).values()) == error["rows_written"]
    assert error["rows_written"] > 0.9 * limit / 90  # about 85 bytes a row: nearly all kept
