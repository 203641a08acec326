"""IsolationForest keeps its first n trees (its trees are drawn alike, so the first n are as
good as any n; no rows are needed). `offset_` stays as fitted: see optimize/isolation."""

from __future__ import annotations

from codegen.optimize import isolation
from codegen.optimize.transforms.family import counts_below
from codegen.optimize.transforms.forest_trees import SHARES


class KeepIsolationTrees:
    axis = "isolation_trees"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family != "isolation":
            return ()
        n = len(model.estimators_)
        return counts_below(n, SHARES[1:])

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        return model if int(value) == len(model.estimators_) else isolation.first_trees(model, int(value))

    def describe(self, value, model) -> str:
        return f"{value} trees"
