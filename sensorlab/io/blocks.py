"""Split a recording into time blocks, as if it arrived over time."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sensorlab.records import ImuChunk, Recording


def slice_chunk(chunk: ImuChunk, lo: int, hi: int) -> ImuChunk:
    """Samples ``lo:hi`` of a chunk."""
    return chunk.take(slice(lo, hi))


def iter_time_blocks(
    recording: Recording, block_s: float
) -> Iterator[tuple[float, list[ImuChunk]]]:
    """Yield ``(block_end_s, chunks)``: each sensor's samples with ``t`` in each block.

    Samples are taken in file order; a sensor's samples are split where its time first
    reaches each block end, so every sample is yielded exactly once.
    """
    starts = [c.t_s[0] for c in recording.chunks.values() if len(c)]
    ends = [c.t_s[-1] for c in recording.chunks.values() if len(c)]
    if not starts:
        return
    edges = np.arange(min(starts) + block_s, max(ends) + block_s, block_s)
    cursors = dict.fromkeys(recording.chunks, 0)
    for index, edge in enumerate(edges):
        last = index == len(edges) - 1
        chunks = []
        for name, chunk in recording.chunks.items():
            lo = cursors[name]
            hi = (
                len(chunk) if last else lo + int(np.argmax(np.append(chunk.t_s[lo:] >= edge, True)))
            )
            if hi > lo:
                chunks.append(slice_chunk(chunk, lo, hi))
            cursors[name] = hi
        yield float(min(edge, max(ends))), chunks
