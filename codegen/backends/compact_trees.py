"""The compact tree layout's template context: preorder nodes, narrow fields, distinct leaves
(see codegen/backends/compact_shape.py for what is stored and why)."""

from __future__ import annotations

import numpy as np

from codegen.backends import c_text, flash_tables
from codegen.backends.compact_shape import CompactShape, compact_shape, feature_codes, leaf_names, preorder_nodes
from codegen.backends.flash_tables import Placement
from codegen.ir.model import TreeEnsemble


def compact_context(ir: TreeEnsemble, name: str, placement: Placement, shape: CompactShape | None = None,
                    shape_of_tree: str = "multi") -> dict:
    upper = name.upper()
    _, names = leaf_names(ir)
    nodes = preorder_nodes(ir, names)
    shape = shape if shape is not None else compact_shape(ir, nodes)
    order = nodes.order

    def table(suffix: str, ctype: str, values) -> dict:
        return flash_tables.array(f"{name}_{suffix}", ctype, values, placement)

    def read(t: dict, index: str) -> str:
        return flash_tables.read(upper, t, index)

    codes = feature_codes(ir)[order]
    if shape.flags_in == "feature":
        codes = codes * 4 + nodes.flags
    feature = table("feature", shape.feature_ctype, codes)
    lines = [f"{shape.feature_ctype} f = ({shape.feature_ctype}){read(feature, 'n')};"]
    tables = [feature]
    threshold_ctype = shape.threshold_ctype
    if shape.shared_thresholds:
        distinct, index = np.unique(ir.threshold, return_inverse=True)
        index = index.reshape(-1)[order]
        if shape.flags_in == "threshold":
            index = index * 4 + nodes.flags
        values = table("threshold_value", threshold_ctype, distinct)
        positions = table("threshold", shape.threshold_index_ctype, index)
        tables += [values, positions]
        lines.append(f"{shape.threshold_index_ctype} ti = ({shape.threshold_index_ctype}){read(positions, 'n')};")
        position = "ti >> 2" if shape.flags_in == "threshold" else "ti"
        lines.append(f"{threshold_ctype} t = ({threshold_ctype}){read(values, position)};")
    else:
        thresholds = table("threshold", threshold_ctype, ir.threshold[order])
        tables.append(thresholds)
        lines.append(f"{threshold_ctype} t = ({threshold_ctype}){read(thresholds, 'n')};")
    if shape.flags_in == "flags":
        flags = table("flags", "uint8_t", nodes.flags)
        tables.append(flags)
        lines.append(f"unsigned flags = {read(flags, 'n')};")
    else:
        source, shift = ("f", "f >>= 2;") if shape.flags_in == "feature" else ("ti", "")
        lines.append(f"unsigned flags = (unsigned)({source} & 3u);")
        lines += [shift] if shift else []
    left_ctype, right_ctype = (next(c for s, c, _ in shape.arrays if s == suffix) for suffix in ("left_leaf", "right"))
    left, right = table("left_leaf", left_ctype, nodes.left_leaf), table("right", right_ctype, nodes.right)
    roots = table("roots", shape.node_ctype, nodes.roots)
    leaf_tables, leaf_action = _leaves(ir, name, shape, placement)
    float_test = f"{name}_le_key({name}_bits(x, (unsigned)(f >> 1)), t, f & 1u)"
    node_test = float_test if ir.input.is_float else "x[f] <= t"
    return {
        "half_words": False,
        "exact_key": flash_tables.array(f"{name}_exact_key", "int32_t", []),
        "exact_missing_left": flash_tables.array(f"{name}_exact_missing_left", "uint8_t", []),
        "tests": ["key"] if ir.input.is_float else [],
        "tables": [*tables, left, right, roots, *leaf_tables],
        "far_tables": placement.far,
        "n_trees": ir.n_trees,
        "node_ctype": shape.node_ctype,
        "leaf_ctype": shape.leaf_ctype,
        "right_ctype": right_ctype,
        "node_reads": lines,
        "node_test": node_test,
        "left_read": read(left, "n"),
        "right_read": read(right, "n"),
        "root_read": read(roots, "0" if shape_of_tree == "direct" else "tree"),
        "leaf_action": leaf_action,
    }


def _leaves(ir: TreeEnsemble, name: str, shape: CompactShape, placement: Placement) -> tuple[list[dict], list[str]]:
    upper, ctype = name.upper(), shape.value_ctype

    def table(suffix: str, table_ctype: str, values) -> dict:
        return flash_tables.array(f"{name}_{suffix}", table_ctype, values, placement)

    def read(t: dict, index: str) -> str:
        return flash_tables.read(upper, t, index)

    if shape.leaf_kind == "class":
        if ir.returns_leaf_class:
            return [], [f"return ({c_text.unsigned_type(max(ir.n_outputs - 1, 0))})leaf;"]
        return [], [f"++acc[leaf]; {upper}_COUNT_LEAF(1);"]
    if shape.leaf_kind in ("inline", "value"):
        tables = []
        if shape.leaf_kind == "inline":
            value = f"(int32_t)({ctype})leaf"
        else:
            values = table("leaf_value", ctype, ir.leaf_values[:, 0])
            tables.append(values)
            value = f"(int32_t)({ctype}){read(values, 'leaf')}"
        if ir.n_outputs == 1:
            return tables, [f"s += {value}; {upper}_COUNT_LEAF(1);"]
        outputs = table("tree_output", "uint8_t", ir.tree_output)
        return [*tables, outputs], [f"acc[{read(outputs, 'tree')}] += {value}; {upper}_COUNT_LEAF(1);"]
    # entries: each leaf's non-zero scores, one after another (as in the table layout)
    leaf_of_entry, output_of_entry = np.nonzero(ir.leaf_values)
    starts = np.searchsorted(leaf_of_entry, np.arange(ir.n_leaves + 1))
    entries = ir.leaf_values[leaf_of_entry, output_of_entry]
    start = table("leaf_start", c_text.unsigned_type(len(leaf_of_entry)), starts)
    entry_output = table("entry_output", "uint8_t", output_of_entry)
    tables = [start, entry_output]
    if shape.entry_values_shared:
        distinct, index = np.unique(entries, return_inverse=True)
        values = table("entry_value_distinct", ctype, distinct)
        positions = table("entry_value", c_text.unsigned_type(max(len(distinct) - 1, 0)), index.reshape(-1))
        tables += [values, positions]
        value = read(values, read(positions, "e"))
    else:
        values = table("entry_value", ctype, entries)
        tables.append(values)
        value = read(values, "e")
    action = c_text.entries_loop(upper, read(start, "leaf"), read(start, "leaf + 1u"), read(entry_output, "e"),
                                 value, ctype)
    return tables, action
