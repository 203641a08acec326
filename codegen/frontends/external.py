"""Tree models that are not scikit-learn trees: in-memory XGBoost, LightGBM and CatBoost models,
their model files (frontends/native), and IsolationForest. One dispatch for `model_kind`/`read_trees`."""

from __future__ import annotations

import json

import numpy as np

from codegen.errors import UserError
from codegen.frontends.isolation_forest import is_isolation_forest, read_isolation_forest
from codegen.ir.model import TreeEnsemble

XGBOOST_WRAPPERS = ("XGBClassifier", "XGBRegressor", "XGBRFClassifier", "XGBRFRegressor", "XGBRanker")
LIGHTGBM_WRAPPERS = ("LGBMClassifier", "LGBMRegressor", "LGBMRanker")
CATBOOST_WRAPPERS = ("CatBoostClassifier", "CatBoostRegressor")
# a model document edited by hand can hold anything where a number or list belongs
MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)
SUPPORTED = (*XGBOOST_WRAPPERS, "xgboost.Booster", *LIGHTGBM_WRAPPERS, "lightgbm.Booster", *CATBOOST_WRAPPERS,
             "IsolationForest", "XGBoost .json/.ubj, LightGBM .txt and CatBoost .json/.cbm model files")
LIBRARY_NAMES = {"xgboost": "XGBoost", "lightgbm": "LightGBM", "catboost": "CatBoost"}


def _library(estimator) -> str:
    """"xgboost", "lightgbm", "catboost", "native" or "" (by class and module name: no import needed)."""
    kind = type(estimator).__name__
    module = type(estimator).__module__.split(".")[0]
    if kind == "NativeModel" and module == "codegen":
        return "native"
    if module in ("xgboost", "lightgbm") and (kind in XGBOOST_WRAPPERS + LIGHTGBM_WRAPPERS or kind == "Booster"):
        return module
    if module == "catboost" and kind in CATBOOST_WRAPPERS:
        return module
    return ""


def is_external_model(estimator) -> bool:
    return bool(_library(estimator)) or is_isolation_forest(estimator)


def read_external(estimator) -> TreeEnsemble:
    if is_isolation_forest(estimator):
        return read_isolation_forest(estimator)
    library = _library(estimator)
    if library == "native":
        return _read_document(estimator.library, estimator.document, None, None)
    kind = type(estimator).__name__
    if library == "catboost":
        from codegen.frontends.catboost_model import estimator_document

        document = estimator_document(estimator)  # refuses an unfitted model before classes_ is read
        classes = tuple(estimator.classes_.tolist()) if kind == "CatBoostClassifier" else None
        return _read_document("catboost", document, classes, int(estimator.n_features_in_))
    classes = tuple(estimator.classes_.tolist()) if hasattr(estimator, "classes_") else None
    if library == "xgboost":
        missing = getattr(estimator, "missing", np.nan)
        if missing is not None and not np.isnan(missing):
            raise UserError(f"the {kind} treats {missing} as missing (missing={missing}); mcugen follows "
                            "XGBoost's default, NaN: train with missing=np.nan")
        booster = estimator if kind == "Booster" else _fitted(estimator, "get_booster", kind)
        return _read_document("xgboost", json.loads(bytes(booster.save_raw("json"))), classes,
                              booster.num_features())
    booster = estimator if kind == "Booster" else _fitted(estimator, "booster_", kind)
    return _read_document("lightgbm", booster.model_to_string(), classes, None)


def _fitted(estimator, attribute: str, kind: str):
    try:
        value = getattr(estimator, attribute)
        return value() if callable(value) else value
    except Exception:  # xgboost/lightgbm raise their own errors for unfitted models
        raise UserError(f"the {kind} is not fitted; call .fit(X, y) before converting it") from None


def _read_document(library: str, document, classes, n_features) -> TreeEnsemble:
    try:
        return _read_checked(library, document, classes, n_features)
    except MALFORMED as error:
        name = LIBRARY_NAMES[library]
        detail = " ".join(str(error).split())[:120]
        raise UserError(f"the {name} model is malformed ({type(error).__name__}: {detail}); save it again with "
                        "save_model") from None


def _read_checked(library: str, document, classes, n_features) -> TreeEnsemble:
    if library == "xgboost":
        from codegen.frontends.xgboost_model import read_xgboost_document

        return read_xgboost_document(document, classes=classes, n_features=n_features)
    if library == "catboost":
        from codegen.frontends.catboost_model import read_catboost_document

        return read_catboost_document(document, classes=classes, n_features=n_features)
    from codegen.frontends.lightgbm_model import read_lightgbm_text

    return read_lightgbm_text(document, classes=classes)
