"""The public API: `convert(estimator, **options) -> ConvertedModel`."""

from __future__ import annotations

import functools
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codegen.backends.c_text import hash32
from codegen.errors import UserError
from codegen.frontends import model_kind, read_trees
from codegen.harness.host import build_host, run_host
from codegen.input_types import INPUT_TYPES
from codegen.ir.interpret import interpret_trees
from codegen.ir.interpretation import Interpretation
from codegen.ir.model import InputSpec
from codegen.ir.serialize import ir_digest
from codegen.output_files import replace_files
from codegen.passes.pipelines import lower_trees
from codegen.reports import tree_report
from codegen.settings import InputQuantization, Settings
from codegen.version import __version__


def convert(estimator, *, name: str = "model", layout: str = "auto", input: str = "float32",
            target: str = "host", scale=(1.0,), zero_point=(0,), calibration=None,
            verify: bool = False) -> ConvertedModel:
    """Convert a fitted estimator. `input`: the type the device passes (float32, or an integer
    type with per-feature `scale`/`zero_point`: real = scale * (q - zero_point)).
    `calibration`: float rows for MLP activation ranges. `verify`: validate after every pass."""
    settings = Settings(name=name, layout=layout, input=input, target=target,
                        quantization=InputQuantization(tuple(np.atleast_1d(scale).tolist()),
                                                       tuple(np.atleast_1d(zero_point).tolist())))
    return convert_with(estimator, settings, calibration=calibration, verify=verify)


def convert_with(estimator, settings: Settings, *, calibration=None, verify: bool = False,
                 warn=None) -> ConvertedModel:
    """`warn(message)`: told about a build that will be slow (a huge if-else header)."""
    kind = model_kind(estimator)
    if kind == "trees":
        return _convert_trees(estimator, settings, verify, warn)
    return _convert_mlp(estimator, settings, calibration)


def _input_spec(spec: InputSpec, settings: Settings) -> InputSpec:
    if settings.input == "float32":
        return spec
    scale, zero_point = settings.quantization.for_features(spec.n_features)
    return InputSpec(spec.n_features, settings.input, scale, zero_point, spec.feature_names)


def _convert_trees(estimator, settings: Settings, verify: bool, warn=None) -> ConvertedModel:
    from codegen.backends.trees import tree_header
    from codegen.chips import chip_flash_bytes, names_a_chip
    from codegen.fit import choose_layout, fit_layout, tree_code_bytes

    float_ir = read_trees(estimator)
    float_ir = float_ir.with_(input=_input_spec(float_ir.input, settings))
    ir = lower_trees(float_ir, verify=verify)
    layout = fit_layout(ir, settings, choose_layout(ir, settings), warn)  # before any C text
    model_hash = hash32(ir_digest(ir) + settings.name.encode())
    header = functools.partial(tree_header, ir, settings, layout, model_hash, __version__)
    report = tree_report(ir, layout, settings.target)
    if settings.check_flash and names_a_chip(settings.chip, settings.target):
        from codegen.link_check import confirm_fits

        header = header()
        confirm_fits(header, settings, tree_code_bytes(ir, layout, settings.target),
                     chip_flash_bytes(settings.chip, settings.target),
                     f"{ir.n_trees} trees with {ir.n_nodes:,} decision nodes as {layout} code")
    if settings.layout == "auto":
        from codegen.fit import auto_layout

        report["layout_auto"] = auto_layout(ir, settings)[1]  # which layout auto picked and why
    return ConvertedModel(estimator, settings, "trees", ir, header, model_hash, layout,
                          functools.partial(interpret_trees, ir), report)


def _convert_mlp(estimator, settings: Settings, calibration) -> ConvertedModel:
    from codegen.backends.mlp import mlp_header, mlp_report
    from codegen.frontends.mlp import read_mlp
    from codegen.ir.interpret_mlp import interpret_mlp
    from codegen.ir.validate_mlp import validate_mlp
    from codegen.passes.quantize_mlp import quantize_mlp

    if calibration is None:
        raise UserError("converting an MLP needs calibration rows to set activation ranges; "
                        "pass --calibration X.csv (or --data to verify)")
    float_ir = read_mlp(estimator, settings)
    validate_mlp(float_ir)
    rows = np.asarray(rows_by_name(estimator, calibration, "the calibration DataFrame"), dtype=np.float64)
    ir = quantize_mlp(float_ir, rows, settings)  # mlp_header validates it
    model_hash = hash32(ir_digest(ir) + settings.name.encode())
    header = mlp_header(ir, settings, model_hash)
    return ConvertedModel(estimator, settings, "mlp", ir, header, model_hash, "mlp",
                          functools.partial(interpret_mlp, ir), mlp_report(ir))


@dataclass
class ConvertedModel:
    estimator: object
    settings: Settings
    kind: str  # "trees" or "mlp"
    ir: object  # the integer IR
    _header: object  # the C text, or a function that renders it on first use
    model_hash: int
    layout: str
    _interpret: object = field(repr=False)
    _report: dict = field(repr=False)

    @property
    def header_text(self) -> str:
        if callable(self._header):
            self._header = self._header()
        return self._header

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def input_dtype(self) -> str:
        return self.settings.input

    @property
    def classes(self) -> tuple:
        classes = getattr(self.estimator, "classes_", None)  # Boosters, IsolationForest: the IR's
        return tuple(classes) if classes is not None else tuple(getattr(self.ir, "classes", ()))

    @property
    def is_classifier(self) -> bool:
        return len(self.classes) > 0

    @property
    def output_frac_bits(self) -> int:
        return int(self._report.get("output_frac_bits", 0))

    def report(self) -> dict:
        from codegen.ir.proba import proba_report

        return dict(self._report, name=self.name, layout=self.layout, model_hash=f"0x{self.model_hash:08X}",
                    **(proba_report(self.ir) if self.kind == "trees" else {}))

    # ---- running the model ----------------------------------------------------------------

    def relayout(self, layout: str) -> ConvertedModel:
        """The same lowered trees in another layout (no re-lowering: only the C text differs)."""
        from codegen.backends.trees import tree_header

        if self.kind != "trees" or layout == self.layout:
            return self
        header = functools.partial(tree_header, self.ir, self.settings, layout, self.model_hash, __version__)
        return ConvertedModel(self.estimator, self.settings, self.kind, self.ir, header, self.model_hash, layout,
                              self._interpret, tree_report(self.ir, layout, self.settings.target))

    def check_rows(self, X) -> np.ndarray:
        X = self.by_name(X)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        n_features = self._report["n_features"]
        if X.ndim != 2 or X.shape[1] != n_features:
            raise UserError(f"the data has {X.shape[-1] if X.ndim else 0} columns but the model takes "
                            f"{n_features} features; give one column per feature")
        dtype = INPUT_TYPES[self.input_dtype].numpy
        if dtype.kind in "iu":
            _check_readings(X, self.input_dtype)
        with np.errstate(over="ignore"):  # beyond float32's range is +-inf, as the device reads it
            return X.astype(dtype)

    def by_name(self, X) -> np.ndarray:
        """A DataFrame whose columns name the model's features is taken by name (in any order);
        other names are refused, as scikit-learn refuses them."""
        return rows_by_name(self.estimator, X, "the DataFrame")

    def interpret(self, X) -> Interpretation:
        """The oracle: the integer IR run in numpy (bit-exact with the C)."""
        return self._interpret(self.check_rows(X))

    def run_c(self, X, *, count_ops: bool = False):
        """Run the generated C on the host (built once, cached): a HostRun."""
        X = self.check_rows(X)
        executable = build_host(self.header_text, self.name, count_ops=count_ops)
        return run_host(executable, X, self.input_dtype, self._report["n_outputs"], count_ops=count_ops)

    def predict(self, X) -> np.ndarray:
        """What the C predicts, as scikit-learn would say it (class labels, or floats)."""
        return self.decode(self.run_c(X).predictions)

    def scores(self, X) -> np.ndarray:
        """The C's raw fixed-point scores (int64, rows x outputs)."""
        return self.run_c(X).scores

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities from the C's `<name>_proba` (Q16 / 65536), for forests (soft
        voting) and the boosting classifiers whose probabilities are the sigmoid / softmax of
        their scores; within
        report()["proba_bound"] of the library's predict_proba (also in the header's comment)."""
        from codegen.harness.proba_host import run_proba
        from codegen.ir.proba import PROBA_FRAC_BITS, proba_link

        if self.kind != "trees" or proba_link(self.ir) is None:
            raise UserError(f"mcugen computes probabilities for boosting classifiers and forests only, "
                            f"not for {self.ir.estimator or self.kind}")
        q16 = run_proba(self.header_text, self.name, self.check_rows(X), self.input_dtype, len(self.classes))
        return np.ldexp(q16.astype(np.float64), -PROBA_FRAC_BITS)

    def decode(self, predictions: np.ndarray) -> np.ndarray:
        predictions = np.asarray(predictions)
        if self.is_classifier:
            return np.asarray(self.classes)[predictions.astype(np.int64)]
        return np.ldexp(predictions.astype(np.float64), -self.output_frac_bits)

    def features_for_sklearn(self, X) -> np.ndarray:
        """The float32 rows scikit-learn sees for device input X."""
        X = self.check_rows(X)
        if self.input_dtype == "float32":
            return X
        scale, zero = self.settings.quantization.for_features(X.shape[1])
        return InputSpec(X.shape[1], self.input_dtype, scale, zero).dequantize(X)

    def sklearn_predict(self, X) -> np.ndarray:
        return self.estimator_predict(self.features_for_sklearn(X))

    def estimator_predict(self, features: np.ndarray) -> np.ndarray:
        """The estimator's own `predict` on float rows. Rows come from a CSV, so an estimator
        fitted on a DataFrame has no column names to check them against: not worth a warning.
        One label per row (CatBoostClassifier returns a column of them for several classes)."""
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):  # inf rows: refused, counted
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            predicted = self.estimator.predict(features)
        if getattr(predicted, "ndim", 1) == 2 and predicted.shape[1] == 1:
            return predicted[:, 0]
        return predicted

    # ---- writing --------------------------------------------------------------------------

    def summary(self) -> dict:
        return {"mcugen_version": __version__, "report": self.report(),
                "classes": [str(c) for c in self.classes], "settings": {
                    "name": self.name, "layout": self.settings.layout, "input": self.input_dtype,
                    "target": self.settings.target}}

    def save(self, directory) -> list[Path]:
        """Write `<name>.h` and `<name>.json` into `directory`; nothing is half-written."""
        directory = Path(directory)
        files = {f"{self.name}.h": self.header_text,
                 f"{self.name}.json": json.dumps(self.summary(), indent=2, sort_keys=True) + "\n"}
        return replace_files(directory, files)


def rows_by_name(estimator, X, what: str) -> np.ndarray:
    """Rows as an array in the model's feature order: a DataFrame naming the model's features
    goes by name, anything else by position."""
    from codegen.feature_names import column_order, model_feature_names, reorder

    columns = getattr(X, "columns", None)
    names = model_feature_names(estimator)
    values = np.asarray(X)
    if columns is None or names is None or not all(isinstance(c, str) for c in columns):
        return values  # nothing to go by: columns by position
    return reorder(values, column_order(list(columns), names, what))


def _check_readings(X: np.ndarray, input_dtype: str) -> None:
    """Integer input: every value a whole number the type holds; the first other one is named."""
    info = np.iinfo(INPUT_TYPES[input_dtype].numpy)
    values = np.asarray(X, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values != np.round(values)) | (values < info.min) | (values > info.max)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise UserError(f"--input {input_dtype} needs whole numbers in [{info.min}, {info.max}]; row {row + 1} "
                        f"(after any header), column {column + 1} is {values[row, column]:g}; give readings "
                        "the device passes, or another --input type")
