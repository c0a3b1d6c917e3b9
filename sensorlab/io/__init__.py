"""Recordings on disk: the contract CSV and its JSON sidecar.

Reading with line-exact diagnostics (:mod:`~sensorlab.io.recording`), writing in one go
(:mod:`~sensorlab.io.writer`) or while a session streams (:mod:`~sensorlab.io.recorder`).
"""
