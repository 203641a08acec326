"""MLP fine-tuning after unit pruning: the smaller net keeps its shape and the user's
hyper-parameters, trains further from its pruned weights (lower training loss), and is
deterministic; a Pipeline's scaler is used as fitted."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from codegen.errors import UserError
from codegen.optimize.mlp_finetune import fine_tune_mlp
from codegen.optimize.mlp_units import hidden_sizes, prune_hidden_units

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:900], y[:900], X[900:], y[900:]


def test_pruned_classifier_pipeline_is_fine_tuned_from_its_weights(digits):
    X, y, X_test, y_test = digits
    model = make_pipeline(MinMaxScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=200, random_state=0))
    model.fit(X, y)
    pruned = prune_hidden_units(model, 0.25)
    scaler_before = pruned.steps[0][1].data_max_.copy()
    tuned = fine_tune_mlp(pruned, X, y, epochs=30)
    assert hidden_sizes(tuned) == hidden_sizes(pruned) == (8,)
    np.testing.assert_array_equal(tuned.steps[0][1].data_max_, scaler_before)  # the scaler is not refitted
    assert log_loss(y, tuned.predict_proba(X)) < log_loss(y, pruned.predict_proba(X))
    assert tuned.score(X_test, y_test) >= pruned.score(X_test, y_test)
    net, user = tuned.steps[-1][1], pruned.steps[-1][1]
    assert (net.max_iter, net.warm_start, net.random_state) == (user.max_iter, user.warm_start, user.random_state)
    assert not np.array_equal(net.coefs_[0], user.coefs_[0]) and pruned.steps[-1][1] is not net
    again = fine_tune_mlp(pruned, X, y, epochs=30)
    np.testing.assert_array_equal(again.predict_proba(X_test), tuned.predict_proba(X_test))


def test_fine_tuning_starts_from_the_pruned_weights_not_afresh(digits):
    X, y, _, _ = digits
    model = MLPClassifier(hidden_layer_sizes=(24,), max_iter=200, random_state=0).fit(X / 16, y)
    pruned = prune_hidden_units(model, 0.5)
    one_epoch = fine_tune_mlp(pruned, X / 16, y, epochs=1, learning_rate_init=1e-6)
    # a tiny step from the pruned weights changes almost nothing (a fresh start would)
    np.testing.assert_allclose(one_epoch.coefs_[0], pruned.coefs_[0], atol=1e-4)
    assert one_epoch.learning_rate_init == pruned.learning_rate_init


def test_regressor_and_early_stopping_nets_are_fine_tuned():
    X, y = load_diabetes(return_X_y=True)
    for net in (MLPRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0),
                MLPRegressor(hidden_layer_sizes=(16,), max_iter=300, early_stopping=True, random_state=0)):
        model = make_pipeline(StandardScaler(), net).fit(X[:300], y[:300])
        pruned = prune_hidden_units(model, 0.5)
        tuned = fine_tune_mlp(pruned, X[:300], y[:300], epochs=40)
        assert hidden_sizes(tuned) == (8,)
        assert tuned.score(X[:300], y[:300]) > pruned.score(X[:300], y[:300])
    with pytest.raises(UserError):
        fine_tune_mlp(pruned, X, y, epochs=0)
