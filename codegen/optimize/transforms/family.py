"""Which family of transforms a model takes."""

from __future__ import annotations

from codegen.optimize import trees as tree_transforms


def model_family(estimator) -> str:
    """"forest", "boosting", "tree", "mlp", or "other" (a model mcugen converts that has no
    transforms yet: only its implementations are searched). A model mcugen cannot convert is a
    UserError."""
    from codegen.frontends import model_kind

    if model_kind(estimator) == "mlp":
        return "mlp"
    name = type(estimator).__name__
    if name in tree_transforms.FOREST_CLASSES + tree_transforms.BOOSTING_CLASSES + tree_transforms.SINGLE_TREE_CLASSES:
        return tree_transforms.kind_of(estimator)
    return "other"
