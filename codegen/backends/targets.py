"""What the backends need to know about each target: memory, word size, and the rough
per-node code cost that `--layout auto` weighs (bytes of code for one if-else node)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TargetProfile:
    name: str
    flash_bytes: int
    ram_bytes: int
    word_bits: int
    ifelse_node_bytes: int  # code for one if-else node and its share of leaves, measured at -Os
    pointer_bytes: int


PROFILES = {
    "host": TargetProfile("host", 2**31, 2**31, 64, 14, 8),
    "avr": TargetProfile("avr", 32 * 1024, 2 * 1024, 8, 75, 2),
    "cortex-m0": TargetProfile("cortex-m0", 32 * 1024, 8 * 1024, 32, 12, 4),
    "cortex-m3": TargetProfile("cortex-m3", 256 * 1024, 64 * 1024, 32, 10, 4),
    "cortex-m4": TargetProfile("cortex-m4", 512 * 1024, 128 * 1024, 32, 10, 4),
    "cortex-m7": TargetProfile("cortex-m7", 1024 * 1024, 256 * 1024, 32, 10, 4),
    "esp32": TargetProfile("esp32", 4 * 1024 * 1024, 320 * 1024, 32, 12, 4),
    "riscv32": TargetProfile("riscv32", 256 * 1024, 64 * 1024, 32, 12, 4),
}


def profile(target: str) -> TargetProfile:
    return PROFILES[target]
