"""Model files of other libraries, read without their packages and without pickle:
XGBoost `.json` / `.ubj` (from `save_model`), LightGBM `.txt` (from `save_model`) and CatBoost
`.json` (from `save_model(path, format="json")`); CatBoost `.cbm` files are read by catboost."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codegen.errors import UserError
from codegen.feature_names import real_names

NATIVE_SUFFIXES = (".json", ".ubj", ".txt", ".cbm")


@dataclass
class NativeModel:
    """A model file's content: `library` is "xgboost" or "catboost" (document: dict) or
    "lightgbm" (document: the model text). `classes_` is set once the model is read (() for regressors)."""

    library: str
    path: str
    document: object = field(repr=False)
    classes_: tuple = ()
    n_features_in_: int = 0
    _post: str = field(default="", repr=False)

    def __post_init__(self):
        from codegen.frontends.external import read_external

        ir = read_external(self)
        self.classes_ = ir.classes
        self.n_features_in_ = ir.input.n_features
        self._post = ir.post
        names = real_names(ir.input.feature_names)
        if names:  # the columns a CSV header may name in any order (codegen/feature_names.py)
            self.feature_names_in_ = np.asarray(names, dtype=object)

    def predict(self, X):
        """The library's own predict (needs xgboost / lightgbm / catboost): class labels or values."""
        from codegen.frontends.native_predict import library_predict

        predicted = library_predict(self.library, self.document, self._post, X)
        return np.asarray(self.classes_)[predicted] if self.classes_ else predicted

    def predict_proba(self, X):
        """The library's own class probabilities (needs xgboost / lightgbm / catboost)."""
        from codegen.frontends.native_predict import library_predict_proba

        return library_predict_proba(self.library, self.document, self._post, X)


def load_native_model(path: str | Path) -> NativeModel:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file {path} does not exist; give the path of a saved model")
    suffix = path.suffix.lower()
    if suffix == ".ubj":
        from codegen.frontends.ubjson import load_ubjson

        return _xgboost(path, load_ubjson(path.read_bytes(), str(path)))
    if suffix == ".json":
        try:
            document = json.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as error:
            raise UserError(f"cannot read {path} as JSON ({error}); re-save the model with save_model") from None
        from codegen.frontends.catboost_model import is_catboost_document

        if is_catboost_document(document):
            return NativeModel("catboost", str(path), document)
        return _xgboost(path, document)
    if suffix == ".cbm":
        from codegen.frontends.catboost_model import load_cbm

        return NativeModel("catboost", str(path), load_cbm(path))
    if suffix == ".txt":
        return NativeModel("lightgbm", str(path), path.read_text(errors="replace"))
    raise UserError(f"unknown model file type {suffix!r}; XGBoost: .json or .ubj, LightGBM: .txt, "
                    "CatBoost: .json or .cbm")


def _xgboost(path: Path, document) -> NativeModel:
    if not isinstance(document, dict) or "learner" not in document:
        raise UserError(f"{path} is not an XGBoost model (no learner section) or a CatBoost one (no "
                        "features_info); save it with save_model")
    return NativeModel("xgboost", str(path), document)
