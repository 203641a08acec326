"""The `mcugen` command: parses options, calls the API, prints. Errors a user can cause print
`error: ...` and exit 2 with nothing written; a verification mismatch exits 1."""

from __future__ import annotations

import json
import sys

import click

from codegen.api import __version__
from codegen.cli_common import convert_model_file, model_options, user_errors
from codegen.data_io import read_csv, read_labels
from codegen.errors import UserError
from codegen.settings import TARGETS
from codegen.verification import CONVERSION_TARGET, VERIFY_TARGETS, format_result, passed, verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcugen")
def main():
    """Turn trained scikit-learn trees and MLPs into integer-only C for microcontrollers, and
    prove the C predicts what the model predicts.

    MODEL files may be .joblib, .pkl/.pickle (these run code when loaded: only load files you
    trust) or .skops."""


@main.command()
@model_options
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Folder to write <name>.h and <name>.json into.")
@click.option("--target", type=click.Choice(TARGETS), default="host", show_default=True,
              help="Chip family the code is tuned for (--layout auto weighs its flash).")
@user_errors
def convert(output, target, **options):
    """Convert MODEL to a C header <name>.h (and <name>.json) in the folder OUTPUT."""
    converted = convert_model_file(options, target)
    for path in converted.save(output):
        click.echo(f"wrote {path}")
    report = converted.report()
    click.echo(f"{report.get('estimator', converted.kind)}: layout {converted.layout}, "
               f"model hash {report['model_hash']}")


@main.command()
@model_options
@click.option("--target", type=click.Choice(TARGETS), default="host", show_default=True,
              help="Chip family the code is tuned for (--layout auto weighs its flash).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@user_errors
def inspect(target, as_json, **options):
    """Show what converting MODEL gives: structure, sizes, types; writes nothing."""
    report = convert_model_file(options, target).report()
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    width = max(len(key) for key in report)
    for key, value in report.items():
        click.echo(f"{key.ljust(width)}  {value}")


@main.command(name="verify")
@model_options
@click.option("--data", required=True, type=click.Path(dir_okay=False), help="CSV of input rows.")
@click.option("--labels", type=click.Path(dir_okay=False), help="CSV of true labels, for accuracy.")
@click.option("--target", type=click.Choice(VERIFY_TARGETS), default="host", show_default=True,
              help="Where the C runs: the host, or a chip in simavr / qemu.")
@click.option("--samples", type=click.IntRange(min=1), default=50, show_default=True,
              help="Rows run in a simulator (the first N); the host runs all.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@user_errors
def verify_command(data, labels, target, samples, as_json, **options):
    """Compile MODEL's C, run every row, compare with scikit-learn and the interpreter.

    Exits 1 when any row differs (for quantised MLPs: when the C differs from the
    interpreter)."""
    X = read_csv(data)
    y = read_labels(labels) if labels else None
    if y is not None and len(y) != len(X):
        raise UserError(f"--labels has {len(y)} rows but --data has {len(X)}; give one label per row")
    converted = convert_model_file(options, CONVERSION_TARGET[target], fallback_calibration=X, check_passes=True)
    if target != "host":
        click.echo(f"building for {target} and running {min(samples, len(X))} rows in the simulator...", err=True)
    result = verify(converted, X, y, target=target, samples=samples)
    click.echo(json.dumps(result, indent=2, sort_keys=True) if as_json else format_result(result))
    if not passed(result, converted.kind):
        click.echo("error: the generated C disagrees on some rows (see above)", err=True)
        sys.exit(1)


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
    main()
