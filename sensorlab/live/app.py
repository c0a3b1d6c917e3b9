"""``sensorlab live``: open the live window on a source, or run it headless for a screenshot."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sensorlab.errors import InputError


@dataclass(frozen=True)
class LiveOptions:
    """What ``sensorlab live`` was asked to do (see its ``--help``)."""

    source: str
    speed: float | None = 1.0
    activity: str | None = None
    record: Path | None = None
    out_dir: Path = Path("out/live")
    duration_s: float | None = None
    screenshot: Path | None = None
    window_s: float = 10.0
    fps: float = 60.0
    lsl_prefix: str | None = None


def _choose_platform(options: LiveOptions) -> None:
    """Offscreen Qt when asked to run headless; a clear error when there is no screen."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    has_screen = sys.platform in ("win32", "darwin") or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")
    )
    if options.screenshot is not None and options.duration_s is not None and not has_screen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not has_screen:
        raise InputError(
            "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set); run it on a "
            "desktop, or headless with --duration S --screenshot live.png"
        )


GIL_SWITCH_INTERVAL_S = 0.001
"""The session thread's analysis holds the GIL in bursts; at Python's default 5 ms switch
interval a frame could wait that long (or more) for it, at 1 ms the window keeps its
frame time (``benchmarks/bench_live.py``)."""


def _session(session_class, source, options: LiveOptions, lsl):
    """The live session (built on the session's thread), publishing to LSL if asked."""
    session = session_class(source, activity=options.activity, record_path=options.record)
    if lsl is not None:
        from sensorlab.sinks.lsl import LslSink

        sink = LslSink(source.meta, session.analyzer.rate_hz, source.name, lsl)
        session.sinks.append(sink)
        print(f"LSL streams: {', '.join(sink.stream_names)}", flush=True)
    return session


def run_live(options: LiveOptions) -> int:
    """Run the window until it is closed (or ``duration_s`` passed); writes the outputs."""
    _choose_platform(options)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    from PySide6 import QtCore, QtWidgets

    from sensorlab.live.runner import SessionRunner
    from sensorlab.live.window import LiveSettings, LiveWindow
    from sensorlab.session import Session
    from sensorlab.sources.base import make_source

    source = make_source(options.source, speed=options.speed)
    lsl = None
    if options.lsl_prefix is not None:
        from sensorlab.sinks.lsl import LslSettings, check_time_scale

        lsl = LslSettings(options.lsl_prefix, check_time_scale(options.speed))
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["sensorlab"])
    runner = SessionRunner(lambda: _session(Session, source, options, lsl)).start()
    window = LiveWindow(
        runner,
        LiveSettings(window_s=options.window_s, fps=options.fps),
        record_folder=options.record.parent if options.record else Path("recordings"),
        out_dir=options.out_dir,
    )
    window.show()
    if options.duration_s is not None:

        def end() -> None:
            if options.screenshot is not None:
                window.refresh()
                options.screenshot.parent.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(options.screenshot))
            window.close()

        QtCore.QTimer.singleShot(round(options.duration_s * 1000), end)
    app.exec()
    outputs = window.finish()
    if options.screenshot is not None and options.duration_s is not None:
        print(f"screenshot {options.screenshot}")
    if outputs is None:
        raise InputError(f"the session ended without an analysis: {runner.error}")
    print(f"summary  {outputs.summary_path}")
    print(f"report   {outputs.report_path}")
    print(f"reps     {outputs.table_path}")
    return 0
