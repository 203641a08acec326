"""Small fitted models of every family tune transforms, and the check that a transformed model
converts and that its interpreter predicts what the model's own library predicts."""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
from sklearn import datasets, ensemble, tree
from threadpoolctl import threadpool_limits

import codegen
from codegen.frontends.native_predict import library_predict
from tests.support.external import require_package, score_bound
from tests.support.models import with_missing

LAYOUTS = ("ifelse", "table")


def one_thread():
    """HistGradientBoosting's OpenMP threads fit and predict these small models many times
    slower on a busy machine than one thread does."""
    return threadpool_limits(1, user_api="openmp")


@functools.cache
def rows(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(X float32, y) of "binary", "multiclass" (with NaN) or "regression" data."""
    if kind == "binary":
        X, y = datasets.load_breast_cancer(return_X_y=True)
    elif kind == "multiclass":
        X, y = datasets.make_classification(500, 8, n_informative=5, n_classes=3, random_state=0)
        X = with_missing(X.astype(np.float32), seed=2)
    else:
        X, y = datasets.load_diabetes(return_X_y=True)
    return np.asarray(X, dtype=np.float32), y


def _xgboost(kind: str, **params):
    xgb = require_package("xgboost")
    factory = xgb.XGBRegressor if kind == "regression" else xgb.XGBClassifier
    return factory(max_depth=3, random_state=0, n_jobs=1, **params)


def _lightgbm(kind: str, **params):
    lgb = require_package("lightgbm")
    factory = lgb.LGBMRegressor if kind == "regression" else lgb.LGBMClassifier
    return factory(num_leaves=8, min_child_samples=5, random_state=0, n_jobs=1, verbose=-1, **params)


def _early_stopped_xgboost():
    X, y = rows("binary")
    model = _xgboost("binary", n_estimators=60, early_stopping_rounds=3)
    return model.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)


def _early_stopped_lightgbm():
    lgb = require_package("lightgbm")
    X, y = rows("binary")
    model = _lightgbm("binary", n_estimators=80)
    with warnings.catch_warnings():  # eval_set is deprecated in 4.7; its successor is not in 4.0
        warnings.simplefilter("ignore")
        return model.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])],
                         callbacks=[lgb.early_stopping(3, verbose=False)])


MODELS = {  # name -> (data kind, unfitted model or a function fitting one)
    "hgb_binary": ("binary", lambda: ensemble.HistGradientBoostingClassifier(max_iter=12, max_leaf_nodes=9,
                                                                             random_state=0)),
    "hgb_multiclass": ("multiclass", lambda: ensemble.HistGradientBoostingClassifier(max_iter=6, random_state=0)),
    "hgb_regression": ("regression", lambda: ensemble.HistGradientBoostingRegressor(max_iter=12, random_state=0)),
    "xgb_multiclass": ("multiclass", lambda: _xgboost("multiclass", n_estimators=6, num_parallel_tree=2)),
    "xgb_regression": ("regression", lambda: _xgboost("regression", n_estimators=10)),
    "xgb_early_stopped": ("binary", _early_stopped_xgboost),
    "xgb_booster": ("binary", lambda: _xgboost("binary", n_estimators=8)),
    "lgbm_binary": ("binary", lambda: _lightgbm("binary", n_estimators=10)),
    "lgbm_multiclass": ("multiclass", lambda: _lightgbm("multiclass", n_estimators=6)),
    "lgbm_regression": ("regression", lambda: _lightgbm("regression", n_estimators=10)),
    "lgbm_early_stopped": ("binary", _early_stopped_lightgbm),
    "lgbm_booster": ("regression", lambda: _lightgbm("regression", n_estimators=8)),
    "isolation_auto": ("binary", lambda: ensemble.IsolationForest(n_estimators=20, random_state=0)),
    "isolation_contamination": ("binary", lambda: ensemble.IsolationForest(n_estimators=20, contamination=0.1,
                                                                           max_features=0.6, random_state=0)),
    "tree_classifier": ("multiclass", lambda: tree.DecisionTreeClassifier(random_state=0)),
    "tree_regressor": ("regression", lambda: tree.DecisionTreeRegressor(min_samples_leaf=3, random_state=0)),
    "extra_tree_classifier": ("binary", lambda: tree.ExtraTreeClassifier(random_state=0)),
}


FITTED_BY_MAKER = ("xgb_early_stopped", "lgbm_early_stopped")


@functools.cache
def fitted_model(name: str):
    with one_thread():
        return _fit(name)


def _fit(name: str):
    kind, make = MODELS[name]
    X, y = rows(kind)
    if name in FITTED_BY_MAKER:
        return make()
    model = make()
    model = model.fit(X) if name.startswith("isolation") else model.fit(X, y)
    if name.endswith("booster"):
        return model.get_booster() if name.startswith("xgb") else model.booster_
    return model


def data_of(name: str) -> np.ndarray:
    return rows(MODELS[name][0])[0]


def library_outputs(model, converted, X: np.ndarray) -> np.ndarray:
    """The model's own predict, as the converted model's predictions (class indices or values)."""
    with one_thread():
        return _library_outputs(model, converted, X)


def _library_outputs(model, converted, X: np.ndarray) -> np.ndarray:
    name, module = type(model).__name__, type(model).__module__.split(".")[0]
    if name == "Booster":  # a bare Booster's predict gives probabilities: decide as the wrappers do
        document = json.loads(bytes(model.save_raw("json"))) if module == "xgboost" else model.model_to_string()
        return library_predict(module, document, converted.ir.post, X)
    predicted = model.predict(X)
    if converted.is_classifier:
        return np.searchsorted(np.asarray(converted.classes), predicted)
    return predicted


def rounding_of(model) -> float:
    return 2.0**-24 if type(model).__module__.startswith("xgboost") else 2.0**-53


def check_interpreter(model, X: np.ndarray, layout: str):
    """Converts in `layout`; the interpreter == the library on every row. The converted model."""
    converted = codegen.convert(model, name="m", layout=layout)
    assert_predicts_like(converted, library_outputs(model, converted, X), model, X, layout)
    return converted


def assert_predicts_like(converted, reference: np.ndarray, model, X: np.ndarray, context: str = "") -> None:
    """The converted model's interpreter gives `reference` (the library's outputs, as
    library_outputs says them) on every row: classes exactly, values within the fixed-point
    bound plus the library's own summation bound."""
    got = converted.interpret(X).predictions
    if converted.is_classifier:
        wrong = int(np.sum(got != reference))
        assert wrong == 0, f"{wrong} of {len(X)} rows differ from the library ({context})"
    else:
        bound = converted.report()["output_error_bound"] + score_bound(model, rounding_of(model))
        worst = float(np.max(np.abs(converted.decode(got) - reference)))
        assert worst <= bound, f"error {worst} beyond the bound {bound} ({context})"


def check_c(model, X: np.ndarray, layout: str) -> None:
    """The C == the interpreter bit for bit, and the interpreter == the library."""
    converted = check_interpreter(model, X, layout)
    run, oracle = converted.run_c(X), converted.interpret(X)
    np.testing.assert_array_equal(run.predictions, oracle.predictions)
    np.testing.assert_array_equal(run.scores, oracle.scores)
