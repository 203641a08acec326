"""Transforms that need the rows the model was trained on (`tune --train-data`): a retrained
model of the same class and hyper-parameters, changed only in size; the kept trees' leaves
re-fitted jointly after pruning and cuts (leaf refinement); a pruned MLP fine-tuned. They add
candidates beside the grid's (the search picks which), so their `values` are empty; `apply`
takes the training rows as what it was prepared with."""

from __future__ import annotations

import json

from codegen.errors import UserError


class _NeedsTraining:
    learns_from_rows = False  # from the decision rows: these learn from the training rows
    needs_training_rows = True

    def values(self, model, family: str) -> tuple:
        return ()

    def prepare(self, model, X, y):
        return None

    @staticmethod
    def rows(prepared):
        if prepared is None:
            raise UserError("this candidate needs the training rows: give --train-data and --train-labels")
        return prepared


class Retrain(_NeedsTraining):
    """A fresh model of the same class: `clone(model).set_params(**change)` fitted on the training rows."""

    axis = "retrain"

    def apply(self, model, value, prepared):
        from codegen.optimize.retrain import retrain

        X, y = self.rows(prepared)
        return retrain(model, json.loads(value) if isinstance(value, str) else value, X, y)

    def describe(self, value, model) -> str:
        change = json.loads(value) if isinstance(value, str) else value
        return "retrained " + ", ".join(f"{name.split('__')[-1]}={size}" for name, size in change.items())


class RefineLeaves(_NeedsTraining):
    """The leaf values of the kept trees re-fitted jointly for the ensemble (optimize/refine.py)."""

    axis = "refine"

    def apply(self, model, value, prepared):
        from codegen.optimize.refine import refine_leaves

        X, y = self.rows(prepared)
        return refine_leaves(model, X, y) if value else model

    def describe(self, value, model) -> str:
        return "refined leaves"


class FineTune(_NeedsTraining):
    """A pruned MLP trained on for a few epochs from where pruning left it (warm start)."""

    axis = "finetune"

    def apply(self, model, value, prepared):
        from codegen.optimize.mlp_finetune import fine_tune_mlp

        X, y = self.rows(prepared)
        return fine_tune_mlp(model, X, y) if value else model

    def describe(self, value, model) -> str:
        return "fine-tuned"


def training_candidates(model, family: str, grid: list[dict]) -> list[dict]:
    """The candidates training rows add before any scoring: every retrained size, and each MLP
    unit pruning fine-tuned. (Refined leaves are added later, to the best-scored candidates.)"""
    from codegen.optimize.retrain import RETRAINED, retrain_grid

    final = model.steps[-1][1] if hasattr(model, "steps") else model
    found = []
    if any(type(final).__name__.startswith(name) for name in RETRAINED):
        found += [{"retrain": json.dumps(change, sort_keys=True)} for change in retrain_grid(model)]
    if family == "mlp":
        found += [{**candidate, "finetune": True} for candidate in grid if "units" in candidate]
    return found


def refinable(family: str) -> bool:
    return family in ("forest", "boosting", "tree")
