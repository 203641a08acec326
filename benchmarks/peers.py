"""mcugen against other code generators on simulated chips: the ATmega2560 (simavr, avr-gcc
-Os), the Cortex-M0 (ARMv6-M, soft float) and the Cortex-M4F (hard float: float peers use the
FPU) for the tree models (qemu + unicorn, arm-none-eabi-gcc -Os), the ATmega2560 and the
Cortex-M4F for the MLP.

For each model (a list of ModelSpec below), each of its chips, and each tool that handles its
kind (the TOOLS list in benchmarks/peer_tools.py), the tool's code is generated at run time,
wrapped in an adapter header with the harness API, and run through
codegen.harness.targets.run_on_target on every test row. Reported per (model, chip, tool):
fidelity (the C's predictions against sklearn's `predict` on the same float32 rows), cycles
per inference on AVR (exact Timer1 counts) or executed instructions on Cortex-M (exact, counted
by unicorn) with their estimated cycles at zero wait states (codegen/harness/cycle_model.py),
and the model's own flash and static RAM (the firmware minus the same firmware with a null
model). Then, per chip: mcugen's best (of its layouts) against the best other tool, a summary
table of every (model, chip) and a goals line per chip (GOALS).

    python benchmarks/peers.py [--models rf10-digits,dt-digits] [--chips cortex-m0] [--json out.json] [--jobs 2]

Benchmarks print figures; nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

if importlib.util.find_spec("codegen") is None:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sklearn  # noqa: E402
from peer_tools import TOOLS, PeerCode, Tool  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, make_classification  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import codegen  # noqa: E402
from codegen.errors import UserError  # noqa: E402
from codegen.harness import toolchains  # noqa: E402
from codegen.harness.targets import TargetRun, run_on_target  # noqa: E402
from codegen.input_types import INPUT_TYPES  # noqa: E402

SEED = 0
# avr-gcc rejects an array of 32,768 bytes or more (its ptrdiff_t is 16 bits).
MAX_ROW_TABLE_BYTES = 32_767
# The ratios are also given against the other tools that agree with sklearn this often.
FAITHFUL = 0.99


# ---- the chips -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    """A run_on_target target and how every tool's code is built for it."""

    target: str  # a key of codegen.harness.targets.SIM_TARGETS
    description: str
    counter: str  # what run_on_target counts there: "cycles" (AVR) or "instructions" (Cortex-M)
    float_abi: str  # how float code runs, printed beside the table
    cflags: tuple[str, ...] = ()  # added to every tool's own flags (and to the null-model build)

    @property
    def is_avr(self) -> bool:
        return self.target.startswith("atmega")


CHIPS: dict[str, Chip] = {
    "atmega2560": Chip("atmega2560", "ATmega2560 (simavr, 16 MHz, avr-gcc -Os)", "cycles",
                       "software (avr-gcc's float32 library; no FPU)"),
    # ARMv6-M (RP2040, SAMD21, STM32G0 class): no FPU, so float code calls libgcc's soft float.
    "cortex-m0": Chip("cortex-m0", "Cortex-M0 (qemu mps2-an385 + unicorn's Cortex-M0, arm-none-eabi-gcc -Os)",
                      "instructions", "soft (-mfloat-abi=soft; no FPU)"),
    # A Cortex-M4F has a single-precision FPU: a float tool is built to use it. mcugen's
    # code has no float arithmetic, so the same flags change nothing for it but keep the
    # two builds alike. The harness's reset handler enables the FPU (CPACR) in such builds.
    "cortex-m4": Chip("cortex-m4", "Cortex-M4F (qemu mps2-an386 + unicorn, arm-none-eabi-gcc -Os)",
                      "instructions", "hard (-mfloat-abi=hard -mfpu=fpv4-sp-d16)",
                      ("-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")),
}


# ---- the models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    key: str
    title: str
    kind: str  # "trees" or "mlp": which tools apply
    load: Callable[[], tuple[np.ndarray, np.ndarray]]
    make: Callable[[], object]  # an unfitted estimator
    chips: tuple[str, ...] = ("atmega2560", "cortex-m0", "cortex-m4")  # keys of CHIPS, each a table of its own


def _digits() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


def _breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return X.astype(np.float32), y


def _synthetic() -> tuple[np.ndarray, np.ndarray]:
    """5,000 x 20, 4 classes, 10 informative features (seed 0)."""
    X, y = make_classification(n_samples=5000, n_features=20, n_informative=10, n_redundant=4, n_classes=4,
                               random_state=SEED)
    return X.astype(np.float32), y


def _xgboost_classifier(**params):
    """XGBoost is an optional extra (`mcugen[xgboost]`): imported when its model is fitted."""
    from xgboost import XGBClassifier

    return XGBClassifier(**params)


def _catboost_classifier(**params):
    """CatBoost likewise (`mcugen[catboost]`); no other tool here converts it."""
    from catboost import CatBoostClassifier

    return CatBoostClassifier(**params)


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("rf10-digits", "RandomForestClassifier(n_estimators=10, max_depth=8) on digits", "trees",
              _digits, lambda: RandomForestClassifier(n_estimators=10, max_depth=8, random_state=SEED)),
    ModelSpec("dt-digits", "DecisionTreeClassifier(max_depth=10) on digits", "trees",
              _digits, lambda: DecisionTreeClassifier(max_depth=10, random_state=SEED)),
    ModelSpec("rf20-cancer", "RandomForestClassifier(n_estimators=20, max_depth=6) on breast_cancer", "trees",
              _breast_cancer, lambda: RandomForestClassifier(n_estimators=20, max_depth=6, random_state=SEED)),
    ModelSpec("rf50-synth", "RandomForestClassifier(n_estimators=50, max_depth=10) on make_classification "
              "(5000 x 20, 4 classes)", "trees",
              _synthetic, lambda: RandomForestClassifier(n_estimators=50, max_depth=10, random_state=SEED)),
    ModelSpec("gb100-cancer", "GradientBoostingClassifier(n_estimators=100, max_depth=3) on breast_cancer", "trees",
              _breast_cancer, lambda: GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=SEED)),
    # base_score given: m2cgen 0.10 cannot read XGBoost >= 2's default (None) from get_params()
    ModelSpec("xgb50-cancer", "XGBClassifier(n_estimators=50, max_depth=4, base_score=0.5) on breast_cancer",
              "trees", _breast_cancer,
              lambda: _xgboost_classifier(n_estimators=50, max_depth=4, base_score=0.5, random_state=SEED)),
    ModelSpec("cat50-cancer", "CatBoostClassifier(iterations=50, depth=4) on breast_cancer", "trees",
              _breast_cancer, lambda: _catboost_classifier(iterations=50, depth=4, random_seed=SEED, thread_count=1,
                                                           verbose=0, allow_writing_files=False)),
    ModelSpec("mlp-digits", "MLPClassifier(hidden_layer_sizes=(32,)) on digits (64-32-10)", "mlp",
              _digits, lambda: MLPClassifier(hidden_layer_sizes=(32,), max_iter=600, random_state=SEED),
              chips=("atmega2560", "cortex-m4")),
)


@dataclass(frozen=True)
class Fitted:
    spec: ModelSpec
    estimator: object
    X_train: np.ndarray
    X_test: np.ndarray
    expected: np.ndarray  # sklearn's predict on X_test


def fit(spec: ModelSpec) -> Fitted:
    """Every other row: X[::2] trains, X[1::2] tests."""
    X, y = spec.load()
    estimator = spec.make().fit(X[::2], y[::2])
    return Fitted(spec, estimator, X[::2], X[1::2], estimator.predict(X[1::2]))


# ---- one (model, tool) measurement ---------------------------------------------------------


@dataclass(frozen=True)
class Result:
    model: str
    chip: str
    counter: str  # "cycles" (AVR) or "instructions" (Cortex-M): what count_* count
    tool: str
    version: str
    is_mcugen: bool
    fidelity: float | None = None  # fraction of test rows where the C agrees with sklearn
    count_mean: float | None = None  # per call of <name>_predict
    count_min: int | None = None
    count_max: int | None = None
    cycles_estimate: float | None = None  # Cortex-M0/M4: mean estimated cycles per call (0 wait states)
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    rows: int = 0
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def c_name(tool: Tool) -> str:
    """A C identifier for the adapter of `tool`: m_emlearn_inline, m_mcugen_table, ..."""
    words = f"{tool.package} {tool.variant}".lower().replace("-", " ").split()
    return "m_" + "_".join(words)


def fidelity(predictions: np.ndarray, fitted: Fitted) -> float:
    """Class indices from the C against sklearn's labels; an index out of range is a miss."""
    classes = np.asarray(fitted.estimator.classes_)
    valid = (predictions >= 0) & (predictions < len(classes))
    labels = classes[np.where(valid, predictions, 0)]
    return float(np.mean(valid & (labels == fitted.expected)))


def one_line(exc: BaseException) -> str:
    """The reason a tool failed, on one line: a UserError's message, or the first line of the
    compiler's error, or the exception's first line."""
    if isinstance(exc, toolchains.CompileError):
        lines = exc.stderr.splitlines()
        errors = [line.strip() for line in lines if re.search(r"error:|undefined reference", line)] or \
            [line.strip() for line in lines if "error" in line]
        first = errors[0] if errors else str(exc).splitlines()[0]
        return "does not compile: " + re.sub(r"^/\S*/", "", first)  # no temporary folder names
    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def without_mcugen_advice(message: str) -> str:
    """The harness's size errors end with advice for mcugen users (`; make the model smaller
    (trees: --layout table ...`)."""
    return re.split(r"; (?:use --layout|make the model smaller)", message)[0]


def measure(fitted: Fitted, chip: Chip, tool: Tool, work: Path) -> Result:
    name = c_name(tool)
    base = dict(model=fitted.spec.key, chip=chip.target, counter=chip.counter, tool=tool.label,
                version=tool.version(), is_mcugen=tool.is_mcugen, rows=len(fitted.X_test))
    started = time.monotonic()
    try:
        code = tool.generate(fitted.estimator, name, fitted.X_train, chip.target)
    except Exception as exc:  # the peer's own generator gave up: a row, not a crash
        return Result(**base, error=f"code generation failed: {one_line(exc)}")
    header = work / fitted.spec.key / chip.target / name / f"{name}.h"
    header.parent.mkdir(parents=True)
    header.write_text(code.header_text)
    rows = device_rows(fitted.X_test, code.input_dtype)
    try:
        run = run_in_chunks(chip, header, name, rows, code)
    except Exception as exc:  # does not build, fit or run on the chip: reported, not raised
        reason = one_line(exc) if tool.is_mcugen else without_mcugen_advice(one_line(exc))
        return Result(**base, error=reason, seconds=time.monotonic() - started)
    return Result(**base, fidelity=fidelity(run.predictions, fitted), count_mean=float(run.counts.mean()),
                  count_min=int(run.counts.min()), count_max=int(run.counts.max()),
                  cycles_estimate=None if run.cycle_estimates is None else float(run.cycle_estimates.mean()),
                  flash_bytes=run.flash_bytes, ram_bytes=run.ram_bytes, seconds=time.monotonic() - started)


def run_in_chunks(chip: Chip, header: Path, name: str, rows: np.ndarray, code: PeerCode) -> TargetRun:
    """run_on_target with the tool's flags and the chip's. On AVR, at most
    MAX_ROW_TABLE_BYTES of rows per call: its own batches can fill exactly 32,768 bytes
    (digits: 128 rows of 256), one more than avr-gcc allows in one array. The model's size
    does not depend on the rows, so every call measures the same."""
    per_call = max(1, MAX_ROW_TABLE_BYTES // rows[0].nbytes) if chip.is_avr else len(rows)
    cflags = (*code.extra_cflags, *chip.cflags)
    runs = [run_on_target(chip.target, header, name, rows[i:i + per_call], code.input_dtype, extra_cflags=cflags)
            for i in range(0, len(rows), per_call)]
    estimates = None if any(r.cycle_estimates is None for r in runs) else \
        np.concatenate([r.cycle_estimates for r in runs])
    return replace(runs[0], predictions=np.concatenate([r.predictions for r in runs]),
                   counts=np.concatenate([r.counts for r in runs]), cycle_estimates=estimates)


def device_rows(X: np.ndarray, input_dtype: str) -> np.ndarray:
    """The rows as the device passes them. Integer inputs are truncated toward zero, as a C
    cast from float does (and as emlearn's own float wrapper does for its int16 models)."""
    dtype = INPUT_TYPES[input_dtype].numpy
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.trunc(X), info.min, info.max).astype(dtype)
    return X.astype(dtype)


# ---- running everything --------------------------------------------------------------------


def tools_for(spec: ModelSpec) -> list[Tool]:
    return [tool for tool in TOOLS if spec.kind in tool.kinds]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_pair(model: Fitted, chip: Chip, tool: Tool, work: Path) -> Result:
    where = f"{model.spec.key} on {chip.target}"
    progress(f"[peers] {where}: {tool.label} ...")
    result = measure(model, chip, tool, work)
    status = "ok" if result.ok else f"failed: {result.error}"
    progress(f"[peers] {where}: {tool.label} {status} ({result.seconds:.1f} s)")
    return result


def run_all(specs: Sequence[ModelSpec], jobs: int) -> list[Result]:
    fitted = [fit(spec) for spec in specs]
    pairs = [(model, CHIPS[chip], tool) for model in fitted for chip in model.spec.chips
             for tool in tools_for(model.spec)]
    with tempfile.TemporaryDirectory(prefix="mcugen-peers-") as tmp, \
            ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(lambda pair: run_pair(*pair, Path(tmp)), pairs))


# ---- reporting -----------------------------------------------------------------------------


def _fmt_int(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def table(spec: ModelSpec, chip: Chip, results: Sequence[Result]) -> str:
    counted = f"{chip.counter} mean (min-max)"
    head = f"{'tool / variant':<24} {'fidelity':>9} {counted:>32} {'est. cycles':>11} {'flash B':>9} {'RAM B':>7}"
    lines = [f"== {spec.key} on {chip.target}: {spec.title} ({results[0].rows if results else 0} test rows)",
             f"   {chip.description}; float ABI: {chip.float_abi}", head, "-" * len(head)]
    for r in results:
        if not r.ok:
            lines.append(f"{r.tool:<24} FAILED: {r.error}")
            continue
        counts = f"{_fmt_int(r.count_mean)} ({r.count_min:,}-{r.count_max:,})"
        lines.append(f"{r.tool:<24} {100 * r.fidelity:>8.1f}% {counts:>32} {_fmt_int(r.cycles_estimate):>11} "
                     f"{_fmt_int(r.flash_bytes):>9} "
                     f"{_fmt_int(r.ram_bytes):>7}")
    return "\n".join(lines)


def _best(results: Sequence[Result], key: Callable[[Result], float]) -> Result | None:
    ok = [r for r in results if r.ok]
    return min(ok, key=key) if ok else None


# "count": cycles on AVR, executed instructions on Cortex-M (Result.counter says which).
METRICS: dict[str, Callable[[Result], float]] = {
    "count": lambda r: r.count_mean,
    "flash": lambda r: r.flash_bytes,
}


def compare(ours: Sequence[Result], theirs: Sequence[Result], metric: str) -> dict | None:
    key = METRICS[metric]
    mine, other = _best(ours, key), _best(theirs, key)
    if mine is None or other is None:
        return None
    return {"ratio": key(mine) / key(other), "mcugen": mine.tool.removeprefix("mcugen "), "mcugen_value": key(mine),
            "other": other.tool, "other_value": key(other), "other_fidelity": other.fidelity}


def ratios(results: Sequence[Result]) -> dict[str, dict | None]:
    """mcugen's best layout against the best other tool (on one chip), per metric: `count`
    and `flash` against every other tool, `*_faithful` against those at FAITHFUL fidelity or
    better."""
    ours = [r for r in results if r.is_mcugen]
    theirs = [r for r in results if not r.is_mcugen and r.ok]
    faithful = [r for r in theirs if r.fidelity >= FAITHFUL]
    found = {metric: compare(ours, theirs, metric) for metric in METRICS}
    found |= {f"{metric}_faithful": compare(ours, faithful, metric) for metric in METRICS}
    return found


def _ratio_phrase(found: dict, what: str, unit: str) -> str:
    return (f"{found['ratio']:.2f}x the {what} ({found['other']}: {found['other_value']:,.0f} {unit} "
            f"at {100 * found['other_fidelity']:.1f}% fidelity; mcugen: {found['mcugen']})")


def ratio_lines(found: dict[str, dict | None], chip: Chip) -> str:
    head = f"mcugen best on {chip.target}: "
    if found["count"] is None or found["flash"] is None:
        return head + "no ratios (mcugen or every other tool failed)"
    lines = []
    for metric, what, unit in (("count", f"{chip.counter} of the fastest other tool", chip.counter),
                               ("flash", "flash of the smallest other tool", "B")):
        lines.append(_ratio_phrase(found[metric], what, unit))
        faithful = found[f"{metric}_faithful"]
        if faithful is not None and faithful["other"] != found[metric]["other"]:
            lines.append(_ratio_phrase(faithful, what.replace("other tool", f"tool at >= {FAITHFUL:.0%} fidelity"),
                                       unit))
    return "\n".join((head if i == 0 else " " * len(head)) + line for i, line in enumerate(lines))


def first_line(command: list[str]) -> str:
    """The first line a tool prints (stdout, else stderr), for the versions header."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def _unicorn_version() -> str:
    try:
        return importlib.metadata.version("unicorn")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment(specs: Sequence[ModelSpec]) -> dict[str, str]:
    source = Path(codegen.__file__).resolve().parents[1]
    revision = first_line(["git", "-C", str(source), "describe", "--always", "--dirty"])
    if revision.startswith(("fatal:", "unavailable")):
        revision = "not a git checkout"
    chips = [CHIPS[key] for key in dict.fromkeys(key for spec in specs for key in spec.chips)]
    env = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    for chip in chips:
        env[f"chip {chip.target}"] = f"{chip.description}; float ABI: {chip.float_abi}"
    if any(chip.is_avr for chip in chips):
        env["avr-gcc"] = first_line(["avr-gcc", "--version"])
    if any(not chip.is_avr for chip in chips):
        env["arm-none-eabi-gcc"] = first_line(["arm-none-eabi-gcc", "--version"])
        env["qemu-system-arm"] = first_line(["qemu-system-arm", "--version"])
        env["unicorn"] = _unicorn_version()
    return {**env, "scikit-learn": sklearn.__version__, **{tool.package: tool.version() for tool in TOOLS},
            "mcugen source": f"{source} (git: {revision})"}


def _of(results: Sequence[Result], spec: ModelSpec, chip: str) -> list[Result]:
    return [r for r in results if r.model == spec.key and r.chip == chip]


# Issue 11's goals: mcugen's best count at most this share of the fastest other tool's.
GOALS = {"atmega2560": 0.25, "cortex-m0": 0.5, "cortex-m4": 0.5}


def summary_row(spec: ModelSpec, chip: Chip, results: Sequence[Result]) -> tuple[str, ...] | None:
    """model, chip, mcugen best, fastest peer, ratio, estimated cycles (mcugen / peer)."""
    found = ratios(results)["count"]
    if found is None:
        return None
    by_tool = {r.tool: r for r in results}
    mine, other = by_tool["mcugen " + found["mcugen"]], by_tool[found["other"]]
    estimate = "-" if mine.cycles_estimate is None or other.cycles_estimate is None else \
        f"{mine.cycles_estimate:,.0f} / {other.cycles_estimate:,.0f}"
    return (spec.key, f"{chip.target} ({chip.counter})", f"{found['mcugen_value']:,.0f} ({found['mcugen']})",
            f"{found['other_value']:,.0f} ({found['other']}, {100 * found['other_fidelity']:.1f}%)",
            f"{found['ratio']:.2f}", estimate)


def summary(specs: Sequence[ModelSpec], results: Sequence[Result]) -> str:
    """One table of every (model, chip), then per chip whether GOALS is met on each model."""
    head = ("model", "chip", "mcugen best", "fastest peer", "ratio", "est. cycles mcugen / peer")
    rows, per_chip = [], {}
    for spec in specs:
        for key in spec.chips:
            row = summary_row(spec, CHIPS[key], _of(results, spec, key))
            if row is None:
                rows.append((spec.key, key, "-", "-", "no ratio (mcugen or every peer failed)", "-"))
                continue
            rows.append(row)
            per_chip.setdefault(key, []).append((spec.key, float(row[4])))
    lines = ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    for key, found in per_chip.items():
        goal = GOALS.get(key)
        if goal is None:
            continue
        met = [model for model, ratio in found if ratio <= goal]
        worst_model, worst = max(found, key=lambda pair: pair[1])
        lines.append(f"goal {key}: <= {goal:.2f}x the fastest peer's {CHIPS[key].counter}: met on {len(met)} of "
                     f"{len(found)} models ({', '.join(met) or 'none'}); worst {worst:.2f}x on {worst_model}")
    return "\n".join(lines)


def report(specs: Sequence[ModelSpec], results: Sequence[Result], env: dict[str, str]) -> str:
    parts = [f"{key}: {value}" for key, value in env.items()]
    for spec in specs:
        for key in spec.chips:
            mine = _of(results, spec, key)
            parts += ["", table(spec, CHIPS[key], mine), ratio_lines(ratios(mine), CHIPS[key])]
    return "\n".join(parts) + "\n" + summary(specs, results)


def write_json(path: Path, specs: Sequence[ModelSpec], results: Sequence[Result], env: dict[str, str]) -> None:
    document = {"environment": env, "models": {
        spec.key: {"title": spec.title, "chips": {
            key: {"description": CHIPS[key].description, "counter": CHIPS[key].counter,
                  "float_abi": CHIPS[key].float_abi, "cflags": list(CHIPS[key].cflags),
                  "results": [asdict(r) for r in _of(results, spec, key)],
                  "ratios": ratios(_of(results, spec, key))}
            for key in spec.chips}}
        for spec in specs}}
    path.write_text(json.dumps(document, indent=2) + "\n")


# ---- command line --------------------------------------------------------------------------


def pick_chips(specs: Sequence[ModelSpec], keys: str | None) -> list[ModelSpec]:
    """The models restricted to the chips asked for (those left with no chip are dropped)."""
    if not keys:
        return list(specs)
    wanted = [key.strip() for key in keys.split(",") if key.strip()]
    unknown = [key for key in wanted if key not in CHIPS]
    if unknown:
        raise ValueError(f"unknown chip(s) {', '.join(unknown)}; choose from {', '.join(CHIPS)}")
    narrowed = [replace(spec, chips=tuple(chip for chip in spec.chips if chip in wanted)) for spec in specs]
    return [spec for spec in narrowed if spec.chips]


def pick_models(keys: str | None) -> list[ModelSpec]:
    if not keys:
        return list(MODELS)
    known = {spec.key: spec for spec in MODELS}
    wanted = [key.strip() for key in keys.split(",") if key.strip()]
    unknown = [key for key in wanted if key not in known]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return [known[key] for key in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help=f"comma-separated subset of: {', '.join(s.key for s in MODELS)}")
    parser.add_argument("--chips", help=f"comma-separated subset of: {', '.join(CHIPS)}")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every figure to PATH")
    parser.add_argument("--jobs", type=int, default=1, help="(model, chip, tool) runs at once (default 1)")
    args = parser.parse_args(argv)
    try:
        specs = pick_chips(pick_models(args.models), args.chips)
    except ValueError as exc:
        parser.error(str(exc))  # exits 2
    env = environment(specs)
    results = run_all(specs, args.jobs)
    print(report(specs, results, env))
    if args.json:
        write_json(args.json, specs, results, env)
        progress(f"[peers] wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
