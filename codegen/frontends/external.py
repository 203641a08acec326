"""Tree models that are not scikit-learn trees: in-memory XGBoost, LightGBM and CatBoost models,
their model files (frontends/native), and IsolationForest. One dispatch for `model_kind`/`read_trees`."""

from __future__ import annotations

import json

import numpy as np

from codegen.errors import UserError
from codegen.frontends.isolation_forest import is_isolation_forest, read_isolation_forest
from codegen.ir.model import POST_SIGNED_SQUARE, TreeEnsemble

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


def library_sum_error(ir: TreeEnsemble) -> float:
    """A bound on how far the library's own summed score is from the exact sum of the leaves:
    XGBoost adds in float32, every addition rounding by at most 2**-24 of the partial sum,
    which is at most B = |base| + sum over trees of the tree's largest |leaf| (the bound the
    fixed-point width is chosen from); other libraries add in float64 (2**-53). Two more
    units of B cover the roundings of leaves mcugen scales (dart weights, averaged forests). Works on the
    float or the lowered IR (whose trees may share leaf rows)."""
    if ir.estimator.startswith("IsolationForest") or ir.leaf_encoding == "class":
        return 0.0
    magnitude = np.abs(ir.leaf_values).astype(np.float64).max(axis=1)
    tree_of_node = _tree_of_node(ir)
    per_tree = np.zeros(ir.n_trees)
    for children in (ir.left, ir.right):
        reached = children < 0
        np.maximum.at(per_tree, tree_of_node[reached], magnitude[-children[reached].astype(np.int64) - 1])
    leaf_roots = np.flatnonzero(ir.roots < 0)
    per_tree[leaf_roots] = magnitude[-ir.roots[leaf_roots].astype(np.int64) - 1]
    largest = float(np.abs(ir.base_score).max(initial=0)) + float(per_tree.sum())
    if ir.is_lowered:
        largest = float(np.ldexp(largest, -ir.leaf_format.frac_bits))
    unit = 2.0**-24 if ir.estimator.startswith("XGBoost") else 2.0**-53
    # + 2: dart's products rounded to float32 (within unit * largest in all), LightGBM's
    # division of an averaged sum and mcugen's of each leaf (unit * largest each)
    error = (ir.n_trees + 2) * unit * largest
    if ir.post == POST_SIGNED_SQUARE:  # |a**2 - b**2| <= |a - b| (|a| + |b|), and the square's own rounding
        error = error * (2 * largest + error) + unit * (largest + error) ** 2
    return error


def _tree_of_node(ir: TreeEnsemble) -> np.ndarray:
    """The tree of every node, level by level from the roots (no per-node Python loop)."""
    tree_of_node = np.full(ir.n_nodes, -1, dtype=np.int64)
    trees = np.flatnonzero(ir.roots >= 0)
    frontier = ir.roots[trees].astype(np.int64)
    while len(frontier):
        tree_of_node[frontier] = trees
        children = np.concatenate([ir.left[frontier], ir.right[frontier]]).astype(np.int64)
        owners = np.concatenate([trees, trees])
        inner = children >= 0
        frontier, trees = children[inner], owners[inner]
    return tree_of_node
