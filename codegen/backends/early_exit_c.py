"""Template context for exact early exit in `<name>_predict` (codegen/ir/early_exit.py)."""

from __future__ import annotations

import numpy as np

from codegen.backends import c_text
from codegen.ir.early_exit import ExitPlan, exit_plan, gap_needs_64_bits
from codegen.ir.interpret import vote_bits
from codegen.ir.model import TreeEnsemble


def exit_context(ir: TreeEnsemble, name: str) -> dict:
    """`exit`: None, or the checkpoint tables and the C that checks after a tree: `exit_call`
    with `{check}` for the checkpoint number (a literal, or the table loop's counter)."""
    plan = exit_plan(ir)
    if plan is None:
        return {"exit": None}
    votes = ir.leaf_encoding == "class"
    if plan.kind == "argmax":
        tables = [_bounds(f"{name}_exit_high", plan.high, votes), _bounds(f"{name}_exit_low", plan.low, votes)]
        call = (f"if (exit_early) {{ int d = {name}_exit_argmax(acc, {{check}}); "
                f"if (d >= 0) {{ return d; }} }}")
    else:
        tables = [_bounds(f"{name}_exit_one", plan.margin - plan.low, False),
                  _bounds(f"{name}_exit_zero", plan.margin - plan.high, False)]
        call = f"if (decided && {name}_exit_sign(s, {{check}}, decided)) {{ return s; }}"
    return {"exit": {
        "kind": plan.kind, "group": plan.group, "first": int(plan.checkpoints[0]),
        "n_checks": len(plan.checkpoints), "tables": tables,
        "margin": plan.margin, "call": call,
        "after_tree": {int(done) - 1: c for c, done in enumerate(plan.checkpoints)},
        "gap_ctype": _gap_ctype(plan, ir), "high": plan.high, "low": plan.low,
    }}


def _gap_ctype(plan: ExitPlan, ir: TreeEnsemble) -> str:
    if ir.leaf_encoding == "class":
        return "int16_t" if vote_bits(ir) == 8 else "int32_t"
    return "int64_t" if plan.kind == "argmax" and gap_needs_64_bits(plan, ir) else "int32_t"


def ifelse_check(context: dict, check: int) -> list[str]:
    """The exit test after checkpoint `check`: a call of the table-driven test, or, with the
    scores in locals (`acc_locals`), that test unrolled over them with its bounds as constants."""
    if not context["acc_locals"] or context["exit"]["kind"] != "argmax":
        return [context["exit"]["call"].replace("{check}", f"{check}u")]
    return unrolled_argmax_check(context["exit"], check, context["acc_ctype"], context["NAME"])


def unrolled_argmax_check(exit: dict, check: int, acc_ctype: str, upper: str) -> list[str]:
    """_exit_argmax of _early_exit.h.j2 on the locals a0..a(n-1): the same leader scan, the same
    gaps in the same order, the same compares counted, so the interpreter's counts hold. The
    leader's least reachable sum is tracked in the scan (its bound is a constant per class)."""
    gap, margin = exit["gap_ctype"], int(exit["margin"])
    high, low = exit["high"][check], exit["low"][check]

    def reach(k: int, bound) -> str:
        return f"({gap})a{k} + ({gap}){c_text.int_literal(int(bound))}"

    lines = ["if (exit_early) {", "    unsigned best = 0u;", f"    {acc_ctype} top = a0;",
             f"    {gap} lead = {reach(0, low[0])};"]
    for k in range(1, len(high)):
        test = f"a{k} - top > {margin}" if margin else f"a{k} > top"
        lines += [f"    {upper}_COUNT_COMPARE();", f"    if ({test}) {{",
                  f"        best = {k}u;", f"        top = a{k};", f"        lead = {reach(k, low[k])};", "    }"]
    lines.append("    do {")
    for k in range(len(high)):
        lines += [f"        if (best != {k}u) {{", f"            {upper}_COUNT_COMPARE();",
                  f"            if (({gap})({reach(k, high[k])} - lead) > ({k}u < best ? {-margin - 1} : {margin})) {{",
                  "                break;", "            }", "        }"]
    lines += ["        return (int)best;", "    } while (0);", "}"]
    return lines


def _bounds(name: str, values: np.ndarray, votes: bool) -> dict:
    low, high = int(values.min(initial=0)), int(values.max(initial=0))
    ctype = c_text.unsigned_type(high) if votes else c_text.signed_type(low, high)
    values = np.asarray(values).ravel()
    bits = int("".join(ch for ch in ctype if ch.isdigit()))
    return {"name": name, "ctype": ctype, "bits": bits, "size": max(values.size, 1),
            "rows": c_text.table_rows(values)}

