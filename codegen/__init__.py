"""mcugen: scikit-learn tree ensembles and small MLPs to integer-only C for microcontrollers."""

from codegen.api import ConvertedModel, __version__, convert, convert_with
from codegen.errors import UserError
from codegen.optimize import tune
from codegen.settings import Settings

__all__ = ["ConvertedModel", "Settings", "UserError", "__version__", "convert", "convert_with", "tune"]
