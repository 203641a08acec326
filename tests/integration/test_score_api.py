"""The documented score API (docs/generated-api.md) holds for every leaf encoding: the C's
scores / 2^<NAME>_OUTPUT_FRAC_BITS (what <NAME>_OUTPUT_TO_REAL computes) are the float
model's scores, within the proven rounding bound (issue 8: vote-counting models said 0 fraction
bits while their scores were votes times 2^27)."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from sklearn import ensemble, tree

import codegen
from codegen.harness import toolchains
from tests.support.models import dataset


def _one_hot(estimator, X):
    return (estimator.predict(X)[:, None] == estimator.classes_[None, :]).astype(np.float64)


def _proba_sum(estimator, X):
    return estimator.predict_proba(X) * len(estimator.estimators_)


def _proba_margin(estimator, X):
    proba = _proba_sum(estimator, X)
    return (proba[:, 1] - proba[:, 0]).reshape(-1, 1)


def _decision(estimator, X):
    return estimator.decision_function(X).reshape(len(X), -1)


def _prediction(estimator, X):
    return estimator.predict(X).reshape(-1, 1)


CASES = {  # name: (dataset, estimator, leaf encoding, float score)
    "single tree": ("wine", lambda: tree.DecisionTreeClassifier(max_depth=4, random_state=0), "class", _one_hot),
    "forest of pure leaves": ("iris", lambda: ensemble.RandomForestClassifier(n_estimators=10, random_state=0),
                              "class", _proba_sum),
    "soft voting": ("wine", lambda: ensemble.RandomForestClassifier(n_estimators=6, max_depth=3, random_state=0),
                    "sparse", _proba_sum),
    "binary soft voting": ("breast_cancer", lambda: ensemble.ExtraTreesClassifier(
        n_estimators=6, max_depth=4, random_state=0), "scalar", _proba_margin),
    "binary boosting": ("breast_cancer", lambda: ensemble.GradientBoostingClassifier(
        n_estimators=6, random_state=0), "scalar", _decision),
    "multiclass boosting": ("wine", lambda: ensemble.GradientBoostingClassifier(n_estimators=4, random_state=0),
                            "scalar", _decision),
    "hist boosting": ("iris", lambda: ensemble.HistGradientBoostingClassifier(max_iter=5, random_state=0),
                      "scalar", _decision),
    "regression": ("diabetes", lambda: ensemble.RandomForestRegressor(n_estimators=4, max_depth=5, random_state=0),
                   "scalar", _prediction),
}


@pytest.mark.parametrize("layout", ["ifelse", "table"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_output_to_real_gives_the_float_scores(case, layout):
    data, factory, encoding, float_scores = CASES[case]
    X_train, y_train, X_test, _ = dataset(data)
    estimator = factory().fit(X_train, y_train)
    model = codegen.convert(estimator, name="m", layout=layout)
    assert model.ir.leaf_encoding == encoding
    frac_bits = int(re.search(r"#define M_OUTPUT_FRAC_BITS (\d+)", model.header_text).group(1))
    assert frac_bits == model.report()["output_frac_bits"] > 0
    scores = model.run_c(X_test).scores
    np.testing.assert_array_equal(scores, model.interpret(X_test).scores)
    real = np.ldexp(scores.astype(np.float64), -frac_bits)  # what M_OUTPUT_TO_REAL(v, double) computes
    expected = float_scores(estimator, X_test)
    assert real.shape == expected.shape
    assert np.max(np.abs(real - expected)) <= model.ir.error_bound * (1 + 1e-9) + 1e-12
    if encoding == "class":  # votes are exact
        np.testing.assert_array_equal(real, expected)
    if model.is_classifier:  # the header says what the scores are (a regressor's is its output)
        assert f"Scores / 2^OUTPUT_FRAC_BITS: {model.report()['scores']}." in model.header_text


def test_output_to_real_macro_compiles_to_the_real_score(tmp_path):
    """The macro itself, in C: 10 votes of a forest of pure leaves are 10.0, not 1.3e9."""
    X_train, y_train, X_test, _ = dataset("iris")
    estimator = ensemble.RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
    model = codegen.convert(estimator, name="m", layout="table")
    cc = toolchains.require("gcc")  # as for every host build
    (tmp_path / "m.h").write_text(model.header_text)
    row = ", ".join(f"{v!r}f" for v in X_test[0].tolist())
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "m.h"\n'
        f"int main(void) {{ const float x[M_N_FEATURES] = {{{row}}}; int32_t s[M_N_OUTPUTS]; unsigned k;\n"
        "m_scores(x, s); for (k = 0; k < M_N_OUTPUTS; ++k) printf(\"%.17g\\n\", M_OUTPUT_TO_REAL(s[k], double));\n"
        "return 0; }\n")
    subprocess.run([cc, "-std=c99", "-O1", "-o", str(tmp_path / "a.out"), str(tmp_path / "main.c")], check=True)
    out = subprocess.run([str(tmp_path / "a.out")], check=True, capture_output=True, text=True).stdout.split()
    np.testing.assert_array_equal(np.array(out, dtype=np.float64), _proba_sum(estimator, X_test[:1])[0])
