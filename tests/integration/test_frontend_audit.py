"""Issue 8, "worse than an error": every fitted attribute or parameter that changes what
scikit-learn predicts is either implemented exactly (checked through the host C build) or
refused with one line; never ignored."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import dummy, ensemble, linear_model, neural_network, pipeline, preprocessing, tree

import codegen
from codegen.errors import UserError
from codegen.frontends.boosting_init import leaf_points
from tests.support.models import dataset


def _exact_on_host(estimator, X, layout="table"):
    model = codegen.convert(estimator, name="m", layout=layout)
    run = model.run_c(X)
    oracle = model.interpret(X)
    np.testing.assert_array_equal(run.predictions, oracle.predictions)
    np.testing.assert_array_equal(run.scores, oracle.scores)
    got, reference = model.decode(run.predictions), estimator.predict(X)
    if model.is_classifier:
        assert int(np.sum(got != reference)) == 0
    else:
        assert np.max(np.abs(got - reference)) <= model.report()["output_error_bound"] * (1 + 1e-9)
    return model


def _refused(estimator, match: str) -> str:
    with pytest.raises(UserError, match=match) as info:
        codegen.convert(estimator, name="m")
    message = str(info.value)
    assert "\n" not in message
    return message


# ---- GradientBoosting init ------------------------------------------------------------------

TREE_INIT_CASES = [
    ("breast_cancer", lambda: ensemble.GradientBoostingClassifier(
        n_estimators=6, init=tree.DecisionTreeClassifier(max_depth=3, random_state=0), random_state=0)),
    ("breast_cancer", lambda: ensemble.GradientBoostingClassifier(
        n_estimators=6, loss="exponential", init=tree.DecisionTreeClassifier(max_depth=4, random_state=0),
        random_state=0)),
    ("wine", lambda: ensemble.GradientBoostingClassifier(
        n_estimators=4, init=tree.ExtraTreeClassifier(max_depth=4, random_state=0), random_state=0)),
    ("digits", lambda: ensemble.GradientBoostingClassifier(  # pure leaves: log of clipped 0 and 1
        n_estimators=2, init=tree.DecisionTreeClassifier(random_state=0), random_state=0)),
    ("diabetes", lambda: ensemble.GradientBoostingRegressor(
        n_estimators=6, init=tree.DecisionTreeRegressor(max_depth=4, random_state=0), random_state=0)),
    ("diabetes", lambda: ensemble.GradientBoostingRegressor(
        n_estimators=6, loss="huber", init=tree.ExtraTreeRegressor(max_depth=5, random_state=0), random_state=0)),
]


@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("case", range(len(TREE_INIT_CASES)))
def test_gradient_boosting_with_a_tree_init_is_exact(case, layout):
    data, factory = TREE_INIT_CASES[case]
    X_train, y_train, X_test, _ = dataset(data)
    estimator = factory().fit(X_train, y_train)
    model = _exact_on_host(estimator, np.vstack([X_train, X_test]), layout)
    assert model.ir.n_trees == estimator.estimators_.size + 1  # the init is one more tree


def test_tree_init_leaf_values_are_sklearns_raw_init_per_leaf():
    """Each init leaf carries _raw_predict_init at a point that reaches it (float64 equal)."""
    X_train, y_train, X_test, _ = dataset("wine")
    estimator = ensemble.GradientBoostingClassifier(
        n_estimators=2, init=tree.DecisionTreeClassifier(max_depth=5, random_state=0), random_state=0
    ).fit(X_train, y_train)
    float_ir = codegen.frontends.read_trees(estimator)
    leaves, points = leaf_points(estimator.init_.tree_, X_train.shape[1])
    assert np.isfinite(points).all()
    np.testing.assert_array_equal(estimator.init_.apply(points), leaves)
    X = np.vstack([X_test, points])
    init_only = float_ir.with_(roots=float_ir.roots[:1])
    from codegen.ir.interpret import interpret_trees

    np.testing.assert_array_equal(interpret_trees(init_only, X).scores, estimator._raw_predict_init(X))


def test_constant_dummy_inits_stay_exact():
    X_train, y_train, X_test, _ = dataset("breast_cancer")
    for init in (dummy.DummyClassifier(strategy="most_frequent"), None, "zero"):
        estimator = ensemble.GradientBoostingClassifier(n_estimators=5, init=init, random_state=0)
        _exact_on_host(estimator.fit(X_train, y_train), X_test)


@pytest.mark.parametrize("init,data", [
    (linear_model.LinearRegression(), "diabetes"),
    (linear_model.LogisticRegression(max_iter=20), "breast_cancer"),
    (dummy.DummyClassifier(strategy="stratified", random_state=0), "breast_cancer"),
    (ensemble.RandomForestRegressor(n_estimators=2, random_state=0), "diabetes"),
    (pipeline.make_pipeline(preprocessing.StandardScaler(), tree.DecisionTreeRegressor(max_depth=2)), "diabetes"),
])
def test_inits_without_an_exact_form_are_refused(init, data):
    X_train, y_train, _, _ = dataset(data)
    gb = ensemble.GradientBoostingRegressor if data == "diabetes" else ensemble.GradientBoostingClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = gb(n_estimators=3, init=init, random_state=0).fit(X_train, y_train)
    message = _refused(estimator, "has no exact integer form")
    assert "init=None" in message and "DecisionTreeRegressor" in message


# ---- losses ---------------------------------------------------------------------------------

@pytest.mark.parametrize("loss", ["absolute_error", "huber", "quantile"])
def test_gradient_boosting_regressor_losses_are_identity_on_the_raw_score(loss):
    X_train, y_train, X_test, _ = dataset("diabetes")
    estimator = ensemble.GradientBoostingRegressor(n_estimators=6, loss=loss, random_state=0)
    _exact_on_host(estimator.fit(X_train, y_train), X_test)


def test_hist_gradient_boosting_losses_with_a_link_are_refused():
    X_train, y_train, X_test, _ = dataset("diabetes")
    for loss in ("poisson", "gamma"):
        estimator = ensemble.HistGradientBoostingRegressor(max_iter=3, loss=loss).fit(X_train, y_train)
        _refused(estimator, f"loss='{loss}' needs a non-linear link")
    absolute = ensemble.HistGradientBoostingRegressor(max_iter=5, loss="absolute_error").fit(X_train, y_train)
    _exact_on_host(absolute, X_test)


def test_training_only_parameters_change_nothing_at_predict():
    """interaction_cst / monotonic_cst / class_weight / oob_score shape training only."""
    X_train, y_train, X_test, _ = dataset("breast_cancer")
    for estimator in (
        ensemble.HistGradientBoostingClassifier(max_iter=5, interaction_cst=[[0, 1], [2, 3, 4]],
                                                monotonic_cst=[1] + [0] * 29, random_state=0),
        ensemble.RandomForestClassifier(n_estimators=20, oob_score=True, class_weight="balanced",
                                        max_depth=6, random_state=0),
        tree.DecisionTreeClassifier(class_weight={0: 3.0, 1: 1.0}, max_depth=6, random_state=0),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # oob_score on a small forest warns
            estimator.fit(X_train, y_train)
        _exact_on_host(estimator, X_test)


# ---- shapes of targets ----------------------------------------------------------------------

def test_multi_output_trees_are_refused():
    X_train, y_train, _, _ = dataset("wine")
    two_columns = np.column_stack([y_train, y_train % 2])
    for estimator in (tree.DecisionTreeClassifier(max_depth=3), ensemble.RandomForestClassifier(n_estimators=2),
                      tree.DecisionTreeRegressor(max_depth=3), ensemble.ExtraTreesRegressor(n_estimators=2)):
        _refused(estimator.fit(X_train, two_columns), "several outputs")


def test_mlp_regressor_with_a_changed_output_activation_is_refused():
    X_train, y_train, _, _ = dataset("diabetes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = neural_network.MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X_train, y_train)
    mlp.out_activation_ = "relu"
    with pytest.raises(UserError, match="out_activation_='relu'"):
        codegen.convert(mlp, name="m", calibration=X_train)


# ---- subclasses -----------------------------------------------------------------------------

class ShiftedForest(ensemble.RandomForestRegressor):
    def predict(self, X):
        return super().predict(X) + 1.0


class TaggedForest(ensemble.RandomForestRegressor):
    """Adds a method but computes predictions as scikit-learn does."""

    def describe(self):
        return "tagged"


class ThresholdMLP(neural_network.MLPClassifier):
    def predict_proba(self, X):
        return super().predict_proba(X) ** 2


def test_subclasses_that_override_prediction_are_refused():
    X_train, y_train, X_test, _ = dataset("diabetes")
    message = _refused(ShiftedForest(n_estimators=2, random_state=0).fit(X_train, y_train), "overrides predict")
    assert "plain RandomForestRegressor" in message
    _exact_on_host(TaggedForest(n_estimators=2, max_depth=5, random_state=0).fit(X_train, y_train), X_test)
    Xc, yc, _, _ = dataset("breast_cancer")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = ThresholdMLP(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(Xc, yc)
    with pytest.raises(UserError, match="overrides predict_proba"):
        codegen.convert(mlp, name="m", calibration=Xc)
