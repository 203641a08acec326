"""Pipeline(StandardScaler | MinMaxScaler, tree model): the scaler is folded into the
thresholds exactly, so the C equals `pipeline.predict` on every row, including NaN, +-0, the
folded thresholds and their float32 neighbours (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble, preprocessing, tree
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline

import codegen
from codegen.errors import UserError
from tests.support.models import dataset, with_missing

SCALERS = {
    "standard": lambda: preprocessing.StandardScaler(),
    "standard, no mean": lambda: preprocessing.StandardScaler(with_mean=False),
    "standard, no std": lambda: preprocessing.StandardScaler(with_std=False),
    "minmax": lambda: preprocessing.MinMaxScaler(),
    "minmax, clip": lambda: preprocessing.MinMaxScaler(feature_range=(-1.0, 2.0), clip=True),
}
MODELS = {
    "forest": lambda: ensemble.RandomForestClassifier(n_estimators=6, max_depth=8, random_state=0),
    "boosting": lambda: ensemble.GradientBoostingClassifier(n_estimators=6, max_depth=3, random_state=0),
}


def _edge_rows(model, X: np.ndarray) -> np.ndarray:
    """Rows holding each folded threshold and its float32 neighbours (one feature changed)."""
    ir = codegen.frontends.read_trees(model.estimator)
    base = X[np.arange(len(ir.feature)) % len(X)].copy()
    rows = []
    for step in (-np.inf, None, np.inf):
        values = ir.threshold.astype(np.float32)
        if step is not None:
            values = np.nextafter(values, np.float32(step))
        block = base.copy()
        block[np.arange(len(values)), ir.feature] = values
        rows.append(block)
    rows = np.vstack(rows)
    return rows[np.isfinite(rows).all(axis=1)]


def _check(pipeline, X, layout="table"):
    model = codegen.convert(pipeline, name="m", layout=layout)
    run = model.run_c(X)
    oracle = model.interpret(X)
    np.testing.assert_array_equal(run.predictions, oracle.predictions)
    np.testing.assert_array_equal(run.scores, oracle.scores)
    got, reference = model.decode(run.predictions), pipeline.predict(X)
    if model.is_classifier:
        assert int(np.sum(got != reference)) == 0, f"{int(np.sum(got != reference))} of {len(X)} rows differ"
    else:
        assert np.max(np.abs(got - reference)) <= model.report()["output_error_bound"] * (1 + 1e-9)
    return model


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("scaler_name", sorted(SCALERS))
@pytest.mark.parametrize("data", ["digits", "breast_cancer", "wine"])
def test_every_row_equals_pipeline_predict(data, scaler_name, model_name):
    X_train, y_train, X_test, _ = dataset(data)
    pipeline = make_pipeline(SCALERS[scaler_name](), MODELS[model_name]()).fit(X_train, y_train)
    model = _check(pipeline, np.vstack([X_train, X_test]))
    assert model.report()["estimator"].startswith("Pipeline(")
    _check(pipeline, _edge_rows(model, X_test))


@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("scaler_name", sorted(SCALERS))
def test_generated_data_with_nan_zeros_and_neighbours(scaler_name, layout):
    X_train, y_train, X_test, _ = dataset("generated_classification")
    for estimator in (ensemble.RandomForestClassifier(n_estimators=5, max_depth=6, random_state=0),
                      ensemble.HistGradientBoostingClassifier(max_iter=5, random_state=0)):
        pipeline = make_pipeline(SCALERS[scaler_name](), estimator).fit(with_missing(X_train), y_train)
        X = np.vstack([with_missing(X_test, seed=5), X_test, np.zeros((1, 6), np.float32),
                       np.full((1, 6), -0.0, np.float32)])
        model = _check(pipeline, X, layout)
        _check(pipeline, _edge_rows(model, X_test), layout)


def test_regressors_stay_within_their_bound():
    X_train, y_train, X_test, _ = dataset("diabetes")
    for estimator in (ensemble.GradientBoostingRegressor(n_estimators=6, random_state=0),
                      tree.DecisionTreeRegressor(max_depth=6, random_state=0)):
        _check(make_pipeline(preprocessing.StandardScaler(), estimator).fit(X_train, y_train), X_test)


def test_a_decreasing_map_swaps_the_children():
    """scikit-learn never fits a negative scale, but a scaler set so still maps monotonically."""
    X_train, y_train, X_test, _ = dataset("breast_cancer")
    pipeline = make_pipeline(preprocessing.StandardScaler(), tree.DecisionTreeClassifier(max_depth=6, random_state=0))
    pipeline.fit(X_train, y_train)
    pipeline[0].scale_ = -pipeline[0].scale_
    model = _check(pipeline, np.vstack([X_train, X_test]))
    _check(pipeline, _edge_rows(model, X_test))


def test_thresholds_no_input_reaches():
    """With clip, a threshold above the range sends everything left, one below sends
    everything right (even +-inf, which the C still routes)."""
    X_train, y_train, X_test, _ = dataset("wine")
    pipeline = make_pipeline(preprocessing.MinMaxScaler(clip=True), tree.DecisionTreeClassifier(random_state=0))
    pipeline.fit(X_train, y_train)
    thresholds = pipeline[-1].tree_.threshold
    internal = np.flatnonzero(pipeline[-1].tree_.children_left >= 0)
    thresholds[internal[0]], thresholds[internal[1]] = 5.0, -5.0
    model = _check(pipeline, np.vstack([X_train, X_test]))
    X_inf = X_test.copy()
    X_inf[::3, :] = np.inf
    X_inf[1::3, :] = -np.inf
    np.testing.assert_array_equal(model.run_c(X_inf).predictions, model.interpret(X_inf).predictions)


def test_other_steps_are_refused_in_one_line():
    X_train, y_train, _, _ = dataset("wine")
    pipeline = make_pipeline(PCA(3), ensemble.RandomForestClassifier(n_estimators=2)).fit(X_train, y_train)
    with pytest.raises(UserError, match=r"^pipeline steps PCA before the tree model are not supported; use at most"):
        codegen.convert(pipeline, name="m")


def test_integer_input_composes_with_the_fold():
    """--input int16: q -> float32 reading -> scaler -> tree, all exact."""
    X_train, y_train, X_test, _ = dataset("wine")
    pipeline = make_pipeline(preprocessing.StandardScaler(), ensemble.RandomForestClassifier(
        n_estimators=5, random_state=0)).fit(X_train, y_train)
    model = codegen.convert(pipeline, name="m", input="int16", scale=0.01, zero_point=0)
    Q = np.clip(np.round(np.vstack([X_train, X_test]) / 0.01), -32768, 32767)
    np.testing.assert_array_equal(model.run_c(Q).predictions, model.interpret(Q).predictions)
    assert int(np.sum(model.predict(Q) != model.sklearn_predict(Q))) == 0
