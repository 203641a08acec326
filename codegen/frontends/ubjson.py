"""A small reader for UBJSON (the `.ubj` files of XGBoost's `save_model`), so that reading a
model file needs neither xgboost nor pickle. Big-endian numbers; optimised containers
(`$` type, `#` count) as XGBoost writes them for its arrays."""

from __future__ import annotations

import struct

import numpy as np

from codegen.errors import UserError

_NUMBERS = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8", b"d": ">f4", b"D": ">f8"}


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise ValueError("unexpected end of data")
        chunk = self.data[self.at: self.at + size]
        self.at += size
        return chunk

    def marker(self) -> bytes:
        while True:
            byte = self.take(1)
            if byte != b"N":  # no-op padding
                return byte

    def value(self, marker: bytes | None = None):
        marker = marker or self.marker()
        if marker in _NUMBERS:
            dtype = np.dtype(_NUMBERS[marker])
            number = np.frombuffer(self.take(dtype.itemsize), dtype=dtype)[0]
            return float(number) if dtype.kind == "f" else int(number)
        if marker in (b"T", b"F"):
            return marker == b"T"
        if marker == b"Z":
            return None
        if marker == b"C":
            return self.take(1).decode()
        if marker in (b"S", b"H"):
            return self.take(self.count()).decode()
        if marker == b"[":
            return self.array()
        if marker == b"{":
            return self.object()
        raise ValueError(f"unknown UBJSON marker {marker!r} at byte {self.at - 1}")

    def count(self) -> int:
        size = self.value()
        if not isinstance(size, int) or size < 0:
            raise ValueError("bad length")
        return size

    def container_header(self) -> tuple[bytes | None, int | None]:
        kind = size = None
        if self.data[self.at: self.at + 1] == b"$":
            self.at += 1
            kind = self.take(1)
        if self.data[self.at: self.at + 1] == b"#":
            self.at += 1
            size = self.count()
        return kind, size

    def array(self):
        kind, size = self.container_header()
        if kind in _NUMBERS and size is not None:
            dtype = np.dtype(_NUMBERS[kind])
            raw = self.take(dtype.itemsize * size)
            return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
        items = []
        while size is None or len(items) < size:
            marker = kind or self.marker()
            if size is None and marker == b"]":
                break
            items.append(self.value(marker))
        return items

    def object(self) -> dict:
        kind, size = self.container_header()
        result = {}
        while size is None or len(result) < size:
            if size is None and self.data[self.at: self.at + 1] == b"}":
                self.at += 1
                break
            key = self.take(self.count()).decode()
            result[key] = self.value(kind)
        return result


def load_ubjson(data: bytes, source: str = "data") -> object:
    try:
        return _Reader(data).value()
    except (ValueError, UnicodeDecodeError, struct.error) as error:
        raise UserError(f"cannot read {source} as UBJSON ({error}); re-save it with save_model") from None
