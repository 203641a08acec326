"""The host side of the protocol on its own: CRC, framing, decoding through noise."""

import struct

from codegen.device import protocol
from codegen.device.protocol import FrameDecoder


def test_crc_is_ccitt_false():
    assert protocol.crc16(b"123456789") == 0x29B1  # the catalogue's check value


def test_frame_layout():
    frame = protocol.request(protocol.PREDICT, 7, b"\x01\x02")
    assert frame[0] == 0xA5
    assert struct.unpack_from("<H", frame, 1)[0] == 4
    assert frame[3:7] == bytes([protocol.PREDICT, 7, 1, 2])
    assert struct.unpack_from("<H", frame, 7)[0] == protocol.crc16(frame[1:7])


def test_decoder_finds_frames_among_noise_and_split_reads():
    frames = [protocol.request(protocol.HELLO | protocol.REPLY, i, bytes(range(i))) for i in range(5)]
    noise = b"\x00\xa5\xff\xff"
    stream = noise + frames[0] + b"\xa5\x03" + frames[1] + frames[2][:-1] + b"\x00" + frames[3] + frames[4]
    decoder = FrameDecoder(max_payload=64)
    got = []
    for i in range(0, len(stream), 3):  # bytes arrive in small pieces
        got += decoder.feed(stream[i : i + 3])
    assert [m.seq for m in got] == [0, 1, 3, 4]  # frame 2 lost its CRC byte
    assert decoder.dropped >= 2


def test_decoder_rejects_single_bit_flips():
    frame = protocol.request(protocol.PREDICT | protocol.REPLY, 9, b"abcdefgh")
    for byte in range(len(frame)):
        for bit in range(8):
            damaged = bytearray(frame)
            damaged[byte] ^= 1 << bit
            assert FrameDecoder(max_payload=64).feed(bytes(damaged)) == []


def test_prediction_and_hello_parsing():
    body = struct.pack("<iI3i", -5, 1234, 1, -2, 3)
    p = protocol.parse_prediction(body, 3)
    assert (p.prediction, p.cycles, p.scores) == (-5, 1234, (1, -2, 3))
    hello = protocol.parse_hello(struct.pack("<BIHHBBBIH", 1, 0xDEADBEEF, 4, 3, 4, 0, 0, 16_000_000, 22))
    assert hello.model_hash == 0xDEADBEEF and hello.counter_unit == "cycles"
