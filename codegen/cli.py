"""The `mcugen` command: parses options, calls the API, prints. Errors a user can cause print
`error: ...` and exit 2 with nothing written; a verification mismatch exits 1."""

from __future__ import annotations

import json
import sys
import time

import click

from codegen.chips import family_of
from codegen.cli_common import (
    OneLineErrors,
    convert_model_file,
    load_estimator,
    model_options,
    quantized_rows,
    read_label_file,
    read_rows,
    settings_from,
    target_option,
    user_errors,
    warn,
)
from codegen.errors import UserError
from codegen.settings import simulated_chip
from codegen.version import __version__

# a header this big takes a noticeable while to compile: say so before starting
BIG_HEADER_BYTES = 1_000_000


@click.group(name="mcugen", cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcugen")
def main():
    """Turn trained scikit-learn trees and MLPs into integer-only C for microcontrollers, and
    prove the C predicts what the model predicts.

    MODEL files may be .joblib, .pkl/.pickle (these run code when loaded: only load files you
    trust; --trust or MCUGEN_TRUST_PICKLES=1 silences the warning) or .skops.

    Errors print one line `error: ...` and exit 2 with nothing written."""


@main.command()
@model_options
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Folder to write <name>.h and <name>.json into (created if missing; other files kept).")
@target_option()
@user_errors
def convert(output, target, **options):
    """Convert MODEL to a C header <name>.h (and <name>.json) in the folder OUTPUT."""
    converted = convert_model_file(options, family_of(target), chip=target)
    for path in converted.save(output):
        click.echo(f"wrote {path}")
    report = converted.report()
    click.echo(f"{report.get('estimator', converted.kind)}: layout {converted.layout}, "
               f"model hash {report['model_hash']}")


@main.command()
@model_options
@target_option()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@user_errors
def inspect(target, as_json, **options):
    """Show what converting MODEL gives: structure, sizes, types; writes nothing."""
    report = convert_model_file(options, family_of(target), chip=target).report()
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    width = max(len(key) for key in report)
    for key, value in report.items():
        click.echo(f"{key.ljust(width)}  {value}")


@main.command(name="verify")
@model_options
@click.option("--data", required=True, type=click.Path(dir_okay=False),
              help="CSV of input rows as the device passes them (integer readings with an integer --input).")
@click.option("--labels", type=click.Path(dir_okay=False), help="CSV of true labels, for accuracy.")
@target_option(help_text="Where the C runs: host, or a chip in simavr / qemu / unicorn (riscv32: an RV32IMC "
                         "core; a family: its usual chip, avr = atmega328p; esp32 has no simulator).")
@click.option("--samples", type=click.IntRange(min=1), default=50, show_default=True,
              help="Rows run in a simulator (the first N); the host runs all.")
@click.option("--proba", is_flag=True,
              help="Also check <name>_proba against the model's predict_proba on every row (host).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quantize", is_flag=True,
              help="--data holds real values: turn them into the --input type's readings with --scale and "
                   "--zero-point, as the device would (nearest reading, clipped to the type).")
@user_errors
def verify_command(data, labels, target, samples, proba, as_json, quantize, **options):
    """Compile MODEL's C, run every row, compare with scikit-learn and the interpreter.

    Exits 1 when any row differs (for quantised MLPs: when the C differs from the
    interpreter); the first differing rows are listed."""
    from codegen.verification import format_result, passed, verify

    chip = simulated_chip(target)
    settings = settings_from(options, family_of(chip), chip)  # bad options fail before any file is read
    if quantize and settings.input == "float32":
        raise UserError("--quantize turns real values into integer readings; give the --input type "
                        "(int8, int16, ...) with its --scale and --zero-point")
    estimator = load_estimator(options)
    X = read_rows(data, estimator)
    if quantize:
        X = quantized_rows(X, settings)
    y = read_label_file(labels, len(X))
    converted = convert_model_file(options, family_of(chip), chip=chip, fallback_calibration=X,
                                   check_passes=True, estimator=estimator)
    started = _announce_build(converted, chip, min(samples, len(X)))
    result = verify(converted, X, y, target=chip, samples=samples)
    if proba:
        from codegen.harness.proba_host import check_proba

        result.update(check_proba(converted, X))
    if started is not None:
        click.echo(f"built and ran in {time.monotonic() - started:,.1f} s", err=True)
    if result["rows_float32_rounding_changes"]:
        from codegen.verification import FLOAT32_NOTE

        warn(f"on {result['rows_float32_rounding_changes']} rows {FLOAT32_NOTE}")
    click.echo(json.dumps(result, indent=2, sort_keys=True) if as_json else format_result(result))
    if not passed(result, converted.kind):
        click.echo(f"error: {disagreement_verdict(estimator)}", err=True)
        sys.exit(1)


def disagreement_verdict(estimator) -> str:
    """What a failed verify says; a file another scikit-learn wrote may be read otherwise."""
    from codegen.frontends.load import written_by

    version = written_by(estimator)
    if version is None:
        return "the generated C disagrees on some rows (see above)"
    return (f"the generated C disagrees on some rows (see above) with this scikit-learn's reading of a model "
            f"scikit-learn {version} wrote; re-save the model with this scikit-learn and verify again")


def _announce_build(converted, chip: str, rows: int) -> float | None:
    """Says what is about to take long; returns the start time when the build is a big one."""
    size = len(converted.header_text)
    if chip != "host":
        click.echo(f"building for {chip} and running {rows} rows in the simulator...", err=True)
    if size <= BIG_HEADER_BYTES:
        return None
    click.echo(f"compiling a {size / 1e6:,.1f} MB header: this can take a few minutes...", err=True)
    return time.monotonic()


def _register_device_commands() -> None:
    from codegen.device import commands

    for command in commands.COMMANDS:
        main.add_command(command)


_register_device_commands()


def _register_tune_command() -> None:
    from codegen.tune_command import tune_command

    main.add_command(tune_command)


_register_tune_command()

if __name__ == "__main__":
    main(prog_name="mcugen")
