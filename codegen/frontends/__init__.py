"""Frontends: fitted scikit-learn estimators -> float IR. `read_model` picks the right one."""

from __future__ import annotations

from codegen.errors import UserError
from codegen.frontends.trees import SUPPORTED as TREE_ESTIMATORS
from codegen.frontends.trees import is_tree_model, read_trees

MLP_ESTIMATORS = ("MLPClassifier", "MLPRegressor", "Pipeline(StandardScaler|MinMaxScaler, MLP*)")


def model_kind(estimator) -> str:
    """"trees" or "mlp"; a UserError for anything else."""
    if is_tree_model(estimator):
        return "trees"
    from codegen.frontends.mlp import is_mlp

    if is_mlp(estimator):
        return "mlp"
    supported = ", ".join((*TREE_ESTIMATORS, *MLP_ESTIMATORS))
    raise UserError(
        f"{type(estimator).__name__} is not supported; mcugen converts: {supported}"
    )


__all__ = ["model_kind", "read_trees"]
