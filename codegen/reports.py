"""`ConvertedModel.report()` for trees: structure, table sizes and types, fixed-point format."""

from __future__ import annotations

import numpy as np

from codegen.ir.interpret import leaf_bytes
from codegen.ir.meaning import score_meaning
from codegen.ir.model import TreeEnsemble


def tree_depths(ir: TreeEnsemble) -> np.ndarray:
    """Depth of each tree (decisions on its longest path)."""
    from codegen.ir.walk import tree_depths as depths

    return depths(ir)


def tree_report(ir: TreeEnsemble, layout: str, target: str) -> dict:
    from codegen.backends.trees import estimate_table_bytes

    depths = tree_depths(ir)
    report = {
        "kind": "trees",
        "estimator": ir.estimator,
        "target": target,
        "n_features": ir.input.n_features,
        "input": ir.input.dtype,
        "n_outputs": ir.n_outputs,
        "n_classes": len(ir.classes),
        "n_trees": ir.n_trees,
        "n_nodes": ir.n_nodes,
        "n_leaves": ir.n_leaves,
        "max_depth": int(depths.max(initial=0)),
        "leaf_encoding": ir.leaf_encoding,
        "leaf_bytes": leaf_bytes(ir),
        "table_bytes_estimate": estimate_table_bytes(ir),
        "output_frac_bits": ir.leaf_format.frac_bits,
        "scores": score_meaning(ir),
        "post": ir.post,
    }
    if not ir.is_classifier:
        report["output_error_bound"] = ir.error_bound
    return report
