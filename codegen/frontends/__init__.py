"""Frontends: fitted scikit-learn estimators -> float IR. `read_model` picks the right one."""

from __future__ import annotations

from codegen.errors import UserError
from codegen.frontends import trees
from codegen.frontends.external import SUPPORTED as EXTERNAL_MODELS
from codegen.frontends.external import is_external_model, read_external
from codegen.frontends.scaled_inputs import fold_scaler, split_scaled_pipeline
from codegen.frontends.trees import SUPPORTED as TREE_ESTIMATORS
from codegen.frontends.trees import is_tree_model
from codegen.ir.model import TreeEnsemble

MLP_ESTIMATORS = ("MLPClassifier", "MLPRegressor", "Pipeline(StandardScaler|MinMaxScaler, MLP*)")
PIPELINES = ("Pipeline(StandardScaler|MinMaxScaler, any of the tree models)",)


def model_kind(estimator) -> str:
    """"trees" or "mlp"; a UserError for anything else."""
    if is_tree_model(estimator) or is_external_model(estimator):
        return "trees"
    if split_scaled_pipeline(estimator, is_tree_model) is not None:
        return "trees"
    from codegen.frontends.mlp import is_mlp

    if is_mlp(estimator):
        return "mlp"
    supported = ", ".join((*TREE_ESTIMATORS, *EXTERNAL_MODELS, *PIPELINES, *MLP_ESTIMATORS))
    raise UserError(
        f"{type(estimator).__name__} is not supported; mcugen converts: {supported}"
    )


def read_trees(estimator) -> TreeEnsemble:
    """The float IR of a tree model (scikit-learn, XGBoost, LightGBM), or of a scaler +
    scikit-learn tree model pipeline (scaler folded)."""
    if is_external_model(estimator):
        return read_external(estimator)
    parts = split_scaled_pipeline(estimator, is_tree_model)
    if parts is None:
        return trees.read_trees(estimator)
    scaler, model = parts
    ir = trees.read_trees(model)
    return ir if scaler is None else fold_scaler(scaler, ir, estimator)


__all__ = ["model_kind", "read_trees"]
