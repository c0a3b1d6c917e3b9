"""The live window on a real X11 display (Xvfb, Qt's xcb plugin), as on a desktop.

Offscreen Qt (the rest of the suite) never shows dialogs or loads the X11 libraries; a
desktop does both. These run ``sensorlab live`` in a subprocess with ``QT_QPA_PLATFORM=xcb``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6 import QtGui

from sensorlab.errors import InputError
from sensorlab.live import app
from sensorlab.summary.style import LEFT_COLOR, RIGHT_COLOR
from tests.xvfb import virtual_display

ROOT = Path(__file__).resolve().parents[1]
STEP_UP = ROOT / "recordings" / "step_up_asymmetric.csv"
LIVE_TIMEOUT_S = 180
"""Far above the run's few seconds: reaching it means the window never closed (a dialog
waiting for a click, as before timed runs were made non-interactive)."""


def _ink_pixels(image: QtGui.QImage, color: str) -> int:
    """Pixels of ``image`` within a small distance of ``color``."""
    target = QtGui.QColor(color)
    count = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - target.red())
                + abs(pixel.green() - target.green())
                + abs(pixel.blue() - target.blue())
                < 40
            ):
                count += 1
    return count


@pytest.mark.realtime  # the window stays up for --duration 3 s of wall-clock time
def test_a_timed_run_on_x11_closes_by_itself_with_its_outputs(tmp_path):
    shot, out = tmp_path / "live.png", tmp_path / "out"
    with virtual_display() as display:
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        env.pop("WAYLAND_DISPLAY", None)
        result = subprocess.run(
            [
                sys.executable, "-m", "sensorlab.cli", "live",
                "--source", f"replay:{STEP_UP}", "--speed", "max",
                "--duration", "3", "--screenshot", str(shot), "--out", str(out),
            ],
            capture_output=True, text=True, timeout=LIVE_TIMEOUT_S, env=env,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for name in ("summary.json", "report.html", "reps.csv"):
        assert (out / name).stat().st_size > 0, name
    image = QtGui.QImage(str(shot))
    assert image.width() > 800 and image.height() > 500
    # Not blank: both thigh traces and the left/right rep counts are drawn.
    assert _ink_pixels(image, LEFT_COLOR) > 100
    assert _ink_pixels(image, RIGHT_COLOR) > 100


def test_a_missing_x11_library_is_named_instead_of_an_abort(monkeypatch):
    """Qt aborts (exit 134) when its xcb plugin cannot load; the check names the library."""

    def missing_library(path, *args, **kwargs):
        raise OSError("libxcb-icccm.so.4: cannot open shared object file: No such file")

    monkeypatch.setattr(app.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(app.ctypes, "CDLL", missing_library)
    with pytest.raises(InputError) as error:
        app._check_xcb_plugin()
    message = str(error.value)
    assert "libxcb-icccm.so.4 is missing" in message
    assert "libxcb-icccm4" in message and "make qt-libs" in message
    assert os.sep + "site-packages" not in message
