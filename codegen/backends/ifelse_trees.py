"""The if-else tree layout's template context: each tree as nested branches on the raw input
bits, leaves as adds of constants (on 8-bit cores byte compares and adds of the high bytes)."""

from __future__ import annotations

import numpy as np

from codegen.backends import c_text, flash_tables
from codegen.backends.early_exit_c import ifelse_check
from codegen.backends.flash_tables import NEAR
from codegen.backends.tree_common import code_shape, table_placement
from codegen.chips import chip
from codegen.ir.floatkey import key_bits
from codegen.ir.model import TreeEnsemble
from codegen.settings import Settings

BYTE_WINDOW = 64  # the AVR's ldd reaches 0..63 bytes past a base pointer
BASE_CYCLES = 8  # a base pointer held in a register pair: push, pop, set-up
LOCAL_SCORES = 10  # at most this many outputs in locals (see _scores_in_locals)
# instructions (see nan_slots). Measured on the Cortex-M4: RF50 (28-43 slots) 2,009 -> 1,914
# (cost 3), RF20 breast_cancer (2-5 slots, 12-25 visits) 232 -> 240-275, so below a total
# saving of SCREEN_OVERHEAD nothing is settled at entry.
SLOT_COST, SLOT_SAVING, SCREEN_OVERHEAD = 3.0, 1.0, 20.0


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


def _screened_test(name: str, key: int, slot: int) -> tuple[str, str]:
    """x <= t with one compare, on the slot's copy of x's bits whose NaN goes the node's way."""
    if key >= 0:
        return "pos_num", f"{name}_le_pos_num(n{slot}, {c_text.int_literal(key)})"
    return "neg_num", f"{name}_le_neg_num(n{slot}, 0x{int(key_bits(key)):08X}u)"


def nan_slots(ir: TreeEnsemble) -> dict[tuple[int, bool], int]:
    """The (feature, NaN goes left) pairs whose NaN is settled once at entry, numbered: each costs
    about SLOT_COST instructions there (a load, a compare, a conditional move, a spill), and
    saves its nodes' second compare (or add) for NaN, about SLOT_SAVING a visit: kept where the
    expected visits (from the training samples) pay."""
    visits: dict[tuple[int, bool], float] = {}
    for node, share in enumerate(_visit_share(ir)):
        slot = (int(ir.feature[node]), bool(ir.missing_left[node]))
        visits[slot] = visits.get(slot, 0.0) + float(share)
    paying = sorted(slot for slot, expected in visits.items() if expected * SLOT_SAVING > SLOT_COST)
    gain = sum(visits[slot] * SLOT_SAVING - SLOT_COST for slot in paying)
    if gain <= SCREEN_OVERHEAD:  # the values held across the trees cost registers too
        return {}
    return {slot: number for number, slot in enumerate(paying)}


def _slot_lines(name: str, slots: dict[tuple[int, bool], int]) -> list[str]:
    return [f"const uint32_t n{number} = {name}_nan_{'left' if left else 'right'}({name}_bits(x, {feature}));"
            for (feature, left), number in slots.items()]


def ifelse_context(ir: TreeEnsemble, settings: Settings) -> dict:
    name, upper = settings.name, settings.name.upper()
    half_words = chip(settings.target).word_bits == 8
    # Cores with Thumb-2 compare against most float thresholds as an immediate (or one literal),
    # so two plain compares beat the one-compare tricks that need an add and two literals there.
    thumb2 = chip(settings.target).thumb2
    slots = nan_slots(ir) if ir.input.is_float and not half_words else {}
    tests: set[str] = set()
    conditions = []
    for node in range(ir.n_nodes):
        feature, threshold = int(ir.feature[node]), int(ir.threshold[node])
        slot = slots.get((feature, bool(ir.missing_left[node])))
        if slot is not None:
            kind, test = _screened_test(name, threshold, slot)
            tests.add(kind)
        elif ir.input.is_float:
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
    acc_locals = _scores_in_locals(ir, half_words)
    accumulator = (lambda k: f"a{k}") if acc_locals else (lambda k: f"acc[{k}]")
    trees = [_nested_branches(ir, tree, conditions, upper, byte_adds, accumulator) for tree in range(ir.n_trees)]
    byte_compare = half_words and ir.input.is_float and ir.n_nodes > 0
    # the exact test behind the byte compares looks up each node's key (5 bytes a node)
    placement = table_placement(settings, 5 * ir.n_nodes) if byte_compare else NEAR
    keys, missing_left = (ir.threshold, ir.missing_left) if byte_compare else ([], [])
    exact_key = flash_tables.array(f"{name}_exact_key", "int32_t", keys, placement)
    missing = flash_tables.array(f"{name}_exact_missing_left", "uint8_t", missing_left, placement)
    return {
        "tests": sorted(tests), "trees": trees, "acc_locals": acc_locals, "half_words": byte_compare,
        "byte_adds": byte_adds,
        "entry_lines": _byte_bases(ir, name) if byte_compare else _slot_lines(name, slots),
        "nan_sides": sorted({"left" if left else "right" for _, left in slots}),
        "exact_key": exact_key, "exact_missing_left": missing, "far_tables": placement.far,
        "exact_key_read": flash_tables.read(upper, exact_key, "node"),
        "exact_missing_left_read": flash_tables.read(upper, missing, "node"),
    }


def _scores_in_locals(ir: TreeEnsemble, half_words: bool) -> bool:
    """On 32-bit cores the scores of a multi-output model are C locals a0..a(n-1), which gcc
    keeps in registers: a leaf's add is then one instruction, not a load, an add and a store
    through acc[]. Measured on RF(20, depth 8) forests of 20 features (issue 19): 4-10 classes
    9-14% fewer instructions on Cortex-M4 and M0, 12 classes even; RF(10) on digits (10 classes,
    64 features) even. 8-bit cores keep acc[] (four registers a sum)."""
    return not half_words and code_shape(ir) == "multi" and ir.n_outputs <= LOCAL_SCORES


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


def add_exit_checks(context: dict) -> None:
    """After each checkpoint's tree, the early-exit test (see codegen/ir/early_exit.py)."""
    if context["exit"]:
        for tree, check in context["exit"]["after_tree"].items():
            context["trees"][tree].extend(ifelse_check(context, check))


def _ifelse_leaf(ir: TreeEnsemble, leaf: int, tree: int, upper: str, byte_adds: bool, accumulator) -> str:
    values = ir.leaf_values[leaf]
    if ir.returns_leaf_class:
        return f"return {int(values[0])}u;"
    if ir.leaf_encoding == "class":
        return f"++{accumulator(int(values[0]))}; {upper}_COUNT_LEAF(1);"
    if ir.leaf_encoding == "scalar":
        if ir.n_outputs == 1:
            return f"s += {c_text.int_literal(values[0])}; {upper}_COUNT_LEAF(1);"
        add = _leaf_add(accumulator(int(ir.tree_output[tree])), int(values[0]), upper, byte_adds)
        return f"{add} {upper}_COUNT_LEAF(1);"
    adds = [_leaf_add(accumulator(k), int(v), upper, byte_adds) for k, v in enumerate(values) if v != 0]
    return " ".join([*adds, f"{upper}_COUNT_LEAF({len(adds)});"])


def _leaf_add(target: str, value: int, upper: str, byte_adds: bool) -> str:
    """target += value; on 8-bit cores only the bytes above the value's zero low bytes
    (the low bytes cannot carry, so the sum is the same: see ADD_HIGH in _tree_parts)."""
    if byte_adds and value % (1 << 24) == 0:
        return f"{upper}_ADD_HIGH8({target}, 0x{(value >> 24) & 0xFF:02X}u);"
    if byte_adds and value % (1 << 16) == 0:
        return f"{upper}_ADD_HIGH16({target}, 0x{(value >> 16) & 0xFFFF:04X}u);"
    return f"{target} += {c_text.int_literal(value)};"


def _nested_branches(ir: TreeEnsemble, tree: int, conditions: list[str], upper: str,
                     byte_adds: bool, accumulator) -> list[str]:
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
            lines.append(pad + _ifelse_leaf(ir, -child - 1, tree, upper, byte_adds, accumulator))
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
