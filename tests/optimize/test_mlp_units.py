"""MLP unit pruning: the pruned network is exactly the original with those units silenced."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from codegen.errors import UserError
from codegen.optimize.mlp_units import hidden_sizes, prune_hidden_units, unit_importance


@pytest.fixture(scope="module")
def mlp():
    X, y = load_digits(return_X_y=True)
    model = make_pipeline(MinMaxScaler(), MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=300, random_state=0))
    return model.fit(X[:800], y[:800]), X[800:1000]


def test_pruned_mlp_equals_the_original_with_the_dropped_units_silenced(mlp):
    model, X = mlp
    pruned = prune_hidden_units(model, 0.5)
    assert hidden_sizes(pruned) == (8, 4) and hidden_sizes(model) == (16, 8)
    silenced = copy.deepcopy(model)
    net, original = silenced.steps[-1][1], model.steps[-1][1]
    for layer in range(2):
        importance = unit_importance(original.coefs_[layer], original.coefs_[layer + 1])
        dropped = np.argsort(-importance, kind="stable")[len(importance) // 2:]
        net.coefs_[layer + 1][dropped, :] = 0.0  # a unit with no outgoing weights changes nothing
    np.testing.assert_allclose(pruned.predict_proba(X), silenced.predict_proba(X), rtol=1e-12, atol=1e-15)
    assert pruned.steps[-1][1].coefs_[0].shape == (64, 8) and pruned.steps[-1][1].intercepts_[1].shape == (4,)


def test_keeping_every_unit_changes_nothing(mlp):
    model, X = mlp
    np.testing.assert_array_equal(prune_hidden_units(model, 1.0).predict_proba(X), model.predict_proba(X))


def test_bad_share_is_a_user_error(mlp):
    with pytest.raises(UserError):
        prune_hidden_units(mlp[0], 0.0)
