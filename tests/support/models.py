"""Datasets and fitted models for the tests: sklearn's bundled datasets and generated data,
fixed seeds, cached per session."""

from __future__ import annotations

import functools

import numpy as np
from sklearn import datasets, ensemble, tree

CLASSIFIERS = {
    "DecisionTreeClassifier": lambda: tree.DecisionTreeClassifier(max_depth=8, random_state=0),
    "ExtraTreeClassifier": lambda: tree.ExtraTreeClassifier(max_depth=10, random_state=0),
    "RandomForestClassifier": lambda: ensemble.RandomForestClassifier(n_estimators=8, max_depth=7, random_state=0),
    "ExtraTreesClassifier": lambda: ensemble.ExtraTreesClassifier(n_estimators=8, max_depth=7, random_state=0),
    "GradientBoostingClassifier": lambda: ensemble.GradientBoostingClassifier(n_estimators=8, max_depth=3,
                                                                              random_state=0),
    "HistGradientBoostingClassifier": lambda: ensemble.HistGradientBoostingClassifier(max_iter=8, random_state=0),
}
REGRESSORS = {
    "DecisionTreeRegressor": lambda: tree.DecisionTreeRegressor(max_depth=8, random_state=0),
    "ExtraTreeRegressor": lambda: tree.ExtraTreeRegressor(max_depth=10, random_state=0),
    "RandomForestRegressor": lambda: ensemble.RandomForestRegressor(n_estimators=8, max_depth=7, random_state=0),
    "ExtraTreesRegressor": lambda: ensemble.ExtraTreesRegressor(n_estimators=8, max_depth=7, random_state=0),
    "GradientBoostingRegressor": lambda: ensemble.GradientBoostingRegressor(n_estimators=8, max_depth=3,
                                                                            random_state=0),
    "HistGradientBoostingRegressor": lambda: ensemble.HistGradientBoostingRegressor(max_iter=8, random_state=0),
}
# scikit-learn accepts NaN at fit and predict for these; none but HistGradientBoosting accepts inf
ACCEPTS_NAN = {"DecisionTree", "ExtraTree", "RandomForest", "ExtraTrees", "HistGradientBoosting"}


def accepts_nan(estimator_name: str) -> bool:
    return estimator_name.replace("Classifier", "").replace("Regressor", "") in ACCEPTS_NAN


def accepts_inf(estimator_name: str) -> bool:
    return estimator_name.startswith("HistGradientBoosting")


@functools.cache
def dataset(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X_train, y_train, X_test, y_test), X as float32: every other row is a test row."""
    if name == "generated_classification":
        X, y = _generated(classification=True)
    elif name == "generated_regression":
        X, y = _generated(classification=False)
    else:
        loader = getattr(datasets, f"load_{name}")
        X, y = loader(return_X_y=True)
    X = np.asarray(X, dtype=np.float32)
    return X[::2], y[::2], X[1::2], y[1::2]


def _generated(classification: bool):
    """Negative values, exact zeros (+0.0 and -0.0), repeated values and missing values."""
    rng = np.random.default_rng(7)
    X = rng.normal(scale=3.0, size=(600, 6))
    X[:, 1] = np.round(X[:, 1])  # many exact ties and zeros
    X[rng.random(600) < 0.2, 2] = 0.0
    X[rng.random(600) < 0.1, 2] = -0.0
    X[:, 3] = -np.abs(X[:, 3]) * 1e-3  # small negatives only
    signal = X[:, 0] - 0.5 * X[:, 1] + 2 * (X[:, 2] > 0) + 100 * X[:, 3]
    y = np.digitize(signal, [-2.0, 0.5, 3.0]) if classification else signal
    return X, y


def with_missing(X: np.ndarray, seed: int = 3) -> np.ndarray:
    """A copy with about 10% NaN, both signs."""
    rng = np.random.default_rng(seed)
    X = X.copy()
    mask = rng.random(X.shape) < 0.1
    X[mask] = np.where(rng.random(mask.sum()) < 0.5, np.float32(np.nan), -np.float32(np.nan))
    return X


@functools.cache
def fitted(estimator_name: str, data: str, missing: bool = False):
    factory = CLASSIFIERS.get(estimator_name) or REGRESSORS[estimator_name]
    X, y, _, _ = dataset(data)
    return factory().fit(with_missing(X) if missing else X, y)
