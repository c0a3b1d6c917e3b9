"""Record a simulated session with :class:`~sensorlab.io.recorder.Recorder`, paced in time.

Used by ``tests/test_recorder.py`` as a child process that the test kills with SIGKILL, and
as the source of the interleaved blocks (:func:`session_blocks`) for the in-process tests.

Run: ``python tests/record_until_killed.py OUT.csv [--speed 1] [--block-s 0.05]
[--report-every-s 1] [--flush-interval-s 0.5] [--reorder-window-s 0.5] [--max-file-bytes N]``

It prints JSON lines on stdout, flushed at once:

- ``{"event": "started", "wall": ...}`` once the recorder has started;
- ``{"event": "fed", "wall": ..., "fed_t": {sensor: t}, "rows": n, "rows_written": m}``
  every ``--report-every-s``: ``fed_t`` is the time (s, session clock) of each sensor's last
  sample handed to ``Recorder.write`` by ``wall`` (``time.time()``, s), ``rows`` how many
  rows that was, ``rows_written`` how many of them the recorder had written to the file;
- at the end ``{"event": "done", ...}``, or ``{"event": "error", "message": ...}`` when
  ``Recorder.stop`` raised.

``--speed 1`` feeds each block when the session clock reaches its last sample (real time);
``--speed 0`` feeds as fast as it can. ``--max-file-bytes`` caps the file size the process
may write (``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored) so that writing fails with EFBIG, the
way a full disk fails with ENOSPC.
"""

from __future__ import annotations

import argparse
import itertools
import json
import signal
import sys
import time

import numpy as np

from sensorlab.errors import InputError
from sensorlab.io.blocks import slice_chunk
from sensorlab.io.recorder import Recorder, RecorderSettings
from sensorlab.records import ImuChunk, Recording
from sensorlab.simulate import SCENARIOS


def session_blocks(
    scenario: str = "step_up_asymmetric", seed: int = 0, block_s: float = 0.05
) -> tuple[Recording, list[ImuChunk]]:
    """A simulated session and its samples cut into blocks as they would arrive.

    Parameters
    ----------
    scenario : str
        A name in :data:`sensorlab.simulate.SCENARIOS`.
    seed : int
        Simulator seed.
    block_s : float
        Block length, s: each sensor's samples are cut where its time crosses a multiple of
        ``block_s``.

    Returns
    -------
    recording : Recording
        The simulated recording (``recording.meta`` is the sidecar to write).
    blocks : list of ImuChunk
        Every sample exactly once, blocks of all sensors interleaved by the time of their
        last sample (when a block would be complete), each sensor's in order.
    """
    recording = SCENARIOS[scenario](seed).recording
    blocks = []
    for chunk in recording.chunks.values():
        edges = np.arange(block_s, chunk.t_s[-1] + block_s, block_s)
        cuts = np.unique(np.concatenate(([0], np.searchsorted(chunk.t_s, edges), [len(chunk)])))
        blocks += [slice_chunk(chunk, lo, hi) for lo, hi in itertools.pairwise(cuts)]
    blocks.sort(key=lambda block: block.t_s[-1])
    return recording, blocks


def _say(event: str, **fields) -> None:
    print(json.dumps({"event": event, "wall": time.time(), **fields}), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Record until done, killed, or out of file space; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--block-s", type=float, default=0.05)
    parser.add_argument("--report-every-s", type=float, default=1.0)
    parser.add_argument("--flush-interval-s", type=float, default=0.5)
    parser.add_argument("--reorder-window-s", type=float, default=0.5)
    parser.add_argument("--max-file-bytes", type=int, default=None)
    args = parser.parse_args(argv)

    recording, blocks = session_blocks(block_s=args.block_s)
    if args.max_file_bytes is not None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.max_file_bytes, args.max_file_bytes))
    settings = RecorderSettings(
        flush_interval_s=args.flush_interval_s, reorder_window_s=args.reorder_window_s
    )
    recorder = Recorder(args.csv, recording.meta, settings).start()
    _say("started")
    fed: dict[str, float] = {}
    rows = 0
    start = time.monotonic()
    next_report = start + args.report_every_s
    error_seen_at_rows = None
    for block in blocks:
        if args.speed > 0:
            delay = start + block.t_s[-1] / args.speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        recorder.write(block)
        fed[block.placement] = float(block.t_s[-1])
        rows += len(block)
        if recorder.error_ is not None and error_seen_at_rows is None:
            error_seen_at_rows = rows
        if time.monotonic() >= next_report:
            _say("fed", fed_t=fed, rows=rows, rows_written=recorder.rows_written_)
            next_report += args.report_every_s
    _say("fed", fed_t=fed, rows=rows, rows_written=recorder.rows_written_)
    try:
        recorder.stop()
    except InputError as exc:
        _say(
            "error",
            message=str(exc),
            error_seen_at_rows=error_seen_at_rows,
            rows_written=recorder.rows_written_,
            rows_dropped=recorder.rows_dropped_,
            bytes_written=recorder.bytes_written_,
        )
        return 0
    _say("done", rows_written=recorder.rows_written_, bytes_written=recorder.bytes_written_)
    return 0


if __name__ == "__main__":
    sys.exit(main())
