"""Talking to a board: a byte link (pyserial) and a request/reply session over it.

The session makes each request survive a noisy line: every request carries a fresh sequence
number; a reply is taken only when its sequence number matches (stale replies are skipped);
after a timeout, an ERROR reply or a failed CRC the line is drained until it falls quiet
(longer than the device's 50 ms inter-byte timeout, so its parser is back at "wait for start")
and the request is sent again.
"""

from __future__ import annotations

import time
from typing import Protocol

from codegen.device import protocol
from codegen.device.protocol import FrameDecoder, Message
from codegen.errors import UserError

QUIET_SECONDS = 0.1


class Link(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """What arrives within `timeout` seconds (b"" if nothing)."""
        ...

    def close(self) -> None: ...


class SerialLink:
    """A serial port through pyserial (a board's USB serial, or a pseudo-terminal in tests)."""

    def __init__(self, port: str, baud: int = 115200) -> None:
        try:
            import serial
        except ImportError:
            raise UserError(
                "device commands need pyserial; install it with: pip install 'mcugen[device]'"
            ) from None
        try:
            self.serial = serial.Serial(port, baud, timeout=0.1)
        except (serial.SerialException, OSError) as exc:
            raise UserError(
                f"cannot open serial port {port}: {exc}; plug the board in and check "
                "`pio device list`"
            ) from None

    def write(self, data: bytes) -> None:
        self.serial.write(data)
        self.serial.flush()

    def read(self, timeout: float) -> bytes:
        self.serial.timeout = max(timeout, 0.0)
        data = self.serial.read(1)
        if data and self.serial.in_waiting:
            data += self.serial.read(self.serial.in_waiting)
        return data

    def close(self) -> None:
        self.serial.close()


class Session:
    def __init__(self, link: Link, timeout: float = 1.0, retries: int = 5) -> None:
        self.link = link
        self.timeout = timeout
        self.retries = retries
        self.max_payload = protocol.MAX_PAYLOAD  # lowered to the device's buffer after HELLO
        self.decoder = FrameDecoder(self.max_payload)
        self.seq = 0
        self.recoveries = 0  # requests sent again after a timeout or a corrupted frame

    def ask(self, msg_type: int, body: bytes = b"", timeout: float | None = None) -> Message:
        """Sends one request and returns its reply, retrying through noise."""
        for attempt in range(self.retries + 1):
            if attempt:
                self.recoveries += 1
                self.drain()
            self.seq = (self.seq + 1) & 0xFF
            self.link.write(protocol.request(msg_type, self.seq, body))
            reply = self._await(msg_type | protocol.REPLY, self.timeout if timeout is None else timeout)
            if reply is not None:
                return reply
        raise UserError(
            f"the board did not answer after {self.retries + 1} tries; check the port, the baud "
            "rate and that it runs mcugen firmware (mcugen flash)"
        )

    def _await(self, reply_type: int, timeout: float) -> Message | None:
        """The reply to the current request, or None on timeout, ERROR or a corrupted frame."""
        deadline = time.monotonic() + timeout
        dropped = self.decoder.dropped
        while (left := deadline - time.monotonic()) > 0:
            for message in self.decoder.feed(self.link.read(min(left, 0.05))):
                if message.type == protocol.ERROR:
                    return None  # the device saw a damaged request: send it again
                if message.seq == self.seq and message.type == reply_type:
                    return message
            if self.decoder.dropped != dropped:
                return None  # our reply was probably the damaged frame
        return None

    def drain(self) -> None:
        """Reads until the line has been quiet for QUIET_SECONDS, then forgets partial frames."""
        deadline = time.monotonic() + max(self.timeout, 1.0)
        while self.link.read(QUIET_SECONDS) and time.monotonic() < deadline:
            pass
        self.decoder = FrameDecoder(self.max_payload)
