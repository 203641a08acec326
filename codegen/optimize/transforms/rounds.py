"""HistGradientBoosting, XGBoost and LightGBM keep their first boosting rounds, through each
library's own iteration range (HGB's `_predictors`, XGBoost's `booster[:n]`, LightGBM's
`model_to_string(num_iteration=n)`): the kept model predicts what the original predicts when
it stops after n rounds."""

from __future__ import annotations

from codegen.optimize import hist_boosting, lightgbm_models, xgboost_models
from codegen.optimize.transforms.boosting_stages import SHARES
from codegen.optimize.transforms.family import counts_below

# family -> (rounds the model predicts with, the model with its first n rounds)
LIBRARIES = {
    "hist_boosting": (hist_boosting.n_iterations, hist_boosting.first_iterations),
    "xgboost": (xgboost_models.n_rounds, xgboost_models.first_rounds),
    "lightgbm": (lightgbm_models.n_iterations, lightgbm_models.first_iterations),
}


class KeepRounds:
    axis = "rounds"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family not in LIBRARIES:
            return ()
        n = LIBRARIES[family][0](model)
        return counts_below(n, SHARES[1:])

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        from codegen.optimize.transforms.family import model_family

        count, keep = LIBRARIES[model_family(model)]
        return model if int(value) == count(model) else keep(model, int(value))

    def describe(self, value, model) -> str:
        return f"{value} rounds"
