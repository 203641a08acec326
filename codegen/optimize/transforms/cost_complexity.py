"""Single trees pruned along scikit-learn's minimal cost-complexity path (ccp_alpha), from the
fitted tree alone: each value is an alpha of the path (0.0: as trained), chosen so the pruned
trees keep about 70%, 50%, ... 2.5% of the leaves (see optimize/cost_complexity)."""

from __future__ import annotations

from codegen.optimize import cost_complexity


class PruneCostComplexity:
    axis = "ccp_alpha"
    learns_from_rows = False

    def values(self, model, family: str) -> tuple:
        if family != "tree":
            return ()
        alphas = cost_complexity.alpha_grid(model)
        return (0.0, *alphas) if alphas else ()

    def prepare(self, model, X, y):
        return None

    def apply(self, model, value, prepared):
        return model if float(value) == 0.0 else cost_complexity.prune(model, float(value))

    def describe(self, value, model) -> str:
        leaves = f" ({model.get_n_leaves()} leaves)" if model is not None else ""
        return f"ccp_alpha {value:.3g}{leaves}"
