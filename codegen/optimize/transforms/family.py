"""Which family of transforms a model takes."""

from __future__ import annotations

from codegen.optimize import trees as tree_transforms

FAMILIES = ("forest", "boosting", "tree", "hist_boosting", "xgboost", "lightgbm", "isolation", "mlp", "other")


def model_family(estimator) -> str:
    """One of FAMILIES: "forest", "boosting" (GradientBoosting), "tree", "hist_boosting",
    "xgboost", "lightgbm" (their scikit-learn wrappers, Boosters, and their model files when
    the library is installed: the transformed model is then a Booster), "isolation"
    (IsolationForest), "mlp", or "other" (a model mcugen converts that has no transforms: a
    scaler pipeline, a model file whose library is not installed; only its implementations are
    searched). A model mcugen cannot convert is a UserError."""
    from codegen.frontends import model_kind
    from codegen.optimize import hist_boosting, isolation, lightgbm_models, xgboost_models

    if model_kind(estimator) == "mlp":
        return "mlp"
    name = type(estimator).__name__
    if name in tree_transforms.FOREST_CLASSES + tree_transforms.BOOSTING_CLASSES + tree_transforms.SINGLE_TREE_CLASSES:
        return tree_transforms.kind_of(estimator)
    for family, belongs in (("hist_boosting", hist_boosting.is_hist_boosting), ("xgboost", xgboost_models.is_xgboost),
                            ("lightgbm", lightgbm_models.is_lightgbm), ("isolation", isolation.is_isolation_forest)):
        if belongs(estimator):
            return family
    return "other"


def counts_below(n: int, shares) -> tuple[int, ...]:
    """n, then round(n * share) for the other shares (at least 1), largest first: the member
    counts a keep-the-first-k transform tries."""
    return (n, *sorted({max(1, int(round(n * share))) for share in shares} - {n}, reverse=True))
