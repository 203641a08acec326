"""What the backends need to know about each chip family: the rough per-node code cost that
`--layout auto` weighs (bytes of code for one if-else node, cycles per node visited). A chip's
memory, word size and instruction set are in its row of codegen/chips.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TargetProfile:
    name: str
    ifelse_node_bytes: int  # code for one if-else node and its share of leaves, measured at -Os
    # `--layout auto`'s speed model: cycles (AVR) or instructions (Cortex-M) per decision node
    # visited, leaf work included, for (ifelse, table, compact). Fitted to simulator runs (README
    # "Layouts").
    node_cost: tuple[float, float, float] = (9.0, 27.0, 28.0)


# Measured (tests/sim rows, -Os): if-else bytes per node on the ATmega2560 83,654 B / 913 nodes
# (RF10 digits d8) = 92 and 226,312 / 2,695 (GradientBoosting 100x4 classes, depth 3) = 84; on
# Cortex-M4 / M0 60,432 / 1,744 (RF10 d8, make_classification) = 35 and 81,740 / 2,695 = 30.
# Per node visited: ATmega2560 if-else 25.9, table 132-157 cycles (near / far reads);
# Cortex-M4 if-else 8.2-8.9, table 25.5-28.3 instructions; Cortex-M0 9.3-10.0 and 39.9-40.4.
# Compact against table, per node visited (2026-12-03; RF10 d8 digits, GradientBoosting 20 on
# breast_cancer, AVR also RF10 d6 on breast_cancer): ATmega2560 121 / 128, 73.0 / 75.9 and
# 85.5 / 81.3 cycles (0.95x-1.05x: taken as equal, so that auto keeps the table where both fit
# and takes compact where only it fits); Cortex-M4 25.0 / 23.5, 13.6 / 13.5 instructions
# (1.01x-1.06x); Cortex-M0 35.8 / 37.1, 21.0 / 22.4 (0.94x-0.96x).
# Cortex-M3/M7, ESP32, RISC-V and the host were not measured: they take the Cortex-M4 figures.
PROFILES = {
    "host": TargetProfile("host", 14),
    "avr": TargetProfile("avr", 90, (26.0, 140.0, 140.0)),
    "cortex-m0": TargetProfile("cortex-m0", 33, (10.0, 40.0, 38.0)),
    "cortex-m3": TargetProfile("cortex-m3", 33),
    "cortex-m4": TargetProfile("cortex-m4", 33),
    "cortex-m7": TargetProfile("cortex-m7", 33),
    "esp32": TargetProfile("esp32", 33),
    "riscv32": TargetProfile("riscv32", 33),
}


def profile(target: str) -> TargetProfile:
    return PROFILES[target]
