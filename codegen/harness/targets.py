"""Running a generated model header on simulated microcontrollers: the public entry point.

`run_on_target` builds the harness firmware (firmware/) around the header, runs it in simavr
(AVR, exact Timer1 cycles), qemu + unicorn (Cortex-M, exact executed instructions; see
cortexm.py) or unicorn (RV32IMC, exact executed instructions; see riscv.py), and measures
the model's own flash and RAM as the firmware built with the model minus the same firmware
built with firmware/common/null_model.h. Rows that do not fit the
chip's flash beside the model are run in batches, one firmware build per batch.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from codegen.chips import Simulator, simulated_chips, simulator_of
from codegen.errors import UserError
from codegen.harness import avr, cortexm, riscv, sizes, toolchains
from codegen.harness.glue import write_glue
from codegen.input_types import INPUT_TYPES

# The simulated chips of codegen/chips.py as imported, for the tests that run each of them.
SIM_TARGETS = simulated_chips()
_RECORD = re.compile(r"^([OREST])((?: -?\d+)+)$")
_OVERFLOW = re.compile(r"overflowed by \d+ bytes|will not fit in region|not within region")


@dataclass(frozen=True)
class TargetRun:
    target: str
    predictions: np.ndarray  # int64 (n_rows,), what <name>_predict returned
    scores: np.ndarray | None  # int64 (n_rows, n_outputs) from <name>_scores, or None
    counter: str  # "cycles" (AVR, Timer1 exact) or "instructions" (Cortex-M, RISC-V)
    counts: np.ndarray  # int64 (n_rows,) cycles or instructions per call of <name>_predict
    flash_bytes: int  # model alone: build minus the same harness built with a null model
    ram_bytes: int  # static RAM (.data+.bss) of the model alone, same subtraction
    chip_flash: int
    chip_ram: int
    # Cortex-M0/M4 only: estimated cycles per call at zero wait states (cycle_model.py), else None
    cycle_estimates: np.ndarray | None = None
    # scores asked for but not run: why (the firmware that prints them does not fit the chip)
    scores_skipped: str | None = None


@dataclass(frozen=True)
class _Job:
    """Everything one firmware build needs besides its rows."""

    target: str
    header: Path
    name: str
    input_dtype: str
    n_features: int
    n_outputs: int
    cflags: tuple[str, ...]
    with_scores: bool

    @property
    def simulator(self) -> Simulator:
        return simulator_of(self.target)

    @property
    def is_avr(self) -> bool:
        return self.simulator.kind == "avr"

    @property
    def is_riscv(self) -> bool:
        return self.simulator.kind == "riscv"

    @property
    def limits(self) -> tuple[int, int]:
        return target_memory(self.target)


def target_memory(target: str) -> tuple[int, int]:
    """(flash, RAM) bytes of a simulator target."""
    simulator = simulator_of(target)
    return simulator.flash_bytes, simulator.ram_bytes


@dataclass(frozen=True)
class _Batch:
    predictions: list[int]
    scores: list[list[int]]
    counts: list[int]
    cycle_estimates: list[int] | None = None


def run_on_target(
    target: str,
    header: Path,
    name: str,
    rows: np.ndarray,
    input_dtype: str,
    *,
    with_scores: bool = False,
    extra_cflags: tuple[str, ...] = (),
) -> TargetRun:
    """Runs `<name>_predict` (and `<name>_scores` if asked) on every row in a simulator."""
    job = _make_job(target, Path(header), name, rows, input_dtype, with_scores, extra_cflags)
    for tool in toolchains.tools_for(target):
        toolchains.require(tool)
    rows = np.asarray(rows)
    with tempfile.TemporaryDirectory(prefix="mcugen-sim-") as tmp:
        per_batch, model_size, scores_skipped = _plan(job, rows, Path(tmp))
        if scores_skipped:
            job = replace(job, with_scores=False)
        batches = [
            _run_batch(job, rows[i : i + per_batch], Path(tmp) / f"batch{i}") for i in range(0, len(rows), per_batch)
        ]
    flash, ram = job.limits
    return TargetRun(
        target=target,
        predictions=np.array([p for b in batches for p in b.predictions], dtype=np.int64),
        scores=np.array([s for b in batches for s in b.scores], dtype=np.int64).reshape(len(rows), -1)
        if job.with_scores
        else None,
        counter="cycles" if job.is_avr else "instructions",
        counts=np.array([c for b in batches for c in b.counts], dtype=np.int64),
        flash_bytes=model_size.flash,
        ram_bytes=model_size.ram,
        chip_flash=flash,
        chip_ram=ram,
        cycle_estimates=None
        if any(b.cycle_estimates is None for b in batches)
        else np.array([c for b in batches for c in b.cycle_estimates], dtype=np.int64),
        scores_skipped=scores_skipped,
    )


def model_footprint(target: str, header_text: str, name: str, input_dtype: str) -> sizes.Footprint:
    """The model's own flash and RAM built for `target` (as `run_on_target` sizes it, nothing
    run); a UserError with the numbers when the firmware does not fit the chip."""
    n_features = _header_int(header_text, name, "N_FEATURES")
    rows = np.zeros((1, n_features), dtype=INPUT_TYPES[input_dtype].numpy)
    with tempfile.TemporaryDirectory(prefix="mcugen-size-") as tmp:
        header = Path(tmp) / f"{name}.h"
        header.write_text(header_text)
        job = _make_job(target, header, name, rows, input_dtype, False, ())
        return _plan(job, rows, Path(tmp) / "build")[1]


def _make_job(
    target: str,
    header: Path,
    name: str,
    rows: np.ndarray,
    input_dtype: str,
    with_scores: bool,
    extra_cflags: tuple[str, ...],
) -> _Job:
    simulator_of(target)  # an unknown target: the error names the simulated ones
    if input_dtype not in INPUT_TYPES:
        raise UserError(f"unknown input type {input_dtype!r}; choose one of {', '.join(INPUT_TYPES)}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise UserError(f"model name {name!r} is not a C identifier")
    text = header.read_text()
    n_features = _header_int(text, name, "N_FEATURES")
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[1] != n_features or rows.shape[0] == 0:
        raise UserError(f"rows must be a non-empty (n_rows, {n_features}) array, got shape {rows.shape}")
    n_outputs = _header_int(text, name, "N_OUTPUTS")
    return _Job(target, header, name, input_dtype, n_features, n_outputs, tuple(extra_cflags), with_scores)


def _header_int(text: str, name: str, suffix: str) -> int:
    macro = f"{name.upper()}_{suffix}"
    match = re.search(rf"^\s*#\s*define\s+{macro}\s+\(?\s*(\d+)[uUlL]*\s*\)?\s*$", text, re.M)
    if not match:
        raise UserError(f"the header does not define {macro} as a number; is it a generated model header?")
    return int(match.group(1))


def _plan(job: _Job, rows: np.ndarray, tmp: Path) -> tuple[int, sizes.Footprint, str | None]:
    """Rows per batch, the model's own footprint (checked against the chip), and why scores
    cannot be printed (None when they can or were not asked for).

    The fit is that of the firmware that only predicts, the one `mcugen tune` measures: a
    model that fits it is run, and its scores are checked too when the larger firmware that
    prints them also fits."""
    row_bytes = job.n_features * INPUT_TYPES[job.input_dtype].bytes
    per_batch = max(1, min(len(rows), job.simulator.row_budget // row_bytes))
    sample = rows[:per_batch]
    total = sizes.measure(_size_tool(job), _build(job, sample, tmp / "size-model", null=False))
    null = sizes.measure(_size_tool(job), _build(job, sample, tmp / "size-null", null=True))
    model = total - null
    flash, ram = job.limits
    harness_flash = total.flash - per_batch * row_bytes  # the firmware with no rows at all
    if harness_flash + row_bytes > flash:
        raise UserError(_too_big(job, "flash", model.flash, harness_flash + row_bytes, flash))
    if total.ram > ram:
        raise UserError(_too_big(job, "RAM", model.ram, total.ram, ram))
    scores_skipped = None
    if job.with_scores:  # printing the scores links more code: fewer rows fit beside it
        try:
            scored = sizes.measure(_size_tool(job), _build(job, sample, tmp / "size-run", null=False, scores=True))
        except UserError:  # the linker's overflow
            scored = None
        # sized with the batch's rows, like the predicting firmware (a first row costs more than the next)
        scored_flash = None if scored is None else scored.flash - per_batch * row_bytes
        if scored is None or scored_flash + row_bytes > flash or scored.ram > ram:
            needed = "more than the chip has" if scored is None else f"{scored_flash + row_bytes:,} bytes"
            scores_skipped = (f"the firmware that also prints the scores needs {needed} of the "
                              f"{job.target}'s {flash:,}; predictions checked, scores not")
        else:
            harness_flash = scored_flash
    return max(1, min(per_batch, (flash - harness_flash) // row_bytes)), model, scores_skipped


def _too_big(job: _Job, memory: str, model: int, firmware: int, limit: int) -> str:
    advice = "make the model smaller (trees: --layout table, fewer or shallower trees; MLPs: narrower layers)"
    if job.target == "atmega328p":
        advice += ", or verify on --target atmega2560"
    return (
        f"model needs {model:,} bytes of {memory} ({firmware:,} with the test harness) "
        f"but the {job.target} has {limit:,}; {advice}"
    )


def _size_tool(job: _Job) -> str:
    if job.is_avr:
        return "avr-size"
    return riscv.SIZE if job.is_riscv else "arm-none-eabi-size"


def _build(job: _Job, rows: np.ndarray, directory: Path, *, null: bool, scores: bool = False) -> Path:
    """Writes the glue for `rows` into `directory` and builds the firmware there."""
    directory.mkdir(parents=True)
    cflags = [*job.cflags, *(["-DHARNESS_WITH_SCORES"] if scores else [])]
    storage = "PROGMEM" if job.is_avr else ""
    if null:
        shutil.copyfile(toolchains.firmware_dir() / "common" / "null_model.h", directory / "null_model.h")
        write_glue(directory, "null_model", rows, job.input_dtype, storage)
        cflags += [
            f"-DNULL_MODEL_FEATURES={job.n_features}",
            f"-DNULL_MODEL_OUTPUTS={job.n_outputs}",
            f"-DNULL_MODEL_INPUT_T={INPUT_TYPES[job.input_dtype].ctype}",
        ]
    else:
        shutil.copyfile(job.header, directory / f"{job.name}.h")
        write_glue(directory, job.name, rows, job.input_dtype, storage)
    try:
        if job.is_avr:
            return avr.build(directory, job.simulator.mmcu, cflags)
        if job.is_riscv:
            return riscv.build(directory, cflags)
        return cortexm.build(directory, job.simulator, cflags)
    except toolchains.CompileError as exc:
        overflow = _OVERFLOW.search(exc.stderr)
        if overflow is None:
            raise
        flash, ram = job.limits
        raise UserError(
            f"model does not fit the {job.target} ({flash:,} bytes of flash, {ram:,} of RAM): "
            f"the linker says {overflow.group(0)}; make the model smaller (trees: --layout table, fewer or "
            "shallower trees; MLPs: narrower layers)"
        ) from exc


def _run_batch(job: _Job, rows: np.ndarray, directory: Path) -> _Batch:
    """Counts come from a build without the scores code, so they (and the sizes) are those
    of a firmware that only predicts, whether or not scores were asked for."""
    timed = _execute(job, rows, directory / "timed", scores=False)
    if not job.with_scores:
        return timed
    scored = _execute(job, rows, directory / "scores", scores=True)
    if scored.predictions != timed.predictions:
        raise RuntimeError(f"the {job.target} firmware predicted differently once built with the scores")
    return _Batch(timed.predictions, scored.scores, timed.counts, timed.cycle_estimates)


def _execute(job: _Job, rows: np.ndarray, directory: Path, *, scores: bool) -> _Batch:
    elf = _build(job, rows, directory, null=False, scores=scores)
    if job.is_avr:
        overhead, batch = _parse(avr.simulate(elf, job.simulator.mmcu), len(rows), job, scores)
        return _Batch(batch.predictions, batch.scores, [c - overhead for c in batch.counts])
    if job.is_riscv:
        return _counted_batch(job, rows, riscv.count_instructions(elf), scores)
    board = job.simulator
    text = cortexm.run_qemu(elf, board)
    if scores:  # counted in the build without scores
        return _parse(text, len(rows), job, scores)[1]
    counted = cortexm.count_instructions(elf, board)
    if counted.text != text:
        raise RuntimeError(f"qemu and unicorn printed different results for {job.target}")
    return _counted_batch(job, rows, counted, scores=False)


def _counted_batch(job: _Job, rows: np.ndarray, counted: cortexm.Counted, scores: bool) -> _Batch:
    """The records of a unicorn run, with each row's count less the empty region's."""
    _, batch = _parse(counted.text, len(rows), job, scores)
    if scores:  # counted in the build without scores
        return batch
    regions = counted.instructions
    if len(regions) != len(rows) + 1:
        raise RuntimeError(f"expected {len(rows) + 1} timed regions under unicorn, saw {len(regions)}")
    cycles = None if counted.cycles is None else [c - counted.cycles[0] for c in counted.cycles[1:]]
    return _Batch(batch.predictions, batch.scores, [r - regions[0] for r in regions[1:]], cycles)


def _parse(text: str, n_rows: int, job: _Job, wants_scores: bool) -> tuple[int, _Batch]:
    """Reads the firmware's records (see firmware/common/harness_main.h); checks they are complete."""
    records: dict[str, list[list[int]]] = {tag: [] for tag in "ORSE"}
    for line in text.splitlines():
        match = _RECORD.match(line.strip())
        if match:
            records[match.group(1)].append([int(v) for v in match.group(2).split()])
    rows_seen = [r[0] for r in records["R"]]
    complete = (
        len(records["O"]) == 1
        and records["E"] == [[n_rows]]
        and rows_seen == list(range(n_rows))
        and all(len(r) == 3 for r in records["R"])
    )
    if wants_scores:
        complete = (
            complete
            and [s[0] for s in records["S"]] == list(range(n_rows))
            and all(len(s) == 1 + job.n_outputs for s in records["S"])
        )
    if not complete:
        raise RuntimeError(f"incomplete output from the {job.target} firmware:\n{text[-2000:]}")
    batch = _Batch([r[1] for r in records["R"]], [s[1:] for s in records["S"]], [r[2] for r in records["R"]])
    return records["O"][0][0], batch
