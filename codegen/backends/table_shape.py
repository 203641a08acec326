"""The table layout's arrays, decided once from node counts: each array's C type and length.

The table code (codegen/backends/table_trees.py) fills these arrays; the size checks, `--layout auto`
and tune count their bytes here without building a row of C (issue 18: decisions are made
once and recorded, not recomputed by rendering)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from codegen.backends import c_text
from codegen.backends.flash_tables import arrays_bytes, bits_of
from codegen.input_types import INPUT_TYPES
from codegen.ir.interpret import leaf_bytes
from codegen.ir.model import TreeEnsemble

TABLE_CODE_BYTES = 160  # the walking loop itself, roughly


@dataclass(frozen=True)
class TableShape:
    """What the table layout stores for one IR. `arrays`: (suffix, C type, length) in the order
    the header declares them; a length is at least 1, as an empty C array is not allowed."""

    index_ctype: str  # a child or root: a node number, or n_nodes + the leaf number
    feature_ctype: str  # the feature number (float input: times 2, plus the missing-left bit)
    threshold_ctype: str
    shared_thresholds: bool  # an index per node into the distinct thresholds
    threshold_index_ctype: str
    value_ctype: str  # a leaf value, or a leaf's class for votes
    arrays: tuple[tuple[str, str, int], ...]

    @cached_property
    def table_bytes(self) -> int:
        return arrays_bytes(self.arrays)

    @property
    def code_bytes(self) -> int:
        """The flash estimate of the table layout: its arrays and the walking loop."""
        return TABLE_CODE_BYTES + self.table_bytes


def table_shape(ir: TreeEnsemble) -> TableShape:
    n_nodes, n_leaves = ir.n_nodes, ir.n_leaves
    index_ctype = c_text.unsigned_type(n_nodes + n_leaves)
    if ir.input.is_float:
        feature_max = int((ir.feature.astype(np.int64) * 2 + ir.missing_left.astype(np.int64)).max(initial=0))
        threshold_ctype = "int32_t"
    else:
        feature_max = int(ir.feature.max(initial=0))
        threshold_ctype = INPUT_TYPES[ir.input.dtype].ctype
    feature_ctype = c_text.unsigned_type(feature_max)
    threshold_bits = bits_of(threshold_ctype)
    distinct = _distinct_count(ir.threshold)
    threshold_index_ctype = c_text.unsigned_type(max(distinct - 1, 0))
    shared_bytes = distinct * threshold_bits // 8 + n_nodes * bits_of(threshold_index_ctype) // 8
    shared = shared_bytes < n_nodes * threshold_bits // 8
    thresholds = [("threshold_value", threshold_ctype, distinct), ("threshold", threshold_index_ctype, n_nodes)] \
        if shared else [("threshold", threshold_ctype, n_nodes)]
    value_ctype, leaves = _leaf_arrays(ir)
    arrays = [("feature", feature_ctype, n_nodes), *thresholds, ("left", index_ctype, n_nodes),
              ("right", index_ctype, n_nodes), ("roots", index_ctype, ir.n_trees), *leaves]
    return TableShape(index_ctype=index_ctype, feature_ctype=feature_ctype, threshold_ctype=threshold_ctype,
                      shared_thresholds=shared, threshold_index_ctype=threshold_index_ctype, value_ctype=value_ctype,
                      arrays=tuple((suffix, ctype, max(int(length), 1)) for suffix, ctype, length in arrays))


def _distinct_count(values: np.ndarray) -> int:
    """len(np.unique(values)) by a sort: numpy's hashing unique took 10x longer on 500k keys."""
    ordered = np.sort(np.asarray(values).ravel())
    return int(ordered.size and 1 + np.count_nonzero(ordered[1:] != ordered[:-1]))


def _leaf_arrays(ir: TreeEnsemble) -> tuple[str, list[tuple[str, str, int]]]:
    value_bits = 8 * leaf_bytes(ir)
    if ir.leaf_encoding == "class":
        ctype = f"uint{value_bits}_t"
        return ctype, [("leaf_class", ctype, ir.n_leaves)]
    ctype = f"int{value_bits}_t"
    if ir.leaf_encoding == "scalar":
        outputs = [("tree_output", "uint8_t", ir.n_trees)] if ir.n_outputs > 1 else []
        return ctype, [("leaf_value", ctype, ir.n_leaves), *outputs]
    entries = int(np.count_nonzero(ir.leaf_values))  # sparse: each leaf's non-zero entries
    return ctype, [("leaf_start", c_text.unsigned_type(entries), ir.n_leaves + 1),
                   ("entry_output", "uint8_t", entries), ("entry_value", ctype, entries)]
