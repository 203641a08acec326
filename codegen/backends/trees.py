"""TreeEnsemble integer IR -> template context -> C header (layouts `ifelse` and `table`).

Every number, type and name is decided here; the templates only loop and print.
"""

from __future__ import annotations

import re

import numpy as np

from codegen.backends import c_text
from codegen.backends.render import render
from codegen.backends.targets import profile
from codegen.ir.floatkey import SIGN_BIT
from codegen.ir.interpret import ADD_CLASS, COMPARE_CLASS, INPUT_BITS, leaf_bytes, vote_bits
from codegen.ir.model import TreeEnsemble
from codegen.settings import Settings

INPUT_CTYPES = {"float32": "float", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
                "uint8": "uint8_t", "uint16": "uint16_t"}
TABLE_NODE_OVERHEAD_BYTES = 64  # the walking loop itself, roughly, per target


def tree_header(ir: TreeEnsemble, settings: Settings, layout: str, model_hash: int, version: str) -> str:
    context = _common_context(ir, settings, model_hash, version)
    if layout == "ifelse":
        context.update(_ifelse_context(ir, settings.name))
        return render("tree_ifelse.h.j2", context)
    context.update(_table_context(ir, settings.name))
    return render("tree_table.h.j2", context)


def choose_layout(ir: TreeEnsemble, settings: Settings) -> str:
    """`auto`: branches are faster; take them unless their code would be much larger than the
    tables or crowd the target's flash."""
    if settings.layout != "auto":
        return settings.layout
    if ir.n_nodes == 0:
        return "ifelse"
    target = profile(settings.target)
    ifelse_bytes = ir.n_nodes * target.ifelse_node_bytes
    table_bytes = estimate_table_bytes(ir)
    fits = ifelse_bytes <= target.flash_bytes // 2
    return "ifelse" if fits and ifelse_bytes <= 4 * table_bytes else "table"


def estimate_table_bytes(ir: TreeEnsemble) -> int:
    index_bytes = _bytes_of(c_text.unsigned_type(ir.n_nodes + ir.n_leaves))
    feature_bytes = _bytes_of(_feature_ctype(ir))
    threshold_bytes = INPUT_BITS[ir.input.dtype] // 8
    per_node = feature_bytes + threshold_bytes + 2 * index_bytes
    return ir.n_nodes * per_node + ir.leaf_values.size * leaf_bytes(ir) + TABLE_NODE_OVERHEAD_BYTES


def _bytes_of(ctype: str) -> int:
    return int(re.search(r"\d+", ctype).group()) // 8


def _common_context(ir: TreeEnsemble, settings: Settings, model_hash: int, version: str) -> dict:
    name = settings.name
    input_bits = INPUT_BITS[ir.input.dtype]
    acc_bits = vote_bits(ir) if ir.leaf_encoding == "class" else 32
    return {
        "name": name,
        "NAME": name.upper(),
        "version": version,
        "estimator": ir.estimator or "tree ensemble",
        "summary": _summary(ir),
        "needs_memcpy": ir.input.is_float,
        "n_features": ir.input.n_features,
        "n_outputs": ir.n_outputs,
        "n_classes": len(ir.classes) if ir.is_classifier else 0,
        "frac_bits": ir.leaf_format.frac_bits if ir.leaf_encoding != "class" else 0,
        "model_hash": f"0x{model_hash:08X}u",
        "input_ctype": INPUT_CTYPES[ir.input.dtype],
        "is_float": ir.input.is_float,
        "node_compare": COMPARE_CLASS[input_bits],
        "input_bytes": input_bits // 8,
        "leaf_add": ADD_CLASS[acc_bits],
        "leaf_bytes": leaf_bytes(ir),
        "acc_compare": COMPARE_CLASS[acc_bits],
        "acc_ctype": f"uint{acc_bits}_t" if ir.leaf_encoding == "class" else "int32_t",
        "encoding": ir.leaf_encoding,
        "class_vote": ir.class_vote,
        "base": [c_text.int_literal(b) for b in ir.base_score],
        "post": ir.post,
        "leaf_table": _leaf_table(ir, name),
    }


def _summary(ir: TreeEnsemble) -> list[str]:
    lines = [f"{ir.n_trees} trees, {ir.n_nodes} decision nodes, {ir.n_leaves} distinct leaves, "
             f"{ir.input.n_features} {ir.input.dtype} features."]
    if ir.is_classifier:
        labels = ", ".join(f"{i}: {c_text.comment_text(c)}" for i, c in enumerate(ir.classes))
        lines.append(f"Class index -> label: {labels}.")
    else:
        lines.append(f"Output: fixed point, {ir.leaf_format.frac_bits} fraction bits, "
                     f"|error| <= {ir.error_bound:.3g} against the float model.")
    if ir.input.feature_names:
        names = ", ".join(c_text.comment_text(n) for n in ir.input.feature_names)
        lines.append(f"Features: {names}.")
    return lines


def _leaf_table(ir: TreeEnsemble, name: str) -> dict:
    bits = 8 * leaf_bytes(ir)
    ctype = f"uint{bits}_t" if ir.leaf_encoding == "class" else f"int{bits}_t"
    values = ir.leaf_values.ravel()
    return {"name": f"{name}_leaves", "ctype": ctype, "bits": bits, "size": max(values.size, 1),
            "rows": c_text.table_rows(values, per_line=max(ir.n_outputs, 16))}


# ---- if-else layout -------------------------------------------------------------------------

def _float_test(name: str, feature: int, key: int, missing_left: bool) -> tuple[str, str]:
    """The C test for `x[feature] <= t` (t given as its key) with NaN routed as sklearn does,
    on the raw bits: no key computation at run time."""
    bits = f"{name}_bits(x, {feature})"
    if key >= 0:
        kind = "pos_nanleft" if missing_left else "pos_nanright"
        literal = f"0x{key:08X}u" if missing_left else c_text.int_literal(key)
    else:
        kind = "neg_nanleft" if missing_left else "neg_nanright"
        literal = f"0x{SIGN_BIT - key:08X}u"  # the bits of the negative threshold
    return kind, f"{name}_le_{kind}({bits}, {literal})"


def _ifelse_context(ir: TreeEnsemble, name: str) -> dict:
    upper = name.upper()
    tests: set[str] = set()
    conditions = []
    for node in range(ir.n_nodes):
        feature, threshold = int(ir.feature[node]), int(ir.threshold[node])
        if ir.input.is_float:
            kind, test = _float_test(name, feature, threshold, bool(ir.missing_left[node]))
            tests.add(kind)
        else:
            test = f"x[{feature}] <= {c_text.int_literal(threshold)}"
        conditions.append(f"if ({upper}_NODE({test})) {{")
    leaf_lines = [_ifelse_leaf(ir, name, leaf) for leaf in range(ir.n_leaves)]
    trees = [_nested_branches(ir, tree, conditions, leaf_lines) for tree in range(ir.n_trees)]
    return {"tests": sorted(tests), "trees": trees, "n_nodes": ir.n_nodes}


def _ifelse_leaf(ir: TreeEnsemble, name: str, leaf: int) -> str:
    upper = name.upper()
    if ir.leaf_encoding == "vector":
        return f"{name}_add_leaf(acc, {leaf}u);"
    value = int(ir.leaf_values[leaf, 0])
    if ir.leaf_encoding == "class":
        return f"++acc[{value}]; {upper}_COUNT_LEAF(1);"
    return f"acc[@OUTPUT@] += {c_text.int_literal(value)}; {upper}_COUNT_LEAF(1);"


def _nested_branches(ir: TreeEnsemble, tree: int, conditions: list[str], leaf_lines: list[str]) -> list[str]:
    """One tree as indented lines of nested if/else, built without recursion (deep trees)."""
    root = int(ir.roots[tree])
    output = str(int(ir.tree_output[tree])) if ir.tree_output is not None else "0"
    lines: list[str] = []
    stack: list[tuple[int, int] | str] = [(root, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            lines.append(item)
            continue
        child, depth = item
        pad = "    " * depth
        if child < 0:
            lines.append(pad + leaf_lines[-child - 1].replace("@OUTPUT@", output))
            continue
        lines.append(pad + conditions[child])
        stack.append(pad + "}")
        stack.append((int(ir.right[child]), depth + 1))
        stack.append(pad + "} else {")
        stack.append((int(ir.left[child]), depth + 1))
    return lines


# ---- table layout ---------------------------------------------------------------------------

def _feature_ctype(ir: TreeEnsemble) -> str:
    # float input packs missing_left into the lowest bit: value = feature * 2 + missing_left
    top = 2 * ir.input.n_features if ir.input.is_float else ir.input.n_features
    return c_text.unsigned_type(top)


def _table_context(ir: TreeEnsemble, name: str) -> dict:
    n_nodes = ir.n_nodes
    index_ctype = c_text.unsigned_type(n_nodes + ir.n_leaves)

    def child_index(children: np.ndarray) -> np.ndarray:
        children = children.astype(np.int64)
        return np.where(children < 0, n_nodes + (-children - 1), children)

    feature_ctype = _feature_ctype(ir)
    if ir.input.is_float:
        features = ir.feature.astype(np.int64) * 2 + ir.missing_left.astype(np.int64)
        threshold_ctype = "int32_t"
        node_test = f"{name}_le_key({name}_bits(x, (unsigned)(f >> 1)), t, f & 1u)"
    else:
        features = ir.feature.astype(np.int64)
        threshold_ctype = INPUT_CTYPES[ir.input.dtype]
        node_test = "x[f] <= t"
    tables = [
        _array(f"{name}_feature", feature_ctype, features),
        _array(f"{name}_threshold", threshold_ctype, ir.threshold),
        _array(f"{name}_left", index_ctype, child_index(ir.left)),
        _array(f"{name}_right", index_ctype, child_index(ir.right)),
        _array(f"{name}_roots", index_ctype, child_index(ir.roots)),
    ]
    leaf_table = _leaf_table(ir, name)
    tables.append(leaf_table)
    if ir.leaf_encoding == "scalar" and ir.n_outputs > 1:
        tables.append(_array(f"{name}_tree_output", "uint8_t", ir.tree_output))
    return {
        "tests": ["key"] if ir.input.is_float else [],
        "tables": tables,
        "n_nodes": n_nodes,
        "n_trees": ir.n_trees,
        "index_ctype": index_ctype,
        "index_bits": _bits(index_ctype),
        "feature_ctype": feature_ctype,
        "feature_bits": _bits(feature_ctype),
        "threshold_ctype": threshold_ctype,
        "threshold_bits": _bits(threshold_ctype),
        "node_test": node_test,
        "leaf_action": _table_leaf_action(ir, name, leaf_table),
    }


def _table_leaf_action(ir: TreeEnsemble, name: str, leaf_table: dict) -> str:
    upper = name.upper()
    value = f"({leaf_table['ctype']}){upper}_READ_{leaf_table['bits']}(&{leaf_table['name']}[leaf])"
    if ir.leaf_encoding == "vector":
        return f"{name}_add_leaf(acc, leaf);"
    if ir.leaf_encoding == "class":
        return f"++acc[{value}]; {upper}_COUNT_LEAF(1);"
    output = f"{upper}_READ_8(&{name}_tree_output[tree])" if ir.n_outputs > 1 else "0"
    return f"acc[{output}] += (int32_t){value}; {upper}_COUNT_LEAF(1);"


def _bits(ctype: str) -> int:
    return 8 * _bytes_of(ctype)


def _array(name: str, ctype: str, values) -> dict:
    values = np.asarray(values).ravel()
    return {"name": name, "ctype": ctype, "bits": _bits(ctype), "size": max(values.size, 1),
            "rows": c_text.table_rows(values)}
