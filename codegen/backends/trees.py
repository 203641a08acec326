"""TreeEnsemble integer IR -> template context -> C header (layouts `ifelse`, `table`, `compact`).

Every number, type and name is decided here; the templates only loop and print.

Code shapes: a single classification tree returns its leaf's class ("direct"); a model with
one score keeps it in a local variable ("single"); otherwise scores live in an array ("multi").
"""

from __future__ import annotations

import numpy as np

from codegen.backends import c_text, flash_tables
from codegen.backends.compact_shape import compact_shape
from codegen.backends.compact_trees import compact_context
from codegen.backends.early_exit_c import exit_context, ifelse_check
from codegen.backends.flash_tables import NEAR, Placement
from codegen.backends.proba import proba_context
from codegen.backends.render import render
from codegen.backends.table_shape import TableShape, table_shape
from codegen.chips import chip, chip_flash_bytes
from codegen.input_types import INPUT_TYPES
from codegen.ir.early_exit import tree_contribution_bounds
from codegen.ir.floatkey import key_bits
from codegen.ir.interpret import ADD_CLASS, COMPARE_CLASS, leaf_bytes, vote_bits
from codegen.ir.meaning import score_meaning
from codegen.ir.model import POST_SIGNED_SQUARE, TreeEnsemble
from codegen.settings import Settings

BYTE_WINDOW = 64  # the AVR's ldd reaches 0..63 bytes past a base pointer
BASE_CYCLES = 8  # a base pointer held in a register pair: push, pop, set-up


def tree_header(ir: TreeEnsemble, settings: Settings, layout: str, model_hash: int, version: str) -> str:
    context = _common_context(ir, settings, model_hash, version)
    context.update(proba_context(ir))
    context.update(exit_context(ir, settings.name))
    if layout == "ifelse":
        context.update(_ifelse_context(ir, settings))
        _add_exit_checks(context)
        return render("tree_ifelse.h.j2", context)
    if layout == "compact":
        shape = compact_shape(ir)
        placement = table_placement(settings, shape.code_bytes)
        context.update(compact_context(ir, settings.name, placement, shape, code_shape(ir)))
        return render("tree_compact.h.j2", context)
    shape = table_shape(ir)
    context.update(_table_context(ir, settings.name, table_placement(settings, shape.code_bytes), shape))
    return render("tree_table.h.j2", context)


def table_placement(settings: Settings, table_bytes: int) -> Placement:
    """Split / far reads for the chip converted for (see codegen/backends/flash_tables.py)."""
    flash = chip_flash_bytes(settings.chip, settings.target)
    return flash_tables.placement_for(settings.target, flash, table_bytes)


def estimate_table_bytes(ir: TreeEnsemble) -> int:
    return table_shape(ir).code_bytes


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
        squared = " sign(s) * s**2 of the score s (LightGBM reg_sqrt)," if ir.post == POST_SIGNED_SQUARE else ""
        lines.append(f"Output:{squared} fixed point, {ir.leaf_format.frac_bits} fraction bits, "
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
    bits = int(key_bits(key))
    top = bits >> 24
    if half_words and _byte_comparable(key):
        window, offset = divmod(4 * feature + 3, BYTE_WINDOW)  # where the top byte is read from
        return "", (f"{name}_le8_{sign}(x, {name}_b{window}, {offset}u, {feature}u, 0x{top:02X}u, "
                    f"0x{(bits >> 16) & 0xFF:02X}u, {int(missing_left)}u, {node}u)")
    if half_words:
        return "key", f"{name}_le_key({name}_bits(x, {feature}), {c_text.int_literal(key)}, {int(missing_left)}u)"
    literal = c_text.int_literal(key) if key >= 0 else f"0x{bits:08X}u"
    kind = f"{sign}_{side}" + ("_split" if thumb2 and (sign == "neg" or missing_left) else "")
    return kind, f"{name}_le_{kind}({name}_bits(x, {feature}), {literal})"


def _ifelse_context(ir: TreeEnsemble, settings: Settings) -> dict:
    name, upper = settings.name, settings.name.upper()
    half_words = chip(settings.target).word_bits == 8
    # Cores with Thumb-2 compare against most float thresholds as an immediate (or one literal),
    # so two plain compares beat the one-compare tricks that need an add and two literals there.
    thumb2 = chip(settings.target).thumb2
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
    # measured on AVR only so far (Cortex-M keeps scikit-learn's order)
    for node in np.flatnonzero(_right_likelier(ir) if half_words else []):
        conditions[node] = conditions[node].replace("if (", "if (!", 1)
    tests.discard("")
    # int32 sums in acc[] (a single score stays in registers)
    byte_adds = half_words and code_shape(ir) == "multi" and ir.leaf_encoding in ("sparse", "scalar")
    trees = [_nested_branches(ir, tree, conditions, upper, byte_adds) for tree in range(ir.n_trees)]
    byte_compare = half_words and ir.input.is_float and ir.n_nodes > 0
    # the exact test behind the byte compares looks up each node's key (5 bytes a node)
    placement = table_placement(settings, 5 * ir.n_nodes) if byte_compare else NEAR
    exact_key = _array(f"{name}_exact_key", "int32_t", ir.threshold if byte_compare else [], placement)
    missing = _array(f"{name}_exact_missing_left", "uint8_t", ir.missing_left if byte_compare else [], placement)
    return {
        "tests": sorted(tests), "trees": trees, "half_words": byte_compare, "byte_adds": byte_adds,
        "byte_bases": _byte_bases(ir, name) if byte_compare else [],
        "exact_key": exact_key, "exact_missing_left": missing, "far_tables": placement.far,
        "exact_key_read": flash_tables.read(upper, exact_key, "node"),
        "exact_missing_left_read": flash_tables.read(upper, missing, "node"),
    }


def _byte_comparable(key: int) -> bool:
    """Byte compares need a top byte other than 0x7F / 0xFF (else t is huge or infinite)."""
    return int(key_bits(key)) >> 24 not in (0x7F, 0xFF)


def _byte_bases(ir: TreeEnsemble, name: str) -> list[str]:
    """A pointer per 64-byte window of the input that a byte compare reads. One held in a
    register (KEEP_BASE) costs about BASE_CYCLES per inference (set up, saved, restored) and
    saves 2 cycles a read (no add of the offset): kept where the window's expected reads pay."""
    reads: dict[int, float] = {}
    share = _visit_share(ir)
    for node, (feature, key) in enumerate(zip(ir.feature, ir.threshold)):
        if _byte_comparable(int(key)):
            window = (4 * int(feature) + 3) // BYTE_WINDOW
            reads[window] = reads.get(window, 0.0) + share[node]
    lines = []
    for window in sorted(reads):
        start = f" + {window * BYTE_WINDOW}" if window else ""
        lines.append(f"const unsigned char *{name}_b{window} = (const unsigned char *)x{start};")
        if window and 2 * reads[window] > BASE_CYCLES:
            lines.append(f"{name.upper()}_KEEP_BASE({name}_b{window});")
    return lines


def _right_likelier(ir: TreeEnsemble) -> np.ndarray:
    """Nodes whose right child took more training samples: the if-else layout puts it first,
    so that the likelier path falls through (a taken branch costs a cycle more on AVR)."""
    if ir.child_weight is None:
        return np.zeros(ir.n_nodes, dtype=bool)
    return ir.child_weight[:, 1] > ir.child_weight[:, 0]


def _visit_share(ir: TreeEnsemble) -> np.ndarray:
    """The expected number of visits of each node per inference: from the training samples
    where the frontend gave them, else as if every split halved the rows."""
    share = np.zeros(ir.n_nodes)
    stack = [(int(root), 1.0) for root in ir.roots if root >= 0]
    while stack:
        node, reach = stack.pop()
        share[node] = reach
        if ir.child_weight is not None:
            total = max(int(ir.child_weight[node].sum()), 1)
            parts = ir.child_weight[node] / total
        else:
            parts = (0.5, 0.5)
        for child, part in zip((int(ir.left[node]), int(ir.right[node])), parts):
            if child >= 0:
                stack.append((child, reach * float(part)))
    return share


def _add_exit_checks(context: dict) -> None:
    """After each checkpoint's tree, the early-exit test (see codegen/ir/early_exit.py)."""
    if context["exit"]:
        for tree, check in context["exit"]["after_tree"].items():
            context["trees"][tree].append(ifelse_check(context, check))


def _ifelse_leaf(ir: TreeEnsemble, leaf: int, tree: int, upper: str, byte_adds: bool) -> str:
    values = ir.leaf_values[leaf]
    if ir.returns_leaf_class:
        return f"return {int(values[0])}u;"
    if ir.leaf_encoding == "class":
        return f"++acc[{int(values[0])}]; {upper}_COUNT_LEAF(1);"
    if ir.leaf_encoding == "scalar":
        if ir.n_outputs == 1:
            return f"s += {c_text.int_literal(values[0])}; {upper}_COUNT_LEAF(1);"
        return f"{_leaf_add(int(ir.tree_output[tree]), int(values[0]), upper, byte_adds)} {upper}_COUNT_LEAF(1);"
    adds = [_leaf_add(k, int(v), upper, byte_adds) for k, v in enumerate(values) if v != 0]
    return " ".join([*adds, f"{upper}_COUNT_LEAF({len(adds)});"])


def _leaf_add(output: int, value: int, upper: str, byte_adds: bool) -> str:
    """acc[output] += value; on 8-bit cores only the bytes above the value's zero low bytes
    (the low bytes cannot carry, so the sum is the same: see ADD_HIGH in _tree_parts)."""
    if byte_adds and value % (1 << 24) == 0:
        return f"{upper}_ADD_HIGH8(acc[{output}], 0x{(value >> 24) & 0xFF:02X}u);"
    if byte_adds and value % (1 << 16) == 0:
        return f"{upper}_ADD_HIGH16(acc[{output}], 0x{(value >> 16) & 0xFFFF:04X}u);"
    return f"acc[{output}] += {c_text.int_literal(value)};"


def _nested_branches(ir: TreeEnsemble, tree: int, conditions: list[str], upper: str,
                     byte_adds: bool) -> list[str]:
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
            lines.append(pad + _ifelse_leaf(ir, -child - 1, tree, upper, byte_adds))
            continue
        lines.append(pad + conditions[child])
        first, second = int(ir.left[child]), int(ir.right[child])
        if conditions[child].startswith("if (!"):  # the right child is the likelier: it comes first
            first, second = second, first
        stack.append(pad + "}")
        stack.append((second, depth + 1))
        stack.append(pad + "} else {")
        stack.append((first, depth + 1))
    return lines


# ---- table layout ---------------------------------------------------------------------------

def _table_context(ir: TreeEnsemble, name: str, placement: Placement, shape: TableShape) -> dict:
    n_nodes, upper = ir.n_nodes, name.upper()
    index_ctype, feature_ctype, threshold_ctype = shape.index_ctype, shape.feature_ctype, shape.threshold_ctype

    def child_index(children: np.ndarray) -> np.ndarray:
        children = children.astype(np.int64)
        return np.where(children < 0, n_nodes + (-children - 1), children)

    def table(suffix: str, ctype: str, values) -> dict:
        return _array(f"{name}_{suffix}", ctype, values, placement)

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
        "exact_key": _array(f"{name}_exact_key", "int32_t", []),
        "exact_missing_left": _array(f"{name}_exact_missing_left", "uint8_t", []),
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
        values = _array(f"{name}_threshold_value", ctype, distinct, placement)
        positions = _array(f"{name}_threshold", shape.threshold_index_ctype, index, placement)
        position = flash_tables.read(upper, positions, "n")
        return [values, positions], f"({ctype}){flash_tables.read(upper, values, position)}"
    thresholds = _array(f"{name}_threshold", ctype, ir.threshold, placement)
    return [thresholds], f"({ctype}){flash_tables.read(upper, thresholds, 'n')}"


def _table_leaves(ir: TreeEnsemble, name: str, value_ctype: str, placement: Placement) -> tuple[list[dict], list[str]]:
    upper = name.upper()

    def table(suffix: str, ctype: str, values) -> dict:
        return _array(f"{name}_{suffix}", ctype, values, placement)

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


def _array(name: str, ctype: str, values, placement: Placement = NEAR) -> dict:
    return flash_tables.array(name, ctype, values, placement)
