"""Saving a (tuned) model in a file its own library loads again, and mcugen too
(frontends/load reads each of these by its last suffix):

- scikit-learn estimators: `<name>.skops` (skops, no pickle);
- XGBoost: `<name>.xgb.json`, the library's JSON model (`save_model`); not `<name>.json`,
  which is tune's report;
- LightGBM: `<name>.lgbm.txt`, the library's text model (`save_model`).

A LightGBM file holds class indices, not the wrapper's labels: an LGBMClassifier trained on
labels other than 0..k-1 reads back (in mcugen and as a Booster) with classes 0..k-1 (XGBoost
classifiers take only 0..k-1).
"""

from __future__ import annotations

import json
from pathlib import Path

from codegen.errors import UserError
from codegen.optimize import lightgbm_models, xgboost_models

XGBOOST_SUFFIX = ".xgb.json"
LIGHTGBM_SUFFIX = ".lgbm.txt"
SKOPS_SUFFIX = ".skops"
MODEL_SUFFIXES = (SKOPS_SUFFIX, XGBOOST_SUFFIX, LIGHTGBM_SUFFIX)  # an earlier run's model file has one


def model_file_name(model, name: str) -> str:
    if xgboost_models.is_xgboost(model):
        return name + XGBOOST_SUFFIX
    if lightgbm_models.is_lightgbm(model):
        return name + LIGHTGBM_SUFFIX
    return name + SKOPS_SUFFIX


def save_model(model, directory: Path, name: str) -> str:
    """Write `model` into `directory`; returns the file name written."""
    file_name = model_file_name(model, name)
    path = Path(directory) / file_name
    if xgboost_models.is_xgboost(model):  # wrappers add their scikit-learn attributes to the JSON
        (model if hasattr(model, "save_model") else xgboost_models.booster_of(model)).save_model(str(path))
    elif lightgbm_models.is_lightgbm(model):
        lightgbm_models.booster_of(model).save_model(str(path))
    else:
        _save_skops(model, path)
    return file_name


def _save_skops(model, path: Path) -> None:
    try:
        import skops.io as sio
    except ImportError:
        raise UserError("saving the tuned model needs skops: pip install 'mcugen[tune]'") from None
    sio.dump(model, path)


def load_model(path: str | Path):
    """The model in a file `save_model` wrote, loaded by its own library: a scikit-learn
    estimator, an XGBClassifier / XGBRegressor (or a Booster when it was saved from one), or a
    lightgbm.Booster (LightGBM's wrappers cannot load a file)."""
    path = Path(path)
    if path.name.endswith(XGBOOST_SUFFIX):
        import xgboost

        wrapper = json.loads(path.read_text())["learner"].get("attributes", {}).get("scikit_learn")
        kind = json.loads(wrapper).get("_estimator_type") if wrapper else None
        model = {"classifier": xgboost.XGBClassifier, "regressor": xgboost.XGBRegressor}.get(kind, xgboost.Booster)()
        model.load_model(str(path))
        return model
    if path.name.endswith(LIGHTGBM_SUFFIX):
        import lightgbm

        return lightgbm.Booster(model_file=str(path))
    if path.suffix == SKOPS_SUFFIX:
        import skops.io as sio

        return sio.load(path, trusted=sio.get_untrusted_types(file=path))
    raise UserError(f"{path} is not a file save_model writes ({SKOPS_SUFFIX}, {XGBOOST_SUFFIX}, {LIGHTGBM_SUFFIX})")
