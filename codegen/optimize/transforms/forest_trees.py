"""Ensemble pruning: a forest keeps the first k trees of a greedy reduced-error order learned
on rows (the search learns it on the rows it does not score by)."""

from __future__ import annotations

from codegen.optimize import trees as tree_transforms
from codegen.optimize.transforms.family import counts_below

SHARES = (1, 0.5, 0.3, 0.2, 0.12, 0.08, 0.05, 0.03)


class KeepTrees:
    axis = "trees"
    learns_from_rows = True

    def values(self, model, family: str) -> tuple:
        if family != "forest":
            return ()
        n = len(model.estimators_)
        return counts_below(n, SHARES[1:])

    def prepare(self, model, X, y):
        return tree_transforms.greedy_tree_order(model, X, y)

    def apply(self, model, value, prepared):
        order = prepared if prepared is not None else list(range(len(model.estimators_)))
        return tree_transforms.select_trees(model, order[: int(value)])

    def describe(self, value, model) -> str:
        return f"{value} trees"
