"""Garbage and huge files are refused within seconds and in bounded memory, with one
message naming the file and line and saying what to do; never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sensorlab.cli import main
from sensorlab.io.csv_table import MAX_LINE_BYTES, SCAN_BLOCK_BYTES

REPO = Path(__file__).resolve().parents[1]
HEADER = "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n"
MEMORY_LIMIT_MB = 500


def rows(n: int, start_s: float = 0.0) -> str:
    """``n`` plausible rows (one sensor standing still at 100 Hz)."""
    return "".join(
        f"{start_s + 0.01 * k:.2f},pelvis,0.01,0.02,9.81,0.1,0.2,0.3\n" for k in range(n)
    )


def analyze_in_subprocess(csv: Path, out: Path) -> tuple[int, str, float]:
    """Exit status, stderr and peak memory (MB) of ``sensorlab analyze``.

    The peak is the process's own high-water mark (``VmHWM``), which starts afresh at
    exec; ``ru_maxrss`` does not: it keeps the forked test runner's size (500 MB late in
    the suite), whatever the command itself used.
    """
    script = (
        "import re, sys\n"
        "from sensorlab.cli import main\n"
        f"status = main(['analyze', {str(csv)!r}, '--out', {str(out)!r}, '-q'])\n"
        "status_text = open('/proc/self/status').read()\n"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', status_text).group(1)) / 1024\n"
        "print(f'PEAK_MB {peak:.1f}')\n"
        "sys.exit(status)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    peak = float(result.stdout.split("PEAK_MB")[-1]) if "PEAK_MB" in result.stdout else np.inf
    return result.returncode, result.stderr, peak


def test_100_mb_of_nul_bytes_is_refused_in_bounded_memory(tmp_path):
    nul = tmp_path / "zeros.csv"
    with nul.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: reads as NUL bytes
    status, error, peak_mb = analyze_in_subprocess(nul, tmp_path / "out")
    assert status == 2, error
    assert f"{nul.name}: this is a binary file, not CSV text" in error
    assert "export the session as CSV" in error
    assert "Traceback" not in error
    assert peak_mb < MEMORY_LIMIT_MB


def test_a_long_line_deep_in_a_big_file_is_found_in_bounded_memory(tmp_path):
    """A line over the limit after several scan blocks of good rows: named by its line."""
    big = tmp_path / "big.csv"
    body = rows(1000)
    repeats = 3 * SCAN_BLOCK_BYTES // len(body) + 1
    with big.open("w") as handle:
        handle.write(HEADER)
        for _ in range(repeats):
            handle.write(body)
        long_line = "9.99,pelvis," + "7" * (MAX_LINE_BYTES + 10) + ",0,0,0,0,0"
        handle.write(long_line + "\n")
        handle.write(rows(5))
    line = 1 + 1000 * repeats + 1
    status, error, peak_mb = analyze_in_subprocess(big, tmp_path / "out")
    assert status == 2, error
    # The length, or "over the limit" when the line runs past the end of a scan block.
    exact, open_ended = f"{len(long_line)} bytes", f"over {MAX_LINE_BYTES} bytes"
    assert f"{big.name}:{line}: line {line} is " in error
    assert f"is {exact} long" in error or f"is {open_ended} long" in error
    assert "Traceback" not in error
    assert peak_mb < MEMORY_LIMIT_MB


@pytest.mark.parametrize("where", ["header", "data"])
def test_a_line_over_131072_characters_names_the_file_and_line(where, tmp_path, capsys):
    csv = tmp_path / "long.csv"
    long_cell = "x" * 140_000
    if where == "header":
        csv.write_text(f"t,{long_cell}\n" + rows(3))
        line = 1
    else:
        csv.write_text(HEADER + rows(30) + f'0.5,"pelvis{long_cell}",0,0,9.8,0,0,0\n' + rows(3))
        line = 32
    assert main(["analyze", str(csv), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"{csv.name}:{line}: line {line} is" in error and "bytes long" in error
    assert "export the session again as CSV" in error and "Traceback" not in error


def test_a_binary_file_is_refused(tmp_path, capsys):
    binary = tmp_path / "log.csv"
    binary.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, np.uint8).tobytes())
    assert main(["analyze", str(binary), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"{binary.name}: this is a binary file, not CSV text" in error
    assert "Traceback" not in error


def test_nul_bytes_after_good_rows_name_the_line_and_how_to_keep_the_rows(tmp_path, capsys):
    csv = tmp_path / "crashed.csv"
    csv.write_bytes((HEADER + rows(40)).encode() + b"\0" * 4096)
    assert main(["analyze", str(csv), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"{csv.name}:42: NUL bytes (binary data) inside the text" in error
    assert f"head -n 41 '{csv.name}' > fixed.csv" in error
    assert "Traceback" not in error


def test_text_in_another_encoding_names_the_line(tmp_path, capsys):
    csv = tmp_path / "latin.csv"
    csv.write_bytes((HEADER + rows(5)).encode() + "0.9,bécken,0,0,9.8,0,0,0\n".encode("latin-1"))
    assert main(["analyze", str(csv), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"{csv.name}:7: the file is not UTF-8 text" in error and "byte 0xe9" in error


def test_a_huge_file_in_place_of_the_sidecar_is_refused_unread(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    csv.write_text(HEADER + rows(50))
    with csv.with_suffix(".json").open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    assert main(["analyze", str(csv), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert f"{csv.with_suffix('.json').name}: 104857600 bytes is not a sidecar" in error
    assert "Traceback" not in error
