"""``sensorlab live``: open the live window on a source, or run it headless for a screenshot."""

from __future__ import annotations

import ctypes
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
    catalogue: Path | None = None


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


XCB_DEBS = (
    "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0"
)
"""The Debian packages of the X11 libraries Qt's xcb plugin loads that desktops often lack
(the Makefile's ``qt-libs`` target installs them all)."""


def _check_xcb_plugin() -> None:
    """A clear error instead of Qt's abort (exit 134) when the X11 plugin cannot load.

    Qt on Linux with a ``DISPLAY`` uses its xcb plugin; when a library it links is missing,
    ``QApplication`` aborts the process. Loading the plugin first names the library.
    """
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    uses_xcb = platform == "xcb" or (
        not platform and os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    )
    if not sys.platform.startswith("linux") or not uses_xcb:
        return
    import PySide6

    plugins = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms"
    plugin = plugins / "libqxcb.so"
    if not plugin.exists():
        return  # a Qt laid out differently: let Qt say what it finds
    try:
        ctypes.CDLL(str(plugin))
    except OSError as error:
        library = Path(str(error).split(": ")[0]).name  # the file name only, never a path
        raise InputError(
            f"Qt cannot open its X11 plugin ({library} is missing); install the X11 "
            f"libraries Qt needs (Debian/Ubuntu: apt-get install {XCB_DEBS}, or run "
            "'make qt-libs'), or run headless with --duration S --screenshot live.png"
        ) from None


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
    """Run the window until it is closed (or ``duration_s`` passed); writes the outputs.

    With ``duration_s`` the run is not interactive: the window closes by itself and says
    where the outputs are on the terminal only (no dialog waits for a click).
    """
    _choose_platform(options)
    _check_xcb_plugin()
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
        interactive=options.duration_s is None,
        catalogue=options.catalogue,
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
    if outputs.catalogue is not None:
        print(f"catalogue {outputs.catalogue}")
    return 0
