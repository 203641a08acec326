"""Reading a LightGBM model text (`save_model`, `model_to_string()`) and checking that it adds
up before anything is built from it: every structural count the format records (`tree_sizes`,
`Tree=i` numbering, `end of trees`, whole iterations of `num_tree_per_iteration` trees,
`num_class`, each tree's array lengths, child indices forming one tree, category bitsets).
A file cut short or edited by hand is refused with one line; the library is never asked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from codegen.errors import UserError

RESAVE = "save the model again with save_model"
TREE_HEADER = re.compile(r"^Tree=(\S*)[ \t\r]*$", re.M)
END_OF_TREES = re.compile(r"^end of trees[ \t\r]*$", re.M)
NODE_FIELDS = {"split_feature": np.int64, "threshold": np.float64, "decision_type": np.int64,
               "left_child": np.int64, "right_child": np.int64}


@dataclass(frozen=True)
class LightGBMText:
    """The header fields (strings), each tree's arrays (checked), and the category lists of
    pandas `category` columns (None when the model was not trained on any)."""

    header: dict[str, str]
    trees: list[dict]
    pandas_categorical: list | None

    @property
    def per_iteration(self) -> int:
        return int(self.header["num_tree_per_iteration"])

    @property
    def n_iterations(self) -> int:
        return len(self.trees) // self.per_iteration

    @property
    def n_features(self) -> int:
        return int(self.header["max_feature_idx"]) + 1


def parse_model_text(text: str) -> LightGBMText:
    header_text, blocks, trailer = _split(text)
    header = _fields(header_text)
    if "version" not in header or "max_feature_idx" not in header:
        raise UserError("the text is not a LightGBM model (no version/max_feature_idx); save it with save_model")
    _check_counts(header, blocks)
    n_features = _positive(header, "max_feature_idx", minimum=0) + 1
    names = header.get("feature_names", "").split()
    if names and len(names) != n_features:
        raise UserError(f"the LightGBM model names {len(names)} features but has max_feature_idx={n_features - 1}; "
                        f"{RESAVE}")
    trees = [_tree(index, _fields(block), n_features) for index, block in enumerate(blocks)]
    return LightGBMText(header, trees, _pandas_categorical(trailer))


def _split(text: str) -> tuple[str, list[str], str]:
    """(header, the text of each `Tree=` block, what follows `end of trees`)."""
    end = END_OF_TREES.search(text)
    starts = [match.start() for match in TREE_HEADER.finditer(text, 0, end.start() if end else len(text))]
    if end is None:
        if starts:
            raise UserError(f"the LightGBM model has no 'end of trees' line: the file is cut short; {RESAVE}")
        return text, [], ""
    bounds = [*starts, end.start()]
    blocks = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    return text[: bounds[0]], blocks, text[end.end():]


def _fields(text: str) -> dict[str, str]:
    """`key=value` lines, and bare words (the header's `average_output` flag) as `word: ""`."""
    fields = {}
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key:
            fields[key] = value.strip()
    return fields


def _positive(fields: dict, key: str, minimum: int = 1, where: str = "the LightGBM model") -> int:
    try:
        value = int(fields[key])
    except (KeyError, ValueError):
        raise UserError(f"{where} has no valid {key}= line; {RESAVE}") from None
    if value < minimum:
        raise UserError(f"{where} has {key}={value} (at least {minimum} expected); {RESAVE}")
    return value


def _check_counts(header: dict, blocks: list[str]) -> None:
    per_iteration = _positive(header, "num_tree_per_iteration")
    num_class = _positive(header, "num_class")
    if not blocks:
        raise UserError(f"the LightGBM model has no trees; train it with at least one iteration and {RESAVE}")
    numbers = [_fields(block).get("Tree") for block in blocks]
    if numbers != [str(i) for i in range(len(blocks))]:
        raise UserError(f"the LightGBM model's trees are not numbered Tree=0..{len(blocks) - 1} in order; {RESAVE}")
    if len(blocks) % per_iteration:
        raise UserError(f"the LightGBM model has {len(blocks)} trees, not a whole number of iterations of "
                        f"num_tree_per_iteration={per_iteration}: the file is cut short or edited; {RESAVE}")
    if num_class > 1 and per_iteration != num_class:
        raise UserError(f"the LightGBM model has num_class={num_class} but num_tree_per_iteration="
                        f"{per_iteration}; {RESAVE}")
    if "tree_sizes" in header:
        sizes = header["tree_sizes"].split()
        actual = [str(len(block.encode())) for block in blocks]
        if len(sizes) != len(blocks):
            raise UserError(f"the LightGBM model lists {len(sizes)} tree_sizes but holds {len(blocks)} trees: "
                            f"the file is cut short or edited; {RESAVE}")
        wrong = next((i for i, (a, b) in enumerate(zip(sizes, actual)) if a != b), None)
        if wrong is not None:
            raise UserError(f"LightGBM tree {wrong} is {actual[wrong]} bytes but tree_sizes says {sizes[wrong]}: "
                            f"the file is cut short or edited; {RESAVE}")


def _numbers(tree: dict, key: str, dtype, count: int, where: str) -> np.ndarray:
    try:
        values = np.array(tree.get(key, "").split(), dtype=dtype)
    except (ValueError, OverflowError):
        raise UserError(f"{where}: {key}= is not a list of numbers; {RESAVE}") from None
    if len(values) != count:
        raise UserError(f"{where}: {key}= has {len(values)} values, {count} expected: the file is cut short "
                        f"or edited; {RESAVE}")
    return values


def _tree(index: int, tree: dict, n_features: int) -> dict:
    """The tree's arrays, each of the length num_leaves implies, its children one tree."""
    where = f"LightGBM tree {index}"
    if tree.get("is_linear", "0") != "0":
        raise UserError("LightGBM linear trees (linear_tree=True) are not supported: their leaves are linear "
                        "models of the inputs; train without linear_tree")
    n_leaves = _positive(tree, "num_leaves", where=where)
    arrays = {"num_leaves": n_leaves, "leaf_value": _numbers(tree, "leaf_value", np.float64, n_leaves, where)}
    if n_leaves == 1:
        return arrays
    arrays.update({key: _numbers(tree, key, dtype, n_leaves - 1, where) for key, dtype in NODE_FIELDS.items()})
    feature = arrays["split_feature"]
    if feature.min() < 0 or feature.max() >= n_features:
        raise UserError(f"{where} splits on feature {int(feature.max())} of {n_features}; {RESAVE}")
    _check_children(arrays["left_child"], arrays["right_child"], n_leaves, where)
    arrays.update(_categories(tree, arrays, where))
    return arrays


def _check_children(left: np.ndarray, right: np.ndarray, n_leaves: int, where: str) -> None:
    """Children in range, each node but the root and each leaf reached exactly once, and every
    node reachable from the root (so no cycle): the arrays form one binary tree."""
    children = np.concatenate([left, right])
    n_nodes = n_leaves - 1
    if children.max() >= n_nodes or children.min() < -n_leaves:
        raise UserError(f"{where} has a child index outside its {n_nodes} nodes and {n_leaves} leaves; {RESAVE}")
    slots = np.where(children >= 0, children, n_nodes + ~children)  # nodes, then leaves
    if not np.array_equal(np.bincount(slots, minlength=n_nodes + n_leaves), np.r_[0, np.ones(n_nodes + n_leaves - 1)]):
        raise UserError(f"{where}: its child lists do not form one tree (a node reached twice or never); {RESAVE}")
    reached, frontier = 1, np.array([0])
    while len(frontier):
        frontier = np.concatenate([left[frontier], right[frontier]])
        frontier = frontier[frontier >= 0]
        reached += len(frontier)
        if reached > n_nodes:
            break
    if reached != n_nodes:
        raise UserError(f"{where}: its child lists do not form one tree (a cycle); {RESAVE}")


def _categories(tree: dict, arrays: dict, where: str) -> dict:
    """cat_boundaries (num_cat + 1 offsets from 0 to the end of cat_threshold, in order) and
    the bitset index of each categorical node (its threshold) within num_cat."""
    n_cat = _positive(tree, "num_cat", minimum=0, where=where) if "num_cat" in tree else 0
    categorical = (arrays["decision_type"] & 1).astype(bool)
    if not categorical.any() and n_cat == 0:
        return {"cat_boundaries": np.zeros(1, dtype=np.int64), "cat_threshold": np.zeros(0, dtype=np.uint64)}
    boundaries = _numbers(tree, "cat_boundaries", np.int64, n_cat + 1, where)
    words = np.array(tree.get("cat_threshold", "").split(), dtype=np.float64) if n_cat else np.zeros(0)
    if (boundaries[0] != 0 or np.any(np.diff(boundaries) < 0) or boundaries[-1] != len(words)
            or np.any((words < 0) | (words >= 2.0**32) | (words != np.round(words)))):
        raise UserError(f"{where}: cat_boundaries / cat_threshold do not add up; {RESAVE}")
    index = arrays["threshold"][categorical]
    if np.any((index < 0) | (index >= n_cat) | (index != np.round(index))):
        raise UserError(f"{where}: a categorical split names a category set outside its num_cat={n_cat}; {RESAVE}")
    return {"cat_boundaries": boundaries, "cat_threshold": words.astype(np.uint64)}


def _check_trailer(trailer: str) -> None:
    """LightGBM's loader reads the `parameters:` section up to `end of parameters` (and
    crashes on a section cut short): the section must be whole."""
    lines = [line.strip() for line in trailer.splitlines()]
    if "parameters:" in lines and "end of parameters" not in lines[lines.index("parameters:"):]:
        raise UserError(f"the LightGBM model's parameters section has no 'end of parameters' line: the file is cut "
                        f"short; {RESAVE}")


def _pandas_categorical(trailer: str) -> list | None:
    _check_trailer(trailer)
    for line in trailer.splitlines():
        if line.startswith("pandas_categorical:"):
            try:
                value = json.loads(line.partition(":")[2])
            except ValueError:
                raise UserError(f"the LightGBM model's pandas_categorical line is not valid JSON; {RESAVE}") from None
            if value is not None and not (isinstance(value, list) and all(isinstance(v, list) for v in value)):
                raise UserError(f"the LightGBM model's pandas_categorical line is not a list of lists; {RESAVE}")
            return value or None
    return None


def objective_of(header: dict) -> tuple[str, dict[str, str], set[str]]:
    """The objective line `name key:value ... flag`: its name, parameters and flags (sqrt).
    A model trained with a Python objective function has no line: "custom" (predict returns
    the raw score)."""
    name, *tokens = header.get("objective", "").split() or ["custom"]
    params = dict(token.split(":", 1) for token in tokens if ":" in token)
    return name, params, {token for token in tokens if ":" not in token}
