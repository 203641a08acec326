"""Small, safe pieces of C text: escaped comments, integer literals, smallest types."""

from __future__ import annotations

import hashlib
import re

_SAFE = re.compile(r"[A-Za-z0-9 _.,:;+\-=()\[\]#%@!?<>^&|~]")


def comment_text(value) -> str:
    """Text from the model (labels, feature names) made safe inside /* */: anything outside a
    plain ASCII set becomes \\xNN or \\uNNNN, so no '*/', quote or newline can reach the C."""
    return "".join(
        ch if _SAFE.fullmatch(ch) else (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        for ch in str(value)
    )


def int_literal(value: int, bits: int = 32) -> str:
    """A literal valid in C and C++ for an int32/uint32 context (INT32_MIN needs spelling)."""
    value = int(value)
    if bits == 32 and value == -(2**31):
        return "(-2147483647 - 1)"
    return str(value)


def unsigned_type(max_value: int) -> str:
    for bits in (8, 16, 32):
        if max_value < 2**bits:
            return f"uint{bits}_t"
    raise ValueError(f"{max_value} does not fit 32 bits")


def signed_type(low: int, high: int) -> str:
    for bits in (8, 16, 32):
        if -(2 ** (bits - 1)) <= low and high < 2 ** (bits - 1):
            return f"int{bits}_t"
    raise ValueError(f"[{low}, {high}] does not fit 32 bits")


def table_rows(values, per_line: int = 16) -> list[str]:
    """Comma-separated literals, `per_line` to a line."""
    text = [int_literal(v) for v in values]
    return [", ".join(text[i : i + per_line]) for i in range(0, len(text), per_line)] or ["0"]


def hash32(data: bytes) -> int:
    """The model hash the header and the device firmware report: first 4 bytes of SHA-256."""
    return int.from_bytes(hashlib.sha256(data).digest()[:4], "big")


def entries_loop(upper: str, start: str, end: str, output: str, value: str, value_ctype: str) -> list[str]:
    """C that adds a sparse leaf's entries e = start .. end - 1 to acc[output] (reads of entry e),
    as the table and compact layouts store them."""
    return [
        "{",
        f"    unsigned e = {start};",
        f"    unsigned end = {end};",
        f"    {upper}_COUNT_LEAF(end - e);",
        "    for (; e < end; ++e) {",
        f"        acc[{output}] += (int32_t)({value_ctype}){value};",
        "    }",
        "}",
    ]
