"""CatBoost classifiers (binary Logloss, MultiClass) and regressors (RMSE), trained with NaN in
some columns (nan_mode Min and Max; the other columns are AsIs), in memory and from .json and
.cbm files: rows exactly on every border and on the float32 values either side of it, NaN in
every column, +-inf, +0.0 / -0.0. The compiled C == the interpreter bit for bit and ==
catboost's predict on every row (regression: within the fixed-point bound plus the float64
summation bound), on the host and in one simulator. Categorical features, non-symmetric trees
and exp-link losses are refused in one line (the CLI: exit 2, nothing written)."""

from __future__ import annotations

import functools
import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import codegen
from codegen.cli import main
from codegen.errors import UserError
from codegen.frontends import read_trees
from codegen.frontends.load import load_model
from codegen.ir.interpret import interpret_trees
from codegen.verification import CONVERSION_TARGET, passed, verify
from tests.sim.conftest import check_target_tools
from tests.support.external import check_model, require_package, score_bound
from tests.support.models import dataset

FLOAT64_ROUNDING = 2.0**-53
DATA = {"binary": "breast_cancer", "multiclass": "wine", "regressor": "diabetes"}
SIM_CHIP = "atmega2560"  # one simulated chip (simavr: about 1 s per model here, the Cortex-M4 ten times that)


def _train_rows(data: str) -> tuple[np.ndarray, np.ndarray]:
    """Training rows with NaN (both signs) in the even columns only: their nan_value_treatment
    follows nan_mode, the odd columns are AsIs (seen without NaN, sent NaN at predict)."""
    X, y, _, _ = dataset(data)
    X = X.copy()
    rng = np.random.default_rng(1)
    mask = (rng.random(X.shape) < 0.15) & (np.arange(X.shape[1]) % 2 == 0)
    X[mask] = np.where(rng.random(mask.sum()) < 0.5, np.float32(np.nan), -np.float32(np.nan))
    return X, y


@functools.cache
def catboost_model(kind: str, nan_mode: str = "Min", **params):
    catboost = require_package("catboost")
    X, y = _train_rows(DATA[kind])
    factory = catboost.CatBoostRegressor if kind == "regressor" else catboost.CatBoostClassifier
    settings = {"iterations": 30, "depth": 5, "thread_count": 1, "random_seed": 0, "allow_writing_files": False,
                "verbose": 0, "nan_mode": nan_mode, **params}
    return factory(**settings).fit(X, y)


def border_rows(estimator, data: str) -> np.ndarray:
    """Test rows, then for every (feature, border) the border and its two float32 neighbours
    (on top of a test row), then rows of NaN (both signs), +-inf and +-0.0 in every column
    and in every other column."""
    _, _, X, _ = dataset(data)
    X = X[:120].copy()
    ir = read_trees(estimator)
    pairs = sorted(set(zip(ir.feature.tolist(), ir.threshold.tolist())))
    rows = []
    for feature, border in pairs:
        b32 = np.float32(border)
        with np.errstate(over="ignore"):  # nan_mode Min's border at -FLT_MAX: its lower neighbour is -inf
            values = (b32, np.nextafter(b32, np.float32(np.inf)), np.nextafter(b32, np.float32(-np.inf)))
        for value in values:
            row = X[len(rows) % len(X)].copy()
            row[feature] = value
            rows.append(row)
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=np.float32)
    blocks = []
    for value in specials:
        every = X[:10].copy()
        every[:, :] = value
        alternate = X[10:30].copy()
        alternate[:, ::2] = value
        shifted = X[30:50].copy()
        shifted[:, 1::2] = value
        blocks += [every, alternate, shifted]
    return np.concatenate([X, np.asarray(rows, dtype=np.float32), *blocks])


def _predict(estimator):
    return lambda X: np.ravel(estimator.predict(X))


@pytest.mark.parametrize("nan_mode,layout", [("Min", "ifelse"), ("Max", "table")])
@pytest.mark.parametrize("kind", sorted(DATA))
def test_catboost_matches_predict(kind, nan_mode, layout):
    estimator = catboost_model(kind, nan_mode)
    X = border_rows(estimator, DATA[kind])
    ir = read_trees(estimator)
    features = {f["flat_feature_index"]: f["nan_value_treatment"] for f in _document(estimator)["features_info"][
        "float_features"]}
    expected = "AsFalse" if nan_mode == "Min" else "AsTrue"
    assert features[0] == expected and features[1] == "AsIs"  # both treatments are exercised
    # the float IR's exact sum is catboost's raw score (it adds in double)
    raw = np.asarray(estimator.predict(X, prediction_type="RawFormulaVal")).reshape(len(X), -1)
    worst = float(np.max(np.abs(interpret_trees(ir, X).scores - raw)))
    assert worst <= score_bound(estimator, FLOAT64_ROUNDING) + 1e-12, worst
    model, near = check_model(estimator, X, float_rounding=FLOAT64_ROUNDING, layout=layout,
                              predict=_predict(estimator))
    print(f"catboost {kind} nan_mode={nan_mode} {layout}: {len(X)} rows agree; {near} near a class boundary")
    assert model.ir.estimator == {"binary": "CatBoost Logloss", "multiclass": "CatBoost MultiClass",
                                  "regressor": "CatBoost RMSE"}[kind]
    if model.is_classifier:  # _proba: the sigmoid / softmax of the raw scores, within its proven bound
        bound = model.report()["proba_bound"]
        worst = float(np.max(np.abs(model.predict_proba(X) - estimator.predict_proba(X))))
        assert worst <= bound < 1e-4, (worst, bound)


@pytest.mark.parametrize("kind,loss", [("multiclass", "MultiClassOneVsAll"), ("regressor", "MAE"),
                                       ("regressor", "Quantile:alpha=0.8"), ("regressor", "Huber:delta=20"),
                                       ("regressor", "Expectile:alpha=0.3"), ("regressor", "LogCosh"),
                                       ("regressor", "MAPE"), ("regressor", "Lq:q=1.5")])
def test_other_losses_match_predict(kind, loss):
    """The other losses whose predict is the raw score (regressors) or its argmax."""
    estimator = catboost_model(kind, iterations=8, depth=3, loss_function=loss)
    model, _ = check_model(estimator, border_rows(estimator, DATA[kind]), float_rounding=FLOAT64_ROUNDING,
                           predict=_predict(estimator))
    assert model.ir.estimator == f"CatBoost {loss.split(':')[0]}"


def _document(estimator) -> dict:
    from codegen.frontends.catboost_model import estimator_document

    return estimator_document(estimator)


@pytest.mark.parametrize("kind", sorted(DATA))
def test_catboost_files_give_the_same_c(tmp_path, kind):
    """.json (read as plain JSON) and .cbm (read by catboost) give the in-memory model's C; the
    file's own predict (by catboost) agrees with the estimator's."""
    estimator = catboost_model(kind)
    in_memory = codegen.convert(estimator, name="m")
    X = border_rows(estimator, DATA[kind])
    for suffix, options in ((".json", {"format": "json"}), (".cbm", {})):
        path = tmp_path / f"model{suffix}"
        estimator.save_model(str(path), **options)
        native = load_model(path)
        from_file = codegen.convert(native, name="m")
        assert from_file.header_text == in_memory.header_text
        if kind == "regressor":  # the JSON's leaf values and catboost's summation order: ulps apart
            np.testing.assert_allclose(native.predict(X), estimator.predict(X), rtol=0,
                                       atol=score_bound(estimator, FLOAT64_ROUNDING))
        else:
            np.testing.assert_array_equal(native.predict(X), _predict(estimator)(X))
    result = verify(from_file, X)  # the .cbm file's model against catboost's own predict
    assert result["interpreter_agreement"] == 1.0 and result["scores_match_interpreter"]
    assert result["agreement"] == 1.0 and (passed(result, "trees") or kind == "regressor")


def test_json_files_need_no_catboost(tmp_path, monkeypatch):
    estimator = catboost_model("binary")
    json_path, cbm_path = tmp_path / "model.json", tmp_path / "model.cbm"
    estimator.save_model(str(json_path), format="json")
    estimator.save_model(str(cbm_path))
    expected = codegen.convert(estimator, name="m").header_text
    monkeypatch.setitem(sys.modules, "catboost", None)
    assert codegen.convert(load_model(json_path), name="m").header_text == expected
    with pytest.raises(UserError, match="needs catboost: pip install catboost") as refused:
        load_model(cbm_path)
    assert "\n" not in str(refused.value)


def _refused(estimator, message: str) -> None:
    with pytest.raises(UserError, match=message) as refused:
        codegen.convert(estimator, name="m")
    assert "\n" not in str(refused.value)


def _categorical_model():
    catboost = require_package("catboost")
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=200), rng.integers(0, 3, 200)]).astype(object)
    X[:, 1] = [f"c{int(v)}" for v in X[:, 1]]
    y = (X[:, 0].astype(float) > 0).astype(int) ^ (X[:, 1] == "c1")
    return catboost.CatBoostClassifier(iterations=5, depth=2, thread_count=1, random_seed=0, allow_writing_files=False,
                                       verbose=0).fit(X, y, cat_features=[1])


def test_categorical_features_are_refused(tmp_path):
    estimator = _categorical_model()
    _refused(estimator, r"uses categorical features \(columns 1\).*one-hot or ordinal")
    # a file of it: the CLI says so in one line, exits 2 and writes nothing
    path = tmp_path / "categorical.cbm"
    estimator.save_model(str(path))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(path), "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "categorical features" in lines[0], result.stderr
    assert not out.exists()


def test_categorical_json_documents_are_refused(tmp_path):
    """A JSON file with categorical features (catboost exports one given the training pool)."""
    document = _document(catboost_model("binary"))
    document["features_info"]["categorical_features"] = [{"feature_index": 0, "flat_feature_index": 3}]
    path = tmp_path / "categorical.json"
    path.write_text(json.dumps(document))
    with pytest.raises(UserError, match=r"categorical features \(columns 3\)"):
        load_model(path)


@pytest.mark.parametrize("content,suffix,message", [
    (b'{"features_info": {"float_features": []}, "model_info": {}}', ".json", "has no oblivious_trees section"),
    (b'{"features_info": {"float_features": []}, "oblivious_trees": []}', ".json", "does not record its loss function"),
    (b'{"features_info": {"float_features": [{"feature_index": 0}]}, "model_info": {"params": {"loss_function": '
     b'{"type": "RMSE"}}}, "oblivious_trees": [{"splits": [{"border": "x", "float_feature_index": 0}], '
     b'"leaf_values": [1, 2]}]}', ".json", "the CatBoost model is malformed"),
    (b'{"features_info": {"float_features": [{"feature_index": 0}]}, "model_info": {"params": {"loss_function": '
     b'{"type": "RMSE"}}}, "oblivious_trees": [{"splits": [{"border": 1.5, "float_feature_index": 0}], '
     b'"leaf_values": [1, 2, 3]}]}', ".json", "has 3 leaf values where 2 belong"),
    (b"not a model", ".cbm", "catboost cannot read"),
])
def test_bad_files_are_one_line_user_errors(tmp_path, content, suffix, message):
    require_package("catboost")
    path = tmp_path / f"model{suffix}"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message) as refused:
        load_model(path)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("grow_policy", ["Depthwise", "Lossguide"])
def test_non_symmetric_trees_are_refused(tmp_path, grow_policy):
    estimator = catboost_model("regressor", iterations=3, depth=3, grow_policy=grow_policy)
    _refused(estimator, r"non-symmetric trees \(grow_policy Depthwise or Lossguide\).*SymmetricTree")
    path = tmp_path / "model.json"
    estimator.save_model(str(path), format="json")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["convert", str(path), "-o", str(out)])
    assert result.exit_code == 2 and "non-symmetric trees" in result.stderr, result.output
    assert not out.exists()


def test_exp_link_losses_and_unfitted_models_are_refused():
    catboost = require_package("catboost")
    X, y = _train_rows("diabetes")
    poisson = catboost.CatBoostRegressor(iterations=3, depth=2, loss_function="Poisson", thread_count=1,
                                         random_seed=0, allow_writing_files=False, verbose=0).fit(X, y)
    _refused(poisson, r"CatBoost objective 'Poisson': predict returns exp\(raw score\)")
    _refused(catboost.CatBoostClassifier(), "not fitted")


@pytest.mark.sim
@pytest.mark.parametrize("kind", sorted(DATA))
def test_catboost_agrees_on_a_simulated_chip(kind):
    check_target_tools(SIM_CHIP)
    estimator = catboost_model(kind)
    model = codegen.convert(estimator, name="m", target=CONVERSION_TARGET[SIM_CHIP])
    rows = border_rows(estimator, DATA[kind])
    rows = rows[np.random.default_rng(0).permutation(len(rows))]  # plain, border and NaN rows mixed
    result = verify(model, rows, target=SIM_CHIP, samples=60)
    assert result["n_rows"] == 60
    assert result["interpreter_agreement"] == 1.0 and result["scores_match_interpreter"]
    if model.is_classifier:
        assert result["agreement"] == 1.0 and passed(result, "trees")
    else:
        assert result["max_abs_error"] <= result["error_bound"] + score_bound(estimator, FLOAT64_ROUNDING)


def test_dataframe_columns_go_by_name():
    """catboost's predict takes a DataFrame's columns by the names it was fitted on; so does mcugen."""
    pandas = require_package("pandas")
    catboost = require_package("catboost")
    X, y = _train_rows("breast_cancer")
    frame = pandas.DataFrame(X[:, :6], columns=[f"reading {i}" for i in range(6)])
    estimator = catboost.CatBoostClassifier(iterations=8, depth=3, thread_count=1, random_seed=0,
                                            allow_writing_files=False, verbose=0).fit(frame, y)
    model = codegen.convert(estimator, name="m")
    assert model.ir.input.feature_names == tuple(frame.columns)
    shuffled = frame[frame.columns[::-1]]
    np.testing.assert_array_equal(model.predict(shuffled), estimator.predict(shuffled))
    np.testing.assert_array_equal(model.predict(shuffled), estimator.predict(frame))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor"])
def test_scale_and_bias(kind):
    """predict is scale * (sum of the leaves) + bias: the scale goes into every leaf, the bias is the base score."""
    estimator = catboost_model(kind, iterations=8, depth=3).copy()
    dimensions = 3 if kind == "multiclass" else 1
    estimator.set_scale_and_bias(0.75, [0.5 * (d + 1) for d in range(dimensions)])
    assert estimator.get_scale_and_bias()[0] == 0.75
    X = border_rows(estimator, DATA[kind])
    check_model(estimator, X, float_rounding=FLOAT64_ROUNDING, predict=_predict(estimator))
    np.testing.assert_array_equal(read_trees(estimator).base_score, [0.5 * (d + 1) for d in range(dimensions)])
