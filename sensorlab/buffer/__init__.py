"""Handoff between the producer (sensor loop thread) and the consumers.

:class:`SampleRing` is a preallocated ring of one sensor's samples with one writer and
several :class:`RingReader` cursors; :class:`RingSet` holds one ring per placement. See
:mod:`sensorlab.buffer.ring` for the concurrency model. :class:`TableRing` keeps the
newest rows of the live angles for a display.
"""

from sensorlab.buffer.ring import SEQ_ABSENT, Overrun, RingReader, SampleRing, capacity_for
from sensorlab.buffer.ringset import RingSet, RingSetReader
from sensorlab.buffer.table_ring import TableRing

__all__ = [
    "SEQ_ABSENT",
    "Overrun",
    "RingReader",
    "RingSet",
    "RingSetReader",
    "SampleRing",
    "TableRing",
    "capacity_for",
]
