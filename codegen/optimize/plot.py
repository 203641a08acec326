"""The Pareto figure: validation accuracy against cycles and against flash, every measured
candidate, the front joined, the model as trained and the chosen candidate marked, budgets
drawn. Drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from codegen.errors import UserError


def pareto_figure(result):
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise UserError("the Pareto plot needs matplotlib: pip install 'mcugen[tune]'") from None
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    measured = [row for row in result.rows if row.get("fits") and "score" in row]
    counter = measured[0]["counter"] if measured else "cycles"
    for ax, column, label, limit in (
        (axes[0], "cycles", f"{counter} per inference ({result.target})", result.budgets.max_cycles),
        (axes[1], "flash_bytes", "model flash (bytes)", result.budgets.max_flash),
    ):
        _panel(ax, result, measured, column, label, limit)
    axes[0].set_ylabel("cross-validated accuracy (%)" if _is_classifier(result) else "cross-validated R² (points)")
    title = f"mcugen tune: {len(measured)} candidates that fit the {result.target}"
    if result.best is not None:
        title += f"; chosen: {result.best['transform']} ({result.best['layout']}, {result.best['input']})"
    figure.suptitle(title, fontsize=10)
    return figure


def _panel(ax, result, measured, column, label, limit) -> None:
    ax.scatter([r[column] for r in measured], [r["score"] for r in measured], s=14, color="0.6", label="candidate")
    front = result.pareto
    ax.scatter([r[column] for r in front], [r["score"] for r in front], s=22, color="tab:blue",
               label="Pareto front (score, cycles, flash, energy)")
    trade_off = _front_2d(measured, column)
    ax.step([r[column] for r in trade_off], [r["score"] for r in trade_off], where="post", color="tab:blue", lw=1)
    originals = [r for r in result.original_rows if r.get("fits")]
    if originals:
        ax.scatter([r[column] for r in originals], [r["score"] for r in originals], marker="s", s=60,
                   facecolors="none", edgecolors="black", label="as trained")
    else:
        needs = result.as_trained().get("needs_bytes")
        trained = "as trained: does not fit" + (f", needs ~{needs:,} B" if needs else "")
        ax.axhline(result.baseline_score, color="black", lw=0.8, ls=":", label=trained)
    if result.best is not None:
        ax.scatter([result.best[column]], [result.best["score"]], marker="*", s=180, color="tab:red", label="chosen")
    if result.budgets.max_accuracy_drop is not None:
        ax.axhline(result.baseline_score - result.budgets.max_accuracy_drop, color="tab:red", lw=0.8, ls="--",
                   label="accuracy budget")
    if limit is not None:
        ax.axvline(limit, color="tab:orange", lw=0.8, ls="--", label="budget")
    if column == "flash_bytes":
        from codegen.harness.targets import target_memory

        ax.axvline(target_memory(result.target)[0], color="0.3", lw=0.8, ls="-.", label=f"{result.target} flash")
    if any(r[column] > 0 for r in measured):  # a run that measured nothing has no axis to log-scale
        ax.set_xscale("log")
    ax.set_xlabel(label)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")


def _front_2d(rows, column):
    """The staircase of best score for each cost on one axis."""
    best, out = float("-inf"), []
    for row in sorted(rows, key=lambda r: (r[column], -r["score"])):
        if row["score"] > best:
            best = row["score"]
            out.append(row)
    return out


def _is_classifier(result) -> bool:
    return hasattr(result.original, "classes_") or hasattr(getattr(result.original, "steps", [[0, 0]])[-1][1],
                                                            "classes_")
