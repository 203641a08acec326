"""TreeEnsemble integer IR -> template context -> C header (layouts `ifelse`, `table`, `compact`).

Every number, type and name is decided here; the templates only loop and print.

The layouts' own contexts: ifelse_trees.py, table_trees.py, compact_trees.py; what they share
(the code shape, the tables' placement): tree_common.py.
"""

from __future__ import annotations

import numpy as np

from codegen.backends import c_text
from codegen.backends.compact_shape import compact_shape
from codegen.backends.compact_trees import compact_context
from codegen.backends.early_exit_c import exit_context
from codegen.backends.ifelse_trees import add_exit_checks, ifelse_context
from codegen.backends.proba import proba_context
from codegen.backends.render import render
from codegen.backends.table_shape import table_shape
from codegen.backends.table_trees import table_context
from codegen.backends.tree_common import code_shape, table_placement
from codegen.input_types import INPUT_TYPES
from codegen.ir.early_exit import tree_contribution_bounds
from codegen.ir.interpret import ADD_CLASS, COMPARE_CLASS, leaf_bytes, vote_bits
from codegen.ir.meaning import score_meaning
from codegen.ir.model import POST_SIGNED_SQUARE, TreeEnsemble
from codegen.settings import Settings


def tree_header(ir: TreeEnsemble, settings: Settings, layout: str, model_hash: int, version: str) -> str:
    context = _common_context(ir, settings, model_hash, version)
    context.update(proba_context(ir))
    context.update(exit_context(ir, settings.name))
    if layout == "ifelse":
        context.update(ifelse_context(ir, settings))
        add_exit_checks(context)
        return render("tree_ifelse.h.j2", context)
    if layout == "compact":
        shape = compact_shape(ir)
        placement = table_placement(settings, shape.code_bytes)
        context.update(compact_context(ir, settings.name, placement, shape, code_shape(ir)))
        return render("tree_compact.h.j2", context)
    shape = table_shape(ir)
    context.update(table_context(ir, settings.name, table_placement(settings, shape.code_bytes), shape))
    return render("tree_table.h.j2", context)


def estimate_table_bytes(ir: TreeEnsemble) -> int:
    return table_shape(ir).code_bytes


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
        "acc_locals": False,  # the scores in C locals a0.. (ifelse_trees.py decides)
        "nan_sides": [],  # the entry's NaN settling helpers (ifelse_trees.nan_slots)
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


