"""What `tune` returns: every candidate recorded, the Pareto front, the chosen one."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from codegen.optimize import estimates, pareto

CSV_COLUMNS = ("id", "transform", "layout", "input", "score", "score_se", "accuracy_drop", "drop_se", "drop_upper",
               "energy_pj", "size", "flash_estimate", "leaf_bytes", "measured", "duplicate_of", "fits", "flash_bytes",
               "ram_bytes", "counter", "cycles", "cycles_max", "c_agreement", "rows_simulated", "pareto",
               "meets_budgets", "misses", "reason", "transform_json")


@dataclass
class TuneResult:
    rows: list[dict]  # every candidate: scored, refused, estimated too big, measured or not
    best: dict | None
    budgets: pareto.Budgets
    target: str
    name: str
    baseline: dict  # the model as trained: score and score_se on the decision rows, by its library
    n_evaluated: int  # candidate rows (transform x input type x layout)
    seconds: float
    phases: dict = field(default_factory=dict)  # seconds per phase
    original: object = field(repr=False, default=None)
    best_model: object = field(repr=False, default=None)  # the transformed estimator
    best_converted: object = field(repr=False, default=None)  # its ConvertedModel
    report_scores: dict = field(default_factory=dict)  # on rows no decision used
    decision_rows: int = 0
    report_rows: int = 0
    calibration: object = field(repr=False, default=None)  # an MLP's calibration rows (the decision rows)
    trained_rows: bool = False  # training rows were given (retrained and refined candidates)
    build: object = field(repr=False, default=None)  # build(row) -> (estimator, ConvertedModel) of any row
    prefer: str = "energy"  # pareto.choose's preference

    @property
    def model_file(self) -> str:
        """The file the chosen estimator is saved to in the output folder."""
        from codegen.optimize.model_files import model_file_name

        return model_file_name(self.best_model if self.best_model is not None else self.original, self.name)

    @property
    def baseline_score(self) -> float:
        return self.baseline["score"]

    @property
    def pareto(self) -> list[dict]:
        """The measured candidates no other beats on score, cycles, flash and energy."""
        return pareto.front(self.rows)

    @property
    def original_rows(self) -> list[dict]:
        return [row for row in self.rows if row["transform"] == "as trained" and row["input"] == "float32"]

    def as_trained(self) -> dict:
        """The model as trained: its score, and whether (and in which layouts) it fits the chip."""
        fitting = [row for row in self.original_rows if row.get("fits")]
        summary = {"score": self.baseline["score"], "score_se": self.baseline["score_se"], "fits": bool(fitting)}
        if fitting:
            summary["flash_bytes"] = min(row["flash_bytes"] for row in fitting)
        else:
            estimates_ = [row["flash_estimate"] for row in self.original_rows if "flash_estimate" in row]
            summary["needs_bytes"] = min(estimates_) if estimates_ else None
            summary["why"] = "; ".join(f"{row['layout']}: {row.get('reason') or 'not measured'}"
                                       for row in self.original_rows)
        return summary

    def closest(self, count: int = 5) -> list[dict]:
        return pareto.closest(self.rows, self.budgets, count)

    def public_rows(self) -> list[dict]:
        on_front = {row["id"] for row in self.pareto}
        out = []
        for row in self.rows:
            missed = pareto.misses(row, self.budgets)
            public = {column: row.get(column, "") for column in CSV_COLUMNS}
            public.update(pareto=row["id"] in on_front, meets_budgets=not missed, misses="; ".join(missed),
                          measured=bool(row.get("measured")))
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
            "as_trained": self.as_trained(), "report_scores": self.report_scores,
            "rows": {"decision": self.decision_rows, "report": self.report_rows, "folds": estimates.FOLDS},
            "rule": RULE, "prefer": self.prefer, "phases_seconds": self.phases,
            "candidates_scored": self.n_evaluated,
            "candidates_simulated": sum(1 for r in self.rows if r.get("measured")),
            "original": [rows[r["id"]] for r in self.original_rows],
            "best": best, "pareto": [rows[r["id"]] for r in self.pareto],
            "closest": [] if best else [rows[r["id"]] for r in self.closest()],
        }
        if self.best is not None:
            report["settings"] = self.settings()
            report["transforms"] = json.loads(self.best["transform_json"])
            report["report"] = self.best_converted.report()
        return report

    def settings(self) -> dict:
        """The chosen build's conversion settings (layout, input type, scale and zero point)."""
        settings = self.best["_settings"]
        n_features = self.best_converted.report()["n_features"]
        scale, zero_point = settings.quantization.for_features(n_features) if settings.input != "float32" \
            else ((1.0,), (0,))
        return {"layout": self.best_converted.layout, "input": settings.input, "scale": list(scale),
                "zero_point": list(zero_point)}

    def plot(self, path=None):
        """The accuracy/cost figure (matplotlib); saved to `path` (.png or .svg) if given."""
        from codegen.optimize.plot import pareto_figure

        figure = pareto_figure(self)
        if path is not None:
            figure.savefig(path, dpi=110)
        return figure


RULE = (f"scores: {estimates.FOLDS}-fold cross-validation on the decision rows (what a transform learns from rows is "
        f"learned on the other folds), paired with the model as trained; --max-accuracy-drop holds when "
        f"drop + {estimates.Z} x SE <= the budget (95% one-sided); --prefer energy (the default) chooses the least "
        "energy candidate within the budgets with it, and without it the least energy one within one SE of the most "
        "accurate; --prefer accuracy chooses the most accurate candidate within the budgets")
