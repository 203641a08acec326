"""The types a device may pass its features in: one table for Python, numpy and C."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InputType:
    name: str
    ctype: str  # the C type of `<name>_input_t`
    numpy: np.dtype  # little-endian, as the harnesses send rows
    low: int | None = None  # integer types: the range of values
    high: int | None = None

    @property
    def bits(self) -> int:
        return self.numpy.itemsize * 8

    @property
    def bytes(self) -> int:
        return self.numpy.itemsize

    @property
    def is_float(self) -> bool:
        return self.low is None


INPUT_TYPES: dict[str, InputType] = {
    t.name: t
    for t in (
        InputType("float32", "float", np.dtype("<f4")),
        InputType("int8", "int8_t", np.dtype("i1"), -(2**7), 2**7 - 1),
        InputType("int16", "int16_t", np.dtype("<i2"), -(2**15), 2**15 - 1),
        InputType("int32", "int32_t", np.dtype("<i4"), -(2**31), 2**31 - 1),
        InputType("uint8", "uint8_t", np.dtype("u1"), 0, 2**8 - 1),
        InputType("uint16", "uint16_t", np.dtype("<u2"), 0, 2**16 - 1),
    )
}
