"""The ordered pass lists. Each pass is a pure function IR -> IR; nothing is discovered."""

from __future__ import annotations

from collections.abc import Callable

from codegen.ir.model import TreeEnsemble
from codegen.ir.validate import validate_trees
from codegen.passes.compact_leaves import compact_leaves
from codegen.passes.encode_leaves import encode_leaves
from codegen.passes.lower_thresholds import lower_thresholds
from codegen.passes.prune_constant_splits import prune_constant_splits
from codegen.passes.quantize_leaves import quantize_leaves


def lower_trees(ir: TreeEnsemble, verify: bool = False) -> TreeEnsemble:
    """Float IR -> integer IR. With `verify`, the IR is validated after every pass."""
    float_leaves = ir.leaf_values
    passes: list[Callable[[TreeEnsemble], TreeEnsemble]] = [
        lower_thresholds,
        prune_constant_splits,
        quantize_leaves,
        lambda lowered: encode_leaves(lowered, float_leaves),
        compact_leaves,
    ]
    if verify:
        validate_trees(ir)
    for step in passes:
        ir = step(ir)
        if verify:
            validate_trees(ir, partial=not ir.is_lowered)
    validate_trees(ir)
    return ir
