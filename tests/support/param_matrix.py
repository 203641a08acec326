"""The parameter matrix: for scikit-learn's HistGradientBoosting, XGBoost and LightGBM, every
objective / loss, boosting mode and prediction-time parameter their docs name, one tiny model
each, and what mcugen does with it: "exact" (converted; every row == the library's predict,
`_proba` within its bound where `proba` is set) or the start of its one-line refusal.

The list comes from the libraries' parameter docs (XGBoost "Learning Task Parameters" and
`booster`, LightGBM "objective" / "boosting" / `linear_tree` / `reg_sqrt`, scikit-learn's
`loss` and `categorical_features`), not from mcugen's code. `readme` names the word the
README's "What it converts" row of that library must contain for a converted case."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EXACT = "exact"


@dataclass(frozen=True)
class Case:
    library: str  # "sklearn", "xgboost", "lightgbm"
    estimator: str  # class name in the library
    task: str  # "binary", "multiclass", "regression", "positive" (y > 0), "ranking"
    params: dict = field(default_factory=dict)
    expect: str = EXACT  # or the refusal's text (a regular expression)
    proba: bool = False
    readme: str = ""  # the word README's row must hold (converted cases)
    fit: str = ""  # "early_stopping", "categorical", "text_categories", "pandas_categories"

    @property
    def id(self) -> str:
        shown = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.library}-{self.estimator}-{self.task}-{shown or 'default'}-{self.fit or 'plain'}"


def _sklearn() -> list[Case]:
    reg, clf = "HistGradientBoostingRegressor", "HistGradientBoostingClassifier"
    cases = [Case("sklearn", reg, "regression", {"loss": loss}, readme=loss)
             for loss in ("squared_error", "absolute_error")]
    cases.append(Case("sklearn", reg, "regression", {"loss": "quantile", "quantile": 0.8}, readme="quantile"))
    cases += [Case("sklearn", reg, "positive", {"loss": loss}, expect="needs a non-linear link")
              for loss in ("poisson", "gamma")]
    cases += [Case("sklearn", clf, "binary", proba=True, readme="HistGradientBoosting"),
              Case("sklearn", clf, "multiclass", proba=True, readme="HistGradientBoosting"),
              Case("sklearn", clf, "binary", {"early_stopping": True, "validation_fraction": 0.2},
                   proba=True, fit="early_stopping", readme="HistGradientBoosting"),
              Case("sklearn", clf, "binary", fit="categorical", proba=True, readme="categorical"),
              Case("sklearn", clf, "binary", fit="text_categories", expect="holds text categories")]
    return cases


XGB_IDENTITY = ("reg:squarederror", "reg:squaredlogerror", "reg:absoluteerror", "reg:pseudohubererror",
                "reg:quantileerror")
XGB_LINKS = {"reg:logistic": "binary", "reg:gamma": "positive", "reg:tweedie": "positive",
             "count:poisson": "positive", "survival:cox": "positive"}


def _xgboost() -> list[Case]:
    cases = [Case("xgboost", "XGBRegressor", "positive" if o == "reg:squaredlogerror" else "regression",
                  {"objective": o, **({"quantile_alpha": 0.7} if o == "reg:quantileerror" else {})}, readme=o)
             for o in XGB_IDENTITY]
    cases += [Case("xgboost", "XGBRanker", "ranking", {"objective": o}, readme="rank:")
              for o in ("rank:pairwise", "rank:ndcg", "rank:map")]
    cases += [Case("xgboost", "XGBClassifier", "binary", {"objective": "binary:logistic"}, proba=True,
                   readme="binary:logistic"),
              Case("xgboost", "XGBClassifier", "binary", {"objective": "binary:logitraw"}, readme="binary:logitraw"),
              Case("xgboost", "XGBClassifier", "binary", {"objective": "binary:hinge"}, readme="binary:hinge"),
              Case("xgboost", "XGBClassifier", "multiclass", {"objective": "multi:softprob"}, proba=True,
                   readme="multi:softprob"),
              Case("xgboost", "XGBClassifier", "multiclass", {"objective": "multi:softmax"}, readme="multi:softmax"),
              Case("xgboost", "XGBClassifier", "binary", {"base_score": 0.3}, proba=True, readme="base_score"),
              Case("xgboost", "XGBClassifier", "binary", {"num_parallel_tree": 3}, proba=True,
                   readme="num_parallel_tree"),
              Case("xgboost", "XGBRFClassifier", "binary", proba=True, readme="XGBRFClassifier"),
              Case("xgboost", "XGBRFClassifier", "multiclass", proba=True, readme="XGBRFClassifier"),
              Case("xgboost", "XGBRFRegressor", "regression", readme="XGBRFRegressor"),
              Case("xgboost", "XGBRegressor", "regression", {"booster": "dart", "rate_drop": 0.3}, readme="dart"),
              Case("xgboost", "XGBClassifier", "binary", {"booster": "dart", "rate_drop": 0.3}, proba=True,
                   readme="dart"),
              Case("xgboost", "XGBClassifier", "binary", {"early_stopping_rounds": 2}, fit="early_stopping",
                   proba=True, readme="best_iteration"),
              Case("xgboost", "XGBRegressor", "regression", {"booster": "gblinear"}, expect="'gblinear' is a linear"),
              Case("xgboost", "XGBRegressor", "regression", {"missing": 0.0}, expect="treats 0.0 as missing"),
              Case("xgboost", "XGBRegressor", "regression", {"enable_categorical": True}, fit="categorical",
                   expect="categorical splits"),
              Case("xgboost", "XGBRegressor", "regression",
                   {"objective": "reg:quantileerror", "quantile_alpha": [0.2, 0.8]}, expect="multi-target")]
    cases += [Case("xgboost", "XGBRegressor", task, {"objective": o}, expect=f"'{o}': predict returns")
              for o, task in XGB_LINKS.items()]
    return cases


LGB_IDENTITY = ("regression", "regression_l1", "huber", "fair", "quantile", "mape")
RF = {"boosting_type": "rf", "bagging_freq": 1, "bagging_fraction": 0.7}


def _lightgbm() -> list[Case]:
    reg, clf = "LGBMRegressor", "LGBMClassifier"
    cases = [Case("lightgbm", reg, "regression", {"objective": o}, readme=o) for o in LGB_IDENTITY]
    cases += [Case("lightgbm", "LGBMRanker", "ranking", {"objective": o}, readme=o)
              for o in ("lambdarank", "rank_xendcg")]
    cases += [Case("lightgbm", clf, "binary", proba=True, readme="binary"),
              Case("lightgbm", clf, "binary", {"sigmoid": 2.0}, proba=True, readme="sigmoid"),
              Case("lightgbm", clf, "multiclass", proba=True, readme="multiclass"),
              Case("lightgbm", clf, "multiclass", {"objective": "multiclassova"}, readme="multiclassova"),
              Case("lightgbm", reg, "regression", RF, readme="rf"),
              Case("lightgbm", clf, "binary", RF, proba=True, readme="rf"),
              Case("lightgbm", clf, "multiclass", RF, proba=True, readme="rf"),
              Case("lightgbm", reg, "regression", {"boosting_type": "dart"}, readme="dart"),
              Case("lightgbm", clf, "binary", {"boosting_type": "dart"}, proba=True, readme="dart"),
              Case("lightgbm", reg, "regression", {"boosting_type": "goss"}, readme="goss"),
              Case("lightgbm", reg, "regression", {"data_sample_strategy": "goss"}, readme="goss"),
              Case("lightgbm", clf, "binary", {"early_stopping_round": 2}, fit="early_stopping", proba=True,
                   readme="best_iteration"),
              Case("lightgbm", clf, "binary", fit="categorical", proba=True, readme="categorical"),
              Case("lightgbm", clf, "binary", fit="pandas_categories", expect="pandas category column"),
              Case("lightgbm", reg, "regression", {"linear_tree": True}, expect="linear trees"),
              Case("lightgbm", reg, "positive", {"reg_sqrt": True}, readme="reg_sqrt"),
              Case("lightgbm", reg, "positive", {"objective": "regression_l1", "reg_sqrt": True}, readme="reg_sqrt"),
              Case("lightgbm", reg, "regression", {"objective": "quantile", "reg_sqrt": True}, readme="reg_sqrt")]
    cases += [Case("lightgbm", reg, "positive", {"objective": o}, expect=f"'{o}': predict returns exp")
              for o in ("poisson", "gamma", "tweedie")]
    cases += [Case("lightgbm", reg, "binary", {"objective": o}, expect=f"'{o}': predict returns")
              for o in ("cross_entropy", "cross_entropy_lambda")]
    return cases


CASES = _sklearn() + _xgboost() + _lightgbm()


def data(task: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(X float32, y, query groups for ranking): 160 rows of 5 features, NaN in one column."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(160, 5)).astype(np.float32)
    X[rng.random(160) < 0.05, 3] = np.nan
    signal = X[:, 0] + 0.5 * X[:, 1] - np.nan_to_num(X[:, 3]) * X[:, 2]
    groups = None
    if task == "binary":
        y = (signal > 0).astype(int)
    elif task == "multiclass":
        y = np.digitize(signal, [-0.5, 0.5])
    elif task == "positive":
        y = np.exp(0.3 * signal)
    elif task == "ranking":
        y, groups = (signal > 0).astype(int), np.full(16, 10)  # binary relevance: rank:map needs it
    else:
        y = 10 * signal + rng.normal(size=160)
    return X, y, groups
