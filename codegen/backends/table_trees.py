"""The table tree layout's template context: node arrays in flash (feature, threshold, left and
right child), walked by one loop; leaves by class, scalar or sparse entries."""

from __future__ import annotations

import numpy as np

from codegen.backends import c_text, flash_tables
from codegen.backends.flash_tables import Placement
from codegen.backends.table_shape import TableShape
from codegen.backends.tree_common import code_shape
from codegen.ir.model import TreeEnsemble


def table_context(ir: TreeEnsemble, name: str, placement: Placement, shape: TableShape) -> dict:
    n_nodes, upper = ir.n_nodes, name.upper()
    index_ctype, feature_ctype, threshold_ctype = shape.index_ctype, shape.feature_ctype, shape.threshold_ctype

    def child_index(children: np.ndarray) -> np.ndarray:
        children = children.astype(np.int64)
        return np.where(children < 0, n_nodes + (-children - 1), children)

    def table(suffix: str, ctype: str, values) -> dict:
        return flash_tables.array(f"{name}_{suffix}", ctype, values, placement)

    if ir.input.is_float:
        # missing_left rides in the lowest bit of the feature number
        features = ir.feature.astype(np.int64) * 2 + ir.missing_left.astype(np.int64)
        node_test = f"{name}_le_key({name}_bits(x, (unsigned)(f >> 1)), t, f & 1u)"
    else:
        features = ir.feature.astype(np.int64)
        node_test = "x[f] <= t"
    feature = table("feature", feature_ctype, features)
    threshold_tables, threshold_read = _threshold_tables(ir, name, shape, placement)
    left, right = table("left", index_ctype, child_index(ir.left)), table("right", index_ctype, child_index(ir.right))
    roots = table("roots", index_ctype, child_index(ir.roots))
    leaf_tables, leaf_action = _table_leaves(ir, name, shape.value_ctype, placement)
    return {
        "half_words": False,
        "exact_key": flash_tables.array(f"{name}_exact_key", "int32_t", []),
        "exact_missing_left": flash_tables.array(f"{name}_exact_missing_left", "uint8_t", []),
        "tests": ["key"] if ir.input.is_float else [],
        "tables": [feature, *threshold_tables, left, right, roots, *leaf_tables],
        "far_tables": placement.far,
        "n_trees": ir.n_trees,
        "index_ctype": index_ctype,
        "feature_ctype": feature_ctype,
        "threshold_ctype": threshold_ctype,
        "feature_read": flash_tables.read(upper, feature, "n"),
        "threshold_read": threshold_read,
        "left_read": flash_tables.read(upper, left, "n"),
        "right_read": flash_tables.read(upper, right, "n"),
        "root_read": flash_tables.read(upper, roots, "0" if code_shape(ir) == "direct" else "tree"),
        "node_test": node_test,
        "leaf_action": leaf_action,
    }


def _threshold_tables(ir: TreeEnsemble, name: str, shape: TableShape, placement: Placement) -> tuple[list[dict], str]:
    """Thresholds inline per node, or (when it is smaller) an index into the distinct ones."""
    upper, ctype = name.upper(), shape.threshold_ctype
    if shape.shared_thresholds:
        distinct, index = np.unique(ir.threshold, return_inverse=True)
        values = flash_tables.array(f"{name}_threshold_value", ctype, distinct, placement)
        positions = flash_tables.array(f"{name}_threshold", shape.threshold_index_ctype, index, placement)
        position = flash_tables.read(upper, positions, "n")
        return [values, positions], f"({ctype}){flash_tables.read(upper, values, position)}"
    thresholds = flash_tables.array(f"{name}_threshold", ctype, ir.threshold, placement)
    return [thresholds], f"({ctype}){flash_tables.read(upper, thresholds, 'n')}"


def _table_leaves(ir: TreeEnsemble, name: str, value_ctype: str, placement: Placement) -> tuple[list[dict], list[str]]:
    upper = name.upper()

    def table(suffix: str, ctype: str, values) -> dict:
        return flash_tables.array(f"{name}_{suffix}", ctype, values, placement)

    def read(table: dict, index: str) -> str:
        return flash_tables.read(upper, table, index)

    if ir.leaf_encoding == "class":
        classes = table("leaf_class", value_ctype, ir.leaf_values[:, 0])
        if ir.returns_leaf_class:
            return [classes], [f"return ({c_text.unsigned_type(max(ir.n_outputs - 1, 0))}){read(classes, 'leaf')};"]
        return [classes], [f"++acc[{read(classes, 'leaf')}]; {upper}_COUNT_LEAF(1);"]
    if ir.leaf_encoding == "scalar":
        values = table("leaf_value", value_ctype, ir.leaf_values[:, 0])
        value = f"(int32_t)({value_ctype}){read(values, 'leaf')}"
        if ir.n_outputs == 1:
            return [values], [f"s += {value}; {upper}_COUNT_LEAF(1);"]
        outputs = table("tree_output", "uint8_t", ir.tree_output)
        return [values, outputs], [f"acc[{read(outputs, 'tree')}] += {value}; {upper}_COUNT_LEAF(1);"]
    # sparse: each leaf's non-zero entries, stored one after another
    leaf_of_entry, output_of_entry = np.nonzero(ir.leaf_values)
    starts = np.searchsorted(leaf_of_entry, np.arange(ir.n_leaves + 1))
    start = table("leaf_start", c_text.unsigned_type(len(leaf_of_entry)), starts)
    entry_output = table("entry_output", "uint8_t", output_of_entry)
    entry_value = table("entry_value", value_ctype, ir.leaf_values[leaf_of_entry, output_of_entry])
    action = c_text.entries_loop(upper, read(start, "leaf"), read(start, "leaf + 1u"), read(entry_output, "e"),
                                 read(entry_value, "e"), value_ctype)
    return [start, entry_output, entry_value], action
