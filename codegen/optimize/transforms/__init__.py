"""The transforms `tune` tries, as values: each one is an object with its axis (the key it
takes in a candidate's transform dict), the values it tries on a model, how to apply a value
and how to name it. `TRANSFORMS` is the one ordered list: a candidate applies its transforms in
this order (pick members first, so the later, per-tree transforms touch only the kept trees).
A new transform is one module and one entry here.

A candidate is a dict {axis: value} holding only the axes whose value changes the model: the
empty dict is the model as trained. Values are JSON-able, so a candidate names itself in the
cache, the CSV and the report.
"""

from __future__ import annotations

import itertools
from typing import Protocol

from codegen.optimize.transforms.booster_depth import CutBoosterDepth
from codegen.optimize.transforms.boosting_stages import KeepStages
from codegen.optimize.transforms.cost_complexity import PruneCostComplexity
from codegen.optimize.transforms.depth import CutDepth
from codegen.optimize.transforms.family import model_family
from codegen.optimize.transforms.forest_trees import KeepTrees
from codegen.optimize.transforms.hidden_units import KeepUnits
from codegen.optimize.transforms.isolation_trees import KeepIsolationTrees
from codegen.optimize.transforms.leaf_bits import RoundLeaves
from codegen.optimize.transforms.leaves import LeafValues
from codegen.optimize.transforms.rounds import KeepRounds
from codegen.optimize.transforms.training import FineTune, RefineLeaves, Retrain


class Transform(Protocol):
    axis: str
    learns_from_rows: bool  # prepare() learns from rows: cross-validation learns it per fold

    def values(self, model, family: str) -> tuple:
        """The values tried on `model` (the as-trained value first), () when it does not apply."""

    def prepare(self, model, X, y):
        """What the transform learns from rows (e.g. a tree order), or None."""

    def apply(self, model, value, prepared):
        """A NEW fitted estimator (`model` is not changed) with `value` applied."""

    def describe(self, value, model) -> str:
        """A short name for the value ("30 trees"); `model`: the transformed estimator."""


TRANSFORMS: tuple[Transform, ...] = (
    Retrain(),  # a retrained model replaces the one as trained
    KeepTrees(), KeepIsolationTrees(), KeepStages(), KeepRounds(),  # members first
    PruneCostComplexity(), CutDepth(), CutBoosterDepth(),  # then each tree's shape
    RefineLeaves(),  # the kept leaves re-fitted for what is left
    LeafValues(), RoundLeaves(),  # then its leaves
    KeepUnits(), FineTune(),
)
BY_AXIS = {transform.axis: transform for transform in TRANSFORMS}


def candidate_grid(model) -> list[dict]:
    """Every candidate tried on `model`, the model as trained ({}) first."""
    family = model_family(model)
    axes = [(t.axis, t.values(model, family)) for t in TRANSFORMS]
    axes = [(axis, values) for axis, values in axes if values]
    grid = [{}]
    for combination in itertools.product(*(values for _, values in axes)):
        changed = {axis: value for (axis, values), value in zip(axes, combination, strict=True) if value != values[0]}
        if changed:
            grid.append(changed)
    return grid


def prepare(model, candidate: dict, X, y) -> dict:
    """What each transform of `candidate` learns from the rows X, y (by axis)."""
    return {axis: BY_AXIS[axis].prepare(model, X, y) for axis in candidate}


def learns_from_rows(candidate: dict) -> bool:
    return any(BY_AXIS[axis].learns_from_rows for axis in candidate)


def needs_training_rows(candidate: dict) -> bool:
    return any(getattr(BY_AXIS[axis], "needs_training_rows", False) for axis in candidate)


def apply(model, candidate: dict, prepared: dict | None = None):
    """The candidate's estimator (a new one; `model` is not changed)."""
    prepared = prepared or {}
    for transform in TRANSFORMS:
        if transform.axis in candidate:
            model = transform.apply(model, candidate[transform.axis], prepared.get(transform.axis))
    return model


def describe(candidate: dict, model=None) -> str:
    """"as trained", or the parts joined: "30 trees, depth 8, hard votes"."""
    parts = [t.describe(candidate[t.axis], model) for t in TRANSFORMS if t.axis in candidate]
    return ", ".join(parts) if parts else "as trained"


__all__ = ["BY_AXIS", "TRANSFORMS", "Transform", "apply", "candidate_grid", "describe", "learns_from_rows",
           "model_family", "needs_training_rows", "prepare"]
