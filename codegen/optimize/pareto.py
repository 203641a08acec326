"""Pareto fronts, budgets and the choice of the best candidate.

A candidate row is a dict (see search.py); "cost" columns are minimised, "score" maximised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Budgets:
    """Limits a chosen candidate must meet (None: no limit). Accuracy drop is in points
    (percent) below the model as trained, judged by its upper confidence bound."""

    max_flash: int | None = None
    max_ram: int | None = None
    max_cycles: float | None = None  # cycles on AVR, instructions on Cortex-M
    max_energy: float | None = None  # pJ per inference
    max_accuracy_drop: float | None = None

    def limits(self) -> dict[str, float]:
        columns = {"max_flash": "flash_bytes", "max_ram": "ram_bytes", "max_cycles": "cycles",
                   "max_energy": "energy_pj", "max_accuracy_drop": "accuracy_drop"}
        return {column: getattr(self, name) for name, column in columns.items() if getattr(self, name) is not None}


def misses(row: dict, budgets: Budgets) -> list[str]:
    """What keeps a row from being chosen: refused, not fitting, not measured, budgets exceeded.
    The accuracy budget is judged by the drop's upper confidence bound (see estimates.py)."""
    if "score" not in row:
        return [row.get("reason") or "not scored"]
    if row.get("fits") is False:
        return [row.get("reason") or "does not fit the chip"]
    if not row.get("fits"):
        return ["not simulated (beyond --budget or --time)"]
    if row.get("c_agreement") != 1.0:
        return ["C differs from the interpreter"]
    found = []
    for column, limit in budgets.limits().items():
        if column == "accuracy_drop":
            if row["drop_upper"] > limit:
                found.append(f"accuracy drop {row['accuracy_drop']:.2f} ± {row['drop_se']:.2f} "
                             f"(upper bound {row['drop_upper']:.2f}) > {_number(limit)}")
        elif row[column] > limit:
            found.append(f"{column} {_number(row[column])} > {_number(limit)}")
    return found


def excess(row: dict, budgets: Budgets) -> float:
    """How far a row is from meeting the budgets (0 when it meets them): the sum of each
    exceeded limit's relative excess; not fitting counts as infinitely far."""
    if not row.get("fits") or row.get("c_agreement") != 1.0 or "score" not in row:
        return float("inf")
    total = 0.0
    for column, limit in budgets.limits().items():
        value = row["drop_upper"] if column == "accuracy_drop" else row[column]
        if value > limit:
            total += (value - limit) / max(abs(limit), 1.0)
    return total


PREFERENCES = ("energy", "accuracy")


def choose(rows: list[dict], budgets: Budgets, prefer: str = "energy") -> dict | None:
    """Among the candidates within every budget: with `prefer="accuracy"`, the most accurate
    (ties: least energy). With "energy" (the default) and an accuracy budget, the candidate of
    least energy (the user said how much accuracy to trade; ties: higher score, fewer cycles);
    without an accuracy budget, the one of least energy among those within one standard error
    of the most accurate (the one-standard-error rule)."""
    if prefer not in PREFERENCES:
        raise ValueError(f"prefer must be one of {PREFERENCES}, not {prefer!r}")
    eligible = [row for row in rows if not misses(row, budgets)]
    if not eligible:
        return None
    cheapest = lambda row: (row["energy_pj"], -row["score"], row["cycles"], row["flash_bytes"], row["id"])  # noqa: E731
    leader = max(eligible, key=lambda row: (row["score"], -row["energy_pj"]))
    if prefer == "accuracy":
        return leader
    if budgets.max_accuracy_drop is not None:
        return min(eligible, key=cheapest)
    return min((row for row in eligible if ties_with(row, leader)), key=cheapest)


def ties_with(row: dict, leader: dict) -> bool:
    """`row` scores within one standard error of the leader's score (Breiman's one-standard-
    error rule: a smaller difference is within the noise of the leader's own estimate)."""
    return leader["score"] - row["score"] <= leader.get("score_se", 0.0)


def closest(rows: list[dict], budgets: Budgets, count: int = 5) -> list[dict]:
    measured = [row for row in rows if row.get("fits") and "score" in row]
    return sorted(measured, key=lambda row: (excess(row, budgets), -row["score"]))[:count]


def front(rows: list[dict], costs=("cycles", "flash_bytes", "energy_pj")) -> list[dict]:
    """Rows that fit and that no other fitting row beats on score and every cost; sorted by
    score, best first."""
    fitting = [row for row in rows if row.get("fits") and "score" in row and row.get("duplicate_of") is None]
    if not fitting:
        return []
    points = np.array([[-row["score"], *(row[c] for c in costs)] for row in fitting], dtype=np.float64)
    keep = non_dominated(points)
    return sorted((fitting[i] for i in np.flatnonzero(keep)), key=lambda row: -row["score"])


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the points (all columns minimised) no other point dominates; equal points all stay."""
    no_worse = (points[:, None, :] <= points[None, :, :]).all(axis=2)
    better = (points[:, None, :] < points[None, :, :]).any(axis=2)
    dominated = (no_worse & better).any(axis=0)
    return ~dominated


def pareto_layers(points: np.ndarray) -> np.ndarray:
    """Non-dominated sorting: the layer (0 = front) of every point."""
    layer = np.full(len(points), -1, dtype=np.int64)
    remaining = np.arange(len(points))
    depth = 0
    while len(remaining):
        keep = non_dominated(points[remaining])
        layer[remaining[keep]] = depth
        remaining = remaining[~keep]
        depth += 1
    return layer


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
