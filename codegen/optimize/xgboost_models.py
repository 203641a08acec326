"""Transforms of fitted XGBoost models (XGBClassifier / XGBRegressor / xgboost.Booster), by
the library's own means. Each returns a NEW model of the same class (the input is unchanged).

- `first_rounds`: the first n boosting rounds, by the Booster's own slicing (`booster[:n]`),
  which keeps every round whole (its num_parallel_tree trees and one tree per class). A model
  trained with early stopping predicts with the rounds up to `best_iteration`: those are the
  rounds it has, and a slice holds no best_iteration (it predicts with all its rounds).
- `quantize_leaves`: leaf values on one power-of-two grid, written into the model's JSON
  document (a leaf's value is its `split_conditions` entry, `base_weights` keeps the same) and
  loaded back as a Booster: XGBoost holds leaves in float32, where every value of that grid
  is exact.
"""

from __future__ import annotations

import copy
import json

import numpy as np

from codegen.errors import UserError

WRAPPERS = ("XGBClassifier", "XGBRegressor", "XGBRFClassifier", "XGBRFRegressor")


def is_xgboost(model) -> bool:
    name, module = type(model).__name__, type(model).__module__.split(".")[0]
    return module == "xgboost" and (name in WRAPPERS or name == "Booster")


def booster_of(model):
    return model if type(model).__name__ == "Booster" else model.get_booster()


def n_rounds(model) -> int:
    """The rounds the model predicts with (up to best_iteration when one is recorded)."""
    booster = booster_of(model)
    best = booster.attr("best_iteration")
    return int(best) + 1 if best is not None else int(booster.num_boosted_rounds())


def first_rounds(model, n: int):
    if not 1 <= n <= n_rounds(model):
        raise UserError(f"keep between 1 and {n_rounds(model)} boosting rounds, not {n}")
    return _with_booster(model, booster_of(model)[:n])


def quantize_leaves(model, bits: int):
    if bits not in (8, 16):
        raise UserError(f"leaf bits must be 8 or 16, not {bits}")
    booster = booster_of(model)[: n_rounds(model)]
    document = json.loads(bytes(booster.save_raw("json")))
    trees = document["learner"]["gradient_booster"]["model"]["trees"]
    leaves = [np.asarray(tree["left_children"]) < 0 for tree in trees]
    largest = max(float(np.abs(np.asarray(t["split_conditions"])[leaf]).max(initial=0.0))
                  for t, leaf in zip(trees, leaves))
    step = 1.0 if largest == 0.0 else float(2.0 ** np.ceil(np.log2(largest / (2 ** (bits - 1) - 1))))
    for tree, leaf in zip(trees, leaves):
        for key in ("split_conditions", "base_weights"):
            values = np.asarray(tree[key], dtype=np.float64)
            values[leaf] = np.rint(values[leaf] / step) * step
            tree[key] = values.tolist()
    import xgboost

    return _with_booster(model, xgboost.Booster(model_file=bytearray(json.dumps(document).encode())))


def _with_booster(model, booster):
    """`model` with `booster` in place of its own (a wrapper is copied, not changed)."""
    if type(model).__name__ == "Booster":
        return booster
    wrapped = copy.copy(model)
    wrapped.__dict__ = {key: booster if key == "_Booster" else copy.deepcopy(value)
                        for key, value in model.__dict__.items()}
    return wrapped
