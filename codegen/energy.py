"""Energy per inference from operation counts, with the 45 nm table of codegen/data.

The float figure prices the same work as the float code of other tools does it: every integer
compare, add and multiply becomes a float32 one, and every value read from a table is a
4-byte float (or a float32 input).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from codegen.ir import opcount

TABLE_PATH = Path(__file__).resolve().parent / "data" / "energy_45nm.json"


@functools.lru_cache(maxsize=1)
def energy_table() -> dict:
    return json.loads(TABLE_PATH.read_text())


def energy_pj(ops: dict[str, float]) -> float:
    prices = energy_table()["pj"]
    return float(sum(prices[op] * count for op, count in ops.items() if op in prices))


def float_energy_pj(ops: dict[str, float], leaf_value_bytes: int = 4) -> float:
    """The same operations in float32: adds/compares at the fp32 add price, multiplies at the
    fp32 multiply price, table reads at 4 bytes per value instead of `leaf_value_bytes`."""
    table = energy_table()
    fadd, fmul, per_byte = table["float_pj"]["fadd32"], table["float_pj"]["fmul32"], table["pj"]["flash_bytes"]
    adds = sum(ops.get(op, 0) for op in (opcount.ADD8, opcount.ADD16, opcount.ADD32,
                                        opcount.CMP8, opcount.CMP16, opcount.CMP32))
    muls = ops.get(opcount.MUL8, 0) + ops.get(opcount.MUL32, 0)
    flash = ops.get(opcount.FLASH_BYTES, 0) * 4 / max(leaf_value_bytes, 1)
    ram = ops.get(opcount.RAM_BYTES, 0)
    branch = ops.get(opcount.BRANCH, 0) * table["pj"]["branch"]
    return float(adds * fadd + muls * fmul + (flash + ram) * per_byte + branch)
