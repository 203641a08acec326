"""Transforms of fitted LightGBM models (LGBMClassifier / LGBMRegressor / lightgbm.Booster), by
the library's own means. Each returns a NEW model of the same class (the input is unchanged).

- `first_iterations`: the first n iterations: `model_to_string(num_iteration=n)` loaded as a
  new Booster (every iteration keeps its one tree per class). A model trained with early
  stopping predicts with the iterations up to `best_iteration`: those are the ones it has, and
  the new Booster records no best iteration (it predicts with all of its own).
- `quantize_leaves`: leaf values on one power-of-two grid, set with `Booster.set_leaf_output`.
- `cut_depth`: nodes at a depth become leaves (the mean of the leaves below, weighted by their
  hessian sums), the trees of the text model rebuilt and loaded as a new Booster.
"""

from __future__ import annotations

import numpy as np

from codegen.errors import UserError
from codegen.optimize.model_copies import native_library, power_of_two_step, with_booster

WRAPPERS = ("LGBMClassifier", "LGBMRegressor")


def is_lightgbm(model) -> bool:
    """A wrapper, a Booster, or a LightGBM model file mcugen read (with lightgbm installed)."""
    name, module = type(model).__name__, type(model).__module__.split(".")[0]
    return (module == "lightgbm" and (name in WRAPPERS or name == "Booster")) or native_library(model) == "lightgbm"


def booster_of(model):
    if native_library(model):
        import lightgbm

        return lightgbm.Booster(model_str=model.document)
    return model if type(model).__name__ == "Booster" else model.booster_


def n_iterations(model) -> int:
    """The iterations the model predicts with (up to best_iteration when one is recorded)."""
    booster = booster_of(model)
    return int(booster.best_iteration) if booster.best_iteration > 0 else int(booster.current_iteration())


def first_iterations(model, n: int):
    if not 1 <= n <= n_iterations(model):
        raise UserError(f"keep between 1 and {n_iterations(model)} iterations, not {n}")
    return _wrapped(model, _copy(booster_of(model), n))


def quantize_leaves(model, bits: int):
    if bits not in (8, 16):
        raise UserError(f"leaf bits must be 8 or 16, not {bits}")
    booster = _copy(booster_of(model), n_iterations(model))
    leaves = [(tree, leaf) for tree, info in enumerate(booster.dump_model()["tree_info"])
              for leaf in range(int(info["num_leaves"]))]
    values = np.array([booster.get_leaf_output(tree, leaf) for tree, leaf in leaves])
    largest = float(np.abs(values).max(initial=0.0))
    step = power_of_two_step(largest, bits)
    for (tree, leaf), value in zip(leaves, np.rint(values / step) * step):
        booster.set_leaf_output(tree, leaf, float(value))
    return _wrapped(model, booster)


def _wrapped(model, booster):
    """The wrapper's best iteration is its Booster's: none, in a copy of the iterations used."""
    return with_booster(model, booster, _best_iteration=booster.best_iteration)


def _copy(booster, n: int):
    import lightgbm

    return lightgbm.Booster(model_str=booster.model_to_string(num_iteration=n))


def deepest(model) -> int:
    return max(_tree_depth(info["tree_structure"]) for info in booster_of(model).dump_model(
        num_iteration=n_iterations(model))["tree_info"])


def _tree_depth(node: dict) -> int:
    if "leaf_index" in node or "split_index" not in node:
        return 0
    return 1 + max(_tree_depth(node["left_child"]), _tree_depth(node["right_child"]))


def cut_depth(model, max_depth: int):
    """Every tree cut at `max_depth`: a node at that depth becomes a leaf worth the mean of the
    leaves below weighted by their `leaf_weight` (hessian sums), its weight and count the
    node's own. The trees of the text model are rebuilt; its `tree_sizes` line (an index for
    parallel loading) is dropped, and LightGBM then reads the trees one after another."""
    if max_depth < 1:
        raise UserError(f"max_depth must be at least 1, not {max_depth}")
    import lightgbm

    text = booster_of(model).model_to_string(num_iteration=n_iterations(model))
    head, _, rest = text.partition("\nTree=")
    body, marker, tail = ("Tree=" + rest).partition("end of trees")
    blocks = [_cut_block(block, max_depth) for block in body.split("\n\n\n") if block.strip()]
    head = "\n".join(line for line in head.splitlines() if not line.startswith("tree_sizes="))
    rebuilt = head + "\n\n" + "\n\n\n".join(blocks) + "\n\n\n" + marker + tail
    return _wrapped(model, lightgbm.Booster(model_str=rebuilt))


def _cut_block(block: str, max_depth: int) -> str:
    lines = block.strip("\n").splitlines()
    fields = dict(line.split("=", 1) for line in lines[1:])
    if int(fields["num_leaves"]) == 1:
        return block.strip("\n")
    node = {key: fields[key].split() for key in INNER + LEAF}
    left, right = [int(v) for v in node["left_child"]], [int(v) for v in node["right_child"]]
    inner, leaves = [], []  # new order: ("inner", old) / ("leaf", old leaf) or ("cut", old inner)

    def visit(child: int, depth: int) -> int:
        """The new child reference of old child `child` (>= 0 inner, < 0 ~leaf)."""
        if child < 0 or depth >= max_depth:
            leaves.append(("leaf", ~child) if child < 0 else ("cut", child))
            return ~(len(leaves) - 1)
        index = len(inner)
        inner.append([child, 0, 0])
        inner[index][1] = visit(left[child], depth + 1)
        inner[index][2] = visit(right[child], depth + 1)
        return index

    visit(0, 0)
    columns = {key: [node[key][old] for old, _, _ in inner] for key in INNER}
    columns["left_child"] = [str(new_left) for _, new_left, _ in inner]
    columns["right_child"] = [str(new_right) for _, _, new_right in inner]
    for key, cut_key in zip(LEAF, ("leaf_value", "internal_weight", "internal_count")):
        columns[key] = [node[key][old] if kind == "leaf" else
                        (repr(_weighted_leaves(node, left, right, old)) if key == "leaf_value" else node[cut_key][old])
                        for kind, old in leaves]
    fields.update({key: " ".join(values) for key, values in columns.items()}, num_leaves=str(len(leaves)))
    return "\n".join([lines[0], *(f"{key}={value}" for key, value in fields.items())])


INNER = ("split_feature", "split_gain", "threshold", "decision_type", "left_child", "right_child",
         "internal_value", "internal_weight", "internal_count")
LEAF = ("leaf_value", "leaf_weight", "leaf_count")


def _weighted_leaves(node: dict, left: list, right: list, top: int) -> float:
    total = weight = 0.0
    stack = [top]
    while stack:
        child = stack.pop()
        if child < 0:
            w = float(node["leaf_weight"][~child])
            total, weight = total + w * float(node["leaf_value"][~child]), weight + w
        else:
            stack += [left[child], right[child]]
    return total / weight if weight > 0 else 0.0
