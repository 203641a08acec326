"""What every tree layout shares: the code shape of the scores, and where its tables go.

Code shapes: a single classification tree returns its leaf's class ("direct"); a model with
one score keeps it in a local variable ("single"); otherwise scores live in an array ("multi").
"""

from __future__ import annotations

from codegen.backends import flash_tables
from codegen.backends.flash_tables import Placement
from codegen.chips import chip_flash_bytes
from codegen.ir.model import TreeEnsemble
from codegen.settings import Settings


def table_placement(settings: Settings, table_bytes: int) -> Placement:
    """Split / far reads for the chip converted for (see codegen/backends/flash_tables.py)."""
    flash = chip_flash_bytes(settings.chip, settings.target)
    return flash_tables.placement_for(settings.target, flash, table_bytes)


def code_shape(ir: TreeEnsemble) -> str:
    if ir.returns_leaf_class:
        return "direct"
    # vote counters live in an array, even for a single class (a one-class forest)
    return "single" if ir.n_outputs == 1 and ir.leaf_encoding != "class" else "multi"
