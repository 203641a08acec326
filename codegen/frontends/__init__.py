"""Frontends: fitted scikit-learn estimators -> float IR. `read_model` picks the right one."""

from __future__ import annotations

from codegen.errors import UserError
from codegen.frontends.external import SUPPORTED as EXTERNAL_MODELS
from codegen.frontends.external import is_external_model, read_external
from codegen.frontends.trees import SUPPORTED as TREE_ESTIMATORS
from codegen.frontends.trees import is_tree_model
from codegen.frontends.trees import read_trees as read_sklearn_trees

MLP_ESTIMATORS = ("MLPClassifier", "MLPRegressor", "Pipeline(StandardScaler|MinMaxScaler, MLP*)")


def model_kind(estimator) -> str:
    """"trees" or "mlp"; a UserError for anything else."""
    if is_tree_model(estimator) or is_external_model(estimator):
        return "trees"
    from codegen.frontends.mlp import is_mlp

    if is_mlp(estimator):
        return "mlp"
    supported = ", ".join((*TREE_ESTIMATORS, *EXTERNAL_MODELS, *MLP_ESTIMATORS))
    raise UserError(
        f"{type(estimator).__name__} is not supported; mcugen converts: {supported}"
    )


def read_trees(estimator):
    return read_external(estimator) if is_external_model(estimator) else read_sklearn_trees(estimator)


__all__ = ["model_kind", "read_trees"]
