"""The early-exit bounds and decisions (codegen/ir/early_exit.py) on hand-made numbers."""

from __future__ import annotations

import numpy as np

from codegen.ir.early_exit import (
    ExitPlan,
    check_argmax,
    check_sign,
    exit_plan,
    first_decisive,
    tree_contribution_bounds,
)
from tests.support.exit_models import small_ensemble


def _plan(kind, high, low, margin):
    return ExitPlan(kind, 1, np.array([1]), np.array([high]), np.array([low]), margin)


def test_bounds_are_suffix_sums_of_each_trees_extremes():
    ir = small_ensemble(np.random.default_rng(3), "sparse", "argmax", 4, 3, 0, False)
    most, least = tree_contribution_bounds(ir)
    for tree in range(ir.n_trees):
        values = ir.leaf_values[4 * tree:4 * tree + 4]  # small_ensemble: tree t owns leaves 4t..4t+3
        np.testing.assert_array_equal(most[tree], values.max(axis=0))
        np.testing.assert_array_equal(least[tree], values.min(axis=0))
    plan = exit_plan(ir, group=1)
    assert plan.checkpoints[-1] == 3 and plan.checkpoints[0] >= 1  # never after the last tree
    for check, done in enumerate(plan.checkpoints):
        np.testing.assert_array_equal(plan.high[check], most[done:].sum(axis=0))
        np.testing.assert_array_equal(plan.low[check], least[done:].sum(axis=0))


def test_votes_are_checked_only_once_a_majority_is_possible():
    # 9 trees that can each vote for any of 3 classes: 5 votes to 0 first beat the 4 left
    assert first_decisive(np.ones((9, 3), np.int64), np.zeros((9, 3), np.int64), np.zeros(3, np.int64)) == 5
    # a tree that always votes for class 0 swings nothing: its vote is certain
    most, least = np.ones((9, 3), np.int64), np.zeros((9, 3), np.int64)
    least[8, 0], most[8, 1:] = 1, 0
    assert first_decisive(most, least, np.zeros(3, np.int64)) == 4


def test_votes_bound_counts_the_trees_that_can_still_vote_for_a_class():
    ir = small_ensemble(np.random.default_rng(5), "class", "argmax", 3, 3, 0, False)
    most, least = tree_contribution_bounds(ir)
    for tree in range(3):
        voted = set(ir.leaf_values[4 * tree:4 * tree + 4, 0])
        assert [bool(v) for v in most[tree]] == [k in voted for k in range(3)]
        assert least[tree].sum() == (1 if len(voted) == 1 else 0)


def test_scalar_trees_bound_only_their_own_output():
    ir = small_ensemble(np.random.default_rng(1), "scalar", "argmax", 4, 3, 0, False)
    most, least = tree_contribution_bounds(ir)
    for tree in range(4):
        others = np.arange(3) != ir.tree_output[tree]
        assert not most[tree][others].any() and not least[tree][others].any()


def test_argmax_ties_follow_the_lowest_index_rule():
    no_rest = _plan("argmax", [0, 0, 0], [0, 0, 0], 0)
    decided, leader, compares = check_argmax(no_rest, 0, np.array([[5, 5, 1], [1, 5, 5], [5, 1, 5]]))
    np.testing.assert_array_equal(leader, [0, 1, 0])
    assert decided.all()  # nothing left to add: the leader is the final argmax
    np.testing.assert_array_equal(compares, [4, 4, 4])
    one_left = _plan("argmax", [1, 1, 1], [0, 0, 0], 0)
    # leader 1 at 6: class 0 at 5 could tie at 6 and win (lower index); class 2 at 5 could only tie
    decided, leader, compares = check_argmax(one_left, 0, np.array([[5, 6, 5], [4, 6, 5], [4, 6, 6]]))
    np.testing.assert_array_equal(leader, [1, 1, 1])
    np.testing.assert_array_equal(decided, [False, True, False])
    np.testing.assert_array_equal(compares, [3, 4, 4])  # 2 for the scan, then until the first open class


def test_argmax_tie_margin_is_the_final_scans():
    margin_two = _plan("argmax", [1, 1], [0, 0], 2)
    # class 1 overtakes class 0 only by more than 2; each may still gain 1
    decided, leader, _ = check_argmax(margin_two, 0, np.array([[0, 1], [0, 2], [0, 4], [3, 0]]))
    np.testing.assert_array_equal(leader, [0, 0, 1, 0])
    # row 0: 1 + 1 - 0 = 2 <= 2 stays; row 1: 3 > 2 may win; row 2: 0 + 1 - 4 < -2 final; row 3 final
    np.testing.assert_array_equal(decided, [True, False, True, True])


def test_sign_decides_only_when_the_rest_cannot_cross():
    plan = _plan("sign", [2], [-3], 0)  # class 1 iff s > 0; the rest adds -3..2
    decided, chosen, compares = check_sign(plan, 0, np.array([4, 3, -2, -3, 0]))
    # 4 - 3 > 0: stays 1; 3 - 3 = 0 may fall to 0; -2 + 2 = 0 cannot rise above 0; 0 is open
    np.testing.assert_array_equal(decided, [True, False, True, True, False])
    np.testing.assert_array_equal(chosen[decided], [1, 0, 0])
    np.testing.assert_array_equal(compares, [1, 2, 2, 2, 2])


def test_no_plan_for_one_tree_or_regression():
    one_tree = small_ensemble(np.random.default_rng(0), "scalar", "positive", 1, 1, 0, False)
    assert exit_plan(one_tree) is None
    two_trees = small_ensemble(np.random.default_rng(0), "scalar", "positive", 2, 1, 0, False)
    assert exit_plan(two_trees, group=1) is not None
    assert exit_plan(two_trees.with_(post="identity"), group=1) is None
