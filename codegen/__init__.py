"""mcugen: scikit-learn tree ensembles and small MLPs to integer-only C for microcontrollers."""

# The names below load on first use (PEP 562), so `mcugen --help` and option errors do not pay
# for importing scikit-learn.
_EXPORTS = {
    "ConvertedModel": "codegen.api",
    "__version__": "codegen.version",
    "convert": "codegen.api",
    "convert_with": "codegen.api",
    "UserError": "codegen.errors",
    "tune": "codegen.optimize",
    "Settings": "codegen.settings",
}

__all__ = ["ConvertedModel", "Settings", "UserError", "__version__", "convert", "convert_with", "tune"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'codegen' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)
