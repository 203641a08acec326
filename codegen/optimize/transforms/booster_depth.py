"""HistGradientBoosting, XGBoost and LightGBM trees cut at a depth: a node at that depth
becomes a leaf. HGB's cut node is worth the learning rate times the Newton step HGB stored in
it (optimize/hist_boosting.cut_depth); XGBoost's and LightGBM's the mean of the leaves below
weighted by their hessian sums (optimize/xgboost_models / lightgbm_models.cut_depth, written
into the library's own model document and loaded back). Either way the cut model's own
predict walks the cut trees, so it is exact against its C.
"""

from __future__ import annotations

from codegen.optimize import hist_boosting, lightgbm_models, xgboost_models
from codegen.optimize.transforms.depth import DEPTHS

# family -> (depth of the deepest tree, the model cut at a depth)
CUTTERS = {"hist_boosting": (hist_boosting.deepest, hist_boosting.cut_depth),
           "xgboost": (xgboost_models.deepest, xgboost_models.cut_depth),
           "lightgbm": (lightgbm_models.deepest, lightgbm_models.cut_depth)}


class CutBoosterDepth:
    axis = "booster_depth"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family not in CUTTERS:
            return ()
        deepest = CUTTERS[family][0](model)
        return (deepest, *sorted((d for d in DEPTHS if d < deepest), reverse=True))

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        from codegen.optimize.transforms.family import model_family

        deepest, cut = CUTTERS[model_family(model)]
        return model if int(value) >= deepest(model) else cut(model, int(value))

    def describe(self, value, model) -> str:
        return f"depth {value}"
