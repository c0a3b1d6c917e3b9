"""Sample cleaner: time order, duplicates, seq losses; chunked equals batch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sensorlab.processing.cleaning import (
    CleanerSettings,
    SampleCleaner,
    clean_chunk,
)
from sensorlab.records import ImuChunk


def make_chunk(t_s, seq=None, placement="pelvis", with_extras=True) -> ImuChunk:
    """A chunk whose acc/gyro/device_t/extra values encode the sample's arrival index."""
    t_s = np.asarray(t_s, dtype=float)
    index = np.arange(t_s.size, dtype=float)
    extra = {
        "mag_x": index * 10.0,
        "label": np.array([f"s{i}" for i in range(t_s.size)], dtype=object),
    }
    return ImuChunk(
        placement=placement,
        t_s=t_s,
        acc_m_s2=np.column_stack([index, index + 0.1, index + 0.2]),
        gyr_rad_s=np.column_stack([-index, -index - 0.1, -index - 0.2]),
        seq=None if seq is None else np.asarray(seq, dtype=np.int64),
        device_t_s=index * 0.5,
        extra=extra if with_extras else {},
    )


def split(chunk: ImuChunk, bounds) -> list[ImuChunk]:
    """Cut a chunk into consecutive pieces at ``bounds``."""
    edges = [0, *bounds, len(chunk)]
    pieces = []
    for start, stop in itertools.pairwise(edges):
        s = slice(start, stop)
        pieces.append(
            ImuChunk(
                chunk.placement,
                chunk.t_s[s],
                chunk.acc_m_s2[s],
                chunk.gyr_rad_s[s],
                None if chunk.seq is None else chunk.seq[s],
                None if chunk.device_t_s is None else chunk.device_t_s[s],
                {k: v[s] for k, v in chunk.extra.items()},
            )
        )
    return pieces


def concat(chunks: list[ImuChunk]) -> dict[str, np.ndarray]:
    out = {
        "t": np.concatenate([c.t_s for c in chunks]),
        "acc": np.concatenate([c.acc_m_s2 for c in chunks]),
        "gyr": np.concatenate([c.gyr_rad_s for c in chunks]),
        "device_t": np.concatenate([c.device_t_s for c in chunks]),
        "mag_x": np.concatenate([c.extra["mag_x"] for c in chunks]),
        "label": np.concatenate([c.extra["label"] for c in chunks]),
    }
    if chunks[0].seq is not None:
        out["seq"] = np.concatenate([c.seq for c in chunks])
    return out


def test_sorts_within_a_chunk_and_drops_repeats_keeping_the_first():
    chunk = make_chunk([0.2, 0.0, 0.1, 0.1, 0.3, 0.0])
    cleaner = SampleCleaner()
    out = cleaner.update(chunk)
    np.testing.assert_array_equal(out.t_s, [0.0, 0.1, 0.2, 0.3])
    # arrival indices of the kept samples: 0.0 first came at 1, 0.1 at 2
    np.testing.assert_array_equal(out.acc_m_s2[:, 0], [1, 2, 0, 4])
    np.testing.assert_array_equal(out.gyr_rad_s[:, 0], [-1, -2, 0, -4])
    np.testing.assert_array_equal(out.device_t_s, [0.5, 1.0, 0.0, 2.0])
    assert list(out.extra["label"]) == ["s1", "s2", "s0", "s4"]
    assert cleaner.samples_ == 4
    assert cleaner.dropped_ == 2
    assert cleaner.lost_ == 0


def test_drops_samples_not_later_than_the_last_emitted_across_chunks():
    cleaner = SampleCleaner()
    first = cleaner.update(make_chunk([0.0, 0.1, 0.2]))
    second = cleaner.update(make_chunk([0.2, 0.15, 0.3, np.nan]))
    np.testing.assert_array_equal(first.t_s, [0.0, 0.1, 0.2])
    np.testing.assert_array_equal(second.t_s, [0.3])
    assert cleaner.dropped_ == 3  # a repeat, a late sample and a NaN time
    assert cleaner.last_t_s_ == 0.3


def test_late_sample_is_sorted_in_batch_but_dropped_when_streaming():
    """The documented difference: emitted samples cannot be re-sorted."""
    chunk = make_chunk([0.0, 0.1, 0.3, 0.2, 0.4])
    batch, quality = clean_chunk(chunk)
    np.testing.assert_array_equal(batch.t_s, [0.0, 0.1, 0.2, 0.3, 0.4])
    assert quality.dropped == 0
    cleaner = SampleCleaner()
    pieces = [cleaner.update(c) for c in split(chunk, [3])]
    np.testing.assert_array_equal(concat(pieces)["t"], [0.0, 0.1, 0.3, 0.4])
    assert cleaner.dropped_ == 1


def test_seq_gaps_count_lost_samples():
    cleaner = SampleCleaner()
    cleaner.update(make_chunk(np.arange(6) * 0.01, seq=[10, 11, 14, 15, 15, 20]))
    assert cleaner.lost_ == 2 + 4  # 12, 13 and 16..19; a repeated seq is no loss
    assert cleaner.seq_resets_ == 0


def test_16_bit_counter_wraps():
    cleaner = SampleCleaner()
    cleaner.update(make_chunk(np.arange(5) * 0.01, seq=[65533, 65535, 0, 1, 4]))
    assert cleaner.lost_ == 1 + 0 + 2  # 65534; 65535 -> 0 is one step; 2, 3
    assert cleaner.seq_resets_ == 0
    cleaner.update(make_chunk(0.05 + np.arange(2) * 0.01, seq=[65530, 2]))
    # 4 -> 65530 jumps 65526 > max_seq_step: a reset, no loss; 65530 -> 2 wraps: 65531..1
    assert cleaner.lost_ == 3 + 7
    assert cleaner.seq_resets_ == 1


def test_wide_counter_does_not_wrap():
    cleaner = SampleCleaner()
    cleaner.update(make_chunk(np.arange(5) * 0.01, seq=[65534, 65535, 65536, 65540, 3]))
    assert cleaner.lost_ == 3  # 65537..65539
    assert cleaner.seq_resets_ == 1  # back to 3: a counter reset, not a wrap


def test_wide_counter_is_remembered_across_chunks():
    chunk = make_chunk(np.arange(3) * 0.01, seq=[70000, 65535, 0])
    batch = SampleCleaner()
    batch.update(chunk)
    streaming = SampleCleaner()
    for piece in split(chunk, [2]):
        streaming.update(piece)
    for cleaner in (batch, streaming):
        assert cleaner.seq_resets_ == 2  # once wide, 65535 -> 0 is not a wrap
        assert cleaner.lost_ == 0


def test_custom_counter_width():
    cleaner = SampleCleaner(CleanerSettings(seq_modulus=256, max_seq_step=128))
    cleaner.update(make_chunk(np.arange(3) * 0.01, seq=[254, 255, 2]))
    assert cleaner.lost_ == 2  # 0 and 1
    assert cleaner.seq_resets_ == 0


def test_seq_is_accounted_in_time_order_after_cleaning():
    # arrives out of order; the repeated time (seq 2 again) is dropped, not counted lost
    cleaner = SampleCleaner()
    out = cleaner.update(make_chunk([0.0, 0.02, 0.01, 0.02, 0.04], seq=[0, 2, 1, 2, 4]))
    np.testing.assert_array_equal(out.seq, [0, 1, 2, 4])
    assert cleaner.lost_ == 1
    assert cleaner.dropped_ == 1


def test_measured_rate_and_quality():
    rng = np.random.default_rng(3)
    t_s = np.arange(2000) / 200.0 + rng.uniform(-2e-4, 2e-4, 2000)
    cleaner = SampleCleaner()
    assert np.isnan(cleaner.rate_hz_)
    cleaner.update(make_chunk(t_s, seq=np.arange(2000) % 65536))
    quality = cleaner.quality(nominal_rate_hz=200.0)
    assert quality.placement == "pelvis"
    assert quality.samples == 2000 and quality.dropped == 0 and quality.lost == 0
    assert quality.rate_hz == pytest.approx(200.0, rel=0.01)
    assert quality.nominal_rate_hz == 200.0


def test_one_cleaner_per_sensor():
    cleaner = SampleCleaner()
    cleaner.update(make_chunk([0.0]))
    with pytest.raises(ValueError, match="one sensor"):
        cleaner.update(make_chunk([0.1], placement="left_thigh"))


def test_empty_chunks_are_fine():
    cleaner = SampleCleaner()
    out = cleaner.update(make_chunk([], seq=[]))
    assert len(out) == 0 and cleaner.samples_ == 0
    out = cleaner.update(make_chunk([0.0, 0.01], seq=[5, 7]))
    assert len(out) == 2 and cleaner.lost_ == 1


def in_order_with_repeats(seed: int, n: int = 1500) -> ImuChunk:
    """In-order times at ~100 Hz with repeated samples (also in runs), seq with gaps that
    wrap at 65536, as a receiver that re-delivers packets would produce."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([1, 2, 5], size=n, p=[0.9, 0.08, 0.02])
    seq = (65000 + np.cumsum(steps)) % 65536
    t_s = 0.01 * np.cumsum(steps) + rng.uniform(-1e-4, 1e-4, n)
    t_s = np.maximum.accumulate(t_s)
    repeat = rng.random(n) < 0.1
    index = np.repeat(np.arange(n), np.where(repeat, rng.integers(2, 4, n), 1))
    return make_chunk(t_s[index], seq=seq[index])


def with_non_finite(chunk: ImuChunk, rng, fraction: float = 0.03) -> ImuChunk:
    """A copy with NaN or +-inf in one acc or gyro cell of about ``fraction`` of samples."""
    acc, gyr = chunk.acc_m_s2.copy(), chunk.gyr_rad_s.copy()
    for row in np.flatnonzero(rng.random(len(chunk)) < fraction):
        target = acc if rng.random() < 0.5 else gyr
        target[row, rng.integers(3)] = rng.choice([np.nan, np.inf, -np.inf])
    return ImuChunk(chunk.placement, chunk.t_s, acc, gyr, chunk.seq, chunk.device_t_s, chunk.extra)


def test_non_finite_acc_or_gyro_samples_are_dropped_and_counted():
    chunk = make_chunk(np.arange(10) * 0.01, seq=np.arange(10))
    chunk.acc_m_s2[2, 1] = np.nan
    chunk.gyr_rad_s[5, 0] = np.inf
    chunk.gyr_rad_s[7, 2] = -np.inf
    cleaner = SampleCleaner()
    kept = cleaner.update(chunk)
    np.testing.assert_array_equal(kept.extra["mag_x"], [0, 10, 30, 40, 60, 80, 90])
    assert np.isfinite(kept.acc_m_s2).all() and np.isfinite(kept.gyr_rad_s).all()
    assert cleaner.non_finite_ == 3 and cleaner.quality().non_finite == 3
    assert cleaner.samples_ == 7 and cleaner.dropped_ == 0
    assert cleaner.lost_ == 0  # the device delivered them: not a seq loss as well
    assert cleaner.last_t_s_ == pytest.approx(0.09)


@pytest.mark.parametrize("seed", range(8))
def test_random_chunk_sizes_give_the_batch_result(seed):
    chunk = with_non_finite(in_order_with_repeats(seed), np.random.default_rng(200 + seed))
    batch = SampleCleaner()
    expected = batch.update(chunk)
    assert batch.dropped_ > 0 and batch.lost_ > 0 and batch.non_finite_ > 0  # all exercised

    rng = np.random.default_rng(100 + seed)
    bounds = np.cumsum(rng.integers(1, 51, size=len(chunk)))
    bounds = bounds[bounds < len(chunk)].tolist()
    streaming = SampleCleaner()
    pieces = [streaming.update(piece) for piece in split(chunk, bounds)]
    got, want = concat(pieces), concat([expected])
    for key, value in want.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)
    assert streaming.samples_ == batch.samples_
    assert streaming.dropped_ == batch.dropped_
    assert streaming.non_finite_ == batch.non_finite_
    assert streaming.lost_ == batch.lost_
    assert streaming.seq_resets_ == batch.seq_resets_
    assert streaming.rate_hz_ == batch.rate_hz_
    assert streaming.quality(100.0) == batch.quality(100.0)


def test_clean_chunk_is_one_update():
    chunk = in_order_with_repeats(11)
    cleaned, quality = clean_chunk(chunk, nominal_rate_hz=100.0)
    cleaner = SampleCleaner()
    expected = cleaner.update(chunk)
    np.testing.assert_array_equal(cleaned.t_s, expected.t_s)
    assert quality == cleaner.quality(100.0)
    assert quality.samples + quality.dropped == len(chunk)


def test_lost_before_flags_agree_whole_and_in_blocks_across_a_wrap_and_dropped_samples():
    """The cleaner says which samples follow a loss: a 16-bit counter that starts at 0 and
    loses the sample after its wrap, and samples dropped for a NaN, give the same flags
    whether the stream comes whole or in blocks of any size."""
    n = 70_000
    seq = np.arange(n) % 65536
    keep = np.ones(n, dtype=bool)
    keep[[65536, 1000]] = False  # lost: counter 0 after the wrap, and one early sample
    t = np.arange(n) / 100.0
    acc = np.tile([0.0, 0.0, 9.81], (n, 1))
    acc[[5000, 5001, 9999]] = np.nan  # dropped by the cleaner: the next sample follows a loss
    chunk = ImuChunk("pelvis", t[keep], acc[keep], np.zeros((keep.sum(), 3)), seq=seq[keep])
    whole = SampleCleaner()
    kept = whole.update(chunk)
    expected = np.isin(kept.t_s, t[[1001, 5002, 10000, 65537]])
    np.testing.assert_array_equal(whole.lost_before_, expected)
    rng = np.random.default_rng(3)
    streamed, flags, lo = SampleCleaner(), [], 0
    while lo < len(chunk):
        hi = min(lo + int(rng.integers(1, 3000)), len(chunk))
        streamed.update(chunk.take(slice(lo, hi)))
        flags.append(streamed.lost_before_)
        lo = hi
    np.testing.assert_array_equal(np.concatenate(flags), expected)
    assert whole.lost_ == 2 and whole.non_finite_ == 3
