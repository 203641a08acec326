"""Trees cut at a depth: a node at that depth becomes a leaf (see trees.cut_depth)."""

from __future__ import annotations

from codegen.optimize import trees as tree_transforms

DEPTHS = (2, 3, 4, 5, 6, 7, 8, 10, 12)


class CutDepth:
    axis = "depth"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family not in ("forest", "boosting", "tree"):
            return ()
        deepest = deepest_tree(model)
        return (deepest, *sorted((d for d in DEPTHS if d < deepest), reverse=True))

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        if int(value) >= deepest_tree(model):
            return model
        return tree_transforms.cut_depth(model, int(value))

    def describe(self, value, model) -> str:
        return f"depth {value}"


def deepest_tree(model) -> int:
    return max(int(tree.tree_.max_depth) for tree in tree_transforms.all_trees(model))
