"""HistGradientBoosting, XGBoost and LightGBM leaf values rounded to one power-of-two grid of
16 or 8 signed bits, held by the model itself (so its own predict uses the rounded leaves):
the C then stores narrower leaves. (Forests, GradientBoosting and single trees: `leaves`.)"""

from __future__ import annotations

from codegen.optimize import hist_boosting, lightgbm_models, xgboost_models

QUANTIZERS = {"hist_boosting": hist_boosting.quantize_leaves, "xgboost": xgboost_models.quantize_leaves,
              "lightgbm": lightgbm_models.quantize_leaves}
NAMES = {"q16": "16-bit leaves", "q8": "8-bit leaves"}


class RoundLeaves:
    axis = "leaf_bits"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        return ("as-trained", "q16", "q8") if family in QUANTIZERS else ()

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        from codegen.optimize.transforms.family import model_family

        if value not in NAMES:
            return model
        return QUANTIZERS[model_family(model)](model, int(value[1:]))

    def describe(self, value, model) -> str:
        return NAMES.get(value, value)
