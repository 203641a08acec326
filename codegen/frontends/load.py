"""Loading a fitted model from a file: .joblib, .pkl/.pickle (which run code), .skops, or the
native model files of XGBoost (.json, .ubj), LightGBM (.txt) and CatBoost (.json, .cbm), read
without pickle."""

from __future__ import annotations

import contextlib
import warnings
import weakref
from pathlib import Path

from codegen.errors import UserError
from codegen.frontends.native import NATIVE_SUFFIXES, load_native_model

PICKLE_WARNING = (
    "loading {path}: pickle and joblib files run arbitrary code when loaded; only load files "
    "you trust, or save the model with skops (.skops) instead"
)


READ_FORMATS = (".joblib, .pkl, .pickle (pickled models), .skops, XGBoost .json / .ubj, LightGBM .txt and "
                "CatBoost .json / .cbm (from save_model)")
# Pickled models of these libraries need the library installed to load: name the extra.
OPTIONAL_LIBRARIES = ("xgboost", "lightgbm", "catboost")
# estimator -> the scikit-learn version that pickled it, when another than the running one
_WRITTEN_BY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Other native model files of those libraries, which are not read (the old binary formats)
UNREAD_NATIVE_SUFFIXES = (".model", ".bin")


def load_model(path: str | Path, warn=None, trusted: bool = False):
    """The estimator stored in `path`. `warn(message)` is told that pickles execute code
    (unless `trusted`: the user says they made the file)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file {path} does not exist; give the path of a saved model")
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UserError(_unknown_format(path))
    warn = warn or (lambda message: warnings.warn(message, stacklevel=3))
    if loader is _load_pickle and not trusted:
        warn(PICKLE_WARNING.format(path=path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator = loader(path)
    _pass_on(caught, path, estimator, warn)
    return estimator


def written_by(estimator) -> str | None:
    """The scikit-learn version that pickled `estimator`, when it is not the one reading it."""
    try:
        return _WRITTEN_BY.get(estimator)
    except TypeError:
        return None


def _pass_on(caught, path: Path, estimator, warn) -> None:
    """scikit-learn warns once per pickled estimator (a forest: once per tree) when another
    version wrote the file: one line says what it means; other warnings go on as they came."""
    from sklearn.exceptions import InconsistentVersionWarning

    versions = sorted({w.message.original_sklearn_version for w in caught
                       if isinstance(w.message, InconsistentVersionWarning)})
    others = {(w.category, str(w.message)): w for w in caught if not isinstance(w.message, InconsistentVersionWarning)}
    for other in others.values():
        warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    if not versions:
        return
    import sklearn

    with contextlib.suppress(TypeError):
        _WRITTEN_BY[estimator] = versions[0]
    warn(f"{path} was written by scikit-learn {', '.join(versions)} and is read by {sklearn.__version__}: "
         f"mcugen converts, and verify compares with, this scikit-learn's reading of the file, which can "
         f"predict otherwise than {versions[0]} did; re-save the model with scikit-learn {sklearn.__version__}")


def _load_pickle(path: Path):
    try:
        # joblib reads plain pickles too, and people often save with joblib.dump("model.pkl")
        import joblib

        return joblib.load(path)
    except ModuleNotFoundError as error:
        library = (error.name or "").split(".")[0]
        if library in OPTIONAL_LIBRARIES:
            raise UserError(f"{path} holds a {library} model, and {library} is not installed: "
                            f"pip install 'mcugen[{library}]' (or save it with save_model as .json / .txt, "
                            "which mcugen reads without it)") from None
        if library == "sklearn":  # the module is gone from this scikit-learn, not uninstalled
            raise UserError(f"cannot read {path}: it was pickled by an older scikit-learn, whose module "
                            f"{error.name!r} this scikit-learn no longer has; load it with the scikit-learn "
                            "that wrote it and re-save it with this one (or with skops)") from None
        raise UserError(f"cannot read {path}: it needs the Python module {error.name!r}, which is not "
                        "installed; install it, or re-save the model with scikit-learn only") from None
    except Exception as error:  # a corrupt file can raise almost anything
        message = " ".join(str(error).split())[:200]
        raise UserError(f"cannot read {path}: {type(error).__name__}: {message}; give a model saved with "
                        "joblib.dump, pickle.dump or skops") from None


def _unknown_format(path: Path) -> str:
    suffix = path.suffix.lower() or "(no suffix)"
    if suffix in UNREAD_NATIVE_SUFFIXES:
        return (f"{path}: {suffix} model files (old XGBoost / LightGBM binary formats) are not read; "
                f"re-save with save_model as .json; mcugen reads {READ_FORMATS}")
    return f"unknown model file type {suffix!r} for {path}; mcugen reads {READ_FORMATS}"


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
        message = " ".join(str(error).split())[:200]
        raise UserError(f"cannot read {path}: {type(error).__name__}: {message}; re-save the model with "
                        "skops.io.dump") from None


# Suffix -> loader. Plug readers of other formats in here (one entry per suffix).
LOADERS = {".joblib": _load_pickle, ".pkl": _load_pickle, ".pickle": _load_pickle, ".skops": _load_skops,
           **{suffix: load_native_model for suffix in NATIVE_SUFFIXES}}
