"""Exact early exit: when the remaining trees can no longer change the predicted class.

Pure functions of the integer IR, shared by the interpreter (the spec) and the C backend.
After every `group` trees (a checkpoint; never after the last tree) `<name>_predict` compares
the scores so far with integer suffix bounds of what the remaining trees can still add to each
output: `high[c][k]` / `low[c][k]` are the sums, over the trees after checkpoint c, of each
tree's largest / smallest contribution to output k. The test follows the final decision's
own tie rules, so the class returned is the one the full sum would give, by construction:

- argmax (a later class wins only by more than tie_margin, ties to the lowest index): the
  leader L of the current scan is final when, for every other class k, the most k can reach
  (acc[k] + high[k]) minus the least L can reach (acc[L] + low[L]) is < -tie_margin for k < L
  (L must still overtake it) and <= tie_margin for k > L (k must not overtake L). Vote
  counters use tie_margin 0 (the interpreter's plain argmax).
- sign (class 1 iff s > T, T = tie_margin for "positive", -1 for "nonnegative"): 1 is final
  when s > T - low, 0 when s <= T - high.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codegen.ir.model import POST_ARGMAX, POST_NONNEGATIVE, POST_POSITIVE, TreeEnsemble

INT32_LIMIT = 2**31


@dataclass(frozen=True)
class ExitPlan:
    kind: str  # "argmax" or "sign"
    group: int  # trees between checkpoints
    checkpoints: np.ndarray  # int64 (n_checks,): trees done at each checkpoint
    high: np.ndarray  # int64 (n_checks, n_outputs)
    low: np.ndarray  # int64 (n_checks, n_outputs)
    margin: int  # argmax: tie_margin; sign: T (class 1 iff s > T)


def tree_contribution_bounds(ir: TreeEnsemble) -> tuple[np.ndarray, np.ndarray]:
    """Per tree and output, the largest and smallest amount the tree can add to the score
    (vote counters for "class" leaves)."""
    from codegen.ir.walk import reached_leaves

    trees, leaves = reached_leaves(ir)
    values = ir.leaf_values[leaves].astype(np.int64)
    if ir.leaf_encoding == "class":
        one_hot = np.zeros((len(values), ir.n_outputs), dtype=np.int64)
        one_hot[np.arange(len(values)), values[:, 0]] = 1
        values = one_hot
    elif ir.leaf_encoding == "scalar":
        column = np.zeros((len(values), ir.n_outputs), dtype=np.int64)
        column[np.arange(len(values)), np.asarray(ir.tree_output)[trees]] = values[:, 0]
        values = column
    most = np.full((ir.n_trees, ir.n_outputs), np.iinfo(np.int64).min, dtype=np.int64)
    least = np.full_like(most, np.iinfo(np.int64).max)
    np.maximum.at(most, trees, values)
    np.minimum.at(least, trees, values)
    return most, least


def exit_kind(ir: TreeEnsemble) -> str | None:
    if not ir.is_lowered or ir.n_trees < 2 or ir.returns_leaf_class:
        return None
    if ir.post == POST_ARGMAX and ir.n_outputs >= 2:
        return "argmax"
    if ir.post in (POST_POSITIVE, POST_NONNEGATIVE) and ir.n_outputs == 1 and ir.leaf_encoding != "class":
        return "sign"
    return None


def default_group(ir: TreeEnsemble) -> int:
    """Trees between checkpoints, data-free: a check costs about four compare-and-read units per
    output (a sign check as much as one output), a tree about its depth (log2 of its leaves):
    check when three times a check's cost of trees has run. Measured (benchmarks/early_exit_sweep.py): binary 20-tree
    forests win at 2-4; 10-class forests lose at any spacing (their plan is then empty)."""
    check_cost = 4 if exit_kind(ir) == "sign" else 4 * ir.n_outputs
    depth = max(1.0, float(np.log2(ir.n_nodes / max(ir.n_trees, 1) + 1)))
    return max(1, int(np.ceil(3 * check_cost / depth)))


def first_decisive(most: np.ndarray, least: np.ndarray, base: np.ndarray) -> int:
    """The first position where some row could be decided: the largest lead the trees so far can
    build exceeds the least the remaining trees can still swing. Checks before it never fire."""
    spread = most.max(axis=1) - least.min(axis=1)
    swing = np.array([(most[t][:, None] - least[t][None, :]).min() if most.shape[1] > 1 else spread[t]
                      for t in range(len(most))])
    lead = int(base.max() - base.min()) + np.concatenate([[0], np.cumsum(spread)])
    rest = np.concatenate([np.cumsum(swing[::-1])[::-1], [0]])
    possible = np.nonzero(lead > rest)[0]
    return int(possible[0]) if len(possible) else len(most)


def exit_plan(ir: TreeEnsemble, group: int | None = None) -> ExitPlan | None:
    """The checkpoints and bounds for `ir`, or None when early exit does not apply (one tree,
    regression, a single output under argmax) or its sums could overflow 32 bits."""
    kind = exit_kind(ir)
    if kind is None:
        return None
    group = group or default_group(ir)
    most, least = tree_contribution_bounds(ir)
    # suffix sums: what trees i.. can still add; row n_trees is zero
    high = np.vstack([np.cumsum(most[::-1], axis=0)[::-1], np.zeros((1, ir.n_outputs), dtype=np.int64)])
    low = np.vstack([np.cumsum(least[::-1], axis=0)[::-1], np.zeros((1, ir.n_outputs), dtype=np.int64)])
    if not _fits_int32(ir, most, least):
        return None
    start = group if kind == "sign" else max(group, first_decisive(most, least, ir.base_score.astype(np.int64)))
    checkpoints = np.arange(start, ir.n_trees, group, dtype=np.int64)
    if len(checkpoints) == 0:
        return None
    if kind == "argmax":
        margin = 0 if ir.leaf_encoding == "class" else int(ir.tie_margin)
    else:
        margin = int(ir.tie_margin) if ir.post == POST_POSITIVE else -1
    return ExitPlan(kind, group, checkpoints, high[checkpoints], low[checkpoints], margin)


def _fits_int32(ir: TreeEnsemble, most: np.ndarray, least: np.ndarray) -> bool:
    """Every sum the C forms in int32 (a score plus a bound, a sign threshold) stays inside it:
    scores plus bounds lie in [base + sum of negative least, base + sum of positive most]."""
    base = ir.base_score.astype(np.int64)
    top = base + np.maximum(most, 0).sum(axis=0)
    bottom = base + np.minimum(least, 0).sum(axis=0)
    return max(abs(int(top.max())), abs(int(bottom.min()))) + abs(int(ir.tie_margin)) + 1 < INT32_LIMIT


def gap_needs_64_bits(plan: ExitPlan, ir: TreeEnsemble) -> bool:
    """Whether a class's reach minus the leader's (argmax check) can leave int32."""
    most, least = tree_contribution_bounds(ir)
    base = ir.base_score.astype(np.int64)
    top = base + np.maximum(most, 0).sum(axis=0)
    bottom = base + np.minimum(least, 0).sum(axis=0)
    return int(top.max()) - int(bottom.min()) + abs(plan.margin) + 1 >= INT32_LIMIT


def argmax_leader(scores: np.ndarray, margin: int) -> np.ndarray:
    """The C's scan per row: a later class wins only by more than `margin`."""
    rows = np.arange(len(scores))
    best = np.zeros(len(scores), dtype=np.int64)
    for k in range(1, scores.shape[1]):
        best = np.where(scores[:, k] - scores[rows, best] > margin, k, best)
    return best


def check_argmax(plan: ExitPlan, check: int, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row at checkpoint `check`: (decided, leader, compares made). The C compares the
    other classes in index order and stops at the first that could still change the result."""
    n_rows, n_outputs = scores.shape
    rows = np.arange(n_rows)
    leader = argmax_leader(scores, plan.margin)
    lead = scores[rows, leader] + plan.low[check][leader]
    open_ = np.ones(n_rows, dtype=bool)  # still comparing
    compares = np.full(n_rows, n_outputs - 1, dtype=np.int64)
    for k in range(n_outputs):
        gap = scores[:, k] + plan.high[check][k] - lead
        fails = np.where(k < leader, gap >= -plan.margin, gap > plan.margin)
        active = open_ & (leader != k)
        compares += active
        open_ &= ~(active & fails)
    return open_, leader, compares


def check_sign(plan: ExitPlan, check: int, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: (decided, class, compares made): `s > T - low` first, then `s <= T - high`."""
    one = score > plan.margin - plan.low[check][0]
    zero = score <= plan.margin - plan.high[check][0]
    return one | zero, one.astype(np.int64), np.where(one, 1, 2)
