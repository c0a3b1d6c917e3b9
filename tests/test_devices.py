"""The pure device layer: spec byte vectors, boundaries, malformed input, round trips.

Expected numbers come from the device notes (``ble-devices.md``: its byte vectors and
the values it states for them, or its raw values and scale factors) and, for sensorlab's
own DIY format, from ``firmware_notes/diy.md``; never from running the decoders.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensorlab.devices import (
    PROFILES,
    VIRTUAL_DEVICES,
    diy,
    dot,
    identify,
    metamotion,
    movesense,
    witmotion,
)
from sensorlab.devices.profile import (
    CharacteristicSpec,
    CounterUnwrapper,
    DecodedSamples,
    DecodeError,
    decode_battery_level,
)

G = 9.80665  # the g of data sheets, m/s^2


def h(text: str) -> bytes:
    """Bytes from the notes' hex notation (spaces and ``|`` separators allowed)."""
    return bytes.fromhex(text.replace("|", " "))


def dps(gyr_rad_s: np.ndarray) -> np.ndarray:
    return np.degrees(gyr_rad_s)


# --- WitMotion (ble-devices.md 1.2-1.4) ---------------------------------------------------

WIT_FRAME = h("55 61 10 00 F0 FF 00 08 00 00 10 00 F6 FF B6 00 4A FF 00 40")


def test_witmotion_data_frame_vector():
    out = witmotion.WitMotionDecoder().feed(witmotion.NOTIFY_UUID, WIT_FRAME)
    assert len(out) == 1
    # raw (16, -16, 2048, 0, 16, -10, 182, -182, 16384), scales /32768 * (16 g, 2000, 180)
    np.testing.assert_allclose(out.acc_m_s2[0] / G, np.array([16, -16, 2048]) / 32768 * 16)
    np.testing.assert_allclose(out.acc_m_s2[0] / G, [0.0078, -0.0078, 1.0000], atol=5e-5)
    np.testing.assert_allclose(dps(out.gyr_rad_s[0]), np.array([0, 16, -10]) / 32768 * 2000)
    np.testing.assert_allclose(dps(out.gyr_rad_s[0]), [0.000, 0.977, -0.610], atol=5e-4)
    angles = [out.extra[name][0] for name in ("roll_deg", "pitch_deg", "yaw_deg")]
    np.testing.assert_allclose(angles, [0.9998, -0.9998, 90.000], atol=1e-4)
    assert out.seq is None and out.device_t_s is None


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "55 71 3A 00 68 01 69 00 7A 00 00 00 00 00 00 00 00 00 00 00",
            {0x3A: 360, 0x3B: 105, 0x3C: 122},
        ),
        ("55 71 51 00 FF 7F" + " 00" * 14, {0x51: 32767, 0x52: 0}),
        ("55 71 40 00 E6 09" + " 00" * 14, {0x40: 2534}),
        ("55 71 64 00 88 01" + " 00" * 14, {0x64: 392}),
    ],
)
def test_witmotion_register_reply_vectors(reply, expected):
    decoder = witmotion.WitMotionDecoder()
    assert len(decoder.feed(witmotion.NOTIFY_UUID, h(reply))) == 0
    for register, value in expected.items():
        assert decoder.registers_[register] == value
    assert len(decoder.registers_) == 8


def test_witmotion_register_scales():
    assert pytest.approx(0.99997, abs=5e-6) == 32767 * witmotion.QUATERNION_PER_LSB
    assert pytest.approx(25.34) == 2534 * witmotion.TEMPERATURE_C_PER_LSB
    assert pytest.approx(3.92) == 392 * witmotion.BATTERY_V_PER_LSB


def test_witmotion_command_vectors():
    assert witmotion.read_register_command(0x3A) == h("FF AA 27 3A 00")
    assert witmotion.read_register_command(0x72) == h("FF AA 27 72 00")
    assert witmotion.rate_command(50.0) == h("FF AA 03 08 00")
    assert witmotion.rate_command(10.0) == h("FF AA 03 06 00")
    assert h("FF AA 69 88 B5") == witmotion.UNLOCK
    assert h("FF AA 00 00 00") == witmotion.SAVE
    # new Android SDK: 1/5/10/50/100/200 Hz -> 3/5/6/8/9/11
    for rate_hz, code in {1: 3, 5: 5, 10: 6, 50: 8, 100: 9, 200: 11}.items():
        assert witmotion.rate_command(float(rate_hz)) == bytes([0xFF, 0xAA, 0x03, code, 0x00])


def test_witmotion_start_is_unlock_rate_save_with_pauses():
    writes = witmotion.PROFILE.start_commands(50.0)
    assert [w.data for w in writes] == [
        h("FF AA 69 88 B5"),
        h("FF AA 03 08 00"),
        h("FF AA 00 00 00"),
    ]
    assert [w.pause_after_s for w in writes] == [0.1, 0.1, 0.0]
    assert {w.char_uuid for w in writes} == {"0000ffe9-0000-1000-8000-00805f9a34fb"}


def test_witmotion_int16_extremes():
    frame = h("55 61 FF 7F 00 80 00 00 FF 7F 00 80 00 00 FF 7F 00 80 00 00")
    out = witmotion.WitMotionDecoder().feed(witmotion.NOTIFY_UUID, frame)
    np.testing.assert_allclose(out.acc_m_s2[0] / G, [32767 / 2048, -16.0, 0.0])
    np.testing.assert_allclose(dps(out.gyr_rad_s[0]), [32767 / 32768 * 2000, -2000.0, 0.0])
    assert out.extra["roll_deg"][0] == pytest.approx(32767 / 32768 * 180)
    assert out.extra["pitch_deg"][0] == -180.0


def test_witmotion_concatenated_frames_and_interleaved_reply():
    reply = h("55 71 64 00 88 01" + " 00" * 14)
    decoder = witmotion.WitMotionDecoder()
    out = decoder.feed(witmotion.NOTIFY_UUID, WIT_FRAME + reply + WIT_FRAME)
    assert len(out) == 2
    assert decoder.registers_[0x64] == 392


# --- MetaMotion (ble-devices.md 2.1-2.4) --------------------------------------------------

MW_PACKED = "62 B7 53 0D E9 FD 16 D0 4D 0E 57 02 8A FF A1 05 0A 01"
MW_PACKED_G = [(-4.539, 0.833, -0.131), (-2.995, 0.894, 0.146), (-0.029, 0.352, 0.065)]
MW_GYRO_PACKED = h("13 07 09 15 AD 26 08 DE 8A 1A 0D 26 65 E4 8D 20 AC 27 73 EC")
MW_GYRO_PACKED_DPS = [
    (164.177, 301.860, -265.122),
    (207.134, 296.982, -215.457),
    (254.055, 309.634, -152.591),
]


def test_metamotion_acc_vector():
    kind, acc = metamotion.decode_data(h("03 04 16 C4 94 A2 2A D0"), "bmi160", 4.0, 2000.0)
    assert kind == "acc"
    np.testing.assert_allclose(acc[0] / G, np.array([-15338, -23916, -12246]) / 8192)
    np.testing.assert_allclose(acc[0] / G, [-1.872, -2.919, -1.495], atol=5e-4)


@pytest.mark.parametrize(("imu", "header"), [("bmi160", "03 1C"), ("bmi270", "03 05")])
def test_metamotion_packed_acc_vector(imu, header):
    kind, acc = metamotion.decode_data(h(f"{header} {MW_PACKED}"), imu, 8.0, 2000.0)
    assert kind == "acc"
    np.testing.assert_allclose(acc / G, MW_PACKED_G, atol=5e-4)


def test_metamotion_gyro_vectors_with_int16_extremes():
    kind, gyr = metamotion.decode_data(h("13 05 3E 43 FF 7F 00 80"), "bmi160", 2.0, 500.0)
    assert kind == "gyr"
    np.testing.assert_allclose(dps(gyr[0]), np.array([17214, 32767, -32768]) / 65.6)
    np.testing.assert_allclose(dps(gyr[0]), [262.409, 499.497, -499.512], atol=5e-4)
    kind, gyr = metamotion.decode_data(MW_GYRO_PACKED, "bmi160", 2.0, 1000.0)
    np.testing.assert_allclose(dps(gyr), MW_GYRO_PACKED_DPS, atol=5e-4)


def test_metamotion_config_vectors():
    assert metamotion.acc_config_command("bmi160", 200.0, 8.0) == h("03 03 29 08")
    assert metamotion.acc_config_command("bmi270", 200.0, 8.0) == h("03 03 A9 02")
    assert metamotion.acc_config_command("bmi160", 100.0, 2.0) == h("03 03 28 03")
    assert metamotion.acc_config_command("bmi160", 50.0, 4.0) == h("03 03 27 05")
    assert metamotion.gyro_config_command(200.0, 2000.0) == h("13 03 29 00")
    assert metamotion.gyro_config_command(100.0, 250.0) == h("13 03 28 03")
    assert metamotion.gyro_config_command(50.0, 125.0) == h("13 03 27 04")
    assert metamotion.gyro_config_command(50.0, 1000.0) == h("13 03 27 01")
    bmi160 = {
        12.5: 0x25,
        25: 0x26,
        50: 0x27,
        100: 0x28,
        200: 0x29,
        400: 0x2A,
        800: 0x2B,
        1600: 0x2C,
    }
    bmi270 = {
        12.5: 0xA5,
        25: 0xA6,
        50: 0xA7,
        100: 0xA8,
        200: 0xA9,
        400: 0xAA,
        800: 0xAB,
        1600: 0xAC,
    }
    for rate_hz, odr_byte in bmi160.items():
        assert metamotion.acc_config_command("bmi160", rate_hz, 16.0)[2:] == bytes([odr_byte, 0x0C])
    for rate_hz, odr_byte in bmi270.items():
        assert metamotion.acc_config_command("bmi270", rate_hz, 16.0)[2:] == bytes([odr_byte, 0x03])
    gyro_codes = {25: 6, 50: 7, 100: 8, 200: 9, 400: 0xA, 800: 0xB, 1600: 0xC, 3200: 0xD}
    for rate_hz, code in gyro_codes.items():
        assert metamotion.gyro_config_command(rate_hz, 2000.0)[2] == code | 0x20  # bwp 2
    with pytest.raises(ValueError, match="rate"):
        metamotion.acc_config_command("bmi160", 150.0, 8.0)


def test_metamotion_module_info_vectors():
    info = metamotion.decode_module_info(h("03 80 01 01"))
    assert (info.implementation, info.revision) == (1, 1)
    assert metamotion.imu_from_acc_info(info) == "bmi160"
    assert metamotion.imu_from_acc_info(metamotion.decode_module_info(h("03 80 04 00"))) == "bmi270"
    gyro = metamotion.decode_module_info(h("13 80 01 00"))
    assert (gyro.module, gyro.implementation, gyro.revision) == (0x13, 1, 0)
    fusion = metamotion.decode_module_info(h("19 80 00 03 03 00 06 00 02 00 01 00"))
    assert (fusion.module, fusion.implementation, fusion.revision) == (0x19, 0, 3)
    absent = metamotion.decode_module_info(h("15 80"))
    assert absent.implementation is None
    with pytest.raises(DecodeError):
        metamotion.imu_from_acc_info(absent)


def test_metamotion_profile_asks_for_the_imu_and_switches_to_the_variant_named():
    (ask,) = metamotion.PROFILE.identify_commands()
    assert (ask.char_uuid, ask.data) == (metamotion.COMMAND_UUID, h("03 80"))
    s = metamotion.PROFILE.variant_from_reply(h("03 80 04 00"))
    assert s == metamotion.PROFILE_BMI270 and s.label == "MbientLab MetaMotion S (BMI270)"
    assert metamotion.PROFILE_BMI270.variant_from_reply(h("03 80 01 01")) == metamotion.PROFILE
    for other in ("13 80 01 00", f"03 1C {MW_PACKED}", "03 81 00"):  # not the reply
        assert metamotion.PROFILE.variant_from_reply(h(other)) is None, other
    for unknown in ("03 80 09 00", "03 80"):  # another IMU; no accelerometer
        with pytest.raises(DecodeError, match="implementation"):
            metamotion.PROFILE.variant_from_reply(h(unknown))
    # One-variant models ask nothing.
    assert all(p.identify_commands() == [] for k, p in PROFILES.items() if k != "metamotion")


@pytest.mark.parametrize(
    ("profile", "acc_packed", "gyro_packed", "acc_config", "gyro_config"),
    [
        (metamotion.PROFILE, "03 1C", "13 07", "03 03 27 0C", "13 03 27 00"),
        (metamotion.PROFILE_BMI270, "03 05", "13 05", "03 03 A7 03", "13 03 27 00"),
    ],
)
def test_metamotion_start_stop_sequence(profile, acc_packed, gyro_packed, acc_config, gyro_config):
    # ble-devices.md 2.4: config, subscribe (packed), 03 02 01 00, 03 01 01, 13 02 01 00,
    # 13 01 01; stop: 03 01 00, 03 02 00 01, 13 01 00, 13 02 00 01, unsubscribe.
    start = [w.data for w in profile.start_commands(50.0)]
    assert start == [
        h(acc_config),
        h(gyro_config),
        h(f"{acc_packed} 01"),
        h(f"{gyro_packed} 01"),
        h("03 02 01 00"),
        h("03 01 01"),
        h("13 02 01 00"),
        h("13 01 01"),
    ]
    stop = [w.data for w in profile.stop_commands()]
    assert stop == [
        h("03 01 00"),
        h("03 02 00 01"),
        h("13 01 00"),
        h("13 02 00 01"),
        h(f"{acc_packed} 00"),
        h(f"{gyro_packed} 00"),
    ]
    writes = profile.start_commands(50.0) + profile.stop_commands()
    assert all(w.char_uuid == "326a9001-85cb-9195-d9dd-464cfbbae75a" for w in writes)
    assert not any(w.response for w in writes)


def test_metamotion_decoder_pairs_acc_and_gyro_packets():
    decoder = metamotion.MetaMotionDecoder("bmi160", 8.0, 1000.0)
    assert len(decoder.feed(metamotion.NOTIFY_UUID, h(f"03 1C {MW_PACKED}"))) == 0
    out = decoder.feed(metamotion.NOTIFY_UUID, MW_GYRO_PACKED)
    assert len(out) == 3
    np.testing.assert_allclose(out.acc_m_s2 / G, MW_PACKED_G, atol=5e-4)
    np.testing.assert_allclose(dps(out.gyr_rad_s), MW_GYRO_PACKED_DPS, atol=5e-4)
    assert out.seq is None and out.device_t_s is None


def test_metamotion_decoder_drops_samples_too_far_ahead():
    decoder = metamotion.MetaMotionDecoder("bmi160", 8.0, 1000.0, max_lead_samples=6)
    first = h("03 1C" + " 00" * 18)
    newer = h(f"03 1C {MW_PACKED}")
    for payload in (first, newer, newer):
        assert len(decoder.feed(metamotion.NOTIFY_UUID, payload)) == 0
    assert decoder.unpaired_dropped_ == 3  # the oldest packet lost its partner
    out = decoder.feed(metamotion.NOTIFY_UUID, MW_GYRO_PACKED)
    np.testing.assert_allclose(out.acc_m_s2 / G, MW_PACKED_G, atol=5e-4)


def test_metamotion_read_reply_carries_no_samples():
    decoder = metamotion.MetaMotionDecoder("bmi160", 8.0, 1000.0)
    assert len(decoder.feed(metamotion.NOTIFY_UUID, h("03 80 01 01"))) == 0


# --- Movesense (ble-devices.md 3.1-3.3) ---------------------------------------------------

MOVESENSE_IMU6 = h(
    "02 63 10 27 00 00 | 00 00 00 00 00 00 00 00 C3 F5 1C 41 | CD CC CC 3D CD CC 4C BE CD CC 1C 41"
    " | 00 00 80 3F 00 00 00 00 00 00 80 BF | 00 00 00 3F 00 00 80 3E 00 00 00 00"
)


def test_movesense_command_vectors():
    (start,) = movesense.PROFILE.start_commands(52.0)
    assert start.data == h("01 63 2F 4D 65 61 73 2F 49 4D 55 36 2F 35 32")
    assert start.response
    (stop,) = movesense.PROFILE.stop_commands()
    assert stop.data == h("02 63")
    assert start.char_uuid == stop.char_uuid == "34800001-7185-4d5d-b431-630e7050e8f0"


def test_movesense_imu6_vector():
    decoder = movesense.PROFILE.new_decoder(52.0)
    out = decoder.feed(movesense.DATA_UUID, MOVESENSE_IMU6)
    np.testing.assert_allclose(out.acc_m_s2, [(0, 0, 9.81), (0.1, -0.2, 9.8)], rtol=1e-6)
    np.testing.assert_allclose(dps(out.gyr_rad_s), [(1, 0, -1), (0.5, 0.25, 0)], rtol=1e-6)
    # timestamp 10000 ms, taken as the first sample's; the next one a period later
    np.testing.assert_allclose(out.device_t_s, [10.0, 10.0 + 1 / 52])
    assert out.seq is None


def test_movesense_command_result_status():
    decoder = movesense.MovesenseDecoder(52.0)
    assert len(decoder.feed(movesense.DATA_UUID, h("01 63 01 FB"))) == 0
    assert decoder.last_result_.reference == 0x63
    assert decoder.last_result_.status == 507
    decoder.feed(movesense.DATA_UUID, bytes([1, 0x63]) + b"Hello")
    assert decoder.last_result_.status is None and decoder.last_result_.body == b"Hello"


def test_movesense_data_for_another_reference_is_rejected():
    other = bytes([2, 0x05]) + MOVESENSE_IMU6[2:]
    with pytest.raises(DecodeError, match="reference"):
        movesense.MovesenseDecoder(52.0).feed(movesense.DATA_UUID, other)


def test_movesense_data_part2_is_not_guessed():
    with pytest.raises(DecodeError, match="DATA_PART2"):
        movesense.MovesenseDecoder(52.0).feed(movesense.DATA_UUID, bytes([3]) + MOVESENSE_IMU6[1:])


def test_movesense_virtual_hello_and_unknown_path():
    sensor = movesense.VirtualMovesense()
    assert sensor.on_write(movesense.COMMAND_UUID, h("00 07")) == [
        (movesense.DATA_UUID, bytes([1, 7]) + b"Hello")
    ]
    reply = sensor.on_write(movesense.COMMAND_UUID, h("01 07") + b"/Meas/IMU6/50")
    assert movesense.decode_result(reply[0][1]).status == 404
    assert not sensor.streaming
    reply = sensor.on_write(movesense.COMMAND_UUID, h("01 07") + b"Meas/IMU6/104")
    assert movesense.decode_result(reply[0][1]).status == 200
    assert sensor.streaming and sensor.rate_hz == 104.0


# --- Movella DOT (ble-devices.md 4.1-4.2) -------------------------------------------------

DOT_RATE_QUANTITIES = h(
    "40 42 0F 00 CD CC CC 3D CD CC 4C 3E C3 F5 1C 41 00 00 C0 3F 00 00 00 C0 00 00 00 00"
)


def test_dot_command_vectors():
    start = dot.PROFILE.start_commands(60.0)
    assert start[-1].data == h("01 01 15")
    assert start[-1].char_uuid == "15172001-4947-11e9-8646-d663bd873d93"
    (stop,) = dot.PROFILE.stop_commands()
    assert stop.data == h("01 00 15")


def test_dot_output_rate_write_layout():
    # UNCERTAIN offsets: visit bitmask at byte 0 (b4 = output rate), rate uint16 at byte 24
    (rate_write, _) = dot.PROFILE.start_commands(30.0)
    assert rate_write.char_uuid == "15171002-4947-11e9-8646-d663bd873d93"
    assert len(rate_write.data) == 32
    assert rate_write.data[0] == 0x10
    assert rate_write.data[24:26] == h("1E 00")
    assert not any(rate_write.data[1:24] + rate_write.data[26:])


@pytest.mark.parametrize("padding", [0, 12])
def test_dot_rate_quantities_vector(padding):
    out = dot.DotDecoder().feed(dot.MEDIUM_PAYLOAD_UUID, DOT_RATE_QUANTITIES + bytes(padding))
    np.testing.assert_allclose(out.device_t_s, [1.0])
    np.testing.assert_allclose(out.acc_m_s2, [(0.1, 0.2, 9.81)], rtol=1e-6)
    np.testing.assert_allclose(dps(out.gyr_rad_s), [(1.5, -2.0, 0.0)], rtol=1e-6)
    assert out.seq is None


def test_dot_battery():
    assert dot.PROFILE.decode_battery(h("5A 01")) == 90
    assert dot.decode_battery(h("5A 01")) == (90, True)
    with pytest.raises(DecodeError):
        dot.decode_battery(h("65 00"))


# --- DIY format 1 (firmware_notes/diy.md, vectors derived by hand there) ------------------

DIY_TWO_SAMPLES = h(
    "01 02 FF FF 40 42 0F 00 | 00 00 00 00 00 08 68 06 CC FC 00 00"
    " | 00 80 00 04 00 08 FF 7F 00 00 F0 FF"
)
DIY_BEFORE_WRAP = h("01 01 00 00 F0 D8 FF FF | 00 00 00 00 00 08 00 00 00 00 00 00")
DIY_AFTER_WRAP = h("01 01 01 00 00 00 00 00 | 00 00 00 00 00 08 00 00 00 00 00 00")


def test_diy_two_sample_vector_with_seq_wrap_inside_the_packet():
    out = diy.DiyDecoder(100.0).feed(diy.DATA_UUID, DIY_TWO_SAMPLES)
    np.testing.assert_array_equal(out.seq, [65535, 65536])
    np.testing.assert_allclose(out.device_t_s, [1.0, 1.01])
    np.testing.assert_allclose(out.acc_m_s2 / G, [(0, 0, 1), (-16, 0.5, 1)])
    np.testing.assert_allclose(dps(out.gyr_rad_s), [(100, -50, 0), (32767 / 16.4, 0, -16 / 16.4)])


def test_diy_device_time_wrap_between_packets():
    decoder = diy.DiyDecoder(100.0)
    before = decoder.feed(diy.DATA_UUID, DIY_BEFORE_WRAP)
    after = decoder.feed(diy.DATA_UUID, DIY_AFTER_WRAP)
    assert before.device_t_s[0] == pytest.approx((2**32 - 10_000) / 1e6)
    assert after.device_t_s[0] == pytest.approx(2**32 / 1e6)
    assert (before.seq[0], after.seq[0]) == (0, 1)


def test_diy_command_vectors():
    assert diy.PROFILE.start_commands(100.0)[0].data == h("01 64 00")
    assert diy.PROFILE.start_commands(200.0)[0].data == h("01 C8 00")
    assert diy.PROFILE.stop_commands()[0].data == h("00")


def test_diy_samples_per_packet_fit_the_att_payload():
    assert diy.max_samples_per_packet(244) == 19
    assert diy.max_samples_per_packet(20) == 1
    assert [diy.samples_per_packet(rate, 244) for rate in diy.RATES_HZ] == [1, 1, 2, 4, 8]
    for att_payload_bytes in (20, 23, 100, 244):
        for rate_hz in diy.RATES_HZ:
            sensor = diy.VirtualDiy(att_payload_bytes=att_payload_bytes)
            sensor.on_write(diy.COMMAND_UUID, diy.start_command(rate_hz))
            n = 40
            notifications = sensor.encode(
                np.zeros((n, 3)), np.zeros((n, 3)), np.arange(n) / rate_hz
            )
            assert notifications
            assert max(len(payload) for _, payload in notifications) <= att_payload_bytes


def test_diy_decoder_rejects_other_format_versions():
    with pytest.raises(DecodeError, match="version"):
        diy.DiyDecoder(100.0).feed(diy.DATA_UUID, b"\x02" + DIY_BEFORE_WRAP[1:])


# --- shared pieces ------------------------------------------------------------------------


def test_counter_unwrapper_continues_across_wraps_and_shows_restarts():
    unwrap = CounterUnwrapper(65536)
    assert [unwrap(v) for v in (65534, 65535, 0, 3)] == [65534, 65535, 65536, 65539]
    assert unwrap(10) == 65546  # 6 more counts: 3 lost samples after 3 ... 10
    assert unwrap(5) == 65541  # a step back stays a step back (device restart)


@pytest.mark.parametrize(
    ("model", "decoder_uuid", "payload", "wrap"),
    [
        ("dot", dot.MEDIUM_PAYLOAD_UUID, DOT_RATE_QUANTITIES, 2**32 / 1e6),
        ("movesense", movesense.DATA_UUID, MOVESENSE_IMU6, 2**32 / 1e3),
    ],
)
def test_device_clock_wrap_is_unwrapped(model, decoder_uuid, payload, wrap):
    decoder = PROFILES[model].new_decoder(52.0)
    near_end = bytearray(payload)
    stamp_offset = 0 if model == "dot" else 2
    near_end[stamp_offset : stamp_offset + 4] = (2**32 - 1).to_bytes(4, "little")
    first = decoder.feed(decoder_uuid, bytes(near_end))
    second = decoder.feed(decoder_uuid, payload)
    stamp_units_s = 1e-6 if model == "dot" else 1e-3
    expected_second = (
        wrap + int.from_bytes(payload[stamp_offset : stamp_offset + 4], "little") * stamp_units_s
    )
    assert first.device_t_s[0] == pytest.approx((2**32 - 1) * stamp_units_s)
    assert second.device_t_s[0] == pytest.approx(expected_second)


def test_decoded_samples_empty_and_battery_level():
    empty = DecodedSamples.empty()
    assert len(empty) == 0 and empty.acc_m_s2.shape == (0, 3) and empty.gyr_rad_s.shape == (0, 3)
    assert decode_battery_level(b"\x5a") == 90
    for bad in (b"", b"\x65", b"\x01\x02"):
        with pytest.raises(DecodeError):
            decode_battery_level(bad)


def test_identify():
    assert identify("WT901BLE67", []).model == "witmotion"
    assert identify(None, ["326A9000-85CB-9195-D9DD-464CFBBAE75A"]).model == "metamotion"
    assert identify("Movesense 174630000192", []).model == "movesense"
    assert identify("Xsens DOT", []).model == "dot"
    assert identify("Movella DOT", []).model == "dot"
    assert identify("sensorlab-00A1", []).model == "diy"
    assert identify(None, [diy.SERVICE_UUID]).model == "diy"
    assert identify("Polar H10 1234", ["0000180d-0000-1000-8000-00805f9b34fb"]) is None
    assert identify(None, []) is None


def test_nearest_rate():
    profile = PROFILES["diy"]
    assert profile.nearest_rate(100.0) == 100.0
    assert profile.nearest_rate(75.0) == 50.0  # a tie goes to the lower rate
    assert profile.nearest_rate(1000.0) == 400.0
    assert profile.nearest_rate(1.0) == 25.0
    with pytest.raises(ValueError, match="positive"):
        profile.nearest_rate(0.0)


# --- malformed input ----------------------------------------------------------------------

_DIY_NEXT = h("01 02 01 00 60 90 0F 00" + " 00 00 00 00 00 08 00 00 00 00 00 00" * 2)
"""Two samples, seq 1, device time 1 020 000 us: the packet right after DIY_TWO_SAMPLES."""

# model -> (notify UUID, a good packet, payloads that must raise DecodeError)
MALFORMED = {
    "witmotion": (
        witmotion.NOTIFY_UUID,
        WIT_FRAME,
        [
            b"",
            WIT_FRAME[:14],
            h("54 61") + WIT_FRAME[2:],
            h("55 62") + WIT_FRAME[2:],
            WIT_FRAME + b"\x55",
        ],
    ),
    "metamotion": (
        metamotion.NOTIFY_UUID,
        h(f"03 1C {MW_PACKED}"),
        [
            b"",
            h("03"),
            h(f"03 1C {MW_PACKED}")[:-2],
            h(f"03 1D {MW_PACKED}"),
            h("03 04 16 C4 94 A2 2A D0 00"),
        ],
    ),
    "movesense": (
        movesense.DATA_UUID,
        MOVESENSE_IMU6,
        [
            b"",
            MOVESENSE_IMU6[:29],
            b"\x04" + MOVESENSE_IMU6[1:],
            MOVESENSE_IMU6 + b"\x00",
            MOVESENSE_IMU6[:30] + h("00 00 C0 7F") + MOVESENSE_IMU6[34:],  # a NaN
        ],
    ),
    "dot": (
        dot.MEDIUM_PAYLOAD_UUID,
        DOT_RATE_QUANTITIES,
        [
            b"",
            DOT_RATE_QUANTITIES[:27],
            DOT_RATE_QUANTITIES + bytes(13),
            DOT_RATE_QUANTITIES + b"\x01",
            DOT_RATE_QUANTITIES[:4] + h("00 00 80 7F") + DOT_RATE_QUANTITIES[8:],  # +inf
        ],
    ),
    "diy": (
        diy.DATA_UUID,
        DIY_TWO_SAMPLES,
        [
            b"",
            DIY_TWO_SAMPLES[:7],
            DIY_TWO_SAMPLES[:31],
            b"\x00" + DIY_TWO_SAMPLES[1:],
            h("01 00") + DIY_TWO_SAMPLES[2:8],
            DIY_TWO_SAMPLES + b"\x00",
        ],
    ),
}


def _decoder(model: str):
    """A decoder for the vectors above (ranges of the MetaMotion packed vector: ±8 g)."""
    if model == "metamotion":
        return metamotion.MetaMotionDecoder("bmi160", 8.0, 1000.0)
    return PROFILES[model].new_decoder(100.0 if model == "diy" else 52.0)


def _feed_good(model: str, decoder, payload: bytes) -> DecodedSamples:
    out = decoder.feed(MALFORMED[model][0], payload)
    if model == "metamotion":  # acc waits for its gyroscope partner
        out = decoder.feed(MALFORMED[model][0], MW_GYRO_PACKED)
    return out


@pytest.mark.parametrize("model", sorted(MALFORMED))
def test_malformed_payloads_raise_decode_error_and_leave_the_decoder_usable(model):
    uuid, good, bad_payloads = MALFORMED[model]
    decoder = _decoder(model)
    first = _feed_good(model, decoder, good)
    for payload in bad_payloads:
        with pytest.raises(DecodeError) as raised:
            decoder.feed(uuid, payload)
        assert raised.value.reason
    with pytest.raises(DecodeError, match="characteristic"):
        decoder.feed("00002a19-0000-1000-8000-00805f9b34fb", good)
    next_good = _DIY_NEXT if model == "diy" else good
    second = _feed_good(model, decoder, next_good)
    np.testing.assert_allclose(
        second.acc_m_s2, _feed_good(model, _decoder(model), next_good).acc_m_s2
    )
    if model == "diy":  # state carried on across the garbage: seq and time continue
        np.testing.assert_array_equal(second.seq, [65537, 65538])
        np.testing.assert_allclose(second.device_t_s, [1.02, 1.03])
    elif first.device_t_s is not None:
        np.testing.assert_allclose(second.device_t_s, first.device_t_s)


@pytest.mark.parametrize("model", sorted(MALFORMED))
def test_random_garbage_raises_only_decode_error(model):
    uuid, good, _ = MALFORMED[model]
    rng = np.random.default_rng(5)
    decoder = _decoder(model)
    outcomes = {"rejected": 0, "decoded": 0}
    for i in range(3000):
        payload = rng.integers(0, 256, rng.integers(0, 64), dtype=np.uint8).tobytes()
        if i % 2:  # half start like a real packet, to get past the header checks
            payload = good[: rng.integers(1, len(good) + 1)] + payload
        try:
            out = decoder.feed(uuid, payload)
        except DecodeError:
            outcomes["rejected"] += 1
            continue
        outcomes["decoded"] += 1
        assert len(out) == len(out.gyr_rad_s)
        assert np.isfinite(out.acc_m_s2).all() and np.isfinite(out.gyr_rad_s).all()
    assert outcomes["rejected"] > 1000
    after = _feed_good(model, decoder, good)
    assert len(after) >= 1 and np.isfinite(after.acc_m_s2).all()


# --- virtual devices: start/stop and round trips ------------------------------------------

# model -> (acc counts per m/s^2, gyro counts per rad/s); None: float32 on the wire
QUANTISATION = {
    "witmotion": (2048 / G, np.degrees(1) * 32768 / 2000),
    "metamotion": (2048 / G, np.degrees(1) * 16.4),
    "movesense": (None, None),
    "dot": (None, None),
    "diy": (2048 / G, np.degrees(1) * 16.4),
}


def _start(model: str, rate_hz: float):
    profile = PROFILES[model]
    sensor = VIRTUAL_DEVICES[model]()
    for write in profile.start_commands(rate_hz):
        sensor.on_write(write.char_uuid, write.data)
    return profile, sensor


@pytest.mark.parametrize("model", sorted(PROFILES))
@pytest.mark.parametrize("requested_hz", [1.0, 33.0, 100.0, 250.0])
def test_start_and_stop_commands_drive_the_virtual_device(model, requested_hz):
    profile, sensor = _start(model, requested_hz)
    assert sensor.streaming
    assert sensor.rate_hz == profile.nearest_rate(requested_hz)
    assert sensor.encode(np.zeros((6, 3)), np.zeros((6, 3)), np.arange(6) / sensor.rate_hz)
    for write in profile.stop_commands():
        sensor.on_write(write.char_uuid, write.data)
    assert not sensor.streaming
    assert sensor.encode(np.zeros((6, 3)), np.zeros((6, 3)), np.arange(6.0)) == []


@pytest.mark.parametrize("model", sorted(PROFILES))
def test_virtual_device_exposes_what_the_profile_uses(model):
    profile = PROFILES[model]
    sensor = VIRTUAL_DEVICES[model]()
    characteristics = {
        c.uuid: c.properties for service in sensor.gatt_services() for c in service.characteristics
    }
    for uuid in profile.notify_uuids:
        assert "notify" in characteristics[uuid]
    for write in profile.start_commands(50.0) + profile.stop_commands():
        assert ("write" if write.response else "write_without_response") in characteristics[
            write.char_uuid
        ]
    if profile.battery_uuid:
        assert "read" in characteristics[profile.battery_uuid]
    assert identify(sensor.advertised_name, list(sensor.advertised_service_uuids)) is profile


def test_characteristic_spec_takes_any_iterable_and_rejects_unknown_properties():
    spec = CharacteristicSpec("ffe4", ["notify", "read", "notify"], bytearray(b"\x55"))
    assert spec.properties == frozenset({"notify", "read"})
    assert spec.value == b"\x55" and isinstance(spec.value, bytes)
    with pytest.raises(ValueError, match="indicate"):
        CharacteristicSpec("ffe4", ["notify", "indicate"])
    with pytest.raises(ValueError, match="ffe9"):
        CharacteristicSpec("ffe9", [])


@pytest.mark.parametrize("model", sorted(PROFILES))
def test_round_trip_over_random_motion(model):
    rng = np.random.default_rng(11)
    requested_hz = 100.0
    profile, sensor = _start(model, requested_hz)
    rate_hz = sensor.rate_hz
    n = 500
    acc = rng.uniform(-0.95, 0.95, (n, 3)) * 16 * G
    gyr = np.radians(rng.uniform(-0.95, 0.95, (n, 3)) * 1900)
    device_t = 123.456 + np.arange(n) / rate_hz
    notifications = []
    for chunk in np.array_split(np.arange(n), np.sort(rng.choice(n, 40, replace=False))):
        notifications += sensor.encode(acc[chunk], gyr[chunk], device_t[chunk])
    decoder = profile.new_decoder(requested_hz)
    decoded = [decoder.feed(uuid, payload) for uuid, payload in notifications]
    got_acc = np.concatenate([d.acc_m_s2 for d in decoded])
    got_gyr = np.concatenate([d.gyr_rad_s for d in decoded])
    m = len(got_acc)
    assert 0 <= n - m < 4  # devices that pack hold back at most an incomplete packet
    acc_lsb, gyr_lsb = QUANTISATION[model]
    if acc_lsb is None:  # float32 on the wire
        np.testing.assert_allclose(got_acc, acc[:m], rtol=1e-7, atol=1e-6)
        np.testing.assert_allclose(got_gyr, gyr[:m], rtol=1e-7, atol=1e-7)
    else:
        assert np.abs(got_acc - acc[:m]).max() <= 0.5 / acc_lsb + 1e-12
        assert np.abs(got_gyr - gyr[:m]).max() <= 0.5 / gyr_lsb + 1e-12
        assert np.abs(got_acc - acc[:m]).max() > 0.1 / acc_lsb  # it was quantised
    if decoded[0].device_t_s is not None:
        got_t = np.concatenate([d.device_t_s for d in decoded])
        tolerance_s = 0.5e-3 if model == "movesense" else 0.5e-6
        np.testing.assert_allclose(got_t, device_t[:m], rtol=0, atol=tolerance_s + 1e-9)
    if decoded[0].seq is not None:
        np.testing.assert_array_equal(np.concatenate([d.seq for d in decoded]), np.arange(m))


def test_encoders_reproduce_the_spec_vectors():
    wit_acc = np.array([[16, -16, 2048]]) / 2048 * G
    wit_gyr = np.radians(np.array([[0, 16, -10]]) / 32768 * 2000)
    wit_angle = np.array([[182, -182, 16384]]) / 32768 * 180
    assert witmotion.encode_data_frames(wit_acc, wit_gyr, wit_angle) == [WIT_FRAME]
    assert witmotion.encode_register_reply(0x3A, {0x3A: 360, 0x3B: 105, 0x3C: 122}) == h(
        "55 71 3A 00 68 01 69 00 7A 00 00 00 00 00 00 00 00 00 00 00"
    )
    imu6 = movesense.encode_imu6(
        0x63,
        10_000,
        np.array([(0, 0, 9.81), (0.1, -0.2, 9.8)]),
        np.radians([(1, 0, -1), (0.5, 0.25, 0)]),
    )
    assert imu6 == MOVESENSE_IMU6
    rate_quantities = dot.encode_rate_quantities(
        1_000_000, np.array([0.1, 0.2, 9.81]), np.radians([1.5, -2.0, 0.0])
    )
    assert rate_quantities == DOT_RATE_QUANTITIES + bytes(12)
    diy_packet = diy.encode_packet(
        65535,
        1_000_000,
        np.array([(0, 0, 1), (-16, 0.5, 1)]) * G,
        np.radians([(100, -50, 0), (32767 / 16.4, 0, -16 / 16.4)]),
    )
    assert diy_packet == DIY_TWO_SAMPLES


@pytest.mark.parametrize("model", ["witmotion", "metamotion", "diy"])
def test_encoder_saturates_at_the_int16_extremes(model):
    profile, sensor = _start(model, 100.0)
    acc = np.array([[20 * G, -20 * G, 16 * G]] * 3)
    gyr = np.radians(np.array([[2500.0, -2500.0, 0.0]] * 3))
    decoder = profile.new_decoder(100.0)
    outs = [decoder.feed(u, p) for u, p in sensor.encode(acc, gyr, np.arange(3) / 100.0)]
    out = next(o for o in outs if len(o))
    lsb_dps = 32768 / 2000 if model == "witmotion" else 16.4
    np.testing.assert_allclose(out.acc_m_s2[0] / G, [32767 / 2048, -16.0, 32767 / 2048])
    np.testing.assert_allclose(dps(out.gyr_rad_s[0]), [32767 / lsb_dps, -32768 / lsb_dps, 0.0])


def test_witmotion_virtual_answers_register_reads():
    sensor = witmotion.VirtualWitMotion(battery_v=3.92)
    ((uuid, reply),) = sensor.on_write(witmotion.WRITE_UUID, witmotion.read_register_command(0x64))
    assert reply == h("55 71 64 00 88 01" + " 00" * 14)
    decoder = witmotion.WitMotionDecoder()
    decoder.feed(uuid, reply)
    assert decoder.registers_[witmotion.BATTERY_VOLTAGE_REGISTER] == 392


def test_witmotion_virtual_streams_from_power_up_at_its_default_rate():
    sensor = witmotion.VirtualWitMotion()
    assert sensor.streaming and sensor.rate_hz == 10.0
    assert len(sensor.encode(np.zeros((4, 3)), np.zeros((4, 3)), np.arange(4.0))) == 4


@pytest.mark.parametrize("imu", ["bmi160", "bmi270"])
def test_metamotion_virtual_reports_its_imu_and_follows_the_config(imu):
    sensor = metamotion.VirtualMetaMotion(imu=imu)
    ((_, reply),) = sensor.on_write(metamotion.COMMAND_UUID, metamotion.module_info_command(0x03))
    assert metamotion.imu_from_acc_info(metamotion.decode_module_info(reply)) == imu
    assert sensor.on_write(metamotion.COMMAND_UUID, h("15 80")) == [
        (metamotion.NOTIFY_UUID, h("15 80"))
    ]
    profile = metamotion.PROFILE if imu == "bmi160" else metamotion.PROFILE_BMI270
    for write in profile.start_commands(200.0):
        sensor.on_write(write.char_uuid, write.data)
    assert (sensor.rate_hz, sensor.acc_range_g, sensor.gyro_range_dps) == (200.0, 16.0, 2000.0)
    packets = sensor.encode(np.zeros((3, 3)), np.zeros((3, 3)), np.arange(3) / 200.0)
    assert [len(payload) for _, payload in packets] == [20, 20]


def test_dot_rate_cannot_change_while_measuring():
    sensor = dot.VirtualDot()
    sensor.on_write(dot.DEVICE_CONTROL_UUID, dot.output_rate_command(30.0))
    sensor.on_write(dot.CONTROL_UUID, dot.measurement_command(start=True))
    sensor.on_write(dot.DEVICE_CONTROL_UUID, dot.output_rate_command(10.0))
    assert sensor.streaming and sensor.rate_hz == 30.0
