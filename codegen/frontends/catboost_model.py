"""CatBoost models (the JSON document of `save_model(path, format="json")`) -> float IR, read
as plain JSON (no catboost needed); in-memory CatBoostClassifier / CatBoostRegressor and
`.cbm` files are exported to that document by catboost itself first.

Semantics of CatBoost's CPU evaluator, kept exactly (each checked against its predict by
tests/integration/test_catboost.py):
- trees are oblivious (symmetric): a tree of depth d has d splits (float feature, border),
  one per level; level i contributes bit i of the leaf index, set when the float32 input
  x > the float32 border. The IR's node `x <= t` goes left on the bit's 0 side, so with
  t = border (a float32, compared exactly with the float32 input) left is bit 0 and right
  bit 1. The tree becomes an ordinary binary tree of 2**d leaves: split d - 1 at the root,
  split 0 above the leaves, so leaf j of the expansion is CatBoost's leaf index j;
- NaN follows the feature's `nan_value_treatment`: AsFalse (nan_mode Min) evaluates NaN as
  -inf (every bit 0: left), AsTrue (Max) as +inf (every bit 1: right), AsIs (a feature seen
  without NaN) compares NaN itself, and NaN > border is false (left);
- the raw score is scale * (sum of the leaves) + bias per dimension (`scale_and_bias`): the
  scale is folded into every leaf (within the +2 units of library_sum_error), the bias is
  the base score; CatBoost adds in double;
- Logloss: class 1 when raw > 0 (predict's Class: raw > logit(0.5) = 0); MultiClass and
  MultiClassOneVsAll: the argmax of the raw scores, ties to the lowest index; the regression
  losses below return the raw score. Losses whose predict is a non-linear function of the raw
  score (Poisson, Tweedie: exp) are refused, naming it, as are categorical, text and
  embedding features, non-symmetric trees (grow_policy Depthwise / Lossguide) and a
  binclass_probability_threshold other than 0.5.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from codegen.errors import UserError
from codegen.frontends.builder import boosting_facts, boosting_post, joined_ensemble
from codegen.frontends.expanded_size import MAX_EXPANDED_NODES
from codegen.ir.model import InputSpec, TreeEnsemble

WRAPPERS = ("CatBoostClassifier", "CatBoostRegressor")
CLASSIFIER_LOSSES = ("Logloss", "MultiClass", "MultiClassOneVsAll")
IDENTITY_LOSSES = ("RMSE", "MAE", "Quantile", "Expectile", "MAPE", "Huber", "LogCosh", "Lq")
LINKS = {"Poisson": "exp(raw score)", "Tweedie": "exp(raw score)",
         "RMSEWithUncertainty": "a mean and a variance per row", "LogLinQuantile": "exp(raw score)"}
NAN_RIGHT = "AsTrue"  # nan_mode Max; AsFalse (Min) and AsIs send NaN left (bit 0)
NAN_TREATMENTS = ("AsIs", "AsFalse", "AsTrue")
NON_NUMERIC = (("categorical_features", "categorical features"), ("text_features", "text features"),
               ("embedding_features", "embedding features"))
NUMERIC_ADVICE = {
    "categorical features": "encode them as numbers (one-hot or ordinal) and train without cat_features",
    "text features": "turn the text into numeric features and train without text_features",
    "embedding features": "pass the embedding's components as numeric columns and train without embedding_features",
}


def is_catboost_estimator(estimator) -> bool:
    return type(estimator).__module__.split(".")[0] == "catboost" and type(estimator).__name__ in WRAPPERS


def is_catboost_document(document) -> bool:
    return isinstance(document, dict) and "features_info" in document and (
        "oblivious_trees" in document or "trees" in document or "model_info" in document)


def estimator_document(estimator) -> dict:
    """The JSON document of a fitted CatBoostClassifier / CatBoostRegressor (catboost exports it)."""
    kind = type(estimator).__name__
    if not estimator.is_fitted():
        raise UserError(f"the {kind} is not fitted; call .fit(X, y) before converting it")
    return _exported(estimator, f"the {kind}")


def load_cbm(path: Path) -> dict:
    """A `.cbm` file (CatBoost's binary format) read by catboost and exported as its JSON document."""
    try:
        import catboost
    except ImportError:
        raise UserError(f"reading the CatBoost binary model {path} needs catboost: pip install catboost (or save "
                        "the model with save_model(path, format='json'), which mcugen reads without it)") from None
    model = catboost.CatBoost()
    try:
        model.load_model(str(path))
    except Exception as error:  # catboost.CatBoostError for a corrupt file
        detail = " ".join(str(error).split())[:160]
        raise UserError(f"catboost cannot read {path} ({detail}); save the model again with save_model") from None
    return _exported(model, str(path))


def _exported(model, what: str) -> dict:
    """Refuse non-numeric features before exporting (catboost's JSON export of categorical
    features needs the training pool), then export and parse."""
    for getter, name in (("get_cat_feature_indices", "categorical features"),
                         ("get_text_feature_indices", "text features"),
                         ("get_embedding_feature_indices", "embedding features")):
        columns = list(getattr(model, getter)())
        if columns:
            raise _non_numeric(name, f"columns {', '.join(str(c) for c in columns[:5])}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        try:
            model.save_model(str(path), format="json")
        except Exception as error:  # catboost.CatBoostError
            detail = " ".join(str(error).split())[:160]
            raise UserError(f"catboost cannot export {what} as JSON ({detail}); mcugen converts CatBoost models "
                            "with numeric features and symmetric trees") from None
        return json.loads(path.read_text())


def _non_numeric(name: str, where: str) -> UserError:
    return UserError(f"the CatBoost model uses {name} ({where}), which mcugen does not convert: "
                     f"{NUMERIC_ADVICE[name]}")


def read_catboost_document(document: dict, *, classes: tuple | None = None,
                           n_features: int | None = None) -> TreeEnsemble:
    if not is_catboost_document(document):
        raise UserError("the file is not a CatBoost model (no features_info); save it with "
                        "save_model(path, format='json')")
    _check_numeric(document)
    if "oblivious_trees" not in document and "trees" not in document:
        raise UserError("the CatBoost model has no oblivious_trees section; save it again with "
                        "save_model(path, format='json')")
    if "oblivious_trees" not in document:
        raise UserError("the CatBoost model has non-symmetric trees (grow_policy Depthwise or Lossguide), which "
                        "mcugen does not convert; train with grow_policy='SymmetricTree' (the default)")
    info = document.get("model_info", {})
    loss = _loss(info)
    _check_threshold(info)
    scale, bias = _scale_and_bias(document.get("scale_and_bias", [1.0, [0.0]]))
    n_outputs = len(bias)
    class_names = tuple(info.get("class_params", {}).get("class_names", ()) or ())
    post, classes = boosting_post("CatBoost", loss, n_outputs if n_outputs > 1 else len(class_names),
                                  classes if classes is not None else class_names or None,
                                  IDENTITY_LOSSES, CLASSIFIER_LOSSES, LINKS)
    _check_outputs(loss, n_outputs, len(classes))
    features = document["features_info"].get("float_features", [])
    flat, nan_right = _float_features(features)
    n_features = int(n_features or (max(flat, default=-1) + 1))
    if flat and max(flat) >= n_features:
        raise UserError(f"the CatBoost model reads feature {max(flat)} but has {n_features} features; "
                        "save the model again with save_model")
    trees = document["oblivious_trees"]
    _check_size(trees)
    ir = _assemble(trees, flat, nan_right, n_outputs, scale)
    spec = InputSpec(n_features=n_features, feature_names=_names(features, n_features))
    # MultiClassOneVsAll's probabilities are per-class sigmoids, not a softmax: no _proba
    facts = boosting_facts("catboost", post, sigmoid=loss == "Logloss", softmax=loss == "MultiClass")
    return ir.with_(input=spec, base_score=bias, post=post, classes=classes, estimator=f"CatBoost {loss}",
                    source=facts)


def _check_numeric(document: dict) -> None:
    features = document["features_info"]
    for key, name in NON_NUMERIC:
        if features.get(key):
            where = ", ".join(str(f.get("flat_feature_index", "?")) for f in features[key][:5])
            raise _non_numeric(name, f"columns {where}")
    for tree in document.get("oblivious_trees", []):
        for split in tree.get("splits", []):
            if split.get("split_type", "FloatFeature") != "FloatFeature":
                raise _non_numeric("categorical features", f"a {split.get('split_type')} split")


def _loss(info: dict) -> str:
    try:
        loss = info["params"]["loss_function"]["type"]
    except (KeyError, TypeError):
        raise UserError("the CatBoost model does not record its loss function (model_info.params.loss_function); "
                        "save it again with save_model(path, format='json')") from None
    return str(loss)


def _check_threshold(info: dict) -> None:
    threshold = info.get("binclass_probability_threshold")
    if threshold is not None and float(threshold) != 0.5:
        raise UserError(f"the CatBoost classifier has binclass_probability_threshold {threshold}; mcugen decides "
                        "classes at 0.5: call set_probability_threshold(None) before saving")


def _scale_and_bias(value) -> tuple[float, np.ndarray]:
    scale, bias = value
    bias = np.atleast_1d(np.asarray(bias, dtype=np.float64))
    scale = float(scale)
    if bias.ndim != 1 or not bias.size or not np.isfinite(scale) or not np.all(np.isfinite(bias)):
        raise UserError(f"the CatBoost model's scale_and_bias {value!r} is not a finite scale and bias; "
                        "save the model again with save_model")
    return scale, bias


def _check_outputs(loss: str, n_outputs: int, n_classes: int) -> None:
    expected = 1 if loss in IDENTITY_LOSSES or n_classes == 2 else n_classes
    if n_outputs != expected:
        raise UserError(f"the CatBoost {loss} model has {n_outputs} raw score(s) where {expected} belong (multi-target "
                        "models are not supported); train one model per target")


def _float_features(features: list) -> tuple[list[int], list[bool]]:
    """Per float feature (by feature_index, what splits name): its input column and whether NaN goes right."""
    flat, nan_right = [], []
    for position, feature in enumerate(features):
        if int(feature.get("feature_index", position)) != position:
            raise UserError("the CatBoost model's float_features are not in feature_index order; "
                            "save the model again with save_model")
        treatment = feature.get("nan_value_treatment", "AsIs")
        if treatment not in NAN_TREATMENTS:
            raise UserError(f"the CatBoost model's nan_value_treatment {treatment!r} is not one of "
                            f"{', '.join(NAN_TREATMENTS)}; save the model again with save_model")
        flat.append(int(feature.get("flat_feature_index", position)))
        nan_right.append(treatment == NAN_RIGHT)
    return flat, nan_right


def _names(features: list, n_features: int) -> tuple[str, ...]:
    """The columns' names when catboost recorded real ones for every column (not "" or "0", "1", ...)."""
    names = {int(f.get("flat_feature_index", i)): str(f.get("feature_id", "")) for i, f in enumerate(features)}
    ordered = tuple(names.get(i, "") for i in range(n_features))
    if "" in ordered or ordered == tuple(str(i) for i in range(n_features)):
        return ()
    return ordered


def _check_size(trees: list) -> None:
    nodes = sum(2 ** len(tree["splits"]) - 1 for tree in trees)
    if nodes > MAX_EXPANDED_NODES:
        raise UserError(f"the CatBoost model's {len(trees)} symmetric trees hold {nodes:,} nodes as binary trees "
                        f"(mcugen converts at most {MAX_EXPANDED_NODES:,}); train with a smaller depth or fewer "
                        "iterations")


def _assemble(trees: list, flat: list[int], nan_right: list[bool], n_outputs: int, scale: float) -> TreeEnsemble:
    """All trees at once, each expanded in heap order: node n of a depth-d tree is at level
    floor(log2(n + 1)) and tests split d - 1 - level; its children are 2n + 1 (bit 0) and 2n + 2."""
    parts = {name: [] for name in ("feature", "threshold", "left", "right", "missing", "leaves")}
    roots = []
    node_offset = leaf_offset = 0
    for tree in trees:
        splits = tree["splits"]
        depth = len(splits)
        n_inner = 2**depth - 1
        values = np.asarray(tree["leaf_values"], dtype=np.float64)
        if values.size != (n_inner + 1) * n_outputs:
            raise UserError(f"a CatBoost tree of depth {depth} has {values.size} leaf values where "
                            f"{(n_inner + 1) * n_outputs} belong; save the model again with save_model")
        heap = np.arange(n_inner)
        level = np.floor(np.log2(heap + 1)).astype(np.int64)
        split_of = depth - 1 - level
        float_index = np.asarray([int(s["float_feature_index"]) for s in splits], dtype=np.int64)
        borders = np.asarray([s["border"] for s in splits], dtype=np.float32).astype(np.float64)
        parts["feature"].append(np.asarray(flat, dtype=np.int64)[float_index][split_of])
        parts["threshold"].append(borders[split_of])
        parts["missing"].append(~np.asarray(nan_right, dtype=bool)[float_index][split_of])
        for name, child in (("left", 2 * heap + 1), ("right", 2 * heap + 2)):
            inner = child < n_inner
            parts[name].append(np.where(inner, node_offset + child, -(leaf_offset + child - n_inner) - 1))
        parts["leaves"].append(values.reshape(n_inner + 1, n_outputs) * scale)
        roots.append(node_offset if depth else -leaf_offset - 1)
        node_offset += n_inner
        leaf_offset += n_inner + 1
    return joined_ensemble(parts, roots, n_outputs, input=InputSpec(n_features=max(flat, default=-1) + 1),
                           base_score=np.zeros(n_outputs), post="identity", estimator="CatBoost")
