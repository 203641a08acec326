"""Subclasses of the scikit-learn classes mcugen reads: the frontends read fitted attributes
and reproduce what the scikit-learn class computes from them, so a subclass that changes how
predictions are computed would be converted wrongly. Such subclasses are refused."""

from __future__ import annotations

from codegen.errors import UserError

# every method on the path from fitted attributes to predict / predict_proba / transform
PREDICTION_METHODS = (
    "predict", "predict_proba", "predict_log_proba", "decision_function", "apply", "transform",
    "_raw_predict", "_raw_predict_init", "_forward_pass_fast", "_forward_pass", "_predict",
    "_validate_X_predict",
)


def most_derived_base(estimator, bases: dict[type, str]) -> type | None:
    """The first class of `bases` in the estimator's method resolution order, if any."""
    for cls in type(estimator).__mro__:
        if cls in bases:
            return cls
    return None


def check_not_overridden(estimator, base: type) -> None:
    if type(estimator) is base:
        return
    owners = {name: _defined_in(type(estimator), name) for name in PREDICTION_METHODS}
    changed = [name for name, owner in owners.items() if owner is not None and owner not in base.__mro__]
    if changed:
        raise UserError(
            f"{type(estimator).__name__} subclasses {base.__name__} but overrides {', '.join(changed)}; "
            f"mcugen converts what scikit-learn's {base.__name__} computes, so convert a plain {base.__name__}"
        )


def _defined_in(cls: type, name: str) -> type | None:
    """The class whose own namespace holds `name` (None when no class defines it)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None
