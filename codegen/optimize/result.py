"""What `tune` returns: every measured candidate, the Pareto front, the chosen one."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from codegen.optimize import pareto

CSV_COLUMNS = ("id", "transform", "layout", "input", "score", "accuracy_drop", "energy_pj", "size",
               "flash_estimate", "leaf_bytes", "measured", "fits", "flash_bytes", "ram_bytes", "counter", "cycles",
               "cycles_max", "c_agreement", "rows_simulated", "pareto", "meets_budgets", "misses", "reason",
               "transform_json")


@dataclass
class TuneResult:
    rows: list[dict]  # every candidate recorded (measured, or estimated too big)
    best: dict | None
    budgets: pareto.Budgets
    target: str
    name: str
    baseline_score: float  # the model as trained, validation rows, interpreter
    n_evaluated: int  # candidates scored by the interpreter (more than were measured)
    seconds: float
    original: object = field(repr=False, default=None)
    best_model: object = field(repr=False, default=None)  # the transformed scikit-learn estimator
    best_converted: object = field(repr=False, default=None)  # its ConvertedModel
    test_scores: dict = field(default_factory=dict)

    @property
    def pareto(self) -> list[dict]:
        """The measured candidates no other beats on score, cycles, flash and energy."""
        return pareto.front(self.rows)

    @property
    def original_rows(self) -> list[dict]:
        return [row for row in self.rows if row["transform"] == "as trained" and row["input"] == "float32"]

    def closest(self, count: int = 5) -> list[dict]:
        return pareto.closest(self.rows, self.budgets, count)

    def public_rows(self) -> list[dict]:
        on_front = {row["id"] for row in self.pareto}
        out = []
        for row in self.rows:
            missed = pareto.misses(row, self.budgets)
            public = {column: row.get(column, "") for column in CSV_COLUMNS}
            public.update(pareto=row["id"] in on_front, meets_budgets=not missed, misses="; ".join(missed))
            out.append(public)
        return out

    def csv_text(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.public_rows():
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
        return buffer.getvalue()

    def summary(self) -> dict:
        rows = {row["id"]: row for row in self.public_rows()}
        best = rows[self.best["id"]] if self.best else None
        report = {
            "target": self.target, "name": self.name, "budgets": self.budgets.limits(),
            "baseline_validation_score": self.baseline_score, "test_scores": self.test_scores,
            "candidates_scored": self.n_evaluated, "candidates_recorded": len(self.rows),
            "candidates_simulated": sum(1 for r in self.rows if r.get("measured")),
            "original": [rows[r["id"]] for r in self.original_rows],
            "best": best, "pareto": [rows[r["id"]] for r in self.pareto],
            "closest": [] if best else [rows[r["id"]] for r in self.closest()],
        }
        if self.best is not None:
            settings = self.best["_settings"]
            scale, zero_point = settings.quantization.for_features(self.best_converted.report()["n_features"]) \
                if settings.input != "float32" else ((1.0,), (0,))
            report["settings"] = {"layout": settings.layout, "input": settings.input,
                                  "scale": list(scale), "zero_point": list(zero_point)}
            report["transforms"] = json.loads(self.best["transform_json"])
            report["report"] = self.best_converted.report()
        return report

    def plot(self, path=None):
        """The accuracy/cost figure (matplotlib); saved to `path` (.png or .svg) if given."""
        from codegen.optimize.plot import pareto_figure

        figure = pareto_figure(self)
        if path is not None:
            figure.savefig(path, dpi=110)
        return figure
