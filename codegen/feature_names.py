"""Columns by name: a model trained on named features (a DataFrame, or an XGBoost / LightGBM /
CatBoost file that records names) takes a CSV header or DataFrame naming them in any order; names that
differ, or columns extra or missing, are refused (scikit-learn refuses them too)."""

from __future__ import annotations

import re

import numpy as np

from codegen.errors import UserError

# names a library makes up for unnamed columns: not names a user gave, so columns go by position
_MADE_UP = (re.compile(r"Column_\d+"), re.compile(r"f\d+"))  # LightGBM, XGBoost


def real_names(names) -> tuple[str, ...] | None:
    """`names` as strings, or None when there are none or a library made them up."""
    if names is None:
        return None
    names = tuple(str(name) for name in names)
    made_up = all(any(p.fullmatch(n) for p in _MADE_UP) for n in names)
    return None if not names or made_up else names


def model_feature_names(estimator) -> tuple[str, ...] | None:
    """The feature names `estimator` was trained on, when it has real ones."""
    try:
        names = getattr(estimator, "feature_names_in_", None)
    except AttributeError:  # LightGBM's wrapper raises one when it has no names
        names = None
    if names is None and type(estimator).__module__.split(".")[0] == "catboost":
        names = _catboost_names(estimator)
    return real_names(None if names is None else list(names))


def _catboost_names(estimator) -> list[str] | None:
    """CatBoost's `feature_names_` (its predict takes a DataFrame's columns by these names);
    "0", "1", ... when it was fitted on an array: made up, so columns go by position."""
    try:
        names = [str(name) for name in estimator.feature_names_ or ()]
    except Exception:  # an unfitted model: catboost raises its own error
        return None
    return None if names == [str(i) for i in range(len(names))] else names


def column_order(given, names: tuple[str, ...], where: str) -> list[int] | None:
    """Indices that put the columns named `given` into the model's order `names`; None when
    they are already in it. Raises one line when the names do not match."""
    given = [str(name) for name in given]
    if given == list(names):
        return None
    duplicates = sorted({name for name in given if given.count(name) > 1})
    if duplicates:
        raise UserError(f"{where} names the column {duplicates[0]!r} twice; give each feature once")
    missing = [name for name in names if name not in given]
    extra = [name for name in given if name not in names]
    if missing or extra:
        parts = ([f"missing {_listed(missing)}"] if missing else []) + \
            ([f"not features of the model {_listed(extra)}"] if extra else [])
        raise UserError(f"{where} does not name the model's features ({'; '.join(parts)}); give the "
                        f"columns {_listed(list(names))} (in any order)")
    return [given.index(name) for name in names]


def reorder(values: np.ndarray, order: list[int] | None) -> np.ndarray:
    return values if order is None else values[:, order]


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
