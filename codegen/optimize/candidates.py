"""The search space: which transforms to try on a model, and applying a transform.

A transform is a small dict (JSON-able, so it names the candidate in the cache, the CSV and
the report): forests {"trees", "depth", "leaves"}, boosting {"stages", "depth", "leaves"},
single trees {"depth", "leaves"}, MLPs {"units"}. "leaves" is "as-trained", "hard" (majority
vote per leaf), "q16" or "q8" (leaf values on a 16/8-bit grid). The empty dict is the model as
trained. Conversion settings (layout, input type) multiply each transform.
"""

from __future__ import annotations

import itertools

import numpy as np

from codegen.optimize import trees as tree_transforms
from codegen.optimize.mlp_units import hidden_sizes, prune_hidden_units

TREE_LEAVES = ("as-trained", "hard", "q16", "q8")
MLP_KEEP = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.375, 0.25, 0.125)
INPUT_TYPES = ("float32", "int16", "int8")


def model_family(estimator) -> str:
    """"forest", "boosting", "tree", "mlp", or "other" (a model mcugen converts that has no
    transforms yet, e.g. HistGradientBoosting: only its implementations are searched). A
    model mcugen cannot convert is a UserError."""
    from codegen.frontends import model_kind

    if model_kind(estimator) == "mlp":
        return "mlp"
    name = type(estimator).__name__
    if name in tree_transforms.FOREST_CLASSES + tree_transforms.BOOSTING_CLASSES + tree_transforms.SINGLE_TREE_CLASSES:
        return tree_transforms.kind_of(estimator)
    return "other"


def transform_grid(estimator) -> list[dict]:
    """Every transform tried on this model, the model as trained first."""
    family = model_family(estimator)
    if family == "mlp":
        return [{}] + [{"units": keep} for keep in MLP_KEEP[1:]]
    if family == "other":
        return [{}]
    depth = _deepest(estimator)
    depths = sorted({d for d in (2, 3, 4, 5, 6, 7, 8, 10, 12) if d < depth} | {depth})
    leaves = TREE_LEAVES if tree_transforms.is_classifier(estimator) and family != "boosting" else \
        ("as-trained", "q16", "q8")
    if family == "forest":
        n = len(estimator.estimators_)
        sizes = sorted({max(1, int(round(n * share))) for share in (1, 0.5, 0.3, 0.2, 0.12, 0.08, 0.05, 0.03)})
        axes = {"trees": sizes, "depth": depths, "leaves": leaves}
    elif family == "boosting":
        n = int(estimator.n_estimators_)
        sizes = sorted({max(1, int(round(n * share))) for share in (1, 0.6, 0.4, 0.25, 0.15, 0.1, 0.05)})
        axes = {"stages": sizes, "depth": depths, "leaves": leaves}
    else:
        axes = {"depth": depths, "leaves": leaves}
    grid = [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]
    full = {"trees": len(getattr(estimator, "estimators_", [])), "stages": getattr(estimator, "n_estimators_", 0),
            "depth": depth, "leaves": "as-trained"}
    as_trained = [t for t in grid if all(t[k] == full[k] for k in t)]
    return [{}] + [t for t in grid if t not in as_trained]


def _deepest(estimator) -> int:
    return max(int(tree.tree_.max_depth) for tree in tree_transforms.all_trees(estimator))


def apply_transform(estimator, transform: dict, tree_order: list[int] | None = None):
    """The transformed model (a new estimator; `estimator` is not changed). `tree_order`:
    forests keep its first `trees` entries (greedy_tree_order on validation rows)."""
    model = estimator
    if "units" in transform:
        return prune_hidden_units(model, float(transform["units"]))
    if "trees" in transform and transform["trees"] < len(model.estimators_):
        order = tree_order if tree_order is not None else list(range(len(model.estimators_)))
        model = tree_transforms.select_trees(model, order[: transform["trees"]])
    if "stages" in transform and transform["stages"] < model.n_estimators_:
        model = tree_transforms.fewer_stages(model, int(transform["stages"]))
    if "depth" in transform and transform["depth"] < _deepest(model):
        model = tree_transforms.cut_depth(model, int(transform["depth"]))
    leaves = transform.get("leaves", "as-trained")
    if leaves == "hard":
        model = tree_transforms.hard_voting(model)
    elif leaves in ("q16", "q8"):
        model = tree_transforms.quantize_leaf_values(model, int(leaves[1:]))
    return model


def describe(transform: dict, estimator=None) -> str:
    """A short human name: "as trained", "40 trees, depth 8, hard votes", "hidden 24";
    `estimator`: the transformed model (for the MLP's kept sizes)."""
    if not transform:
        return "as trained"
    parts = []
    if "trees" in transform:
        parts.append(f"{transform['trees']} trees")
    if "stages" in transform:
        parts.append(f"{transform['stages']} stages")
    if "depth" in transform:
        parts.append(f"depth {transform['depth']}")
    leaves = transform.get("leaves")
    if leaves and leaves != "as-trained":
        parts.append({"hard": "hard votes", "q16": "16-bit leaves", "q8": "8-bit leaves"}[leaves])
    if "units" in transform:
        sizes = "-".join(map(str, hidden_sizes(estimator))) if estimator is not None \
            else f"{100 * transform['units']:.1f}%"
        parts.append(f"hidden {sizes}")
    return ", ".join(parts)


def layouts_for(family: str) -> tuple[str, ...]:
    """Exact implementation variants: every tree layout the backends offer (asked at run
    time, so layouts added later are searched too); MLPs have one code shape."""
    if family == "mlp":
        return ("auto",)
    from codegen.backends import trees as tree_backend
    from codegen.settings import LAYOUTS

    return tuple(layout for layout in getattr(tree_backend, "LAYOUTS", LAYOUTS) if layout != "auto")


def as_json(value):
    """numpy scalars in a transform -> plain Python (for JSON and digests)."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value
