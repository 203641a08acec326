"""Exact early exit, property-tested: random tiny integer forests and boosters (leaves in -2..2,
vote counts, duplicated trees, tie margins 0..2), so rows whose lead is within one leaf of the
bound are common. On every row, in both layouts: the C's predict == the interpreter's (with
early exit) == the interpreter's with early exit disabled == the decision on the full scores,
and the C counts the same operations (trees run, compares) as the interpreter."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from codegen.backends.trees import tree_header
from codegen.harness.host import build_host, run_host
from codegen.ir.early_exit import exit_plan
from codegen.ir.interpret import interpret_trees
from codegen.ir.validate import validate_trees
from codegen.settings import Settings
from tests.support.exit_models import KINDS, all_rows, small_ensemble


def _run_both_layouts(ir):
    rows = all_rows()
    oracle = interpret_trees(ir, rows)
    full = interpret_trees(ir, rows, early_exit=False)
    np.testing.assert_array_equal(oracle.predictions, full.predictions)
    np.testing.assert_array_equal(oracle.scores, full.scores)
    for layout in ("ifelse", "table"):
        header = tree_header(ir, Settings(name="m", layout=layout, input="int8"), layout, 0, "test")
        run = run_host(build_host(header, "m", count_ops=True), rows, "int8", ir.n_outputs, count_ops=True)
        np.testing.assert_array_equal(run.predictions, oracle.predictions, err_msg=layout)
        np.testing.assert_array_equal(run.scores, oracle.scores, err_msg=layout)
        for op, counts in oracle.op_counts.items():
            np.testing.assert_array_equal(run.op_counts[op], counts, err_msg=f"{layout} {op}")
    return oracle, full


def _checking_every(group: int):
    """Tiny trees are cheap next to a check, so the default spacing would check rarely or never."""
    return mock.patch("codegen.ir.early_exit.default_group", lambda ir: group)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(0, 2**16), st.sampled_from(KINDS), st.integers(2, 7), st.integers(2, 4), st.integers(0, 2),
       st.booleans(), st.integers(1, 3))
def test_early_exit_changes_no_prediction(seed, kind, n_trees, n_outputs, tie_margin, duplicate, group):
    ir = small_ensemble(np.random.default_rng(seed), *kind, n_trees, n_outputs, tie_margin, duplicate)
    validate_trees(ir)
    with _checking_every(group):
        assume(exit_plan(ir) is not None)  # else no position could ever decide early
        _run_both_layouts(ir)


@pytest.mark.parametrize("kind", KINDS)
def test_early_exit_happens_and_saves_node_visits(kind):
    """Guards the property test against a check that never fires: duplicated trees with
    tiny leaves stop early on some rows, and those rows visit fewer nodes."""
    ir = small_ensemble(np.random.default_rng(7), *kind, n_trees=7, n_outputs=3, tie_margin=0, duplicate=True)
    with _checking_every(1):
        oracle, full = _run_both_layouts(ir)
    saved = full.op_counts["branch"] - oracle.op_counts["branch"]
    assert (saved >= 0).all() and saved.max() > 0


@pytest.mark.parametrize("kind", KINDS)
def test_final_decision_uses_the_interpreters_tie_rule(kind):
    """A tie margin of 2 on every kind: the C's last decision (after every tree) matches the
    interpreter's, e.g. "nonnegative" is s >= 0 whatever the margin."""
    for seed in range(4):
        _run_both_layouts(small_ensemble(np.random.default_rng(seed), *kind, n_trees=5, n_outputs=3, tie_margin=2,
                                         duplicate=False))
