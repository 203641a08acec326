"""Constant tables in flash, and the C that reads one element.

Two AVR limits shape big models (issue 11): one array must stay under 32 KB (avr-gcc's
objects are at most 32,767 bytes), and plain `pgm_read_*` reaches only the low 64 KB of flash.
A table over the limit is split into chunks read through a small accessor. A model whose
tables are too big to stay in the low 64 KB beside the application's own flash data puts them
after the code (in a `.text.*` section, where they push nothing else out of the low 64 KB) and
reads them with `pgm_read_*_far`; small models keep the faster near reads (a far read builds a
24-bit address each time: RF10 d8 tables on the ATmega2560 take 13,583 cycles far against
9,556 near, about 61 more per node visited).

Other targets read tables as plain arrays: no split, no far reads, the C text is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codegen.backends import c_text

AVR_MAX_ARRAY_BYTES = 32_767
# Tables up to this total stay in the low 64 KB with near reads; the rest of that 64 KB is
# left to the vectors, the application's own PROGMEM data and avr-gcc's jump tables.
AVR_NEAR_TABLE_BYTES = 48 * 1024
NEAR_FLASH_LIMIT = 64 * 1024  # what a 16-bit flash address reaches


@dataclass(frozen=True)
class Placement:
    """How a model's tables are stored: split above `chunk_bytes` (None: never), read far."""

    chunk_bytes: int | None = None
    far: bool = False


NEAR = Placement()


def placement_for(family: str, chip_flash: int, table_bytes: int) -> Placement:
    """AVR: split arrays over 32 KB; far reads when the chip has flash above 64 KB and the
    tables are too big to keep in the low 64 KB."""
    if family != "avr":
        return NEAR
    far = chip_flash > NEAR_FLASH_LIMIT and table_bytes > AVR_NEAR_TABLE_BYTES
    return Placement(chunk_bytes=AVR_MAX_ARRAY_BYTES, far=far)


def bits_of(ctype: str) -> int:
    return int("".join(ch for ch in ctype if ch.isdigit()))


def array(name: str, ctype: str, values, placement: Placement = NEAR) -> dict:
    """A table for the `table()` template macro: one array, or chunks and an accessor."""
    values = np.asarray(values).ravel()
    bits = bits_of(ctype)
    # Far tables sit among the code, which must start at even addresses: byte tables are
    # padded to an even length (avr-ld did not align the code that followed an odd one).
    pad = placement.far and bits == 8
    table = {"name": name, "ctype": ctype, "bits": bits, "size": _padded(max(values.size, 1), pad),
             "rows": _rows(values, pad), "far": placement.far, "chunks": []}
    per_chunk = placement.chunk_bytes // (bits // 8) if placement.chunk_bytes else 0
    per_chunk -= per_chunk % 2 if pad else 0  # a padded chunk must stay within the limit too
    if per_chunk and table["size"] * bits // 8 > placement.chunk_bytes:
        table["rows"] = []
        table["index_ctype"] = c_text.unsigned_type(values.size)
        for number, start in enumerate(range(0, values.size, per_chunk)):
            part = values[start:start + per_chunk]
            table["chunks"].append({"name": f"{name}_{number}", "start": start, "size": _padded(part.size, pad),
                                    "rows": _rows(part, pad)})
    return table


def _padded(size: int, pad: bool) -> int:
    return size + (size % 2 if pad else 0)


class _Rows:
    """The C rows of a table, printed only when a template iterates them: sizes (and tune's
    many candidates) need the counts, not the text."""

    def __init__(self, values: np.ndarray, pad: bool):
        self.values, self.pad = values, pad

    def __iter__(self):
        values = self.values
        if self.pad and (values.size % 2 or values.size == 0):
            values = np.append(values, [0] * (2 - values.size % 2))
        return iter(c_text.table_rows(values))


def _rows(values: np.ndarray, pad: bool) -> _Rows:
    return _Rows(values, pad)


def read(upper: str, table: dict, index: str) -> str:
    """The C expression for element `index` of `table` (its stored type, unsigned for reads
    of 8/16/32 bits: the caller casts)."""
    if table["chunks"]:
        return f"{table['name']}_at({index})"
    return element(upper, table["name"], table["bits"], index, table["far"])


def element(upper: str, array_name: str, bits: int, index: str, far: bool) -> str:
    if far:
        return f"{upper}_FAR_{bits}({array_name}, {index})"
    return f"{upper}_READ_{bits}(&{array_name}[{index}])"


def arrays_bytes(arrays) -> int:
    """Bytes of (name, C type, length) arrays: what a layout's shape counts without rendering."""
    return sum(bits_of(ctype) // 8 * length for _, ctype, length in arrays)


def total_bytes(tables: list[dict]) -> int:
    return sum(t["size"] * t["bits"] // 8 for t in tables)
