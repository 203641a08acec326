"""Thumb-2 constants: which compare operands the instruction holds, and which need a literal.

A Thumb-2 `cmp`/`cmn` takes a "modified immediate": a byte, a byte repeated in the halfwords
or all four bytes, or a byte with its top bit set rotated right by 8..31. gcc also compares
`x <= t` as `x < t + 1` (and `x >= b` as `x > b - 1`), so t - 1, t and t + 1 and their negations
(`cmn`) all count. Any other threshold costs a literal load; left visible, gcc -Os derives it
from the previous node's literal with up to three add/sub instead (measured on a 15-tree
Cortex-M4F forest: hiding them cut 669 instructions an inference to 526, issue 19)."""

from __future__ import annotations

from functools import lru_cache

MASK = 0xFFFFFFFF


@lru_cache(maxsize=1)
def _rotated_bytes() -> frozenset[int]:
    values = set()
    for byte in range(0x80, 0x100):
        for rotation in range(8, 32):
            values.add(((byte >> rotation) | (byte << (32 - rotation))) & MASK)
    return frozenset(values)


def is_modified_immediate(value: int) -> bool:
    value &= MASK
    low, second = value & 0xFF, (value >> 8) & 0xFF
    return (value <= 0xFF or value in (low * 0x00010001, second * 0x01000100, low * 0x01010101)
            or value in _rotated_bytes())


def compare_needs_literal(value: int) -> bool:
    """True when no compare gcc may choose for a threshold `value` takes it as an immediate."""
    return not any(is_modified_immediate(sign * (value + delta)) for delta in (-1, 0, 1) for sign in (1, -1))
