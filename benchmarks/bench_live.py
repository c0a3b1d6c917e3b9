"""The live window's figures (issue 4): frames per second, frame time, GUI-thread CPU.

Runs ``sensorlab live``'s window offscreen on the simulator streaming 3 sensors at 200 Hz
in real time, with the analysis on its own thread as in use. Each frame is the window's
own refresh (events, angle traces, status) followed by a synchronous repaint of what it
changed, so the frame time includes the drawing, not only ``setData``. Reported:

- frames per second, per 1-s window: median and minimum (target 60, never below 30);
- frame time p50/p99/max (target p99 < 16 ms);
- CPU of the GUI thread (``time.thread_time``) as % of one core (target < 50 %), and of
  the whole process;
- the same with the raw acc/gyro tab shown (18 more curves at 200 Hz).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_live.py [--seconds 60]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets

from sensorlab.live.app import GIL_SWITCH_INTERVAL_S
from sensorlab.live.runner import SessionRunner
from sensorlab.live.window import LiveSettings, LiveWindow
from sensorlab.session import Session
from sensorlab.sources.simulated import SimulatedSource


def run(seconds: float, raw_tab: bool) -> None:
    source = SimulatedSource(
        "step_up_asymmetric", duration_s=seconds + 60, rate_hz=200.0, speed=1.0
    )
    runner = SessionRunner(lambda: Session(source)).start()
    window = LiveWindow(
        runner, LiveSettings(fps=60.0), out_dir=Path(tempfile.mkdtemp(prefix="bench_live_"))
    )
    window.timer.stop()  # frames are driven below, to time the drawing too
    window.show()
    if raw_tab:
        window.tabs.setCurrentWidget(window.raw)
    frame_ends: list[float] = []
    frame_times: list[float] = []

    def frame() -> None:
        started = time.perf_counter()
        window.refresh()
        window.tabs.currentWidget().viewport().repaint()
        window.side_panel.repaint()
        ended = time.perf_counter()
        frame_times.append(ended - started)
        frame_ends.append(ended)

    timer = QtCore.QTimer()
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.timeout.connect(frame)
    # Warm up past calibration (angles appear then), then measure.
    timer.start(round(1000 / 60))
    run_event_loop(50.0)
    frame_ends.clear()
    frame_times.clear()
    thread0, cpu0, wall0 = time.thread_time(), time.process_time(), time.perf_counter()
    run_event_loop(seconds)
    thread_cpu = time.thread_time() - thread0
    process_cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    timer.stop()
    runner.stop()
    window.close()
    ends = np.array(frame_ends) - wall0
    per_second = np.bincount(ends.astype(int))[: int(seconds)]
    ms = np.array(frame_times) * 1e3
    label = "raw tab" if raw_tab else "session tab"
    print(f"{label}: {len(ms)} frames in {wall:.0f} s, 3 sensors x 200 Hz in real time")
    print(f"  fps            median {np.median(per_second):.0f}  min {per_second.min()}")
    print(
        f"  frame time     p50 {np.percentile(ms, 50):.1f} ms  p99 {np.percentile(ms, 99):.1f}"
        f" ms  max {ms.max():.1f} ms"
    )
    print(
        f"  CPU            GUI thread {100 * thread_cpu / wall:.0f} % of one core, "
        f"whole process {100 * process_cpu / wall:.0f} %"
    )


def run_event_loop(seconds: float) -> None:
    """Qt's event loop for ``seconds`` (sleeping between events, as the application's)."""
    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time per run")
    args = parser.parse_args()
    QtWidgets.QApplication(["bench_live"])
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # as sensorlab live does
    print("targets: 60 fps (never below 30), frame time p99 < 16 ms, GUI thread < 50 %")
    run(args.seconds, raw_tab=False)
    run(args.seconds, raw_tab=True)


if __name__ == "__main__":
    main()
