"""The compact tree layout (issue 19): its C equals the interpreter on every row, on the host
and in simavr, for every leaf encoding, float and integer input, NaN both ways and a fuzz of
rows at and beside every threshold; and it is smaller than the table layout on RF10 digits."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)

import codegen
from codegen.verification import passed, verify
from tests.support.models import with_missing

pytestmark = pytest.mark.sim
CHIPS = ["host", "atmega328p", "atmega2560"]


def _float32(loader):
    X, y = loader(return_X_y=True)
    return X.astype(np.float32), y


def _nan_data():
    """Wine with NaN of both signs in training too, so that NaN goes left at some nodes and
    right at others."""
    X, y = _float32(load_wine)
    return with_missing(X, seed=4), y


# name: (estimator, data, input type, the leaf encoding it must exercise)
CASES = {
    "rf_votes": (lambda: RandomForestClassifier(n_estimators=7, random_state=0),  # pure leaves: votes
                 lambda: _float32(load_wine), "float32", "class"),
    "rf_proba": (lambda: RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0),
                 lambda: _float32(load_iris), "float32", "sparse"),
    "one_tree_int8": (lambda: RandomForestClassifier(n_estimators=1, random_state=0),
                      lambda: _float32(load_iris), "int8", "class"),
    "gb_binary": (lambda: GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0),
                  lambda: _float32(load_breast_cancer), "float32", "scalar"),
    "gb_multiclass_int16": (lambda: GradientBoostingClassifier(n_estimators=6, max_depth=2, random_state=0),
                            lambda: _float32(load_wine), "int16", "scalar"),
    "regressor": (lambda: RandomForestRegressor(n_estimators=4, max_depth=6, random_state=0),
                  lambda: _float32(load_diabetes), "float32", "scalar"),
    "nan_both_ways": (lambda: HistGradientBoostingClassifier(max_iter=8, max_depth=4, random_state=0),
                      _nan_data, "float32", "scalar"),
}


@functools.cache
def converted(case: str, chip: str):
    make, load, input_type, encoding = CASES[case]
    X, y = load()
    estimator = make().fit(X[::2], y[::2])
    X_test = X[1::2]
    if input_type == "float32":
        model = codegen.convert(estimator, name="m", layout="compact", target=chip)
    else:  # readings: x / scale, rounded, the largest |x| near the type's top
        top = np.iinfo(input_type).max
        scale = np.maximum(np.abs(X).max(axis=0).astype(np.float64), 1e-3) / (top - 8)
        X_test = np.clip(np.round(X_test / scale), -top - 1, top).astype(input_type)
        model = codegen.convert(estimator, name="m", layout="compact", input=input_type, scale=tuple(scale),
                                target=chip)
    assert model.ir.leaf_encoding == encoding
    return model, estimator, X_test


def _exact(result: dict) -> None:
    assert result["interpreter_agreement"] == 1.0, result["disagreements"]
    assert result["scores_match_interpreter"]
    assert result.get("ops_match_interpreter", True)


@pytest.mark.parametrize("chip", CHIPS)
@pytest.mark.parametrize("case", list(CASES))
def test_compact_c_equals_the_interpreter(require_target, case, chip):
    if chip != "host":
        require_target(chip)
    model, estimator, X_test = converted(case, chip)
    assert model.layout == "compact" and "m_left_leaf" in model.header_text
    if case == "nan_both_ways":
        assert set(model.ir.missing_left.tolist()) == {False, True}
        X_test = with_missing(X_test, seed=5)
    labels = estimator.predict(X_test) if model.input_dtype == "float32" else None
    result = verify(model, X_test, labels=labels, target=chip, samples=len(X_test))
    assert result["n_rows"] == len(X_test)
    _exact(result)
    assert passed(result, "trees"), result


def fuzz_rows(estimator, X: np.ndarray, seed: int = 0) -> np.ndarray:
    """A row per threshold t of every tree and each of t's float32 neighbours (+-1, +-2 ulp)
    and each special value (NaN of both signs, +-inf, +-0, subnormals), in random rows; plus
    rows made only of special values."""
    rng = np.random.default_rng(seed)
    nan = np.float32(np.nan)
    specials = np.array([nan, -nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40], dtype=np.float32)
    values = []
    for tree in estimator.estimators_:
        tree = tree.tree_
        for feature, threshold in zip(tree.feature, tree.threshold):
            if feature < 0:
                continue
            t = np.float32(threshold)
            down, up = np.nextafter(t, np.float32(-np.inf)), np.nextafter(t, np.float32(np.inf))
            near = [t, down, up, np.nextafter(down, np.float32(-np.inf)), np.nextafter(up, np.float32(np.inf))]
            values += [(int(feature), v) for v in near]
    values += [(f, v) for f in range(X.shape[1]) for v in specials]
    rows = X[rng.integers(0, len(X), len(values))].copy()
    for row, (feature, value) in zip(rows, values):
        row[feature] = value
    special_rows = specials[rng.integers(0, len(specials), (20, X.shape[1]))]
    return np.vstack([rows, special_rows]).astype(np.float32)


@pytest.mark.parametrize("chip", CHIPS)
def test_compact_fuzz_at_every_threshold(require_target, chip):
    """0 mismatches against the interpreter (sklearn cannot judge inf rows: not asked)."""
    if chip != "host":
        require_target(chip)
    X, y = _nan_data()  # trained with NaN: it goes left at some nodes, right at others
    forest = RandomForestClassifier(n_estimators=5, max_depth=5, random_state=0).fit(X, y)
    rows = fuzz_rows(forest, X)
    model = codegen.convert(forest, name="m", layout="compact", target=chip)
    assert set(model.ir.missing_left.tolist()) == {False, True}
    result = verify(model, rows, target=chip, samples=len(rows))
    assert result["n_rows"] == len(rows) > 300
    _exact(result)


def test_rf10_digits_compact_is_smaller_on_atmega2560(require_target):
    """benchmarks/peers.py's rf10-digits (every other row trains). Measured 2026-12-03: table
    8,796 B / 8,975.1 cycles, compact 6,306 B (0.72x) / 8,507.5 cycles on 30 test rows."""
    require_target("atmega2560")
    X, y = _float32(load_digits)
    forest = RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0).fit(X[::2], y[::2])
    X_test = X[1::2]
    measured = {}
    for layout in ("table", "compact"):
        model = codegen.convert(forest, name="m", layout=layout, target="atmega2560")
        result = verify(model, X_test, labels=forest.predict(X_test), target="atmega2560", samples=30)
        assert passed(result, "trees"), result
        measured[layout] = (result["flash_bytes"], result["cycles_per_inference"]["mean"])
    print(f"RF10 digits on atmega2560: table {measured['table'][0]:,} B {measured['table'][1]:,.1f} cycles, "
          f"compact {measured['compact'][0]:,} B {measured['compact'][1]:,.1f} cycles")
    assert measured["compact"][0] < measured["table"][0]
    assert measured["compact"][0] <= 0.8 * measured["table"][0]
