"""Run code as an ordinary user would, also when the tests run as root (CI does).

Root may write into any folder whatever its permissions, so a test of "an unwritable
folder" would pass for the wrong reason or have to be skipped. Here the child process
drops, before it starts, the Linux capabilities that bypass file permissions from its
bounding set (``prctl(PR_CAPBSET_DROP)``; ``linux/capability.h``): root then meets
permissions like anyone, and nothing needs another user account.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
PR_CAPBSET_DROP = 24


def _drop_root_powers() -> None:
    """In the child before exec: remove the capabilities that bypass file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        preexec_fn=_drop_root_powers if os.geteuid() == 0 else None,
    )


def run_unprivileged(argv: list[str]) -> subprocess.CompletedProcess:
    """``sensorlab ARGV`` in a subprocess without the power to ignore file permissions."""
    return _run(["-m", "sensorlab.cli", *argv])


def run_python_unprivileged(code: str) -> subprocess.CompletedProcess:
    """``python -c CODE`` in a subprocess without the power to ignore file permissions."""
    return _run(["-c", code])
