"""The live view: what the clinician watches while a session runs.

Layout: :mod:`~sensorlab.live.runner` runs a :class:`~sensorlab.session.Session` on its own
thread (its asyncio loop, the source, the analysis, the recorder); the Qt window
(:mod:`~sensorlab.live.window`) pulls from the session's ring buffers and event queue on
a timer and never waits for I/O or Bluetooth; :mod:`~sensorlab.live.tally` keeps the
running per-side figures (pure, no Qt); :mod:`~sensorlab.live.app` is the
``sensorlab live`` command.
"""
