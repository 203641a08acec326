"""Loading a fitted model from a file: .joblib, .pkl/.pickle (which run code) or .skops."""

from __future__ import annotations

import warnings
from pathlib import Path

from codegen.errors import UserError

PICKLE_WARNING = (
    "loading {path}: pickle and joblib files run arbitrary code when loaded; only load files "
    "you trust, or save the model with skops (.skops) instead"
)


def load_model(path: str | Path, warn=None):
    """The estimator stored in `path`. `warn(message)` is told that pickles execute code."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file {path} does not exist; give the path of a saved model")
    suffix = path.suffix.lower()
    if suffix == ".skops":
        return _load_skops(path)
    if suffix not in (".joblib", ".pkl", ".pickle"):
        raise UserError(f"unknown model file type {suffix!r}; save the model as .joblib, .pkl or .skops")
    (warn or (lambda message: warnings.warn(message, stacklevel=2)))(PICKLE_WARNING.format(path=path))
    try:
        # joblib reads plain pickles too, and people often save with joblib.dump("model.pkl")
        import joblib

        return joblib.load(path)
    except Exception as error:  # a corrupt file can raise almost anything
        raise UserError(f"cannot read {path}: {type(error).__name__}: {error}; re-save the model") from None


def _load_skops(path: Path):
    try:
        import skops.io as sio
    except ImportError:
        raise UserError("reading .skops files needs skops: pip install 'mcugen[skops]'") from None
    try:
        untrusted = sio.get_untrusted_types(file=path)
        unexpected = [t for t in untrusted if not t.startswith(("sklearn.", "numpy."))]
        if unexpected:
            raise UserError(
                f"{path} holds types skops does not trust: {', '.join(unexpected)}; "
                "only scikit-learn and numpy types are loaded"
            )
        return sio.load(path, trusted=untrusted)
    except UserError:
        raise
    except Exception as error:
        raise UserError(f"cannot read {path}: {type(error).__name__}: {error}; re-save the model") from None
