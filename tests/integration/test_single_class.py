"""Every supported classifier trained on a single class converts to C that compiles and
predicts that class, in every layout (issue 8: a one-class forest gave `'acc' undeclared`)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble, neural_network, tree

import codegen

X = np.random.default_rng(4).normal(scale=2.0, size=(60, 3)).astype(np.float32)
ROWS = np.vstack([X, [[np.nan, 0.0, -0.0]]]).astype(np.float32)

TREE_CLASSIFIERS = {
    "DecisionTreeClassifier": lambda: tree.DecisionTreeClassifier(random_state=0),
    "ExtraTreeClassifier": lambda: tree.ExtraTreeClassifier(random_state=0),
    "RandomForestClassifier": lambda: ensemble.RandomForestClassifier(n_estimators=5, random_state=0),
    "ExtraTreesClassifier": lambda: ensemble.ExtraTreesClassifier(n_estimators=5, random_state=0),
    "HistGradientBoostingClassifier": lambda: ensemble.HistGradientBoostingClassifier(max_iter=3),
}


@pytest.mark.parametrize("label", [7, "only"])
@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("estimator_name", sorted(TREE_CLASSIFIERS))
def test_one_class_tree_models_compile_and_predict_it(estimator_name, layout, label):
    estimator = TREE_CLASSIFIERS[estimator_name]().fit(X, np.full(len(X), label))
    rows = ROWS if estimator_name != "ExtraTreeClassifier" else X  # every one but this takes NaN
    model = codegen.convert(estimator, name="m", layout=layout)
    run = model.run_c(rows)
    oracle = model.interpret(rows)
    np.testing.assert_array_equal(run.predictions, oracle.predictions)
    np.testing.assert_array_equal(run.scores, oracle.scores)
    assert list(model.decode(run.predictions)) == list(estimator.predict(rows)) == [label] * len(rows)
    assert run.scores.shape == (len(rows), 1)


def test_one_class_mlp_predicts_it():
    estimator = neural_network.MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    with pytest.warns(Warning):  # scikit-learn: no convergence on a constant target
        estimator.fit(X, np.full(len(X), 3))
    model = codegen.convert(estimator, name="m", calibration=X)
    np.testing.assert_array_equal(model.run_c(X).predictions, model.interpret(X).predictions)
    assert list(model.predict(X)) == list(estimator.predict(X)) == [3] * len(X)


def test_gradient_boosting_classifier_cannot_be_trained_on_one_class():
    """So there is nothing to convert: scikit-learn refuses it at fit."""
    with pytest.raises(ValueError, match="1 class"):
        ensemble.GradientBoostingClassifier().fit(X, np.zeros(len(X)))
