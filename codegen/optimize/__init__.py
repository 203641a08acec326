"""Fitting a model to a chip: transforms of fitted estimators (prune, quantise) and the
measured Pareto search (`tune`). Names load on first use, so `mcugen --help` stays quick."""

from __future__ import annotations

DEFAULT_BUDGET = 150  # candidates built and simulated; issue 9's case 1 takes ~1-2 min on 2 cores
DEFAULT_SAMPLES = 20  # rows simulated per candidate

_PUBLIC = {"Budgets": "codegen.optimize.pareto", "TuneResult": "codegen.optimize.result",
           "tune": "codegen.optimize.search"}


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(name)


__all__ = ["DEFAULT_BUDGET", "DEFAULT_SAMPLES", "Budgets", "TuneResult", "tune"]
