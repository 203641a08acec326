"""The package version, in a module of its own so that `mcugen --version` imports nothing heavy."""

__version__ = "0.1.0"
