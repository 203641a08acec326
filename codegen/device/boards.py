"""The boards `mcugen project` and `mcugen flash` know, and what PlatformIO needs for each:
the `boards` of the chip rows in codegen/chips.py.

Arduino is the framework everywhere: one thin `main.cpp` serves every board. The cycle
counter each firmware uses is chosen in firmware/protocol/mcugen_counter.h by the compiler's
architecture macros; a board's `counter` says which one it is, for reports and docs.
"""

from __future__ import annotations

from codegen.chips import Board, boards
from codegen.errors import UserError

__all__ = ["BOARDS", "Board", "get_board"]

# The boards of codegen/chips.py as imported, for the tests and API users that list them.
BOARDS: dict[str, Board] = boards()


def get_board(key: str) -> Board:
    known = boards()
    try:
        return known[key]
    except KeyError:
        raise UserError(f"unknown board {key!r}; use one of {', '.join(known)}") from None
