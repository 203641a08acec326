"""Every objective / boosting mode / prediction-time parameter of HistGradientBoosting, XGBoost
and LightGBM from their docs (tests/support/param_matrix.py), one tiny model each: converted in
both layouts, host-compiled, C == interpreter bit for bit and every row == the library's
predict (regression within the proven bound plus the library's own summation rounding),
`_proba` within its proven bound; or refused with one line. README's "What it converts" rows
name every converted case."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import codegen
from codegen.errors import UserError
from tests.support.external import check_model, require_package
from tests.support.param_matrix import CASES, EXACT, Case, data

ROUNDING = {"xgboost": 2.0**-24, "lightgbm": 2.0**-53, "sklearn": 2.0**-53}
README = Path(__file__).resolve().parents[2] / "README.md"
ROW_START = {"sklearn": "| `HistGradientBoosting*`", "xgboost": "| `XGBClassifier`", "lightgbm": "| `LGBMClassifier`"}


def _categorical(X: np.ndarray, seed: int) -> np.ndarray:
    X = X.copy()
    X[:, 4] = np.random.default_rng(seed).integers(0, 6, len(X))
    return X


def _depend_on(y: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The target moved by the category (so that the trees split on it)."""
    return y ^ chosen if y.dtype.kind in "iu" and set(np.unique(y)) <= {0, 1} else y + 50.0 * chosen


def _frame(X: np.ndarray, column):
    pandas = require_package("pandas")
    frame = pandas.DataFrame(X[:, :4], columns=[f"f{i}" for i in range(4)])
    frame["c"] = pandas.Categorical(column)
    return frame


def _fit(case: Case, X, y, groups):
    package = require_package("sklearn.ensemble" if case.library == "sklearn" else case.library)
    factory = getattr(package, case.estimator)
    params = dict(case.params)
    kwargs = {}
    if case.library == "sklearn":
        params.update(max_iter=4, max_leaf_nodes=6, random_state=0)
        if case.fit == "categorical":
            params["categorical_features"] = [4]
    elif case.library == "xgboost":
        params.update(n_estimators=30 if case.fit == "early_stopping" else 4, max_depth=3, random_state=0, n_jobs=1)
        if case.fit == "categorical":
            params["tree_method"] = "hist"
    else:
        params.update(n_estimators=30 if case.fit == "early_stopping" else 4, num_leaves=6, min_child_samples=5,
                      random_state=0, n_jobs=1, verbose=-1)
        if case.fit == "categorical":
            kwargs["categorical_feature"] = [4]
    if case.fit == "early_stopping" and case.library != "sklearn":
        kwargs["eval_set"] = [(X[:60], y[:60])]
        if case.library == "xgboost":
            kwargs["verbose"] = False
    if groups is not None:
        kwargs["qid" if case.library == "xgboost" else "group"] = (
            np.repeat(np.arange(len(groups)), groups) if case.library == "xgboost" else groups)
    return factory(**params).fit(X, y, **kwargs)


def _model_and_rows(case: Case):
    X, y, groups = data(case.task)
    rows = np.concatenate([X, data(case.task, seed=1)[0]])
    if case.fit == "categorical" and case.library != "xgboost":
        X, rows = _categorical(X, 0), _categorical(rows, 1)
        y = _depend_on(y, np.isin(X[:, 4], [1, 4]).astype(y.dtype))
    in_frame = case.fit in ("text_categories", "pandas_categories") or (case.fit, case.library) == (
        "categorical", "xgboost")
    if in_frame:
        categories = {"text_categories": ["red", "green", "blue"], "pandas_categories": [10, 20, 30, 40, 50]}
        values = categories.get(case.fit, [0, 1, 2])
        column = np.random.default_rng(0).choice(values, len(X))
        y = _depend_on(y, (column == values[1]).astype(y.dtype))
        X = _frame(X, column)
        if case.library == "sklearn":
            return _fit(replace(case, params={**case.params, "categorical_features": "from_dtype"}), X, y,
                        groups), rows
    return _fit(case, X, y, groups), rows


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case):
    estimator, rows = _model_and_rows(case)
    if case.expect != EXACT:
        with pytest.raises(UserError, match=case.expect) as refused:
            codegen.convert(estimator, name="m")
        assert "\n" not in str(refused.value)
        return
    for layout in ("ifelse", "table"):
        model, _ = check_model(estimator, rows, float_rounding=ROUNDING[case.library], layout=layout)
        if case.proba:
            bound = model.report()["proba_bound"]
            worst = float(np.max(np.abs(model.predict_proba(rows) - estimator.predict_proba(rows))))
            assert worst <= bound, f"_proba off by {worst}, beyond the proven {bound}"
        else:
            assert "proba_bound" not in model.report(), "a _proba the matrix does not check"


def _readme_row(library: str) -> str:
    lines = [line for line in README.read_text().splitlines() if line.startswith(ROW_START[library])]
    assert len(lines) == 1, f"README has no single 'What it converts' row for {library}"
    return lines[0]


def test_readme_names_every_converted_case():
    missing = [f"{case.id}: {case.readme!r}" for case in CASES
               if case.expect == EXACT and case.readme not in _readme_row(case.library)]
    assert not missing, "README's 'What it converts' rows miss: " + "; ".join(missing)


def test_readme_names_every_refused_objective():
    """A refused objective is named in the README as refused (not claimed converted)."""
    for case in CASES:
        objective = case.params.get("objective") or case.params.get("loss")
        if case.expect != EXACT and objective and "reg_sqrt" not in case.params and "quantile_alpha" not in case.params:
            row = _readme_row(case.library)
            name = re.escape(objective)
            said = re.search(rf"refused[^|]*{name}|{name}[^|]*refused", row, re.IGNORECASE)
            assert said, f"README's {case.library} row does not say {objective!r} is refused"
