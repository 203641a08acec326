"""Host side of the mcugen serial protocol (spec: firmware/protocol/PROTOCOL.md).

Frame: 0xA5, payload length (uint16 LE), payload, CRC-16/CCITT-FALSE (uint16 LE) over the two
length bytes and the payload. Payload: message type, sequence number, body. Every number is
little-endian. The device side is firmware/protocol/mcugen_protocol.c.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

START = 0xA5
VERSION = 1
HELLO = 0x01
PREDICT = 0x02
PREDICT_SCORES = 0x03
REPLY = 0x80
ERROR = 0xFF
ERRORS = {1: "bad CRC", 2: "bad length", 3: "unknown message type", 4: "row has the wrong size"}
COUNTER_KINDS = {0: "cycles", 1: "microseconds", 2: "nanoseconds"}
INPUT_KINDS = {0: "float", 1: "signed integer", 2: "unsigned integer"}
MAX_PAYLOAD = 0xFFFF

_HELLO_BODY = struct.Struct("<BIHHBBBIH")


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final xor."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def encode_frame(payload: bytes) -> bytes:
    length = struct.pack("<H", len(payload))
    return bytes([START]) + length + payload + struct.pack("<H", crc16(length + payload))


def request(msg_type: int, seq: int, body: bytes = b"") -> bytes:
    return encode_frame(bytes([msg_type, seq & 0xFF]) + body)


@dataclass(frozen=True)
class Message:
    type: int
    seq: int
    body: bytes


class FrameDecoder:
    """Turns a byte stream into messages, skipping noise and frames whose CRC fails.

    A bad frame costs only its start byte: scanning resumes right after it, so a frame that
    follows garbage or a truncated frame is still found.
    """

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.buffer = bytearray()
        self.max_payload = max_payload
        self.dropped = 0  # frames rejected (bad CRC or impossible length)

    def feed(self, data: bytes) -> list[Message]:
        self.buffer.extend(data)
        messages = []
        while (message := self._next()) is not None:
            messages.append(message)
        return messages

    def _next(self) -> Message | None:
        while True:
            start = self.buffer.find(START)
            if start < 0:
                self.buffer.clear()
                return None
            del self.buffer[:start]
            if len(self.buffer) < 3:
                return None
            length = self.buffer[1] | self.buffer[2] << 8
            if length < 2 or length > self.max_payload:
                self._drop()
                continue
            if len(self.buffer) < 5 + length:
                return None
            frame = bytes(self.buffer[: 5 + length])
            if crc16(frame[1 : 3 + length]) != (frame[3 + length] | frame[4 + length] << 8):
                self._drop()
                continue
            del self.buffer[: 5 + length]
            return Message(frame[3], frame[4], frame[5 : 3 + length])

    def _drop(self) -> None:
        self.dropped += 1
        del self.buffer[:1]


@dataclass(frozen=True)
class Hello:
    version: int
    model_hash: int
    n_features: int
    n_outputs: int
    input_size: int
    input_kind: int
    counter_kind: int
    counter_hz: int
    max_payload: int

    @property
    def counter_unit(self) -> str:
        return COUNTER_KINDS.get(self.counter_kind, f"unknown counter {self.counter_kind}")


def parse_hello(body: bytes) -> Hello:
    return Hello(*_HELLO_BODY.unpack(body[: _HELLO_BODY.size]))


@dataclass(frozen=True)
class Prediction:
    prediction: int  # int32 as the model returned it
    cycles: int  # counter ticks the prediction took (unit: Hello.counter_unit)
    scores: tuple[int, ...] = ()


def parse_prediction(body: bytes, n_outputs: int = 0) -> Prediction:
    prediction, cycles = struct.unpack_from("<iI", body)
    scores = struct.unpack_from(f"<{n_outputs}i", body, 8) if n_outputs else ()
    return Prediction(prediction, cycles, tuple(scores))


def row_bytes(row: np.ndarray, dtype: np.dtype) -> bytes:
    """One row as the raw little-endian bytes of `<name>_input_t`."""
    return np.ascontiguousarray(row, dtype=dtype).tobytes()
