"""HistGradientBoosting trees cut at a depth: a node at that depth becomes a leaf worth the
learning rate times the Newton step HGB stored in it (see optimize/hist_boosting.cut_depth).
XGBoost and LightGBM get no depth cuts yet. Their inner nodes hold a value a cut could use
(XGBoost's `base_weights`, the unshrunk step -G / (H + lambda); LightGBM's `internal_value`),
but a cut means rebuilding each library's node arrays (XGBoost's JSON trees, LightGBM's text
trees) and, for XGBoost, knowing the learning rate of each round (a schedule can change it),
which the model file does not record."""

from __future__ import annotations

from codegen.optimize import hist_boosting
from codegen.optimize.transforms.depth import DEPTHS


class CutHistDepth:
    axis = "hist_depth"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family != "hist_boosting":
            return ()
        deepest = hist_boosting.deepest(model)
        return (deepest, *sorted((d for d in DEPTHS if d < deepest), reverse=True))

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        if int(value) >= hist_boosting.deepest(model):
            return model
        return hist_boosting.cut_depth(model, int(value))

    def describe(self, value, model) -> str:
        return f"depth {value}"
