"""Will the model fit the chip? Estimated before any C text is generated, so a model far too
big is refused in a line with the numbers and what to do (not an 80-line linker error), and
the host target does not silently write a header of hundreds of megabytes."""

from __future__ import annotations

import numpy as np

from codegen.backends.targets import profile
from codegen.chips import chip_flash_bytes, names_a_chip
from codegen.errors import UserError

# Above this estimated if-else code size the host build takes minutes: `--layout auto` takes
# the tables instead, and an explicit `--layout ifelse` is warned about.
HOST_IFELSE_LIMIT_BYTES = 2 * 1024 * 1024
# The if-else estimate is within 0.6x-1.45x of the built size (IFELSE_BYTES): refuse before any
# C only a model clearly too big; between link_check.UNCERTAIN_SHARE and this the build decides.
CLEARLY_TOO_BIG = 1.7
# A core name (`cortex-m0`, `riscv32`, ...) is refused only above this: no part of such a core
# has more flash on chip (an RP2040 addresses up to 16 MB of external flash).
CORE_FLASH_LIMIT = 16 * 1024 * 1024
# `--layout auto` takes the faster layout whose estimated size leaves this share of the chip's
# flash to the application (a tenth), at the high end of the estimate: if-else code was up to
# 1.42x its estimate (IFELSE_BYTES); table sizes are counted exactly.
AUTO_FLASH_SHARE = 0.9
ESTIMATE_HIGH = {"ifelse": 1.45}
AUTO_LAYOUTS = ("ifelse", "table", "compact")  # the order of TargetProfile.node_cost


# If-else code bytes = node * decision nodes + leaf * leaf entries (scores a leaf adds to) +
# tree * trees, by family and input type: fitted to built forests and boosters
# (benchmarks/node_bytes.py); float32 nodes compare 4-byte keys, integer inputs 1-2 bytes.
# Measured on 16 builds per row (AVR 2026-12-02, Cortex-M 2026-12-04 with the scores in
# locals): estimates were 0.61x-1.42x of the real size.
IFELSE_BYTES: dict[tuple[str, str], tuple[float, float, float]] = {
    ("avr", "float32"): (72.8, 10.4, 0.0), ("avr", "int16"): (18.1, 13.3, 0.0), ("avr", "int8"): (11.1, 14.2, 0.0),
    ("cortex-m0", "float32"): (28.4, 4.8, 0.0), ("cortex-m0", "int16"): (20.9, 4.5, 0.0),
    ("cortex-m0", "int8"): (15.4, 7.0, 3.7),
    **{(core, dtype): constants for core in ("cortex-m3", "cortex-m4", "cortex-m7") for dtype, constants in (
        ("float32", (31.3, 3.4, 0.0)), ("int16", (18.3, 4.5, 0.0)), ("int8", (14.3, 6.6, 0.0)))},
}
# No layout stores a decision node in fewer bytes (a table node: 1-byte feature and threshold,
# one child offset); below this a model is certainly too big, without converting it.
MIN_NODE_BYTES = 3


def ifelse_terms(ir) -> tuple[int, int, int]:
    """Decision nodes, leaf entries and trees: what if-else code size grows with."""
    entries = int(np.count_nonzero(ir.leaf_values)) if ir.leaf_encoding == "sparse" else ir.n_leaves
    return ir.n_nodes, entries, ir.n_trees


def ifelse_bytes(ir, family: str) -> int:
    """Estimated flash of the model's if-else code (see IFELSE_BYTES)."""
    constants = IFELSE_BYTES.get((family, ir.input.dtype), (profile(family).ifelse_node_bytes, 0.0, 0.0))
    return int(sum(c * t for c, t in zip(constants, ifelse_terms(ir), strict=True)))


def tree_code_bytes(ir, layout: str, family: str) -> int:
    """Rough flash of the model's code and tables in `layout`."""
    from codegen.backends.compact_shape import compact_shape
    from codegen.backends.trees import estimate_table_bytes

    if layout == "ifelse":
        return ifelse_bytes(ir, family)
    if layout == "compact":
        return compact_shape(ir).code_bytes
    return estimate_table_bytes(ir)


def choose_layout(ir, settings) -> str:
    """The layout to convert with: the one asked for, or for `auto` the one the size/speed
    model predicts best for the chip."""
    return auto_layout(ir, settings)[0] if settings.layout == "auto" else settings.layout


def auto_layout(ir, settings) -> tuple[str, str]:
    """The layout `auto` picks for the chip, and one line saying why: the predicted cost (nodes
    visited x the target's measured cost per node) and size of each layout; the faster one
    whose size fits AUTO_FLASH_SHARE of the chip's flash wins, else the smaller one."""
    family = settings.target
    flash = chip_flash_bytes(settings.chip, family)
    visited = mean_nodes_visited(ir)
    unit = "cycles" if family == "avr" else "instructions"
    estimates = {}
    for layout, per_node in zip(AUTO_LAYOUTS, profile(family).node_cost, strict=True):
        estimates[layout] = (visited * per_node, tree_code_bytes(ir, layout, family))
    fitting = [layout for layout, (_, size) in estimates.items()
               if size * ESTIMATE_HIGH.get(layout, 1.0) <= AUTO_FLASH_SHARE * flash]
    budget = f"{AUTO_FLASH_SHARE:.0%} of the {settings.chip}'s {flash:,} B flash"
    if fitting:
        # the first of equally fast layouts wins: compact only where the table does not fit
        choice = min(fitting, key=lambda layout: estimates[layout][0])
        why = f"faster, fits {budget}" if len(fitting) == len(estimates) else \
            f"the only one within {budget}" if len(fitting) == 1 else \
            f"the fastest (first if tied) of {', '.join(fitting)} within {budget}"
    else:
        choice = min(estimates, key=lambda layout: estimates[layout][1])
        why = f"smallest, none fits {budget}"
    compared = "; ".join(f"{layout} ~{cost:,.0f} {unit}, ~{size:,} B" for layout, (cost, size) in estimates.items())
    return choice, f"{choice}: {why} ({compared}; {visited:.0f} nodes visited)"


def mean_nodes_visited(ir) -> float:
    """Decision nodes on the way to a leaf, summed over trees (leaves weighted equally)."""
    total = 0.0
    for root in ir.roots:
        depths, stack = [], [(int(root), 0)]
        while stack:
            child, depth = stack.pop()
            if child < 0:
                depths.append(depth)
            else:
                stack += [(int(ir.left[child]), depth + 1), (int(ir.right[child]), depth + 1)]
        total += sum(depths) / len(depths)
    return total


def fit_layout(ir, settings, layout: str, warn=None) -> str:
    """The layout to generate: `layout`, or the tables where `auto` picked branches too big to
    build on the host. Raises UserError when the model cannot fit a named chip's flash; for a
    core name it warns above that core's typical flash and refuses only above CORE_FLASH_LIMIT."""
    family = settings.target
    if family == "host":
        return _host_layout(ir, settings, layout, warn)
    if not settings.check_flash:
        return layout
    flash = chip_flash_bytes(settings.chip, family)
    need = tree_code_bytes(ir, layout, family)
    if need <= CLEARLY_TOO_BIG * flash:
        return layout
    named = names_a_chip(settings.chip, family)
    limit = flash if named else CORE_FLASH_LIMIT
    other = {"ifelse": "table", "table": "compact"}.get(layout, layout)  # the next smaller layout
    other_need = tree_code_bytes(ir, other, family)

    def advice(room: int) -> str:
        smaller = f"use --layout {other} (about {other_need:,} bytes)" \
            if other != layout and other_need <= CLEARLY_TOO_BIG * room else "use a chip with more flash"
        return f"{smaller}, or prune it (fewer or shallower trees)"

    size = f"{ir.n_trees} trees with {ir.n_nodes:,} decision nodes need about {need:,} bytes of flash as {layout} code"
    if named or need > CLEARLY_TOO_BIG * limit:
        raise UserError(f"the model does not fit the {settings.chip}: {size}, the chip has {limit:,}; {advice(limit)}")
    if warn is not None:
        warn(f"{size}, more than a typical {settings.chip}'s {flash:,}: if your chip has less, {advice(flash)} "
             "(`mcugen project --board B` checks a board's own flash)")
    return layout


def _host_layout(ir, settings, layout: str, warn) -> str:
    need = tree_code_bytes(ir, "ifelse", "host")
    if layout != "ifelse" or need <= HOST_IFELSE_LIMIT_BYTES:
        return layout
    if settings.layout == "auto":
        return "table"
    if warn is not None:
        warn(f"--layout ifelse: {ir.n_nodes:,} decision nodes make about {need / 1e6:,.0f} MB of code; "
             "writing and compiling it can take minutes (--layout table is far smaller)")
    return layout
