"""Tree transforms: every result is a fitted estimator exact against a manual walk of the
original trees, against its own converted interpreter, and with the expected shapes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

import codegen
from codegen.errors import UserError
from codegen.optimize import trees as transforms
from codegen.optimize.tree_surgery import node_depths, walk
from tests.support.external import require_package


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:1000], y[:1000], X[1000:1300], y[1000:1300]


@pytest.fixture(scope="module")
def forest(digits):
    X, y, _, _ = digits
    return RandomForestClassifier(n_estimators=12, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def boosting():
    X, y = load_breast_cancer(return_X_y=True)
    return GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X[:400], y[:400]), X[400:]


def _interpreter_agrees(estimator, X) -> None:
    converted = codegen.convert(estimator)
    predicted = converted.decode(converted.interpret(X.astype(np.float32)).predictions)
    np.testing.assert_array_equal(predicted, estimator.predict(X))


def test_cut_depth_equals_a_walk_of_the_original_tree_stopped_at_that_depth(digits):
    X, y, X_val, _ = digits
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    cut = transforms.cut_depth(tree, 5)
    original = tree.tree_
    stops = walk(original, X_val, stop=node_depths(original) >= 5)
    expected = tree.classes_[np.argmax(original.value[stops, 0, :], axis=1)]
    np.testing.assert_array_equal(cut.predict(X_val), expected)
    np.testing.assert_array_equal(cut.tree_.apply(X_val.astype(np.float32)), walk(cut.tree_, X_val))
    assert cut.tree_.max_depth == 5 and cut.get_depth() == 5
    assert cut.tree_.node_count < original.node_count
    assert tree.tree_.node_count == original.node_count  # the input is untouched


def test_cut_forest_is_exact_against_its_interpreter(forest, digits):
    cut = transforms.cut_depth(forest, 4)
    assert max(t.tree_.max_depth for t in cut.estimators_) == 4
    _interpreter_agrees(cut, digits[2])


def test_boosting_cut_takes_the_sample_weighted_mean_of_the_leaves_below(boosting):
    model, X = boosting
    cut = transforms.cut_depth(model, 1)
    tree, cut_tree = model.estimators_[0, 0].tree_, cut.estimators_[0, 0].tree_
    for side in (tree.children_left[0], tree.children_right[0]):
        leaves = [n for n in range(tree.node_count) if tree.children_left[n] < 0 and _below(tree, side, n)]
        weights = tree.weighted_n_node_samples[leaves]
        expected = np.sum(tree.value[leaves, 0, 0] * weights) / weights.sum()
        new_side = cut_tree.children_left[0] if side == tree.children_left[0] else cut_tree.children_right[0]
        assert cut_tree.value[new_side, 0, 0] == pytest.approx(expected, rel=1e-12)
    _interpreter_agrees(cut, X)


def _below(tree, top: int, node: int) -> bool:
    stack = [top]
    while stack:
        current = stack.pop()
        if current == node:
            return True
        if tree.children_left[current] >= 0:
            stack.extend((tree.children_left[current], tree.children_right[current]))
    return False


def test_selected_trees_predict_like_the_mean_of_those_trees(forest, digits):
    X_val, y_val = digits[2], digits[3]
    order = transforms.greedy_tree_order(forest, X_val, y_val)
    assert sorted(order) == list(range(12))
    single = [np.mean(t.predict(X_val.astype(np.float32)) == np.searchsorted(forest.classes_, y_val))
              for t in forest.estimators_]
    assert single[order[0]] == max(single)  # the first pick is the most accurate tree
    pruned = transforms.select_trees(forest, order[:4])
    mean = np.mean([forest.estimators_[i].predict_proba(X_val) for i in order[:4]], axis=0)
    np.testing.assert_array_equal(pruned.predict(X_val), forest.classes_[np.argmax(mean, axis=1)])
    assert len(pruned.estimators_) == 4 and len(forest.estimators_) == 12
    _interpreter_agrees(pruned, X_val)


def test_fewer_stages_is_scikit_learns_staged_prediction(boosting):
    model, X = boosting
    pruned = transforms.fewer_stages(model, 7)
    staged = list(model.staged_predict(X))[6]
    np.testing.assert_array_equal(pruned.predict(X), staged)
    assert pruned.estimators_.shape == (7, 1) and pruned.train_score_.shape == (7,)
    _interpreter_agrees(pruned, X)
    with pytest.raises(UserError):
        transforms.fewer_stages(model, 0)


def test_hard_voting_makes_one_hot_leaves_and_converts_as_votes(forest, digits):
    voting = transforms.hard_voting(transforms.cut_depth(forest, 5))
    for tree in voting.estimators_:
        values = tree.tree_.value[:, 0, :]
        assert set(np.unique(values)) <= {0.0, 1.0} and (values.sum(axis=1) == 1).all()
    assert codegen.convert(voting).report()["leaf_encoding"] == "class"
    votes = np.sum([np.eye(10)[t.predict(digits[2].astype(np.float32)).astype(int)] for t in voting.estimators_], 0)
    np.testing.assert_array_equal(voting.predict(digits[2]), voting.classes_[np.argmax(votes, axis=1)])
    _interpreter_agrees(voting, digits[2])


@pytest.mark.parametrize("bits", [8, 16])
def test_quantized_class_distributions_sum_to_one_on_the_grid(forest, digits, bits):
    quantized = transforms.quantize_leaf_values(transforms.cut_depth(forest, 4), bits)
    for tree in quantized.estimators_:
        values = tree.tree_.value[:, 0, :]
        np.testing.assert_array_equal(values.sum(axis=1), 1.0)
        np.testing.assert_array_equal(values * 2**bits, np.round(values * 2**bits))
    _interpreter_agrees(quantized, digits[2])


def test_quantized_regression_leaves_use_one_power_of_two_step():
    X, y = load_diabetes(return_X_y=True)
    model = GradientBoostingRegressor(n_estimators=10, random_state=0).fit(X, y)
    quantized = transforms.quantize_leaf_values(model, 8)
    values = np.concatenate([t.tree_.value.ravel() for t in quantized.estimators_.ravel()])
    step = transforms._power_of_two_step(model.estimators_.ravel(), 8)
    assert np.log2(step) == np.round(np.log2(step))
    np.testing.assert_array_equal(values / step, np.round(values / step))
    assert np.abs(values / step).max() <= 127


def test_transformed_models_round_trip_through_skops(forest, digits, tmp_path):
    skops = require_package("skops.io", "pip install 'mcugen[skops]'")
    pruned = transforms.hard_voting(transforms.cut_depth(transforms.select_trees(forest, [3, 1]), 4))
    path = tmp_path / "pruned.skops"
    skops.dump(pruned, path)
    loaded = skops.load(path, trusted=skops.get_untrusted_types(file=path))
    np.testing.assert_array_equal(loaded.predict(digits[2]), pruned.predict(digits[2]))


def test_search_space_per_model_family(forest, boosting):
    from sklearn.svm import SVC

    from codegen.optimize.transforms import apply, candidate_grid, describe, model_family

    grid = candidate_grid(forest)
    assert grid[0] == {} and len(grid) == len({tuple(sorted(t.items())) for t in grid})
    assert {"trees", "depth", "leaves"} == {axis for candidate in grid for axis in candidate}
    assert all(candidate for candidate in grid[1:])  # only the model as trained changes nothing
    assert all(t.get("stages", 0) <= 20 for t in candidate_grid(boosting[0])[1:])
    assert apply(forest, {}) is forest and describe({}) == "as trained"
    assert describe({"trees": 3, "leaves": "hard"}) == "3 trees, hard votes"
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(UserError, match="not supported"):
        model_family(SVC().fit(X[:50], y[:50]))
