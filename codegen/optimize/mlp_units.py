"""Structured pruning of a fitted scikit-learn MLP: hidden units with the smallest weight norms
are removed (their column of weights in, their bias and their row of weights out), giving a
smaller MLP of the same class that `predict` runs as usual."""

from __future__ import annotations

import copy

import numpy as np

from codegen.errors import UserError


def final_mlp(model):
    """The MLP itself, or the last step of a Pipeline(scaler, MLP)."""
    return model.steps[-1][1] if hasattr(model, "steps") else model


def unit_importance(coefs_in: np.ndarray, coefs_out: np.ndarray) -> np.ndarray:
    """Per hidden unit: |weights in| * |weights out| (L2); a unit with either small barely
    moves the next layer."""
    return np.linalg.norm(coefs_in, axis=0) * np.linalg.norm(coefs_out, axis=1)


def prune_hidden_units(model, keep: float) -> object:
    """A new MLP keeping the `keep` share (0 < keep <= 1, at least one unit) of each hidden
    layer's units, the most important first; the kept units stay in their original order."""
    if not 0.0 < keep <= 1.0:
        raise UserError(f"keep must be in (0, 1], not {keep}")
    pruned = copy.deepcopy(model)
    mlp = final_mlp(pruned)
    if not hasattr(mlp, "coefs_"):
        raise UserError(f"{type(mlp).__name__} is not a fitted MLP; fit it first")
    sizes = []
    for layer in range(len(mlp.coefs_) - 1):
        width = mlp.coefs_[layer].shape[1]
        n_keep = max(1, int(round(keep * width)))
        importance = unit_importance(mlp.coefs_[layer], mlp.coefs_[layer + 1])
        kept = np.sort(np.argsort(-importance, kind="stable")[:n_keep])
        mlp.coefs_[layer] = mlp.coefs_[layer][:, kept].copy()
        mlp.intercepts_[layer] = mlp.intercepts_[layer][kept].copy()
        mlp.coefs_[layer + 1] = mlp.coefs_[layer + 1][kept, :].copy()
        sizes.append(int(n_keep))
    mlp.hidden_layer_sizes = tuple(sizes)
    return pruned


def hidden_sizes(model) -> tuple[int, ...]:
    return tuple(int(c.shape[1]) for c in final_mlp(model).coefs_[:-1])
