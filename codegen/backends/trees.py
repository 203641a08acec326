"""TreeEnsemble integer IR -> template context -> C header (layouts `ifelse` and `table`).

Every number, type and name is decided here; the templates only loop and print.

Code shapes: a single classification tree returns its leaf's class ("direct"); a model with
one score keeps it in a local variable ("single"); otherwise scores live in an array ("multi").
"""

from __future__ import annotations

import numpy as np

from codegen.backends import c_text
from codegen.backends.early_exit_c import exit_context, ifelse_check
from codegen.backends.proba import proba_context
from codegen.backends.render import render
from codegen.backends.targets import profile
from codegen.input_types import INPUT_TYPES
from codegen.ir.early_exit import tree_contribution_bounds
from codegen.ir.floatkey import SIGN_BIT
from codegen.ir.interpret import ADD_CLASS, COMPARE_CLASS, leaf_bytes, vote_bits
from codegen.ir.model import TreeEnsemble
from codegen.reports import score_meaning
from codegen.settings import Settings

TABLE_CODE_BYTES = 160  # the walking loop itself, roughly
# Cores with Thumb-2 compare against most float thresholds as an immediate (or one literal), so
# two plain compares beat the one-compare tricks that need an add and two literals there.
THUMB2_TARGETS = frozenset({"cortex-m3", "cortex-m4", "cortex-m7"})


def tree_header(ir: TreeEnsemble, settings: Settings, layout: str, model_hash: int, version: str) -> str:
    context = _common_context(ir, settings, model_hash, version)
    context.update(proba_context(ir))
    context.update(exit_context(ir, settings.name))
    if layout == "ifelse":
        context.update(_ifelse_context(ir, settings))
        _add_exit_checks(context)
        return render("tree_ifelse.h.j2", context)
    context.update(_table_context(ir, settings.name))
    return render("tree_table.h.j2", context)


def choose_layout(ir: TreeEnsemble, settings: Settings) -> str:
    """`auto`: branches are faster; take them while their estimated code takes at most a
    quarter of the target's flash (leaving room for the application), else the tables."""
    if settings.layout != "auto":
        return settings.layout
    target = profile(settings.target)
    return "ifelse" if ir.n_nodes * target.ifelse_node_bytes <= target.flash_bytes // 4 else "table"


def estimate_table_bytes(ir: TreeEnsemble) -> int:
    return TABLE_CODE_BYTES + sum(t["size"] * t["bits"] // 8 for t in _table_context(ir, "m")["tables"])


def code_shape(ir: TreeEnsemble) -> str:
    if ir.returns_leaf_class:
        return "direct"
    # vote counters live in an array, even for a single class (a one-class forest)
    return "single" if ir.n_outputs == 1 and ir.leaf_encoding != "class" else "multi"


def _common_context(ir: TreeEnsemble, settings: Settings, model_hash: int, version: str) -> dict:
    name = settings.name
    input_bits = INPUT_TYPES[ir.input.dtype].bits
    acc_bits = vote_bits(ir) if ir.leaf_encoding == "class" else 32
    return {
        "name": name,
        "NAME": name.upper(),
        "version": version,
        "estimator": ir.estimator or "tree ensemble",
        "summary": _summary(ir),
        "n_features": ir.input.n_features,
        "n_outputs": ir.n_outputs,
        "n_classes": len(ir.classes) if ir.is_classifier else 0,
        "frac_bits": ir.leaf_format.frac_bits,
        "model_hash": f"0x{model_hash:08X}u",
        "input_ctype": INPUT_TYPES[ir.input.dtype].ctype,
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
        "tie_margin": ir.tie_margin,
        "argmax_bar": _argmax_bar_fits(ir),
        "shape": code_shape(ir),
        "class_ctype": c_text.unsigned_type(max(ir.n_outputs - 1, 0)),
        "n_nodes": ir.n_nodes,
    }


def _argmax_bar_fits(ir: TreeEnsemble) -> bool:
    """With a tie margin m, predict's argmax may test acc[k] > bar, bar = leader + m (an add per
    new leader instead of a subtract per class), when no score plus m can leave int32."""
    if not ir.tie_margin or ir.leaf_encoding == "class" or ir.n_trees == 0:
        return False
    most, least = tree_contribution_bounds(ir)
    base = ir.base_score.astype(np.int64)
    top = int((base + np.maximum(most, 0).sum(axis=0)).max())
    bottom = int((base + np.minimum(least, 0).sum(axis=0)).min())
    margin = abs(int(ir.tie_margin))
    return top + margin < 2**31 and bottom - margin >= -(2**31)


def _summary(ir: TreeEnsemble) -> list[str]:
    lines = [f"{ir.n_trees} trees, {ir.n_nodes} decision nodes, {ir.n_leaves} distinct leaves, "
             f"{ir.input.n_features} {ir.input.dtype} features."]
    if ir.is_classifier:
        labels = ", ".join(f"{i}: {c_text.comment_text(c)}" for i, c in enumerate(ir.classes))
        lines.append(f"Class index -> label: {labels}.")
        lines.append(f"Scores / 2^OUTPUT_FRAC_BITS: {score_meaning(ir)}.")
    else:
        lines.append(f"Output: fixed point, {ir.leaf_format.frac_bits} fraction bits, "
                     f"|error| <= {ir.error_bound:.3g} against the float model.")
    if ir.input.feature_names:
        names = ", ".join(c_text.comment_text(n) for n in ir.input.feature_names)
        lines.append(f"Features: {names}.")
    return lines


# ---- if-else layout -------------------------------------------------------------------------

def _float_test(name: str, node: int, feature: int, key: int, missing_left: bool,
                half_words: bool, thumb2: bool = False) -> tuple[str, str]:
    """The C test for `x[feature] <= t` (t given as its key) with NaN routed as scikit-learn
    does, on the raw bits: no key is computed at run time. 8-bit targets compare byte by byte;
    Thumb-2 cores take two compares (`_split`) where the usual test needs an add and literals;
    the first decides the side NaN goes to, which scikit-learn makes the side most rows take."""
    sign = "pos" if key >= 0 else "neg"
    side = "nanleft" if missing_left else "nanright"
    bits = key if key >= 0 else SIGN_BIT - key  # the threshold's own float bits for t < 0
    top = bits >> 24
    if half_words and top not in (0x7F, 0xFF):  # else t is huge or infinite: the generic test
        return "", f"{name}_le8_{sign}(&x[{feature}], 0x{top:02X}u, 0x{(bits >> 16) & 0xFF:02X}u, {node}u)"
    if half_words:
        return "key", f"{name}_le_key({name}_bits(x, {feature}), {c_text.int_literal(key)}, {int(missing_left)}u)"
    literal = c_text.int_literal(key) if key >= 0 else f"0x{bits:08X}u"
    kind = f"{sign}_{side}" + ("_split" if thumb2 and (sign == "neg" or missing_left) else "")
    return kind, f"{name}_le_{kind}({name}_bits(x, {feature}), {literal})"


def _ifelse_context(ir: TreeEnsemble, settings: Settings) -> dict:
    name, upper = settings.name, settings.name.upper()
    half_words = profile(settings.target).word_bits == 8
    thumb2 = settings.target in THUMB2_TARGETS
    tests: set[str] = set()
    conditions = []
    for node in range(ir.n_nodes):
        feature, threshold = int(ir.feature[node]), int(ir.threshold[node])
        if ir.input.is_float:
            kind, test = _float_test(name, node, feature, threshold, bool(ir.missing_left[node]), half_words,
                                     thumb2)
            tests.add(kind)
        else:
            test = f"x[{feature}] <= {c_text.int_literal(threshold)}"
        conditions.append(f"if ({upper}_NODE({test})) {{")
    tests.discard("")
    trees = [_nested_branches(ir, tree, conditions, upper) for tree in range(ir.n_trees)]
    byte_compare = half_words and ir.input.is_float and ir.n_nodes > 0
    return {
        "tests": sorted(tests), "trees": trees, "half_words": byte_compare,
        # the exact test behind the byte compares looks up each node's key
        "exact_key": _array(f"{name}_exact_key", "int32_t", ir.threshold if byte_compare else []),
        "exact_missing_left": _array(f"{name}_exact_missing_left", "uint8_t", ir.missing_left if byte_compare else []),
    }


def _add_exit_checks(context: dict) -> None:
    """After each checkpoint's tree, the early-exit test (see codegen/ir/early_exit.py)."""
    if context["exit"]:
        for tree, check in context["exit"]["after_tree"].items():
            context["trees"][tree].append(ifelse_check(context, check))


def _ifelse_leaf(ir: TreeEnsemble, leaf: int, tree: int, upper: str) -> str:
    values = ir.leaf_values[leaf]
    if ir.returns_leaf_class:
        return f"return {int(values[0])}u;"
    if ir.leaf_encoding == "class":
        return f"++acc[{int(values[0])}]; {upper}_COUNT_LEAF(1);"
    if ir.leaf_encoding == "scalar":
        target = "s" if ir.n_outputs == 1 else f"acc[{int(ir.tree_output[tree])}]"
        return f"{target} += {c_text.int_literal(values[0])}; {upper}_COUNT_LEAF(1);"
    adds = [f"acc[{k}] += {c_text.int_literal(v)};" for k, v in enumerate(values) if v != 0]
    return " ".join([*adds, f"{upper}_COUNT_LEAF({len(adds)});"])


def _nested_branches(ir: TreeEnsemble, tree: int, conditions: list[str], upper: str) -> list[str]:
    """One tree as indented lines of nested if/else, built without recursion (deep trees)."""
    lines: list[str] = []
    stack: list[tuple[int, int] | str] = [(int(ir.roots[tree]), 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            lines.append(item)
            continue
        child, depth = item
        pad = "    " * depth
        if child < 0:
            lines.append(pad + _ifelse_leaf(ir, -child - 1, tree, upper))
            continue
        lines.append(pad + conditions[child])
        stack.append(pad + "}")
        stack.append((int(ir.right[child]), depth + 1))
        stack.append(pad + "} else {")
        stack.append((int(ir.left[child]), depth + 1))
    return lines


# ---- table layout ---------------------------------------------------------------------------

def _table_context(ir: TreeEnsemble, name: str) -> dict:
    n_nodes = ir.n_nodes
    index_ctype = c_text.unsigned_type(n_nodes + ir.n_leaves)

    def child_index(children: np.ndarray) -> np.ndarray:
        children = children.astype(np.int64)
        return np.where(children < 0, n_nodes + (-children - 1), children)

    if ir.input.is_float:
        # missing_left rides in the lowest bit of the feature number
        features = ir.feature.astype(np.int64) * 2 + ir.missing_left.astype(np.int64)
        threshold_ctype = "int32_t"
        node_test = f"{name}_le_key({name}_bits(x, (unsigned)(f >> 1)), t, f & 1u)"
    else:
        features = ir.feature.astype(np.int64)
        threshold_ctype = INPUT_TYPES[ir.input.dtype].ctype
        node_test = "x[f] <= t"
    feature_ctype = c_text.unsigned_type(int(features.max(initial=0)))
    tables = [_array(f"{name}_feature", feature_ctype, features)]
    threshold_tables, threshold_read = _threshold_tables(ir, name, threshold_ctype)
    tables += threshold_tables
    tables += [
        _array(f"{name}_left", index_ctype, child_index(ir.left)),
        _array(f"{name}_right", index_ctype, child_index(ir.right)),
        _array(f"{name}_roots", index_ctype, child_index(ir.roots)),
    ]
    leaf_tables, leaf_action = _table_leaves(ir, name)
    return {
        "half_words": False,
        "exact_key": _array(f"{name}_exact_key", "int32_t", []),
        "exact_missing_left": _array(f"{name}_exact_missing_left", "uint8_t", []),
        "tests": ["key"] if ir.input.is_float else [],
        "tables": tables + leaf_tables,
        "n_trees": ir.n_trees,
        "index_ctype": index_ctype,
        "index_bits": _bits(index_ctype),
        "feature_ctype": feature_ctype,
        "feature_bits": _bits(feature_ctype),
        "threshold_ctype": threshold_ctype,
        "threshold_read": threshold_read,
        "node_test": node_test,
        "leaf_action": leaf_action,
    }


def _threshold_tables(ir: TreeEnsemble, name: str, ctype: str) -> tuple[list[dict], str]:
    """Thresholds inline per node, or (when it is smaller) an index into the distinct ones."""
    upper, bits = name.upper(), _bits(ctype)
    distinct, index = np.unique(ir.threshold, return_inverse=True)
    index_ctype = c_text.unsigned_type(max(len(distinct) - 1, 0))
    shared_bytes = len(distinct) * bits // 8 + ir.n_nodes * _bits(index_ctype) // 8
    if shared_bytes < ir.n_nodes * bits // 8:
        tables = [_array(f"{name}_threshold_value", ctype, distinct), _array(f"{name}_threshold", index_ctype, index)]
        position = f"{upper}_READ_{_bits(index_ctype)}(&{name}_threshold[n])"
        return tables, f"({ctype}){upper}_READ_{bits}(&{name}_threshold_value[{position}])"
    return [_array(f"{name}_threshold", ctype, ir.threshold)], f"({ctype}){upper}_READ_{bits}(&{name}_threshold[n])"


def _table_leaves(ir: TreeEnsemble, name: str) -> tuple[list[dict], list[str]]:
    upper = name.upper()
    value_bits = 8 * leaf_bytes(ir)
    if ir.leaf_encoding == "class":
        table = _array(f"{name}_leaf_class", f"uint{value_bits}_t", ir.leaf_values[:, 0])
        read = f"{upper}_READ_{value_bits}(&{name}_leaf_class[leaf])"
        if ir.returns_leaf_class:
            return [table], [f"return ({c_text.unsigned_type(max(ir.n_outputs - 1, 0))}){read};"]
        return [table], [f"++acc[{read}]; {upper}_COUNT_LEAF(1);"]
    value_ctype = f"int{value_bits}_t"
    if ir.leaf_encoding == "scalar":
        table = _array(f"{name}_leaf_value", value_ctype, ir.leaf_values[:, 0])
        value = f"(int32_t)({value_ctype}){upper}_READ_{value_bits}(&{name}_leaf_value[leaf])"
        if ir.n_outputs == 1:
            return [table], [f"s += {value}; {upper}_COUNT_LEAF(1);"]
        outputs = _array(f"{name}_tree_output", "uint8_t", ir.tree_output)
        return [table, outputs], [f"acc[{upper}_READ_8(&{name}_tree_output[tree])] += {value}; {upper}_COUNT_LEAF(1);"]
    # sparse: each leaf's non-zero entries, stored one after another
    leaf_of_entry, output_of_entry = np.nonzero(ir.leaf_values)
    starts = np.searchsorted(leaf_of_entry, np.arange(ir.n_leaves + 1))
    start_ctype = c_text.unsigned_type(len(leaf_of_entry))
    start_bits = _bits(start_ctype)
    tables = [
        _array(f"{name}_leaf_start", start_ctype, starts),
        _array(f"{name}_entry_output", "uint8_t", output_of_entry),
        _array(f"{name}_entry_value", value_ctype, ir.leaf_values[leaf_of_entry, output_of_entry]),
    ]
    action = [
        "{",
        f"    unsigned e = {upper}_READ_{start_bits}(&{name}_leaf_start[leaf]);",
        f"    unsigned end = {upper}_READ_{start_bits}(&{name}_leaf_start[leaf + 1u]);",
        f"    {upper}_COUNT_LEAF(end - e);",
        "    for (; e < end; ++e) {",
        f"        acc[{upper}_READ_8(&{name}_entry_output[e])] += "
        f"(int32_t)({value_ctype}){upper}_READ_{value_bits}(&{name}_entry_value[e]);",
        "    }",
        "}",
    ]
    return tables, action


def _bits(ctype: str) -> int:
    return int("".join(ch for ch in ctype if ch.isdigit()))


def _array(name: str, ctype: str, values) -> dict:
    values = np.asarray(values).ravel()
    return {"name": name, "ctype": ctype, "bits": _bits(ctype), "size": max(values.size, 1),
            "rows": c_text.table_rows(values)}
