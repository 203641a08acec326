"""The compact layout's nodes and arrays, decided once from the model's counts.

Nodes are stored in preorder per tree, so a decision node's left child is the next node unless
it is a leaf. Each node keeps: the feature (float input: times 2, plus the missing-left bit),
its threshold (or an index into the distinct thresholds when that is smaller), two flags (left
child is a leaf, right child is a leaf), the left child's leaf when it is one, and the right
child: its offset from this node, or its leaf. A leaf is named by its class (votes), else by its
row of distinct leaf values (codegen/passes/compact_leaves.py keeps each row once); a scalar
leaf's value is stored in the node itself when it is no wider than that number.

Every field takes the narrowest unsigned type its largest value needs: widths differ by model.
The two flags ride in the low bits of the feature or threshold-index field when those bits are
free there, else in a byte array of their own. Sizes are counted here, without any C text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from codegen.backends import c_text
from codegen.backends.flash_tables import arrays_bytes, bits_of
from codegen.input_types import INPUT_TYPES
from codegen.ir.interpret import leaf_bytes
from codegen.ir.model import TreeEnsemble

COMPACT_CODE_BYTES = 200  # the walking loop, roughly (two exits a node instead of one)
LEFT_LEAF, RIGHT_LEAF = 1, 2  # the flag bits


@dataclass(frozen=True)
class PreorderNodes:
    """The nodes renumbered in preorder: `order[p]` is the IR node at position p."""

    order: np.ndarray
    flags: np.ndarray  # LEFT_LEAF | RIGHT_LEAF per position
    left_leaf: np.ndarray  # the left child's leaf (0 when it is a node)
    right: np.ndarray  # the right child's offset from p, or its leaf
    roots: np.ndarray  # each tree's first position, or n_nodes + its leaf for a one-leaf tree


@dataclass(frozen=True)
class CompactShape:
    """`arrays`: (suffix, C type, length) in the order the header declares them (length >= 1)."""

    feature_ctype: str
    flags_in: str  # "feature", "threshold" or "flags": where the two flag bits are stored
    threshold_ctype: str
    shared_thresholds: bool
    threshold_index_ctype: str
    leaf_ctype: str  # a leaf as the walk returns it (left or right field)
    node_ctype: str  # a position, or n_nodes + a leaf (roots)
    leaf_kind: str  # "class", "inline" (the value itself), "value" (index into leaf_value), "entries"
    value_ctype: str  # a leaf value as the IR's leaf bytes store it
    entry_values_shared: bool  # sparse: entry values are indices into the distinct values
    arrays: tuple[tuple[str, str, int], ...]

    @cached_property
    def table_bytes(self) -> int:
        return arrays_bytes(self.arrays)

    @property
    def code_bytes(self) -> int:
        return COMPACT_CODE_BYTES + self.table_bytes


def leaf_names(ir: TreeEnsemble) -> tuple[str, np.ndarray]:
    """How the nodes name each IR leaf, and those names (unsigned: inline values are raw bits)."""
    values = ir.leaf_values[:, 0].astype(np.int64)
    if ir.leaf_encoding == "class":
        return "class", values
    if ir.leaf_encoding == "scalar":
        value_bits = 8 * leaf_bytes(ir)
        if value_bits <= bits_of(c_text.unsigned_type(max(ir.n_leaves - 1, 0))):
            return "inline", values & ((1 << value_bits) - 1)
        return "value", np.arange(ir.n_leaves, dtype=np.int64)
    return "entries", np.arange(ir.n_leaves, dtype=np.int64)


def preorder_nodes(ir: TreeEnsemble, names: np.ndarray) -> PreorderNodes:
    n_nodes = ir.n_nodes
    order = np.zeros(n_nodes, dtype=np.int64)
    flags = np.zeros(n_nodes, dtype=np.int64)
    left_leaf = np.zeros(n_nodes, dtype=np.int64)
    right = np.zeros(n_nodes, dtype=np.int64)
    position_of = np.zeros(n_nodes, dtype=np.int64)
    roots = np.zeros(ir.n_trees, dtype=np.int64)
    position = 0
    for tree, root in enumerate(ir.roots.astype(np.int64)):
        if root < 0:
            roots[tree] = n_nodes + names[-root - 1]
            continue
        roots[tree] = position
        stack = [int(root)]
        while stack:  # no recursion: trees may be deep
            node = stack.pop()
            order[position], position_of[node] = node, position
            position += 1
            for child in (int(ir.right[node]), int(ir.left[node])):  # left is popped first
                if child >= 0:
                    stack.append(child)
    for p, node in enumerate(order):
        left, right_child = int(ir.left[node]), int(ir.right[node])
        if left < 0:
            flags[p] |= LEFT_LEAF
            left_leaf[p] = names[-left - 1]
        if right_child < 0:
            flags[p] |= RIGHT_LEAF
            right[p] = names[-right_child - 1]
        else:
            right[p] = position_of[right_child] - p
    return PreorderNodes(order=order, flags=flags, left_leaf=left_leaf, right=right, roots=roots)


def feature_codes(ir: TreeEnsemble) -> np.ndarray:
    """The feature number per IR node; float input adds the missing-left bit below it."""
    if ir.input.is_float:
        return ir.feature.astype(np.int64) * 2 + ir.missing_left.astype(np.int64)
    return ir.feature.astype(np.int64)


def compact_shape(ir: TreeEnsemble, nodes: PreorderNodes | None = None) -> CompactShape:
    kind, names = leaf_names(ir)
    nodes = nodes if nodes is not None else preorder_nodes(ir, names)
    n_nodes = ir.n_nodes
    threshold_ctype = "int32_t" if ir.input.is_float else INPUT_TYPES[ir.input.dtype].ctype
    threshold_bytes = bits_of(threshold_ctype) // 8
    distinct = len(np.unique(ir.threshold))
    feature_max = int(feature_codes(ir).max(initial=0))
    index_max = max(distinct - 1, 0)
    flags_in, feature_ctype, index_ctype = _flag_home(feature_max, index_max, distinct, n_nodes, threshold_bytes)
    shared = flags_in == "threshold" or (
        distinct * threshold_bytes + n_nodes * bits_of(index_ctype) // 8 < n_nodes * threshold_bytes)
    thresholds = [("threshold_value", threshold_ctype, distinct), ("threshold", index_ctype, n_nodes)] \
        if shared else [("threshold", threshold_ctype, n_nodes)]
    flags = [("flags", "uint8_t", n_nodes)] if flags_in == "flags" else []
    left_ctype = c_text.unsigned_type(int(nodes.left_leaf.max(initial=0)))
    right_ctype = c_text.unsigned_type(int(nodes.right.max(initial=0)))
    leaf_ctype = left_ctype if bits_of(left_ctype) >= bits_of(right_ctype) else right_ctype
    node_ctype = c_text.unsigned_type(max(int(nodes.roots.max(initial=0)), n_nodes))
    value_ctype, leaves, entries_shared = _leaf_arrays(ir, kind)
    arrays = [("feature", feature_ctype, n_nodes), *thresholds, *flags, ("left_leaf", left_ctype, n_nodes),
              ("right", right_ctype, n_nodes), ("roots", node_ctype, ir.n_trees), *leaves]
    return CompactShape(feature_ctype=feature_ctype, flags_in=flags_in, threshold_ctype=threshold_ctype,
                        shared_thresholds=shared, threshold_index_ctype=index_ctype, leaf_ctype=leaf_ctype,
                        node_ctype=node_ctype, leaf_kind=kind, value_ctype=value_ctype,
                        entry_values_shared=entries_shared,
                        arrays=tuple((suffix, ctype, max(int(length), 1)) for suffix, ctype, length in arrays))


def _flag_home(feature_max: int, index_max: int, distinct: int, n_nodes: int,
               threshold_bytes: int) -> tuple[str, str, str]:
    """Where the two flag bits cost least: beside the feature if its type has room, else beside
    the threshold index if sharing thresholds pays and its type has room, else their own byte."""
    plain_feature, plain_index = c_text.unsigned_type(feature_max), c_text.unsigned_type(index_max)
    if c_text.unsigned_type(feature_max * 4 + 3) == plain_feature:
        return "feature", c_text.unsigned_type(feature_max * 4 + 3), plain_index
    flagged_index = c_text.unsigned_type(index_max * 4 + 3)
    shared_bytes = distinct * threshold_bytes + n_nodes * bits_of(flagged_index) // 8
    if flagged_index == plain_index and shared_bytes < n_nodes * threshold_bytes:
        return "threshold", plain_feature, flagged_index
    return "flags", plain_feature, plain_index


def _leaf_arrays(ir: TreeEnsemble, kind: str) -> tuple[str, list[tuple[str, str, int]], bool]:
    value_bits = 8 * leaf_bytes(ir)
    if kind == "class":
        return f"uint{value_bits}_t", [], False
    ctype = f"int{value_bits}_t"
    outputs = [("tree_output", "uint8_t", ir.n_trees)] if ir.leaf_encoding == "scalar" and ir.n_outputs > 1 else []
    if kind == "inline":
        return ctype, outputs, False
    if kind == "value":
        return ctype, [("leaf_value", ctype, ir.n_leaves), *outputs], False
    entries = ir.leaf_values[np.nonzero(ir.leaf_values)]
    distinct = len(np.unique(entries))
    index_ctype = c_text.unsigned_type(max(distinct - 1, 0))
    shared = distinct * value_bits // 8 + len(entries) * bits_of(index_ctype) // 8 < len(entries) * value_bits // 8
    values = [("entry_value_distinct", ctype, distinct), ("entry_value", index_ctype, len(entries))] \
        if shared else [("entry_value", ctype, len(entries))]
    starts = [("leaf_start", c_text.unsigned_type(len(entries)), ir.n_leaves + 1),
              ("entry_output", "uint8_t", len(entries))]
    return ctype, [*starts, *values], shared
