"""Transforms of fitted LightGBM models (LGBMClassifier / LGBMRegressor / lightgbm.Booster), by
the library's own means. Each returns a NEW model of the same class (the input is unchanged).

- `first_iterations`: the first n iterations: `model_to_string(num_iteration=n)` loaded as a
  new Booster (every iteration keeps its one tree per class). A model trained with early
  stopping predicts with the iterations up to `best_iteration`: those are the ones it has, and
  the new Booster records no best iteration (it predicts with all of its own).
- `quantize_leaves`: leaf values on one power-of-two grid, set with `Booster.set_leaf_output`.
"""

from __future__ import annotations

import copy

import numpy as np

from codegen.errors import UserError

WRAPPERS = ("LGBMClassifier", "LGBMRegressor")


def is_lightgbm(model) -> bool:
    name, module = type(model).__name__, type(model).__module__.split(".")[0]
    return module == "lightgbm" and (name in WRAPPERS or name == "Booster")


def booster_of(model):
    return model if type(model).__name__ == "Booster" else model.booster_


def n_iterations(model) -> int:
    """The iterations the model predicts with (up to best_iteration when one is recorded)."""
    booster = booster_of(model)
    return int(booster.best_iteration) if booster.best_iteration > 0 else int(booster.current_iteration())


def first_iterations(model, n: int):
    if not 1 <= n <= n_iterations(model):
        raise UserError(f"keep between 1 and {n_iterations(model)} iterations, not {n}")
    return _with_booster(model, _copy(booster_of(model), n))


def quantize_leaves(model, bits: int):
    if bits not in (8, 16):
        raise UserError(f"leaf bits must be 8 or 16, not {bits}")
    booster = _copy(booster_of(model), n_iterations(model))
    leaves = [(tree, leaf) for tree, info in enumerate(booster.dump_model()["tree_info"])
              for leaf in range(int(info["num_leaves"]))]
    values = np.array([booster.get_leaf_output(tree, leaf) for tree, leaf in leaves])
    largest = float(np.abs(values).max(initial=0.0))
    step = 1.0 if largest == 0.0 else float(2.0 ** np.ceil(np.log2(largest / (2 ** (bits - 1) - 1))))
    for (tree, leaf), value in zip(leaves, np.rint(values / step) * step):
        booster.set_leaf_output(tree, leaf, float(value))
    return _with_booster(model, booster)


def _copy(booster, n: int):
    import lightgbm

    return lightgbm.Booster(model_str=booster.model_to_string(num_iteration=n))


def _with_booster(model, booster):
    """`model` with `booster` in place of its own (a wrapper is copied, not changed)."""
    if type(model).__name__ == "Booster":
        return booster
    wrapped = copy.copy(model)
    wrapped.__dict__ = {key: booster if key == "_Booster" else copy.deepcopy(value)
                        for key, value in model.__dict__.items()}
    wrapped._best_iteration = booster.best_iteration
    return wrapped
