"""Transforms of HistGradientBoosting, XGBoost, LightGBM, IsolationForest and single trees:
every value of every transform gives a model that converts in every layout and whose
interpreter (and C) predicts what its own library predicts; each transform means what the
library means (staged predictions, iteration ranges, ccp_alpha retraining); a too-big model
gets a value that fits the ATmega328P; the saved file loads in its own library and in mcugen."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import ensemble, tree

import codegen
from codegen.chips import chip_flash_bytes
from codegen.errors import UserError
from codegen.fit import tree_code_bytes
from codegen.frontends.load import load_model as mcugen_load
from codegen.optimize import cost_complexity, hist_boosting, isolation, lightgbm_models, xgboost_models
from codegen.optimize.model_files import load_model, save_model
from codegen.optimize.transforms import TRANSFORMS, apply, model_family
from tests.support.external import require_package
from tests.support.families import (
    LAYOUTS,
    MODELS,
    assert_predicts_like,
    check_c,
    check_interpreter,
    data_of,
    fitted_model,
    library_outputs,
    one_thread,
    rows,
)

AXES = {"hist_boosting": {"rounds", "booster_depth", "leaf_bits"}, "xgboost": {"rounds", "booster_depth", "leaf_bits"},
        "lightgbm": {"rounds", "booster_depth", "leaf_bits"}, "isolation": {"isolation_trees"},
        "tree": {"ccp_alpha", "depth", "leaves"}}


def _values(model) -> dict:
    family = model_family(model)
    values = {t.axis: t.values(model, family) for t in TRANSFORMS}
    return {axis: grid for axis, grid in values.items() if grid}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_value_of_every_transform_converts_and_predicts_like_the_library(name):
    model, X = fitted_model(name), data_of(name)
    values = _values(model)
    assert set(values) == AXES[model_family(model)]
    for axis, grid in values.items():
        assert len(grid) >= 2, f"{axis} offers nothing but the model as trained"
        for value in grid:
            transformed = apply(model, {axis: value})
            for layout in LAYOUTS:
                check_interpreter(transformed, X, layout)
    smallest = apply(model, {axis: grid[-1] for axis, grid in values.items()})
    for layout in LAYOUTS:
        check_c(smallest, X, layout)


@pytest.mark.parametrize("name", ["hgb_binary", "hgb_multiclass", "hgb_regression"])
def test_hist_boosting_rounds_are_its_staged_prediction(name):
    model, X = fitted_model(name), data_of(name)
    staged = list(model.staged_predict(X))
    for n in (1, 3, model.n_iter_):
        kept = hist_boosting.first_iterations(model, n)
        np.testing.assert_array_equal(kept.predict(X), staged[n - 1])
        assert kept.n_iter_ == n
    assert model.n_iter_ == len(staged)  # the input is untouched


def test_a_cut_hist_boosting_node_is_the_count_weighted_mean_of_its_leaves():
    """Squared error, no l2: the Newton step of a node is the mean of its rows' residuals,
    the count-weighted mean of the (learning-rate-scaled) leaves below."""
    model = fitted_model("hgb_regression")
    nodes = model._predictors[2][0].nodes
    cut = hist_boosting.cut_depth(model, 1)._predictors[2][0].nodes
    assert len(cut) == 3 and cut["is_leaf"][1:].all() and cut["depth"].max() == 1
    for side, new in ((nodes["left"][0], 1), (nodes["right"][0], 2)):
        below = _leaves_below(nodes, int(side))
        mean = np.sum(nodes["value"][below] * nodes["count"][below]) / nodes["count"][below].sum()
        assert cut["value"][new] == pytest.approx(mean, rel=1e-9)
    assert model._predictors[2][0].nodes["depth"].max() > 1  # the input is untouched


def _leaves_below(nodes, top: int) -> list[int]:
    found, stack = [], [top]
    while stack:
        node = stack.pop()
        if nodes["is_leaf"][node]:
            found.append(node)
        else:
            stack += [int(nodes["left"][node]), int(nodes["right"][node])]
    return found


@pytest.mark.parametrize("bits", [8, 16])
def test_hist_boosting_leaves_lie_on_one_power_of_two_grid(bits):
    model = fitted_model("hgb_regression")
    leaves, original = _hist_leaves(hist_boosting.quantize_leaves(model, bits)), _hist_leaves(model)
    step = 2.0 ** np.ceil(np.log2(np.abs(original).max() / (2 ** (bits - 1) - 1)))
    np.testing.assert_array_equal(leaves / step, np.round(leaves / step))
    assert np.abs(leaves / step).max() <= 2 ** (bits - 1) - 1
    assert np.abs(leaves - original).max() <= step / 2


def _hist_leaves(model) -> np.ndarray:
    return np.concatenate([p.nodes["value"][p.nodes["is_leaf"].astype(bool)] for p in hist_boosting.predictors(model)])


@pytest.mark.parametrize("name", ["xgb_multiclass", "xgb_regression", "xgb_early_stopped"])
def test_xgboost_rounds_are_its_iteration_range(name):
    model, X = fitted_model(name), data_of(name)
    per_round = len(model.get_booster().get_dump()) // model.get_booster().num_boosted_rounds()
    if name == "xgb_early_stopped":
        assert xgboost_models.n_rounds(model) == model.best_iteration + 1 < model.get_booster().num_boosted_rounds()
    for n in (1, 2, xgboost_models.n_rounds(model)):
        kept = xgboost_models.first_rounds(model, n)
        np.testing.assert_array_equal(kept.predict(X), model.predict(X, iteration_range=(0, n)))
        assert len(kept.get_booster().get_dump()) == n * per_round
        assert kept.get_booster().attr("best_iteration") is None


@pytest.mark.parametrize("name", ["lgbm_multiclass", "lgbm_binary", "lgbm_early_stopped"])
def test_lightgbm_iterations_are_its_num_iteration(name):
    model, X = fitted_model(name), data_of(name)
    if name == "lgbm_early_stopped":
        assert 0 < lightgbm_models.n_iterations(model) == model.best_iteration_ < 80
    for n in (1, 2, lightgbm_models.n_iterations(model)):
        kept = lightgbm_models.first_iterations(model, n)
        np.testing.assert_array_equal(kept.predict_proba(X), model.predict_proba(X, num_iteration=n))
        assert kept.booster_.current_iteration() == n


def test_a_cut_xgboost_node_is_its_own_shrunk_newton_step_without_regularisation():
    """With reg_lambda=0 the hessian-weighted mean of the leaves below a node is
    learning_rate * the node's base_weight (-G / H)."""
    require_package("xgboost")
    X, y = rows("regression")
    model = _xgb_regressor(reg_lambda=0.0, learning_rate=0.3, n_estimators=3, max_depth=3).fit(X, y)
    cut = xgboost_models.cut_depth(model, 1)
    original, trees = _xgb_trees(model), _xgb_trees(cut)
    for before, after in zip(original, trees):
        assert after["left_children"][1:] == [-1, -1] and len(after["left_children"]) == 3
        for old, new in ((before["left_children"][0], 1), (before["right_children"][0], 2)):
            assert after["split_conditions"][new] == pytest.approx(0.3 * before["base_weights"][old], rel=1e-5)
    X32 = X.astype(np.float32)
    np.testing.assert_array_equal(xgboost_models.cut_depth(model, 3).predict(X32), model.predict(X32))


def _xgb_regressor(**params):
    return require_package("xgboost").XGBRegressor(n_jobs=1, random_state=0, **params)


def _xgb_trees(model) -> list[dict]:
    import json

    return json.loads(bytes(model.get_booster().save_raw("json")))["learner"]["gradient_booster"]["model"]["trees"]


@pytest.mark.parametrize("name", ["lgbm_multiclass", "lgbm_regression"])
def test_a_cut_lightgbm_node_is_the_hessian_weighted_mean_of_its_leaves(name):
    model = fitted_model(name)
    cut = lightgbm_models.cut_depth(model, 1).booster_.dump_model()["tree_info"]
    for before, after in zip(model.booster_.dump_model()["tree_info"], cut):
        root, new_root = before["tree_structure"], after["tree_structure"]
        assert after["num_leaves"] <= 2 and new_root["split_feature"] == root["split_feature"]
        for side in ("left_child", "right_child"):
            leaves = _lightgbm_leaves(root[side])
            mean = sum(w * v for w, v in leaves) / sum(w for w, _ in leaves)
            assert new_root[side]["leaf_value"] == pytest.approx(mean, rel=1e-12)
    X = data_of(name)
    full = lightgbm_models.cut_depth(model, lightgbm_models.deepest(model))
    np.testing.assert_array_equal(full.predict(X), model.predict(X))


def _lightgbm_leaves(node: dict) -> list[tuple[float, float]]:
    if "leaf_value" in node:
        return [(node["leaf_weight"], node["leaf_value"])]
    return _lightgbm_leaves(node["left_child"]) + _lightgbm_leaves(node["right_child"])


def test_xgboost_and_lightgbm_leaves_lie_on_one_power_of_two_grid():
    xgb_model, lgb_model = fitted_model("xgb_regression"), fitted_model("lgbm_regression")
    table = xgboost_models.quantize_leaves(xgb_model, 8).get_booster().trees_to_dataframe()
    xgb_leaves = table.loc[table["Feature"] == "Leaf", "Gain"].to_numpy()  # a leaf's Gain is its value
    quantized = lightgbm_models.quantize_leaves(lgb_model, 8).booster_
    tree_info = quantized.dump_model()["tree_info"]
    lgb_leaves = np.array([quantized.get_leaf_output(t, leaf) for t, info in enumerate(tree_info)
                           for leaf in range(info["num_leaves"])])
    for leaves in (xgb_leaves, lgb_leaves):
        step = np.min(np.abs(leaves[leaves != 0]))
        assert np.log2(step) == np.round(np.log2(step))
        np.testing.assert_array_equal(leaves / step, np.round(leaves / step))
        assert np.abs(leaves / step).max() <= 127


@pytest.mark.parametrize("name", ["isolation_auto", "isolation_contamination"])
def test_isolation_forest_keeps_its_first_trees_and_offset(name):
    model, X = fitted_model(name), data_of(name)
    kept = isolation.first_trees(model, 5)
    assert kept.offset_ == model.offset_ and len(kept.estimators_samples_) == 5 and len(model.estimators_) == 20
    c = float(2 * (np.log(model._max_samples - 1) + np.euler_gamma) - 2 * (model._max_samples - 1) / model._max_samples)
    depth = np.zeros(len(X))
    for index in range(5):  # scikit-learn's score: path length + c(leaf samples) - 1, per kept tree
        leaf = model.estimators_[index].apply(X[:, model.estimators_features_[index]])
        depth += model._decision_path_lengths[index][leaf] + model._average_path_length_per_tree[index][leaf] - 1
    np.testing.assert_allclose(kept.score_samples(X), -(2.0 ** (-depth / (5 * c))), rtol=1e-12)


@pytest.mark.parametrize("factory", [tree.DecisionTreeClassifier, tree.DecisionTreeRegressor])
def test_ccp_pruning_is_the_tree_scikit_learn_grows_with_that_ccp_alpha(factory):
    kind = "multiclass" if factory is tree.DecisionTreeClassifier else "regression"
    X, y = rows(kind)
    model = factory(random_state=0).fit(X, y)
    alphas = cost_complexity.alpha_grid(model)
    assert len(alphas) >= 6 and list(alphas) == sorted(alphas)
    leaves = [model.get_n_leaves()]
    for alpha in alphas:
        pruned = cost_complexity.prune(model, alpha)
        retrained = factory(random_state=0, ccp_alpha=alpha).fit(X, y)
        assert pruned.tree_.node_count == retrained.tree_.node_count
        np.testing.assert_array_equal(pruned.predict(X), retrained.predict(X))
        leaves.append(pruned.get_n_leaves())
    assert leaves == sorted(leaves, reverse=True) and len(set(leaves)) == len(leaves)
    assert leaves[-1] <= 0.05 * leaves[0] + 2


@pytest.mark.parametrize("name, axis", [("hgb_multiclass", "rounds"), ("xgb_multiclass", "leaf_bits"),
                                        ("xgb_booster", "rounds"), ("lgbm_binary", "rounds"),
                                        ("lgbm_booster", "leaf_bits"), ("isolation_contamination", "isolation_trees"),
                                        ("tree_classifier", "ccp_alpha")])
def test_the_saved_model_loads_in_its_library_and_predicts_what_the_header_predicts(name, axis, tmp_path):
    require_package("skops")
    model, X = fitted_model(name), data_of(name)
    transformed = apply(model, {axis: _values(model)[axis][-1]})
    file_name = save_model(transformed, tmp_path, "tuned")
    header = codegen.convert(transformed, name="tuned")
    loaded = load_model(tmp_path / file_name)
    assert type(loaded).__module__.split(".")[0] == type(model).__module__.split(".")[0]
    assert_predicts_like(header, library_outputs(loaded, header, X), loaded, X, file_name)
    again = codegen.convert(mcugen_load(tmp_path / file_name), name="tuned")  # what `mcugen verify` reads
    np.testing.assert_array_equal(again.interpret(X).predictions, header.interpret(X).predictions)


@pytest.mark.parametrize("name", ["xgb_multiclass", "lgbm_binary"])
def test_a_model_file_mcugen_read_takes_its_librarys_transforms(name, tmp_path):
    """`mcugen tune model.json` loads a NativeModel: with the library installed it is that
    library's family, and every transform returns a Booster exact against its own predict."""
    model, X = fitted_model(name), data_of(name)
    native = mcugen_load(tmp_path / save_model(model, tmp_path, "trained"))
    assert type(native).__name__ == "NativeModel" and model_family(native) == model_family(model)
    assert _values(native) == _values(model)
    for axis, grid in _values(native).items():
        transformed = apply(native, {axis: grid[-1]})
        assert type(transformed).__name__ == "Booster"
        check_interpreter(transformed, X, "table")
    again = mcugen_load(tmp_path / save_model(native, tmp_path, "as_trained"))  # the as-trained model saves too
    np.testing.assert_array_equal(codegen.convert(again).interpret(X).predictions,
                                  codegen.convert(model).interpret(X).predictions)


BIG = {  # too big for the ATmega328P as trained (about 40 KB of tables); the axis that makes it fit
    "hist_boosting": (lambda: ensemble.HistGradientBoostingClassifier(max_iter=100, min_samples_leaf=5,
                                                                      early_stopping=False, random_state=0), "rounds"),
    "xgboost": (lambda: require_package("xgboost").XGBClassifier(n_estimators=250, max_depth=6, n_jobs=1,
                                                                 random_state=0), "rounds"),
    "lightgbm": (lambda: require_package("lightgbm").LGBMClassifier(n_estimators=150, num_leaves=31, n_jobs=1,
                                                                    min_child_samples=3, verbose=-1,
                                                                    random_state=0), "rounds"),
    "isolation": (lambda: ensemble.IsolationForest(n_estimators=100, random_state=0), "isolation_trees"),
    "tree": (lambda: tree.DecisionTreeRegressor(random_state=0), "ccp_alpha"),  # one leaf per row
}


@pytest.mark.parametrize("family", sorted(BIG))
def test_a_model_too_big_for_the_atmega328p_gets_a_value_that_fits(family):
    from sklearn.datasets import make_classification

    X, y = make_classification(3000 if family == "tree" else 1200, 10, n_informative=6, flip_y=0.15, random_state=0)
    X = X.astype(np.float32)
    make, axis = BIG[family]
    noisy = X[:, 0] + np.random.default_rng(0).normal(size=len(X))
    with one_thread():
        model = make().fit(X) if family == "isolation" else make().fit(X, noisy if family == "tree" else y)
    flash = chip_flash_bytes("atmega328p", "avr")

    def estimate(candidate) -> int:  # convert's own estimate for the smaller layout
        ir = codegen.convert(candidate, layout="table").ir
        return min(tree_code_bytes(ir, layout, "avr") for layout in LAYOUTS)

    assert estimate(model) > flash
    fitting = [v for v in _values(model)[axis] if estimate(apply(model, {axis: v})) <= flash]
    assert fitting, f"no {axis} value fits {flash} B"
    accepted = []  # convert builds the ones near the limit: the first may still be refused, measured
    for value in fitting[:3]:
        try:
            codegen.convert(apply(model, {axis: value}), target="atmega328p", layout="table")
            accepted.append(value)
            break
        except UserError as error:
            assert "does not fit the atmega328p" in str(error) and "built" in str(error)
    assert accepted, f"no {axis} value of {fitting[:3]} converts for the atmega328p"
    chosen = apply(model, {axis: accepted[0]})
    check_interpreter(chosen, X, "table")
