"""The collector's stream logic on hand-made (host time, device time) sequences.

:class:`~sensorlab.ble.stream.SensorStream` gets what the collector hands it after
decoding: per notification its receive stamp, its connection and its samples. Here the
stamps are made up, so every expectation is exact: no radio, no event loop, no clock.
The end-to-end counterpart over the virtual radio is
``tests/test_ble_collector.py::test_a_dropped_link_reconnects_and_the_gap_is_in_the_recording``.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensorlab.ble.stream import TIE_STEP_S, ConnectionOffsets, SensorStream
from sensorlab.devices import DecodedSamples
from sensorlab.devices.diy import TIME_MODULUS

RATE_HZ = 100.0
PERIOD_S = 1.0 / RATE_HZ
WRAP_S = TIME_MODULUS / 1e6
"""A DIY board's clock field wraps every 2**32 us (71.6 min)."""
LATENCY_S = 0.015
"""Receive stamp minus the device time of a notification's last sample, s."""


def samples(
    n: int, device_t_s: np.ndarray | None = None, seq: np.ndarray | None = None
) -> DecodedSamples:
    """``n`` decoded samples; acc x carries the sample's index in its notification."""
    acc = np.zeros((n, 3))
    acc[:, 0] = np.arange(n)
    return DecodedSamples(acc, np.zeros((n, 3)), device_t_s=device_t_s, seq=seq)


def notifications(
    conn: ConnectionOffsets,
    device_t_s: np.ndarray,
    host_minus_device_s: float,
    per_packet: int = 2,
    seq: np.ndarray | None = None,
    clock: bool = True,
) -> list[tuple[float, ConnectionOffsets, DecodedSamples]]:
    """The samples taken at ``device_t_s`` in notifications of ``per_packet``, each
    received ``LATENCY_S`` after its last sample (host = device + ``host_minus_device_s``)."""
    parts = []
    for lo in range(0, len(device_t_s), per_packet):
        t = device_t_s[lo : lo + per_packet]
        host_s = float(t[-1]) + host_minus_device_s + LATENCY_S
        k = None if seq is None else seq[lo : lo + per_packet]
        parts.append((host_s, conn, samples(len(t), t if clock else None, k)))
    return parts


def run(stream: SensorStream, parts, per_drain: int = 1):
    """Feed ``parts`` in drains of ``per_drain`` notifications; the blocks joined."""
    chunks = [stream.chunk(parts[i : i + per_drain]) for i in range(0, len(parts), per_drain)]

    def cat(name):
        values = [getattr(c, name) for c in chunks]
        return None if any(v is None for v in values) else np.concatenate(values)

    return {name: cat(name) for name in ("t_s", "host_t_s", "device_t_s", "seq", "acc_m_s2")}


def grid(start_s: float, n: int) -> np.ndarray:
    return start_s + np.arange(n) * PERIOD_S


# --------------------------------------------------------------------------------------
# one connection
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("per_drain", [1, 7])
def test_a_steady_stream_is_on_the_device_grid_from_its_first_notification(per_drain):
    """Constant latency, 4 samples per notification: every sample's time is its device
    time plus one constant, from the first notification on; each sample of a notification
    is spread back from the receive stamp by its age in it (else the first three would
    share the stamp's time)."""
    stream = SensorStream("pelvis", RATE_HZ, clock_period_s=WRAP_S)
    device_t = grid(50.0, 400)
    got = run(stream, notifications(ConnectionOffsets(), device_t, -40.0, 4), per_drain)
    np.testing.assert_array_equal(got["device_t_s"], device_t)
    offset = got["t_s"] - device_t
    assert np.ptp(offset) < 1e-9
    assert offset[0] == pytest.approx(-40.0 + LATENCY_S, abs=1e-9)  # the quickest arrival
    assert np.all(got["t_s"] <= got["host_t_s"])
    # host_t_s is the notification's receive stamp, the same for its 4 samples
    assert np.array_equal(got["host_t_s"][::4], got["host_t_s"][3::4])
    assert stream.samples == 400 and stream.last_seq is None


def test_samples_without_clock_or_counter_are_spread_on_the_nominal_grid():
    """A WitMotion: receive stamps only. Three samples a notification, constant latency:
    the times step by the nominal period, also within a notification."""
    stream = SensorStream("left_thigh", RATE_HZ)
    device_t = grid(0.0, 300)
    got = run(stream, notifications(ConnectionOffsets(), device_t, 2.0, 3, clock=False))
    assert got["device_t_s"] is None and got["seq"] is None
    np.testing.assert_allclose(np.diff(got["t_s"]), PERIOD_S, rtol=0, atol=1e-9)
    assert np.all(got["t_s"] <= got["host_t_s"])


def test_a_counter_gap_within_a_connection_counts_the_missing_samples():
    """A DIY sends its counter (unwrapped by the decoder): two notifications lost in
    the air leave a gap of 4 in ``seq`` and in time, and 4 lost samples."""
    stream = SensorStream("pelvis", RATE_HZ, clock_period_s=WRAP_S)
    conn = ConnectionOffsets()
    seq = np.arange(200) + 1000
    device_t = grid(7.0, 200)
    parts = notifications(conn, device_t, 3.0, 2, seq=seq)
    del parts[40:42]
    got = run(stream, parts)
    steps = np.diff(got["seq"])
    assert sorted(set(steps.tolist())) == [1, 5] and (steps == 5).sum() == 1
    assert got["seq"][0] == 1000  # the first connection keeps the device's count
    assert stream.lost_samples == 4 and stream.last_seq == 1199
    np.testing.assert_allclose(np.diff(got["t_s"]), steps * PERIOD_S, atol=1e-9)


def test_a_counter_only_device_is_timed_by_its_count():
    """A counter and no clock: ``seq / rate`` is the device clock. The samples after a
    missing one are a period further on."""
    stream = SensorStream("pelvis", RATE_HZ)
    seq = np.arange(300)
    keep = seq != 150
    device_t = grid(0.0, 300)
    parts = [
        p
        for p in notifications(ConnectionOffsets(), device_t, 1.0, 1, seq=seq, clock=False)
        if keep[int(p[2].seq[0])]
    ]
    got = run(stream, parts)
    assert got["device_t_s"] is None
    np.testing.assert_array_equal(got["seq"], seq[keep])
    np.testing.assert_allclose(np.diff(got["t_s"]), np.diff(seq[keep]) * PERIOD_S, atol=1e-6)
    assert stream.lost_samples == 1


def test_repeated_times_are_moved_on_by_2_us_within_and_across_blocks():
    """A device that stamps two samples alike (and a block starting where the last one
    ended): the times are made strictly increasing, 2 us apart, nothing dropped."""
    stream = SensorStream("pelvis", RATE_HZ)
    conn = ConnectionOffsets()
    first = stream.chunk([(1.02, conn, samples(3, np.array([1.0, 1.01, 1.01])))])
    second = stream.chunk([(1.03, conn, samples(2, np.array([1.01, 1.02])))])
    t = np.concatenate([first.t_s, second.t_s])
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t)[1:3], [TIE_STEP_S, TIE_STEP_S], rtol=1e-6)
    assert first.t_s[1] - first.t_s[0] == pytest.approx(PERIOD_S, abs=1e-9)
    assert second.t_s[1] - second.t_s[0] == pytest.approx(PERIOD_S - 2 * TIE_STEP_S, abs=1e-9)


# --------------------------------------------------------------------------------------
# across reconnections
# --------------------------------------------------------------------------------------

DOWN_S = 1.5
"""The link is down from 2.5 s after the first sample until 4.0 s."""


def two_connections(device_start_s: float, device_after_s: float, per_drain: int = 1):
    """A DIY (clock and counter, 2 samples a notification) streams 250 samples, drops,
    and streams 250 more on a new connection, whose decoder unwraps the clock and counts
    afresh: its first sample shows ``device_after_s`` on the device clock (raw, as a new
    decoder gives it) and counter 0. Host time = world time (0 at the first sample)."""
    stream = SensorStream("pelvis", RATE_HZ, clock_period_s=WRAP_S)
    first, second = ConnectionOffsets(), ConnectionOffsets()
    before = notifications(first, grid(device_start_s, 250), -device_start_s, seq=np.arange(250))
    world_after_s = 2.5 + DOWN_S
    after = notifications(
        second, grid(device_after_s, 250), world_after_s - device_after_s, seq=np.arange(250)
    )
    return stream, first, second, run(stream, before + after, per_drain)


@pytest.mark.parametrize(
    "device_start_s",
    [10.0, WRAP_S - 1.0, WRAP_S - 3.0],
    ids=["runs on", "wrapped before the drop", "wraps in the gap"],
)
def test_a_device_clock_that_ran_on_continues_across_a_reconnection(device_start_s):
    """The device clock ran on while the link was down: the new connection's clock is
    moved by whole wrap periods so that it continues the session's; the counter jumps by
    the samples taken meanwhile (lost), and the times show the gap."""
    world_after_s = 2.5 + DOWN_S
    raw_after_s = (device_start_s + world_after_s) % WRAP_S  # what the new decoder reads
    stream, _, second, got = two_connections(device_start_s, raw_after_s)
    expected = np.concatenate([grid(device_start_s, 250), grid(device_start_s + 4.0, 250)])
    np.testing.assert_allclose(got["device_t_s"], expected, rtol=0, atol=1e-6)
    assert second.clock_offset_s == pytest.approx(expected[250] - raw_after_s, abs=1e-6)
    missing = round(DOWN_S * RATE_HZ)  # the samples of 2.50 s to 3.99 s
    assert got["seq"][250] == 249 + missing + 1
    np.testing.assert_array_equal(np.diff(got["seq"])[250:], 1)
    assert stream.lost_samples == missing
    steps = np.diff(got["t_s"])
    assert steps[249] == pytest.approx(DOWN_S + PERIOD_S, abs=1e-6)
    np.testing.assert_allclose(np.delete(steps, 249), PERIOD_S, atol=1e-6)


def test_a_device_clock_that_restarted_steps_back_and_the_count_just_continues():
    """The device rebooted while the link was down: its clock starts again at 0, which no
    whole number of wraps matches with the host's step. The step back stays in the device
    clock, nothing tells how many samples were missed, and the gap shows in time."""
    stream, _, second, got = two_connections(500.0, 0.0)
    assert second.clock_offset_s == 0.0
    np.testing.assert_allclose(got["device_t_s"][250:], grid(0.0, 250), atol=1e-9)
    assert (np.diff(got["device_t_s"]) < 0).sum() == 1
    np.testing.assert_array_equal(got["seq"], np.arange(500))
    assert stream.lost_samples == 0
    steps = np.diff(got["t_s"])
    assert np.all(steps > 0)
    assert steps[249] == pytest.approx(DOWN_S + PERIOD_S, abs=0.02)  # from the arrivals


def test_a_counter_without_a_clock_continues_across_a_reconnection():
    """A counter restarted by the device and no clock to tell the gap: the session's
    count continues by one (nothing counted lost); the times come from the counter and
    so do not show the gap either (what the counter cannot know)."""
    stream = SensorStream("pelvis", RATE_HZ)
    first, second = ConnectionOffsets(), ConnectionOffsets()
    before = notifications(first, grid(0.0, 100), 0.0, 1, seq=np.arange(100) + 7, clock=False)
    after = notifications(second, grid(3.0, 100), 0.0, 1, seq=np.arange(100), clock=False)
    got = run(stream, before + after)
    np.testing.assert_array_equal(got["seq"], np.arange(200) + 7)
    assert stream.lost_samples == 0 and second.seq_offset == 107
    assert np.all(np.diff(got["t_s"]) > 0)


def test_notifications_of_the_old_and_the_new_connection_in_one_drain():
    """The old connection's last notification may still be queued when the new one's
    first arrives: each is moved by its own connection's offsets."""
    world_after_s = 2.5 + DOWN_S
    raw_after_s = (WRAP_S - 1.0 + world_after_s) % WRAP_S
    split, _, _, one_by_one = two_connections(WRAP_S - 1.0, raw_after_s, per_drain=1)
    joined, _, _, all_at_once = two_connections(WRAP_S - 1.0, raw_after_s, per_drain=500)
    for name in ("device_t_s", "seq", "t_s"):
        np.testing.assert_array_equal(one_by_one[name], all_at_once[name])
    assert split.lost_samples == joined.lost_samples == round(DOWN_S * RATE_HZ)
