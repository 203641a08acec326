"""Gradient boosting keeps its first stages (what `staged_predict` gives)."""

from __future__ import annotations

from codegen.optimize import trees as tree_transforms
from codegen.optimize.transforms.family import counts_below

SHARES = (1, 0.6, 0.4, 0.25, 0.15, 0.1, 0.05)


class KeepStages:
    axis = "stages"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family != "boosting":
            return ()
        n = int(model.n_estimators_)
        return counts_below(n, SHARES[1:])

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        return tree_transforms.fewer_stages(model, int(value))

    def describe(self, value, model) -> str:
        return f"{value} stages"
