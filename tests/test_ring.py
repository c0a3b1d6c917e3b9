"""Ring buffer: wraparound, overrun accounting, several readers, and a threaded stress test.

Every sample's columns are distinct functions of its index ``k`` (``seq == k``,
``acc_x == k``, ``gyr_z == -k``, ...), so a read can be checked column by column against
the indices it should hold, and a row mixing two writes (a torn sample) shows.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time

import numpy as np
import pytest

from sensorlab.buffer import SEQ_ABSENT, RingSet, SampleRing, capacity_for
from sensorlab.records import ImuChunk

RATE_HZ = 200.0


def make_chunk(
    start: int,
    n: int,
    placement: str = "pelvis",
    seq: bool = True,
    device_t: bool = True,
    host_t: bool = True,
) -> ImuChunk:
    """Samples ``start .. start + n - 1``, every column a known function of the index."""
    k = np.arange(start, start + n, dtype=np.int64)
    kf = k.astype(np.float64)
    return ImuChunk(
        placement,
        kf / RATE_HZ,
        np.column_stack([kf, kf + 0.25, 2.0 * kf]),
        np.column_stack([-0.5 * kf, 3.0 * kf, -kf]),
        seq=k.copy() if seq else None,
        device_t_s=kf / RATE_HZ + 1000.0 if device_t else None,
        host_t_s=kf / 100.0 if host_t else None,
        extra={"mag_x": kf} if n else {},
    )


def assert_samples(chunk: ImuChunk, indices, seq=True, device_t=True, host_t=True) -> None:
    """Every column of ``chunk`` holds exactly the samples ``indices``, in order."""
    k = np.asarray(indices, dtype=np.int64)
    kf = k.astype(np.float64)
    assert len(chunk) == k.size
    np.testing.assert_array_equal(chunk.t_s, kf / RATE_HZ)
    np.testing.assert_array_equal(chunk.acc_m_s2, np.column_stack([kf, kf + 0.25, 2.0 * kf]))
    np.testing.assert_array_equal(chunk.gyr_rad_s, np.column_stack([-0.5 * kf, 3.0 * kf, -kf]))
    assert chunk.acc_m_s2.shape == (k.size, 3) and chunk.gyr_rad_s.shape == (k.size, 3)
    for present, column, expected in (
        (seq, chunk.seq, k),
        (device_t, chunk.device_t_s, kf / RATE_HZ + 1000.0),
        (host_t, chunk.host_t_s, kf / 100.0),
    ):
        if present:
            assert column is not None
            np.testing.assert_array_equal(column, expected)
        else:
            assert column is None
    assert chunk.extra == {}


# -- sizing ---------------------------------------------------------------------------------


def test_capacity_for():
    assert capacity_for(200.0) == 12000
    assert capacity_for(200.0, 0.1) == 20
    assert capacity_for(100.5, 1.0) == 101
    assert capacity_for(1.0, 0.001) == 1
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            capacity_for(bad)
        with pytest.raises(ValueError):
            capacity_for(200.0, bad)
    with pytest.raises(ValueError):
        SampleRing("pelvis", 0)


# -- wraparound -----------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [1, 2, 7, 64, 1000])
def test_wraparound_reads_back_every_sample_in_order(capacity):
    """Many laps of chunks of many sizes; reads in between never exceed the capacity."""
    rng = np.random.default_rng(capacity)
    ring = SampleRing("pelvis", capacity)
    reader = ring.reader("all")
    total = 12 * capacity + 37
    written = 0
    got = []
    while written < total:
        budget = int(rng.integers(1, capacity + 1))  # unread samples allowed before a read
        budget = min(budget, total - written)
        while budget:
            n = int(rng.integers(0, budget + 1))  # includes empty chunks
            ring.write(make_chunk(written, n))
            written += n
            budget -= n
        assert reader.available() == written - reader.cursor_
        chunk = reader.read()
        assert_samples(chunk, range(written - len(chunk), written))
        got.append(chunk)
    assert ring.written_ == total
    assert reader.overruns_ == 0 and reader.lost_ == 0 and reader.last_overrun_ is None
    everything = [c for c in got if len(c)]
    joined = ImuChunk(
        "pelvis",
        np.concatenate([c.t_s for c in everything]),
        np.concatenate([c.acc_m_s2 for c in everything]),
        np.concatenate([c.gyr_rad_s for c in everything]),
        seq=np.concatenate([c.seq for c in everything]),
        device_t_s=np.concatenate([c.device_t_s for c in everything]),
        host_t_s=np.concatenate([c.host_t_s for c in everything]),
    )
    assert_samples(joined, range(total))
    assert len(reader.read()) == 0


def test_chunk_sizes_around_the_capacity_keep_the_newest_samples():
    capacity = 16
    ring = SampleRing("pelvis", capacity)
    reader = ring.reader("r")
    start = 0
    lost_total = 0
    for n in (1, 15, 16, 17, 3, 31, 32, 33, 100, 5, 16, 0, 47):
        ring.write(make_chunk(start, n))
        chunk = reader.read()
        kept = min(n, capacity)
        assert_samples(chunk, range(start + n - kept, start + n))
        assert reader.last_read_lost_ == n - kept
        lost_total += n - kept
        start += n
    assert reader.lost_ == lost_total
    assert reader.overruns_ == 6  # 17, 31, 32, 33, 100 and 47 are longer than 16
    assert ring.written_ == start


def test_overruns_count_the_oversized_chunks():
    ring = SampleRing("pelvis", 16)
    reader = ring.reader("r")
    for n, lost in ((17, 1), (47, 31), (16, 0)):
        ring.write(make_chunk(ring.written_, n))
        reader.read()
        assert reader.last_read_lost_ == lost
    assert reader.overruns_ == 2 and reader.lost_ == 32


# -- optional columns ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seq", "device_t", "host_t"), list(itertools.product([False, True], repeat=3))
)
def test_optional_columns_round_trip(seq, device_t, host_t):
    ring = SampleRing("pelvis", 10)
    reader = ring.reader("r")
    flags = {"seq": seq, "device_t": device_t, "host_t": host_t}
    ring.write(make_chunk(0, 7, **flags))
    ring.write(make_chunk(7, 6, **flags))  # wraps
    assert_samples(reader.read(), range(3, 13), **flags)
    assert_samples(ring.view_last(4), range(9, 13), **flags)
    empty = reader.read()
    assert len(empty) == 0
    assert (empty.seq is not None) == seq
    assert (empty.device_t_s is not None) == device_t
    assert (empty.host_t_s is not None) == host_t


def test_a_read_spanning_a_change_of_columns_fills_the_absent_samples():
    ring = SampleRing("pelvis", 8)
    reader = ring.reader("r")
    ring.write(make_chunk(0, 3, seq=True, device_t=False, host_t=True))
    ring.write(make_chunk(3, 2, seq=False, device_t=True, host_t=True))
    chunk = reader.read()
    np.testing.assert_array_equal(chunk.seq, [0, 1, 2, SEQ_ABSENT, SEQ_ABSENT])
    np.testing.assert_array_equal(chunk.device_t_s[:3], np.nan)
    np.testing.assert_array_equal(chunk.device_t_s[3:], np.arange(3, 5) / RATE_HZ + 1000.0)
    np.testing.assert_array_equal(chunk.host_t_s, np.arange(5) / 100.0)
    # Stale values of an earlier lap are not returned as if the writer had given them.
    ring.write(make_chunk(5, 8, seq=False, device_t=False, host_t=False))
    assert_samples(reader.read(), range(5, 13), seq=False, device_t=False, host_t=False)


def test_empty_ring_and_empty_reads():
    ring = SampleRing("left_thigh", 5)
    reader = ring.reader("r")
    for chunk in (reader.read(), ring.view_last(3)):
        assert chunk.placement == "left_thigh"
        assert chunk.t_s.shape == (0,) and chunk.acc_m_s2.shape == (0, 3)
        assert chunk.gyr_rad_s.shape == (0, 3)
        assert chunk.seq is None and chunk.device_t_s is None and chunk.host_t_s is None
    assert np.isnan(ring.latest_t_s())
    assert reader.available() == 0 and reader.last_read_lost_ == 0


# -- overrun --------------------------------------------------------------------------------


def test_overrun_counts_lost_samples_and_returns_the_oldest_valid():
    ring = SampleRing("pelvis", 100)
    reader = ring.reader("slow")
    first = reader.read()
    assert len(first) == 0
    ring.write(make_chunk(0, 40))
    assert_samples(reader.read(), range(40))
    for start in range(40, 290, 50):  # 250 more samples: 150 unread ones are overwritten
        ring.write(make_chunk(start, 50))
    assert reader.available() == 100
    assert reader.pending_lost() == 150
    chunk = reader.read()
    assert_samples(chunk, range(190, 290))
    assert reader.last_read_lost_ == 150
    assert (reader.overruns_, reader.lost_, reader.read_) == (1, 150, 140)
    overrun = reader.last_overrun_
    assert overrun is not None
    assert (overrun.placement, overrun.reader, overrun.lost) == ("pelvis", "slow", 150)
    assert overrun.first_lost_index == 40
    assert overrun.t_before_s == 39 / RATE_HZ and overrun.t_after_s == 190 / RATE_HZ
    # The next read without loss clears the flag but keeps the record and the totals.
    ring.write(make_chunk(290, 5))
    assert_samples(reader.read(), range(290, 295))
    assert reader.last_read_lost_ == 0
    assert reader.last_overrun_ is overrun
    assert (reader.overruns_, reader.lost_) == (1, 150)


def test_overrun_in_the_middle_of_partial_reads():
    ring = SampleRing("pelvis", 50)
    reader = ring.reader("r", from_oldest=True)
    ring.write(make_chunk(0, 50))
    assert_samples(reader.read(max_samples=30), range(30))
    assert reader.available() == 20
    ring.write(make_chunk(50, 35))  # overwrites 0..34: 30..34 were unread
    assert reader.pending_lost() == 5
    assert_samples(reader.read(max_samples=10), range(35, 45))
    assert reader.last_read_lost_ == 5
    assert_samples(reader.read(max_samples=0), [])
    assert reader.last_read_lost_ == 0
    assert_samples(reader.read(), range(45, 85))
    assert (reader.overruns_, reader.lost_, reader.read_) == (1, 5, 80)


def test_an_overrun_before_the_first_read_has_no_time_before():
    ring = SampleRing("pelvis", 10)
    reader = ring.reader("r")
    ring.write(make_chunk(0, 25))
    reader.read(max_samples=0)
    assert reader.last_read_lost_ == 15
    assert np.isnan(reader.last_overrun_.t_before_s) and np.isnan(reader.last_overrun_.t_after_s)
    assert_samples(reader.read(), range(15, 25))


# -- several readers ------------------------------------------------------------------------


def test_readers_have_independent_cursors():
    ring = SampleRing("pelvis", 30)
    fast = ring.reader("fast")
    ring.write(make_chunk(0, 10))
    late = ring.reader("late")  # starts at the next sample written
    oldest = ring.reader("oldest", from_oldest=True)
    slow = ring.reader("slow", from_oldest=True)
    fast_got, late_got, oldest_got = [], [], []
    for start in range(10, 100, 10):
        ring.write(make_chunk(start, 10))
        fast_got.append(fast.read())
        if start % 20 == 0:
            late_got.append(late.read())
        oldest_got.append(oldest.read(max_samples=10))
    assert_samples(fast.read(), [])
    late_got.append(late.read())
    assert np.array_equal(np.concatenate([c.seq for c in fast_got]), np.arange(0, 100))
    assert np.array_equal(np.concatenate([c.seq for c in late_got]), np.arange(10, 100))
    # oldest reads 10 per 10 written, starting 10 behind: always 10 behind, never losing.
    assert np.array_equal(np.concatenate([c.seq for c in oldest_got]), np.arange(0, 90))
    assert_samples(slow.read(), range(70, 100))
    assert (slow.lost_, slow.overruns_) == (70, 1)
    for reader in (fast, late, oldest):
        assert reader.lost_ == 0 and reader.overruns_ == 0
    assert set(ring.readers) == {"fast", "late", "oldest", "slow"}
    with pytest.raises(ValueError, match="already"):
        ring.reader("fast")
    ring.remove_reader("slow")
    assert set(ring.readers) == {"fast", "late", "oldest"}


def test_view_last_is_a_copy_without_a_cursor():
    ring = SampleRing("pelvis", 20)
    reader = ring.reader("r")
    ring.write(make_chunk(0, 15))
    view = ring.view_last(5)
    assert_samples(view, range(10, 15))
    view.acc_m_s2[:] = -1.0
    ring.write(make_chunk(15, 20))  # overwrites every slot
    assert_samples(ring.view_last(100), range(15, 35))
    assert_samples(ring.view_last(7), range(28, 35))
    assert_samples(ring.view_last(0), [])
    assert ring.latest_t_s() == 34 / RATE_HZ
    assert reader.available() == 20 and reader.pending_lost() == 15
    with pytest.raises(ValueError):
        ring.view_last(-1)


def test_written_chunks_are_copied():
    ring = SampleRing("pelvis", 8)
    reader = ring.reader("r")
    chunk = make_chunk(0, 4)
    ring.write(chunk)
    chunk.acc_m_s2[:] = 0.0
    chunk.seq[:] = 0
    assert_samples(reader.read(), range(4))


def test_write_rejects_bad_chunks_and_writes_after_close():
    ring = SampleRing("pelvis", 8)
    with pytest.raises(ValueError, match="left_thigh"):
        ring.write(make_chunk(0, 3, placement="left_thigh"))
    good = make_chunk(0, 3)
    bad = [
        ImuChunk("pelvis", good.t_s, good.acc_m_s2[:2], good.gyr_rad_s),
        ImuChunk("pelvis", good.t_s, good.acc_m_s2, good.gyr_rad_s[:, :2]),
        ImuChunk("pelvis", good.t_s[:, None], good.acc_m_s2, good.gyr_rad_s),
        ImuChunk("pelvis", good.t_s, good.acc_m_s2, good.gyr_rad_s, seq=good.seq[:2]),
        ImuChunk("pelvis", good.t_s, good.acc_m_s2, good.gyr_rad_s, host_t_s=good.t_s[:1]),
    ]
    for chunk in bad:
        with pytest.raises(ValueError):
            ring.write(chunk)
    assert ring.written_ == 0
    ring.write(good)
    ring.close()
    assert ring.closed_
    with pytest.raises(RuntimeError, match="closed"):
        ring.write(make_chunk(3, 1))
    assert_samples(ring.reader("after", from_oldest=True).read(), range(3))


# -- waiting --------------------------------------------------------------------------------


def test_wait_for_data():
    ring = SampleRing("pelvis", 8)
    reader = ring.reader("r")
    assert reader.wait_for_data(timeout=0.01) is False
    ring.write(make_chunk(0, 2))
    assert reader.wait_for_data(timeout=0) is True
    reader.read()

    def write_later():
        time.sleep(0.05)
        ring.write(make_chunk(2, 3))

    writer = threading.Thread(target=write_later)
    writer.start()
    assert reader.wait_for_data(timeout=10.0) is True
    writer.join()
    assert_samples(reader.read(), range(2, 5))

    closer = threading.Timer(0.05, ring.close)
    closer.start()
    assert reader.wait_for_data(timeout=10.0) is False  # woken by close, nothing to read
    closer.join()
    assert ring.closed_


# -- RingSet --------------------------------------------------------------------------------


def test_ringset_routes_by_placement_and_reads_every_sensor():
    rates = {"pelvis": 200.0, "left_thigh": 100.0, "right_thigh": 200.0}
    rings = RingSet(rates, seconds=0.5)
    assert rings.placements == ("pelvis", "left_thigh", "right_thigh")
    assert {p: r.capacity for p, r in rings.rings.items()} == {
        "pelvis": 100,
        "left_thigh": 50,
        "right_thigh": 100,
    }
    live = rings.reader("live")
    recorder = rings.reader("recorder")
    with pytest.raises(ValueError):
        rings.reader("live")
    assert live.wait_for_data(timeout=0.01) is False
    rings.write(make_chunk(0, 30, placement="left_thigh"))
    assert live.wait_for_data(timeout=0) is True
    rings.write(make_chunk(0, 10, placement="pelvis"))
    chunks = live.read()
    assert [c.placement for c in chunks] == ["pelvis", "left_thigh", "right_thigh"]
    assert_samples(chunks[0], range(10))
    assert_samples(chunks[1], range(30))
    assert len(chunks[2]) == 0
    rings.write(make_chunk(30, 40, placement="left_thigh"))  # recorder now 20 behind at 50
    assert recorder.available_by_placement() == {"pelvis": 10, "left_thigh": 50, "right_thigh": 0}
    assert recorder.available() == 60
    chunks = recorder.read()
    assert_samples(chunks[1], range(20, 70))
    assert recorder.lost_by_placement_ == {"pelvis": 0, "left_thigh": 20, "right_thigh": 0}
    assert (recorder.lost_, recorder.last_read_lost_, recorder.overruns_) == (20, 20, 1)
    assert recorder.readers["left_thigh"].overruns_ == 1
    assert [o.placement for o in recorder.last_overruns_] == ["left_thigh"]
    assert live.lost_ == 0 and live.overruns_ == 0
    assert rings.written_ == {"pelvis": 10, "left_thigh": 70, "right_thigh": 0}
    with pytest.raises(KeyError, match="sacrum"):
        rings.write(make_chunk(0, 1, placement="sacrum"))
    recorder.read()
    rings.close()
    assert rings.closed_
    assert recorder.wait_for_data(timeout=10.0) is False
    assert sum(len(c) for c in live.read()) == 40


# -- threads --------------------------------------------------------------------------------


def test_threaded_stress_no_torn_samples_and_exact_loss_accounting():
    """A producer at full speed, a fast and a slow reader, a fixed amount of work.

    The producer writes ``total`` samples in seeded random chunk sizes (a few longer than
    the ring), back to back in the first half and yielding the GIL after each write in the
    second (so both the falling-behind and the keeping-up regimes run concurrently). The
    fast reader reads everything as soon as it is woken; the slow one reads small pieces
    and, three times, stays paused while the producer writes more than the ring holds, so
    it must lose samples. Whatever the interleaving, each reader must get a
    strictly increasing seq whose only gaps are the losses it was told about, with
    every column of every row consistent with its seq.
    """
    capacity = 512
    total = 400_000
    rng = np.random.default_rng(7)
    sizes = []
    written = 0
    while written < total:
        n = int(rng.integers(capacity + 1, 2 * capacity)) if rng.random() < 0.005 else 0
        n = n or int(rng.integers(1, 65))
        n = min(n, total - written)
        sizes.append((written, n))
        written += n
    chunks = [make_chunk(start, n) for start, n in sizes]
    never_stored = np.concatenate(
        [np.arange(start, start + n - capacity) for start, n in sizes if n > capacity]
    )
    pause_at = {len(chunks) // 4, len(chunks) // 2, 3 * len(chunks) // 4}

    ring = SampleRing("pelvis", capacity)
    fast = ring.reader("fast")
    slow = ring.reader("slow")
    pause_request = threading.Event()
    paused = threading.Event()
    resume = threading.Event()
    slow_cursor = [0]
    errors: list[BaseException] = []
    log: dict[str, list[tuple[int, ImuChunk]]] = {"fast": [], "slow": []}

    def produce():
        try:
            release_after = None
            for index, chunk in enumerate(chunks):
                if index in pause_at:
                    pause_request.set()
                    if not paused.wait(timeout=30.0):
                        raise TimeoutError("the slow reader did not pause")
                    paused.clear()
                    # Resume it once more than the ring holds was written past its cursor.
                    release_after = slow_cursor[0] + capacity
                ring.write(chunk)
                if index >= len(chunks) // 2:
                    time.sleep(0)  # second half: let the readers in after every write
                if release_after is not None and ring.written_ > release_after:
                    release_after = None
                    resume.set()
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            resume.set()
            ring.close()

    def consume(reader, entries, max_samples, pauses):
        try:
            pick = np.random.default_rng(11)
            while True:
                if pauses and pause_request.is_set():
                    slow_cursor[0] = reader.cursor_
                    pause_request.clear()
                    paused.set()
                    if not resume.wait(timeout=30.0):
                        raise TimeoutError("the producer did not resume the slow reader")
                    resume.clear()
                reader.wait_for_data(timeout=0.02)
                limit = None if max_samples is None else int(pick.integers(1, max_samples))
                chunk = reader.read(limit)
                entries.append((reader.last_read_lost_, chunk))
                if ring.closed_ and reader.cursor_ == ring.written_:
                    return
        except BaseException as error:
            errors.append(error)

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: more interleavings to catch
    try:
        threads = [
            threading.Thread(target=consume, args=(fast, log["fast"], None, False), daemon=True),
            threading.Thread(target=consume, args=(slow, log["slow"], 100, True), daemon=True),
            threading.Thread(target=produce, daemon=True),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60.0)
    finally:
        sys.setswitchinterval(old_interval)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors

    for name, reader in (("fast", fast), ("slow", slow)):
        expected = 0
        seen = []
        for lost, chunk in log[name]:
            expected += lost
            np.testing.assert_array_equal(chunk.seq, np.arange(expected, expected + len(chunk)))
            expected += len(chunk)
            seen.append(chunk)
        assert expected == total, name
        assert reader.lost_ == sum(lost for lost, _ in log[name])
        assert reader.overruns_ == sum(1 for lost, _ in log[name] if lost)
        assert reader.read_ + reader.lost_ == total
        # No torn samples: every column of every row matches its seq.
        joined = ImuChunk(
            "pelvis",
            np.concatenate([c.t_s for c in seen]),
            np.concatenate([c.acc_m_s2 for c in seen]),
            np.concatenate([c.gyr_rad_s for c in seen]),
            seq=np.concatenate([c.seq for c in seen]),
            device_t_s=np.concatenate([c.device_t_s for c in seen]),
            host_t_s=np.concatenate([c.host_t_s for c in seen]),
        )
        assert_samples(joined, joined.seq)
        # Samples of oversized chunks were never stored: nobody may see them.
        assert not np.isin(never_stored, joined.seq).any()
        assert reader.lost_ >= never_stored.size
    assert slow.overruns_ >= len(pause_at)
