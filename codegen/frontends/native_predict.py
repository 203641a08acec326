"""`predict` for a model file, by its own library (what `verify` compares the C with): needs
xgboost, lightgbm or catboost, named in a one-line error when missing. Classes are decided as the
libraries' scikit-learn wrappers decide them."""

from __future__ import annotations

import json

import numpy as np

from codegen.errors import UserError
from codegen.ir.model import POST_ARGMAX, REGRESSION_POSTS


def library_predict(library: str, document, post: str, X: np.ndarray) -> np.ndarray:
    """XGBoost reads float32; LightGBM predicts in double on float64 rows (verify counts the rows
    whose float32 rounding changes its prediction), so those are passed on as they are."""
    X = np.asarray(X, dtype=np.float64 if np.asarray(X).dtype == np.float64 and library == "lightgbm"
                   else np.float32)
    package = _package(library)
    if library == "xgboost":
        return _xgboost_predict(package, document, post, X)
    if library == "catboost":
        return _catboost_predict(package, document, post, X)
    return _lightgbm_predict(package, document, post, X)


def _package(library: str):
    try:
        return __import__(library)
    except ImportError:
        raise UserError(f"checking a {library} model file against {library} needs it: "
                        f"pip install 'mcugen[{library}]'") from None


def _library_refused(library: str, error: Exception) -> UserError:
    """The library could not load a file mcugen converted: say so in one line."""
    detail = " ".join(str(error).split())[:160]
    return UserError(f"{library} itself cannot load this model file ({detail}), so there is nothing to compare the C "
                     "with; save the model again with save_model")


def _xgboost_booster(xgb, document: dict):
    text = json.dumps(document, default=lambda array: array.tolist())  # .ubj documents hold numpy arrays
    try:
        return xgb.Booster(model_file=bytearray(text.encode()))
    except Exception as error:  # xgboost.core.XGBoostError and whatever its parser raises
        raise _library_refused("xgboost", error) from None


def _lightgbm_booster(lgb, text: str):
    try:
        return lgb.Booster(model_str=text)
    except Exception as error:  # lightgbm.basic.LightGBMError
        raise _library_refused("lightgbm", error) from None


def _xgboost_output(xgb, document: dict, X: np.ndarray) -> np.ndarray:
    booster = _xgboost_booster(xgb, document)
    # a model trained on a DataFrame checks the names: the rows are in the model's column order
    rows = xgb.DMatrix(X, feature_names=booster.feature_names)
    return booster.predict(rows, iteration_range=_rounds(document))


def _rounds(document: dict) -> tuple[int, int]:
    best = document["learner"].get("attributes", {}).get("best_iteration")
    return (0, int(best) + 1) if best is not None else (0, 0)  # as the scikit-learn wrapper


def _xgboost_predict(xgb, document: dict, post: str, X: np.ndarray) -> np.ndarray:
    output = _xgboost_output(xgb, document, X)
    if post in REGRESSION_POSTS:
        return output
    if output.ndim == 2:
        return np.argmax(output, axis=1)
    if document["learner"]["objective"]["name"] == "multi:softmax":
        return output.astype(np.int64)
    return (output > 0.5).astype(np.int64)


def _lightgbm_predict(lgb, text: str, post: str, X: np.ndarray) -> np.ndarray:
    output = _lightgbm_booster(lgb, text).predict(X)
    if post in REGRESSION_POSTS:
        return output
    if post == POST_ARGMAX:
        return np.argmax(output, axis=1)
    return np.argmax(np.column_stack([1.0 - output, output]), axis=1)  # LGBMClassifier's rule


def _catboost_model(catboost, document: dict):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        path.write_text(json.dumps(document))
        model = catboost.CatBoost()
        try:
            model.load_model(str(path), format="json")
        except Exception as error:  # catboost.CatBoostError
            raise _library_refused("catboost", error) from None
    return model


def _catboost_predict(catboost, document: dict, post: str, X: np.ndarray) -> np.ndarray:
    """CatBoost's Class rule (eval_helpers' PrepareEval): binary raw > 0, else the first largest raw score."""
    raw = np.asarray(_catboost_model(catboost, document).predict(X, prediction_type="RawFormulaVal"))
    if post in REGRESSION_POSTS:
        return raw
    if raw.ndim == 2:
        return np.argmax(raw, axis=1)
    return (raw > 0).astype(np.int64)


def library_predict_proba(library: str, document, post: str, X: np.ndarray) -> np.ndarray:
    """The library's class probabilities (rows x classes), as its scikit-learn wrapper gives them."""
    X = np.asarray(X, dtype=np.float32)
    if post in REGRESSION_POSTS:
        raise UserError("a regressor has no class probabilities")
    package = _package(library)
    if library == "xgboost":
        output = _xgboost_output(package, document, X)
    elif library == "catboost":
        output = np.asarray(_catboost_model(package, document).predict(X, prediction_type="Probability"))
    else:
        output = _lightgbm_booster(package, document).predict(X)
    return output if output.ndim == 2 else np.column_stack([1.0 - output, output])
