"""The `mcugen` command: parses options, calls the API, prints. Errors a user can cause print
`error: ...` and exit 2 with nothing written; a verification mismatch exits 1."""

from __future__ import annotations

import functools
import json
import sys

import click

from codegen.api import __version__, convert_with
from codegen.data_io import read_csv, read_labels, read_number_list
from codegen.errors import UserError
from codegen.frontends.load import load_model
from codegen.settings import INPUT_TYPES, LAYOUTS, TARGETS, InputQuantization, Settings
from codegen.verification import CONVERSION_TARGET, VERIFY_TARGETS, format_result, passed, verify


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def user_errors(command):
    """Turn a UserError into `error: ...` on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UserError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)

    return wrapper


def conversion_options(command):
    options = [
        click.option("--name", default="model", show_default=True,
                     help="C identifier prefixing everything generated (<name>.h, <name>_predict)."),
        click.option("--layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
                     help="Trees: nested branches (ifelse), node tables in flash (table), or picked by size."),
        click.option("--input", "input_type", type=click.Choice(INPUT_TYPES), default="float32", show_default=True,
                     help="Type of the features the device passes; integers need --scale/--zero-point."),
        click.option("--scale", default="1", show_default=True,
                     help="Integer input: real = scale * (q - zero_point). One number, a comma list "
                          "(one per feature) or a .json list."),
        click.option("--zero-point", default="0", show_default=True,
                     help="Integer input zero point(s), like --scale."),
        click.option("--calibration", type=click.Path(dir_okay=False),
                     help="MLPs: CSV of typical input rows that set the activation ranges."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _settings(name, layout, input_type, scale, zero_point, target) -> Settings:
    quantization = InputQuantization(read_number_list(scale, "scale"),
                                     tuple(int(z) for z in read_number_list(zero_point, "zero-point")))
    return Settings(name=name, layout=layout, input=input_type, target=target, quantization=quantization)


def _convert(model_path, settings: Settings, calibration_path=None, fallback_calibration=None):
    estimator = load_model(model_path, warn=warn)
    calibration = read_csv(calibration_path, "calibration") if calibration_path else fallback_calibration
    return convert_with(estimator, settings, calibration=calibration)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcugen")
def main():
    """Turn trained scikit-learn trees and MLPs into integer-only C for microcontrollers, and
    prove the C predicts what the model predicts.

    MODEL files may be .joblib, .pkl/.pickle (these run code when loaded: only load files you
    trust) or .skops."""


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Folder to write <name>.h and <name>.json into.")
@conversion_options
@click.option("--target", type=click.Choice(TARGETS), default="host", show_default=True,
              help="Chip family the code is tuned for (--layout auto weighs its flash).")
@user_errors
def convert(model, output, name, layout, input_type, scale, zero_point, calibration, target):
    """Convert MODEL to a C header in OUTPUT."""
    settings = _settings(name, layout, input_type, scale, zero_point, target)
    converted = _convert(model, settings, calibration)
    for path in converted.save(output):
        click.echo(f"wrote {path}")
    report = converted.report()
    click.echo(f"{report.get('estimator', converted.kind)}: layout {converted.layout}, "
               f"model hash {report['model_hash']}")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@conversion_options
@click.option("--target", type=click.Choice(TARGETS), default="host", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@user_errors
def inspect(model, name, layout, input_type, scale, zero_point, calibration, target, as_json):
    """Show what converting MODEL gives: structure, sizes, types; writes nothing."""
    settings = _settings(name, layout, input_type, scale, zero_point, target)
    report = _convert(model, settings, calibration).report()
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    width = max(len(key) for key in report)
    for key, value in report.items():
        click.echo(f"{key.ljust(width)}  {value}")


@main.command(name="verify")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", required=True, type=click.Path(dir_okay=False), help="CSV of input rows.")
@click.option("--labels", type=click.Path(dir_okay=False), help="CSV of true labels, for accuracy.")
@click.option("--target", type=click.Choice(VERIFY_TARGETS), default="host", show_default=True,
              help="Where the C runs: the host, or a chip in simavr / qemu.")
@click.option("--samples", type=click.IntRange(min=1), default=50, show_default=True,
              help="Rows run in a simulator (the first N); the host runs all.")
@conversion_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@user_errors
def verify_command(model, data, labels, target, samples, name, layout, input_type, scale, zero_point,
                   calibration, as_json):
    """Compile MODEL's C, run every row, compare with scikit-learn and the interpreter.

    Exits 1 when any row differs (for quantised MLPs: when the C differs from the
    interpreter)."""
    X = read_csv(data)
    y = read_labels(labels) if labels else None
    if y is not None and len(y) != len(X):
        raise UserError(f"--labels has {len(y)} rows but --data has {len(X)}; give one label per row")
    settings = _settings(name, layout, input_type, scale, zero_point, CONVERSION_TARGET[target])
    converted = _convert(model, settings, calibration, fallback_calibration=X)
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

if __name__ == "__main__":
    main()
