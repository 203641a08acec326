"""MLPs lose the hidden units with the smallest weight norms (|in|·|out|), without retraining."""

from __future__ import annotations

from codegen.optimize.mlp_units import hidden_sizes, prune_hidden_units

KEEP = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.375, 0.25, 0.125)


class KeepUnits:
    axis = "units"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        return KEEP if family == "mlp" else ()

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        return prune_hidden_units(model, float(value))

    def describe(self, value, model) -> str:
        sizes = "-".join(map(str, hidden_sizes(model))) if model is not None else f"{100 * value:.1f}%"
        return f"hidden {sizes}"
