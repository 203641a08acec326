"""Leaf values: hard votes (a forest classifier's leaves one-hot, the C counts votes in
1-byte leaves) or rounded to a 16/8-bit grid the estimator itself holds."""

from __future__ import annotations

from codegen.optimize import trees as tree_transforms

NAMES = {"hard": "hard votes", "q16": "16-bit leaves", "q8": "8-bit leaves"}


class LeafValues:
    axis = "leaves"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family not in ("forest", "boosting", "tree"):
            return ()
        if tree_transforms.is_classifier(model) and family != "boosting":
            return ("as-trained", "hard", "q16", "q8")
        return ("as-trained", "q16", "q8")

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        if value == "hard":
            return tree_transforms.hard_voting(model)
        if value in ("q16", "q8"):
            return tree_transforms.quantize_leaf_values(model, int(value[1:]))
        return model

    def describe(self, value, model) -> str:
        return NAMES.get(value, value)
