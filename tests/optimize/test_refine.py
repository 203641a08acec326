"""Leaf refinement: after pruning and depth cuts it lowers the training loss, keeps the trees'
structure, and the refined estimator converts exactly: the compiled C (both layouts) predicts
what the refined estimator's own `predict` does on every row."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeRegressor

import codegen
from codegen.errors import UserError
from codegen.optimize import trees as transforms
from codegen.optimize.refine import refine_leaves, training_loss

LAYOUTS = ("ifelse", "table")


def _split(loader, n_train: int):
    X, y = loader(return_X_y=True)
    X = X.astype(np.float32)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


@pytest.fixture(scope="module")
def digits():
    return _split(load_digits, 1000)


@pytest.fixture(scope="module")
def pruned_forest(digits):
    X, y, _, _ = digits
    forest = RandomForestClassifier(n_estimators=30, max_depth=10, random_state=0).fit(X, y)
    return transforms.cut_depth(transforms.select_trees(forest, [0, 3, 5, 7, 11, 13]), 5)


def _converted_equals_predict(estimator, X) -> None:
    """In both layouts, the compiled C predicts what the estimator's `predict` does, row by row
    (regressors: within the conversion's proven bound), and equals the interpreter."""
    reference = estimator.predict(X)
    for layout in LAYOUTS:
        model = codegen.convert(estimator, name="m", layout=layout)
        run = model.run_c(X)
        np.testing.assert_array_equal(run.predictions, model.interpret(X).predictions)
        got = model.decode(run.predictions)
        if model.is_classifier:
            assert int(np.sum(got != reference)) == 0, layout
        else:
            assert np.max(np.abs(got - reference)) <= model.report()["output_error_bound"] + 1e-9, layout


def _same_structure(a, b) -> None:
    for left, right in zip(transforms.all_trees(a), transforms.all_trees(b), strict=True):
        np.testing.assert_array_equal(left.tree_.feature, right.tree_.feature)
        np.testing.assert_array_equal(left.tree_.threshold, right.tree_.threshold)
        np.testing.assert_array_equal(left.tree_.children_left, right.tree_.children_left)


def test_refined_forest_classifier_lowers_the_loss_and_converts_exactly(pruned_forest, digits):
    X, y, X_test, y_test = digits
    before_values = [t.tree_.value.copy() for t in pruned_forest.estimators_]
    refined = refine_leaves(pruned_forest, X, y)
    assert type(refined) is type(pruned_forest) and len(refined.estimators_) == 6
    assert training_loss(refined, X, y) < 0.9 * training_loss(pruned_forest, X, y)
    _same_structure(refined, pruned_forest)
    for tree, before in zip(pruned_forest.estimators_, before_values, strict=True):
        np.testing.assert_array_equal(tree.tree_.value, before)  # the input is untouched
    for tree in refined.estimators_:  # leaves stay distributions, on the exact 2**-16 grid
        values = tree.tree_.value[tree.tree_.children_left < 0, 0, :]
        assert (values >= 0).all()
        np.testing.assert_array_equal(values.sum(axis=1), 1.0)
        np.testing.assert_array_equal(values * 2**16, np.round(values * 2**16))
    # a sanity bound on rows refinement never saw, not a tuned figure
    assert refined.score(X_test, y_test) >= pruned_forest.score(X_test, y_test) - 0.03
    _converted_equals_predict(refined, np.concatenate([X, X_test]))


def test_refined_forest_regressor_lowers_the_squared_error_and_converts_exactly():
    X, y = make_regression(n_samples=600, n_features=8, noise=10.0, random_state=0)
    X, y, X_test, y_test = X[:400].astype(np.float32), y[:400], X[400:].astype(np.float32), y[400:]
    forest = RandomForestRegressor(n_estimators=20, max_depth=8, random_state=0).fit(X, y)
    pruned = transforms.cut_depth(transforms.select_trees(forest, range(5)), 3)
    refined = refine_leaves(pruned, X, y)
    assert training_loss(refined, X, y) < 0.95 * training_loss(pruned, X, y)
    assert refined.score(X_test, y_test) >= pruned.score(X_test, y_test) - 0.05
    _same_structure(refined, pruned)
    _converted_equals_predict(refined, np.concatenate([X, X_test]))


@pytest.mark.parametrize("loader,n_train", [(load_breast_cancer, 400), (load_wine, 120)])
def test_refined_booster_lowers_its_loss_and_converts_exactly(loader, n_train):
    X, y, X_test, y_test = _split(loader, n_train)
    booster = GradientBoostingClassifier(n_estimators=30, max_depth=4, random_state=0).fit(X, y)
    pruned = transforms.cut_depth(transforms.fewer_stages(booster, 12), 2)
    refined = refine_leaves(pruned, X, y)
    assert training_loss(refined, X, y) < training_loss(pruned, X, y)
    assert refined.learning_rate == booster.learning_rate and refined.estimators_.shape == (12, booster.n_classes_
                                                                                           if booster.n_classes_ > 2
                                                                                           else 1)
    assert refined.score(X_test, y_test) >= pruned.score(X_test, y_test) - 0.05
    _same_structure(refined, pruned)
    _converted_equals_predict(refined, np.concatenate([X, X_test]))


def test_refined_boosting_regressor_keeps_init_and_learning_rate():
    X, y, X_test, _ = _split(load_diabetes, 300)
    booster = GradientBoostingRegressor(n_estimators=20, max_depth=3, learning_rate=0.2, random_state=0).fit(X, y)
    pruned = transforms.cut_depth(booster, 1)
    refined = refine_leaves(pruned, X, y)
    assert training_loss(refined, X, y) < training_loss(pruned, X, y)
    # raw = init + learning_rate * sum of the stages' (refined) leaf values
    stages = sum(stage[0].predict(X_test) for stage in refined.estimators_)
    np.testing.assert_allclose(refined.predict(X_test), booster.init_.predict(X_test) + 0.2 * stages, rtol=1e-12)
    _converted_equals_predict(refined, X_test)


def test_refinement_of_hard_votes_and_single_trees_converts_exactly(digits):
    X, y, X_test, _ = digits
    extra = ExtraTreesClassifier(n_estimators=4, max_depth=6, random_state=0).fit(X, y)
    refined = refine_leaves(transforms.hard_voting(extra), X, y, batch_size=256, seed=1)
    assert training_loss(refined, X, y) < training_loss(transforms.hard_voting(extra), X, y)
    _converted_equals_predict(refined, X_test)
    tree = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y.astype(np.float64))
    _converted_equals_predict(refine_leaves(tree, X, y.astype(np.float64)), X_test)


def test_refinement_is_deterministic_and_can_round_leaves(pruned_forest, digits):
    X, y, X_test, _ = digits
    first = refine_leaves(pruned_forest, X, y, batch_size=128, seed=3)
    second = refine_leaves(pruned_forest, X, y, batch_size=128, seed=3)
    np.testing.assert_array_equal(first.predict_proba(X_test), second.predict_proba(X_test))
    rounded = refine_leaves(pruned_forest, X, y, leaf_bits=8)
    for tree in rounded.estimators_:
        np.testing.assert_array_equal(tree.tree_.value * 256, np.round(tree.tree_.value * 256))


def test_labels_the_model_never_saw_are_a_user_error(pruned_forest, digits):
    X, y, _, _ = digits
    with pytest.raises(UserError, match="classes the model does not know"):
        refine_leaves(pruned_forest, X, y + 100)
    with pytest.raises(UserError, match="must match"):
        refine_leaves(pruned_forest, X[:10], y)
