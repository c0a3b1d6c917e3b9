"""Clock alignment on simulated BLE links with known truth; chunked equals batch.

The link model (:func:`simulate_ble`): the device samples at its nominal rate on its own
clock, which runs ``drift_ppm`` slow against the host's and is ``offset_s`` behind it, so
the true host time of a sample is ``device_t * (1 + drift) + offset``. Consecutive samples
are grouped into packets of 2 to 6; a packet is ready when its last sample is taken and
goes out at the next connection event (intervals drawn uniformly from 7.5-45 ms), reaches
the host after an exponential extra latency (mean 5 ms), 0.2 % of packets after a 150 ms
stall, and in order (a late packet holds back the ones behind it). All samples of a
packet share its receive stamp. Losses: 1 % of packets at random, a burst of 3-10 packets
every 30 s or so, and a 5 s gap (nothing at all) at 300 s.

Measured figures are printed (``pytest -s tests/test_clock.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from sensorlab.processing.clock import (
    DEFAULT_ARRIVAL_SETTINGS,
    ArrivalDejitter,
    ClockAligner,
    ClockSettings,
    device_time_from_seq,
    unwrap_seq,
)

DRIFT_PPM = 50.0
OFFSET_S = 0.030
DURATION_S = 600.0
STARTUP_S = 10.0
LOSS_TAKEN_S = 1.9  # ArrivalDejitter: a loss is taken within this long (see its test)


@dataclass(frozen=True)
class Link:
    """One simulated sensor stream: what the host sees, and the truth."""

    device_t_s: np.ndarray
    host_t_s: np.ndarray
    true_t_s: np.ndarray  # the sample's time on the host clock
    seq: np.ndarray  # 16-bit sample counter
    lost_before: np.ndarray  # samples lost before each kept one (cumulative)


def simulate_ble(
    rate_hz: float,
    duration_s: float,
    seed: int,
    *,
    drift_ppm: float = DRIFT_PPM,
    offset_s: float = OFFSET_S,
    device_t0_s: float = 0.0,
    loss_prob: float = 0.01,
    burst_every_s: float | None = 30.0,
    gap: tuple[float, float] | None = (300.0, 5.0),
    stall_prob: float = 0.002,
) -> Link:
    """A BLE sensor stream with batching, latency, stalls and losses (see module doc)."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz)
    device_t = device_t0_s + np.arange(n) / rate_hz
    true_t = device_t * (1.0 + drift_ppm * 1e-6) + offset_s
    ends = np.cumsum(rng.integers(2, 7, size=n))
    ends = ends[ends < n]
    packet = np.searchsorted(ends, np.arange(n), side="right")
    n_packets = int(packet[-1]) + 1
    last_sample = np.append(ends, n) - 1
    ready = true_t[last_sample]
    events = ready[0] - rng.uniform(0.0, 0.045)
    events += np.cumsum(rng.uniform(0.0075, 0.045, int(duration_s / 0.0075) + 10))
    sent = events[np.searchsorted(events, ready)]
    received = sent + rng.exponential(0.005, n_packets)
    received += 0.150 * (rng.random(n_packets) < stall_prob)
    received = np.maximum.accumulate(received)
    lost = rng.random(n_packets) < loss_prob
    since_start = ready - ready[0]
    if burst_every_s is not None:
        for start in np.arange(burst_every_s, duration_s, burst_every_s):
            first = np.searchsorted(since_start, start + rng.uniform(0.0, burst_every_s / 2))
            lost[first : first + rng.integers(3, 11)] = True
    if gap is not None:
        lost |= (since_start >= gap[0]) & (since_start < gap[0] + gap[1])
    keep = ~lost[packet]
    index = np.flatnonzero(keep)
    return Link(
        device_t_s=device_t[keep],
        host_t_s=received[packet][keep],
        true_t_s=true_t[keep],
        seq=index % 65536,
        lost_before=index - np.arange(index.size),
    )


def error_figures_ms(aligned: np.ndarray, link: Link, after_s: float = STARTUP_S) -> dict:
    """|aligned - true| after the start-up, in ms (p50, p99, p99.9, max), and the share
    of samples within 5 ms."""
    since = link.true_t_s - link.true_t_s[0]
    error = np.abs(aligned - link.true_t_s)[since > after_s] * 1e3
    p50, p99, p999 = np.percentile(error, [50, 99, 99.9])
    return {
        "p50": float(p50),
        "p99": float(p99),
        "p99.9": float(p999),
        "max": float(error.max()),
        "within_5ms": float(np.mean(error < 5.0)),
    }


def feed_in_blocks(update, arrays, rng, max_block=50):
    """Feed ``update`` consecutive slices of ``arrays`` of random sizes 1..max_block."""
    n = arrays[0].size
    out, i = [], 0
    while i < n:
        size = int(rng.integers(1, max_block + 1))
        out.append(update(*(a[i : i + size] for a in arrays)))
        i += size
    return np.concatenate(out)


# -- accuracy ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rate_hz", "seed"), [(100.0, 11), (200.0, 12)])
def test_aligned_times_match_the_true_sample_times(rate_hz, seed):
    link = simulate_ble(rate_hz, DURATION_S, seed)
    aligner = ClockAligner()
    aligned = aligner.update(link.device_t_s, link.host_t_s)

    figures = error_figures_ms(aligned, link)
    print(
        f"\nClockAligner {rate_hz:.0f} Hz: |error| after {STARTUP_S:.0f} s: "
        f"p50 {figures['p50']:.3f} ms, p99 {figures['p99']:.3f} ms, "
        f"p99.9 {figures['p99.9']:.3f} ms, max {figures['max']:.3f} ms, "
        f"{100 * figures['within_5ms']:.3f} % within 5 ms; drift {aligner.drift_ppm_:.2f} ppm "
        f"(true {DRIFT_PPM}), offset {1e3 * aligner.offset_s_:.3f} ms (true {1e3 * OFFSET_S})"
    )
    assert figures["within_5ms"] >= 0.999
    assert figures["p50"] < 1.0
    assert abs(aligner.drift_ppm_ - DRIFT_PPM) < 5.0
    # The mapping now (offset is at device time 0, an extrapolation over the recording).
    mapped_s = link.device_t_s[-1] * (1 + 1e-6 * aligner.drift_ppm_) + aligner.offset_s_
    assert abs(mapped_s - link.true_t_s[-1]) < 2e-3
    assert aligner.resets_ == 0
    # The recording contract, and causality: never later than the sample's own arrival
    # (the stream's receive stamps never go back, so the non-decreasing hold cannot either).
    assert np.all(np.diff(aligned) >= 0)
    assert np.all(aligned <= link.host_t_s)


def test_accuracy_holds_across_seeds():
    """The figures above are not one lucky seed: 6 more streams, worst case."""
    worst = {"p50": 0.0, "within_5ms": 1.0, "drift": 0.0}
    for seed in range(6):
        rate_hz = (100.0, 200.0)[seed % 2]
        link = simulate_ble(rate_hz, DURATION_S, 100 + seed)
        aligner = ClockAligner()
        figures = error_figures_ms(aligner.update(link.device_t_s, link.host_t_s), link)
        worst["p50"] = max(worst["p50"], figures["p50"])
        worst["within_5ms"] = min(worst["within_5ms"], figures["within_5ms"])
        worst["drift"] = max(worst["drift"], abs(aligner.drift_ppm_ - DRIFT_PPM))
    print(f"\nworst over 6 seeds: {worst}")
    assert worst["within_5ms"] >= 0.999
    assert worst["p50"] < 1.0
    assert worst["drift"] < 5.0


def test_large_device_clock_values_and_negative_drift():
    """Device uptime of days and a fast device clock are handled the same way."""
    link = simulate_ble(
        200.0, 300.0, 3, drift_ppm=-80.0, device_t0_s=250_000.0, offset_s=-250_000.0
    )
    aligner = ClockAligner()
    figures = error_figures_ms(aligner.update(link.device_t_s, link.host_t_s), link)
    assert figures["within_5ms"] >= 0.999
    assert figures["p50"] < 1.0
    assert abs(aligner.drift_ppm_ + 80.0) < 10.0


def test_sample_counter_as_device_clock():
    """A 16-bit counter (wrapping every 328 s at 200 Hz) unwrapped and aligned."""
    link = simulate_ble(200.0, DURATION_S, 21)
    device_t_s = device_time_from_seq(link.seq, 200.0)
    assert np.all(np.diff(device_t_s) > 0)
    aligner = ClockAligner()
    figures = error_figures_ms(aligner.update(device_t_s, link.host_t_s), link)
    print(f"\nseq-based, 200 Hz: {figures}")
    assert figures["within_5ms"] >= 0.999
    assert figures["p50"] < 1.0
    assert abs(aligner.drift_ppm_ - DRIFT_PPM) < 5.0


def test_sample_counter_of_an_inaccurate_sampling_clock():
    """A counter ticking 0.5 % slow (an RC oscillator): fitted with a wide drift prior."""
    link = simulate_ble(200.0, 300.0, 22, drift_ppm=5000.0)
    aligner = ClockAligner(ClockSettings(drift_prior_ppm=10000.0))
    aligned = aligner.update(device_time_from_seq(link.seq, 200.0), link.host_t_s)
    figures = error_figures_ms(aligned, link)
    assert figures["within_5ms"] >= 0.999
    assert figures["p50"] < 1.0
    assert abs(aligner.drift_ppm_ - 5000.0) < 10.0


# -- streaming ----------------------------------------------------------------------------


def test_blocks_of_any_size_give_the_batch_output():
    rng = np.random.default_rng(7)
    link = simulate_ble(200.0, 150.0, 31, gap=(40.0, 5.0))
    device_t_s = link.device_t_s.copy()
    device_t_s[device_t_s > 100.0] -= 90.0  # and a clock reset
    batch = ClockAligner()
    whole = batch.update(device_t_s, link.host_t_s)
    streaming = ClockAligner()
    chunked = feed_in_blocks(streaming.update, (device_t_s, link.host_t_s), rng)
    assert np.array_equal(chunked, whole)
    assert streaming.resets_ == batch.resets_ == 1
    assert streaming.offset_s_ == batch.offset_s_
    assert streaming.drift_ppm_ == batch.drift_ppm_

    arrival_batch = ArrivalDejitter(200.0)
    arrival_whole = arrival_batch.update(link.host_t_s)
    arrival = ArrivalDejitter(200.0)
    arrival_chunked = feed_in_blocks(arrival.update, (link.host_t_s,), rng)
    assert np.array_equal(arrival_chunked, arrival_whole)
    assert arrival.lost_samples_ == arrival_batch.lost_samples_


def test_empty_blocks_change_nothing():
    link = simulate_ble(100.0, 20.0, 41, gap=None)
    aligner = ClockAligner()
    first = aligner.update(link.device_t_s[:500], link.host_t_s[:500])
    assert aligner.update(np.array([]), np.array([])).shape == (0,)
    rest = aligner.update(link.device_t_s[500:], link.host_t_s[500:])
    whole = ClockAligner().update(link.device_t_s, link.host_t_s)
    assert np.array_equal(np.concatenate([first, rest]), whole)


# -- resets ------------------------------------------------------------------------------


def _errors_after(aligned, link, after_s):
    since = link.true_t_s - link.true_t_s[0]
    return np.abs(aligned - link.true_t_s)[since > after_s]


@pytest.mark.parametrize("jump_s", [-100.0, -0.5, 3.0])
def test_device_clock_jump_is_a_reset(jump_s):
    """Backwards (reboot, re-sync) or forwards: detected at once, the fit restarts."""
    link = simulate_ble(200.0, 240.0, 51, gap=None)
    device_t_s = link.device_t_s.copy()
    device_t_s[device_t_s > 120.0] += jump_s
    aligner = ClockAligner()
    aligned = aligner.update(device_t_s, link.host_t_s)
    assert aligner.resets_ == 1
    assert np.all(np.diff(aligned) >= 0)
    assert np.median(_errors_after(aligned, link, 135.0)) < 1e-3
    assert np.percentile(_errors_after(aligned, link, 135.0), 99.9) < 5e-3


def test_device_clock_that_paused_during_a_gap_is_a_reset():
    """Device time 3 s behind after a 5 s gap (still increasing): confirmed within 3 s."""
    link = simulate_ble(200.0, 240.0, 52, gap=(100.0, 5.0))
    since = link.true_t_s - link.true_t_s[0]
    device_t_s = link.device_t_s.copy()
    device_t_s[since > 102.0] -= 3.0
    assert np.all(np.diff(device_t_s) > 0)
    aligner = ClockAligner()
    aligned = aligner.update(device_t_s, link.host_t_s)
    assert aligner.resets_ == 1
    assert np.median(_errors_after(aligned, link, 120.0)) < 1e-3


def test_gaps_and_stalls_are_not_resets():
    link = simulate_ble(100.0, 400.0, 53, gap=(100.0, 30.0), stall_prob=0.02)
    aligner = ClockAligner()
    aligned = aligner.update(link.device_t_s, link.host_t_s)
    assert aligner.resets_ == 0
    assert np.percentile(_errors_after(aligned, link, STARTUP_S), 99.9) < 5e-3


# -- the sample counter ------------------------------------------------------------------


def test_unwrap_seq_across_wraps_and_a_gap():
    true_count = np.concatenate([np.arange(65530, 65540), np.arange(65600, 131080), [131100]])
    seq = true_count % 65536
    counts = unwrap_seq(seq)
    assert np.array_equal(counts - counts[0], true_count - true_count[0])
    # Block by block, continuing from the last count.
    pieces, last = [], None
    for block in np.array_split(seq, [3, 7, 8, 40000]):
        pieces.append(unwrap_seq(block, last_count=last))
        last = int(pieces[-1][-1]) if pieces[-1].size else last
    assert np.array_equal(np.concatenate(pieces), counts)
    # Seconds at the nominal rate; a duplicate is a step of 0.
    t_s = device_time_from_seq(np.array([65534, 65535, 0, 0, 5]), 200.0)
    assert np.allclose(t_s - t_s[0], np.array([0, 1, 2, 2, 7]) / 200.0)
    # A counter that does not wrap, and values outside the range.
    assert np.array_equal(unwrap_seq(np.array([5, 70000]), modulus=None), [5, 70000])
    with pytest.raises(ValueError, match="modulus"):
        unwrap_seq(np.array([1, 70000]))


# -- arrival times only ------------------------------------------------------------------


def _recent_loss_s(link: Link, rate_hz: float, span_s: float) -> np.ndarray:
    """Duration of the samples lost within ``span_s`` before each sample, seconds."""
    since = link.true_t_s - link.true_t_s[0]
    before = np.searchsorted(since, since - span_s)
    return (link.lost_before - link.lost_before[before]) / rate_hz


@pytest.mark.parametrize(("rate_hz", "seed"), [(100.0, 61), (200.0, 62)])
def test_arrival_dejitter_without_losses(rate_hz, seed):
    """Batching, connection-event jitter and stalls but nothing lost.

    Bound: the envelope of a 10 s history is within the quickest arrival of 10 s (about
    1 ms) plus the drift over it (50 ppm x 10 s = 0.5 ms); but now and then three windows
    in a row (0.75 s) have no arrival quicker than ``arrival_step_s`` and are taken for a
    lost sample, the output then a period late until a quick arrival or the refit takes it
    back (under a second): so no error exceeds ``arrival_step_s`` plus two sample periods,
    and at 100 Hz one to two percent of the samples are about 10 ms late.
    """
    link = simulate_ble(rate_hz, DURATION_S, seed, loss_prob=0.0, burst_every_s=None, gap=None)
    dejitter = ArrivalDejitter(rate_hz)
    aligned = dejitter.update(link.host_t_s)
    figures = error_figures_ms(aligned, link)
    print(f"\nArrivalDejitter {rate_hz:.0f} Hz, no losses: {figures}")
    assert figures["p50"] < 1.5
    assert figures["within_5ms"] >= 0.98
    assert figures["max"] < 1e3 * (DEFAULT_ARRIVAL_SETTINGS.arrival_step_s + 2 / rate_hz)
    assert np.all(np.diff(aligned) >= 0)
    assert np.all(aligned <= link.host_t_s)


@pytest.mark.parametrize(("rate_hz", "seed"), [(100.0, 63), (200.0, 64)])
def test_arrival_dejitter_with_losses(rate_hz, seed):
    """The full loss pattern. Bound, per sample, once 10 s in.

    Late by at most ``arrival_step_s`` plus two periods (as without losses), or for 0.5 s
    after a pause in arrivals that it re-anchors on, by the latency of the first arrival
    after the pause (its age in its packet, the wait for a connection event, a stall).
    Early by at most the samples lost in the last ``LOSS_TAKEN_S`` plus
    ``arrival_step_s`` (a loss too small to be taken, forgotten with the 10 s history)
    and two periods. A loss is taken once three 0.25 s windows that start after it have
    closed: within 1.25 s of received samples, so within 1.25 s plus the loss's own
    length (bursts here: up to 10 packets of up to 6 samples, 0.6 s at 100 Hz).
    """
    link = simulate_ble(rate_hz, DURATION_S, seed)
    dejitter = ArrivalDejitter(rate_hz)
    aligned = dejitter.update(link.host_t_s)
    figures = error_figures_ms(aligned, link)
    since = link.true_t_s - link.true_t_s[0]
    error = aligned - link.true_t_s
    after = since > STARTUP_S
    step_s = DEFAULT_ARRIVAL_SETTINGS.arrival_step_s
    recent_loss_s = _recent_loss_s(link, rate_hz, LOSS_TAKEN_S)
    early_bound = recent_loss_s + step_s + 2 / rate_hz
    settled = after & (recent_loss_s == 0)
    settled_ms = np.abs(error[settled]) * 1e3
    true_lost = int(link.lost_before[-1])
    print(
        f"\nArrivalDejitter {rate_hz:.0f} Hz, with losses: all samples {figures}; "
        f"{100 * settled.mean():.0f} % with no loss in the last {LOSS_TAKEN_S} s: p50 "
        f"{np.median(settled_ms):.2f} ms, p99 {np.percentile(settled_ms, 99):.2f} ms; "
        f"lost {dejitter.lost_samples_} (true {true_lost}), gaps {dejitter.gaps_}"
    )
    assert np.all(-error[after] <= early_bound[after])
    late_bound = np.full(error.shape, step_s + 2 / rate_hz)
    pauses = np.flatnonzero(np.diff(link.host_t_s) > DEFAULT_ARRIVAL_SETTINGS.arrival_gap_s)
    for first in pauses + 1:
        held = (since >= since[first]) & (since < since[first] + 0.5)
        first_latency_s = link.host_t_s[first] - link.true_t_s[first]
        late_bound[held] = np.maximum(late_bound[held], first_latency_s + 1e-3)
    assert np.all(error[after] <= late_bound[after])
    assert np.percentile(settled_ms, 99) < 15.0
    assert abs(dejitter.lost_samples_ - true_lost) <= 0.02 * true_lost
    assert np.all(np.diff(aligned) >= 0)


# -- input checks ------------------------------------------------------------------------


def test_bad_input_is_refused():
    aligner = ClockAligner()
    with pytest.raises(ValueError, match="same length"):
        aligner.update(np.arange(3.0), np.arange(4.0))
    with pytest.raises(ValueError, match="finite"):
        aligner.update(np.array([0.0, np.nan]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="window_s"):
        ClockSettings(window_s=0.0)
    with pytest.raises(ValueError, match="history_s"):
        ClockSettings(window_s=1.0, history_s=1.5)
    with pytest.raises(ValueError, match="rate_hz"):
        ArrivalDejitter(0.0)
