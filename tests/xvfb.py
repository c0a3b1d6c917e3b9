"""A virtual X server (Xvfb) for tests that need a real X11 display (Qt's xcb plugin).

Xvfb is Debian's system package ``xvfb`` (``make qt-libs`` installs it). It picks a free
display number itself (``-displayfd``), so parallel runs do not collide.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest

XVFB_START_TIMEOUT_S = 30.0


@contextlib.contextmanager
def virtual_display(width: int = 1600, height: int = 1000) -> Iterator[str]:
    """Start Xvfb and yield its ``DISPLAY`` (``:N``); skip the test when Xvfb is absent."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (Debian package xvfb; 'make qt-libs' installs it)")
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [xvfb, "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp"],
            pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        os.close(write_end)
        try:
            with os.fdopen(read_end) as announced:
                number = announced.readline().strip()  # written once it accepts clients
            if not number:
                server.kill()
                server.wait(timeout=XVFB_START_TIMEOUT_S)
                log.seek(0)
                said = log.read().decode(errors="replace")[-500:]
                raise RuntimeError(f"Xvfb did not start: {said}")
            yield f":{number}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=XVFB_START_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
