"""Fine-tuning an MLP after `prune_hidden_units`: the smaller net continues training from its
pruned weights (scikit-learn's `warm_start`) on the training rows, so the kept units take over
what the removed ones did. The result is an MLP of the same class (and a Pipeline keeps its
scaler, fitted as it was), with the user's hyper-parameters reported as before."""

from __future__ import annotations

import copy
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from codegen.errors import UserError
from codegen.optimize.mlp_units import final_mlp


def fine_tune_mlp(model, X_train, y_train, *, epochs: int = 50, learning_rate_init: float | None = None,
                  seed: int = 0) -> object:
    """A copy of `model` (MLPClassifier / MLPRegressor, or a Pipeline ending in one) trained
    `epochs` more epochs (lbfgs: iterations) on the rows, from its current weights. The
    Pipeline's earlier steps are applied, not refitted. `learning_rate_init`: the step of the
    continued training (default: the model's own)."""
    if epochs < 1:
        raise UserError(f"epochs must be at least 1, not {epochs}")
    tuned = copy.deepcopy(model)
    mlp = final_mlp(tuned)
    if not hasattr(mlp, "coefs_"):
        raise UserError(f"{type(mlp).__name__} is not a fitted MLP; fit it first")
    X = np.asarray(X_train)
    if hasattr(tuned, "steps"):
        for _, step in tuned.steps[:-1]:
            X = step.transform(X)
    user = {name: getattr(mlp, name) for name in ("warm_start", "max_iter", "random_state", "learning_rate_init")}
    mlp.set_params(warm_start=True, max_iter=int(epochs), random_state=seed)
    if learning_rate_init is not None:
        mlp.set_params(learning_rate_init=float(learning_rate_init))
    _restart_stopping(mlp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed budget of epochs is the point
        mlp.fit(X, y_train)
    mlp.set_params(**user)
    return tuned


def _restart_stopping(mlp) -> None:
    """Early-stopping state belongs to the net before pruning (a lower loss, weights of other
    shapes): start it afresh so the smaller net is judged against itself."""
    mlp._no_improvement_count = 0
    if not getattr(mlp, "early_stopping", False):
        mlp.best_loss_ = np.inf
    else:
        mlp.best_validation_score_ = -np.inf
        mlp.validation_scores_ = []
        mlp._best_coefs = [c.copy() for c in mlp.coefs_]
        mlp._best_intercepts = [i.copy() for i in mlp.intercepts_]
