"""Read a fitted MLPClassifier / MLPRegressor (optionally behind a StandardScaler or
MinMaxScaler in a Pipeline) into the float MLP IR, keeping scikit-learn's arithmetic."""

from __future__ import annotations

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from codegen.errors import UserError
from codegen.frontends.overrides import check_not_overridden, most_derived_base
from codegen.ir.mlp import ACT_IDENTITY, ACT_LOGISTIC, ACT_SOFTMAX, FLOAT_ACTIVATIONS, MLP, DenseLayer
from codegen.ir.model import POST_ARGMAX, POST_IDENTITY, POST_POSITIVE, InputSpec
from codegen.settings import Settings

_MLPS = (MLPClassifier, MLPRegressor)
_BASES = {cls: cls.__name__ for cls in (*_MLPS, StandardScaler, MinMaxScaler, Pipeline)}


def is_mlp(estimator) -> bool:
    """An MLP, or a Pipeline ending in one (read_mlp says which other steps it refuses)."""
    if isinstance(estimator, Pipeline):
        return bool(estimator.steps) and isinstance(estimator.steps[-1][1], _MLPS)
    return isinstance(estimator, _MLPS)


def read_mlp(estimator, settings: Settings) -> MLP:
    scaler, mlp = _split(estimator)
    _check_fitted(mlp, type(mlp).__name__)
    n_features = int(mlp.coefs_[0].shape[0])
    mult, add = _scaler_affine(scaler, n_features)
    post, classes = _post(mlp)
    layers = _layers(mlp)
    name = type(mlp).__name__ if scaler is None else f"Pipeline({type(scaler).__name__}, {type(mlp).__name__})"
    return MLP(
        input=_input_spec(estimator, n_features, settings),
        layers=layers,
        post=post,
        classes=classes,
        feature_mult=mult,
        feature_add=add,
        estimator=name,
    )


def _split(estimator):
    scaler, mlp = _scaler_and_mlp(estimator)
    for step in (estimator, scaler, mlp):
        base = most_derived_base(step, _BASES)
        if base is not None:
            check_not_overridden(step, base)
    return scaler, mlp


def _scaler_and_mlp(estimator):
    if isinstance(estimator, _MLPS):
        return None, estimator
    if not is_mlp(estimator):
        raise UserError(f"{type(estimator).__name__} is not an MLP; pass an MLPClassifier or MLPRegressor")
    steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
    if len(steps) == 1:
        return None, steps[0]
    if len(steps) == 2 and isinstance(steps[0], (StandardScaler, MinMaxScaler)):
        return steps[0], steps[1]
    names = ", ".join(type(step).__name__ for step in steps[:-1])
    raise UserError(
        f"pipeline steps {names} before the MLP are not supported; use at most one "
        "StandardScaler or MinMaxScaler"
    )


def _check_fitted(estimator, what: str) -> None:
    fitted = "coefs_" if isinstance(estimator, _MLPS) else "n_features_in_"
    if not hasattr(estimator, fitted):
        raise UserError(f"{what} is not fitted; call fit() before converting")


def _scaler_affine(scaler, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """(mult, add) with scaled = x * mult + add, per feature."""
    if scaler is None:
        return np.ones(n_features), np.zeros(n_features)
    _check_fitted(scaler, type(scaler).__name__)
    if scaler.n_features_in_ != n_features:
        raise UserError("the scaler and the MLP disagree on the number of features; refit the pipeline")
    if isinstance(scaler, MinMaxScaler):
        if scaler.clip:
            raise UserError("MinMaxScaler(clip=True) is not supported; refit with clip=False")
        return np.asarray(scaler.scale_, dtype=np.float64), np.asarray(scaler.min_, dtype=np.float64)
    scale = np.ones(n_features) if scaler.scale_ is None else np.asarray(scaler.scale_, dtype=np.float64)
    mean = np.zeros(n_features) if scaler.mean_ is None else np.asarray(scaler.mean_, dtype=np.float64)
    return 1.0 / scale, -mean / scale


def _post(mlp) -> tuple[str, tuple]:
    n_outputs = int(mlp.n_outputs_)
    if isinstance(mlp, MLPRegressor):
        if n_outputs != 1:
            raise UserError(f"MLPRegressor with {n_outputs} outputs is not supported; fit one model per output")
        if mlp.out_activation_ != ACT_IDENTITY:  # scikit-learn sets identity; a changed one is not read
            raise UserError(f"MLPRegressor with out_activation_={mlp.out_activation_!r} is not supported; "
                            "keep scikit-learn's 'identity'")
        return POST_IDENTITY, ()
    classes = tuple(np.asarray(mlp.classes_).tolist())
    if len(classes) == 1:  # trained on one class: scikit-learn predicts it whatever the output
        return POST_ARGMAX, classes
    if mlp.out_activation_ == ACT_SOFTMAX and n_outputs == len(classes) >= 3:
        return POST_ARGMAX, classes
    if mlp.out_activation_ == ACT_LOGISTIC and n_outputs == 1 and len(classes) == 2:
        return POST_POSITIVE, classes
    raise UserError(
        "multi-label MLPClassifier (indicator targets) is not supported; fit it on one label column"
    )


def _layers(mlp) -> tuple[DenseLayer, ...]:
    if mlp.activation not in FLOAT_ACTIVATIONS:
        raise UserError(f"activation {mlp.activation!r} is not supported; use relu, tanh, logistic or identity")
    count = len(mlp.coefs_)
    layers = []
    for index, (coef, intercept) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        last = index == count - 1
        activation = (mlp.out_activation_ if last else mlp.activation) or ACT_IDENTITY
        layers.append(
            DenseLayer(
                weights=np.asarray(coef, dtype=np.float64).T.copy(),
                bias=np.asarray(intercept, dtype=np.float64).copy(),
                activation=activation,
            )
        )
    return tuple(layers)


def _input_spec(estimator, n_features: int, settings: Settings) -> InputSpec:
    names = getattr(estimator, "feature_names_in_", None)
    feature_names = tuple(str(name) for name in names) if names is not None else ()
    if settings.input == "float32":
        return InputSpec(n_features=n_features, feature_names=feature_names)
    scale, zero_point = settings.quantization.for_features(n_features)
    return InputSpec(
        n_features=n_features,
        dtype=settings.input,
        scale=scale,
        zero_point=zero_point,
        feature_names=feature_names,
    )
